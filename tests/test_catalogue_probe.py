"""``ecore-xl catalogue probe``: against each mock dialect with only the built-in catalogue,
``--write`` gives an override with which every dataset fetches what the ``ecore`` dialect gives;
each mismatch injected through the mock's switches is found and named; bounded; offline refused.

The probe runs through the real command (CliRunner, the mock on 127.0.0.1); the frames are
compared as ``tests/test_dialects_fetch.py`` compares the hand-written catalogues'.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

from ecore_xl.catalogue import builtin_catalogue, read_catalogue_file
from ecore_xl.cli import cli
from ecore_xl.data import DataService, reset_service
from ecore_xl.data.probe import BUDGET, ProbeResult, probe_catalogue
from ecore_xl.mock import MockServer
from tests.conftest import settings_for
from tests.dialect_compare import (
    AXES,
    CASE_IDS,
    CASES,
    KW,
    assert_declares_hand_written,
    assert_fetches_as_reference,
    assert_positions_and_volumes,
    assert_same,
    catalogue_path,
    reference_service,
    services_reading,
    three_servers,
)

DIALECTS = ("ecore", "paged", "bare")
SMALL: dict[str, Any] = {"seed": 53, "meters": 4, "years": (2025, 2026), "as_of": KW["as_of"]}


def _probe_cli(
    srv: MockServer, *args: str, catalogue: Path | None = None, offline: bool = False
) -> Any:
    env = {**srv.env()}
    if catalogue is not None:
        env["ECORE_CATALOGUE"] = str(catalogue)
    if offline:
        env["ECORE_OFFLINE"] = "1"
    reset_service()
    result = CliRunner().invoke(cli, ["catalogue", "probe", *args], env=env)
    reset_service()
    return result


def _probe(srv: MockServer, *datasets: str, catalogue: str | None = None) -> ProbeResult:
    settings = settings_for(srv, catalogue=catalogue)
    return probe_catalogue(datasets, settings=settings)


def _said(result: ProbeResult, dataset: str) -> str:
    return "\n".join(f"{f.subject}: {f.says} [{f.status}]" for f in result.learning.of(dataset))


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, MockServer]]:
    with three_servers() as made:
        yield made


@pytest.fixture(scope="module")
def written(
    servers: dict[str, MockServer], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """``ecore-xl catalogue probe --write`` of each dialect, into a new catalogue file."""
    out = {}
    for name, srv in servers.items():
        file = tmp_path_factory.mktemp(name) / "catalogue.json"
        result = _probe_cli(srv, "--write", catalogue=file)
        assert result.exit_code == 0, result.output
        if name == "ecore":
            assert "The catalogue matches the API: nothing to change." in result.output
            assert not file.exists()
        else:
            assert f"Wrote {file}." in result.output
        out[name] = file
    return out


@pytest.fixture(scope="module")
def services(
    servers: dict[str, MockServer], written: dict[str, Path]
) -> Iterator[dict[str, DataService]]:
    files = {name: file if file.exists() else None for name, file in written.items()}
    with services_reading(servers, files) as made:
        yield made


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(("dataset", "filters"), CASES, ids=CASE_IDS)
def test_after_probe_write_every_dataset_fetches_as_the_ecore_dialect(
    services: dict[str, DataService], dialect: str, dataset: str, filters: dict[str, Any]
) -> None:
    ecore = services["reference"].fetch(dataset, **filters)
    other = services[dialect].fetch(dataset, **filters)
    assert_same(dialect, dataset, ecore, other, exact=False)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_after_probe_write_positions_and_volumes_fetch_as_the_ecore_dialect(
    services: dict[str, DataService], servers: dict[str, MockServer], dialect: str
) -> None:
    portfolio = servers["ecore"].portfolio
    assert_positions_and_volumes(dialect, services["reference"], services[dialect], portfolio)


@pytest.mark.parametrize("dialect", ("paged", "bare"))
def test_the_probe_declares_what_the_hand_written_file_does(
    written: dict[str, Path], dialect: str
) -> None:
    assert_declares_hand_written(written[dialect], dialect, empty_dialect=False)


@pytest.mark.parametrize("dialect", ("paged", "bare"))
def test_with_the_right_catalogue_the_probe_finds_nothing_to_change(
    servers: dict[str, MockServer], dialect: str
) -> None:
    result = _probe(servers[dialect], catalogue=catalogue_path(dialect))
    assert not result.changes, json.dumps(result.overrides, indent=1)
    assert result.problems == []


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_probe_is_a_few_small_requests(servers: dict[str, MockServer], dialect: str) -> None:
    """Counted by the mock: every request the probe makes, each dataset within its budget."""
    srv = servers[dialect]
    srv.reset_stats()
    result = _probe(srv)
    every = {ds.name for ds in builtin_catalogue()} - {"invoice-lines"}  # the invoices' own
    assert set(result.per_dataset) == every
    assert max(result.per_dataset.values()) <= BUDGET
    assert result.requests == srv.stats.data_requests == sum(result.per_dataset.values())
    assert result.requests < 150  # eleven datasets found from the wrong paths, names and units


@pytest.mark.parametrize("args", [(), ("--write",), ("meters", "--write")])
def test_offline_mode_refuses_in_one_line(
    servers: dict[str, MockServer], tmp_path: Path, args: tuple[str, ...]
) -> None:
    srv = servers["bare"]
    srv.reset_stats()
    file = tmp_path / "catalogue.json"
    result = _probe_cli(srv, *args, catalogue=file, offline=True)
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "Error: Offline (ECORE_OFFLINE=1): the probe compares the live API with the catalogue; "
        "run it online."
    ]
    assert srv.stats.data_requests == 0 and srv.stats.token_requests == 0
    assert not file.exists()


# ---- each axis moved alone: probe --write fetches every dataset ----------------------------------

#: ignored by the API and not required: the probe removes the filter, and the rest still fetches
PROBE_AXES = {**AXES, "ignored optional filter": ({"ignore_params": {"invoices": ["status"]}}, {})}


@pytest.fixture(scope="module")
def reference() -> Iterator[DataService]:
    with reference_service() as svc:
        yield svc


@pytest.mark.parametrize("axis", list(PROBE_AXES))
def test_after_probe_write_an_axis_moved_alone_fetches_every_dataset(
    reference: DataService, tmp_path: Path, axis: str
) -> None:
    file = tmp_path / "catalogue.json"
    with MockServer(page_size=40, **PROBE_AXES[axis][0], **KW) as srv:
        result = _probe_cli(srv, "--write", catalogue=file)
        assert result.exit_code == 0, result.output
        assert file.exists() or "nothing to change" in result.output, result.output
        with DataService(settings_for(srv, catalogue=str(file) if file.exists() else None)) as svc:
            assert_fetches_as_reference(reference, svc, srv.portfolio)


# ---- each mismatch, injected alone, is found and named -------------------------------------------


def test_another_envelope_is_found() -> None:
    with MockServer(envelope="data.items", **SMALL) as srv:
        result = _probe(srv, "contracts")
    assert result.overrides["dialect"]["envelope"] == {"records": "data.items"}
    assert "records at 'data.items'" in _said(result, "")


@pytest.mark.parametrize(
    ("paging", "declared"),
    [
        ("offset", {"style": "offset", "offset_param": "offset", "size_param": "limit",
                    "max_size": 1000, "total_items": "header:X-Total-Count"}),
        ("skiptop", {"style": "offset", "offset_param": "skip", "size_param": "top",
                     "max_size": 1000, "total_items": "@odata.count"}),
        ("pages", {"style": "pages", "page_param": "page", "first_page": 1,
                   "size_param": "pageSize", "max_size": 500, "total_pages": "totalPages",
                   "total_items": "totalItems"}),
        ("cursor", {"style": "cursor", "token": "continuationToken",
                    "token_param": "continuationToken"}),
        ("cursor-header", {"style": "cursor", "token": "header:x-ms-continuation",
                           "token_param": "header:x-ms-continuation"}),
    ],
)  # fmt: skip
def test_another_paging_is_found_and_fetches_everything(
    paging: str, declared: dict[str, Any], tmp_path: Path
) -> None:
    with MockServer(paging=paging, page_size=40, **SMALL) as srv, MockServer(**SMALL) as ref:
        result = _probe(srv, "invoices")
        got = result.overrides["dialect"]["paging"]
        for key, value in declared.items():
            assert got.get(key) == value, (key, got)
        file = tmp_path / "c.json"
        file.write_text(json.dumps(result.overrides), encoding="utf-8")
        with (
            DataService(settings_for(srv, catalogue=str(file))) as svc,
            DataService(settings_for(ref)) as reference,
        ):
            pd.testing.assert_frame_equal(svc.fetch("invoices"), reference.fetch("invoices"))


def test_kwh_instead_of_mwh_is_found() -> None:
    with MockServer(energy_unit="kWh", **SMALL) as srv:
        result = _probe(srv, "invoices", "volumes")
    fields = {f["name"]: f for f in result.overrides["datasets"]["invoices"]["fields"]}
    assert fields["consumptionMWh"] == {
        "name": "consumptionMWh", "api_name": "consumptionKWh", "api_unit": "kWh"
    }  # fmt: skip
    assert "kWh (its name consumptionKWh says so)" in _said(result, "invoices")
    assert "the records say value is in kWh" in _said(result, "volumes")  # converted, said


def test_a_field_renamed_by_meaning_is_declared_and_another_is_named() -> None:
    renames = {"volumes": {"start": "timestamp"}, "contracts": {"supplier": "vendor"}}
    with MockServer(field_renames=renames, **SMALL) as srv:
        result = _probe(srv, "volumes", "contracts")
    volumes = result.overrides["datasets"]["volumes"]["fields"]
    assert {"name": "start", "api_name": "timestamp"} in volumes
    said = _said(result, "contracts")
    assert "field supplier: not in the sample" in said and "[unplaced]" in said
    assert "field vendor: new (text)" in said
    assert "supplier" not in json.dumps(result.overrides["datasets"].get("contracts", {}))


def test_an_ignored_optional_filter_is_removed_and_a_required_one_is_a_problem() -> None:
    with MockServer(ignore_params={"invoices": ["status"], "volumes": ["to"]}, **SMALL) as srv:
        result = _probe(srv, "invoices", "volumes")
    filters = result.overrides["datasets"]["invoices"]["filters"]
    assert filters == {"patch": [], "remove": ["status"]}
    assert "filter status: ignored by the API" in _said(result, "invoices")
    assert any("volumes: filter to: IGNORED by the API" in p for p in result.problems)


def test_the_cli_exits_1_when_the_api_ignores_a_required_filter() -> None:
    with MockServer(ignore_params={"volumes": ["to"]}, **SMALL) as srv:
        result = _probe_cli(srv, "volumes")
    assert result.exit_code == 1
    assert "filter to: IGNORED by the API" in result.stderr


def test_gas_daily_only_is_found_per_commodity() -> None:
    with MockServer(gas_daily_only=True, **SMALL) as srv:
        result = _probe(srv, "volumes")
    dialect = result.overrides["datasets"]["volumes"]["dialect"]
    assert dialect == {"granularities": {"gas": ["day", "month"]}}


def test_write_merges_into_the_users_file_and_keeps_the_old_one(tmp_path: Path) -> None:
    file = tmp_path / "catalogue.json"
    vip = {"name": "vip", "type": "bool"}
    mine = {"comment": "mine", "datasets": {"meters": {"fields": [vip]}}}
    file.write_text(json.dumps(mine), encoding="utf-8")
    with MockServer(dialect="bare", **SMALL) as srv:
        result = _probe_cli(srv, "meters", "--write", catalogue=file)
    assert result.exit_code == 0, result.output
    merged = read_catalogue_file(file)
    assert merged["comment"] == "mine"
    names = [f["name"] for f in merged["datasets"]["meters"]["fields"]]
    assert "vip" in names and "annualConsumptionMWh" in names
    assert json.loads((tmp_path / "catalogue.json.bak").read_text(encoding="utf-8")) == mine
    cat = builtin_catalogue().overlay(merged)
    assert cat.get("meters").field("annualConsumptionMWh").api_unit == "kWh"
