"""A streamed column's cells as SpreadsheetML, a chunk of rows at a time, encoded with numpy.

Each distinct value of a column is formatted once (numbers with ``repr``, the shortest text that
reads back as the same float; dates and times as Excel serial numbers computed the way openpyxl
computes them; texts as shared-string indices), then every row's cell is put together from its
column letter, its row number and its value's fragment by numpy string operations.

A text for which :func:`ecore_xl.escaping.formula_like` is true is stored as the string it is,
with a *quote prefix* style (``quotePrefix="1"``), so Excel keeps it text when a user edits it.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ecore_xl.escaping import formula_like
from ecore_xl.xlsx.streams import StreamedColumn
from ecore_xl.xlsx.strings import SharedStrings

__all__ = ["ColumnCells", "StyleBook", "quoted_style", "row_digits"]

_SPACE = 32  # whitespace between elements: XML ignores it, so every cell of a column is as wide
_EPOCH_1900 = dt.datetime(1899, 12, 30)
_US_PER_DAY = 86_400_000_000


def quoted_style(style: Any) -> Any:
    """A copy of an openpyxl style array (None: the default style) with the quote prefix set."""
    from openpyxl.styles.cell_style import StyleArray

    quoted = copy.copy(style) if style is not None else StyleArray()
    quoted.quotePrefix = 1
    return quoted


class StyleBook:
    """A workbook's cell styles, as the streamed cells need them: ids, registered on demand."""

    def __init__(self, wb: Any) -> None:
        self._wb = wb

    def id(self, style: Any) -> int:
        """The ``s`` attribute of a style array (added to the workbook's styles if new)."""
        return int(self._wb._cell_styles.add(style))

    def temporal(self, style: Any, value: Any) -> Any:
        """The style a date or time gets, as openpyxl gives it when such a value is assigned:
        the style's own format if it shows dates or times, else the value type's default."""
        from openpyxl.cell.cell import get_time_format
        from openpyxl.styles.cell_style import StyleArray
        from openpyxl.styles.numbers import (
            BUILTIN_FORMATS,
            BUILTIN_FORMATS_REVERSE,
            is_date_format,
        )

        style = copy.copy(style) if style is not None else StyleArray()
        fid = int(style.numFmtId)
        current = BUILTIN_FORMATS.get(fid) if fid < 164 else self._wb._number_formats[fid - 164]
        if current and is_date_format(current):
            return style
        fmt = get_time_format(type(value))
        if fmt in BUILTIN_FORMATS_REVERSE:
            style.numFmtId = BUILTIN_FORMATS_REVERSE[fmt]
        else:
            style.numFmtId = self._wb._number_formats.add(fmt) + 164
        return style


def row_digits(start: int, stop: int) -> np.ndarray:
    """The row numbers ``start .. stop-1``, all of one length, as ASCII digits (a 2-D array)."""
    width = len(str(stop - 1))
    if len(str(start)) != width:
        raise ValueError("rows of one chunk must have row numbers of one length")
    rows = np.arange(start, stop, dtype=np.int64)[:, None]
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((rows // powers) % 10 + 48).astype(np.uint8)


def _byte_table(fragments: list[str] | np.ndarray, extra: list[str]) -> np.ndarray:
    """The fragments (then ``extra``) as rows of one width, padded with spaces, plus a last
    row of spaces (a row without a cell)."""
    if not isinstance(fragments, np.ndarray):
        fragments = np.array([f.encode("utf-8") for f in fragments], dtype=np.bytes_)
    tail = np.array([*(e.encode("utf-8") for e in extra), b""], dtype=np.bytes_)
    table = np.concatenate([fragments.astype(np.bytes_), tail]) if len(fragments) else tail
    width = max(table.dtype.itemsize, 1)
    table = table.astype(f"S{width}").view(np.uint8).reshape(len(table), width).copy()
    table[table == 0] = _SPACE  # numpy pads with NUL bytes; XML text never holds one
    return table


class ColumnCells:
    """The XML of one streamed column's cells; see the module doc."""

    def __init__(
        self,
        sc: StreamedColumn,
        *,
        styles: StyleBook,
        strings: SharedStrings,
        epoch: dt.datetime = _EPOCH_1900,
    ) -> None:
        from openpyxl.utils import get_column_letter

        self.col = sc.col
        self.first_row = sc.first_row
        self.last_row = sc.last_row
        self._prefix = f'<c r="{get_column_letter(sc.col)}'
        sid = styles.id(sc.style) if sc.style is not None else 0
        self._s = f' s="{sid}"' if sid else ""
        self._quoted: str | None = None
        self._temporal: dict[type, str] = {}
        self._styles = styles
        self._style = sc.style
        self._strings = strings
        self._epoch = epoch
        codes, fragments = self._encode(sc)
        extra: list[str] = []
        if sc.style is not None and (codes < 0).any():
            extra.append(f'"{self._s}/>')  # an empty cell that keeps its format
            codes = np.where(codes < 0, len(fragments), codes)
        self._skips = bool((codes < 0).any())
        self._codes = codes
        self._table = _byte_table(fragments, extra)
        self._prefix_bytes = np.frombuffer(self._prefix.encode("ascii"), dtype=np.uint8)

    # ---- output ----------------------------------------------------------------------------

    def width(self, digits: int) -> int:
        """Bytes of one cell of this column in a row number of ``digits`` digits."""
        return len(self._prefix_bytes) + digits + self._table.shape[1]

    def fill(self, out: np.ndarray, start: int, stop: int, digits: np.ndarray) -> None:
        """Write the cells of rows ``start <= row < stop`` into ``out`` (one row of bytes per
        sheet row, ``width(...)`` columns): the cell, padded with spaces to the column's
        widest value; all spaces where the row has no cell in this column. ``digits``: the row
        numbers as ASCII digits, one row each."""
        codes = self._codes[start - self.first_row : stop - self.first_row]
        p, d = len(self._prefix_bytes), digits.shape[1]
        out[:, :p] = self._prefix_bytes
        out[:, p : p + d] = digits
        out[:, p + d :] = self._table[codes]  # code -1: the table's last row, all spaces
        if self._skips:
            out[codes < 0] = _SPACE

    def cell(self, row: int) -> str | None:
        """The cell of one row, or None when it has none."""
        code = int(self._codes[row - self.first_row])
        if code < 0:
            return None
        fragment = self._table[code].tobytes().rstrip(b" ").decode("utf-8")
        return f"{self._prefix}{row}{fragment}"

    # ---- encoding ----------------------------------------------------------------------------

    def _quote_attr(self) -> str:
        if self._quoted is None:
            qid = self._styles.id(quoted_style(self._style))
            self._quoted = f' s="{qid}"'
        return self._quoted

    def _temporal_attr(self, value: Any) -> str:
        kind = type(value)
        if kind not in self._temporal:
            sid = self._styles.id(self._styles.temporal(self._style, value))
            self._temporal[kind] = f' s="{sid}"' if sid else ""
        return self._temporal[kind]

    def _text(self, text: str, uses: int) -> str:
        index = self._strings.add(text, uses)
        s = self._quote_attr() if formula_like(text) else self._s
        return f'"{s} t="s"><v>{index}</v></c>'

    def _number(self, text: str) -> str:
        return f'"{self._s}><v>{text}</v></c>'

    def _numbers(self, texts: list[str]) -> np.ndarray:
        """The fragments of many numbers (their texts) at once, as bytes."""
        values = np.array(texts, dtype=np.bytes_)  # number texts are ASCII
        head = np.bytes_(f'"{self._s}><v>'.encode())
        return np.strings.add(np.strings.add(head, values), np.bytes_(b"</v></c>"))

    def _encode(self, sc: StreamedColumn) -> tuple[np.ndarray, list[str] | np.ndarray]:
        column = sc.column
        kind = column.kind
        data = column.data
        if kind == "float" and isinstance(data, np.ndarray):
            return self._floats(np.asarray(data, dtype=np.float64))
        if kind == "int" and isinstance(data, np.ndarray):
            uniques, codes = np.unique(data, return_inverse=True)
            return codes.astype(np.int64), self._numbers(list(map(str, uniques.tolist())))
        if (
            kind == "datetime"
            and isinstance(data, np.ndarray)
            and self._epoch == _EPOCH_1900
            and self._styles.temporal(self._style, dt.datetime(2000, 1, 1)) == self._style
        ):  # a column formatted as dates or times (as the table writer formats it)
            return self._datetimes(np.asarray(data, dtype="datetime64[us]"))
        if kind == "text":
            return self._texts(data)
        return self._mixed(column.values)

    def _floats(self, arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        valid = np.isfinite(arr)
        codes = np.full(len(arr), -1, dtype=np.int64)
        uniques, inverse = np.unique(arr[valid], return_inverse=True)
        codes[valid] = inverse
        return codes, self._numbers(list(map(repr, uniques.tolist())))

    def _datetimes(self, arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Excel serial numbers, as openpyxl's ``to_excel`` makes them (1900 date system, with
        its phantom 29 February 1900: days 1-60 shift by one)."""
        valid = ~np.isnat(arr)
        codes = np.full(len(arr), -1, dtype=np.int64)
        uniques, inverse = np.unique(arr[valid], return_inverse=True)
        codes[valid] = inverse
        day = uniques.astype("datetime64[D]")
        days = (day - np.datetime64("1899-12-30", "D")).astype(np.int64)
        days = np.where((days > 0) & (days <= 60), days - 1, days)
        in_day = (uniques - day.astype("datetime64[us]")).astype(np.int64)
        seconds, micros = np.divmod(in_day, 1_000_000)
        serial = days + (seconds.astype(np.float64) + micros / 1e6) / 86_400
        return codes, self._numbers(list(map(repr, serial.tolist())))

    def _texts(self, values: Any) -> tuple[np.ndarray, list[str]]:
        import pandas as pd

        codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
        codes = codes.astype(np.int64)
        uses = np.bincount(codes[codes >= 0], minlength=len(uniques)).tolist()
        fragments = []
        for text, n in zip(uniques.tolist(), uses, strict=True):
            fragments.append(self._text(text, n) if text != "" else f'"{self._s}/>')
        return codes, fragments

    def _mixed(self, values: list[Any]) -> tuple[np.ndarray, list[str]]:
        """Anything else, one value at a time (small or rare columns)."""
        from openpyxl.utils.datetime import to_excel

        codes = np.full(len(values), -1, dtype=np.int64)
        seen: dict[tuple[type, Any], int] = {}
        fragments: list[str] = []
        for i, value in enumerate(values):
            if value is None or value == "":
                continue
            key = (type(value), value)
            code = seen.get(key)
            if code is None:
                fragment = self._fragment(value, to_excel)
                if fragment is None:
                    continue
                code = seen[key] = len(fragments)
                fragments.append(fragment)
            elif isinstance(value, str):
                self._strings.add(value)
            codes[i] = code
        return codes, fragments

    def _fragment(self, value: Any, to_excel: Callable[..., Any]) -> str | None:
        if isinstance(value, bool):
            return f'"{self._s} t="b"><v>{int(value)}</v></c>'
        if isinstance(value, int):
            return self._number(str(value))
        if isinstance(value, float):
            return self._number(repr(value)) if math.isfinite(value) else None
        if isinstance(value, str):
            return self._text(value, 1)
        if isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
            serial = repr(float(to_excel(value, self._epoch)))
            return f'"{self._temporal_attr(value)}><v>{serial}</v></c>'
        return self._text(str(value), 1)
