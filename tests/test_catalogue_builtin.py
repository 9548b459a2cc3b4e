"""The built-in catalogue matches the contract's endpoint table; lookups and filter checks."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from ecore_xl.catalogue import Catalogue, builtin_catalogue
from ecore_xl.data.filters import normalise_filters
from ecore_xl.errors import CatalogueError, InvalidFilterError

CAT = builtin_catalogue()

CONTRACT_PATHS = {
    "legal-entities": "/legal-entities",
    "business-units": "/business-units",
    "meters": "/meters",
    "relationships": "/relationships",
    "contracts": "/contracts",
    "clicks": "/clicks",
    "volumes": "/volumes",
    "portfolios": "/portfolios",
    "positions": "/portfolios/{portfolioId}/positions",
    "invoices": "/invoices",
    "invoice-lines": "/invoices",
}


def test_every_contract_endpoint_is_a_dataset() -> None:
    assert {ds.name: ds.path for ds in CAT} == CONTRACT_PATHS


def test_names_sheets_tables_functions_are_unique_and_excel_safe() -> None:
    for attr in ("name", "sheet", "table", "function"):
        values = [getattr(ds, attr) for ds in CAT]
        assert len(set(values)) == len(values), attr
    for ds in CAT:
        assert ds.function == "ECORE_" + ds.name.replace("-", "_").upper()
        assert re.fullmatch(r"tbl[A-Za-z]+", ds.table)
        assert len(ds.sheet) <= 31 and ds.table == "tbl" + ds.sheet
    assert CAT.get("contracts").sheet == "Contracts"
    assert CAT.get("contracts").table == "tblContracts"


@pytest.mark.parametrize(
    "alias", ["contracts", "Contracts", "ECORE_CONTRACTS", "ecore_contracts", "tblContracts"]
)
def test_lookup_by_name_function_sheet_table(alias: str) -> None:
    assert CAT.get(alias).name == "contracts"
    assert alias in CAT


def test_lookup_with_underscores_and_spaces() -> None:
    assert CAT.get("invoice_lines").name == "invoice-lines"
    assert CAT.get("Legal Entities").name == "legal-entities"
    assert CAT.get("ECORE_INVOICE_LINES").name == "invoice-lines"


def test_unknown_dataset_lists_the_known_ones() -> None:
    with pytest.raises(CatalogueError, match=r"Unknown dataset 'contract'.*contracts, clicks"):
        CAT.get("contract")
    assert "contract" not in CAT
    assert 42 not in CAT


def test_volumes_declaration() -> None:
    ds = CAT.get("volumes")
    assert ds.key is None and ds.chunk == "month"
    assert ds.one_of == ("meterId", "contractId")
    assert ds.filter("from").required and ds.filter("to").required
    assert ds.filter("from").type == "date"
    assert ds.filter("granularity").default == "hour"
    assert ds.filter("granularity").allowed == ("quarterhour", "hour", "day", "month")
    assert ds.filter("type").default == "actual"
    assert ds.field_names() == ["meterId", "start", "value", "unit", "type", "quality"]
    assert ds.fields[1].type == "timestamp"


def test_other_declarations() -> None:
    contracts = CAT.get("contracts")
    assert contracts.filter("status").allowed == ("active", "expired", "planned")
    assert contracts.filter("commodity").allowed == ("power", "gas")
    assert contracts.key == "id"
    positions = CAT.get("positions")
    assert positions.path_params() == ["portfolioId"]
    assert positions.filter("portfolioId").required
    assert positions.filter("granularity").allowed == ("month", "quarter")
    lines = CAT.get("invoice-lines")
    assert (lines.explode, lines.parent, lines.parent_key) == ("lines", "invoices", "invoiceId")
    assert lines.filters == CAT.get("invoices").filters


def test_unknown_filter_lists_known_ones() -> None:
    with pytest.raises(InvalidFilterError) as info:
        CAT.get("contracts").filter("comodity")
    assert info.value.parameter == "comodity"
    assert "commodity, status, legalEntityId, activeOn" in str(info.value)
    assert CAT.get("contracts").filter("Commodity").name == "commodity"


def test_to_dict_from_dict_round_trip() -> None:
    again = Catalogue.from_dict(CAT.to_dict())
    assert again == CAT
    assert list(again) == list(CAT)


# ---- Dataset.request: normalised filters -> path and query -----------------------------------
# (the filters are checked by ecore_xl.data.filters; its cases are in test_data_filters.py)


def request(name: str, values: dict[str, object]) -> tuple[str, dict[str, str]]:
    """What the data service sends: the values normalised, then the request built."""
    ds = CAT.get(name)
    return ds.request(normalise_filters(ds, values, tz="Europe/Berlin"))


def test_request_applies_defaults_and_normalises_enum_case() -> None:
    path, query = request(
        "volumes",
        {"meterId": "MT-001", "from": date(2026, 3, 1), "to": "2026-04-01", "granularity": "HOUR"},
    )
    assert path == "/volumes"
    assert query == {
        "meterId": "MT-001",
        "from": "2026-03-01",
        "to": "2026-04-01",
        "granularity": "hour",
        "type": "actual",
    }


def test_request_fills_and_quotes_path_parameters() -> None:
    path, query = request("positions", {"portfolioId": "PF 1/2", "granularity": None})
    assert path == "/portfolios/PF%201%2F2/positions"
    assert query == {}


def test_request_excel_floats_and_aware_datetimes() -> None:
    _, query = request("business-units", {"legalEntityId": 4711.0})
    assert query == {"legalEntityId": "4711"}
    aware = datetime(2026, 3, 1, tzinfo=UTC)
    _, query = request("clicks", {"from": aware})
    assert query == {"from": "2026-03-01T00:00:00+00:00"}


def test_request_only_builds() -> None:
    ds = CAT.get("positions")
    with pytest.raises(InvalidFilterError, match="needs the filter portfolioId") as info:
        ds.request({"granularity": "month"})
    assert info.value.parameter == "portfolioId"
    with pytest.raises(InvalidFilterError, match="no filter 'top'") as info:
        ds.request({"portfolioId": "PF-1", "top": "5"})
    assert info.value.parameter == "top"
