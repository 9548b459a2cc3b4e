"""Filter validation and normalisation (pure; the no-request guarantee is in test_data_service)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from ecore_xl.catalogue import builtin_catalogue
from ecore_xl.data.filters import (
    excel_serial_to_datetime,
    is_multi,
    normalise_filters,
    parse_date_value,
    split_multi,
)
from ecore_xl.errors import InvalidFilterError

TZ = "Europe/Berlin"
CAT = builtin_catalogue()
VOL = CAT.get("volumes")


def norm(dataset: str, **filters: object) -> dict[str, str]:
    return normalise_filters(CAT.get(dataset), filters, tz=TZ)


def vol(**filters: object) -> dict[str, str]:
    base: dict[str, object] = {"meterId": "M-1", "from": "2026-03-01", "to": "2026-04-01"}
    base.update(filters)
    return normalise_filters(VOL, base, tz=TZ)


def test_defaults_applied_and_keys_sorted() -> None:
    out = vol()
    assert out == {
        "from": "2026-03-01",
        "granularity": "hour",
        "meterId": "M-1",
        "to": "2026-04-01",
        "type": "actual",
    }
    assert list(out) == sorted(out)


@pytest.mark.parametrize("name", ["meterId", "METERID", "meter_id", "meterid", "Meter-Id"])
def test_names_case_and_snake_case(name: str) -> None:
    out = normalise_filters(VOL, {name: "M-1", "from_": "2026-03-01", "To": "2026-04-01"}, tz=TZ)
    assert out["meterId"] == "M-1"
    assert out["from"] == "2026-03-01"


@pytest.mark.parametrize(
    "value",
    [
        dt.date(2026, 3, 1),
        dt.datetime(2026, 3, 1),
        dt.datetime(2026, 3, 1, tzinfo=ZoneInfo(TZ)),
        dt.datetime(2026, 2, 28, 23, tzinfo=dt.UTC),
        pd.Timestamp("2026-03-01"),
        pd.Timestamp("2026-03-01T00:00:00+01:00"),
        np.datetime64("2026-03-01"),
        "2026-03-01",
        "2026-03-01T00:00:00+01:00",
        "2026-03-01T00:00:00",  # no offset: wall-clock time in the time zone
        "2026-02-28T23:00:00Z",
        "01.03.2026",
        46082,
        46082.0,
        np.int64(46082),
    ],
)
def test_every_spelling_of_local_midnight_is_one_date(value: object) -> None:
    assert vol(**{"from": value})["from"] == "2026-03-01"


def test_datetime_becomes_iso_with_offset() -> None:
    assert vol(**{"from": dt.datetime(2026, 3, 1, 6)})["from"] == "2026-03-01T06:00:00+01:00"
    # summer time offset
    assert vol(to=dt.datetime(2026, 3, 31, 6))["to"] == "2026-03-31T06:00:00+02:00"
    # aware values keep their own offset
    assert vol(**{"from": "2026-03-01T06:00:00Z"})["from"] == "2026-03-01T06:00:00+00:00"
    # Excel fraction = time of day
    assert vol(**{"from": 46082.25})["from"] == "2026-03-01T06:00:00+01:00"


@pytest.mark.parametrize(
    ("serial", "expected"),
    [
        (1, dt.datetime(1900, 1, 1)),
        (59, dt.datetime(1900, 2, 28)),
        (61, dt.datetime(1900, 3, 1)),
        (45658, dt.datetime(2025, 1, 1)),
        (46082, dt.datetime(2026, 3, 1)),
        (46082.5, dt.datetime(2026, 3, 1, 12)),
        (46082 + 1 / 24 / 4, dt.datetime(2026, 3, 1, 0, 15)),
    ],
)
def test_excel_serials(serial: float, expected: dt.datetime) -> None:
    assert excel_serial_to_datetime(serial) == expected


@pytest.mark.parametrize("serial", [0, -1, 60, 60.5, 3_000_000, float("inf")])
def test_bad_excel_serials(serial: float) -> None:
    with pytest.raises(InvalidFilterError) as err:
        vol(**{"from": serial})
    assert err.value.parameter == "from"


def test_spring_gap_time_is_refused() -> None:
    with pytest.raises(InvalidFilterError, match="does not exist"):
        parse_date_value("from", dt.datetime(2026, 3, 29, 2, 30), tz=TZ)


def test_several_meters_are_kept_in_order_without_duplicates() -> None:
    out = vol(meterId=["M-2", "M-1", "M-2"])
    assert out["meterId"] == "M-2,M-1"
    assert is_multi("id", out["meterId"])
    assert split_multi(out["meterId"]) == ["M-2", "M-1"]
    assert vol(meterId="M-2, M-1")["meterId"] == "M-2,M-1"
    assert vol(meterId=pd.Series(["M-2", "M-1"]))["meterId"] == "M-2,M-1"
    assert not is_multi("date", "2026-03-01")


SUPPLIER = "Stadtwerke Musterstadt GmbH, Energiehandel"


def test_free_text_keeps_its_commas_ids_do_not() -> None:
    out = norm("invoices", supplier=f"  {SUPPLIER} ", meterId="M-1, M-2", legalEntityId=["LE-1"])
    assert out["supplier"] == SUPPLIER  # one supplier, not two
    assert not is_multi("text", out["supplier"])
    assert out["meterId"] == "M-1,M-2" and is_multi("id", out["meterId"])
    assert out["legalEntityId"] == "LE-1"
    assert norm("invoices", supplier=[SUPPLIER, SUPPLIER])["supplier"] == SUPPLIER


def test_several_free_text_values_are_refused() -> None:
    with pytest.raises(InvalidFilterError, match="takes one value") as err:
        norm("invoices", supplier=[SUPPLIER, "Nordstrom Handel AG"])
    assert err.value.parameter == "supplier"


def test_enum_is_case_insensitive_and_canonical() -> None:
    assert vol(granularity="QuarterHour")["granularity"] == "quarterhour"
    assert norm("contracts", commodity=["Power", "GAS"])["commodity"] == "power,gas"


def test_excel_numbers_as_ids() -> None:
    assert vol(meterId=4711.0)["meterId"] == "4711"


@pytest.mark.parametrize("empty", [None, "", "  ", float("nan"), pd.NaT, []])
def test_empty_means_default(empty: object) -> None:
    assert vol(granularity=empty)["granularity"] == "hour"
    assert "commodity" not in norm("contracts", commodity=empty)


# ---- every invalid filter gives its named error -------------------------------------------


@pytest.mark.parametrize(
    ("dataset", "filters", "parameter", "fragment"),
    [
        (
            "volumes",
            {"meterId": "M", "from": "2026-01-01", "to": "2026-02-01", "foo": 1},
            "foo",
            "known filters are meterId, contractId, from, to, granularity, type",
        ),
        ("volumes", {"meterId": "M", "to": "2026-02-01"}, "from", "needs the filter from"),
        ("volumes", {"meterId": "M", "from": "2026-01-01"}, "to", "needs the filter to"),
        ("volumes", {"from": "2026-01-01", "to": "2026-02-01"}, "meterId", "exactly one of"),
        (
            "volumes",
            {"meterId": "M", "contractId": "C", "from": "2026-01-01", "to": "2026-02-01"},
            "contractId",
            "exactly one of",
        ),
        ("volumes", {"meterId": "M", "from": "March", "to": "2026-02-01"}, "from", "not a date"),
        (
            "volumes",
            {"meterId": "M", "from": "2026-02-30", "to": "2026-03-01"},
            "from",
            "not a date",
        ),
        (
            "volumes",
            {"meterId": "M", "from": "2026-02-01", "to": "2026-02-01"},
            "from",
            "must be before to",
        ),
        (
            "volumes",
            {"meterId": "M", "from": "2026-03-01", "to": "2026-02-01"},
            "from",
            "must be before to",
        ),
        (
            "volumes",
            {"meterId": "M", "from": "2026-01-01", "to": "2026-02-01", "granularity": "weekly"},
            "granularity",
            "use one of quarterhour, hour, day, month",
        ),
        (
            "volumes",
            {"meterId": "M", "from": ["2026-01-01"], "to": "2026-02-01"},
            "from",
            "one date",
        ),
        ("volumes", {"meterId": "M", "from": True, "to": "2026-02-01"}, "from", "not a date"),
        (
            "volumes",
            {"meterId": "M", "meter_id": "N", "from": "2026-01-01", "to": "2026-02-01"},
            "meterId",
            "given twice",
        ),
        ("positions", {}, "portfolioId", "needs the filter portfolioId"),
        ("contracts", {"status": "cancelled"}, "status", "active, expired, planned"),
        ("contracts", {"status": "running"}, "status", "one of active, expired, planned"),
        ("contracts", {"top": 5}, "top", "no filter 'top'"),
        ("contracts", {"activeOn": "tomorrow"}, "activeOn", "not a date"),
    ],
)
def test_invalid_filters(
    dataset: str, filters: dict[str, object], parameter: str, fragment: str
) -> None:
    with pytest.raises(InvalidFilterError) as err:
        normalise_filters(CAT.get(dataset), filters, tz=TZ)
    assert err.value.parameter == parameter
    assert fragment in str(err.value)


def test_allowed_values_are_on_the_error() -> None:
    with pytest.raises(InvalidFilterError) as err:
        vol(type="budget")
    assert err.value.allowed == ("actual", "forecast")


# ---- ids are lists end to end: a comma inside an id (issue 12) ------------------------------


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("M-1,M-2", ["M-1", "M-2"]),
        (' M-1 , "A,1" ,B ', ["M-1", "A,1", "B"]),
        ('"say ""hi"", ok",x', ['say "hi", ok', "x"]),
        (",,", []),
    ],
)
def test_split_ids_keeps_a_quoted_comma(text: str, ids: list[str]) -> None:
    from ecore_xl.data.filters import join_ids, split_ids

    assert split_ids(text) == ids
    assert split_ids(join_ids(ids)) == ids


def test_an_id_with_a_comma_stays_one_id_as_a_list_or_quoted() -> None:
    from ecore_xl.data.filters import split_multi

    ds = CAT.get("volumes")
    span = {"from": "2026-03-01", "to": "2026-03-02"}
    as_list = normalise_filters(ds, {"meterId": ["A,1", "B"], **span}, tz=TZ)
    quoted = normalise_filters(ds, {"meterId": '"A,1",B', **span}, tz=TZ)
    assert as_list == quoted and as_list["meterId"] == '"A,1",B'
    assert split_multi(as_list["meterId"]) == ["A,1", "B"]
    one = normalise_filters(ds, {"meterId": ["A,1"], **span}, tz=TZ)
    assert split_multi(one["meterId"]) == ["A,1"]
    unquoted = normalise_filters(ds, {"meterId": "A,1", **span}, tz=TZ)
    assert split_multi(unquoted["meterId"]) == ["A", "1"]  # the documented rule: two ids


def test_a_list_filter_refuses_a_value_holding_a_comma() -> None:
    """A ``list`` filter goes to the API comma-joined in one request: a comma inside a value
    would make it two, so it is refused (the built-in catalogue has none: a user's may)."""
    import dataclasses

    from ecore_xl.catalogue import Filter

    ds = CAT.get("contracts")
    ds = dataclasses.replace(ds, filters=(*ds.filters, Filter("tags", type="list")))
    assert normalise_filters(ds, {"tags": ["a", "b"]}, tz=TZ)["tags"] == "a,b"
    with pytest.raises(InvalidFilterError, match="holds a comma"):
        normalise_filters(ds, {"tags": ["A,1"]}, tz=TZ)
