"""Enum filters of the built-in catalogue: the API's spelling, refused before a request.

The allowed values must be exactly what the mock (the contract's stand-in) accepts: a value
missing from the catalogue would be refused although valid, an extra one would reach the API
and come back as a 400. Every value is fetched for real from the mock; a wrong one must fail
with an :class:`InvalidFilterError` naming the filter and sending nothing.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ecore_xl.catalogue import builtin_catalogue
from ecore_xl.cli import cli
from ecore_xl.data import DataService, reset_service
from ecore_xl.errors import InvalidFilterError
from ecore_xl.mock import MockServer
from ecore_xl.mock import routes as mock

CAT = builtin_catalogue()
#: (dataset, filter) -> the values the mock's route accepts
MOCK_VALUES = {
    ("meters", "commodity"): mock.COMMODITIES,
    ("relationships", "entityType"): mock.ENTITY_TYPES,
    ("contracts", "commodity"): mock.COMMODITIES,
    ("contracts", "status"): mock.CONTRACT_STATUSES,
    ("volumes", "granularity"): mock.VOLUME_GRANULARITIES,
    ("volumes", "type"): mock.VOLUME_TYPES,
    ("portfolios", "commodity"): mock.COMMODITIES,
    ("positions", "granularity"): mock.POSITION_GRANULARITIES,
    ("invoices", "status"): mock.INVOICE_STATUSES,
    ("invoice-lines", "status"): mock.INVOICE_STATUSES,
}
#: the record field each list filter is checked against (either end of an edge for entityType)
FIELD = {"status": ("status",), "entityType": ("parentType", "childType")}
CHECKED = [
    (ds, name, value)
    for (ds, name), values in MOCK_VALUES.items()
    if ds in ("relationships", "contracts", "invoices") and name in FIELD
    for value in values
]


def test_every_enum_the_mock_validates_is_an_enum_in_its_spelling() -> None:
    enums = {(ds.name, f.name): f.allowed for ds in CAT for f in ds.filters if f.type == "enum"}
    assert enums == MOCK_VALUES


@pytest.mark.parametrize(("dataset", "name", "value"), CHECKED)
def test_each_allowed_value_is_accepted_by_the_api(
    svc: DataService, srv: MockServer, dataset: str, name: str, value: str
) -> None:
    df = svc.fetch(dataset, **{name: value.upper()})  # case folds to the API's spelling
    assert srv.stats.data_requests >= 1
    if (dataset, value) != ("contracts", "planned"):  # none left in the mock's 2025-2026
        assert len(df) > 0
    for _, row in df.iterrows():
        assert value in {row[field] for field in FIELD[name]}


@pytest.mark.parametrize(
    ("dataset", "name", "bad"),
    [
        ("relationships", "entityType", "legal entity"),
        ("relationships", "entityType", "planet"),
        ("invoices", "status", "lost"),
        ("invoice-lines", "status", "paid-ish"),
        ("contracts", "status", "pending"),
    ],
)
def test_a_wrong_value_is_refused_before_a_request(
    svc: DataService, srv: MockServer, dataset: str, name: str, bad: str
) -> None:
    with pytest.raises(InvalidFilterError) as info:
        svc.fetch(dataset, **{name: bad})
    assert info.value.parameter == name
    assert info.value.allowed == MOCK_VALUES[(dataset, name)]
    assert f"Filter {name} cannot be {bad!r}" in info.value.message
    assert srv.stats.data_requests == 0 and srv.stats.token_requests == 0


def test_the_command_line_refuses_a_wrong_status_with_one_error_line(srv: MockServer) -> None:
    reset_service()
    srv.reset_stats()
    result = CliRunner().invoke(
        cli, ["fetch", "invoices", "--filter", "status=lost"], env=srv.env()
    )
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [
        "Error: Filter status cannot be 'lost': use one of paid, open, disputed."
    ]
    assert srv.stats.data_requests == 0
