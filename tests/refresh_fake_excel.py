"""A small in-memory stand-in for the xlwings object model the live writer uses.

Writes to ``range.value`` go through xlwings' real conversion pipeline
(``xlwings.conversion.write``), with the element preparation of xlwings' Windows engine
(``_xlwindows.Engine.prepare_xl_data_element`` and ``_datetime_to_com_time``, taken from its
source: pywin32 does not exist here). What reaches a cell is what Excel's COM would receive.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
import types
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlwings
from openpyxl.formula.translate import Translator
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from xlwings.conversion import Options
from xlwings.conversion import write as xlwings_write


class ComTime(dt.datetime):
    """What pywintypes' time type would be: a datetime with a UTC tzinfo."""


def _windows_engine_functions() -> dict[str, Any]:
    """``prepare_xl_data_element`` and ``_datetime_to_com_time`` from xlwings' Windows engine."""
    source = (Path(xlwings.__file__).parent / "_xlwindows.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    wanted: list[ast.stmt] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "_datetime_to_com_time":
            wanted.append(node)
        if isinstance(node, ast.ClassDef) and node.name == "Engine":
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "prepare_xl_data_element":
                    item.decorator_list = []
                    wanted.append(item)
    assert len(wanted) == 2, "xlwings' Windows engine changed: update the fake"
    utc = types.SimpleNamespace(utc=lambda: dt.UTC)
    namespace: dict[str, Any] = {
        "dt": dt,
        "pd": pd,
        "np": np,
        "time_types": (dt.date, dt.datetime, np.datetime64),
        "win32timezone": types.SimpleNamespace(TimeZoneInfo=utc),
        "np_datetime_to_datetime": lambda v: pd.Timestamp(v).to_pydatetime(),
    }
    exec(compile(ast.Module(body=wanted, type_ignores=[]), "_xlwindows", "exec"), namespace)
    return namespace


_WIN = _windows_engine_functions()


class FakeEngineImpl:
    @staticmethod
    def prepare_xl_data_element(x: Any, options: Any) -> Any:
        return _WIN["prepare_xl_data_element"](x, options)


class FakeEngine:
    type = "desktop"
    impl = FakeEngineImpl()


class FakeApp:
    def __init__(self) -> None:
        self.engine = FakeEngine()
        self.screen_updating = True
        self.calculation = "automatic"
        self.status_history: list[Any] = []
        self.alerts: list[tuple[str, str | None, str | None]] = []
        self._status: Any = False

    @property
    def status_bar(self) -> Any:
        return self._status

    @status_bar.setter
    def status_bar(self, value: Any) -> None:
        self._status = value
        self.status_history.append(value)

    def alert(self, prompt: str, title: str | None = None, mode: str | None = None, **_: Any):
        self.alerts.append((prompt, title, mode))
        return "ok"


class FakeValidation:
    def __init__(self, rng: FakeRange) -> None:
        self.rng = rng

    def set_list(self, source: Any) -> None:
        self.rng.sheet.validations[self.rng.address] = source


class FakeRangeImpl:
    max_cells_per_write = None


#: Excel's width of a column nobody sized (characters)
DEFAULT_COLUMN_WIDTH = 8.43


class FakeColumns:
    """``range.columns``: AutoFit sets each column to its widest cell *of the range* (as Excel's
    ``Range.Columns.AutoFit`` does), text by its length, numbers and dates by 10 characters."""

    def __init__(self, rng: FakeRange) -> None:
        self._rng = rng

    def autofit(self) -> None:
        rng = self._rng
        for c in range(rng.c1, rng.c2 + 1):
            shown = [rng.sheet.values.get((r, c)) for r in range(rng.r1, rng.r2 + 1)]
            sizes = [len(v) if isinstance(v, str) else 10 for v in shown if v not in (None, "")]
            rng.sheet.widths[c] = float(max(sizes)) + 1 if sizes else DEFAULT_COLUMN_WIDTH
            rng.sheet.autofitted.append(rng.address)


class FakeFont:
    """``range.font``: what is set lands in the sheet's ``styles`` per cell."""

    def __init__(self, rng: FakeRange) -> None:
        object.__setattr__(self, "_rng", rng)

    def __setattr__(self, name: str, value: Any) -> None:
        for key in self._rng.cells():
            self._rng.sheet.styles.setdefault(key, {})[f"font.{name}"] = value

    def __getattr__(self, name: str) -> Any:
        key = (self._rng.r1, self._rng.c1)
        return self._rng.sheet.styles.get(key, {}).get(f"font.{name}")


class FakeRange:
    def __init__(self, sheet: FakeSheet, r1: int, c1: int, r2: int, c2: int, **options: Any):
        self.sheet = sheet
        self.r1, self.c1, self.r2, self.c2 = r1, c1, r2, c2
        self._options = options
        self.impl = FakeRangeImpl()
        self.api = types.SimpleNamespace(Validation=types.SimpleNamespace(ShowError=True))
        self.columns = FakeColumns(self)

    # geometry
    @property
    def row(self) -> int:
        return self.r1

    @property
    def column(self) -> int:
        return self.c1

    @property
    def shape(self) -> tuple[int, int]:
        return self.r2 - self.r1 + 1, self.c2 - self.c1 + 1

    @property
    def address(self) -> str:
        a = f"${get_column_letter(self.c1)}${self.r1}"
        if (self.r1, self.c1) == (self.r2, self.c2):
            return a
        return f"{a}:${get_column_letter(self.c2)}${self.r2}"

    def resize(self, rows: int, cols: int) -> FakeRange:
        return FakeRange(self.sheet, self.r1, self.c1, self.r1 + rows - 1, self.c1 + cols - 1)

    def __getitem__(self, key: tuple[slice, slice]) -> FakeRange:
        rows, _cols = key
        start = rows.start or 0
        stop = min(rows.stop, self.shape[0]) if rows.stop is not None else self.shape[0]
        return FakeRange(self.sheet, self.r1 + start, self.c1, self.r1 + stop - 1, self.c2)

    def options(self, **options: Any) -> FakeRange:
        return FakeRange(self.sheet, self.r1, self.c1, self.r2, self.c2, **options)

    def cells(self) -> list[tuple[int, int]]:
        return [(r, c) for r in range(self.r1, self.r2 + 1) for c in range(self.c1, self.c2 + 1)]

    # values
    @property
    def value(self) -> Any:
        grid = [
            [self.sheet.values.get((r, c)) for c in range(self.c1, self.c2 + 1)]
            for r in range(self.r1, self.r2 + 1)
        ]
        if self._options.get("ndim") == 2:
            return grid
        if len(grid) == 1 and len(grid[0]) == 1:
            return grid[0][0]
        if len(grid) == 1:
            return grid[0]
        if len(grid[0]) == 1:
            return [row[0] for row in grid]
        return grid

    @value.setter
    def value(self, data: Any) -> None:
        self.sheet.book.writes.append(data)
        xlwings_write(data, self, Options(self._options))

    @property
    def raw_value(self) -> Any:
        return self.value

    @raw_value.setter
    def raw_value(self, data: Any) -> None:
        """What COM would receive after xlwings' pipeline: store, checking its types."""
        rows = data if isinstance(data, list) else [[data]]
        if rows and not isinstance(rows[0], list | tuple):
            rows = [rows]
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                assert v is None or isinstance(v, str | bool | int | float | dt.datetime), (
                    f"COM cannot take {type(v).__name__}: {v!r}"
                )
                assert not isinstance(v, np.generic), f"numpy scalar reached COM: {v!r}"
                if isinstance(v, dt.datetime):
                    assert v.tzinfo is not None, "pywintypes needs a tz-aware datetime"
                    v = v.replace(tzinfo=None)
                if isinstance(v, float):
                    assert np.isfinite(v), "NaN/inf reached COM"
                key = (self.r1 + i, self.c1 + j)
                self.sheet.formulas.pop(key, None)
                if v == "" or v is None:
                    self.sheet.values.pop(key, None)
                elif isinstance(v, str) and v.startswith("'"):
                    self.sheet.values[key] = v[1:]
                elif isinstance(v, str) and v.startswith("="):
                    self.sheet.formulas[key] = v
                    self.sheet.values[key] = v
                elif isinstance(v, str) and v.strip().upper() in ("TRUE", "FALSE"):
                    self.sheet.values[key] = v.strip().upper() == "TRUE"  # as Excel parses it
                else:
                    self.sheet.values[key] = v

    @property
    def formula(self) -> Any:
        grid = [
            [self.sheet.formulas.get((r, c), self.sheet.values.get((r, c), "")) for c in
             range(self.c1, self.c2 + 1)]
            for r in range(self.r1, self.r2 + 1)
        ]  # fmt: skip
        if self._options.get("ndim") == 2:
            return grid
        if len(grid) == 1 and len(grid[0]) == 1:
            return grid[0][0]
        return grid

    @formula.setter
    def formula(self, value: Any) -> None:
        """A single formula fills the range with relative references adjusted, as Excel does."""
        origin = f"{get_column_letter(self.c1)}{self.r1}"
        for r, c in self.cells():
            if isinstance(value, str):
                text = Translator(value, origin=origin).translate_formula(
                    f"{get_column_letter(c)}{r}"
                )
            else:
                text = value[r - self.r1][c - self.c1]
            self.sheet.formulas[(r, c)] = text
            self.sheet.values[(r, c)] = text

    @property
    def number_format(self) -> str:
        return self.sheet.formats.get((self.r1, self.c1), "General")

    @number_format.setter
    def number_format(self, value: str) -> None:
        for key in self.cells():
            self.sheet.formats[key] = value

    @property
    def data_validation(self) -> FakeValidation:
        return FakeValidation(self)

    @property
    def font(self) -> FakeFont:
        return FakeFont(self)

    @property
    def column_width(self) -> float | None:
        """The columns' width; None when they differ (as xlwings says)."""
        columns = range(self.c1, self.c2 + 1)
        widths = {self.sheet.widths.get(c, DEFAULT_COLUMN_WIDTH) for c in columns}
        return widths.pop() if len(widths) == 1 else None

    @column_width.setter
    def column_width(self, value: float) -> None:
        for c in range(self.c1, self.c2 + 1):
            self.sheet.widths[c] = float(value)

    @property
    def color(self) -> Any:
        return self.sheet.styles.get((self.r1, self.c1), {}).get("fill")

    @color.setter
    def color(self, value: Any) -> None:
        for key in self.cells():
            self.sheet.styles.setdefault(key, {})["fill"] = value

    def clear_contents(self) -> None:
        for key in self.cells():
            self.sheet.values.pop(key, None)
            self.sheet.formulas.pop(key, None)


class FakeTable:
    def __init__(self, sheet: FakeSheet, name: str, rng: FakeRange) -> None:
        self.sheet, self.name, self._range = sheet, name, rng
        self.show_totals = False

    @property
    def range(self) -> FakeRange:
        return self._range

    @property
    def header_row_range(self) -> FakeRange:
        r = self._range
        return FakeRange(self.sheet, r.r1, r.c1, r.r1, r.c2)

    @property
    def data_body_range(self) -> FakeRange | None:
        r = self._range
        return FakeRange(self.sheet, r.r1 + 1, r.c1, r.r2, r.c2) if r.r2 > r.r1 else None

    def resize(self, rng: FakeRange) -> None:
        self._range = rng


class FakeTables(list):  # type: ignore[type-arg]
    def __init__(self, sheet: FakeSheet) -> None:
        super().__init__()
        self.sheet = sheet

    def add(self, source: FakeRange, name: str, table_style_name: str = "") -> FakeTable:
        table = FakeTable(self.sheet, name, source)
        self.append(table)
        return table


class FakeSheet:
    def __init__(self, book: FakeBook, name: str) -> None:
        self.book, self.name = book, name
        self.values: dict[tuple[int, int], Any] = {}
        self.formulas: dict[tuple[int, int], str] = {}
        self.formats: dict[tuple[int, int], str] = {}
        self.styles: dict[tuple[int, int], dict[str, Any]] = {}
        self.widths: dict[int, float] = {}  # column -> width in characters
        self.autofitted: list[str] = []
        self.validations: dict[str, Any] = {}
        self.tables = FakeTables(self)
        self.visible = True
        self.activated = False

    def range(self, first: Any, last: Any = None) -> FakeRange:
        def rc(ref: Any) -> tuple[int, int]:
            if isinstance(ref, tuple):
                return ref
            letters, row = coordinate_from_string(ref)
            return row, column_index_from_string(letters)

        if isinstance(first, str) and ":" in first:
            first, last = first.split(":")
        r1, c1 = rc(first)
        r2, c2 = rc(last) if last is not None else (r1, c1)
        return FakeRange(self, r1, c1, r2, c2)

    def activate(self) -> None:
        self.activated = True

    def cell(self, ref: str) -> Any:
        return self.range(ref).value


class FakeSheets(list):  # type: ignore[type-arg]
    def __init__(self, book: FakeBook) -> None:
        super().__init__()
        self.book = book
        self.active: FakeSheet | None = None

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            for sheet in self:
                if sheet.name == key:
                    return sheet
            raise KeyError(key)
        return super().__getitem__(key)

    def add(self, name: str, before: Any = None, after: Any = None) -> FakeSheet:
        sheet = FakeSheet(self.book, name)
        index = self.index(before) if before is not None else len(self)
        if after is not None:
            index = self.index(after) + 1
        self.insert(index, sheet)
        self.active = sheet
        return sheet


class FakeName:
    def __init__(self, name: str, refers_to: str) -> None:
        self.name, self.refers_to = name, refers_to


class FakeNames(list):  # type: ignore[type-arg]
    def add(self, name: str, refers_to: str) -> FakeName:
        item = FakeName(name, refers_to)
        self.append(item)
        return item

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            for item in self:
                if item.name.casefold() == key.casefold():
                    return item
            raise KeyError(key)
        return super().__getitem__(key)


class FakeBook:
    def __init__(self, fullname: str = "/tmp/book.xlsx") -> None:
        self.app = FakeApp()
        self.sheets = FakeSheets(self)
        self.names = FakeNames()
        self.fullname = fullname
        self.writes: list[Any] = []
        self.sheets.add("Sheet1")
        self.sheets.active = self.sheets[0]


_REF = re.compile(r"^=?'?([^'!]+)'?!\$?([A-Z]+)\$?(\d+)")


def name_value(book: FakeBook, name: str) -> Any:
    m = _REF.match(book.names[name].refers_to)
    assert m is not None
    return book.sheets[m[1]].range(f"{m[2]}{m[3]}").value


def settings_book(fullname: str = "/tmp/book.xlsx", **cells: object) -> FakeBook:
    """A stand-in book with the eCore settings sheet, its ``ecore.<key>`` cells set to ``cells``."""
    from ecore_xl.excel.sheets_xlwings import XlwingsWriter
    from ecore_xl.excel.workbook_settings import ensure_settings_sheet

    book = FakeBook(fullname=fullname)
    ensure_settings_sheet(XlwingsWriter(book))
    for key, value in cells.items():
        sheet, cell = book.names[f"ecore.{key}"].refers_to.lstrip("=").split("!")
        book.sheets[sheet].range(cell.replace("$", "")).value = value
    return book
