"""Rolling-window formulas in the eCore settings cells, evaluated without Excel (no eval)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ecore_xl.errors import WorkbookError
from ecore_xl.excel.settings_formulas import evaluate, to_serial

TODAY = dt.date(2026, 11, 15)
CELLS: dict[str, Any] = {
    "B5": dt.datetime(2026, 3, 1),
    "B6": "=B5+31",
    "B7": "=B8",
    "B8": "=B7",
    "B9": 30,
    "B10": "text",
}


def value(formula: str) -> Any:
    return evaluate(
        formula,
        sheet="eCore",
        cell="B1",
        name="ecore.from",
        read=lambda sheet, cell: CELLS.get(cell),
        today=TODAY,
    )


def day(formula: str) -> dt.date:
    serial = value(formula)
    return dt.date(1899, 12, 30) + dt.timedelta(days=serial)


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("=TODAY()-30", dt.date(2026, 10, 16)),
        ("=EOMONTH(TODAY(),-1)+1", dt.date(2026, 11, 1)),
        ("=EOMONTH(TODAY(),0)", dt.date(2026, 11, 30)),
        ("=EDATE(TODAY(),-12)", dt.date(2025, 11, 15)),
        ("=EDATE(DATE(2024,3,31),-1)", dt.date(2024, 2, 29)),
        ("=DATE(YEAR(TODAY()),1,1)", dt.date(2026, 1, 1)),
        ("=DATE(2026,13,1)", dt.date(2027, 1, 1)),
        ("=DATE(2026,3,0)", dt.date(2026, 2, 28)),
        ("=B5+7", dt.date(2026, 3, 8)),
        ("=$B$5-B9", dt.date(2026, 1, 30)),
        ("=eCore!B6", dt.date(2026, 4, 1)),
        ("='eCore'!$B$6+1", dt.date(2026, 4, 2)),
        ('=DATEVALUE("2026-02-01")', dt.date(2026, 2, 1)),
        ("=TODAY()-WEEKDAY(TODAY())+1", dt.date(2026, 11, 15)),  # a Sunday
        ("=MAX(B5,TODAY()-400)", dt.date(2026, 3, 1)),
        ("= ( TODAY() - 30 ) ", dt.date(2026, 10, 16)),
    ],
)
def test_rolling_windows(formula: str, expected: dt.date) -> None:
    assert day(formula) == expected


def test_numbers_text_and_now() -> None:
    assert value("=2*3-1") == 5
    assert value('="M-"&B9') == "M-30"
    assert value("=TRUE") is True
    assert evaluate("=NOW()", sheet="eCore", cell="B1", name="x", read=lambda s, c: None,
                    today=TODAY, now=dt.datetime(2026, 11, 15, 6)) == to_serial(
        dt.datetime(2026, 11, 15, 6)
    )  # fmt: skip


@pytest.mark.parametrize(
    ("formula", "why"),
    [
        ('=INDIRECT("B5")', "INDIRECT is not one"),
        ("=Sheet2!B5", "another sheet"),
        ("=B7", "refers back to itself"),
        ("=SUM(B5:B6)", "SUM is not one"),
        ("=MAX(B5:B6)", "expected"),
        ('=__import__("os")', "cannot read|not one"),
        ("=1/0", "division by zero"),
        ("=B10+1", "not a number"),
        ("=TODAY(", "expected"),
        ("=EOMONTH(TODAY())", "takes 2"),
    ],
)
def test_anything_else_is_one_line_naming_the_cell(formula: str, why: str) -> None:
    with pytest.raises(WorkbookError, match=why) as info:
        value(formula)
    message = str(info.value)
    assert message.startswith("ecore.from (eCore!B1) holds the formula")
    assert "\n" not in message
