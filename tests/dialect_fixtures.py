"""Helpers for the mock's dialect tests: walk a collection in any paging style, and translate a
dialect's records back to the ``ecore`` contract (written from docs/dialects.md, independently of
the mock's own translation code). Plain ``requests``, no ecore_xl.api."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import requests

from ecore_xl.mock import MockServer
from tests.mock_fixtures import auth_headers

BERLIN = ZoneInfo("Europe/Berlin")
Record = dict[str, Any]


def session_for(srv: MockServer) -> requests.Session:
    s = requests.Session()
    s.headers.update(auth_headers(srv))
    return s


# ---------------------------------------------------------------- reading a body
def records_of(srv: MockServer, body: Any) -> list[Any]:
    envelope = srv.dialect.envelope
    if envelope == "bare":
        assert isinstance(body, list), body
        return body
    if envelope == "data.items":
        return list(body["data"]["items"])
    return list(body["value"])


def meta_of(srv: MockServer, body: Any) -> dict[str, Any]:
    envelope = srv.dialect.envelope
    if envelope == "bare":
        return {}
    return dict(body["meta"]) if envelope == "data.items" else dict(body)


def single_of(srv: MockServer, body: Any) -> Record:
    return dict(body["data"]) if srv.dialect.single == "data" else dict(body)


def values_count(items: list[Any]) -> int:
    """Records of a page; a page of series counts their values."""
    if items and isinstance(items[0], dict) and "values" in items[0]:
        return sum(len(i["values"]) for i in items)
    return len(items)


def walk(
    srv: MockServer,
    session: requests.Session,
    path: str,
    params: dict[str, Any] | None = None,
    *,
    size: int | None = None,
    max_requests: int = 200,
) -> tuple[list[Any], int]:
    """Every item of a collection, following the server's declared paging style as a client
    would; checks every total the style promises. Returns (items, requests)."""
    paging = srv.dialect.paging
    style = paging.style
    base = dict(params or {})
    if size is not None and paging.size:
        base[paging.size] = size
    items: list[Any] = []
    url: str | None = srv.base_url + path
    query: dict[str, Any] | None = dict(base)
    headers: dict[str, str] = {}
    position: int | str | None = None
    total: int | None = None
    for n in range(1, max_requests + 1):
        if style == "pages":
            query = {**base, paging.position: position or 1}  # type: ignore[dict-item]
        elif style in ("offset", "skiptop"):
            query = {**base, paging.position: position or 0}  # type: ignore[dict-item]
        elif style == "cursor" and position:
            query = {**base, paging.position: position}  # type: ignore[dict-item]
        elif style == "cursor-header":
            headers = {paging.position: str(position)} if position else {}  # type: ignore[dict-item]
        assert url is not None
        r = session.get(url, params=query, headers=headers, timeout=30)
        assert r.status_code == 200, r.text
        body = r.json()
        page = records_of(srv, body)
        meta = meta_of(srv, body)
        items.extend(page)
        got = values_count(page)
        if style in ("nextLink", "odata", "link"):
            link = meta.get("nextLink") or meta.get("@odata.nextLink")
            link = link or (r.links.get("next") or {}).get("url")
            if not link:
                return items, n
            url, query = link, None
        elif style == "pages":
            assert meta["page"] == (position or 1)
            if total is None:
                total = meta["totalItems"]
            assert meta["totalItems"] == total and meta["totalPages"] == -(
                -total // meta["pageSize"]
            )
            if meta["page"] >= meta["totalPages"]:
                assert values_count(items) == total, "the pages held fewer records than totalItems"
                return items, n
            position = meta["page"] + 1
        elif style in ("offset", "skiptop"):
            said = r.headers["X-Total-Count"] if style == "offset" else meta["@odata.count"]
            total = int(said)
            position = int(position or 0) + got
            if position >= total or got == 0:
                assert values_count(items) == total, "fewer records than the total said"
                return items, n
        elif style == "cursor":
            position = meta.get(paging.position)  # type: ignore[arg-type]
            if not position:
                return items, n
        elif style == "cursor-header":
            position = r.headers.get(paging.position)  # type: ignore[arg-type]
            if not position:
                return items, n
        else:
            return items, n
    raise AssertionError(f"{path}: more than {max_requests} requests")


# ---------------------------------------------------------------- back to the contract
#: period ends of the contract, and its instants
ENDS = {"deliveryEnd", "periodEnd", "validTo"}
INSTANTS = {"deliveryStart", "executedAt", "start", "periodStart", "validFrom"}
#: the contract's energy fields and their names in ``bare`` (kWh said nowhere)
BARE_ENERGY = {
    "annualConsumptionMWh": "annual_consumption",
    "contractedVolumeMWh": "contracted_volume",
    "volumeMWh": "volume",
    "consumptionMWh": "consumption",
    "forecastVolumeMWh": "forecast_volume",
    "hedgedVolumeMWh": "hedged_volume",
    "openVolumeMWh": "open_volume",
}
BARE_SPECIAL = {
    **{v: k for k, v in BARE_ENERGY.items()},
    "price_eur_per_mwh": "priceEurPerMWh",
    "average_hedge_price_eur_per_mwh": "averageHedgePriceEurPerMWh",
    "volume_mw": "volumeMW",
}
PAGED_IDS = {
    "legal-entities": "legalEntityId",
    "business-units": "businessUnitId",
    "meters": "meterId",
    "contracts": "contractId",
    "clicks": "clickId",
    "portfolios": "portfolioId",
    "invoices": "invoiceId",
}


def z(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def mwh(kwh: float) -> float:
    return float(Decimal(repr(kwh)) / 1000)


def end_from_last_day(day: str) -> str:
    """An inclusive last day -> the contract's exclusive end (next local midnight, in Z)."""
    nxt = dt.date.fromisoformat(day) + dt.timedelta(days=1)
    return z(dt.datetime(nxt.year, nxt.month, nxt.day, tzinfo=BERLIN))


def from_paged(dataset: str, item: Record) -> list[Record]:
    """A ``paged`` record (or a volume series) as the contract's record(s)."""
    if dataset == "volumes":
        assert item["unit"] == "kWh"
        return [
            {
                "meterId": item["meterId"],
                "start": z(dt.datetime.fromisoformat(v["timestamp"])),
                "value": mwh(v["value"]),
                "unit": "MWh",
                "type": item["type"],
                "quality": v["quality"],
            }
            for v in item["values"]
        ]
    out: Record = {}
    for key, value in item.items():
        if key == PAGED_IDS.get(dataset):
            key = "id"
        elif key.endswith("KWh"):
            key, value = key[:-3] + "MWh", mwh(value)
        if key in ENDS and value is not None:
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", value), (key, value)
            value = end_from_last_day(value)
        elif key in INSTANTS:
            assert re.search(r"[+-]\d{2}:\d{2}$", value), (key, value)
            value = z(dt.datetime.fromisoformat(value))
        out[key] = value
    return [out]


def camel(key: str) -> str:
    return BARE_SPECIAL.get(key) or re.sub(r"_([a-z])", lambda m: m.group(1).upper(), key)


def _from_epoch_ms(value: Any) -> Any:
    if value is None:
        return None
    assert isinstance(value, int) and not isinstance(value, bool), value
    return z(dt.datetime.fromtimestamp(value / 1000, dt.UTC))


def from_bare(dataset: str, item: Record) -> list[Record]:
    """A ``bare`` record as the contract's record."""
    out: Record = {}
    for key, value in item.items():
        name = camel(key)
        if key in BARE_SPECIAL and name in BARE_ENERGY:
            value = mwh(value)
        if name in ENDS or name in INSTANTS:
            value = _from_epoch_ms(value)
        elif isinstance(value, dict):
            value = {camel(k): v for k, v in value.items()}
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            value = [{camel(k): v for k, v in v.items()} for v in value]
        out[name] = value
    if dataset == "volumes":
        assert "unit" not in item, "bare says the unit nowhere"
        out["value"] = mwh(out["value"])
        out["unit"] = "MWh"
    return [out]


TRANSLATORS: dict[str, Callable[[str, Record], list[Record]]] = {
    "ecore": lambda dataset, item: [item],
    "paged": from_paged,
    "bare": from_bare,
}


def as_ecore(dialect: str, dataset: str, items: list[Record]) -> list[Record]:
    return [r for item in items for r in TRANSLATORS[dialect](dataset, item)]
