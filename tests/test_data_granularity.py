"""The wide layout when some meters fall back to a coarser granularity (gas days among hours).

A grid has one row per interval: an hourly grid with gas meters that the API serves daily only
would put each gas day into the midnight hour's row, a silently wrong sheet. The honest answer
is a one-line refusal naming the meters and what to ask instead, in every face (fetch, the
worksheet functions, the refresh: all or nothing); a grid whose meters all share one
granularity (all fell back, or none) is fine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

from ecore_xl.cli import cli
from ecore_xl.data import DataService, reset_service, set_service
from ecore_xl.errors import InvalidFilterError, UsageError
from ecore_xl.excel.headless import refresh_file
from ecore_xl.mock import MockServer
from tests.conftest import service_for
from tests.refresh_fixtures import new_workbook, sha256
from tests.serve_fixtures import running_backend

#: seed 53: power and gas meters (as tests/test_dialects_fetch.py)
KW: dict[str, Any] = {"seed": 53, "meters": 6, "years": (2026,), "as_of": dt.date(2026, 11, 26)}
DAYS = {"from": "2026-02-01", "to": "2026-02-03"}


@pytest.fixture(scope="module")
def gas_daily() -> Iterator[MockServer]:
    with MockServer(gas_daily_only=True, **KW) as srv:
        yield srv


@pytest.fixture
def service(gas_daily: MockServer) -> Iterator[DataService]:
    svc = service_for(gas_daily)
    set_service(svc)
    try:
        yield svc
    finally:
        svc.close()


def _ids(srv: MockServer, commodity: str | None = None) -> list[str]:
    return [m["id"] for m in srv.portfolio.meters if commodity in (None, m["commodity"])]


def test_wide_with_gas_days_among_hours_is_refused_naming_the_meters(
    gas_daily: MockServer, service: DataService
) -> None:
    gas = _ids(gas_daily, "gas")
    assert gas and len(gas) < len(_ids(gas_daily)), "the portfolio has power and gas meters"
    kw = {"meterId": _ids(gas_daily), **DAYS, "granularity": "hour"}
    with pytest.raises(InvalidFilterError) as info:
        service.fetch("volumes", layout="wide", **kw)
    assert info.value.parameter == "layout" and info.value.exit_code == 2
    assert str(info.value) == (
        f"layout wide needs one granularity for every meterId, but {', '.join(gas)} come as day "
        "(the API offers them no hour): ask for granularity day, use layout long, or leave "
        "those out."
    )
    long = service.fetch("volumes", **kw)  # the long layout of the same answer is fine
    assert long.attrs["ecore"]["granularity"]["used"] == dict.fromkeys(gas, "day")


def test_a_grid_whose_meters_share_one_granularity_is_fine(
    gas_daily: MockServer, service: DataService
) -> None:
    gas = _ids(gas_daily, "gas")
    only_gas = service.fetch("volumes", layout="wide", meterId=gas, **DAYS, granularity="hour")
    assert list(only_gas.columns[3:]) == gas and len(only_gas) == 2  # every one fell back: days
    assert only_gas.attrs["ecore"]["notes"]  # and the frame says so
    power = _ids(gas_daily, "power")
    hours = service.fetch("volumes", layout="wide", meterId=power, **DAYS, granularity="hour")
    assert list(hours.columns[3:]) == power and len(hours) == 48
    days = service.fetch("volumes", layout="wide", meterId=_ids(gas_daily), **DAYS,
                         granularity="day")  # fmt: skip
    assert len(days) == 2 and days[gas + power].notna().all().all()


def test_every_face_says_it(gas_daily: MockServer, service: DataService, tmp_path: Path) -> None:
    from ecore_xl.excel import udfs

    ids = ",".join(_ids(gas_daily))
    cell = udfs.ECORE_VOLUMES(ids, DAYS["from"], DAYS["to"], "hour", "wide")
    assert cell.startswith("#ECORE! layout wide needs one granularity for every meterId")
    with running_backend(gas_daily) as api:
        body = api.call("VOLUMES", [[ids]], [[DAYS["from"]]], [[DAYS["to"]]], "hour", "wide")
        error = body.json()["error"]
        assert error["excel"] == "#VALUE!" and "ask for granularity day" in error["message"]
    reset_service()
    result = CliRunner().invoke(
        cli,
        ["fetch", "volumes", "--from", DAYS["from"], "--to", DAYS["to"], "--granularity", "hour",
         "--filter", f"meterId={ids}", "--wide"],
        env=gas_daily.env(),
    )  # fmt: skip
    reset_service()
    assert result.exit_code == 2 and "leave those out" in result.output


def test_a_wide_refresh_stops_before_anything_is_written(
    gas_daily: MockServer, service: DataService, tmp_path: Path
) -> None:
    path = new_workbook(tmp_path / "wide.xlsx", from_=dt.date(2026, 2, 1),
                        to=dt.date(2026, 2, 3), granularity="hour", layout="wide",
                        datasets="contracts, volumes")  # fmt: skip
    before = sha256(path)
    with pytest.raises(UsageError) as info:
        refresh_file(path, service=service)
    assert str(info.value).startswith(
        "Refresh stopped at volumes; nothing was changed. layout wide"
    )
    assert sha256(path) == before


def test_a_snapshot_keeps_the_granularity_column(
    gas_daily: MockServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ecore_xl.data import snapshot

    kw = {"meterId": _ids(gas_daily), "granularity": "hour", **DAYS}
    with service_for(gas_daily) as online:
        live = online.fetch("volumes", snapshot_dir=tmp_path, **kw)
    assert "granularity" in live.columns and set(live["granularity"]) == {"hour", "day"}
    monkeypatch.setattr(snapshot, "PART_BYTES", 500)  # typed a few records at a time
    with service_for(gas_daily, offline=True) as offline:
        again = offline.fetch("volumes", snapshot_dir=tmp_path, **kw)
    pd.testing.assert_frame_equal(again, live)
    assert again.attrs["ecore"]["granularity"] == live.attrs["ecore"]["granularity"]
