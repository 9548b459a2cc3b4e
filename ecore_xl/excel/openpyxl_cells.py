"""Read an openpyxl sheet's cells without creating them; A1 names of columns and areas."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["a1_range", "cell_value", "column_letter", "column_width", "keep_text", "style_at"]


def column_letter(col: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(col)


def a1_range(box: tuple[int, int, int, int]) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(box[0])}{box[1]}:{get_column_letter(box[2])}{box[3]}"


def cell_value(ws: Worksheet, row: int, col: int) -> Any:
    cell = ws._cells.get((row, col))
    return None if cell is None else cell.value


def style_at(ws: Worksheet, row: int, col: int) -> Any:
    cell = ws._cells.get((row, col))
    return None if cell is None else copy.copy(cell._style)


def column_width(ws: Worksheet, col: int) -> float | None:
    dim = ws.column_dimensions.get(column_letter(col))
    return dim.width if dim is not None and dim.customWidth else None


def keep_text(cell: Any) -> None:
    """Keep a text cell text: stored as a string (never a formula), and marked *quote prefix*
    when :func:`ecore_xl.escaping.formula_like` says a spreadsheet program could read it as one,
    so Excel keeps it text when a user edits it."""
    from ecore_xl.escaping import formula_like

    if isinstance(cell.value, str):
        cell.data_type = "s"
        if formula_like(cell.value):
            cell.quotePrefix = True
