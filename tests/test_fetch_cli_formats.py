"""``ecore-xl fetch``: CSV for German-locale Excel, JSON arrays, Parquet, the terminal preview
and hints in the command line's spelling (issue 14), read back from the files written."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result

from ecore_xl.cli import cli
from ecore_xl.cli.preview import preview
from ecore_xl.data import reset_service
from ecore_xl.mock import MockServer
from tests.data_fixtures import meter_ids


@pytest.fixture
def run(srv: MockServer) -> Iterator[object]:
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
        reset_service()
        return runner.invoke(cli, ["fetch", *args], env={**srv.env(), **(env or {})})

    yield invoke
    reset_service()


def month_of_volumes(srv: MockServer) -> list[str]:
    meter = meter_ids(srv)[0]
    return ["volumes", "--filter", f"meterId={meter}", "--from", "2026-03-01", "--to", "2026-03-02"]


def test_csv_excel_de_is_semicolon_decimal_comma_with_bom(
    srv: MockServer, run, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    plain, german = tmp_path / "plain.csv", tmp_path / "de.csv"
    assert run(*month_of_volumes(srv), "--out", str(plain)).exit_code == 0
    result = run(*month_of_volumes(srv), "--out", str(german), "--csv", "excel-de")
    assert result.exit_code == 0, result.output
    raw = german.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads umlauts right
    assert not plain.read_bytes().startswith(b"\xef\xbb\xbf")
    header, first = raw[3:].decode("utf-8").splitlines()[:2]
    assert header.split(";")[:4] == ["meterId", "start", "startLocal", "value"]
    value = first.split(";")[3]
    assert "," in value and "." not in value  # 0,8123: a number to German Excel, not text
    back = pd.read_csv(german, sep=";", decimal=",", encoding="utf-8-sig")
    expected = pd.read_csv(plain)
    assert back["value"].tolist() == pytest.approx(expected["value"].tolist())
    assert len(back) == 24


def test_csv_style_from_ecore_csv(srv: MockServer, run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "de.csv"
    result = run(*month_of_volumes(srv), "--out", str(out), env={"ECORE_CSV": "excel-de"})
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[3:].split(b"\n")[0].count(b";") >= 3


def test_json_keeps_nested_lists_as_arrays(srv: MockServer, run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    contracts, invoices = tmp_path / "c.json", tmp_path / "i.json"
    assert run("contracts", "--out", str(contracts)).exit_code == 0
    result = run("invoices", "--from", "2026-09-01", "--to", "2026-10-01", "--out", str(invoices))
    assert result.exit_code == 0, result.output
    rows = json.loads(contracts.read_text(encoding="utf-8"))
    assert rows and all(isinstance(r["meterIds"], list) for r in rows)
    assert any(len(r["meterIds"]) > 1 for r in rows) or all(
        ";" not in m for r in rows for m in r["meterIds"]
    )
    bills = json.loads(invoices.read_text(encoding="utf-8"))
    assert bills and all(isinstance(b["lines"], list) for b in bills)
    line = bills[0]["lines"][0]
    assert isinstance(line, dict) and {"component", "amount"} <= set(line)
    assert isinstance(bills[0]["netAmount"], float | int)  # the other columns as before


def test_parquet_keeps_types_and_provenance(srv: MockServer, run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "v.parquet"
    result = run(*month_of_volumes(srv), "--out", str(out))
    assert result.exit_code == 0, result.output
    back = pd.read_parquet(out)
    assert len(back) == 24
    assert str(back["start"].dt.tz) == "UTC" and back["startLocal"].dt.tz is None
    assert back["startLocal"].iloc[0] == pd.Timestamp("2026-03-01 00:00")  # CET wall clock
    assert pd.api.types.is_float_dtype(back["value"])
    meta = back.attrs["ecore"]
    assert meta["source"] == "api" and meta["source_url"].startswith(srv.base_url)
    when = dt.datetime.fromisoformat(meta["fetched_at"].replace("Z", "+00:00"))
    assert abs(dt.datetime.now(dt.UTC) - when) < dt.timedelta(minutes=5)


def test_a_fetched_frame_saves_with_to_parquet(svc, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    df = svc.fetch("invoices", status="paid")
    df.to_parquet(tmp_path / "x.parquet")  # filterwarnings=error: attrs dropped would fail
    assert pd.read_parquet(tmp_path / "x.parquet").attrs["ecore"] == df.attrs["ecore"]


def test_missing_filter_hint_is_in_cli_spelling(srv: MockServer, run) -> None:  # type: ignore[no-untyped-def]
    meter = meter_ids(srv)[0]
    result = run("volumes", "--filter", f"meterId={meter}", "--from", "2026-01-01")
    assert result.exit_code == 2
    assert "volumes needs the filter to: add --to 20" in result.stderr
    assert "to=..." not in result.stderr
    none = run("volumes", "--from", "2026-01-01", "--to", "2026-02-01")
    assert none.exit_code == 2
    assert "For example: --filter meterId=VALUE" in none.stderr


def test_preview_blank_cells_width_and_count(srv: MockServer, run) -> None:  # type: ignore[no-untyped-def]
    meter = meter_ids(srv)[0]
    args = ["volumes", "--filter", f"meterId={meter}", "--from", "2026-03-01", "--to", "2026-03-19"]
    result = run(*args, "--granularity", "day", env={"COLUMNS": "60"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 1 + 10 + 1 and all(len(line) <= 60 for line in lines[:-1])
    assert lines[-1] == "first 10 of 18 rows x 7 columns (3 shown; --out FILE.xlsx for all)"
    assert lines[0].split() == ["meterId", "start", "startLocal"]
    for bad in ("NaN", "<NA>", "None", "NaT"):
        assert bad not in result.output


def test_preview_of_missing_values_is_blank() -> None:
    df = pd.DataFrame(
        {
            "id": ["A", "B"],
            "price": [1.5, None],
            "note": pd.Series(["x", None], dtype="str"),
            "when": pd.to_datetime(["2026-01-01", None]),
        }
    )
    text = preview(df, width=60)
    assert text.splitlines()[2].split() == ["B"]  # the empty cells are blank
    assert text.splitlines()[-1] == "2 rows x 4 columns"
