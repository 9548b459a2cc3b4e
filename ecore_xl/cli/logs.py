"""Logging of one ``ecore-xl`` command: the detail to ``cli.log``, warnings short on stderr.

Without this, Python's last-resort handler printed raw log records on stderr (a parser's detail
before the ``Error:`` line, the key-switch warning as a bare line). Now:

* ``log_dir()/cli.log`` gets every record of the ``ecore_xl`` loggers at ``ECORE_LOG_LEVEL``
  (INFO by default), the failure's detail and any traceback included, secrets blanked
  (``excel.logsetup``'s mechanism, a file of its own);
* stderr gets WARNING and above (INFO with ``--verbose``) as one short line each,
  ``Warning: <message>``, secrets blanked. A record marked :data:`FILE_ONLY` stays out of it:
  the command prints that failure itself, once, as its ``Error:`` line.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from ecore_xl.errors import EcoreError

__all__ = ["CLI_LOG_FILE", "FILE_ONLY", "command_logging", "log", "log_failure", "log_start"]

CLI_LOG_FILE = "cli.log"
#: ``extra=FILE_ONLY`` keeps a record off the terminal (it still goes to the log file)
FILE_ONLY = {"ecore_file_only": True}

log = logging.getLogger("ecore_xl.cli")


class _ShortFormatter(logging.Formatter):
    """``Warning: message`` on one line; no traceback (that is in the log file)."""

    def format(self, record: logging.LogRecord) -> str:
        message = " ".join(record.getMessage().split())
        return f"{record.levelname.capitalize()}: {message}"


class _StderrHandler(logging.Handler):
    """Writes through ``click.echo`` to whatever stderr is at that moment (CliRunner's too)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            click.echo(self.format(record), err=True)
        except Exception:  # a closed stream must not break the command
            self.handleError(record)


def _not_file_only(record: logging.LogRecord) -> bool:
    return not getattr(record, "ecore_file_only", False)


def _stderr_handler(verbose: bool) -> logging.Handler:
    from ecore_xl.api._log import SecretFilter

    handler = _StderrHandler(logging.INFO if verbose else logging.WARNING)
    handler.addFilter(SecretFilter())
    handler.addFilter(_not_file_only)
    handler.setFormatter(_ShortFormatter())
    return handler


@contextmanager
def command_logging(*, verbose: bool = False) -> Iterator[Path | None]:
    """Log to ``cli.log`` and stderr while one command runs; yields the log file (or None)."""
    from ecore_xl.config import log_dir
    from ecore_xl.excel.logsetup import attach_handler, detach_handler, open_log_file

    file_handler = open_log_file(CLI_LOG_FILE)
    handlers = [h for h in (file_handler, _stderr_handler(verbose)) if h is not None]
    for handler in handlers:
        attach_handler(handler)
    try:
        yield log_dir() / CLI_LOG_FILE if file_handler is not None else None
    finally:
        for handler in handlers:
            detach_handler(handler)
            handler.close()


def log_start(command: str | None) -> None:
    """Mark a command's start in the log file (runs can be told apart there)."""
    from ecore_xl import __version__

    log.info("ecore-xl %s: %s", __version__, command or "(no command)", extra=FILE_ONLY)


def log_failure(command: str | None, exc: BaseException) -> None:
    """Record a command's failure with its detail in the log file only (stderr gets ``Error:``)."""
    name = command or "command"
    if isinstance(exc, EcoreError):
        detail = f" | {exc.detail}" if exc.detail else ""
        log.error("%s failed (%s): %s%s", name, type(exc).__name__, exc.message, detail,
                  extra=FILE_ONLY)  # fmt: skip
    else:
        log.error("%s failed unexpectedly", name, exc_info=exc, extra=FILE_ONLY)
