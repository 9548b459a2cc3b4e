"""The evidence suites' shared scenario: every dataset fetched, with and without faults, compared.

Used by ``tests/test_evidence_faults.py`` (small, in-process mock, no real sleeping) and by
``benchmarks/bench_faults.py`` (bigger, mock in its own process, real waits).

* :func:`every_dataset` — one fetch per catalogue dataset (volumes and positions twice), so a
  "full refresh of every dataset" means exactly this list; a dataset added to the catalogue and
  missing here fails :func:`check_covers_catalogue`.
* :func:`fetch_everything` — runs the list through a fresh :class:`~ecore_xl.data.DataService`
  whose client sleeps through an injectable function.
* :func:`frame_differences` / :func:`workbook_differences` — cell-for-cell comparisons that
  count every differing cell (shape and column differences count too).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ecore_xl.api import EcoreClient
from ecore_xl.catalogue import builtin_catalogue
from ecore_xl.config import Settings
from ecore_xl.data import DataService

#: (label, dataset, filters)
Job = tuple[str, str, dict[str, Any]]

#: the fault mix of issue #7; ``retry_after_s`` 1 s (the test's client does not really wait)
FAULT_MIX: dict[str, Any] = {
    "error_5xx_ratio": 0.05,
    "rate_limit_every": 20,
    "retry_after_s": 1,
    "drop_ratio": 0.02,
    "latency_s": 0.0,
    "latency_jitter_s": 0.01,
    "token_error_5xx_ratio": 0.1,
    "seed": 7,
}

#: Retries per request. Every attempt independently meets a 5xx (5 %), a dropped connection
#: (2 %) or the every-20th 429 (5 %): p <= 0.12 that an attempt fails. With 10 retries a request
#: fails for good with p = 0.12**11 < 1e-10, i.e. less than once in 10^7 runs of a few hundred
#: requests. Token renewals and the key switch do not use up retries (the client repeats those
#: at once), and the backoff (0.25 s doubling, capped at 30 s) only reaches seconds after 3
#: failures in a row (p = 0.0017).
RETRIES = 10


def every_dataset(
    meter_ids: Iterable[str],
    portfolio_ids: Iterable[str],
    contract_id: str,
    *,
    start: str,
    end: str,
    granularity: str = "hour",
) -> list[Job]:
    """Every catalogue dataset once (volumes by meter and by contract, positions twice)."""
    span = {"from": start, "to": end}
    meters = ",".join(meter_ids)
    portfolios = ",".join(portfolio_ids)
    return [
        ("legal-entities", "legal-entities", {}),
        ("business-units", "business-units", {}),
        ("meters", "meters", {}),
        ("relationships", "relationships", {}),
        ("contracts", "contracts", {}),
        ("clicks", "clicks", {}),
        ("portfolios", "portfolios", {}),
        ("invoices", "invoices", {}),
        ("invoice-lines", "invoice-lines", {}),
        ("volumes by meter", "volumes", {"meterId": meters, "granularity": granularity, **span}),
        (
            "volumes by contract, forecast",
            "volumes",
            {"contractId": contract_id, "granularity": "day", "type": "forecast", **span},
        ),
        ("positions by month", "positions", {"portfolioId": portfolios, "granularity": "month"}),
        (
            "positions by quarter",
            "positions",
            {"portfolioId": portfolios, "granularity": "quarter"},
        ),
    ]


def jobs_for(portfolio: Any, *, start: str, end: str, granularity: str = "hour") -> list[Job]:
    """:func:`every_dataset` for a mock :class:`~ecore_xl.mock.Portfolio`."""
    return every_dataset(
        [m["id"] for m in portfolio.meters],
        [p["id"] for p in portfolio.portfolios],
        portfolio.contracts[0]["id"],
        start=start,
        end=end,
        granularity=granularity,
    )


def check_covers_catalogue(jobs: Iterable[Job]) -> None:
    """AssertionError naming any built-in dataset the jobs leave out."""
    missing = set(builtin_catalogue().names()) - {ds for _, ds, _ in jobs}
    assert not missing, f"datasets not covered by the evidence run: {sorted(missing)}"


def mock_settings(env: Mapping[str, str], **overrides: Any) -> Settings:
    """Settings for the mock, as issue #7 asks: no config file, no keyring."""
    overrides.setdefault("retries", RETRIES)
    return Settings.load(use_file=False, use_keyring=False, environ=env, **overrides)


@dataclass
class Sleeper:
    """An injectable ``sleep`` that records what was asked; ``real`` really waits."""

    real: bool = False
    asked: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        if self.real:
            time.sleep(seconds)

    @property
    def total(self) -> float:
        return sum(self.asked)


@dataclass
class Run:
    """What one pass over the jobs produced."""

    frames: dict[str, pd.DataFrame]
    client: dict[str, int]
    seconds: float
    slept: float


def service_with_sleep(settings: Settings, sleep: Callable[[float], None]) -> DataService:
    """A DataService whose client (and token provider) sleep through ``sleep``."""
    return DataService(settings, client=EcoreClient(settings, sleep=sleep))


def fetch_everything(
    settings: Settings, jobs: Iterable[Job], *, sleep: Sleeper | None = None
) -> Run:
    """Fetch every job with a fresh service (no cache shared with any other run)."""
    sleeper = sleep or Sleeper()
    service = service_with_sleep(settings, sleeper)
    started = time.perf_counter()
    try:
        frames = {label: service.fetch(ds, **filters) for label, ds, filters in jobs}
        stats = service.client.stats.as_dict()
    finally:
        service.client.close()
    return Run(frames, stats, time.perf_counter() - started, sleeper.total)


# ---- comparisons ------------------------------------------------------------------------------


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    a_na = a is None or a is pd.NA or a is pd.NaT or (isinstance(a, float) and math.isnan(a))
    b_na = b is None or b is pd.NA or b is pd.NaT or (isinstance(b, float) and math.isnan(b))
    if a_na or b_na:
        return a_na and b_na
    return bool(a == b) and type(a) is type(b)


def frame_differences(a: pd.DataFrame, b: pd.DataFrame) -> int:
    """Cells that differ between two frames (value or type); a missing row/column counts whole."""
    diff = 0
    columns = list(dict.fromkeys([*a.columns, *b.columns]))
    rows = max(len(a), len(b))
    for col in columns:
        if col not in a.columns or col not in b.columns:
            diff += rows
            continue
        if str(a[col].dtype) != str(b[col].dtype):
            diff += rows
            continue
        x, y = a[col].tolist(), b[col].tolist()
        diff += abs(len(x) - len(y))
        diff += sum(not _same(p, q) for p, q in zip(x, y, strict=False))
    return diff


def differences(a: Mapping[str, pd.DataFrame], b: Mapping[str, pd.DataFrame]) -> dict[str, int]:
    """:func:`frame_differences` per label (a label only one side has counts all its cells)."""
    out: dict[str, int] = {}
    for label in dict.fromkeys([*a, *b]):
        if label not in a or label not in b:
            frame = a.get(label, b.get(label))
            out[label] = frame.size if frame is not None else 0
        else:
            out[label] = frame_differences(a[label], b[label])
    return out


#: cells a refresh fills with the time it ran: the note above each table, the last-refresh block
_RUN_TEXT = re.compile(r"refreshed \d{4}-\d{2}-\d{2} \d{2}:\d{2}")


def workbook_cells(
    path: Path, window: tuple[dt.datetime, dt.datetime] | None = None
) -> dict[tuple[str, str], Any]:
    """Every non-empty cell value by (sheet, coordinate); run-time stamps masked.

    A datetime inside ``window`` (naive, UTC or local: the window is widened by 14 h) is the time
    the refresh ran, and a note ``"... refreshed YYYY-MM-DD HH:MM ..."`` says the same: both are
    replaced by a marker, so two refreshes of the same data compare equal.
    """
    import openpyxl

    wb = openpyxl.load_workbook(path)
    lo = hi = None
    if window is not None:
        lo, hi = window[0] - dt.timedelta(hours=14), window[1] + dt.timedelta(hours=14)
    cells: dict[tuple[str, str], Any] = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if value is None:
                    continue
                run_text = isinstance(value, str) and bool(_RUN_TEXT.search(value))
                run_time = isinstance(value, dt.datetime) and lo is not None and lo <= value <= hi
                if run_text or run_time:
                    value = "<run time>"
                cells[(ws.title, cell.coordinate)] = value
    return cells


def workbook_differences(
    a: Path, b: Path, window: tuple[dt.datetime, dt.datetime] | None = None
) -> list[tuple[str, str]]:
    """(sheet, cell) of every cell whose value differs between two workbooks."""
    x, y = workbook_cells(a, window), workbook_cells(b, window)
    return sorted(k for k in set(x) | set(y) if not _same(x.get(k), y.get(k)))


def format_summary(
    title: str,
    *,
    client: Mapping[str, int],
    mock: Mapping[str, Any],
    diffs: Mapping[str, int],
    extra: Iterable[tuple[str, Any]] = (),
) -> str:
    """The printed evidence: requests, faults by kind, retries, refreshes, switches, diffs."""
    faults = dict(mock.get("faults", {}))
    lines = [
        title,
        f"  requests made (client GETs):   {client['requests']}",
        f"  requests seen by the mock:     {mock['data_requests']} data, "
        f"{mock['token_requests']} token",
        "  faults injected by kind:       "
        + (", ".join(f"{k} {v}" for k, v in sorted(faults.items())) or "none"),
        f"  retries:                       {client['retries']}",
        f"  token refreshes:               {client['token_refreshes']}",
        f"  key switches:                  {client['key_switches']}",
        *(f"  {k + ':':<30} {v}" for k, v in extra),
        f"  data differences:              {sum(diffs.values())}"
        + ("" if not any(diffs.values()) else f"  {dict((k, v) for k, v in diffs.items() if v)}"),
    ]
    return "\n".join(lines)
