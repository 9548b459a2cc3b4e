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

from urllib.parse import urlsplit

import requests

from ecore_xl.api.deadline import Deadline
from ecore_xl.errors import DeadlineExceededError, ResponseTooLargeError

__all__ = ["CHUNK", "deadline_error", "read_body", "too_large"]

CHUNK = 64 * 1024


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
