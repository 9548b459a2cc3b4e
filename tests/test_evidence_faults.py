"""Evidence: with faults switched on, every dataset arrives exactly as without them.

The quick variant of ``benchmarks/bench_faults.py``: an in-process mock with small pages (many
requests from a small portfolio), the fault mix of issue #7 (5 % 5xx, a 429 with Retry-After every
20th request, 2 % dropped connections, latency jitter, 5 % token-endpoint 5xx, 1 s tokens, the
primary key revoked half-way) and a client whose sleeps are recorded, not slept. Run with
``pytest -s`` to see the printed summary.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ecore_xl.mock import Faults, MockServer
from tests.evidence_fixtures import (
    FAULT_MIX,
    RETRIES,
    Sleeper,
    check_covers_catalogue,
    differences,
    fetch_everything,
    format_summary,
    jobs_for,
    mock_settings,
    service_with_sleep,
    workbook_differences,
)

AS_OF = dt.date(2026, 11, 15)
MOCK_KW: dict[str, Any] = {
    "seed": 42,
    "meters": 3,
    "years": (2026,),
    "as_of": AS_OF,
    "page_size": 5,  # many small pages: a few hundred requests from a small portfolio
    "token_lifetime": 1.0,
}
SPAN = {"start": "2026-03-01", "end": "2026-04-01"}  # holds the spring DST day (23 hours)


@pytest.fixture
def srv() -> Iterator[MockServer]:
    with MockServer(**MOCK_KW) as server:
        yield server


def mock_counts(srv: MockServer) -> dict[str, Any]:
    s = srv.stats
    return {
        "data_requests": s.data_requests,
        "token_requests": s.token_requests,
        "faults": dict(s.faults),
    }


class Saboteur:
    """Revokes the primary key after ``revoke_at`` data requests; expires every token each
    ``expire_every`` requests (so expiry is met however fast the machine is)."""

    def __init__(self, srv: MockServer, revoke_at: int, expire_every: int) -> None:
        self.srv, self.revoke_at, self.expire_every = srv, revoke_at, expire_every
        self.revoked_at: int | None = None
        self.expiries = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        next_expiry = self.expire_every
        while not self._stop.wait(0.001):
            n = self.srv.stats.data_requests
            if self.revoked_at is None and n >= self.revoke_at:
                self.srv.revoke_primary()
                self.revoked_at = n
            if n >= next_expiry:
                self.srv.expire_tokens()
                self.expiries += 1
                next_expiry += self.expire_every

    def __enter__(self) -> Saboteur:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


def test_every_dataset_with_faults_equals_the_fault_free_run(
    srv: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    jobs = jobs_for(srv.portfolio, **SPAN)
    check_covers_catalogue(jobs)
    settings = mock_settings(srv.env())
    assert settings.retries == RETRIES

    clean = fetch_everything(settings, jobs)
    baseline = srv.stats.data_requests
    assert srv.stats.faults == {}
    assert clean.client["retries"] == 0
    assert baseline >= 100, "too few requests for the fault rates to bite"
    assert all(len(df) for df in clean.frames.values()), "an empty dataset proves nothing"

    srv.faults = Faults(**FAULT_MIX)
    srv.reset_stats()
    sleeper = Sleeper()
    with Saboteur(srv, revoke_at=baseline // 2, expire_every=max(10, baseline // 5)) as sab:
        faulty = fetch_everything(settings, jobs, sleep=sleeper)
    mock = mock_counts(srv)
    diffs = differences(clean.frames, faulty.frames)

    with capsys.disabled():
        print()
        print(
            format_summary(
                f"Faults, quick: {len(jobs)} fetches, every catalogue dataset, "
                f"{sum(len(df) for df in clean.frames.values()):,} rows",
                client=faulty.client,
                mock=mock,
                diffs=diffs,
                extra=[
                    ("fault-free requests", baseline),
                    ("primary key revoked at", f"request {sab.revoked_at}"),
                    ("tokens expired by the mock", sab.expiries),
                    ("waits asked (not slept)", f"{len(sleeper.asked)}, {sleeper.total:.1f} s"),
                ],
            )
        )

    assert sum(diffs.values()) == 0, diffs
    faults = mock["faults"]
    for kind in ("5xx", "429", "drop"):
        assert faults.get(kind, 0) > 0, f"no {kind} fault was injected: {faults}"
    # every fault the mock sent was met by exactly one retry of the client (none lost, none extra)
    assert faulty.client["retries"] == faults["5xx"] + faults["429"] + faults["drop"]
    assert faulty.client["requests"] == mock["data_requests"]
    assert faulty.client["key_switches"] == 1 and sab.revoked_at is not None
    assert faulty.client["token_refreshes"] >= 2
    # a token POST that met a 5xx was retried: every other POST gave a token
    assert mock["token_requests"] == faulty.client["token_refreshes"] + faults.get("token_5xx", 0)
    # 429s asked for Retry-After (1 s) and were honoured through the injected sleep
    assert sleeper.asked.count(1.0) >= faults["429"]


def test_headless_refresh_with_faults_writes_the_same_workbook(
    srv: MockServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from openpyxl import Workbook

    from ecore_xl.catalogue import builtin_catalogue
    from ecore_xl.excel.headless import refresh_file
    from ecore_xl.excel.sheets import OpenpyxlWriter
    from ecore_xl.excel.workbook_settings import ensure_settings_sheet

    datasets = builtin_catalogue().names()
    settings = mock_settings(srv.env())

    def workbook(name: str) -> Path:
        """A new workbook whose eCore sheet asks for March 2026, hourly."""
        path = tmp_path / name
        wb = Workbook()
        blank = wb.active
        ensure_settings_sheet(OpenpyxlWriter(wb))
        wb.remove(blank)
        for setting, value in (("ecore.from", "2026-03-01"), ("ecore.to", "2026-04-01")):
            ((sheet, cell),) = wb.defined_names[setting].destinations
            wb[sheet][cell.replace("$", "")].value = value
        wb.save(path)
        return path

    started = dt.datetime.now()
    clean_path = workbook("clean.xlsx")
    service = service_with_sleep(settings, Sleeper())
    clean_report = refresh_file(clean_path, datasets=datasets, service=service)
    service.client.close()
    baseline = srv.stats.data_requests

    srv.faults = Faults(**FAULT_MIX)
    srv.reset_stats()
    faulty_path = workbook("faulty.xlsx")
    service = service_with_sleep(settings, Sleeper())
    with Saboteur(srv, revoke_at=baseline // 2, expire_every=max(10, baseline // 5)):
        faulty_report = refresh_file(faulty_path, datasets=datasets, service=service)
    client = service.client.stats.as_dict()
    service.client.close()
    window = (started, dt.datetime.now())

    diff_cells = workbook_differences(clean_path, faulty_path, window)
    rows = {r.dataset: r.rows for r in clean_report.results}
    with capsys.disabled():
        print()
        print(
            format_summary(
                f"Faults, headless refresh of {len(datasets)} datasets "
                f"({sum(rows.values()):,} rows) into a workbook",
                client=client,
                mock=mock_counts(srv),
                diffs={"cells": len(diff_cells)},
                extra=[("fault-free requests", baseline)],
            )
        )
    assert [r.dataset for r in faulty_report.results] == [r.dataset for r in clean_report.results]
    assert sum(1 for n in rows.values() if n) >= len(rows) - 1, rows  # clicks: none in March
    assert diff_cells == [], diff_cells[:20]
    assert srv.stats.faults.get("5xx", 0) + srv.stats.faults.get("drop", 0) > 0
    assert client["key_switches"] == 1


# ---- the comparisons themselves can fail ---------------------------------------------------


def test_frame_differences_counts_a_changed_a_shifted_and_a_missing_value() -> None:
    import pandas as pd

    from tests.evidence_fixtures import frame_differences

    a = pd.DataFrame({"meterId": ["M-1", "M-1", "M-2"], "value": [1.0, float("nan"), 3.0]})
    assert frame_differences(a, a.copy()) == 0  # NaN equals NaN
    changed = a.copy()
    changed.loc[2, "value"] = 3.000001
    assert frame_differences(a, changed) == 1
    shifted = a.copy()
    shifted["value"] = a["value"].shift(-1)
    assert frame_differences(a, shifted) == 3
    assert frame_differences(a, a.iloc[:2]) == 2  # a lost row: one cell per column
    assert frame_differences(a, a.astype({"value": "float32"})) == 3  # a changed type


def test_workbook_differences_finds_one_changed_cell(tmp_path: Path) -> None:
    from openpyxl import Workbook, load_workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Volumes"
    ws["A1"] = "eCore volumes: refreshed 2026-11-26 04:18 CET"
    ws.append(["start", "value"])
    ws.append([dt.datetime(2026, 3, 29, 1, 0), 0.25])
    ws.append([dt.datetime(2026, 3, 29, 3, 0), 0.5])
    a = tmp_path / "a.xlsx"
    wb.save(a)
    b = tmp_path / "b.xlsx"
    wb2 = load_workbook(a)
    wb2["Volumes"]["A1"] = "eCore volumes: refreshed 2026-11-26 04:19 CET"  # run time: masked
    wb2.save(b)
    assert workbook_differences(a, b) == []
    wb2["Volumes"]["B4"] = 0.5000001
    wb2.save(b)
    assert workbook_differences(a, b) == [("Volumes", "B4")]
