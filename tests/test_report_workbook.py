"""The written report read back as a CFO's tools read it (issue 14, "a report a CFO reads").

One report of the mock's latest complete month (its deliberate discrepancy and over-hedge), read
with openpyxl like pandas or a BI tool would: every Summary formula carries its value, every
column is as wide as the longest value of its first 200 rows shows (formula cells by their
cached value), every number column has a number format, and no figure blends power and gas
(nor the delivery years of the clicks) — checked on the formulas and on the values.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from ecore_xl.mock import MockServer
from ecore_xl.report import build_report
from tests.report_fixtures import (
    MOCK_KW,
    excel_round,
    expected_click_prices,
    expected_figures,
    month_clicks,
    service_for,
)
from tests.xlsx_shown import shown_text, table_columns

MONTH = "2026-10"  # the mock's latest complete month (as of 2026-11-26)
#: a month whose clicks are power and gas, for two delivery years
MIXED = "2025-03"


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("read-back")
    with MockServer(**MOCK_KW) as srv:
        made: dict[str, Any] = {"srv": srv}
        for month in (MONTH, MIXED):
            made[month] = folder / f"report-{month}.xlsx"
            build_report(month, out=made[month], service=service_for(srv))
        yield made


@pytest.fixture()
def report(reports: dict[str, Any]) -> tuple[Path, MockServer]:
    return reports[MONTH], reports["srv"]


def _books(path: Path) -> tuple[Any, Any]:
    return openpyxl.load_workbook(path), openpyxl.load_workbook(path, data_only=True)


def test_every_summary_formula_has_its_value(report: tuple[Path, MockServer]) -> None:
    formulas, values = _books(report[0])
    summary = formulas["Summary"]
    checked = 0
    for row in summary.iter_rows():
        for cell in row:
            if cell.data_type != "f":
                continue
            cached = values["Summary"][cell.coordinate].value
            assert cached is not None, f"Summary!{cell.coordinate} {cell.value}: no value"
            checked += 1
    assert checked >= 20  # 8 figures per commodity, 4 totals, the click table
    expected = expected_figures(report[1].portfolio, MONTH)
    shown = {
        row[0].value: [c.value for c in row[1:4]]
        for row in values["Summary"].iter_rows(min_row=6, max_row=13)
    }
    assert shown["Hedge ratio"][:2] == [expected["hedge_ratio.power"], expected["hedge_ratio.gas"]]
    assert shown["Over-hedged months"][2] == expected["over_hedged_months"] >= 1
    assert shown["Flagged invoices"][2] == expected["flagged_invoices"] >= 1


def test_every_column_fits_its_first_200_values(report: tuple[Path, MockServer]) -> None:
    formulas, values = _books(report[0])
    narrow = []
    for ws in formulas.worksheets:
        for table, letter, width, cells in table_columns(ws):
            shown = values[ws.title]
            texts = [shown_text(shown[x.coordinate].value, x.number_format) for x in cells]
            widest = max(len(t) for t in texts)
            if width < widest:
                narrow.append(f"{ws.title}!{letter} {table.displayName}: {width} < {widest}")
    summary = formulas["Summary"]
    for row in summary.iter_rows(min_row=6, max_row=13, min_col=2, max_col=4):
        for cell in row:
            text = shown_text(values["Summary"][cell.coordinate].value, cell.number_format)
            width = summary.column_dimensions[cell.column_letter].width
            if width < len(text):
                narrow.append(f"Summary!{cell.coordinate}: {width} < {len(text)}")
    assert narrow == []


def test_number_columns_have_number_formats(report: tuple[Path, MockServer]) -> None:
    formulas, values = _books(report[0])
    bare = []
    for ws in formulas.worksheets:
        for table, _letter, _width, cells in table_columns(ws):
            for cell in cells[1:]:  # below the header
                value = values[ws.title][cell.coordinate].value
                is_number = isinstance(value, int | float) and not isinstance(value, bool)
                if is_number and cell.number_format == "General":
                    bare.append(f"{ws.title}!{cell.coordinate} {table.displayName}")
                    break
    assert bare == []


#: aggregations over energy, price or ratio columns: each must name the commodity
_AGGREGATE = re.compile(r"(SUMIFS|SUMPRODUCT|SUM|AVERAGE|AVERAGEIFS)\((tbl\w+)\[([^\]]+)\]")
_ADDABLE = ("EUR",)  # money adds up over commodities (a Total column), energy and ratios do not


def test_no_figure_blends_power_and_gas(reports: dict[str, Any]) -> None:
    path, srv = reports[MIXED], reports["srv"]
    formulas, values = _books(path)
    blended = []
    for ws in formulas.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type != "f":
                    continue
                for _fn, table, column in _AGGREGATE.findall(cell.value):
                    if column in _ADDABLE or table in ("tblDaily", "tblCostByComponent"):
                        continue
                    if "[Commodity]" not in cell.value:
                        blended.append(f"{ws.title}!{cell.coordinate} {cell.value}")
                    if table == "tblClicks" and "[Delivery year]" not in cell.value:
                        blended.append(f"{ws.title}!{cell.coordinate} over delivery years")
    assert blended == []

    # and on the values: the average over power and gas clicks together is nowhere
    clicks = month_clicks(srv.portfolio, MIXED)
    assert {c["commodity"] for c in clicks} == {"power", "gas"}, "the month needs both"
    assert len({c["deliveryYear"] for c in clicks}) == 2, "and two delivery years"
    mwh = sum(c["volumeMWh"] for c in clicks)
    mixed = excel_round(sum(c["volumeMWh"] * c["priceEurPerMWh"] for c in clicks) / mwh, 2)
    shown = [c.value for row in values["Summary"].iter_rows() for c in row]
    per_group = [p for *_, p in expected_click_prices(srv.portfolio, MIXED)]
    assert mixed not in per_group
    assert mixed not in shown
    assert all(p in shown for p in per_group)
    power_clicks = [c for c in clicks if c["commodity"] == "power"]  # and over the years
    mwh = sum(c["volumeMWh"] for c in power_clicks)
    years = sum(c["volumeMWh"] * c["priceEurPerMWh"] for c in power_clicks) / mwh
    assert excel_round(years, 2) not in shown
    expected = expected_figures(srv.portfolio, MIXED)
    both = excel_round(
        expected["consumption_mwh.power"] + expected["consumption_mwh.gas"], 1
    )  # a total of power and gas MWh is not a Summary figure
    assert both not in shown
