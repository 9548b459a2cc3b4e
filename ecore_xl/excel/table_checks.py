"""The checks both writers make before writing a table: its name, its sheet and Excel's size."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ecore_xl.errors import TooManyRowsError, UsageError
from ecore_xl.excel_limits import EXCEL_MAX_COLUMNS, EXCEL_MAX_ROWS

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "EXCEL_MAX_COLS",
    "EXCEL_MAX_ROWS",
    "check_table_fits",
    "check_table_name",
    "check_table_target",
]

EXCEL_MAX_COLS = EXCEL_MAX_COLUMNS

_TABLE_NAME = re.compile(r"^[A-Za-z_\\][A-Za-z0-9_.\\]*$")
_LOOKS_LIKE_CELL = re.compile(r"^([A-Za-z]{1,3}\d+|[Rr]\d*[Cc]?\d*|[Cc]\d*)$")


def check_table_name(name: str) -> str:
    """Return ``name`` if Excel accepts it as a table name, else raise UsageError."""
    if (
        not isinstance(name, str)
        or not _TABLE_NAME.match(name)
        or _LOOKS_LIKE_CELL.match(name)
        or len(name) > 255
    ):
        raise UsageError(
            f"{name!r} cannot be an Excel table name: start with a letter, use letters, digits, "
            "'_' or '.', and do not use a cell address like 'A1'."
        )
    return name


def check_table_target(table_name: str, df: pd.DataFrame, sheet: str, found_on: str | None) -> None:
    """The checks both writers make first: a valid table name, some columns, and the table (if
    it exists, ``found_on``) on the sheet being written."""
    check_table_name(table_name)
    if found_on is not None and found_on != sheet:
        raise UsageError(
            f"Table {table_name} is on sheet {found_on!r}, not {sheet!r}: write to that sheet, "
            "or rename one of the tables."
        )
    if df.shape[1] == 0:
        raise UsageError(f"Nothing to write to {table_name}: the data has no columns.")


def check_table_fits(
    table_name: str, *, nrows: int, header_row: int, totals: int, ncols: int, right: int
) -> None:
    """Refuse a table of ``nrows`` data rows under ``header_row`` (plus a totals row) or ending,
    with the formula columns beside it, at column ``right``, past Excel's last row or column."""
    if header_row + max(nrows, 1) + totals > EXCEL_MAX_ROWS:
        raise TooManyRowsError(
            f"{table_name}: {nrows:,} rows do not fit on one Excel sheet (at most "
            f"{EXCEL_MAX_ROWS - header_row - totals:,} below row {header_row}). "
            "Narrow the date range or the meters, use a coarser granularity or the wide layout, "
            "or use 'ecore-xl fetch --out data.csv'."
        )
    if right > EXCEL_MAX_COLS:
        raise TooManyRowsError(
            f"{table_name}: {ncols:,} columns do not fit on one Excel sheet "
            f"(at most {EXCEL_MAX_COLS:,}). Use the long layout or fewer meters."
        )
