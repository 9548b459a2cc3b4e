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
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecore_xl.errors import UsageError
from ecore_xl.excel.refresh_book import RefreshReport, refresh_book
from ecore_xl.excel.workbook_file import load_workbook_file
from ecore_xl.excel.workbook_settings import SETTINGS_SHEET
from ecore_xl.progress import StepCallback

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


def _refreshed_tables(
    path: Path, datasets: Sequence[str] | None, service: DataService | None
) -> set[str]:
    """The tables this refresh rewrites (``datasets``, else the workbook's settings), read
    without loading the workbook's sheets; empty when that cannot be told cheaply (the refresh
    then loads every cell, as it would anyway)."""
    import openpyxl

    from ecore_xl.errors import EcoreError
    from ecore_xl.excel.sheets import OpenpyxlWriter
    from ecore_xl.excel.workbook_settings import read_settings

    try:
        if service is None:
            from ecore_xl.data import get_service

            service = get_service()
        catalogue = service.catalogue
        names = list(datasets or [])
        if not names:
            # our own handle: openpyxl leaves a file it opened by name open when a damaged part
            # stops it (a ResourceWarning whenever the garbage collector gets to it)
            with open(path, "rb") as handle:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    wb = openpyxl.load_workbook(handle, read_only=True, keep_links=False)
                try:
                    names = list(read_settings(OpenpyxlWriter(wb), catalogue).datasets)
                finally:
                    wb.close()
    except Exception:  # a peek only: whatever is wrong with the file, _load says it in one line
        return set()
    tables: set[str] = set()
    for name in names:
        try:
            tables.add(catalogue.get(name.strip()).table)
        except EcoreError:
            continue  # refresh_book names the unknown dataset
    return tables


def _load(path: Path, warnings_out: list[str], skip_tables: set[str] | None = None) -> Any:
    """The workbook at ``path`` (refused in one line when read-only, damaged or protected:
    :mod:`.workbook_file`); the value rows of ``skip_tables`` (which the refresh rewrites) are
    not loaded (:func:`ecore_xl.xlsx.trim.trimmed_package`)."""
    from ecore_xl.xlsx.trim import trimmed_package

    keep_vba = path.suffix.lower() == ".xlsm"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a peek: the load below reports what it finds
        trimmed = trimmed_package(path, skip_tables or set())
    return load_workbook_file(
        path, keep_vba=keep_vba, warnings_out=warnings_out, for_writing=True, package=trimmed
    )


def _save(wb: Any, path: Path, existed: bool) -> None:
    """Replace ``path`` with ``wb`` (inside :func:`~ecore_xl.atomic.hold`: only if nobody
    changed the file since it was read); an existing ``.xlsm``'s macro parts are carried over
    from it byte for byte (:func:`ecore_xl.xlsx.save_workbook`)."""
    from ecore_xl.atomic import atomic_write_path
    from ecore_xl.xlsx import save_workbook

    with atomic_write_path(path) as tmp:
        save_workbook(wb, tmp, source=path if existed else None)


def refresh_file(
    path: str | os.PathLike[str],
    *,
    datasets: Sequence[str] | None = None,
    service: DataService | None = None,
    offline: bool | None = None,
    snapshot_dir: str | os.PathLike[str] | None = None,
    progress: StepCallback | None = None,
) -> RefreshReport:
    """Refresh a workbook file without Excel (a new one when it does not exist), atomically;
    ``progress`` gets each step (:mod:`ecore_xl.progress`)."""
    from openpyxl import Workbook

    from ecore_xl.atomic import hold
    from ecore_xl.excel.sheets import OpenpyxlWriter
    from ecore_xl.xlsx import stream_cells
    from ecore_xl.xlsx.widths import fit_columns

    target = Path(path)
    _check_workbook_path(target)
    notes: list[str] = []
    with hold(target) as guard:  # from the read to the replace: no lost update
        if guard.stamp is None:
            wb = Workbook()
            blank = wb.active
        else:
            wb = _load(target, notes, _refreshed_tables(target, datasets, service))
            blank = None
        stream_cells(wb)
        writer = OpenpyxlWriter(wb)
        report = refresh_book(
            writer,
            datasets=datasets,
            service=service,
            offline=offline,
            snapshot_dir=snapshot_dir,
            progress=progress,
        )
        if blank is not None and len(wb.worksheets) > 1:
            wb.remove(blank)
            wb.active = wb.sheetnames.index(SETTINGS_SHEET)
        settings = wb.defined_names.get("ecore.from")
        written = {r.sheet for r in report.results}
        written |= {sheet for sheet, _ in (settings.destinations if settings is not None else [])}
        for sheet in written & set(wb.sheetnames):
            fit_columns(wb[sheet])
        report.warnings[:0] = notes
        _save(wb, target, guard.stamp is not None)
    return report
