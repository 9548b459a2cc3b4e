"""Report templates: find the placeholders of an .xlsx workbook and fill them (openpyxl).

The scheme (``templates/README.md`` has the user-facing version):

* ``{{name}}`` in a cell is replaced by a value (:data:`~ecore_xl.report.schema.PLACEHOLDERS`).
  A cell that holds nothing but one placeholder gets the typed value (a date, a number) and keeps
  its number format; inside longer text the value is written as text. Page headers and footers
  may hold placeholders too.
* A defined name ``ecore.<table>`` (workbook or sheet scope) marks the top-left cell of a table's
  header row. If an Excel table starts there, its name, style and header cells are kept: the
  header cells choose the columns, and the first data row is the style row whose cell formats
  every data row gets; a formula there is copied to every row (the report's formula columns get
  their default formula when the cell is empty). Without a table, one with every column and
  default formats is laid out first.
* Filling is :func:`ecore_xl.excel.sheets.write_table` on that table: tables grow downward, and
  chart series, defined names and conditional formats that cover a table column down to its
  last row are stretched to the filled rows.

Every problem is a :class:`~ecore_xl.errors.TemplateError` naming the sheet and the cell.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl.utils.cell import (
    get_column_letter,
    range_boundaries,
)
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from ecore_xl.errors import TemplateError, WorkbookError
from ecore_xl.escaping import (
    formula_like,
    formula_string,
    header_footer_text,
    strip_control,
)
from ecore_xl.excel.cell_values import MAX_CELL_CHARS
from ecore_xl.excel.workbook_file import load_workbook_file
from ecore_xl.report.schema import (
    MARKER_PREFIX,
    PLACEHOLDERS,
    TABLES,
    THRESHOLD_NAME,
    Column,
    ReportTable,
    table_spec,
)

__all__ = ["PLACEHOLDER_RE", "Slot", "Template"]

PLACEHOLDER_RE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_DEFAULT_STYLE = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)


def cell_name(ws: Worksheet, row: int, col: int) -> str:
    """``'Costs'!C5`` for messages."""
    return f"sheet '{ws.title}' cell {get_column_letter(col)}{row}"


@dataclass
class Slot:
    """Where one report table goes: a table in the template (found or made) at a marked cell."""

    spec: ReportTable
    ws: Worksheet
    row: int  # header row
    col: int  # first column
    table_name: str
    data_headers: list[str]  # report columns to write, in the template's order
    headers: list[str]  # every header of the template's table, in order
    #: formula columns that hold the report's own formula (their values are known)
    report_formulas: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return cell_name(self.ws, self.row, self.col)

    @property
    def anchor(self) -> str:
        return f"{get_column_letter(self.col)}{self.row}"


@dataclass
class _TextCell:
    ws: Worksheet
    row: int
    col: int
    names: list[str]


@dataclass
class Template:
    """A loaded template: its workbook, table slots and placeholder cells."""

    workbook: Workbook
    source: str
    slots: dict[str, Slot] = field(default_factory=dict)
    cells: list[_TextCell] = field(default_factory=list)
    #: what openpyxl warned about while reading (e.g. shapes it cannot keep)
    load_warnings: list[str] = field(default_factory=list)

    # ---- loading ------------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path) -> Template:
        """Read and check a template; TemplateError if it is not usable."""
        path = Path(path)
        if not path.is_file():
            raise TemplateError(f"Template {path} does not exist: check --template.")
        if path.suffix.lower() not in (".xlsx", ".xltx"):
            raise TemplateError(
                f"Template {path.name} is not an .xlsx workbook: save it as .xlsx (no macros)."
            )
        notes: list[str] = []
        try:
            wb = load_workbook_file(path, warnings_out=notes)
        except WorkbookError as exc:
            raise TemplateError(
                f"Template {path.name} cannot be read as an .xlsx workbook ({exc.detail or exc})"[
                    :300
                ]
                + ": open and save it again in Excel.",
                detail=exc.detail,
            ) from None
        if path.suffix.lower() == ".xltx":
            wb.template = False
        template = cls(wb, path.name, load_warnings=[n.removeprefix("openpyxl: ") for n in notes])
        template._scan()
        return template

    def _scan(self) -> None:
        for name, ws, dn in self._markers():
            self._add_slot(name, ws, dn)
        for ws in self.workbook.worksheets:
            self._scan_cells(ws)
            for text, _ in _header_footer_texts(ws):
                for found in PLACEHOLDER_RE.findall(text):
                    self._check_placeholder(found, f"sheet '{ws.title}' page header/footer")

    def _markers(self) -> Iterator[tuple[str, Worksheet | None, DefinedName]]:
        for name, dn in self.workbook.defined_names.items():
            if name.lower().startswith(MARKER_PREFIX):
                yield name, None, dn
        for ws in self.workbook.worksheets:
            for name, dn in ws.defined_names.items():
                if name.lower().startswith(MARKER_PREFIX):
                    yield name, ws, dn

    def _add_slot(self, name: str, scope: Worksheet | None, dn: DefinedName) -> None:
        where = f"defined name {name!r}"
        try:
            dest = next(iter(dn.destinations), None)
        except Exception:
            dest = None
        if dest is None:
            raise TemplateError(
                f"Template {self.source}: {where} must refer to a cell (e.g. ='Costs'!$A$5)."
            )
        sheet_name, coord = dest
        if sheet_name not in self.workbook.sheetnames:
            raise TemplateError(
                f"Template {self.source}: {where} refers to sheet '{sheet_name}', which is not in "
                "the workbook."
            )
        ws = self.workbook[sheet_name]
        min_col, min_row, _, _ = range_boundaries(coord.replace("$", ""))
        at = cell_name(ws, min_row, min_col)
        spec = table_spec(name[len(MARKER_PREFIX) :])
        if spec is None:
            known = ", ".join(t.marker for t in TABLES)
            raise TemplateError(
                f"Template {self.source}, {at}: {where} names no report table; known: {known}."
            )
        if spec.name in self.slots:
            raise TemplateError(
                f"Template {self.source}, {at}: {spec.marker} is defined twice (also at "
                f"{self.slots[spec.name].where}): keep one."
            )
        self.slots[spec.name] = self._slot(spec, ws, min_row, min_col)

    def _slot(self, spec: ReportTable, ws: Worksheet, row: int, col: int) -> Slot:
        table = _table_at(ws, row, col)
        if table is None:
            table = self._make_table(spec, ws, row, col)
        t_col, t_row, t_col2, t_row2 = range_boundaries(table.ref)
        if (t_row, t_col) != (row, col):
            raise TemplateError(
                f"Template {self.source}, {cell_name(ws, row, col)}: {spec.marker} must mark "
                f"the top-left cell of table {table.displayName} "
                f"({get_column_letter(t_col)}{t_row})."
            )
        if t_row2 <= t_row:
            raise TemplateError(
                f"Template {self.source}, {cell_name(ws, row, col)}: table {table.displayName} "
                "needs a header row and one data row (the style row)."
            )
        first = t_row + 1
        data_headers: list[str] = []
        present: set[str] = set()
        defaults: dict[int, Column] = {}  # formula columns that get the report's formula
        formulas: dict[int, Column] = {}  # formula columns with the template's own formula
        for c in range(t_col, t_col2 + 1):
            head = ws.cell(row, c)
            text = "" if head.value is None else str(head.value).strip()
            found = spec.column(text)
            body = ws.cell(first, c)
            user_formula = body.data_type == "f" and isinstance(body.value, str)
            if found is None and not user_formula:
                raise TemplateError(
                    f"Template {self.source}, {cell_name(ws, row, c)}: {text!r} is not a "
                    f"column of {spec.marker} (known: {', '.join(spec.headers())}) and its "
                    "first data row holds no formula."
                )
            if found is None:
                continue
            if found.header in present:
                raise TemplateError(
                    f"Template {self.source}, {cell_name(ws, row, c)}: column {text!r} appears "
                    f"twice in {spec.marker}."
                )
            present.add(found.header)
            head.value = found.header  # the canonical spelling: write_table matches by name
            if found.formula is None:
                data_headers.append(found.header)
            elif not user_formula:
                defaults[c] = found
            else:
                formulas[c] = found
        headers = _headers(ws, row, t_col, t_col2)
        letters = {h: get_column_letter(t_col + i) for i, h in enumerate(headers)}
        own = [
            column.header
            for c, column in formulas.items()
            if set(column.formula_refs()) <= set(letters)
            and ws.cell(first, c).value == _row_formula(column, letters, first)
        ]
        for c, column in defaults.items():
            missing = [ref for ref in column.formula_refs() if ref not in letters]
            if missing:
                raise TemplateError(
                    f"Template {self.source}, {cell_name(ws, row, c)}: column {column.header!r} "
                    f"is a formula over column {missing[0]!r}: add {missing[0]!r} to "
                    f"{spec.marker}, or write your own formula in {cell_name(ws, first, c)}."
                )
            ws.cell(first, c).value = _row_formula(column, letters, first)
            own.append(column.header)
        return Slot(spec, ws, row, col, table.displayName, data_headers, headers, own)

    def _make_table(self, spec: ReportTable, ws: Worksheet, row: int, col: int) -> Table:
        """No table at the marker: lay out every column with its default format and formula."""
        if spec.table in self._table_names():
            raise TemplateError(
                f"Template {self.source}, {cell_name(ws, row, col)}: {spec.marker} marks no "
                f"table, and the default name {spec.table} is taken by another table."
            )
        last = col + len(spec.columns) - 1
        for r in (row, row + 1):
            for c in range(col, last + 1):
                if ws.cell(r, c).value not in (None, ""):
                    raise TemplateError(
                        f"Template {self.source}, {cell_name(ws, r, c)}: {spec.marker} needs "
                        f"{get_column_letter(col)}{row}:{get_column_letter(last)}{row + 1} free "
                        "for its header and first row (or put an Excel table there)."
                    )
        for i, column in enumerate(spec.columns):
            head = ws.cell(row, col + i)
            head.value = column.header
            ws.cell(row + 1, col + i).number_format = column.fmt
        ref = f"{get_column_letter(col)}{row}:{get_column_letter(last)}{row + 1}"
        table = Table(displayName=spec.table, ref=ref)
        table.tableStyleInfo = copy.copy(_DEFAULT_STYLE)
        table.tableColumns = [TableColumn(id=i + 1, name=h) for i, h in enumerate(spec.headers())]
        ws.add_table(table)
        return table

    def _table_names(self) -> set[str]:
        return {t.displayName for ws in self.workbook.worksheets for t in ws.tables.values()}

    def _scan_cells(self, ws: Worksheet) -> None:
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if not isinstance(value, str) or "{{" not in value:
                    continue
                names = PLACEHOLDER_RE.findall(value)
                at = cell_name(ws, cell.row, cell.column)
                leftover = PLACEHOLDER_RE.sub("", value)
                if not names or "{{" in leftover or "}}" in leftover:
                    raise TemplateError(
                        f"Template {self.source}, {at}: a placeholder is malformed: write it as "
                        "{{name}}."
                    )
                for name in names:
                    self._check_placeholder(name, at)
                self.cells.append(_TextCell(ws, cell.row, cell.column, names))

    def _check_placeholder(self, name: str, at: str) -> None:
        if name not in PLACEHOLDERS:
            raise TemplateError(
                f"Template {self.source}, {at}: unknown placeholder {{{{{name}}}}}; known: "
                f"{', '.join(PLACEHOLDERS)}."
            )

    # ---- filling ------------------------------------------------------------------------------

    def fill(
        self,
        values: Mapping[str, Any],
        tables: Mapping[str, Any],
        *,
        formats: Mapping[tuple[str, str], str] | None = None,
        cached_names: Mapping[str, Any] | None = None,
        cached_columns: Mapping[str, Mapping[str, list[Any]]] | None = None,
        escape: bool = True,
    ) -> Workbook:
        """Put ``values`` into placeholder cells and ``tables`` (DataFrames) into their slots.

        ``formats`` overrides the number format of a column's rows, e.g.
        ``{("consumption", "Start"): "yyyy-mm-dd hh:mm"}`` for quarter-hours. The workbook is
        changed in place and returned: a loaded template fills once. A value is never a formula
        (see :meth:`_fill_cells`); ``escape`` marks formula-like text *quote prefix* as well.

        In a workbook that streams its cells (:func:`ecore_xl.xlsx.stream_cells`), formulas
        carry cached values: ``cached_names`` (defined name -> value) for the cell a name marks
        and for every formula that is just ``=Name``; ``cached_columns`` (table -> header ->
        one value per row) for the report's own formula columns (:mod:`ecore_xl.report.cached`).
        """
        from ecore_xl.errors import TooManyRowsError, UsageError
        from ecore_xl.excel.sheets import write_table

        known: dict[tuple[str, int], list[tuple[int, Any]]] = {}  # what the charts show
        self._fill_cells(values, escape=escape)
        for (table, header), fmt in (formats or {}).items():
            slot = self.slots.get(table)
            if slot is not None and header in slot.headers:
                slot.ws.cell(
                    slot.row + 1, slot.col + slot.headers.index(header)
                ).number_format = fmt
        for slot in sorted(self.slots.values(), key=lambda s: (s.ws.title, s.row, s.col)):
            frame = tables.get(slot.spec.name)
            if frame is None:
                raise TemplateError(
                    f"Template {self.source}, {slot.where}: no data for {slot.spec.marker}."
                )
            missing = [h for h in slot.data_headers if h not in frame.columns]
            if missing:  # a bug in the report code, not in the template
                raise TemplateError(f"Report table {slot.spec.marker} lacks column(s) {missing}.")
            try:
                write_table(
                    slot.ws,
                    frame.loc[:, slot.data_headers],
                    table_name=slot.table_name,
                    anchor=slot.anchor,
                )
            except TooManyRowsError:
                raise
            except UsageError as exc:
                raise TemplateError(f"Template {self.source}, {slot.spec.marker}: {exc}") from None
            columns = (cached_columns or {}).get(slot.spec.name, {})
            self._cache_columns(slot, columns)
            for i, header in enumerate(slot.headers):
                column = known.setdefault((slot.ws.title, slot.col + i), [])
                if header in slot.data_headers:  # the Series itself: a chart takes a slice
                    column.append((slot.row + 1, frame[header]))
                elif header in slot.report_formulas and header in columns:
                    column.append((slot.row + 1, columns[header]))
        self._set_threshold(values.get("threshold"))
        self._cache_names(cached_names or {})
        if cached_columns is not None:
            self._cache_charts(known)
        return self.workbook

    def _cache_charts(self, known: Mapping[tuple[str, int], list[tuple[int, Any]]]) -> None:
        """Each chart series over a table column gets that column's values as its cache, so a
        preview that draws charts without recalculating shows them."""
        for ws in self.workbook.worksheets:
            for chart in ws._charts:
                for sub in [chart, *getattr(chart, "_charts", [])]:
                    for series in getattr(sub, "series", None) or []:
                        for source in (series.val, series.cat):
                            if source is not None:
                                _cache_series(source, known)

    def _cache_columns(self, slot: Slot, columns: Mapping[str, list[Any]]) -> None:
        from ecore_xl.xlsx import streams_of

        streams = streams_of(self.workbook)
        if streams is None:
            return
        for header in slot.report_formulas:
            col = slot.col + slot.headers.index(header)
            for i, value in enumerate(columns.get(header, [])):
                streams.set_cached(slot.ws, slot.row + 1 + i, col, value)

    def _cache_names(self, named: Mapping[str, Any]) -> None:
        from ecore_xl.xlsx import streams_of

        streams = streams_of(self.workbook)
        if streams is None or not named:
            return
        for name, value in named.items():
            dn = self.workbook.defined_names.get(name)
            dest = next(iter(dn.destinations), None) if dn is not None else None
            if dest is None or dest[0] not in self.workbook.sheetnames:
                continue
            ws = self.workbook[dest[0]]
            c1, r1, _, _ = range_boundaries(dest[1].replace("$", ""))
            if ws.cell(r1, c1).data_type == "f":
                streams.set_cached(ws, r1, c1, value)
        wanted = {f"={name}".casefold(): value for name, value in named.items()}
        for ws in self.workbook.worksheets:
            for cell in ws._cells.values():
                if cell.data_type == "f" and isinstance(cell.value, str):
                    key = cell.value.replace(" ", "").casefold()
                    if key in wanted:
                        streams.set_cached(ws, cell.row, cell.column, wanted[key])

    def _fill_cells(self, values: Mapping[str, Any], *, escape: bool = True) -> None:
        """Placeholders get their values; no value ever becomes formula or header/footer code.

        A cell of nothing but one placeholder gets the typed value, a text one stays text
        (quote prefix when it looks like a formula and ``escape``); in longer text the value is
        written into the text; in the template's own formula it becomes a literal (a text one a
        string literal with its quotes doubled). In a page header or footer ``&`` is doubled.
        """
        for tc in self.cells:
            cell = tc.ws.cell(tc.row, tc.col)
            text = str(cell.value)
            whole = PLACEHOLDER_RE.fullmatch(text.strip())
            if cell.data_type == "f" or text.startswith("="):
                cell.value = _fill_formula(text, values)
            elif whole:
                _set_value(cell, _cell_value(values.get(whole[1])), escape=escape)
            else:
                filled = PLACEHOLDER_RE.sub(lambda m: _as_text(values.get(m[1])), text)
                _set_value(cell, filled, escape=escape)
        for ws in self.workbook.worksheets:
            for text, part in _header_footer_texts(ws):
                part.text = PLACEHOLDER_RE.sub(
                    lambda m: header_footer_text(_as_text(values.get(m[1]))), text
                )

    def _set_threshold(self, threshold: Any) -> None:
        """Point ``FlagThreshold`` at the first ``{{threshold}}`` cell, else hold the number."""
        target: str | None = None
        for tc in self.cells:
            if tc.names == ["threshold"] and not isinstance(tc.ws.cell(tc.row, tc.col).value, str):
                sheet = tc.ws.title.replace("'", "''")
                target = f"'{sheet}'!${get_column_letter(tc.col)}${tc.row}"
                break
        if target is None:
            target = repr(float(threshold if threshold is not None else 0.0))
        names = self.workbook.defined_names
        if THRESHOLD_NAME in names:
            del names[THRESHOLD_NAME]
        names[THRESHOLD_NAME] = DefinedName(THRESHOLD_NAME, attr_text=target)


# ---- helpers ---------------------------------------------------------------------------------


_HEADER_FOOTERS = (
    "oddHeader", "oddFooter", "evenHeader", "evenFooter", "firstHeader", "firstFooter",
)  # fmt: skip


def _headers(ws: Worksheet, row: int, c1: int, c2: int) -> list[str]:
    return ["" if ws.cell(row, c).value is None else str(ws.cell(row, c).value)
            for c in range(c1, c2 + 1)]  # fmt: skip


def _table_at(ws: Worksheet, row: int, col: int) -> Table | None:
    for table in ws.tables.values():
        c1, r1, c2, r2 = range_boundaries(table.ref)
        if r1 <= row <= r2 and c1 <= col <= c2:
            return table
    return None


def _row_formula(column: Column, letters: Mapping[str, str], row: int) -> str:
    formula = column.formula or ""
    for ref in column.formula_refs():
        formula = formula.replace("{" + ref + "}", f"{letters[ref]}{row}")
    return formula


_SERIES_REF = re.compile(r"^'?(.+?)'?!\$?([A-Z]{1,3})\$?(\d+):\$?([A-Z]{1,3})\$?(\d+)$")


def _cache_series(
    source: Any, known: Mapping[tuple[str, int], list[tuple[int, Any]]]
) -> None:
    """Fill a series' numbers or texts cache from the known column values it refers to (the
    table column, of those in that sheet column, whose rows hold the series' range)."""
    from openpyxl.chart.data_source import NumData, NumVal, StrData, StrVal
    from openpyxl.utils import column_index_from_string
    from openpyxl.utils.datetime import to_excel

    ref = source.numRef if getattr(source, "numRef", None) is not None else source.strRef
    if ref is None or not ref.f:
        return
    m = _SERIES_REF.match(ref.f)
    if m is None or m[2] != m[4]:
        return
    col, r1, r2 = column_index_from_string(m[2]), int(m[3]), int(m[5])
    found = [
        (first, values)
        for first, values in known.get((m[1].replace("''", "'"), col), [])
        if first <= r1 and r2 < first + max(len(values), 1)
    ]
    if not found:
        return
    first, values = found[0]
    rows = slice(r1 - first, r2 - first + 1)
    picked = values.iloc[rows].tolist() if hasattr(values, "iloc") else list(values[rows])
    if ref is getattr(source, "strRef", None):
        points = [StrVal(idx=i, v=str(v)) for i, v in enumerate(picked) if _present(v)]
        ref.strCache = StrData(ptCount=len(picked), pt=points)
        return
    numbers = []
    for i, v in enumerate(picked):
        if isinstance(v, dt.date | dt.datetime):
            v = to_excel(v.to_pydatetime() if hasattr(v, "to_pydatetime") else v)
        if isinstance(v, int | float) and not isinstance(v, bool) and _present(v):
            numbers.append(NumVal(idx=i, v=float(v)))
    ref.numCache = NumData(formatCode="General", ptCount=len(picked), pt=numbers)


def _present(value: Any) -> bool:
    return value is not None and value == value and value != ""


def _cell_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # a cell holds wall-clock time (Excel has no zones)
    return value


def _set_value(cell: Any, value: Any, *, escape: bool) -> None:
    """``value`` into ``cell``; a text is stored as text (never a formula), without the control
    characters XML cannot hold, cut to what a cell holds, quote prefix when formula-like."""
    if not isinstance(value, str):
        cell.value = value
        return
    text = strip_control(value)
    if len(text) > MAX_CELL_CHARS:
        text = text[: MAX_CELL_CHARS - 1] + "…"
    cell.value = text
    cell.data_type = "s"
    if escape and formula_like(text):
        cell.quotePrefix = True


def _formula_literal(value: Any, in_string: bool) -> str:
    """A placeholder's value inside a template formula: a literal, never formula code."""
    if in_string:  # already between quotes: the text, its quotes doubled
        return strip_control(_as_text(value)).replace('"', '""')
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float) and math.isfinite(value):
        return repr(value)
    if isinstance(value, dt.date):
        day = f"DATE({value.year},{value.month},{value.day})"
        if not isinstance(value, dt.datetime):
            return day
        return f"({day}+TIME({value.hour},{value.minute},{value.second}))"
    return formula_string(_as_text(value))


def _fill_formula(formula: str, values: Mapping[str, Any]) -> str:
    """The template's formula with each placeholder replaced by a literal of its value."""
    out: list[str] = []
    in_string = False
    done = 0
    for m in PLACEHOLDER_RE.finditer(formula):
        before = formula[done : m.start()]
        in_string ^= before.count('"') % 2 == 1
        out += [before, _formula_literal(values.get(m[1]), in_string)]
        done = m.end()
    out.append(formula[done:])
    return "".join(out)


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime) and value.utcoffset() is not None:
        return f"{value:%Y-%m-%d %H:%M} {value.tzname()} (UTC{_offset(value)})"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _offset(moment: dt.datetime) -> str:
    """``+01:00`` for a moment one hour ahead of UTC."""
    minutes = int((moment.utcoffset() or dt.timedelta()).total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _header_footer_texts(ws: Worksheet) -> Iterator[tuple[str, Any]]:
    for hf_name in _HEADER_FOOTERS:
        hf = getattr(ws.HeaderFooter, hf_name, None)
        if hf is None:
            continue
        for part_name in ("left", "center", "right"):
            part = getattr(hf, part_name, None)
            text = getattr(part, "text", None)
            if text and "{{" in text:
                yield text, part
