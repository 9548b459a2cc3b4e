"""``ecore-xl catalogue import`` of each mock dialect's vendor-style collection, with no hand edits,
gives a catalogue with which every dataset fetches what the ``ecore`` dialect gives.

The collections are ``tests/fixtures/postman/dialect_{ecore,paged,bare}.json`` (written from a
live mock by ``ecore_xl.mock.postman_export``). The import runs through the real command (click's
CliRunner) into an override file; the frames are compared as ``tests/test_dialects_fetch.py``
compares the hand-written catalogues' (same rows, columns, dtypes, local times; numbers to 1e-12
relative: kWh / 1000 may differ from the contract's MWh in the last bit).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ecore_xl.catalogue import read_catalogue_file
from ecore_xl.cli import cli
from ecore_xl.data import DataService
from ecore_xl.mock import MockServer
from tests.dialect_compare import (
    CASE_IDS,
    CASES,
    assert_declares_hand_written,
    assert_positions_and_volumes,
    assert_same,
    services_reading,
    three_servers,
)

FIXTURES = Path(__file__).parent / "fixtures" / "postman"
DIALECTS = ("ecore", "paged", "bare")


def _import(dialect: str, out: Path) -> str:
    collection = FIXTURES / f"dialect_{dialect}.json"
    result = CliRunner().invoke(cli, ["catalogue", "import", str(collection), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("imported")
    files = {}
    for dialect in DIALECTS:
        files[dialect] = folder / f"{dialect}.json"
        _import(dialect, files[dialect])
    return files


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, MockServer]]:
    with three_servers() as made:
        yield made


@pytest.fixture(scope="module")
def services(
    servers: dict[str, MockServer], imported: dict[str, Path]
) -> Iterator[dict[str, DataService]]:
    with services_reading(servers, imported) as made:
        yield made


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(("dataset", "filters"), CASES, ids=CASE_IDS)
def test_every_dataset_fetches_as_the_ecore_dialect(
    services: dict[str, DataService], dialect: str, dataset: str, filters: dict[str, Any]
) -> None:
    ecore = services["reference"].fetch(dataset, **filters)
    other = services[dialect].fetch(dataset, **filters)
    assert_same(dialect, dataset, ecore, other, exact=False)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_positions_and_volumes_fetch_as_the_ecore_dialect(
    services: dict[str, DataService], servers: dict[str, MockServer], dialect: str
) -> None:
    portfolio = servers["ecore"].portfolio
    assert_positions_and_volumes(dialect, services["reference"], services[dialect], portfolio)


def test_the_ecore_collection_changes_nothing(imported: dict[str, Path]) -> None:
    data = read_catalogue_file(imported["ecore"])
    assert data["datasets"] == {} and "dialect" not in data


@pytest.mark.parametrize("dialect", ("paged", "bare"))
def test_the_import_declares_what_the_hand_written_file_does(
    imported: dict[str, Path], dialect: str
) -> None:
    assert_declares_hand_written(imported[dialect], dialect, empty_dialect=True)


def _as_v20(data: dict[str, Any]) -> dict[str, Any]:
    """The collection as Postman's v2.0 format writes it: ``host`` and ``path`` as strings, an
    ``auth`` block's values as an object instead of v2.1's list of key/value pairs."""
    v20 = copy.deepcopy(data)
    v20["info"]["schema"] = "https://schema.getpostman.com/json/collection/v2.0.0/collection.json"

    def url(u: Any) -> None:
        if isinstance(u, dict):
            u["host"] = "".join(u.get("host", []))
            u["path"] = "/".join(u.get("path", []))

    def auth(a: Any) -> None:
        if isinstance(a, dict) and isinstance(a.get(a.get("type")), list):
            a[a["type"]] = {x["key"]: x.get("value") for x in a[a["type"]]}

    def walk(items: list[dict[str, Any]]) -> None:
        for item in items:
            walk(item.get("item", []))
            auth(item.get("auth"))
            request = item.get("request")
            if isinstance(request, dict):
                url(request.get("url"))
                auth(request.get("auth"))
            for example in item.get("response", []):
                url(example.get("originalRequest", {}).get("url"))

    auth(v20.get("auth"))
    walk(v20["item"])
    return v20


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_collection_in_v20_form_imports_to_the_same_file(
    imported: dict[str, Path], tmp_path: Path, dialect: str
) -> None:
    data = json.loads((FIXTURES / f"dialect_{dialect}.json").read_text(encoding="utf-8"))
    v20 = _as_v20(data)
    assert v20 != data
    collection, out = tmp_path / f"dialect_{dialect}.json", tmp_path / "v20.json"
    collection.write_text(json.dumps(v20), encoding="utf-8")
    result = CliRunner().invoke(cli, ["catalogue", "import", str(collection), "--out", str(out)])
    assert result.exit_code == 0, result.output
    mine, v21 = (read_catalogue_file(f) for f in (out, imported[dialect]))
    assert mine.pop("source") != v21.pop("source")  # each names its own file
    assert mine == v21
