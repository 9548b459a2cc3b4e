"""records_to_frame on JSON fixtures of every dataset: columns, dtypes, nesting, unknown fields."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ecore_xl.catalogue import Dataset, Field, builtin_catalogue
from ecore_xl.data.frames import explode_records, records_to_frame
from ecore_xl.errors import UnexpectedResponseError, UsageError

FIXTURES = Path(__file__).parent / "frames_fixtures"
CAT = builtin_catalogue()
PLAIN = [ds.name for ds in CAT if ds.explode is None]


def records(name: str) -> list[dict[str, Any]]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))["value"]


def expected_columns(ds: Dataset) -> list[str]:
    cols: list[str] = []
    for f in ds.fields:
        cols.append(f.name)
        if f.type == "timestamp":
            cols.append(f.name + "Local")
    return cols


def frame_of(name: str, recs: list[dict[str, Any]] | None = None) -> pd.DataFrame:
    return records_to_frame(CAT.get(name), records(name) if recs is None else recs)


@pytest.mark.parametrize("name", PLAIN)
def test_fixture_gives_catalogue_columns_in_order(name: str) -> None:
    ds = CAT.get(name)
    df = frame_of(name)
    assert list(df.columns) == expected_columns(ds)
    assert len(df) == len(records(name))


@pytest.mark.parametrize("name", [*PLAIN, "invoice-lines"])
def test_empty_records_give_same_columns_and_dtypes(name: str) -> None:
    ds = CAT.get(name)
    empty = records_to_frame(ds, [])
    assert list(empty.columns) == expected_columns(ds)
    assert len(empty) == 0
    if name == "invoice-lines":
        full = records_to_frame(ds, explode_records(ds, records("invoices")))
    else:
        full = frame_of(name)
    assert empty.dtypes.to_dict() == full.dtypes.to_dict()


def test_dtypes_follow_field_types() -> None:
    df = frame_of("contracts")
    assert df["id"].dtype == "str"
    assert df["contractedVolumeMWh"].dtype == "float64"
    assert df["deliveryStart"].dtype == "datetime64[us]"  # naive: Excel shows a real date
    assert df["deliveryStart"].tolist() == [pd.Timestamp("2026-01-01"), pd.Timestamp("2027-01-01")]
    assert df["deliveryEnd"].iloc[0] == pd.Timestamp("2027-01-01")
    portfolios = frame_of("portfolios")
    assert portfolios["deliveryYear"].dtype == "Int64"
    assert portfolios["deliveryYear"].tolist() == [2026, 2027]


def test_plain_dates_stay_dates() -> None:
    df = frame_of("invoices")
    assert df["issueDate"].tolist() == [pd.Timestamp("2026-02-05"), pd.Timestamp("2026-02-06")]
    assert df["periodStart"].tolist() == [pd.Timestamp("2026-01-01")] * 2


def test_dates_mixing_plain_dates_and_instants() -> None:
    ds = CAT.get("relationships")
    recs = [
        {"parentType": "meter", "validFrom": "2026-03-01", "validTo": "2026-10-24T22:00:00Z"},
        {"parentType": "meter", "validFrom": "2026-03-28T23:00:00Z", "validTo": None},
    ]
    df = records_to_frame(ds, recs)
    assert df["validFrom"].tolist() == [pd.Timestamp("2026-03-01"), pd.Timestamp("2026-03-29")]
    assert df["validTo"].iloc[0] == pd.Timestamp("2026-10-25")
    assert pd.isna(df["validTo"].iloc[1])


def test_timestamp_gets_utc_and_local_sibling() -> None:
    df = frame_of("clicks")
    cols = list(df.columns)
    assert cols[cols.index("executedAt") + 1] == "executedAtLocal"
    assert str(df["executedAt"].dt.tz) == "UTC"
    assert df["executedAt"].iloc[0] == pd.Timestamp("2025-06-12T09:31:07Z")
    assert df["executedAtLocal"].dt.tz is None
    assert df["executedAtLocal"].tolist() == [
        pd.Timestamp("2025-06-12 11:31:07"),  # CEST
        pd.Timestamp("2025-10-27 15:02:55"),  # CET, the day after the change
    ]


def test_local_time_follows_tz_argument() -> None:
    df = records_to_frame(CAT.get("clicks"), records("clicks"), tz="Europe/London")
    assert df["executedAtLocal"].iloc[0] == pd.Timestamp("2025-06-12 10:31:07")


def test_nested_object_is_flattened_with_dots() -> None:
    df = frame_of("meters")
    assert df["address.city"].tolist() == ["Ludwigshafen", "Linz"]
    assert df["address.postalCode"].iloc[1] == "4020"
    assert "address" not in df.columns
    assert df["annualConsumptionMWh"].tolist() == [12500.5, 3200.0]


def test_lists_become_joined_text() -> None:
    df = frame_of("contracts")
    assert df["meterIds"].tolist() == ["MT-001;MT-003", "MT-002"]
    assert df["meterIds"].dtype == "str"


def test_list_of_objects_kept_as_json_text() -> None:
    df = frame_of("invoices")
    first = df["lines"].iloc[0].split(";")
    assert len(first) == 3
    assert json.loads(first[0])["component"] == "energy"


def test_unknown_fields_kept_after_known_and_typed() -> None:
    recs = records("portfolios")
    recs[0] |= {
        "broker": "EnergyBroker X",
        "createdAt": "2025-01-02T08:00:00Z",
        "limits": {"maxOpenMWh": 500, "owner": {"name": "Risk"}},
        "tags": ["core", "2026"],
        "archived": False,
    }
    recs[1] |= {"broker": None, "archived": True}
    df = frame_of("portfolios", recs)
    known = expected_columns(CAT.get("portfolios"))
    assert list(df.columns[: len(known)]) == known
    extra = list(df.columns[len(known) :])
    assert extra == [
        "broker",
        "createdAt",
        "createdAtLocal",
        "limits.maxOpenMWh",
        "limits.owner.name",
        "tags",
        "archived",
    ]
    assert df["broker"].iloc[0] == "EnergyBroker X" and pd.isna(df["broker"].iloc[1])
    assert df["createdAtLocal"].iloc[0] == pd.Timestamp("2025-01-02 09:00:00")
    assert df["limits.maxOpenMWh"].iloc[0] == 500.0 and pd.isna(df["limits.maxOpenMWh"].iloc[1])
    assert df["limits.owner.name"].iloc[0] == "Risk"
    assert df["tags"].iloc[0] == "core;2026"
    assert df["archived"].dtype == "bool"
    assert df["archived"].tolist() == [False, True]


def test_missing_known_field_is_an_empty_column() -> None:
    recs = [{"id": "LE-9", "name": "Nur Name"}]
    df = records_to_frame(CAT.get("legal-entities"), recs)
    assert list(df.columns) == ["id", "name", "country", "vatId"]
    assert pd.isna(df["vatId"].iloc[0])


def test_numbers_sent_as_plain_number_text_are_parsed() -> None:
    ds = CAT.get("portfolios")
    df = records_to_frame(ds, [{"id": "a", "deliveryYear": "2026"}, {"id": "b"}])
    assert df["deliveryYear"].dtype == "Int64"
    assert df["deliveryYear"].iloc[0] == 2026 and pd.isna(df["deliveryYear"].iloc[1])
    recs = [{"id": "C-1", "contractedVolumeMWh": v} for v in ("13749.6", "-2", "1e3", 7, None)]
    got = records_to_frame(CAT.get("contracts"), recs)["contractedVolumeMWh"]
    assert got.dtype == "float64"
    assert got.tolist()[:4] == [13749.6, -2.0, 1000.0, 7.0] and pd.isna(got.iloc[4])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("contractedVolumeMWh", "13749,6"),
        ("contractedVolumeMWh", " 12"),
        ("contractedVolumeMWh", "n/a"),
        ("contractedVolumeMWh", "NaN"),
        ("contractedVolumeMWh", {"value": 1}),
        ("contractedVolumeMWh", [1, 2]),
        ("contractedVolumeMWh", "1_000"),
    ],
)
def test_a_declared_number_that_is_not_one_names_dataset_field_and_value(
    field: str, value: Any
) -> None:
    recs = [{"id": "C-1", field: 1.5}, {"id": "C-2", field: value}]
    with pytest.raises(UnexpectedResponseError) as info:
        records_to_frame(CAT.get("contracts"), recs)
    message = str(info.value)
    assert message.startswith(f"contracts: field {field!r} holds {value!r}, which is not a number")
    assert "ecore-xl catalogue show contracts" in message


def test_an_integer_field_with_odd_text_is_an_error_too() -> None:
    with pytest.raises(UnexpectedResponseError, match="'2026/27', which is not an integer"):
        records_to_frame(CAT.get("portfolios"), [{"id": "a", "deliveryYear": "2026/27"}])


def test_an_unknown_field_of_mixed_numbers_and_text_keeps_the_text() -> None:
    recs = [{"id": "C-1", "newField": 1.5}, {"id": "C-2", "newField": "13749,6"}]
    df = records_to_frame(CAT.get("contracts"), recs)
    assert df["newField"].tolist() == ["1.5", "13749,6"]  # never lose what the API sent


def test_integer_field_with_fractions_becomes_float() -> None:
    df = records_to_frame(CAT.get("portfolios"), [{"deliveryYear": 2026.5}])
    assert df["deliveryYear"].dtype == "float64"


def test_object_field_not_declared_flat_is_flattened_at_its_place() -> None:
    ds = Dataset(
        "things",
        "/things",
        "",
        (),
        (Field("id"), Field("meta", "object"), Field("n", "number")),
        "id",
        "Things",
        "tblThings",
        "ECORE_THINGS",
    )
    df = records_to_frame(ds, [{"id": "1", "n": 2, "meta": {"a": "x", "b": 1.5}}])
    assert list(df.columns) == ["id", "meta.a", "meta.b", "n"]
    assert df["meta.b"].dtype == "float64"


def test_bad_timestamp_names_dataset_and_field() -> None:
    recs = [{"id": "CL-1", "executedAt": "yesterday"}]
    with pytest.raises(
        UnexpectedResponseError, match=r"clicks: field 'executedAt' holds 'yesterday'"
    ):
        records_to_frame(CAT.get("clicks"), recs)


def test_record_that_is_not_an_object() -> None:
    with pytest.raises(UnexpectedResponseError, match="not a JSON object"):
        records_to_frame(CAT.get("clicks"), [1, 2])  # type: ignore[list-item]


def test_invoice_lines_exploded_with_parent_id() -> None:
    ds = CAT.get("invoice-lines")
    rows = explode_records(ds, records("invoices"))
    assert len(rows) == 4
    assert [r["invoiceId"] for r in rows] == ["INV-001"] * 3 + ["INV-002"]
    assert rows[1] == {
        "invoiceId": "INV-001",
        "component": "grid",
        "quantity": 1043.25,
        "unit": "MWh",
        "unitPrice": 3.2,
        "amount": 3338.4,
    }
    df = records_to_frame(ds, rows)
    assert list(df.columns) == ["invoiceId", "component", "quantity", "unit", "unitPrice", "amount"]
    assert df["amount"].sum() == pytest.approx(91232.21 + 3338.4 + 850.69 + 12400.0)


def test_explode_invoice_without_lines_and_bad_lines() -> None:
    ds = CAT.get("invoice-lines")
    assert explode_records(ds, [{"id": "I", "lines": None}, {"id": "J"}]) == []
    with pytest.raises(UnexpectedResponseError, match="'lines' of record 'I' is not a list"):
        explode_records(ds, [{"id": "I", "lines": "energy"}])
    with pytest.raises(UsageError):
        explode_records(CAT.get("invoices"), [])


def test_renamed_field_reads_api_name_and_falls_back_to_old_key() -> None:
    ds = CAT.get("volumes")
    fields = tuple(
        Field(f.name, f.type, f.doc, api_name="meter_id" if f.name == "meterId" else None)
        for f in ds.fields
    )
    renamed = Dataset(**{**ds.__dict__, "fields": fields})
    new = records_to_frame(renamed, [{"meter_id": "MT-1", "start": "2026-01-01T00:00:00Z"}])
    assert new["meterId"].tolist() == ["MT-1"] and "meter_id" not in new.columns
    old = records_to_frame(renamed, [{"meterId": "MT-2", "start": "2026-01-01T00:00:00Z"}])
    assert old["meterId"].tolist() == ["MT-2"]


def test_unknown_key_never_shadows_a_generated_column() -> None:
    recs = [{"meterId": "MT-1", "start": "2026-01-01T00:00:00Z", "startLocal": "their own"}]
    df = records_to_frame(CAT.get("volumes"), recs)
    assert df["startLocal"].iloc[0] == pd.Timestamp("2026-01-01 01:00")
    assert df["startLocal_"].iloc[0] == "their own"


# ---- integers beyond 2**53 (issue 12) --------------------------------------------------------


@pytest.mark.parametrize(
    ("dataset", "field", "value"),
    [
        ("portfolios", "deliveryYear", 2**63),  # an integer field: Int64 ends at 2**63 - 1
        ("invoices", "netAmount", 2**63),  # a number field: a float would round it
        ("invoices", "netAmount", "12345678901234567890123"),  # quoted by the client
        ("invoices", "someNewCounter", 2**53 + 1),  # a field the catalogue does not know
    ],
)
def test_an_integer_beyond_2_53_is_kept_as_text(
    dataset: str, field: str, value: object, caplog: pytest.LogCaptureFixture
) -> None:
    recs = records(dataset)
    recs[0] = {**recs[0], field: value}
    for other in recs[1:]:
        other.setdefault(field, 7)
    df = frame_of(dataset, recs)
    assert df[field].iloc[0] == str(value)  # exactly, every digit
    second = recs[1][field]
    assert df[field].iloc[1] == (str(second) if not isinstance(second, float) else repr(second))
    if isinstance(value, int):
        assert f"field {field!r} holds the integer {value}" in caplog.text


def test_integers_up_to_2_53_stay_numbers() -> None:
    recs = records("portfolios")
    recs[0] = {**recs[0], "deliveryYear": 2**53}
    assert str(frame_of("portfolios", recs)["deliveryYear"].dtype) == "Int64"


def test_the_client_quotes_integers_orjson_would_round() -> None:
    from ecore_xl.api.body import quote_big_integers

    body = b'{"value":[{"id":12345678901234567890123,"v":1.5,"t":"12345678901234567890123"}]}'
    exact, first = quote_big_integers(body)
    assert first == "12345678901234567890123"
    assert json.loads(exact)["value"][0] == {
        "id": "12345678901234567890123", "v": 1.5, "t": "12345678901234567890123",
    }  # fmt: skip
    assert quote_big_integers(b'{"value":[{"id":12}]}') == (b'{"value":[{"id":12}]}', None)


def test_the_end_of_time_instant_is_a_clean_result(caplog: pytest.LogCaptureFixture) -> None:
    """``9999-12-31T23:59:59Z`` (an "open end") has no local time in Berlin before the year
    10000: the UTC value is kept, the local one left empty, with a warning; no OverflowError."""
    recs = [{"id": "K-1", "executedAt": "9999-12-31T23:59:59Z"},
            {"id": "K-2", "executedAt": "2026-01-01T00:00:00Z"}]  # fmt: skip
    df = frame_of("clicks", recs)
    assert df["executedAt"].iloc[0] == pd.Timestamp("9999-12-31T23:59:59Z")
    assert pd.isna(df["executedAtLocal"].iloc[0])
    assert df["executedAtLocal"].iloc[1] == pd.Timestamp("2026-01-01T01:00:00")
    assert "no local time in Europe/Berlin" in caplog.text
