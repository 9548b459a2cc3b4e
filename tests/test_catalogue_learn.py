"""The pure learning the import and the probe share: names, values, bodies, fields, units and the
override that declares what was learned (JSON samples, no I/O)."""

from __future__ import annotations

import pytest

from ecore_xl.catalogue import builtin_catalogue
from ecore_xl.catalogue.learn import Learning
from ecore_xl.catalogue.learn.energy import snap_unit, unstated_energy_units
from ecore_xl.catalogue.learn.fields import read_fields, sample_rows
from ecore_xl.catalogue.learn.names import entity_of, match_field, meaning_of_param, paging_role
from ecore_xl.catalogue.learn.records import find_record, find_records, paging_signals
from ecore_xl.catalogue.learn.values import (
    allowed_values,
    granularity_of,
    period_end_rule,
    time_form,
    value_map,
)

CAT = builtin_catalogue()
TZ = "Europe/Berlin"


@pytest.mark.parametrize(
    ("word", "canonical"),
    [
        ("PT15M", "quarterhour"), ("15min", "quarterhour"), ("quarter-hour", "quarterhour"),
        ("QUARTER_HOUR", "quarterhour"), ("PT1H", "hour"), ("hourly", "hour"), ("60min", "hour"),
        ("PT60M", "hour"), ("P1D", "day"), ("daily", "day"), ("1d", "day"), ("P1M", "month"),
        ("monthly", "month"), ("P3M", "quarter"), ("quarterly", "quarter"), ("P1Y", "year"),
        ("banana", None), ("P2D", None),
    ],
)  # fmt: skip
def test_granularity_words(word: str, canonical: str | None) -> None:
    assert granularity_of(word) == canonical


def test_value_maps_come_from_listed_values() -> None:
    listed = allowed_values("Length of an interval. One of PT15M, PT1H, P1D, P1M. Default PT1H.")
    assert listed == ["PT15M", "PT1H", "P1D", "P1M"]
    ours = ["quarterhour", "hour", "day", "month"]
    assert value_map(listed, ours) == {"quarterhour": "PT15M", "hour": "PT1H", "day": "P1D",
                                       "month": "P1M"}  # fmt: skip
    assert value_map(["P1D", "P1M"], ours) is None  # a gas meter's list does not cover ours
    message = "'interval' must be one of 15min, hourly, daily, monthly; got 'hour'."
    assert allowed_values(message) == ["15min", "hourly", "daily", "monthly"]


@pytest.mark.parametrize(
    ("value", "form"),
    [
        ("2026-03-29T01:00:00Z", "z"), ("2026-03-29T03:00:00+02:00", "offset"),
        ("2026-03-29T03:00:00", "naive"), ("2026-03-29", "date"), (1774738800000, "epoch_ms"),
        (1774738800, "epoch_s"), (42, None), ("soon", None), (True, None),
    ],
)  # fmt: skip
def test_time_forms(value: object, form: str | None) -> None:
    assert time_form(value) == form


def test_period_ends_inclusive_or_exclusive() -> None:
    assert period_end_rule(["2026-01-31", "2026-02-28", None], TZ) == ("inclusive", 2)
    assert period_end_rule(["2026-02-01T00:00:00+01:00", "2026-02-28T23:00:00Z"], TZ) == (
        "exclusive", 2
    )  # fmt: skip
    assert period_end_rule([1767222000000], TZ) == ("exclusive", 1)  # 2026-01-01 local midnight
    assert period_end_rule(["2026-01-15"], TZ) is None


def test_records_are_found_wherever_the_envelope_puts_them() -> None:
    assert find_records({"value": [{"id": 1}], "nextLink": "x"}) == ("value", [{"id": 1}])
    body = {"data": {"items": [{"id": 1}]}, "meta": {"page": 1, "totalPages": 3}}
    assert find_records(body) == ("data.items", [{"id": 1}])
    assert find_records([{"id": 1}]) == ("$", [{"id": 1}])
    assert find_records({"results": [], "tags": ["a"]}) == ("results", [])
    assert find_records({"count": 3}) is None
    assert find_record({"data": {"id": 1}}) == ("data", {"id": 1})
    assert find_record({"id": 1, "address": {"city": "X"}}) == (
        "$",
        {"id": 1, "address": {"city": "X"}},
    )


def test_paging_signals_in_bodies_and_headers() -> None:
    odata = paging_signals({"value": [], "@odata.nextLink": "https://a/b?s=1"}, {}, "value")
    assert odata.where == {"next": "@odata.nextLink"}
    meta = {"data": {"items": []}, "meta": {"page": 1, "pageSize": 2, "totalPages": 5,
                                            "totalItems": 9}}  # fmt: skip
    assert paging_signals(meta, {}, "data.items").where == {
        "total_pages": "meta.totalPages", "total_items": "meta.totalItems", "page": "meta.page",
        "size": "meta.pageSize",
    }  # fmt: skip
    headers = {"X-Total-Count": "12", "Link": '<https://a/b?o=2>; rel="next"'}
    assert paging_signals([], headers, "$").where == {
        "total_items": "header:X-Total-Count", "next": "header:Link"
    }  # fmt: skip
    token = paging_signals({"value": [], "continuationToken": "abc"}, {}, "value")
    assert token.where == {"token": "continuationToken"}


def test_parameters_by_meaning_and_paging_never_a_filter() -> None:
    volumes, clicks = CAT.get("volumes"), CAT.get("clicks")
    for name in ("dateFrom", "startDate", "from", "periodFrom", "date_from", "start"):
        assert meaning_of_param(volumes, name)[0].name == "from", name  # type: ignore[index]
    for name in ("resolution", "interval", "granularity"):
        assert meaning_of_param(volumes, name)[0].name == "granularity", name  # type: ignore[index]
    assert meaning_of_param(clicks, "contract_id")[0].name == "contractId"  # type: ignore[index]
    assert meaning_of_param(volumes, "pageSize") is None
    roles = {n: paging_role(n) for n in ("page", "pageSize", "limit", "top", "$skip", "offset",
                                         "continuationToken", "dateFrom")}  # fmt: skip
    assert roles == {"page": "page", "pageSize": "size", "limit": "size", "top": "size",
                     "$skip": "offset", "offset": "offset", "continuationToken": "token",
                     "dateFrom": None}  # fmt: skip
    assert paging_role("n", "Records to skip; X-Total-Count says how many.") == "offset"


def test_fields_by_meaning() -> None:
    contracts, volumes = CAT.get("contracts"), CAT.get("volumes")
    assert entity_of("legal-entities") == "legalEntity" and entity_of("meters") == "meter"
    m = match_field(contracts, "contractId")
    assert (m.field.name, m.sure) == ("id", "seen")  # type: ignore[union-attr]
    m = match_field(contracts, "contractedVolumeKWh")
    assert (m.field.name, m.unit_in_name) == ("contractedVolumeMWh", "kWh")  # type: ignore[union-attr]
    m = match_field(contracts, "contracted_volume")
    assert (m.field.name, m.unit_unsaid) == ("contractedVolumeMWh", True)  # type: ignore[union-attr]
    m = match_field(contracts, "pricing_model")
    assert (m.field.name, m.how) == ("pricingModel", "snake_case")  # type: ignore[union-attr]
    assert match_field(volumes, "timestamp") is None  # not without instants in it
    m = match_field(volumes, "timestamp", timestamp_like=True)
    assert (m.field.name, m.sure) == ("start", "likely")  # type: ignore[union-attr]


def test_a_series_becomes_rows_and_its_unit_is_read_from_the_parent() -> None:
    volumes = CAT.get("volumes")
    series = [{"meterId": "M-1", "unit": "kWh", "type": "actual", "resolution": "PT1H",
               "values": [{"timestamp": "2026-03-29T00:00:00+01:00", "value": 1.5,
                           "quality": "measured"},
                          {"timestamp": "2026-03-29T01:00:00+01:00", "value": 2.5,
                           "quality": "measured"}]}]  # fmt: skip
    rows, key = sample_rows(volumes, series)
    assert key == "values" and len(rows) == 2 and rows[0]["meterId"] == "M-1"
    report = read_fields(volumes, series, tz=TZ)
    assert report.series == "values"
    assert report.key("start") == "timestamp" and report.new == {"resolution": "text"}
    assert report.said_units == {"unit": {"kWh"}}


def test_unstated_energy_units_from_the_records_own_facts() -> None:
    invoices, clicks = CAT.get("invoices"), CAT.get("clicks")
    invoice = {"id": "I", "consumption": 980687.0, "period_start": 1735686000000,
               "lines": [{"component": "energy", "quantity": 980.687, "unit": "MWh"},
                         {"component": "other", "quantity": 1, "unit": "month"}]}  # fmt: skip
    report = read_fields(invoices, [invoice], tz=TZ)
    rows, _ = sample_rows(invoices, [invoice])
    unit, why = unstated_energy_units(invoices, rows, report, tz=TZ)["consumptionMWh"]
    assert unit == "kWh" and "energy lines" in why
    # a base-load click: 0.37 MW over Q3-25 (2,208 hours) is 816.96 MWh, sent as 816960
    click = {"id": "C", "load_profile": "base", "delivery_start": 1751320800000,
             "delivery_end": 1759269600000, "volume_mw": 0.37, "volume": 816960.0}  # fmt: skip
    report = read_fields(clicks, [click], tz=TZ)
    rows, _ = sample_rows(clicks, [click])
    assert unstated_energy_units(clicks, rows, report, tz=TZ)["volumeMWh"][0] == "kWh"
    assert snap_unit(1.02) == "MWh" and snap_unit(0.001) == "GWh" and snap_unit(20) is None


def test_the_override_declares_shared_things_once_and_exceptions_per_dataset() -> None:
    learning = Learning(CAT, "test")
    for name in ("meters", "contracts", "invoices"):
        learning.saw(name, "envelope.records", "data.items")
    learning.saw("volumes", "envelope.records", "$")
    for name, ours, theirs in (("meters", "businessUnitId", "business_unit_id"),
                               ("contracts", "legalEntityId", "legal_entity_id")):  # fmt: skip
        learning.dataset(name).params[ours] = theirs
    out = learning.overrides()
    assert out["dialect"] == {"envelope": {"records": "data.items"},
                              "params": {"names": "snake_case"}}  # fmt: skip
    assert out["datasets"] == {"volumes": {"dialect": {"envelope": {"records": "$"}}}}
    said = {f.subject: f.says for f in learning.of("")}
    assert said["envelope.records"] == "records at 'data.items' (3 of 4 datasets)"


@pytest.mark.parametrize(
    ("text", "largest"),
    [
        ("Records per page, at most 500.", 500),
        ("'pageSize' must be an integer from 1 to 500; got '100000'.", 500),
        ("Page size: maximum of 1,000 records", 1000),
        ("Only this meter.", None),
    ],
)
def test_the_largest_page_a_text_states(text: str, largest: int | None) -> None:
    from ecore_xl.catalogue.learn.values import stated_maximum

    assert stated_maximum(text) == largest
