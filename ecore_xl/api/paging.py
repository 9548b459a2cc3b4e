"""Collection paging: one class per declared style, the loop guard, and the ``Page`` they yield.

A :class:`Pager` (made by :func:`pager_for` from the dialect's ``paging``) says what the first
request adds (``page=1&pageSize=500``, ``offset=0&limit=1000``) and, after each page, what the
next request is, or that the collection is complete. The client then runs the truncation guard
(:mod:`ecore_xl.api.completeness`) on the last page. Items are counted as the paging counts them:
records, or for a nested-series dialect, the values inside them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from ecore_xl.api.envelope import (
    MISSING,
    body_records,
    kind_of,
    locate,
    page_records,
    where_declared,
)
from ecore_xl.catalogue.dialect import DEFAULT_DIALECT, HEADER, Dialect, Paging
from ecore_xl.errors import PagingError, UnexpectedResponseError

__all__ = [
    "Next",
    "Page",
    "PageGuard",
    "Pager",
    "body_records",
    "count_items",
    "next_link",
    "page_records",
    "pager_for",
    "same_origin",
]


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a collection: its records, the URL it came from, its 0-based index.

    ``body`` is the page as received (empty if unknown): a tenth of the memory of its records as
    dicts, so a cache can keep the bytes and parse them again (:func:`body_records`) when asked.
    """

    records: list[dict[str, Any]]
    url: str
    index: int
    body: bytes = b""


@dataclass(frozen=True)
class Next:
    """The next request: a URL (a next link) or the same URL with other parameters/headers."""

    url: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


def count_items(records: list[dict[str, Any]], series: str | None) -> int:
    """How many items the paging counts: records, or the values of nested series."""
    if not series:
        return len(records)
    return sum(len(r.get(series) or ()) for r in records)


def _read(body: Any, response: requests.Response, where: str) -> Any:
    """The value at a body path or ``header:<Name>``, else MISSING."""
    if where.startswith(HEADER):
        name = where[len(HEADER) :]
        if name.lower() == "link":
            return response.links.get("next", {}).get("url") or MISSING
        value = response.headers.get(name)
        return MISSING if value is None else value
    return locate(body, where)


def next_link(
    body: Any, response: requests.Response, where: tuple[str, ...] | None = None
) -> str | None:
    """The next page's absolute URL, from the first of ``where`` that holds one."""
    for place in where or DEFAULT_DIALECT.paging.next:
        link = _read(body, response, place)
        if isinstance(link, Mapping) and isinstance(link.get("href"), str):
            link = link["href"]  # HAL: links.next.href
        if link is MISSING or link is None or link == "":
            continue
        if not isinstance(link, str):
            raise UnexpectedResponseError(
                f"The page from {_path(response.url)} has a next link at {place} that is a "
                f"{kind_of(link)}, not a URL.",
                url=response.url,
            )
        return urljoin(response.url, link)
    return None


class Pager:
    """One paging style's walk through a collection (a new one per collection)."""

    def __init__(self, paging: Paging, *, series: str | None, what: str) -> None:
        self.paging = paging
        self.series = series
        self.what = what
        self.items = 0  # counted so far
        self.pages = 0

    def first(self, params: Mapping[str, str] | None) -> dict[str, str]:
        """The first request's query: the caller's parameters and the style's own."""
        out = dict(params or {})
        if self.paging.size_param and self.paging.max_size:
            out[self.paging.size_param] = str(self.paging.max_size)
        return out

    def after(
        self,
        body: Any,
        response: requests.Response,
        records: list[dict[str, Any]],
        params: dict[str, str],
    ) -> Next | None:
        """Count the page; the next request, or None when the collection is complete."""
        self.pages += 1
        on_page = count_items(records, self.series)
        self.items += on_page
        return self._next(body, response, on_page, params)

    def _next(
        self, body: Any, response: requests.Response, on_page: int, params: dict[str, str]
    ) -> Next | None:
        return None  # style "none": one request answers everything

    def _declared(self, body: Any, response: requests.Response, key: str) -> Any:
        """The value at a declared location (``total_pages`` …); an error when it is absent."""
        where = getattr(self.paging, key)
        value = _read(body, response, where)
        if value is MISSING:
            raise UnexpectedResponseError(
                f"{self.what}: the page has nothing at {where!r}, where the catalogue declares "
                f"paging.{key}: fix {where_declared(self.what, 'paging')}.",
                url=response.url,
            )
        return value

    def _short(self, on_page: int) -> bool:
        return on_page == 0 or (self.paging.max_size is not None and on_page < self.paging.max_size)


class _NextLinkPager(Pager):
    def _next(
        self, body: Any, response: requests.Response, on_page: int, params: dict[str, str]
    ) -> Next | None:
        link = next_link(body, response, self.paging.next)
        return None if link is None else Next(url=link)


class _NumberedPager(Pager):
    """Shared stop rules of page numbers and offsets: declared totals, else a short page."""

    def _done(self, body: Any, response: requests.Response, on_page: int) -> bool:
        p = self.paging
        if on_page == 0:
            return True
        if p.has_more:
            more = self._declared(body, response, "has_more")
            return not (more is True or str(more).lower() == "true")
        if p.total_pages and self.paging.style == "pages":
            return self.pages >= _whole(
                self._declared(body, response, "total_pages"), self, "total_pages"
            )
        if p.total_items:
            return self.items >= _whole(
                self._declared(body, response, "total_items"), self, "total_items"
            )
        return self._short(on_page)


class _PagesPager(_NumberedPager):
    def first(self, params: Mapping[str, str] | None) -> dict[str, str]:
        return {**super().first(params), self.paging.page_param: str(self.paging.first_page)}

    def _next(
        self, body: Any, response: requests.Response, on_page: int, params: dict[str, str]
    ) -> Next | None:
        if self._done(body, response, on_page):
            return None
        page = self.paging.first_page + self.pages
        return Next(params={**params, self.paging.page_param: str(page)})


class _OffsetPager(_NumberedPager):
    def first(self, params: Mapping[str, str] | None) -> dict[str, str]:
        return {**super().first(params), self.paging.offset_param: "0"}

    def _next(
        self, body: Any, response: requests.Response, on_page: int, params: dict[str, str]
    ) -> Next | None:
        if self._done(body, response, on_page):
            return None
        return Next(params={**params, self.paging.offset_param: str(self.items)})


class _CursorPager(Pager):
    def __init__(self, paging: Paging, *, series: str | None, what: str) -> None:
        super().__init__(paging, series=series, what=what)
        self._seen: set[str] = set()

    def _next(
        self, body: Any, response: requests.Response, on_page: int, params: dict[str, str]
    ) -> Next | None:
        token = _read(body, response, self.paging.token)
        if token is MISSING or token is None or str(token).strip() == "":
            return None
        token = str(token)
        if token in self._seen:
            raise PagingError(
                f"{self.what}: the API sent a continuation token it had sent before after "
                f"{self.pages} pages: stopped to avoid an endless loop; no data was dropped "
                "silently — try again, and report it to E&C if it repeats.",
                url=response.url,
            )
        self._seen.add(token)
        name = self.paging.token_param
        if name.startswith(HEADER):
            return Next(params=dict(params), headers={name[len(HEADER) :]: token})
        return Next(params={**params, name: token})


_PAGERS: dict[str, type[Pager]] = {
    "next": _NextLinkPager,
    "pages": _PagesPager,
    "offset": _OffsetPager,
    "cursor": _CursorPager,
    "none": Pager,
}


def pager_for(dialect: Dialect | None, what: str) -> Pager:
    """A new pager for one collection, as ``dialect`` declares (default: the contract's)."""
    dialect = dialect or DEFAULT_DIALECT
    cls = _PAGERS[dialect.paging.style]
    return cls(dialect.paging, series=dialect.series, what=what)


def _whole(value: Any, pager: Pager, key: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise UnexpectedResponseError(
        f"{pager.what}: paging.{key} ({getattr(pager.paging, key)}) holds {value!r}, not a "
        "whole number: fix the paging declaration."
    )


def same_origin(url: str, base_url: str) -> bool:
    """True when ``url`` has the scheme, host and port of ``base_url``."""
    a, b = urlsplit(url), urlsplit(base_url)
    return (a.scheme.lower(), a.hostname, a.port or _default_port(a.scheme)) == (
        b.scheme.lower(),
        b.hostname,
        b.port or _default_port(b.scheme),
    )


class PageGuard:
    """Refuses a next link seen before, one to another host, more than ``max_pages``, and a page
    that repeats the one before (an API ignoring the declared page parameter)."""

    def __init__(self, base_url: str, max_pages: int, what: str | None = None) -> None:
        self._base_url = base_url
        self._max_pages = max_pages
        self._what = what
        self._seen: set[str] = set()
        self._previous: tuple[Any, ...] | None = None
        self.count = 0

    def visited(self, *urls: str) -> None:
        """Record a fetched page (the URL asked for and the one answered)."""
        self.count += 1
        self._seen.update(urls)

    def check_records(self, records: list[dict[str, Any]], paging: Paging, url: str) -> None:
        """PagingError when a numbered page holds exactly the records of the page before."""
        mark = (len(records), records[0], records[-1]) if records else None
        if mark is not None and mark == self._previous and paging.style in ("pages", "offset"):
            param = paging.page_param if paging.style == "pages" else paging.offset_param
            who = f"{self._what}: " if self._what else ""
            raise PagingError(
                f"{who}page {self.count} repeats the page before: the API seems to ignore "
                f"the '{param}' parameter. Check the paging declaration ('dialect.paging'); "
                "nothing was returned, so no record is doubled silently.",
                url=url,
            )
        self._previous = mark

    def check_next(self, link: str) -> None:
        """Raise PagingError unless following ``link`` is safe and within the limit."""
        if link in self._seen:
            raise PagingError(
                f"The API sent a next link it had sent before ({_path(link)}) after "
                f"{self.count} pages: stopped to avoid an endless loop; no data was dropped "
                "silently — try again, and report it to E&C if it repeats.",
                url=link,
            )
        if not same_origin(link, self._base_url):
            raise PagingError(
                f"The API sent a next link to another host ({urlsplit(link).netloc}): not "
                "followed, so that the token and subscription key stay with "
                f"{urlsplit(self._base_url).netloc}.",
                url=link,
            )
        self.check_count(link)

    def check_count(self, url: str) -> None:
        """PagingError when another page would pass ``max_pages``."""
        if self.count >= self._max_pages:
            raise PagingError(
                f"More than ECORE_MAX_PAGES ({self._max_pages}) pages: ask for a shorter date "
                "range or fewer meters, or raise ECORE_MAX_PAGES.",
                url=url,
            )


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _default_port(scheme: str) -> int | None:
    return {"http": 80, "https": 443}.get(scheme.lower())
