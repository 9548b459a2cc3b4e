"""Every written sheet's columns fit what they show (issue 14: no ``###``, no cut names): each
table column is at least as wide as its header and the longest of its first 200 values as
Excel displays them under the cell's number format."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
from click.testing import CliRunner

from ecore_xl.cli import cli
from ecore_xl.data import reset_service
from ecore_xl.excel.headless import refresh_file
from ecore_xl.mock import MockServer
from ecore_xl.report import build_report
from ecore_xl.xlsx.widths import MAX_WIDTH, display_width
from tests.conftest import service_for
from tests.refresh_fixtures import new_workbook
from tests.xlsx_shown import shown_text, table_columns


def _shown(cell: Any) -> str:
    if isinstance(cell.value, bool):
        return "FALSE"  # the wider of the two
    return shown_text(cell.value, cell.number_format)


def _too_narrow(path: Path) -> list[str]:
    wb = openpyxl.load_workbook(path)
    out = []
    for ws in wb.worksheets:
        for table, letter, width, cells in table_columns(ws):
            cells = [x for x in cells if x.data_type != "f"]
            widest = max(len(_shown(x)) for x in cells) if cells else 0
            if width < min(widest, MAX_WIDTH):  # Excel's widest column is 255
                out.append(f"{ws.title}!{letter} ({table.displayName}): {width} < {widest}")
    return out


def test_display_width_is_what_excel_shows() -> None:
    assert display_width(1234.5, "#,##0.000") == len("1,234.500")
    assert display_width(0.255, "0.0%") == len("25.5%")
    assert display_width(-98765.4321, '#,##0.00 "€"') == len("-98,765.43 €")
    assert display_width(dt.datetime(2026, 9, 30, 23, 45), "yyyy-mm-dd hh:mm") == 16
    assert display_width(dt.datetime(2026, 9, 1), "mmmm yyyy") == len("September 2026")
    assert display_width("two\nlines", None) == 5
    assert display_width(None) == 0


def test_a_refreshed_workbooks_columns_fit(srv: MockServer, tmp_path: Path) -> None:
    book = new_workbook(
        tmp_path / "book.xlsx",
        from_=dt.date(2026, 3, 1),
        to=dt.date(2026, 4, 1),
        granularity="quarterhour",
        datasets="volumes, contracts, clicks, positions, invoices",
    )
    refresh_file(book, service=service_for(srv))
    assert _too_narrow(book) == []
    ws = openpyxl.load_workbook(book)["eCore"]  # the last-refresh block: dates and counts
    assert ws.column_dimensions["E"].width >= len("2026-01-31 23:45:00")


def test_the_reports_columns_fit(srv: MockServer, tmp_path: Path) -> None:
    out = tmp_path / "report.xlsx"
    build_report("2026-09", out=out, service=service_for(srv), granularity="quarterhour")
    assert _too_narrow(out) == []


def test_fetch_out_xlsx_columns_fit(srv: MockServer, tmp_path: Path) -> None:
    out = tmp_path / "invoices.xlsx"
    reset_service()
    try:
        result = CliRunner().invoke(cli, ["fetch", "invoices", "--out", str(out)], env=srv.env())
    finally:
        reset_service()
    assert result.exit_code == 0, result.output
    assert _too_narrow(out) == []
    assert len(pd.read_excel(out)) > 0
