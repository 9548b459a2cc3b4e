"""One job, the same steps: ``ecore-xl refresh/report`` draw them as a progress bar on a
terminal, the ribbon's buttons show them in Excel's status bar (the fake Excel here)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecore_xl.data import reset_service, set_service
from ecore_xl.excel import refresh
from ecore_xl.excel.headless import refresh_file
from ecore_xl.mock import MockServer
from ecore_xl.progress import Step, status_text
from ecore_xl.report import build_report
from tests.conftest import service_for
from tests.refresh_fake_excel import FakeBook, settings_book
from tests.refresh_fixtures import REFRESH_MOCK
from tests.terminal import run_in_terminal

MOCK_KW = REFRESH_MOCK
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def book(srv: MockServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeBook]:
    for key, value in srv.env().items():
        monkeypatch.setenv(key, value)
    set_service(service_for(srv))
    fake = settings_book(
        str(tmp_path / "book.xlsx"),
        **{"from": dt.datetime(2026, 3, 1), "to": dt.datetime(2026, 3, 3)},
        datasets="contracts, volumes",
    )
    try:
        yield fake
    finally:
        reset_service()


def test_ribbon_refresh_shows_in_the_status_bar_the_steps_the_terminal_shows(
    book: FakeBook, srv: MockServer, tmp_path: Path
) -> None:
    book.app.status_history.clear()
    refresh.refresh_all(book=book)
    shown = [s for s in book.app.status_history if s is not False]
    assert book.app.status_history[-1] is False  # handed back to Excel
    # the same refresh without Excel, its steps as `ecore-xl refresh` gets them
    steps: list[Step] = []
    headless = tmp_path / "same.xlsx"
    with service_for(srv) as svc:
        refresh_file(
            headless, datasets=["contracts", "volumes"], service=svc, progress=steps.append
        )
    texts = [s.text for s in steps[:-1]]  # the last is the closing "2 tables written"
    assert [t for t in texts if "request" not in t][:2] == ["contracts 1/2", "volumes 2/2"]
    assert {status_text(Step(t, 0, 0)) for t in texts if "request" not in t} <= set(shown)
    assert "eCore: contracts 1/2…" in shown and "eCore: writing Volumes…" in shown
    assert all(s.total == 3 for s in steps) and steps[-1].done == 3  # 2 datasets + writing
    assert [s.done for s in steps] == sorted(s.done for s in steps)


def test_ribbon_report_shows_its_steps_in_the_status_bar(book: FakeBook) -> None:
    book.app.status_history.clear()
    refresh.monthly_report(book=book)
    shown = [str(s) for s in book.app.status_history if s is not False]
    assert "eCore report 2026-03: invoices…" in shown
    assert "eCore report 2026-03: writing book report 2026-03.xlsx…" in shown
    assert book.app.status_history[-1] is False


def test_report_steps_count_up_to_the_writing(svc, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    steps: list[Step] = []
    build_report("2026-09", out=tmp_path / "r.xlsx", service=svc, progress=steps.append)
    assert steps[0] == Step("legal-entities", 0, 12)
    assert steps[-2].text == "writing r.xlsx" and steps[-1] == Step("r.xlsx written", 12, 12)
    assert [s.done for s in steps] == sorted(s.done for s in steps)


@pytest.mark.parametrize("command", ["refresh", "report"])
def test_terminal_shows_a_progress_bar_a_pipe_does_not(
    srv: MockServer, tmp_path: Path, command: str
) -> None:
    env = {**os.environ, **srv.env(), "PYTHONPATH": str(ROOT), "COLUMNS": "120"}
    if command == "refresh":
        args = ["refresh", str(tmp_path / "b.xlsx"), "--create", "-d", "contracts,meters"]
        wanted = ["Refreshing", "2/3", "meters 2/2"]
    else:
        args = ["report", "--month", "2026-09", "--out", str(tmp_path / "r.xlsx")]
        wanted = ["Report 2026-09", "/12", "clicks"]
    code, shown = run_in_terminal([sys.executable, "-m", "ecore_xl", *args], [], env, ROOT)
    assert code == 0, shown
    for text in wanted:
        assert text in shown, (text, shown)
    piped = subprocess.run(
        [sys.executable, "-m", "ecore_xl", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert piped.returncode == 0, piped.stderr
    assert wanted[0] not in piped.stderr  # no bar in a log file
