"""Whether a fetch's result can fit one Excel sheet, known from its plan (pure, no request).

A dataset with a granularity rule (volumes) is a series: one row per interval for each value of
the rule's ``per`` filter (meter). Its rows are at most ``meters x intervals`` in the long
layout and ``intervals`` in the wide one, where the intervals are counted from the ``from`` /
``to`` range at the granularity asked (a meter that falls back to a coarser one has fewer).
:func:`check_fits_sheet` refuses a plan whose bound passes the sheet's 1,048,575 rows below its
header, so ``fetch --out x.xlsx``, ``refresh`` and ``report`` stop before their first request
instead of after a long download. Any other dataset (its row count is the API's to say) is
checked after the fetch, as before (:func:`ecore_xl.data.frames.check_excel_rows`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from ecore_xl.data.encode import range_names
from ecore_xl.data.filters import parse_date_value, split_multi
from ecore_xl.data.plan import count_chunks
from ecore_xl.errors import TooManyRowsError
from ecore_xl.excel_limits import EXCEL_MAX_ROWS

if TYPE_CHECKING:
    from ecore_xl.catalogue import Dataset

__all__ = ["SHEET_ROWS", "PlannedRows", "check_fits_sheet", "planned_rows"]

#: data rows one sheet holds below a header row
SHEET_ROWS = EXCEL_MAX_ROWS - 1
#: intervals of a fixed length (the granularity's own name for them)
_FIXED_SECONDS = {"quarterhour": 900, "hour": 3600}
#: the advice when nothing better is known: what the person can change
DEFAULT_ADVICE = (
    "ask for a shorter range or a coarser granularity, or write CSV or parquet "
    "(--out FILE.csv / FILE.parquet)"
)


class PlannedRows:
    """The most rows a series fetch can give: ``series x intervals`` (long) or ``intervals``."""

    def __init__(self, series: int, intervals: int, granularity: str, wide: bool) -> None:
        self.series, self.intervals, self.granularity, self.wide = (
            series, intervals, granularity, wide
        )  # fmt: skip

    @property
    def rows(self) -> int:
        return self.intervals if self.wide else self.series * self.intervals


def _edge(value: str, tz: str) -> dt.datetime:
    parsed = parse_date_value("from", value, tz=tz)
    if isinstance(parsed, dt.datetime):
        return parsed
    return dt.datetime(parsed.year, parsed.month, parsed.day, tzinfo=ZoneInfo(tz))


def _intervals(granularity: str, start: str, end: str, tz: str) -> int | None:
    """Intervals of ``granularity`` starting in ``[start, end)`` (at most; None: unknown)."""
    a, b = _edge(start, tz), _edge(end, tz)
    if b <= a:
        return 0
    if granularity in _FIXED_SECONDS:  # on the local clock's grid, counted in UTC seconds
        step = _FIXED_SECONDS[granularity]
        shift = int((a.utcoffset() or dt.timedelta()).total_seconds())
        first = -(-(int(a.timestamp()) + shift) // step) * step - shift  # the first start >= a
        last = int(b.timestamp())
        return max(0, -(-(last - first) // step))
    if granularity in ("day", "month"):
        return count_chunks(start, end, granularity, tz=tz)
    return None


def planned_rows(
    ds: Dataset, filters: Mapping[str, str], *, layout: str, tz: str
) -> PlannedRows | None:
    """The bound on the rows of ``ds`` fetched with ``filters`` (normalised), or None when the
    plan does not tell (not a series, no meter list, no range, an unknown granularity)."""
    rule, span = ds.granularity, range_names(ds)
    if rule is None or span is None:
        return None
    if rule.per not in filters or rule.filter not in filters:
        return None
    if span[0] not in filters or span[1] not in filters:
        return None
    granularity = filters[rule.filter].lower()
    intervals = _intervals(granularity, filters[span[0]], filters[span[1]], tz)
    if intervals is None:
        return None
    series = len(dict.fromkeys(split_multi(filters[rule.per])))
    return PlannedRows(series, intervals, granularity, wide=layout == "wide")


def check_fits_sheet(
    ds: Dataset,
    filters: Mapping[str, str],
    *,
    layout: str,
    tz: str,
    what: str,
    advice: str = DEFAULT_ADVICE,
) -> None:
    """TooManyRowsError (one line: what, how many rows, what to do) when the plan's result
    cannot fit one sheet; nothing when it can or the plan does not tell."""
    planned = planned_rows(ds, filters, layout=layout, tz=tz)
    if planned is None or planned.rows <= SHEET_ROWS:
        return
    span = range_names(ds) or ("from", "to")
    per = ds.granularity.per if ds.granularity else "series"
    size = (
        f"{planned.intervals:,} {planned.granularity} intervals"
        if planned.wide
        else f"{planned.series:,} {per} values x {planned.intervals:,} {planned.granularity} "
        "intervals"
    )
    raise TooManyRowsError(
        f"{what}: {ds.name} from {filters[span[0]]} to {filters[span[1]]} is {size} = up to "
        f"{planned.rows:,} rows, more than one Excel sheet holds ({SHEET_ROWS:,}), so none was "
        f"fetched: {advice}."
    )
