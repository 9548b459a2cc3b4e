"""A result that cannot fit one Excel sheet is refused from the plan: ``fetch --out x.xlsx``,
``refresh`` and ``report`` stop with exit code 2 and one line before their requests (the mock
counts what reached it)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ecore_xl.cli import cli
from ecore_xl.data import reset_service
from ecore_xl.data.sheet_fit import SHEET_ROWS, planned_rows
from ecore_xl.errors import TooManyRowsError
from ecore_xl.mock import MockServer
from tests.conftest import service_for
from tests.refresh_fixtures import new_workbook, sha256

#: 360 meters: a month of quarter-hours of all of them (360 x 2,980) passes a sheet
MOCK_KW: dict[str, Any] = {  # as of January: a whole year of actuals
    "seed": 3,
    "meters": 360,
    "years": (2026,),
    "as_of": dt.date(2027, 1, 15),
}
YEAR = {"from": "2026-01-01", "to": "2027-01-01"}  # 35,040 quarter-hours (DST: -4 +4)
TZ = "Europe/Berlin"


def ids(srv: MockServer, n: int) -> list[str]:
    return [m["id"] for m in srv.portfolio.meters[:n]]


def invoke(srv: MockServer, *args: str) -> Result:
    reset_service()  # a fresh process as far as the service goes
    srv.reset_stats()
    try:
        return CliRunner().invoke(cli, list(args), env=srv.env())
    finally:
        reset_service()


def nothing_reached(srv: MockServer) -> bool:
    s = srv.stats
    return s.data_requests == 0 and s.token_requests == 0 and s.connections == 0


def one_line(result: Result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


# ---- the bound -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("granularity", "span", "per_meter"),
    [
        ("quarterhour", YEAR, 35_040),
        ("quarterhour", {"from": "2026-10-01", "to": "2026-11-01"}, 2_980),  # the 25-hour day
        ("quarterhour", {"from": "2026-03-01", "to": "2026-04-01"}, 2_972),  # the 23-hour day
        ("hour", YEAR, 8_760),
        ("day", YEAR, 365),
        ("month", YEAR, 12),
        ("hour", {"from": "2026-03-02T06:30:00+01:00", "to": "2026-03-02T09:00:00+01:00"}, 2),
    ],
)
def test_the_bound_counts_the_intervals_in_local_time(
    srv: MockServer, granularity: str, span: dict[str, str], per_meter: int
) -> None:
    """The bound is what the mock really sends, for every meter, DST days included."""
    svc = service_for(srv)
    meters = ids(srv, 2)
    ds, norm = svc.normalise("volumes", meterId=meters, granularity=granularity, **span)
    long = planned_rows(ds, norm, layout="long", tz=TZ)
    wide = planned_rows(ds, norm, layout="wide", tz=TZ)
    assert long is not None and wide is not None
    assert (long.rows, wide.rows) == (2 * per_meter, per_meter)
    if per_meter < 10_000:  # the real answer has exactly these rows
        got = svc.fetch("volumes", meterId=meters, granularity=granularity, **span)
        assert len(got) == long.rows


def test_datasets_the_plan_cannot_count_are_left_to_the_check_after_the_fetch(
    srv: MockServer,
) -> None:
    svc = service_for(srv)
    ds, norm = svc.normalise("contracts")
    assert planned_rows(ds, norm, layout="long", tz=TZ) is None  # the API says how many
    contract = srv.portfolio.contracts[0]["id"]
    ds, norm = svc.normalise("volumes", contractId=contract, **YEAR)
    assert planned_rows(ds, norm, layout="long", tz=TZ) is None  # meters unknown


def test_the_last_row_that_fits_passes_and_one_more_is_refused(srv: MockServer) -> None:
    svc = service_for(srv)
    srv.reset_stats()
    fits = SHEET_ROWS // 8_760  # meters of a year of hours that fit: 119
    a_year = {**YEAR, "granularity": "hour"}
    svc.check_fits_sheet("volumes", what="t", meterId=ids(srv, fits), **a_year)
    with pytest.raises(TooManyRowsError, match=r"up to 1,051,200 rows.*1,048,575"):
        svc.check_fits_sheet("volumes", what="t", meterId=ids(srv, fits + 1), **a_year)
    svc.check_fits_sheet("volumes", what="t", layout="wide", meterId=ids(srv, 300), **a_year)
    assert nothing_reached(srv)


# ---- the three commands ----------------------------------------------------------------------


def test_fetch_to_xlsx_is_refused_before_any_request(srv: MockServer, tmp_path: Path) -> None:
    out = tmp_path / "v.xlsx"
    result = invoke(
        srv, "fetch", "volumes", "--filter", "meterId=" + ",".join(ids(srv, 30)),
        "--from", YEAR["from"], "--to", YEAR["to"], "--granularity", "quarterhour",
        "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    line = one_line(result)
    assert "v.xlsx" in line and "30 meterId values x 35,040 quarterhour intervals" in line
    assert "1,051,200 rows" in line and "--wide" in line and "parquet" in line
    assert nothing_reached(srv)
    assert not out.exists()


def test_fetch_to_csv_or_wide_is_not_refused_by_the_plan(srv: MockServer, tmp_path: Path) -> None:
    """The refusal is for a sheet only; a wide sheet of the same meters is one row per interval."""
    svc = service_for(srv)
    many = {"meterId": ids(srv, 30), "granularity": "quarterhour", **YEAR}
    svc.check_fits_sheet("volumes", layout="wide", what="t", **many)  # 35,040 rows: fits
    result = invoke(
        srv, "fetch", "volumes", "--filter", "meterId=" + ",".join(ids(srv, 2)),
        "--from", "2026-03-01", "--to", "2026-03-02", "--out", str(tmp_path / "v.xlsx"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert srv.stats.data_requests > 0


def test_refresh_is_refused_before_any_request_and_the_file_is_unchanged(
    srv: MockServer, tmp_path: Path
) -> None:
    book = new_workbook(
        tmp_path / "book.xlsx",
        from_=dt.date(2026, 1, 1),
        to=dt.date(2027, 1, 1),
        granularity="quarterhour",
        meters=",".join(ids(srv, 31)),
        datasets="contracts, volumes",  # contracts would fit: nothing is fetched for either
    )
    before = sha256(book)
    result = invoke(srv, "refresh", str(book))
    assert result.exit_code == 2, result.output
    line = one_line(result)
    assert "Refresh refused, the workbook is unchanged." in line
    assert "volumes (Volumes)" in line and "1,086,240 rows" in line and "wide" in line
    assert nothing_reached(srv)
    assert sha256(book) == before


def test_report_is_refused_before_its_volume_requests(srv: MockServer, tmp_path: Path) -> None:
    """Only the meter list tells a report how many meters it has: those three small requests
    are made, no volume request is."""
    out = tmp_path / "r.xlsx"
    result = invoke(
        srv, "report", "--month", "2026-10", "--granularity", "quarterhour", "--out", str(out)
    )
    assert result.exit_code == 2, result.output
    line = one_line(result)
    assert "Report 2026-10, Consumption table" in line
    assert f"{360 * 2_980:,} rows" in line and "--granularity hour or day" in line
    paths = srv.stats.requests_by_path
    assert paths["/volumes"] == 0 and paths["/invoices"] == 0
    assert srv.stats.data_requests == 3  # legal entities, business units, meters
    assert not out.exists()
