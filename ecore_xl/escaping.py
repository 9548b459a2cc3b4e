"""The one rule for API text that leaves the product into a spreadsheet or a CSV file.

Text the API sends is data, never a formula. OWASP's CSV-injection guidance names the characters
a spreadsheet program reads as the start of a formula: ``=``, ``+``, ``-``, ``@``, tab and
carriage return. :func:`formula_like` is the test every writer applies to a text it writes:

- an ``.xlsx`` cell keeps the text exactly (it is stored as a string, never as a formula) and is
  marked *quote prefix*, so that Excel shows it as text and keeps it text when a user edits it;
- a CSV field gets a leading ``'`` (:func:`csv_text`), which every spreadsheet program shows
  and no importer runs.

A number the API sends (``-12.5``) is a number, not text, and is never prefixed.
"""

from __future__ import annotations

__all__ = ["FORMULA_TRIGGERS", "csv_text", "formula_like"]

#: first characters that make a spreadsheet program read a text as a formula (OWASP)
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def formula_like(text: str) -> bool:
    """True when a spreadsheet program could read ``text`` as a formula."""
    return text.startswith(FORMULA_TRIGGERS)


def csv_text(text: str) -> str:
    """``text`` as a CSV field that no spreadsheet program reads as a formula."""
    return "'" + text if formula_like(text) else text
