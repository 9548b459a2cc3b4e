"""write_table on openpyxl sheets: values, layout, resizing and refusals, read back from .xlsx."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.formatting.rule import CellIsRule
from openpyxl.worksheet.filters import FilterColumn, Filters

from ecore_xl.errors import TooManyRowsError, UsageError
from ecore_xl.excel.cell_values import header_names
from ecore_xl.excel.sheets import OpenpyxlWriter, check_table_name, write_table
from tests.refresh_fixtures import assert_tables_consistent


def _frame(n: int = 3) -> pd.DataFrame:
    start = pd.date_range("2026-03-29T00:00Z", periods=n, freq="h")
    return pd.DataFrame(
        {
            "meterId": [f"M{i}" for i in range(n)],
            "start": start,
            "startLocal": start.tz_convert("Europe/Berlin").tz_localize(None),
            "value": np.linspace(0.5, 1.5, n),
        }
    )


def _roundtrip(wb: openpyxl.Workbook, tmp_path: Path, name: str = "t.xlsx") -> Path:
    path = tmp_path / name
    wb.save(path)
    assert_tables_consistent(path)
    return path


def test_values_types_and_formats(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "id": ["0042", '=HYPERLINK("http://x")', None],
            "at": pd.to_datetime(["2026-03-29T01:00Z", None, "2026-10-25T00:30Z"], utc=True),
            "day": pd.to_datetime(["2026-03-01", "2026-03-02", None]),
            "value": [1.25, np.nan, np.inf],
            "count": pd.array([1, None, 3], dtype="Int64"),
            "flag": [True, None, False],
            "ids": [["a", "b"], [], None],
            "bad": ["ok\x00\x07", "x", "y"],
        }
    )
    wb = openpyxl.Workbook()
    ref = write_table(wb.active, df, table_name="tblT", note=["one", "two"])
    assert ref == "A4:H7"
    path = _roundtrip(wb, tmp_path)
    ws = openpyxl.load_workbook(path)["Sheet"]
    assert [ws["A1"].value, ws["A2"].value, ws["A3"].value] == ["one", "two", None]
    assert [c.value for c in ws[4]] == ["id", "at", "day", "value", "count", "flag", "ids", "bad"]
    row1 = [c.value for c in ws[5]]
    assert row1[:4] == ["0042", dt.datetime(2026, 3, 29, 1, 0), dt.datetime(2026, 3, 1), 1.25]
    assert row1[4:] == [1, True, "a, b", "ok"]
    assert ws["B5"].number_format == "yyyy-mm-dd hh:mm" and ws["C5"].number_format == "yyyy-mm-dd"
    assert [c.value for c in ws[6]][1:6] == [None, dt.datetime(2026, 3, 2), None, None, None]
    assert ws["D7"].value is None  # inf is no number Excel can hold
    with zipfile.ZipFile(path) as z:
        sheet_xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml  # text that looks like a formula stays text


def test_empty_frame_makes_a_table_with_one_blank_row(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ref = write_table(wb.active, _frame(0), table_name="tblEmpty")
    assert ref == "A1:D2"
    _roundtrip(wb, tmp_path)


def test_rewrite_with_other_columns_keeps_ids_and_header_style(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    write_table(ws, _frame(5), table_name="tblV", note=["a", "b", "c"])
    ws["D5"].font = openpyxl.styles.Font(color="FFFF0000")  # the user colours the value header
    table = ws.tables["tblV"]
    ids = {c.name: c.id for c in table.tableColumns}
    wide = _frame(2).drop(columns=["startLocal"]).assign(quality="measured")
    ref = write_table(ws, wide, table_name="tblV", note=["x", "y", "z"])
    assert ref == "A5:D7"
    names = [c.name for c in table.tableColumns]
    assert names == ["meterId", "start", "value", "quality"]
    assert {c.name: c.id for c in table.tableColumns}["value"] == ids["value"]
    assert table.tableColumns[-1].id == max(ids.values()) + 1
    assert ws["C5"].font.color.rgb == "FFFF0000"  # the style moved with the column name
    assert ws["E6"].value is None and ws["A8"].value is None  # old cells cleared
    assert [ws["A1"].value, ws["A3"].value] == ["x", "z"]
    _roundtrip(wb, tmp_path)


def test_filters_are_cleared_and_hidden_rows_shown() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    write_table(ws, _frame(4), table_name="tblV")
    table = ws.tables["tblV"]
    table.autoFilter.filterColumn.append(FilterColumn(colId=0, filters=Filters(filter=["M1"])))
    ws.row_dimensions[3].hidden = True
    write_table(ws, _frame(6), table_name="tblV")
    assert table.autoFilter.filterColumn == [] and table.autoFilter.ref == table.ref
    assert not ws.row_dimensions[3].hidden


def test_conditional_formats_and_validations_follow_the_rows() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    write_table(ws, _frame(4), table_name="tblV")
    ws.conditional_formatting.add("D2:D5", CellIsRule(operator="greaterThan", formula=["1"]))
    ws.conditional_formatting.add("H1:H3", CellIsRule(operator="lessThan", formula=["0"]))
    write_table(ws, _frame(9), table_name="tblV")
    ranges = sorted(str(cf.sqref) for cf in ws.conditional_formatting)
    assert ranges == ["D2:D10", "H1:H3"]


def test_refusals() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    write_table(ws, _frame(2), table_name="tblV")
    ws["A6"] = "my total"
    with pytest.raises(UsageError, match=r"A6 is in the way of table tblV"):
        write_table(ws, _frame(8), table_name="tblV")
    assert ws.tables["tblV"].ref == "A1:D3"  # nothing changed
    other = wb.create_sheet("Other")
    with pytest.raises(UsageError, match="is on sheet 'Sheet'"):
        write_table(other, _frame(2), table_name="TBLV")
    with pytest.raises(TooManyRowsError, match="do not fit"):
        write_table(other, _frame(12), table_name="tblBig", anchor="A1048570")
    with pytest.raises(UsageError, match="has no columns"):
        write_table(other, pd.DataFrame(index=range(3)), table_name="tblNone")
    write_table(other, _frame(2), table_name="tblO", anchor="B2")
    with pytest.raises(UsageError, match="in the way of table tblP"):
        write_table(other, _frame(2), table_name="tblP", anchor="A1")


@pytest.mark.parametrize("name", ["A1", "R1C1", "1abc", "has space", "", "x" * 256])
def test_bad_table_names(name: str) -> None:
    with pytest.raises(UsageError, match="cannot be an Excel table name"):
        check_table_name(name)


def test_header_names_are_unique_text() -> None:
    assert header_names(["a", "A", None, "", ("x", "y"), 3, "a\nb"]) == [
        "a", "A_2", "None", "Column4", "x y", "3", "a b",
    ]  # fmt: skip


def test_writer_protocol_cells_names_lists(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    w = OpenpyxlWriter(wb)
    assert w.ensure_sheet("L", hidden=True) and not w.ensure_sheet("L")
    ref = w.write_column("L", "B2", ["x", "=y", 3], clear=2)
    assert ref == "$B$2:$B$4"
    w.define_name("lstX", f"L!{ref}")
    w.set_list_validation("Sheet", "A1", "=lstX", prompt="pick")
    w.write_cells("Sheet", {"C1": dt.date(2026, 1, 2)}, fmt={"C1": "yyyy-mm-dd"})
    path = _roundtrip(wb, tmp_path)
    back = openpyxl.load_workbook(path)
    assert back["L"].sheet_state == "hidden"
    assert [c.value for c in back["L"]["B"][1:4]] == ["x", "=y", 3]
    assert back["L"]["B3"].data_type == "s"
    assert back.defined_names["lstX"].attr_text == "L!$B$2:$B$4"
    (dv,) = back["Sheet"].data_validations.dataValidation
    assert dv.formula1 == "=lstX" and "A1" in dv.sqref
    assert OpenpyxlWriter(back).read_cells("Sheet", ["C1"]) == [dt.datetime(2026, 1, 2)]


# ---- values Excel cannot hold exactly: kept as text, with a warning (issue 12) --------------


def test_values_excel_cannot_hold_are_kept_as_text(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    df = pd.DataFrame(
        {
            "id": [12345678901234567890123, 7],  # object column of Python ints
            "counter": np.array([2**53 + 1, 1], dtype="int64"),
            "day": pd.to_datetime(["1899-12-31", "2026-03-01"]),
            "when": [dt.datetime(1900, 2, 28, 12, 0), dt.datetime(2026, 3, 1, 6, 0)],
            "note": ["x" * 40_000, "short"],
        }
    )
    wb = openpyxl.Workbook()
    write_table(wb.active, df, table_name="tblOdd")
    path = tmp_path / "odd.xlsx"
    wb.save(path)
    ws = openpyxl.load_workbook(path).active
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2, max_row=3)]
    assert rows[0][:4] == [
        "12345678901234567890123", str(2**53 + 1), "1899-12-31", "1900-02-28 12:00:00",
    ]  # fmt: skip
    assert len(rows[0][4]) == 32_767 and rows[0][4].endswith("…")
    assert rows[1][:2] == [7, 1]  # the others stay numbers and dates
    assert rows[1][2] == dt.datetime(2026, 3, 1)
    for column in ("id", "counter", "day", "when", "note"):
        assert f"Column {column!r}:" in caplog.text
