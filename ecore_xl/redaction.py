"""The one redaction rule: no known secret leaves the product in a message.

The client registers every secret it holds (client secret, both subscription keys, each access
token it gets); :func:`redact` replaces each of them — also URL-encoded, as a server may echo
a query string — by its masked form (``abcd…``). It is applied where text leaves the product:

- every :class:`~ecore_xl.errors.EcoreError` message (``str(exc)`` and ``exc.message``), so the
  CLI's ``Error:`` line, a cell's ``#ECORE!`` text, ``ECORE_STATUS``' last error, a refresh
  warning and a ribbon message box never show one, whatever the server put in its error body;
- every log record and the terminal's warning lines (``api._log.SecretFilter``).

A server that echoes the subscription key, the client secret or the bearer token therefore
never gets it shown. No pandas, no requests here: :mod:`ecore_xl.errors` uses it.
"""

from __future__ import annotations

import threading
from collections import deque
from urllib.parse import quote, quote_plus

__all__ = ["redact", "register_secret"]

_lock = threading.Lock()
_static: set[str] = set()
_tokens: deque[str] = deque(maxlen=32)  # recent access tokens; old ones expire anyway
_MIN_LENGTH = 6  # shorter is no real secret, and blanking it would mangle messages


def register_secret(value: str | None, *, token: bool = False) -> None:
    """Remember ``value`` so that :func:`redact` blanks it wherever it turns up."""
    if not value or len(value) < _MIN_LENGTH:
        return
    with _lock:
        if token:
            if value not in _tokens:
                _tokens.append(value)
        else:
            _static.add(value)


def _forms(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), quote_plus(secret)}


def _shortest_part(secret: str) -> int:
    """The shortest beginning of ``secret`` that counts as a leak when a message was cut."""
    return max(_MIN_LENGTH + 2, len(secret) // 2)


def redact(text: str) -> str:
    """``text`` with every registered secret (as is or URL-encoded) replaced by its mask.

    A message cut short before it got here (``message[:160]``) may end in the first part of a
    secret: a beginning of at least half of it (and 8 characters) is masked too.
    """
    from ecore_xl.errors import mask_secret

    with _lock:
        known = [*_static, *_tokens]
    for secret in sorted(known, key=len, reverse=True):  # a longer one first: no half-masks
        masked = mask_secret(secret)
        for form in _forms(secret):
            shortest = _shortest_part(form)
            if form[:shortest] not in text:
                continue
            for cut in range(len(form), shortest - 1, -1):
                if form[:cut] in text:
                    text = text.replace(form[:cut], masked)
    return text
