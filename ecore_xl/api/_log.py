"""The ``ecore_xl.api`` logger and a filter that blanks any known secret in its records.

The client never formats a secret into a log message (keys are shown through ``mask_secret``);
the filter (the one rule of :mod:`ecore_xl.redaction`) is the second line of defence, for a
secret echoed back in a URL or a server message.
"""

from __future__ import annotations

import logging

from ecore_xl.redaction import redact, register_secret

__all__ = ["SecretFilter", "logger", "redact", "register_secret"]


class SecretFilter(logging.Filter):
    """Rewrites a record whose formatted message holds a registered secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let logging report it as usual
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


logger = logging.getLogger("ecore_xl.api")
if not any(isinstance(f, SecretFilter) for f in logger.filters):
    logger.addFilter(SecretFilter())
