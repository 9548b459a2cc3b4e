"""``ecore-xl catalogue import`` of a collection exported from the mock with one axis switched
(docs/dialects.md, "Switches for tests"): the imported catalogue fetches every dataset as the
plain ``ecore`` mock does, with no hand edits; a field renamed beyond any meaning is named, not
guessed.

The collection is written by ``ecore_xl.mock.postman_export`` from a live mock in the switched
dialect (examples in pages of two records, so the paging shows how it continues); the import runs
through the real command; the mock then serves the same portfolio in pages of 40 records, so
every collection is read over several pages.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ecore_xl.cli import cli
from ecore_xl.data import DataService
from ecore_xl.mock import MockServer
from ecore_xl.mock.dialect import Dialect, configure
from ecore_xl.mock.postman_export import collection
from tests.conftest import settings_for
from tests.dialect_compare import AXES, KW, assert_fetches_as_reference, reference_service


def _import(dialect: Dialect, folder: Path) -> tuple[Path, str]:
    exported = folder / "collection.json"
    exported.write_text(json.dumps(collection(dialect)), encoding="utf-8")
    out = folder / "catalogue.json"
    result = CliRunner().invoke(cli, ["catalogue", "import", str(exported), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.output


def _contains(got: Any, expected: Any) -> bool:
    if isinstance(expected, dict):
        return isinstance(got, dict) and all(_contains(got.get(k), v) for k, v in expected.items())
    return bool(got == expected)


@pytest.fixture(scope="module")
def reference() -> Iterator[DataService]:
    with reference_service() as svc:
        yield svc


@pytest.mark.parametrize("axis", list(AXES))
def test_an_axis_switched_alone_imports_to_a_catalogue_that_fetches_every_dataset(
    reference: DataService, tmp_path: Path, axis: str
) -> None:
    switches, declared = AXES[axis]
    dialect = configure("ecore", **switches)
    file, _ = _import(dialect, tmp_path)
    data = json.loads(file.read_text(encoding="utf-8"))
    assert _contains(data, declared), json.dumps(data, indent=1)
    with (
        MockServer(dialect=dialect, page_size=40, **KW) as srv,
        DataService(settings_for(srv, catalogue=str(file))) as svc,
    ):
        assert_fetches_as_reference(reference, svc, srv.portfolio)


def test_kwh_is_declared_per_field_from_the_names_the_examples_show(tmp_path: Path) -> None:
    file, _ = _import(configure("ecore", energy_unit="kWh"), tmp_path)
    fields = json.loads(file.read_text(encoding="utf-8"))["datasets"]["invoices"]["fields"]
    assert {"name": "consumptionMWh", "api_name": "consumptionKWh", "api_unit": "kWh"} in fields


def test_a_field_renamed_beyond_meaning_is_named_and_not_guessed(tmp_path: Path) -> None:
    renamed = configure("ecore", field_renames={"contracts": {"contractNumber": "contractNo"}})
    file, output = _import(renamed, tmp_path)
    lines = [line for line in output.splitlines() if "contractN" in line]
    assert any("field contractNumber" in x and "not placed" in x for x in lines), output
    assert any("field contractNo" in x and "new (text)" in x for x in lines), output
    contracts = json.loads(file.read_text(encoding="utf-8"))["datasets"]["contracts"]
    assert not any(f.get("api_name") == "contractNo" for f in contracts.get("fields", []))
