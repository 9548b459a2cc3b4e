"""Postman collection import: v2.1 and v2.0 exports, the docs wrapper, merge onto the built-in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ecore_xl.catalogue import builtin_catalogue, load_catalogue, write_catalogue_file
from ecore_xl.catalogue.postman import import_collection, read_collection, to_overrides
from ecore_xl.data.filters import normalise_filters
from ecore_xl.data.frames import records_to_frame, volumes_wide
from ecore_xl.errors import CatalogueError

FIXTURES = Path(__file__).parent / "fixtures" / "postman"
V21 = FIXTURES / "ecore_v21.json"
V20 = FIXTURES / "renamed_v20.json"
DOCS_WRAPPER = FIXTURES / "docs_wrapper.json"  # E&C's published-docs export, trimmed
BUILTIN = builtin_catalogue()


def contract_collection() -> dict[str, Any]:
    return json.loads(V21.read_text(encoding="utf-8"))


def test_contract_collection_matches_builtin_without_changes() -> None:
    result = to_overrides(read_collection(V21), source="v21")
    assert set(result.matched) == {ds.name for ds in BUILTIN if ds.parent is None}
    assert result.matched["positions"] == "GET /portfolios/{portfolioId}/positions"
    assert result.new == []
    assert result.overrides["datasets"] == {}
    assert "E&C eCore API (test export)" in result.overrides["source"]
    assert import_collection(V21) == BUILTIN


def test_skips_token_post_and_one_record_endpoints() -> None:
    result = to_overrides(read_collection(V21), source="v21")
    assert len(result.skipped) == 3
    token, contract, invoice = result.skipped
    assert token.startswith("Authentication / Get access token: POST")
    assert "/contracts/{id} returns one record" in contract  # :id path variable
    assert "/invoices/{invoiceId} returns one record" in invoice  # {{invoiceId}} variable


def test_renamed_collection_patches_paths_params_fields_and_adds_dataset() -> None:
    cat = import_collection(V20)
    volumes = cat.get("volumes")
    assert volumes.path == "/risk/timeseries/volumes"  # {{host}} = .../v2 stripped
    assert volumes.filter("meterId").param == "meter_id"
    assert volumes.filter("contractId").param == "contract_id"
    assert volumes.filter("meterId").doc == "only this meter"  # the rest of the filter kept
    meter = volumes.fields[0]
    assert (meter.name, meter.api_name) == ("meterId", "meter_id")  # the column keeps its name
    assert volumes.field_names()[-1] == "revision"
    assert cat.get("positions").path == "/risk/portfolios/{portfolioId}/positions"
    assert cat.get("positions").request({"portfolioId": "PF-1"})[0] == (
        "/risk/portfolios/PF-1/positions"
    )
    assert cat.get("contracts") == BUILTIN.get("contracts")


def test_new_dataset_from_path_and_example_response() -> None:
    cat = import_collection(V20)
    spot = cat.get("spot-prices")
    assert spot.path == "/markets/{market}/spot-prices"
    assert spot.description == "Day-ahead spot prices per market area"
    assert spot.function == "ECORE_SPOT_PRICES" and spot.table == "tblSpotPrices"
    assert spot.filter("market").required
    assert spot.filter("from").type == "date"
    assert spot.filter("resolution").type == "text" and not spot.filter("resolution").required
    assert [(f.name, f.type) for f in spot.fields] == [
        ("id", "text"),
        ("start", "timestamp"),
        ("deliveryDay", "date"),
        ("price", "number"),
        ("currency", "text"),
        ("area.code", "text"),
        ("area.name", "text"),
        ("tags", "list"),
        ("final", "bool"),
    ]
    assert spot.key == "id"


def test_query_parameters_enabled_disabled_descriptions() -> None:
    data = contract_collection()
    for folder in data["item"]:
        if folder["name"] == "Risk Management":
            folder["item"].append(
                {
                    "name": "Get hedges",
                    "request": {
                        "method": "GET",
                        "url": {
                            "raw": "{{baseUrl}}/hedges?book=A&limit=5",
                            "host": ["{{baseUrl}}"],
                            "path": ["hedges"],
                            "query": [
                                {"key": "book", "value": "A", "description": "Book (required)"},
                                {
                                    "key": "side",
                                    "value": "buy",
                                    "disabled": True,
                                    "description": {
                                        "content": "One of: buy, sell. Default: buy",
                                        "type": "text/plain",
                                    },
                                },
                                {"key": "limit", "value": "5"},
                                {"key": "subscription-key", "value": "{{subscription_key}}"},
                            ],
                        },
                    },
                }
            )
    result = to_overrides(data, source="edited")
    entry = result.overrides["datasets"]["hedges"]
    filters = {f["name"]: f for f in entry["filters"]}
    # the key parameter is not a filter, and limit is paging (never a filter)
    assert set(filters) == {"book", "side"}
    assert filters["book"].get("required") is True
    assert filters["side"]["type"] == "enum"
    assert filters["side"]["allowed"] == ["buy", "sell"]
    assert filters["side"]["default"] == "buy"
    assert "required" not in filters["side"]  # disabled = optional
    assert entry["key"] is None  # no example, no id


def test_string_url_with_literal_base_and_query() -> None:
    data = {
        "info": {"name": "mini", "schema": "https://schema.getpostman.com/json/collection/v2.0.0/"},
        "item": [
            {"name": "c", "request": "https://api.eecc.energy/v1/clicks?contractId=CT-1"},
            {
                "name": "meter readings",
                "request": {"method": "GET", "url": "api.eecc.energy/v1/meters/:id/readings"},
            },
        ],
    }
    result = to_overrides(data, source="mini")
    # a meter's readings are its volumes (by what the path serves), the {id} is the meter's
    assert result.matched == {"clicks": "GET /clicks", "volumes": "GET /meters/{id}/readings"}
    assert result.new == []
    entry = result.overrides["datasets"]["volumes"]
    assert entry["path"] == "/meters/{meterId}/readings"
    match = next(m for m in result.matches if m.dataset.name == "volumes")
    assert match.sure == "likely"  # no example to confirm the fields


def test_round_trip_through_override_file(tmp_path: Path) -> None:
    result = to_overrides(read_collection(V20), source=str(V20))
    file = write_catalogue_file(result.overrides, tmp_path / "catalogue.json")
    cat = load_catalogue(file)
    assert cat == import_collection(V20)
    assert cat.get("volumes").path == "/risk/timeseries/volumes"
    volumes = cat.get("volumes")
    given = {"meterId": "MT-1", "from": "2026-01-01", "to": "2026-01-02"}
    # as the data service builds it: normalised (defaults added), then the request
    path, query = volumes.request(normalise_filters(volumes, given, tz="Europe/Berlin"))
    assert path == "/risk/timeseries/volumes"
    assert query == {
        "meter_id": "MT-1",
        "from": "2026-01-01",
        "to": "2026-01-02",
        "granularity": "hour",
        "type": "actual",
    }
    assert cat.get("spot-prices").request({"market": "DE LU"})[0] == "/markets/DE%20LU/spot-prices"
    # invoice-lines still follows invoices; untouched datasets equal the built-in
    assert cat.get("invoice-lines") == BUILTIN.get("invoice-lines")


def test_renamed_field_still_gives_the_columns_reports_use() -> None:
    volumes = import_collection(V20).get("volumes")
    records = [
        {"meter_id": "MT-1", "start": "2026-01-01T00:00:00Z", "value": 1.5, "unit": "MWh",
         "revision": 2},
        {"meter_id": "MT-2", "start": "2026-01-01T00:00:00Z", "value": 2.5, "unit": "MWh",
         "revision": 1},
    ]
    long = records_to_frame(volumes, records)
    assert list(long.columns[:3]) == ["meterId", "start", "startLocal"]
    assert "meter_id" not in long.columns
    assert long["revision"].tolist() == [2.0, 1.0]
    wide = volumes_wide(long)
    assert list(wide.columns) == ["startLocal", "start", "utcOffset", "MT-1", "MT-2"]


def test_documentation_wrapper_without_requests_explains_how_to_export() -> None:
    with pytest.raises(CatalogueError) as info:
        import_collection(DOCS_WRAPPER)
    message = str(info.value)
    assert "has no requests" in message
    assert "Export" in message and "Collection v2.1" in message


def test_wrapper_with_requests_uses_its_environment_base_url(tmp_path: Path) -> None:
    wrapper = {
        "activeVersionTag": "latest",
        "collection": {
            "info": {"name": "wrapped"},
            "item": [{"name": "m", "request": {"method": "GET", "url": "{{baseUrl}}/v1/meters"}}],
        },
        "environments": [
            {
                "name": "env",
                "values": [{"key": "baseUrl", "value": "https://x.example", "enabled": True}],
            }
        ],
    }
    file = tmp_path / "wrapped.json"
    file.write_text(json.dumps(wrapper), encoding="utf-8")
    result = to_overrides(read_collection(file), source=str(file))
    assert result.matched == {"meters": "GET /meters"}
    assert result.overrides["datasets"] == {}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "is not JSON"),
        ("[]", "is not a Postman collection"),
        ('{"hello": 1}', "is not a Postman collection"),
        ('{"info": {"name": "x"}, "item": []}', "has no request with a URL: its folders hold none"),
        (
            '{"info": {}, "item": [{"name": "t", "request": {"method": "POST", "url": "x"}}]}',
            "has no GET requests",
        ),
    ],
)
def test_bad_exports(tmp_path: Path, content: str, message: str) -> None:
    file = tmp_path / "export.json"
    file.write_text(content, encoding="utf-8")
    with pytest.raises(CatalogueError, match=message):
        import_collection(file)


def test_missing_file() -> None:
    with pytest.raises(CatalogueError, match="cannot be read"):
        import_collection(FIXTURES / "nope.json")


def test_one_example_duration_gives_the_value_map_and_another_spelling_is_named() -> None:
    def collection(value: str) -> dict[str, Any]:
        url = f"{{{{baseUrl}}}}/volumes?meterId=M-1&from=2026-01-01&to=2026-01-02&step={value}"
        return {"info": {"name": "x"}, "variable": [{"key": "baseUrl", "value": "https://a/v1"}],
                "item": [{"name": "v", "request": {"method": "GET", "url": url}}]}  # fmt: skip

    iso = to_overrides(collection("PT1H"), source="iso")
    granularity = iso.overrides["datasets"]["volumes"]["filters"][-1]
    assert granularity == {"name": "granularity", "api_name": "step", "values": {
        "quarterhour": "PT15M", "hour": "PT1H", "day": "P1D", "month": "P1M"}}  # fmt: skip
    assert any(f.sure == "likely" and "ISO 8601 duration" in f.says for f in iso.learning.findings)
    hourly = to_overrides(collection("hourly"), source="hourly")
    entry = next(f for f in hourly.overrides["datasets"]["volumes"]["filters"]
                 if f["name"] == "granularity")  # fmt: skip
    assert "values" not in entry  # one spelling does not say the others
    assert any(f.status == "unplaced" and "'hourly'" in f.says for f in hourly.learning.findings)
