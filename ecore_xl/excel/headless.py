"""Refresh a workbook file without Excel: load with openpyxl, refresh, save atomically.

:func:`refresh_file` runs the shared :func:`~ecore_xl.excel.refresh_book.refresh_book` on an
openpyxl workbook: a new workbook when the file does not exist, ``.xlsm`` macros kept, a file open
in Excel or LibreOffice, read-only, damaged or protected refused (:mod:`.workbook_file`), and an
atomic save under the writer lock held from the read on (:mod:`ecore_xl.atomic`): a crash or a
failed fetch leaves the original byte-identical, and two refreshes of one file run one after the
other instead of one silently undoing the other.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecore_xl.errors import UsageError
from ecore_xl.excel.refresh_book import RefreshReport, refresh_book
from ecore_xl.excel.workbook_file import load_workbook_file
from ecore_xl.excel.workbook_settings import SETTINGS_SHEET

if TYPE_CHECKING:
    from ecore_xl.data import DataService

__all__ = ["WORKBOOK_SUFFIXES", "refresh_file"]

#: the workbook files a refresh or a snapshot reads
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def _check_workbook_path(path: Path) -> None:
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        raise UsageError(
            f"{path.name}: only .xlsx and .xlsm workbooks can be refreshed (save it as an Excel "
            "workbook first)."
        )


def _save(wb: Any, path: Path) -> None:
    """Replace ``path`` with ``wb`` (inside :func:`~ecore_xl.atomic.hold`: only if nobody
    changed the file since it was read)."""
    from ecore_xl.atomic import atomic_write_path

    with atomic_write_path(path) as tmp:
        wb.save(tmp)


def refresh_file(
    path: str | os.PathLike[str],
    *,
    datasets: Sequence[str] | None = None,
    service: DataService | None = None,
    offline: bool | None = None,
    snapshot_dir: str | os.PathLike[str] | None = None,
) -> RefreshReport:
    """Refresh a workbook file without Excel (a new one when it does not exist), atomically."""
    from openpyxl import Workbook

    from ecore_xl.atomic import hold
    from ecore_xl.excel.sheets import OpenpyxlWriter

    target = Path(path)
    _check_workbook_path(target)
    notes: list[str] = []
    with hold(target) as guard:  # from the read to the replace: no lost update
        if guard.stamp is None:
            wb = Workbook()
            blank = wb.active
        else:
            wb = load_workbook_file(target, keep_vba=target.suffix.lower() == ".xlsm",
                                    warnings_out=notes, for_writing=True)  # fmt: skip
            blank = None
        writer = OpenpyxlWriter(wb)
        report = refresh_book(
            writer, datasets=datasets, service=service, offline=offline, snapshot_dir=snapshot_dir
        )
        if blank is not None and len(wb.worksheets) > 1:
            wb.remove(blank)
            wb.active = wb.sheetnames.index(SETTINGS_SHEET)
        report.warnings[:0] = notes
        _save(wb, target)
    return report
