"""Request planning (pure): month chunks in local time, one request per meter, path filling."""

from __future__ import annotations

import pytest

from ecore_xl.catalogue import builtin_catalogue
from ecore_xl.data.filters import normalise_filters
from ecore_xl.data.service import chunk_range, plan_requests
from ecore_xl.errors import CatalogueError

TZ = "Europe/Berlin"
CAT = builtin_catalogue()


def plan(dataset: str, **filters: object) -> list[tuple[str, dict[str, str]]]:
    ds = CAT.get(dataset)
    return plan_requests(ds, normalise_filters(ds, filters, tz=TZ), tz=TZ)


def test_month_chunks_keep_the_outer_edges() -> None:
    assert chunk_range("2026-01-15", "2026-04-01", "month", tz=TZ) == [
        ("2026-01-15", "2026-02-01"),
        ("2026-02-01", "2026-03-01"),
        ("2026-03-01", "2026-04-01"),
    ]
    inside = ("2026-03-01T06:00:00+01:00", "2026-03-31T12:00:00+02:00")
    assert chunk_range(*inside, "month", tz=TZ) == [inside]
    assert chunk_range("2026-03-31T22:00:00Z", "2026-04-02", "month", tz=TZ) == [
        ("2026-03-31T22:00:00Z", "2026-04-02")  # 22:00Z is already April 1st in Berlin
    ]
    assert chunk_range("2026-03-31T21:00:00Z", "2026-04-02", "month", tz=TZ) == [
        ("2026-03-31T21:00:00Z", "2026-04-01"),
        ("2026-04-01", "2026-04-02"),
    ]


def test_other_chunk_sizes() -> None:
    assert [a for a, _ in chunk_range("2025-11-20", "2026-08-01", "quarter", tz=TZ)] == [
        "2025-11-20", "2026-01-01", "2026-04-01", "2026-07-01",
    ]  # fmt: skip
    assert len(chunk_range("2026-03-28", "2026-03-31", "day", tz=TZ)) == 3
    assert chunk_range("2025-06-01", "2027-01-01", "year", tz=TZ)[1] == ("2026-01-01", "2027-01-01")
    with pytest.raises(CatalogueError, match="week"):
        chunk_range("2026-01-01", "2026-02-01", "week", tz=TZ)


def test_volumes_plan_one_request_per_meter_and_month() -> None:
    requests = plan("volumes", meterId="A,B", **{"from": "2026-01-01", "to": "2026-03-01"})
    assert [(q["meterId"], q["from"], q["to"]) for _, q in requests] == [
        ("A", "2026-01-01", "2026-02-01"),
        ("A", "2026-02-01", "2026-03-01"),
        ("B", "2026-01-01", "2026-02-01"),
        ("B", "2026-02-01", "2026-03-01"),
    ]
    assert {path for path, _ in requests} == {"/volumes"}
    assert requests[0][1]["granularity"] == "hour"


def test_coarse_granularity_is_not_chunked() -> None:
    requests = plan("volumes", meterId="A", granularity="day",
                    **{"from": "2025-01-01", "to": "2027-01-01"})  # fmt: skip
    assert len(requests) == 1


def test_path_filter_and_api_names() -> None:
    requests = plan("positions", portfolioId="PF 1/2", granularity="month")
    assert requests == [("/portfolios/PF%201%2F2/positions", {"granularity": "month"})]


def test_unchunked_dataset_with_several_values() -> None:
    requests = plan("contracts", commodity=["power", "gas"], status="active")
    assert requests == [
        ("/contracts", {"commodity": "power", "status": "active"}),
        ("/contracts", {"commodity": "gas", "status": "active"}),
    ]


def test_only_id_filters_split_comma_text() -> None:
    supplier = "Stadtwerke Musterstadt GmbH, Energiehandel"
    assert plan("invoices", supplier=supplier) == [("/invoices", {"supplier": supplier})]
    assert plan("invoices", supplier=supplier, meterId="M-1,M-2") == [
        ("/invoices", {"meterId": "M-1", "supplier": supplier}),
        ("/invoices", {"meterId": "M-2", "supplier": supplier}),
    ]
    assert [p for p, _ in plan("positions", portfolioId=["PF-1", "PF-2"])] == [
        "/portfolios/PF-1/positions",
        "/portfolios/PF-2/positions",
    ]
