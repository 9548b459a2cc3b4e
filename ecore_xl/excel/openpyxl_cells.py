"""Read an openpyxl sheet's cells without creating them; A1 names of columns and areas."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["a1_range", "cell_value", "column_letter", "column_width", "style_at"]


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
