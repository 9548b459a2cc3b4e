"""The streamed cells, read back from the package: every value type as openpyxl would store it,
text never a formula, formula-like text kept exactly with a quote prefix (issue 12's xlsx rule),
and LibreOffice reading the same values."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from ecore_xl.escaping import FORMULA_TRIGGERS, formula_like
from ecore_xl.excel.sheets import write_table
from ecore_xl.xlsx import save_workbook, stream_cells
from tests.conftest import soffice_missing
from tests.refresh_fixtures import libreoffice_convert

HOSTILE = [
    '=HYPERLINK("http://127.0.0.1/x","click")',
    "+1+2",
    "-3",
    "@SUM(A1:A2)",
    "\tTAB",
    "\rCR then text",
    "=1+1",
]
PLAIN = ["Strom Zähler 1", "S&P <Gas> & Strom", "  padded  ", "multi\nline", ""]


FIRST = 4  # a note line, a blank row, the header in row 3, data from row 4


def _frame() -> pd.DataFrame:
    n = len(HOSTILE) + len(PLAIN)
    return pd.DataFrame(
        {
            "text": HOSTILE + PLAIN,
            "mwh": np.linspace(-1.5, 1e9, n),
            "count": np.arange(n, dtype="int64"),
            "when": pd.date_range("2026-10-25 00:00", periods=n, freq="15min", tz="UTC"),
            "day": pd.date_range("1900-02-27", periods=n, freq="D"),
            "flag": [True, False, None, *([True] * (n - 3))],
            "maybe": [1.25, None, np.nan, float("inf"), *([0.1 + 0.2] * (n - 4))],
            "=header": ["x"] * n,
        }
    )


@pytest.fixture
def written(tmp_path: Path) -> tuple[Path, Path]:
    """The same frame by the streaming writer and by openpyxl cells (the reference)."""
    paths = []
    for name, streaming in (("new.xlsx", True), ("old.xlsx", False)):
        wb = openpyxl.Workbook()
        if streaming:
            stream_cells(wb)
        write_table(wb.active, _frame(), table_name="tblHostile", note=["=note line"])
        path = tmp_path / name
        save_workbook(wb, path) if streaming else wb.save(path)
        paths.append(path)
    return paths[0], paths[1]


def test_values_read_back_as_openpyxl_wrote_them(written: tuple[Path, Path]) -> None:
    new, old = (openpyxl.load_workbook(p).active for p in written)
    assert new.max_row == old.max_row and new.max_column == old.max_column
    for row_new, row_old in zip(new.iter_rows(), old.iter_rows(), strict=True):
        for a, b in zip(row_new, row_old, strict=True):
            assert a.number_format == b.number_format, a.coordinate
            if isinstance(b.value, float):  # openpyxl writes %.16g: the last digit may differ
                assert a.value == pytest.approx(b.value, rel=1e-15), a.coordinate
            elif isinstance(a.value, str) and "\r" in a.value:
                # openpyxl's own cells lose a CR to LF with the stdlib's XML writer, keep it with
                # lxml's: the streaming writer keeps it either way
                assert a.value.replace("\r", "\n") == b.value.replace("\r", "\n"), a.coordinate
            else:
                assert a.value == b.value, a.coordinate


def test_text_is_never_a_formula_and_formula_like_text_is_quote_prefixed(
    written: tuple[Path, Path],
) -> None:
    path = written[0]
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        strings = z.read("xl/sharedStrings.xml").decode()
        styles = z.read("xl/styles.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet
    assert "&#13;CR then text" in strings  # the carriage return survives the XML
    ws = openpyxl.load_workbook(path).active
    rows = range(FIRST, FIRST + len(HOSTILE) + len(PLAIN))
    texts = {ws.cell(r, 1).value: ws.cell(r, 1) for r in rows}
    for text in HOSTILE:
        assert texts[text].data_type == "s" and texts[text].quotePrefix, repr(text)
    for text in PLAIN[:-1]:
        assert not texts[text].quotePrefix, repr(text)
    assert ws["H3"].value == "=header" and ws["H3"].quotePrefix  # a header from the API
    assert ws["A1"].value == "=note line" and ws["A1"].data_type == "s"
    assert 'quotePrefix="1"' in styles
    assert set(FORMULA_TRIGGERS) == {t[0] for t in HOSTILE}
    assert all(formula_like(t) for t in HOSTILE)


def test_numbers_and_dates_are_exact(written: tuple[Path, Path]) -> None:
    ws = openpyxl.load_workbook(written[0]).active
    frame = _frame()
    for i in range(len(frame)):
        r = FIRST + i
        assert ws.cell(r, 2).value == frame["mwh"][i]  # repr: the shortest exact text
        assert ws.cell(r, 3).value == i
        assert ws.cell(r, 4).value == frame["when"][i].tz_convert(None).to_pydatetime()
        day = frame["day"][i].to_pydatetime()
        # before 1900-03-01 Excel's serials are off by Excel's phantom 29 Feb 1900: ISO text
        expected = day if day >= dt.datetime(1900, 3, 1) else day.date().isoformat()
        assert ws.cell(r, 5).value == expected
    assert [ws.cell(r, 7).value for r in range(FIRST, FIRST + 4)] == [1.25, None, None, None]
    assert ws.cell(FIRST + 4, 7).value == 0.1 + 0.2  # 0.30000000000000004, not %.16g's 0.3
    assert ws.cell(FIRST, 5).value == "1900-02-27"  # kept as text, with a warning
    assert ws.cell(FIRST + 2, 5).value == dt.datetime(1900, 3, 1)


def test_rows_are_in_order_and_cells_in_column_order(written: tuple[Path, Path]) -> None:
    with zipfile.ZipFile(written[0]) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    rows = [int(r) for r in re.findall(r'<row r="(\d+)"', sheet)]
    assert rows == sorted(rows) and len(rows) == len(set(rows))
    for body in re.findall(r"<row [^>]*>(.*?)</row>", sheet):
        cols = re.findall(r'<c r="([A-Z]+)\d+"', body)
        assert cols == sorted(cols, key=lambda c: (len(c), c))


@pytest.mark.libreoffice
@pytest.mark.skipif(soffice_missing(), reason="LibreOffice (soffice) is not installed")
def test_libreoffice_reads_the_texts_as_texts(written: tuple[Path, Path], tmp_path: Path) -> None:
    csv = libreoffice_convert(written[0], tmp_path, "csv:Text - txt - csv (StarCalc):44,34,76")
    data = pd.read_csv(csv, header=2, keep_default_na=False, encoding="utf-8")
    shown = list(data["text"][: len(HOSTILE)])
    assert shown[:4] == HOSTILE[:4]  # as texts: no HYPERLINK, no sum was evaluated
    assert [t.strip() for t in shown] == [t.strip() for t in HOSTILE]
    assert data["count"].tolist() == list(range(len(data)))
