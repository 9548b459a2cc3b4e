"""Open a workbook file with openpyxl, or say in one line why it cannot be used.

Every reader of a user's workbook (the headless refresh, the values-only copy, the report
template) loads through :func:`load_workbook_file`. Whatever goes wrong — not a zip, a damaged
XML part, a part openpyxl cannot type, no permission, not enough memory — is a
:class:`~ecore_xl.errors.WorkbookError` (or a :class:`~ecore_xl.errors.LocalFileError` for the
file system) naming the file and what to do, never a traceback.

``for_writing=True`` also refuses a workbook that must not be overwritten:

- the file is read-only (no write permission bit, the Windows *Read-only* attribute);
- Excel marks it read-only: *Read-only recommended* or a *password to modify*
  (``fileSharing`` in ``xl/workbook.xml``, which openpyxl would silently drop on save);
- its structure is protected (*Review > Protect Workbook*): a refresh adds and hides sheets.

A protected *sheet* is refused by the writer when the refresh is about to write into it
(:meth:`~ecore_xl.excel.sheets.OpenpyxlWriter.check_writable`).
"""

from __future__ import annotations

import io
import os
import re
import stat
import warnings
import zipfile
import zlib
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

from ecore_xl.errors import LocalFileError, WorkbookError, local_file_error

__all__ = ["check_not_read_only", "check_structure", "load_workbook_file"]

_FILE_SHARING = re.compile(rb"<(?:\w+:)?fileSharing\b[^>]*>")
_MARKED = re.compile(rb'\b(?:readOnlyRecommended="(?:1|true)"|reservationPassword=|hashValue=)')
#: what openpyxl (and the zip and XML readers under it) raise for a damaged package
_DAMAGED = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    KeyError,
    ValueError,
    TypeError,
    IndexError,
    AttributeError,
    ParseError,
    SyntaxError,
    zlib.error,
    EOFError,
    UnicodeError,
)


def check_not_read_only(path: Path) -> None:
    """WorkbookError when ``path`` is read-only, or Excel marks it read-only."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise local_file_error(exc, path, "reading") from None
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise WorkbookError(
            f"{path.name} is a read-only file: nothing was changed. Make it writable (file "
            "properties) or refresh a copy."
        )
    try:
        with zipfile.ZipFile(path) as z:
            head = z.read("xl/workbook.xml")[:65536]
    except (OSError, *_DAMAGED):
        return  # the load that follows names what is wrong with it
    sharing = _FILE_SHARING.search(head)
    if sharing and _MARKED.search(sharing.group(0)):
        raise WorkbookError(
            f"{path.name} is marked read-only in Excel (read-only recommended or a password "
            "to modify): nothing was changed. Remove that in Excel (File > Info), or refresh "
            "a copy."
        )


def check_structure(wb: Any, name: str) -> None:
    """WorkbookError when the workbook's structure is protected (sheets cannot be added)."""
    security = getattr(wb, "security", None)
    if security is not None and getattr(security, "lockStructure", False):
        raise WorkbookError(
            f"{name} has a protected workbook structure: nothing was changed. Unprotect it "
            "(Review > Protect Workbook) to refresh it."
        )


def load_workbook_file(
    path: str | os.PathLike[str],
    *,
    keep_vba: bool = False,
    data_only: bool = False,
    keep_links: bool = True,
    warnings_out: list[str] | None = None,
    for_writing: bool = False,
    package: io.BytesIO | None = None,
) -> Any:
    """The openpyxl workbook of ``path``; one-line errors for every way that fails.

    openpyxl's warnings (parts it cannot keep) go to ``warnings_out`` when given, else are
    dropped. ``for_writing`` refuses read-only and structure-protected workbooks first.
    ``package``: the bytes to load instead of the file's (a copy of it without the rows a
    refresh rewrites, :func:`ecore_xl.xlsx.trim.trimmed_package`).
    """
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    target = Path(path)
    if for_writing:
        check_not_read_only(target)
    try:
        # from memory: openpyxl leaves the file open when a damaged part stops it, and a
        # workbook kept with its macros reads them from this buffer again when it is saved
        if package is None:
            package = io.BytesIO(target.read_bytes())
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            wb = openpyxl.load_workbook(
                package, keep_vba=keep_vba, data_only=data_only, keep_links=keep_links
            )
    except (OSError, MemoryError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise LocalFileError(f"{target} does not exist.", path=str(target)) from None
        raise local_file_error(exc, target, "reading") from None
    except (InvalidFileException, *_DAMAGED) as exc:
        raise WorkbookError(
            f"{target.name} is not a readable .xlsx/.xlsm workbook (damaged: "
            f"{type(exc).__name__}): open and re-save it in Excel, or give another file.",
            detail=f"{type(exc).__name__}: {exc}"[:500],
        ) from None
    if warnings_out is not None:
        warnings_out.extend(f"openpyxl: {w.message}" for w in caught)
    if for_writing:
        check_structure(wb, target.name)
    return wb
