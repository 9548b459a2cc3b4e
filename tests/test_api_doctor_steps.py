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
    assert body["total"] == 6 and body["steps"][5]["reason"].startswith("GET /meters: 3 records")
    assert srv.client_secret not in str(body) and srv.primary_key not in str(body)


def test_a_failing_step_stops_the_later_ones(srv: MockServer) -> None:
    settings = settings_for(srv, client_secret="not-the-secret")
    report = check_connection(settings=settings)
    assert [s.ok for s in report.steps] == [True, True, True, False]
    assert report.steps[-1].name == "token" and "AADB2C90081" in report.steps[-1].reason
    assert report.skipped == 2 and report.exit_code == 1
    assert report.lines()[-1] == "(2 later steps skipped: they need this one)"
    assert "not-the-secret" not in str(report.as_dict())


def test_missing_settings_exit_2_naming_them(srv: MockServer) -> None:
    report = check_connection(settings=settings_for(srv, subscription_key=""))
    assert report.exit_code == 2 and len(report.steps) == 1
    assert "ECORE_SUBSCRIPTION_KEY" in report.steps[0].reason
