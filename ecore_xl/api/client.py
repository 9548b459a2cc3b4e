"""EcoreClient: authenticated GETs with retries, key rotation, paging and mapped errors.

The retry loop is written out here rather than delegated to urllib3's ``Retry``: one loop has to
cap ``Retry-After`` (raising instead of sleeping for minutes), switch to the secondary
subscription key, refresh a token the API refused, count retries, and sleep through an injected
function so tests do not wait. urllib3 would hide all of that inside the connection pool.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

import requests
from requests.auth import AuthBase

from ecore_xl.api._log import logger, register_secret
from ecore_xl.api.auth import TokenProvider
from ecore_xl.api.backoff import backoff_delay
from ecore_xl.api.body import deadline_error, quote_big_integers, read_body
from ecore_xl.api.completeness import check_complete
from ecore_xl.api.deadline import Deadline
from ecore_xl.api.envelope import one_record, page_records
from ecore_xl.api.errors_map import (
    RETRYABLE_STATUS,
    api_error,
    decode_json,
    gateway_message,
    human_seconds,
    kind_of_401,
    network_error,
    parse_replenish,
    parse_retry_after,
)
from ecore_xl.api.paging import Page, PageGuard, pager_for, same_origin
from ecore_xl.api.session import make_session
from ecore_xl.catalogue.dialect import DEFAULT_DIALECT, Dialect
from ecore_xl.config import Settings
from ecore_xl.errors import (
    ApiError,
    DeadlineExceededError,
    EcoreError,
    UnexpectedResponseError,
    UsageError,
    mask_secret,
)

__all__ = ["ClientStats", "EcoreClient"]

KeySlot = Literal["primary", "secondary"]
_TRY_AGAIN_PREFIX = "try again in "


class ClientStats:
    """Thread-safe counters of one client (``token_refreshes`` is read from its provider)."""

    FIELDS = ("requests", "retries", "token_refreshes", "key_switches", "pages", "bytes")

    def __init__(self, token_refreshes: Callable[[], int] | None = None) -> None:
        self._lock = threading.Lock()
        self._counts = dict.fromkeys(self.FIELDS, 0)
        self._token_refreshes = token_refreshes

    def add(self, name: str, amount: int = 1) -> None:
        """Add ``amount`` to counter ``name``."""
        with self._lock:
            self._counts[name] += amount

    def _get(self, name: str) -> int:
        if name == "token_refreshes" and self._token_refreshes is not None:
            return self._token_refreshes()
        with self._lock:
            return self._counts[name]

    requests = property(lambda self: self._get("requests"), doc="HTTP GETs sent")
    retries = property(lambda self: self._get("retries"), doc="GETs repeated after a failure")
    token_refreshes = property(lambda self: self._get("token_refreshes"), doc="tokens fetched")
    key_switches = property(lambda self: self._get("key_switches"), doc="primary → secondary")
    pages = property(lambda self: self._get("pages"), doc="collection pages received")
    bytes = property(lambda self: self._get("bytes"), doc="response body bytes received")

    def as_dict(self) -> dict[str, int]:
        """All counters at once."""
        return {name: self._get(name) for name in self.FIELDS}

    def __repr__(self) -> str:
        return "ClientStats(" + ", ".join(f"{k}={v}" for k, v in self.as_dict().items()) + ")"


class _GatewayAuth(AuthBase):
    """Bearer token and subscription key on one request (also keeps ``.netrc`` out)."""

    def __init__(self, header: str, key: str, token: str) -> None:
        self._header, self._key, self._token = header, key, token

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self._token}"
        r.headers[self._header] = self._key
        return r

    def __repr__(self) -> str:
        return f"_GatewayAuth(header={self._header!r}, key={mask_secret(self._key)})"


class EcoreClient:
    """The eCore API over one pooled session; safe to share between threads."""

    def __init__(
        self,
        settings: Settings,
        *,
        session: requests.Session | None = None,
        tokens: TokenProvider | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._settings = settings
        self._own_session = session is None
        self._session = session if session is not None else make_session(settings)
        self._clock = clock
        self._sleep = sleep
        self._tokens = tokens or TokenProvider(settings, self._session, clock=clock, sleep=sleep)
        self.stats = ClientStats(token_refreshes=lambda: self._tokens.refreshes)
        self._key_lock = threading.Lock()
        self._active_key: KeySlot = "primary"
        self._last_error: str | None = None
        self._rng = random.Random()
        for secret in (settings.subscription_key, settings.subscription_key_secondary):
            register_secret(secret)
        register_secret(settings.client_secret)

    # ---- public -------------------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        """The settings this client was built with."""
        return self._settings

    @property
    def tokens(self) -> TokenProvider:
        """The token provider (shared with anything else that needs a token)."""
        return self._tokens

    def get_json(self, path_or_url: str, params: Mapping[str, str] | None = None) -> Any:
        """GET one resource and return its parsed JSON, as it came."""
        url = self._url(path_or_url)
        _, body = self._get(url, params)
        return body

    def get_answer(
        self,
        path_or_url: str,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[requests.Response, Any]:
        """GET once (retries, key rotation and mapped errors as every request) and return the
        response with its parsed JSON: for tools that read an answer's shape themselves
        (``ecore-xl catalogue probe``), where no envelope or paging is declared yet."""
        return self._get(self._url(path_or_url), params, headers)

    def get_record(
        self,
        path: str,
        params: Mapping[str, str] | None = None,
        *,
        dialect: Dialect | None = None,
        dataset: str | None = None,
    ) -> dict[str, Any]:
        """GET one record (``/contracts/{id}``), unwrapped as the dialect's envelope says."""
        dialect = dialect or DEFAULT_DIALECT
        url = self._url(path)
        response, body = self._get(url, params)
        return one_record(body, response.url, dialect.envelope, what=dataset)

    def iter_pages(
        self,
        path: str,
        params: Mapping[str, str] | None = None,
        *,
        dialect: Dialect | None = None,
        dataset: str | None = None,
    ) -> Iterator[Page]:
        """Yield every page of a collection as the dialect's envelope and paging declare.

        A loop guard refuses a repeated link, token or page and more than ECORE_MAX_PAGES; the
        truncation guard refuses a last page that says there is more (PagingError, never a
        silent cut). ``dataset`` names the collection in messages.
        """
        dialect = dialect or DEFAULT_DIALECT
        what = dataset or path
        pager = pager_for(dialect, what)
        url: str = self._url(path)
        query: dict[str, str] | None = pager.first(params) or None
        headers: dict[str, str] = {}
        guard = PageGuard(self._settings.base_url, self._settings.max_pages, dataset)
        index = 0
        try:
            while True:
                response, body = self._get(url, query, headers)
                records = page_records(body, response.url, dialect.envelope, what=what)
                guard.visited(url if query is None else response.url, response.url)
                guard.check_records(records, dialect.paging, response.url)
                self.stats.add("pages")
                step = pager.after(body, response, records, dict(query or {}))
                if step is None:
                    check_complete(
                        body, response.headers, response.links,
                        paging=dialect.paging, records_path=dialect.envelope.records,
                        items=pager.items, pages=pager.pages, what=what, url=response.url,
                    )  # fmt: skip
                yield Page(records, response.url, index, response.content)
                if step is None:
                    return
                if step.url is not None:
                    guard.check_next(step.url)
                    url, query = step.url, None
                else:
                    guard.check_count(url)
                    query = step.params
                headers = step.headers
                index += 1
        except ApiError as exc:
            self._remember(exc)
            raise

    def get_all(
        self,
        path: str,
        params: Mapping[str, str] | None = None,
        *,
        dialect: Dialect | None = None,
        dataset: str | None = None,
    ) -> list[dict[str, Any]]:
        """Every record of a collection, all pages joined (PagingError rather than a cut)."""
        records: list[dict[str, Any]] = []
        for page in self.iter_pages(path, params, dialect=dialect, dataset=dataset):
            records.extend(page.records)
        return records

    def status(self) -> dict[str, Any]:
        """Token expiry, active key, last error and counters; never a secret."""
        expires_at = self._tokens.expires_at
        left = self._tokens.seconds_left()
        return {
            "base_url": self._settings.base_url,
            "token_expires_at": (
                dt.datetime.fromtimestamp(expires_at, dt.UTC).isoformat().replace("+00:00", "Z")
                if expires_at is not None
                else None
            ),
            "token_seconds_left": None if left is None else max(0.0, round(left, 1)),
            "active_key": self._active_key,
            "secondary_key_configured": bool(self._settings.subscription_key_secondary),
            "last_error": self._last_error,
            "stats": self.stats.as_dict(),
        }

    def close(self) -> None:
        """Close the session if this client created it."""
        if self._own_session:
            self._session.close()

    def __enter__(self) -> EcoreClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"EcoreClient(base_url={self._settings.base_url!r}, active_key={self._active_key!r})"

    # ---- request loop -------------------------------------------------------------------------

    def _get(
        self,
        url: str,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[requests.Response, Any]:
        try:
            return self._get_with_retries(url, params, headers)
        except EcoreError as exc:
            self._remember(exc)
            raise

    def _get_with_retries(
        self,
        url: str,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[requests.Response, Any]:
        """One GET, its retries and waits included, within ``settings.request_deadline``."""
        s = self._settings
        s.require_api()
        with Deadline(s.request_deadline) as deadline:
            return self._attempts(url, params, headers, deadline)

    def _attempts(
        self,
        url: str,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        deadline: Deadline,
    ) -> tuple[requests.Response, Any]:
        s = self._settings
        attempt = 0  # retries used so far
        token_renewed = False
        while True:
            slot, key = self._key()
            token = self._tokens.token()
            self.stats.add("requests")
            started = time.perf_counter()
            left = max(deadline.left(), 0.001)
            try:
                response = self._session.get(
                    url,
                    params=params,
                    headers=headers or None,  # a paging style's own (a continuation token)
                    auth=_GatewayAuth(s.subscription_key_header, key, token),
                    timeout=(min(s.connect_timeout, left), min(s.read_timeout, left)),
                    allow_redirects=False,
                    stream=True,  # the body is read below: capped, within the deadline
                )
            except requests.RequestException as exc:
                if deadline.passed():
                    raise deadline_error(url, deadline) from None
                error = network_error(
                    exc, url, connect_timeout=s.connect_timeout, read_timeout=s.read_timeout
                )
                if attempt >= s.retries:
                    raise error from None
                attempt = self._pause(attempt, None, f"{type(exc).__name__} for {url}", deadline)
                continue
            try:
                size = read_body(response, s.max_response_bytes, deadline)
            except requests.RequestException as exc:
                response.close()
                if attempt >= s.retries:
                    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
                        raise _cut_short(response, exc) from None
                    raise network_error(  # e.g. the read timeout struck mid-body
                        exc, url, connect_timeout=s.connect_timeout, read_timeout=s.read_timeout
                    ) from None
                why = f"body cut short for {response.url}"
                attempt = self._pause(attempt, None, why, deadline)
                continue
            status = response.status_code
            self.stats.add("bytes", size)
            logger.debug(
                "GET %s -> %d (%d bytes, %.0f ms)",
                response.url,
                status,
                size,
                (time.perf_counter() - started) * 1000,
            )
            if status == 200:
                exact, example = quote_big_integers(response.content)
                if example is not None:
                    response._content = exact
                    logger.warning(
                        "The API sent integers beyond 2^53, e.g. %s, for %s: kept as text, "
                        "exactly as sent (Excel holds 15 digits of a number).",
                        example,
                        urlsplit(response.url).path,
                    )
                return response, decode_json(response, response.url)
            if status == 401:
                kind = kind_of_401(response)
                if kind != "key" and not token_renewed:  # token refused (or unsaid): renew once
                    self._tokens.invalidate(token)
                    token_renewed = True
                    continue
                if kind == "key" and self._switch_key(slot):
                    continue
                raise self._error(response, slot)
            wait = self._wait_hint(response)
            if status in RETRYABLE_STATUS or (wait is not None and status == 403):
                if wait is not None and wait > s.max_retry_after:
                    raise self._error(response, slot)
                if attempt >= s.retries:
                    raise self._error(response, slot)
                why = f"HTTP {status} for {response.url}"
                attempt = self._pause(attempt, wait, why, deadline)
                continue
            if 300 <= status < 400:
                raise UnexpectedResponseError(
                    f"The API redirected {response.url} to "
                    f"{response.headers.get('Location', '?')}: not followed; check "
                    "ECORE_BASE_URL.",
                    status=status,
                    url=response.url,
                )
            raise self._error(response, slot)

    def _wait_hint(self, response: requests.Response) -> float | None:
        """How long the API asks us to wait (Retry-After, or the message), if it says."""
        wait = parse_retry_after(response.headers.get("Retry-After"), self._clock())
        if response.status_code == 403:
            message = gateway_message(response)
            if "quota" not in message.lower():
                return None
            if wait is None:
                wait = parse_replenish(message)
            return wait
        if wait is None and response.status_code == 429:
            message = gateway_message(response).lower()
            if _TRY_AGAIN_PREFIX in message:
                digits = message.split(_TRY_AGAIN_PREFIX, 1)[1].split(" ", 1)[0]
                if digits.isdigit():
                    wait = float(digits)
        return wait

    def _pause(self, attempt: int, wait: float | None, why: str, deadline: Deadline) -> int:
        delay = wait if wait is not None else backoff_delay(attempt, self._rng)
        if delay >= deadline.left():  # never sleep past the deadline: say so now
            raise DeadlineExceededError(
                f"{why}: retrying in {human_seconds(delay)} would pass ECORE_REQUEST_DEADLINE "
                f"({deadline.seconds:g} s): try again later."
            )
        logger.info(
            "%s; retry %d/%d in %s",
            why,
            attempt + 1,
            self._settings.retries,
            human_seconds(delay) if delay >= 1 else f"{delay:.2f} s",
        )
        self.stats.add("retries")
        self._sleep(delay)
        return attempt + 1

    def _error(self, response: requests.Response, slot: KeySlot) -> ApiError:
        key_name = (
            "both ECORE_SUBSCRIPTION_KEY and ECORE_SUBSCRIPTION_KEY_SECONDARY"
            if slot == "secondary"
            else "ECORE_SUBSCRIPTION_KEY"
        )
        return api_error(
            response,
            response.url,
            now=self._clock(),
            max_retry_after=self._settings.max_retry_after,
            key_name=key_name,
        )

    # ---- subscription keys --------------------------------------------------------------------

    def _key(self) -> tuple[KeySlot, str]:
        slot = self._active_key
        s = self._settings
        key = s.subscription_key_secondary if slot == "secondary" else s.subscription_key
        return slot, key or ""

    def _switch_key(self, refused: KeySlot) -> bool:
        """After ``refused`` was rejected: True if another key is (now) in use to retry with."""
        with self._key_lock:
            if self._active_key != refused:
                return True  # another thread switched already
            secondary = self._settings.subscription_key_secondary
            if refused == "primary" and secondary:
                self._active_key = "secondary"
                self.stats.add("key_switches")
                logger.warning(
                    "The API gateway refused the primary subscription key %s; using the "
                    "secondary key %s from now on. Update ECORE_SUBSCRIPTION_KEY.",
                    mask_secret(self._settings.subscription_key),
                    mask_secret(secondary),
                )
                return True
            return False

    # ---- helpers ------------------------------------------------------------------------------

    def _url(self, path_or_url: str) -> str:
        base = self._settings.base_url
        if path_or_url.startswith(("http://", "https://")):
            if not same_origin(path_or_url, base):
                raise UsageError(
                    f"{path_or_url} is not on the eCore API host of ECORE_BASE_URL ({base}): "
                    "the token and subscription key are only sent there."
                )
            return path_or_url
        return base.rstrip("/") + "/" + path_or_url.lstrip("/")

    def _remember(self, exc: EcoreError) -> None:
        self._last_error = f"{type(exc).__name__}: {exc}"


def _cut_short(response: requests.Response, exc: BaseException) -> UnexpectedResponseError:
    length = response.headers.get("Content-Length")
    promised = f" of the {length} bytes promised" if length else ""
    ctype = response.headers.get("Content-Type") or "no content type"
    return UnexpectedResponseError(
        f"The API's answer for {response.url} was cut short (connection closed before the end"
        f"{promised}; HTTP {response.status_code}, {ctype}): try again; a proxy or an unstable "
        "network may be in the way.",
        status=response.status_code,
        url=response.url,
        detail=f"{type(exc).__name__}: {exc}",
    )
