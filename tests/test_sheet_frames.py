"""What a refreshed sheet shows (``excel/sheet_frames.py``) and the settings sheet's look, through
the three writers: the headless refresh read back from the file, the xlwings writer on the
stand-in book, and the Office.js plan's operations."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.cell import range_boundaries

from ecore_xl.catalogue import builtin_catalogue
from ecore_xl.excel.headless import refresh_file
from ecore_xl.excel.refresh_book import refresh_book
from ecore_xl.excel.sheet_frames import last_day_name, sheet_frame, with_exploded
from ecore_xl.excel.sheets import CELL_STYLES
from ecore_xl.excel.sheets_xlwings import XlwingsWriter
from ecore_xl.excel.workbook_settings import ensure_settings_sheet
from ecore_xl.mock import MockServer
from ecore_xl.serve.workbook_plan import PlanWriter
from tests.conftest import service_for
from tests.refresh_fake_excel import FakeBook
from tests.refresh_fixtures import REFRESH_MOCK, new_workbook

MOCK_KW = REFRESH_MOCK  # the srv fixture (conftest.py) serves this mock
MARCH = {"from_": dt.date(2026, 3, 1), "to": dt.date(2026, 4, 1), "granularity": "day"}


def _table(ws: openpyxl.worksheet.worksheet.Worksheet, name: str) -> list[dict[str, object]]:
    c1, r1, c2, r2 = range_boundaries(ws.tables[name].ref)
    rows = list(ws.iter_rows(min_row=r1, max_row=r2, min_col=c1, max_col=c2, values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


@pytest.fixture(scope="module")
def refreshed(srv: MockServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workbook whose 'Refresh all' names invoices and contracts (not the invoice lines)."""
    book = new_workbook(
        tmp_path_factory.mktemp("frames") / "book.xlsx", **MARCH, datasets="invoices, contracts"
    )
    refresh_file(book, service=service_for(srv))
    return book


def test_invoice_lines_are_their_own_table_never_json_text(
    srv: MockServer, refreshed: Path
) -> None:
    svc = service_for(srv)
    march = {"from": "2026-03-01", "to": "2026-04-01"}
    invoices = svc.fetch("invoices", **march)
    wb = openpyxl.load_workbook(refreshed)
    shown = _table(wb["Invoices"], "tblInvoices")
    assert "lines" not in shown[0]
    assert len(shown) == len(invoices) > 0
    lines = _table(wb["InvoiceLines"], "tblInvoiceLines")
    expected = svc.fetch("invoice-lines", **march)
    assert set(expected["invoiceId"]) == set(invoices["id"])
    assert len(lines) == len(expected) > len(invoices)
    assert [(r["invoiceId"], r["component"], r["amount"]) for r in lines] == [
        (i, c, pytest.approx(a))
        for i, c, a in zip(expected["invoiceId"], expected["component"], expected["amount"],
                           strict=True)
    ]  # fmt: skip
    # invoice lines are formatted like the catalogue says; no cell anywhere holds a JSON list
    ws = wb["InvoiceLines"]
    c1, r1, _, _ = range_boundaries(ws.tables["tblInvoiceLines"].ref)
    header = [c.value for c in ws[r1]]
    amount = ws.cell(r1 + 1, c1 + header.index("amount"))
    assert amount.number_format == builtin_catalogue().get("invoice-lines").number_formats()[
        "amount"
    ]
    for sheet in wb.worksheets:
        for row in sheet.iter_rows(values_only=True):
            assert not any(isinstance(v, str) and v.lstrip().startswith(("[{", "{\"")) for v in row)
    # the last-refresh block names the lines' table too
    assert ("invoice-lines", "InvoiceLines", "tblInvoiceLines") in {
        tuple(r[:3]) for r in wb["eCore"].iter_rows(values_only=True)
    }


def test_period_ends_read_as_the_last_day_and_no_instant_moves(
    srv: MockServer, refreshed: Path
) -> None:
    svc = service_for(srv)
    invoices = svc.fetch("invoices", **{"from": "2026-03-01", "to": "2026-04-01"})
    wb = openpyxl.load_workbook(refreshed)
    shown = _table(wb["Invoices"], "tblInvoices")
    header = list(shown[0])
    assert header.index("periodLastDay") == header.index("periodEnd") + 1
    for row, end in zip(shown, invoices["periodEnd"], strict=True):
        assert row["periodEnd"].date() == pd.Timestamp(end).date()  # exclusive, as the data layer
        assert row["periodLastDay"].date() == pd.Timestamp(end).date() - dt.timedelta(days=1)
    march = [r for r in shown if r["periodStart"].date() == dt.date(2026, 3, 1)]
    assert march and {r["periodLastDay"].date() for r in march} == {dt.date(2026, 3, 31)}
    ws = wb["Invoices"]
    c1, r1, _, _ = range_boundaries(ws.tables["tblInvoices"].ref)
    assert ws.cell(r1 + 1, c1 + header.index("periodLastDay")).number_format == "yyyy-mm-dd"
    contracts = _table(wb["Contracts"], "tblContracts")
    assert all(
        r["deliveryLastDay"].date() == r["deliveryEnd"].date() - dt.timedelta(days=1)
        for r in contracts
    )


def test_sheet_frame_keeps_timestamps_and_the_frame() -> None:
    catalogue = builtin_catalogue()
    ds = catalogue.get("invoices")
    df = pd.DataFrame(
        {
            "id": ["INV-1"],
            "periodEnd": [dt.date(2026, 4, 1)],
            "issueDate": [dt.date(2026, 4, 8)],
            "lines": [[{"component": "energy", "amount": 1.0}]],
        }
    )
    out = sheet_frame(catalogue, ds, df)
    assert list(out.columns) == ["id", "periodEnd", "periodLastDay", "issueDate"]
    assert list(df.columns) == ["id", "periodEnd", "issueDate", "lines"]  # not changed
    assert out["periodLastDay"][0] == pd.Timestamp(2026, 3, 31)
    assert last_day_name("validTo") == "validLastDay" and last_day_name("end") == "endLastDay"
    volumes = catalogue.get("volumes")
    frame = pd.DataFrame({"start": pd.to_datetime(["2026-03-29T01:00Z"], utc=True)})
    assert sheet_frame(catalogue, volumes, frame) is frame  # instants: nothing added or moved
    names = [d.name for d in with_exploded(catalogue, [ds, catalogue.get("contracts")])]
    assert names == ["invoices", "invoice-lines", "contracts"]
    both = [ds, catalogue.get("invoice-lines")]
    assert [d.name for d in with_exploded(catalogue, both)] == ["invoices", "invoice-lines"]


def _styles_of(cell: openpyxl.cell.Cell) -> dict[str, object]:
    return {"bold": bool(cell.font.b), "italic": bool(cell.font.i), "size": cell.font.sz,
            "fill": cell.fill.fgColor.rgb[-6:] if cell.fill.fill_type else None}  # fmt: skip


def test_the_settings_sheet_is_laid_out(refreshed: Path) -> None:
    ws = openpyxl.load_workbook(refreshed)["eCore"]
    assert ws["A1"].value == "eCore settings"
    assert _styles_of(ws["A1"])["bold"] and _styles_of(ws["A1"])["size"] == 14
    assert _styles_of(ws["A2"])["italic"]
    assert [c.value for c in ws[4][:3]] == ["Setting", "Value", "What it means"]
    assert {_styles_of(c)["fill"] for c in ws[4][:3]} == {CELL_STYLES["header"].fill}
    labels = [ws.cell(r, 1) for r in range(5, 15)]
    assert all(c.value and _styles_of(c)["bold"] for c in labels)
    assert all(_styles_of(ws.cell(r, 3))["italic"] for r in range(5, 15))
    (block,) = [r for r in range(1, 40) if ws.cell(r, 1).value == "Dataset"]
    assert _styles_of(ws.cell(block, 1))["fill"] == CELL_STYLES["header"].fill
    # values and the last-refresh block fit their columns (help texts run on into empty cells)
    for col in ("A", "B"):
        width = ws.column_dimensions[col].width
        longest = max(len(str(c.value)) for c in ws[col][3:] if c.value is not None)
        assert width >= longest, col


def test_xlwings_refresh_writes_lines_and_styles(srv: MockServer) -> None:
    book = FakeBook()
    writer = XlwingsWriter(book)
    ensure_settings_sheet(writer)
    for key, value in {"from": dt.datetime(2026, 3, 1), "to": dt.datetime(2026, 4, 1),
                       "datasets": "invoices"}.items():  # fmt: skip
        sheet, cell = book.names[f"ecore.{key}"].refers_to.lstrip("=").split("!")
        book.sheets[sheet].range(cell.replace("$", "")).value = value
    report = refresh_book(XlwingsWriter(book), service=service_for(srv))
    assert [r.dataset for r in report.results] == ["invoices", "invoice-lines"]
    (table,) = book.sheets["InvoiceLines"].tables
    assert table.header_row_range.value[:2] == ["invoiceId", "component"]
    assert table.range.shape[0] == report.results[1].rows + 1 > 1
    header = book.sheets["Invoices"].tables[0].header_row_range.value
    assert "lines" not in header and "periodLastDay" in header
    # number columns carry the catalogue's formats (one place: Field.fmt), dates theirs
    catalogue = builtin_catalogue()
    checked = 0
    for name, sheet in (("invoices", "Invoices"), ("invoice-lines", "InvoiceLines")):
        ws = book.sheets[sheet]
        (tbl,) = ws.tables
        top, left = tbl.range.row, tbl.range.column
        names = tbl.header_row_range.value
        expected = {**catalogue.get(name).number_formats(), "periodLastDay": "yyyy-mm-dd"}
        for column, fmt in expected.items():
            if column in names:
                col = left + names.index(column)
                rows = range(top + 1, top + tbl.range.shape[0])
                assert {ws.formats.get((r, col)) for r in rows} == {fmt}, column
                checked += 1
    assert checked >= 8
    styles = book.sheets["eCore"].styles
    assert styles[(1, 1)]["font.bold"] is True and styles[(1, 1)]["font.size"] == 14
    assert styles[(4, 1)]["fill"] == (0xD9, 0xE1, 0xF2)
    # every column as wide as its longest text: the tables, and the settings sheet's labels,
    # values and last-refresh block (not the title and help texts, which run on)
    settings = book.sheets["eCore"].values
    block = next(r for (r, c), v in sorted(settings.items()) if c == 1 and v == "Dataset")
    for sheet in ("Invoices", "InvoiceLines", "eCore"):
        ws = book.sheets[sheet]
        first = 4 if sheet == "eCore" else 5
        for (r, c), value in ws.values.items():
            runs_on = sheet == "eCore" and c == 3 and r < block  # a help text
            if r >= first and isinstance(value, str) and not runs_on:
                assert ws.range((r, c)).column_width >= len(value), (sheet, r, c, value)
    # a column the user widened keeps its width
    book.sheets["InvoiceLines"].range("B1").column_width = 60
    refresh_book(XlwingsWriter(book), service=service_for(srv))
    assert book.sheets["InvoiceLines"].range("B1").column_width == 60


def test_office_plan_styles_the_new_settings_sheet() -> None:
    writer = PlanWriter({"sheets": []})
    ensure_settings_sheet(writer)
    styles = [op for op in writer.ops if op["op"] == "style"]
    header = next(op for op in styles if "B4" in op["refs"])
    assert header == {"op": "style", "sheet": "eCore", "refs": ["A4", "B4", "C4"], "bold": True,
                      "italic": False, "size": None, "color": None, "fill": "#D9E1F2"}  # fmt: skip
    assert writer.ops.index(styles[0]) > next(
        i for i, op in enumerate(writer.ops) if op["op"] == "writeCells"
    )  # styled after the cells are written
