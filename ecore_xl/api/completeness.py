"""The truncation guard: after the declared paging stopped, does the last page say there is more?

APIs announce more data in a handful of ways: a next link (``nextLink``, ``@odata.nextLink``,
``links.next``, ``next``, ``paging.next``, a ``Link: rel="next"`` header), a total of items
(``totalItems``, ``totalCount``, ``@odata.count``, ``total``, ``X-Total-Count`` …), a page count
(``totalPages``), ``hasMore: true`` or a continuation token (in the body or ``x-ms-continuation``).
:func:`check_complete` looks for each of them in the last page (its body outside the records,
two levels deep, and its headers) and raises :class:`~ecore_xl.errors.PagingError` when one says
there is more than was fetched: never a silent truncation when the declared style is wrong.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ecore_xl.api.envelope import where_declared
from ecore_xl.catalogue.dialect import Paging
from ecore_xl.errors import PagingError

__all__ = ["Signal", "check_complete", "more_signals"]

_NEXT = frozenset({"nextlink", "@odata.nextlink", "next", "nextpage", "nexturl", "next_page",
                   "next_page_url", "nextpageurl"})  # fmt: skip
_TOTAL_ITEMS = frozenset({"totalitems", "total_items", "totalcount", "total_count",
                          "@odata.count", "total", "totalrecords", "total_records",
                          "totalelements", "totalresults", "total_results", "count"})  # fmt: skip
_TOTAL_PAGES = frozenset({"totalpages", "total_pages", "pagecount", "page_count"})
_HAS_MORE = frozenset({"hasmore", "has_more", "hasnext", "has_next", "morerecords"})
_TOKENS = frozenset({"continuationtoken", "continuation_token", "nexttoken", "next_token",
                     "nextcursor", "next_cursor", "nextpagetoken", "next_page_token",
                     "skiptoken", "cursor"})  # fmt: skip
_CONTAINERS = frozenset({"meta", "metadata", "paging", "pagination", "page", "links", "_links",
                         "data", "result", "results", "response"})  # fmt: skip
_TOTAL_HEADERS = ("X-Total-Count", "X-Total", "X-Total-Items")
_TOKEN_HEADERS = ("x-ms-continuation", "x-continuation-token", "x-next-cursor")


@dataclass(frozen=True)
class Signal:
    """One way the page says there is more: where, and what it says."""

    where: str
    says: str


def _entries(body: Any, records_path: str) -> Iterator[tuple[str, str, Any]]:
    """(path, lower-case key, value) of the body outside the records list, two levels deep."""
    if not isinstance(body, Mapping):
        return
    for key, value in body.items():
        path = str(key)
        if path == records_path:
            continue
        yield path, path.lower(), value
        if isinstance(value, Mapping) and path.lower() in _CONTAINERS:
            for inner, item in value.items():
                inner_path = f"{path}.{inner}"
                if inner_path == records_path:
                    continue
                yield inner_path, str(inner).lower(), item


def _number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _link(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, Mapping) and isinstance(value.get("href"), str) and value["href"]:
        return str(value["href"])
    return None


def more_signals(
    body: Any,
    headers: Mapping[str, str],
    links: Mapping[str, Any],
    *,
    records_path: str,
    items: int,
    pages: int,
) -> list[Signal]:
    """Every sign in the last page that there is more than ``items`` in ``pages`` pages."""
    found: list[Signal] = []
    for path, key, value in _entries(body, records_path):
        if key in _NEXT and (link := _link(value)):
            found.append(Signal(path, f"a next link ({link[:80]})"))
        elif key in _TOTAL_ITEMS and (n := _number(value)) is not None and n > items:
            found.append(Signal(path, f"{n:,} records in all, {items:,} fetched"))
        elif key in _TOTAL_PAGES and (n := _number(value)) is not None and n > pages:
            found.append(Signal(path, f"{n:,} pages, {pages:,} fetched"))
        elif key in _HAS_MORE and value is True:
            found.append(Signal(path, "more records (true)"))
        elif key in _TOKENS and isinstance(value, str) and value.strip():
            found.append(Signal(path, "a continuation token"))
    if links.get("next", {}).get("url"):
        found.append(Signal("header:Link", 'a rel="next" link'))
    for name in _TOTAL_HEADERS:
        if (n := _number(headers.get(name))) is not None and n > items:
            found.append(Signal(f"header:{name}", f"{n:,} records in all, {items:,} fetched"))
    for name in _TOKEN_HEADERS:
        if str(headers.get(name) or "").strip():
            found.append(Signal(f"header:{name}", "a continuation token"))
    return found


def check_complete(
    body: Any,
    headers: Mapping[str, str],
    links: Mapping[str, Any],
    *,
    paging: Paging,
    records_path: str,
    items: int,
    pages: int,
    what: str,
    url: str,
) -> None:
    """PagingError naming the dataset and the declaration when the last page says there is more."""
    signals = more_signals(
        body, headers, links, records_path=records_path, items=items, pages=pages
    )
    if not signals:
        return
    first = signals[0]
    also = (
        f" (and {len(signals) - 1} more sign{'s' if len(signals) > 2 else ''})"
        if signals[1:]
        else ""
    )
    raise PagingError(
        f"{what}: the API says there is more than the declared paging fetched — "
        f"{first.where} says {first.says}{also}; the declared paging is {paging.describe()}. "
        f"Declare the API's paging: {where_declared(what, 'paging')}. Nothing was returned, "
        "so no data is missing silently.",
        url=url,
        detail="; ".join(f"{s.where}: {s.says}" for s in signals),
    )
