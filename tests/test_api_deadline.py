"""Total deadlines (``api/deadline.py``): a trickling or silent server cannot hold a request
past ``ECORE_REQUEST_DEADLINE``; the read timeout alone (per socket read) never strikes there.

Each server here would take a minute or more to answer; the deadline is one second; the call
must end with a DeadlineExceededError long before the server would have finished.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from ecore_xl.api import EcoreClient
from ecore_xl.config import Settings
from ecore_xl.errors import DeadlineExceededError
from tests.api_fixtures import Sleeps
from tests.listener_fixtures import (
    Handler,
    TinyHTTP,
    silent,
    token_then,
    trickle,
    trickle_headers,
)

DEADLINE = 1.0
#: the servers below would need at least this long: a call that ends sooner was cut
SERVER_NEEDS = 60.0


def _settings(url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "base_url": url + "/v1",
        "token_url": url + "/token",
        "client_id": "client",
        "client_secret": "secret-0123456789",
        "scope": "https://tenant/api/.default",
        "subscription_key": "key-0123456789",
        "read_timeout": 120.0,
        "request_deadline": DEADLINE,
    }
    return Settings(**{**values, **overrides})  # type: ignore[arg-type]


def _ends_with_deadline(handler: Handler) -> tuple[DeadlineExceededError, float]:
    with TinyHTTP(token_then(handler)) as api:
        client = EcoreClient(_settings(api.url), sleep=Sleeps())
        started = time.monotonic()
        with pytest.raises(DeadlineExceededError) as info:
            client.get_json("/contracts")
        took = time.monotonic() - started
        client.close()
    return info.value, took


SERVERS: dict[str, Callable[[], Handler]] = {
    "a body trickling one byte every 0.2 s": lambda: trickle(0.2, int(SERVER_NEEDS / 0.2)),
    "headers trickling one byte every 0.2 s": lambda: trickle_headers(0.2, int(SERVER_NEEDS / 0.2)),
    "silence after the request": lambda: silent(SERVER_NEEDS),
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", list(SERVERS))
def test_a_slow_server_is_cut_at_the_deadline(kind: str) -> None:
    error, took = _ends_with_deadline(SERVERS[kind]())
    assert took < SERVER_NEEDS / 4, f"{kind}: {took:.1f} s"
    assert "within 1 s (ECORE_REQUEST_DEADLINE)" in str(error)
    assert "\n" not in str(error)


@pytest.mark.timeout(60)
def test_the_token_service_has_the_deadline_too() -> None:
    with TinyHTTP(trickle(0.2, int(SERVER_NEEDS / 0.2))) as api:  # POST trickles as well
        client = EcoreClient(_settings(api.url), sleep=Sleeps())
        started = time.monotonic()
        with pytest.raises(DeadlineExceededError, match="The token service did not finish"):
            client.get_json("/contracts")
        assert time.monotonic() - started < SERVER_NEEDS / 4


def test_a_retry_that_would_sleep_past_the_deadline_is_not_slept() -> None:
    """A 503 with Retry-After 30: waiting would pass the deadline, so it says so at once."""

    def busy(h):  # type: ignore[no-untyped-def]
        h.send_response(503)
        h.send_header("Retry-After", "30")
        h.send_header("Content-Length", "0")
        h.end_headers()

    sleeps = Sleeps()
    with TinyHTTP(token_then(busy)) as api:
        client = EcoreClient(_settings(api.url, request_deadline=5.0), sleep=sleeps)
        with pytest.raises(DeadlineExceededError, match="retrying in 30 s would pass"):
            client.get_json("/contracts")
    assert list(sleeps) == []


def test_a_deadline_that_does_not_strike_changes_nothing(srv) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import settings_for

    with EcoreClient(settings_for(srv, request_deadline=30.0)) as client:
        assert len(client.get_all("/meters")) == len(srv.portfolio.meters)
