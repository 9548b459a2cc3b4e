"""Mock dialects: one portfolio served as ``ecore``, ``paged`` and ``bare`` (docs/dialects.md).

Every endpoint is walked in each dialect with that dialect's own paging and translated back to the
contract by a test-only translator (tests/dialect_fixtures.py): it must equal the ``ecore``
dialect's records exactly. Then parameter names and values, date conventions, the gas refusal,
error bodies, unknown ids, every paging switch and ``ignore_params``, one axis at a time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests
from click.testing import CliRunner

from ecore_xl.cli import cli
from ecore_xl.mock import DIALECTS, MockServer
from tests.dialect_compare import three_servers
from tests.dialect_fixtures import (
    BERLIN,
    as_ecore,
    meta_of,
    records_of,
    session_for,
    single_of,
    walk,
)
from tests.mock_fixtures import AS_OF

KW: dict[str, Any] = {"seed": 42, "meters": 3, "years": (2025, 2026), "as_of": AS_OF}
GRANULARITY = {
    "paged": {
        "quarterhour": "PT15M",
        "hour": "PT1H",
        "day": "P1D",
        "month": "P1M",
        "quarter": "P3M",
    },
    "bare": {
        "quarterhour": "15min",
        "hour": "hourly",
        "day": "daily",
        "month": "monthly",
        "quarter": "quarterly",
    },
}


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, MockServer]]:
    with three_servers(KW) as made:
        yield made


@pytest.fixture(scope="module")
def sessions(servers: dict[str, MockServer]) -> Iterator[dict[str, requests.Session]]:
    made = {name: session_for(srv) for name, srv in servers.items()}
    yield made
    for s in made.values():
        s.close()


def epoch(day: str) -> int:
    d = dt.date.fromisoformat(day)
    return int(dt.datetime(d.year, d.month, d.day, tzinfo=BERLIN).timestamp())


def request(dialect: str, dataset: str, **f: str) -> tuple[str, dict[str, Any]]:
    """The request for the contract's ``dataset`` and filters ``f``, in ``dialect`` (per doc)."""
    if dialect == "ecore":
        paths = {"positions": f"/portfolios/{f.pop('portfolioId', '')}/positions"}
        return paths.get(dataset, "/" + dataset), f
    if dialect == "paged":
        area = {"contracts": "risk", "portfolios": "risk", "invoices": "billing"}
        path = f"/{area.get(dataset, 'structure')}/{dataset}"
        if dataset == "clicks":
            path = f"/risk/contracts/{f.pop('contractId')}/clicks"
        elif dataset == "volumes":
            path = f"/structure/meters/{f.pop('meterId')}/timeseries"
        elif dataset == "positions":
            path = f"/risk/portfolios/{f.pop('portfolioId')}/positions"
        params: dict[str, Any] = {}
        for k, v in f.items():
            if k == "from":
                params["dateFrom"] = v
            elif k == "to":
                last = dt.date.fromisoformat(v) - dt.timedelta(days=1)
                params["dateTo"] = last.isoformat()
            elif k == "granularity":
                params["resolution"] = GRANULARITY["paged"][v]
            else:
                params[k] = v
        return path, params
    snake = {
        "contractId": "contract_id",
        "meterId": "meter_id",
        "portfolioId": "portfolio_id",
        "legalEntityId": "legal_entity_id",
        "entityType": "entity_type",
        "entityId": "entity_id",
    }
    params = {}
    for k, v in f.items():
        if k in ("from", "to", "activeOn"):
            params[{"from": "start", "to": "end", "activeOn": "active_on"}[k]] = epoch(v)
        elif k == "granularity":
            params["interval"] = GRANULARITY["bare"][v]
        else:
            params[snake.get(k, k)] = v
    return "/" + dataset.replace("-", "_"), params


def fetch(
    servers: dict[str, MockServer],
    sessions: dict[str, requests.Session],
    dialect: str,
    dataset: str,
    size: int | None = None,
    **filters: str,
) -> tuple[list[dict[str, Any]], int]:
    path, params = request(dialect, dataset, **filters)
    items, n = walk(servers[dialect], sessions[dialect], path, params, size=size)
    return as_ecore(dialect, dataset, items), n


def _cases() -> list[tuple[str, dict[str, str]]]:
    # meters of seed 42 with 3 meters: MTR-0001 is gas, MTR-0002 and MTR-0003 power
    return [
        ("legal-entities", {}),
        ("business-units", {}),
        ("business-units", {"legalEntityId": "LE-001"}),
        ("meters", {}),
        ("meters", {"commodity": "gas"}),
        ("relationships", {}),
        ("relationships", {"entityType": "meter", "entityId": "MTR-0002"}),
        ("contracts", {}),
        ("contracts", {"status": "active"}),
        ("contracts", {"activeOn": "2026-06-01"}),
        ("clicks", {"contractId": "CTR-0001"}),
        ("clicks", {"contractId": "CTR-0002", "from": "2025-06-01", "to": "2026-01-01"}),
        ("portfolios", {}),
        ("positions", {"portfolioId": "PF-0001"}),
        ("positions", {"portfolioId": "PF-0002", "granularity": "quarter"}),
        ("positions", {"portfolioId": "PF-0002", "from": "2026-04-01", "to": "2026-07-01"}),
        ("invoices", {}),
        ("invoices", {"from": "2026-02-01", "to": "2026-03-01"}),
        ("invoices", {"meterId": "MTR-0003", "status": "paid"}),
        (
            "volumes",
            {
                "meterId": "MTR-0002",
                "from": "2026-03-29",
                "to": "2026-03-30",
                "granularity": "quarterhour",
            },
        ),
        (
            "volumes",
            {
                "meterId": "MTR-0003",
                "from": "2026-10-24",
                "to": "2026-10-27",
                "granularity": "hour",
            },
        ),
        (
            "volumes",
            {"meterId": "MTR-0002", "from": "2026-01-01", "to": "2026-04-01", "granularity": "day"},
        ),
        (
            "volumes",
            {
                "meterId": "MTR-0003",
                "from": "2026-10-01",
                "to": "2026-12-01",
                "granularity": "day",
                "type": "forecast",
            },
        ),
        (
            "volumes",
            {
                "meterId": "MTR-0001",
                "from": "2025-01-01",
                "to": "2027-01-01",
                "granularity": "month",
            },
        ),
        (
            "volumes",
            {"meterId": "MTR-0001", "from": "2026-02-01", "to": "2026-03-01", "granularity": "day"},
        ),
    ]


CASES = _cases()


@pytest.mark.parametrize("dialect", ["paged", "bare"])
@pytest.mark.parametrize(
    ("dataset", "filters"), CASES, ids=[f"{d}-{i}" for i, (d, _) in enumerate(CASES)]
)
def test_every_endpoint_translates_back_to_the_ecore_records(
    servers: dict[str, MockServer],
    sessions: dict[str, requests.Session],
    dialect: str,
    dataset: str,
    filters: dict[str, str],
) -> None:
    expected, _ = fetch(servers, sessions, "ecore", dataset, **filters)
    assert expected, "every case must serve something"
    size = max(3, len(expected) // 3)  # several pages (when there are records enough)
    got, requests_made = fetch(servers, sessions, dialect, dataset, size=size, **filters)
    assert got == expected
    assert requests_made == -(-len(expected) // size)


def test_bare_volumes_of_a_contract_are_the_contracts(
    servers: dict[str, MockServer], sessions: dict[str, requests.Session]
) -> None:
    f = {"contractId": "CTR-0002", "from": "2026-03-01", "to": "2026-03-03", "granularity": "hour"}
    expected, _ = fetch(servers, sessions, "ecore", "volumes", **f)
    assert {v["meterId"] for v in expected} == {"MTR-0002", "MTR-0003"}
    assert fetch(servers, sessions, "bare", "volumes", size=50, **f)[0] == expected


def test_clicks_of_every_contract_are_all_the_clicks(
    servers: dict[str, MockServer], sessions: dict[str, requests.Session]
) -> None:
    """Clicks live only under their contract in ``paged``: per contract, they add up to all."""
    every, _ = fetch(servers, sessions, "ecore", "clicks")
    contracts = [c["id"] for c in fetch(servers, sessions, "ecore", "contracts")[0]]
    per_contract = [
        click
        for cid in contracts
        for click in fetch(servers, sessions, "paged", "clicks", size=4, contractId=cid)[0]
    ]
    assert sorted(per_contract, key=lambda c: c["id"]) == sorted(every, key=lambda c: c["id"])
    assert fetch(servers, sessions, "bare", "clicks", size=5)[0] == every
    r = sessions["paged"].get(servers["paged"].base_url + "/clicks", timeout=10)
    assert r.status_code == 404 and r.json() == {"statusCode": 404, "message": "Resource not found"}


@pytest.mark.parametrize("dialect", ["paged", "bare"])
def test_single_records_and_the_discrepant_invoices_are_the_same(
    servers: dict[str, MockServer], sessions: dict[str, requests.Session], dialect: str
) -> None:
    srv, s = servers[dialect], sessions[dialect]
    pf = srv.portfolio
    assert pf.discrepant_invoice_ids == servers["ecore"].portfolio.discrepant_invoice_ids
    bad = pf.discrepant_invoice_ids[0]
    paths = {
        "paged": ("/risk/contracts/CTR-0002", f"/billing/invoices/{bad}"),
        "bare": ("/contracts/CTR-0002", f"/invoices/{bad}"),
    }[dialect]
    for path, dataset in zip(paths, ("contracts", "invoices"), strict=True):
        r = s.get(srv.base_url + path, timeout=10)
        assert r.status_code == 200, r.text
        ecore_path = path.replace("/risk", "").replace("/billing", "")
        ecore = sessions["ecore"].get(servers["ecore"].base_url + ecore_path, timeout=10).json()
        assert as_ecore(dialect, dataset, [single_of(srv, r.json())]) == [ecore]


def test_kwh_are_exact_decimal_shifts_of_the_contracts_mwh(
    servers: dict[str, MockServer], sessions: dict[str, requests.Session]
) -> None:
    filters = {"meterId": "MTR-0002", "from": "2026-03-01", "to": "2026-03-02"}
    ecore, _ = walk(
        servers["ecore"],
        sessions["ecore"],
        *request("ecore", "volumes", granularity="quarterhour", **filters),
    )
    for dialect in ("paged", "bare"):
        items, _ = walk(
            servers[dialect],
            sessions[dialect],
            *request(dialect, "volumes", granularity="quarterhour", **filters),
        )
        values = items[0]["values"] if dialect == "paged" else items
        kwh = [v["value"] for v in values]
        assert len(kwh) == len(ecore) == 96
        for k, e in zip(kwh, ecore, strict=True):
            assert Decimal(repr(k)) == Decimal(repr(e["value"])) * 1000
    r = sessions["bare"].get(
        servers["bare"].base_url + "/invoices", params={"limit": 1}, timeout=10
    )
    inv = r.json()[0]
    ecore_inv = servers["ecore"].portfolio.invoices[0]
    assert Decimal(repr(inv["consumption"])) == Decimal(repr(ecore_inv["consumptionMWh"])) * 1000


def test_dst_days_carry_the_local_offset_and_epoch_milliseconds(
    servers: dict[str, MockServer], sessions: dict[str, requests.Session]
) -> None:
    for day, n, first_offset in (("2026-03-29", 92, "+01:00"), ("2026-10-25", 100, "+02:00")):
        nxt = (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()
        f = {"meterId": "MTR-0003", "from": day, "to": nxt, "granularity": "quarterhour"}
        series, _ = walk(servers["paged"], sessions["paged"], *request("paged", "volumes", **f))
        values = [v for s in series for v in s["values"]]
        assert len(values) == n
        assert {v["timestamp"][-6:] for v in values} == {"+01:00", "+02:00"}
        assert values[0]["timestamp"] == f"{day}T00:00:00{first_offset}"
        assert (
            values[-1]["timestamp"]
            == f"{day}T23:45:00{'+02:00' if first_offset == '+01:00' else '+01:00'}"
        )
        bare, _ = walk(servers["bare"], sessions["bare"], *request("bare", "volumes", **f))
        assert [v["start"] for v in bare] == [epoch(day) * 1000 + i * 900_000 for i in range(n)]
        assert all(type(v["start"]) is int for v in bare)


# ---------------------------------------------------------------- parameters
def test_paged_date_to_is_inclusive_and_takes_dates_only(
    servers: dict[str, MockServer], sessions: dict[str, requests.Session]
) -> None:
    srv, s = servers["paged"], sessions["paged"]
    url = srv.base_url + "/structure/meters/MTR-0002/timeseries"
    one_day = s.get(
        url,
        params={"dateFrom": "2026-03-29", "dateTo": "2026-03-29", "resolution": "PT1H"},
        timeout=10,
    )
    assert one_day.status_code == 200
    assert one_day.json()["meta"]["totalItems"] == 23
    for params, detail in (
        (
            {"dateFrom": "2026-03-30", "dateTo": "2026-03-29"},
            "'dateFrom' must not be after 'dateTo'",
        ),
        (
            {"dateFrom": "2026-03-29T00:00:00+01:00", "dateTo": "2026-03-29"},
            "'dateFrom' must be a date",
        ),
        ({"dateFrom": "2026-03-29"}, "'dateTo' is required"),
        ({"from": "2026-03-29", "to": "2026-03-30"}, "'dateFrom' is required"),
    ):
        r = s.get(url, params=params, timeout=10)
        assert r.status_code == 400
        assert r.headers["Content-Type"].startswith("application/problem+json")
        body = r.json()
        assert detail in body["detail"]
        assert set(body["errors"]) == {detail.split("'")[1]}


def test_bare_dates_are_epoch_seconds(
    servers: dict[str, MockServer], sessions: dict[str, requests.Session]
) -> None:
    srv, s = servers["bare"], sessions["bare"]
    start = epoch("2026-03-29") + 3 * 3600  # 03:00 local, the first hour after the gap
    r = s.get(
        srv.base_url + "/volumes",
        params={"meter_id": "MTR-0002", "start": start, "end": start + 3600, "interval": "15min"},
        timeout=10,
    )
    assert [v["start"] // 1000 for v in r.json()] == [start + i * 900 for i in range(4)]
    bad = s.get(
        srv.base_url + "/volumes",
        params={"meter_id": "MTR-0002", "start": "2026-03-29", "end": start},
        timeout=10,
    )
    assert bad.status_code == 400
    assert bad.json() == {
        "statusCode": 400,
        "message": "'start' must be epoch seconds (an integer); got '2026-03-29'.",
    }


def test_a_dialect_ignores_the_contracts_parameter_names(
    servers: dict[str, MockServer], sessions: dict[str, requests.Session]
) -> None:
    """The quiet cause of unfiltered data: a name the dialect does not know is ignored."""
    every = fetch(servers, sessions, "ecore", "invoices")[0]
    feb = fetch(
        servers, sessions, "ecore", "invoices", **{"from": "2026-02-01", "to": "2026-03-01"}
    )[0]
    assert 0 < len(feb) < len(every)
    wrong = {"from": "2026-02-01", "to": "2026-03-01"}
    paged, _ = walk(servers["paged"], sessions["paged"], "/billing/invoices", wrong)
    assert len(paged) == len(every)
    bare, _ = walk(servers["bare"], sessions["bare"], "/invoices", {**wrong, "meterId": "MTR-0001"})
    assert len(bare) == len(every)
    paged_names, _ = walk(
        servers["paged"], sessions["paged"], "/billing/invoices", {"meterId": "MTR-0001"}
    )
    assert 0 < len(paged_names) < len(every)  # paged spells meterId as the contract does


@pytest.mark.parametrize(
    ("dialect", "value", "allowed"),
    [
        ("paged", "hour", "PT15M, PT1H, P1D, P1M"),
        ("bare", "PT1H", "15min, hourly, daily, monthly"),
    ],
)
def test_granularity_values_are_the_dialects(
    servers: dict[str, MockServer],
    sessions: dict[str, requests.Session],
    dialect: str,
    value: str,
    allowed: str,
) -> None:
    path, params = request(
        dialect,
        "volumes",
        meterId="MTR-0002",
        granularity="hour",
        **{"from": "2026-01-01", "to": "2026-01-02"},
    )
    param = "resolution" if dialect == "paged" else "interval"
    params[param] = value
    r = sessions[dialect].get(servers[dialect].base_url + path, params=params, timeout=10)
    assert r.status_code == 400
    message = f"'{param}' must be one of {allowed}; got '{value}'."
    if dialect == "paged":
        assert r.json()["errors"] == {param: [message]}
    else:
        assert r.json() == {"statusCode": 400, "message": message}


def test_paged_refuses_quarter_hours_and_hours_of_gas_meters(
    servers: dict[str, MockServer], sessions: dict[str, requests.Session]
) -> None:
    srv, s = servers["paged"], sessions["paged"]
    assert srv.portfolio.by_id["meter"]["MTR-0001"]["commodity"] == "gas"
    url = srv.base_url + "/structure/meters/MTR-0001/timeseries"
    days = {"dateFrom": "2026-02-01", "dateTo": "2026-02-01"}
    for resolution in ("PT15M", "PT1H"):
        r = s.get(url, params={**days, "resolution": resolution}, timeout=10)
        assert r.status_code == 400
        assert r.headers["Content-Type"].startswith("application/problem+json")
        body = r.json()
        assert body["status"] == 400 and list(body["errors"]) == ["resolution"]
        assert "MTR-0001" in body["detail"] and "P1D, P1M" in body["detail"]
    assert s.get(url, params={**days, "resolution": "P1D"}, timeout=10).status_code == 200
    power = srv.base_url + "/structure/meters/MTR-0002/timeseries"
    assert s.get(power, params={**days, "resolution": "PT15M"}, timeout=10).status_code == 200


def test_gas_daily_only_switch_on_the_contract(servers: dict[str, MockServer]) -> None:
    with MockServer(gas_daily_only=True, **KW) as srv, session_for(srv) as s:
        params = {"meterId": "MTR-0001", "from": "2026-02-01", "to": "2026-02-02"}
        r = s.get(srv.base_url + "/volumes", params=params, timeout=10)  # default: hour
        assert r.status_code == 400
        assert r.json()["error"]["target"] == "granularity"
        by_contract = {
            "contractId": "CTR-0004",
            "from": "2026-02-01",
            "to": "2026-02-02",
            "granularity": "quarterhour",
        }
        assert s.get(srv.base_url + "/volumes", params=by_contract, timeout=10).status_code == 400
        daily = s.get(
            srv.base_url + "/volumes", params={**params, "granularity": "day"}, timeout=10
        )
        assert daily.status_code == 200 and len(daily.json()["value"]) == 1
    assert not DIALECTS["ecore"].granularity_by_commodity  # the preset itself is unchanged


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("dialect", "path", "params", "status", "content_type", "body"),
    [
        (
            "ecore",
            "/contracts",
            {"status": "sleeping"},
            400,
            "application/json",
            {
                "error": {
                    "code": "InvalidParameter",
                    "message": "'status' must be one of active, expired, planned; got 'sleeping'.",
                    "target": "status",
                }
            },
        ),
        (
            "ecore",
            "/volumes",
            {"meterId": "MTR-0009", "from": "2026-01-01", "to": "2026-01-02"},
            404,
            "application/json",
            {"error": {"code": "NotFound", "message": "Meter 'MTR-0009' was not found."}},
        ),
        (
            "paged",
            "/risk/contracts",
            {"status": "sleeping"},
            400,
            "application/problem+json",
            {
                "type": "about:blank",
                "title": "Bad Request",
                "status": 400,
                "detail": "'status' must be one of active, expired, planned; got 'sleeping'.",
                "instance": "/v1/risk/contracts",
                "errors": {
                    "status": ["'status' must be one of active, expired, planned; got 'sleeping'."]
                },
            },
        ),
        (
            "paged",
            "/structure/meters/MTR-0009/timeseries",
            {"dateFrom": "2026-01-01", "dateTo": "2026-01-01"},
            404,
            "application/problem+json",
            {
                "type": "about:blank",
                "title": "Not Found",
                "status": 404,
                "detail": "Meter 'MTR-0009' was not found.",
                "instance": "/v1/structure/meters/MTR-0009/timeseries",
            },
        ),
        (
            "paged",
            "/risk/contracts/CTR-0999/clicks",
            {},
            404,
            "application/problem+json",
            {
                "type": "about:blank",
                "title": "Not Found",
                "status": 404,
                "detail": "Contract 'CTR-0999' was not found.",
                "instance": "/v1/risk/contracts/CTR-0999/clicks",
            },
        ),
        (
            "paged",
            "/billing/invoices/INV-999999",
            {},
            404,
            "application/problem+json",
            {
                "type": "about:blank",
                "title": "Not Found",
                "status": 404,
                "detail": "Invoice 'INV-999999' was not found.",
                "instance": "/v1/billing/invoices/INV-999999",
            },
        ),
        (
            "bare",
            "/contracts",
            {"status": "sleeping"},
            400,
            "application/json",
            {
                "statusCode": 400,
                "message": "'status' must be one of active, expired, planned; got 'sleeping'.",
            },
        ),
        (
            "bare",
            "/volumes",
            {"start": 0, "end": 86400},
            400,
            "application/json",
            {"statusCode": 400, "message": "Either 'meter_id' or 'contract_id' is required."},
        ),
        (
            "bare",
            "/volumes",
            {"meter_id": "MTR-0009", "start": 0, "end": 86400},
            404,
            "application/json",
            {"statusCode": 404, "message": "meter MTR-0009 not found"},
        ),
        (
            "bare",
            "/positions",
            {"portfolio_id": "PF-0999"},
            404,
            "application/json",
            {"statusCode": 404, "message": "portfolio PF-0999 not found"},
        ),
        (
            "bare",
            "/contracts/CTR-0999",
            {},
            404,
            "application/json",
            {"statusCode": 404, "message": "contract CTR-0999 not found"},
        ),
        (
            "bare",
            "/positions",
            {},
            400,
            "application/json",
            {"statusCode": 400, "message": "'portfolio_id' is required."},
        ),
    ],
)
def test_error_bodies_are_the_dialects(
    servers: dict[str, MockServer],
    sessions: dict[str, requests.Session],
    dialect: str,
    path: str,
    params: dict[str, Any],
    status: int,
    content_type: str,
    body: dict[str, Any],
) -> None:
    r = sessions[dialect].get(servers[dialect].base_url + path, params=params, timeout=10)
    assert r.status_code == status
    assert r.headers["Content-Type"].split(";")[0] == content_type
    assert r.json() == body


def test_the_gateway_is_the_same_in_every_dialect(
    servers: dict[str, MockServer], sessions: dict[str, requests.Session]
) -> None:
    for name, srv in servers.items():
        path = srv.dialect.routes[0].template
        r = requests.get(srv.base_url + path, timeout=10)
        assert r.status_code == 401 and r.json()["statusCode"] == 401
        assert "missing subscription key" in r.json()["message"]
        nowhere = sessions[name].get(srv.base_url + "/nowhere", timeout=10)
        assert nowhere.status_code == 404
        assert nowhere.json() == {"statusCode": 404, "message": "Resource not found"}


# ---------------------------------------------------------------- paging switches
STYLES = [
    "nextLink",
    "odata",
    "link",
    "pages",
    "offset",
    "skiptop",
    "cursor",
    "cursor-header",
    "none",
]


@pytest.mark.parametrize("style", STYLES)
def test_every_paging_style_serves_every_record_once(
    servers: dict[str, MockServer], sessions: dict[str, requests.Session], style: str
) -> None:
    expected = servers["ecore"].portfolio.clicks
    with MockServer(paging=style, page_size=7, **KW) as srv, session_for(srv) as s:
        items, n = walk(srv, s, "/clicks")
        assert items == expected
        assert n == (1 if style == "none" else -(-len(expected) // 7))
        first = s.get(srv.base_url + "/clicks", timeout=10)
        body, headers = first.json(), first.headers
    meta = {k: v for k, v in body.items() if k != "value"}
    promised = {
        "nextLink": lambda: "nextLink" in meta,
        "odata": lambda: "@odata.nextLink" in meta,
        "link": lambda: 'rel="next"' in headers["Link"],
        "pages": lambda: (
            meta == {"page": 1, "pageSize": 7, "totalPages": n, "totalItems": len(expected)}
        ),
        "offset": lambda: headers["X-Total-Count"] == str(len(expected)),
        "skiptop": lambda: meta == {"@odata.count": len(expected)},
        "cursor": lambda: set(meta) == {"continuationToken"},
        "cursor-header": lambda: "x-ms-continuation" in headers and not meta,
        "none": lambda: not meta and len(body["value"]) == len(expected),
    }
    assert promised[style]()


@pytest.mark.parametrize("style", ["cursor", "skiptop", "offset", "nextLink"])
def test_paging_switches_on_the_paged_envelope_keep_the_series_whole(style: str) -> None:
    """Other styles on ``paged``: keys in ``meta``, a series still split over its values."""
    f = {"dateFrom": "2026-03-29", "dateTo": "2026-03-29", "resolution": "PT15M"}
    with (
        MockServer(dialect="paged", paging=style, page_size=40, **KW) as srv,
        session_for(srv) as s,
    ):
        series, n = walk(srv, s, "/structure/meters/MTR-0002/timeseries", f)
        assert n == 3  # 92 quarter-hours, 40 a page
        assert {x["meterId"] for x in series} == {"MTR-0002"}
        values = [v for x in series for v in x["values"]]
        assert len(values) == 92 and len({v["timestamp"] for v in values}) == 92
        meta = s.get(
            srv.base_url + "/structure/meters/MTR-0002/timeseries", params=f, timeout=10
        ).json()["meta"]
    keys = {
        "cursor": {"continuationToken"},
        "skiptop": {"@odata.count"},
        "offset": set(),
        "nextLink": {"nextLink"},
    }
    assert set(meta) == keys[style]


def test_a_page_size_above_the_maximum_is_refused_never_capped(
    servers: dict[str, MockServer], sessions: dict[str, requests.Session]
) -> None:
    for dialect, path, param, limit in (
        ("paged", "/structure/meters", "pageSize", 500),
        ("bare", "/meters", "limit", 1000),
    ):
        r = sessions[dialect].get(
            servers[dialect].base_url + path, params={param: limit + 1}, timeout=10
        )
        assert r.status_code == 400
        assert str(limit) in json.dumps(r.json())
        ok = sessions[dialect].get(
            servers[dialect].base_url + path, params={param: limit}, timeout=10
        )
        assert ok.status_code == 200 and len(records_of(servers[dialect], ok.json())) == 3


def test_body_styles_need_an_object_envelope_and_the_old_switch_still_works() -> None:
    with pytest.raises(ValueError, match="bare-array envelope"):
        MockServer(dialect="bare", paging="pages", **KW)
    with pytest.raises(ValueError, match="paging_style"):
        MockServer(paging_style="odata", paging="link", **KW)
    assert MockServer(paging_style="odata", **KW).paging_style == "odata"
    assert MockServer(dialect="bare", paging="link", **KW).dialect.paging.style == "link"


def test_a_page_past_the_end_is_empty_with_the_totals(
    servers: dict[str, MockServer], sessions: dict[str, requests.Session]
) -> None:
    srv = servers["paged"]
    r = sessions["paged"].get(
        srv.base_url + "/structure/meters", params={"page": 9, "pageSize": 2}, timeout=10
    )
    assert records_of(srv, r.json()) == []
    assert meta_of(srv, r.json()) == {"page": 9, "pageSize": 2, "totalPages": 2, "totalItems": 3}
    empty = (
        sessions["paged"]
        .get(
            srv.base_url + "/structure/meters/MTR-0002/timeseries",
            params={"dateFrom": "2030-01-01", "dateTo": "2030-01-01", "resolution": "P1D"},
            timeout=10,
        )
        .json()
    )
    assert empty["data"]["items"] == [
        {"meterId": "MTR-0002", "unit": "kWh", "type": "actual", "resolution": "P1D", "values": []}
    ]
    assert empty["meta"]["totalItems"] == 0


# ---------------------------------------------------------------- one axis at a time
def test_ignore_params_silently_drops_a_filter(
    servers: dict[str, MockServer], sessions: dict[str, requests.Session]
) -> None:
    every = servers["ecore"].portfolio.invoices
    ignored = {"invoices": ["meterId"], "/volumes": ["to"], "/contracts": ["status"]}
    with MockServer(ignore_params=ignored, **KW) as srv, session_for(srv) as s:
        assert walk(srv, s, "/invoices", {"meterId": "MTR-0001"})[0] == every
        active = walk(srv, s, "/contracts", {"status": "active"})[0]
        assert active == servers["ecore"].portfolio.contracts
        days = walk(
            srv,
            s,
            "/volumes",
            {"meterId": "MTR-0002", "from": "2026-11-01", "to": "2026-11-02", "granularity": "day"},
        )[0]
        assert len(days) == 14  # to is ignored: up to the last actual (as_of is 2026-11-15)
        kept = walk(srv, s, "/invoices", {"legalEntityId": "LE-001"})[0]
        assert kept and all(i["legalEntityId"] == "LE-001" for i in kept)
    with (
        MockServer(dialect="paged", ignore_params={"/billing/invoices": ["dateFrom"]}, **KW) as srv,
        session_for(srv) as s,
    ):
        upto_feb = walk(
            srv, s, "/billing/invoices", {"dateFrom": "2026-02-01", "dateTo": "2026-02-28"}
        )[0]
        assert len(upto_feb) == sum(1 for i in every if i["periodStart"] < "2026-02-28T23:00:00Z")
    with pytest.raises(ValueError, match="no dataset or path"):
        MockServer(ignore_params={"/nowhere": ["to"]}, **KW)


def test_field_renames_energy_unit_and_envelope_move_alone(
    servers: dict[str, MockServer],
) -> None:
    contracts = servers["ecore"].portfolio.contracts
    with (
        MockServer(field_renames={"contracts": {"id": "contractId"}}, **KW) as srv,
        session_for(srv) as s,
    ):
        got = walk(srv, s, "/contracts")[0]
        assert [c["contractId"] for c in got] == [c["id"] for c in contracts]
        assert "id" not in got[0] and got[0]["deliveryEnd"] == contracts[0]["deliveryEnd"]
        assert walk(srv, s, "/meters")[0] == servers["ecore"].portfolio.meters
    with MockServer(energy_unit="kWh", **KW) as srv, session_for(srv) as s:
        inv = walk(srv, s, "/invoices", {"meterId": "MTR-0002"})[0][0]
        ecore_inv = next(
            i for i in servers["ecore"].portfolio.invoices if i["meterId"] == "MTR-0002"
        )
        assert inv["consumptionKWh"] == float(Decimal(repr(ecore_inv["consumptionMWh"])) * 1000)
        assert "consumptionMWh" not in inv and inv["lines"] == ecore_inv["lines"]
        vol = walk(
            srv,
            s,
            "/volumes",
            {"meterId": "MTR-0002", "from": "2026-01-01", "to": "2026-01-02", "granularity": "day"},
        )[0]
        assert vol[0]["unit"] == "kWh"
    with MockServer(envelope="data.items", **KW) as srv, session_for(srv) as s:
        r = s.get(srv.base_url + "/meters", params={"top": 2}, timeout=10).json()
        assert r["data"]["items"] == servers["ecore"].portfolio.meters[:2]
        assert set(r["meta"]) == {"nextLink"}
        assert walk(srv, s, "/meters")[0] == servers["ecore"].portfolio.meters


def test_a_dialect_declaration_can_move_any_axis_the_switches_do_not() -> None:
    """The unknown-id body is its own axis: the contract's 400s with APIM-style 404s."""
    apim_404 = dataclasses.replace(DIALECTS["ecore"], unknown_id="apim")
    with MockServer(dialect=apim_404, **KW) as srv, session_for(srv) as s:
        missing = s.get(srv.base_url + "/contracts/CTR-0999", timeout=10)
        assert missing.json() == {"statusCode": 404, "message": "contract CTR-0999 not found"}
        bad = s.get(srv.base_url + "/contracts", params={"status": "x"}, timeout=10)
        assert bad.json()["error"]["target"] == "status"
    with pytest.raises(ValueError, match="unknown_id must be one of"):
        dataclasses.replace(DIALECTS["ecore"], unknown_id="soap")


def test_extra_fields_and_faults_reach_every_dialect(servers: dict[str, MockServer]) -> None:
    with MockServer(dialect="bare", **KW) as srv, session_for(srv) as s:
        srv.extra_fields["contracts"] = {"risk_owner": "Treasury"}
        assert all(
            c["risk_owner"] == "Treasury"
            for c in s.get(srv.base_url + "/contracts", timeout=10).json()
        )
        srv.faults.malformed["/legal_entities"] = "html"
        r = s.get(srv.base_url + "/legal_entities", timeout=10)
        assert r.headers["Content-Type"].startswith("text/html")
        srv.faults.malformed["/meters"] = "huge"
        huge = s.get(srv.base_url + "/meters", timeout=10)
        assert len(huge.content) > 8_000_000
        assert [m["id"] for m in huge.json()] == [m["id"] for m in srv.portfolio.meters]


# ---------------------------------------------------------------- command line
def test_mock_help_lists_the_dialects_and_bad_combinations_are_usage_errors() -> None:
    runner = CliRunner()
    helped = runner.invoke(cli, ["mock", "--help"])
    assert helped.exit_code == 0
    flat = " ".join(helped.output.split())
    for name, d in DIALECTS.items():
        assert f"{name} {d.description}" in flat
    assert "--dialect [ecore|paged|bare]" in helped.output
    bad = runner.invoke(cli, ["mock", "--dialect", "bare", "--paging", "nextLink"])
    assert bad.exit_code == 2 and "bare-array envelope" in bad.output
    wrong = runner.invoke(cli, ["mock", "--ignore-param", "volumes"])
    assert wrong.exit_code == 2 and "DATASET_OR_PATH:PARAMETER" in wrong.output
