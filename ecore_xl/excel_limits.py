"""What an Excel sheet and cell hold: the one place for these facts (no imports, any layer).

A sheet has 1,048,576 rows and 16,384 columns (the refresh, the formulas, ``fetch --out
.xlsx`` and the report refuse a result that does not fit, with advice, never cutting it).
Excel keeps every number as a float (exact for integers up to 2**53), counts dates as serials
from 1900 (serial 60 is a 29 February 1900 that never was, so serials are right from
1900-03-01 on), and holds at most 32,767 characters in a cell. A value beyond these is kept
as text by the writers, with a warning.
"""

from __future__ import annotations

import datetime as dt

__all__ = [
    "EXCEL_MAX_COLUMNS",
    "EXCEL_MAX_ROWS",
    "FIRST_EXACT_DATE",
    "FIRST_EXACT_DAY",
    "MAX_CELL_CHARS",
    "MAX_EXACT_INTEGER",
]

#: rows on one sheet, a table's header row included
EXCEL_MAX_ROWS = 1_048_576
#: columns on one sheet (A to XFD)
EXCEL_MAX_COLUMNS = 16_384

MAX_EXACT_INTEGER = 2**53
FIRST_EXACT_DAY = dt.date(1900, 3, 1)
FIRST_EXACT_DATE = dt.datetime(1900, 3, 1)
MAX_CELL_CHARS = 32_767
