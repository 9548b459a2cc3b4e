"""The live writer on a stand-in xlwings book whose writes pass xlwings' real converters."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ecore_xl.errors import EcoreError, UsageError
from ecore_xl.excel import refresh
from ecore_xl.excel.refresh import run_live
from ecore_xl.excel.refresh_book import refresh_book
from ecore_xl.excel.sheets import excel_columns
from ecore_xl.excel.sheets_xlwings import XlwingsWriter, live_rows
from ecore_xl.mock import MockServer
from tests.conftest import service_for
from tests.refresh_fake_excel import FakeBook, name_value, settings_book
from tests.refresh_fixtures import REFRESH_MOCK

MOCK_KW = REFRESH_MOCK  # the srv fixture (conftest.py) serves this mock


def test_frame_values_pass_xlwings_write_pipeline() -> None:
    df = pd.DataFrame(
        {
            "id": ["0042", "=cmd|' /C calc'!A0", "", None],
            "start": pd.to_datetime(
                ["2026-03-01T00:00Z", None, "2026-03-29T01:00Z", "2026-10-25T01:00Z"], utc=True
            ),
            "value": [1.5, np.nan, np.float64(2.25), 3],
            "n": pd.array([1, None, 3, 4], dtype="Int64"),
            "ok": [True, False, None, True],
            "day": [dt.date(2026, 3, 1), None, dt.date(2026, 3, 3), dt.date(2026, 3, 4)],
        }
    )
    book = FakeBook()
    sheet = book.sheets[0]
    sheet.range("A1").value = live_rows(excel_columns(df))  # raw_value asserts COM-safe types
    assert sheet.cell("A1") == "0042"  # text stays text (no number, no lost zeros)
    assert sheet.cell("A2") == "=cmd|' /C calc'!A0" and (2, 1) not in sheet.formulas
    assert sheet.cell("A3") is None and sheet.cell("A4") is None
    assert sheet.cell("B1") == dt.datetime(2026, 3, 1, 0, 0)  # naive UTC
    assert sheet.cell("B2") is None  # NaT -> empty
    assert sheet.cell("C2") is None and sheet.cell("C3") == 2.25
    assert sheet.cell("D2") is None and sheet.cell("D4") == 4
    assert sheet.cell("E2") is False
    assert sheet.cell("F1") == dt.datetime(2026, 3, 1)


def test_every_header_text_is_written_as_text() -> None:
    """A column name the API sends is text in the header row, whatever Excel would make of it."""
    df = pd.DataFrame({"=1+1": [1.0], "\ufeff=2+2": [2.0], "TRUE": [3.0], "0042": [4.0]})
    book = FakeBook()
    writer = XlwingsWriter(book)
    writer.ensure_sheet("Data")
    writer.write_table("Data", df, table_name="tblData")
    (table,) = book.sheets["Data"].tables
    assert table.header_row_range.value == ["=1+1", "\ufeff=2+2", "TRUE", "0042"]
    assert not book.sheets["Data"].formulas


def test_live_refresh_creates_and_resizes_tables(srv: MockServer) -> None:
    book = settings_book(
        **{"from": dt.datetime(2026, 3, 2), "to": dt.datetime(2026, 3, 3)},
        datasets="volumes, contracts",
        granularity="hour",
    )
    svc = service_for(srv)
    report = refresh_book(XlwingsWriter(book), service=svc)
    assert [r.dataset for r in report.results] == ["volumes", "contracts"]
    vol = book.sheets["Volumes"]
    (table,) = vol.tables
    assert table.name == "tblVolumes"
    rows = report.results[0].rows
    assert table.range.shape == (rows + 1, 7)
    header = table.header_row_range.value
    assert header[:4] == ["meterId", "start", "startLocal", "value"]
    assert vol.cell("A1").startswith("eCore volumes: refreshed")
    value_col = header.index("value") + 1
    # a user formula column beside the table and a name on the value column
    top = table.range.row
    last = top + rows
    letter = "D"
    vol.range((top, 8)).value = "double"
    vol.range((top + 1, 8), (last, 8)).formula = f"={letter}{top + 1}*2"
    book.names.add("myValues", f"=Volumes!${letter}${top + 1}:${letter}${last}")
    vol.range((top + 1, value_col), (last, value_col)).number_format = "0.000"

    vs = book.names["ecore.to"].refers_to.lstrip("=").split("!")
    book.sheets[vs[0]].range(vs[1].replace("$", "")).value = dt.datetime(2026, 3, 4)
    book.app.status_history.clear()
    report = refresh_book(XlwingsWriter(book), service=svc, datasets=["volumes"])
    more = report.results[0].rows
    assert more == 2 * rows
    assert table.range.shape == (more + 1, 7)
    new_last = top + more
    assert vol.formulas[(new_last, 8)] == f"={letter}{new_last}*2"
    assert vol.formulas[(top + 1, 8)] == f"={letter}{top + 1}*2"
    assert book.names["myValues"].refers_to == f"=Volumes!${letter}${top + 1}:${letter}${new_last}"
    assert vol.formats[(new_last, value_col)] == "0.000"  # the user's format reaches new rows
    assert vol.formats[(new_last, 2)] == "yyyy-mm-dd hh:mm"
    # progress went to the status bar and the status bar was handed back
    assert any(str(s).startswith("eCore: volumes 1/1") for s in book.app.status_history)
    assert book.app.status_history[-1] is False
    # settings: drop-downs fed by the lists sheet, offline flag readable
    assert book.sheets["eCoreLists"].visible is False
    assert name_value(book, "ecore.offline") is False


def test_cells_in_the_way_are_refused_before_writing(srv: MockServer) -> None:
    book = settings_book(
        **{"from": dt.datetime(2026, 3, 2), "to": dt.datetime(2026, 3, 3)}, datasets="volumes"
    )
    svc = service_for(srv)
    refresh_book(XlwingsWriter(book), service=svc)
    vol = book.sheets["Volumes"]
    (table,) = vol.tables
    below = table.range.row + table.range.shape[0] + 3
    vol.range((below, 1)).value = "my total"
    ref = book.names["ecore.to"].refers_to.lstrip("=").split("!")
    book.sheets[ref[0]].range(ref[1].replace("$", "")).value = dt.datetime(2026, 3, 5)
    shape = table.range.shape
    with pytest.raises(UsageError, match="in the way"):
        refresh_book(XlwingsWriter(book), service=svc)
    assert table.range.shape == shape  # nothing written


def test_run_live_restores_excel_and_reports_errors() -> None:
    book = FakeBook()
    app = book.app

    def fails(_book: object) -> str:
        assert app.screen_updating is False and app.calculation == "manual"
        raise UsageError("Refresh stopped at volumes; nothing was changed. Set ecore.to.")

    shown = run_live(fails, book=book)
    assert shown is not None and shown.startswith("Refresh stopped at volumes")
    assert app.screen_updating is True and app.calculation == "automatic"
    assert app.status_bar is False
    assert app.alerts[-1][2] == "critical"

    def crashes(_book: object) -> str:
        raise RuntimeError("boom")

    shown = run_live(crashes, book=book)
    assert shown is not None and "RuntimeError" in shown
    assert app.screen_updating is True and app.calculation == "automatic"
    assert (
        run_live(lambda _b: "eCore refreshed: nothing.", book=book) == "eCore refreshed: nothing."
    )
    assert app.alerts[-1] == ("eCore refreshed: nothing.", "eCore", "info")


def test_api_errors_surface_with_the_dataset(srv: MockServer) -> None:
    book = settings_book(datasets="contracts, invoices")
    srv.faults.malformed["/invoices"] = "html"
    try:
        with pytest.raises(EcoreError, match="invoices"):
            refresh_book(XlwingsWriter(book), service=service_for(srv, retries=0))
    finally:
        srv.faults.malformed.clear()
    assert "Contracts" not in [s.name for s in book.sheets]  # nothing written


def test_dataset_of_sheet() -> None:
    book = FakeBook()
    writer = XlwingsWriter(book)
    assert refresh.dataset_of_sheet(writer, "Volumes") == "volumes"
    with pytest.raises(UsageError, match="no eCore table"):
        refresh.dataset_of_sheet(writer, "Sheet1")
