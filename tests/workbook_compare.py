"""Compare two workbooks the way a user would see them: every cell (value, formula, number format,
font, fill, border, alignment, protection), tables, charts' series ranges, defined names,
conditional formats, data validations, merged cells, widths and print setup.

:func:`differences` returns readable lines, one per difference; a test asserts the list is the
one it expects (usually empty). When a report was generated (a "Generated …" text, the cell
right of "Generated at (local)") is compared without its time. Known, intended differences
are passed in as ``allow``: a function that gets (what, where, old, new) and says whether that
difference is expected.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter

Allow = Callable[[str, str, Any, Any], bool]

_STAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?")
#: a snapshot's path names the folder the files were made in: compare it without the folder
_REFERENCE_DIR = re.compile(r"(\S*[/\\])?tests[/\\]reference[/\\]")


def _folder_shift(old_ws: Any, new_ws: Any, column: int) -> int:
    """How much longer the longest text of ``column`` is in the new sheet only because the two
    books were made in folders whose names differ in length (0: no such text)."""

    def longest(ws: Any) -> tuple[int, int]:
        best = (0, 0)
        for (value,) in ws.iter_rows(min_col=column, max_col=column, values_only=True):
            if isinstance(value, str):
                match = _REFERENCE_DIR.search(value)
                best = max(best, (len(value), len(match.group(0)) if match else 0))
        return best

    (old_len, old_dir), (new_len, new_dir) = longest(old_ws), longest(new_ws)
    if not (old_dir and new_dir) or new_len - old_len != new_dir - old_dir:
        return 0
    return new_dir - old_dir


def _same_value(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float | int) and not isinstance(b, bool):
        return math.isclose(a, float(b), rel_tol=1e-15, abs_tol=1e-300) or a == b
    if isinstance(b, float) and isinstance(a, int) and not isinstance(a, bool):
        return math.isclose(float(a), b, rel_tol=1e-15)
    if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
        return abs(a - b) <= dt.timedelta(milliseconds=1)
    return type(a) is type(b) and a == b


_STYLES: dict[tuple[int, tuple[int, ...]], dict[str, Any]] = {}


def _style(cell: Any) -> dict[str, Any]:
    key = (id(cell.parent.parent), tuple(cell._style))
    if key not in _STYLES:
        _STYLES[key] = {
            "number_format": cell.number_format,
            "font": repr(cell.font),
            "fill": repr(cell.fill),
            "border": repr(cell.border),
            "alignment": repr(cell.alignment),
            "protection": repr(cell.protection),
        }
    return _STYLES[key]


def _validations(ws: Any) -> list[tuple[str, Any]]:
    return sorted((str(d.sqref), d.formula1) for d in ws.data_validations.dataValidation)


def _footer(hf: Any) -> list[Any]:
    return [(p.text, p.size) for p in (hf.left, hf.center, hf.right)]


def _series_refs(chart: Any) -> list[tuple[str, str]]:
    out = []
    for sub in [chart, *getattr(chart, "_charts", [])]:
        for s in getattr(sub, "series", None) or []:
            for attr in ("tx", "cat", "val", "xVal", "yVal"):
                src = getattr(s, attr, None)
                for kind in ("numRef", "strRef"):
                    ref = getattr(src, kind, None) if src is not None else None
                    if ref is not None and ref.f:
                        out.append((attr, ref.f))
    return out


def differences(old_path: Path, new_path: Path, *, allow: Allow | None = None) -> list[str]:
    """What differs from ``old_path`` in ``new_path`` (see the module doc)."""
    allowed = allow or (lambda *_: False)
    old, new = openpyxl.load_workbook(old_path), openpyxl.load_workbook(new_path)
    _STYLES.clear()
    out: list[str] = []

    def check(what: str, where: str, a: Any, b: Any, same: bool | None = None) -> None:
        equal = (a == b) if same is None else same
        if not equal and not allowed(what, where, a, b):
            out.append(f"{where}: {what} {a!r} -> {b!r}")

    check("sheets", "workbook", old.sheetnames, new.sheetnames)
    check("defined names", "workbook",
          {n: d.attr_text for n, d in old.defined_names.items()},
          {n: d.attr_text for n, d in new.defined_names.items()})  # fmt: skip
    for ws in old.worksheets:
        if ws.title not in new.sheetnames:
            continue
        nw = new[ws.title]
        t = f"'{ws.title}'"
        rows = max(ws.max_row, nw.max_row)
        cols = max(ws.max_column, nw.max_column)
        for r in range(1, rows + 1):
            for c in range(1, cols + 1):
                a, b = ws.cell(r, c), nw.cell(r, c)
                where = f"{t}!{get_column_letter(c)}{r}"
                va, vb = a.value, b.value
                if isinstance(va, str) and va.startswith("Generated ") and isinstance(vb, str):
                    va, vb = _STAMP.sub("<time>", va), _STAMP.sub("<time>", vb)
                if isinstance(va, str) and isinstance(vb, str):
                    va, vb = _REFERENCE_DIR.sub("<ref>/", va), _REFERENCE_DIR.sub("<ref>/", vb)
                label = ws.cell(r, c - 1).value if c > 1 else None
                if label == "Generated at (local)" and type(va) is type(vb):
                    va = vb  # when the report was made: its type is all that can agree
                check("value", where, va, vb, _same_value(va, vb))
                if va is None and vb is None and not (a.has_style or b.has_style):
                    continue
                for key, sa in _style(a).items():
                    check(key, where, sa, _style(b)[key])
                check("quotePrefix", where, a.quotePrefix, b.quotePrefix)
        for c in range(1, cols + 1):
            letter = get_column_letter(c)
            wa, wb_ = ws.column_dimensions[letter].width, nw.column_dimensions[letter].width
            if wa is not None and wb_ is not None and wa != wb_:
                shift = _folder_shift(ws, nw, c)  # read only where the widths disagree
                if shift and wb_ - wa == shift:
                    wa = wb_  # the column fits a snapshot's path: it names the checkout's folder
            check("width", f"{t}!{letter}:{letter}", wa, wb_)
        check("tables", t,
              {n: (x.ref, [c.name for c in x.tableColumns], x.tableStyleInfo.name if
                   x.tableStyleInfo else None, x.autoFilter.ref if x.autoFilter else None,
                   x.totalsRowCount)
               for n, x in ((t.displayName, t) for t in ws.tables.values())},
              {n: (x.ref, [c.name for c in x.tableColumns], x.tableStyleInfo.name if
                   x.tableStyleInfo else None, x.autoFilter.ref if x.autoFilter else None,
                   x.totalsRowCount)
               for n, x in ((t.displayName, t) for t in nw.tables.values())})  # fmt: skip
        check("charts", t, [_series_refs(ch) for ch in ws._charts],
              [_series_refs(ch) for ch in nw._charts])  # fmt: skip
        check("conditional formats", t,
              sorted((str(cf.sqref), [r.formula for r in cf.rules]) for cf in
                     ws.conditional_formatting),
              sorted((str(cf.sqref), [r.formula for r in cf.rules]) for cf in
                     nw.conditional_formatting))  # fmt: skip
        check("data validations", t, _validations(ws), _validations(nw))
        check("merged cells", t, sorted(map(str, ws.merged_cells.ranges)),
              sorted(map(str, nw.merged_cells.ranges)))  # fmt: skip
        check("print area", t, ws.print_area, nw.print_area)
        check("print titles", t, ws.print_title_rows, nw.print_title_rows)
        check("page setup", t, repr(ws.page_setup), repr(nw.page_setup))
        check("footer", t, _footer(ws.oddFooter), _footer(nw.oddFooter))
        check("sheet state", t, ws.sheet_state, nw.sheet_state)
    return out
