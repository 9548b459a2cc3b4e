"""What a written table column shows and how wide it is: the read-back of the width tests.

``SHOWN`` writes out how each number format of the product shows a value (independently of
``ecore_xl.xlsx.widths``, so the two must agree); :func:`table_columns` gives each table
column's width as Excel takes it and its first cells.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries

from ecore_xl.xlsx.widths import DEFAULT_WIDTH

__all__ = ["SHOWN", "shown_text", "table_columns"]

SHOWN = {
    "General": lambda v: str(v)[:11],
    "#,##0.000": lambda v: f"{v:,.3f}",
    "#,##0.0": lambda v: f"{v:,.1f}",
    "0": lambda v: f"{v:.0f}",
    "#,##0.00": lambda v: f"{v:,.2f}",
    '#,##0.00 "€"': lambda v: f"{v:,.2f} €",
    '#,##0 "€"': lambda v: f"{v:,.0f} €",
    "#,##0": lambda v: f"{v:,.0f}",
    "0.0%": lambda v: f"{v * 100:.1f}%",
    "0.00%": lambda v: f"{v * 100:.2f}%",
    "yyyy-mm-dd": lambda v: "2026-01-31",
    "yyyy-mm-dd hh:mm": lambda v: "2026-01-31 23:45",
    "yyyy-mm-dd hh:mm:ss": lambda v: "2026-01-31 23:45:00",
    "mmm yyyy": lambda v: "Sep 2026",
    "@": str,
}


def shown_text(value: Any, number_format: str) -> str:
    """``value`` as a cell of ``number_format`` shows it (text as it is, nothing as "")."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return str(SHOWN[number_format](value))


def table_columns(ws: Any, rows: int = 200) -> Iterator[tuple[Any, str, float, list[Any]]]:
    """(table, column letter, width, its header and first ``rows`` cells) of every table
    column of ``ws``; a width never set is Excel's default."""
    for table in ws.tables.values():
        c1, r1, c2, r2 = range_boundaries(table.ref)
        for c in range(c1, c2 + 1):
            letter = get_column_letter(c)
            dim = ws.column_dimensions[letter]
            width = dim.width if dim.customWidth and dim.width else DEFAULT_WIDTH
            yield table, letter, width, [ws.cell(r, c) for r in range(r1, min(r2, r1 + rows) + 1)]
