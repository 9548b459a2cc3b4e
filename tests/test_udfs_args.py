"""Argument tidying (``formulas.args``), Excel-ready results (``excel.results``), the log file."""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecore_xl.errors import InvalidFilterError, TooManyRowsError, UsageError
from ecore_xl.excel import logsetup, results
from ecore_xl.excel_limits import EXCEL_MAX_ROWS
from ecore_xl.formulas import args
from ecore_xl.formulas.signatures import excel_arg_name

TZ = "Europe/Berlin"

# ---- args ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "empty"),
    [(None, True), ("", True), ("  ", True), (math.nan, True), ([[None, ""], [" "]], True),
     (0, False), (0.0, False), (False, False), ("x", False), ([[None, "M-1"]], False)],
)  # fmt: skip
def test_is_empty(value: object, empty: bool) -> None:
    assert args.is_empty(value) is empty


def test_clean_turns_ranges_into_values_or_lists() -> None:
    assert args.clean([["M-1"], [None]]) == "M-1"
    assert args.clean([["M-1", "M-2"], ["", "M-3"]]) == ["M-1", "M-2", "M-3"]
    assert args.clean("  gas ") == "gas"
    assert args.clean([[None]]) is None
    assert args.clean(46082.0) == 46082.0


def test_parse_ids() -> None:
    assert args.parse_ids([[4711.0], ["M-2, M-3"], ["M-2"], [None]]) == ["4711", "M-2", "M-3"]
    assert args.parse_ids(None) == []


def test_parse_options_in_every_shape() -> None:
    assert args.parse_options(["type=forecast", None, "a = 1; b=2;"]) == {
        "type": "forecast",
        "a": "1",
        "b": "2",
    }
    assert args.parse_options([[["status=active"], ["commodity=gas"]]]) == {
        "status": "active",
        "commodity": "gas",
    }
    two_columns = [[["from", dt.datetime(2026, 3, 1)], ["header", False], [None, None]]]
    assert args.parse_options(two_columns) == {"from": dt.datetime(2026, 3, 1), "header": False}
    assert args.parse_options([["top", 5.0]]) == {"top": 5.0}  # one row of two cells
    assert args.parse_options(["note=a=b"]) == {"note": "a=b"}


@pytest.mark.parametrize(
    ("values", "words"),
    [(["forecast"], "key=value"), (["=x"], "key=value"), ([3.0], "key=value"),
     (["type=a", "Type=b"], "twice"), (["meter_id=1; meterid=2"], "twice")],
)  # fmt: skip
def test_parse_options_errors(values: list[object], words: str) -> None:
    with pytest.raises(UsageError, match=words):
        args.parse_options(values)


def test_rename_keys_maps_excel_names_to_filters() -> None:
    renamed = args.rename_keys({"Legal_Entity": "LE-1", "x": 1}, {"legal_entity": "legalEntityId"})
    assert renamed == {"legalEntityId": "LE-1", "x": 1}


@pytest.mark.parametrize(
    ("value", "start", "end", "granularity"),
    [
        ("2026-10", dt.date(2026, 10, 1), dt.date(2026, 11, 1), "month"),
        ("2026-12", dt.date(2026, 12, 1), dt.date(2027, 1, 1), "month"),
        (dt.date(2026, 2, 14), dt.date(2026, 2, 1), dt.date(2026, 3, 1), "month"),
        (dt.datetime(2026, 2, 14, 13, 5), dt.date(2026, 2, 1), dt.date(2026, 3, 1), "month"),
        (46082.0, dt.date(2026, 3, 1), dt.date(2026, 4, 1), "month"),  # Excel serial 2026-03-01
        ("2026-03-17", dt.date(2026, 3, 1), dt.date(2026, 4, 1), "month"),
        ("2026-Q4", dt.date(2026, 10, 1), dt.date(2027, 1, 1), "quarter"),
        ("2026q1", dt.date(2026, 1, 1), dt.date(2026, 4, 1), "quarter"),
        ("Q2-26", dt.date(2026, 4, 1), dt.date(2026, 7, 1), "quarter"),
        ("Q3 2026", dt.date(2026, 7, 1), dt.date(2026, 10, 1), "quarter"),
        ("Cal-27", dt.date(2027, 1, 1), dt.date(2028, 1, 1), "quarter"),
        (2026.0, dt.date(2026, 1, 1), dt.date(2027, 1, 1), "quarter"),
    ],
)
def test_parse_period(value: object, start: dt.date, end: dt.date, granularity: str) -> None:
    period = args.parse_period(value)
    assert (period.start, period.end, period.granularity) == (start, end, granularity)


@pytest.mark.parametrize("value", [None, "", "2026-13", "2026-Q5", "soon", True, [["2026-10"]]])
def test_parse_period_errors(value: object) -> None:
    with pytest.raises(InvalidFilterError, match="period"):
        args.parse_period(value)


def test_parse_bool() -> None:
    assert args.parse_bool("header", "FALSCH", True) is False
    assert args.parse_bool("header", None, True) is True
    assert args.parse_bool("header", 0.0, True) is False
    with pytest.raises(UsageError, match="TRUE or FALSE"):
        args.parse_bool("header", "maybe", True)


@pytest.mark.parametrize(
    ("name", "excel"),
    [("meterId", "meter"), ("legalEntityId", "legal_entity"), ("from", "from_date"),
     ("to", "to_date"), ("type", "value_type"), ("activeOn", "active_on"), ("name", "name_value"),
     ("id", "id"), ("2fa", "arg_2fa"), ("optionX", "option_x_value")],
)  # fmt: skip
def test_excel_argument_names_are_valid_vba(name: str, excel: str) -> None:
    assert excel_arg_name(name) == excel


# ---- results -------------------------------------------------------------------------------


def _frame() -> pd.DataFrame:
    utc = pd.to_datetime(["2026-10-25T00:00:00Z", "2026-10-25T01:00:00Z", None], utc=True)
    return pd.DataFrame(
        {
            "start": utc,
            "startLocal": utc.tz_convert(TZ).tz_localize(None),
            "issued": pd.to_datetime(["2026-10-01T06:00:00Z", None, None], utc=True),
            "value": [1.5, np.nan, 3.0],
            "count": pd.array([1, None, 3], dtype="Int64"),
            "ok": [True, False, True],
            "name": ["a", None, "c"],
            "ids": [["M-1", "M-2"], [], None],
            "address": [{"city": "Köln"}, None, None],
            "day": [dt.date(2026, 3, 1), None, dt.date(2026, 3, 2)],
        }
    )


def test_frame_to_rows_types() -> None:
    rows = results.frame_to_rows(_frame())
    assert rows[0] == [
        "start", "startLocal", "issued", "value", "count", "ok", "name", "ids", "address", "day"
    ]  # fmt: skip
    first, second, third = rows[1:]
    assert first[:3] == [
        dt.datetime(2026, 10, 25, 0, 0),  # an instant: UTC, as on a refreshed sheet
        dt.datetime(2026, 10, 25, 2, 0),  # its local sibling
        dt.datetime(2026, 10, 1, 6, 0),  # an instant without a sibling is UTC too (one rule)
    ]
    assert second[1] == dt.datetime(2026, 10, 25, 2, 0)  # the autumn hour, twice
    assert first[3:] == [1.5, 1.0, True, "a", "M-1, M-2", '{"city": "Köln"}',
                         dt.datetime(2026, 3, 1)]  # fmt: skip
    assert second[3:] == [None, None, False, None, "", None, None]
    assert third[0] is None
    for row in rows:
        for v in row:
            assert v is None or type(v) in (str, float, bool, dt.datetime)


def test_frame_to_rows_options() -> None:
    df = _frame()
    assert results.frame_to_rows(df, header=False, columns=["NAME", "value"])[0] == [
        "a",
        1.5,
    ]
    with pytest.raises(UsageError, match="'nope' is not in the result"):
        results.frame_to_rows(df, columns=["nope"])
    assert results.frame_to_rows(df.iloc[:0], what="meters") == [
        ["No meters for these arguments."]
    ]


def test_frame_to_rows_refuses_more_rows_than_a_sheet() -> None:
    big = pd.DataFrame({"x": np.zeros(EXCEL_MAX_ROWS)})
    with pytest.raises(TooManyRowsError, match="do not fit"):
        results.frame_to_rows(big)
    assert len(results.frame_to_rows(big, header=False)) == EXCEL_MAX_ROWS


def test_cells_come_from_the_one_converter_and_errors_are_one_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    df = pd.DataFrame(
        {
            "n": np.array([4, 5], dtype="int64"),
            "x": [math.inf, 1.0],
            "t": pd.to_datetime([None, "2026-01-01"]),
            "a": pd.array([pd.NA, 1], dtype="Int64"),
            "d": pd.to_timedelta(["6h", None]),
            "o": [np.int64(7), "x"],
        }
    )
    header, first, second = results.frame_to_rows(df)
    assert header == ["n", "x", "t", "a", "d", "o"]
    assert first == [4.0, None, None, None, 0.25, 7.0] and type(first[0]) is float
    assert second[:4] == [5.0, 1.0, dt.datetime(2026, 1, 1), 1.0] and second[4] is None
    (_, (cut,)) = results.frame_to_rows(pd.DataFrame({"text": ["x" * 40_000]}))
    assert len(cut) == 32_767 and cut.endswith("…")  # cut as on a sheet, and said (not silent)
    assert "'text': a text of 40,000 characters is cut to 32,767" in caplog.text
    assert results.error_text("bad\n  thing") == "#ECORE! bad thing"
    assert len(results.error_text("x" * 1000)) == len("#ECORE! ") + 250


# ---- log file ------------------------------------------------------------------------------


def test_log_file_rotates_in_the_log_dir_and_masks_secrets() -> None:
    from ecore_xl.api._log import register_secret

    path = logsetup.configure_logging()
    try:
        assert path == Path(os.environ["ECORE_LOG_DIR"]) / "excel-udfs.log"
        assert logsetup.configure_logging() == path  # idempotent
        register_secret("s3cr3t-value-for-test")
        log = logging.getLogger("ecore_xl.excel.udfs-test")
        log.warning("token s3cr3t-value-for-test leaked?")
        for _ in range(3000):
            log.warning("x" * 500)
        files = sorted(p.name for p in path.parent.iterdir())
        assert "excel-udfs.log.1" in files and len(files) <= 6
        text = "".join(p.read_text(encoding="utf-8") for p in path.parent.iterdir())
        assert "s3cr3t-value-for-test" not in text
    finally:
        logsetup.close_logging()


def test_log_dir_that_cannot_be_created_is_not_an_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    os.environ["ECORE_LOG_DIR"] = str(blocker / "logs")
    try:
        assert logsetup.configure_logging() is None
    finally:
        logsetup.close_logging()


def test_results_keep_what_a_cell_cannot_hold_as_text() -> None:
    df = pd.DataFrame(
        {
            "id": np.array([2**53 + 1, 5], dtype="int64"),
            "big": [12345678901234567890123, 1],
            "day": pd.to_datetime(["1899-12-31", "2026-03-01"]),
        }
    )
    rows = results.frame_to_rows(df)
    # the converter's texts, as on a refreshed sheet (a column of days: the day alone)
    assert rows[1] == [str(2**53 + 1), "12345678901234567890123", "1899-12-31"]
    assert rows[2] == [5.0, 1.0, dt.datetime(2026, 3, 1)]
    objects = results.frame_to_rows(pd.DataFrame({"o": [dt.date(1899, 1, 1), 2**63]}))
    assert [r[0] for r in objects[1:]] == ["1899-01-01", str(2**63)]
