"""Reading a response body within bounds: a byte cap on the *decoded* body and the deadline.

``requests`` reads a body whole (``response.content``): a 500 MB page, or a gzip body that
inflates to gigabytes, ends in a MemoryError. :func:`read_body` streams it instead, counting
the bytes after decompression (urllib3 >= 2.6 inflates a chunk at a time, so a bomb never
inflates more than one chunk ahead), and stops at ``cap`` with a
:class:`~ecore_xl.errors.ResponseTooLargeError`. A declared ``Content-Length`` above the cap is
refused before a byte is read. Between chunks it checks the request's
:class:`~ecore_xl.api.deadline.Deadline`. The body read is stored on the response, so
``response.content`` works as usual afterwards.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import requests

from ecore_xl.api.deadline import Deadline
from ecore_xl.errors import DeadlineExceededError, ResponseTooLargeError
from ecore_xl.excel_limits import MAX_EXACT_INTEGER

__all__ = ["CHUNK", "deadline_error", "quote_big_integers", "read_body", "too_large"]

#: bytes asked for per read: a page (~120 kB) in one read, a gzip bomb inflated 1 MiB at a time
CHUNK = 1024 * 1024
_DIGITS_ONLY = bytes(48 if 48 <= i <= 57 else 32 for i in range(256))  # digits -> 0, rest -> ' '
#: orjson turns an integer of 20 digits or more (beyond 2**64) into a float: digits are lost
_LOSSY_RUN = b"0" * 20
#: a JSON string (skipped) or a bare integer of 17 digits or more (captured)
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|(?<![\w.+-])(-?\d{17,})(?![\w.])')


def _mib(n: int) -> str:
    return f"{n / 1024 / 1024:,.1f} MiB" if n >= 1024 * 1024 else f"{n:,} bytes"


def too_large(url: str, cap: int, *, what: str = "The API's answer") -> ResponseTooLargeError:
    """The error for a body beyond ``cap`` decoded bytes."""
    return ResponseTooLargeError(
        f"{what} for {urlsplit(url).path} is larger than ECORE_MAX_RESPONSE_BYTES "
        f"({_mib(cap)} once decompressed): ask for a shorter period or fewer ids, or raise the "
        "setting.",
        url=url,
    )


def deadline_error(url: str, deadline: Deadline, *, what: str = "The API") -> DeadlineExceededError:
    """The error for a request that outlived its deadline."""
    return DeadlineExceededError(
        f"{what} did not finish answering {urlsplit(url).path} within {deadline.seconds:g} s "
        "(ECORE_REQUEST_DEADLINE): it is slow or stuck; try again later or a shorter period.",
        url=url,
    )


def read_body(
    response: requests.Response, cap: int, deadline: Deadline, *, what: str = "The API"
) -> int:
    """Read the body of a streamed ``response`` into it (``response.content``); its size.

    Raises ResponseTooLargeError past ``cap`` decoded bytes, DeadlineExceededError once the
    deadline passed, and what ``requests`` raises for a body cut short.
    """
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > cap:
        response.close()
        raise too_large(response.url, cap, what=f"{what}'s answer")
    body = bytearray()
    try:
        for chunk in response.iter_content(CHUNK):
            body += chunk
            if len(body) > cap:
                raise too_large(response.url, cap, what=f"{what}'s answer")
            if deadline.passed():
                raise deadline_error(response.url, deadline, what=what)
    except (ResponseTooLargeError, DeadlineExceededError):
        response.close()
        raise
    except requests.RequestException:
        if deadline.passed():  # the watchdog shut the socket: that is why it broke
            response.close()
            raise deadline_error(response.url, deadline, what=what) from None
        raise
    response._content = bytes(body)
    response._content_consumed = True
    return len(body)


def quote_big_integers(body: bytes) -> tuple[bytes, str | None]:
    """``body`` with every bare JSON integer beyond 2**53 made a JSON string, and the first one.

    orjson parses an integer of 20 digits or more as a float (``1.2345678901234568e+22`` for a
    23-digit id): digits are lost before any code sees them. When a body holds such a run of
    digits (a fast check: digits mapped to one byte, one ``find``), its big integers become
    text, exactly as sent; the data layer keeps them as text (with a warning). Other bodies
    are returned unchanged (``None``: nothing found).
    """
    if body.translate(_DIGITS_ONLY).find(_LOSSY_RUN) < 0:
        return body, None
    found: list[str] = []

    def quoted(match: re.Match[bytes]) -> bytes:
        digits = match.group(1)
        if digits is None or abs(int(digits)) <= MAX_EXACT_INTEGER:
            return match.group(0)
        found.append(digits.decode())
        return b'"' + digits + b'"'

    fixed = _TOKEN.sub(quoted, body)
    return (fixed, found[0]) if found else (body, None)
