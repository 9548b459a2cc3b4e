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
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ecore_xl.errors import ApiError, InvalidFilterError, OfflineError, UsageError
from ecore_xl.formulas import args as _a
from ecore_xl.formulas.signatures import OPTION_SLOTS, Param, what

if TYPE_CHECKING:
    import pandas as pd

    from ecore_xl.catalogue import Catalogue, Dataset
    from ecore_xl.data import DataService

__all__ = [
    "ERROR_TTL",
    "Caller",
    "Table",
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
_ENERGY_UNITS = {"wh": 1e-6, "kwh": 1e-3, "mwh": 1.0, "gwh": 1e3}


@dataclass(frozen=True)
class Caller:
    """The data service a function asks, and its offline choice (None: the settings decide)."""

    service: DataService
    offline: bool | None = None

    def fetch(self, dataset: str, *, layout: str = "long", **filters: Any) -> pd.DataFrame:
        return self.service.fetch(dataset, layout=layout, offline=self.offline, **filters)  # type: ignore[arg-type]

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
    filters: dict[str, Any] = {}
    layout: Any = None
    for p in params:
        if p.target is None:
            continue
        value = _a.split_cells(_a.clean(values.get(p.name)))
        if value is None:
            continue
        if p.target == "layout":
            layout = value
        else:
            filters[p.target] = value
    aliases = {p.name: p.target for p in params if p.target not in (None, "layout")}
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
    df = caller.fetch(ds_name, layout=str(layout or "long"), **filters)
    ds = caller.service.dataset(ds_name)
    return Table(df, header=header, columns=columns, what=what(ds))


# ---- volume total ---------------------------------------------------------------------------


def _split_kind(ident: str) -> tuple[str | None, str]:
    head, sep, rest = ident.partition(":")
    if sep and head.strip().lower() in ("meter", "contract"):
        return head.strip().lower(), rest.strip()
    return None, ident


def _contract_ids(caller: Caller) -> set[str]:
    """Contract ids (one cached request); empty when offline and not cached."""
    try:
        df = caller.fetch("contracts")
    except OfflineError:
        return set()
    return set(df["id"].astype(str)) if "id" in df.columns else set()


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
    total = 0.0
    for key, group in (("meterId", meters), ("contractId", contracts)):
        if group:
            df = caller.fetch("volumes", **{key: group, "from": from_date, "to": to_date}, **extra)
            total += _energy_sum(df)
    return total


# ---- positions ------------------------------------------------------------------------------


def _positions(caller: Caller, portfolio: Any, period: Any) -> pd.DataFrame:
    ids = _a.parse_ids(portfolio)
    if len(ids) != 1:
        raise InvalidFilterError(
            "portfolio must be one portfolio id." if ids else "portfolio is missing.",
            parameter="portfolioId",
        )
    p = _a.parse_period(period)
    df = caller.fetch(
        "positions",
        portfolioId=ids[0],
        granularity=p.granularity,
        **{"from": p.start, "to": p.end},
    )
    if df.empty:
        raise UsageError(f"No position for portfolio {ids[0]} in {p.label}.")
    return df


def _number(df: pd.DataFrame, column: str) -> float:
    if column not in df.columns:
        raise UsageError(f"The positions have no {column!r} field: check the catalogue.")
    value = number_or_none(df[column].astype("float64").sum(min_count=1))
    if value is None:
        raise UsageError(f"The positions give no {column} for this period.")
    return value


def hedge_ratio(caller: Caller, portfolio: Any = None, period: Any = None) -> float:
    """Hedged share of the forecast volume of a portfolio in a month, quarter or year (0 to 1)."""
    df = _positions(caller, portfolio, period)
    if len(df) == 1 and "hedgeRatio" in df.columns:
        value = number_or_none(df["hedgeRatio"].iloc[0])
        if value is not None:
            return value
    forecast = _number(df, "forecastVolumeMWh")
    if forecast == 0:
        raise UsageError("The forecast volume is zero in this period: no hedge ratio.")
    return _number(df, "hedgedVolumeMWh") / forecast


def open_position(caller: Caller, portfolio: Any = None, period: Any = None) -> float:
    """Open (unhedged) volume in MWh of a portfolio in a month, quarter or year."""
    return _number(_positions(caller, portfolio, period), "openVolumeMWh")


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
