"""Charts follow a table that write_table resizes, also from a one-row table (read back as .xlsx).

Excel writes a series of a one-row table as one cell (``'Volumes'!$B$2``): that cell stands for
the column and must stretch with it. A single cell elsewhere — a series title, a defined name, a
series on the first row of a longer table, a cell outside the table — is meant as one cell and
only moves with its column.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.workbook.defined_name import DefinedName

from ecore_xl.excel.sheets import write_table
from tests.refresh_fixtures import assert_tables_consistent


def _frame(n: int, columns: tuple[str, ...] = ("meterId", "value", "price")) -> pd.DataFrame:
    data = {
        "meterId": [f"MTR-{i:04d}" for i in range(n)],
        "value": np.linspace(1.0, 2.0, n),
        "price": np.linspace(50.0, 60.0, n),
    }
    return pd.DataFrame({c: data[c] for c in columns})


def _reload(wb: openpyxl.Workbook, path: Path) -> openpyxl.Workbook:
    wb.save(path)
    assert_tables_consistent(path)
    return openpyxl.load_workbook(path)


def _refs(wb: openpyxl.Workbook, sheet: str) -> list[tuple[str | None, str | None, str]]:
    """(title, categories, values) of every series of every chart on ``sheet``."""
    out = []
    for chart in wb[sheet]._charts:
        for series in chart.series:
            tx = series.tx.strRef.f if series.tx is not None and series.tx.strRef else None
            cat = series.cat.numRef or series.cat.strRef if series.cat is not None else None
            out.append((tx, cat.f if cat is not None else None, series.val.numRef.f))
    return out


def _one_row_book(tmp_path: Path) -> openpyxl.Workbook:
    """A one-row table on 'Volumes' with a bar chart beside it and a line chart on 'Charts',
    their series on single cells (as Excel writes them), saved and read back."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Volumes"
    write_table(ws, _frame(1), table_name="tblVolumes")
    bar = BarChart()
    bar.add_data(Reference(ws, min_col=2, min_row=1, max_row=2), titles_from_data=True)
    bar.set_categories(Reference(ws, min_col=1, min_row=2, max_row=2))
    ws.add_chart(bar, "H2")
    line = LineChart()
    line.add_data(Reference(ws, min_col=3, min_row=1, max_row=2), titles_from_data=True)
    wb.create_sheet("Charts").add_chart(line, "A1")
    wb = _reload(wb, tmp_path / "one.xlsx")
    assert _refs(wb, "Volumes") == [("'Volumes'!B1", "'Volumes'!$A$2", "'Volumes'!$B$2")]
    assert _refs(wb, "Charts") == [("'Volumes'!C1", None, "'Volumes'!$C$2")]
    return wb


def test_a_series_on_one_cell_of_a_one_row_table_stretches_to_the_new_rows(
    tmp_path: Path,
) -> None:
    wb = _one_row_book(tmp_path)
    write_table(wb["Volumes"], _frame(40), table_name="tblVolumes")
    wb = _reload(wb, tmp_path / "many.xlsx")
    assert wb["Volumes"].tables["tblVolumes"].ref == "A1:C41"
    assert _refs(wb, "Volumes") == [
        ("'Volumes'!B1", "'Volumes'!$A$2:$A$41", "'Volumes'!$B$2:$B$41")
    ]
    assert _refs(wb, "Charts") == [("'Volumes'!C1", None, "'Volumes'!$C$2:$C$41")]
    # ... and back to one row: the ranges shrink to the one row (a range, which Excel accepts)
    write_table(wb["Volumes"], _frame(1), table_name="tblVolumes")
    wb = _reload(wb, tmp_path / "again.xlsx")
    assert _refs(wb, "Charts") == [("'Volumes'!C1", None, "'Volumes'!$C$2:$C$2")]


def test_the_stretched_series_follows_its_column_when_columns_move(tmp_path: Path) -> None:
    wb = _one_row_book(tmp_path)
    write_table(wb["Volumes"], _frame(5, ("price", "meterId", "value")), table_name="tblVolumes")
    wb = _reload(wb, tmp_path / "moved.xlsx")
    assert _refs(wb, "Volumes") == [("'Volumes'!C1", "'Volumes'!$B$2:$B$6", "'Volumes'!$C$2:$C$6")]
    assert _refs(wb, "Charts") == [("'Volumes'!A1", None, "'Volumes'!$A$2:$A$6")]


def test_a_single_cell_meant_as_one_cell_is_not_stretched(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Volumes"
    write_table(ws, _frame(1), table_name="tblOne")  # A1:C2
    write_table(ws, _frame(3), table_name="tblThree", anchor="A10")  # A10:C13
    ws["F2"] = 7.0
    chart = BarChart()
    for col, row in ((2, 11), (6, 2)):  # the first row of a longer table; a cell off the table
        chart.add_data(Reference(ws, min_col=col, min_row=row, max_row=row))
    ws.add_chart(chart, "H2")
    wb.defined_names["FirstValue"] = DefinedName("FirstValue", attr_text="'Volumes'!$B$2")
    wb = _reload(wb, tmp_path / "cells.xlsx")
    write_table(wb["Volumes"], _frame(5), table_name="tblOne")  # A1:C6, below stays put
    write_table(wb["Volumes"], _frame(4), table_name="tblThree", anchor="A10")
    wb = _reload(wb, tmp_path / "after.xlsx")
    assert wb["Volumes"].tables["tblOne"].ref == "A1:C6"
    assert [v for _, _, v in _refs(wb, "Volumes")] == ["'Volumes'!$B$11", "'Volumes'!$F$2"]
    assert wb.defined_names["FirstValue"].attr_text == "'Volumes'!$B$2"


def test_a_shrinking_table_with_moved_columns_moves_each_series_once(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Volumes"
    write_table(ws, _frame(40), table_name="tblVolumes")
    chart = LineChart()
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=41), titles_from_data=True)
    ws.add_chart(chart, "H2")
    wb = _reload(wb, tmp_path / "long.xlsx")
    write_table(wb["Volumes"], _frame(5, ("price", "meterId", "value")), table_name="tblVolumes")
    wb = _reload(wb, tmp_path / "short.xlsx")
    assert _refs(wb, "Volumes") == [("'Volumes'!C1", None, "'Volumes'!$C$2:$C$6")]
