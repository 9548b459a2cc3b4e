"""The fetch-time guard of :mod:`ecore_xl.data.filter_check`: an answer the filters sent did not
narrow is an error naming the declaration to fix; correct answers pass in every dialect.

Through the real path: HTTP against the mock on 127.0.0.1 in each dialect with its catalogue
file; an API that ignores a parameter is the mock's ``ignore_params`` (or a catalogue that sends
the parameter under a name the API does not know).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from click.testing import CliRunner

from ecore_xl.catalogue import Catalogue
from ecore_xl.cli import cli
from ecore_xl.data import DataService, reset_service
from ecore_xl.errors import CatalogueError, UnexpectedResponseError
from ecore_xl.mock import MockServer
from tests.conftest import settings_for
from tests.dialect_compare import catalogue_path, three_servers

KW: dict[str, Any] = {
    "seed": 53,
    "meters": 6,
    "years": (2025, 2026),
    "as_of": dt.date(2026, 11, 26),
}
#: a month with invoices before and after it
OCTOBER = {"from": "2025-10-01", "to": "2025-11-01"}


def _service(srv: MockServer, dialect: str = "ecore", catalogue: str | None = None) -> DataService:
    return DataService(settings_for(srv, catalogue=catalogue or catalogue_path(dialect)))


def _write(tmp_path: Path, data: dict[str, Any]) -> str:
    file = tmp_path / "catalogue.json"
    file.write_text(json.dumps(data), encoding="utf-8")
    return str(file)


def _epoch(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _overlapping(srv: MockServer, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """The mock's invoices whose billing period overlaps [start, end) (local midnights)."""
    zone = ZoneInfo("Europe/Berlin")
    lo = dt.datetime(start.year, start.month, start.day, tzinfo=zone)
    hi = dt.datetime(end.year, end.month, end.day, tzinfo=zone)
    return [i for i in srv.portfolio.invoices
            if _epoch(i["periodEnd"]) > lo and _epoch(i["periodStart"]) < hi]  # fmt: skip


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, MockServer]]:
    with three_servers(KW) as made:
        yield made


# ---- correct answers pass, in every dialect -----------------------------------------------------

#: every filter that narrows a field, with values whose answers hold periods overlapping the
#: range, quarters starting before it, other meters' data nowhere
CORRECT: list[tuple[str, dict[str, Any]]] = [
    ("invoices", {"from": "2026-01-15", "to": "2026-02-15"}),
    ("invoices", {"meterId": "MTR-0002", "status": "paid"}),
    ("invoices", {"legalEntityId": "LE-001", **OCTOBER}),
    ("clicks", {"contractId": "CTR-0002", "from": "2025-10-01", "to": "2026-03-01"}),
    ("business-units", {"legalEntityId": "LE-001"}),
    ("meters", {"businessUnitId": "BU-001", "commodity": "power"}),
    ("contracts", {"commodity": "gas", "status": "active", "legalEntityId": "LE-001"}),
    ("portfolios", {"commodity": "power"}),
    (
        "positions",
        {
            "portfolioId": "PF-0001",
            "granularity": "quarter",
            "from": "2025-02-15",
            "to": "2025-08-15",
        },
    ),
    (
        "volumes",
        {
            "meterId": "MTR-0002,MTR-0004",
            "granularity": "month",
            "from": "2026-01-15",
            "to": "2026-03-15",
        },
    ),
    (
        "volumes",
        {
            "meterId": "MTR-0002",
            "granularity": "hour",
            "type": "forecast",
            "from": "2026-10-25",
            "to": "2026-10-26",
        },
    ),
]


@pytest.mark.parametrize("dialect", ["ecore", "paged", "bare"])
@pytest.mark.parametrize(("dataset", "filters"), CORRECT, ids=[f"{d}{f}" for d, f in CORRECT])
def test_correct_answers_pass_in_every_dialect(
    servers: dict[str, MockServer], dialect: str, dataset: str, filters: dict[str, Any]
) -> None:
    srv = servers[dialect]
    with _service(srv, dialect) as svc:
        got = svc.fetch(dataset, **filters)
    assert len(got) > 0, "the check had rows to look at"


def test_periods_overlapping_the_range_are_kept(servers: dict[str, MockServer]) -> None:
    """Invoices of January and February overlap 15 Jan..15 Feb: both months come, and pass."""
    srv = servers["ecore"]
    with _service(srv) as svc:
        got = svc.fetch("invoices", **{"from": "2026-01-15", "to": "2026-02-15"})
    expected = _overlapping(srv, dt.date(2026, 1, 15), dt.date(2026, 2, 15))
    assert sorted(got["id"]) == sorted(i["id"] for i in expected)
    assert (got["periodStart"] < pd.Timestamp("2026-01-15")).any()  # started before `from`
    assert (got["periodEnd"] > pd.Timestamp("2026-02-15")).any()  # ends after `to`


# ---- ignored parameters are caught --------------------------------------------------------------


def test_a_misnamed_date_filter_is_an_error_naming_the_declaration(
    servers: dict[str, MockServer], tmp_path: Path
) -> None:
    """The reviewer's case: from/to sent as dateFrom/dateTo to the contract, which ignores them."""
    srv = servers["ecore"]
    renamed = {
        "datasets": {
            "invoices": {
                "filters": [
                    {"name": "from", "api_name": "dateFrom"},
                    {"name": "to", "api_name": "dateTo"},
                ]
            }
        }
    }
    srv.reset_stats()
    with (
        _service(srv, catalogue=_write(tmp_path, renamed)) as svc,
        pytest.raises(UnexpectedResponseError) as info,
    ):
        svc.fetch("invoices", **OCTOBER)
    total = len(srv.portfolio.invoices)
    inside = len(_overlapping(srv, dt.date(2025, 10, 1), dt.date(2025, 11, 1)))
    assert 0 < inside < total
    text = str(info.value)
    assert text.startswith(
        f"invoices: {total} rows, {total - inside} outside 2025-10-01..2025-10-31 "
        "(periodEnd, periodStart): the API seems to ignore 'dateFrom' and 'dateTo'"
    ), text
    assert "datasets.invoices.filters.from.api_name" in text
    assert "datasets.invoices.filters.to.api_name" in text
    assert "\n" not in text
    asked = srv.stats.data_requests
    with _service(srv, catalogue=_write(tmp_path, renamed)) as svc:
        for _ in range(2):  # a refused answer is not cached: asked again, refused again
            with pytest.raises(UnexpectedResponseError):
                svc.fetch("invoices", **OCTOBER)
    assert srv.stats.data_requests == 3 * asked


@pytest.mark.parametrize(
    ("dialect", "dataset", "ignored", "filters", "said"),
    [
        ("ecore", "invoices", ["to"], OCTOBER, "ignore 'to'"),
        ("ecore", "invoices", ["from"], OCTOBER, "ignore 'from'"),
        ("paged", "invoices", ["dateTo"], OCTOBER, "ignore 'dateTo'"),
        ("bare", "clicks", ["start"], {"from": "2026-06-01", "to": "2026-07-01"}, "ignore 'start'"),
        (
            "ecore",
            "volumes",
            ["to"],
            {"meterId": "MTR-0002", "from": "2026-03-01", "to": "2026-03-02"},
            "ignore 'to'",
        ),
        (
            "bare",
            "positions",
            ["end"],
            {"portfolioId": "PF-0001", "from": "2025-01-01", "to": "2025-07-01"},
            "ignore 'end'",
        ),
        (
            "ecore",
            "invoices",
            ["meterId"],
            {"meterId": "MTR-0002"},
            "with meterId other than MTR-0002 ('MTR-0001'",
        ),
        (
            "bare",
            "business-units",
            ["legal_entity_id"],
            {"legalEntityId": "LE-001"},
            "ignore 'legal_entity_id'",
        ),
        ("paged", "contracts", ["commodity"], {"commodity": "gas"}, "with commodity other than"),
    ],
)
def test_an_ignored_parameter_is_caught_in_every_dialect(
    dialect: str, dataset: str, ignored: list[str], filters: dict[str, Any], said: str
) -> None:
    with (
        MockServer(dialect=dialect, ignore_params={dataset: ignored}, **KW) as srv,
        _service(srv, dialect) as svc,
        pytest.raises(UnexpectedResponseError) as info,
    ):
        svc.fetch(dataset, **filters)
    text = str(info.value)
    assert text.startswith(f"{dataset}: ") and said in text, text
    assert f"datasets.{dataset}.filters." in text and ".api_name" in text, text


def test_ecore_xl_fetch_exits_1_with_one_line(tmp_path: Path) -> None:
    with MockServer(ignore_params={"invoices": ["from", "to"]}, **KW) as srv:
        reset_service()
        result = CliRunner().invoke(
            cli,
            ["fetch", "invoices", "--from", "2025-10-01", "--to", "2025-11-01",
             "--out", str(tmp_path / "invoices.csv")],
            env=srv.env(),
        )  # fmt: skip
        reset_service()
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: invoices: "), result.stderr
    assert "datasets.invoices.filters.from.api_name" in lines[0]
    assert not (tmp_path / "invoices.csv").exists()


# ---- the declaration ----------------------------------------------------------------------------


def test_narrows_names_a_field_of_the_dataset() -> None:
    from ecore_xl.catalogue import load_catalogue

    base = load_catalogue(None)
    with pytest.raises(CatalogueError, match=r"filters\[0\]\.narrows names 'nope', which is not"):
        base.overlay({"datasets": {"invoices": {"filters": [{"name": "from", "narrows": "nope"}]}}})
    with pytest.raises(CatalogueError, match=r"narrows is checked on id, enum and date filters"):
        base.overlay(
            {"datasets": {"invoices": {"filters": [{"name": "supplier", "narrows": "supplier"}]}}}
        )


def test_narrows_round_trips_through_the_override_format() -> None:
    from ecore_xl.catalogue import load_catalogue

    catalogue = load_catalogue(None)
    invoices = catalogue.to_dict()["datasets"]["invoices"]
    by_name = {f["name"]: f for f in invoices["filters"]}
    assert by_name["from"]["narrows"] == "periodEnd" and by_name["to"]["narrows"] == "periodStart"
    assert Catalogue.from_dict(catalogue.to_dict()) == catalogue
