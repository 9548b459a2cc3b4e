"""Did the filters take effect? The answer checked against the filters sent (one rule, pure).

A filter that declares the field it ``narrows`` (:class:`~ecore_xl.catalogue.Filter`) says what
every row of a filtered answer must hold:

* an ``id`` or ``enum`` filter: the field holds one of the values asked for (nulls say nothing);
* the range's ``from``: a field that ends a period (``ends_period``, exclusive in the product)
  must end after ``from`` — a period *overlapping* the range is rightly returned — any other
  field (a start, an instant) must be at or after ``from``;
* the range's ``to``: a start or instant must be before ``to``; a period end at or before it.

A row breaking that rule is *outside* the filter. An answer is refused only when some row is
*clearly* outside: further off than the slack a correct API may take — a day (a date bound read
in another zone, a date-only API given a date-time), or the longest period a row may stand for
when the request asks for a granularity (a month's row starts before a mid-month ``from``; a
quarter's …). When unsure, the data passes: the check is there to catch an API that ignores a
parameter (misnamed in the catalogue, or unknown to it), which sends every row it has.

:func:`breaches` is the rule (also for ``ecore-xl catalogue probe``); :func:`check_answer`
raises the :class:`~ecore_xl.errors.UnexpectedResponseError` naming the declaration to fix.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from ecore_xl.data.encode import range_names
from ecore_xl.data.filters import parse_date_value, split_multi
from ecore_xl.errors import UnexpectedResponseError

if TYPE_CHECKING:
    from ecore_xl.catalogue import Dataset, Filter

__all__ = ["Breach", "breaches", "check_answer", "slack"]

#: the longest span one row may stand for, per canonical granularity
PERIODS: dict[str, dt.timedelta] = {
    "quarterhour": dt.timedelta(minutes=15),
    "hour": dt.timedelta(hours=1),
    "day": dt.timedelta(days=1),
    "week": dt.timedelta(days=7),
    "month": dt.timedelta(days=31),
    "quarter": dt.timedelta(days=92),
    "year": dt.timedelta(days=366),
}
#: a correct API may be this far off a date bound (zones, date-only APIs)
_BASE_SLACK = dt.timedelta(days=1)
_SHOWN = 3  # other ids named in a message


@dataclass(frozen=True, eq=False)
class Breach:
    """The rows of an answer outside one filter (``rows``, a boolean mask), how many of them
    clearly, and what was seen there (other ids, or the farthest date)."""

    filter: Filter
    field: str
    rows: np.ndarray
    clearly: int
    seen: tuple[str, ...] = ()

    @property
    def outside(self) -> int:
        """How many rows are outside the filter."""
        return int(self.rows.sum())


def slack(granularities: Iterable[str] = ()) -> dt.timedelta:
    """How far off a date bound a correct row may be: a day, or the longest granularity's
    period."""
    return max([_BASE_SLACK, *(PERIODS.get(g, _BASE_SLACK) for g in granularities)])


def breaches(
    ds: Dataset,
    values: Mapping[str, str],
    frame: pd.DataFrame,
    *,
    tz: str,
    granularities: Iterable[str] = (),
) -> list[Breach]:
    """Each filter of ``values`` (normalised, canonical) whose ``narrows`` field ``frame``
    (the typed long frame of the answer) has rows outside of."""
    out: list[Breach] = []
    span = range_names(ds)
    margin = slack([*granularities, *values.values()])
    for name, value in values.items():
        f = ds.filter(name)
        if not f.narrows or f.narrows not in frame.columns or not len(frame):
            continue
        column = frame[f.narrows]
        if f.type in ("id", "enum"):
            found = _other_values(ds, f, value, column)
        elif f.type == "date" and span and name in span:
            found = _outside_bound(
                ds, f, value, column, tz=tz, margin=margin, is_end=name == span[1]
            )
        else:
            continue
        if found is not None and found.outside:
            out.append(found)
    return out


def _other_values(ds: Dataset, f: Filter, value: str, column: pd.Series) -> Breach | None:
    """Values other than those asked for (in our spelling, or the API's: the filter's or the
    field's ``values`` map; case aside)."""
    field = ds.field(str(f.narrows))
    spelled = dict(field.values) if field else {}
    asked = split_multi(value)
    wanted = {w.casefold() for v in asked for w in (v, f.api_value(v), spelled.get(v, v))}
    other = [v for v in pd.unique(column.dropna()) if _text(v).casefold() not in wanted]
    if not other:  # the distinct values only (a few meters), not every row of a year
        return None
    rows = column.isin(other).to_numpy(dtype=bool)
    seen = tuple(_text(v)[:40] for v in other[:_SHOWN])
    return Breach(f, str(f.narrows), rows, int(rows.sum()), seen)


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _outside_bound(
    ds: Dataset,
    f: Filter,
    value: str,
    column: pd.Series,
    *,
    tz: str,
    margin: dt.timedelta,
    is_end: bool,
) -> Breach | None:
    bound = _bound(parse_date_value(f.name, value, tz=tz), column, tz)
    if bound is None:
        return None
    field = ds.field(str(f.narrows))
    ends = bool(field and field.ends_period)
    rows = _outside(column, bound, ends=ends, is_end=is_end)
    if not rows.any():
        return None
    shifted = bound + margin if is_end else bound - margin
    clearly = _outside(column, shifted, ends=ends, is_end=is_end)
    farthest = column[rows].max() if is_end else column[rows].min()
    return Breach(f, str(f.narrows), rows, int(clearly.sum()), (_day(farthest),))


def _outside(column: pd.Series, bound: pd.Timestamp, *, ends: bool, is_end: bool) -> np.ndarray:
    """The rule: ``from`` — a period end must come after it, anything else at or after it;
    ``to`` — a period end at or before it, anything else before it (NaT: inside)."""
    if is_end:
        outside = column > bound if ends else column >= bound
    else:
        outside = column <= bound if ends else column < bound
    return outside.fillna(False).to_numpy(dtype=bool)


def _bound(value: dt.date | dt.datetime, column: pd.Series, tz: str) -> pd.Timestamp | None:
    """The bound as the column holds times: UTC instants (a timestamp), naive local ones (a
    date); None for a column of neither."""
    zone = ZoneInfo(tz)
    if isinstance(value, dt.datetime):
        moment = value
    else:
        moment = dt.datetime(value.year, value.month, value.day, tzinfo=zone)
    kind = column.dtype
    if isinstance(kind, pd.DatetimeTZDtype):
        return pd.Timestamp(moment).tz_convert(kind.tz)
    if kind.kind == "M":
        return pd.Timestamp(moment.astimezone(zone).replace(tzinfo=None))
    return None


def _day(moment: pd.Timestamp) -> str:
    return str(moment.date()) if moment.tzinfo is None else moment.isoformat()


def check_answer(
    ds: Dataset,
    values: Mapping[str, str],
    frame: pd.DataFrame,
    *,
    tz: str,
    granularities: Iterable[str] = (),
) -> None:
    """An :class:`UnexpectedResponseError` when some row is clearly outside a filter sent:
    ``invoices: 92 rows, 88 outside 2026-10-01..2026-10-31 (periodEnd, periodStart): the API
    seems to ignore 'dateFrom' …; fix datasets.invoices.filters.from.api_name …``."""
    found = breaches(ds, values, frame, tz=tz, granularities=granularities)
    clear = [b for b in found if b.clearly]
    if not clear:
        return
    said: list[str] = []
    dates = [b for b in clear if b.filter.type == "date"]
    if dates:
        span = range_names(ds) or ("from", "to")
        outside = int(
            np.logical_or.reduce([b.rows for b in found if b.filter.type == "date"]).sum()
        )
        shown = _range_text(values.get(span[0]), values.get(span[1]))
        fields = ", ".join(dict.fromkeys(b.field for b in found if b.filter.type == "date"))
        said.append(
            f"{len(frame):,} rows, {outside:,} outside {shown} ({fields}): the API seems to "
            f"ignore {_params(dates)}"
        )
    for b in clear:
        if b.filter.type != "date":
            others = ", ".join(repr(v) for v in b.seen) + (" …" if b.outside > len(b.seen) else "")
            said.append(
                f"{len(frame):,} rows, {b.outside:,} with {b.field} other than "
                f"{values[b.filter.name]} ({others}): the API seems to ignore {_params([b])}"
            )
    fixes = " or ".join(f"datasets.{ds.name}.filters.{b.filter.name}.api_name" for b in clear)
    raise UnexpectedResponseError(
        f"{ds.name}: {'; '.join(said)}. Fix {fixes} (the API's name for the parameter) in the "
        f"catalogue file, or the filter's narrows if it filters on another field."
    )


def _params(found: list[Breach]) -> str:
    return " and ".join(f"{b.filter.param!r}" for b in found)


def _range_text(start: str | None, end: str | None) -> str:
    """``2026-10-01..2026-10-31`` for whole days ([from, to) shown with its last day)."""
    last = end
    if end is not None and len(end) == 10:
        last = (dt.date.fromisoformat(end) - dt.timedelta(days=1)).isoformat()
    return f"{start or '…'}..{last or '…'}"
