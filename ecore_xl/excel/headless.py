"""Refresh a workbook file without Excel: load with openpyxl, refresh, save atomically.

:func:`refresh_file` runs the shared :func:`~ecore_xl.excel.refresh_book.refresh_book` on an
openpyxl workbook: a new workbook when the file does not exist, ``.xlsm`` macros kept, a file open
in Excel or LibreOffice refused, and an atomic save, so a crash or a failed fetch leaves the
original byte-identical.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecore_xl.errors import UsageError
from ecore_xl.excel.refresh_book import RefreshReport, refresh_book
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
    for lock in (path.with_name("~$" + path.name), path.with_name(f".~lock.{path.name}#")):
        if lock.exists():
            raise UsageError(
                f"{path.name} is open in Excel or LibreOffice (lock file {lock.name}): close it "
                "there, or use the eCore ribbon's Refresh inside Excel."
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
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                wb = openpyxl.load_workbook(path, read_only=True, keep_links=False)
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
    """The workbook at ``path``; the value rows of ``skip_tables`` (which the refresh rewrites)
    are not loaded (:func:`ecore_xl.xlsx.trim.trimmed_package`)."""
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    from ecore_xl.xlsx.trim import trimmed_package

    keep_vba = path.suffix.lower() == ".xlsm"
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            source: Any = trimmed_package(path, skip_tables or set()) or path
            wb = openpyxl.load_workbook(source, keep_vba=keep_vba, keep_links=True)
    except PermissionError:
        raise UsageError(
            f"{path.name} cannot be read (permission denied or locked): close it in Excel and "
            "check you may write to it."
        ) from None
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        raise UsageError(
            f"{path.name} is not a readable .xlsx/.xlsm workbook ({type(exc).__name__}): open "
            "and re-save it in Excel, or give another file."
        ) from None
    for w in caught:
        warnings_out.append(f"openpyxl: {w.message}")
    return wb


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_mtime_ns, st.st_size


def _save(wb: Any, path: Path, before: tuple[int, int] | None) -> None:
    from ecore_xl.atomic import atomic_write_path

    if _stamp(path) != before:
        raise UsageError(
            f"{path.name} was changed by someone else during the refresh: nothing was saved. "
            "Refresh again."
        )
    from ecore_xl.xlsx import save_workbook

    try:
        with atomic_write_path(path) as tmp:
            save_workbook(wb, tmp, source=path if before is not None else None)
    except PermissionError:
        raise UsageError(
            f"{path.name} cannot be replaced (it is open in Excel, or read-only): close it and "
            "refresh again. The file is unchanged."
        ) from None


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

    from ecore_xl.excel.sheets import OpenpyxlWriter
    from ecore_xl.xlsx import stream_cells
    from ecore_xl.xlsx.widths import fit_columns

    target = Path(path)
    _check_workbook_path(target)
    notes: list[str] = []
    before = _stamp(target)
    if before is None:
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
    _save(wb, target, before)
    return report
