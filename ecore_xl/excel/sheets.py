"""Write a DataFrame as a named Excel table, keeping what the user built around it.

One job, two back ends behind :class:`SheetWriter`: :class:`OpenpyxlWriter` (headless, a file on
disk) and :class:`~ecore_xl.excel.sheets_xlwings.XlwingsWriter` (a live Excel book). Both take the
same plain values from :func:`~ecore_xl.excel.cell_values.excel_columns`.

This module holds the protocol and the openpyxl entry points; the parts live beside it:

- :mod:`~ecore_xl.excel.cell_values`: frame columns as cell values;
- :mod:`~ecore_xl.excel.table_checks`: the name and size checks both writers make;
- :mod:`~ecore_xl.excel.table_plan`: the openpyxl table's geometry, checked before any change;
- :mod:`~ecore_xl.excel.table_write`: the openpyxl cell writing;
- :mod:`~ecore_xl.excel.table_refs`: references that follow the table;
- :mod:`~ecore_xl.excel.openpyxl_cells`: reading cells without creating them.

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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ecore_xl.errors import UsageError, WorkbookError
from ecore_xl.excel.cell_values import excel_columns, plain_value
from ecore_xl.excel.openpyxl_cells import keep_text
from ecore_xl.excel.table_checks import check_table_name, check_table_target
from ecore_xl.excel.table_plan import (
    TablePlan,
    check_free,
    check_limits,
    find_table,
    plan_update,
)

if TYPE_CHECKING:
    import pandas as pd
    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = [
    "CELL_STYLES",
    "CellStyle",
    "OpenpyxlWriter",
    "SheetWriter",
    "check_table_name",
    "excel_columns",
    "plan_table",
    "write_table",
]


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
        formats: Mapping[str, str] | None = None,
    ) -> str:
        """Write or resize the table; returns its new range (``A5:K120``). ``formats``: number
        formats by column (the catalogue's fields), for columns the user has not formatted."""
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

    def style_cells(self, sheet: str, refs: Sequence[str], style: str) -> None:
        """Give cells one of the :data:`CELL_STYLES` looks (``title``, ``header``, ``note``)."""
        ...

    def fit_columns(self, sheet: str, ref: str) -> None:
        """Widen the columns of ``ref`` (``A4:B14``) to what its cells show, never narrower."""
        ...

    def status(self, text: str | None) -> None:
        """Progress text (Excel's status bar); None restores the default."""
        ...


@dataclass(frozen=True)
class CellStyle:
    """A look both writers give a cell: font (bold, italic, size, colour) and fill, as hex RGB."""

    bold: bool = False
    italic: bool = False
    size: float | None = None
    color: str | None = None
    fill: str | None = None

    def rgb(self, hex_rgb: str) -> tuple[int, int, int]:
        """``"1F3864"`` -> ``(31, 56, 100)`` (xlwings' colour form)."""
        return int(hex_rgb[0:2], 16), int(hex_rgb[2:4], 16), int(hex_rgb[4:6], 16)


#: the looks of the sheets the product lays out itself (the eCore settings sheet)
CELL_STYLES: dict[str, CellStyle] = {
    "title": CellStyle(bold=True, size=14, color="1F3864"),
    "header": CellStyle(bold=True, fill="D9E1F2"),
    "label": CellStyle(bold=True),
    "note": CellStyle(italic=True, color="595959"),
}


# ---- the openpyxl entry points ---------------------------------------------------------------


def plan_table(
    ws: Worksheet,
    df: pd.DataFrame,
    *,
    table_name: str,
    anchor: str = "A1",
    note: Sequence[str] | None = None,
    style: str = "TableStyleMedium2",
    formats: Mapping[str, str] | None = None,
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
    columns = excel_columns(df, formats)
    existing = find_table(ws, table_name)
    lines = [str(line) for line in (note or [])]
    if existing is None:
        letters, row = coordinate_from_string(anchor.replace("$", ""))
        col = column_index_from_string(letters)
        header_row = row + (len(lines) + 1 if lines else 0)
        plan = TablePlan(ws, table_name, columns, len(df), header_row, col, lines, style)
        check_limits(plan)
        check_free(plan, owned=None)
        return plan
    plan = plan_update(ws, existing, columns, len(df), lines, style)
    check_limits(plan)
    return plan


def write_table(
    ws: Worksheet,
    df: pd.DataFrame,
    *,
    table_name: str,
    anchor: str = "A1",
    note: list[str] | None = None,
    style: str = "TableStyleMedium2",
    formats: Mapping[str, str] | None = None,
) -> str:
    """Write ``df`` as the Excel table ``table_name`` on the openpyxl sheet ``ws``.

    A new table goes at ``anchor`` (``note`` lines first, a blank row, then the header); an
    existing one is resized in place, keeping the user's work around it (see the module doc).
    ``formats`` (column -> number format) formats number columns the user has not formatted.
    Returns the table's range, e.g. ``"A5:K120"``.
    """
    plan = plan_table(
        ws, df, table_name=table_name, anchor=anchor, note=note, style=style, formats=formats
    )
    return plan.apply()


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

    def _writable(self, sheet: str) -> Worksheet:
        """The sheet to write into; WorkbookError when it is protected (never overwritten)."""
        ws = self._ws(sheet)
        if ws.protection.sheet:
            raise WorkbookError(
                f"The sheet {sheet!r} is protected: nothing was changed. Unprotect it (Review > "
                "Unprotect Sheet) to refresh it, or move the eCore table to another sheet."
            )
        return ws

    def sheet_names(self) -> list[str]:
        return [ws.title for ws in self.wb.worksheets]

    def ensure_sheet(self, title: str, *, hidden: bool = False, first: bool = False) -> bool:
        created = title not in self.wb.sheetnames
        if created:
            self.wb.create_sheet(title, 0 if first else None)
        if hidden and self.wb[title].sheet_state == "visible":
            self.wb[title].sheet_state = "hidden"
        return created

    def find_table(self, table_name: str) -> str | None:
        for ws in self.wb.worksheets:
            if find_table(ws, table_name) is not None:
                return ws.title
        return None

    def check_table(self, sheet: str, df: pd.DataFrame, *, table_name: str) -> None:
        if sheet in self.wb.sheetnames:
            plan_table(self._writable(sheet), df, table_name=table_name, style=self.style)

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
        ws = self._writable(sheet)
        plan = plan_table(
            ws, df, table_name=table_name, anchor=anchor, note=note, style=self.style,
            formats=formats,
        )  # fmt: skip
        return plan.apply()

    def read_cells(self, sheet: str, refs: Sequence[str]) -> list[Any]:
        ws = self._ws(sheet)
        return [ws[ref.replace("$", "")].value for ref in refs]

    def write_cells(
        self, sheet: str, values: dict[str, Any], *, fmt: dict[str, str] | None = None
    ) -> None:
        ws = self._writable(sheet)
        for ref, value in values.items():
            cell = ws[ref.replace("$", "")]
            cell.value = plain_value(value) if value is not None else None
            if not (isinstance(value, str) and value.startswith("=")):
                keep_text(cell)
        for ref, number_format in (fmt or {}).items():
            ws[ref.replace("$", "")].number_format = number_format

    def write_column(self, sheet: str, anchor: str, values: Sequence[Any], *, clear: int) -> str:
        from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

        ws = self._writable(sheet)
        letters, row = coordinate_from_string(anchor.replace("$", ""))
        col = column_index_from_string(letters)
        for i, value in enumerate(values):
            cell = ws.cell(row=row + i, column=col)
            cell.value = plain_value(value)
            keep_text(cell)
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

        ws = self._writable(sheet)
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

    def style_cells(self, sheet: str, refs: Sequence[str], style: str) -> None:
        from openpyxl.styles import Font, PatternFill

        look = CELL_STYLES[style]
        ws = self._writable(sheet)
        for ref in refs:
            cell = ws[ref.replace("$", "")]
            cell.font = Font(
                name=cell.font.name, bold=look.bold, italic=look.italic,
                size=look.size or cell.font.size, color=look.color,
            )  # fmt: skip
            if look.fill:
                cell.fill = PatternFill("solid", fgColor=look.fill)

    def fit_columns(self, sheet: str, ref: str) -> None:
        from openpyxl.utils.cell import range_boundaries

        from ecore_xl.xlsx.widths import fit_columns

        box = range_boundaries(ref.replace("$", ""))
        fit_columns(self._writable(sheet), box=box)  # type: ignore[arg-type]

    def status(self, text: str | None) -> None:
        if text:
            self.messages.append(text)
