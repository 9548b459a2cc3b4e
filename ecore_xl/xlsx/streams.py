"""What a workbook will stream at its save: data columns by sheet, and formulas' cached values.

A workbook switched on with :func:`stream_cells` gets a :class:`Streams`; the table writer hands it
each data column instead of creating openpyxl cells, and the checks that look for cells in the
way (:func:`ecore_xl.excel.table_plan.check_free`) ask it too. The workbook's ``save`` is then
:func:`ecore_xl.xlsx.save_workbook`, so a streamed column can never be lost by saving the
workbook another way.
"""

from __future__ import annotations

import math
import types
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    from ecore_xl.excel.cell_values import ColumnData

__all__ = ["StreamedColumn", "Streams", "stream_cells", "streams_of"]

Box = tuple[int, int, int, int]  # min_col, min_row, max_col, max_row


@dataclass
class StreamedColumn:
    """One column of cells from ``first_row`` down, all with one openpyxl style (or none)."""

    col: int
    first_row: int
    column: ColumnData
    style: Any = None  # an openpyxl StyleArray, or None for unstyled cells

    @property
    def last_row(self) -> int:
        return self.first_row + len(self.column) - 1

    def sliced(self, start: int, stop: int) -> StreamedColumn:
        """The rows ``start <= row < stop`` of this column, as a column of their own."""
        from ecore_xl.excel.cell_values import ColumnData

        a, b = start - self.first_row, stop - self.first_row
        c = self.column
        part = ColumnData(c.name, c.data[a:b], c.number_format, c.kind)
        return StreamedColumn(self.col, start, part, self.style)


@dataclass
class _Sheet:
    columns: list[StreamedColumn] = field(default_factory=list)
    cached: dict[tuple[int, int], Any] = field(default_factory=dict)


class Streams:
    """The streamed columns and cached formula values of one workbook, by worksheet."""

    def __init__(self) -> None:
        self._sheets: dict[int, tuple[Worksheet, _Sheet]] = {}

    def _sheet(self, ws: Worksheet) -> _Sheet:
        entry = self._sheets.get(id(ws))
        if entry is None or entry[0] is not ws:
            entry = (ws, _Sheet())
            self._sheets[id(ws)] = entry
        return entry[1]

    def has(self, ws: Worksheet) -> bool:
        """Whether the save must splice this sheet (streamed cells or cached values)."""
        entry = self._sheets.get(id(ws))
        return entry is not None and entry[0] is ws and bool(entry[1].columns or entry[1].cached)

    def columns(self, ws: Worksheet) -> list[StreamedColumn]:
        entry = self._sheets.get(id(ws))
        return list(entry[1].columns) if entry is not None and entry[0] is ws else []

    def cached(self, ws: Worksheet) -> dict[tuple[int, int], Any]:
        entry = self._sheets.get(id(ws))
        return dict(entry[1].cached) if entry is not None and entry[0] is ws else {}

    def add_column(
        self, ws: Worksheet, row: int, col: int, column: ColumnData, style: Any = None
    ) -> None:
        """Stream ``column`` into ``ws`` from ``row`` down in column ``col``."""
        if len(column) == 0:
            return
        self.clear(ws, (col, row, col, row + len(column) - 1))
        self._sheet(ws).columns.append(StreamedColumn(col, row, column, style))

    def set_cached(self, ws: Worksheet, row: int, col: int, value: Any) -> None:
        """The value a formula cell shows until a spreadsheet program recalculates it."""
        if isinstance(value, float) and not math.isfinite(value):
            value = None
        self._sheet(ws).cached[(row, col)] = value

    def clear(self, ws: Worksheet, box: Box) -> None:
        """Forget the streamed cells inside ``box`` (a table being rewritten)."""
        sheet = self._sheet(ws)
        c1, r1, c2, r2 = box
        kept: list[StreamedColumn] = []
        for sc in sheet.columns:
            if not (c1 <= sc.col <= c2) or sc.last_row < r1 or sc.first_row > r2:
                kept.append(sc)
                continue
            if sc.first_row < r1:
                kept.append(sc.sliced(sc.first_row, r1))
            if sc.last_row > r2:
                kept.append(sc.sliced(r2 + 1, sc.last_row + 1))
        sheet.columns = kept
        for key in [k for k in sheet.cached if c1 <= k[1] <= c2 and r1 <= k[0] <= r2]:
            del sheet.cached[key]

    def first_value_in(self, ws: Worksheet, box: Box) -> tuple[int, int] | None:
        """(row, col) of the first streamed cell with a value inside ``box``, or None."""
        c1, r1, c2, r2 = box
        found: list[tuple[int, int]] = []
        for sc in self.columns(ws):
            if not (c1 <= sc.col <= c2) or sc.last_row < r1 or sc.first_row > r2:
                continue
            start = max(r1, sc.first_row)
            stop = min(r2, sc.last_row) + 1
            for offset, value in enumerate(sc.sliced(start, stop).column.values):
                if value is not None:
                    found.append((start + offset, sc.col))
                    break
        return min(found) if found else None


_REGISTRY: weakref.WeakKeyDictionary[Workbook, Streams] = weakref.WeakKeyDictionary()


def stream_cells(wb: Workbook) -> Streams:
    """Switch ``wb`` to streamed data cells (idempotent); its ``save`` becomes the fast writer's."""
    streams = _REGISTRY.get(wb)
    if streams is None:
        from ecore_xl.xlsx.save import save_workbook

        streams = Streams()
        _REGISTRY[wb] = streams

        def save(self: Workbook, filename: Any) -> None:
            save_workbook(self, filename)

        wb.save = types.MethodType(save, wb)  # type: ignore[method-assign]
    return streams


def streams_of(wb: Workbook) -> Streams | None:
    """The workbook's :class:`Streams`, or None when it writes openpyxl cells."""
    return _REGISTRY.get(wb)
