"""What each worksheet function computes, over the data layer: a table (a frame) or a number.

Both faces call these with the values Excel handed over (:mod:`.args` tidies them) and shape the
answer themselves: the xlwings UDFs as a spilled 2-D list with ``#ECORE!`` texts for errors
(:mod:`ecore_xl.excel.udfs`), the Office.js functions as JSON with real Excel errors
(:mod:`ecore_xl.serve`). Errors are raised from the tree in :mod:`ecore_xl.errors`.

* **No recalculation storms**: all data goes through the data layer's TTL cache, which also
  coalesces identical concurrent calls; an API failure of one call (same function, same
  arguments) is remembered for :data:`ERROR_TTL` seconds in the same cache
  (:func:`peek_failure` / :func:`remember_failure`): a sheet of 1,000 cells with an unknown id
  asks the API once, not 1,000 times (the data cache only keeps successes).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from ecore_xl.catalogue.computed import CONTRACTS, POSITIONS, VOLUMES, require
from ecore_xl.data.service import NotCached
from ecore_xl.errors import ApiError, InvalidFilterError, OfflineError, UsageError
from ecore_xl.formulas import args as _a
from ecore_xl.formulas.signatures import LAYOUT, OPTION_SLOTS, Param, what

if TYPE_CHECKING:
    import pandas as pd

    from ecore_xl.catalogue import Catalogue, Dataset
    from ecore_xl.data import DataService

__all__ = [
    "ERROR_TTL",
    "Caller",
    "NotCached",
    "Table",
    "cached_only",
    "dataset_answer",
    "dataset_table",
    "get_table",
    "hedge_ratio",
    "no_rows_text",
    "number_or_none",
    "open_position",
    "peek_failure",
    "pick_columns",
    "remember_failure",
    "volume_total",
]

#: seconds an API failure of one call (same function, same arguments) is answered from memory
ERROR_TTL = 30.0
#: keyword arguments of ``DataService.fetch``: never let an option reach them as a filter
_RESERVED_OPTIONS = {"refresh", "offline", "snapshotdir", "progress", "dataset"}
T = TypeVar("T")
#: the unit the totals and positions answer in
_ENERGY = "MWh"


#: inside :func:`cached_only`: answer from the cache or raise NotCached, never ask the API
_CACHED_ONLY: ContextVar[bool] = ContextVar("ecore_cached_only", default=False)


@contextmanager
def cached_only() -> Iterator[None]:
    """Within it, a function that would need a request raises
    :class:`~ecore_xl.data.service.NotCached` instead (a face's warm path: no thread, no
    deadline, for an answer the cache holds)."""
    token = _CACHED_ONLY.set(True)
    try:
        yield
    finally:
        _CACHED_ONLY.reset(token)


@dataclass(frozen=True)
class Caller:
    """The data service a function asks, and its offline choice (None: the settings decide)."""

    service: DataService
    offline: bool | None = None

    def fetch(self, dataset: str, *, layout: str = "long", **filters: Any) -> pd.DataFrame:
        return self.service.fetch(
            dataset, layout=layout, offline=self.offline, cached_only=_CACHED_ONLY.get(),  # type: ignore[arg-type]
            **filters,
        )  # fmt: skip

    def answer(
        self, dataset: str, make: Callable[[pd.DataFrame], T], shape: Hashable, *,
        layout: str = "long", **filters: Any,
    ) -> T:  # fmt: skip
        """``make(frame)``, kept with the cached result (:meth:`DataService.fetch_answer`)."""
        return self.service.fetch_answer(
            dataset, make, shape=shape, layout=layout, offline=self.offline,  # type: ignore[arg-type]
            cached_only=_CACHED_ONLY.get(), **filters,
        )  # fmt: skip

    @property
    def tz(self) -> str:
        return self.service.settings.timezone

    @property
    def is_offline(self) -> bool:
        return self.service.settings.offline if self.offline is None else self.offline


@dataclass(frozen=True)
class Table:
    """A table answer: the frame, and how the formula asked to show it."""

    frame: pd.DataFrame
    header: bool = True
    columns: list[str] | None = None
    what: str = "rows"

    def picked(self) -> pd.DataFrame:
        """The frame with only the ``columns`` asked for (all when none)."""
        return pick_columns(self.frame, self.columns)


def pick_columns(df: pd.DataFrame, columns: Sequence[str] | None) -> pd.DataFrame:
    """``columns`` of ``df`` in that order (case-insensitive); an unknown one is a UsageError
    listing the known ones."""
    if not columns:
        return df
    by_fold = {str(c).lower(): c for c in df.columns}
    chosen = []
    for name in columns:
        col = by_fold.get(name.strip().lower())
        if col is None:
            known = ", ".join(str(c) for c in df.columns)
            raise UsageError(f"Column {name!r} is not in the result: columns are {known}.")
        chosen.append(col)
    return df[chosen]


def no_rows_text(what: str) -> str:
    """The answer when a query matches nothing (``No contracts for these arguments.``)."""
    return f"No {what} for these arguments."


def number_or_none(value: Any) -> float | None:
    """A plain float for Excel, or None for a missing number."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number


# ---- remembered failures --------------------------------------------------------------------


def _failure_key(key: Hashable) -> tuple[Any, ...]:
    return ("ECORE_FUNCTION_ERROR", key)


def peek_failure(service: DataService, key: Hashable) -> ApiError | None:
    """The API failure remembered for this call, if any (never raises)."""
    try:
        found = service.cache.peek(_failure_key(key))
    except Exception:  # no service (broken settings): nothing cached either
        return None
    return found if isinstance(found, ApiError) else None


def remember_failure(service: DataService, key: Hashable, exc: ApiError) -> None:
    """Answer this call with ``exc`` for :data:`ERROR_TTL` seconds (at most the cache TTL)."""
    try:
        ttl = min(ERROR_TTL, service.settings.cache_ttl)
        service.cache.put(_failure_key(key), exc, ttl=ttl)
    except Exception:
        pass


# ---- dataset functions ----------------------------------------------------------------------


def dataset_table(
    caller: Caller, ds_name: str, params: Sequence[Param], values: Mapping[str, Any]
) -> Table:
    """The body of every generated dataset function: positional filters, ``optionN`` texts."""
    filters, layout, header, columns = _dataset_query(params, values)
    df = caller.fetch(ds_name, layout=layout, **filters)
    ds = caller.service.dataset(ds_name)
    return Table(df, header=header, columns=columns, what=what(ds))


def dataset_answer(
    caller: Caller,
    ds_name: str,
    params: Sequence[Param],
    values: Mapping[str, Any],
    make: Callable[[Table], T],
    face: str,
) -> T:
    """``make`` of :func:`dataset_table`'s table, kept with the cached result: a warm call of
    the same question costs the argument parsing and a dictionary lookup. ``face`` names the
    face (its answers differ)."""
    filters, layout, header, columns = _dataset_query(params, values)
    label = what(caller.service.dataset(ds_name))
    shape = (face, header, tuple(columns or ()))
    return caller.answer(
        ds_name,
        lambda df: make(Table(df, header=header, columns=columns, what=label)),
        shape,
        layout=layout,
        **filters,
    )


def _dataset_query(
    params: Sequence[Param], values: Mapping[str, Any]
) -> tuple[dict[str, Any], str, bool, list[str] | None]:
    """A dataset function's filters, layout, header and columns from Excel's values."""
    filters: dict[str, Any] = {}
    layout: Any = None
    for p in params:
        if p.target is None:
            continue
        value = _a.split_cells(_a.clean(values.get(p.name)))
        if value is None:
            continue
        if p.target == LAYOUT:
            layout = value
        else:
            filters[p.target] = value
    aliases = {p.name: p.target for p in params if p.target not in (None, LAYOUT)}
    options = _a.rename_keys(
        _a.parse_options(values.get(f"option{i}") for i in range(1, OPTION_SLOTS + 1)),
        aliases,  # type: ignore[arg-type]
    )
    header = True
    columns: list[str] | None = None
    for key, value in options.items():
        fold = key.lower().replace("_", "")
        if fold == "header":
            header = _a.parse_bool("header", value, True)
        elif fold == "columns":
            columns = _a.parse_ids(value) or None
        elif fold == LAYOUT:
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
    return filters, str(layout or "long"), header, columns


# ---- volume total ---------------------------------------------------------------------------


def _split_kind(ident: str) -> tuple[str | None, str]:
    head, sep, rest = ident.partition(":")
    if sep and head.strip().lower() in ("meter", "contract"):
        return head.strip().lower(), rest.strip()
    return None, ident


def _contract_ids(caller: Caller) -> set[str]:
    """Contract ids (one cached request); empty when offline and not cached."""
    ds = require(caller.service.catalogue, CONTRACTS, by="ECORE_VOLUME_TOTAL")
    try:
        df = caller.fetch(ds.name)
    except OfflineError:
        return set()
    key = ds.key or "id"
    return set(df[key].astype(str)) if key in df.columns else set()


def _auto_granularity(caller: Caller, from_date: Any, to_date: Any) -> str:
    from ecore_xl.data.filters import parse_date_value

    if _a.is_empty(from_date) or _a.is_empty(to_date):
        return "hour"  # the data layer names the missing one
    tz = caller.tz
    kinds = [parse_date_value(n, v, tz=tz) for n, v in (("from", from_date), ("to", to_date))]
    if all(not isinstance(k, dt.datetime) for k in kinds):
        return "day"
    if all(k.minute == 0 for k in kinds if isinstance(k, dt.datetime)):
        return "hour"
    return "quarterhour"


def in_mwh(df: pd.DataFrame, ds: Dataset, column: str) -> pd.Series:
    """``df[column]`` in MWh: the unit the data layer gave the column (the frame says it), else
    the catalogue's; a column of no energy unit is a UsageError naming the declaration."""
    from ecore_xl.catalogue.units import conversion
    from ecore_xl.data.provenance import column_unit

    declared = ds.field(column)
    unit = column_unit(df, column) or (declared.unit if declared else None)
    factor = conversion(unit, _ENERGY) if unit else None
    if factor is None:
        said = f"is in {unit}" if unit else "declares no unit"
        raise UsageError(
            f"{ds.name}.{column} {said}, not energy: declare "
            f'{{"name": "{column}", "unit": "{_ENERGY}"}} in datasets.{ds.name}.fields.'
        )
    said_by = declared.unit_field if declared else None
    if said_by and said_by in df.columns:  # the records' own unit column must agree
        for text in df[said_by].dropna().astype(str).unique():
            if conversion(text, unit) != 1:
                raise UsageError(
                    f"{ds.name}: a record's {said_by} is {text[:40]!r}, not {unit}: the values "
                    f"cannot be summed (datasets.{ds.name}.fields {column}.unit_field)."
                )
    values = df[column].astype("float64")
    return values if factor == 1 else values * float(factor)


def volume_total(
    caller: Caller,
    meter_or_contract: Any = None,
    from_date: Any = None,
    to_date: Any = None,
    option1: Any = None,
    option2: Any = None,
) -> float:
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
    extra.setdefault("granularity", _auto_granularity(caller, from_date, to_date))
    meters: list[str] = []
    contracts: list[str] = []
    known_contracts: set[str] | None = None
    for ident in ids:
        kind, ident = _split_kind(ident)
        if kind is None:
            if known_contracts is None:
                known_contracts = _contract_ids(caller)
            kind = "contract" if ident in known_contracts else "meter"
        (contracts if kind == "contract" else meters).append(ident)
    ds = require(
        caller.service.catalogue, VOLUMES, fields=["value"],
        filters=["meterId", "from", "to", "granularity"], by="ECORE_VOLUME_TOTAL",
    )  # fmt: skip
    has_contracts = any(f.name == "contractId" for f in ds.filters)
    if contracts and not has_contracts:
        raise InvalidFilterError(
            f"ECORE_VOLUME_TOTAL: the API's volumes take no contract (datasets.{ds.name} has no "
            f"contractId filter): give the meters of {contracts[0]} instead (its meterIds).",
            parameter="contractId",
        )
    total = 0.0
    for key, group in (("meterId", meters), ("contractId", contracts)):
        if group:
            df = caller.fetch(ds.name, **{key: group, "from": from_date, "to": to_date}, **extra)
            total += float(in_mwh(df, ds, "value").sum()) if len(df) else 0.0
    return total


# ---- positions ------------------------------------------------------------------------------


def _positions(caller: Caller, portfolio: Any, period: Any) -> tuple[Dataset, pd.DataFrame]:
    ids = _a.parse_ids(portfolio)
    if len(ids) != 1:
        raise InvalidFilterError(
            "portfolio must be one portfolio id." if ids else "portfolio is missing.",
            parameter="portfolioId",
        )
    p = _a.parse_period(period)
    ds = require(
        caller.service.catalogue, POSITIONS, filters=["portfolioId", "granularity", "from", "to"],
        by="ECORE_HEDGE_RATIO and ECORE_OPEN_POSITION",
    )  # fmt: skip
    df = caller.fetch(
        ds.name,
        portfolioId=ids[0],
        granularity=p.granularity,
        **{"from": p.start, "to": p.end},
    )
    if df.empty:
        raise UsageError(f"No position for portfolio {ids[0]} in {p.label}.")
    return ds, df


def _mwh(ds: Dataset, df: pd.DataFrame, column: str) -> float:
    """The sum of an energy column of the positions, in MWh."""
    if column not in df.columns:
        raise UsageError(f"The positions have no {column!r} field: check the catalogue.")
    value = number_or_none(in_mwh(df, ds, column).sum(min_count=1))
    if value is None:
        raise UsageError(f"The positions give no {column} for this period.")
    return value


def hedge_ratio(caller: Caller, portfolio: Any = None, period: Any = None) -> float:
    """Hedged share of the forecast volume of a portfolio in a month, quarter or year (0 to 1)."""
    ds, df = _positions(caller, portfolio, period)
    if len(df) == 1 and "hedgeRatio" in df.columns:
        value = number_or_none(df["hedgeRatio"].iloc[0])
        if value is not None:
            return value
    forecast = _mwh(ds, df, "forecastVolumeMWh")
    if forecast == 0:
        raise UsageError("The forecast volume is zero in this period: no hedge ratio.")
    return _mwh(ds, df, "hedgedVolumeMWh") / forecast


def open_position(caller: Caller, portfolio: Any = None, period: Any = None) -> float:
    """Open (unhedged) volume in MWh of a portfolio in a month, quarter or year."""
    return _mwh(*_positions(caller, portfolio, period), "openVolumeMWh")


# ---- any GET --------------------------------------------------------------------------------


def get_table(caller: Caller, path: Any, params: Sequence[Any]) -> Table:
    """Any GET endpoint as a table; a path of the catalogue uses its dataset and filters."""
    text = _a.clean(path)
    if not isinstance(text, str) or not text.strip("/ "):
        raise UsageError('path is missing: give an API path such as "/contracts".')
    text, _, query_text = text.partition("?")
    options = _a.parse_options([*params, query_text.replace("&", ";")])
    if not text.startswith("/"):
        text = "/" + text
    catalogue = caller.service.catalogue
    found = _match_path(catalogue, text)
    if found is not None:
        ds, path_values = found
        df = caller.fetch(ds.name, **{**options, **path_values})
        return Table(df, what=what(ds))
    return _get_raw(caller, catalogue, text, {k: str(v) for k, v in options.items()})


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


def _get_raw(caller: Caller, catalogue: Catalogue, path: str, query: dict[str, str]) -> Table:
    """A path the catalogue does not know: one record (``/contracts/C-1``) or a collection.

    Goes through the data layer's cache (shared TTL and coalescing), and in offline mode only
    answers from it.
    """
    from ecore_xl.catalogue import Dataset as _Dataset
    from ecore_xl.data.frames import records_to_frame

    svc = caller.service
    parent = None
    head, _, tail = path.rstrip("/").rpartition("/")
    for ds in catalogue:
        if not ds.parent and not ds.path_params() and ds.path == head and tail and ds.key:
            parent = ds
    key = ("ECORE_GET", path, tuple(sorted(query.items())))
    if caller.is_offline:
        records = svc.cache.peek(key, allow_stale=True)
        if records is None:
            raise OfflineError(f"Offline: {path} is not in the cache. Go online and recalculate.")
    elif _CACHED_ONLY.get():
        records = svc.cache.peek(key)
        if records is None:
            raise NotCached(path)
    elif parent is not None:
        dialect = parent.dialect  # one record, unwrapped as the catalogue declares
        records = svc.cache.get_or_load(
            key,
            lambda: [svc.client.get_record(path, query or None, dialect=dialect)],
            ttl=svc.settings.cache_ttl,
        )
    else:
        records = svc.cache.get_or_load(
            key,
            lambda: svc.client.get_all(path, query or None, dialect=catalogue.dialect),
            ttl=svc.settings.cache_ttl,
        )
    shape = parent or _Dataset(
        name="get", path=path, description="", filters=(), fields=(), key=None,
        sheet="Get", table="tblGet", function="ECORE_GET",
    )  # fmt: skip
    return Table(records_to_frame(shape, records, tz=svc.settings.timezone), what="records")
