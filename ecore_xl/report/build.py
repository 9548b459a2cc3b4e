"""``build_report``: one month's data + a template → report workbook(s), written atomically."""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.resources
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ecore_xl import __version__
from ecore_xl.atomic import atomic_write_path, check_not_open
from ecore_xl.errors import UsageError
from ecore_xl.progress import Step, StepCallback
from ecore_xl.report.collect import GRANULARITIES, REPORT_PARTS, Collector, collect_month
from ecore_xl.report.figures import click_prices, over_hedged, report_tables, summary_figures
from ecore_xl.report.period import ReportMonth
from ecore_xl.report.template import Template

if TYPE_CHECKING:
    import pandas as pd

    from ecore_xl.data import DataService

__all__ = ["DEFAULT_THRESHOLD_PCT", "ReportResult", "build_report", "default_template"]

#: invoices whose consumption differs from the metered volume by more than this (percent)
DEFAULT_THRESHOLD_PCT = 2.0
_TEMPLATE_NAME = "monthly_report.xlsx"
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class ReportResult:
    """What :func:`build_report` wrote and found."""

    paths: list[Path]
    #: Summary figures of the whole selection, rounded as the Summary shows them: keys
    #: ``hedge_ratio.power``, ``cost_eur`` (a total), … (``report.summary.figure_keys()``)
    figures: dict[str, float | int | None]
    flagged_invoice_ids: list[str]
    #: with ``split``: legal entity id -> (path, its Summary figures)
    by_legal_entity: dict[str, tuple[Path, dict[str, float | int | None]]] = field(
        default_factory=dict
    )
    #: what openpyxl could not keep from the template (e.g. shapes), to tell the user
    warnings: list[str] = field(default_factory=list)
    #: over-hedged positions of the year: (portfolio id, commodity, month ``YYYY-MM``)
    over_hedged: list[tuple[str, str, str]] = field(default_factory=list)
    #: the month's clicks per commodity and delivery year: (commodity, year, clicks, MWh,
    #: MWh-weighted EUR/MWh or None), rounded as the Summary shows them
    click_prices: list[tuple[str, int, int, float, float | None]] = field(default_factory=list)
    #: with ``pdf``: the PDF printed beside each workbook
    pdfs: list[Path] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        """The Summary as terminal lines (:func:`ecore_xl.report.summary.summary_lines`)."""
        from ecore_xl.report.summary import summary_lines

        return summary_lines(
            self.figures,
            click_prices=self.click_prices,
            flagged=self.flagged_invoice_ids,
            over_hedged=self.over_hedged,
        )


@contextlib.contextmanager
def default_template() -> Iterator[Path]:
    """The template shipped inside the package (``ecore_xl/report/templates/``), as a path."""
    resource = importlib.resources.files("ecore_xl.report") / "templates" / _TEMPLATE_NAME
    with importlib.resources.as_file(resource) as path:
        if not Path(path).is_file():
            raise UsageError(
                f"The built-in template {_TEMPLATE_NAME} is missing from the installation: "
                "reinstall ecore_xl or pass --template."
            )
        yield Path(path)


def build_report(
    month: str | dt.date,
    *,
    out: str | Path,
    legal_entity: str | None = None,
    template: str | Path | None = None,
    snapshot_dir: str | Path | None = None,
    offline: bool | None = None,
    threshold: float = DEFAULT_THRESHOLD_PCT,
    service: DataService | None = None,
    split: bool = False,
    granularity: str = "day",
    progress: StepCallback | None = None,
    escape: bool | None = None,
    pdf: bool = False,
) -> ReportResult:
    """Build the monthly report of ``month`` (``YYYY-MM``, local calendar month) into ``out``.

    ``threshold`` is in percent: an invoice is flagged when its consumption differs from the
    metered volume by more than that. ``snapshot_dir``/``offline`` work as in
    :meth:`~ecore_xl.data.DataService.fetch` (offline reads snapshots; online with a folder also
    writes them). ``split`` writes one workbook per legal entity: ``out`` may hold
    ``{legal_entity}``, else the id is appended to its name. An existing file is replaced only by
    a complete new one; with ``split``, none is replaced unless all were written.
    ``progress`` gets each step (:mod:`ecore_xl.progress`): the fetches, then the writing.
    ``escape`` (default ``ECORE_ESCAPE_FORMULAS``) marks formula-like placeholder text quote
    prefix. ``pdf`` also prints each workbook to a PDF beside it (LibreOffice headless; without
    it the report stops before fetching): workbook and PDF are replaced together, under their
    writer locks, or neither is.
    """
    if service is None:
        from ecore_xl.data import get_service

        service = get_service()
    pct = _check_threshold(threshold)
    escape = service.settings.escape_formulas if escape is None else escape
    if granularity not in GRANULARITIES:
        raise UsageError(f"Granularity {granularity!r} is not one of {', '.join(GRANULARITIES)}.")
    when = ReportMonth.parse(month, service.settings.timezone)
    out = Path(out)
    if out.suffix.lower() != ".xlsx" and not (split and "{legal_entity}" in out.name):
        raise UsageError(f"--out {out} must name an .xlsx file.")
    if pdf:
        from ecore_xl.report.soffice import SofficeError, find_soffice, missing_soffice

        if find_soffice() is None:
            raise SofficeError(missing_soffice())
    if not split:
        check_not_open(out)  # before fetching a month of data for nothing
        if pdf:
            check_not_open(out.with_suffix(".pdf"))

    with contextlib.ExitStack() as stack:
        template_path = Path(template) if template else stack.enter_context(default_template())
        notes = Template.load(template_path).load_warnings  # a broken one fails before fetching
        collector = Collector(
            service, snapshot_dir=snapshot_dir, offline=offline, progress=progress
        )
        chosen = [legal_entity] if legal_entity else None
        data = collect_month(collector, when, legal_entities=chosen, granularity=granularity)

        tables, flagged = report_tables(data, legal_entities=chosen, threshold=pct / 100)
        figures = summary_figures(tables, when, flagged)
        found = {"over_hedged": _over_hedged(tables), "click_prices": _click_prices(tables)}
        context = _Context(
            when, data.legal_entities, collector.source, template_path, pct, granularity
        )
        if not split:
            del data  # the raw frames are in the tables now: free them before the big write
            _told(progress, f"writing {out.name}", REPORT_PARTS - 1)
            values = context.values(legal_entity)
            tmp = _write(
                template_path, tables, figures, values, granularity, out, stack, escape=escape
            )
            pdfs = [_print(tmp, out, stack, progress)] if pdf else []
            _told(progress, f"{out.name} written", REPORT_PARTS)
            return ReportResult([out], figures, flagged, warnings=notes, pdfs=pdfs, **found)

        ids = chosen or [str(i) for i in data.legal_entities["id"]]
        by_entity: dict[str, tuple[Path, dict[str, float | int | None]]] = {}
        written: list[tuple[Path, Path]] = []
        for entity in ids:
            part, part_flagged = report_tables(data, legal_entities=[entity], threshold=pct / 100)
            path = split_path(out, entity)
            _told(progress, f"writing {path.name}", REPORT_PARTS - 1)
            part_figures = summary_figures(part, when, part_flagged)
            values = context.values(entity)
            tmp = _write(
                template_path, part, part_figures, values, granularity, path, stack, escape=escape
            )
            written.append((tmp, path))
            by_entity[entity] = (path, part_figures)
        paths = [p for p, _ in by_entity.values()]
        pdfs = [_print(tmp, p, stack, progress) for tmp, p in written] if pdf else []
        _told(progress, f"{len(paths)} reports written", REPORT_PARTS)
        return ReportResult(
            paths, figures, flagged, by_entity, warnings=notes, pdfs=pdfs, **found
        )


def _print(
    workbook: Path, path: Path, stack: contextlib.ExitStack, progress: StepCallback | None
) -> Path:
    """The PDF of ``workbook`` (the temporary file that becomes ``path``) into a temporary file of
    its own, which replaces ``path`` with a ``.pdf`` suffix when ``stack`` closes cleanly."""
    from ecore_xl.report.soffice import export_pdf

    target = path.with_suffix(".pdf")
    _told(progress, f"printing {target.name}", REPORT_PARTS - 1)
    tmp = stack.enter_context(atomic_write_path(target))
    export_pdf(workbook, tmp, name=path.stem)
    return target


def _over_hedged(tables: dict[str, pd.DataFrame]) -> list[tuple[str, str, str]]:
    pos = tables["positions"]
    rows = zip(pos["Portfolio"], pos["Commodity"], pos["Month"], pos["Hedge ratio"],
               pos["Open MWh"], strict=True)  # fmt: skip
    return [
        (str(p), str(c), f"{m:%Y-%m}") for p, c, m, r, o in rows if over_hedged(r, o)
    ]


def _click_prices(
    tables: dict[str, pd.DataFrame],
) -> list[tuple[str, int, int, float, float | None]]:
    groups = tables["click_prices"]
    values = click_prices(tables["clicks"], groups)
    return list(
        zip(
            groups["Commodity"].astype("str"),
            groups["Delivery year"].astype("int"),
            values["Clicks"],
            values["MWh"],
            values["Avg EUR/MWh"],
            strict=True,
        )
    )


def _told(progress: StepCallback | None, text: str, done: int) -> None:
    if progress is not None:
        progress(Step(text, done, REPORT_PARTS))


def _check_threshold(threshold: float) -> float:
    try:
        pct = float(threshold)
    except (TypeError, ValueError):
        pct = float("nan")
    if not 0 <= pct < 1000:
        raise UsageError(
            f"Threshold {threshold!r} is not a percentage: use a number like 2 (for 2 %)."
        )
    return pct


def split_path(out: Path, entity: str) -> Path:
    """The workbook of one legal entity: ``{legal_entity}`` in ``out``'s name replaced by the
    id, else the id appended (``report-LE-1.xlsx``); the id loses every character but
    ``A-Za-z0-9._-``, so an id from the API never names a path. One rule for ``report
    --split`` and the backend's report jobs."""
    safe = _SAFE.sub("_", entity)
    if "{legal_entity}" in out.name:
        return out.with_name(out.name.replace("{legal_entity}", safe))
    return out.with_name(f"{out.stem}-{safe}{out.suffix}")


def _write(
    template_path: Path,
    tables: dict[str, Any],
    figures: dict[str, float | int | None],
    values: dict[str, Any],
    granularity: str,
    path: Path,
    stack: contextlib.ExitStack,
    *,
    escape: bool | None,
) -> Path:
    """Fill a fresh copy of the template and save it to a temporary file (returned) that
    replaces ``path`` when ``stack`` closes without an error; every formula carries the value it
    computes."""
    from ecore_xl.report.cached import formula_columns, named_values
    from ecore_xl.xlsx import save_workbook, stream_cells
    from ecore_xl.xlsx.widths import fit_columns

    formats = {("consumption", "Start"): "yyyy-mm-dd hh:mm"} if granularity != "day" else {}
    template = Template.load(template_path)
    stream_cells(template.workbook)
    threshold = values["threshold"]
    workbook = template.fill(
        values,
        tables,
        formats=formats,
        cached_names=named_values(figures, threshold),
        cached_columns=formula_columns(tables, threshold),
        escape=escape,
    )
    for ws in workbook.worksheets:
        fit_columns(ws)
    tmp = stack.enter_context(atomic_write_path(path))
    save_workbook(workbook, tmp)
    workbook.close()
    return tmp


@dataclass(frozen=True)
class _Context:
    month: ReportMonth
    legal_entities: pd.DataFrame
    source: str
    template: Path
    threshold_pct: float
    granularity: str

    def values(self, entity: str | None) -> dict[str, Any]:
        les = self.legal_entities
        name = "All legal entities"
        if entity is not None:
            match = les.loc[les["id"].astype("str") == entity, "name"]
            name = str(match.iloc[0]) if len(match) else entity
        # aware: in text it reads "2026-12-01 09:30 CET (UTC+01:00)", in a cell the local time
        now = dt.datetime.now(ZoneInfo(self.month.timezone)).replace(microsecond=0)
        return {
            "month": str(self.month),
            "month_name": self.month.name,
            "month_start": self.month.start,
            "month_end": self.month.last_day,
            "legal_entity": name,
            "legal_entity_id": entity or "",
            "threshold": self.threshold_pct / 100,
            "timezone": self.month.timezone,
            "granularity": self.granularity,
            "generated_at": now,
            "source": self.source,
            "template": self.template.name,
            "version": __version__,
        }
