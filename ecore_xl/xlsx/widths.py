"""Column widths that fit what the cells show: no ``###`` for a number or a date, no cut text.

Widths are in Excel's unit (characters of the default font). :func:`display_width` is how many
characters a value takes under a number format (``#,##0.000`` shows 1234.5 as ``1,234.500``,
``0.0%`` shows 0.25 as ``25.0%``); :func:`needed_width` is what a column needs for its header
and its first 200 values; :func:`fit_columns` widens the columns of an openpyxl sheet to their
cells: numbers and dates always, a text only where the cell to its right is filled (else the text
runs on into the empty cell and nothing is cut). Widths only ever grow: a user's wider column
stays as it is.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from typing import Any

__all__ = [
    "DEFAULT_WIDTH",
    "MAX_WIDTH",
    "SAMPLE_ROWS",
    "display_width",
    "fit_columns",
    "needed_width",
    "widen",
]

#: Excel's width of a column nobody sized
DEFAULT_WIDTH = 8.43
#: Excel's widest column
MAX_WIDTH = 255.0
#: how many values of a column decide its width
SAMPLE_ROWS = 200
#: bold text is wider than the default font's characters the width unit counts
BOLD_FACTOR = 1.15
#: room for a table header's filter button
FILTER_BUTTON = 2

_QUOTED = re.compile(r'"([^"]*)"')
_DATE_TOKENS = (("mmmm", "September"), ("dddd", "Wednesday"), ("mmm", "Sep"), ("ddd", "Wed"))


def _number_text(value: float, fmt: str) -> str:
    """``value`` roughly as Excel shows it under ``fmt`` (one section; literals kept)."""
    section = fmt.split(";")[0]
    literals = "".join(_QUOTED.findall(section))
    core = _QUOTED.sub("", section).replace("\\", "")
    if core.strip().lower() in ("general", ""):
        text = repr(value) if isinstance(value, float) else str(value)
        return (text[:11] if len(text) > 11 else text) + literals
    if "%" in core:
        value = value * 100
    decimals = len(core.split(".", 1)[1].rstrip("%) _-").replace("#", "0")) if "." in core else 0
    body = f"{value:,.{decimals}f}" if "," in core else f"{value:.{decimals}f}"
    extra = "".join(ch for ch in core if ch in "%€$£ ")
    return body + extra + literals


def _date_text(fmt: str) -> str:
    text = _QUOTED.sub(lambda m: m.group(1), fmt.split(";")[0]).replace("\\", "")
    for token, sample in _DATE_TOKENS:
        text = re.sub(token, sample, text, flags=re.I)
    return re.sub(r"\[[^\]]*\]", "", text).replace("AM/PM", "AM")


def display_width(value: Any, fmt: str | None = None) -> int:
    """Characters ``value`` takes in a cell formatted ``fmt`` (None: General)."""
    fmt = fmt or "General"
    if value is None:
        return 0
    if isinstance(value, str):
        return max((len(line) for line in value.splitlines()), default=0)
    if isinstance(value, bool):
        return 5
    if isinstance(value, dt.date | dt.time | dt.timedelta):
        from openpyxl.styles.numbers import is_date_format

        return len(_date_text(fmt if is_date_format(fmt) else "yyyy-mm-dd hh:mm:ss"))
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return 0
        return len(_number_text(value, fmt))
    return len(str(value))


def needed_width(header: str | None, values: Iterable[Any], fmt: str | None) -> float:
    """The width a table column needs: its header (bold, as table styles show it) with the filter
    button, and its values."""
    widest = max((display_width(v, fmt) for v in values), default=0)
    head = math.ceil(len(header or "") * BOLD_FACTOR) + FILTER_BUTTON
    return float(min(max(head, widest + 1), MAX_WIDTH))


def widen(ws: Any, col: int, width: float) -> None:
    """Make column ``col`` of ``ws`` at least ``width`` wide (never narrower)."""
    from openpyxl.utils import get_column_letter

    dim = ws.column_dimensions[get_column_letter(col)]
    current = dim.width if dim.customWidth and dim.width else DEFAULT_WIDTH
    if width > current:
        dim.width = min(width, MAX_WIDTH)


def fit_columns(
    ws: Any, *, rows: int = SAMPLE_ROWS, box: tuple[int, int, int, int] | None = None
) -> None:
    """Widen the columns of ``ws`` to its cells in the first ``rows`` rows (see the module doc);
    ``box`` (left, top, right, bottom) limits the cells to one range.

    Cells in merged ranges are skipped (their width is the range's). Bold text counts wider, and
    a table's header cell has room for its filter button."""
    from openpyxl.utils.cell import range_boundaries

    merged = {
        (r, c)
        for rng in ws.merged_cells.ranges
        for r in range(rng.min_row, rng.max_row + 1)
        for c in range(rng.min_col, rng.max_col + 1)
    }
    headers = set()
    for table in ws.tables.values():
        c1, r1, c2, _ = range_boundaries(table.ref)
        headers.update((r1, c) for c in range(c1, c2 + 1))
    needs: dict[int, float] = {}
    cells: Iterable[tuple[tuple[int, int], Any]] = ws._cells.items()
    if box is not None:  # only the box's cells, not the whole sheet's
        left, top, right, bottom = box
        found = ((ws._cells.get((r, c)), r, c) for r in range(top, min(bottom, rows) + 1)
                 for c in range(left, right + 1))  # fmt: skip
        cells = [((r, c), cell) for cell, r, c in found if cell is not None]
    for (r, c), cell in cells:
        value = cell.value
        if r > rows or value is None or (r, c) in merged or cell.data_type == "f":
            continue
        header = (r, c) in headers
        if isinstance(value, str) and not header:
            right = ws._cells.get((r, c + 1))
            if right is None or right.value in (None, ""):
                continue  # the text runs on into the empty cell
        shown = display_width(value, cell.number_format)
        bold = header or bool(cell.font is not None and cell.font.b)
        need = math.ceil(shown * BOLD_FACTOR) if bold and isinstance(value, str) else shown
        need += (FILTER_BUTTON if header else 0) + 1
        if need > needs.get(c, 0):
            needs[c] = need
    for c, need in needs.items():
        widen(ws, c, float(need))
