"""The one rule for API text that leaves the product into a spreadsheet or a CSV file.

Text the API sends is data, never a formula. OWASP's CSV-injection guidance names the characters
a spreadsheet program reads as the start of a formula: ``=``, ``+``, ``-``, ``@``, tab and
carriage return. :func:`formula_like` is the test every writer applies to a text it writes:

- an ``.xlsx`` cell keeps the text exactly (it is stored as a string, never as a formula) and is
  marked *quote prefix*, so that Excel shows it as text and keeps it text when a user edits it;
- a CSV field gets a leading ``'`` (:func:`csv_text`), which every spreadsheet program shows
  and no importer runs (:func:`csv_frame` does it for a whole frame, column names included);
- inside a template's own formula a value becomes a string literal (:func:`formula_string`);
- a page header or footer doubles ``&`` (:func:`header_footer_text`): ``&P``, ``&"font"``,
  ``&12`` in API text would otherwise be codes, and ``S&P Strom & Gas`` would print mangled;
- a sheet name loses the characters Excel forbids there (:func:`sheet_title`).

A number the API sends (``-12.5``) is a number, not text, and is never prefixed.

Escaping is on by default. A trusted pipeline that wants the bytes exactly as sent turns the
prefix off with ``ECORE_ESCAPE_FORMULAS=0`` or ``--no-escape`` (``fetch``, ``report``); even
then a text is never *written as* a formula, and ``&`` in headers is still doubled (that is
correctness, not escaping).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FORMULA_TRIGGERS",
    "MAX_HEADER_FOOTER_VALUE",
    "csv_frame",
    "csv_text",
    "formula_like",
    "formula_string",
    "header_footer_text",
    "sheet_title",
    "strip_control",
]

#: first characters that make a spreadsheet program read a text as a formula (OWASP)
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
#: what an importer may trim before it looks (LibreOffice's "Trim spaces", a field's line break,
#: a byte-order mark): a trigger behind these counts too
_TRIMMED = " \n\u00a0\ufeff\u200b"
#: characters of one value in a page header or footer (Excel allows 255 for the whole part)
MAX_HEADER_FOOTER_VALUE = 80
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f]")


def formula_like(text: str) -> bool:
    """True when a spreadsheet program could read ``text`` as a formula: it starts with a
    trigger, or with one behind spaces, line breaks or invisible characters an importer trims."""
    return text.startswith(FORMULA_TRIGGERS) or text.lstrip(_TRIMMED).startswith(FORMULA_TRIGGERS)


def csv_text(text: str) -> str:
    """``text`` as a CSV field that no spreadsheet program reads as a formula."""
    return "'" + text if formula_like(text) else text


def _csv_value(value: Any) -> Any:
    return csv_text(value) if isinstance(value, str) else value


def csv_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells and column names are :func:`csv_text`; numbers, dates
    and booleans unchanged. Only text columns are copied."""
    import pandas as pd

    out = df.copy(deep=False)
    for i in range(out.shape[1]):
        column = out.iloc[:, i]
        if pd.api.types.is_object_dtype(column.dtype) or pd.api.types.is_string_dtype(column.dtype):
            out.isetitem(i, column.map(_csv_value, na_action="ignore"))
    out.columns = [_csv_value(c) if not isinstance(c, tuple) else tuple(map(_csv_value, c))
                   for c in out.columns]  # fmt: skip
    return out


def formula_string(text: str) -> str:
    """``text`` as a string literal inside a formula, quotes doubled (never formula code)."""
    return '"' + strip_control(text).replace('"', '""') + '"'


def strip_control(text: str) -> str:
    """``text`` without the control characters XML (and so .xlsx) cannot hold (tab, LF and CR
    are kept)."""
    return _CONTROL.sub("", text)


def header_footer_text(text: str, *, limit: int = MAX_HEADER_FOOTER_VALUE) -> str:
    """A value for a page header or footer: ``&`` doubled (so it prints as written and no code
    comes from it), control characters and line breaks removed, at most ``limit`` characters."""
    line = " ".join(strip_control(text).split())
    if len(line) > limit:
        line = line[: limit - 1] + "…"
    return line.replace("&", "&&")


def sheet_title(text: str, *, fallback: str = "Sheet") -> str:
    """``text`` as a valid Excel sheet name: no ``[]:*?/\\`` or control characters, no leading
    or trailing apostrophe, at most 31 characters, never empty or ``History`` (reserved)."""
    title = _SHEET_FORBIDDEN.sub("_", text).strip().strip("'").strip()[:31].rstrip("'")
    if not title or title.casefold() == "history":
        return fallback
    return title
