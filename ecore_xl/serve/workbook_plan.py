"""The ribbon's refresh for a workbook the backend only knows from the add-in: a SheetWriter
that reads a snapshot and records what to write, for the task pane to apply.

The task pane sends what :func:`~ecore_xl.excel.refresh_book.refresh_book` reads (sheet names,
the tables and where they are, the workbook's names, the values of the ``eCore`` settings
sheets); the backend runs the very same refresh over a :class:`PlanWriter` — the same settings,
filters, fetch-everything-first rule, notes, drop-down lists and last-refresh block as the
ribbon and ``ecore-xl refresh`` — and answers the list of operations. A failure raises before
any operation exists, so nothing is written (all or nothing); the pane then writes the
operations in one batch through the Excel JavaScript API (``officejs/src/workbook.js``).

Operations (JSON), in order::

    {"op": "ensureSheet", "title", "hidden", "first"}
    {"op": "writeTable", "sheet", "table", "anchor", "note", "header", "rows", "formats", "style"}
    {"op": "writeCells", "sheet", "values": {A1: value}, "formats": {A1: format}}
    {"op": "writeColumn", "sheet", "anchor", "values", "clear"}
    {"op": "defineName", "name", "refersTo"}
    {"op": "listValidation", "sheet", "ref", "source", "prompt"}
    {"op": "style", "sheet", "refs", "bold", "italic", "size", "color", "fill"}  (colours #RRGGBB)
    {"op": "fitColumns", "sheet", "ref"}  (Excel's AutoFit on the range's cells, never narrower)

Values are Excel's: text with a leading apostrophe (so Excel keeps it text, as the live xlwings
writer does), dates as serial numbers with a number format.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ecore_xl.errors import UsageError
from ecore_xl.excel.cell_values import DATE_FORMAT, DATETIME_FORMAT, excel_columns
from ecore_xl.excel.sheets_xlwings import live_value
from ecore_xl.excel.table_checks import check_table_fits, check_table_target
from ecore_xl.serve.tables import excel_serial

if TYPE_CHECKING:
    import pandas as pd

    from ecore_xl.catalogue import Catalogue
    from ecore_xl.data import DataService

__all__ = ["PlanWriter", "datasets_in_selection"]

_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


def _cell(ref: str) -> tuple[int, int]:
    """``(row, column)`` of ``B7`` / ``$B$7``."""
    from openpyxl.utils.cell import column_index_from_string

    m = _CELL.match(ref.strip())
    if not m:
        raise UsageError(f"{ref!r} is not a cell address.")
    return int(m[2]), column_index_from_string(m[1].upper())


def _box(address: str) -> tuple[int, int, int, int]:
    """``(top, left, bottom, right)`` of ``A5:K120`` (or one cell), sheet name dropped."""
    address = address.rsplit("!", 1)[-1]
    first, _, last = address.partition(":")
    r1, c1 = _cell(first)
    r2, c2 = _cell(last or first)
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def _ref(row: int, col: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(col)}{row}"


def _json_cell(value: Any) -> tuple[Any, str | None]:
    """A value as JSON for a cell, and the number format a date needs."""
    if isinstance(value, dt.datetime):
        fmt = DATE_FORMAT if value.time() == dt.time(0) else DATETIME_FORMAT
        return excel_serial(value.replace(tzinfo=None)), fmt
    if isinstance(value, dt.date):
        return excel_serial(value), DATE_FORMAT
    return live_value(value), None


class PlanWriter:
    """:class:`~ecore_xl.excel.sheets.SheetWriter` over the pane's snapshot; records operations."""

    def __init__(
        self,
        snapshot: Mapping[str, Any],
        *,
        style: str = "TableStyleMedium2",
        on_status: Callable[[str | None], None] | None = None,
    ) -> None:
        self.style = style
        self._on_status = on_status
        self.ops: list[dict[str, Any]] = []
        self.messages: list[str] = []
        self._sheets: list[str] = [str(s) for s in snapshot.get("sheets") or []]
        self._tables: dict[str, dict[str, Any]] = {}
        for table in snapshot.get("tables") or []:
            self._tables[str(table["name"]).casefold()] = dict(table)
        self._names = {str(k): str(v).lstrip("=") for k, v in (snapshot.get("names") or {}).items()}
        self._cells: dict[tuple[str, str], Any] = {}
        for sheet, block in (snapshot.get("cells") or {}).items():
            top, left = _cell(block.get("origin") or "A1")
            for i, row in enumerate(block.get("values") or []):
                for j, value in enumerate(row):
                    if value not in (None, ""):
                        self._cells[(str(sheet), _ref(top + i, left + j))] = value

    # ---- reads ---------------------------------------------------------------------------------

    def sheet_names(self) -> list[str]:
        return list(self._sheets)

    def find_table(self, table_name: str) -> str | None:
        found = self._tables.get(table_name.casefold())
        return None if found is None else str(found["sheet"])

    def table_address(self, table_name: str) -> tuple[str, str] | None:
        """``(sheet, "A5:K120")`` of a table the snapshot (or this plan) has."""
        found = self._tables.get(table_name.casefold())
        return None if found is None else (str(found["sheet"]), str(found["address"]))

    def read_cells(self, sheet: str, refs: Sequence[str]) -> list[Any]:
        return [self._cells.get((sheet, ref.replace("$", "").upper())) for ref in refs]

    def defined_names(self) -> dict[str, str]:
        return dict(self._names)

    def status(self, text: str | None) -> None:
        if text:
            self.messages.append(text)
        if self._on_status is not None:
            self._on_status(text)

    # ---- checks --------------------------------------------------------------------------------

    def check_table(self, sheet: str, df: pd.DataFrame, *, table_name: str) -> None:
        found = self._tables.get(table_name.casefold())
        check_table_target(table_name, df, sheet, None if found is None else str(found["sheet"]))
        if found is not None:
            top, left, _bottom, _right = _box(str(found["address"]))
            ncols = max(len(df.columns), len(found.get("header") or []))
            check_table_fits(
                table_name, nrows=len(df), header_row=top, totals=0, ncols=ncols,
                right=left + ncols - 1,
            )  # fmt: skip

    # ---- writes --------------------------------------------------------------------------------

    def ensure_sheet(self, title: str, *, hidden: bool = False, first: bool = False) -> bool:
        created = title not in self._sheets
        if created:
            self._sheets.insert(0, title) if first else self._sheets.append(title)
        self.ops.append({"op": "ensureSheet", "title": title, "hidden": hidden, "first": first})
        return created

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
        self.check_table(sheet, df, table_name=table_name)
        columns = excel_columns(df, formats=formats)
        cells = [[_json_cell(v)[0] for v in c.values] for c in columns]
        rows = [list(row) for row in zip(*cells, strict=True)]
        lines = [str(line) for line in note or []]
        found = self._tables.get(table_name.casefold())
        if found is not None:
            top, left, _bottom, _right = _box(str(found["address"]))
        else:
            row, left = _cell(anchor)
            top = row + (len(lines) + 1 if lines else 0)
        bottom = top + max(len(rows), 1)
        ref = f"{_ref(top, left)}:{_ref(bottom, left + max(len(columns), 1) - 1)}"
        self._tables[table_name.casefold()] = {
            "name": table_name, "sheet": sheet, "address": ref, "header": [c.name for c in columns],
        }  # fmt: skip
        self.ops.append(
            {
                "op": "writeTable",
                "sheet": sheet,
                "table": table_name,
                "anchor": anchor,
                "note": [live_value(line) for line in lines],
                "header": [c.name for c in columns],
                "rows": rows,
                "formats": [c.number_format for c in columns],
                "style": self.style,
            }
        )
        return ref

    def write_cells(
        self, sheet: str, values: dict[str, Any], *, fmt: dict[str, str] | None = None
    ) -> None:
        cells: dict[str, Any] = {}
        formats = dict(fmt or {})
        for ref, value in values.items():
            key = ref.replace("$", "").upper()
            cells[key], date_format = _json_cell(value)
            if date_format and key not in formats:
                formats[key] = date_format
            self._cells[(sheet, key)] = value
        self.ops.append({"op": "writeCells", "sheet": sheet, "values": cells, "formats": formats})

    def write_column(self, sheet: str, anchor: str, values: Sequence[Any], *, clear: int) -> str:
        row, col = _cell(anchor)
        for i, value in enumerate(values):
            self._cells[(sheet, _ref(row + i, col))] = value
        for i in range(len(values), len(values) + clear):
            self._cells.pop((sheet, _ref(row + i, col)), None)
        self.ops.append(
            {
                "op": "writeColumn",
                "sheet": sheet,
                "anchor": _ref(row, col),
                "values": [_json_cell(v)[0] for v in values],
                "clear": clear,
            }
        )
        letters = re.sub(r"\d", "", _ref(row, col))
        return f"${letters}${row}:${letters}${row + max(len(values), 1) - 1}"

    def define_name(self, name: str, refers_to: str) -> None:
        self._names[name] = refers_to.lstrip("=")
        self.ops.append({"op": "defineName", "name": name, "refersTo": "=" + refers_to.lstrip("=")})

    def style_cells(self, sheet: str, refs: Sequence[str], style: str) -> None:
        from ecore_xl.excel.sheets import CELL_STYLES

        look = CELL_STYLES[style]
        self.ops.append(
            {"op": "style", "sheet": sheet, "refs": [r.replace("$", "") for r in refs],
             "bold": look.bold, "italic": look.italic, "size": look.size,
             "color": f"#{look.color}" if look.color else None,
             "fill": f"#{look.fill}" if look.fill else None}
        )  # fmt: skip

    def fit_columns(self, sheet: str, ref: str) -> None:
        self.ops.append({"op": "fitColumns", "sheet": sheet, "ref": ref.replace("$", "")})

    def set_list_validation(self, sheet: str, ref: str, source: str, *, prompt: str = "") -> None:
        self.ops.append(
            {"op": "listValidation", "sheet": sheet, "ref": ref.replace("$", ""),
             "source": source if source.startswith(("=", '"')) else "=" + source,
             "prompt": prompt[:255]}
        )  # fmt: skip


def datasets_in_selection(
    writer: PlanWriter, catalogue: Catalogue, sheet: str, address: str
) -> list[str]:
    """The datasets whose table on ``sheet`` overlaps ``address`` (catalogue order)."""
    top, left, bottom, right = _box(address)
    found = []
    for ds in catalogue:
        where = writer.table_address(ds.table)
        if where is None or where[0] != sheet:
            continue
        t, lft, b, r = _box(where[1])
        if t <= bottom and top <= b and lft <= right and left <= r:
            found.append(ds.name)
    if not found:
        raise UsageError(
            f"The selection {sheet}!{address} holds no eCore table: select cells of a table "
            "(Contracts, Volumes, …) or use Refresh all."
        )
    return found


def table_ops(
    service: DataService, dataset: str, body: Mapping[str, Any], *, offline: bool | None
) -> dict[str, Any]:
    """The operations that write ``dataset`` with the pane's filters as a new table at
    ``body["sheet"]``/``anchor``, named after the catalogue's table (``tblContracts2`` when the
    workbook has that one: ``body["tables"]``), with the note the refresh writes."""
    from zoneinfo import ZoneInfo

    from ecore_xl.excel.refresh_book import frame_notes, frame_source, table_note
    from ecore_xl.excel.sheet_frames import sheet_formats, sheet_frame
    from ecore_xl.excel.workbook_filters import describe_filters

    ds = service.dataset(dataset)
    filters = body.get("filters") or {}
    if not isinstance(filters, Mapping):
        raise UsageError("filters must be an object: filter name -> value.")
    layout = str(body.get("layout") or "long")
    sheet = str(body.get("sheet") or ds.sheet)
    anchor = str(body.get("anchor") or "A1")
    taken = {str(t).casefold() for t in body.get("tables") or []}
    name, n = ds.table, 2
    while name.casefold() in taken:
        name, n = f"{ds.table}{n}", n + 1
    norm = service.normalise(ds.name, **filters)[1]
    df = service.fetch(ds.name, layout=layout, offline=offline, **filters)  # type: ignore[arg-type]
    fetched_at, source, kind = frame_source(df, dt.datetime.now(dt.UTC))
    zone = ZoneInfo(service.settings.timezone)
    shown = describe_filters(norm, layout if "layout" in body else None)
    note = table_note(ds.name, fetched_at, kind, source, shown, len(df), zone, frame_notes(df))
    df = sheet_frame(service.catalogue, ds, df)  # as a refreshed table shows it
    writer = PlanWriter({"sheets": [sheet]})
    writer.write_table(
        sheet, df, table_name=name, anchor=anchor, note=note, formats=sheet_formats(ds, df)
    )
    return {"table": name, "rows": len(df), "ops": writer.ops}
