"""Error bodies of the API behind the gateway, one writer per style.

``odata`` (the contract): ``{"error": {"code", "message", "target"}}``; ``problem``: RFC 7807
``application/problem+json`` with per-parameter ``errors``; ``apim``: ``{"statusCode",
"message"}``. The gateway's own answers (key, token, 429, 403, route 404) are the same in every
dialect and are not written here.
"""

from __future__ import annotations

from typing import Any

from .routes import JSON, ApiFail, Reply

PROBLEM_JSON = "application/problem+json; charset=utf-8"
_TITLES = {400: "Bad Request", 404: "Not Found"}


def render(style: str, fail: ApiFail, instance: str) -> Reply:
    """The reply for ``fail`` (names already in the dialect's spelling)."""
    if style == "problem":
        return Reply(fail.status, _problem(fail, instance), content_type=PROBLEM_JSON)
    if style == "apim":
        return Reply(fail.status, {"statusCode": fail.status, "message": _apim_message(fail)})
    return Reply(fail.status, _odata(fail), content_type=JSON)


def _odata(fail: ApiFail) -> dict[str, Any]:
    if fail.target is not None:
        error = {"code": "InvalidParameter", "message": fail.message, "target": fail.target}
        return {"error": error}
    return {"error": {"code": "NotFound", "message": fail.message}}


def _problem(fail: ApiFail, instance: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": _TITLES.get(fail.status, "Error"),
        "status": fail.status,
        "detail": fail.message,
        "instance": instance,
    }
    if fail.target is not None:
        body["errors"] = {fail.target: [fail.message]}
    return body


def _apim_message(fail: ApiFail) -> str:
    if fail.what is not None:
        return f"{fail.what.lower()} {fail.ident} not found"
    return fail.message
