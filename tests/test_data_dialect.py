"""The data layer reads the dialect: requests spelled, records typed, units converted (pure).

Parsers on JSON records as the dialects write them; the whole path against the mock in every
dialect is ``test_dialects_fetch.py``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from ecore_xl.catalogue import Catalogue, builtin_catalogue
from ecore_xl.data.encode import encode_request
from ecore_xl.data.filters import normalise_filters
from ecore_xl.data.frames import records_to_frame
from ecore_xl.data.granularity import choose, note
from ecore_xl.data.plan import plan_requests
from ecore_xl.errors import InvalidFilterError, UnexpectedResponseError

TZ = "Europe/Berlin"
ORDER = ("quarterhour", "hour", "day", "month")


def _cat(data: dict[str, Any]) -> Catalogue:
    return builtin_catalogue().overlay(data, source="test.json")


PAGED_VOLUMES = _cat(
    {
        "dialect": {"params": {"dates": "date", "end": "inclusive"}},
        "datasets": {
            "volumes": {
                "path": "/structure/meters/{meterId}/timeseries",
                "filters": [
                    {"name": "from", "api_name": "dateFrom"},
                    {"name": "to", "api_name": "dateTo"},
                    {"name": "granularity", "api_name": "resolution",
                     "values": {"quarterhour": "PT15M", "hour": "PT1H", "day": "P1D"}},
                ],
                "fields": [{"name": "start", "api_name": "timestamp"}],
                "dialect": {"series": "values"},
            }
        },
    }
).get("volumes")  # fmt: skip


def _plan(ds: Any, **filters: Any) -> list[tuple[str, dict[str, str]]]:
    return plan_requests(ds, normalise_filters(ds, filters, tz=TZ), tz=TZ)


def test_users_keep_half_open_ranges_an_inclusive_api_gets_the_last_day() -> None:
    plan = _plan(
        PAGED_VOLUMES, meterId="M-1", from_="2026-02-15", to="2026-04-01", granularity="hour"
    )
    common = {"resolution": "PT1H", "type": "actual"}
    assert plan == [
        ("/structure/meters/M-1/timeseries",
         {"dateFrom": "2026-02-15", "dateTo": "2026-02-28", **common}),
        ("/structure/meters/M-1/timeseries",
         {"dateFrom": "2026-03-01", "dateTo": "2026-03-31", **common}),
    ]  # fmt: skip


def test_a_dates_only_api_refuses_an_instant_that_is_not_midnight() -> None:
    with pytest.raises(InvalidFilterError, match=r"whole days for dateFrom.*params.dates = date"):
        _plan(PAGED_VOLUMES, meterId="M-1", from_="2026-03-01T06:00:00+01:00", to="2026-03-02")


@pytest.mark.parametrize(
    ("fmt", "end", "start_text", "end_text"),
    [
        ("iso", "exclusive", "2026-03-29", "2026-03-30"),
        ("datetime", "exclusive", "2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00"),
        ("utc", "exclusive", "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z"),
        ("epoch_s", "exclusive", "1774738800", "1774821600"),
        ("epoch_ms", "inclusive", "1774738800000", "1774821599999"),
        ("epoch_s", "inclusive", "1774738800", "1774821599"),
    ],
)
def test_date_bounds_in_every_declared_format_across_the_spring_change(
    fmt: str, end: str, start_text: str, end_text: str
) -> None:
    ds = _cat({"dialect": {"params": {"dates": fmt, "end": end}}}).get("invoices")
    norm = normalise_filters(ds, {"from": "2026-03-29", "to": "2026-03-30"}, tz=TZ)
    _, query = encode_request(ds, norm, tz=TZ)
    assert (query["from"], query["to"]) == (start_text, end_text)  # a 23-hour day


# ---- records ---------------------------------------------------------------------------------

SERIES = [
    {
        "meterId": "M-1",
        "unit": "kWh",
        "type": "actual",
        "resolution": "PT1H",
        "values": [
            {"timestamp": "2026-03-29T01:00:00+01:00", "value": 1234.567, "quality": "measured"},
            {"timestamp": "2026-03-29T03:00:00+02:00", "value": 2000, "quality": "estimated"},
        ],
    }
]


def test_a_nested_series_becomes_rows_with_its_parents_fields_in_mwh() -> None:
    df = records_to_frame(PAGED_VOLUMES, SERIES, tz=TZ)
    assert list(df["meterId"]) == ["M-1", "M-1"] and list(df["type"]) == ["actual"] * 2
    assert list(df["startLocal"]) == [
        pd.Timestamp("2026-03-29 01:00"),
        pd.Timestamp("2026-03-29 03:00"),
    ]
    assert list(df["start"].dt.strftime("%H:%M")) == ["00:00", "01:00"]  # UTC: one hour apart
    assert df["value"].tolist() == [1234.567 / 1000, 2.0]
    assert list(df["unit"]) == ["MWh", "MWh"]  # the unit column says what the values are in
    assert list(df["resolution"]) == ["PT1H", "PT1H"]  # a field the catalogue lacks is kept


def test_a_series_declared_where_the_records_are_flat_is_named() -> None:
    flat = [{"meterId": "M-1", "timestamp": "2026-03-01T00:00:00Z", "value": 1}]
    with pytest.raises(UnexpectedResponseError, match=r"no 'values' list.*dialect.series"):
        records_to_frame(PAGED_VOLUMES, flat, tz=TZ)


BARE = _cat(
    {
        "dialect": {"fields": {"epoch": "ms", "period_ends": "exclusive"}},
        "datasets": {
            "invoices": {"fields": [{"name": "consumptionMWh", "api_name": "consumption",
                                     "api_unit": "kWh"}]},
        },
    }
)  # fmt: skip


def test_epoch_milliseconds_and_a_declared_kwh_become_local_dates_and_mwh() -> None:
    invoice = {"id": "I-1", "periodStart": 1772319600000, "periodEnd": 1774994400000,
               "issueDate": "2026-04-07", "consumption": 5500.25}  # fmt: skip
    df = records_to_frame(BARE.get("invoices"), [invoice], tz=TZ)
    assert df["periodStart"].iloc[0] == pd.Timestamp("2026-03-01")
    assert df["periodEnd"].iloc[0] == pd.Timestamp("2026-04-01")  # exclusive, after the change
    assert df["issueDate"].iloc[0] == pd.Timestamp("2026-04-07")
    assert df["consumptionMWh"].iloc[0] == pytest.approx(5.50025, rel=1e-15)


def test_an_inclusive_period_end_becomes_the_day_after() -> None:
    ds = _cat({"dialect": {"fields": {"period_ends": "inclusive"}}}).get("invoices")
    df = records_to_frame(ds, [{"id": "I-1", "periodStart": "2026-02-01T00:00:00+01:00",
                                "periodEnd": "2026-02-28"}], tz=TZ)  # fmt: skip
    assert (df["periodStart"].iloc[0], df["periodEnd"].iloc[0]) == (
        pd.Timestamp("2026-02-01"),
        pd.Timestamp("2026-03-01"),
    )


def test_an_epoch_without_the_declaration_and_a_naive_timestamp_are_refused() -> None:
    clicks = builtin_catalogue().get("clicks")
    with pytest.raises(UnexpectedResponseError, match=r"a number, not a timestamp.*\"epoch\""):
        records_to_frame(clicks, [{"id": "K", "executedAt": 1772319600000}], tz=TZ)
    with pytest.raises(UnexpectedResponseError, match=r"without a UTC offset.*\"naive\""):
        records_to_frame(clicks, [{"id": "K", "executedAt": "2026-03-02T10:00:00"}], tz=TZ)
    local = _cat({"dialect": {"fields": {"naive": "local"}}}).get("clicks")
    df = records_to_frame(local, [{"id": "K", "executedAt": "2026-07-02T10:00:00"}], tz=TZ)
    assert df["executedAt"].iloc[0] == pd.Timestamp("2026-07-02 08:00", tz="UTC")


def test_units_that_do_not_match_the_declaration_say_so() -> None:
    volumes = builtin_catalogue().get("volumes")
    row = {"meterId": "M", "start": "2026-03-01T00:00:00Z", "value": 5, "unit": "kW"}
    with pytest.raises(UnexpectedResponseError, match=r"'kW' \(its 'unit'\).*does not convert"):
        records_to_frame(volumes, [row], tz=TZ)
    declared = _cat({"datasets": {"volumes": {"fields": [{"name": "value", "api_unit": "kWh"}]}}})
    with pytest.raises(UnexpectedResponseError, match=r"say value is in 'MWh'.*api_unit 'kWh'"):
        records_to_frame(declared.get("volumes"), [{**row, "unit": "MWh"}], tz=TZ)
    mixed = records_to_frame(volumes, [{**row, "unit": "kWh"}, {**row, "unit": "GWh"}], tz=TZ)
    assert mixed["value"].tolist() == [0.005, 5000.0] and list(mixed["unit"]) == ["MWh"] * 2


# ---- granularity -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "offered", "refused", "chosen"),
    [
        ("hour", None, (), "hour"),
        ("hour", ("day", "month"), (), "day"),
        ("quarterhour", None, ("quarterhour", "hour"), "day"),
        ("month", ("day",), (), "day"),  # nothing coarser: the coarsest finer one
        ("hour", ("day",), ("day",), None),
    ],
)
def test_the_finest_granularity_a_meter_is_offered(
    asked: str, offered: tuple[str, ...] | None, refused: tuple[str, ...], chosen: str | None
) -> None:
    assert choose(asked, ORDER, offered, refused) == chosen


def test_the_note_names_the_meters_and_what_they_got() -> None:
    text = note("hour", {"M-3": "day", "M-7": "day"}, "meterId")
    assert text == "granularity hour; day for meterId M-3, M-7 (the API offers them no hour)"


def test_a_unit_in_a_fields_name_that_changed_is_named_not_left_blank() -> None:
    invoices = builtin_catalogue().get("invoices")
    with pytest.raises(UnexpectedResponseError) as info:
        records_to_frame(invoices, [{"id": "I", "consumptionKWh": 5500.0}], tz=TZ)
    assert "no record has consumptionMWh (MWh), but they have 'consumptionKWh'" in str(info.value)
    assert '"api_name": "consumptionKWh", "api_unit": "kWh"' in str(info.value)
    with pytest.raises(UnexpectedResponseError, match="they have 'consumption'"):
        records_to_frame(invoices, [{"id": "I", "consumption": 5500.0}], tz=TZ)
    price = records_to_frame(builtin_catalogue().get("clicks"), [{"id": "K"}], tz=TZ)
    assert price["priceEurPerMWh"].isna().all()  # simply absent: a blank, no guess
