"""Shared test set-up: every test starts with no ECORE_* settings, no keyring, private dirs."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import pytest


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
