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


#: the Summary's rounding, written out here (half away from zero, as Excel's ROUND): decimals
#: per figure — MWh one, EUR none, EUR/MWh two, a ratio to a tenth of a percent, counts none
DECIMALS = {
    "consumption_mwh": 1,
    "cost_eur": 0,
    "avg_cost_eur_per_mwh": 2,
    "hedge_ratio": 3,
    "open_volume_mwh": 1,
}
COMMODITIES = ("power", "gas")


def excel_round(value: float | None, decimals: int) -> float | None:
    from decimal import ROUND_HALF_UP, Decimal

    if value is None:
        return None
    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP))


def _positions_of_year(pf: Portfolio, year: int, entity: str | None) -> list[dict[str, Any]]:
    """The year's positions of the selection's portfolios, each with its portfolio's commodity."""
    out = []
    for portfolio in pf.portfolios:
        if portfolio["deliveryYear"] != year:
            continue
        if entity is not None and portfolio["legalEntityId"] != entity:
            continue
        out += [{**p, "commodity": portfolio["commodity"]} for p in pf.positions(portfolio["id"])]
    return out


def is_over_hedged(position: dict[str, Any]) -> bool:
    ratio, open_ = position["hedgeRatio"], position["openVolumeMWh"]
    return (open_ is not None and open_ < 0) or (ratio is not None and ratio > 1)


def expected_over_hedged(pf: Portfolio, month: str, entity: str | None = None) -> list[tuple]:
    """(portfolio, commodity, YYYY-MM) of the over-hedged positions of the month's year."""
    out = []
    for p in _positions_of_year(pf, int(month[:4]), entity):
        if is_over_hedged(p):
            local = dt.datetime.fromtimestamp(epoch(p["periodStart"]), TZ)
            out.append((p["portfolioId"], p["commodity"], f"{local:%Y-%m}"))
    return out


def month_clicks(pf: Portfolio, month: str, entity: str | None = None) -> list[dict[str, Any]]:
    """The clicks executed in the month, each with its contract's commodity and delivery year."""
    start, end = month_bounds(month)
    contracts = {c["id"]: c for c in pf.contracts}
    return [
        {
            **c,
            "commodity": contracts[c["contractId"]]["commodity"],
            "deliveryYear": dt.datetime.fromtimestamp(epoch(c["deliveryStart"]), TZ).year,
        }
        for c in pf.clicks
        if start <= epoch(c["executedAt"]) < end
        and (entity is None or contracts[c["contractId"]]["legalEntityId"] == entity)
    ]


def expected_click_prices(pf: Portfolio, month: str, entity: str | None = None) -> list[tuple]:
    """(commodity, delivery year, clicks, MWh, MWh-weighted EUR/MWh), rounded as shown."""
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for c in month_clicks(pf, month, entity):
        groups.setdefault((c["commodity"], c["deliveryYear"]), []).append(c)
    out = []
    for (commodity, year), clicks in sorted(
        groups.items(), key=lambda kv: (COMMODITIES.index(kv[0][0]), kv[0][1])
    ):
        mwh = sum(c["volumeMWh"] for c in clicks)
        value = sum(c["volumeMWh"] * c["priceEurPerMWh"] for c in clicks)
        price = excel_round(value / mwh, 2) if mwh else None
        out.append((commodity, year, len(clicks), excel_round(mwh, 1), price))
    return out


def expected_figures(pf: Portfolio, month: str, entity: str | None = None) -> dict[str, Any]:
    """The Summary figures of ``month`` per commodity (and in total where one adds up), from the
    portfolio's own records and volume sums, rounded as the Summary shows them."""
    start, end = month_bounds(month)
    owner = entity_of_meter(pf)
    commodity_of = {m["id"]: m["commodity"] for m in pf.meters}
    meters = [m["id"] for m in pf.meters if entity is None or owner[m["id"]] == entity]
    invoices = month_invoices(pf, month, entity)
    bad = set(expected_flagged(pf, month, entity))
    positions = _positions_of_year(pf, int(month[:4]), entity)
    this = [p for p in positions if epoch(p["periodStart"]) == start]
    out: dict[str, Any] = {}
    for c in (*COMMODITIES, None):

        def mine(meter: str, c: str | None = c) -> bool:
            return c is None or commodity_of[meter] == c

        mine_inv = [i for i in invoices if mine(i["meterId"])]
        cost = sum(line["amount"] for inv in mine_inv for line in inv["lines"])
        pos = [p for p in this if c is None or p["commodity"] == c]
        key = "" if c is None else f".{c}"
        out[f"cost_eur{key}"] = excel_round(cost, 0)
        out[f"over_hedged_months{key}"] = sum(
            is_over_hedged(p) for p in positions if c is None or p["commodity"] == c
        )
        out[f"invoice_count{key}"] = len(mine_inv)
        out[f"flagged_invoices{key}"] = sum(i["id"] in bad for i in mine_inv)
        if c is None:
            continue
        consumption = sum(pf.volume_sum(m, start, end, "actual") for m in meters if mine(m))
        forecast = sum(p["forecastVolumeMWh"] for p in pos)
        hedged = sum(p["hedgedVolumeMWh"] for p in pos)
        out[f"consumption_mwh{key}"] = excel_round(consumption, 1)
        out[f"avg_cost_eur_per_mwh{key}"] = (
            excel_round(cost / consumption, 2) if consumption else None
        )
        out[f"hedge_ratio{key}"] = excel_round(hedged / forecast, 3) if forecast else None
        out[f"open_volume_mwh{key}"] = excel_round(sum(p["openVolumeMWh"] for p in pos), 1)
    return out


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
