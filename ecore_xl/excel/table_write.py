"""Write a checked :class:`~ecore_xl.excel.table_plan.TablePlan` with openpyxl: a new table, or an
existing one resized in place, keeping the user's formats, formula columns and totals row.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from ecore_xl.excel.cell_values import DATE_FORMAT, DATETIME_FORMAT
from ecore_xl.excel.openpyxl_cells import (
    cell_value,
    column_letter,
    column_width,
    keep_text,
    style_at,
)
from ecore_xl.excel.table_refs import remap_columns, retarget_workbook
from ecore_xl.xlsx.streams import streams_of
from ecore_xl.xlsx.widths import MAX_WIDTH, SAMPLE_ROWS, needed_width, widen

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

    from ecore_xl.excel.cell_values import ColumnData
    from ecore_xl.excel.table_plan import FormulaColumn, TablePlan

__all__ = ["create_table", "update_table"]

NOTE_COLOR = "FF595959"


def create_table(plan: TablePlan) -> None:
    from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

    ws = plan.ws
    _write_note(plan, plan.header_row - len(plan.note) - 1)
    for j, column in enumerate(plan.columns):
        col = plan.first_col + j
        _write_header(ws, plan.header_row, col, column.name, None)
        _write_values(ws, plan.header_row + 1, col, column, _default_style(ws, column))
        ws.column_dimensions[column_letter(col)].width = _auto_width(column)
    table = Table(
        displayName=plan.table_name,
        ref=plan.ref,
        tableStyleInfo=TableStyleInfo(name=plan.style, showRowStripes=True),
    )
    table.tableColumns = [TableColumn(id=j + 1, name=c.name) for j, c in enumerate(plan.columns)]
    from openpyxl.worksheet.filters import AutoFilter

    table.autoFilter = AutoFilter(ref=plan.ref)
    ws.add_table(table)


def update_table(plan: TablePlan) -> None:
    from openpyxl.formula.translate import Translator
    from openpyxl.utils.cell import range_boundaries
    from openpyxl.worksheet.table import TableColumn

    ws, table = plan.ws, plan.existing
    min_col, min_row, max_col, max_row = range_boundaries(table.ref)
    totals = plan.totals
    first_data, old_last = min_row + 1, max_row - totals
    old_cols = list(table.tableColumns)
    old_pos = {c.name.casefold(): min_col + i for i, c in enumerate(old_cols)}
    old_by_name = {c.name.casefold(): c for c in old_cols}
    has_rows = first_data <= old_last

    # capture the user's look per column name before clearing
    header_styles = {k: style_at(ws, min_row, c) for k, c in old_pos.items()}
    body_styles = {k: style_at(ws, first_data, c) if has_rows else None for k, c in old_pos.items()}
    widths = {k: column_width(ws, c) for k, c in old_pos.items()}
    totals_cells = (
        {k: (cell_value(ws, max_row, c), style_at(ws, max_row, c)) for k, c in old_pos.items()}
        if totals
        else {}
    )
    fallback_header = style_at(ws, min_row, min_col)

    # where every old column goes: data and kept columns by name, adjacent ones with the edge
    nrows = plan.body_rows
    new_names = [c.name for c in plan.columns] + [k.name for k in plan.kept]
    col_map: dict[int, int] = {}
    for j, name in enumerate(new_names):
        if name.casefold() in old_pos:
            col_map[old_pos[name.casefold()]] = plan.first_col + j
    for k in range(len(plan.adjacent)):
        col_map[max_col + 1 + k] = plan.last_col + 1 + k
    owned_cols = (min_col, max_col + len(plan.adjacent))
    moved = any(old != new for old, new in col_map.items())

    def follow(formula: str, origin: str, row: int) -> str:
        """The template formula for ``row``: rows shift, columns follow their data."""
        letters = origin.rstrip("0123456789")
        text = Translator(formula, origin=origin).translate_formula(f"{letters}{row}")
        return remap_columns(text, ws.title, col_map, owned_cols) if moved else text

    # clear the old table and its adjacent formula columns
    for key in [
        k for k in ws._cells if min_row <= k[0] <= max_row and min_col <= k[1] <= owned_cols[1]
    ]:
        del ws._cells[key]
    streams = streams_of(ws.parent)
    if streams is not None:
        streams.clear(ws, (min_col, min_row, owned_cols[1], max_row))

    for j, column in enumerate(plan.columns):
        col = plan.first_col + j
        key = column.name.casefold()
        _write_header(ws, min_row, col, column.name, header_styles.get(key) or fallback_header)
        style = body_styles.get(key)
        if style is None:
            style = _default_style(ws, column)
        elif column.number_format and _is_general(ws, style):
            style = _with_format(ws, style, column.number_format)
        _write_values(ws, first_data, col, column, style)
        if key in widths and widths[key] is not None and old_pos[key] != col:
            ws.column_dimensions[column_letter(col)].width = widths[key]
        fmt = _format_of(ws, style) or column.number_format
        widen(ws, col, needed_width(column.name, column.head(SAMPLE_ROWS), fmt))

    def write_formulas(fc: FormulaColumn, old_col: int, col: int) -> None:
        for offset in range(nrows):
            r = first_data + offset
            if offset < len(fc.cells):
                value, style = fc.cells[offset]
                if moved and isinstance(value, str) and value.startswith("="):
                    value = follow(value, f"{column_letter(old_col)}{r}", r)
            else:
                value = follow(fc.template, fc.origin, r)
                style = fc.cells[-1][1] if fc.cells else None
            cell = ws.cell(row=r, column=col, value=value)
            if style is not None:
                cell._style = copy.copy(style)
        if fc.width is not None and old_col != col:
            ws.column_dimensions[column_letter(col)].width = fc.width

    for k, kept in enumerate(plan.kept):
        col = plan.first_col + len(plan.columns) + k
        _write_header(ws, min_row, col, kept.name, kept.header_style or fallback_header)
        write_formulas(kept, old_pos[kept.name.casefold()], col)
    for k, adj in enumerate(plan.adjacent):
        col = plan.last_col + 1 + k
        head = ws.cell(row=min_row, column=col, value=adj.header)
        if adj.header_style is not None:
            head._style = copy.copy(adj.header_style)
        write_formulas(adj, max_col + 1 + k, col)
    if totals:
        new_total_row = first_data + nrows
        for j, name in enumerate(new_names):
            value, style = totals_cells.get(name.casefold(), (None, None))
            cell = ws.cell(row=new_total_row, column=plan.first_col + j)
            if value is not None:
                cell.value = value
            if style is not None:
                cell._style = style

    # the table itself: keep column objects (ids, totals functions, formats) by name
    next_id = max((c.id for c in old_cols), default=0) + 1
    tcols = []
    for name in new_names:
        old = old_by_name.get(name.casefold())
        if old is None:
            old = TableColumn(id=next_id, name=name)
            next_id += 1
        else:
            old.name = name
        tcols.append(old)
    table.tableColumns = tcols
    table.ref = plan.ref
    table.sortState = None
    if table.autoFilter is not None:
        had_filters = bool(table.autoFilter.filterColumn)
        table.autoFilter.ref = plan.ref
        table.autoFilter.filterColumn = []
        table.autoFilter.sortState = None
        if had_filters:
            for r in range(first_data, max(old_last, first_data + nrows) + 1):
                if r in ws.row_dimensions and ws.row_dimensions[r].hidden:
                    ws.row_dimensions[r].hidden = False

    new_last = first_data + nrows - 1
    retarget_workbook(
        ws,
        old_rows=(min_row, old_last),
        owned_cols=owned_cols,
        col_map=col_map,
        new_last=new_last,
    )
    _write_note(plan, None)


def _write_note(plan: TablePlan, top: int | None) -> None:
    """The note lines above the header; squeezed into fewer rows when there is less room."""
    from openpyxl.styles import Font

    lines = plan.note
    if not lines:
        return
    room = plan.header_row - 1
    if top is None:
        if room <= 0:
            return
        if room < len(lines) + 1:
            head, tail = lines[: room - 1], lines[room - 1 :]
            lines = [*head, " · ".join(tail)]
            top = 1
        else:
            top = plan.header_row - len(lines) - 1
    font = Font(italic=True, color=NOTE_COLOR)
    for i, line in enumerate(lines):
        cell = plan.ws.cell(row=top + i, column=plan.first_col)
        cell.value = line
        cell.data_type = "s"
        cell.font = font


def _write_header(ws: Worksheet, row: int, col: int, name: str, style: Any) -> None:
    cell = ws.cell(row=row, column=col)
    cell.value = name
    if style is not None:
        cell._style = copy.copy(style)
    keep_text(cell)  # a header like "=x" stays text


def _write_values(ws: Worksheet, row: int, col: int, column: ColumnData, style: Any) -> None:
    """One column of values; text that looks like a formula stays text (no injection).

    A workbook switched to streaming (:func:`ecore_xl.xlsx.stream_cells`) gets the column as a
    whole, written at its save; otherwise every value becomes an openpyxl cell.
    """
    streams = streams_of(ws.parent)
    if streams is not None:
        streams.add_column(ws, row, col, column, copy.copy(style) if style is not None else None)
        return
    for offset, value in enumerate(column.values):
        if value is None and style is None:
            continue
        cell = ws.cell(row=row + offset, column=col)
        if value is not None:
            cell.value = value
        if style is not None:
            cell._style = copy.copy(style)
        keep_text(cell)


def _default_style(ws: Worksheet, column: ColumnData) -> Any:
    if column.number_format is None:
        return None
    from openpyxl.styles.cell_style import StyleArray

    return _with_format(ws, StyleArray(), column.number_format)


def _with_format(ws: Worksheet, style: Any, number_format: str) -> Any:
    """A copy of a cell style array with another number format (registered in the workbook)."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS_REVERSE

    style = copy.copy(style)
    wb = ws.parent
    if number_format in BUILTIN_FORMATS_REVERSE:
        style.numFmtId = BUILTIN_FORMATS_REVERSE[number_format]
    else:
        style.numFmtId = wb._number_formats.add(number_format) + 164
    return style


def _is_general(ws: Worksheet, style: Any) -> bool:
    return int(style.numFmtId) == 0


def _auto_width(column: ColumnData) -> float:
    """A new table column's width: its header and first values, as they are shown."""
    sample = column.head(SAMPLE_ROWS)
    need = needed_width(column.name, sample, column.number_format)
    if column.number_format == DATETIME_FORMAT:
        return max(17.0, need)
    if column.number_format == DATE_FORMAT:
        return max(11.5, need)
    texts = [len(str(v)) for v in sample if v is not None]
    widest = max([len(column.name), *texts])
    return float(min(max(widest + 2, 8, need), MAX_WIDTH))


def _format_of(ws: Worksheet, style: Any) -> str | None:
    """The number format of an openpyxl style array (None: General)."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS

    if style is None:
        return None
    fid = int(style.numFmtId)
    return BUILTIN_FORMATS.get(fid) if fid < 164 else ws.parent._number_formats[fid - 164]
