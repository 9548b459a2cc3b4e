"""Errors as the backend answers them: HTTP status, a stable code, the one-line message, and the
Excel error the add-in shows (``#VALUE!`` for arguments to fix, ``#N/A`` for no data).

One table, most specific class first; the code is the class name. A message is the error tree's
own one-line text (it never holds a secret: :mod:`ecore_xl.errors`); an unexpected exception
says only its type (the detail goes to the backend's log).
"""

from __future__ import annotations

import logging
from typing import Any

from ecore_xl.errors import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    DeadlineExceededError,
    EcoreError,
    NotFoundError,
    OfflineError,
    QuotaExceededError,
    RateLimitError,
    SubscriptionKeyError,
    UsageError,
)

__all__ = [
    "NOT_AVAILABLE",
    "VALUE",
    "JobNotFoundError",
    "NoRowsError",
    "RequestTooLargeError",
    "error_body",
    "error_status",
]

log = logging.getLogger("ecore_xl.serve")

#: the Excel errors a custom function can carry a message with
VALUE = "#VALUE!"
NOT_AVAILABLE = "#N/A"


class NoRowsError(EcoreError):
    """A table function matched nothing: ``#N/A`` "No contracts for these arguments."."""


class JobNotFoundError(UsageError):
    """No such job, or no file of it to download (a refresh, running, failed, removed)."""


class RequestTooLargeError(UsageError):
    """A request body beyond the backend's cap (``413``), refused before it is read whole."""


#: (class, HTTP status, Excel error), most specific first
_TABLE: tuple[tuple[type[BaseException], int, str], ...] = (
    (NoRowsError, 404, NOT_AVAILABLE),
    (JobNotFoundError, 404, NOT_AVAILABLE),
    (RequestTooLargeError, 413, VALUE),
    (DeadlineExceededError, 504, NOT_AVAILABLE),
    (BadRequestError, 400, VALUE),  # the API rejected an argument the user gave
    (NotFoundError, 404, NOT_AVAILABLE),
    (QuotaExceededError, 429, NOT_AVAILABLE),
    (RateLimitError, 429, NOT_AVAILABLE),
    (AuthenticationError, 502, NOT_AVAILABLE),  # the backend's credentials, not the caller's
    (SubscriptionKeyError, 502, NOT_AVAILABLE),
    (ApiError, 502, NOT_AVAILABLE),
    (OfflineError, 404, NOT_AVAILABLE),
    (UsageError, 400, VALUE),
    (EcoreError, 500, NOT_AVAILABLE),
)


def error_status(exc: BaseException) -> tuple[int, str]:
    """The HTTP status and Excel error for ``exc``."""
    for cls, status, excel in _TABLE:
        if isinstance(exc, cls):
            return status, excel
    return 500, NOT_AVAILABLE


def error_body(exc: BaseException) -> tuple[int, dict[str, Any], dict[str, str]]:
    """``(status, {"error": {code, message, excel, …}}, headers)`` for an answer."""
    status, excel = error_status(exc)
    headers: dict[str, str] = {}
    if isinstance(exc, EcoreError):
        code, message = type(exc).__name__, " ".join(exc.message.split())
        log.log(
            logging.INFO if isinstance(exc, UsageError) else logging.WARNING,
            "%s: %s%s", code, message, f" [{exc.detail}]" if exc.detail else "",
        )  # fmt: skip
    else:
        code, message = "InternalError", f"unexpected {type(exc).__name__}; details in the log"
        log.error("unexpected error", exc_info=exc)
    error: dict[str, Any] = {"code": code, "message": message, "excel": excel, "status": status}
    parameter = getattr(exc, "parameter", None) or getattr(exc, "target", None)
    if parameter:
        error["parameter"] = str(parameter)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        headers["Retry-After"] = str(int(retry_after))
    return status, {"error": error}, headers
