"""``save_workbook``: openpyxl writes the package, the streamed cells and carried parts go in on
the way into the zip (see :mod:`ecore_xl.xlsx`)."""

from __future__ import annotations

import datetime as dt
import os
import queue
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecore_xl.xlsx.cells import ColumnCells, StyleBook
from ecore_xl.xlsx.package import Carried, add_override, add_relationship, set_workbook_type
from ecore_xl.xlsx.sheet_data import splice_sheet
from ecore_xl.xlsx.streams import Streams, streams_of
from ecore_xl.xlsx.strings import SST_CONTENT_TYPE, SST_PART, SST_REL_TYPE, SharedStrings

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook

__all__ = ["MACRO_SUFFIXES", "save_workbook"]

#: target suffixes written as macro-enabled packages
MACRO_SUFFIXES = (".xlsm",)
#: deflate level of the streamed sheet parts: level 1 is ~4x faster than the default 6; with the
#: spaces that pad each cell to its column's width, a report is ~25 % larger than openpyxl's
SHEET_COMPRESSLEVEL = 1
_CONTENT_TYPES = "[Content_Types].xml"
_ROOT_RELS = "_rels/.rels"
_WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"


class _WriteBehind:
    """Hands each piece to ``write`` on a second thread: deflate and the CRC release the GIL, so
    compressing one chunk of rows overlaps putting the next one together."""

    def __init__(self, write: Callable[[bytes], Any]) -> None:
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=4)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(write,), daemon=True)
        self._thread.start()

    def _run(self, write: Callable[[bytes], Any]) -> None:
        while (piece := self._queue.get()) is not None:
            if self._error is None:
                try:
                    write(piece)
                except BaseException as exc:  # handed to the caller by __call__ / close
                    self._error = exc

    def __call__(self, piece: bytes) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(piece)

    def close(self) -> None:
        """Wait until everything is written; raise what writing raised."""
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


class _Package:
    """The zip openpyxl's ``ExcelWriter`` writes into, completing parts as they pass."""

    def __init__(
        self,
        archive: zipfile.ZipFile,
        wb: Workbook,
        streams: Streams | None,
        carried: Carried | None,
        macro: bool,
    ) -> None:
        self._zip = archive
        self._wb = wb
        self._streams = streams
        self._carried = carried
        self._macro = macro
        self._strings = SharedStrings()

    # the part of ZipFile's interface ExcelWriter (and the parts it delegates to) uses
    def namelist(self) -> list[str]:
        return self._zip.namelist()

    def close(self) -> None:
        self._zip.close()

    def write(self, filename: Any, arcname: str | None = None, *args: Any, **kw: Any) -> None:
        ws = self._streamed_sheet(arcname)
        if ws is None:
            self._zip.write(filename, arcname, *args, **kw)
            return
        self._splice(Path(filename).read_bytes(), str(arcname), ws)

    def writestr(self, name: Any, data: Any, *args: Any, **kw: Any) -> None:
        key = name if isinstance(name, str) else name.filename
        if isinstance(data, str):
            data = data.encode("utf-8")
        if key == _WORKBOOK_RELS:
            data = self._workbook_rels(data)
        elif key == _ROOT_RELS and self._carried is not None:
            data = self._carried.relationships(data, "root")
        elif key == _CONTENT_TYPES:
            data = self._content_types(data)
        self._zip.writestr(name, data, *args, **kw)

    # ---- the completions ---------------------------------------------------------------------

    def _streamed_sheet(self, arcname: str | None) -> Any:
        if self._streams is None or arcname is None:
            return None
        for ws in self._wb.worksheets:
            if ws.path.lstrip("/") == arcname and self._streams.has(ws):
                return ws
        return None

    def _splice(self, part: bytes, arcname: str, ws: Any) -> None:
        assert self._streams is not None
        styles = StyleBook(self._wb)
        columns = [
            ColumnCells(sc, styles=styles, strings=self._strings, epoch=self._wb.epoch)
            for sc in self._streams.columns(ws)
        ]
        level = self._zip.compresslevel
        self._zip.compresslevel = SHEET_COMPRESSLEVEL
        try:
            with self._zip.open(arcname, "w", force_zip64=True) as out:
                behind = _WriteBehind(out.write)
                try:
                    splice_sheet(part, columns, self._streams.cached(ws), behind, self._wb.epoch)
                finally:
                    behind.close()
        finally:
            self._zip.compresslevel = level

    def _workbook_rels(self, data: bytes) -> bytes:
        if len(self._strings):
            with self._zip.open(SST_PART, "w", force_zip64=True) as out:
                for piece in self._strings.xml():
                    out.write(piece.encode("utf-8"))
            data = add_relationship(data, SST_REL_TYPE, "sharedStrings.xml")
        if self._carried is not None:
            data = self._carried.relationships(data, "workbook")
        return data

    def _content_types(self, data: bytes) -> bytes:
        written = set(self._zip.namelist())
        if self._carried is not None:
            for name, part in self._carried.missing_parts(written).items():
                self._zip.writestr(name, part)
            data = self._carried.content_types(data)
        if SST_PART in written:
            data = add_override(data, SST_PART, SST_CONTENT_TYPE)
        return set_workbook_type(data, self._macro)


def save_workbook(
    wb: Workbook, filename: str | os.PathLike[str], *, source: str | os.PathLike[str] | None = None
) -> None:
    """Save ``wb`` to ``filename`` with its streamed cells (:func:`ecore_xl.xlsx.stream_cells`).

    ``source``: the file this one replaces (a refreshed workbook); the parts openpyxl does not
    model are carried over from it byte for byte (:mod:`ecore_xl.xlsx.package`). The package is
    macro-enabled when ``filename`` ends in ``.xlsm``. Write to a temporary file and replace
    the target (:func:`ecore_xl.atomic.atomic_write_path`): this function does not.
    """
    from openpyxl.writer.excel import ExcelWriter

    target = Path(filename)
    macro = target.suffix.lower() in MACRO_SUFFIXES
    carried = Carried.read(source, macro=macro) if source is not None else None
    wb.properties.modified = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        package = _Package(archive, wb, streams_of(wb), carried, macro)
        ExcelWriter(wb, package).write_data()  # type: ignore[arg-type]
