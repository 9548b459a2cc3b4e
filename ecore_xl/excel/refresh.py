"""Refresh a workbook's named sheets from eCore: the ribbon's macros and their headless twin.

One code path, two sheet writers::

    refresh_book(writer)      # writer: OpenpyxlWriter (headless) or XlwingsWriter (live Excel)

1. read the workbook's ``eCore`` settings sheet (created with defaults when missing);
2. **fetch every requested dataset first**, checking each fits its sheet; a failure stops here,
   before anything is written, and names the dataset and what to do;
3. only then write each dataset into its table (the sheet the catalogue names, or wherever the
   user moved the table), with a note above it; refresh the drop-down lists and the last-refresh
   block.

The headless :func:`refresh_file` adds the file handling: a new workbook when the file does not
exist, ``.xlsm`` macros kept, and an atomic save, so a crash or a failed fetch leaves the original
byte-identical. :func:`snapshot_file` turns ``ECORE_*`` formulas into their values and adds a
Provenance sheet, for sending the workbook to someone without the add-in.

The functions without arguments at the end (``refresh_all``, ``refresh_sheet``, …) are what the
add-in's VBA calls through xlwings ``RunPython``; they run in a fresh Python process per click,
find the calling workbook with ``xlwings.Book.caller()`` (or take ``book=``: tests pass a
stand-in), show errors in a message box and write the full detail to
``log_dir()/excel-refresh.log``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ecore_xl.errors import EcoreError, UsageError
from ecore_xl.excel.sheets import SheetWriter
from ecore_xl.excel.workbook_settings import (
    LISTS,
    SETTINGS_SHEET,
    LastRefresh,
    WorkbookSettings,
    ensure_settings_sheet,
    read_last_refresh,
    read_settings,
    write_last_refresh,
    write_lists,
)

if TYPE_CHECKING:
    import pandas as pd

    from ecore_xl.catalogue import Dataset
    from ecore_xl.data import DataService

__all__ = [
    "DatasetResult",
    "RefreshReport",
    "check_connection",
    "dataset_filters",
    "monthly_report",
    "refresh_all",
    "refresh_book",
    "refresh_dataset",
    "refresh_file",
    "refresh_sheet",
    "set_offline",
    "show_settings",
    "snapshot",
    "snapshot_book",
    "snapshot_file",
    "toggle_offline",
]

log = logging.getLogger("ecore_xl.excel.refresh")

#: filter name in the catalogue -> attribute of WorkbookSettings
SETTING_FILTERS: dict[str, str] = {
    "from": "from_",
    "to": "to",
    "meterId": "meters",
    "contractId": "contracts",
    "portfolioId": "portfolio",
    "legalEntityId": "legal_entity",
    "granularity": "granularity",
}
#: id filter -> the dataset listing every id ("all meters" when a dataset needs one)
ID_SOURCES: dict[str, str] = {
    "meterId": "meters",
    "contractId": "contracts",
    "portfolioId": "portfolios",
    "legalEntityId": "legal-entities",
}
#: a dataset that lists ids itself is narrowed to the ids the settings name
ROW_FILTERS: dict[str, str] = {
    "meters": "meters",
    "contracts": "contracts",
    "portfolios": "portfolio",
    "legal-entities": "legal_entity",
}
NOTE_LINES = 3
_MAX_NOTE_IDS = 200  # characters of an id list shown in a note


@dataclass(frozen=True)
class DatasetResult:
    """What one dataset's refresh wrote."""

    dataset: str
    sheet: str
    table: str
    ref: str
    rows: int
    fetched_at: dt.datetime
    source: str
    filters: dict[str, Any]


@dataclass
class RefreshReport:
    """The outcome of :func:`refresh_book`."""

    results: list[DatasetResult] = field(default_factory=list)
    created_settings: bool = False
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{r.dataset} {r.rows:,} rows" for r in self.results]
        return "eCore refreshed: " + (", ".join(parts) or "nothing") + "."


# ---- filters per dataset ------------------------------------------------------------------------


def dataset_filters(
    ds: Dataset,
    cfg: WorkbookSettings,
    all_ids: Callable[[str], list[str]],
) -> dict[str, Any]:
    """The filters the workbook's settings give ``ds`` (only those it has and allows).

    Lists become comma-separated text (the data layer asks once per id). A dataset that needs
    one of several ids (volumes: meter or contract) gets the first one set, else every meter;
    a required id nobody set (positions: portfolio) gets every id (``all_ids(dataset)``).
    A granularity the dataset does not allow (``hour`` for positions) is left out.
    """
    names = {f.name for f in ds.filters}
    out: dict[str, Any] = {}
    for fname, key in SETTING_FILTERS.items():
        if fname not in names:
            continue
        value = getattr(cfg, key)
        if value is None or value == () or value == "":
            continue
        if isinstance(value, tuple):
            value = ",".join(value)
        allowed = ds.filter(fname).allowed
        if allowed and str(value).lower() not in {a.lower() for a in allowed}:
            continue
        out[fname] = value
    if ds.one_of:
        given = [n for n in ds.one_of if n in out]
        for extra in given[1:]:
            del out[extra]
        if not given:
            first = ds.one_of[0]
            if first in ID_SOURCES:
                out[first] = ",".join(all_ids(ID_SOURCES[first])) or None
    for f in ds.filters:
        if f.required and f.name not in out and f.name in ID_SOURCES:
            out[f.name] = ",".join(all_ids(ID_SOURCES[f.name])) or None
    return {k: v for k, v in out.items() if v is not None}


def _describe(filters: Mapping[str, Any], layout: str | None) -> str:
    parts = []
    for name, value in filters.items():
        text = value.isoformat() if isinstance(value, dt.date) else str(value)
        if len(text) > _MAX_NOTE_IDS:
            count = text.count(",") + 1
            text = text[:_MAX_NOTE_IDS].rsplit(",", 1)[0] + f",… ({count} ids)"
        parts.append(f"{name}={text}")
    if layout:
        parts.append(f"layout={layout}")
    return "; ".join(parts) or "none"


# ---- the shared refresh -------------------------------------------------------------------------


@dataclass
class _Fetched:
    ds: Dataset
    df: pd.DataFrame
    filters: dict[str, Any]
    layout: str | None
    fetched_at: dt.datetime
    source: str
    kind: str
    sheet: str


def _service(service: DataService | None) -> DataService:
    if service is not None:
        return service
    from ecore_xl.data import get_service

    return get_service()


def _annotate(exc: EcoreError, text: str) -> EcoreError:
    """Prefix an error's message (keeping its class, exit code and fields)."""
    exc.message = f"{text}{exc.message}"
    exc.args = (exc.message, *exc.args[1:])
    return exc


#: how the note above a table says where its data came from (``df.attrs["ecore"]["source"]``)
_FROM = {"api": "", "cache": " from the cache", "snapshot": " from offline snapshots"}


def _meta(df: pd.DataFrame, now: dt.datetime) -> tuple[dt.datetime, str, str]:
    """When the data was fetched, its source (URL or snapshot file) and its kind (api, cache,
    snapshot), from ``df.attrs["ecore"]`` (:meth:`DataService.fetch` sets it); ``now`` and
    "eCore API" for a frame without it (a stand-in service)."""
    meta = df.attrs.get("ecore")
    meta = meta if isinstance(meta, Mapping) else {}
    fetched = meta.get("fetched_at")
    if not isinstance(fetched, dt.datetime):
        fetched = now
    if fetched.tzinfo is None:
        fetched = fetched.replace(tzinfo=dt.UTC)
    kind = str(meta.get("source") or "api")
    url = meta.get("source_url")
    source = f"snapshot {url}" if kind == "snapshot" and url else str(url or "eCore API")
    return fetched.astimezone(dt.UTC), source, kind


def refresh_book(
    writer: SheetWriter,
    *,
    datasets: Sequence[str] | None = None,
    service: DataService | None = None,
    offline: bool | None = None,
    snapshot_dir: str | os.PathLike[str] | None = None,
    lists: bool = True,
    now: Callable[[], dt.datetime] | None = None,
) -> RefreshReport:
    """Refresh ``datasets`` (default: the workbook's ``ecore.datasets``): all, or nothing.

    ``offline`` overrides the workbook's ``ecore.offline``; ``snapshot_dir`` is where the data
    layer reads (offline) or saves (online) raw snapshots. Raises the first failure's
    :class:`~ecore_xl.errors.EcoreError`, prefixed with the dataset, before any cell changed.
    """
    from ecore_xl.data.frames import check_excel_rows

    svc = _service(service)
    clock = now or (lambda: dt.datetime.now(dt.UTC))
    report = RefreshReport()
    report.created_settings = ensure_settings_sheet(writer)
    cfg = read_settings(writer)
    is_offline = cfg.offline if offline is None else bool(offline)
    catalogue = svc.catalogue
    wanted = [d.strip() for d in (datasets or cfg.datasets) if d and d.strip()]
    if not wanted:
        raise UsageError(
            f"No dataset to refresh: list some in ecore.datasets on the {SETTINGS_SHEET} sheet."
        )
    targets: list[Dataset] = []
    for name in wanted:
        ds = catalogue.get(name)  # CatalogueError names the known datasets
        if ds not in targets:
            targets.append(ds)

    kwargs: dict[str, Any] = {"offline": is_offline}
    if snapshot_dir is not None:
        kwargs["snapshot_dir"] = snapshot_dir
    ids: dict[str, list[str]] = {}

    def all_ids(dataset: str) -> list[str]:
        if dataset not in ids:
            ds = catalogue.get(dataset)
            extra = {}
            if cfg.legal_entity and "legalEntityId" in {f.name for f in ds.filters}:
                extra["legalEntityId"] = ",".join(cfg.legal_entity)
            frame = svc.fetch(dataset, **kwargs, **extra)
            key = ds.key or "id"
            ids[dataset] = [str(v) for v in frame[key].dropna()] if key in frame else []
        return ids[dataset]

    # 1. fetch everything; nothing is written until every dataset is in hand
    fetched: list[_Fetched] = []
    total = len(targets)
    for i, ds in enumerate(targets, start=1):
        label = f"eCore: {ds.name} {i}/{total}"
        writer.status(f"{label}…")

        def progress(done: int, planned: int, label: str = label) -> None:
            if planned > 1:
                writer.status(f"{label}: request {done}/{planned}…")

        try:
            filters = dataset_filters(ds, cfg, all_ids)
            layout = cfg.layout if ds.name == "volumes" else None
            extra = {"layout": layout} if layout else {}
            df = svc.fetch(ds.name, progress=progress, **kwargs, **extra, **filters)
            fetched_at, source, kind = _meta(df, clock())
            df = _narrow(ds, df, cfg)
            check_excel_rows(df, f"{ds.name} ({ds.sheet})")
            sheet = writer.find_table(ds.table) or ds.sheet
            if sheet in writer.sheet_names():
                writer.check_table(sheet, df, table_name=ds.table)
        except EcoreError as exc:
            # INFO: re-raised below, so the caller reports it (ecore-xl's Error: line, the
            # ribbon's message box); a WARNING here showed the failure twice on the terminal
            log.info("refresh of %s failed: %s", ds.name, exc.detail or exc.message)
            raise _annotate(exc, f"Refresh stopped at {ds.name}; nothing was changed. ") from exc
        fetched.append(_Fetched(ds, df, filters, layout, fetched_at, source, kind, sheet))

    lists_values: dict[str, list[str]] = {}
    if lists:
        for list_name, (_header, dataset, id_field, _label) in LISTS.items():
            if dataset not in catalogue:
                continue
            try:
                if dataset in ids:
                    lists_values[list_name] = ids[dataset]
                    continue
                frame = svc.fetch(dataset, **kwargs)
                lists_values[list_name] = (
                    [str(v) for v in frame[id_field].dropna()] if id_field in frame else []
                )
            except EcoreError as exc:  # the drop-downs are a help, not the job: keep the old ones
                report.warnings.append(f"drop-down list of {dataset} not refreshed: {exc}")
                log.info("list %s not refreshed: %s", dataset, exc)

    # 2. write
    zone = ZoneInfo(svc.settings.timezone)
    entries: list[LastRefresh] = []
    for item in fetched:
        ds, df = item.ds, item.df
        writer.status(f"eCore: writing {ds.sheet}…")
        local = item.fetched_at.astimezone(zone)
        described = _describe(item.filters, item.layout)
        note = [
            f"eCore {ds.name}: refreshed {local:%Y-%m-%d %H:%M} {local.tzname()} "
            f"({item.fetched_at:%Y-%m-%d %H:%M} UTC){_FROM.get(item.kind, '')}",
            f"Filters: {described}",
            f"Rows: {len(df):,} · source: {item.source}",
        ]
        writer.ensure_sheet(item.sheet)
        ref = writer.write_table(item.sheet, df, table_name=ds.table, anchor="A1", note=note)
        report.results.append(
            DatasetResult(
                ds.name,
                item.sheet,
                ds.table,
                ref,
                len(df),
                item.fetched_at,
                item.source,
                dict(item.filters),
            )
        )
        entries.append(
            LastRefresh(
                dataset=ds.name,
                sheet=item.sheet,
                table=ds.table,
                rows=len(df),
                fetched_utc=item.fetched_at.replace(tzinfo=None, microsecond=0),
                fetched_local=local.replace(tzinfo=None, microsecond=0),
                filters=described,
                source=item.source,
            )
        )
    if lists_values:
        write_lists(writer, lists_values)
    write_last_refresh(writer, entries)
    writer.status(None)
    return report


def _narrow(ds: Dataset, df: pd.DataFrame, cfg: WorkbookSettings) -> pd.DataFrame:
    """A dataset that lists ids (contracts, meters, …) keeps only the ids the settings name."""
    key = ROW_FILTERS.get(ds.name)
    if key is None or not ds.key or ds.key not in df.columns:
        return df
    wanted: tuple[str, ...] = getattr(cfg, key)
    filter_name = {v: k for k, v in SETTING_FILTERS.items()}[key]
    if not wanted or filter_name in {f.name for f in ds.filters}:
        return df
    keep = df[ds.key].astype("string").isin(list(wanted))
    return df.loc[keep].reset_index(drop=True)


# ---- headless: files ---------------------------------------------------------------------------

_SUFFIXES = (".xlsx", ".xlsm")


def _check_workbook_path(path: Path) -> None:
    if path.suffix.lower() not in _SUFFIXES:
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


def _load(path: Path, warnings_out: list[str]) -> Any:
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    keep_vba = path.suffix.lower() == ".xlsm"
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            wb = openpyxl.load_workbook(path, keep_vba=keep_vba, keep_links=True)
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
    try:
        with atomic_write_path(path) as tmp:
            wb.save(tmp)
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
) -> RefreshReport:
    """Refresh a workbook file without Excel (a new one when it does not exist), atomically."""
    from openpyxl import Workbook

    from ecore_xl.excel.sheets import OpenpyxlWriter

    target = Path(path)
    _check_workbook_path(target)
    notes: list[str] = []
    before = _stamp(target)
    if before is None:
        wb = Workbook()
        blank = wb.active
    else:
        wb = _load(target, notes)
        blank = None
    writer = OpenpyxlWriter(wb)
    report = refresh_book(
        writer, datasets=datasets, service=service, offline=offline, snapshot_dir=snapshot_dir
    )
    if blank is not None and len(wb.worksheets) > 1:
        wb.remove(blank)
        wb.active = wb.sheetnames.index(SETTINGS_SHEET)
    report.warnings[:0] = notes
    _save(wb, target, before)
    return report


# ---- snapshot: values and provenance ------------------------------------------------------------

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
            ws.cell(row=ws.max_row, column=2).data_type = "s"
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["G"].width = 60
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
    if src.suffix.lower() not in _SUFFIXES:
        raise UsageError(f"{src.name}: a snapshot needs an .xlsx or .xlsm workbook.")
    stamp = now or dt.datetime.now(dt.UTC)
    target = Path(out) if out else src.with_name(f"{src.stem} snapshot {stamp:%Y-%m-%d %H%M}.xlsx")
    if target.suffix.lower() != ".xlsx":
        raise UsageError(f"{target.name}: a snapshot is saved as .xlsx (no macros).")
    import openpyxl

    with warnings.catch_warnings():  # extensions openpyxl drops are not values: fine here
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(src, keep_links=False)
        values = openpyxl.load_workbook(src, data_only=True, keep_links=False)
    missing = snapshot_book(wb, values, now=stamp)
    from ecore_xl.atomic import atomic_write_path

    with atomic_write_path(target) as tmp:
        wb.save(tmp)
    return target, missing


# ---- live: the macros the ribbon calls ----------------------------------------------------------

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
    from ecore_xl.data import get_service

    catalogue = get_service().catalogue
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
        ensure_settings_sheet(_writer(book))
        book.sheets[SETTINGS_SHEET].activate()

    run_live(action, book=book)


def _store_offline(writer: SheetWriter, offline: bool) -> None:
    """The workbook's ``ecore.offline`` (for its refreshes) and the process-wide toggle (for the
    ``ECORE_*`` formulas, which run in the UDF server and never read the workbook's settings)."""
    from ecore_xl.excel import offline as toggle
    from ecore_xl.excel.workbook_settings import set_offline as store

    store(writer, offline)
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
        ensure_settings_sheet(writer)
        now_offline = not read_settings(writer).offline
        _store_offline(writer, now_offline)
        return f"Offline mode is {'ON' if now_offline else 'OFF'} for this workbook."

    run_live(action, book=book)


def check_connection(*, book: Any = None) -> None:
    """Ribbon: Check connection (the ``ecore-xl doctor`` steps, shown in a message box)."""

    def action(book: Any) -> str:
        from click.testing import CliRunner

        from ecore_xl.cli.doctor import doctor

        result = CliRunner().invoke(doctor, [])
        return "eCore connection check\n\n" + result.output.strip()

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
    start = cfg.from_
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

        cfg = read_settings(_writer(book))
        month = report_month(cfg)
        full = Path(book.fullname)
        out = full.with_name(f"{full.stem} report {month}.xlsx")
        entity = cfg.legal_entity[0] if len(cfg.legal_entity) == 1 else None
        result = build_report(month, out=out, legal_entity=entity, offline=cfg.offline or None)
        flagged = len(result.flagged_invoice_ids)
        return f"Monthly report {month} saved: {out}" + (
            f"\n{flagged} invoice(s) flagged." if flagged else ""
        )

    run_live(action, book=book)
