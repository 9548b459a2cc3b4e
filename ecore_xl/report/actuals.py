"""A report month without actual volumes is refused, naming the day the actuals end; one whose
actuals end early is reported with a warning.

A report of a month the meters have not delivered yet (the current month, a typo like 2062-10)
would be all zeros and look like a real, quiet month. :func:`require_actuals` stops it with
"latest actuals end 2026-11-14: choose an earlier month", found by a few small probes: actual
daily volumes of up to :data:`PROBE_METERS` meters, one month at a time backwards from the
report month (or from this month, for a month in the future), at most :data:`PROBE_MONTHS`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from ecore_xl.catalogue.computed import VOLUMES
from ecore_xl.errors import EcoreError, UsageError
from ecore_xl.report.period import ReportMonth

__all__ = ["PROBE_METERS", "PROBE_MONTHS", "latest_actual_day", "require_actuals"]

log = logging.getLogger(__name__)

#: meters and months the search for the last actual day looks at (requests = their product)
PROBE_METERS = 3
PROBE_MONTHS = 24


def _month_before(month: ReportMonth) -> ReportMonth:
    year, number = (month.year, month.month - 1) if month.month > 1 else (month.year - 1, 12)
    return ReportMonth(year, number, month.timezone)


def _last_day(volumes: pd.DataFrame, timezone: str) -> dt.date | None:
    if volumes.empty or "start" not in volumes.columns:
        return None
    values = pd.to_numeric(volumes.get("value"), errors="coerce")
    starts = volumes.loc[values.notna(), "start"] if values is not None else volumes["start"]
    if starts.empty:
        return None
    last = pd.Timestamp(starts.max())
    if last.tzinfo is None:
        last = last.tz_localize("UTC")
    return last.tz_convert(ZoneInfo(timezone)).date()


def latest_actual_day(
    fetch: Callable[..., pd.DataFrame],
    meter_ids: list[str],
    month: ReportMonth,
    *,
    today: dt.date | None = None,
) -> dt.date | None:
    """The last local day with an actual volume before the end of ``month``, or None."""
    today = today or dt.datetime.now(ZoneInfo(month.timezone)).date()
    probe = month
    this_month = ReportMonth(today.year, today.month, month.timezone)
    if probe.start > this_month.start:
        probe = this_month
    meters = meter_ids[:PROBE_METERS]
    for _ in range(PROBE_MONTHS):
        volumes = fetch(
            VOLUMES,
            meterId=meters,
            **{"from": probe.start, "to": probe.end},
            granularity="day",
            type="actual",
        )
        day = _last_day(volumes, month.timezone)
        if day is not None:
            return day
        probe = _month_before(probe)
    return None


def require_actuals(
    fetch: Callable[..., Any],
    meter_ids: list[str],
    month: ReportMonth,
    volumes: pd.DataFrame,
    *,
    today: dt.date | None = None,
) -> None:
    """UsageError when ``meter_ids`` have no actual volume in ``month`` (``volumes``); a
    warning (logged: ``ecore-xl`` shows it) when the actuals end before the month does."""
    if not meter_ids:
        return
    last = _last_day(volumes, month.timezone)
    if last is not None:
        if last < month.last_day:
            log.warning(
                "Actual volumes of %s end %s: the month's consumption and costs are not complete.",
                month,
                f"{last:%Y-%m-%d}",
            )
        return
    try:
        day = latest_actual_day(fetch, meter_ids, month, today=today)
    except EcoreError:  # offline without a snapshot of the probe: say what is known
        day = None
    if day is not None:
        raise UsageError(
            f"{month} has no actual volumes yet: latest actuals end {day:%Y-%m-%d}: choose an "
            "earlier month."
        )
    raise UsageError(
        f"{month} has no actual volumes (nor the {PROBE_MONTHS} months before it): choose a "
        "month the meters have delivered, or check --legal-entity and the snapshot folder."
    )
