"""The live :class:`~ecore_xl.excel.sheets.SheetWriter`: an xlwings ``Book`` open in Excel.

Same values as the headless writer (:func:`~ecore_xl.excel.cell_values.excel_columns`), written
with few COM calls: one 2-D ``range.value`` per table (chunked), one ``formula`` per formula column
(Excel adjusts relative references down the range, as a fill-down does), one ``number_format``
per column. Excel itself extends calculated columns and a table's charts when a table is
resized; this writer extends formula columns adjacent to the table and defined names that end on
its last row. Text that Excel would re-interpret (``=…``, ``0042``, ``1/2``) is written with a
leading apostrophe, so it stays text.

The xlwings object model used here is listed in docs/refresh.md for a check on Windows Excel.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ecore_xl.errors import UsageError
from ecore_xl.excel.cell_values import ColumnData, excel_columns
from ecore_xl.excel.table_checks import EXCEL_MAX_COLS, check_table_fits, check_table_target
from ecore_xl.excel.table_refs import ref_fixer, remap_columns

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["XlwingsWriter", "live_rows", "live_value"]

CHUNK_ROWS = 20_000


def live_value(value: Any) -> Any:
    """One cell as Excel's ``Range.Value`` should get it (strings kept as text)."""
    if isinstance(value, str):
        return "'" + value if value else None
    if isinstance(value, dt.timedelta):
        return value.total_seconds() / 86_400
    return value


def live_rows(columns: Sequence[ColumnData]) -> list[list[Any]]:
    """Column data as the row-major 2-D list ``range.value`` takes."""
    converted = [[live_value(v) for v in c.values] for c in columns]
    return [list(row) for row in zip(*converted, strict=True)] if converted else []


def _header_value(name: str) -> str:
    return "'" + name if re.match(r"^[=+\-@\d]", name) else name


class XlwingsWriter:
    """:class:`~ecore_xl.excel.sheets.SheetWriter` over a live ``xlwings.Book``."""

    def __init__(self, book: Any, *, style: str = "TableStyleMedium2") -> None:
        self.book = book
        self.style = style

    # ---- sheets, cells, names -----------------------------------------------------------------

    def sheet_names(self) -> list[str]:
        return [s.name for s in self.book.sheets]

    def ensure_sheet(self, title: str, *, hidden: bool = False, first: bool = False) -> bool:
        created = title not in self.sheet_names()
        if created:
            sheets = self.book.sheets
            if first:
                sheets.add(title, before=sheets[0])
            else:
                sheets.add(title, after=sheets[len(sheets) - 1])
        if hidden:
            self.book.sheets[title].visible = False
        return created

    def read_cells(self, sheet: str, refs: Sequence[str]) -> list[Any]:
        ws = self.book.sheets[sheet]
        return [ws.range(ref.replace("$", "")).value for ref in refs]

    def write_cells(
        self, sheet: str, values: dict[str, Any], *, fmt: dict[str, str] | None = None
    ) -> None:
        ws = self.book.sheets[sheet]
        for ref, value in values.items():
            ws.range(ref.replace("$", "")).value = live_value(value)
        for ref, number_format in (fmt or {}).items():
            ws.range(ref.replace("$", "")).number_format = number_format

    def write_column(self, sheet: str, anchor: str, values: Sequence[Any], *, clear: int) -> str:
        ws = self.book.sheets[sheet]
        first = ws.range(anchor.replace("$", ""))
        row, col = first.row, first.column
        if values:
            ws.range((row, col), (row + len(values) - 1, col)).value = [
                [live_value(v)] for v in values
            ]
        if clear > 0:
            start = row + len(values)
            ws.range((start, col), (start + clear - 1, col)).clear_contents()
        letters = re.sub(r"\d", "", anchor.replace("$", ""))
        return f"${letters}${row}:${letters}${row + max(len(values), 1) - 1}"

    def defined_names(self) -> dict[str, str]:
        out = {}
        for name in self.book.names:
            out[name.name] = str(name.refers_to or "").lstrip("=")
        return out

    def define_name(self, name: str, refers_to: str) -> None:
        target = "=" + refers_to.lstrip("=")
        for existing in self.book.names:
            if existing.name.casefold() == name.casefold():
                existing.refers_to = target
                return
        self.book.names.add(name, target)

    def set_list_validation(self, sheet: str, ref: str, source: str, *, prompt: str = "") -> None:
        rng = self.book.sheets[sheet].range(ref.replace("$", ""))
        if source.startswith('"'):
            rng.data_validation.set_list(source.strip('"').split(","))
        else:
            rng.data_validation.set_list(self.book.names[source.lstrip("=")])
        with contextlib.suppress(Exception):  # several ids allowed: no error alert (COM only)
            rng.api.Validation.ShowError = False

    def style_cells(self, sheet: str, refs: Sequence[str], style: str) -> None:
        from ecore_xl.excel.sheets import CELL_STYLES

        look = CELL_STYLES[style]
        ws = self.book.sheets[sheet]
        for ref in refs:
            rng = ws.range(ref.replace("$", ""))
            rng.font.bold = look.bold
            rng.font.italic = look.italic
            if look.size:
                rng.font.size = look.size
            if look.color:
                rng.font.color = look.rgb(look.color)
            if look.fill:
                rng.color = look.rgb(look.fill)

    def fit_columns(self, sheet: str, ref: str) -> None:
        """Excel's AutoFit on the range's cells only, column by column; a column the user made
        wider keeps its width."""
        ws = self.book.sheets[sheet]
        rng = ws.range(ref.replace("$", ""))
        top, left = rng.row, rng.column
        rows, cols = rng.shape
        for j in range(cols):
            column = ws.range((top, left + j), (top + rows - 1, left + j))
            before = column.column_width
            column.columns.autofit()
            after = column.column_width
            if before is not None and after is not None and after < before:
                column.column_width = before

    def status(self, text: str | None) -> None:
        self.book.app.status_bar = text if text else False

    # ---- tables -------------------------------------------------------------------------------

    def _find(self, table_name: str) -> tuple[Any, Any] | None:
        wanted = table_name.casefold()
        for ws in self.book.sheets:
            for table in ws.tables:
                if table.name.casefold() == wanted:
                    return ws, table
        return None

    def find_table(self, table_name: str) -> str | None:
        found = self._find(table_name)
        return None if found is None else str(found[0].name)

    def _geometry(
        self,
        sheet: str,
        df: pd.DataFrame,
        table_name: str,
        anchor: str,
        note: Sequence[str],
        formats: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        ws = self.book.sheets[sheet]
        found = self._find(table_name)
        check_table_target(table_name, df, ws.name, None if found is None else found[0].name)
        columns = excel_columns(df, formats)
        nrows = max(len(df), 1)
        geo: dict[str, Any] = {"ws": ws, "columns": columns, "nrows": nrows, "table": None}
        if found is None:
            top_left = ws.range(anchor.replace("$", ""))
            geo["top"] = top_left.row + (len(note) + 1 if note else 0)
            geo["left"] = top_left.column
            geo["kept"], geo["adjacent"] = [], []
            geo["old"] = None
        else:
            table = found[1]
            rng = table.range
            totals = 1 if table.show_totals else 0
            geo["table"] = table
            geo["top"], geo["left"] = rng.row, rng.column
            old_rows = rng.shape[0] - 1 - totals
            old_cols = rng.shape[1]
            header = list(table.header_row_range.value or [])
            data = {c.name.casefold() for c in columns}
            kept = []
            for i, name in enumerate(header):
                if str(name).casefold() in data or old_rows < 1:
                    continue
                formula = ws.range((rng.row + 1, rng.column + i)).formula
                if isinstance(formula, str) and formula.startswith("="):
                    kept.append((str(name), formula, rng.column + i))
            adjacent = []
            col = rng.column + old_cols
            while old_rows >= 1 and col <= EXCEL_MAX_COLS:
                first = ws.range((rng.row + 1, col)).formula
                if not (isinstance(first, str) and first.startswith("=")):
                    break
                last = ws.range((rng.row + old_rows, col)).formula
                adjacent.append((ws.range((rng.row, col)).value, last, col))
                col += 1
            geo.update(kept=kept, adjacent=adjacent, old=(old_rows, old_cols, totals))
        ncols = len(columns) + len(geo["kept"])
        check_table_fits(
            table_name,
            nrows=len(df),
            header_row=geo["top"],
            totals=geo["old"][2] if geo["old"] else 0,
            ncols=ncols,
            right=geo["left"] + ncols + len(geo["adjacent"]) - 1,
        )
        geo["ncols"] = ncols
        self._check_free(geo, table_name)
        return geo

    def _check_free(self, geo: dict[str, Any], table_name: str) -> None:
        """Refuse when non-empty cells sit where the table (or its formula columns) will grow."""
        ws, top, left = geo["ws"], geo["top"], geo["left"]
        width = geo["ncols"] + len(geo["adjacent"])
        bottom = top + geo["nrows"] + (geo["old"][2] if geo["old"] else 0)
        if geo["old"] is None:
            boxes = [(top, left, bottom, left + width - 1)]
        else:
            old_rows, old_cols, totals = geo["old"]
            old_bottom = top + old_rows + totals
            old_right = left + old_cols + len(geo["adjacent"]) - 1
            boxes = []
            if bottom > old_bottom:
                boxes.append((old_bottom + 1, left, bottom, left + width - 1))
            if left + width - 1 > old_right:
                boxes.append((top, old_right + 1, min(bottom, old_bottom), left + width - 1))
        for r1, c1, r2, c2 in boxes:
            values = ws.range((r1, c1), (r2, c2)).options(ndim=2).value
            for i, row in enumerate(values or []):
                for j, value in enumerate(row):
                    if value not in (None, ""):
                        cell = ws.range((r1 + i, c1 + j)).address.replace("$", "")
                        raise UsageError(
                            f"Sheet {ws.name!r}: {cell} is in the way of table {table_name}. "
                            "Move that content (or the table), then refresh again."
                        )

    def check_table(self, sheet: str, df: pd.DataFrame, *, table_name: str) -> None:
        if sheet in self.sheet_names():
            self._geometry(sheet, df, table_name, "A1", ())

    def write_table(
        self,
        sheet: str,
        df: pd.DataFrame,
        *,
        table_name: str,
        anchor: str = "A1",
        note: Sequence[str] | None = None,
        formats: Mapping[str, str] | None = None,
    ) -> str:
        lines = list(note or [])
        geo = self._geometry(sheet, df, table_name, anchor, lines, formats)
        ws, top, left, nrows, ncols = (
            geo["ws"], geo["top"], geo["left"], geo["nrows"], geo["ncols"]
        )  # fmt: skip
        columns: list[ColumnData] = geo["columns"]
        header = [_header_value(c.name) for c in columns] + [k[0] for k in geo["kept"]]
        body = live_rows(columns) or [[None] * len(columns)]
        table = geo["table"]
        old = geo["old"]
        first_formats = self._first_formats(ws, top, left, table)
        if table is None:
            ws.range((top, left)).value = [header]
        else:
            old_rows, old_cols, totals = old
            table.resize(ws.range((top, left), (top + nrows + totals, left + ncols - 1)))
            if old_rows > nrows:
                ws.range(
                    (top + nrows + 1 + totals, left),
                    (top + old_rows + totals, left + old_cols - 1 + len(geo["adjacent"])),
                ).clear_contents()
            if old_cols > ncols:
                ws.range(
                    (top, left + ncols), (top + max(nrows, old_rows), left + old_cols - 1)
                ).clear_contents()
            ws.range((top, left)).value = [header]
        ws.range((top + 1, left)).options(chunksize=CHUNK_ROWS).value = body
        for k, (_name, formula, _old_col) in enumerate(geo["kept"]):
            col = left + len(columns) + k
            ws.range((top + 1, col), (top + nrows, col)).formula = formula
        self._write_adjacent(ws, geo)
        for j, column in enumerate(columns):
            fmt = first_formats.get(column.name.casefold())
            if fmt is None or (fmt == "General" and column.number_format):
                fmt = column.number_format
            if fmt:
                ws.range((top + 1, left + j), (top + nrows, left + j)).number_format = fmt
        if table is None:
            source = ws.range((top, left), (top + nrows, left + ncols - 1))
            ws.tables.add(source=source, name=table_name, table_style_name=self.style)
            source.columns.autofit()
        else:
            self._retarget_names(ws.name, geo)
        self._write_note(ws, top, left, lines)
        return self._ref(top, left, nrows + (old[2] if old else 0), ncols)

    @staticmethod
    def _ref(top: int, left: int, nrows: int, ncols: int) -> str:
        from openpyxl.utils import get_column_letter

        return f"{get_column_letter(left)}{top}:{get_column_letter(left + ncols - 1)}{top + nrows}"

    @staticmethod
    def _first_formats(ws: Any, top: int, left: int, table: Any) -> dict[str, str]:
        """The number format of each column's first data cell (the user's choice), by name."""
        if table is None or table.data_body_range is None:
            return {}
        names = list(table.header_row_range.value or [])
        return {
            str(name).casefold(): ws.range((top + 1, left + i)).number_format
            for i, name in enumerate(names)
        }

    def _write_adjacent(self, ws: Any, geo: dict[str, Any]) -> None:
        """Formula columns right of the table follow its right edge and its rows."""
        from openpyxl.formula.translate import Translator
        from openpyxl.utils import get_column_letter

        if not geo["adjacent"]:
            return
        top, left, nrows = geo["top"], geo["left"], geo["nrows"]
        old_rows, old_cols, _totals = geo["old"]
        new_right = left + geo["ncols"]
        old_right = left + old_cols
        shift = new_right - old_right
        col_map = {old_right + k: new_right + k for k in range(len(geo["adjacent"]))}
        for old_col in range(left, old_right):
            col_map.setdefault(old_col, old_col)  # data columns: by position (Excel moved none)
        for k, (head, last_formula, old_col) in enumerate(geo["adjacent"]):
            col = new_right + k
            if shift:
                formulas = (
                    ws.range((top + 1, old_col), (top + old_rows, old_col)).options(ndim=2).formula
                )
                ws.range((top, old_col), (top + old_rows, old_col)).clear_contents()
                ws.range((top, col)).value = head
                moved = [
                    [remap_columns(f[0], ws.name, col_map, (left, old_right + k))] for f in formulas
                ]
                ws.range((top + 1, col), (top + len(moved), col)).formula = moved
            if nrows > old_rows:
                origin = f"{get_column_letter(old_col)}{top + old_rows}"
                first_new = Translator(last_formula, origin=origin).translate_formula(
                    f"{get_column_letter(old_col)}{top + old_rows + 1}"
                )
                if shift:
                    first_new = remap_columns(first_new, ws.name, col_map, (left, old_right + k))
                ws.range((top + old_rows + 1, col), (top + nrows, col)).formula = first_new

    def _retarget_names(self, sheet: str, geo: dict[str, Any]) -> None:
        top, left = geo["top"], geo["left"]
        old_rows, old_cols, _totals = geo["old"]
        old_last, new_last = top + old_rows, top + geo["nrows"]
        right = left + old_cols - 1 + len(geo["adjacent"])

        def area(c1: int, r1: int, c2: int, r2: int) -> tuple[int, int, int, int] | None:
            if left <= c1 <= c2 <= right and top <= r1 <= top + 1 and r2 == old_last:
                return c1, r1, c2, new_last
            return None

        fix = ref_fixer(sheet, area)
        for name in self.book.names:
            text = str(name.refers_to or "")
            new = fix(text)
            if new != text:
                name.refers_to = new

    @staticmethod
    def _write_note(ws: Any, top: int, left: int, lines: list[str]) -> None:
        room = top - 1
        if not lines or room <= 0:
            return
        if room < len(lines) + 1:
            lines = [*lines[: room - 1], " · ".join(lines[room - 1 :])]
            start = 1
        else:
            start = top - len(lines) - 1
        ws.range((start, left)).value = [[live_value(line)] for line in lines]
