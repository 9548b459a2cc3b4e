"""Excel worksheet functions (xlwings UDFs): ``=ECORE_VOLUMES(...)``, ``=ECORE_HEDGE_RATIO(...)``.

Register with the open-source xlwings add-in: *UDF Modules* = ``ecore_xl.excel.udfs``, then
*Import Functions* (see ``docs/excel-formulas.md``). Every function is thin: tidy the arguments
(:mod:`.args`), ask the data layer (:func:`ecore_xl.data.get_service`), shape the answer
(:mod:`.results`).

Decisions (the reasons are in ``docs/excel-formulas.md``):

* **One function per catalogue dataset**, generated at import from the catalogue (a user's
  catalogue file adds its own), each a real function object with its own signature, docstring and
  xlwings metadata. The common filters are positional; the rest go in ``option1``..``option4`` as
  ``"key=value"`` texts. Optional slots instead of ``*args`` because VBA, and so xlwings, cannot
  mix ``Optional`` and ``ParamArray``: with ``*args`` every other argument would be mandatory.
  Only ``ECORE_GET(path, *params)`` keeps a ParamArray.
* **Errors** never raise into Excel (the xlwings wrapper would put the traceback text in the
  cell): a cell shows ``#ECORE! <one line>``; the full detail goes to the log file
  (:mod:`.logsetup`). The open-source COM path offers no supported way to return a real Excel
  error value (xlwings issue #776).
* **No recalculation storms**: all data goes through the data layer's TTL cache, which also
  coalesces identical concurrent calls; nothing here keeps data of its own.
* **Synchronous by default.** ``ECORE_ASYNC_UDFS=1`` (read at import) switches the network-bound
  functions to xlwings' ``async_mode="threading"``.
* **Offline**: ``ECORE_OFFLINE=1`` or :func:`set_offline` (the ribbon toggle, kept in
  :mod:`.offline` and re-exported here) answers from cache and snapshots only.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import keyword
import logging
import os
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from ecore_xl.errors import (
    ApiError,
    EcoreError,
    FormulaDeadlineError,
    InvalidFilterError,
    OfflineError,
    UsageError,
)
from ecore_xl.excel import args as _a
from ecore_xl.excel import results as _r
from ecore_xl.excel.logsetup import configure_logging, log_path, logger
from ecore_xl.excel.offline import is_offline, set_offline
from ecore_xl.excel.offline import offline_choice as _offline_choice

if TYPE_CHECKING:
    import pandas as pd

    from ecore_xl.catalogue import Catalogue, Dataset, Filter
    from ecore_xl.data import DataService

try:  # the real decorators: on Windows (pywin32), or where a test stubs the COM modules
    from xlwings.udfs import xlarg as _xw_arg
    from xlwings.udfs import xlfunc as _xw_func
except ImportError:  # elsewhere xlwings' own markers, which do nothing
    try:
        from xlwings import arg as _xw_arg  # type: ignore[assignment]
        from xlwings import func as _xw_func  # type: ignore[assignment]
    except ImportError:  # xlwings missing: the functions still work from Python

        def _xw_func(f: Any = None, **_: Any) -> Any:  # type: ignore[misc]
            return f if f is not None else (lambda g: g)

        def _xw_arg(*_: Any, **__: Any) -> Any:  # type: ignore[misc]
            return lambda g: g


__all__ = [
    "CATEGORY",
    "ECORE_GET",
    "ECORE_HEDGE_RATIO",
    "ECORE_OPEN_POSITION",
    "ECORE_STATUS",
    "ECORE_VOLUME_TOTAL",
    "ERROR_TTL",
    "EXCEL_ERRORS",
    "OPTION_SLOTS",
    "function_reference",
    "is_offline",
    "set_offline",
    "udf_names",
]

F = TypeVar("F", bound=Callable[..., Any])

#: the Excel function-wizard category of every function
CATEGORY = "eCore"
#: the ``key=value`` slots after the positional arguments of a dataset function
OPTION_SLOTS = 4
_MAX_POSITIONAL = 6
_ASYNC = os.environ.get("ECORE_ASYNC_UDFS", "").strip().lower() in {"1", "true", "yes", "on"}
#: keyword arguments of ``DataService.fetch``: never let an option reach them as a filter
_RESERVED_OPTIONS = {"refresh", "offline", "snapshotdir", "progress", "dataset"}
_ENERGY_UNITS = {"wh": 1e-6, "kwh": 1e-3, "mwh": 1.0, "gwh": 1e3}
#: seconds an API failure of one call (same function, same arguments) is answered from memory
ERROR_TTL = 30.0

_last_error: tuple[dt.datetime, str, str] | None = None  # (when, function, message)


# ---- the guard every function runs in -------------------------------------------------------


def _short(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _report(name: str, args: Sequence[Any], exc: BaseException) -> str:
    """Log ``exc`` in full, remember it for ECORE_STATUS, return the cell text."""
    global _last_error
    configure_logging()
    call = f"{name}({', '.join(_short(a) for a in args)})"
    if isinstance(exc, EcoreError):
        message = exc.message
        level = logging.INFO if isinstance(exc, UsageError) else logging.WARNING
        detail = f" [{exc.detail}]" if exc.detail else ""
        logger.log(level, "%s -> %s: %s%s", call, type(exc).__name__, message, detail)
    else:
        message = f"unexpected {type(exc).__name__}; details in {log_path().name}"
        logger.error("%s failed", call, exc_info=exc)
    _last_error = (dt.datetime.now(), name, message)
    return _r.error_text(message)


#: what xlwings hands over for a cell holding an Excel error (``err_to_str=True``)
EXCEL_ERRORS = frozenset({"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"})


def _refuse_error_values(arguments: Mapping[str, Any]) -> None:
    """An argument (or a cell of a range) holding an Excel error is a mistake, never "empty"."""
    for name, value in arguments.items():
        for cell in _a.flatten(value):
            if isinstance(cell, str) and cell.strip().upper() in EXCEL_ERRORS:
                raise UsageError(
                    f"{name} is the Excel error {cell.strip().upper()}: fix the cell it refers to."
                )


def _error_key(name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> tuple[Any, ...]:
    return ("ECORE_UDF_ERROR", name, repr(args), repr(sorted(kwargs.items())), _offline_choice())


def _cached_error(key: tuple[Any, ...]) -> str | None:
    try:
        return _service().cache.peek(key)  # type: ignore[no-any-return]
    except Exception:  # no service (broken settings): nothing cached either
        return None


def _remember_error(key: tuple[Any, ...], text: str) -> None:
    try:
        svc = _service()
        svc.cache.put(key, text, ttl=min(ERROR_TTL, svc.settings.cache_ttl))
    except Exception:
        pass


def _guarded(
    name: str, sig: inspect.Signature, impl: Callable[..., Any], *, network: bool = True
) -> Callable[..., Any]:
    """``impl`` that binds Excel's positional arguments and answers errors as ``#ECORE!`` text.

    An API failure is remembered for :data:`ERROR_TTL` seconds in the data layer's cache, keyed by
    the call's arguments: a sheet of 1,000 cells with an unknown id, or a recalculation while the
    API is down, asks the API once, not 1,000 times (the data cache only keeps successes).
    """

    def call(*args: Any, **kwargs: Any) -> Any:
        key = _error_key(name, args, kwargs) if network else None
        if key is not None and (cached := _cached_error(key)) is not None:
            return cached
        try:
            try:
                bound = sig.bind(*args, **kwargs)
            except TypeError:
                names = ", ".join(sig.parameters)
                raise UsageError(f"{name} takes these arguments: {names}.") from None
            bound.apply_defaults()
            _refuse_error_values(bound.arguments)
            if not network:
                return impl(*bound.args, **bound.kwargs)
            return _within_deadline(name, lambda: impl(*bound.args, **bound.kwargs))
        except FormulaDeadlineError as exc:  # the load goes on (and is coalesced): not remembered
            return _report(name, args, exc)
        except ApiError as exc:
            text = _report(name, args, exc)
            if key is not None:
                _remember_error(key, text)
            return text
        except Exception as exc:  # a cell must get a short text, never a traceback
            return _report(name, args, exc)

    call.__annotations__ = {}  # xlwings would read type hints as converters
    return call


_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
#: calls running at once; more wait their turn (within their own deadline)
_POOL_WORKERS = 8


def _workers() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(_POOL_WORKERS, thread_name_prefix="ecore-udf")
        return _pool


def _within_deadline(name: str, work: Callable[[], Any]) -> Any:
    """``work()``, or a DeadlineExceededError once ``ECORE_FORMULA_DEADLINE`` passed.

    Excel waits for a synchronous function: a slow or stuck API would freeze it. The work runs
    on a worker thread and the cell gets its answer by the deadline; work still running then
    goes on, and what it loads lands in the data cache, so a recalculation a moment later
    finds it (an identical call joins the load instead of asking again).
    """
    try:
        seconds = _service().settings.formula_deadline
    except Exception:  # broken settings: the work itself reports them
        return work()
    future = _workers().submit(work)
    try:
        return future.result(timeout=seconds)
    except FutureTimeout:
        raise FormulaDeadlineError(
            f"{name} did not finish within {seconds:g} s (ECORE_FORMULA_DEADLINE): the API is "
            "slow; the data is still coming, recalculate (F9) in a moment."
        ) from None


def _register(
    fn: Callable[..., Any], arg_docs: Mapping[str, str], *, network: bool, volatile: bool = False
) -> Callable[..., Any]:
    """Apply the xlwings decorators (argument help, category, async, volatile) to ``fn``."""
    fn.__ecore_args__ = dict(arg_docs)  # type: ignore[attr-defined]  # for function_reference()
    for arg_name, doc in arg_docs.items():
        # err_to_str: a cell holding #N/A arrives as "#N/A", not as None (= "use the default")
        fn = _xw_arg(arg_name, doc=doc, err_to_str=True)(fn)
    options: dict[str, Any] = {"category": CATEGORY}
    if network:
        # the wizard would call the function at every keystroke, with half-typed ids
        options["call_in_wizard"] = False
        if _ASYNC:
            options["async_mode"] = "threading"
    if volatile:
        options["volatile"] = True
    return _xw_func(**options)(fn)  # type: ignore[no-any-return]


def _udf(
    arg_docs: Mapping[str, str], *, network: bool = True, volatile: bool = False
) -> Callable[[F], F]:
    """Decorator for a hand-written worksheet function (its own signature and docstring)."""

    def wrap(impl: F) -> F:
        sig = inspect.signature(impl)
        missing = set(sig.parameters) - set(arg_docs)
        if missing:
            raise TypeError(f"{impl.__name__}: no argument help for {sorted(missing)}")
        call = functools.wraps(impl)(_guarded(impl.__name__, sig, impl, network=network))
        return _register(call, arg_docs, network=network, volatile=volatile)  # type: ignore[return-value]

    return wrap


# ---- service and time zone ----------------------------------------------------------------------


def _service() -> DataService:
    from ecore_xl.data import get_service

    return get_service()


def _fetch(dataset: str, *, layout: str = "long", **filters: Any) -> pd.DataFrame:
    """The data layer's fetch, with the offline toggle applied."""
    return _service().fetch(dataset, layout=layout, offline=_offline_choice(), **filters)  # type: ignore[arg-type]


def _tz() -> str:
    return _service().settings.timezone


# ---- per-dataset functions, generated from the catalogue ------------------------------------

#: VBA keywords and the names the xlwings wrapper uses itself: never an argument name
_VBA_WORDS = """
    Access AddressOf Alias And Any Append Array As Attribute Base Binary Boolean ByRef Byte
    ByVal Call Case CDecl Circle Close Compare Const Currency Date Debug Decimal Declare
    DefBool DefByte DefCur DefDate DefDbl DefDec DefInt DefLng DefLngLng DefLngPtr DefObj
    DefSng DefStr DefVar Dim Do DoEvents Double Each Else ElseIf Empty End EndIf Enum Eqv Erase
    Error Event Exit Explicit False For Friend Function Get Global GoSub GoTo If Imp Implements
    In Input Integer Is Len Let Lib Like Line Load Local Lock Long LongLong LongPtr Loop LSet
    Me Mid Mod Module Name New Next Not Nothing Null Object On Open Option Optional Or Output
    ParamArray Preserve Print Private Property PtrSafe Public Put RaiseEvent Random Read ReDim
    Rem Reset Resume Return RSet Scale Seek Select Set Shared Single Spc Static Step Stop
    String Sub Tab Text Then Time To True Type TypeOf Unload Until Variant Wend While Width
    With WithEvents Write Xor argsArray k failed
"""
_VBA_RESERVED = frozenset(_VBA_WORDS.lower().split())
_SPECIAL_NAMES = {"from": "from_date", "to": "to_date", "type": "value_type"}
_FUNCTION_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,254}$")
_LOOKS_LIKE_CELL = re.compile(r"^[A-Za-z]{1,3}[0-9]+$")
#: the positional arguments where the generic rule is not what users expect
_POSITIONAL = {"volumes": ("meterId", "from", "to", "granularity", "layout")}


def excel_arg_name(filter_name: str) -> str:
    """A filter name as an Excel/VBA argument: ``legalEntityId`` -> ``legal_entity``."""
    if filter_name in _SPECIAL_NAMES:
        return _SPECIAL_NAMES[filter_name]
    snake = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", filter_name)
    snake = re.sub(r"[^A-Za-z0-9_]+", "_", snake).strip("_").lower()
    if snake.endswith("_id") and len(snake) > 3:
        snake = snake[:-3]
    if not snake or not snake[0].isalpha():
        snake = "arg_" + snake
    if snake in _VBA_RESERVED or keyword.iskeyword(snake) or snake.startswith("option"):
        snake += "_value"
    return snake


@dataclass(frozen=True)
class _Param:
    """One positional argument of a dataset function and the filter (or ``layout``) it sets."""

    name: str
    target: str
    doc: str


def _filter_doc(f: Filter, one_of: Sequence[str] = ()) -> str:
    first = f.doc.rstrip(".") if f.doc else f.name
    parts = [first[:1].upper() + first[1:]]
    if f.allowed:
        parts.append("one of " + ", ".join(f.allowed))
    if f.type == "date":
        parts.append("a date, 2026-03-01 or a date-time with offset")
    if f.type in ("list", "id"):
        parts.append("a range or comma list for several")
    if f.required:
        parts.append("required")
    elif f.name in one_of:
        others = " or ".join(n for n in one_of if n != f.name)
        parts.append(f"give this, or {others}=... as an option")
    elif f.default:
        parts.append(f"empty: {f.default}")
    else:
        parts.append("empty: any")
    return _cap("; ".join(parts) + ".")


def _cap(text: str, limit: int = 255) -> str:
    """Excel's function wizard takes at most 255 characters per description."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _positional(ds: Dataset) -> list[_Param]:
    names = {f.name for f in ds.filters}
    wide = {"start", "value"} <= set(ds.field_names())
    chosen: list[str]
    if ds.name in _POSITIONAL:
        chosen = [n for n in _POSITIONAL[ds.name] if n in names or (n == "layout" and wide)]
    else:
        skip = set(ds.one_of[1:]) if ds.one_of else set()
        chosen = [f.name for f in ds.filters if f.name not in skip][:_MAX_POSITIONAL]
    params: list[_Param] = []
    used: set[str] = set()
    for target in chosen:
        if target == "layout":
            name, doc = "layout", "long (a row per interval) or wide (a column per meter)."
        else:
            f = ds.filter(target)
            name, doc = excel_arg_name(f.name), _filter_doc(f, ds.one_of)
        while name in used:
            name += "_2"
        used.add(name)
        params.append(_Param(name, target, _cap(doc)))
    return params


def _option_doc(ds: Dataset, params: Sequence[_Param]) -> str:
    others = [f.name for f in ds.filters if f.name not in {p.target for p in params}]
    extra = f" Other filters: {', '.join(others)}." if others else ""
    return _cap(
        'Option as "key=value" (several: "a=1; b=2", or a range), e.g. header=FALSE or '
        f"columns=id,name.{extra}"
    )


def _dataset_doc(ds: Dataset) -> str:
    return _cap(
        f"{ds.description.rstrip('.')}: a table (header + one row per record) that spills. "
        'Filters as arguments or "key=value" options; empty arguments use the defaults.'
    )


def _what(ds: Dataset) -> str:
    return ds.name.replace("-", " ").replace("_", " ")


def _call_dataset(
    ds_name: str, what: str, params: Sequence[_Param], values: Mapping[str, Any]
) -> Any:
    """The body of every generated dataset function."""
    filters: dict[str, Any] = {}
    layout: Any = None
    for p in params:
        value = _a.split_cells(_a.clean(values[p.name]))
        if value is None:
            continue
        if p.target == "layout":
            layout = value
        else:
            filters[p.target] = value
    aliases = {p.name: p.target for p in params if p.target != "layout"}
    options = _a.rename_keys(
        _a.parse_options(values[f"option{i}"] for i in range(1, OPTION_SLOTS + 1)), aliases
    )
    header = True
    columns: list[str] | None = None
    for key, value in options.items():
        fold = key.lower().replace("_", "")
        if fold == "header":
            header = _a.parse_bool("header", value, True)
        elif fold == "columns":
            columns = _a.parse_ids(value) or None
        elif fold == "layout":
            if layout is not None:
                raise UsageError("layout is given twice: give it once.")
            layout = value
        elif fold in _RESERVED_OPTIONS:
            raise UsageError(
                f"Option {key!r} is not available in formulas: the cache decides when to "
                "ask the API (use the Refresh button or ecore-xl fetch for fresh data)."
            )
        else:
            if key in filters:
                raise InvalidFilterError(f"{key} is given twice: give it once.", parameter=key)
            filters[key] = value
    df = _fetch(ds_name, layout=str(layout or "long"), **filters)
    return _r.frame_to_rows(df, tz=_tz(), header=header, columns=columns, what=what)


def _make_dataset_udf(ds: Dataset) -> Callable[..., Any]:
    params = _positional(ds)
    option_names = [f"option{i}" for i in range(1, OPTION_SLOTS + 1)]
    sig = inspect.Signature(
        [
            inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None)
            for n in [p.name for p in params] + option_names
        ]
    )
    name = ds.function
    ds_name, what = ds.name, _what(ds)
    names = list(sig.parameters)

    def impl(*values: Any) -> Any:
        return _call_dataset(ds_name, what, params, dict(zip(names, values, strict=True)))

    udf = _guarded(name, sig, impl)
    udf.__name__ = udf.__qualname__ = name
    udf.__doc__ = _dataset_doc(ds)
    udf.__module__ = __name__
    udf.__signature__ = sig  # type: ignore[attr-defined]
    docs = {p.name: p.doc for p in params}
    docs.update({o: _option_doc(ds, params) for o in option_names})
    return _register(udf, docs, network=True)


# ---- hand-written functions -----------------------------------------------------------------
# No type hints on worksheet functions: xlwings reads them as converters (``convert=Any`` would
# break its conversion pipeline). Every argument defaults to None, so Excel never answers a bare
# #VALUE! for an omitted one: the function names what is missing.

_DATE_DOC = "an Excel date, 2026-03-01, or a date-time with offset"


def _split_kind(ident: str) -> tuple[str | None, str]:
    head, sep, rest = ident.partition(":")
    if sep and head.strip().lower() in ("meter", "contract"):
        return head.strip().lower(), rest.strip()
    return None, ident


def _contract_ids() -> set[str]:
    """Contract ids (one cached request); empty when offline and not cached."""
    try:
        df = _fetch("contracts")
    except OfflineError:
        return set()
    return set(df["id"].astype(str)) if "id" in df.columns else set()


def _auto_granularity(from_date: Any, to_date: Any) -> str:
    from ecore_xl.data.filters import parse_date_value

    if _a.is_empty(from_date) or _a.is_empty(to_date):
        return "hour"  # the data layer names the missing one
    tz = _tz()
    kinds = [parse_date_value(n, v, tz=tz) for n, v in (("from", from_date), ("to", to_date))]
    if all(not isinstance(k, dt.datetime) for k in kinds):
        return "day"
    if all(k.minute == 0 for k in kinds if isinstance(k, dt.datetime)):
        return "hour"
    return "quarterhour"


def _energy_sum(df: pd.DataFrame) -> float:
    if df.empty:
        return 0.0
    values = df["value"].astype("float64")
    if "unit" in df.columns:
        units = df["unit"].fillna("MWh").astype(str).str.strip().str.lower()
        unknown = sorted(set(units) - set(_ENERGY_UNITS))
        if unknown:
            raise UsageError(f"Volumes come in unit {unknown[0]!r}, which is not an energy unit.")
        values = values * units.map(_ENERGY_UNITS).astype("float64")
    return float(values.sum())


@_udf(
    {
        "meter_or_contract": "Meter id or contract id (or a range of several, summed); "
        'prefix "meter:" or "contract:" to say which.',
        "from_date": f"Start, inclusive: {_DATE_DOC}.",
        "to_date": f"End, exclusive: {_DATE_DOC}.",
        "option1": 'Option as "key=value": type=forecast (default actual).',
        "option2": 'Option as "key=value": type=forecast (default actual).',
    }
)
def ECORE_VOLUME_TOTAL(
    meter_or_contract=None, from_date=None, to_date=None, option1=None, option2=None
):
    """Total energy in MWh of meters or contracts in [from, to) (actuals unless type=forecast)."""
    ids = _a.parse_ids(meter_or_contract)
    if not ids:
        raise InvalidFilterError(
            "meter_or_contract is missing: give a meter or contract id.", parameter="meterId"
        )
    options = _a.parse_options([option1, option2])
    extra: dict[str, Any] = {}
    for key, value in options.items():
        fold = key.lower().replace("_", "")
        if fold not in ("type", "valuetype", "granularity"):
            raise UsageError(f"Option {key!r} is not known here: use type=actual or type=forecast.")
        extra["granularity" if fold == "granularity" else "type"] = value
    extra.setdefault("granularity", _auto_granularity(from_date, to_date))
    meters: list[str] = []
    contracts: list[str] = []
    known_contracts: set[str] | None = None
    for ident in ids:
        kind, ident = _split_kind(ident)
        if kind is None:
            if known_contracts is None:
                known_contracts = _contract_ids()
            kind = "contract" if ident in known_contracts else "meter"
        (contracts if kind == "contract" else meters).append(ident)
    total = 0.0
    for key, group in (("meterId", meters), ("contractId", contracts)):
        if group:
            df = _fetch("volumes", **{key: group, "from": from_date, "to": to_date}, **extra)
            total += _energy_sum(df)
    return total


_PERIOD_DOC = (
    "A month (2026-10, or an Excel date in it), a quarter (2026-Q4, Q4-26) or a year (2026)."
)


def _positions(portfolio: Any, period: Any) -> tuple[pd.DataFrame, _a.Period, str]:
    ids = _a.parse_ids(portfolio)
    if len(ids) != 1:
        raise InvalidFilterError(
            "portfolio must be one portfolio id." if ids else "portfolio is missing.",
            parameter="portfolioId",
        )
    p = _a.parse_period(period)
    df = _fetch(
        "positions",
        portfolioId=ids[0],
        granularity=p.granularity,
        **{"from": p.start, "to": p.end},
    )
    if df.empty:
        raise UsageError(f"No position for portfolio {ids[0]} in {p.label}.")
    return df, p, ids[0]


def _number(df: pd.DataFrame, column: str) -> float:
    if column not in df.columns:
        raise UsageError(f"The positions have no {column!r} field: check the catalogue.")
    value = _r.number_or_none(df[column].astype("float64").sum(min_count=1))
    if value is None:
        raise UsageError(f"The positions give no {column} for this period.")
    return value


@_udf({"portfolio": "Portfolio id.", "period": _PERIOD_DOC})
def ECORE_HEDGE_RATIO(portfolio=None, period=None):
    """Hedged share of the forecast volume of a portfolio in a month, quarter or year (0 to 1)."""
    df, _, _ = _positions(portfolio, period)
    if len(df) == 1 and "hedgeRatio" in df.columns:
        value = _r.number_or_none(df["hedgeRatio"].iloc[0])
        if value is not None:
            return value
    forecast = _number(df, "forecastVolumeMWh")
    if forecast == 0:
        raise UsageError("The forecast volume is zero in this period: no hedge ratio.")
    return _number(df, "hedgedVolumeMWh") / forecast


@_udf({"portfolio": "Portfolio id.", "period": _PERIOD_DOC})
def ECORE_OPEN_POSITION(portfolio=None, period=None):
    """Open (unhedged) volume in MWh of a portfolio in a month, quarter or year."""
    df, _, _ = _positions(portfolio, period)
    return _number(df, "openVolumeMWh")


_GET_PARAMS_DOC = 'Query parameter as "key=value" (several: "a=1; b=2", or a range).'


@_udf(
    {
        "path": "API path below the base URL, e.g. /contracts or /invoices/INV-000001.",
        "params": _GET_PARAMS_DOC,
    }
)
def ECORE_GET(path, *params):  # path has no default: VBA cannot mix Optional and ParamArray
    """Any GET endpoint of the eCore API as a table; a path of the catalogue uses its filters."""
    text = _a.clean(path)
    if not isinstance(text, str) or not text.strip("/ "):
        raise UsageError('path is missing: give an API path such as "/contracts".')
    text, _, query_text = text.partition("?")
    options = _a.parse_options([*params, query_text.replace("&", ";")])
    if not text.startswith("/"):
        text = "/" + text
    catalogue = _service().catalogue
    found = _match_path(catalogue, text)
    if found is not None:
        ds, path_values = found
        filters = {**options, **path_values}
        df = _fetch(ds.name, **filters)
        return _r.frame_to_rows(df, tz=_tz(), what=_what(ds))
    return _get_raw(catalogue, text, {k: str(v) for k, v in options.items()})


def _match_path(catalogue: Catalogue, path: str) -> tuple[Dataset, dict[str, str]] | None:
    """The dataset whose path template matches ``path`` (and its placeholder values)."""
    from urllib.parse import unquote

    for ds in catalogue:
        if ds.parent:
            continue
        pattern = re.escape(ds.path)
        for name in ds.path_params():
            pattern = pattern.replace(re.escape("{" + name + "}"), f"(?P<{_group(name)}>[^/]+)")
        m = re.fullmatch(pattern, path.rstrip("/") or "/")
        if m:
            values = {name: unquote(m[_group(name)]) for name in ds.path_params()}
            return ds, values
    return None


def _group(name: str) -> str:
    return "g_" + re.sub(r"\W", "_", name)


def _get_raw(catalogue: Catalogue, path: str, query: dict[str, str]) -> Any:
    """A path the catalogue does not know: one record (``/contracts/C-1``) or a collection.

    Goes through the data layer's cache (shared TTL and coalescing), and in offline mode only
    answers from it.
    """
    from ecore_xl.catalogue import Dataset as _Dataset
    from ecore_xl.data.frames import records_to_frame

    svc = _service()
    parent = None
    head, _, tail = path.rstrip("/").rpartition("/")
    for ds in catalogue:
        if not ds.parent and not ds.path_params() and ds.path == head and tail and ds.key:
            parent = ds
    key = ("ECORE_GET", path, tuple(sorted(query.items())))
    offline = _offline_choice()
    if offline if offline is not None else svc.settings.offline:
        records = svc.cache.peek(key, allow_stale=True)
        if records is None:
            raise OfflineError(f"Offline: {path} is not in the cache. Go online and recalculate.")
    elif parent is not None:
        records = svc.cache.get_or_load(
            key, lambda: [svc.client.get_json(path, query or None)], ttl=svc.settings.cache_ttl
        )
    else:
        records = svc.cache.get_or_load(
            key, lambda: svc.client.get_all(path, query or None), ttl=svc.settings.cache_ttl
        )
    shape = parent or _Dataset(
        name="get", path=path, description="", filters=(), fields=(), key=None,
        sheet="Get", table="tblGet", function="ECORE_GET",
    )  # fmt: skip
    df = records_to_frame(shape, records, tz=svc.settings.timezone)
    return _r.frame_to_rows(df, tz=svc.settings.timezone, what="records")


# ---- status ----------------------------------------------------------------------------------


def _local_time(iso_utc: str | None, tz: str) -> dt.datetime | None:
    if not iso_utc:
        return None
    from zoneinfo import ZoneInfo

    when = dt.datetime.fromisoformat(iso_utc.replace("Z", "+00:00"))
    return when.astimezone(ZoneInfo(tz)).replace(tzinfo=None)


def status_rows() -> list[list[Any]]:
    """What ECORE_STATUS shows, as (item, value) rows; never calls the API."""
    import ecore_xl

    rows: list[list[Any]] = [["item", "value"], ["ecore_xl version", ecore_xl.__version__]]
    offline = is_offline()
    choice = _offline_choice()
    source = "ribbon toggle" if choice is not None else "ECORE_OFFLINE"
    try:
        svc = _service()
        st = svc.status()
        settings = svc.settings
    except EcoreError as exc:
        rows += [["connection", f"settings error: {exc.message}"], ["offline mode", offline]]
        return rows
    client = st.get("client") or {}
    last_error = client.get("last_error")
    missing = [n for n in ("token_url", "client_id", "client_secret", "scope", "subscription_key")
               if not getattr(settings, n)]  # fmt: skip
    if offline:
        connection = "offline: cache and snapshots only"
    elif missing:
        connection = f"not configured: ECORE_{missing[0].upper()} is missing"
    elif not client:
        connection = "not connected yet (connects at the first formula)"
    elif (client.get("token_seconds_left") or 0) > 0:
        connection = "connected (token valid)"
    else:
        connection = "connected (a new token is fetched at the next request)"
    cache = st.get("cache") or {}
    udf_error = f"{_last_error[1]}: {_last_error[2]}" if _last_error else None
    rows += [
        ["connection", connection],
        ["base URL", st.get("base_url")],
        ["token expires", _local_time(client.get("token_expires_at"), settings.timezone)],
        ["cache entries", cache.get("entries", 0)],
        ["cache hits", cache.get("hits", 0)],
        ["cache misses", cache.get("misses", 0)],
        ["API loads", cache.get("loads", 0)],
        ["offline mode", offline],
        ["offline set by", source],
        ["last error", last_error or udf_error],
        ["time zone", settings.timezone],
        ["log file", str(log_path())],
    ]
    return [[_r.cell_value(v, _zone(settings.timezone)) for v in row] for row in rows]


def _zone(tz: str) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(tz)


@_udf({}, network=False, volatile=True)
def ECORE_STATUS():
    """Connection, token expiry, cache entries and hits, offline mode, last error; no API call."""
    return status_rows()


# ---- generation at import --------------------------------------------------------------------

_HAND_WRITTEN = ("ECORE_GET", "ECORE_HEDGE_RATIO", "ECORE_OPEN_POSITION", "ECORE_STATUS",
                 "ECORE_VOLUME_TOTAL")  # fmt: skip


def _import_catalogue() -> Catalogue:
    """The catalogue the functions are generated from; the built-in one if the user's is broken."""
    from ecore_xl.catalogue import builtin_catalogue, load_catalogue

    try:
        from ecore_xl.config import Settings

        path = Settings.load(use_keyring=False).catalogue
    except Exception:
        path = None
    try:
        return load_catalogue(path)
    except Exception as exc:
        configure_logging()
        logger.error("catalogue not loaded, functions built from the built-in one: %s", exc)
        return builtin_catalogue()


def _generate(catalogue: Catalogue) -> dict[str, Callable[..., Any]]:
    made: dict[str, Callable[..., Any]] = {}
    for ds in catalogue:
        name = ds.function
        problem = None
        if not _FUNCTION_NAME.match(name) or _LOOKS_LIKE_CELL.match(name):
            problem = "is not a valid Excel function name"
        elif name in _HAND_WRITTEN or name in made or name.lower() in _VBA_RESERVED:
            problem = "is taken"
        if problem:
            configure_logging()
            logger.error("dataset %s: function %r %s; skipped", ds.name, name, problem)
            continue
        made[name] = _make_dataset_udf(ds)
    return made


_generated = _generate(_import_catalogue())
globals().update(_generated)
__all__ += sorted(_generated)


def udf_names() -> list[str]:
    """Every worksheet function of this module, sorted."""
    return sorted([*_HAND_WRITTEN, *_generated])


def function_reference() -> str:
    """Markdown reference of every function (``docs/excel-formulas.md`` embeds it)."""
    lines: list[str] = []
    for name in udf_names():
        fn = globals()[name]
        params = list(inspect.signature(fn).parameters.values())
        options = [p.name for p in params if re.fullmatch(r"option\d+", p.name)]
        slot = f"option1..option{len(options)}" if len(options) > 1 else "option1"
        shown = []
        for p in params:
            if p.kind is inspect.Parameter.VAR_POSITIONAL:
                shown.append(f"[{p.name}...]")
            elif p.name in options[1:]:
                continue
            else:
                label = slot if p.name in options else p.name
                shown.append(f"[{label}]" if p.default is None else label)
        lines += [f"### {name}({', '.join(shown)})", "", fn.__doc__ or "", ""]
        docs: dict[str, str] = fn.__ecore_args__
        for arg, doc in docs.items():
            if arg not in options[1:]:
                lines.append(f"- `{slot if arg in options else arg}`: {doc}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
