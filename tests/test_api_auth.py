"""TokenProvider against the mock's B2C token endpoint: caching, early refresh, shapes, errors."""

from __future__ import annotations

import threading

import pytest
import requests

from ecore_xl.api import TokenProvider
from ecore_xl.errors import AuthenticationError, ServerError
from ecore_xl.mock import MockServer
from tests.api_fixtures import FakeClock, Sleeps
from tests.conftest import settings_for


@pytest.fixture
def session() -> requests.Session:
    with requests.Session() as s:
        yield s


def test_token_is_cached_and_refreshed_early_before_expiry(session: requests.Session) -> None:
    clock = FakeClock()
    with MockServer(seed=42, meters=2, token_lifetime=3600.0) as srv:
        tokens = TokenProvider(settings_for(srv), session, clock=clock, early_refresh=60.0)
        first = tokens.token()
        assert tokens.token() == first
        assert srv.stats.token_requests == 1
        assert tokens.expires_at == pytest.approx(clock.now + 3600.0)
        clock.advance(3600 - 61)  # still more than early_refresh left
        assert tokens.token() == first
        assert srv.stats.token_requests == 1
        clock.advance(2)  # now 59 s left: inside the early-refresh window
        second = tokens.token()
        assert second != first
        assert srv.stats.token_requests == 2
        assert tokens.refreshes == 2


def test_short_lifetime_refreshes_at_ten_percent_not_at_a_fixed_minute(
    session: requests.Session,
) -> None:
    clock = FakeClock()
    with MockServer(seed=42, meters=2, token_lifetime=300.0) as srv:
        tokens = TokenProvider(settings_for(srv), session, clock=clock, early_refresh=60.0)
        tokens.token()
        clock.advance(269)  # 31 s left; margin is min(60, 10% of 300) = 30 s
        tokens.token()
        assert srv.stats.token_requests == 1
        clock.advance(2)
        tokens.token()
        assert srv.stats.token_requests == 2


@pytest.mark.parametrize("shape", ["b2c", "entra"])
def test_both_response_shapes_and_their_real_lifetime(
    session: requests.Session, shape: str
) -> None:
    clock = FakeClock()
    with MockServer(seed=7, meters=2, token_lifetime=900.0, token_shape=shape) as srv:
        tokens = TokenProvider(settings_for(srv), session, clock=clock)
        token = tokens.token()
        assert token.count(".") == 2  # JWT-shaped
        assert tokens.expires_at == pytest.approx(clock.now + 900.0)  # never an assumed 3600
        assert tokens.seconds_left() == pytest.approx(900.0)


def test_32_threads_with_an_expired_token_make_exactly_one_post(
    session: requests.Session,
) -> None:
    clock = FakeClock()
    with MockServer(seed=42, meters=2) as srv:
        tokens = TokenProvider(settings_for(srv), session, clock=clock)
        tokens.token()
        clock.advance(7200)  # expired for everyone
        srv.faults.latency_s = 0.05  # keep the POST in flight while the others arrive
        srv.reset_stats()
        barrier = threading.Barrier(32)
        got: list[str] = []
        lock = threading.Lock()

        def ask() -> None:
            barrier.wait()
            value = tokens.token()
            with lock:
                got.append(value)

        threads = [threading.Thread(target=ask) for _ in range(32)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert len(got) == 32
        assert len(set(got)) == 1
        assert srv.stats.token_requests == 1


def test_invalidate_drops_only_the_token_it_names(session: requests.Session) -> None:
    with MockServer(seed=42, meters=2) as srv:
        tokens = TokenProvider(settings_for(srv), session)
        old = tokens.token()
        tokens.invalidate("some-other-token")
        assert tokens.token() == old
        tokens.invalidate(old)
        assert tokens.expires_at is None
        assert tokens.token() != old
        assert srv.stats.token_requests == 2


def test_wrong_secret_gives_plain_advice_with_correlation_id_and_no_retry(
    session: requests.Session,
) -> None:
    sleeps = Sleeps()
    with MockServer(seed=42, meters=2) as srv:
        settings = settings_for(srv, client_secret="not-the-right-secret-123")
        tokens = TokenProvider(settings, session, sleep=sleeps)
        with pytest.raises(AuthenticationError) as info:
            tokens.token()
        assert srv.stats.token_requests == 1
    err = info.value
    assert str(err).startswith("The client secret is wrong: ask E&C support for a new one")
    assert err.correlation_id and len(err.correlation_id) == 36
    assert f"(correlation id {err.correlation_id})" in str(err)
    assert err.status == 401
    assert sleeps == []


@pytest.mark.parametrize(
    ("override", "setting"),
    [
        ({"client_id": "unknown-client"}, "ECORE_CLIENT_ID"),
        ({"scope": "https://mocktenant.onmicrosoft.com/other/.default"}, "ECORE_SCOPE"),
        ({"scope": "no-resource"}, "ECORE_SCOPE"),
    ],
)
def test_other_b2c_refusals_name_the_setting_to_fix(
    session: requests.Session, override: dict[str, str], setting: str
) -> None:
    with MockServer(seed=42, meters=2) as srv:
        tokens = TokenProvider(settings_for(srv, **override), session, sleep=Sleeps())
        with pytest.raises(AuthenticationError, match=setting) as info:
            tokens.token()
        assert srv.stats.token_requests == 1
    assert info.value.correlation_id


def test_token_5xx_is_retried_with_backoff_then_succeeds(session: requests.Session) -> None:
    with MockServer(seed=42, meters=2) as srv:
        srv.faults.token_error_5xx_ratio = 1.0
        sleeps = Sleeps(hook=lambda s: setattr(srv.faults, "token_error_5xx_ratio", 0.0))
        tokens = TokenProvider(settings_for(srv), session, sleep=sleeps)
        assert tokens.token()
        assert srv.stats.token_requests == 2
        assert srv.stats.faults["token_5xx"] == 1
        assert len(sleeps) == 1 and 0 < sleeps[0] <= 1.0


def test_token_5xx_gives_up_after_the_configured_retries(session: requests.Session) -> None:
    sleeps = Sleeps()
    with MockServer(seed=42, meters=2) as srv:
        srv.faults.token_error_5xx_ratio = 1.0
        tokens = TokenProvider(settings_for(srv, retries=2), session, sleep=sleeps)
        with pytest.raises(ServerError, match="try again"):
            tokens.token()
        assert srv.stats.token_requests == 3
    assert len(sleeps) == 2
    assert sleeps[0] <= 0.5 <= sleeps[1]  # backoff grows: 0.25-0.5 s, then 0.5-1 s
