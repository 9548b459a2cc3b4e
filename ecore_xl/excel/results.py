"""A DataFrame as the 2-D list an Excel formula spills (xlwings), and a cell's error text.

The cell values are the product's one converter's (:func:`ecore_xl.excel.cell_values.excel_columns`,
which the sheet writers and the Office.js answers use too), so a formula shows what a refreshed
table and ``=ECORE.…`` show: an instant column ``x`` as its naive UTC time beside its local
sibling ``xLocal`` (the data layer adds one to every API timestamp: the autumn DST hour occurs
twice in local time), dates as dates, missing values (None, NaN, NaT, NA) as ``None``, which
xlwings writes as an empty cell, lists as ``"a, b"``, objects as compact JSON text, and a text
longer than a cell holds refused with a message (never cut). Only the hand-over is xlwings':
numbers as ``float`` (Excel has only doubles), a date as midnight ``datetime`` and a duration
as its fraction of a day (pywin32 passes neither on), in the header row then one row per
record.

No rows is one cell of text (``No contracts for these arguments.``), not an error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ecore_xl.errors import TooManyRowsError
from ecore_xl.excel_limits import EXCEL_MAX_COLUMNS, EXCEL_MAX_ROWS
from ecore_xl.formulas.calls import no_rows_text, number_or_none

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ERROR_PREFIX", "error_text", "frame_to_rows", "no_rows_text", "number_or_none"]

ERROR_PREFIX = "#ECORE! "
_MAX_ERROR_TEXT = 250
_DAY = dt.timedelta(days=1)


def error_text(message: str) -> str:
    """The one-cell answer for an error: ``#ECORE! <message>`` on one line, cell-short."""
    line = " ".join(str(message).split())
    if len(line) > _MAX_ERROR_TEXT:
        line = line[: _MAX_ERROR_TEXT - 1] + "…"
    return ERROR_PREFIX + line


def _handed_over(values: list[Any]) -> list[Any]:
    """One converted column as xlwings hands it to Excel (see the module docstring)."""
    if not set(map(type, values)) & _CHANGED:  # floats, texts, date-times, booleans: as they are
        return values
    return [_HAND_OVER[type(v)](v) if type(v) in _HAND_OVER else v for v in values]


_HAND_OVER: dict[type, Any] = {
    int: float,
    dt.date: lambda v: dt.datetime(v.year, v.month, v.day),
    dt.timedelta: lambda v: v / _DAY,
}
_CHANGED = frozenset(_HAND_OVER)


def frame_to_rows(
    df: pd.DataFrame,
    *,
    header: bool = True,
    columns: Sequence[str] | None = None,
    what: str = "rows",
) -> list[list[Any]]:
    """``df`` as header + rows for Excel; one text cell when it has no rows.

    ``columns`` picks and orders columns (case-insensitive); an unknown one is a UsageError that
    lists the known ones. More rows or columns than a sheet holds is a TooManyRowsError.
    """
    from ecore_xl.excel.cell_values import excel_columns
    from ecore_xl.formulas.calls import pick_columns

    df = pick_columns(df, columns)
    if len(df) == 0:
        return [[no_rows_text(what)]]
    limit = EXCEL_MAX_ROWS - (1 if header else 0)
    if len(df) > limit:
        raise TooManyRowsError(
            f"{len(df):,} rows do not fit on a sheet ({limit:,} at most): "
            "ask for a shorter period or a coarser granularity."
        )
    if len(df.columns) > EXCEL_MAX_COLUMNS:
        raise TooManyRowsError(
            f"{len(df.columns):,} columns do not fit on a sheet: use layout=long or fewer ids."
        )
    converted = excel_columns(df)
    rows = list(map(list, zip(*(_handed_over(c.values) for c in converted), strict=True)))
    if header:
        rows.insert(0, [c.name for c in converted])
    return rows
