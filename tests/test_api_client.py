"""EcoreClient against the mock: keys, retries, Retry-After caps, quota, malformed bodies."""

from __future__ import annotations

import logging
import socket
import threading

import pytest

from ecore_xl.api import EcoreClient
from ecore_xl.errors import (
    AuthenticationError,
    BadRequestError,
    NetworkError,
    NotFoundError,
    QuotaExceededError,
    RateLimitError,
    ServerError,
    SubscriptionKeyError,
    UnexpectedResponseError,
)
from ecore_xl.mock import MockServer
from tests.api_fixtures import Sleeps
from tests.conftest import settings_for

DAY = {"from": "2026-01-05", "to": "2026-01-06", "granularity": "quarterhour"}


def _client(srv: MockServer, sleeps: Sleeps | None = None, **overrides: object) -> EcoreClient:
    return EcoreClient(
        settings_for(srv, **overrides), sleep=sleeps if sleeps is not None else Sleeps()
    )


def _meter(client: EcoreClient) -> str:
    return str(client.get_all("/meters")[0]["id"])


def test_get_json_returns_one_object_and_lists_come_in_pages() -> None:
    with MockServer(seed=42, meters=3) as srv, _client(srv) as client:
        contracts = client.get_all("/contracts")
        assert contracts and all("id" in c for c in contracts)
        one = client.get_json(f"/contracts/{contracts[0]['id']}")
        assert isinstance(one, dict) and one["id"] == contracts[0]["id"]
        status = client.status()
        assert status["active_key"] == "primary"
        assert status["token_expires_at"].endswith("Z")
        assert 3500 < status["token_seconds_left"] <= 3600
        assert status["last_error"] is None
        assert client.stats.requests == srv.stats.data_requests


def test_rotation_to_the_secondary_key_happens_once_for_all_threads(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with MockServer(seed=42, meters=2) as srv, _client(srv) as client:
        client.get_all("/legal-entities")
        srv.revoke_primary()
        barrier = threading.Barrier(8)
        results: list[int] = []

        def work() -> None:
            barrier.wait()
            results.append(len(client.get_all("/legal-entities")))

        with caplog.at_level(logging.WARNING, logger="ecore_xl.api"):
            threads = [threading.Thread(target=work) for _ in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=30)
        assert len(results) == 8 and len(set(results)) == 1
        assert client.stats.key_switches == 1
        assert client.status()["active_key"] == "secondary"
        warnings = [r for r in caplog.records if "secondary key" in r.getMessage()]
        assert len(warnings) == 1
        assert srv.primary_key not in caplog.text and srv.secondary_key not in caplog.text
        assert srv.primary_key[:4] + "…" in warnings[0].getMessage()
        before = client.stats.requests
        srv.reset_stats()
        client.get_json("/legal-entities")
        assert client.stats.requests == before + 1  # straight to the secondary, no 401 first
        assert srv.stats.data_requests == 1


def test_refused_key_without_secondary_says_where_to_look() -> None:
    with MockServer(seed=42, meters=2) as srv:
        srv.revoke_primary()
        client = EcoreClient(
            settings_for(srv).replace(subscription_key_secondary=None), sleep=Sleeps()
        )
        with client, pytest.raises(SubscriptionKeyError) as info:
            client.get_all("/meters")
    text = str(info.value)
    assert "Developer Portal" in text and "ECORE_SUBSCRIPTION_KEY_SECONDARY" in text
    assert info.value.status == 401


def test_both_keys_refused_is_a_subscription_key_error() -> None:
    with MockServer(seed=42, meters=2) as srv:
        client = _client(srv, subscription_key="wrong-key-1", subscription_key_secondary="wrong-2")
        with client, pytest.raises(SubscriptionKeyError, match="both ECORE_SUBSCRIPTION_KEY"):
            client.get_json("/meters")
        assert client.stats.key_switches == 1


def test_429_with_retry_after_is_retried_to_success() -> None:
    sleeps = Sleeps()
    with MockServer(seed=42, meters=2, page_size=20) as srv, _client(srv, sleeps) as client:
        meter = _meter(client)
        srv.faults.rate_limit_every = 3
        srv.faults.retry_after_s = 2
        records = client.get_all("/volumes", {"meterId": meter, **DAY})
        assert len(records) == 96
        assert srv.stats.faults["429"] >= 2
        assert sleeps == [2.0] * srv.stats.faults["429"]
        assert client.stats.retries == srv.stats.faults["429"]


def test_retry_after_above_the_cap_raises_at_once_saying_how_long() -> None:
    sleeps = Sleeps()
    with MockServer(seed=42, meters=2) as srv, _client(srv, sleeps, max_retry_after=60) as c:
        srv.faults.rate_limit_every = 1
        srv.faults.retry_after_s = 150
        with pytest.raises(RateLimitError) as info:
            c.get_json("/meters")
        assert srv.stats.data_requests == 1
    assert sleeps == []
    assert info.value.retry_after == 150
    assert "2 min 30 s" in str(info.value) and "ECORE_MAX_RETRY_AFTER" in str(info.value)


def test_429_that_outlives_the_retries_is_a_rate_limit_error() -> None:
    sleeps = Sleeps()
    with MockServer(seed=42, meters=2) as srv, _client(srv, sleeps, retries=2) as client:
        srv.faults.rate_limit_every = 1
        with pytest.raises(RateLimitError, match="still exceeded"):
            client.get_json("/meters")
        assert srv.stats.data_requests == 3
    assert sleeps == [1.0, 1.0]


def test_quota_reports_the_replenish_time_without_waiting() -> None:
    sleeps = Sleeps()
    with MockServer(seed=42, meters=2) as srv, _client(srv, sleeps) as client:
        srv.faults.quota_exhausted = True
        with pytest.raises(QuotaExceededError) as info:
            client.get_all("/meters")
        assert srv.stats.data_requests == 1
        assert client.status()["last_error"].startswith("QuotaExceededError")
    assert sleeps == []
    assert info.value.retry_after == 3600
    assert "replenished in 1 h" in str(info.value)


def test_5xx_and_dropped_connections_are_retried_with_backoff() -> None:
    with MockServer(seed=42, meters=2) as srv:
        srv.faults.error_5xx_ratio = 1.0
        srv.faults.drop_ratio = 1.0

        def calm_down(seconds: float) -> None:
            if srv.faults.drop_ratio:  # first the connection drops, then a 5xx, then fine
                srv.faults.drop_ratio = 0.0
            else:
                srv.faults.error_5xx_ratio = 0.0

        sleeps = Sleeps(hook=calm_down)
        with _client(srv, sleeps) as client:
            assert client.get_all("/meters")
            assert srv.stats.faults["drop"] == 1 and srv.stats.faults["5xx"] == 1
            assert client.stats.retries == 2
        assert len(sleeps) == 2 and all(0 < s <= 1.0 for s in sleeps)


def test_5xx_that_outlives_the_retries_is_a_server_error() -> None:
    with MockServer(seed=42, meters=2) as srv, _client(srv, retries=1) as client:
        srv.faults.error_5xx_ratio = 1.0
        with pytest.raises(ServerError, match="try again later"):
            client.get_json("/meters")
        assert srv.stats.data_requests == 2


def test_expired_token_mid_run_is_renewed_transparently() -> None:
    with MockServer(seed=42, meters=2, page_size=20) as srv, _client(srv) as client:
        meter = _meter(client)
        pages = client.iter_pages("/volumes", {"meterId": meter, **DAY})
        records = list(next(pages).records)
        srv.expire_tokens()
        for page in pages:
            records.extend(page.records)
        assert len(records) == 96
        assert client.stats.token_refreshes == 2
        assert client.stats.retries == 0


def test_token_refused_twice_is_an_authentication_error() -> None:
    with MockServer(seed=42, meters=2) as srv, _client(srv) as client:
        client.get_json("/meters")
        srv.tokens.valid = lambda header: False  # the API refuses every token, even fresh ones
        with pytest.raises(AuthenticationError, match="ECORE_SCOPE"):
            client.get_json("/meters")
        assert srv.stats.token_requests == 2


@pytest.mark.parametrize(
    ("kind", "match"),
    [
        ("html", "HTML page"),
        ("nonjson", "not valid JSON"),
        ("empty", "empty body"),
        ("truncated", "cut short"),
    ],
)
def test_malformed_bodies_are_unexpected_responses(kind: str, match: str) -> None:
    with MockServer(seed=42, meters=2) as srv, _client(srv, retries=1) as client:
        srv.faults.malformed = {"/meters": kind}
        with pytest.raises(UnexpectedResponseError, match=match) as info:
            client.get_all("/meters")
        assert client.get_all("/legal-entities")  # other paths unaffected
    if kind != "truncated":
        assert "(text/html" in str(info.value) or "(application/json" in str(info.value)


def test_huge_page_is_parsed() -> None:
    with MockServer(seed=42, meters=2) as srv, _client(srv) as client:
        expected = client.get_all("/meters")
        srv.faults.malformed = {"/meters": "huge"}
        assert [m["id"] for m in client.get_all("/meters")] == [m["id"] for m in expected]
        assert client.stats.bytes > 1_000_000


def test_bad_parameter_names_the_target_and_unknown_things_are_not_found() -> None:
    with MockServer(seed=42, meters=2) as srv, _client(srv) as client:
        with pytest.raises(BadRequestError) as info:
            client.get_all("/volumes", {"meterId": _meter(client), "from": "2026-01-05"})
        assert info.value.target == "to" and "'to'" in str(info.value)
        with pytest.raises(NotFoundError, match="/v1/nothing-here"):
            client.get_json("/nothing-here")
        with pytest.raises(NotFoundError, match="check the id"):
            client.get_json("/contracts/NO-SUCH-ID")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_connection_refused_is_a_network_error_after_retries() -> None:
    sleeps = Sleeps()
    with MockServer(seed=42, meters=2) as srv:
        dead = f"http://127.0.0.1:{_closed_port()}/v1"
        with _client(srv, sleeps, base_url=dead, retries=2) as client:
            with pytest.raises(NetworkError, match="Cannot reach the eCore API") as info:
                client.get_json("/meters")
            assert client.stats.retries == 2
        assert "check the network" in str(info.value)
    assert len(sleeps) == 2


def test_unreachable_token_service_is_a_network_error_naming_it() -> None:
    with MockServer(seed=42, meters=2) as srv:
        dead = f"http://127.0.0.1:{_closed_port()}/token"
        with (
            _client(srv, token_url=dead, retries=1) as client,
            pytest.raises(NetworkError, match="the token service"),
        ):
            client.get_json("/meters")


def test_read_timeout_is_a_network_error_naming_the_setting() -> None:
    sleeps = Sleeps()
    with MockServer(seed=42, meters=2) as srv:
        with _client(srv, sleeps, read_timeout=0.2, retries=1) as client:
            client.get_json("/meters")  # token first, while the server is quick
            srv.faults.latency_s = 0.6
            with pytest.raises(NetworkError, match=r"within 0.2 s.*ECORE_READ_TIMEOUT"):
                client.get_json("/meters")
            assert client.stats.retries == 1
        srv.faults.latency_s = 0.0
    assert len(sleeps) == 1
