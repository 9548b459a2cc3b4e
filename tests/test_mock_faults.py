"""Mock eCore API: injected faults (malformed bodies, drops, 5xx, latency) and their counters."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest
import requests

from ecore_xl.mock import Faults, MockServer
from tests.mock_fixtures import AS_OF, auth_headers, token_form


@pytest.fixture(scope="module")
def srv() -> Iterator[MockServer]:
    with MockServer(meters=3, years=(2026,), as_of=AS_OF) as server:
        yield server


@pytest.fixture(scope="module")
def headers(srv: MockServer) -> dict[str, str]:
    return auth_headers(srv)


@pytest.fixture(autouse=True)
def _clean(srv: MockServer) -> Iterator[None]:
    srv.faults = Faults()
    srv.reset_stats()
    yield
    srv.faults = Faults()


def get(srv: MockServer, headers: dict[str, str], path: str) -> requests.Response:
    return requests.get(srv.base_url + path, headers=headers, timeout=10)


def test_malformed_html(srv: MockServer, headers: dict[str, str]) -> None:
    srv.faults.malformed["/contracts"] = "html"
    r = get(srv, headers, "/contracts")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/html")
    assert r.text.lstrip().startswith("<!DOCTYPE html>")
    assert get(srv, headers, "/meters").json()["value"]  # other paths unaffected
    assert srv.stats.faults["malformed"] == 1


@pytest.mark.parametrize("kind", ["nonjson", "empty"])
def test_malformed_not_json(srv: MockServer, headers: dict[str, str], kind: str) -> None:
    srv.faults.malformed["/meters"] = kind
    r = get(srv, headers, "/meters")
    assert r.status_code == 200
    assert int(r.headers["Content-Length"]) == len(r.content)
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.content)


def test_malformed_truncated_body(srv: MockServer, headers: dict[str, str]) -> None:
    srv.faults.malformed["/meters"] = "truncated"
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        get(srv, headers, "/meters")


def test_malformed_wrongtypes(srv: MockServer, headers: dict[str, str]) -> None:
    srv.faults.malformed["/volumes"] = "wrongtypes"
    r = requests.get(
        srv.base_url + "/volumes",
        params={"meterId": "MTR-0001", "from": "2026-05-01", "to": "2026-05-02"},
        headers=headers,
        timeout=5,
    )
    first = r.json()["value"][0]
    assert isinstance(first["value"], str)
    assert "." not in first["value"]


def test_malformed_huge_is_valid_but_large(srv: MockServer, headers: dict[str, str]) -> None:
    srv.faults.malformed["/legal-entities"] = "huge"
    r = get(srv, headers, "/legal-entities")
    assert len(r.content) > 8_000_000
    assert r.json()["value"] == srv.portfolio.legal_entities


def test_drop_closes_without_response(srv: MockServer, headers: dict[str, str]) -> None:
    srv.faults = Faults(drop_ratio=1.0)
    with pytest.raises(requests.exceptions.ConnectionError):
        get(srv, headers, "/contracts")
    assert srv.stats.faults["drop"] == 1
    srv.faults = Faults()
    assert get(srv, headers, "/contracts").ok


def test_5xx_faults_after_gateway(srv: MockServer, headers: dict[str, str]) -> None:
    srv.faults = Faults(error_5xx_ratio=1.0, drop_ratio=0.0)
    codes = {get(srv, headers, "/meters").status_code for _ in range(12)}
    assert codes <= {500, 502, 503, 504} and len(codes) >= 2
    assert requests.get(srv.base_url + "/meters", timeout=5).status_code == 401  # gateway first
    assert srv.stats.faults["5xx"] == 12


def test_fault_draws_are_reproducible(srv: MockServer, headers: dict[str, str]) -> None:
    runs = []
    for _ in range(2):
        srv.faults = Faults(error_5xx_ratio=0.5, seed=11)
        runs.append([get(srv, headers, "/legal-entities").status_code for _ in range(10)])
    assert runs[0] == runs[1]
    assert 200 in runs[0] and any(c >= 500 for c in runs[0])


def test_latency_is_added(srv: MockServer, headers: dict[str, str]) -> None:
    srv.faults = Faults(latency_s=0.2)
    r = get(srv, headers, "/legal-entities")
    assert r.ok and r.elapsed.total_seconds() >= 0.2


def test_stats_count_requests_by_path(srv: MockServer, headers: dict[str, str]) -> None:
    get(srv, headers, "/meters")
    get(srv, headers, "/meters")
    requests.post(srv.token_url, data=token_form(srv), timeout=5)
    assert srv.stats.requests_by_path["/meters"] == 2
    assert srv.stats.data_requests == 2 and srv.stats.token_requests == 1
    assert srv.stats.pages_served == 2


def test_stop_closes_the_port() -> None:
    srv = MockServer(meters=1, years=(2026,)).start()
    url = srv.base_url
    srv.stop()
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(url + "/meters", timeout=2)


def test_serve_forever_returns_when_stopped() -> None:
    srv = MockServer(meters=1, years=(2026,))
    runner = threading.Thread(target=srv.serve_forever, daemon=True)
    runner.start()
    for _ in range(100):
        if srv._httpd is not None:
            break
        runner.join(0.01)
    assert requests.get(srv.base_url + "/meters", timeout=5).status_code == 401
    srv.stop()
    runner.join(5)
    assert not runner.is_alive()
