"""``check_connection``: the doctor's steps as data (the add-in and the ribbon show them)."""

from __future__ import annotations

from ecore_xl.api.doctor import STEP_NAMES, check_connection
from ecore_xl.mock import MockServer
from tests.conftest import settings_for


def test_every_step_is_data_and_ok_against_the_mock(srv: MockServer) -> None:
    report = check_connection(settings=settings_for(srv))
    assert report.ok and report.exit_code == 0 and report.skipped == 0
    names = [s.name for s in report.steps]
    assert names == ["settings", "proxy", "connectivity", *STEP_NAMES[3:]]
    assert all(s.ok for s in report.steps)
    body = report.as_dict()
    assert body["total"] == 7 and body["steps"][5]["reason"].startswith("GET /meters: 3 records")
    assert body["steps"][6]["name"] == "catalogue" and body["steps"][6]["ok"]
    assert srv.client_secret not in str(body) and srv.primary_key not in str(body)


def test_a_failing_step_stops_the_later_ones(srv: MockServer) -> None:
    settings = settings_for(srv, client_secret="not-the-secret")
    report = check_connection(settings=settings)
    assert [s.ok for s in report.steps] == [True, True, True, False]
    assert report.steps[-1].name == "token" and "AADB2C90081" in report.steps[-1].reason
    assert report.skipped == 3 and report.exit_code == 1
    assert report.lines()[-1] == "(3 later steps skipped: they need this one)"
    assert "not-the-secret" not in str(report.as_dict())


def test_missing_settings_exit_2_naming_them(srv: MockServer) -> None:
    report = check_connection(settings=settings_for(srv, subscription_key=""))
    assert report.exit_code == 2 and len(report.steps) == 1
    assert "ECORE_SUBSCRIPTION_KEY" in report.steps[0].reason


def test_the_last_step_probes_meters_and_names_what_differs_with_the_fix() -> None:
    """An API in kWh read with the built-in catalogue (in MWh): the connection works, the meters
    do not read as declared: the step says what differs and the fix, exit 2 (a local fix)."""
    with MockServer(energy_unit="kWh", seed=42, meters=3) as srv:
        report = check_connection(settings=settings_for(srv))
    step = report.steps[-1]
    assert step.name == "catalogue" and not step.ok and report.exit_code == 2
    assert step.reason.startswith("meters differs from the catalogue (field annualConsumptionMWh")
    assert step.reason.endswith("run 'ecore-xl catalogue probe --write' to fix the catalogue file")
