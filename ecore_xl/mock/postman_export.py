"""Vendor-style Postman v2.1 collections of the mock's dialects, written from a live mock.

``python -m ecore_xl.mock.postman_export OUTDIR [DIALECT ...]`` starts the mock in each dialect,
calls every endpoint once and writes ``OUTDIR/dialect_<name>.json`` the way a vendor publishes a
collection: folders per area, ``{{baseUrl}}``, path variables and query parameters with
descriptions and allowed values, the paging parameters on collection requests, one saved example
response per request (in the dialect's envelope, trimmed to a few records), and E&C's
authentication (a token request storing ``access_token``, a bearer token and the subscription-key
header on every request). The portfolio is fixed (seed 42, 3 meters, 2025-2026, as of
2026-11-15), so a file changes only when the mock does (``tests/fixtures/postman/``).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests

from .dialect import DIALECTS, Dialect, Route
from .inbound import query_params
from .routes import (
    COMMODITIES,
    CONTRACT_STATUSES,
    ENTITY_TYPES,
    INVOICE_STATUSES,
    POSITION_GRANULARITIES,
    VOLUME_GRANULARITIES,
    VOLUME_TYPES,
)
from .server import KEY_HEADER, MockServer

__all__ = ["collection", "main", "write_all"]

PUBLIC_BASE = "https://api.eecc.energy/v1"
PORTFOLIO = {"seed": 42, "meters": 3, "years": (2025, 2026), "as_of": dt.date(2026, 11, 15)}
EXAMPLE_RECORDS = 2
EXAMPLE_VALUES = 3
EXAMPLE_PAGE = 2  # page size asked for in the examples, so they show how paging continues
SCHEMA = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"

AREAS = {
    "structure": ("Structure", "Meters, business units, legal entities and their relationships."),
    "risk": ("Risk Management", "Contracts, executed clicks, volumes and portfolio data."),
    "invoices": ("Invoices", "Invoiced consumption and costs."),
    "billing": ("Billing", "Invoiced consumption and costs."),
}
AREA_OF = {
    "legal-entities": "structure",
    "business-units": "structure",
    "meters": "structure",
    "relationships": "structure",
    "contracts": "risk",
    "clicks": "risk",
    "volumes": "risk",
    "portfolios": "risk",
    "positions": "risk",
    "invoices": "invoices",
}
TITLES = {
    ("legal-entities", False): "Get legal entities",
    ("business-units", False): "Get business units",
    ("meters", False): "Get meters",
    ("relationships", False): "Get relationships",
    ("contracts", False): "Get contracts",
    ("contracts", True): "Get a contract",
    ("clicks", False): "Get clicks",
    ("volumes", False): "Get volumes",
    ("portfolios", False): "Get portfolios",
    ("positions", False): "Get positions of a portfolio",
    ("invoices", False): "Get invoices",
    ("invoices", True): "Get an invoice",
}


@dataclass(frozen=True)
class Param:
    """A canonical parameter: what it does, an example (canonical value), allowed values."""

    doc: str
    example: str
    allowed: tuple[str, ...] = ()
    default: str | None = None
    required: bool = False
    on: bool = False  # sent in the example call


_ID_EXAMPLES = {"contracts": "CTR-0002", "invoices": "INV-000002"}
PATH_PARAMS = {
    "portfolioId": Param("The portfolio's id (e.g. PF-0002).", "PF-0002", required=True),
    "contractId": Param("The contract's id (e.g. CTR-0002).", "CTR-0002", required=True),
    "meterId": Param("The meter's id (e.g. MTR-0002).", "MTR-0002", required=True),
}
_COMMODITY = Param("Only this commodity.", "power", COMMODITIES)
_LEGAL_ENTITY = Param("Only this legal entity.", "LE-001")
QUERY_PARAMS: dict[str, dict[str, Param]] = {
    "legal-entities": {},
    "business-units": {"legalEntityId": _LEGAL_ENTITY},
    "meters": {
        "businessUnitId": Param("Only this business unit.", "BU-001"),
        "commodity": _COMMODITY,
    },
    "relationships": {
        "entityType": Param("Edges with this entity type at either end.", "meter", ENTITY_TYPES),
        "entityId": Param("Edges touching this entity.", "MTR-0002"),
    },
    "contracts": {
        "commodity": _COMMODITY,
        "status": Param("Only contracts in this status.", "active", CONTRACT_STATUSES),
        "legalEntityId": _LEGAL_ENTITY,
        "activeOn": Param("Contracts delivering on this day.", "2026-06-01"),
    },
    "clicks": {
        "contractId": Param("Only this contract.", "CTR-0002"),
        "portfolioId": Param("Only this portfolio.", "PF-0002"),
        "from": Param("executedAt", "2025-06-01"),
        "to": Param("executedAt", "2026-01-01"),
    },
    "volumes": {
        "meterId": Param("The meter; {meterId} or {contractId} is required.", "MTR-0002", on=True),
        "contractId": Param("All meters of this contract, instead of {meterId}.", "CTR-0002"),
        "from": Param("interval start", "2026-03-29", required=True, on=True),
        "to": Param("interval start", "2026-03-30", required=True, on=True),
        "granularity": Param(
            "Length of an interval.", "hour", VOLUME_GRANULARITIES, "hour", on=True
        ),
        "type": Param("Measured or expected volumes.", "actual", VOLUME_TYPES, "actual"),
    },
    "portfolios": {"commodity": _COMMODITY, "legalEntityId": _LEGAL_ENTITY},
    "positions": {
        "portfolioId": Param("The portfolio.", "PF-0002", required=True, on=True),
        "granularity": Param("Length of a period.", "month", POSITION_GRANULARITIES, "month"),
        "from": Param("period start", "2026-01-01"),
        "to": Param("period start", "2026-07-01"),
    },
    "invoices": {
        "from": Param("billing period", "2026-02-01"),
        "to": Param("billing period", "2026-03-01"),
        "meterId": Param("Only this meter.", "MTR-0002"),
        "legalEntityId": _LEGAL_ENTITY,
        "supplier": Param("Only this supplier.", ""),
        "status": Param("Only invoices in this status.", "paid", INVOICE_STATUSES),
    },
}


# ------------------------------------------------------------------ parameters in a dialect
def served_value(dialect: Dialect, canonical: str, value: str, tz: ZoneInfo) -> str:
    """A canonical example value written the way the dialect takes it."""
    if canonical == "granularity":
        return dialect.granularity_values[value]
    if canonical in ("from", "to", "activeOn") and value:
        day = dt.date.fromisoformat(value)
        if dialect.date_format == "epoch_s":
            return str(int(dt.datetime(day.year, day.month, day.day, tzinfo=tz).timestamp()))
        if canonical == "to" and dialect.date_end == "inclusive":
            return (day - dt.timedelta(days=1)).isoformat()
    return value


def describe(dialect: Dialect, dataset: str, canonical: str, p: Param) -> str:
    """A vendor's description of a query parameter, with its allowed values and default."""
    if canonical in ("from", "to"):
        text = _date_doc(dialect, canonical, p.doc)
    elif canonical == "activeOn":
        text = (
            "Contracts delivering at this instant, in epoch seconds."
            if dialect.date_format == "epoch_s"
            else "Contracts delivering on this day (YYYY-MM-DD)."
        )
    else:
        text = p.doc.format_map(_Spelling(dialect))
    allowed = p.allowed
    default = p.default
    if canonical == "granularity":
        allowed = tuple(dialect.granularity_values[g] for g in allowed)
        default = dialect.granularity_values[default] if default else None
    if allowed:
        text += f" One of {', '.join(allowed)}."
    if default:
        text += f" Default {default}."
    if canonical == "granularity" and dataset == "volumes":
        for commodity, only in dialect.granularity_by_commodity.items():
            spelled = ", ".join(dialect.granularity_values[g] for g in only)
            text += f" {commodity.capitalize()} meters: {spelled} only."
    if p.required:
        text += " Required."
    return text


class _Spelling(dict[str, str]):
    """``{meterId}`` in a description -> the dialect's name of the parameter."""

    def __init__(self, dialect: Dialect) -> None:
        super().__init__()
        self.dialect = dialect

    def __missing__(self, key: str) -> str:
        return self.dialect.param_name(key)


def _date_doc(dialect: Dialect, canonical: str, on: str) -> str:
    first = canonical == "from"
    if dialect.date_format == "date":
        if first:
            return f"Filters {on}: from this day (YYYY-MM-DD)."
        if dialect.date_end == "inclusive":
            return f"Filters {on}: up to and including this day (YYYY-MM-DD)."
        return f"Filters {on}: until this day, exclusive (YYYY-MM-DD)."
    if dialect.date_format == "epoch_s":
        bound = "from (inclusive)" if first else "until (exclusive)"
        return f"Filters {on}: {bound} this instant, in epoch seconds."
    bound = "from (inclusive)" if first else "until (exclusive)"
    return (
        f"Filters {on}: {bound} a date (local midnight, Europe/Berlin) or an ISO 8601 "
        "date-time with offset."
    )


def paging_params(dialect: Dialect, series: bool) -> list[dict[str, Any]]:
    """The paging parameters of a collection request (the size one set small in the example)."""
    p = dialect.paging
    unit = "values of the series" if series else "records"
    style = p.style
    out: list[dict[str, Any]] = []
    if style in ("nextLink", "odata", "link"):
        where = {"nextLink": "nextLink", "odata": "@odata.nextLink", "link": "the Link header"}
        out.append(
            _q(
                p.size,
                EXAMPLE_PAGE,
                f"Page size: at most {p.max_size} {unit}; follow {where[style]} for the next page.",
                True,
            )
        )
        out.append(_q(p.position, "", f"Opaque; comes in {where[style]}. Do not build it.", False))
    elif style == "pages":
        out.append(
            _q(
                p.position,
                p.first_page,
                f"Page number, {p.first_page}-based; meta says totalPages and totalItems.",
                False,
            )
        )
        out.append(
            _q(p.size, EXAMPLE_PAGE, f"{unit.capitalize()} per page, at most {p.max_size}.", True)
        )
    elif style in ("offset", "skiptop"):
        total = "the X-Total-Count header" if style == "offset" else "@odata.count"
        out.append(
            _q(
                p.position,
                0,
                f"{unit.capitalize()} to skip; {total} says how many there are.",
                False,
            )
        )
        out.append(
            _q(p.size, EXAMPLE_PAGE, f"{unit.capitalize()} per page, at most {p.max_size}.", True)
        )
    elif style == "cursor":
        out.append(_q(p.position, "", "Opaque; the continuationToken of the previous page.", False))
    return out


def _q(key: str | None, value: object, description: str, on: bool) -> dict[str, Any]:
    return {"key": key, "value": str(value), "description": description, "disabled": not on}


# ------------------------------------------------------------------ requests
def _request(dialect: Dialect, route: Route, tz: ZoneInfo) -> tuple[dict[str, Any], dict[str, str]]:
    """The Postman request of a route, and the parameters sent in its example call."""
    segments: list[str] = []
    variables = []
    for segment in route.template.strip("/").split("/"):
        if segment.startswith("{"):
            name = segment[1:-1]
            canonical = route.vars[name]
            p = PATH_PARAMS.get(canonical) or Param(
                f"The {route.dataset[:-1]}'s id (e.g. {_ID_EXAMPLES[route.dataset]}).",
                _ID_EXAMPLES[route.dataset],
                required=True,
            )
            variables.append({"key": name, "value": p.example, "description": p.doc})
            segments.append(":" + name)
        else:
            segments.append(segment)
    query: list[dict[str, Any]] = []
    sent: dict[str, str] = {}
    docs = QUERY_PARAMS[route.dataset]
    for canonical in query_params(route):
        p = docs[canonical]
        name = dialect.param_name(canonical)
        value = served_value(dialect, canonical, p.example, tz)
        item = {
            "key": name,
            "value": value,
            "description": describe(dialect, route.dataset, canonical, p),
            "disabled": not p.on,
        }
        query.append(item)
        if p.on:
            sent[name] = value
    if not route.single:
        series = route.dataset == "volumes" and dialect.volume_shape == "series"
        for item in paging_params(dialect, series):
            query.append(item)
            if not item["disabled"]:
                sent[item["key"]] = item["value"]
    raw = "{{baseUrl}}/" + "/".join(segments)
    on = [f"{q['key']}={q['value']}" for q in query if not q["disabled"]]
    url: dict[str, Any] = {
        "raw": raw + ("?" + "&".join(on) if on else ""),
        "host": ["{{baseUrl}}"],
        "path": segments,
    }
    if query:
        url["query"] = query
    if variables:
        url["variable"] = variables
    request = {
        "method": "GET",
        "header": [
            {
                "key": KEY_HEADER,
                "value": "{{subscription_key}}",
                "type": "text",
                "description": "Your primary or secondary subscription key.",
            }
        ],
        "url": url,
        "description": _request_doc(dialect, route),
    }
    return request, sent


def _request_doc(dialect: Dialect, route: Route) -> str:
    if route.single:
        return "One record, or 404 when the id is unknown."
    if route.dataset == "volumes" and dialect.volume_shape == "series":
        return "One time series of the meter; the pages split its values."
    if route.parent:
        return f"The {route.dataset} of one {route.parent}; 404 when it is unknown."
    return f"A collection: {_paging_doc(dialect)}"


def _paging_doc(dialect: Dialect) -> str:
    p = dialect.paging
    return {
        "nextLink": "follow nextLink until it is absent.",
        "odata": "follow @odata.nextLink until it is absent.",
        "link": 'follow the Link header (rel="next") until it is absent.',
        "pages": f"pages {p.position} (from {p.first_page}) of {p.size} records, see meta.",
        "offset": f"{p.position} and {p.size}; X-Total-Count says the total.",
        "skiptop": f"{p.position} and {p.size}; @odata.count says the total.",
        "cursor": "send back continuationToken until it is absent.",
        "cursor-header": "send back the x-ms-continuation header until it is absent.",
        "none": "everything in one response.",
    }[p.style]


def _example(
    srv: MockServer,
    session: requests.Session,
    route: Route,
    request: dict[str, Any],
    sent: dict[str, str],
    name: str,
) -> dict[str, Any]:
    path = "/" + "/".join(
        next(v["value"] for v in request["url"]["variable"] if v["key"] == s[1:])
        if s.startswith(":")
        else s
        for s in request["url"]["path"]
    )
    r = session.get(srv.base_url + path, params=sent, timeout=30)
    if r.status_code != 200:
        raise RuntimeError(f"{srv.dialect.name} {path}: {r.status_code} {r.text[:200]}")
    body = _trim(srv.dialect, r.json(), route.single)
    text = json.dumps(body, indent=2, ensure_ascii=False).replace(srv.base_url, PUBLIC_BASE)
    headers = [{"key": "Content-Type", "value": r.headers["Content-Type"]}]
    for key in ("X-Total-Count", "Link", "x-ms-continuation"):
        if key in r.headers:
            value = r.headers[key].replace(srv.base_url, PUBLIC_BASE)
            headers.append({"key": key, "value": value})
    original = {k: request[k] for k in ("method", "header", "url")}
    return {
        "name": f"{name}: 200",
        "originalRequest": original,
        "status": "OK",
        "code": 200,
        "_postman_previewlanguage": "json",
        "header": headers,
        "cookie": [],
        "body": text,
    }


def _trim(dialect: Dialect, body: Any, single: bool) -> Any:
    """A few records of the page, each series cut to a few values; the rest as served."""
    if single:
        return body

    def cut(items: list[Any]) -> list[Any]:
        kept = items[:EXAMPLE_RECORDS]
        return [
            {**i, "values": i["values"][:EXAMPLE_VALUES]}
            if isinstance(i, dict) and isinstance(i.get("values"), list)
            else i
            for i in kept
        ]

    if dialect.envelope == "bare":
        return cut(body)
    if dialect.envelope == "data.items":
        return {**body, "data": {**body["data"], "items": cut(body["data"]["items"])}}
    return {**body, "value": cut(body["value"])}


# ------------------------------------------------------------------ the collection
def _auth_folder(reply: dict[str, Any]) -> dict[str, Any]:
    form = [
        ("grant_type", "client_credentials", "Always client_credentials."),
        ("client_id", "{{auth_client_id}}", "Your client id (from E&C's IT support)."),
        ("client_secret", "{{auth_client_secret}}", "Your client secret."),
        ("scope", "{{auth_scope}}", "The API's scope, ending in /.default."),
    ]
    redacted = {k: _redacted(k, v) for k, v in reply.items()}
    request = {
        "auth": {"type": "noauth"},
        "method": "POST",
        "header": [{"key": "Content-Type", "value": "application/x-www-form-urlencoded"}],
        "body": {
            "mode": "urlencoded",
            "urlencoded": [
                {"key": k, "value": v, "description": d, "type": "text"} for k, v, d in form
            ],
        },
        "url": {"raw": "{{auth_access_token_url}}", "host": ["{{auth_access_token_url}}"]},
        "description": "OAuth 2.0 client credentials against E&C's Azure AD B2C tenant.",
    }
    token = {
        "name": "Authentication Token",
        "event": [
            {
                "listen": "test",
                "script": {
                    "type": "text/javascript",
                    "exec": [
                        "const body = pm.response.json();",
                        "pm.environment.set('access_token', body.access_token);",
                    ],
                },
            }
        ],
        "request": request,
        "response": [
            {
                "name": "Authentication Token: 200",
                "originalRequest": {k: request[k] for k in ("method", "header", "body", "url")},
                "status": "OK",
                "code": 200,
                "_postman_previewlanguage": "json",
                "header": [{"key": "Content-Type", "value": "application/json; charset=utf-8"}],
                "cookie": [],
                "body": json.dumps(redacted, indent=2),
            }
        ],
    }
    return {
        "name": "Authentication",
        "description": "Request an access token; a test script stores it as access_token.",
        "item": [token],
    }


_FIXED_TOKEN_FIELDS = {
    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.<payload>.<signature>",
    "not_before": 1767222000,
    "expires_on": 1767225600,
    "ext_expires_in": 3600,
}


def _redacted(key: str, value: Any) -> Any:
    return _FIXED_TOKEN_FIELDS.get(key, value)


def collection(dialect: str | Dialect) -> dict[str, Any]:
    """The Postman collection of ``dialect``, its examples taken from a live mock (pages of
    EXAMPLE_PAGE records, so that a paging without a size parameter shows its next token too)."""
    mock = MockServer(dialect=dialect, page_size=EXAMPLE_PAGE, **PORTFOLIO)  # type: ignore[arg-type]
    with mock as srv, requests.Session() as session:
        d = srv.dialect
        folders: dict[str, dict[str, Any]] = {}
        reply = _token_reply(srv, session)
        auth = _auth_folder(reply)
        session.headers.update(
            {"Authorization": f"Bearer {reply['access_token']}", KEY_HEADER: srv.primary_key}
        )
        for route in d.routes:
            area = route.template.strip("/").split("/")[0]
            key = area if area in AREAS else AREA_OF[route.dataset]
            title, about = AREAS[key]
            folder = folders.setdefault(key, {"name": title, "description": about, "item": []})
            name = TITLES[(route.dataset, route.single)]
            if route.parent:
                name = f"Get {route.dataset} of a {route.parent}"
            if route.dataset == "volumes" and d.volume_shape == "series":
                name = "Get the time series of a meter"
            request, sent = _request(d, route, srv.portfolio.tz)
            example = _example(srv, session, route, request, sent, name)
            folder["item"].append({"name": name, "request": request, "response": [example]})
    return {
        "info": {
            "_postman_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"ecore_xl/mock/{d.name}")),
            "name": f"E&C eCore API ({d.name} dialect of the ecore_xl mock)",
            "description": _collection_doc(d),
            "schema": SCHEMA,
        },
        "auth": {
            "type": "bearer",
            "bearer": [{"key": "token", "value": "{{access_token}}", "type": "string"}],
        },
        "item": [auth, *folders.values()],
        "variable": [{"key": "baseUrl", "value": PUBLIC_BASE, "type": "string"}],
    }


def _token_reply(srv: MockServer, session: requests.Session) -> dict[str, Any]:
    form = {
        "grant_type": "client_credentials",
        "client_id": srv.client_id,
        "client_secret": srv.client_secret,
        "scope": srv.scope,
    }
    r = session.post(srv.token_url, data=form, timeout=10)
    r.raise_for_status()
    return dict(r.json())


def _collection_doc(d: Dialect) -> str:
    return (
        "# API Reference\n\n"
        f"The eCore API as the ecore_xl mock serves it in its `{d.name}` dialect "
        f"({d.description}; see docs/dialects.md). Generated by "
        "`python -m ecore_xl.mock.postman_export`.\n\n"
        "# Accessing the eCore API\n\n"
        "1. Store `auth_client_id`, `auth_client_secret`, `auth_scope`, "
        "`auth_access_token_url` and `subscription_key` in a Postman environment.\n"
        "2. Call `Authentication Token`: its test script stores `access_token`.\n"
        "3. Every other request sends `Authorization: Bearer {{access_token}}` and the "
        f"`{KEY_HEADER}` header; `baseUrl` is `{PUBLIC_BASE}`.\n\n"
        f"Collections: {_paging_doc(d)}\n"
    )


def write_all(outdir: Path, names: Sequence[str] = tuple(DIALECTS)) -> list[Path]:
    """Write ``dialect_<name>.json`` for each dialect into ``outdir``; return the paths."""
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names:
        path = outdir / f"dialect_{name}.json"
        text = json.dumps(collection(name), indent=1, ensure_ascii=False) + "\n"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0].startswith("-"):
        print("usage: python -m ecore_xl.mock.postman_export OUTDIR [DIALECT ...]", file=sys.stderr)
        return 2
    names = args[1:] or list(DIALECTS)
    unknown = [n for n in names if n not in DIALECTS]
    if unknown:
        print(f"unknown dialect {unknown[0]!r}: one of {', '.join(DIALECTS)}", file=sys.stderr)
        return 2
    for path in write_all(Path(args[0]), names):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
