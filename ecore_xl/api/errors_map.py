"""HTTP responses and transport failures → the ecore_xl exception tree, with advice.

Pure functions over ``requests`` objects: no I/O, no retries (the client decides those).
"""

from __future__ import annotations

import email.utils
import re
from typing import Any, Literal
from urllib.parse import urlsplit

import orjson
import requests

from ecore_xl.errors import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    NetworkError,
    NotFoundError,
    QuotaExceededError,
    RateLimitError,
    ServerError,
    SubscriptionKeyError,
    UnexpectedResponseError,
)

__all__ = [
    "RETRYABLE_B2C_CODES",
    "RETRYABLE_STATUS",
    "api_error",
    "b2c_code",
    "correlation_id",
    "decode_json",
    "describe_body",
    "error_target",
    "gateway_message",
    "human_seconds",
    "is_route_not_found",
    "kind_of_401",
    "network_error",
    "parse_replenish",
    "parse_retry_after",
    "token_error",
]

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
RETRYABLE_B2C_CODES = frozenset({"AADB2C90035", "AADB2C90085"})

_CORRELATION = re.compile(r"correlation[ _-]?id[\"']?\s*[:=]\s*[\"']?([0-9a-fA-F-]{8,})", re.I)
_B2C_CODE = re.compile(r"\b(AADB2C\d+|AADSTS\d+)\b")
_REPLENISH = re.compile(r"replenished in (?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})", re.I)
_TRY_AGAIN = re.compile(r"try again in (\d+) seconds?", re.I)

_B2C_ADVICE = {
    "AADB2C90081": "The client secret is wrong: ask E&C support for a new one",
    "AADB2C90018": (
        "The client id is unknown to the token service: check ECORE_CLIENT_ID "
        "(and that ECORE_TOKEN_URL is the tenant E&C gave you)"
    ),
    "AADB2C90117": (
        "The token service does not accept the scope: check ECORE_SCOPE "
        "(it ends in /.default, e.g. https://<tenant>.onmicrosoft.com/<api>/.default)"
    ),
    "AADB2C90012": (
        "The token service does not accept the scope: check ECORE_SCOPE "
        "(it ends in /.default, e.g. https://<tenant>.onmicrosoft.com/<api>/.default)"
    ),
    "AADB2C90086": (
        "The token service refused the client-credentials grant: check that ECORE_TOKEN_URL "
        "is the token endpoint E&C gave you"
    ),
    "AADB2C90035": "The token service is temporarily unavailable: try again in a few minutes",
    "AADB2C90085": "The token service had an internal error: try again in a few minutes",
}


# ---- small parsers ------------------------------------------------------------------------------


def human_seconds(seconds: float) -> str:
    """``3725`` → ``'1 h 2 min'``; ``45`` → ``'45 s'``."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def parse_retry_after(value: str | None, now: float) -> float | None:
    """``Retry-After`` as seconds from ``now``: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now)


def parse_replenish(message: str) -> float | None:
    """Seconds in ``'Quota will be replenished in [D.]HH:MM:SS'``, or None."""
    match = _REPLENISH.search(message or "")
    if not match:
        return None
    days, hours, minutes, secs = (int(g) if g else 0 for g in match.groups())
    return float(((days * 24 + hours) * 60 + minutes) * 60 + secs)


def correlation_id(text: str | None) -> str | None:
    """The correlation id in a B2C/Entra error description or body, if any."""
    match = _CORRELATION.search(text or "")
    return match.group(1) if match else None


def b2c_code(text: str | None) -> str | None:
    """``AADB2C90081`` (or an ``AADSTS`` code) from a token error description."""
    match = _B2C_CODE.search(text or "")
    return match.group(1) if match else None


def describe_body(response: requests.Response) -> str:
    """The first ~80 characters of the body and its content type, for an error message."""
    ctype = response.headers.get("Content-Type") or "no content type"
    raw = response.content or b""
    if not raw.strip():
        return f"an empty body ({ctype})"
    text = raw[:200].decode("utf-8", "replace")
    text = " ".join(text.split())[:80]
    return f"{text!r}{'…' if len(raw) > 80 else ''} ({ctype}, {len(raw)} bytes)"


def _json_or_none(response: requests.Response) -> Any:
    try:
        return orjson.loads(response.content)
    except (orjson.JSONDecodeError, TypeError):
        return None


def gateway_message(response: requests.Response) -> str:
    """The human message of an error body, whichever of the shapes APIs use it has.

    OData ``{"error": {"code", "message", "target"}}``, RFC 7807 problem+json ``{"title",
    "detail", "errors": {"<param>": ["…"]}}`` (the first parameter's message is added), APIM
    ``{"statusCode", "message"}``, a token error's ``error_description``, else the text.
    On one line: the API may echo a parameter value holding a line break, and every error
    message must fit one line (a cell, ``Error: ...`` on the terminal).
    """
    body = _json_or_none(response)
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return " ".join(error["message"].split())
        if _is_problem(body):
            text = str(body.get("detail") or body.get("title") or "")
            target, problem = _problem_parameter(body)
            if target and problem and problem not in text:
                text = (
                    f"{text.rstrip('.')}: {target}: {problem}" if text else f"{target}: {problem}"
                )
            return " ".join(text.split())
        for key in ("message", "error_description", "error"):
            if isinstance(body.get(key), str):
                return " ".join(body[key].split())
    text = (response.content or b"")[:300].decode("utf-8", "replace")
    return " ".join(text.split())


def _is_problem(body: dict[str, Any]) -> bool:
    """An RFC 7807 problem: ``title``/``detail`` (and usually ``type``, ``status``)."""
    return isinstance(body.get("title"), str) or isinstance(body.get("detail"), str)


def _problem_parameter(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """(parameter, its first message) of a problem's ``errors`` or ``invalid-params``."""
    errors = body.get("errors")
    if isinstance(errors, dict) and errors:
        name, messages = next(iter(errors.items()))
        first = messages[0] if isinstance(messages, list) and messages else messages
        return str(name), (" ".join(str(first).split()) if first else None)
    for key in ("invalid-params", "invalid_params", "invalidParams"):
        params = body.get(key)
        if isinstance(params, list) and params and isinstance(params[0], dict):
            name = params[0].get("name")
            reason = params[0].get("reason")
            return (str(name) if name else None), (str(reason) if reason else None)
    return None, None


def error_target(response: requests.Response) -> str | None:
    """The parameter an API error body names: OData ``error.target`` (or its first detail's),
    a problem's first ``errors`` key or ``invalid-params`` name; None for APIM bodies."""
    body = _json_or_none(response)
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if isinstance(error, dict):
        target = error.get("target")
        details = error.get("details")
        if not target and isinstance(details, list) and details and isinstance(details[0], dict):
            target = details[0].get("target")
        return str(target) if target else None
    if _is_problem(body):
        return _problem_parameter(body)[0]
    return None


def is_route_not_found(response: requests.Response) -> bool:
    """A 404 from the gateway for an unknown route (``Resource not found``), not an unknown id."""
    body = _json_or_none(response)
    if not isinstance(body, dict):
        return True  # no API error body: nothing answered for that path
    if isinstance(body.get("error"), dict) or _is_problem(body):
        return False
    message = str(body.get("message") or "").strip().rstrip(".").lower()
    return message in ("", "resource not found", "not found")


def decode_json(response: requests.Response, url: str) -> Any:
    """The body parsed by orjson; UnexpectedResponseError for anything that is not JSON."""
    raw = response.content
    if not raw or not raw.strip():
        raise UnexpectedResponseError(
            f"The API sent {describe_body(response)} instead of JSON for {_path(url)}: "
            "try again; if it persists a proxy may be in the way.",
            status=response.status_code,
            url=url,
        )
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        hint = (
            "an HTML page (a proxy or login portal in the way?)"
            if raw.lstrip()[:1] == b"<"
            else "a body that is not valid JSON (cut short?)"
        )
        raise UnexpectedResponseError(
            f"The API sent {hint} for {_path(url)}: {describe_body(response)}.",
            status=response.status_code,
            url=url,
            detail=str(exc),
        ) from None


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# ---- token endpoint ----------------------------------------------------------------------------


def token_error(response: requests.Response) -> tuple[ApiError, bool]:
    """(error, retryable) for a failed token POST."""
    status = response.status_code
    body = _json_or_none(response)
    description = ""
    error_code = ""
    if isinstance(body, dict):
        description = str(body.get("error_description") or "")
        error_code = str(body.get("error") or "")
    cid = correlation_id(description) or (
        str(body.get("correlation_id"))
        if isinstance(body, dict) and body.get("correlation_id")
        else None
    )
    code = b2c_code(description)
    suffix = f" (correlation id {cid})" if cid else ""
    if code in _B2C_ADVICE:
        kind = ServerError if code in RETRYABLE_B2C_CODES else AuthenticationError
        exc: ApiError = kind(
            f"{_B2C_ADVICE[code]}{suffix}.",
            status=status,
            correlation_id=cid,
            detail=_reason(code, description),
        )
        return exc, code in RETRYABLE_B2C_CODES
    if status >= 500 or status == 429:
        return (
            ServerError(
                f"The token service answered HTTP {status}: try again in a few minutes{suffix}.",
                status=status,
                correlation_id=cid,
            ),
            True,
        )
    if body is None:
        return (
            UnexpectedResponseError(
                f"The token service sent {describe_body(response)} instead of JSON: check "
                "ECORE_TOKEN_URL (and any proxy in the way).",
                status=status,
            ),
            False,
        )
    reason = " ".join(x for x in (code or error_code, _first_line(description)) if x)
    if code and _first_line(description).startswith(code):
        reason = _first_line(description)
    return (
        AuthenticationError(
            f"The token service refused the client credentials ({reason or f'HTTP {status}'}): "
            f"check ECORE_CLIENT_ID, ECORE_CLIENT_SECRET and ECORE_SCOPE{suffix}.",
            status=status,
            correlation_id=cid,
        ),
        False,
    )


def _reason(code: str, description: str) -> str:
    """``'AADB2C90081: The specified client_secret does not match ...'`` (one line)."""
    line = _first_line(description)
    return line if line.startswith(code) else f"{code}: {line}".rstrip(": ")


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0].strip() if text.strip() else ""


# ---- data requests -----------------------------------------------------------------------------


def kind_of_401(response: requests.Response) -> Literal["key", "token", "other"]:
    """Whether a 401 is about the subscription key or about the access token."""
    message = gateway_message(response).lower()
    if "subscription key" in message:
        return "key"
    if "access token" in message or "unauthorized" in message or "bearer" in message:
        return "token"
    challenge = response.headers.get("WWW-Authenticate", "")
    if "AzureApiManagementKey" in challenge:
        return "key"
    if "bearer" in challenge.lower():
        return "token"
    return "other"


def api_error(
    response: requests.Response,
    url: str,
    *,
    now: float,
    max_retry_after: float,
    key_name: str = "ECORE_SUBSCRIPTION_KEY",
) -> ApiError:
    """The exception for a data response that will not be retried any more."""
    status = response.status_code
    message = gateway_message(response)
    path = _path(url)
    cid = response.headers.get("x-correlation-id") or response.headers.get("x-ms-request-id")
    common: dict[str, Any] = {"status": status, "url": url, "correlation_id": cid}
    retry_after = parse_retry_after(response.headers.get("Retry-After"), now)
    if status == 401:
        kind = kind_of_401(response)
        if kind == "key":
            lowered = message.lower()
            if "missing" in lowered:
                text = (
                    "The API gateway got no subscription key: set ECORE_SUBSCRIPTION_KEY (and "
                    "check ECORE_SUBSCRIPTION_KEY_HEADER if you changed it)."
                )
            else:
                text = (
                    f"The API gateway refused the subscription key ({key_name}): check the key "
                    "in your Developer Portal profile; set ECORE_SUBSCRIPTION_KEY_SECONDARY "
                    "too so that key rotation does not stop you."
                )
            return SubscriptionKeyError(text, **common)
        return AuthenticationError(
            "The API refused a fresh access token: check that ECORE_SCOPE is the scope of "
            "the eCore API and that your client is allowed to use it.",
            **common,
        )
    if status == 403:
        if "quota" in message.lower():
            wait = parse_replenish(message)
            if wait is None:
                wait = retry_after
            when = (
                f"it is replenished in {human_seconds(wait)}"
                if wait is not None
                else ("wait until it is replenished")
            )
            return QuotaExceededError(
                f"The call quota of your eCore subscription is used up: {when}, or ask E&C "
                "for a larger Product.",
                retry_after=wait,
                **common,
            )
        return AuthenticationError(
            f"The API refused access to {path} (HTTP 403: {message[:120]}): ask E&C whether "
            "your subscription's Product includes it.",
            **common,
        )
    if status == 429:
        wait = retry_after
        if wait is None and (m := _TRY_AGAIN.search(message)):
            wait = float(m.group(1))
        if wait is not None and wait > max_retry_after:
            text = (
                f"The API rate limit is exceeded and asks to wait {human_seconds(wait)}, more "
                f"than ECORE_MAX_RETRY_AFTER ({human_seconds(max_retry_after)}): try again "
                "then, or raise the setting."
            )
        else:
            text = "The API rate limit is still exceeded after the retries: try again shortly."
        return RateLimitError(text, retry_after=wait, **common)
    if status == 400:
        target = error_target(response)
        what = f"parameter '{target}'" if target else "request"
        return BadRequestError(
            f"The API rejected the {what} for {path}: {message[:160]}",
            target=target,
            **common,
        )
    if status == 404:
        route = is_route_not_found(response)
        if route:
            text = (
                f"The API has no route {urlsplit(url).path}: check the path in the catalogue "
                "(ECORE_BASE_URL and the dataset's path)."
            )
        else:
            text = f"Not found: {message[:160].rstrip('.')} — check the id (GET {path})."
        return NotFoundError(text, route=route, **common)
    if status >= 500:
        return ServerError(
            f"The API kept failing with HTTP {status} for {path}: try again later.", **common
        )
    return ApiError(f"The API answered HTTP {status} for {path}: {message[:160]}", **common)


# ---- transport failures ------------------------------------------------------------------------


def network_error(
    exc: BaseException,
    url: str,
    *,
    connect_timeout: float,
    read_timeout: float,
    what: str = "the eCore API",
) -> NetworkError:
    """A NetworkError with advice for a requests transport exception."""
    host = urlsplit(url).netloc
    if isinstance(exc, requests.exceptions.ProxyError):
        text = (
            f"The proxy refused or failed the connection to {host}: check HTTPS_PROXY / "
            "HTTP_PROXY / NO_PROXY (and proxy credentials)."
        )
    elif isinstance(exc, requests.exceptions.SSLError):
        text = (
            f"TLS to {host} failed (certificate not trusted?). Behind a corporate proxy that "
            "inspects TLS, install its root certificate in the OS store or set ECORE_CA_BUNDLE "
            "to a PEM file holding it."
        )
    elif isinstance(exc, requests.exceptions.ConnectTimeout):
        text = (
            f"Connecting to {host} timed out after {connect_timeout:g} s: check the network or "
            "proxy, or raise ECORE_CONNECT_TIMEOUT."
        )
    elif isinstance(exc, requests.exceptions.ReadTimeout):
        text = (
            f"{what} at {host} did not answer within {read_timeout:g} s: try a smaller date "
            "range or raise ECORE_READ_TIMEOUT."
        )
    elif isinstance(exc, requests.exceptions.ConnectionError):
        text = (
            f"Cannot reach {what} at {host} (connection refused, dropped or name not found): "
            "check the network, the proxy settings and the URL."
        )
    else:
        text = f"The connection to {host} failed ({type(exc).__name__}): try again."
    return NetworkError(text, url=url, detail=f"{type(exc).__name__}: {exc}")
