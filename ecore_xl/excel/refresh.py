"""The macros the eCore ribbon calls: each button's Python, run in live Excel through xlwings.

The add-in's VBA (``install/eCoreRibbon.bas``) runs ``import ecore_xl.excel.refresh as r;
r.refresh_all()`` and the like through xlwings ``RunPython``: this module's name and its
functions without arguments (``refresh_all``, ``refresh_sheet``, …) are fixed by every add-in
already built, so they stay here. Each runs in a fresh Python process per click, finds the
calling workbook with ``xlwings.Book.caller()`` (or takes ``book=``: tests pass a stand-in),
shows errors in a message box and writes the full detail to ``log_dir()/excel-refresh.log``.

The work itself is elsewhere: :func:`~ecore_xl.excel.refresh_book.refresh_book` (the shared,
all-or-nothing refresh), :mod:`ecore_xl.excel.headless` (the same on a file, without Excel) and
:mod:`ecore_xl.excel.provenance` (values-only snapshots).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecore_xl.errors import EcoreError, UsageError
from ecore_xl.excel.provenance import snapshot_file
from ecore_xl.excel.refresh_book import refresh_book
from ecore_xl.excel.workbook_settings import (
    SETTINGS_SHEET,
    WorkbookSettings,
    ensure_settings_sheet,
    read_settings,
)
from ecore_xl.progress import Step, status_text

if TYPE_CHECKING:
    from ecore_xl.catalogue import Catalogue
    from ecore_xl.excel.sheets import SheetWriter

__all__ = [
    "check_connection",
    "monthly_report",
    "refresh_all",
    "refresh_dataset",
    "refresh_sheet",
    "set_offline",
    "show_settings",
    "snapshot",
    "toggle_offline",
]

log = logging.getLogger("ecore_xl.excel.refresh")

LOG_FILE_NAME = "excel-refresh.log"
_log_file: tuple[Any, Path] | None = None  # (attached handler, its path)


def _setup_log() -> Path | None:
    """The macros' own rotating log file (the UDF server keeps its own open on Windows)."""
    global _log_file
    from ecore_xl.config import log_dir
    from ecore_xl.excel.logsetup import attach_handler, detach_handler, open_log_file

    path = log_dir() / LOG_FILE_NAME
    if _log_file is not None and _log_file[1] == path:
        return path
    if _log_file is not None:  # the log folder changed (a new profile, a test)
        detach_handler(_log_file[0])
        _log_file[0].close()
        _log_file = None
    handler = open_log_file(LOG_FILE_NAME)
    if handler is None:
        return None
    attach_handler(handler)
    _log_file = (handler, path)
    return path


def _catalogue() -> Catalogue:
    """The catalogue of the process-wide data service (the settings sheet is made from it)."""
    from ecore_xl.data import get_service

    return get_service().catalogue


def _caller_book() -> Any:
    import xlwings as xw

    return xw.Book.caller()


@contextmanager
def _excel_busy(app: Any) -> Iterator[None]:
    """Screen updating and automatic calculation off while writing; always restored."""
    updating, calculation = app.screen_updating, app.calculation
    try:
        app.screen_updating = False
        app.calculation = "manual"
        yield
    finally:
        app.status_bar = False  # give the status bar back to Excel
        app.calculation = calculation
        app.screen_updating = updating


def _alert(app: Any, text: str, *, critical: bool = False) -> None:
    try:
        app.alert(text, title="eCore", mode="critical" if critical else "info")
    except Exception:  # no message box (headless COM, Excel busy): the log has it
        log.exception("could not show a message box")


def run_live(action: Callable[[Any], str | None], *, book: Any = None) -> str | None:
    """Run ``action(book)`` for a ribbon button: busy mode, message box on error, log detail.

    Returns the message shown (tests pass a fake ``book``).
    """
    log_path = _setup_log()
    book = book if book is not None else _caller_book()
    app = book.app
    try:
        with _excel_busy(app):
            message = action(book)
    except EcoreError as exc:
        log.error("%s | %s", exc.message, exc.detail or "")
        text = f"{exc.message}\n\nDetails: {log_path}" if log_path else exc.message
        _alert(app, text, critical=True)
        return text
    except Exception as exc:
        log.exception("unexpected error")
        text = f"Unexpected error ({type(exc).__name__}): {exc}\n\nDetails: {log_path}"
        _alert(app, text, critical=True)
        return text
    if message:
        log.info(message)
        _alert(app, message)
    return message


def _writer(book: Any) -> SheetWriter:
    from ecore_xl.excel.sheets_xlwings import XlwingsWriter

    return XlwingsWriter(book)


def _refresh_live(book: Any, datasets: Sequence[str] | None) -> str:
    report = refresh_book(_writer(book), datasets=datasets)
    extra = "".join(f"\n• {w}" for w in report.warnings)
    return report.summary() + extra


def refresh_all(*, book: Any = None) -> None:
    """Ribbon: Refresh all (the workbook's ``ecore.datasets``)."""
    run_live(lambda book: _refresh_live(book, None), book=book)


def refresh_dataset(name: str, *, book: Any = None) -> None:
    """Ribbon: Refresh one dataset (``contracts``, ``clicks``, ``volumes``, ``invoices``, …)."""
    run_live(lambda book: _refresh_live(book, [name]), book=book)


def dataset_of_sheet(writer: SheetWriter, sheet: str) -> str:
    """The dataset whose table is on ``sheet`` (or whose catalogue sheet it is)."""
    catalogue = _catalogue()
    for ds in catalogue:
        if writer.find_table(ds.table) == sheet:
            return ds.name
    for ds in catalogue:
        if ds.sheet.casefold() == sheet.casefold():
            return ds.name
    raise UsageError(
        f"Sheet {sheet!r} holds no eCore table: go to a data sheet (Contracts, Volumes, …) or "
        "use Refresh all."
    )


def refresh_sheet(*, book: Any = None) -> None:
    """Ribbon: Refresh this sheet (the dataset whose table is on the active sheet)."""

    def action(book: Any) -> str:
        writer = _writer(book)
        return _refresh_live(book, [dataset_of_sheet(writer, book.sheets.active.name)])

    run_live(action, book=book)


def show_settings(*, book: Any = None) -> None:
    """Ribbon: Settings (go to the eCore sheet, creating it when missing)."""

    def action(book: Any) -> None:
        ensure_settings_sheet(_writer(book), _catalogue())
        book.sheets[SETTINGS_SHEET].activate()

    run_live(action, book=book)


def _store_offline(writer: SheetWriter, offline: bool) -> None:
    """The workbook's ``ecore.offline`` (for its refreshes) and the process-wide toggle (for the
    ``ECORE_*`` formulas, which run in the UDF server and never read the workbook's settings)."""
    from ecore_xl.excel import offline as toggle
    from ecore_xl.excel.workbook_settings import set_offline as store

    store(writer, offline, _catalogue())
    toggle.set_offline(offline)


def set_offline(pressed: bool, *, book: Any = None) -> None:
    """Ribbon: the Offline mode toggle (the workbook's ``ecore.offline`` and the formulas')."""

    def action(book: Any) -> str:
        _store_offline(_writer(book), bool(pressed))
        return (
            "Offline mode is ON: refreshes use saved snapshots and formulas the cache only."
            if pressed
            else "Offline mode is OFF: refreshes and formulas call the eCore API."
        )

    run_live(action, book=book)


def toggle_offline(*, book: Any = None) -> None:
    """Flip the workbook's offline setting, and the formulas' with it (for a plain button)."""

    def action(book: Any) -> str:
        writer = _writer(book)
        ensure_settings_sheet(writer, _catalogue())
        now_offline = not read_settings(writer, _catalogue()).offline
        _store_offline(writer, now_offline)
        return f"Offline mode is {'ON' if now_offline else 'OFF'} for this workbook."

    run_live(action, book=book)


def check_connection(*, book: Any = None) -> None:
    """Ribbon: Check connection (the ``ecore-xl doctor`` steps, shown in a message box)."""

    def action(book: Any) -> str:
        from ecore_xl.api.doctor import check_connection

        return "eCore connection check\n\n" + "\n".join(check_connection().lines())

    run_live(action, book=book)


def snapshot(*, book: Any = None) -> None:
    """Ribbon: Snapshot (a values-only copy next to the workbook, with a Provenance sheet)."""

    def action(book: Any) -> str:
        import tempfile

        full = Path(book.fullname)
        with tempfile.TemporaryDirectory(prefix="ecore-snapshot-") as tmp:
            copy = Path(tmp) / ("copy" + (full.suffix or ".xlsx"))
            book.api.SaveCopyAs(str(copy))  # Windows COM; see docs/refresh.md for macOS
            stamp = dt.datetime.now(dt.UTC)
            out = full.with_name(f"{full.stem} snapshot {stamp:%Y-%m-%d %H%M}.xlsx")
            target, missing = snapshot_file(copy, out, now=stamp)
        text = f"Snapshot saved: {target}"
        if missing:
            text += f"\n{len(missing)} formula(s) had no value: {', '.join(missing[:5])}"
        return text

    run_live(action, book=book)


def report_month(cfg: WorkbookSettings, today: dt.date | None = None) -> str:
    """``YYYY-MM`` of the report: the month of ``ecore.from``, else last month."""
    start = cfg.get("from")
    if isinstance(start, dt.datetime):
        start = start.date()
    if isinstance(start, dt.date):
        return f"{start:%Y-%m}"
    if isinstance(start, str) and len(start) >= 7:
        return start[:7]
    first = (today or dt.date.today()).replace(day=1)
    return f"{first - dt.timedelta(days=1):%Y-%m}"


def monthly_report(*, book: Any = None) -> None:
    """Ribbon: Monthly report (for the month of ``ecore.from``, saved next to the workbook)."""

    def action(book: Any) -> str:
        from ecore_xl.report import build_report

        writer = _writer(book)
        cfg = read_settings(writer, _catalogue())
        month = report_month(cfg)
        full = Path(book.fullname)
        out = full.with_name(f"{full.stem} report {month}.xlsx")
        entities = cfg.get("legalEntityId") or ()
        entity = entities[0] if len(entities) == 1 else None

        def progress(step: Step) -> None:  # the steps `ecore-xl report` shows, in the status bar
            writer.status(status_text(step, f"eCore report {month}"))

        result = build_report(
            month, out=out, legal_entity=entity, offline=cfg.offline or None, progress=progress
        )
        flagged = len(result.flagged_invoice_ids)
        return f"Monthly report {month} saved: {out}" + (
            f"\n{flagged} invoice(s) flagged." if flagged else ""
        )

    run_live(action, book=book)
