"""The shared refresh: a workbook's named sheets from eCore, all or nothing, through any writer.

One code path, two sheet writers::

    refresh_book(writer)      # writer: OpenpyxlWriter (headless) or XlwingsWriter (live Excel)

1. read the workbook's ``eCore`` settings sheet (created with defaults when missing);
2. **fetch every requested dataset first**, checking each fits its sheet; a failure stops here,
   before anything is written, and names the dataset and what to do;
3. only then write each dataset into its table (the sheet the catalogue names, or wherever the
   user moved the table), with a note above it; refresh the drop-down lists and the last-refresh
   block. A list of records is its own table, a period end has its last day beside it
   (:mod:`ecore_xl.excel.sheet_frames`).

The headless file handling is :mod:`ecore_xl.excel.headless`; the ribbon's macros are
:mod:`ecore_xl.excel.refresh`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ecore_xl.data.provenance import frame_notes
from ecore_xl.errors import EcoreError, UsageError
from ecore_xl.excel.sheet_frames import sheet_formats, sheet_frame, with_exploded
from ecore_xl.excel.workbook_filters import (
    dataset_filters,
    describe_filters,
    narrow_rows,
    settings_filters,
)
from ecore_xl.excel.workbook_settings import (
    SETTINGS_SHEET,
    LastRefresh,
    ensure_settings_sheet,
    read_settings,
    sheet_settings,
    write_last_refresh,
    write_lists,
)
from ecore_xl.progress import Step, StepCallback, status_text

if TYPE_CHECKING:
    import pandas as pd

    from ecore_xl.catalogue import Choices, Dataset
    from ecore_xl.data import DataService
    from ecore_xl.excel.sheets import SheetWriter

__all__ = [
    "DatasetResult",
    "RefreshReport",
    "frame_notes",
    "frame_source",
    "refresh_book",
    "table_note",
]

log = logging.getLogger("ecore_xl.excel.refresh")

NOTE_LINES = 3


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
    #: what the data layer said about the data (a granularity fallback for some meters)
    notes: tuple[str, ...] = ()


@dataclass
class RefreshReport:
    """The outcome of :func:`refresh_book`."""

    results: list[DatasetResult] = field(default_factory=list)
    created_settings: bool = False
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{r.dataset} {r.rows:,} rows" for r in self.results]
        return "eCore refreshed: " + (", ".join(parts) or "nothing") + "."


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
    notes: tuple[str, ...] = ()


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


def frame_source(df: pd.DataFrame, now: dt.datetime) -> tuple[dt.datetime, str, str]:
    """When the data was fetched, its source (URL or snapshot file) and its kind (api, cache,
    snapshot), from ``df.attrs["ecore"]`` (:meth:`DataService.fetch` sets it); ``now`` and
    "eCore API" for a frame without it (a stand-in service)."""
    from ecore_xl.data.provenance import fetched_at, provenance

    meta = provenance(df)
    fetched = fetched_at(df) or now
    kind = str(meta.get("source") or "api")
    url = meta.get("source_url")
    source = f"snapshot {url}" if kind == "snapshot" and url else str(url or "eCore API")
    return fetched.astimezone(dt.UTC), source, kind


def table_note(
    dataset: str,
    fetched_at: dt.datetime,
    kind: str,
    source: str,
    filters: str,
    rows: int,
    zone: ZoneInfo,
    notes: Sequence[str] = (),
) -> list[str]:
    """The three lines above a refreshed table: when (local and UTC) and from where, the
    filters and the data layer's notes (e.g. gas meters daily: the API's only), the rows and
    the source."""
    local = fetched_at.astimezone(zone)
    said = "".join(f" · {n}" for n in notes)
    return [
        f"eCore {dataset}: refreshed {local:%Y-%m-%d %H:%M} {local.tzname()} "
        f"({fetched_at:%Y-%m-%d %H:%M} UTC){_FROM.get(kind, '')}",
        f"Filters: {filters}{said}",
        f"Rows: {rows:,} · source: {source}",
    ]


class _NeedsRequest(Exception):
    """The filters need every id of a dataset, which only a request can tell."""


def _known_ids_only(choices: Choices) -> list[str]:
    raise _NeedsRequest(choices.dataset)


#: what a refresh that would not fit a sheet can change
_SHEET_ADVICE = (
    "shorten the range or coarsen the granularity in the eCore sheet's settings (or the "
    "layout: wide), or fetch it to CSV or parquet (ecore-xl fetch ... --out FILE.parquet)"
)


def _check_fits(svc: DataService, ds: Dataset, cfg: Any, filters: Mapping[str, Any]) -> None:
    """TooManyRowsError when ``ds``'s table is bound to pass its sheet's rows (from the plan,
    no request)."""
    layout = cfg.layout if ds.wide is not None else "long"
    svc.check_fits_sheet(
        ds.name, layout=layout, what=f"Refresh of {ds.name} ({ds.sheet})",
        advice=_SHEET_ADVICE, **filters,
    )  # fmt: skip


def refresh_book(
    writer: SheetWriter,
    *,
    datasets: Sequence[str] | None = None,
    service: DataService | None = None,
    offline: bool | None = None,
    snapshot_dir: str | os.PathLike[str] | None = None,
    lists: bool = True,
    now: Callable[[], dt.datetime] | None = None,
    progress: StepCallback | None = None,
) -> RefreshReport:
    """Refresh ``datasets`` (default: the workbook's ``ecore.datasets``): all, or nothing.

    ``offline`` overrides the workbook's ``ecore.offline``; ``snapshot_dir`` is where the data
    layer reads (offline) or saves (online) raw snapshots. Raises the first failure's
    :class:`~ecore_xl.errors.EcoreError`, prefixed with the dataset, before any cell changed.
    Each step goes to the writer's status line (Excel's status bar) and to ``progress``, in
    the same words: one part per dataset fetched, one for the writing.
    """
    from ecore_xl.data.frames import check_excel_rows

    svc = _service(service)
    clock = now or (lambda: dt.datetime.now(dt.UTC))
    report = RefreshReport()
    catalogue = svc.catalogue
    report.created_settings = ensure_settings_sheet(writer, catalogue)
    today = clock().astimezone(ZoneInfo(svc.settings.timezone)).date()
    # TODAY() in a settings formula is today in the portfolio's zone
    cfg = read_settings(writer, catalogue, today=today)
    is_offline = cfg.offline if offline is None else bool(offline)
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
    targets = with_exploded(catalogue, targets)  # invoice lines as a table of their own

    kwargs: dict[str, Any] = {"offline": is_offline}
    if snapshot_dir is not None:
        kwargs["snapshot_dir"] = snapshot_dir
    ids: dict[tuple[str, str | None], list[str]] = {}

    def all_ids(choices: Choices) -> list[str]:
        """Every value of a filter: its ``choices`` records, narrowed by the settings they take
        (the contracts of the workbook's legal entity)."""
        key = (choices.dataset, choices.field)
        if key not in ids:
            source = catalogue.get(choices.dataset)
            frame = svc.fetch(source.name, **kwargs, **settings_filters(source, cfg))
            column = choices.field or source.key or "id"
            ids[key] = [str(v) for v in frame[column].dropna()] if column in frame else []
        return ids[key]

    total = len(targets)

    def step(text: str, done: int) -> None:
        told = Step(text, done, total + 1)
        writer.status(status_text(told))
        if progress is not None:
            progress(told)

    # 0. a table that cannot fit its sheet is refused from the plan, before any request
    for ds in targets:  # (a table whose ids need a request is checked once they are in)
        try:
            _check_fits(svc, ds, cfg, dataset_filters(ds, cfg, _known_ids_only))
        except _NeedsRequest:
            continue
        except EcoreError as exc:
            raise _annotate(exc, "Refresh refused, the workbook is unchanged. ") from exc

    # 1. fetch everything; nothing is written until every dataset is in hand
    fetched: list[_Fetched] = []
    for i, ds in enumerate(targets, start=1):
        label = f"{ds.name} {i}/{total}"
        step(label, i - 1)

        def requests_done(done: int, planned: int, label: str = label, i: int = i) -> None:
            if planned > 1:
                step(f"{label}: request {done}/{planned}", i - 1)

        try:
            filters = dataset_filters(ds, cfg, all_ids)
            layout = cfg.layout if ds.wide is not None else None
            extra = {"layout": layout} if layout else {}
            _check_fits(svc, ds, cfg, filters)  # ids that took a request: checked now
            df = svc.fetch(ds.name, progress=requests_done, **kwargs, **extra, **filters)
            fetched_at, source, kind = frame_source(df, clock())
            notes = frame_notes(df)
            df = sheet_frame(catalogue, ds, narrow_rows(ds, df, cfg, catalogue))
            check_excel_rows(df, f"{ds.name} ({ds.sheet})")
            sheet = writer.find_table(ds.table) or ds.sheet
            if sheet in writer.sheet_names():
                writer.check_table(sheet, df, table_name=ds.table)
        except EcoreError as exc:
            # INFO: re-raised below, so the caller reports it (ecore-xl's Error: line, the
            # ribbon's message box); a WARNING here showed the failure twice on the terminal
            log.info("refresh of %s failed: %s", ds.name, exc.detail or exc.message)
            raise _annotate(exc, f"Refresh stopped at {ds.name}; nothing was changed. ") from exc
        fetched.append(_Fetched(ds, df, filters, layout, fetched_at, source, kind, sheet, notes))
        report.warnings.extend(f"{ds.name}: {note}" for note in notes)

    lists_values: dict[str, list[str]] = {}
    if lists:
        for setting in sheet_settings(catalogue):
            source = setting.cell.source if setting.cell is not None else None
            if source is None or setting.list_name is None:
                continue
            try:
                if (source.dataset, source.field) in ids:
                    lists_values[setting.list_name] = ids[(source.dataset, source.field)]
                    continue
                frame = svc.fetch(source.dataset, **kwargs)
                column = source.field or "id"
                lists_values[setting.list_name] = (
                    [str(v) for v in frame[column].dropna()] if column in frame else []
                )
            except EcoreError as exc:  # the drop-downs are a help, not the job: keep the old ones
                report.warnings.append(f"drop-down list of {source.dataset} not refreshed: {exc}")
                log.info("list %s not refreshed: %s", source.dataset, exc)

    # 2. write
    zone = ZoneInfo(svc.settings.timezone)
    entries: list[LastRefresh] = []
    for item in fetched:
        ds, df = item.ds, item.df
        step(f"writing {ds.sheet}", total)
        local = item.fetched_at.astimezone(zone)
        described = describe_filters(item.filters, item.layout)
        note = table_note(ds.name, item.fetched_at, item.kind, item.source, described, len(df),
                          zone, item.notes)  # fmt: skip
        writer.ensure_sheet(item.sheet)
        ref = writer.write_table(
            item.sheet, df, table_name=ds.table, anchor="A1", note=note,
            formats=sheet_formats(ds, df),
        )  # fmt: skip
        writer.fit_columns(item.sheet, ref)  # no ### for a longer value than last time
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
                item.notes,
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
        write_lists(writer, lists_values, catalogue)
    write_last_refresh(writer, entries)
    if progress is not None:
        progress(Step(f"{total} table{'s' if total != 1 else ''} written", total + 1, total + 1))
    writer.status(None)
    return report
