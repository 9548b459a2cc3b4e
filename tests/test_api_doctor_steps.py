"""``check_connection``: the doctor's steps as data (the add-in and the ribbon show them)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ecore_xl.api.doctor import STEP_NAMES, check_connection
from ecore_xl.cli import cli
from ecore_xl.data import reset_service
from ecore_xl.data.probe import BUDGET
from ecore_xl.mock import MockServer
from tests.conftest import settings_for
from tests.dialect_compare import catalogue_path


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


# ---- every dialect, and offline (issue 11) ----------------------------------------------------


@pytest.mark.parametrize("dialect", ("paged", "bare"))
def test_with_its_catalogue_file_every_dialect_passes_every_step(dialect: str) -> None:
    """Steps 5 and 6 read with the catalogue's paths and dialect, the 7th probes meters."""
    with MockServer(dialect=dialect, seed=42, meters=3) as srv:
        catalogue = catalogue_path(dialect)
        report = check_connection(settings=settings_for(srv, catalogue=catalogue))
    assert report.ok, report.lines()
    reasons = {s.name: s.reason for s in report.steps}
    meters = "/structure/meters" if dialect == "paged" else "/meters"
    assert reasons["data"] == f"GET {meters}: 3 records on the first page"
    assert reasons["catalogue"].startswith("meters as the catalogue says (")


@pytest.mark.parametrize(
    ("dialect", "key_step", "data_step"),
    [
        ("paged", "The API has no route /v1/legal-entities", "The API has no route /v1/meters"),
        ("bare", "The API has no route /v1/legal-entities", "records are under the body itself"),
    ],
)
def test_with_the_builtin_catalogue_the_probe_still_runs_and_names_the_fix(
    dialect: str, key_step: str, data_step: str
) -> None:
    """Another dialect read with the built-in catalogue: the key and data steps say the API does
    not read as the catalogue says, and the catalogue step's probe finds what differs and the
    command that writes the fix; exit 2 (a local fix), nothing skipped."""
    with MockServer(dialect=dialect, seed=42, meters=3) as srv:
        report = check_connection(settings=settings_for(srv))
        probed = srv.stats.data_requests
    assert [s.name for s in report.steps][-3:] == ["subscription key", "data", "catalogue"]
    key, data, catalogue = report.steps[-3:]
    assert not key.ok and key_step in key.reason
    assert not data.ok and data_step in data.reason
    for step in (key, data):
        assert step.reason.endswith("the API does not read as the catalogue says: "
                                    "the catalogue step probes it")  # fmt: skip
    assert not catalogue.ok and catalogue.reason.startswith("meters differs from the catalogue (")
    assert catalogue.reason.endswith("run 'ecore-xl catalogue probe --write' to fix the catalogue "
                                     "file")  # fmt: skip
    assert report.exit_code == 2 and report.skipped == 0
    assert probed <= 2 + BUDGET  # the key and data GETs, then the probe of one dataset


def test_after_probe_write_the_doctor_passes(tmp_path: Path) -> None:
    """The full command the doctor points to, then the doctor again: every step OK."""
    file = tmp_path / "catalogue.json"
    with MockServer(dialect="paged", seed=42, meters=3) as srv:
        reset_service()
        env = {**srv.env(), "ECORE_CATALOGUE": str(file)}
        result = CliRunner().invoke(cli, ["catalogue", "probe", "--write"], env=env)
        reset_service()
        assert result.exit_code == 0, result.output
        report = check_connection(settings=settings_for(srv, catalogue=str(file)))
    assert report.ok, report.lines()


@pytest.mark.parametrize("dialect", ("ecore", "paged", "bare"))
def test_offline_the_doctor_calls_nothing_and_says_so_in_one_line(dialect: str) -> None:
    with MockServer(dialect=dialect, seed=42, meters=3) as srv:
        srv.reset_stats()
        report = check_connection(settings=settings_for(srv, offline=True))
        assert srv.stats.data_requests == 0 and srv.stats.token_requests == 0
    (step,) = report.steps
    assert step.name == "settings" and not step.ok and report.exit_code == 2
    assert step.reason.startswith("Offline (ECORE_OFFLINE=1): the doctor checks the live")
    assert report.skipped == len(STEP_NAMES) - 1


def test_offline_from_the_environment_through_the_command(srv: MockServer) -> None:
    reset_service()
    env = {**srv.env(), "ECORE_OFFLINE": "1"}
    result = CliRunner().invoke(cli, ["doctor"], env=env)
    assert result.exit_code == 2
    assert result.output.splitlines()[0].startswith(
        "[1/7] settings           FAIL  Offline (ECORE_OFFLINE=1)"
    )
    assert "Traceback" not in result.output
