"""``ecore-xl demo``: the README's first command, end to end on the embedded mock."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from ecore_xl.cli import cli
from ecore_xl.cli.demo_cmd import last_complete_month


def test_last_complete_month_crosses_the_year() -> None:
    assert last_complete_month(dt.date(2026, 11, 26)) == "2026-10"
    assert last_complete_month(dt.date(2027, 1, 1)) == "2026-12"


def test_demo_writes_workbook_report_and_snapshots_that_work_offline(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    runner = CliRunner()
    result = runner.invoke(cli, ["demo", "--out", str(out), "--meters", "4", "--month", "2026-10"])
    assert result.exit_code == 0, result.output
    workbook = out / "ecore-demo.xlsx"
    report = out / "monthly-report-2026-10.xlsx"
    assert str(workbook) in result.output and str(report) in result.output
    assert "2026-10, as the report's Summary shows it:" in result.output
    assert "  Consumption (MWh)" in result.output

    book = openpyxl.load_workbook(workbook)
    assert {"eCore", "Contracts", "Volumes", "Invoices"} <= set(book.sheetnames)
    assert book["Contracts"].tables, "contracts are written as an Excel table"
    summary = openpyxl.load_workbook(report)["Summary"]
    assert any("Consumption" in str(c.value) for row in summary.iter_rows() for c in row if c.value)
    assert any(out.joinpath("snapshots").iterdir())

    # The printed offline command rebuilds the same report with no API at all.
    again = tmp_path / "again.xlsx"
    offline = runner.invoke(
        cli,
        [
            "report",
            "--month",
            "2026-10",
            "--snapshot",
            str(out / "snapshots"),
            "--offline",
            "--out",
            str(again),
        ],
    )
    assert offline.exit_code == 0, offline.output
    first = openpyxl.load_workbook(report, data_only=False)["Invoices"]
    second = openpyxl.load_workbook(again, data_only=False)["Invoices"]
    assert [[c.value for c in r] for r in first.iter_rows()] == [
        [c.value for c in r] for r in second.iter_rows()
    ]


def test_the_demo_month_shows_a_flagged_invoice_and_an_over_hedged_month(tmp_path: Path) -> None:
    """The month the demo reports on (the last complete one, whatever today is) holds the mock's
    deliberate discrepancy and over-hedge: the report flags both, and the demo says so."""
    from ecore_xl.cli.demo_cmd import today_local

    month = last_complete_month(today_local())
    result = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path / "demo"), "--meters", "4"])
    assert result.exit_code == 0, result.output
    report = tmp_path / "demo" / f"monthly-report-{month}.xlsx"
    assert report.is_file()
    lines = result.output.splitlines()
    flagged = next(line for line in lines if line.startswith("  Flagged invoices: "))
    over = next(line for line in lines if line.startswith("  Over-hedged: "))
    assert f") {month}" in over  # one over-hedged portfolio month is the demo month itself
    summary = openpyxl.load_workbook(report, data_only=True)["Summary"]
    names = {row[0].value: [c.value for c in row[1:4]] for row in summary.iter_rows(min_row=6)}
    assert names["Flagged invoices"][2] == len(flagged.split(":")[1].split(",")) >= 1
    assert names["Over-hedged months"][2] >= 1
    invoices = openpyxl.load_workbook(report, data_only=True)["Invoices"]
    flags = [c.value for c in invoices["O"][5:]]
    assert "CHECK" in flags


def test_the_printed_offline_commands_run_as_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shlex

    from ecore_xl.data import reset_service

    out = tmp_path / "demo"
    runner = CliRunner()
    result = runner.invoke(cli, ["demo", "--out", str(out), "--meters", "2", "--month", "2026-10"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    start = lines.index("Again, offline, from the snapshots (no API, no mock):")
    commands = [shlex.split(line.strip()) for line in lines[start + 1 : start + 3]]
    assert [c[:2] for c in commands] == [["ecore-xl", "refresh"], ["ecore-xl", "report"]]
    before = (out / "ecore-demo.xlsx").stat().st_mtime_ns
    monkeypatch.chdir(tmp_path)  # report --out report.xlsx, as printed
    for command in commands:
        reset_service()  # no settings at all: only the snapshots can answer
        ran = runner.invoke(cli, command[1:])
        assert ran.exit_code == 0, (command, ran.output)
    assert (tmp_path / "report.xlsx").is_file()
    assert (out / "ecore-demo.xlsx").stat().st_mtime_ns != before  # refreshed, offline
