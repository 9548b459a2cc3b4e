"""Mock eCore API: token endpoint, gateway order, keys, rate limit, quota, token expiry."""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Iterator

import pytest
import requests

from ecore_xl.mock import Faults, MockServer
from tests.mock_fixtures import AS_OF, auth_headers, get_token, token_form

CORRELATION = re.compile(
    r"\r\nCorrelation ID: [0-9a-f-]{36}\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\r\n$"
)


@pytest.fixture(scope="module")
def srv() -> Iterator[MockServer]:
    with MockServer(meters=4, years=(2026,), as_of=AS_OF) as server:
        yield server


@pytest.fixture(autouse=True)
def _clean(srv: MockServer) -> Iterator[None]:
    srv.faults = Faults()
    srv.restore_primary()
    srv.reset_stats()
    yield
    srv.faults = Faults()
    srv.restore_primary()


def test_env_points_at_the_server(srv: MockServer) -> None:
    env = srv.env()
    assert env["ECORE_BASE_URL"] == f"http://127.0.0.1:{srv.port}/v1"
    assert env["ECORE_TOKEN_URL"].endswith("/oauth2/v2.0/token")
    assert env["ECORE_SUBSCRIPTION_KEY"] == srv.primary_key != srv.secondary_key
    assert all(v.startswith("mock-") for k, v in env.items() if k in ("ECORE_CLIENT_ID",))


def test_token_success_b2c_shape(srv: MockServer) -> None:
    r = requests.post(srv.token_url, data=token_form(srv), timeout=5)
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {
        "access_token",
        "token_type",
        "not_before",
        "expires_in",
        "expires_on",
        "resource",
    }
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["expires_on"] - body["not_before"] == 3600
    assert body["access_token"].count(".") == 2
    assert srv.stats.token_requests == 1


def test_token_entra_shape_and_short_lifetime() -> None:
    with MockServer(meters=1, years=(2026,), token_shape="entra", token_lifetime=900) as s:
        body = requests.post(s.token_url, data=token_form(s), timeout=5).json()
    assert set(body) == {"token_type", "expires_in", "ext_expires_in", "access_token"}
    assert body["expires_in"] == 900


def test_token_accepts_basic_client_auth(srv: MockServer) -> None:
    form = {"grant_type": "client_credentials", "scope": srv.scope}
    r = requests.post(srv.token_url, data=form, auth=(srv.client_id, srv.client_secret), timeout=5)
    assert r.status_code == 200


@pytest.mark.parametrize(
    ("override", "status", "error", "code"),
    [
        ({"grant_type": "password"}, 400, "unsupported_grant_type", "AADB2C90086"),
        ({"client_id": "someone-else"}, 400, "unauthorized_client", "AADB2C90018"),
        ({"client_secret": "wrong"}, 401, "invalid_client", "AADB2C90081"),
        (
            {"scope": "https://other.onmicrosoft.com/api/.default"},
            400,
            "invalid_scope",
            "AADB2C90117",
        ),
        ({"scope": "openid"}, 400, "invalid_request", "AADB2C90012"),
    ],
)
def test_token_errors_have_b2c_shape(
    srv: MockServer, override: dict[str, str], status: int, error: str, code: str
) -> None:
    r = requests.post(srv.token_url, data=token_form(srv, **override), timeout=5)
    assert r.status_code == status
    body = r.json()
    assert body["error"] == error
    assert body["error_description"].startswith(code + ": ")
    assert CORRELATION.search(body["error_description"])


def test_token_endpoint_rejects_json_and_get(srv: MockServer) -> None:
    assert requests.post(srv.token_url, json=token_form(srv), timeout=5).status_code == 400
    r = requests.get(srv.token_url, timeout=5)
    assert r.status_code == 405
    assert r.json()["error"] == "invalid_request"


def test_token_5xx_fault_is_retryable_b2c_error(srv: MockServer) -> None:
    srv.faults = Faults(token_error_5xx_ratio=1.0)
    r = requests.post(srv.token_url, data=token_form(srv), timeout=5)
    assert r.status_code in (500, 503)
    assert r.json()["error_description"].startswith("AADB2C90085")
    srv.faults = Faults()
    assert requests.post(srv.token_url, data=token_form(srv), timeout=5).status_code == 200


def test_missing_key_beats_missing_token(srv: MockServer) -> None:
    r = requests.get(srv.base_url + "/contracts", timeout=5)
    assert r.status_code == 401
    assert r.json()["message"].startswith("Access denied due to missing subscription key.")
    assert r.headers["WWW-Authenticate"] == (
        f'AzureApiManagementKey realm="{srv.base_url}",'
        'name="Ocp-Apim-Subscription-Key",type="header"'
    )


def test_invalid_key_then_missing_token_then_route(srv: MockServer) -> None:
    r = requests.get(
        srv.base_url + "/nowhere", headers={"Ocp-Apim-Subscription-Key": "nope"}, timeout=5
    )
    assert r.status_code == 401
    assert "invalid subscription key" in r.json()["message"]
    r = requests.get(
        srv.base_url + "/nowhere", headers={"Ocp-Apim-Subscription-Key": srv.primary_key}, timeout=5
    )
    assert r.json() == {
        "statusCode": 401,
        "message": "Unauthorized. Access token is missing or invalid.",
    }
    r = requests.get(srv.base_url + "/nowhere", headers=auth_headers(srv), timeout=5)
    assert r.status_code == 404
    assert r.json() == {"statusCode": 404, "message": "Resource not found"}


def test_key_in_query_and_forged_token(srv: MockServer) -> None:
    token = get_token(srv)
    ok = requests.get(
        srv.base_url + "/legal-entities",
        params={"subscription-key": srv.secondary_key},
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert ok.status_code == 200
    head, payload, _sig = token.split(".")
    forged = f"{head}.{payload}.{base64.urlsafe_b64encode(b'x' * 32).decode().rstrip('=')}"
    r = requests.get(
        srv.base_url + "/legal-entities", headers=auth_headers(srv, token=forged), timeout=5
    )
    assert r.status_code == 401


def test_revoked_primary_is_invalid_secondary_works(srv: MockServer) -> None:
    token = get_token(srv)
    srv.revoke_primary()
    r = requests.get(srv.base_url + "/meters", headers=auth_headers(srv, token), timeout=5)
    assert r.status_code == 401
    assert "invalid subscription key" in r.json()["message"]
    r = requests.get(
        srv.base_url + "/meters",
        headers=auth_headers(srv, token, key=srv.secondary_key),
        timeout=5,
    )
    assert r.status_code == 200
    srv.restore_primary()
    assert requests.get(srv.base_url + "/meters", headers=auth_headers(srv, token), timeout=5).ok


def test_rate_limit_every_third_request(srv: MockServer) -> None:
    headers = auth_headers(srv)
    srv.reset_stats()
    srv.faults = Faults(rate_limit_every=3, retry_after_s=7)
    codes = []
    for _ in range(6):
        r = requests.get(srv.base_url + "/legal-entities", headers=headers, timeout=5)
        codes.append(r.status_code)
        if r.status_code == 429:
            assert r.headers["Retry-After"] == "7"
            assert r.json() == {
                "statusCode": 429,
                "message": "Rate limit is exceeded. Try again in 7 seconds.",
            }
    assert codes == [200, 200, 429, 200, 200, 429]
    assert srv.stats.faults["429"] == 2


def test_rate_limit_runs_after_key_check_before_token(srv: MockServer) -> None:
    srv.faults = Faults(rate_limit_every=1)
    no_key = requests.get(srv.base_url + "/contracts", timeout=5)
    assert no_key.status_code == 401
    no_token = requests.get(
        srv.base_url + "/contracts",
        headers={"Ocp-Apim-Subscription-Key": srv.primary_key},
        timeout=5,
    )
    assert no_token.status_code == 429


def test_quota_exhausted(srv: MockServer) -> None:
    srv.faults = Faults(quota_exhausted=True)
    r = requests.get(
        srv.base_url + "/contracts",
        headers={"Ocp-Apim-Subscription-Key": srv.primary_key},
        timeout=5,
    )
    assert r.status_code == 403
    assert r.headers["Retry-After"] == "3600"
    assert r.json()["message"] == (
        "Out of call volume quota. Quota will be replenished in 01:00:00."
    )
    assert srv.stats.faults["quota"] == 1


def test_expire_tokens_invalidates_old_tokens_only(srv: MockServer) -> None:
    old = get_token(srv)
    assert requests.get(srv.base_url + "/meters", headers=auth_headers(srv, old), timeout=5).ok
    srv.expire_tokens()
    r = requests.get(srv.base_url + "/meters", headers=auth_headers(srv, old), timeout=5)
    assert r.status_code == 401
    assert r.json()["message"] == "Unauthorized. Access token is missing or invalid."
    assert requests.get(srv.base_url + "/meters", headers=auth_headers(srv), timeout=5).ok


def test_token_lifetime_expires() -> None:
    with MockServer(meters=1, years=(2026,), token_lifetime=0.3) as s:
        token = get_token(s)
        assert requests.get(s.base_url + "/meters", headers=auth_headers(s, token), timeout=5).ok
        time.sleep(0.4)
        r = requests.get(s.base_url + "/meters", headers=auth_headers(s, token), timeout=5)
        assert r.status_code == 401


def test_non_get_is_resource_not_found(srv: MockServer) -> None:
    r = requests.post(srv.base_url + "/contracts", headers=auth_headers(srv), timeout=5)
    assert r.status_code == 404
    assert r.json() == {"statusCode": 404, "message": "Resource not found"}


def test_keep_alive_reuses_one_connection(srv: MockServer) -> None:
    with requests.Session() as s:
        headers = auth_headers(srv)
        srv.reset_stats()
        for _ in range(3):
            r = s.get(srv.base_url + "/legal-entities", headers=headers, timeout=5)
            assert r.ok
            assert int(r.headers["Content-Length"]) == len(r.content)
            assert r.headers.get("Connection", "").lower() != "close"
    assert srv.stats.connections == 1
