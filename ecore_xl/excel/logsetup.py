"""The log file of the Excel functions: full detail of every error a cell shows in short.

``log_dir()/excel-udfs.log`` (``ECORE_LOG_DIR`` overrides the platform's user log directory),
rotating at 1 MB with 5 old files kept, UTF-8. Its own file because the UDF server is a
long-running process of its own: on Windows a file that another process (``ecore-xl`` on the
command line) holds open cannot be rotated. Known secrets are blanked in every record (the same
filter the API client uses). ``ECORE_LOG_LEVEL`` (DEBUG, INFO, WARNING) sets the level; INFO by
default.

The handler hangs on the ``ecore_xl`` logger, so the API and data layers' records land here too.
If the directory cannot be created (a locked-down profile), logging quietly goes nowhere: a
worksheet function must never fail because of its log file.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import threading
from pathlib import Path

__all__ = ["LOG_FILE_NAME", "close_logging", "configure_logging", "log_path", "logger"]

LOG_FILE_NAME = "excel-udfs.log"
_MAX_BYTES = 1_000_000
_BACKUPS = 5
_FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"

logger = logging.getLogger("ecore_xl.excel")

_lock = threading.Lock()
_handler: logging.Handler | None = None
_handler_path: Path | None = None
_previous_level: int | None = None  # the ``ecore_xl`` logger's level before we lowered it


def log_path() -> Path:
    """Where the log file is (or would be) written."""
    from ecore_xl.config import log_dir

    return log_dir() / LOG_FILE_NAME


def _level() -> int:
    name = os.environ.get("ECORE_LOG_LEVEL", "").strip().upper()
    value = logging.getLevelName(name) if name else logging.INFO
    return value if isinstance(value, int) else logging.INFO


def configure_logging() -> Path | None:
    """Attach the rotating file handler (once per log path); return the file, or None if none.

    Cheap when nothing changed, so it can run before every log record of an error.
    """
    global _handler, _handler_path, _previous_level
    path = log_path()
    with _lock:
        if _handler is not None and _handler_path == path:
            return path
        root = logging.getLogger("ecore_xl")
        if _handler is not None:
            root.removeHandler(_handler)
            _handler.close()
            _handler, _handler_path = None, None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handler = logging.handlers.RotatingFileHandler(
                path, maxBytes=_MAX_BYTES, backupCount=_BACKUPS, encoding="utf-8", delay=True
            )
        except OSError:
            return None
        handler.setFormatter(logging.Formatter(_FORMAT))
        from ecore_xl.api._log import SecretFilter

        handler.addFilter(SecretFilter())
        root.addHandler(handler)
        if root.level == logging.NOTSET or root.level > _level():
            if _previous_level is None:
                _previous_level = root.level
            root.setLevel(_level())
        _handler, _handler_path = handler, path
        return path


def close_logging() -> None:
    """Detach and close the file handler and restore the logger's level (tests)."""
    global _handler, _handler_path, _previous_level
    with _lock:
        root = logging.getLogger("ecore_xl")
        if _handler is not None:
            root.removeHandler(_handler)
            _handler.close()
        if _previous_level is not None:
            root.setLevel(_previous_level)
        _handler, _handler_path, _previous_level = None, None, None
