"""Each everyday mistake is one clear line with the README's exit code (issue 14)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ecore_xl.cli import cli
from ecore_xl.mock import MockServer
from tests.conftest import MOCK_KW


def run(srv: MockServer, *args: str) -> object:
    from ecore_xl.data import reset_service

    reset_service()
    return CliRunner().invoke(cli, list(args), env=srv.env(), catch_exceptions=False)


def one_error_line(result: object) -> str:
    lines = result.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1, result.stderr  # type: ignore[attr-defined]
    assert lines[0].startswith("Error: "), lines
    return lines[0]


def test_refresh_of_a_missing_file_asks_for_create(srv: MockServer, tmp_path: Path) -> None:
    typo = tmp_path / "reprot.xlsx"
    result = run(srv, "refresh", str(typo), "--datasets", "contracts")
    assert result.exit_code == 2
    line = one_error_line(result)
    assert "reprot.xlsx does not exist" in line and "--create" in line
    assert not typo.exists()
    made = run(srv, "refresh", str(typo), "--create", "--datasets", "contracts")
    assert made.exit_code == 0, made.output
    assert f"Created {typo}" in made.output and typo.is_file()
    again = run(srv, "refresh", str(typo), "--datasets", "contracts")
    assert again.exit_code == 0 and f"Refreshed {typo}" in again.output


def test_mock_on_a_busy_port_is_one_line_with_exit_2() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "ecore_xl", "mock", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert f"Port {port} on 127.0.0.1 is in use" in lines[0] and f"--port {port + 1}" in lines[0]


def test_mock_default_years_are_the_demos(tmp_path: Path) -> None:
    from ecore_xl.cli.demo_cmd import demo_years, today_local
    from ecore_xl.data import reset_service

    this = today_local().year
    assert demo_years(today_local()) == (this - 1, this, this + 1)
    proc = subprocess.Popen(
        [sys.executable, "-m", "ecore_xl", "mock", "--port", "0", "--meters", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    env: dict[str, str] = {}
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            key, _, value = line.strip().partition("=")
            if key.startswith("ECORE_"):
                env[key] = value
            if key == "ECORE_SUBSCRIPTION_KEY_SECONDARY":
                break
        reset_service()
        out = tmp_path / "portfolios.csv"
        result = CliRunner().invoke(cli, ["fetch", "portfolios", "--out", str(out)], env=env)
        assert result.exit_code == 0, result.output
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
    import pandas as pd

    years = sorted(set(pd.read_csv(out)["deliveryYear"]))
    assert years == [this - 1, this, this + 1]


@pytest.mark.parametrize(
    ("given", "flagged"),
    [("2%", True), ("2", True), ("2,5 %", True), ("40%", False), ("0%", True)],
)
def test_threshold_reads_percent_with_or_without_sign(
    srv: MockServer, tmp_path: Path, given: str, flagged: bool
) -> None:
    out = tmp_path / "r.xlsx"
    result = run(srv, "report", "--month", "2026-09", "--threshold", given, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert ("Flagged invoices: " in result.output) is flagged


@pytest.mark.parametrize(
    ("given", "says"),
    [("0.02", "write 2% for 2 percent, or 0.02% for 0.02 percent"), ("two", "like 2%")],
)
def test_threshold_refuses_ambiguous_or_no_number(
    srv: MockServer, tmp_path: Path, given: str, says: str
) -> None:
    out = tmp_path / "r.xlsx"
    result = run(srv, "report", "--month", "2026-09", "--threshold", given, "--out", str(out))
    assert result.exit_code == 2
    assert says in result.stderr and not out.exists()


def test_report_for_a_month_without_actuals_names_where_they_end(
    srv: MockServer, tmp_path: Path
) -> None:
    assert MOCK_KW["as_of"].isoformat() == "2026-11-15"
    for month in ("2026-12", "2031-01"):
        out = tmp_path / f"{month}.xlsx"
        result = run(srv, "report", "--month", month, "--out", str(out))
        assert result.exit_code == 2, result.output
        line = one_error_line(result)
        assert f"{month} has no actual volumes yet: latest actuals end 2026-11-14" in line
        assert "choose an earlier month" in line and not out.exists()
    partial = run(srv, "report", "--month", "2026-11", "--out", str(tmp_path / "nov.xlsx"))
    assert partial.exit_code == 0, partial.output
    assert (
        "Warning: Actual volumes of 2026-11 end 2026-11-14: the month's consumption and costs "
        "are not complete."
    ) in partial.stderr
    whole = run(srv, "report", "--month", "2026-10", "--out", str(tmp_path / "oct.xlsx"))
    assert whole.exit_code == 0 and "Actual volumes" not in whole.stderr
