"""Filters as the API spells them: value maps, date-bound formats, inclusive end bounds.

The one place that turns normalised, canonical filter values (``granularity=hour``,
``from=2026-03-01``, ``to=2026-04-01`` meaning ``[from, to)``) into what the dataset's dialect
declares the API takes (``resolution=PT1H``, ``dateFrom=2026-03-01``, ``dateTo=2026-03-31`` for
an inclusive end, ``start=1772319600`` for epoch seconds …). Users keep half-open ``[from, to)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from ecore_xl.data.filters import MULTI_SEPARATOR, parse_date_value
from ecore_xl.errors import InvalidFilterError

if TYPE_CHECKING:
    from ecore_xl.catalogue import Dataset, Filter

__all__ = ["encode_request", "encode_values", "range_names"]

#: what "one unit before" the end bound is, for an inclusive end at an instant
_TICK = {"epoch_ms": dt.timedelta(milliseconds=1)}
_SECOND = dt.timedelta(seconds=1)


def range_names(ds: Dataset) -> tuple[str, str] | None:
    """The ``(from, to)`` filter names of a dataset with a date range."""
    names = {f.name for f in ds.filters if f.type == "date"}
    return ("from", "to") if {"from", "to"} <= names else None


def encode_request(
    ds: Dataset, values: Mapping[str, str], *, tz: str
) -> tuple[str, dict[str, str]]:
    """The path and query of one request for canonical ``values``, in the API's spelling."""
    return ds.request(encode_values(ds, values, tz=tz))


def encode_values(ds: Dataset, values: Mapping[str, str], *, tz: str) -> dict[str, str]:
    """``values`` (normalised, one value per id/enum filter) as the API spells them."""
    span = range_names(ds)
    end = span[1] if span else None
    out: dict[str, str] = {}
    for name, value in values.items():
        f = ds.filter(name)
        if f.type == "date":
            out[name] = _date(ds, f, value, tz=tz, is_end=f.name == end)
        elif f.values:
            parts = value.split(MULTI_SEPARATOR) if f.type == "list" else [value]
            out[name] = MULTI_SEPARATOR.join(f.api_value(p) for p in parts)
        else:
            out[name] = value
    return out


def _date(ds: Dataset, f: Filter, value: str, *, tz: str, is_end: bool) -> str:
    """One date bound in the declared format (an inclusive end: the last day, or instant)."""
    rules = ds.dialect.params
    zone = ZoneInfo(tz)
    parsed = parse_date_value(f.name, value, tz=tz)
    whole_day = not isinstance(parsed, dt.datetime)
    inclusive = is_end and rules.end == "inclusive"
    fmt = rules.dates
    if fmt in ("iso", "date") and whole_day:
        day = parsed - dt.timedelta(days=1) if inclusive else parsed
        return day.isoformat()
    if fmt == "date":
        raise InvalidFilterError(
            f"{ds.name}: the API takes whole days for {f.param} (the catalogue declares "
            f"dialect.params.dates = date), not {value}: give a date.",
            parameter=f.name,
        )
    if isinstance(parsed, dt.datetime):
        instant = parsed
    else:
        instant = dt.datetime(parsed.year, parsed.month, parsed.day, tzinfo=zone)
    if inclusive:
        instant -= _TICK.get(fmt, _SECOND)
    if fmt == "epoch_s":
        return str(int(instant.timestamp()))
    if fmt == "epoch_ms":
        return str(round(instant.timestamp() * 1000))
    if fmt == "utc":
        return instant.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    return instant.astimezone(zone).isoformat()  # iso (an instant), datetime
