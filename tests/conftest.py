"""Shared test set-up: every test starts with no ECORE_* settings, no keyring, private dirs,
no proxy discovery."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import pytest

from ecore_xl.config import Settings
from ecore_xl.data import DataService
from ecore_xl.mock import MockServer


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Clear ECORE_* variables; point config, log and cache dirs at a private temp dir."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("ECORE_")}
    for key in saved:
        del os.environ[key]
    home = tmp_path_factory.mktemp("ecore_home")
    os.environ["ECORE_CONFIG_DIR"] = str(home / "config")
    os.environ["ECORE_LOG_DIR"] = str(home / "logs")
    os.environ["ECORE_CACHE_DIR"] = str(home / "cache")
    os.environ["ECORE_NO_KEYRING"] = "1"
    # no test looks for this machine's PAC file or asks DNS for WPAD (tests/test_api_proxy.py
    # gives the finder its sources)
    os.environ["ECORE_PROXY_PAC"] = "off"
    try:
        yield
    finally:
        data = sys.modules.get("ecore_xl.data")
        reset = getattr(data, "reset_service", None)
        if callable(reset):
            reset()
        for key in [k for k in os.environ if k.startswith("ECORE_")]:
            del os.environ[key]
        os.environ.update(saved)


@pytest.fixture
def ecore_home() -> Path:
    """The private config directory of this test."""
    return Path(os.environ["ECORE_CONFIG_DIR"])


class MemoryKeyring(keyring.backend.KeyringBackend):
    """An in-memory keyring so tests never touch the machine's store."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    """Route keyring calls to memory for one test and enable keyring lookups."""
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    monkeypatch.delenv("ECORE_NO_KEYRING")
    yield backend
    keyring.set_keyring(previous)


# ---- the mock API, and settings and data services pointed at it ---------------------------

#: actuals exist up to here: both 2026 DST days are covered
MOCK_AS_OF = dt.date(2026, 11, 15)
#: the mock the ``srv`` fixture serves; a test module sets its own ``MOCK_KW`` to change it
MOCK_KW: dict[str, Any] = {"seed": 42, "meters": 3, "years": (2025, 2026), "as_of": MOCK_AS_OF}


def settings_for(srv: Any, **overrides: Any) -> Settings:
    """Settings pointing at a running mock (or any stub server with ``env()``): no config file,
    no keyring."""
    return Settings.load(use_file=False, use_keyring=False, environ=srv.env(), **overrides)


def service_for(srv: MockServer, **overrides: Any) -> DataService:
    """A new data service (its own client and empty cache) pointed at a running mock."""
    return DataService(settings_for(srv, **overrides))


@pytest.fixture(scope="module")
def srv(request: pytest.FixtureRequest) -> Iterator[MockServer]:
    """The mock API on 127.0.0.1 for one test module: ``MOCK_KW`` of the module, else this one's."""
    with MockServer(**getattr(request.module, "MOCK_KW", MOCK_KW)) as server:
        yield server


@pytest.fixture
def svc(srv: MockServer) -> Iterator[DataService]:
    """A fresh data service pointed at ``srv``, the mock's counters at zero; closed afterwards."""
    service = service_for(srv)
    srv.reset_stats()
    try:
        yield service
    finally:
        service.close()


def soffice_missing() -> bool:
    """True where LibreOffice is absent *and* this is not CI: in CI a missing soffice must fail
    the LibreOffice tests (``.ci/run`` installs it), never skip them silently."""
    import shutil

    if os.environ.get("CI"):
        return False
    return shutil.which("soffice") is None and not Path("/usr/bin/soffice").exists()


def pdftotext_missing() -> bool:
    """True where poppler-utils' ``pdftotext`` is absent *and* this is not CI (as above)."""
    import shutil

    return not os.environ.get("CI") and shutil.which("pdftotext") is None
