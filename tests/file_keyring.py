"""A keyring backend in a JSON file, for ``ecore-xl`` run as a subprocess in tests.

``PYTHON_KEYRING_BACKEND=tests.file_keyring.FileKeyring`` and ``ECORE_TEST_KEYRING_FILE=PATH``
make the child store its secrets in PATH, where the test reads them back; the machine's own
keyring is never touched.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import keyring.backend


class FileKeyring(keyring.backend.KeyringBackend):
    """Secrets in ``$ECORE_TEST_KEYRING_FILE`` as ``{"service|user": password}``."""

    priority = 1  # type: ignore[assignment]

    @staticmethod
    def _path() -> Path:
        return Path(os.environ["ECORE_TEST_KEYRING_FILE"])

    def _read(self) -> dict[str, str]:
        path = self._path()
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._read().get(f"{service}|{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._read()
        data[f"{service}|{username}"] = password
        self._path().write_text(json.dumps(data), encoding="utf-8")

    def delete_password(self, service: str, username: str) -> None:
        data = self._read()
        data.pop(f"{service}|{username}", None)
        self._path().write_text(json.dumps(data), encoding="utf-8")
