"""The session reads proxies from the environment once per host, and honours what it read."""

from __future__ import annotations

import pytest

from ecore_xl.api.session import EnvironmentOnceSession, make_session
from ecore_xl.config import Settings

API = "http://api.example.test/v1/volumes?meterId=M-1"
OTHER = "http://other.example.test/token"


@pytest.fixture
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


def settings() -> Settings:
    return Settings.load(use_file=False, use_keyring=False, environ={"ECORE_PROXY_PAC": "off"})


def proxies(session: EnvironmentOnceSession, url: str) -> dict[str, str]:
    merged = session.merge_environment_settings(url, {}, True, None, None)
    return dict(merged["proxies"])


def test_proxies_come_from_the_environment_once_per_host(no_proxies: pytest.MonkeyPatch) -> None:
    no_proxies.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    no_proxies.setenv("NO_PROXY", "other.example.test")
    session = make_session(settings())
    assert isinstance(session, EnvironmentOnceSession)
    assert proxies(session, API)["http"] == "http://127.0.0.1:9"
    assert "http" not in proxies(session, OTHER)  # NO_PROXY is per host
    no_proxies.delenv("HTTP_PROXY")
    assert proxies(session, API)["http"] == "http://127.0.0.1:9"  # read once for this session
    assert "http" not in proxies(make_session(settings()), API)  # a new client reads it again


def test_explicit_proxies_and_no_trust_env_are_honoured(no_proxies: pytest.MonkeyPatch) -> None:
    no_proxies.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    session = make_session(settings())
    given = {"http": "http://127.0.0.1:8"}
    merged = session.merge_environment_settings(API, given, True, None, None)
    assert merged["proxies"]["http"] == "http://127.0.0.1:8"
    session.trust_env = False
    assert "http" not in proxies(session, API)


def test_what_is_handed_out_cannot_change_what_is_kept(no_proxies: pytest.MonkeyPatch) -> None:
    session = make_session(settings())
    merged = session.merge_environment_settings(API, {}, True, None, None)
    merged["proxies"]["http"] = "http://127.0.0.1:7"  # a caller changing what it got
    merged["verify"] = False
    again = session.merge_environment_settings(API, {}, True, None, None)
    assert "http" not in again["proxies"] and again["verify"] is not False
