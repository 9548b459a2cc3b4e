"""``ecore-xl catalogue import`` of each mock dialect's vendor-style collection, with no hand edits,
gives a catalogue with which every dataset fetches what the ``ecore`` dialect gives.

The collections are ``tests/fixtures/postman/dialect_{ecore,paged,bare}.json`` (written from a
live mock by ``ecore_xl.mock.postman_export``). The import runs through the real command (click's
CliRunner) into an override file; the frames are compared as ``tests/test_dialects_fetch.py``
compares the hand-written catalogues' (same rows, columns, dtypes, local times; numbers to 1e-12
relative: kWh / 1000 may differ from the contract's MWh in the last bit).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

from ecore_xl.catalogue import read_catalogue_file
from ecore_xl.cli import cli
from ecore_xl.data import DataService
from ecore_xl.mock import MockServer
from tests.conftest import settings_for
from tests.test_dialects_fetch import CASES, EXTRA, KW, RAW_JSON, TOLERANCE

FIXTURES = Path(__file__).parent / "fixtures" / "postman"
HAND_WRITTEN = Path(__file__).resolve().parent.parent / "ecore_xl" / "mock" / "catalogues"
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
def services(imported: dict[str, Path]) -> Iterator[dict[str, DataService]]:
    with (
        MockServer(**KW) as ecore,
        MockServer(dialect="paged", **KW) as paged,
        MockServer(dialect="bare", **KW) as bare,
    ):
        servers = {"ecore": ecore, "paged": paged, "bare": bare}
        made = {"reference": DataService(settings_for(ecore))}
        for name, srv in servers.items():
            made[name] = DataService(settings_for(srv, catalogue=str(imported[name])))
        made["_servers"] = servers  # type: ignore[assignment]
        yield made
        for key, svc in made.items():
            if key != "_servers":
                svc.close()


def _same(dialect: str, dataset: str, ecore: pd.DataFrame, other: pd.DataFrame) -> None:
    extra = set(other.columns) - set(ecore.columns)
    assert extra <= EXTRA.get((dialect, dataset), set()), (dialect, dataset, extra)
    skip = RAW_JSON.get((dialect, dataset), set())
    columns = [c for c in ecore.columns if c not in skip]
    assert len(ecore) > 0, (dataset, "compare something")
    pd.testing.assert_frame_equal(other[columns], ecore[columns], **TOLERANCE)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(("dataset", "filters"), CASES, ids=[f"{d}{f or ''}" for d, f in CASES])
def test_every_dataset_fetches_as_the_ecore_dialect(
    services: dict[str, DataService], dialect: str, dataset: str, filters: dict[str, Any]
) -> None:
    ecore = services["reference"].fetch(dataset, **filters)
    _same(dialect, dataset, ecore, services[dialect].fetch(dataset, **filters))


@pytest.mark.parametrize("dialect", DIALECTS)
def test_positions_and_volumes_fetch_as_the_ecore_dialect(
    services: dict[str, DataService], dialect: str
) -> None:
    servers: dict[str, MockServer] = services["_servers"]  # type: ignore[assignment]
    pf = servers["ecore"].portfolio
    portfolios = [p["id"] for p in pf.portfolios]
    for granularity in ("month", "quarter"):
        kw = {"portfolioId": portfolios, "granularity": granularity, "from": "2026-01-01",
              "to": "2027-01-01"}  # fmt: skip
        _same(dialect, "positions", services["reference"].fetch("positions", **kw),
              services[dialect].fetch("positions", **kw))  # fmt: skip
    power = [m["id"] for m in pf.meters if m["commodity"] == "power"]
    for granularity, day in (("quarterhour", "2026-03-29"), ("hour", "2026-10-25")):
        kw = {"meterId": power, "from": day, "to": f"{day[:8]}{int(day[8:]) + 1}",
              "granularity": granularity}  # fmt: skip
        _same(dialect, "volumes", services["reference"].fetch("volumes", **kw),
              services[dialect].fetch("volumes", **kw))  # fmt: skip
    every = [m["id"] for m in pf.meters]
    kw = {"meterId": every, "from": "2026-02-01", "to": "2026-03-01", "granularity": "day"}
    _same(dialect, "volumes", services["reference"].fetch("volumes", **kw),
          services[dialect].fetch("volumes", **kw))  # fmt: skip


def test_the_ecore_collection_changes_nothing(imported: dict[str, Path]) -> None:
    data = read_catalogue_file(imported["ecore"])
    assert data["datasets"] == {} and "dialect" not in data


@pytest.mark.parametrize("dialect", ("paged", "bare"))
def test_the_import_declares_what_the_hand_written_file_does(
    imported: dict[str, Path], dialect: str
) -> None:
    """Not a byte comparison (the import may declare more, e.g. new fields), but every dialect
    declaration of the hand-written file is there, with the same value."""
    mine = read_catalogue_file(imported[dialect])
    theirs = json.loads((HAND_WRITTEN / f"{dialect}.json").read_text(encoding="utf-8"))
    for section, values in theirs["dialect"].items():
        assert mine["dialect"][section] == values, section
    for name, entry in theirs["datasets"].items():
        got = mine["datasets"][name]
        for key in ("path", "under", "one_of"):
            assert got.get(key) == entry.get(key), (name, key)
        assert got.get("dialect", {}) == entry.get("dialect", {}), name
