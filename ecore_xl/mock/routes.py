"""The API behind the gateway: routing, parameter validation, filters and paging.

Pure functions of (portfolio, path, query) -> :class:`Reply`; the HTTP layer lives in
:mod:`.server`. Unknown query parameters are ignored; a bad value answers 400
``InvalidParameter`` naming it in ``target``; an unknown id answers 404 ``NotFound``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import numpy as np

from .calendar import iso_z_array, local_midnight_utc
from .portfolio import MICRO, Portfolio, Record, _epoch

MAX_TOP = 1000
SKIP_PARAM = "skipToken"
KEY_PARAM = "subscription-key"

COMMODITIES = ("power", "gas")
CONTRACT_STATUSES = ("active", "expired", "planned")
INVOICE_STATUSES = ("paid", "open", "disputed")
VOLUME_GRANULARITIES = ("quarterhour", "hour", "day", "month")
POSITION_GRANULARITIES = ("month", "quarter")
VOLUME_TYPES = ("actual", "forecast")
ENTITY_TYPES = ("legalEntity", "businessUnit", "meter", "contract", "portfolio")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class Reply:
    """An API answer before HTTP framing."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    page: bool = False  # a collection page (counted in stats)


class ApiFail(Exception):
    """Raised inside a route to answer with an error body."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def invalid(target: str, message: str) -> ApiFail:
    return ApiFail(
        400, {"error": {"code": "InvalidParameter", "message": message, "target": target}}
    )


def not_found(what: str, ident: str) -> ApiFail:
    return ApiFail(
        404, {"error": {"code": "NotFound", "message": f"{what} '{ident}' was not found."}}
    )


ROUTE_NOT_FOUND = Reply(404, {"statusCode": 404, "message": "Resource not found"})


class Query:
    """The query string of one request (first value of each name wins)."""

    def __init__(self, pairs: list[tuple[str, str]], portfolio: Portfolio) -> None:
        self.pairs = pairs
        self.values: dict[str, str] = {}
        for k, v in pairs:
            self.values.setdefault(k, v)
        self._pf = portfolio

    def get(self, name: str) -> str | None:
        v = self.values.get(name)
        return v if v not in (None, "") else None

    def choice(self, name: str, allowed: Sequence[str], default: str | None = None) -> str | None:
        v = self.get(name)
        if v is None:
            return default
        if v not in allowed:
            raise invalid(name, f"'{name}' must be one of {', '.join(allowed)}; got '{v}'.")
        return v

    def instant(self, name: str, required: bool = False) -> int | None:
        """A date (local midnight) or an offset-carrying date-time, as epoch seconds."""
        v = self.get(name)
        if v is None:
            if required:
                raise invalid(name, f"'{name}' is required.")
            return None
        if _DATE.match(v):
            try:
                return local_midnight_utc(dt.date.fromisoformat(v), self._pf.tz)
            except ValueError:
                raise invalid(name, f"'{name}' is not a valid date: '{v}'.") from None
        try:
            parsed = dt.datetime.fromisoformat(v)
        except ValueError:
            hint = " (a '+' in a URL must be sent as %2B)" if " " in v else ""
            raise invalid(
                name,
                f"'{name}' must be a date (YYYY-MM-DD) or an ISO 8601 date-time; got '{v}'{hint}.",
            ) from None
        if parsed.tzinfo is None:
            raise invalid(name, f"'{name}' must carry a UTC offset (e.g. Z or +01:00); got '{v}'.")
        return int(parsed.timestamp())

    def interval(self, required: bool = False) -> tuple[int | None, int | None]:
        start, end = self.instant("from", required), self.instant("to", required)
        if start is not None and end is not None and start >= end:
            raise invalid("from", "'from' must be before 'to'.")
        return start, end

    def required_interval(self) -> tuple[int, int]:
        start, end = self.interval(required=True)
        if start is None or end is None:  # interval(required=True) already raised
            raise invalid("from", "'from' and 'to' are required.")
        return start, end

    def top(self) -> int:
        v = self.get("top")
        if v is None:
            return MAX_TOP
        try:
            n = int(v)
        except ValueError:
            raise invalid(
                "top", f"'top' must be an integer from 1 to {MAX_TOP}; got '{v}'."
            ) from None
        if not 1 <= n <= MAX_TOP:
            raise invalid("top", f"'top' must be an integer from 1 to {MAX_TOP}; got '{v}'.")
        return n

    def skip(self) -> int:
        v = self.get(SKIP_PARAM)
        if v is None:
            return 0
        try:
            text = base64.urlsafe_b64decode(v + "=" * (-len(v) % 4)).decode("ascii")
            kind, _, num = text.partition(":")
            if kind != "o":
                raise ValueError(text)
            return max(0, int(num))
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise invalid(SKIP_PARAM, "The skip token is invalid or expired.") from None


def skip_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).rstrip(b"=").decode("ascii")


class VolumeRecords(Sequence[Record]):
    """Volume records built lazily from numpy arrays, one page at a time."""

    def __init__(
        self, parts: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]], kind: str
    ) -> None:
        self._parts = parts
        self._kind = kind
        self._offsets = np.cumsum([0] + [len(p[1]) for p in parts])

    def __len__(self) -> int:
        return int(self._offsets[-1])

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return self.slice(*index.indices(len(self))[:2])
        return self.slice(index, index + 1)[0]

    def slice(self, start: int, stop: int) -> list[Record]:
        out: list[Record] = []
        for i, (meter_id, starts, sums, flags) in enumerate(self._parts):
            lo = max(start - int(self._offsets[i]), 0)
            hi = min(stop - int(self._offsets[i]), len(starts))
            if hi <= lo:
                continue
            stamps = iso_z_array(starts[lo:hi])
            values = (sums[lo:hi] / MICRO).tolist()
            est = flags[lo:hi].tolist()
            forecast = self._kind == "forecast"
            out.extend(
                {
                    "meterId": meter_id,
                    "start": s,
                    "value": v,
                    "unit": "MWh",
                    "type": self._kind,
                    "quality": "estimated" if (e or forecast) else "measured",
                }
                for s, v, e in zip(stamps, values, est, strict=True)
            )
        return out


Handler = Callable[[Portfolio, Query, list[str]], "Sequence[Record] | Record"]


def _eq(records: list[Record], **filters: str | None) -> list[Record]:
    out = records
    for key, value in filters.items():
        if value is not None:
            out = [r for r in out if r.get(key) == value]
    return out


def legal_entities(pf: Portfolio, q: Query, _: list[str]) -> Sequence[Record]:
    return pf.legal_entities


def business_units(pf: Portfolio, q: Query, _: list[str]) -> Sequence[Record]:
    return _eq(pf.business_units, legalEntityId=q.get("legalEntityId"))


def meters(pf: Portfolio, q: Query, _: list[str]) -> Sequence[Record]:
    return _eq(
        pf.meters,
        businessUnitId=q.get("businessUnitId"),
        commodity=q.choice("commodity", COMMODITIES),
    )


def relationships(pf: Portfolio, q: Query, _: list[str]) -> Sequence[Record]:
    etype = q.choice("entityType", ENTITY_TYPES)
    eid = q.get("entityId")
    out = pf.relationships
    if etype is not None or eid is not None:
        out = [
            r
            for r in out
            if any(
                (etype is None or r[f"{side}Type"] == etype)
                and (eid is None or r[f"{side}Id"] == eid)
                for side in ("parent", "child")
            )
        ]
    return out


def contracts(pf: Portfolio, q: Query, _: list[str]) -> Sequence[Record]:
    out = _eq(
        pf.contracts,
        commodity=q.choice("commodity", COMMODITIES),
        status=q.choice("status", CONTRACT_STATUSES),
        legalEntityId=q.get("legalEntityId"),
    )
    on = q.instant("activeOn")
    if on is not None:
        out = [c for c in out if _epoch(c["deliveryStart"]) <= on < _epoch(c["deliveryEnd"])]
    return out


def contract(pf: Portfolio, q: Query, args: list[str]) -> Record:
    found = pf.by_id["contract"].get(args[0])
    if found is None:
        raise not_found("Contract", args[0])
    return found


def clicks(pf: Portfolio, q: Query, _: list[str]) -> Sequence[Record]:
    start, end = q.interval()
    out = _eq(pf.clicks, contractId=q.get("contractId"))
    pid = q.get("portfolioId")
    if pid is not None:
        cids = {c["id"] for c in pf.contracts if c["portfolioId"] == pid}
        out = [c for c in out if c["contractId"] in cids]
    if start is not None or end is not None:
        lo = start if start is not None else -(2**62)
        hi = end if end is not None else 2**62
        out = [c for c in out if lo <= _epoch(c["executedAt"]) < hi]
    return out


def volumes(pf: Portfolio, q: Query, _: list[str]) -> Sequence[Record]:
    meter_id, contract_id = q.get("meterId"), q.get("contractId")
    if meter_id is None and contract_id is None:
        raise invalid("meterId", "Either 'meterId' or 'contractId' is required.")
    granularity = q.choice("granularity", VOLUME_GRANULARITIES, "hour") or "hour"
    kind = q.choice("type", VOLUME_TYPES, "actual") or "actual"
    start, end = q.required_interval()
    if meter_id is not None:
        if meter_id not in pf.by_id["meter"]:
            raise not_found("Meter", meter_id)
        ids = [meter_id]
    else:
        found = pf.by_id["contract"].get(contract_id or "")
        if found is None:
            raise not_found("Contract", contract_id or "")
        ids = list(found["meterIds"])
        start = max(start, _epoch(found["deliveryStart"]))
        end = min(end, _epoch(found["deliveryEnd"]))
    parts = []
    if start < end:
        for mid in ids:
            starts, sums, flags = pf.volume_arrays(mid, start, end, granularity, kind)
            parts.append((mid, starts, sums, flags))
    return VolumeRecords(parts, kind)


def portfolios(pf: Portfolio, q: Query, _: list[str]) -> Sequence[Record]:
    return _eq(
        pf.portfolios,
        commodity=q.choice("commodity", COMMODITIES),
        legalEntityId=q.get("legalEntityId"),
    )


def positions(pf: Portfolio, q: Query, args: list[str]) -> Sequence[Record]:
    if args[0] not in pf.by_id["portfolio"]:
        raise not_found("Portfolio", args[0])
    granularity = q.choice("granularity", POSITION_GRANULARITIES, "month") or "month"
    start, end = q.interval()
    out = pf.positions(args[0], granularity)
    if start is not None:
        out = [p for p in out if _epoch(p["periodStart"]) >= start]
    if end is not None:
        out = [p for p in out if _epoch(p["periodStart"]) < end]
    return out


def invoices(pf: Portfolio, q: Query, _: list[str]) -> Sequence[Record]:
    start, end = q.interval()
    status = q.choice("status", INVOICE_STATUSES)
    out = _eq(
        pf.invoices,
        meterId=q.get("meterId"),
        legalEntityId=q.get("legalEntityId"),
        supplier=q.get("supplier"),
        status=status,
    )
    if start is not None:
        out = [i for i in out if _epoch(i["periodEnd"]) > start]
    if end is not None:
        out = [i for i in out if _epoch(i["periodStart"]) < end]
    return out


def invoice(pf: Portfolio, q: Query, args: list[str]) -> Record:
    found = pf.invoice(args[0])
    if found is None:
        raise not_found("Invoice", args[0])
    return found


#: (path pattern, handler, template used for extra_fields) — collections return sequences
ROUTES: list[tuple[re.Pattern[str], Handler, str]] = [
    (re.compile(r"^/legal-entities$"), legal_entities, "/legal-entities"),
    (re.compile(r"^/business-units$"), business_units, "/business-units"),
    (re.compile(r"^/meters$"), meters, "/meters"),
    (re.compile(r"^/relationships$"), relationships, "/relationships"),
    (re.compile(r"^/contracts$"), contracts, "/contracts"),
    (re.compile(r"^/contracts/([^/]+)$"), contract, "/contracts"),
    (re.compile(r"^/clicks$"), clicks, "/clicks"),
    (re.compile(r"^/volumes$"), volumes, "/volumes"),
    (re.compile(r"^/portfolios$"), portfolios, "/portfolios"),
    (re.compile(r"^/portfolios/([^/]+)/positions$"), positions, "/portfolios/{id}/positions"),
    (re.compile(r"^/invoices$"), invoices, "/invoices"),
    (re.compile(r"^/invoices/([^/]+)$"), invoice, "/invoices"),
]


def match(path: str) -> tuple[Handler, list[str], str] | None:
    """The handler, path arguments and extra-fields template for ``path`` (below the base)."""
    for pattern, handler, template in ROUTES:
        m = pattern.match(path)
        if m:
            return handler, list(m.groups()), template
    return None


def serve(
    pf: Portfolio,
    path: str,
    pairs: list[tuple[str, str]],
    *,
    base_url: str,
    page_size: int,
    paging_style: str,
    extra: dict[str, object] | None,
) -> Reply:
    """Answer a routed GET: one record, or one page of a collection."""
    found = match(path)
    if found is None:
        return ROUTE_NOT_FOUND
    handler, args, _ = found
    q = Query(pairs, pf)
    try:
        result = handler(pf, q, args)
        if isinstance(result, dict):
            return Reply(200, {**result, **extra} if extra else result)
        top = q.top()
        skip = q.skip()
    except ApiFail as fail:
        return Reply(fail.status, fail.body)
    size = min(top, page_size)
    page = list(result[skip : skip + size])
    if extra:
        page = [{**r, **extra} for r in page]
    body: dict[str, Any] = {"value": page}
    headers: dict[str, str] = {}
    if skip + size < len(result):
        kept = [(k, v) for k, v in pairs if k not in (SKIP_PARAM, KEY_PARAM)]
        link = f"{base_url}{path}?{urlencode([*kept, (SKIP_PARAM, skip_token(skip + size))])}"
        if paging_style == "odata":
            body["@odata.nextLink"] = link
        elif paging_style == "link":
            headers["Link"] = f'<{link}>; rel="next"'
        else:
            body["nextLink"] = link
    return Reply(200, body, headers, page=True)
