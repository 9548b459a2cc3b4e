"""What Excel hands a worksheet function, made into what the data layer takes.

Shared by both spreadsheet faces. xlwings gives a UDF, and Office.js a custom function (through
``ecore-xl serve``, as JSON), plain values: ``None`` for an empty or omitted argument, a float for
every number (also an Excel date typed as a number; Office.js sends every date so), a naive
``datetime`` for a date-formatted cell (xlwings only), text, and a (nested) list for a range.
These helpers only tidy and split; the data layer validates filter values (names, dates, enums,
``from`` < ``to``) and names the filter in its errors.

``key=value`` options, the way market-data add-ins take overrides::

    =ECORE_VOLUMES("M-1", "2026-01-01", "2026-02-01", , , "type=forecast")
    =ECORE_CONTRACTS(, , , , "status=active; columns=id,name")   ; several in one text
    =ECORE_CONTRACTS(, , , , H1:H3)                               ; a range of key=value cells
    =ECORE_CONTRACTS(, , , , H1:I3)                               ; key | value, two columns
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ecore_xl.errors import InvalidFilterError, UsageError

__all__ = [
    "Period",
    "clean",
    "flatten",
    "is_empty",
    "parse_bool",
    "parse_ids",
    "parse_options",
    "parse_period",
    "rename_keys",
    "split_cells",
]

_PAIR_SEPARATOR = ";"


def is_empty(value: Any) -> bool:
    """An omitted argument, an empty cell, blank text, NaN, or a range of nothing but those."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, list | tuple):
        return all(is_empty(v) for v in value)
    return False


def flatten(value: Any) -> list[Any]:
    """The non-empty cells of a value or a (nested) range, row by row."""
    if isinstance(value, list | tuple):
        out: list[Any] = []
        for item in value:
            out.extend(flatten(item))
        return out
    return [] if is_empty(value) else [value]


def clean(value: Any) -> Any:
    """One argument as the data layer takes it: None for empty, text stripped, ranges flattened.

    A range of one non-empty cell becomes that value; of several, a list (several meter ids).
    """
    if isinstance(value, list | tuple):
        cells = flatten(value)
        if not cells:
            return None
        return cells[0] if len(cells) == 1 else [clean(c) for c in cells]
    if is_empty(value):
        return None
    if isinstance(value, str):
        return value.strip()
    return value


def split_cells(value: Any) -> Any:
    """A range's text cells split into their comma-separated values (quotes keep a comma), as
    the list the data layer takes whole; anything else unchanged."""
    if not isinstance(value, list):
        return value
    from ecore_xl.data.filters import split_ids

    out: list[Any] = []
    for cell in value:
        out.extend(split_ids(cell) if isinstance(cell, str) else [cell])
    return out


def _id_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a numeric id in a cell arrives as 4711.0
    return str(value).strip()


def parse_ids(value: Any) -> list[str]:
    """Ids from one cell, a range, or comma-separated text; in order, each once.

    A cell's text is split at commas outside double quotes: write an id that holds a comma
    in quotes, ``"A,1"`` (:func:`ecore_xl.data.filters.split_ids`).
    """
    from ecore_xl.data.filters import split_ids

    out: list[str] = []
    for cell in flatten(value):
        parts = split_ids(cell) if isinstance(cell, str) else [cell]
        for part in parts:
            text = _id_text(part)
            if text and text not in out:
                out.append(text)
    return out


_TRUE = {"true", "1", "yes", "y", "on", "wahr"}
_FALSE = {"false", "0", "no", "n", "off", "falsch"}


def parse_bool(name: str, value: Any, default: bool) -> bool:
    """TRUE/FALSE from a cell (a boolean, 1/0, or text such as yes/no); empty gives ``default``."""
    if is_empty(value):
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise UsageError(f"{name} must be TRUE or FALSE (got {value!r}).")


def _pairs_from_text(text: str) -> list[tuple[str, str]]:
    pairs = []
    for chunk in text.split(_PAIR_SEPARATOR):
        if not chunk.strip():
            continue
        key, sep, val = chunk.partition("=")
        if not sep or not key.strip():
            raise UsageError(
                f'Option {chunk.strip()!r} is not key=value: write e.g. "type=forecast".'
            )
        pairs.append((key.strip(), val.strip()))
    return pairs


def _is_key_value_range(value: Any) -> bool:
    """A two-column range whose first column holds bare keys (no '=')."""
    if not isinstance(value, list | tuple) or not value:
        return False
    rows = value if isinstance(value[0], list | tuple) else [value]
    return all(
        isinstance(row, list | tuple)
        and len(row) == 2
        and (is_empty(row[0]) or (isinstance(row[0], str) and "=" not in row[0]))
        for row in rows
    ) and not all(is_empty(row[0]) for row in rows)


def parse_options(values: Iterable[Any]) -> dict[str, Any]:
    """``key=value`` options from trailing arguments, in order; a key given twice is an error.

    Each argument may be empty, one ``key=value`` text, several separated by ``;``, a range of
    such cells, or a two-column range of key and value cells (the value keeps its cell type).
    """
    out: dict[str, Any] = {}
    folded: dict[str, str] = {}

    def add(key: str, val: Any) -> None:
        fold = key.lower().replace("_", "")
        if fold in folded:
            raise UsageError(f"Option {key!r} is given twice: give it once.")
        folded[fold] = key
        out[key] = val

    for value in values:
        if is_empty(value):
            continue
        if _is_key_value_range(value):
            rows = value if isinstance(value[0], list | tuple) else [value]
            for key, val in rows:
                if not is_empty(key):
                    add(str(key).strip(), clean(val))
            continue
        for cell in flatten(value):
            if not isinstance(cell, str):
                raise UsageError(
                    f'Option {cell!r} is not key=value text: write e.g. "type=forecast".'
                )
            for key, val in _pairs_from_text(cell):
                add(key, val)
    return out


# ---- periods (ECORE_HEDGE_RATIO, ECORE_OPEN_POSITION) ----------------------------------------


@dataclass(frozen=True)
class Period:
    """A delivery period: ``[start, end)`` in local dates and the position granularity to ask."""

    start: dt.date
    end: dt.date
    granularity: str  # "month" or "quarter" (a year is asked as its four quarters)
    label: str


_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(?:(\d{4})\s*-?\s*Q([1-4])|Q([1-4])\s*[-/ ]?\s*(\d{2}|\d{4}))$", re.I)
_YEAR = re.compile(r"^(?:CAL\s*-?\s*)?(\d{2}|\d{4})$", re.I)


def _year(text: str) -> int:
    return 2000 + int(text) if len(text) == 2 else int(text)


def _month_period(year: int, month: int) -> Period:
    start = dt.date(year, month, 1)
    end = dt.date(year + month // 12, month % 12 + 1, 1)
    return Period(start, end, "month", f"{year:04d}-{month:02d}")


def _quarter_period(year: int, quarter: int) -> Period:
    start = dt.date(year, 3 * quarter - 2, 1)
    end = dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)
    return Period(start, end, "quarter", f"{year:04d}-Q{quarter}")


def parse_period(value: Any, *, name: str = "period") -> Period:
    """A month (``2026-10`` or any date in it: an Excel date, serial or ISO text), a quarter
    (``2026-Q4``, ``Q4-26``) or a year (``2026``, ``Cal-26``)."""
    if is_empty(value) or isinstance(value, list | tuple):
        raise InvalidFilterError(
            f"{name} is missing: give a month like 2026-10, a quarter like 2026-Q4 or a date.",
            parameter=name,
        )
    if isinstance(value, bool):
        raise InvalidFilterError(f"{name} cannot be {value!r}.", parameter=name)
    if isinstance(value, dt.date):  # datetime is a date too
        return _month_period(value.year, value.month)
    if isinstance(value, int | float):
        if 1900 <= value <= 2200 and float(value).is_integer():  # a year typed as a number
            year = int(value)
            return Period(dt.date(year, 1, 1), dt.date(year + 1, 1, 1), "quarter", f"{year}")
        from ecore_xl.data.filters import excel_serial_to_datetime

        day = excel_serial_to_datetime(float(value), name=name)
        return _month_period(day.year, day.month)
    text = str(value).strip()
    try:
        if m := _MONTH.match(text):
            return _month_period(int(m[1]), int(m[2]))
        if m := _QUARTER.match(text):
            if m[1]:
                return _quarter_period(int(m[1]), int(m[2]))
            return _quarter_period(_year(m[4]), int(m[3]))
        if m := _YEAR.match(text):
            year = _year(m[1])
            return Period(dt.date(year, 1, 1), dt.date(year + 1, 1, 1), "quarter", f"{year}")
        day = dt.date.fromisoformat(text[:10])
        return _month_period(day.year, day.month)
    except ValueError:
        pass
    raise InvalidFilterError(
        f"{name} {text!r} is not a period: write a month like 2026-10, a quarter like 2026-Q4, "
        "a year like 2026, or a date in the month.",
        parameter=name,
    )


def rename_keys(options: Mapping[str, Any], aliases: Mapping[str, str]) -> dict[str, Any]:
    """Options with Excel argument names (``legal_entity``) mapped to filter names."""
    folded = {k.lower().replace("_", ""): v for k, v in aliases.items()}
    out: dict[str, Any] = {}
    for key, value in options.items():
        out[folded.get(key.lower().replace("_", ""), key)] = value
    return out
