"""``ecore-xl report`` through click's CliRunner against the mock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from ecore_xl.cli import cli
from ecore_xl.mock import MockServer
from tests.report_fixtures import MOCK_KW, table_rows


@pytest.fixture(scope="module")
def srv() -> Iterator[MockServer]:
    with MockServer(**MOCK_KW) as server:
        yield server


def run(args: list[str], env: dict[str, str]) -> object:
    from ecore_xl.data import reset_service

    reset_service()  # the command builds its service from these settings
    return CliRunner().invoke(cli, ["report", *args], env=env, catch_exceptions=False)


def test_report_prints_what_it_wrote(srv: MockServer, tmp_path: Path) -> None:
    out = tmp_path / "oct.xlsx"
    result = run(["--month", "2026-09", "--out", str(out)], srv.env())
    assert result.exit_code == 0, result.output
    assert f"Wrote {out}" in result.output
    assert "Flagged invoices: INV-000122" in result.output
    assert "Over-hedged: PF-0002 (power) 2026-10" in result.output  # the mock's deliberate one
    assert openpyxl.load_workbook(out)["Summary"]["A1"].value.endswith("September 2026")


def test_save_snapshot_then_build_with_no_network(tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    with MockServer(**MOCK_KW) as live:
        env = live.env()
        first = run(
            ["--month", "2026-10", "--save-snapshot", str(snap), "--out", str(tmp_path / "a.xlsx")],
            env,
        )
        assert first.exit_code == 0, first.output
    out = tmp_path / "b.xlsx"
    second = run(["--month", "2026-10", "--snapshot", str(snap), "--out", str(out)], env)
    assert second.exit_code == 0, second.output
    assert [line for line in first.output.splitlines() if "  " in line] == [
        line for line in second.output.splitlines() if "  " in line
    ]
    provenance = table_rows(out, "tblProvenance")
    assert provenance and all(str(r["Source"]).startswith("snapshot") for r in provenance)
    cover = openpyxl.load_workbook(out)["Provenance"]
    values = {cover.cell(r, 1).value: cover.cell(r, 2).value for r in range(5, 14)}
    assert values["Data source"] == f"snapshot {snap}"
    assert values["Report month"] == "2026-10"


def test_split_with_a_name_pattern(srv: MockServer, tmp_path: Path) -> None:
    pattern = tmp_path / "r-{legal_entity}.xlsx"
    result = run(["--month", "2026-10", "--split", "--out", str(pattern)], srv.env())
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "r-LE-001.xlsx", "r-LE-002.xlsx", "r-LE-003.xlsx",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "10/2026"], "YYYY-MM"),
        (["--month", "2026-10", "--legal-entity", "LE-404"], "LE-404"),
        (["--month", "2026-10", "--threshold", "-3"], "percentage"),
        (["--month", "2026-10", "--snapshot", "nowhere"], "no such folder"),
    ],
)
def test_bad_input_exits_2_with_a_message(
    srv: MockServer, tmp_path: Path, args: list[str], message: str
) -> None:
    result = CliRunner().invoke(
        cli, ["report", *args, "--out", str(tmp_path / "r.xlsx")], env=srv.env()
    )
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "r.xlsx").exists()


def test_offline_without_snapshots_exits_2_and_keeps_the_old_file(
    srv: MockServer, tmp_path: Path
) -> None:
    out = tmp_path / "r.xlsx"
    out.write_bytes(b"old")
    env = {**srv.env(), "ECORE_CACHE_DIR": str(tmp_path / "empty-cache")}
    args = ["report", "--month", "2026-10", "--offline", "--out", str(out)]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 2  # a local problem: no API was asked
    assert "Offline" in result.output
    assert out.read_bytes() == b"old"


def test_pdf_without_libreoffice_is_one_line_before_any_request(
    srv: MockServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECORE_SOFFICE", str(tmp_path / "no-soffice"))
    before = srv.stats.data_requests
    out = tmp_path / "r.xlsx"
    result = run(["--month", "2026-10", "--pdf", "--out", str(out)], srv.env())
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == (
        f"Error: --pdf needs LibreOffice, and ECORE_SOFFICE={tmp_path / 'no-soffice'} is not a "
        "file: point it at LibreOffice's soffice, or leave out --pdf."
    )
    assert not out.exists() and not out.with_suffix(".pdf").exists()
    assert srv.stats.data_requests == before  # refused before the first request


def test_a_failed_pdf_keeps_the_old_report_and_pdf(
    srv: MockServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workbook and PDF are replaced together or not at all: a LibreOffice that fails leaves
    both old files as they were."""
    broken = tmp_path / "soffice"
    broken.write_text("#!/bin/sh\necho 'out of paper' >&2\nexit 3\n")
    broken.chmod(0o755)
    monkeypatch.setenv("ECORE_SOFFICE", str(broken))
    out = tmp_path / "r.xlsx"
    out.write_bytes(b"last month's report")
    out.with_suffix(".pdf").write_bytes(b"last month's pdf")
    result = run(["--month", "2026-10", "--pdf", "--out", str(out)], srv.env())
    assert result.exit_code == 2
    assert "LibreOffice could not convert r.xlsx to pdf (exit 3)" in result.output
    assert out.read_bytes() == b"last month's report"
    assert out.with_suffix(".pdf").read_bytes() == b"last month's pdf"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.pdf", "r.xlsx", "soffice"]
