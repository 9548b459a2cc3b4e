"""The ``ecore_xl.api`` logger and a filter that blanks any known secret in its records.

The client never formats a secret into a log message (keys are shown through ``mask_secret``);
the filter is the second line of defence, for a secret echoed back in a URL or a server message.
"""

from __future__ import annotations

import logging
import threading
from collections import deque

from ecore_xl.errors import mask_secret

__all__ = ["SecretFilter", "logger", "redact", "register_secret"]

_lock = threading.Lock()
_static: set[str] = set()
_tokens: deque[str] = deque(maxlen=32)  # recent access tokens; old ones expire anyway


def register_secret(value: str | None, *, token: bool = False) -> None:
    """Remember ``value`` so that the filter blanks it wherever it turns up."""
    if not value or len(value) < 6:  # too short to be a real secret; would mangle messages
        return
    with _lock:
        if token:
            if value not in _tokens:
                _tokens.append(value)
        else:
            _static.add(value)


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by its masked form."""
    with _lock:
        secrets = [*_static, *_tokens]
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, mask_secret(secret))
    return text


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
