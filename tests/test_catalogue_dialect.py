"""The dialect declarations: the override file's ``dialect`` sections, merged and checked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ecore_xl.catalogue import DEFAULT_DIALECT, Catalogue, builtin_catalogue, load_catalogue
from ecore_xl.errors import CatalogueError
from tests.dialect_compare import catalogue_path


def _load(tmp_path: Path, data: dict[str, Any]) -> Catalogue:
    file = tmp_path / "catalogue.json"
    file.write_text(json.dumps(data), encoding="utf-8")
    return load_catalogue(file)


def test_the_builtin_dialect_is_the_contract() -> None:
    cat = builtin_catalogue()
    assert cat.dialect == DEFAULT_DIALECT
    ds = cat.get("volumes")
    assert ds.dialect.envelope.records == "value" and ds.dialect.paging.style == "next"
    assert ds.dialect.paging.next == ("nextLink", "@odata.nextLink", "header:Link")
    value = ds.field("value")
    assert value is not None and (value.unit, value.unit_field) == ("MWh", "unit")
    assert ds.granularity is not None and ds.granularity.source == "meters"
    ends = {(d.name, f.name) for d in cat for f in d.fields if f.ends_period}
    assert ends == {
        ("relationships", "validTo"),
        ("contracts", "deliveryEnd"),
        ("clicks", "deliveryEnd"),
        ("invoices", "periodEnd"),
    }


def test_api_wide_section_and_a_datasets_own_merge_key_by_key(tmp_path: Path) -> None:
    cat = _load(
        tmp_path,
        {
            "dialect": {
                "envelope": "data.items",
                "paging": {"style": "offset", "size_param": "limit", "max_size": 100},
            },
            "datasets": {"meters": {"dialect": {"paging": {"max_size": 7}, "series": "values"}}},
        },
    )
    contracts, meters = cat.get("contracts").dialect, cat.get("meters").dialect
    assert contracts.envelope.records == meters.envelope.records == "data.items"
    assert (contracts.paging.style, contracts.paging.max_size) == ("offset", 100)
    assert (meters.paging.style, meters.paging.size_param, meters.paging.max_size) == (
        "offset",
        "limit",
        7,
    )
    assert meters.series == "values" and contracts.series is None
    again = Catalogue.from_dict(cat.to_dict())  # the file format round-trips
    assert again.get("meters").dialect == meters and again.dialect == cat.dialect


def test_a_naming_rule_derives_api_names_an_explicit_one_wins(tmp_path: Path) -> None:
    cat = _load(
        tmp_path,
        {
            "dialect": {"params": {"names": "snake_case"}, "fields": {"names": "snake_case"}},
            "datasets": {"clicks": {"fields": [{"name": "volumeMWh", "api_name": "volume"}]}},
        },
    )
    clicks = cat.get("clicks")
    assert clicks.filter("contractId").param == "contract_id"
    assert clicks.filter("from").param == "from"
    sources = {f.name: f.source for f in clicks.fields}
    assert sources["priceEurPerMWh"] == "price_eur_per_mwh"
    assert sources["volumeMWh"] == "volume" and sources["id"] == "id"
    meters = {f.name: f.source for f in cat.get("meters").fields}
    assert meters["address.postalCode"] == "address.postal_code"
    dumped = cat.to_dict()["datasets"]["clicks"]["fields"]
    assert not any(f.get("api_name") == "price_eur_per_mwh" for f in dumped)  # derived, not said


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"dialect": {"paging": {"style": "scroll"}}}, "paging.style 'scroll' is not one of"),
        ({"dialect": {"paging": {"style": "pages"}}}, "style pages needs size_param"),
        ({"dialect": {"paging": {"first_page": 2}}}, "first_page must be 0 or 1"),
        ({"dialect": {"envelope": {"recs": "x"}}}, "dialect.envelope.recs is not allowed here"),
        ({"dialect": {"params": {"dates": "unix"}}}, "dialect.params.dates 'unix' is not one of"),
        ({"dialect": {"colour": 1}}, "dialect.colour is not a dialect key"),
        ({"dialect": {"granularities": {"gas": "day"}}}, "granularities.gas must be a non-empty"),
        ({"datasets": {"volumes": {"fields": [{"name": "value", "api_unit": "bananas"}]}}},
         "'bananas' is not a unit ecore_xl converts"),
        ({"datasets": {"meters": {"fields": [{"name": "x", "api_unit": "kWh"}]}}},
         "api_unit needs 'unit' too"),
        ({"datasets": {"clicks": {"under": {"filter": "contractId", "dataset": "nope"}}}},
         "under.dataset names unknown dataset 'nope'"),
        ({"datasets": {"clicks": {"under": {"filter": "nope", "dataset": "contracts"}}}},
         "under.filter names unknown filter 'nope'"),
        ({"datasets": {"volumes": {"filters": [{"name": "granularity", "values": ["PT1H"]}]}}},
         "values must map our value to the API's"),
        ({"datasets": {"clicks": {"fields": [{"name": "executedAt", "ends_period": True}]}},
          "dialect": {"fields": {"period_ends": "inclusive"}}},
         "inclusive ends are whole days, but clicks.executedAt is a timestamp"),
    ],
)  # fmt: skip
def test_a_malformed_declaration_names_the_file_and_the_key(
    tmp_path: Path, data: dict[str, Any], message: str
) -> None:
    with pytest.raises(CatalogueError) as info:
        _load(tmp_path, data)
    assert message in str(info.value)
    assert str(tmp_path / "catalogue.json") in str(info.value)


def test_the_mock_dialects_files_load_and_declare_every_axis() -> None:
    paged = load_catalogue(catalogue_path("paged"))
    volumes = paged.get("volumes")
    assert volumes.dialect.series == "values"
    assert volumes.dialect.allowed_granularities("gas") == ("day", "month")
    assert volumes.dialect.allowed_granularities("power") is None
    assert volumes.filter("granularity").api_value("hour") == "PT1H"
    assert paged.get("clicks").under is not None
    assert not paged.get("clicks").filter("contractId").required  # filled from the contracts
    assert paged.dialect.params.end == paged.dialect.fields.period_ends == "inclusive"
    bare = load_catalogue(catalogue_path("bare"))
    assert bare.dialect.envelope.records == "$" and bare.dialect.fields.epoch == "ms"
    assert bare.get("volumes").field("value").api_unit == "kWh"  # type: ignore[union-attr]
    assert bare.get("invoice-lines").field("unitPrice").source == "unit_price"  # type: ignore[union-attr]
