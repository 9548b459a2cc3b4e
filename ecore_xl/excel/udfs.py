"""Excel worksheet functions (xlwings UDFs): ``=ECORE_VOLUMES(...)``, ``=ECORE_HEDGE_RATIO(...)``.

Register with the open-source xlwings add-in: *UDF Modules* = ``ecore_xl.excel.udfs``, then
*Import Functions* (see ``docs/excel-formulas.md``). Every function is thin: tidy the arguments
and compute the answer with :mod:`ecore_xl.formulas` (the same signatures, argument rules and
computations as the Office.js functions of ``ecore-xl serve``), over the data layer's process-wide
service (:func:`ecore_xl.data.get_service`); shape it for a cell here (:mod:`.results`).

Decisions (the reasons are in ``docs/excel-formulas.md``):

* **One function per catalogue dataset**, generated at import from the catalogue (a user's
  catalogue file adds its own; :mod:`ecore_xl.formulas.signatures`), each a real function object
  with its own signature, docstring and xlwings metadata. The common filters are positional; the
  rest go in ``option1``..``option4`` as ``"key=value"`` texts. Optional slots instead of
  ``*args`` because VBA, and so xlwings, cannot mix ``Optional`` and ``ParamArray``: with
  ``*args`` every other argument would be mandatory. Only ``ECORE_GET(path, *params)`` keeps a
  ParamArray.
* **Errors** never raise into Excel (the xlwings wrapper would put the traceback text in the
  cell): a cell shows ``#ECORE! <one line>``; the full detail goes to the log file
  (:mod:`.logsetup`). The open-source COM path offers no supported way to return a real Excel
  error value (xlwings issue #776).
* **No recalculation storms**: all data goes through the data layer's TTL cache, which also
  coalesces identical concurrent calls, and an API failure is remembered per call for
  :data:`ERROR_TTL` seconds (:mod:`ecore_xl.formulas.calls`); nothing here keeps data of its own.
* **Synchronous by default.** ``ECORE_ASYNC_UDFS=1`` (read at import) switches the network-bound
  functions to xlwings' ``async_mode="threading"``.
* **Offline**: ``ECORE_OFFLINE=1`` or :func:`set_offline` (the ribbon toggle, kept in
  :mod:`.offline` and re-exported here) answers from cache and snapshots only.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import logging
import os
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any, TypeVar

from ecore_xl.errors import ApiError, EcoreError, FormulaDeadlineError, UsageError
from ecore_xl.excel import results as _r
from ecore_xl.excel.logsetup import configure_logging, log_path, logger
from ecore_xl.excel.offline import is_offline, set_offline
from ecore_xl.excel.offline import offline_choice as _offline_choice
from ecore_xl.formulas import args as _a
from ecore_xl.formulas import calls as _c
from ecore_xl.formulas.calls import ERROR_TTL
from ecore_xl.formulas.signatures import (
    CATEGORY,
    HAND_WRITTEN,
    OPTION_SLOTS,
    FunctionSpec,
    excel_arg_name,
    function_specs,
)
from ecore_xl.formulas.status import status_items

if TYPE_CHECKING:
    from ecore_xl.catalogue import Catalogue
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
    "excel_arg_name",
    "function_reference",
    "is_offline",
    "set_offline",
    "udf_names",
]

F = TypeVar("F", bound=Callable[..., Any])

_ASYNC = os.environ.get("ECORE_ASYNC_UDFS", "").strip().lower() in {"1", "true", "yes", "on"}

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
    return ("xlwings", name, repr(args), repr(sorted(kwargs.items())), _offline_choice())


def _guarded(
    name: str, sig: inspect.Signature, impl: Callable[..., Any], *, network: bool = True
) -> Callable[..., Any]:
    """``impl`` that binds Excel's positional arguments and answers errors as ``#ECORE!`` text.

    An API failure is remembered for :data:`ERROR_TTL` seconds (:func:`~ecore_xl.formulas.calls.
    remember_failure`), keyed by the call's arguments.
    """

    def call(*args: Any, **kwargs: Any) -> Any:
        key = _error_key(name, args, kwargs) if network else None
        if key is not None:
            try:
                svc: DataService | None = _service()
            except Exception:  # broken settings: the call itself reports them
                svc = None
            if svc is not None and (failed := _c.peek_failure(svc, key)) is not None:
                return _r.error_text(failed.message)
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
            try:  # warm: the cache holds the answer, so no thread and no deadline are needed
                with _c.cached_only():
                    return impl(*bound.args, **bound.kwargs)
            except _c.NotCached:
                pass
            return _within_deadline(name, lambda: impl(*bound.args, **bound.kwargs))
        except FormulaDeadlineError as exc:  # the load goes on (and is coalesced): not remembered
            return _report(name, args, exc)
        except ApiError as exc:
            text = _report(name, args, exc)
            if key is not None:
                _c.remember_failure(_service(), key, exc)
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


def _udf(spec: FunctionSpec) -> Callable[[F], F]:
    """Decorator for a hand-written worksheet function: its signature must be the spec's."""

    def wrap(impl: F) -> F:
        sig = inspect.signature(impl)
        if list(sig.parameters) != list(spec.arg_docs):
            raise TypeError(f"{impl.__name__}: arguments differ from its spec {spec.arg_docs}")
        impl.__doc__ = spec.doc
        call = functools.wraps(impl)(_guarded(impl.__name__, sig, impl, network=spec.network))
        return _register(call, spec.arg_docs, network=spec.network, volatile=spec.volatile)  # type: ignore[return-value]

    return wrap


# ---- service ------------------------------------------------------------------------------------


def _service() -> DataService:
    from ecore_xl.data import get_service

    return get_service()


def _caller() -> _c.Caller:
    """The process-wide data service, with the offline toggle applied."""
    return _c.Caller(_service(), _offline_choice())


def _rows(table: _c.Table) -> list[list[Any]]:
    return _r.frame_to_rows(
        table.frame, header=table.header, columns=table.columns, what=table.what
    )


# ---- per-dataset functions, generated from the catalogue ------------------------------------


def _make_dataset_udf(spec: FunctionSpec) -> Callable[..., Any]:
    sig = inspect.Signature(
        [
            inspect.Parameter(p.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None)
            for p in spec.params
        ]
    )
    ds_name, params = spec.dataset or "", spec.params
    names = list(sig.parameters)

    def impl(*values: Any) -> Any:
        given = dict(zip(names, values, strict=True))
        return _c.dataset_answer(_caller(), ds_name, params, given, _rows, "xlwings")

    udf = _guarded(spec.name, sig, impl)
    udf.__name__ = udf.__qualname__ = spec.name
    udf.__doc__ = spec.doc
    udf.__module__ = __name__
    udf.__signature__ = sig  # type: ignore[attr-defined]
    return _register(udf, spec.arg_docs, network=True)


# ---- hand-written functions -----------------------------------------------------------------
# No type hints on worksheet functions: xlwings reads them as converters (``convert=Any`` would
# break its conversion pipeline). Every argument defaults to None, so Excel never answers a bare
# #VALUE! for an omitted one: the function names what is missing. Docstrings and argument help
# come from their specs (:data:`ecore_xl.formulas.signatures.HAND_WRITTEN`).


@_udf(HAND_WRITTEN["ECORE_VOLUME_TOTAL"])
def ECORE_VOLUME_TOTAL(
    meter_or_contract=None, from_date=None, to_date=None, option1=None, option2=None
):
    return _c.volume_total(_caller(), meter_or_contract, from_date, to_date, option1, option2)


@_udf(HAND_WRITTEN["ECORE_HEDGE_RATIO"])
def ECORE_HEDGE_RATIO(portfolio=None, period=None):
    return _c.hedge_ratio(_caller(), portfolio, period)


@_udf(HAND_WRITTEN["ECORE_OPEN_POSITION"])
def ECORE_OPEN_POSITION(portfolio=None, period=None):
    return _c.open_position(_caller(), portfolio, period)


@_udf(HAND_WRITTEN["ECORE_GET"])
def ECORE_GET(path, *params):  # path has no default: VBA cannot mix Optional and ParamArray
    table = _c.get_table(_caller(), path, params)
    return _rows(table)


# ---- status ----------------------------------------------------------------------------------


def status_rows() -> list[list[Any]]:
    """What ECORE_STATUS shows, as (item, value) rows; never calls the API."""
    choice = _offline_choice()
    udf_error = f"{_last_error[1]}: {_last_error[2]}" if _last_error else None
    items = status_items(
        _service,
        offline=is_offline(),
        offline_source="ribbon toggle" if choice is not None else "ECORE_OFFLINE",
        last_error=udf_error,
    )
    if len(items) > 3:  # the settings loaded
        items.append(("log file", str(log_path())))
    import pandas as pd

    frame = pd.DataFrame({"item": [i for i, _ in items], "value": [v for _, v in items]})
    return _r.frame_to_rows(frame.astype(object))


@_udf(HAND_WRITTEN["ECORE_STATUS"])
def ECORE_STATUS():
    return status_rows()


# ---- generation at import --------------------------------------------------------------------


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
    specs = [s for s in function_specs(catalogue) if s.dataset is not None]
    return {spec.name: _make_dataset_udf(spec) for spec in specs}


configure_logging()  # a dataset whose function is skipped says so in the log file
_generated = _generate(_import_catalogue())
globals().update(_generated)
__all__ += sorted(_generated)


def udf_names() -> list[str]:
    """Every worksheet function of this module, sorted."""
    return sorted([*HAND_WRITTEN, *_generated])


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
