"""The request plan (pure): which ``(path, query)`` requests together answer one fetch.

* several values of one id/enum/number filter (``meterId="M-1,M-2"``): one request per value,
  in the order given (the API takes one value per parameter);
* a dataset with ``chunk`` ("month" for volumes) and a ``from``/``to`` range: split at local
  period starts, so each request stays small and the union is exactly ``[from, to)`` (not for a
  coarse ``granularity`` — day, month: a year of days is one page anyway);
* a plan longer than ``max_requests`` is refused before a single request is built.

:func:`plan_pieces` gives the canonical filter values of each request, :func:`plan_requests`
the same requests as the API spells them (:mod:`ecore_xl.data.encode`).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from ecore_xl.data.encode import encode_request, range_names
from ecore_xl.data.filters import is_multi, parse_date_value, split_multi
from ecore_xl.errors import CatalogueError, InvalidFilterError

if TYPE_CHECKING:
    from ecore_xl.catalogue import Dataset

__all__ = [
    "COARSE_GRANULARITIES",
    "Request",
    "chunk_range",
    "count_chunks",
    "count_requests",
    "plan_pieces",
    "plan_requests",
]

Request = tuple[str, dict[str, str]]

_CHUNK_MONTHS = {"month": 1, "quarter": 3, "year": 12}
#: granularities so coarse that a long range is a few records: chunking would only cost calls
COARSE_GRANULARITIES = frozenset({"day", "week", "month", "quarter", "year"})


def _local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=zone)


def _instant(value: str, zone: ZoneInfo, tz: str) -> dt.datetime:
    parsed = parse_date_value("from", value, tz=tz)
    return parsed if isinstance(parsed, dt.datetime) else _local_midnight(parsed, zone)


def _check_chunk(chunk: str) -> None:
    if chunk != "day" and chunk not in _CHUNK_MONTHS:
        raise CatalogueError(
            f"Catalogue: chunk {chunk!r} is not one of day, month, quarter, year: fix the "
            "catalogue file."
        )


def _period(day: dt.date, chunk: str) -> int:
    """The index of the ``chunk`` period holding ``day`` (consecutive periods: +1)."""
    if chunk == "day":
        return day.toordinal()
    return (day.year * 12 + day.month - 1) // _CHUNK_MONTHS[chunk]


def _period_start(index: int, chunk: str) -> dt.date:
    if chunk == "day":
        return dt.date.fromordinal(index)
    month = index * _CHUNK_MONTHS[chunk]
    return dt.date(month // 12, month % 12 + 1, 1)


def chunk_range(start: str, end: str, chunk: str, *, tz: str) -> list[tuple[str, str]]:
    """Split ``[start, end)`` at local period starts (``day``, ``month``, ``quarter``, ``year``).

    Inner edges are dates (local midnight, as the API reads them); the outer edges are kept as
    given, so the pieces cover exactly the same instants as the whole.
    """
    _check_chunk(chunk)
    zone = ZoneInfo(tz)
    first = _period(_instant(start, zone, tz).astimezone(zone).date(), chunk)
    inner = range(first + 1, first + count_chunks(start, end, chunk, tz=tz))
    edges = [start, *(_period_start(i, chunk).isoformat() for i in inner), end]
    return list(itertools.pairwise(edges))


def count_chunks(start: str, end: str, chunk: str, *, tz: str) -> int:
    """``len(chunk_range(start, end, chunk, tz=tz))``, counted without building the pieces."""
    _check_chunk(chunk)
    zone = ZoneInfo(tz)
    a, b = _instant(start, zone, tz), _instant(end, zone, tz)
    first = _period(a.astimezone(zone).date(), chunk)
    last = _period(b.astimezone(zone).date(), chunk)  # the last period starting before ``b``…
    if last > first and not _local_midnight(_period_start(last, chunk), zone) < b:
        last -= 1  # …unless ``b`` is that period's very start
    return 1 + max(0, last - first)


def _multi_names(ds: Dataset, filters: Mapping[str, str]) -> list[str]:
    types = {f.name: f.type for f in ds.filters}
    return [n for n, v in filters.items() if is_multi(types.get(n, "text"), v)]


def _chunk_span(ds: Dataset, filters: Mapping[str, str]) -> tuple[str, str] | None:
    """The ``(from, to)`` filter names when this request is split into ``ds.chunk`` periods."""
    if not ds.chunk or filters.get("granularity", "").lower() in COARSE_GRANULARITIES:
        return None
    span = range_names(ds)
    return span if span and span[0] in filters and span[1] in filters else None


def count_requests(ds: Dataset, filters: Mapping[str, str], *, tz: str) -> int:
    """``len(plan_requests(ds, filters, tz=tz))``, counted without building the requests."""
    count = math.prod(len(split_multi(filters[n])) for n in _multi_names(ds, filters))
    if span := _chunk_span(ds, filters):
        count *= count_chunks(filters[span[0]], filters[span[1]], ds.chunk or "", tz=tz)
    return count


def plan_pieces(
    ds: Dataset, filters: Mapping[str, str], *, tz: str, max_requests: int | None = None
) -> list[dict[str, str]]:
    """The canonical filter values of each request that together answer ``filters``
    (normalised), in order.

    With ``max_requests``, a plan longer than that raises InvalidFilterError before a single
    request is built (``from``/``to`` 1900 to 9999 by month would be ~97,000 per meter).
    """
    if max_requests is not None:
        total = count_requests(ds, filters, tz=tz)
        if total > max_requests:
            raise _too_many_requests(ds, filters, total, max_requests, tz=tz)
    multi = _multi_names(ds, filters)
    span = _chunk_span(ds, filters)
    out: list[dict[str, str]] = []
    for combo in itertools.product(*(split_multi(filters[n]) for n in multi)):
        single = {**filters, **dict(zip(multi, combo, strict=True))}
        if span and ds.chunk:
            out.extend(
                {**single, span[0]: a, span[1]: b}
                for a, b in chunk_range(single[span[0]], single[span[1]], ds.chunk, tz=tz)
            )
        else:
            out.append(single)
    return out


def plan_requests(
    ds: Dataset, filters: Mapping[str, str], *, tz: str, max_requests: int | None = None
) -> list[Request]:
    """The ``(path, query)`` requests that together answer ``filters`` (normalised), in order,
    as the API spells them (names, values, date formats of the dataset's dialect)."""
    pieces = plan_pieces(ds, filters, tz=tz, max_requests=max_requests)
    return [encode_request(ds, piece, tz=tz) for piece in pieces]


def _too_many_requests(
    ds: Dataset, filters: Mapping[str, str], total: int, limit: int, *, tz: str
) -> InvalidFilterError:
    """Names the range and the several-valued filters that make the plan this long."""
    # (count, what, advice, filter) for each thing that multiplies the requests
    factors: list[tuple[int, str, list[str], str]] = []
    span = _chunk_span(ds, filters)
    if span and ds.chunk:
        a, b = filters[span[0]], filters[span[1]]
        advice = ["a shorter range"]
        if any(f.name == "granularity" for f in ds.filters):
            advice.append("a coarser granularity")
        chunks = count_chunks(a, b, ds.chunk, tz=tz)
        factors.append((chunks, f"{chunks:,} {ds.chunk}s from {a} to {b}", advice, span[0]))
    for name in _multi_names(ds, filters):
        n = len(split_multi(filters[name]))
        factors.append((n, f"{n:,} {name} values", [f"fewer {name} values"], name))
    factors = [f for f in factors if f[0] > 1]
    advice = [a for f in factors for a in f[2]] + ["raise ECORE_MAX_REQUESTS"]
    how = ", ".join(advice[:-1]) + (" or " if len(advice) > 1 else "") + advice[-1]
    what = " x ".join(f[1] for f in factors) or "this fetch"
    return InvalidFilterError(
        f"{ds.name}: {what} would take {total:,} requests, more than ECORE_MAX_REQUESTS "
        f"({limit:,}): ask for {how}.",
        parameter=max(factors)[3] if factors else "ECORE_MAX_REQUESTS",
    )
