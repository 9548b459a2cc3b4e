"""Plan an openpyxl table write before any cell changes: where the table goes, which of the user's
formula columns (calculated, or adjacent to its right) it keeps, and that nothing is in the way.

:func:`~ecore_xl.excel.sheets.plan_table` builds the :class:`TablePlan`; :meth:`TablePlan.apply`
hands it to :mod:`ecore_xl.excel.table_write`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ecore_xl.errors import UsageError
from ecore_xl.excel.openpyxl_cells import (
    a1_range,
    cell_value,
    column_letter,
    column_width,
    style_at,
)
from ecore_xl.excel.table_checks import EXCEL_MAX_COLS, check_table_fits
from ecore_xl.excel.table_write import create_table, update_table
from ecore_xl.xlsx.streams import streams_of

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

    from ecore_xl.excel.cell_values import ColumnData

__all__ = ["FormulaColumn", "TablePlan", "check_free", "check_limits", "find_table", "plan_update"]


@dataclass
class FormulaColumn:
    """A user formula column: inside the table (calculated, not data) or adjacent to its right.

    Existing rows keep their own formulas; new rows continue the last row's formula, as a
    fill-down would (a running total's special first row stays special).
    """

    column: Any  # openpyxl TableColumn, or None for a column outside the table
    header: Any
    header_style: Any
    cells: list[tuple[Any, Any]]  # (value, style) per existing data row
    template: str
    origin: str  # the template's cell
    width: float | None

    @property
    def name(self) -> str:
        return str(self.column.name if self.column is not None else self.header)


def _formula_column(
    ws: Worksheet, col: int, header_row: int, first: int, last: int, column: Any, fallback: str
) -> FormulaColumn:
    cells = [(cell_value(ws, r, col), style_at(ws, r, col)) for r in range(first, last + 1)]
    template, origin = fallback, f"{column_letter(col)}{first}"
    for offset in range(len(cells) - 1, -1, -1):
        value = cells[offset][0]
        if isinstance(value, str) and value.startswith("="):
            template, origin = value, f"{column_letter(col)}{first + offset}"
            break
    return FormulaColumn(
        column=column,
        header=cell_value(ws, header_row, col),
        header_style=style_at(ws, header_row, col),
        cells=cells,
        template=template,
        origin=origin,
        width=column_width(ws, col),
    )


@dataclass
class TablePlan:
    """Everything :func:`write_table` will do, computed and checked before any cell changes."""

    ws: Worksheet
    table_name: str
    columns: list[ColumnData]
    nrows: int  # data rows in the frame (the table holds at least one, empty, row)
    header_row: int
    first_col: int
    note: list[str]
    style: str
    existing: Any = None  # openpyxl Table or None
    kept: list[FormulaColumn] = field(default_factory=list)
    adjacent: list[FormulaColumn] = field(default_factory=list)

    @property
    def body_rows(self) -> int:
        return max(self.nrows, 1)

    @property
    def ncols(self) -> int:
        return len(self.columns) + len(self.kept)

    @property
    def last_col(self) -> int:
        return self.first_col + self.ncols - 1

    @property
    def last_data_row(self) -> int:
        return self.header_row + self.body_rows

    @property
    def totals(self) -> int:
        return int(self.existing.totalsRowCount or 0) if self.existing is not None else 0

    @property
    def ref(self) -> str:
        from openpyxl.utils import get_column_letter

        return (
            f"{get_column_letter(self.first_col)}{self.header_row}:"
            f"{get_column_letter(self.last_col)}{self.last_data_row + self.totals}"
        )

    def apply(self) -> str:
        """Write the cells and resize the table; returns the table's ref."""
        if self.existing is None:
            create_table(self)
        else:
            update_table(self)
        return self.ref


def find_table(ws: Worksheet, table_name: str) -> Any:
    """The openpyxl Table called ``table_name`` on ``ws`` (case-insensitive), or None."""
    wanted = table_name.casefold()
    for table in ws.tables.values():  # TableList.items() yields refs, not tables
        if table.displayName.casefold() == wanted:
            return table
    return None


def check_limits(plan: TablePlan) -> None:
    check_table_fits(
        plan.table_name,
        nrows=plan.nrows,
        header_row=plan.header_row,
        totals=plan.totals,
        ncols=plan.ncols,
        right=plan.last_col + len(plan.adjacent),
    )


def check_free(plan: TablePlan, owned: tuple[int, int, int, int] | None) -> None:
    """Refuse when cells (or other tables) sit where the table will grow."""
    from openpyxl.utils import get_column_letter
    from openpyxl.utils.cell import range_boundaries

    top = plan.header_row - (len(plan.note) + 1 if plan.note and owned is None else 0)
    area = (
        plan.first_col,
        top,
        plan.last_col + len(plan.adjacent),
        plan.last_data_row + plan.totals,
    )

    def inside(c: int, r: int, box: tuple[int, int, int, int] | None) -> bool:
        return box is not None and box[0] <= c <= box[2] and box[1] <= r <= box[3]

    blocking = sorted(
        (r, c)
        for (r, c), cell in plan.ws._cells.items()
        if cell.value is not None and inside(c, r, area) and not inside(c, r, owned)
    )
    streams = streams_of(plan.ws.parent)
    if streams is not None:  # data streamed by an earlier table write, not yet saved
        first = streams.first_value_in(plan.ws, area)
        if first is not None and not inside(first[1], first[0], owned):
            blocking = sorted([*blocking, first])
    if blocking:
        r, c = blocking[0]
        where = f"{get_column_letter(c)}{r}"
        raise UsageError(
            f"Sheet {plan.ws.title!r}: {where} is in the way of table {plan.table_name}, which "
            f"needs {a1_range(area)}. Move that content (or the table), then refresh again."
        )
    for other in plan.ws.tables.values():
        if other is plan.existing:
            continue
        o = range_boundaries(other.ref)
        if not (o[2] < area[0] or o[0] > area[2] or o[3] < area[1] or o[1] > area[3]):
            raise UsageError(
                f"Sheet {plan.ws.title!r}: table {other.displayName} ({other.ref}) is in the way "
                f"of table {plan.table_name}, which needs {a1_range(area)}. Move one of them."
            )
    for merged in plan.ws.merged_cells.ranges:
        m = merged.bounds
        if not (m[2] < area[0] or m[0] > area[2] or m[3] < area[1] or m[1] > area[3]):
            raise UsageError(
                f"Sheet {plan.ws.title!r}: merged cells {merged.coord} are in the way of table "
                f"{plan.table_name}: unmerge them."
            )


def plan_update(
    ws: Worksheet,
    table: Any,
    columns: list[ColumnData],
    nrows: int,
    note: list[str],
    style: str,
) -> TablePlan:
    from openpyxl.utils.cell import range_boundaries

    if not table.headerRowCount and table.headerRowCount is not None:
        raise UsageError(
            f"Table {table.displayName} has no header row: turn it on (Table Design > Header "
            "Row), then refresh again."
        )
    min_col, min_row, max_col, max_row = range_boundaries(table.ref)
    totals = int(table.totalsRowCount or 0)
    first_data, old_last = min_row + 1, max_row - totals
    has_rows = first_data <= old_last
    data_names = {c.name.casefold() for c in columns}
    plan = TablePlan(ws, table.displayName, columns, nrows, min_row, min_col, note, style, table)
    for i, tcol in enumerate(table.tableColumns):
        if tcol.name.casefold() in data_names:
            continue
        col = min_col + i
        first = ws._cells.get((first_data, col)) if has_rows else None
        if first is not None and first.data_type == "f" and isinstance(first.value, str):
            formula = first.value
        elif tcol.calculatedColumnFormula is not None and tcol.calculatedColumnFormula.attr_text:
            formula = "=" + str(tcol.calculatedColumnFormula.attr_text).lstrip("=")
        else:
            continue  # a data column the API no longer sends (typed values are not kept)
        plan.kept.append(_formula_column(ws, col, min_row, first_data, old_last, tcol, formula))
    col = max_col + 1
    while has_rows and col <= EXCEL_MAX_COLS:
        cell = ws._cells.get((first_data, col))
        if cell is None or cell.data_type != "f" or not isinstance(cell.value, str):
            break
        plan.adjacent.append(
            _formula_column(ws, col, min_row, first_data, old_last, None, cell.value)
        )
        col += 1
    owned = (min_col, min_row, max_col + len(plan.adjacent), max_row)
    check_free(plan, owned=owned)
    return plan
