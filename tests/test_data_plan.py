"""Request planning (pure): month chunks in local time, one request per meter, path filling."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecore_xl.catalogue import builtin_catalogue
from ecore_xl.config import Settings
from ecore_xl.data.filters import normalise_filters, parse_date_value
from ecore_xl.data.service import chunk_range, count_chunks, count_requests, plan_requests
from ecore_xl.errors import CatalogueError, InvalidFilterError

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


# ---- how many requests, and the bound on them ------------------------------------------------


def instant(text: str, tz: str) -> dt.datetime:
    v = parse_date_value("from", text, tz=tz)
    return v if isinstance(v, dt.datetime) else dt.datetime(*v.timetuple()[:3], tzinfo=ZoneInfo(tz))


def reference_chunks(start: str, end: str, chunk: str, tz: str) -> list[tuple[str, str]]:
    """The plain walk from period start to period start (what chunk_range must equal)."""
    zone = ZoneInfo(tz)
    months = {"month": 1, "quarter": 3, "year": 12}.get(chunk)
    day = instant(start, tz).astimezone(zone).date()
    if months is not None:
        day = dt.date(day.year, (day.month - 1) // months * months + 1, 1)
    edges = [start]
    while True:
        if months is None:
            day += dt.timedelta(days=1)
        else:
            index = day.year * 12 + day.month - 1 + months
            day = dt.date(index // 12, index % 12 + 1, 1)
        if dt.datetime(day.year, day.month, day.day, tzinfo=zone) >= instant(end, tz):
            break
        edges.append(day.isoformat())
    edges.append(end)
    return list(itertools.pairwise(edges))


EDGE_TEXT = st.builds(
    lambda d, h, z: d.isoformat() if h is None else f"{d.isoformat()}T{h:02d}:00:00{z}",
    st.dates(dt.date(2024, 1, 1), dt.date(2027, 12, 31)),
    st.one_of(st.none(), st.integers(0, 23)),
    st.sampled_from(["Z", "+01:00", "+02:00", "-05:00"]),
)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    EDGE_TEXT,
    EDGE_TEXT,
    st.sampled_from(["day", "month", "quarter", "year"]),
    st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Sydney", "UTC"]),
)
def test_chunks_are_counted_and_cut_as_by_walking(a: str, b: str, chunk: str, tz: str) -> None:
    start, end = sorted((a, b), key=lambda text: instant(text, tz))
    if not instant(start, tz) < instant(end, tz):
        return
    expected = reference_chunks(start, end, chunk, tz)
    assert chunk_range(start, end, chunk, tz=tz) == expected
    assert count_chunks(start, end, chunk, tz=tz) == len(expected)


def test_requests_are_counted_without_building_them() -> None:
    ds = CAT.get("volumes")
    for filters in (
        {"meterId": "A,B,C", "from": "2025-11-20", "to": "2027-02-01"},
        {"meterId": "A", "from": "2026-03-01", "to": "2026-03-02"},
        {"meterId": "A,B", "from": "2020-01-01", "to": "2026-01-01", "granularity": "day"},
    ):
        norm = normalise_filters(ds, filters, tz=TZ)
        assert count_requests(ds, norm, tz=TZ) == len(plan_requests(ds, norm, tz=TZ))
    contracts = CAT.get("contracts")
    norm = normalise_filters(contracts, {"commodity": "power,gas"}, tz=TZ)
    assert count_requests(contracts, norm, tz=TZ) == 2
    # Excel's whole calendar, by month: counted in no time, never built
    norm = normalise_filters(ds, {"meterId": "A,B", "from": 1, "to": 2958465}, tz=TZ)
    assert count_requests(ds, norm, tz=TZ) == 2 * (9999 - 1900 + 1) * 12


def test_a_plan_longer_than_max_requests_is_refused_naming_what_multiplies() -> None:
    ds = CAT.get("volumes")
    norm = normalise_filters(ds, {"meterId": "A,B", "from": 1, "to": 2958465}, tz=TZ)
    with pytest.raises(InvalidFilterError) as info:
        plan_requests(ds, norm, tz=TZ, max_requests=1000)
    assert info.value.parameter == "from"
    assert info.value.message == (
        "volumes: 97,200 months from 1900-01-01 to 9999-12-31 x 2 meterId values would take "
        "194,400 requests, more than ECORE_MAX_REQUESTS (1,000): ask for a shorter range, a "
        "coarser granularity, fewer meterId values or raise ECORE_MAX_REQUESTS."
    )
    many = normalise_filters(
        ds, {"meterId": [f"M-{i}" for i in range(30)], "from": "2025-01-01", "to": "2026-01-01"},
        tz=TZ,
    )  # fmt: skip
    assert len(plan_requests(ds, many, tz=TZ, max_requests=360)) == 360  # the limit itself is fine
    with pytest.raises(InvalidFilterError, match="would take 360 requests") as info:
        plan_requests(ds, many, tz=TZ, max_requests=359)
    assert info.value.parameter == "meterId"  # 30 meters outweigh 12 months


def test_max_requests_is_a_setting() -> None:
    assert Settings.load(use_file=False, use_keyring=False, environ={}).max_requests == 1000
    env = {"ECORE_MAX_REQUESTS": "50"}
    assert Settings.load(use_file=False, use_keyring=False, environ=env).max_requests == 50
