"""Paging styles: which slice of a collection a request asks for, and what the page says about
the rest (links, tokens, totals).

A client that follows the declared style never misses a record: next links and tokens carry the
next offset; page numbers and offsets count in the page size the client asked for (a size above
the style's maximum is a 400, never silently capped); every style that promises a total
(``totalPages``/``totalItems``, ``X-Total-Count``, ``@odata.count``) says it on every page.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from .dialect import Paging
from .routes import KEY_PARAM, ApiFail, invalid

TOTAL_HEADER = "X-Total-Count"
LINK_STYLES = ("nextLink", "odata", "link")


@dataclass
class Window:
    """The slice ``[start, start + size)`` a request asks for (size None: to the end)."""

    start: int
    size: int | None
    page: int | None = None


@dataclass
class PageInfo:
    """What a page says beside its records: keys for the envelope's meta place, and headers."""

    keys: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


def token(kind: str, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{offset}".encode()).rstrip(b"=").decode("ascii")


def _untoken(kind: str, value: str, name: str) -> int:
    try:
        text = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode("ascii")
        got, _, num = text.partition(":")
        if got != kind:
            raise ValueError(text)
        return max(0, int(num))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid(name, f"The {_TOKEN_WORD[kind]} is invalid or expired.") from None


_TOKEN_WORD = {"o": "skip token", "c": "continuation token"}


def _integer(values: Mapping[str, str], name: str, low: int, high: int | None) -> int | None:
    v = values.get(name)
    if v in (None, ""):
        return None
    bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
    try:
        n = int(v)
    except ValueError:
        raise invalid(name, f"'{name}' must be an integer {bounds}; got '{v}'.") from None
    if n < low or (high is not None and n > high):
        raise invalid(name, f"'{name}' must be an integer {bounds}; got '{v}'.")
    return n


def window(
    paging: Paging, values: Mapping[str, str], headers: Mapping[str, str], page_size: int
) -> Window:
    """The slice asked for; raises :class:`ApiFail` naming a bad paging parameter."""
    style = paging.style
    default = min(page_size, paging.max_size)
    if style in LINK_STYLES:
        top = _integer(values, paging.size or "top", 1, paging.max_size) or paging.max_size
        raw = values.get(paging.position or "skipToken")
        skip = _untoken("o", raw, paging.position or "skipToken") if raw else 0
        return Window(skip, min(top, page_size))
    if style == "pages":
        size = _integer(values, paging.size or "pageSize", 1, paging.max_size) or default
        page = _integer(values, paging.position or "page", paging.first_page, None)
        page = paging.first_page if page is None else page
        return Window((page - paging.first_page) * size, size, page)
    if style in ("offset", "skiptop"):
        size = _integer(values, paging.size or "limit", 1, paging.max_size) or default
        offset = _integer(values, paging.position or "offset", 0, None) or 0
        return Window(offset, size)
    if style == "cursor":
        raw = values.get(paging.position or "continuationToken")
        name = paging.position or "continuationToken"
        return Window(_untoken("c", raw, name) if raw else 0, default)
    if style == "cursor-header":
        name = _cursor_header(paging)
        raw = headers.get(name)
        return Window(_untoken("c", raw, name) if raw else 0, default)
    return Window(0, None)  # none


def _cursor_header(paging: Paging) -> str:
    return paging.position or "x-ms-continuation"


def headers_read(paging: Paging, headers: Mapping[str, str]) -> tuple[str | None, ...]:
    """The values of the request headers :func:`window` reads (the continuation header)."""
    if paging.style == "cursor-header":
        return (headers.get(_cursor_header(paging)),)
    return ()


def describe(
    paging: Paging,
    win: Window,
    total: int,
    *,
    link_base: str,
    pairs: list[tuple[str, str]],
) -> PageInfo:
    """Links, tokens and totals of the page ``win`` of ``total`` records."""
    style = paging.style
    info = PageInfo()
    end = total if win.size is None else min(win.start + win.size, total)
    more = end < total and win.size is not None
    if style in LINK_STYLES and more:
        position = paging.position or "skipToken"
        kept = [(k, v) for k, v in pairs if k not in (position, KEY_PARAM)]
        link = f"{link_base}?{urlencode([*kept, (position, token('o', end))])}"
        if style == "odata":
            info.keys["@odata.nextLink"] = link
        elif style == "link":
            info.headers["Link"] = f'<{link}>; rel="next"'
        else:
            info.keys["nextLink"] = link
    elif style == "pages":
        size = win.size or 1
        info.keys.update(
            page=win.page,
            pageSize=size,
            totalPages=-(-total // size),
            totalItems=total,
        )
    elif style == "offset":
        info.headers[TOTAL_HEADER] = str(total)
    elif style == "skiptop":
        info.keys["@odata.count"] = total
    elif style == "cursor" and more:
        info.keys[paging.position or "continuationToken"] = token("c", end)
    elif style == "cursor-header" and more:
        info.headers[_cursor_header(paging)] = token("c", end)
    return info


def parameters(paging: Paging) -> tuple[str, ...]:
    """The query parameters of a style (not its headers)."""
    if paging.style in ("none", "cursor-header"):
        return ()
    return tuple(p for p in (paging.size, paging.position) if p)


__all__ = ["ApiFail", "PageInfo", "Window", "describe", "headers_read", "parameters", "window"]
