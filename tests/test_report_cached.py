"""Numbers where the report is opened: every formula of the report carries the value it computes,
so pandas (openpyxl ``data_only``), a mail preview or a BI tool sees figures, not blanks
(LibreOffice's own results are compared in ``test_report_libreoffice.py``)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from ecore_xl.mock import MockServer
from ecore_xl.report import FIGURES, build_report
from ecore_xl.report.cached import NOT_AVAILABLE
from tests.report_fixtures import MOCK_KW, expected_figures, named_values, service_for

MOCK_KW = MOCK_KW  # the srv fixture serves the report tests' mock


@pytest.mark.parametrize("month", ["2026-09", "2026-10"])
def test_summary_figures_are_stored_with_their_formulas(
    srv: MockServer, tmp_path: Path, month: str
) -> None:
    out = tmp_path / "report.xlsx"
    result = build_report(month, out=out, service=service_for(srv))
    values = named_values(out, data_only=True)
    expected = expected_figures(srv.portfolio, month)
    for fig in FIGURES:
        for commodity in fig.columns():
            key, name = fig.key_of(commodity), fig.name_of(commodity)
            figure = result.figures[key]
            if figure is None:
                assert values[name] == NOT_AVAILABLE, name
            else:
                assert values[name] == pytest.approx(figure, rel=1e-12), name
                assert values[name] == pytest.approx(expected[key], rel=1e-9), name
    summary = pd.read_excel(out, sheet_name="Summary", header=None)
    as_read = {row[0]: list(row[1:4]) for row in summary.itertuples(index=False)}
    assert as_read["Consumption (MWh)"][:2] == [
        expected["consumption_mwh.power"],
        expected["consumption_mwh.gas"],
    ]
    assert as_read["Invoices"] == [
        expected["invoice_count.power"],
        expected["invoice_count.gas"],
        expected["invoice_count"],
    ]


def test_every_formula_has_a_cached_value(srv: MockServer, tmp_path: Path) -> None:
    out = tmp_path / "report.xlsx"
    build_report("2026-09", out=out, service=service_for(srv))
    formulas = openpyxl.load_workbook(out)
    cached = openpyxl.load_workbook(out, data_only=True)
    missing = []
    for ws in formulas.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type != "f":
                    continue
                value = cached[ws.title][cell.coordinate].value
                # IF(...,"") leaves an empty text, which a file stores as an empty value
                if value is None and '""' not in str(cell.value):
                    missing.append(f"{ws.title}!{cell.coordinate} {cell.value}")
    assert missing == []
    daily = pd.read_excel(out, sheet_name="Consumption", header=4, usecols="H:I").dropna()
    daily.columns = ["Day", "MWh"]  # pandas renames the second MWh of the sheet MWh.1
    assert len(daily) == 30 and daily["MWh"].min() > 0


def test_every_chart_series_carries_its_values(srv: MockServer, tmp_path: Path) -> None:
    """A preview that draws a chart from its own cache (no recalculation) shows the figures."""
    import re

    out = tmp_path / "report.xlsx"
    build_report("2026-09", out=out, service=service_for(srv))
    wb = openpyxl.load_workbook(out)
    values = openpyxl.load_workbook(out, data_only=True)
    checked: set[str] = set()
    for chart in wb["Summary"]._charts:
        for sub in [chart, *chart._charts]:  # openpyxl lists a chart among its own _charts
            for series in sub.series:
                for source in (series.val, series.cat):
                    ref = source.numRef or source.strRef
                    cache = ref.numCache if source.numRef is not None else ref.strCache
                    sheet, col, r1, _, r2 = re.fullmatch(
                        r"'([^']+)'!\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)", ref.f
                    ).groups()
                    cells = [values[sheet][f"{col}{r}"].value for r in range(int(r1), int(r2) + 1)]
                    assert cache is not None and cache.ptCount == len(cells), ref.f
                    cached = {p.idx: p.v for p in cache.pt}
                    for i, cell in enumerate(cells):
                        if isinstance(cell, str):
                            assert cached[i] == cell, ref.f
                        elif isinstance(cell, float):
                            assert float(cached[i]) == pytest.approx(cell, rel=1e-12), ref.f
                        else:  # dates: their serial numbers
                            assert float(cached[i]) > 40000, ref.f
                    checked.add(ref.f)
    assert len(checked) >= 6  # three charts, values and categories each
