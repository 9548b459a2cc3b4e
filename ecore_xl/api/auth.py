"""Client-credentials access tokens: cached, refreshed early, one lock per provider.

Both response shapes are accepted: Azure AD B2C (``expires_in``, ``expires_on``, ``not_before``,
``resource``) and Entra ID (``expires_in``, ``ext_expires_in``). The lifetime always comes from
the response; 3600 s is never assumed.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Any

import orjson
import requests
from requests.auth import AuthBase

from ecore_xl.api._log import logger, register_secret
from ecore_xl.api.backoff import backoff_delay
from ecore_xl.api.body import deadline_error, read_body
from ecore_xl.api.deadline import Deadline
from ecore_xl.api.errors_map import describe_body, network_error, parse_retry_after, token_error
from ecore_xl.config import Settings
from ecore_xl.errors import (
    ApiError,
    DeadlineExceededError,
    ResponseTooLargeError,
    UnexpectedResponseError,
)

__all__ = ["NoAuth", "TokenProvider"]

#: lifetime used when a token response states none at all (refresh soon rather than late)
_FALLBACK_LIFETIME = 300.0
#: a token response is a few kilobytes; more is not a token service
_MAX_TOKEN_BYTES = 1024 * 1024


class NoAuth(AuthBase):
    """Explicit "no auth": stops requests from adding ``~/.netrc`` credentials."""

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        return r


class TokenProvider:
    """Fetches and caches the access token; thread-safe, at most one POST in flight."""

    def __init__(
        self,
        settings: Settings,
        session: requests.Session,
        *,
        clock: Callable[[], float] = time.time,
        early_refresh: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._settings = settings
        self._session = session
        self._clock = clock
        self._early_refresh = early_refresh
        self._sleep = sleep
        self._lock = threading.Lock()  # held by the instance: every caller shares it
        self._rng = random.Random()
        #: (token, refresh_at), replaced as a whole so the fast path reads it without the lock
        self._cached: tuple[str, float] | None = None
        self.expires_at: float | None = None
        self.refreshes = 0
        register_secret(settings.client_secret)

    def __repr__(self) -> str:
        return (
            f"TokenProvider(token_url={self._settings.token_url!r}, "
            f"client_id={self._settings.client_id!r}, expires_at={self.expires_at!r})"
        )

    # ---- public -------------------------------------------------------------------------------

    def token(self) -> str:
        """A valid access token, fetching a new one when none is cached or it is due."""
        cached = self._cached
        if cached is not None and self._clock() < cached[1]:
            return cached[0]
        with self._lock:
            cached = self._cached  # another thread may have refreshed while we waited
            if cached is not None and self._clock() < cached[1]:
                return cached[0]
            return self._refresh()

    def invalidate(self, token: str) -> None:
        """Forget the cached token if it is still ``token`` (the API said it is invalid)."""
        with self._lock:
            if self._cached is not None and self._cached[0] == token:
                self._cached = None
                self.expires_at = None
                logger.info("Access token refused by the API; a new one will be fetched")

    def seconds_left(self) -> float | None:
        """Seconds until the cached token expires, or None when none is cached."""
        expires_at = self.expires_at
        return None if expires_at is None else expires_at - self._clock()

    # ---- internals (called with the lock held) ------------------------------------------------

    def _refresh(self) -> str:
        s = self._settings
        s.require("token_url", "client_id", "client_secret", "scope")
        token_url = s.token_url or ""  # require() has checked it is set
        form = {
            "grant_type": "client_credentials",
            "client_id": s.client_id,
            "client_secret": s.client_secret,
            "scope": s.scope,
        }
        with Deadline(s.request_deadline) as deadline:
            return self._post(token_url, form, deadline)

    def _post(self, token_url: str, form: dict[str, Any], deadline: Deadline) -> str:
        """The token POST with retries, within ``deadline``; the body capped."""
        s = self._settings
        attempt = 0
        while True:
            started = self._clock()
            wait: float | None = None
            left = max(deadline.left(), 0.001)
            try:
                response = self._session.post(
                    token_url,
                    data=form,
                    headers={"Accept": "application/json"},
                    timeout=(min(s.connect_timeout, left), min(s.read_timeout, left)),
                    auth=NoAuth(),
                    allow_redirects=False,
                    stream=True,
                )
                cap = min(s.max_response_bytes, _MAX_TOKEN_BYTES)
                read_body(response, cap, deadline, what="The token service")
            except (ResponseTooLargeError, DeadlineExceededError):
                raise
            except requests.RequestException as exc:
                if deadline.passed():
                    raise deadline_error(token_url, deadline, what="The token service") from None
                error: ApiError = network_error(
                    exc,
                    token_url,
                    connect_timeout=s.connect_timeout,
                    read_timeout=s.read_timeout,
                    what="the token service",
                )
                retryable = True
            else:
                if response.status_code == 200:
                    return self._accept(response, started)
                error, retryable = token_error(response)
                wait = parse_retry_after(response.headers.get("Retry-After"), self._clock())
            if not retryable or attempt >= s.retries:
                logger.info("Token request failed: %s", error)  # raised: the caller reports it
                raise error
            delay = backoff_delay(attempt, self._rng)
            if wait is not None and wait <= s.max_retry_after:
                delay = max(delay, wait)
            if delay >= deadline.left():
                raise deadline_error(token_url, deadline, what="The token service")
            logger.info(
                "Token request failed (%s); retry %d/%d in %.1f s",
                error,
                attempt + 1,
                s.retries,
                delay,
            )
            self._sleep(delay)
            attempt += 1

    def _accept(self, response: requests.Response, started: float) -> str:
        try:
            body: Any = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            body = None
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            got = (
                f"fields {', '.join(sorted(body))}"
                if isinstance(body, dict)
                else describe_body(response)
            )
            raise UnexpectedResponseError(
                f"The token service answered 200 without an access_token ({got}): "
                "check ECORE_TOKEN_URL.",
                status=200,
            )
        register_secret(token, token=True)
        token_type = str(body.get("token_type") or "Bearer")
        if token_type.lower() != "bearer":
            logger.warning("Token type %r is not Bearer; using it as a bearer token", token_type)
        lifetime = _number(body.get("expires_in"))
        if lifetime is None or lifetime <= 0:
            expires_on = _number(body.get("expires_on"))
            lifetime = expires_on - started if expires_on is not None else None
        if lifetime is None or lifetime <= 0:
            logger.warning(
                "Token response states no lifetime; refreshing after %d s", _FALLBACK_LIFETIME
            )
            lifetime = _FALLBACK_LIFETIME
        margin = min(self._early_refresh, 0.1 * lifetime)
        self.expires_at = started + lifetime
        self._cached = (token, self.expires_at - margin)
        self.refreshes += 1
        shape = "B2C" if "expires_on" in body or "resource" in body else "Entra"
        logger.info("Access token obtained (%s shape, valid for %d s)", shape, lifetime)
        return token


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None
