"""The API behind the gateway, in the ``ecore`` contract's terms: routing, validation, filters.

Handlers are pure functions of (portfolio, query, path arguments) -> one record or a sequence of
records, exactly as ``ecore-api.md`` serves them; :mod:`.edge` pages them and translates them into
a dialect, :mod:`.server` frames the HTTP. Unknown query parameters are ignored; a bad value
raises :class:`ApiFail` 400 naming the parameter; an unknown id raises 404 naming the entity.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .calendar import iso_z_array, local_midnight_utc
from .portfolio import MICRO, Portfolio, Record, _epoch

KEY_PARAM = "subscription-key"

COMMODITIES = ("power", "gas")
CONTRACT_STATUSES = ("active", "expired", "planned")
INVOICE_STATUSES = ("paid", "open", "disputed")
VOLUME_GRANULARITIES = ("quarterhour", "hour", "day", "month")
POSITION_GRANULARITIES = ("month", "quarter")
VOLUME_TYPES = ("actual", "forecast")
ENTITY_TYPES = ("legalEntity", "businessUnit", "meter", "contract", "portfolio")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


JSON = "application/json; charset=utf-8"


@dataclass
class Reply:
    """An API answer before HTTP framing."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    page: bool = False  # a collection page (counted in stats)
    content_type: str = JSON
    #: a pure function of the request and the mock's settings, worth keeping as bytes
    reusable: bool = False
    #: every float in ``body`` is known finite and 0 or at least 1e-4 in size (:mod:`.wire`)
    plain_floats: bool = False


class ApiFail(Exception):
    """Raised inside a route: a bad parameter (``target``) or an unknown id (``what``, ``ident``).

    :mod:`.problems` writes it as each dialect's error body.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        target: str | None = None,
        what: str | None = None,
        ident: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.target = target
        self.what = what
        self.ident = ident


def invalid(target: str, message: str) -> ApiFail:
    return ApiFail(400, message, target=target)


def not_found(what: str, ident: str) -> ApiFail:
    return ApiFail(404, f"{what} '{ident}' was not found.", what=what, ident=ident)


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


#: micro-MWh per unit of energy: values leave the mock as exact decimals of the integers
ENERGY_PER_UNIT = {"MWh": MICRO, "kWh": MICRO // 1000}


_QUALITY = {True: "estimated", False: "measured"}


class VolumeRecords(Sequence[Record]):
    """Volume records built lazily from numpy arrays, one page at a time."""

    def __init__(
        self,
        parts: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]],
        kind: str,
        unit: str = "MWh",
    ) -> None:
        self._parts = parts
        self._kind = kind
        self.unit = unit
        self._per_unit = ENERGY_PER_UNIT[unit]
        self._offsets = np.cumsum([0] + [len(p[1]) for p in parts])

    def in_unit(self, unit: str) -> VolumeRecords:
        """The same records with values in ``unit`` (exact: micro-MWh / 1000 is kWh)."""
        return self if unit == self.unit else VolumeRecords(self._parts, self._kind, unit)

    def __len__(self) -> int:
        return int(self._offsets[-1])

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return self.slice(*index.indices(len(self))[:2])
        return self.slice(index, index + 1)[0]

    def _pieces(
        self, start: int, stop: int
    ) -> Iterator[tuple[str, int, int, np.ndarray, np.ndarray, np.ndarray]]:
        """Each meter's part of ``[start, stop)``: its id, bounds and arrays."""
        for i, (meter_id, starts, sums, flags) in enumerate(self._parts):
            lo = max(start - int(self._offsets[i]), 0)
            hi = min(stop - int(self._offsets[i]), len(starts))
            if hi > lo:
                yield meter_id, lo, hi, starts, sums, flags

    def plain_floats(self, start: int, stop: int) -> bool:
        """Whether every value of ``[start, stop)`` is 0 or at least 1e-4 (:mod:`.wire`)."""
        for _, lo, hi, _, sums, _ in self._pieces(start, stop):
            values = np.abs(sums[lo:hi] / self._per_unit)
            if not np.all((values == 0) | (values >= 1e-4)):
                return False
        return True

    def slice(self, start: int, stop: int) -> list[Record]:
        out: list[Record] = []
        for meter_id, lo, hi, starts, sums, flags in self._pieces(start, stop):
            stamps = iso_z_array(starts[lo:hi])
            values = (sums[lo:hi] / self._per_unit).tolist()
            if self._kind == "forecast":
                quality = ["estimated"] * (hi - lo)
            else:
                quality = [_QUALITY[e] for e in flags[lo:hi].tolist()]
            unit, kind = self.unit, self._kind
            out += [
                {
                    "meterId": meter_id,
                    "start": s,
                    "value": v,
                    "unit": unit,
                    "type": kind,
                    "quality": q,
                }
                for s, v, q in zip(stamps, values, quality, strict=True)
            ]
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


#: the handler of each dataset's collection (False) and single record (True), and the canonical
#: parameters that are its path arguments (``/portfolios/{id}/positions``: the portfolio id)
HANDLERS: dict[tuple[str, bool], tuple[Handler, tuple[str, ...]]] = {
    ("legal-entities", False): (legal_entities, ()),
    ("business-units", False): (business_units, ()),
    ("meters", False): (meters, ()),
    ("relationships", False): (relationships, ()),
    ("contracts", False): (contracts, ()),
    ("contracts", True): (contract, ("id",)),
    ("clicks", False): (clicks, ()),
    ("volumes", False): (volumes, ()),
    ("portfolios", False): (portfolios, ()),
    ("positions", False): (positions, ("portfolioId",)),
    ("invoices", False): (invoices, ()),
    ("invoices", True): (invoice, ("id",)),
}

#: the query parameters each collection's handler reads, in the contract's names
PARAMS: dict[str, tuple[str, ...]] = {
    "legal-entities": (),
    "business-units": ("legalEntityId",),
    "meters": ("businessUnitId", "commodity"),
    "relationships": ("entityType", "entityId"),
    "contracts": ("commodity", "status", "legalEntityId", "activeOn"),
    "clicks": ("contractId", "portfolioId", "from", "to"),
    "volumes": ("meterId", "contractId", "from", "to", "granularity", "type"),
    "portfolios": ("commodity", "legalEntityId"),
    "positions": ("portfolioId", "granularity", "from", "to"),
    "invoices": ("from", "to", "meterId", "legalEntityId", "supplier", "status"),
}
#: parameters that are dates or instants (``activeOn`` a single day)
DATE_PARAMS = ("from", "to", "activeOn")
