"""The one exception tree of ecore_xl.

Every message is short enough for an Excel cell and says what to do next.

EcoreError                      root; ``exit_code`` is what ``ecore-xl`` exits with
├── UsageError                  bad input from the user (exit 2)
│   ├── ConfigError             a setting is missing or malformed (names the variable)
│   ├── InvalidFilterError      a dataset filter is unknown, missing or malformed (names it)
│   ├── CatalogueError          the catalogue file or a Postman import is malformed
│   ├── TemplateError           a report template is malformed (names sheet and cell)
│   └── TooManyRowsError        a table would not fit on one Excel sheet
├── ApiError                    the API or the network failed (exit 1)
│   ├── AuthenticationError     the token endpoint refused the client credentials
│   ├── SubscriptionKeyError    the gateway refused the subscription key
│   ├── QuotaExceededError      403: the Product's call quota is used up (``retry_after``)
│   ├── RateLimitError          429 that outlived the retries or the Retry-After cap
│   ├── NotFoundError           404: unknown route or id
│   ├── BadRequestError         400: the API rejected a parameter (``target``)
│   ├── NetworkError            connection, TLS, proxy or timeout failure
│   │   └── DeadlineExceededError  a backend request (``ecore-xl serve``) outlived its deadline
│   ├── ServerError             5xx that outlived the retries
│   ├── UnexpectedResponseError a body that is not the JSON the contract promises
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
    "InvalidFilterError",
    "NetworkError",
    "NotFoundError",
    "OfflineError",
    "PagingError",
    "QuotaExceededError",
    "RateLimitError",
    "ServerError",
    "SubscriptionKeyError",
    "TemplateError",
    "TooManyRowsError",
    "UnexpectedResponseError",
    "UsageError",
    "mask_secret",
]


class EcoreError(Exception):
    """Root of every error ecore_xl raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: longer text for the log file (never shown in a cell); never holds a secret
        self.detail = detail

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
    """``ecore-xl serve`` stopped waiting for an answer after its deadline (the work goes on and
    its answer is cached for the next call)."""


class ServerError(ApiError):
    """The API kept answering 5xx after the retries."""


class UnexpectedResponseError(ApiError):
    """The body is not the JSON the API contract promises (HTML from a proxy, truncated...)."""


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
