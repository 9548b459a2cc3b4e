"""Snapshot (values + Provenance) and the ``ecore-xl refresh`` command."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from ecore_xl.cli import cli
from ecore_xl.data import reset_service
from ecore_xl.errors import UsageError
from ecore_xl.excel.headless import refresh_file
from ecore_xl.excel.provenance import snapshot_file
from ecore_xl.mock import MockServer
from tests.conftest import service_for
from tests.refresh_fixtures import REFRESH_MOCK, new_workbook, sha256

MOCK_KW = REFRESH_MOCK  # the srv fixture (conftest.py) serves this mock


def _with_cached_formula(path: Path) -> None:
    """Add =ECORE_CONTRACTS_COUNT() with a saved result of 42, as Excel would leave it."""
    wb = openpyxl.load_workbook(path)
    wb["Contracts"]["P1"] = "=ECORE_CONTRACTS_COUNT()"
    wb["Contracts"]["Q1"] = "=1+1"
    wb.save(path)
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    name = next(n for n in parts if n.startswith("xl/worksheets/") and b"ECORE_" in parts[n])
    xml = parts[name].decode()
    xml = re.sub(r"<f>ECORE_CONTRACTS_COUNT\(\)</f><v\s*/?>(</v>)?",
                 "<f>ECORE_CONTRACTS_COUNT()</f><v>42</v>", xml)  # fmt: skip
    parts[name] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in parts.items():
            z.writestr(n, data)


def test_snapshot_turns_ecore_formulas_into_values_with_provenance(
    srv: MockServer, tmp_path: Path
) -> None:
    book = new_workbook(tmp_path / "book.xlsx", datasets="contracts")
    refresh_file(book, service=service_for(srv))
    _with_cached_formula(book)
    digest = sha256(book)
    out, missing = snapshot_file(book, tmp_path / "send.xlsx", now=dt.datetime(2026, 4, 1))
    assert missing == [] and sha256(book) == digest  # the original is untouched
    wb = openpyxl.load_workbook(out)
    assert wb["Contracts"]["P1"].value == 42
    assert wb["Contracts"]["Q1"].value == "=1+1"  # the user's own formulas stay
    assert wb["Contracts"].tables["tblContracts"]  # tables hold values already: kept
    rows = list(wb["Provenance"].iter_rows(values_only=True))
    header = rows.index(("Dataset", "Sheet", "Table", "Rows", "Fetched (UTC)",
                         "Fetched (local)", "Filters", "Source"))  # fmt: skip
    entry = rows[header + 1]
    assert entry[:4] == ("contracts", "Contracts", "tblContracts", len(srv.portfolio.contracts))
    assert isinstance(entry[4], dt.datetime)
    assert ("Contracts!P1", "=ECORE_CONTRACTS_COUNT()") in [r[:2] for r in rows]


def test_offline_refresh_from_an_old_snapshot_says_when_it_was_fetched(
    srv: MockServer, tmp_path: Path
) -> None:
    from ecore_xl.data import list_snapshots, read_snapshot, write_snapshot

    book = new_workbook(tmp_path / "book.xlsx", datasets="contracts")
    snaps = tmp_path / "snaps"
    refresh_file(book, service=service_for(srv), snapshot_dir=snaps)
    old = dt.datetime(2026, 3, 5, 6, 0, tzinfo=dt.UTC)  # the snapshots were made long ago
    for meta in list_snapshots(snaps):
        records, _ = read_snapshot(snaps, meta["dataset"], meta["filters"])  # type: ignore[misc]
        write_snapshot(snaps, meta["dataset"], meta["filters"], records, meta["source_url"],
                       fetched_at=old)  # fmt: skip
    (contracts,) = [m["path"] for m in list_snapshots(snaps) if m["dataset"] == "contracts"]
    report = refresh_file(book, service=service_for(srv), snapshot_dir=snaps, offline=True)
    assert report.results[0].fetched_at == old
    ws = openpyxl.load_workbook(book)["Contracts"]
    assert ws["A1"].value == (
        "eCore contracts: refreshed 2026-03-05 07:00 CET (2026-03-05 06:00 UTC) "
        "from offline snapshots"
    )
    assert ws["A3"].value.endswith(f"· source: snapshot {contracts}")
    out, _ = snapshot_file(book, tmp_path / "send.xlsx")
    rows = list(openpyxl.load_workbook(out)["Provenance"].iter_rows(values_only=True))
    (entry,) = [r for r in rows if r[0] == "contracts"]
    assert entry[4:6] == (dt.datetime(2026, 3, 5, 6, 0), dt.datetime(2026, 3, 5, 7, 0))
    assert entry[7] == f"snapshot {contracts}"


def test_snapshot_reports_formulas_without_saved_values(srv: MockServer, tmp_path: Path) -> None:
    book = new_workbook(tmp_path / "book.xlsx", datasets="contracts")
    refresh_file(book, service=service_for(srv))
    wb = openpyxl.load_workbook(book)
    wb["Contracts"]["P1"] = "=ECORE_CONTRACTS_COUNT()"
    wb.save(book)
    _out, missing = snapshot_file(book, tmp_path / "send.xlsx")
    assert missing == ["Contracts!P1"]
    with pytest.raises(UsageError, match=r"\.xlsx"):
        snapshot_file(book, tmp_path / "send.xlsm")


def test_cli_refresh(srv: MockServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in srv.env().items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()
    book = tmp_path / "new.xlsx"
    result = runner.invoke(
        cli, ["refresh", str(book), "--create", "-d", "contracts,meters", "--values-copy",
              str(tmp_path / "copy.xlsx")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Created" in result.output and "tblContracts" in result.output
    assert (tmp_path / "copy.xlsx").exists()
    digest = sha256(book)
    bad = runner.invoke(cli, ["refresh", str(book), "-d", "nosuch"])
    assert bad.exit_code == 2 and "Unknown dataset" in bad.output
    assert sha256(book) == digest
    srv.faults.malformed["/clicks"] = "html"
    monkeypatch.setenv("ECORE_RETRIES", "0")
    reset_service()
    try:
        failed = runner.invoke(cli, ["refresh", str(book), "-d", "contracts,clicks"])
    finally:
        srv.faults.malformed.clear()
    assert failed.exit_code == 1 and "Refresh stopped at clicks" in failed.output
    assert sha256(book) == digest
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"x")
    assert runner.invoke(cli, ["refresh", str(xls)]).exit_code == 2


def test_a_values_copy_of_a_damaged_workbook_is_one_line(tmp_path: Path) -> None:
    book = new_workbook(tmp_path / "book.xlsx", datasets="contracts")
    with zipfile.ZipFile(book) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["xl/workbook.xml"] = b"<workbook><sheets"
    with zipfile.ZipFile(book, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    with pytest.raises(UsageError, match=r"book\.xlsx is not a readable") as info:
        snapshot_file(book, tmp_path / "copy.xlsx")
    assert "\n" not in str(info.value)
    assert not (tmp_path / "copy.xlsx").exists()
