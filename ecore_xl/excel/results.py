"""A DataFrame (or one number) as the 2-D list an Excel formula spills.

What Excel gets, cell by cell (xlwings hands these to pywin32 unchanged apart from its own
``None``/NaN → empty and date → COM date steps):

- the header row (column names), then one row per record;
- dates and timestamps as **naive** ``datetime`` in local time (``settings.timezone``): xlwings
  drops any tzinfo *without* converting (``_datetime_to_com_time``), so an aware UTC value would
  show the UTC wall-clock time; a ``date`` becomes midnight of that day. One exception, as on the
  refreshed sheets: a timestamp column ``x`` that has a local sibling ``xLocal`` (the data layer
  adds one to every API timestamp) keeps the UTC instant, naive; ``xLocal`` is the local time.
  Both are needed: the autumn DST hour occurs twice in local time;
- numbers as ``float`` (Excel has only doubles), booleans as ``bool``;
- missing values (None, NaN, NaT, NA) as ``None``, which xlwings writes as an empty cell;
- lists as ``"a, b"`` and objects as compact JSON text; text longer than a cell holds is cut;
- what a cell cannot hold exactly as text: an integer beyond 2**53 (a 23-digit id) as its
  digits, a date before 1900-03-01 as ISO text (Excel's dates start in 1900).

No rows is one cell of text (``No contracts for these arguments.``), not an error.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ecore_xl.errors import TooManyRowsError
from ecore_xl.excel_limits import FIRST_EXACT_DATE, MAX_CELL_CHARS, MAX_EXACT_INTEGER
from ecore_xl.formulas.calls import no_rows_text, number_or_none

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ERROR_PREFIX",
    "EXCEL_MAX_COLUMNS",
    "EXCEL_MAX_ROWS",
    "MAX_CELL_TEXT",
    "cell_value",
    "error_text",
    "frame_to_rows",
    "no_rows_text",
    "number_or_none",
]

ERROR_PREFIX = "#ECORE! "
#: the data layer gives a timestamp column ``x`` (UTC) a local wall-clock sibling ``xLocal``
_LOCAL_SUFFIX = "Local"
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
MAX_CELL_TEXT = MAX_CELL_CHARS
_MAX_ERROR_TEXT = 250


def error_text(message: str) -> str:
    """The one-cell answer for an error: ``#ECORE! <message>`` on one line, cell-short."""
    line = " ".join(str(message).split())
    if len(line) > _MAX_ERROR_TEXT:
        line = line[: _MAX_ERROR_TEXT - 1] + "…"
    return ERROR_PREFIX + line


def _local_naive(value: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    if value.tzinfo is not None:
        try:
            value = value.astimezone(zone).replace(tzinfo=None)
        except OverflowError:  # 9999-12-31T23:59:59Z east of UTC: the UTC time, naive
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
    # a pandas Timestamp is a datetime subclass: hand over the plain type
    return dt.datetime(
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond,
    )


def cell_value(value: Any, zone: ZoneInfo) -> Any:
    """One value as Excel should receive it (see the module docstring)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value if len(value) <= MAX_CELL_TEXT else value[: MAX_CELL_TEXT - 1] + "…"
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, int):
        # Excel holds a number as a float: beyond 2**53 (a 23-digit id) only the text is exact
        return float(value) if abs(value) <= MAX_EXACT_INTEGER else str(value)
    if isinstance(value, dt.datetime):
        if value != value:  # NaT is a datetime that is not equal to itself
            return None
        local = _local_naive(value, zone)
        return local if local >= FIRST_EXACT_DATE else local.isoformat(sep=" ")
    if isinstance(value, dt.date):
        if value < FIRST_EXACT_DATE.date():  # Excel's dates start in 1900 (and miscount it)
            return value.isoformat()
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, list | tuple | set | frozenset):
        return cell_value(", ".join(str(v) for v in value if v is not None), zone)
    if isinstance(value, dict):
        return cell_value(json.dumps(value, ensure_ascii=False, default=str), zone)
    kind = type(value).__name__
    if kind in ("NAType", "NaTType"):
        return None
    if hasattr(value, "item") and hasattr(value, "dtype"):  # a numpy scalar
        return cell_value(value.item(), zone)
    return cell_value(str(value), zone)


def _column(series: pd.Series, zone: ZoneInfo, *, utc: bool = False) -> list[Any]:
    """One column as Excel values; vectorised for the big dtypes, cell by cell for the rest."""
    import numpy as np
    import pandas as pd

    dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        try:
            series = series.dt.tz_convert("UTC" if utc else zone).dt.tz_localize(None)
        except (OverflowError, pd.errors.OutOfBoundsDatetime):  # past the year 9999 locally
            return [cell_value(v, zone) for v in series.tolist()]
        dtype = series.dtype
    if pd.api.types.is_datetime64_dtype(dtype):
        # microseconds: numpy turns each into a datetime.datetime, and NaT into None
        arr = series.to_numpy(dtype="datetime64[us]")
        values = arr.astype(object).tolist()
        if (arr < np.datetime64(FIRST_EXACT_DATE)).any():  # before 1900-03-01: as ISO text
            values = [cell_value(v, zone) for v in values]
        return values  # type: ignore[no-any-return]
    if pd.api.types.is_bool_dtype(dtype) and not series.hasnans:
        return [bool(v) for v in series.tolist()]
    if pd.api.types.is_integer_dtype(dtype) and not series.hasnans:
        ints = series.to_numpy(dtype="int64")
        if len(ints) and not -MAX_EXACT_INTEGER <= ints.min() <= ints.max() <= MAX_EXACT_INTEGER:
            return [cell_value(v, zone) for v in ints.tolist()]
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        values = series.to_numpy(dtype=float, na_value=np.nan).tolist()
        return [None if v != v or v in (math.inf, -math.inf) else v for v in values]
    values = series.tolist()
    for i, v in enumerate(values):  # mostly text: check the type, convert only the rest
        if type(v) is not str or len(v) > MAX_CELL_TEXT:
            values[i] = cell_value(v, zone)
    return values


def frame_to_rows(
    df: pd.DataFrame,
    *,
    tz: str,
    header: bool = True,
    columns: Sequence[str] | None = None,
    what: str = "rows",
) -> list[list[Any]]:
    """``df`` as header + rows for Excel; one text cell when it has no rows.

    ``columns`` picks and orders columns (case-insensitive); an unknown one is a UsageError that
    lists the known ones. More rows than a sheet holds is a TooManyRowsError.
    """
    from ecore_xl.formulas.calls import pick_columns

    zone = ZoneInfo(tz)
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
    names = {str(c) for c in df.columns}
    cols = [_column(s, zone, utc=f"{c}{_LOCAL_SUFFIX}" in names) for c, s in df.items()]
    rows = list(map(list, zip(*cols, strict=True)))
    if header:
        rows.insert(0, [cell_value(_header(c), zone) for c in df.columns])
    return rows


def _header(column: Any) -> str:
    if isinstance(column, tuple):  # MultiIndex columns (wide layouts): "M-1 | value"
        return " | ".join(str(part) for part in column if str(part))
    if isinstance(column, dt.datetime | dt.date):
        return column.isoformat()
    return str(column)
