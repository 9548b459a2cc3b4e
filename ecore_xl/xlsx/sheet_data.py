"""Splice streamed columns into the worksheet part openpyxl wrote: one ``<sheetData>``, rows and
cells in order.

openpyxl writes the sheet with its own cells only (headers, notes, formulas, the template's
cells). :func:`splice_sheet` reads that part back (it is small), keeps everything outside
``<sheetData>`` as openpyxl wrote it (the dimension corrected to the streamed area), and writes
the rows: a row that only streamed columns fill is put together for a whole band of rows at
once (:mod:`ecore_xl.xlsx.cells`); a row that openpyxl also wrote (a header, a formula column,
row height) is merged cell by cell in column order. Formula cells whose value the product knows
get it as their cached value.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from ecore_xl.xlsx.cells import ColumnCells, row_digits
from ecore_xl.xlsx.strings import xml_text

__all__ = ["CHUNK_ROWS", "splice_sheet"]

#: rows put together and written at a time (bounds the memory of a large table)
CHUNK_ROWS = 16_384

_SHEET_DATA = re.compile(rb"<sheetData\s*/>|<sheetData>(.*?)</sheetData>", re.S)
_DIMENSION = re.compile(rb'<dimension ref="[^"]*"\s*/>')
_ROW = re.compile(r'<row r="(\d+)"([^>]*?)(?:/>|>(.*?)</row>)', re.S)
_CELL = re.compile(r'<c r="([A-Z]+)\d+"[^>]*?(?:/>|>.*?</c>)', re.S)
_EMPTY_V = re.compile(r"<v\s*/>|<v></v>")

_ROW_OPEN = np.frombuffer(b'<row r="', dtype=np.uint8)
_ROW_OPEN_END = np.frombuffer(b'">', dtype=np.uint8)
_ROW_CLOSE = np.frombuffer(b"</row>", dtype=np.uint8)

Row = tuple[str, list[tuple[int, str]]]  # the row element's other attributes, (col, cell xml)


def splice_sheet(
    part: bytes,
    columns: list[ColumnCells],
    cached: Mapping[tuple[int, int], Any],
    write: Callable[[bytes], Any],
    epoch: dt.datetime,
) -> None:
    """Write ``part`` (openpyxl's worksheet XML) with ``columns`` and ``cached`` merged in."""
    found = _SHEET_DATA.search(part)
    if found is None:  # pragma: no cover - openpyxl always writes sheetData
        raise ValueError("worksheet part without sheetData")
    rows = _parse_rows((found.group(1) or b"").decode("utf-8"))
    if cached:
        _apply_cached(rows, cached, epoch)
    head = part[: found.start()]
    dimension = _dimension(rows, columns)
    if dimension:
        head = _DIMENSION.sub(f'<dimension ref="{dimension}"/>'.encode(), head, count=1)
    write(head)
    write(b"<sheetData>")
    for piece in _rows(rows, columns):
        write(piece if isinstance(piece, bytes) else piece.encode("utf-8"))
    write(b"</sheetData>")
    write(part[found.end() :])


def _parse_rows(xml: str) -> dict[int, Row]:
    from openpyxl.utils import column_index_from_string

    rows: dict[int, Row] = {}
    for m in _ROW.finditer(xml):
        cells = [
            (column_index_from_string(c.group(1)), c.group(0)) for c in _CELL.finditer(m[3] or "")
        ]
        rows[int(m[1])] = (m[2], cells)
    return rows


def _cached_value(value: Any, epoch: dt.datetime) -> tuple[str, str] | None:
    """(type attribute, <v> text) of a formula's cached result."""
    from openpyxl.utils.datetime import to_excel

    if value is None:
        return None
    if isinstance(value, bool):
        return ' t="b"', str(int(value))
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
        return ("", repr(number)) if math.isfinite(number) else None
    if isinstance(value, dt.datetime | dt.date):
        return "", repr(float(to_excel(value, epoch)))
    return ' t="str"', xml_text(str(value))


def _apply_cached(rows: dict[int, Row], cached: Mapping[tuple[int, int], Any], epoch: Any) -> None:
    for (r, c), value in cached.items():
        row = rows.get(r)
        if row is None:
            continue
        encoded = _cached_value(value, epoch)
        if encoded is None:
            continue
        kind, text = encoded
        for i, (col, xml) in enumerate(row[1]):
            if col != c or "<f" not in xml:
                continue
            new, n = _EMPTY_V.subn(f"<v>{text}</v>", xml, count=1)
            if n and kind:
                new = _add_type(new, kind)
            row[1][i] = (col, new)


def _add_type(cell: str, kind: str) -> str:
    """Insert a ``t=`` attribute into a cell's start tag (openpyxl writes none for formulas)."""
    end = cell.index(">")
    return cell[:end] + kind + cell[end:]


def _dimension(rows: dict[int, Row], columns: list[ColumnCells]) -> str | None:
    from openpyxl.utils import get_column_letter

    cols = [c for _, cells in rows.values() for c, _ in cells]
    used_rows = [r for r, (_, cells) in rows.items() if cells]
    cols += [c.col for c in columns]
    used_rows += [r for c in columns for r in (c.first_row, c.last_row)]
    if not cols or not used_rows:
        return None
    first = f"{get_column_letter(min(cols))}{min(used_rows)}"
    return f"{first}:{get_column_letter(max(cols))}{max(used_rows)}"


def _open_tag(r: int, attrs: str) -> str:
    return f'<row r="{r}"{attrs}>'


def _merged_row(r: int, row: Row | None, active: list[ColumnCells]) -> str:
    attrs, cells = row if row is not None else ("", [])
    merged = {col: xml for col, xml in cells}
    for c in active:
        xml = c.cell(r)
        if xml is not None:
            merged[c.col] = xml
    body = "".join(merged[col] for col in sorted(merged))
    return f"{_open_tag(r, attrs)}{body}</row>"


def _band(start: int, stop: int, active: list[ColumnCells]) -> Iterator[bytes]:
    """Rows ``start <= r < stop`` that only streamed columns fill, as fixed-width records:
    a chunk of rows is one 2-D byte array (row numbers of one length per chunk)."""
    a = start
    while a < stop:
        b = min(stop, a + CHUNK_ROWS, 10 ** len(str(a)))
        digits = row_digits(a, b)
        d = digits.shape[1]
        widths = [c.width(d) for c in active]
        record = 8 + d + 2 + sum(widths) + 6
        out = np.empty((b - a, record), dtype=np.uint8)
        out[:, :8] = _ROW_OPEN
        out[:, 8 : 8 + d] = digits
        out[:, 8 + d : 10 + d] = _ROW_OPEN_END
        at = 10 + d
        for c, w in zip(active, widths, strict=True):
            c.fill(out[:, at : at + w], a, b, digits)
            at += w
        out[:, at:] = _ROW_CLOSE
        yield out.tobytes()
        a = b


def _rows(rows: dict[int, Row], columns: list[ColumnCells]) -> Iterator[str | bytes]:
    """Every row of the sheet in order (see the module doc)."""
    columns = sorted(columns, key=lambda c: c.col)
    edges = sorted({c.first_row for c in columns} | {c.last_row + 1 for c in columns})
    special = sorted(rows)
    i = 0  # the next of openpyxl's rows to write
    for lo, hi in itertools.pairwise(edges):
        while i < len(special) and special[i] < lo:  # openpyxl's rows before this band
            yield _merged_row(special[i], rows[special[i]], [])
            i += 1
        active = [c for c in columns if c.first_row <= lo and c.last_row >= hi - 1]
        start = lo
        while start < hi:
            stop = special[i] if i < len(special) and special[i] < hi else hi
            if stop > start and active:
                yield from _band(start, stop, active)
            if stop < hi:
                yield _merged_row(stop, rows.get(stop), active)
                i += 1
                start = stop + 1
            else:
                start = hi
    while i < len(special):
        yield _merged_row(special[i], rows[special[i]], [])
        i += 1
