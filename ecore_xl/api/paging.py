"""Collection pages: the records of one page, where the next one is, and the loop guard."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import orjson
import requests

from ecore_xl.errors import PagingError, UnexpectedResponseError

__all__ = ["Page", "PageGuard", "body_records", "next_link", "page_records", "same_origin"]

_RECORD_TYPES = frozenset({dict})


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


def page_records(body: Any, url: str) -> list[dict[str, Any]]:
    """The ``value`` list of a collection body; UnexpectedResponseError if it is not one."""
    if not isinstance(body, dict):
        raise UnexpectedResponseError(
            f'Expected a collection {{"value": [...]}} from {_path(url)}, got a JSON '
            f"{type(body).__name__}: check the dataset's path in the catalogue.",
            url=url,
        )
    value = body.get("value")
    if not isinstance(value, list):
        what = "no 'value'" if "value" not in body else f"a 'value' that is a {_kind(value)}"
        raise UnexpectedResponseError(
            f"The page from {_path(url)} has {what}, not a list of records: check the dataset's "
            "path in the catalogue.",
            url=url,
        )
    if not set(map(type, value)) <= _RECORD_TYPES:  # one pass at C speed: 1,000 records a page
        item = next(item for item in value if type(item) is not dict)
        raise UnexpectedResponseError(
            f"The page from {_path(url)} holds a {_kind(item)} where a record (JSON object) "
            "belongs.",
            url=url,
        )
    return value


def body_records(body: bytes) -> list[dict[str, Any]]:
    """The records of a page body that :func:`page_records` accepted before, parsed again."""
    records: list[dict[str, Any]] = orjson.loads(body)["value"]
    return records


def next_link(body: Any, response: requests.Response) -> str | None:
    """The next page's absolute URL: ``nextLink``, ``@odata.nextLink`` or ``Link: rel=next``."""
    link: Any = None
    if isinstance(body, dict):
        link = body.get("nextLink") or body.get("@odata.nextLink")
    if not link:
        link = response.links.get("next", {}).get("url")
    if not link:
        return None
    if not isinstance(link, str):
        raise UnexpectedResponseError(
            f"The page from {_path(response.url)} has a next link that is a {_kind(link)}, "
            "not a URL.",
            url=response.url,
        )
    return urljoin(response.url, link)


def same_origin(url: str, base_url: str) -> bool:
    """True when ``url`` has the scheme, host and port of ``base_url``."""
    a, b = urlsplit(url), urlsplit(base_url)
    return (a.scheme.lower(), a.hostname, a.port or _default_port(a.scheme)) == (
        b.scheme.lower(),
        b.hostname,
        b.port or _default_port(b.scheme),
    )


class PageGuard:
    """Refuses a next link seen before, one to another host, and more than ``max_pages``."""

    def __init__(self, base_url: str, max_pages: int) -> None:
        self._base_url = base_url
        self._max_pages = max_pages
        self._seen: set[str] = set()
        self.count = 0

    def visited(self, *urls: str) -> None:
        """Record a fetched page (the URL asked for and the one answered)."""
        self.count += 1
        self._seen.update(urls)

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
        if self.count >= self._max_pages:
            raise PagingError(
                f"More than ECORE_MAX_PAGES ({self._max_pages}) pages: ask for a shorter date "
                "range or fewer meters, or raise ECORE_MAX_PAGES.",
                url=link,
            )


def _kind(value: Any) -> str:
    return {dict: "object", list: "list", str: "string", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _default_port(scheme: str) -> int | None:
    return {"http": 80, "https": 443}.get(scheme.lower())
