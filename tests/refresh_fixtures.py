"""Helpers for the refresh tests: the mock's size, a user's workbook, file hashes, LibreOffice."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.chart import LineChart, Reference
from openpyxl.styles import Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.table import TableColumn, TableFormula

from ecore_xl.excel.sheets import OpenpyxlWriter
from ecore_xl.excel.workbook_settings import ensure_settings_sheet
from tests.conftest import MOCK_KW

#: the mock of the refresh tests (a module sets ``MOCK_KW = REFRESH_MOCK`` for the srv fixture)
REFRESH_MOCK: dict[str, Any] = {**MOCK_KW, "meters": 4, "years": (2026,)}
SOFFICE = shutil.which("soffice") or "/usr/bin/soffice"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def new_workbook(path: Path, catalogue: Any = None, **settings: Any) -> Path:
    """A workbook with only the eCore sheet (made from ``catalogue``, default: the process-wide
    service's), its named cells set to ``settings``."""
    wb = openpyxl.Workbook()
    blank = wb.active
    ensure_settings_sheet(OpenpyxlWriter(wb), catalogue)
    wb.remove(blank)
    set_settings(wb, **settings)
    wb.save(path)
    return path


def set_settings(wb: Any, **settings: Any) -> None:
    """Set named settings cells (``from_``, ``to``, ``datasets``, ``granularity`` …)."""
    names = {"from_": "ecore.from", "legal_entity": "ecore.legalEntity"}
    for key, value in settings.items():
        name = names.get(key, f"ecore.{key}")
        ((sheet, cell),) = wb.defined_names[name].destinations
        wb[sheet][cell.replace("$", "")].value = value


def table_ref(wb: Any, sheet: str, table: str) -> str:
    return wb[sheet].tables[table].ref


def customise_volumes(path: Path) -> dict[str, Any]:
    """What a user does to the Volumes sheet after the first refresh; returns what to expect."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Volumes"]
    table = ws.tables["tblVolumes"]
    min_col, header, max_col, last = openpyxl.utils.cell.range_boundaries(table.ref)
    names = [c.name for c in table.tableColumns]
    value_col = names.index("value") + min_col
    letter = openpyxl.utils.get_column_letter(value_col)
    first = header + 1
    # 1. formatting of the value column (first data row: the column's template) and its width
    for r in range(first, last + 1):
        cell = ws.cell(row=r, column=value_col)
        cell.number_format = "#,##0.000"
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="FFFFF2CC")
    ws.column_dimensions[letter].width = 21.5
    # 2. a calculated column inside the table: kWh = value * 1000
    kwh_col = max_col + 1
    ws.cell(row=header, column=kwh_col, value="kWh")
    for r in range(first, last + 1):
        ws.cell(row=r, column=kwh_col, value="=tblVolumes[[#This Row],[value]]*1000")
    table.tableColumns.append(
        TableColumn(
            id=len(names) + 1,
            name="kWh",
            calculatedColumnFormula=TableFormula(attr_text="tblVolumes[[#This Row],[value]]*1000"),
        )
    )
    kwh_letter = openpyxl.utils.get_column_letter(kwh_col)
    new_ref = f"{table.ref.split(':')[0]}:{kwh_letter}{last}"
    table.ref = new_ref
    table.autoFilter.ref = new_ref
    # 3. a formula column adjacent to the table (outside it): running total of value
    adj_col = kwh_col + 1
    adj = openpyxl.utils.get_column_letter(adj_col)
    ws.cell(row=header, column=adj_col, value="Running total")
    ws.cell(row=first, column=adj_col, value=f"={letter}{first}")
    for r in range(first + 1, last + 1):
        ws.cell(row=r, column=adj_col, value=f"={adj}{r - 1}+{letter}{r}")
    # 4. a defined name and a chart on the value column
    ref = f"Volumes!${letter}${first}:${letter}${last}"
    wb.defined_names["myValues"] = DefinedName("myValues", attr_text=ref)
    chart = LineChart()
    chart.add_data(
        Reference(ws, min_col=value_col, min_row=header, max_row=last), titles_from_data=True
    )
    ws.add_chart(chart, "M2")
    # 5. another sheet of the user's own, and totals that Excel/LibreOffice compute
    notes = wb.create_sheet("Notes")
    notes["A1"] = "Budget 2026"
    notes["B2"] = 1234.5
    notes["B3"] = dt.datetime(2026, 1, 31, 0, 0)
    notes["B3"].number_format = "dd.mm.yyyy"
    notes["C4"] = "=B2*2"
    summary = wb.create_sheet("Summary")
    summary["A1"] = "Total MWh"
    summary["B1"] = "=SUM(tblVolumes[value])"
    summary["A2"] = "Total by name"
    summary["B2"] = "=SUM(myValues)"
    summary["A3"] = "Total kWh"
    summary["B3"] = "=SUM(tblVolumes[kWh])"
    summary["A4"] = "Last running total"  # volumes are >= 0: the largest is the last
    summary["B4"] = f"=MAX(Volumes!{adj}:{adj})"
    wb.save(path)
    return {
        "value_col": value_col,
        "letter": letter,
        "kwh_col": kwh_col,
        "adj_col": adj_col,
        "header": header,
    }


def sheet_cells(ws: Any) -> dict[str, tuple[Any, str]]:
    """Every non-empty cell's value and number format."""
    return {
        c.coordinate: (c.value, c.number_format)
        for row in ws.iter_rows()
        for c in row
        if c.value is not None
    }


def libreoffice_convert(src: Path, out_dir: Path, fmt: str = "xlsx") -> Path:
    """Open ``src`` in headless LibreOffice (private profile) and save it as ``fmt``."""
    profile = out_dir / "lo-profile"
    cmd = [
        SOFFICE,
        f"-env:UserInstallation=file://{profile}",
        "--headless",
        "--norestore",
        "--convert-to",
        fmt,
        "--outdir",
        str(out_dir),
        str(src),
    ]
    env = {**os.environ, "HOME": str(out_dir)}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env, check=False)
    target = out_dir / f"{src.stem}.{fmt.split(':')[0]}"
    if proc.returncode != 0 or not target.exists():
        raise AssertionError(f"LibreOffice failed ({proc.returncode}): {proc.stdout}{proc.stderr}")
    return target


def assert_tables_consistent(path: Path) -> None:
    """What Excel checks before it offers to "repair" a workbook's tables.

    Header cells equal the column names (text), names and ids are unique, the autofilter covers
    the table, table names are unique in the workbook, and no two tables overlap.
    """
    wb = openpyxl.load_workbook(path)
    seen: set[str] = set()
    for ws in wb.worksheets:
        boxes = []
        for table in ws.tables.values():
            name = table.displayName.casefold()
            assert name not in seen, f"duplicate table {table.displayName}"
            seen.add(name)
            min_col, min_row, max_col, max_row = openpyxl.utils.cell.range_boundaries(table.ref)
            assert max_row > min_row, f"{table.displayName} needs a data row"
            columns = list(table.tableColumns)
            assert len(columns) == max_col - min_col + 1
            assert len({c.id for c in columns}) == len(columns)
            assert len({c.name.casefold() for c in columns}) == len(columns)
            for col, column in zip(range(min_col, max_col + 1), columns, strict=True):
                cell = ws.cell(row=min_row, column=col)
                assert cell.data_type == "s" and cell.value == column.name, (
                    f"{table.displayName}: header {cell.coordinate} {cell.value!r} != "
                    f"{column.name!r}"
                )
            if table.autoFilter is not None:
                assert table.autoFilter.ref == table.ref
            for other in boxes:
                assert (
                    max_col < other[0]
                    or min_col > other[2]
                    or max_row < other[1]
                    or min_row > other[3]
                ), f"{table.displayName} overlaps another table"
            boxes.append((min_col, min_row, max_col, max_row))
