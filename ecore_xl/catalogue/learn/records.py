"""Where a body's records are, what else it says about paging, and whether records are series.

* :func:`find_records` — the envelope: the records of a collection body (``value``,
  ``data.items``, ``$`` for a bare array, …) and its path;
* :func:`find_record` — where one record is in a single-record body (``data`` or ``$``);
* :func:`find_series` — a list of values inside each record (a nested time series);
* :func:`paging_signals` — next links, totals, page counters and tokens beside the records or in
  the headers, found by the words of :mod:`.vocabulary`;
* :func:`flatten` — a record's keys as the catalogue names fields (``address.city``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ecore_xl.catalogue.dialect import BODY, HEADER
from ecore_xl.catalogue.learn.names import fold
from ecore_xl.catalogue.learn.vocabulary import PAGING_BODY, PAGING_HEADERS

__all__ = [
    "PagingSignals",
    "find_record",
    "find_records",
    "find_series",
    "flatten",
    "paging_signals",
    "record_lists",
]

_DEPTH = 3
#: words a records list is often called, most likely first
_RECORD_WORDS = ("value", "items", "data", "results", "records", "content", "entries", "rows")


def record_lists(body: Any, prefix: str = "", depth: int = 0) -> Iterator[tuple[str, list[Any]]]:
    """Every list in ``body`` with its dotted path (``$``: the body), shallow ones first."""
    if isinstance(body, list):
        yield BODY, body
        return
    if not isinstance(body, Mapping) or depth >= _DEPTH:
        return
    nested = []
    for key, value in body.items():
        path = f"{prefix}{key}"
        if isinstance(value, list):
            yield path, value
        elif isinstance(value, Mapping):
            nested.append((path, value))
    for path, value in nested:
        yield from record_lists(value, path + ".", depth + 1)


def find_records(body: Any) -> tuple[str, list[dict[str, Any]]] | None:
    """``(path, records)`` of a collection body: the list of objects most like the records
    (a bare array is ``$``; among several lists, a known word such as ``value`` or ``items``,
    else the first, shallowest). An empty list is found too. None: the body holds no list."""
    found = [(p, v) for p, v in record_lists(body) if all(isinstance(i, Mapping) for i in v)]
    if not found:
        return None

    def rank(item: tuple[str, list[Any]]) -> tuple[int, int, int]:
        path, values = item
        last = fold(path.rsplit(".", 1)[-1])
        word = next((i for i, w in enumerate(_RECORD_WORDS) if w == last), len(_RECORD_WORDS))
        return (0 if values else 1, word, path.count("."))

    path, records = min(found, key=rank)
    return path, [dict(r) for r in records]


def find_record(body: Any) -> tuple[str, dict[str, Any]] | None:
    """``(path, record)`` of a single-record body: ``$`` for the object itself, ``data`` when
    it is wrapped (an object holding an object and at most metadata beside it)."""
    if not isinstance(body, Mapping):
        return None
    objects = [k for k, v in body.items() if isinstance(v, Mapping)]
    scalars = [k for k, v in body.items() if not isinstance(v, Mapping | list)]
    if len(objects) == 1 and (not scalars or fold(objects[0]) in ("data", "item", "result")):
        key = objects[0]
        if len(body) == 1 or fold(key) in ("data", "item", "result", "record"):
            return key, dict(body[key])
    return BODY, dict(body)


def find_series(records: Sequence[Mapping[str, Any]]) -> str | None:
    """The key of a list of value objects inside every record (``values``), or None."""
    if not records:
        return None
    candidates = None
    for record in records:
        keys = {
            k
            for k, v in record.items()
            if (isinstance(v, list) and v and all(isinstance(i, Mapping) for i in v))
            or (isinstance(v, list) and not v)
        }
        candidates = keys if candidates is None else candidates & keys
    if not candidates:
        return None
    for key in candidates:  # a list whose elements carry a time and a number: a series
        for record in records:
            items = record[key]
            if items and _looks_like_points(items):
                return str(key)
    return None


def _looks_like_points(items: list[Any]) -> bool:
    from ecore_xl.catalogue.learn.values import time_form

    first = items[0]
    has_time = any(time_form(v) not in (None, "date") for v in first.values())
    has_number = any(isinstance(v, int | float) and not isinstance(v, bool) for v in first.values())
    return has_time and has_number


def flatten(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects as dotted keys (``address.city``); lists and scalars as they are."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


@dataclass
class PagingSignals:
    """What a collection page says about more pages, by role -> where (a body path or
    ``header:<Name>``) and the value there (``next``, ``total_pages``, ``total_items``,
    ``has_more``, ``token``, ``page``, ``size``)."""

    where: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.where)


def paging_signals(
    body: Any, headers: Mapping[str, str] | None = None, records_path: str = BODY
) -> PagingSignals:
    """Paging keys beside the records (at any depth outside them) and in the headers."""
    found = PagingSignals()
    keys = dict(_scalar_paths(body, records_path))
    folded = {fold(path.rsplit(".", 1)[-1]): path for path in keys}
    dotted = {fold(path): path for path in keys}
    for role, words in PAGING_BODY.items():
        for word in words:
            path = dotted.get(fold(word)) or folded.get(fold(word))
            if path is None:
                continue
            value = keys[path]
            if role == "next" and not (isinstance(value, str) and "/" in value):
                continue
            if role in ("total_pages", "total_items", "page", "size") and not _is_count(value):
                continue
            if role == "has_more" and not isinstance(value, bool):
                continue
            if role == "token" and not isinstance(value, str):
                continue
            found.where.setdefault(role, path)
            found.values.setdefault(role, value)
            break
    lowered = {k.lower(): (k, v) for k, v in (headers or {}).items()}
    for role, names in PAGING_HEADERS.items():
        for name in names:
            hit = lowered.get(name.lower())
            if hit is None:
                continue
            if role == "next" and 'rel="next"' not in hit[1].replace("'", '"'):
                continue
            if role in ("total_items", "total_pages") and not str(hit[1]).strip().isdigit():
                continue
            found.where.setdefault(role, HEADER + name)
            found.values.setdefault(role, hit[1])
            break
    return found


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _scalar_paths(
    body: Any, skip: str, prefix: str = "", depth: int = 0
) -> Iterator[tuple[str, Any]]:
    """Every scalar (and null) of ``body`` outside the records, with its dotted path."""
    if not isinstance(body, Mapping) or depth > _DEPTH:
        return
    for key, value in body.items():
        path = f"{prefix}{key}"
        if path == skip:
            continue
        if isinstance(value, Mapping):
            yield from _scalar_paths(value, skip, path + ".", depth + 1)
        elif not isinstance(value, list):
            yield path, value
