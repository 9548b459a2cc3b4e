"""Excel's sheet limits, in one place for every face and the data layer.

The sizes of a worksheet in Excel 2007 and later (``.xlsx``), which the refresh, the formulas,
``ecore-xl fetch --out .xlsx`` and the report check before writing: a result that does not fit
is refused with advice, never cut.
"""

from __future__ import annotations

__all__ = ["EXCEL_MAX_CELL_CHARS", "EXCEL_MAX_COLUMNS", "EXCEL_MAX_ROWS"]

#: rows on one sheet, a table's header row included
EXCEL_MAX_ROWS = 1_048_576
#: columns on one sheet (A to XFD)
EXCEL_MAX_COLUMNS = 16_384
#: characters one cell holds
EXCEL_MAX_CELL_CHARS = 32_767
