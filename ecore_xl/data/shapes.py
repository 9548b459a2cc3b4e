"""Record shapes the dialect declares: nested series to rows, parent ids onto child records.

* :func:`series_rows` — a series record (``{"meterId", "unit", "values": [{"timestamp",
  "value"}]}``) becomes one row per value, carrying the series' other fields (the value's own
  fields win where both have one);
* :func:`with_parent_id` — records of a collection under a parent (``/contracts/{id}/clicks``)
  get the parent's id where they lack it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ecore_xl.errors import UnexpectedResponseError

__all__ = ["series_rows", "with_parent_id"]


def series_rows(
    records: Sequence[Mapping[str, Any]], key: str, *, what: str
) -> list[Mapping[str, Any]]:
    """One row per element of each record's ``key`` list, with the record's other fields."""
    rows: list[Mapping[str, Any]] = []
    for record in records:
        if key not in record:
            keys = ", ".join(map(repr, list(record)[:6]))
            raise UnexpectedResponseError(
                f"{what}: a record has no {key!r} list (its keys: {keys}), but the catalogue "
                f"declares dialect.series = {key!r}: fix or remove that declaration."
            )
        values = record[key]
        if values is None:
            continue
        if not isinstance(values, list):
            raise UnexpectedResponseError(
                f"{what}: the series' {key!r} is a {type(values).__name__}, not a list of "
                f"values: check dialect.series in the catalogue ('ecore-xl catalogue show {what}')."
            )
        parent = {k: v for k, v in record.items() if k != key}
        for value in values:
            if not isinstance(value, Mapping):
                value = {"value": value}
            rows.append({**parent, **value})
    return rows


def with_parent_id(
    records: list[dict[str, Any]], field: str, parent_id: str
) -> list[dict[str, Any]]:
    """``records`` with ``field`` set to ``parent_id`` where missing (new dicts only there)."""
    if all(field in r for r in records):
        return records
    return [r if field in r else {field: parent_id, **r} for r in records]
