"""User catalogue files: where they are found, the merge rules, and malformed files."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from ecore_xl.catalogue import builtin_catalogue, load_catalogue
from ecore_xl.errors import CatalogueError


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_no_user_file_gives_the_builtin(ecore_home: Path) -> None:
    assert not (ecore_home / "catalogue.json").exists()
    assert load_catalogue() is builtin_catalogue()


def test_path_change_and_parameter_rename(tmp_path: Path) -> None:
    file = write(
        tmp_path / "cat.json",
        {
            "datasets": {
                "volumes": {
                    "path": "/timeseries/volumes",
                    "filters": [{"name": "meterId", "api_name": "meter_id"}],
                }
            }
        },
    )
    cat = load_catalogue(file)
    ds = cat.get("volumes")
    assert ds.path == "/timeseries/volumes"
    meter = ds.filter("meterId")
    assert meter.api_name == "meter_id" and meter.param == "meter_id"
    assert meter.doc == "only this meter"  # patched in place: other keys kept
    assert [f.name for f in ds.filters][:2] == ["meterId", "contractId"]
    path, query = ds.request({"meterId": "MT-1", "from": "2026-01-01", "to": "2026-01-02"})
    assert path == "/timeseries/volumes"
    assert query["meter_id"] == "MT-1" and "meterId" not in query
    assert ds.filter("meter_id") is meter  # the API name finds it too
    assert cat.get("contracts") == builtin_catalogue().get("contracts")


def test_new_dataset_gets_defaults(tmp_path: Path) -> None:
    file = write(
        tmp_path / "cat.json",
        {
            "datasets": {
                "spot-prices": {
                    "path": "/markets/{market}/spot-prices",
                    "description": "Day-ahead prices",
                    "filters": [{"name": "from", "type": "date"}],
                    "fields": ["start:timestamp", "price:number", {"name": "id"}],
                }
            }
        },
    )
    cat = load_catalogue(file)
    ds = cat.get("ECORE_SPOT_PRICES")
    assert ds.name == "spot-prices"
    assert (ds.sheet, ds.table, ds.function) == ("SpotPrices", "tblSpotPrices", "ECORE_SPOT_PRICES")
    assert ds.key == "id"
    assert [(f.name, f.type) for f in ds.fields] == [
        ("start", "timestamp"),
        ("price", "number"),
        ("id", "text"),
    ]
    market = ds.filter("market")  # a path placeholder without a filter gets a required one
    assert market.required
    assert ds.request({"market": "EPEX", "from": "2026-01-01"}) == (
        "/markets/EPEX/spot-prices",
        {"from": "2026-01-01"},
    )
    assert cat.names()[-1] == "spot-prices"


def test_fields_patch_remove_replace_and_dataset_removal(tmp_path: Path) -> None:
    file = write(
        tmp_path / "cat.json",
        {
            "datasets": {
                "contracts": {
                    "fields": {
                        "patch": [{"name": "broker"}, {"name": "status", "doc": "state"}],
                        "remove": ["supplier"],
                    }
                },
                "meters": {"fields": {"replace": ["id", "name:text"]}, "key": None},
                "clicks": None,
                "Portfolios": {"sheet": "Portfolio Data"},
            }
        },
    )
    cat = load_catalogue(file)
    contracts = cat.get("contracts")
    names = contracts.field_names()
    assert "supplier" not in names and names[-1] == "broker"
    assert names.index("status") == names.index("pricingModel") + 1  # patched in place
    assert cat.get("contracts").fields[names.index("status")].doc == "state"
    assert cat.get("meters").field_names() == ["id", "name"]
    assert cat.get("meters").key is None
    assert "clicks" not in cat
    assert cat.get("portfolios").sheet == "Portfolio Data"


def test_parent_change_carries_to_invoice_lines(tmp_path: Path) -> None:
    file = write(
        tmp_path / "cat.json",
        {
            "datasets": {
                "invoices": {
                    "path": "/billing/invoices",
                    "filters": [{"name": "supplier", "api_name": "supplierName"}],
                }
            }
        },
    )
    lines = load_catalogue(file).get("invoice-lines")
    assert lines.path == "/billing/invoices"
    assert lines.filter("supplier").param == "supplierName"


def test_path_placeholder_can_use_the_api_name(tmp_path: Path) -> None:
    file = write(
        tmp_path / "cat.json",
        {
            "datasets": {
                "positions": {
                    "path": "/portfolios/{id}/positions",
                    "filters": [{"name": "portfolioId", "api_name": "id"}],
                }
            }
        },
    )
    ds = load_catalogue(file).get("positions")
    assert [f.name for f in ds.filters].count("id") == 0
    assert ds.request({"portfolioId": "PF-1"}) == ("/portfolios/PF-1/positions", {})


def test_found_via_environment_and_config_dir(tmp_path: Path, ecore_home: Path) -> None:
    ecore_home.mkdir(parents=True, exist_ok=True)
    write(ecore_home / "catalogue.json", {"datasets": {"meters": {"path": "/from-config-dir"}}})
    assert load_catalogue().get("meters").path == "/from-config-dir"
    env_file = write(tmp_path / "env.json", {"datasets": {"meters": {"path": "/from-env"}}})
    os.environ["ECORE_CATALOGUE"] = str(env_file)
    assert load_catalogue().get("meters").path == "/from-env"
    arg_file = write(tmp_path / "arg.json", {"datasets": {"meters": {"path": "/from-arg"}}})
    assert load_catalogue(arg_file).get("meters").path == "/from-arg"


def test_cached_until_the_file_changes(tmp_path: Path) -> None:
    file = write(tmp_path / "cat.json", {"datasets": {"meters": {"path": "/one"}}})
    first = load_catalogue(file)
    assert load_catalogue(file) is first
    write(file, {"datasets": {"meters": {"path": "/two"}}})
    stat = file.stat()
    os.utime(file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert load_catalogue(file).get("meters").path == "/two"


def test_toml_file(tmp_path: Path) -> None:
    file = tmp_path / "cat.toml"
    file.write_text(
        """
[datasets.volumes]
path = "/v2/volumes"

[[datasets.volumes.filters]]
name = "meterId"
api_name = "meter"
""",
        encoding="utf-8",
    )
    ds = load_catalogue(file).get("volumes")
    assert ds.path == "/v2/volumes" and ds.filter("meterId").param == "meter"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "the top level must be an object"),
        ({"volumes": {}}, "volumes is not a catalogue key"),
        ({"datasets": {"volumes": {"pth": "/x"}}}, "datasets.volumes.pth is not a dataset key"),
        ({"datasets": {"volumes": {"path": 5}}}, "datasets.volumes.path must be text"),
        ({"datasets": {"volumes": {"path": "volumes"}}}, "datasets.volumes.path must start with"),
        ({"datasets": {"spot": {"fields": ["a"]}}}, "datasets.spot.path is missing"),
        (
            {"datasets": {"volumes": {"filters": [{"name": "type", "type": "dat"}]}}},
            r"datasets.volumes.filters\[0\].type 'dat' is not one of text, enum",
        ),
        (
            {"datasets": {"volumes": {"filters": [{"api_name": "x"}]}}},
            r"datasets.volumes.filters\[0\].name is missing",
        ),
        (
            {"datasets": {"volumes": {"fields": [{"name": "x", "typ": "text"}]}}},
            r"datasets.volumes.fields\[0\].typ is not allowed",
        ),
        (
            {"datasets": {"volumes": {"fields": {"remove": ["nope"]}}}},
            r"datasets.volumes.fields.remove names 'nope'",
        ),
        (
            {"datasets": {"volumes": {"fields": {"replace": [], "patch": []}}}},
            "cannot have both",
        ),
        ({"datasets": {"volumes": {"one_of": ["x"]}}}, "datasets.volumes.one_of names unknown"),
        (
            {"datasets": {"volumes": {"filters": [{"name": "type", "required": "yes"}]}}},
            "required must be true or false",
        ),
        ({"datasets": {"volumes": {"sheet": "a/b"}}}, "is not a valid Excel sheet name"),
        ({"datasets": {"volumes": []}}, "datasets.volumes must be an object"),
    ],
)
def test_malformed_file_names_file_and_key(tmp_path: Path, content: Any, message: str) -> None:
    file = tmp_path / "broken.json"
    if isinstance(content, str):
        file.write_text(content, encoding="utf-8")
    else:
        write(file, content)
    with pytest.raises(CatalogueError, match=message) as info:
        load_catalogue(file)
    assert str(file) in str(info.value)
    assert info.value.exit_code == 2


def test_missing_file_named(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match=r"nope\.json does not exist"):
        load_catalogue(tmp_path / "nope.json")
