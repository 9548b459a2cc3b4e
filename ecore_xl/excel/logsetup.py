"""Log files: the full detail behind every short message (a cell's error, an ``Error:`` line).

Each kind of process writes its own file in ``log_dir()`` (``ECORE_LOG_DIR`` overrides the
platform's user log directory): the UDF server ``excel-udfs.log`` (:func:`configure_logging`),
the ``ecore-xl`` command line ``cli.log`` (``ecore_xl.cli.logs``). Separate files because the UDF
server is a long-running process of its own: on Windows a file that another process holds open
cannot be rotated. Every file rotates at 1 MB with 5 old files kept, UTF-8. Known secrets are
blanked in every record (the filter the API client uses) and in tracebacks. ``ECORE_LOG_LEVEL``
(DEBUG, INFO, WARNING) sets a file's level; INFO by default.

Handlers hang on the ``ecore_xl`` logger (:func:`attach_handler`), so the API and data layers'
records land there too; the logger is lowered to the most detailed level an attached handler
wants and put back when the last one is detached. If the directory cannot be created (a
locked-down profile), logging quietly goes nowhere: a worksheet function or a command must never
fail because of its log file.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import threading
from pathlib import Path
from typing import Any

__all__ = [
    "LOG_FILE_NAME",
    "attach_handler",
    "close_logging",
    "configure_logging",
    "detach_handler",
    "file_level",
    "log_path",
    "logger",
    "open_log_file",
]

LOG_FILE_NAME = "excel-udfs.log"
_MAX_BYTES = 1_000_000
_BACKUPS = 5
_FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"

logger = logging.getLogger("ecore_xl.excel")

_lock = threading.RLock()
_attached: list[logging.Handler] = []  # handlers attach_handler hung on the ``ecore_xl`` logger
_previous_level: int | None = None  # the ``ecore_xl`` logger's level before we lowered it
_handler: logging.Handler | None = None  # the UDF server's file
_handler_path: Path | None = None


class _RedactingFormatter(logging.Formatter):
    """Formats as usual, then blanks every registered secret, tracebacks included."""

    def format(self, record: logging.LogRecord) -> str:
        from ecore_xl.api._log import redact

        return redact(super().format(record))


class _RotatingFile(logging.handlers.RotatingFileHandler):
    """A log file that never fails the program that logs: a rotation that fails (on Windows
    another process may hold the file open) is skipped, and a record that cannot be written (a
    full or vanished log disk, no permission) is dropped silently — no "--- Logging error ---"
    traceback on stderr, no OSError when the file is flushed or closed at the end."""

    def doRollover(self) -> None:
        with contextlib.suppress(OSError):  # the stream is reopened by the next emit (delay)
            super().doRollover()

    def _open(self) -> Any:
        """The file opened 0600 on POSIX (it may hold ids and amounts); an older one too."""
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        if os.name != "nt":
            with contextlib.suppress(OSError):
                os.fchmod(fd, 0o600)
        return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)

    def handleError(self, record: logging.LogRecord) -> None:
        self.dropped += 1

    def flush(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            super().flush()

    def close(self) -> None:
        try:
            super().close()
        except (OSError, ValueError):
            self.stream = None  # type: ignore[assignment]  # its buffer could not be written

    dropped = 0


def file_level() -> int:
    """The level of the log files: ``ECORE_LOG_LEVEL`` (DEBUG, INFO, WARNING, …), else INFO."""
    name = os.environ.get("ECORE_LOG_LEVEL", "").strip().upper()
    value = logging.getLevelName(name) if name else logging.INFO
    return value if isinstance(value, int) else logging.INFO


def open_log_file(name: str) -> logging.Handler | None:
    """A rotating handler for ``log_dir()/name`` (formatted, secrets blanked, at
    :func:`file_level`), not yet attached; None if the directory cannot be created."""
    from ecore_xl.api._log import SecretFilter
    from ecore_xl.atomic import make_private_dir
    from ecore_xl.config import log_dir

    path = log_dir() / name
    try:
        make_private_dir(path.parent, tighten=True)
        handler = _RotatingFile(
            path, maxBytes=_MAX_BYTES, backupCount=_BACKUPS, encoding="utf-8", delay=True
        )
    except OSError:
        return None
    handler.setLevel(file_level())
    handler.setFormatter(_RedactingFormatter(_FORMAT))
    handler.addFilter(SecretFilter())
    return handler


def _relevel() -> None:
    """Lower the ``ecore_xl`` logger to what the attached handlers want, or put it back."""
    global _previous_level
    root = logging.getLogger("ecore_xl")
    if not _attached:
        if _previous_level is not None:
            root.setLevel(_previous_level)
            _previous_level = None
        return
    if _previous_level is None:
        _previous_level = root.level
    wanted = min(h.level or logging.DEBUG for h in _attached)
    base = _previous_level
    root.setLevel(wanted if base == logging.NOTSET or base > wanted else base)


def attach_handler(handler: logging.Handler) -> None:
    """Hang ``handler`` on the ``ecore_xl`` logger, which then passes records at its level."""
    with _lock:
        if handler not in _attached:
            logging.getLogger("ecore_xl").addHandler(handler)
            _attached.append(handler)
        _relevel()


def detach_handler(handler: logging.Handler) -> None:
    """Undo :func:`attach_handler` (the handler is not closed)."""
    with _lock:
        if handler in _attached:
            logging.getLogger("ecore_xl").removeHandler(handler)
            _attached.remove(handler)
        _relevel()


# ---- the UDF server's file ----------------------------------------------------------------------


def log_path() -> Path:
    """Where the UDF log file is (or would be) written."""
    from ecore_xl.config import log_dir

    return log_dir() / LOG_FILE_NAME


def configure_logging() -> Path | None:
    """Attach the UDF log file (once per log path); return the file, or None if none.

    Cheap when nothing changed, so it can run before every log record of an error.
    """
    global _handler, _handler_path
    path = log_path()
    with _lock:
        if _handler is not None and _handler_path == path:
            return path
        close_logging()
        handler = open_log_file(LOG_FILE_NAME)
        if handler is None:
            return None
        attach_handler(handler)
        _handler, _handler_path = handler, path
        return path


def close_logging() -> None:
    """Detach and close the UDF log file and restore the logger's level (tests)."""
    global _handler, _handler_path
    with _lock:
        if _handler is not None:
            detach_handler(_handler)
            _handler.close()
        _handler, _handler_path = None, None
