"""The one exception tree of ecore_xl.

Every message is short enough for an Excel cell and says what to do next.

EcoreError                      root; ``exit_code`` is what ``ecore-xl`` exits with
├── UsageError                  bad input from the user (exit 2)
│   ├── ConfigError             a setting is missing or malformed (names the variable)
│   ├── InvalidFilterError      a dataset filter is unknown, missing or malformed (names it)
│   ├── CatalogueError          the catalogue file or a Postman import is malformed
│   ├── TemplateError           a report template is malformed (names sheet and cell)
│   ├── TooManyRowsError        a table would not fit on one Excel sheet
│   ├── WorkbookError           a workbook cannot be used: damaged, read-only, protected,
│   │                           or a settings cell holds a formula the refresh cannot evaluate
│   └── LocalFileError          a local file or folder failed: permission, read-only file
│       │                       system, disk full, size limit, out of memory (names the path)
│       ├── FileInUseError      the file is open in Excel or LibreOffice, or another ecore-xl
│       │                       is writing it
│       └── FileChangedError    the file changed between our read and our replace: nothing
│                               was written, nothing of theirs lost
├── ApiError                    the API or the network failed (exit 1)
│   ├── AuthenticationError     the token endpoint refused the client credentials
│   ├── SubscriptionKeyError    the gateway refused the subscription key
│   ├── QuotaExceededError      403: the Product's call quota is used up (``retry_after``)
│   ├── RateLimitError          429 that outlived the retries or the Retry-After cap
│   ├── NotFoundError           404: unknown route or id
│   ├── BadRequestError         400: the API rejected a parameter (``target``)
│   ├── NetworkError            connection, TLS, proxy or timeout failure
│   │   └── DeadlineExceededError  a request outlived its deadline (ECORE_REQUEST_DEADLINE, or
│   │       │                      an ``ecore-xl serve`` answer's)
│   │       └── FormulaDeadlineError  a worksheet function outlived ECORE_FORMULA_DEADLINE
│   │                                 (its load goes on into the cache)
│   ├── ServerError             5xx that outlived the retries
│   ├── UnexpectedResponseError a body that is not the JSON the contract promises
│   │   └── ResponseTooLargeError  a (decoded) body beyond ECORE_MAX_RESPONSE_BYTES
│   └── PagingError             a repeated ``nextLink`` or too many pages
└── OfflineError                offline mode and no cached or snapshot data (exit 2: local)
"""

from __future__ import annotations

__all__ = [
    "ApiError",
    "AuthenticationError",
    "BadRequestError",
    "CatalogueError",
    "ConfigError",
    "DeadlineExceededError",
    "EcoreError",
    "FileChangedError",
    "FileInUseError",
    "FormulaDeadlineError",
    "InvalidFilterError",
    "LocalFileError",
    "NetworkError",
    "NotFoundError",
    "OfflineError",
    "PagingError",
    "QuotaExceededError",
    "RateLimitError",
    "ResponseTooLargeError",
    "ServerError",
    "SubscriptionKeyError",
    "TemplateError",
    "TooManyRowsError",
    "UnexpectedResponseError",
    "UsageError",
    "WorkbookError",
    "local_file_error",
    "mask_secret",
]


class EcoreError(Exception):
    """Root of every error ecore_xl raises on purpose.

    ``message`` (and ``str()``) never shows a registered secret, even when the text came from a
    server that echoed one (:func:`ecore_xl.redaction.redact`).
    """

    exit_code = 1

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: longer text for the log file (never shown in a cell); secrets blanked in the log
        self.detail = detail

    @property
    def message(self) -> str:
        """The one-line message, secrets blanked."""
        from ecore_xl.redaction import redact

        return redact(self._message)

    @message.setter
    def message(self, value: str) -> None:
        self._message = value

    def __str__(self) -> str:
        return self.message


class UsageError(EcoreError):
    """The user asked for something that cannot work; fixing the input fixes it."""

    exit_code = 2


class ConfigError(UsageError):
    """A setting is missing or malformed."""

    def __init__(self, message: str, *, variable: str | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.variable = variable


class InvalidFilterError(UsageError):
    """A dataset filter is unknown, missing, malformed or outside its allowed values."""

    def __init__(
        self,
        message: str,
        *,
        parameter: str,
        allowed: tuple[str, ...] | None = None,
        **kw: object,
    ) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.parameter = parameter
        self.allowed = allowed


class CatalogueError(UsageError):
    """A catalogue file or an imported Postman collection is malformed."""


class TemplateError(UsageError):
    """A report template is malformed; the message names the sheet and cell."""


class TooManyRowsError(UsageError):
    """A table has more rows than one Excel sheet holds (1,048,576 with the header)."""


class WorkbookError(UsageError):
    """A workbook cannot be used as it is (damaged, read-only, protected, a settings formula)."""


class LocalFileError(UsageError):
    """A local file or folder failed (permission, read-only, full, too big); ``path`` names it."""

    def __init__(self, message: str, *, path: str | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.path = path


class FileInUseError(LocalFileError):
    """The file is open in Excel or LibreOffice, or another ecore-xl is writing it."""


class FileChangedError(LocalFileError):
    """The file changed after we read it: we did not replace it (their change is kept)."""


class ApiError(EcoreError):
    """The eCore API or the way to it failed."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        url: str | None = None,
        correlation_id: str | None = None,
        **kw: object,
    ) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.status = status
        self.url = url
        self.correlation_id = correlation_id


class AuthenticationError(ApiError):
    """The token endpoint refused the client credentials (wrong secret, scope, client)."""


class SubscriptionKeyError(ApiError):
    """The API gateway refused the subscription key (missing, invalid or revoked)."""


class QuotaExceededError(ApiError):
    """The subscription's call-volume quota is used up until ``retry_after`` seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after = retry_after


class RateLimitError(ApiError):
    """Too many requests, and waiting as asked would exceed the configured cap."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after = retry_after


class NotFoundError(ApiError):
    """The route or the record does not exist; ``route`` says it was the route (the gateway's
    ``Resource not found``), not an unknown id."""

    def __init__(self, message: str, *, route: bool = False, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.route = route


class BadRequestError(ApiError):
    """The API rejected a parameter; ``target`` names it when the API says."""

    def __init__(self, message: str, *, target: str | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.target = target


class NetworkError(ApiError):
    """No answer: connection refused or dropped, DNS, proxy, TLS or timeout."""


class DeadlineExceededError(NetworkError):
    """A request (a GET with its retries, or one ``ecore-xl serve`` answer) or one
    worksheet-function call took longer than its total deadline; the work it started goes on and
    its answer is cached for the next call."""


class FormulaDeadlineError(DeadlineExceededError):
    """A worksheet function outlived its deadline; the load it started goes on (cached)."""


class ServerError(ApiError):
    """The API kept answering 5xx after the retries."""


class UnexpectedResponseError(ApiError):
    """The body is not the JSON the API contract promises (HTML from a proxy, truncated...)."""


class ResponseTooLargeError(UnexpectedResponseError):
    """A response body (counted after decompression) is larger than the configured cap."""


class PagingError(ApiError):
    """Paging went wrong: a ``nextLink`` repeated or more pages than the configured maximum."""


class OfflineError(EcoreError):
    """Offline mode is on and neither the cache nor a snapshot holds the data asked for.

    Exit code 2, as for any local problem: no API was asked, and the fix is on this machine
    (another snapshot folder, or an online run that saves one).
    """

    exit_code = 2


def mask_secret(value: str | None) -> str:
    """Show at most the first four characters of a secret: ``'abcd…'``; never the whole."""
    if not value:
        return "<not set>"
    if len(value) <= 8:
        return "…"
    return value[:4] + "…"


_ERRNO_ADVICE = {
    "EACCES": "permission denied: check that you may write there, or choose another folder",
    "EPERM": "not permitted: check that you may write there, or choose another folder",
    "EROFS": "the file system is read-only: choose a writable folder",
    "ENOSPC": "the disk is full: free some space and try again",
    "EDQUOT": "your disk quota is used up: free some space and try again",
    "EFBIG": "the file would exceed this system's file-size limit: ask for less data",
    "ENOENT": "no such file or folder: check the path",
    "ENOTDIR": "a part of the path is not a folder: check the path",
    "EISDIR": "it is a folder: give a file name",
    "ENAMETOOLONG": "the name is too long: choose a shorter path",
    "EBUSY": "it is in use: close the program that holds it and try again",
    "EMFILE": "too many open files: close other programs and try again",
    "EIO": "the disk reported an input/output error: check the drive",
}


def local_file_error(exc: BaseException, path: object, action: str) -> LocalFileError:
    """One line for an OSError (or MemoryError) on ``path`` while ``action`` (``"writing"``).

    The message names the path (the error's own ``filename`` when ``path`` is None) and what to
    do; the system's own text goes to ``detail``. A Windows sharing violation (the file is open
    in Excel) is a :class:`FileInUseError`.
    """
    import errno as _errno

    if path is None:
        path = getattr(exc, "filename", None) or "a local file"
    where = str(path)
    if isinstance(exc, MemoryError):
        return LocalFileError(
            f"Not enough memory while {action} {where}: ask for less data (a shorter period, "
            "fewer meters, a coarser granularity).",
            path=where,
            detail="MemoryError",
        )
    code = getattr(exc, "errno", None)
    name = _errno.errorcode.get(code, "") if isinstance(code, int) else ""
    detail = f"{type(exc).__name__}: {getattr(exc, 'strerror', None) or exc}"
    if getattr(exc, "winerror", None) in (32, 33):  # sharing / lock violation
        return FileInUseError(
            f"{where} is open in another program (Excel?): close it there and try again.",
            path=where,
            detail=detail,
        )
    advice = _ERRNO_ADVICE.get(name) or f"{getattr(exc, 'strerror', None) or type(exc).__name__}"
    return LocalFileError(f"Cannot finish {action} {where}: {advice}.", path=where, detail=detail)
