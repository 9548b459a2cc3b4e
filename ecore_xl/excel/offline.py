"""The process-wide offline switch of the Excel side: the ribbon's toggle, seen by the formulas.

``set_offline(True)`` makes the ``ECORE_*`` functions answer from the cache and snapshots only,
``False`` lets them call the API, ``None`` hands the choice back to ``ECORE_OFFLINE``. The choice
is kept in the file ``excel-offline`` in the config directory, because the ribbon's macros run
in a fresh Python process per click while the formulas run in the long-lived UDF server; the
file reaches both, and survives a restart of Excel. Readers re-read it at most once a second.

No xlwings here: the ribbon's macros, the worksheet functions and tests all import this.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

__all__ = [
    "OFFLINE_FILE",
    "forget",
    "is_offline",
    "offline_choice",
    "offline_path",
    "set_offline",
]

#: the file (in ``config_dir()``) holding ``on`` or ``off``; absent: follow ``ECORE_OFFLINE``
OFFLINE_FILE = "excel-offline"
_REREAD_SECONDS = 1.0

log = logging.getLogger("ecore_xl.excel")
_lock = threading.Lock()
#: (when read, ECORE_CONFIG_DIR at that time, choice): the last reading of the file
_memo: tuple[float, str | None, bool | None] = (0.0, None, None)


def offline_path() -> Path:
    """Where the toggle is kept."""
    from ecore_xl.config import config_dir

    return config_dir() / OFFLINE_FILE


def offline_choice() -> bool | None:
    """The toggle's choice (True/False), or None to follow ``ECORE_OFFLINE``."""
    global _memo
    where = os.environ.get("ECORE_CONFIG_DIR", "")
    checked, memo_where, value = _memo
    now = time.monotonic()
    if memo_where == where and now - checked < _REREAD_SECONDS:
        return value
    try:
        text = offline_path().read_text(encoding="utf-8").strip().lower()
    except OSError:
        text = ""
    value = True if text == "on" else False if text == "off" else None
    _memo = (now, where, value)
    return value


def forget() -> None:
    """Drop the memo: the next :func:`offline_choice` reads the file (tests, another process)."""
    global _memo
    _memo = (0.0, None, None)


def set_offline(offline: bool | None) -> bool:
    """Set the toggle: True answers from cache and snapshots only, False goes online, None
    follows ``ECORE_OFFLINE`` again. Returns the mode now in effect."""
    global _memo
    path = offline_path()
    with _lock:
        if offline is None:
            path.unlink(missing_ok=True)
        else:
            from ecore_xl.atomic import atomic_write_bytes

            atomic_write_bytes(path, b"on\n" if offline else b"off\n", private=True)
        choice = None if offline is None else bool(offline)
        _memo = (time.monotonic(), os.environ.get("ECORE_CONFIG_DIR", ""), choice)
    log.info("offline mode set to %s by the toggle", offline)
    return is_offline()


def is_offline() -> bool:
    """Whether the functions answer from cache and snapshots only right now."""
    choice = offline_choice()
    if choice is not None:
        return choice
    from ecore_xl.data import get_service
    from ecore_xl.errors import EcoreError

    try:
        return bool(get_service().settings.offline)
    except EcoreError:
        return False
