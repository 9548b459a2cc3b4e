"""A real report through LibreOffice headless: it prints to PDF, and its formulas, recalculated by
LibreOffice (not by us), give the figures computed independently from the mock's data."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from ecore_xl.mock import MockServer
from ecore_xl.report import FIGURES, build_report
from ecore_xl.report.soffice import recalculate, to_pdf
from tests.conftest import soffice_missing
from tests.report_fixtures import (
    MOCK_KW,
    assert_figures,
    excel_round,
    expected_figures,
    expected_flagged,
    named_values,
    service_for,
    table_rows,
)

pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(soffice_missing(), reason="LibreOffice (soffice) is not installed"),
]
MONTH = "2026-09"  # holds one of the mock's deliberate invoice discrepancies


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict, list]]:
    folder = tmp_path_factory.mktemp("lo-report")
    with MockServer(**MOCK_KW) as srv:
        out = folder / "report.xlsx"
        build_report(MONTH, out=out, service=service_for(srv))
        yield out, expected_figures(srv.portfolio, MONTH), expected_flagged(srv.portfolio, MONTH)


def test_the_report_prints_to_pdf(report: tuple[Path, dict, list], tmp_path: Path) -> None:
    pdf = to_pdf(report[0], tmp_path, timeout=180)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", data)) >= 7  # one or more pages per sheet


def test_libreoffice_computes_the_summary_figures(
    report: tuple[Path, dict, list], tmp_path: Path
) -> None:
    path, expected, flagged = report
    assert expected["flagged_invoices"] == 1
    recalculated = recalculate(path, tmp_path, timeout=180)
    values = named_values(recalculated, data_only=True)
    figures = {f.key_of(c): values[f.name_of(c)] for f in FIGURES for c in f.columns()}
    assert_figures(figures, expected, rel=1e-9)

    rows = table_rows(recalculated, "tblInvoices", data_only=True)
    assert sorted(r["Invoice"] for r in rows if r["Flag"] == "CHECK") == flagged
    daily = table_rows(recalculated, "tblDaily", data_only=True)
    components = table_rows(recalculated, "tblCostByComponent", data_only=True)
    for c in ("power", "gas"):  # the chart inputs add up to the (rounded) Summary figures
        mwh = sum(r[f"{c.title()} MWh"] for r in daily)
        assert excel_round(mwh, 1) == expected[f"consumption_mwh.{c}"]
        eur = sum(r[f"{c.title()} EUR"] for r in components)
        assert excel_round(eur, 0) == expected[f"cost_eur.{c}"]
    assert excel_round(sum(r["EUR"] for r in components), 0) == expected["cost_eur"]


def test_every_chart_points_at_the_filled_rows(report: tuple[Path, dict, list]) -> None:
    wb = openpyxl.load_workbook(report[0])
    tables = {}
    for ws in wb.worksheets:
        for table in ws.tables.values():
            c1, r1, c2, r2 = openpyxl.utils.cell.range_boundaries(table.ref)
            for col in range(c1, c2 + 1):
                tables[(ws.title, openpyxl.utils.get_column_letter(col), r1 + 1)] = r2
    charts = wb["Summary"]._charts
    assert len(charts) == 4
    for chart in charts:
        for sub in chart._charts:
            for series in sub.series:
                for ref in (series.val.numRef, series.cat.numRef or series.cat.strRef):
                    m = re.fullmatch(r"'([^']+)'!\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)", ref.f)
                    assert m, ref.f
                    sheet, col, first, _, last = m.groups()
                    assert tables[(sheet, col, int(first))] == int(last), ref.f


def test_every_formula_carries_the_value_libreoffice_computes(
    report: tuple[Path, dict, list], tmp_path: Path
) -> None:
    """A preview, pandas or a BI tool reads the cached values: they are LibreOffice's results."""
    path = report[0]
    formulas = openpyxl.load_workbook(path)
    cached = openpyxl.load_workbook(path, data_only=True)
    computed = openpyxl.load_workbook(recalculate(path, tmp_path, timeout=180), data_only=True)
    checked = 0
    for ws in formulas.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type != "f":
                    continue
                mine = cached[ws.title][cell.coordinate].value
                theirs = computed[ws.title][cell.coordinate].value
                where = f"{ws.title}!{cell.coordinate} {cell.value}"
                if theirs in (None, ""):  # an empty text: stored as an empty value
                    assert mine in (None, ""), where
                    continue
                assert mine is not None, f"{where}: no cached value"
                if isinstance(theirs, int | float) and not isinstance(theirs, bool):
                    assert mine == pytest.approx(theirs, rel=1e-9, abs=1e-9), where
                else:
                    assert mine == theirs, where
                checked += 1
    # Summary, daily MWh, cost per component, per month (each per commodity), positions' flags
    assert checked >= 20 + 31 * 2 + 5 * 3 + 12 * 8
