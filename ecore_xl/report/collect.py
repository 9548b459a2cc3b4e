"""Fetch what a month's report needs through the data service, noting where each piece came from.

The report never calls the API itself: every request goes through
:meth:`ecore_xl.data.DataService.fetch` (validated, cached, snapshot-capable). Offline, data
comes from the snapshot folder and the Provenance rows carry the snapshot's own ``fetched_at``
and source URL (read from its header line, see :mod:`ecore_xl.data.snapshot`).
"""

from __future__ import annotations

import datetime as dt
import gzip
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import pandas as pd

from ecore_xl.catalogue.computed import (
    BUSINESS_UNITS,
    CLICKS,
    CONTRACTS,
    INVOICE_LINES,
    INVOICES,
    LEGAL_ENTITIES,
    METERS,
    PORTFOLIOS,
    POSITIONS,
    VOLUMES,
)
from ecore_xl.data import default_snapshot_dir
from ecore_xl.data.snapshot import snapshot_path
from ecore_xl.errors import UsageError
from ecore_xl.progress import Step, StepCallback
from ecore_xl.report.actuals import require_actuals
from ecore_xl.report.figures import MonthData
from ecore_xl.report.period import ReportMonth

if TYPE_CHECKING:
    from ecore_xl.data import DataService

__all__ = ["GRANULARITIES", "REPORT_PARTS", "Collector", "collect_month"]

GRANULARITIES = ("day", "hour", "quarterhour")
#: the parts a progress bar counts: collect_month's fetches (at most 11) and the writing
REPORT_PARTS = 12


#: what a report whose Consumption table would not fit a sheet can change
_SHEET_ADVICE = "use --granularity hour or day, or fewer meters (--legal-entity ID, one at a time)"


class Collector:
    """Fetches datasets through a service and records one provenance row per fetch."""

    def __init__(
        self,
        service: DataService,
        *,
        snapshot_dir: str | Path | None = None,
        offline: bool | None = None,
        progress: StepCallback | None = None,
    ) -> None:
        self.service = service
        self.snapshot_dir = Path(snapshot_dir) if snapshot_dir is not None else None
        self.offline = service.settings.offline if offline is None else bool(offline)
        self.provenance: list[dict[str, Any]] = []
        self.progress = progress

    def step(self, text: str) -> None:
        """Tell ``progress`` what comes next (one part per fetch, the last for the writing)."""
        if self.progress is not None:
            done = min(len(self.provenance), REPORT_PARTS - 1)
            self.progress(Step(text, done, REPORT_PARTS))

    def fetch(self, dataset: str, **filters: Any) -> pd.DataFrame:
        """``service.fetch`` plus a provenance row (dataset, source, fetched at, filters, rows)."""
        started = dt.datetime.now(dt.UTC)
        self.step(dataset)

        def requests_done(done: int, planned: int) -> None:
            if planned > 1:
                self.step(f"{dataset}: request {done}/{planned}")

        frame = self.service.fetch(
            dataset,
            snapshot_dir=self.snapshot_dir,
            offline=self.offline,
            progress=requests_done,
            **filters,
        )
        ds, norm = self.service.normalise(dataset, **filters)
        source, fetched_at = self._origin(ds, norm, started, frame.attrs.get("ecore") or {})
        self.provenance.append(
            {
                "Dataset": ds.name,
                "Source": source,
                "Fetched at (UTC)": fetched_at.astimezone(dt.UTC).replace(tzinfo=None),
                "Filters": "; ".join(f"{k}={_short(v)}" for k, v in norm.items()) or "(none)",
                "Rows": len(frame),
            }
        )
        return frame

    def probe(self, dataset: str, **filters: Any) -> pd.DataFrame:
        """``service.fetch`` for a look that is not part of the report: no provenance row, and
        no snapshot written (offline, snapshots are read as usual)."""
        folder = self.snapshot_dir if self.offline else None
        return self.service.fetch(dataset, snapshot_dir=folder, offline=self.offline, **filters)

    @property
    def source(self) -> str:
        """One line for ``{{source}}``: the API's base URL, or the snapshot folder."""
        if self.offline:
            folder = self.snapshot_dir or default_snapshot_dir(self.service.settings)
            return f"snapshot {folder}" if folder else "offline cache"
        return f"eCore API {self.service.settings.base_url}"

    def _origin(
        self, ds: Any, norm: dict[str, str], started: dt.datetime, meta: dict[str, Any]
    ) -> tuple[str, dt.datetime]:
        folder = self.snapshot_dir or default_snapshot_dir(self.service.settings)
        if self.offline and folder is not None:
            for name, filters in self._snapshot_candidates(ds, norm):
                meta = _snapshot_header(snapshot_path(folder, name, filters))
                if meta is not None:
                    when = _parse_utc(meta.get("fetched_at")) or started
                    url = meta.get("source_url") or "?"
                    file = snapshot_path(folder, name, filters)
                    return f"snapshot {file} (from {url})", when
            return "offline cache", started
        base = self.service.settings.base_url.rstrip("/")
        url, requests = meta.get("source_url"), int(meta.get("requests") or 0)
        if not url:  # a stand-in service, or a fetch that needed no request
            return f"eCore API {base}", started
        more = f" (+{requests - 1} more requests)" if requests > 1 else ""
        return f"eCore API {url}{more}", started

    def _snapshot_candidates(
        self, ds: Any, norm: dict[str, str]
    ) -> list[tuple[str, dict[str, str]]]:
        out = [(ds.name, norm)]
        if ds.parent:
            _, pnorm = self.service.normalise(ds.parent, **norm)
            out.append((self.service.dataset(ds.parent).name, pnorm))
        return out


def _short(value: str, limit: int = 80) -> str:
    return value if len(value) <= limit else f"{value[: limit - 12]}… ({value.count(',') + 1} ids)"


def _snapshot_header(path: Path) -> dict[str, Any] | None:
    """The metadata line of a snapshot file, or None when there is no readable one."""
    try:
        with gzip.open(path, "rb") as fh:
            meta = orjson.loads(fh.readline())
    except (OSError, EOFError, zlib.error, orjson.JSONDecodeError):
        return None
    return meta if isinstance(meta, dict) else None


def _parse_utc(text: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(text).replace("Z", "+00:00")).astimezone(dt.UTC)
    except ValueError:
        return None


def collect_month(
    collector: Collector,
    month: ReportMonth,
    *,
    legal_entities: list[str] | None = None,
    granularity: str = "day",
) -> MonthData:
    """Everything the report of ``month`` needs, for ``legal_entities`` (None: all)."""
    if granularity not in GRANULARITIES:
        raise UsageError(f"Granularity {granularity!r} is not one of {', '.join(GRANULARITIES)}.")
    fetch = collector.fetch
    span = {"from": month.start, "to": month.end}
    year = {"from": month.year_start, "to": month.year_end}
    les = fetch(LEGAL_ENTITIES)
    if legal_entities is not None:
        unknown = sorted(set(legal_entities) - set(les["id"].astype("str")))
        if unknown:
            raise UsageError(
                f"Legal entity {unknown[0]!r} is not known: use one of "
                f"{', '.join(map(str, les['id'])) or 'none'}."
            )
    bus = fetch(BUSINESS_UNITS)
    meters = fetch(METERS)
    chosen_bus = (
        set(bus["id"])
        if legal_entities is None
        else set(bus.loc[bus["legalEntityId"].isin(legal_entities), "id"])
    )
    meter_ids = sorted(meters.loc[meters["businessUnitId"].isin(chosen_bus), "id"].astype("str"))

    if meter_ids:  # the Consumption table is a row per meter and interval: refused before
        # its requests (only the meter list tells how many meters there are)
        collector.service.check_fits_sheet(
            VOLUMES, meterId=meter_ids, **span, granularity=granularity, type="actual",
            what=f"Report {month.start:%Y-%m}, Consumption table", advice=_SHEET_ADVICE,
        )  # fmt: skip
    one = legal_entities is not None and len(legal_entities) == 1
    le_filter = {"legalEntityId": legal_entities[0]} if one and legal_entities else {}
    invoices = fetch(INVOICES, **span, **le_filter)
    lines = fetch(INVOICE_LINES, **span, **le_filter)
    volumes = _volumes(fetch, meter_ids, month.start, month.end, granularity)
    require_actuals(collector.probe, meter_ids, month, volumes)
    metered = _metered_volumes(fetch, invoices, meter_ids, month, volumes)

    portfolios = fetch(PORTFOLIOS, **le_filter)
    if legal_entities is not None and not portfolios.empty:
        portfolios = portfolios.loc[portfolios["legalEntityId"].isin(legal_entities)]
    if "deliveryYear" in portfolios.columns and not portfolios.empty:
        years = pd.to_numeric(portfolios["deliveryYear"], errors="coerce")
        portfolios = portfolios.loc[years.isna() | (years == month.year)]
    pf_ids = sorted(portfolios["id"].astype("str")) if not portfolios.empty else []
    positions = (
        fetch(POSITIONS, portfolioId=pf_ids, granularity="month", **year)
        if pf_ids
        else _empty_positions()
    )
    contracts = fetch(CONTRACTS, **le_filter)
    clicks = fetch(CLICKS, **span)
    return MonthData(
        month=month,
        legal_entities=les,
        business_units=bus,
        meters=meters,
        volumes=volumes,
        metered=metered,
        invoices=invoices,
        invoice_lines=lines,
        portfolios=portfolios,
        positions=positions,
        contracts=contracts,
        clicks=clicks,
        provenance=collector.provenance,
    )


def _volumes(
    fetch: Any, meter_ids: list[str], start: dt.date, end: dt.date, granularity: str
) -> pd.DataFrame:
    if not meter_ids:
        return pd.DataFrame(
            {
                "meterId": pd.Series([], dtype="str"),
                "startLocal": pd.Series([], dtype="datetime64[us]"),
                "start": pd.Series([], dtype="datetime64[us, UTC]"),
                "value": pd.Series([], dtype="float64"),
            }
        )
    return fetch(
        VOLUMES,
        meterId=meter_ids,
        **{"from": start, "to": end},
        granularity=granularity,
        type="actual",
    )


def _metered_volumes(
    fetch: Any,
    invoices: pd.DataFrame,
    meter_ids: list[str],
    month: ReportMonth,
    volumes: pd.DataFrame,
) -> pd.DataFrame:
    """Daily actuals over the union of the month's invoice periods (reused when it is the month)."""
    if invoices.empty:
        return volumes.iloc[0:0]
    mine = invoices.loc[invoices["meterId"].isin(meter_ids)]
    starts = mine["periodStart"].dropna()
    ends = mine["periodEnd"].dropna()
    if starts.empty or ends.empty:
        return volumes.iloc[0:0]
    first = min(starts.min().date(), month.start)
    last = max(ends.max().date(), month.end)
    ids = sorted(set(mine["meterId"].astype("str")))
    if (first, last) == (month.start, month.end) and set(ids) <= set(meter_ids):
        return volumes  # any granularity sums to the same period totals
    return _volumes(fetch, ids, first, last, "day")


def _empty_positions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "portfolioId": pd.Series([], dtype="str"),
            "periodStart": pd.Series([], dtype="datetime64[us, UTC]"),
            "periodStartLocal": pd.Series([], dtype="datetime64[us]"),
            "forecastVolumeMWh": pd.Series([], dtype="float64"),
            "hedgedVolumeMWh": pd.Series([], dtype="float64"),
            "openVolumeMWh": pd.Series([], dtype="float64"),
            "hedgeRatio": pd.Series([], dtype="float64"),
            "averageHedgePriceEurPerMWh": pd.Series([], dtype="float64"),
        }
    )
