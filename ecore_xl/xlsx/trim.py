"""Load a workbook for a refresh without the table rows the refresh rewrites.

A refreshed table's data cells are thrown away and written anew, but openpyxl would still read
each of them as a cell object first: a second refresh of 60,000 rows spent 13 s loading them.
:func:`trimmed_package` makes an in-memory copy of the package in which the named tables keep
what the refresh reads of them — the header row, the first data row (its styles are every new
row's), the totals row, and every cell of a column that holds a formula (calculated and
formula columns keep their rows' formulas) — and the value cells of the other columns from the
second data row down are left out. Everything else, the other sheets, the cells beside a table
and the file itself, is untouched; the copy is only ever read.

A sheet part this cannot read (a prefixed namespace, a row without ``r``) is copied whole: the
load is then only slower, never different.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

__all__ = ["trimmed_package"]

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_TABLE_REL = "/relationships/table"
_SHEET = re.compile(r"^xl/worksheets/[^/]+\.xml$")
_SHEET_DATA = re.compile(rb"<sheetData>(.*?)</sheetData>", re.S)
_ROW = re.compile(rb'<row r="(\d+)"([^>]*?)(?:/>|>(.*?)</row>)', re.S)
_CELL = re.compile(rb'<c r="([A-Z]+)\d+"[^>]*?(?:/>|>.*?</c>)', re.S)
_FIRST_CELL = re.compile(rb'^\s*<c r="([A-Z]+)\d+"')
_LAST_CELL = re.compile(rb'<c r="([A-Z]+)\d+"(?!.*<c r=")', re.S)
#: row attributes that say nothing once the row has no cells
_PLAIN_ROW = re.compile(rb'^(\s+(spans|x14ac:dyDescent)="[^"]*")*\s*$')


@dataclass
class _Body:
    """The part of one table whose value cells are left out."""

    min_col: int
    max_col: int
    first_row: int  # the first data row (kept whole)
    drop_from: int
    drop_to: int
    formula_cols: set[int]  # calculated columns and columns with a formula in the first row


def _col(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _bounds(ref: str) -> tuple[int, int, int, int] | None:
    m = re.fullmatch(r"\$?([A-Z]+)\$?(\d+):\$?([A-Z]+)\$?(\d+)", ref or "")
    if not m:
        return None
    return _col(m[1].encode()), int(m[2]), _col(m[3].encode()), int(m[4])


def _bodies(z: zipfile.ZipFile, names: set[str], wanted: set[str]) -> dict[str, list[_Body]]:
    """Sheet part -> the bodies of the wanted tables on it."""
    out: dict[str, list[_Body]] = {}
    for sheet in sorted(n for n in names if _SHEET.match(n)):
        folder, base = posixpath.split(sheet)
        rels = f"{folder}/_rels/{base}.rels"
        if rels not in names:
            continue
        for rel in ET.fromstring(z.read(rels)).iter(_RELS):
            if not rel.get("Type", "").endswith(_TABLE_REL) or rel.get("TargetMode"):
                continue
            target = rel.get("Target", "")
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                posixpath.join(folder, target)
            )
            if part not in names:
                continue
            table = ET.fromstring(z.read(part))
            name = (table.get("displayName") or table.get("name") or "").casefold()
            box = _bounds(table.get("ref", ""))
            if name not in wanted or box is None or table.get("headerRowCount") == "0":
                continue
            c1, r1, c2, r2 = box
            totals = int(table.get("totalsRowCount") or 0)
            calculated = {
                c1 + i
                for i, col in enumerate(table.iter(f"{_MAIN}tableColumn"))
                if col.find(f"{_MAIN}calculatedColumnFormula") is not None
            }
            out.setdefault(sheet, []).append(
                _Body(c1, c2, r1 + 1, r1 + 2, r2 - totals, calculated)
            )
    return out


def _trim_sheet(xml: bytes, bodies: list[_Body]) -> bytes:
    found = _SHEET_DATA.search(xml)
    if found is None:
        return xml

    def row(m: re.Match[bytes]) -> bytes:
        r = int(m[1])
        content = m[3]
        for body in bodies:
            if r == body.first_row and content:
                for cell in _CELL.finditer(content):
                    col = _col(cell[1])
                    if body.min_col <= col <= body.max_col and b"<f" in cell[0]:
                        body.formula_cols.add(col)
        mine = [b for b in bodies if b.drop_from <= r <= b.drop_to]
        if not mine or not content:
            return m[0]
        first, last = _FIRST_CELL.search(content), _LAST_CELL.search(content)
        whole = [
            b
            for b in mine
            if not b.formula_cols
            and first is not None
            and last is not None
            and b.min_col <= _col(first[1])
            and _col(last[1]) <= b.max_col
        ]
        if whole:  # every cell of the row is a value cell of one table: none is kept
            kept: list[bytes] = []
        else:
            kept = [
                cell[0]
                for cell in _CELL.finditer(content)
                if not any(
                    b.min_col <= _col(cell[1]) <= b.max_col
                    and _col(cell[1]) not in b.formula_cols
                    for b in mine
                )
            ]
        if not kept and _PLAIN_ROW.match(m[2]):
            return b""
        return b'<row r="' + m[1] + b'"' + m[2] + b">" + b"".join(kept) + b"</row>"

    data = _ROW.sub(row, found[1])
    return xml[: found.start(1)] + data + xml[found.end(1) :]


def trimmed_package(path: str | Path, tables: Collection[str]) -> io.BytesIO | None:
    """A copy of the workbook at ``path`` without the value cells of ``tables``' bodies (see
    the module doc), or None when none of those tables is in it."""
    wanted = {t.casefold() for t in tables}
    if not wanted:
        return None
    try:
        return _trimmed(path, wanted)
    except (ET.ParseError, zipfile.BadZipFile, KeyError, ValueError, OSError):
        return None  # a damaged package: loading it as it is says what is wrong


def _trimmed(path: str | Path, wanted: set[str]) -> io.BytesIO | None:
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        bodies = _bodies(z, names, wanted)
        if not bodies:
            return None
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as copy:
            for info in z.infolist():
                data = z.read(info)
                if info.filename in bodies:
                    data = _trim_sheet(data, bodies[info.filename])
                copy.writestr(info.filename, data)
    out.seek(0)
    return out
