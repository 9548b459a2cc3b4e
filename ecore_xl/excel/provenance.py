"""A values-only copy of a workbook to send to someone without the add-in, with its provenance.

:func:`snapshot_book` replaces ``ECORE_*`` formulas with their saved values and adds a
Provenance sheet (the last-refresh block and every replaced formula); :func:`snapshot_file` does
it from a saved ``.xlsx``/``.xlsm`` into a new ``.xlsx`` (no macros), written atomically.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from ecore_xl.errors import UsageError
from ecore_xl.excel.headless import WORKBOOK_SUFFIXES
from ecore_xl.excel.openpyxl_cells import keep_text
from ecore_xl.excel.workbook_settings import read_last_refresh

__all__ = ["PROVENANCE_SHEET", "snapshot_book", "snapshot_file"]

PROVENANCE_SHEET = "Provenance"


def _is_ecore_formula(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("=") and "ECORE_" in value.upper()


def snapshot_book(wb: Any, values: Any, *, now: dt.datetime | None = None) -> list[str]:
    """Replace ``ECORE_*`` formulas in ``wb`` with the cached results in ``values`` (the same
    file loaded ``data_only=True``) and add a Provenance sheet; returns cells without a value.
    """
    from ecore_xl import __version__
    from ecore_xl.excel.sheets import OpenpyxlWriter

    formulas: list[tuple[str, str]] = []
    missing: list[str] = []
    for ws in wb.worksheets:
        cached = values[ws.title]
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type != "f" or not _is_ecore_formula(cell.value):
                    continue
                where = f"{ws.title}!{cell.coordinate}"
                formulas.append((where, cell.value))
                value = cached[cell.coordinate].value
                if value is None:
                    missing.append(where)
                cell.value = value
                if isinstance(value, str):
                    cell.data_type = "s"
    writer = OpenpyxlWriter(wb)
    try:
        entries = read_last_refresh(writer)
    except UsageError:
        entries = []
    if PROVENANCE_SHEET in wb.sheetnames:
        del wb[PROVENANCE_SHEET]
    ws = wb.create_sheet(PROVENANCE_SHEET)
    stamp = now or dt.datetime.now(dt.UTC)
    ws.append(["eCore data provenance"])
    ws.append(
        [
            f"Values only: made {stamp:%Y-%m-%d %H:%M} UTC by ecore_xl {__version__}; no add-in "
            "is needed to read this workbook."
        ]
    )
    ws.append([])
    ws.append(["Dataset", "Sheet", "Table", "Rows", "Fetched (UTC)", "Fetched (local)",
               "Filters", "Source"])  # fmt: skip
    for entry in entries:
        ws.append(entry.values())
        for cell in ws[ws.max_row][4:6]:
            cell.number_format = "yyyy-mm-dd hh:mm:ss"
    if formulas:
        ws.append([])
        ws.append(["Cell", "Formula (replaced by its value)"])
        for where, formula in formulas:
            ws.append([where, formula])
            keep_text(ws.cell(row=ws.max_row, column=2))
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["G"].width = 60
    from ecore_xl.xlsx.widths import fit_columns

    fit_columns(ws)
    return missing


def snapshot_file(
    source: str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    now: dt.datetime | None = None,
) -> tuple[Path, list[str]]:
    """Write a values-only copy of a saved workbook (``.xlsx``, no macros); returns the path and
    the cells whose formula had no saved value (open and save the workbook in Excel first).
    """
    src = Path(source)
    if not src.exists():
        raise UsageError(f"{src} does not exist.")
    if src.suffix.lower() not in WORKBOOK_SUFFIXES:
        raise UsageError(f"{src.name}: a snapshot needs an .xlsx or .xlsm workbook.")
    stamp = now or dt.datetime.now(dt.UTC)
    target = Path(out) if out else src.with_name(f"{src.stem} snapshot {stamp:%Y-%m-%d %H%M}.xlsx")
    if target.suffix.lower() != ".xlsx":
        raise UsageError(f"{target.name}: a snapshot is saved as .xlsx (no macros).")
    from ecore_xl.excel.workbook_file import load_workbook_file

    # what openpyxl warns about (extensions it drops) is no value: not collected here
    wb = load_workbook_file(src, keep_links=False)
    values = load_workbook_file(src, data_only=True, keep_links=False)
    missing = snapshot_book(wb, values, now=stamp)
    from ecore_xl.atomic import atomic_write_path
    from ecore_xl.xlsx import save_workbook

    with atomic_write_path(target) as tmp:
        save_workbook(wb, tmp)
    return target, missing
