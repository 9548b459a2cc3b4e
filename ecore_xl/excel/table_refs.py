"""References that follow a resized table.

Defined names, chart series, conditional formats and data validations that cover table columns
down to the last row are stretched to the new last row; formula references to table columns that
moved follow them. Shared by the openpyxl and the xlwings writer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ecore_xl.excel.openpyxl_cells import a1_range, column_letter

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["Area", "ref_fixer", "remap_columns", "retarget_workbook"]

_AREA = re.compile(
    r"^(?P<c1d>\$?)(?P<c1>[A-Za-z]{1,3})(?P<r1d>\$?)(?P<r1>\d+)"
    r"(?::(?P<c2d>\$?)(?P<c2>[A-Za-z]{1,3})(?P<r2d>\$?)(?P<r2>\d+))?$"
)


def retarget_workbook(
    ws: Worksheet,
    *,
    old_rows: tuple[int, int],
    owned_cols: tuple[int, int],
    col_map: dict[int, int],
    new_last: int,
) -> None:
    """Stretch names, chart series, conditional formats and validations that follow the table.

    A reference stretches when it covers table columns from the header or first data row down to
    the last data row. A single cell stretches only where it stands for a column of a one-row
    table: in a chart's data series (Excel writes ``'Volumes'!$B$2`` for a one-row series), a
    conditional format or a validation; never in a defined name or a series title, where one
    cell is meant as one cell.
    """
    wb = ws.parent

    def area(c1: int, r1: int, c2: int, r2: int, *, cell_is_column: bool = True) -> Area | None:
        if not (owned_cols[0] <= c1 <= c2 <= owned_cols[1]):
            return None
        if not (old_rows[0] <= r1 <= r2 <= old_rows[1]):
            return None
        if c1 not in col_map or c2 not in col_map:
            return None
        n1, n2 = col_map[c1], col_map[c2]
        if n2 - n1 != c2 - c1:
            return None  # the columns in between were reordered: leave the reference alone
        one_cell = (c1, r1) == (c2, r2)
        if one_cell and not (cell_is_column and r1 == old_rows[0] + 1):
            return n1, r1, n2, r2  # one cell meant as one cell (or the header): it only moves
        if r2 == old_rows[1] and r1 <= old_rows[0] + 1:
            r2 = new_last
        return n1, r1, n2, r2

    def cell_area(c1: int, r1: int, c2: int, r2: int) -> Area | None:
        return area(c1, r1, c2, r2, cell_is_column=False)

    fix = ref_fixer(ws.title, cell_area)
    for name in wb.defined_names.values():
        if name.attr_text:
            name.attr_text = fix(name.attr_text)
    for sheet in wb.worksheets:
        for name in sheet.defined_names.values():
            if name.attr_text:
                name.attr_text = fix(name.attr_text)
    fix_data = ref_fixer(ws.title, area)
    for holder in [*wb.worksheets, *wb.chartsheets]:
        for chart in getattr(holder, "_charts", []):
            _retarget_chart(chart, title=fix, data=fix_data)
    _retarget_ranges(ws, area)


Area = tuple[int, int, int, int]  # min_col, min_row, max_col, max_row


def _rewrite_refs(formula: str, fn: Callable[[str | None, Area], Area | None]) -> str:
    """Rewrite the A1 cell/area references of a formula (with or without ``=``).

    ``fn(sheet, area)`` gets the unquoted sheet name (None when unqualified) and returns the new
    area or None to leave it. Anything openpyxl's tokenizer cannot parse is returned unchanged.
    """
    from openpyxl.formula.tokenizer import Token, Tokenizer
    from openpyxl.utils import column_index_from_string

    def operand(text: str) -> str:
        sheet_part, bang, cells = text.rpartition("!")
        sheet: str | None = None
        if bang:
            sheet = sheet_part
            if sheet.startswith("'") and sheet.endswith("'"):
                sheet = sheet[1:-1].replace("''", "'")
        m = _AREA.match(cells)
        if not m:
            return text
        c1 = column_index_from_string(m["c1"].upper())
        r1 = int(m["r1"])
        c2 = column_index_from_string(m["c2"].upper()) if m["c2"] else c1
        r2 = int(m["r2"]) if m["r2"] else r1
        new = fn(sheet, (c1, r1, c2, r2))
        if new is None:
            return text
        first = f"{m['c1d']}{column_letter(new[0])}{m['r1d']}{new[1]}"
        prefix = f"{sheet_part}!" if bang else ""
        if not m["c2"] and new[:2] == new[2:]:
            return prefix + first
        c2d, r2d = (m["c2d"], m["r2d"]) if m["c2"] else (m["c1d"], m["r1d"])  # a cell grew
        return f"{prefix}{first}:{c2d}{column_letter(new[2])}{r2d}{new[3]}"

    bare = not formula.startswith("=")
    try:
        tokens = Tokenizer("=" + formula if bare else formula).items
    except Exception:  # not a formula openpyxl can parse: leave it alone
        return formula
    text = "".join(
        operand(t.value) if t.type == Token.OPERAND and t.subtype == Token.RANGE else t.value
        for t in tokens
    )
    return text if bare else "=" + text


def remap_columns(formula: str, sheet: str, col_map: dict[int, int], owned: tuple[int, int]) -> str:
    """References on ``sheet`` (or unqualified) to moved table columns follow them."""

    def fn(name: str | None, area: Area) -> Area | None:
        if name is not None and name.casefold() != sheet.casefold():
            return None
        c1, r1, c2, r2 = area
        if not (owned[0] <= c1 <= owned[1] and owned[0] <= c2 <= owned[1]):
            return None
        return col_map.get(c1, c1), r1, col_map.get(c2, c2), r2

    return _rewrite_refs(formula, fn)


def ref_fixer(sheet: str, area: Callable[..., Area | None]) -> Callable[[str], str]:
    """A function rewriting the qualified references to ``sheet`` inside a formula."""

    def fn(name: str | None, box: Area) -> Area | None:
        if name is None or name.casefold() != sheet.casefold():
            return None
        return area(*box)

    return lambda formula: _rewrite_refs(formula, fn)


def _retarget_chart(chart: Any, *, title: Callable[[str], str], data: Callable[[str], str]) -> None:
    """Rewrite a chart's series references: ``title`` for series names, ``data`` for the rest.

    Each series once: openpyxl lists a chart among its own ``_charts``, and a second pass would
    move a reference whose column moved a second time.
    """
    charts = [chart, *getattr(chart, "_charts", [])]
    seen: set[int] = set()
    for c in charts:
        for series in getattr(c, "series", None) or []:
            if id(series) in seen:
                continue
            seen.add(id(series))
            for attr in ("tx", "cat", "val", "xVal", "yVal", "bubbleSize"):
                source = getattr(series, attr, None)
                if source is None:
                    continue
                fix = title if attr == "tx" else data
                for kind in ("numRef", "strRef", "multiLvlStrRef"):
                    ref = getattr(source, kind, None)
                    if ref is not None and ref.f:
                        new = fix(ref.f)
                        if new != ref.f:
                            ref.f = new
                            for cache in ("numCache", "strCache", "multiLvlStrCache"):
                                if hasattr(ref, cache):
                                    setattr(ref, cache, None)


def _retarget_ranges(
    ws: Worksheet, area: Callable[[int, int, int, int], tuple[int, int, int, int] | None]
) -> None:
    """Conditional formats and data validations of the table's sheet follow its rows."""
    from openpyxl.formatting.formatting import ConditionalFormattingList
    from openpyxl.worksheet.cell_range import MultiCellRange

    def remap(sqref: Any) -> str:
        parts = []
        for rng in MultiCellRange(str(sqref)).ranges:
            new = area(rng.min_col, rng.min_row, rng.max_col, rng.max_row)
            parts.append(a1_range(new) if new else rng.coord)
        return " ".join(parts)

    old = ws.conditional_formatting
    if old:
        fresh = ConditionalFormattingList()
        for cf in old:
            target = remap(cf.sqref)
            for rule in cf.rules:
                fresh.add(target, rule)
        ws.conditional_formatting = fresh
    for dv in ws.data_validations.dataValidation:
        dv.sqref = MultiCellRange(remap(dv.sqref))
