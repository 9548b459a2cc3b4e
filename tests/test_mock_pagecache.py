"""The mock's fast path answers byte for byte what its plain path answers.

Two mocks of the same portfolio per dialect (every preset, every axis moved alone): one keeping
no pages (``page_cache_mb=0``: every answer built and serialised again), one keeping them. Every
dataset's example request (the Postman collection's, a small page size: several pages) is walked
twice on each; every body, status and paging header must be the same, and every body must be
exactly the stdlib's ``json.dumps`` text of its content (orjson writes it only where that holds).
Then each thing that changes an answer is changed once and a later, kept page must show it.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from ecore_xl.mock import Faults, MockServer
from ecore_xl.mock.postman_export import _request
from ecore_xl.mock.wire import stdlib_dumps
from tests.dialect_compare import AXES
from tests.dialect_fixtures import session_for, walk
from tests.mock_fixtures import AS_OF, auth_headers, get_token

CASES: dict[str, dict[str, Any]] = {
    "ecore": {"dialect": "ecore"},
    "paged": {"dialect": "paged"},
    "bare": {"dialect": "bare"},
    **{axis: {"dialect": "ecore", **switch} for axis, (switch, _) in AXES.items()},
    "ignored to": {"dialect": "ecore", "ignore_params": {"volumes": ["to"]}},
}
PORTFOLIO = {"seed": 42, "meters": 3, "years": (2026,), "as_of": AS_OF}
IDS = {"portfolioId": "PF-0002", "contractId": "CTR-0002", "meterId": "MTR-0002",
       "id": "CTR-0002"}  # fmt: skip
SHOWN_HEADERS = ("Link", "X-Total-Count", "x-ms-continuation", "Content-Type", "Retry-After")


def _path(template: str, dataset: str, vars_: dict[str, str]) -> str:
    out = template
    for name, canonical in vars_.items():
        ident = "INV-000002" if dataset == "invoices" and canonical == "id" else IDS[canonical]
        out = out.replace("{" + name + "}", ident)
    return out


def _exchanges(srv: MockServer) -> list[tuple[str, int, bytes, dict[str, str]]]:
    """Every route's example walked (3 records a page), each response as (url, status, body,
    paging headers) with the server's own base URL written as BASE."""
    seen: list[tuple[str, int, bytes, dict[str, str]]] = []
    base = srv.base_url

    def keep(r: requests.Response, *args: Any, **kw: Any) -> None:
        shown = {h: r.headers[h].replace(base, "BASE") for h in SHOWN_HEADERS if h in r.headers}
        url = (r.request.url or "").replace(base, "BASE")
        seen.append((url, r.status_code, r.content.replace(base.encode(), b"BASE"), shown))

    session = session_for(srv)
    session.hooks["response"].append(keep)
    tz = ZoneInfo("Europe/Berlin")
    for route in srv.dialect.routes:
        _, sent = _request(srv.dialect, route, tz)
        path = _path(route.template, route.dataset, route.vars)
        if route.single:
            session.get(srv.base_url + path, params=sent, timeout=30)
            continue
        with contextlib.suppress(AssertionError):  # a dialect's 400 (gas daily only): compared
            walk(srv, session, path, sent, size=10, max_requests=30)
    return seen


@pytest.fixture(scope="module", params=list(CASES), ids=list(CASES))
def pair(request: pytest.FixtureRequest) -> Iterator[tuple[MockServer, MockServer]]:
    settings = {**PORTFOLIO, "page_size": 10, **CASES[request.param]}  # the size of every style
    with MockServer(page_cache_mb=0, **settings) as plain, MockServer(**settings) as fast:
        yield plain, fast


def test_the_fast_path_serves_the_plain_paths_bytes(pair: tuple[MockServer, MockServer]) -> None:
    plain, fast = pair
    reference = _exchanges(plain)
    first, again = _exchanges(fast), _exchanges(fast)
    assert plain.pages.hits == 0 and len(plain.pages) == 0
    assert fast.pages.hits > 0, "no volumes page was answered from the kept bytes"
    volumes = fast.dialect.collection_route("volumes")
    assert volumes is not None
    where = "BASE" + _path(volumes.template, "volumes", volumes.vars)
    pages = [u for u, *_ in reference if u.split("?")[0] == where]
    several = 1 if fast.dialect.paging.style == "none" else 2
    assert len(reference) >= 12 and len(pages) >= several  # every dataset, pages of volumes
    assert first == reference
    assert again == reference
    for url, status, body, _ in reference:
        if status != 500 and body:
            assert stdlib_dumps(json.loads(body)) == body, url


# ---------------------------------------------------------------- what changes a kept page
VOLUMES = {"meterId": "MTR-0001", "granularity": "quarterhour", "from": "2026-03-01",
           "to": "2026-03-02"}  # fmt: skip


@pytest.fixture()
def srv() -> Iterator[MockServer]:
    with MockServer(**PORTFOLIO) as server:
        yield server


def _get(srv: MockServer, session: requests.Session, **params: str) -> requests.Response:
    return session.get(srv.base_url + "/volumes", params={**VOLUMES, **params}, timeout=30)


def _kept_once(srv: MockServer) -> tuple[requests.Session, requests.Response]:
    session = session_for(srv)
    first = _get(srv, session)
    second = _get(srv, session)
    assert first.status_code == second.status_code == 200
    assert second.content == first.content and srv.pages.hits == 1
    return session, first


def test_extra_fields_added_later_are_served_on_a_kept_page(srv: MockServer) -> None:
    session, before = _kept_once(srv)
    srv.extra_fields["volumes"] = {"site": "Köln"}
    after = _get(srv, session)
    assert "site" not in before.json()["value"][0]
    assert {r["site"] for r in after.json()["value"]} == {"Köln"}
    srv.extra_fields["volumes"]["site"] = "Bonn"  # changed in place
    assert {r["site"] for r in _get(srv, session).json()["value"]} == {"Bonn"}
    del srv.extra_fields["volumes"]
    assert _get(srv, session).content == before.content


def test_a_new_page_size_pages_a_kept_request_anew(srv: MockServer) -> None:
    session, before = _kept_once(srv)
    assert len(before.json()["value"]) == 96
    srv.page_size = 40
    after = _get(srv, session).json()
    assert len(after["value"]) == 40 and "skipToken" in after["nextLink"]


def test_a_malformed_fault_breaks_a_kept_page_and_lifting_it_restores_it(srv: MockServer) -> None:
    session, before = _kept_once(srv)
    srv.faults.malformed["/volumes"] = "truncated"
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        _get(srv, session)
    session = session_for(srv)
    srv.faults.malformed["/volumes"] = "wrongtypes"
    assert isinstance(_get(srv, session).json()["value"][0]["value"], str)
    srv.faults.malformed.clear()
    assert _get(srv, session).content == before.content


def test_gateway_and_random_faults_still_come_before_a_kept_page(srv: MockServer) -> None:
    session, before = _kept_once(srv)
    srv.faults = Faults(error_5xx_ratio=1.0)
    assert _get(srv, session).status_code in (500, 502, 503, 504)
    srv.faults = Faults(rate_limit_every=1)
    assert _get(srv, session).status_code == 429
    srv.faults = Faults(quota_exhausted=True)
    assert _get(srv, session).status_code == 403
    srv.faults = Faults(drop_ratio=1.0)
    with pytest.raises(requests.exceptions.ConnectionError):
        _get(srv, session_for(srv))
    srv.faults = Faults()
    assert _get(srv, session_for(srv)).content == before.content
    assert srv.stats.faults["5xx"] == srv.stats.faults["429"] == srv.stats.faults["quota"] == 1


def test_a_revoked_key_and_expired_tokens_are_refused_before_a_kept_page(srv: MockServer) -> None:
    session, before = _kept_once(srv)
    srv.revoke_primary()
    assert _get(srv, session).status_code == 401
    srv.restore_primary()
    srv.expire_tokens()
    assert _get(srv, session).status_code == 401
    fresh = requests.Session()
    fresh.headers.update(auth_headers(srv, token=get_token(srv)))
    assert _get(srv, fresh).content == before.content


def test_kept_pages_are_counted_and_carry_their_own_request_id(srv: MockServer) -> None:
    session, before = _kept_once(srv)
    again = _get(srv, session)
    assert srv.stats.pages_served == 3 and srv.stats.requests_by_path["/volumes"] == 3
    assert again.headers["x-ms-request-id"] != before.headers["x-ms-request-id"]


def test_the_kept_bytes_stay_within_their_bound() -> None:
    with MockServer(page_cache_mb=0.25, **PORTFOLIO) as small:
        session = session_for(small)
        for day in range(1, 29):
            r = _get(small, session, **{"from": f"2026-02-{day:02d}", "to": "2026-03-01"})
            assert r.status_code == 200
        assert 0 < small.pages.size <= 0.25 * 2**20
        assert len(small.pages) < 28  # the oldest went


def test_a_negative_bound_is_refused() -> None:
    with pytest.raises(ValueError, match="page_cache_mb"):
        MockServer(page_cache_mb=-1)
