"""Write a DataFrame as a named Excel table, keeping what the user built around it.

One job, two back ends behind :class:`SheetWriter`: :class:`OpenpyxlWriter` (headless, a file on
disk) and :class:`~ecore_xl.excel.sheets_xlwings.XlwingsWriter` (a live Excel book). Both take the
same plain values from :func:`excel_columns`.

The openpyxl function :func:`write_table` is shared with the report and ``ecore-xl fetch --out``.
Writing into an existing table of that name resizes it to the new data and keeps:

- the user's cell formatting and number formats (per column, by header name);
- table columns that are not data but formulas (calculated columns): their formula on every row.
  Values typed into a table are not kept (rows change with every refresh): data columns the API
  no longer sends disappear;
- formula columns adjacent to the right of the table: extended or trimmed with the rows (each
  row's formula translated from the first data row), moved when the table gets wider or narrower;
- a totals row (moved below the new last row);
- defined names, chart series, conditional formats and data validations that cover table columns
  down to the last row: they are stretched to the new last row (a chart series on the one cell
  of a one-row table too: that is how Excel writes a one-row series).

Table filters are cleared (their hidden rows would hide the wrong rows after a refresh). Cells in
the way of a growing table are never overwritten: :class:`~ecore_xl.errors.UsageError` names the
first one. More rows than Excel holds raise :class:`~ecore_xl.errors.TooManyRowsError`.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from ecore_xl.errors import TooManyRowsError, UsageError

if TYPE_CHECKING:
    import pandas as pd
    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = [
    "DATETIME_FORMAT",
    "DATE_FORMAT",
    "EXCEL_MAX_COLS",
    "EXCEL_MAX_ROWS",
    "ColumnData",
    "OpenpyxlWriter",
    "SheetWriter",
    "check_table_fits",
    "check_table_name",
    "check_table_target",
    "excel_columns",
    "plan_table",
    "write_table",
]

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLS = 16_384
MAX_CELL_CHARS = 32_767
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
NOTE_COLOR = "FF595959"

_TABLE_NAME = re.compile(r"^[A-Za-z_\\][A-Za-z0-9_.\\]*$")
_LOOKS_LIKE_CELL = re.compile(r"^([A-Za-z]{1,3}\d+|[Rr]\d*[Cc]?\d*|[Cc]\d*)$")
_ILLEGAL_CHARS = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


# ---- the protocol ----------------------------------------------------------------------------


class SheetWriter(Protocol):
    """What the refresh needs from a workbook, live (xlwings) or headless (openpyxl).

    Sheets are named by title; cells by A1 address; ``name`` is a workbook-level defined name.
    """

    def sheet_names(self) -> list[str]:
        """Titles of all worksheets, in order."""
        ...

    def ensure_sheet(self, title: str, *, hidden: bool = False, first: bool = False) -> bool:
        """Create the sheet when missing (True if created); ``hidden`` also hides an old one."""
        ...

    def find_table(self, table_name: str) -> str | None:
        """Title of the sheet holding the table (case-insensitive), or None."""
        ...

    def check_table(self, sheet: str, df: pd.DataFrame, *, table_name: str) -> None:
        """Raise what :meth:`write_table` would raise, writing nothing."""
        ...

    def write_table(
        self,
        sheet: str,
        df: pd.DataFrame,
        *,
        table_name: str,
        anchor: str = "A1",
        note: Sequence[str] | None = None,
    ) -> str:
        """Write or resize the table; returns its new range (``A5:K120``)."""
        ...

    def read_cells(self, sheet: str, refs: Sequence[str]) -> list[Any]:
        """Values of single cells (dates as datetime, empty as None)."""
        ...

    def write_cells(
        self, sheet: str, values: dict[str, Any], *, fmt: dict[str, str] | None = None
    ) -> None:
        """Set single cells (``fmt``: number formats by address)."""
        ...

    def write_column(self, sheet: str, anchor: str, values: Sequence[Any], *, clear: int) -> str:
        """Write a vertical list from ``anchor``, clear ``clear`` rows below it; returns its ref."""
        ...

    def defined_names(self) -> dict[str, str]:
        """Workbook-level names -> what they refer to (``eCore!$B$3``)."""
        ...

    def define_name(self, name: str, refers_to: str) -> None:
        """Create or repoint a workbook-level name (``refers_to`` without ``=``)."""
        ...

    def set_list_validation(self, sheet: str, ref: str, source: str, *, prompt: str = "") -> None:
        """Drop-down list on ``ref`` with the items of ``source`` (a formula: ``=lstMeters``)."""
        ...

    def status(self, text: str | None) -> None:
        """Progress text (Excel's status bar); None restores the default."""
        ...


# ---- values --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnData:
    """One DataFrame column as plain Python values Excel can hold, and its default format."""

    name: str
    values: list[Any]
    number_format: str | None = None  # None: General


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


def header_names(columns: Iterable[Any]) -> list[str]:
    """Column labels as unique (case-insensitively), single-line, non-empty strings."""
    seen: set[str] = set()
    out: list[str] = []
    for i, col in enumerate(columns, start=1):
        if isinstance(col, tuple):  # MultiIndex columns (wide layouts)
            col = " ".join(str(c) for c in col if c is not None and str(c) != "")
        text = _clean_text(str(col)).replace("\r", " ").replace("\n", " ").strip()
        text = text or f"Column{i}"
        candidate, n = text, 2
        while candidate.casefold() in seen:
            candidate, n = f"{text}_{n}", n + 1
        seen.add(candidate.casefold())
        out.append(candidate)
    return out


def excel_columns(df: pd.DataFrame) -> list[ColumnData]:
    """The frame as columns of Excel-ready values.

    tz-aware timestamps become naive UTC (Excel has no time zones; a ``xLocal`` sibling carries
    local time), NaN/NaT/NA become None (empty cells), numpy scalars become Python numbers,
    lists and dicts become text, and text loses characters that XML cannot hold.
    """
    names = header_names(df.columns)
    return [_convert(names[i], df.iloc[:, i]) for i in range(df.shape[1])]


def _convert(name: str, s: pd.Series) -> ColumnData:
    import numpy as np
    import pandas as pd

    dtype = s.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
        dtype = s.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "M":
        arr = s.to_numpy(dtype="datetime64[us]")
        values = arr.astype(object).tolist()  # NaT -> None
        valid = arr[~np.isnat(arr)]
        midnight = bool((valid.astype("datetime64[D]") == valid).all()) if len(valid) else False
        return ColumnData(name, values, DATE_FORMAT if midnight else DATETIME_FORMAT)
    if isinstance(dtype, np.dtype) and dtype.kind == "m":
        arr = s.to_numpy(dtype="timedelta64[us]")
        return ColumnData(name, arr.astype(object).tolist(), "[h]:mm:ss")
    if pd.api.types.is_bool_dtype(dtype):
        return ColumnData(name, [None if v is None else bool(v) for v in _objects(s)])
    if pd.api.types.is_numeric_dtype(dtype):
        if pd.api.types.is_integer_dtype(dtype) and not s.hasnans:
            return ColumnData(name, s.to_numpy(dtype="int64").tolist())
        arr = s.to_numpy(dtype="float64", na_value=np.nan)
        values = arr.tolist()
        if not np.isfinite(arr).all():
            values = [v if math.isfinite(v) else None for v in values]
        return ColumnData(name, values)
    values = [_plain(v) for v in _objects(s)]
    kinds = {type(v) for v in values if v is not None}
    fmt = None
    if kinds and kinds <= {datetime}:
        fmt = DATETIME_FORMAT
    elif kinds and kinds <= {date}:
        fmt = DATE_FORMAT
    return ColumnData(name, values, fmt)


def _objects(s: pd.Series) -> list[Any]:
    return s.to_numpy(dtype=object, na_value=None).tolist()


def _plain(v: Any) -> Any:
    """One object cell as a value openpyxl and xlwings accept."""
    import numpy as np
    import pandas as pd

    if v is None:
        return None
    if isinstance(v, str):
        return _clean_text(v)
    if isinstance(v, bool | int):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, np.generic):
        return _plain(v.item())
    if isinstance(v, pd.Timestamp):
        if v is pd.NaT:
            return None
        v = v.to_pydatetime()
    if isinstance(v, datetime):
        if v.tzinfo is not None:
            from datetime import UTC

            v = v.astimezone(UTC).replace(tzinfo=None)
        return v
    if isinstance(v, date | timedelta):
        return v
    if v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, list | tuple | set | frozenset):
        items = [_plain(x) for x in v]
        if all(isinstance(x, str | int | float) for x in items):
            return _clean_text(", ".join(str(x) for x in items))
        return _clean_text(json.dumps(list(v), default=str, ensure_ascii=False))
    if isinstance(v, dict):
        return _clean_text(json.dumps(v, default=str, ensure_ascii=False))
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return _clean_text(str(v))


def _clean_text(text: str) -> str:
    """Drop control characters that XML (and so .xlsx) cannot store; refuse overlong text."""
    text = _ILLEGAL_CHARS.sub("", text)
    if len(text) > MAX_CELL_CHARS:
        raise UsageError(
            f"A text of {len(text):,} characters does not fit in an Excel cell "
            f"(at most {MAX_CELL_CHARS:,}): remove that field with a catalogue override."
        )
    return text


# ---- openpyxl: the plan ----------------------------------------------------------------------


@dataclass
class _FormulaColumn:
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
) -> _FormulaColumn:
    cells = [(_cell_value(ws, r, col), _style_at(ws, r, col)) for r in range(first, last + 1)]
    template, origin = fallback, f"{_letter(col)}{first}"
    for offset in range(len(cells) - 1, -1, -1):
        value = cells[offset][0]
        if isinstance(value, str) and value.startswith("="):
            template, origin = value, f"{_letter(col)}{first + offset}"
            break
    return _FormulaColumn(
        column=column,
        header=_cell_value(ws, header_row, col),
        header_style=_style_at(ws, header_row, col),
        cells=cells,
        template=template,
        origin=origin,
        width=_width(ws, col),
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
    kept: list[_FormulaColumn] = field(default_factory=list)
    adjacent: list[_FormulaColumn] = field(default_factory=list)

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
            _create(self)
        else:
            _update(self)
        return self.ref


def find_table(ws: Worksheet, table_name: str) -> Any:
    """The openpyxl Table called ``table_name`` on ``ws`` (case-insensitive), or None."""
    wanted = table_name.casefold()
    for table in ws.tables.values():  # TableList.items() yields refs, not tables
        if table.displayName.casefold() == wanted:
            return table
    return None


def plan_table(
    ws: Worksheet,
    df: pd.DataFrame,
    *,
    table_name: str,
    anchor: str = "A1",
    note: Sequence[str] | None = None,
    style: str = "TableStyleMedium2",
) -> TablePlan:
    """Check that ``df`` can be written as ``table_name`` on ``ws``; change nothing yet."""
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    elsewhere = [
        o.title
        for o in ws.parent.worksheets
        if o is not ws and find_table(o, table_name) is not None
    ]
    check_table_target(table_name, df, ws.title, elsewhere[0] if elsewhere else None)
    if table_name.casefold() in {n.casefold() for n in ws.parent.defined_names}:
        raise UsageError(
            f"{table_name} is already a defined name in this workbook: rename or delete that "
            "name (Formulas > Name Manager)."
        )
    columns = excel_columns(df)
    existing = find_table(ws, table_name)
    lines = [str(line) for line in (note or [])]
    if existing is None:
        letters, row = coordinate_from_string(anchor.replace("$", ""))
        col = column_index_from_string(letters)
        header_row = row + (len(lines) + 1 if lines else 0)
        plan = TablePlan(ws, table_name, columns, len(df), header_row, col, lines, style)
        _check_limits(plan)
        _check_free(plan, owned=None)
        return plan
    plan = _plan_update(ws, existing, columns, len(df), lines, style)
    _check_limits(plan)
    return plan


def write_table(
    ws: Worksheet,
    df: pd.DataFrame,
    *,
    table_name: str,
    anchor: str = "A1",
    note: list[str] | None = None,
    style: str = "TableStyleMedium2",
) -> str:
    """Write ``df`` as the Excel table ``table_name`` on the openpyxl sheet ``ws``.

    A new table goes at ``anchor`` (``note`` lines first, a blank row, then the header); an
    existing one is resized in place, keeping the user's work around it (see the module doc).
    Returns the table's range, e.g. ``"A5:K120"``.
    """
    plan = plan_table(ws, df, table_name=table_name, anchor=anchor, note=note, style=style)
    return plan.apply()


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


def _check_limits(plan: TablePlan) -> None:
    check_table_fits(
        plan.table_name,
        nrows=plan.nrows,
        header_row=plan.header_row,
        totals=plan.totals,
        ncols=plan.ncols,
        right=plan.last_col + len(plan.adjacent),
    )


def _check_free(plan: TablePlan, owned: tuple[int, int, int, int] | None) -> None:
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
    if blocking:
        r, c = blocking[0]
        where = f"{get_column_letter(c)}{r}"
        raise UsageError(
            f"Sheet {plan.ws.title!r}: {where} is in the way of table {plan.table_name}, which "
            f"needs {_a1(area)}. Move that content (or the table), then refresh again."
        )
    for other in plan.ws.tables.values():
        if other is plan.existing:
            continue
        o = range_boundaries(other.ref)
        if not (o[2] < area[0] or o[0] > area[2] or o[3] < area[1] or o[1] > area[3]):
            raise UsageError(
                f"Sheet {plan.ws.title!r}: table {other.displayName} ({other.ref}) is in the way "
                f"of table {plan.table_name}, which needs {_a1(area)}. Move one of them."
            )
    for merged in plan.ws.merged_cells.ranges:
        m = merged.bounds
        if not (m[2] < area[0] or m[0] > area[2] or m[3] < area[1] or m[1] > area[3]):
            raise UsageError(
                f"Sheet {plan.ws.title!r}: merged cells {merged.coord} are in the way of table "
                f"{plan.table_name}: unmerge them."
            )


def _a1(box: tuple[int, int, int, int]) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(box[0])}{box[1]}:{get_column_letter(box[2])}{box[3]}"


def _plan_update(
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
    _check_free(plan, owned=owned)
    return plan


def _letter(col: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(col)


def _cell_value(ws: Worksheet, row: int, col: int) -> Any:
    cell = ws._cells.get((row, col))
    return None if cell is None else cell.value


def _style_at(ws: Worksheet, row: int, col: int) -> Any:
    cell = ws._cells.get((row, col))
    return None if cell is None else copy.copy(cell._style)


def _width(ws: Worksheet, col: int) -> float | None:
    dim = ws.column_dimensions.get(_letter(col))
    return dim.width if dim is not None and dim.customWidth else None


# ---- openpyxl: writing -----------------------------------------------------------------------


def _create(plan: TablePlan) -> None:
    from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

    ws = plan.ws
    _write_note(plan, plan.header_row - len(plan.note) - 1)
    for j, column in enumerate(plan.columns):
        col = plan.first_col + j
        _write_header(ws, plan.header_row, col, column.name, None)
        _write_values(ws, plan.header_row + 1, col, column.values, _default_style(ws, column))
        ws.column_dimensions[_letter(col)].width = _auto_width(column)
    table = Table(
        displayName=plan.table_name,
        ref=plan.ref,
        tableStyleInfo=TableStyleInfo(name=plan.style, showRowStripes=True),
    )
    table.tableColumns = [TableColumn(id=j + 1, name=c.name) for j, c in enumerate(plan.columns)]
    from openpyxl.worksheet.filters import AutoFilter

    table.autoFilter = AutoFilter(ref=plan.ref)
    ws.add_table(table)


def _update(plan: TablePlan) -> None:
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
    header_styles = {k: _style_at(ws, min_row, c) for k, c in old_pos.items()}
    body_styles = {
        k: _style_at(ws, first_data, c) if has_rows else None for k, c in old_pos.items()
    }
    widths = {k: _width(ws, c) for k, c in old_pos.items()}
    totals_cells = (
        {k: (_cell_value(ws, max_row, c), _style_at(ws, max_row, c)) for k, c in old_pos.items()}
        if totals
        else {}
    )
    fallback_header = _style_at(ws, min_row, min_col)

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
        return _remap_columns(text, ws.title, col_map, owned_cols) if moved else text

    # clear the old table and its adjacent formula columns
    for key in [
        k for k in ws._cells if min_row <= k[0] <= max_row and min_col <= k[1] <= owned_cols[1]
    ]:
        del ws._cells[key]

    for j, column in enumerate(plan.columns):
        col = plan.first_col + j
        key = column.name.casefold()
        _write_header(ws, min_row, col, column.name, header_styles.get(key) or fallback_header)
        style = body_styles.get(key)
        if style is None:
            style = _default_style(ws, column)
        elif column.number_format and _is_general(ws, style):
            style = _with_format(ws, style, column.number_format)
        _write_values(ws, first_data, col, column.values, style)
        if key in widths and widths[key] is not None and old_pos[key] != col:
            ws.column_dimensions[_letter(col)].width = widths[key]

    def write_formulas(fc: _FormulaColumn, old_col: int, col: int) -> None:
        for offset in range(nrows):
            r = first_data + offset
            if offset < len(fc.cells):
                value, style = fc.cells[offset]
                if moved and isinstance(value, str) and value.startswith("="):
                    value = follow(value, f"{_letter(old_col)}{r}", r)
            else:
                value = follow(fc.template, fc.origin, r)
                style = fc.cells[-1][1] if fc.cells else None
            cell = ws.cell(row=r, column=col, value=value)
            if style is not None:
                cell._style = copy.copy(style)
        if fc.width is not None and old_col != col:
            ws.column_dimensions[_letter(col)].width = fc.width

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
    _retarget_workbook(
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
    cell.data_type = "s"  # a header like "=x" stays text
    if style is not None:
        cell._style = copy.copy(style)


def _write_values(ws: Worksheet, row: int, col: int, values: list[Any], style: Any) -> None:
    """One column of values; text that looks like a formula stays text (no injection)."""
    for offset, value in enumerate(values):
        if value is None and style is None:
            continue
        cell = ws.cell(row=row + offset, column=col)
        if value is not None:
            cell.value = value
            if cell.data_type == "f":
                cell.data_type = "s"
        if style is not None:
            cell._style = copy.copy(style)


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
    if column.number_format == DATETIME_FORMAT:
        return 17.0
    if column.number_format == DATE_FORMAT:
        return 11.5
    sample = [len(str(v)) for v in column.values[:200] if v is not None]
    widest = max([len(column.name), *sample]) if sample else len(column.name)
    return float(min(max(widest + 2, 8), 50))


# ---- references that follow the table ---------------------------------------------------------

_AREA = re.compile(
    r"^(?P<c1d>\$?)(?P<c1>[A-Za-z]{1,3})(?P<r1d>\$?)(?P<r1>\d+)"
    r"(?::(?P<c2d>\$?)(?P<c2>[A-Za-z]{1,3})(?P<r2d>\$?)(?P<r2>\d+))?$"
)


def _retarget_workbook(
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

    fix = _ref_fixer(ws.title, cell_area)
    for name in wb.defined_names.values():
        if name.attr_text:
            name.attr_text = fix(name.attr_text)
    for sheet in wb.worksheets:
        for name in sheet.defined_names.values():
            if name.attr_text:
                name.attr_text = fix(name.attr_text)
    fix_data = _ref_fixer(ws.title, area)
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
        first = f"{m['c1d']}{_letter(new[0])}{m['r1d']}{new[1]}"
        prefix = f"{sheet_part}!" if bang else ""
        if not m["c2"] and new[:2] == new[2:]:
            return prefix + first
        c2d, r2d = (m["c2d"], m["r2d"]) if m["c2"] else (m["c1d"], m["r1d"])  # a cell grew
        return f"{prefix}{first}:{c2d}{_letter(new[2])}{r2d}{new[3]}"

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


def _remap_columns(
    formula: str, sheet: str, col_map: dict[int, int], owned: tuple[int, int]
) -> str:
    """References on ``sheet`` (or unqualified) to moved table columns follow them."""

    def fn(name: str | None, area: Area) -> Area | None:
        if name is not None and name.casefold() != sheet.casefold():
            return None
        c1, r1, c2, r2 = area
        if not (owned[0] <= c1 <= owned[1] and owned[0] <= c2 <= owned[1]):
            return None
        return col_map.get(c1, c1), r1, col_map.get(c2, c2), r2

    return _rewrite_refs(formula, fn)


def _ref_fixer(sheet: str, area: Callable[..., Area | None]) -> Callable[[str], str]:
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
            parts.append(_a1(new) if new else rng.coord)
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


# ---- the openpyxl SheetWriter -----------------------------------------------------------------


class OpenpyxlWriter:
    """:class:`SheetWriter` over an openpyxl workbook (the headless refresh)."""

    def __init__(self, wb: Workbook, *, style: str = "TableStyleMedium2") -> None:
        self.wb = wb
        self.style = style
        self.messages: list[str] = []

    def _ws(self, sheet: str) -> Worksheet:
        if sheet not in self.wb.sheetnames:
            raise UsageError(f"The workbook has no sheet {sheet!r}.")
        return self.wb[sheet]

    def sheet_names(self) -> list[str]:
        return [ws.title for ws in self.wb.worksheets]

    def ensure_sheet(self, title: str, *, hidden: bool = False, first: bool = False) -> bool:
        created = title not in self.wb.sheetnames
        if created:
            self.wb.create_sheet(title, 0 if first else None)
        if hidden:
            self.wb[title].sheet_state = "hidden"
        return created

    def find_table(self, table_name: str) -> str | None:
        for ws in self.wb.worksheets:
            if find_table(ws, table_name) is not None:
                return ws.title
        return None

    def check_table(self, sheet: str, df: pd.DataFrame, *, table_name: str) -> None:
        if sheet in self.wb.sheetnames:
            plan_table(self.wb[sheet], df, table_name=table_name, style=self.style)

    def write_table(
        self,
        sheet: str,
        df: pd.DataFrame,
        *,
        table_name: str,
        anchor: str = "A1",
        note: Sequence[str] | None = None,
    ) -> str:
        ws = self._ws(sheet)
        plan = plan_table(ws, df, table_name=table_name, anchor=anchor, note=note, style=self.style)
        return plan.apply()

    def read_cells(self, sheet: str, refs: Sequence[str]) -> list[Any]:
        ws = self._ws(sheet)
        return [ws[ref.replace("$", "")].value for ref in refs]

    def write_cells(
        self, sheet: str, values: dict[str, Any], *, fmt: dict[str, str] | None = None
    ) -> None:
        ws = self._ws(sheet)
        for ref, value in values.items():
            cell = ws[ref.replace("$", "")]
            cell.value = _plain(value) if value is not None else None
            if cell.data_type == "f" and not (isinstance(value, str) and value.startswith("=")):
                cell.data_type = "s"
        for ref, number_format in (fmt or {}).items():
            ws[ref.replace("$", "")].number_format = number_format

    def write_column(self, sheet: str, anchor: str, values: Sequence[Any], *, clear: int) -> str:
        from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

        ws = self._ws(sheet)
        letters, row = coordinate_from_string(anchor.replace("$", ""))
        col = column_index_from_string(letters)
        for i, value in enumerate(values):
            cell = ws.cell(row=row + i, column=col)
            cell.value = _plain(value)
            if cell.data_type == "f":
                cell.data_type = "s"
        for r in range(row + len(values), row + len(values) + clear):
            ws._cells.pop((r, col), None)
        last = row + max(len(values), 1) - 1
        return f"${letters}${row}:${letters}${last}"

    def defined_names(self) -> dict[str, str]:
        return {name: dn.attr_text for name, dn in self.wb.defined_names.items()}

    def define_name(self, name: str, refers_to: str) -> None:
        from openpyxl.workbook.defined_name import DefinedName

        self.wb.defined_names[name] = DefinedName(name, attr_text=refers_to.lstrip("="))

    def set_list_validation(self, sheet: str, ref: str, source: str, *, prompt: str = "") -> None:
        from openpyxl.worksheet.datavalidation import DataValidation

        ws = self._ws(sheet)
        target = ref.replace("$", "")
        for dv in list(ws.data_validations.dataValidation):
            if target in dv.sqref:
                ws.data_validations.dataValidation.remove(dv)
        dv = DataValidation(
            type="list",
            formula1=source if source.startswith("=") else "=" + source,
            allow_blank=True,
            showErrorMessage=False,  # a list of several ids ("M1, M2") is allowed too
            showInputMessage=bool(prompt),
            prompt=prompt[:255] or None,
        )
        dv.add(target)
        ws.add_data_validation(dv)

    def status(self, text: str | None) -> None:
        if text:
            self.messages.append(text)
