"""A DataFrame as JSON for the add-in: a 2-D table of Excel values, or records.

The cell values are the product's one converter's (:func:`ecore_xl.excel.cell_values.excel_columns`,
which the sheet writers use too): instants as naive UTC with a ``…Local`` sibling in local time,
empty for NaN/NaT, lists and objects as text. JSON then carries:

- a **table**: ``header``, ``rows`` and per column its Excel number ``format`` (None: General);
  a date or date-time is its Excel serial number (1900 date system, the fraction is the time of
  day) and a duration its fraction of a day, so Excel sorts and sums them as it would its own;
- **records**: one object per row, a date-time as ISO 8601 text (no offset: UTC, or local time
  in the ``…Local`` columns, as on the sheets).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ecore_xl.excel.cell_values import ColumnData, excel_columns

if TYPE_CHECKING:
    import pandas as pd

    from ecore_xl.data import DataService

__all__ = [
    "cached_answer",
    "converted",
    "excel_serial",
    "frame_meta",
    "frame_records",
    "frame_table",
    "remember_answer",
]

_EPOCH = dt.datetime(1899, 12, 30)
_DAY = 86_400.0


def excel_serial(value: dt.datetime | dt.date) -> float:
    """An Excel serial number (1900 date system) for a naive date-time or a date.

    (Excel's fictitious 1900-02-29 only shifts days before 1900-03-01; no API date is that old.)
    """
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    delta = value - _EPOCH
    return delta.days + (delta.seconds + delta.microseconds / 1e6) / _DAY


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return excel_serial(value)
    if isinstance(value, dt.timedelta):
        return value.total_seconds() / _DAY
    return value


def _needs_conversion(column: ColumnData) -> bool:
    return column.number_format is not None or any(
        isinstance(v, dt.date | dt.timedelta) for v in column.values[:1]
    )


def frame_table(df: pd.DataFrame) -> dict[str, Any]:
    """``{"header", "rows", "formats"}``: the frame as Excel values (see the module doc)."""
    columns = excel_columns(df)
    values = [
        [_json_value(v) for v in c.values] if _needs_conversion(c) else c.values for c in columns
    ]
    rows = [list(row) for row in zip(*values, strict=True)] if values else []
    return {
        "header": [c.name for c in columns],
        "rows": rows,
        "formats": [c.number_format for c in columns],
    }


def _record_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return value


def frame_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """One object per row, keyed by the table's header names."""
    columns = excel_columns(df)
    names = [c.name for c in columns]
    cells = [[_record_value(v) for v in c.values] for c in columns]
    return [dict(zip(names, row, strict=True)) for row in zip(*cells, strict=True)]


def frame_meta(df: pd.DataFrame) -> dict[str, Any]:
    """Where the frame came from (``df.attrs["ecore"]``): source, fetchedAt (UTC), sourceUrl."""
    from ecore_xl.data.provenance import fetched_at, provenance

    meta = provenance(df)
    fetched = fetched_at(df)
    when = fetched.isoformat().replace("+00:00", "Z") if fetched else None
    return {"source": meta.get("source"), "fetchedAt": when, "sourceUrl": meta.get("source_url")}


@dataclass(frozen=True)
class _Converted:
    """A frame's JSON answer, and the data result it was made from."""

    stamp: tuple[Any, ...]
    body: dict[str, Any]
    nbytes: int  # the cache's byte budget counts it


def converted(
    service: DataService,
    key: Hashable,
    df: pd.DataFrame,
    build: Callable[[pd.DataFrame], dict[str, Any]],
) -> dict[str, Any]:
    """``build(df)``, remembered in the data layer's cache for the same question (``key``) as
    long as the data under it is the same result (its ``fetched_at`` and source; ``build``
    must not depend on anything else, not on ``df.attrs``'s ``source``): a cached call
    skips the conversion, the costly part (13 ms for a month of hours, measured), and a reload
    or a refresh of the data makes a new one. Never a second copy of the TTL rules."""
    meta = df.attrs.get("ecore")
    meta = meta if isinstance(meta, Mapping) else {}
    stamp = (meta.get("fetched_at"), meta.get("source_url"), df.shape, tuple(map(str, df.columns)))
    memo_key = ("ecore-serve-json", key)
    found = service.cache.peek(memo_key) if stamp[0] is not None else None
    if isinstance(found, _Converted) and found.stamp == stamp:
        return found.body
    body = build(df)
    if stamp[0] is not None:
        size = 200 + 16 * df.shape[0] * max(df.shape[1], 1)  # JSON-ready Python values
        service.cache.put(memo_key, _Converted(stamp, body, size), ttl=service.settings.cache_ttl)
    return body


_ANSWER = "ecore-serve-answer"


def remember_answer(
    service: DataService, key: Hashable, answer: dict[str, Any], df: pd.DataFrame
) -> None:
    """Keep ``answer`` (made from ``df``) for the same question, for as long as the data under
    it stays in the cache and no longer (its ``fetched_at`` plus the cache TTL): the backend
    then answers that question on the event loop, without a thread."""
    from ecore_xl.data.provenance import fetched_at

    fetched = fetched_at(df)
    if fetched is None:
        return
    ttl = service.settings.cache_ttl
    left = ttl - (dt.datetime.now(dt.UTC) - fetched).total_seconds()
    if left > 1:
        size = 300 + 16 * df.shape[0] * max(df.shape[1], 1)
        kept = _Converted((), {**answer, "source": "cache"}, size)
        service.cache.put((_ANSWER, key), kept, ttl=min(left, ttl))


def cached_answer(service: DataService, key: Hashable) -> dict[str, Any] | None:
    """The answer :func:`remember_answer` kept for this question, if its data is still fresh."""
    found = service.cache.peek((_ANSWER, key))
    return found.body if isinstance(found, _Converted) else None
