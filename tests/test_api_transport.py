"""The short GET path: the same request on the wire as ``session.get``, for the client's own
session only; any other session is used as it is."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
import requests

from ecore_xl.api import EcoreClient
from ecore_xl.api.session import make_session
from ecore_xl.api.transport import AdapterGet, SessionGet, get_for
from ecore_xl.config import Settings
from tests.api_fixtures import TOKEN_PATH, Reply, Stub, json_reply, token_reply

HOP_BY_HOP = {"connection", "host"}


def route(method: str, path: str, headers: Mapping[str, str], body: bytes) -> Reply:
    if path.startswith(TOKEN_PATH):
        return token_reply()
    return json_reply(200, {"value": [{"id": "LE-1"}]}, **{"Set-Cookie": "affinity=1; Path=/"})


def settings_for(stub: Stub) -> Settings:
    return Settings.load(use_file=False, use_keyring=False, environ=stub.env())


class Hooked(requests.Session):
    def send(self, request: requests.PreparedRequest, **kw: object) -> requests.Response:  # type: ignore[override]
        request.headers["X-Seen"] = "1"
        return super().send(request, **kw)  # type: ignore[arg-type]


def test_the_short_path_is_for_the_clients_own_session_only() -> None:
    settings = Settings.load(use_file=False, use_keyring=False, environ={"ECORE_PROXY_PAC": "off"})
    assert type(get_for(make_session(settings))) is AdapterGet
    assert type(get_for(requests.Session())) is SessionGet
    assert type(get_for(Hooked())) is SessionGet
    hooked = make_session(settings)
    hooked.hooks["response"].append(lambda r, **kw: r)
    assert type(get_for(hooked)) is SessionGet


def test_both_paths_put_the_same_request_on_the_wire() -> None:
    """Same path and query encoding, same headers (session defaults, auth, paging's own)."""
    params = {"meterId": "MTR 1/ä&x", "from": "2026-01-01", "empty": ""}
    headers = {"Authorization": "Bearer tok", "Ocp-Apim-Subscription-Key": "k", "X-Token": "a b"}
    with Stub(route) as stub:
        session = make_session(settings_for(stub))
        url = stub.base + "/v1/things?fixed=1"
        short = AdapterGet(session).get(url, params, headers, (5, 5))
        plain = SessionGet(session).get(url, params, headers, (5, 5))
        assert short.content == plain.content
        assert short.url == plain.url and short.status_code == plain.status_code == 200
        assert short.headers == plain.headers
    (m1, p1, h1), (m2, p2, h2) = stub.requests
    assert (m1, p1) == (m2, p2) == ("GET", "/v1/things?fixed=1&" + p1.split("&", 1)[1])
    assert "meterId=MTR+1%2F%C3%A4%26x" in p1
    same = {k: v for k, v in h1.items() if k.lower() not in HOP_BY_HOP}
    assert same == {k: v for k, v in h2.items() if k.lower() not in HOP_BY_HOP}
    assert same["X-Token"] == "a b" and same["Authorization"] == "Bearer tok"


def test_a_header_with_a_line_break_is_refused_on_both_paths() -> None:
    with Stub(route) as stub:
        session = make_session(settings_for(stub))
        for transport in (AdapterGet(session), SessionGet(session)):
            with pytest.raises(requests.exceptions.InvalidHeader):
                transport.get(stub.base + "/v1/x", None, {"X-Token": "a\r\nInjected: 1"}, (5, 5))
    assert stub.requests == []


def test_the_client_sends_no_cookie_back_and_reads_its_pages() -> None:
    """The API is stateless: a cookie it sets is not sent back on the short path."""
    with Stub(route) as stub, EcoreClient(settings_for(stub)) as client:
        assert client.get_all("/legal-entities") == [{"id": "LE-1"}]
        assert client.get_all("/legal-entities") == [{"id": "LE-1"}]
    data = [h for _, path, h in stub.requests if not path.startswith(TOKEN_PATH)]
    assert len(data) == 2 and all("Cookie" not in h for h in data)
    assert all(h["Ocp-Apim-Subscription-Key"] == stub.env()["ECORE_SUBSCRIPTION_KEY"] for h in data)
