"""Paging guards and edge replies the mock does not stage, against a scripted 127.0.0.1 stub."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping

import pytest

from ecore_xl.api import EcoreClient
from ecore_xl.errors import PagingError, RateLimitError, UnexpectedResponseError
from tests.api_fixtures import TOKEN_PATH, Reply, Stub, json_reply, token_reply
from tests.conftest import settings_for


def _client(stub: Stub, sleeps: list[float] | None = None, **overrides: object) -> EcoreClient:
    settings = settings_for(stub, **overrides)
    record = sleeps.append if sleeps is not None else (lambda s: None)
    return EcoreClient(settings, sleep=record)


def _data_paths(stub: Stub) -> list[str]:
    return [path for method, path, _ in stub.requests if method == "GET"]


def test_repeated_next_link_stops_with_paging_error_after_the_pages_it_got() -> None:
    def route(method: str, path: str, headers: Mapping[str, str], body: bytes) -> Reply:
        if path == TOKEN_PATH:
            return token_reply()
        page = int(path.rsplit("page=", 1)[1]) if "page=" in path else 0
        nxt = min(page + 1, 2)  # page 2 links to itself
        return json_reply(
            200, {"value": [{"id": page}], "nextLink": f"{stub.base}/v1/x?page={nxt}"}
        )

    with Stub(route) as stub, _client(stub) as client:
        seen: list[int] = []
        with pytest.raises(PagingError, match="sent before") as info:
            for page in client.iter_pages("/x"):
                seen.extend(r["id"] for r in page.records)
        assert seen == [0, 1, 2]
        assert _data_paths(stub) == ["/v1/x", "/v1/x?page=1", "/v1/x?page=2"]
        assert "page=2" in str(info.value)
        assert client.status()["last_error"].startswith("PagingError")


def test_next_link_to_another_host_is_not_followed() -> None:
    def elsewhere(method: str, path: str, headers: Mapping[str, str], body: bytes) -> Reply:
        return json_reply(200, {"value": []})

    with Stub(elsewhere) as other:

        def route(method: str, path: str, headers: Mapping[str, str], body: bytes) -> Reply:
            if path == TOKEN_PATH:
                return token_reply()
            return json_reply(200, {"value": [{"id": 1}], "@odata.nextLink": other.base + "/v1/x"})

        with (
            Stub(route) as stub,
            _client(stub) as client,
            pytest.raises(PagingError, match="another host"),
        ):
            client.get_all("/x")
        assert other.requests == []  # neither token nor key went there


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ({"items": []}, "records are under 'items', not 'value'"),
        ({"value": {"id": 1}}, "'value' is a object, not a list of records"),
        ({"value": [1, 2]}, "where a record"),
        ([{"id": 1}], r"records are under the body itself \(a bare JSON array\), not 'value'"),
    ],
)
def test_page_that_is_not_a_collection_is_an_unexpected_response(body: object, match: str) -> None:
    def route(method: str, path: str, headers: Mapping[str, str], data: bytes) -> Reply:
        return token_reply() if path == TOKEN_PATH else json_reply(200, body)

    with (
        Stub(route) as stub,
        _client(stub) as client,
        pytest.raises(UnexpectedResponseError, match=match),
    ):
        client.get_all("/x")


def test_get_json_returns_a_single_object_as_dict() -> None:
    def route(method: str, path: str, headers: Mapping[str, str], data: bytes) -> Reply:
        if path == TOKEN_PATH:
            return token_reply()
        return json_reply(200, {"id": "C-1", "name": "Power 2027"})

    with Stub(route) as stub, _client(stub) as client:
        assert client.get_json("/contracts/C-1") == {"id": "C-1", "name": "Power 2027"}


def test_retry_after_as_http_date_is_honoured_and_capped() -> None:
    calls = {"n": 0}
    ahead = {"s": 5.0}

    def route(method: str, path: str, headers: Mapping[str, str], data: bytes) -> Reply:
        if path == TOKEN_PATH:
            return token_reply()
        calls["n"] += 1
        if calls["n"] == 1:
            when = email.utils.formatdate(time.time() + ahead["s"], usegmt=True)
            return json_reply(
                429,
                {"statusCode": 429, "message": "Rate limit is exceeded."},
                **{"Retry-After": when},
            )
        return json_reply(200, {"value": [{"id": 1}]})

    sleeps: list[float] = []
    with Stub(route) as stub, _client(stub, sleeps) as client:
        assert client.get_all("/x") == [{"id": 1}]
        assert len(sleeps) == 1 and 3.0 <= sleeps[0] <= 5.0  # HTTP dates have 1 s resolution
        assert client.stats.retries == 1
        calls["n"], ahead["s"] = 0, 600.0
        with pytest.raises(RateLimitError, match="ECORE_MAX_RETRY_AFTER") as info:
            client.get_all("/x")
        assert info.value.retry_after is not None and info.value.retry_after > 500
        assert len(sleeps) == 1  # no second sleep: raised at once


def test_redirect_is_not_followed() -> None:
    def route(method: str, path: str, headers: Mapping[str, str], data: bytes) -> Reply:
        if path == TOKEN_PATH:
            return token_reply()
        return 302, {"Location": "http://login.example.invalid/"}, b""

    with Stub(route) as stub, _client(stub) as client:
        with pytest.raises(UnexpectedResponseError, match="redirected"):
            client.get_json("/x")
        assert len(_data_paths(stub)) == 1


def test_quota_with_a_short_retry_after_is_waited_out() -> None:
    calls = {"n": 0}

    def route(method: str, path: str, headers: Mapping[str, str], data: bytes) -> Reply:
        if path == TOKEN_PATH:
            return token_reply()
        calls["n"] += 1
        if calls["n"] == 1:
            message = "Out of call volume quota. Quota will be replenished in 00:00:03."
            return json_reply(403, {"statusCode": 403, "message": message}, **{"Retry-After": "3"})
        return json_reply(200, {"value": [{"id": 1}]})

    sleeps: list[float] = []
    with Stub(route) as stub, _client(stub, sleeps) as client:
        assert client.get_all("/x") == [{"id": 1}]
    assert sleeps == [3.0]


def test_a_401_that_does_not_say_why_renews_the_token_once() -> None:
    calls = {"n": 0}

    def route(method: str, path: str, headers: Mapping[str, str], data: bytes) -> Reply:
        if path == TOKEN_PATH:
            return token_reply(token=f"stub-access-token-{len(stub.requests):04d}")
        calls["n"] += 1
        if calls["n"] == 1:
            return 401, {}, b""
        return json_reply(200, {"value": [{"id": 1}]})

    with Stub(route) as stub, _client(stub) as client:
        assert client.get_all("/x") == [{"id": 1}]
        assert client.stats.token_refreshes == 2
        auths = [h.get("Authorization") for m, _, h in stub.requests if m == "GET"]
        assert len(auths) == 2 and auths[0] != auths[1]
