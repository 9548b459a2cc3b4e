"""The shared refresh: a workbook's named sheets from eCore, all or nothing, through any writer.

One code path, two sheet writers::

    refresh_book(writer)      # writer: OpenpyxlWriter (headless) or XlwingsWriter (live Excel)

1. read the workbook's ``eCore`` settings sheet (created with defaults when missing);
2. **fetch every requested dataset first**, checking each fits its sheet; a failure stops here,
   before anything is written, and names the dataset and what to do;
3. only then write each dataset into its table (the sheet the catalogue names, or wherever the
   user moved the table), with a note above it; refresh the drop-down lists and the last-refresh
   block.

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

from ecore_xl.errors import EcoreError, UsageError
from ecore_xl.excel.workbook_filters import dataset_filters, describe_filters, narrow_rows
from ecore_xl.excel.workbook_settings import (
    LISTS,
    SETTINGS_SHEET,
    LastRefresh,
    ensure_settings_sheet,
    read_settings,
    write_last_refresh,
    write_lists,
)

if TYPE_CHECKING:
    import pandas as pd

    from ecore_xl.catalogue import Dataset
    from ecore_xl.data import DataService
    from ecore_xl.excel.sheets import SheetWriter

__all__ = ["DatasetResult", "RefreshReport", "refresh_book"]

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
    today = clock().astimezone(ZoneInfo(svc.settings.timezone)).date()
    cfg = read_settings(writer, today=today)  # TODAY() is today in the portfolio's zone
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
                extra["legalEntityId"] = list(cfg.legal_entity)
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
            df = narrow_rows(ds, df, cfg)
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
        described = describe_filters(item.filters, item.layout)
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
