"""The one fast ``.xlsx``/``.xlsm`` writer: openpyxl keeps the workbook, data cells are streamed.

Every workbook file the product writes (``refresh``, ``report``, ``fetch --out x.xlsx``, values-only
snapshots) is saved by :func:`save_workbook`. openpyxl holds and writes everything a user or a
template built — styles, number formats, formula columns, charts and their ranges, defined names,
tables, data validation, conditional formats, other sheets — while the data cells of the tables
never become openpyxl cell objects:

1. :func:`stream_cells` switches a loaded workbook to streaming: from then on
   :func:`ecore_xl.excel.sheets.write_table` registers each data column (a numpy array or a list,
   :class:`~ecore_xl.excel.cell_values.ColumnData`) with its style instead of creating cells;
2. at the save, openpyxl writes the package; each sheet part with streamed columns is spliced on
   the way into the zip: openpyxl's own few cells (headers, notes, formulas) and the streamed
   rows are merged row by row, column by column (:mod:`ecore_xl.xlsx.sheet_data`), the cells
   encoded a column at a time with numpy (:mod:`ecore_xl.xlsx.cells`), text as shared strings;
3. formula cells get the cached values the product knows (:meth:`Streams.set_cached`), so a
   preview, pandas or a BI tool sees numbers;
4. parts openpyxl does not model are carried over byte for byte from the file being replaced:
   the VBA project, its signatures and their relationships, the ribbon (customUI) and its
   relationships, with their content types (:mod:`ecore_xl.xlsx.package`); an ``.xlsm`` target
   is always written as a macro-enabled package;
5. a workbook being refreshed is loaded without the value rows of the tables the refresh
   rewrites (:mod:`ecore_xl.xlsx.trim`), and every written sheet's columns are widened to what
   they show (:mod:`ecore_xl.xlsx.widths`).

Text cells are strings, never formulas; a text that :func:`ecore_xl.escaping.formula_like` calls
formula-like keeps its exact value and gets a *quote prefix* style, so Excel keeps it text when
a user edits it.

Why our own writer: openpyxl's object per cell and its save were two thirds of a report's time;
XlsxWriter and the Rust-backed writers write new files only and cannot keep a template's or a
user's workbook (issue 13 measured the alternatives; ``benchmarks/README.md`` has the figures).
"""

from __future__ import annotations

from ecore_xl.xlsx.save import MACRO_SUFFIXES, save_workbook
from ecore_xl.xlsx.streams import StreamedColumn, Streams, stream_cells, streams_of

__all__ = [
    "MACRO_SUFFIXES",
    "StreamedColumn",
    "Streams",
    "save_workbook",
    "stream_cells",
    "streams_of",
]
