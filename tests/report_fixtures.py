"""Helpers for the report tests: a small mock, and the month's figures computed independently.

The expected figures come from the mock's synthetic portfolio (``srv.portfolio``): its records
exactly as the API serves them and its exact integer volume sums. Nothing here imports
``ecore_xl.report`` or ``ecore_xl.data``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl

from ecore_xl.config import Settings
from ecore_xl.data import DataService
from ecore_xl.mock import MockServer, Portfolio

AS_OF = dt.date(2026, 11, 26)
MOCK_KW: dict[str, Any] = {"seed": 42, "meters": 6, "years": (2025, 2026), "as_of": AS_OF}
TZ = ZoneInfo("Europe/Berlin")
THRESHOLD = 0.02


def service_for(srv: MockServer, **overrides: Any) -> DataService:
    return DataService(
        Settings.load(use_file=False, use_keyring=False, environ=srv.env(), **overrides)
    )


def epoch(iso: str) -> int:
    return int(dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


def month_bounds(month: str) -> tuple[int, int]:
    year, m = (int(x) for x in month.split("-"))
    nxt = dt.date(year + m // 12, m % 12 + 1, 1)
    start = dt.datetime(year, m, 1, tzinfo=TZ)
    end = dt.datetime(nxt.year, nxt.month, 1, tzinfo=TZ)
    return int(start.timestamp()), int(end.timestamp())


def entity_of_meter(pf: Portfolio) -> dict[str, str]:
    bu = {b["id"]: b["legalEntityId"] for b in pf.business_units}
    return {m["id"]: bu[m["businessUnitId"]] for m in pf.meters}


def month_invoices(pf: Portfolio, month: str, entity: str | None = None) -> list[dict[str, Any]]:
    start, end = month_bounds(month)
    return [
        inv
        for inv in pf.invoices
        if start <= epoch(inv["periodStart"]) < end
        and (entity is None or inv["legalEntityId"] == entity)
    ]


def expected_flagged(pf: Portfolio, month: str, entity: str | None = None) -> list[str]:
    """The mock's deliberate discrepancies among the month's invoices."""
    bad = set(pf.discrepant_invoice_ids)
    return sorted(inv["id"] for inv in month_invoices(pf, month, entity) if inv["id"] in bad)


def expected_figures(pf: Portfolio, month: str, entity: str | None = None) -> dict[str, Any]:
    """The Summary figures of ``month`` from the portfolio's own records and volume sums."""
    start, end = month_bounds(month)
    owner = entity_of_meter(pf)
    meters = [m["id"] for m in pf.meters if entity is None or owner[m["id"]] == entity]
    consumption = sum(pf.volume_sum(m, start, end, "actual") for m in meters)
    invoices = month_invoices(pf, month, entity)
    cost = sum(line["amount"] for inv in invoices for line in inv["lines"])

    year = int(month[:4])
    forecast = hedged = open_ = 0.0
    for portfolio in pf.portfolios:
        if portfolio["deliveryYear"] != year:
            continue
        if entity is not None and portfolio["legalEntityId"] != entity:
            continue
        for pos in pf.positions(portfolio["id"]):
            if epoch(pos["periodStart"]) == start:
                forecast += pos["forecastVolumeMWh"]
                hedged += pos["hedgedVolumeMWh"]
                open_ += pos["openVolumeMWh"]

    le_of_contract = {c["id"]: c["legalEntityId"] for c in pf.contracts}
    clicks = [
        c
        for c in pf.clicks
        if start <= epoch(c["executedAt"]) < end
        and (entity is None or le_of_contract[c["contractId"]] == entity)
    ]
    click_mwh = sum(c["volumeMWh"] for c in clicks)
    click_value = sum(c["volumeMWh"] * c["priceEurPerMWh"] for c in clicks)
    return {
        "consumption_mwh": consumption,
        "cost_eur": cost,
        "avg_cost_eur_per_mwh": cost / consumption if consumption else None,
        "hedge_ratio": hedged / forecast if forecast else None,
        "open_volume_mwh": open_,
        "avg_click_price_eur_per_mwh": click_value / click_mwh if click_mwh else None,
        "invoice_count": len(invoices),
        "flagged_invoices": len(expected_flagged(pf, month, entity)),
    }


def assert_figures(actual: dict[str, Any], expected: dict[str, Any], *, rel: float = 1e-9) -> None:
    import pytest

    assert set(actual) == set(expected)
    for key, want in expected.items():
        got = actual[key]
        if want is None:
            assert got in (None, "", "n/a"), key  # the workbook shows n/a
        else:
            assert got == pytest.approx(want, rel=rel, abs=1e-9), key


def named_values(path: Path, *, data_only: bool) -> dict[str, Any]:
    """Workbook-level defined names that point at one cell -> that cell's value."""
    wb = openpyxl.load_workbook(path, data_only=data_only)
    out: dict[str, Any] = {}
    for name, dn in wb.defined_names.items():
        dests = list(dn.destinations) if dn.type == "RANGE" else []
        if len(dests) == 1 and ":" not in dests[0][1]:
            sheet, cell = dests[0]
            out[name] = wb[sheet][cell.replace("$", "")].value
    return out


def table_rows(path: Path, table: str, *, data_only: bool = False) -> list[dict[str, Any]]:
    """The rows of an Excel table as dicts (header -> value)."""
    wb = openpyxl.load_workbook(path, data_only=data_only)
    for ws in wb.worksheets:
        if table in ws.tables:
            cells = ws[ws.tables[table].ref]
            header = [c.value for c in cells[0]]
            return [dict(zip(header, (c.value for c in row), strict=True)) for row in cells[1:]]
    raise KeyError(table)
