"""The ribbon's macros, run on a stand-in xlwings book against the mock."""

from __future__ import annotations

import datetime as dt
import shutil
import types
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from ecore_xl.data import reset_service, set_service
from ecore_xl.excel import refresh
from ecore_xl.excel.headless import refresh_file
from ecore_xl.mock import MockServer
from tests.conftest import service_for
from tests.refresh_fake_excel import FakeBook, name_value, settings_book
from tests.refresh_fixtures import REFRESH_MOCK, new_workbook

MOCK_KW = REFRESH_MOCK  # the srv fixture (conftest.py) serves this mock


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


def test_refresh_buttons(book: FakeBook) -> None:
    refresh.refresh_all(book=book)
    prompt, title, mode = book.app.alerts[-1]
    assert mode == "info" and title == "eCore" and prompt.startswith("eCore refreshed: contracts")
    assert {t.name for s in book.sheets for t in s.tables} == {"tblContracts", "tblVolumes"}
    refresh.refresh_dataset("clicks", book=book)
    assert book.app.alerts[-1][0].startswith("eCore refreshed: clicks")
    book.sheets.active = book.sheets["Volumes"]
    refresh.refresh_sheet(book=book)
    assert book.app.alerts[-1][0].startswith("eCore refreshed: volumes")
    refresh.refresh_dataset("nosuch", book=book)
    assert book.app.alerts[-1][2] == "critical" and "Unknown dataset" in book.app.alerts[-1][0]
    assert book.app.screen_updating is True and book.app.calculation == "automatic"


def test_settings_and_offline_buttons(book: FakeBook) -> None:
    refresh.show_settings(book=book)
    assert book.sheets["eCore"].activated
    refresh.set_offline(True, book=book)
    assert name_value(book, "ecore.offline") is True
    assert "ON" in book.app.alerts[-1][0]
    refresh.toggle_offline(book=book)
    assert name_value(book, "ecore.offline") is False


def test_offline_button_stops_the_formulas_calling_the_api(book: FakeBook, srv: MockServer) -> None:
    from ecore_xl.excel import offline, udfs
    from ecore_xl.excel.logsetup import close_logging

    srv.reset_stats()
    try:
        refresh.set_offline(True, book=book)
        assert offline.is_offline() and udfs.is_offline()
        assert udfs.ECORE_CONTRACTS().startswith("#ECORE! Offline")
        assert srv.stats.data_requests == 0 and srv.stats.token_requests == 0
        refresh.toggle_offline(book=book)  # back online: the same formula asks the API
        assert name_value(book, "ecore.offline") is False and not udfs.is_offline()
        rows = udfs.ECORE_CONTRACTS()
        assert rows[0][0] == "id" and len(rows) == 1 + len(srv.portfolio.contracts)
        assert srv.stats.data_requests == 1
    finally:
        offline.set_offline(None)
        close_logging()


def test_check_connection_shows_the_doctor_steps(book: FakeBook) -> None:
    refresh.check_connection(book=book)
    prompt, _title, mode = book.app.alerts[-1]
    assert mode == "info" and "All checks passed" in prompt


def test_snapshot_button_saves_a_values_copy(
    book: FakeBook, srv: MockServer, tmp_path: Path
) -> None:
    saved = new_workbook(tmp_path / "saved.xlsx", datasets="contracts")
    refresh_file(saved, service=service_for(srv))
    book.api = types.SimpleNamespace(SaveCopyAs=lambda path: shutil.copy(saved, path))
    refresh.snapshot(book=book)
    prompt = book.app.alerts[-1][0]
    assert prompt.startswith("Snapshot saved: ")
    target = Path(prompt.removeprefix("Snapshot saved: ").splitlines()[0])
    assert target.parent == tmp_path and "snapshot" in target.name
    assert "Provenance" in openpyxl.load_workbook(target).sheetnames


def test_monthly_report_button(book: FakeBook, tmp_path: Path) -> None:
    from ecore_xl.report import build_report

    book.app.status_history.clear()
    refresh.monthly_report(book=book)
    prompt, _title, mode = book.app.alerts[-1]
    assert mode == "info", prompt
    assert (tmp_path / "book report 2026-03.xlsx").exists()
    # Excel's status bar told the steps `ecore-xl report` draws, word for word, then was handed back
    steps: list[str] = []
    (tmp_path / "cli").mkdir()
    out = tmp_path / "cli" / "book report 2026-03.xlsx"
    build_report("2026-03", out=out, progress=lambda s: steps.append(s.text))
    shown = book.app.status_history

    def stages(texts: list[str]) -> list[str]:  # the second run's requests are cached
        return [t for t in texts if ": request " not in t]

    assert len(stages(steps)) >= 3
    assert stages(shown[:-1]) == [f"eCore report 2026-03: {text}…" for text in stages(steps)]
    assert any(": request " in t for t in shown[:-1])
    assert shown[-1] is False


def test_a_failing_button_logs_the_detail_to_the_macros_log_file(
    book: FakeBook, srv: MockServer
) -> None:
    import os

    srv.faults.malformed["/contracts"] = "html"
    try:
        refresh.refresh_dataset("contracts", book=book)
    finally:
        srv.faults.malformed.clear()
    prompt, _title, mode = book.app.alerts[-1]
    log_file = Path(os.environ["ECORE_LOG_DIR"]) / refresh.LOG_FILE_NAME
    assert mode == "critical"
    assert str(log_file) in prompt, "the message box says where the detail is"
    text = log_file.read_text(encoding="utf-8")
    assert "contracts" in text and "HTML" in text
    assert srv.client_secret not in text and srv.primary_key not in text
