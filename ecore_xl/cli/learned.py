"""What ``catalogue import`` and ``catalogue probe`` learned, as the lines they print.

One table per dataset (the API-wide declarations first): what was found, how sure (``seen``: the
collection or the API shows it; ``likely``: by meaning; ``guess``: written, but check it), and
whether the override declares it. Then what could not be placed (nothing written for it) and the
problems no declaration fixes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ecore_xl.catalogue.learn import Finding, Learning

__all__ = ["LEGEND", "finding_lines"]

LEGEND = (
    "SURE: seen = the answer shows it; likely = by meaning; guess = written, check it. "
    "Nothing marked 'not placed' was written."
)
_MARK = {"change": "declared", "ok": "as is", "unplaced": "not placed", "problem": "PROBLEM"}


def _table(rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        indent + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in rows
    ]


def finding_lines(learning: Learning, order: Iterable[str], *, show_ok: bool = False) -> list[str]:
    """The printout: API-wide, then each dataset of ``order`` that has findings."""
    lines: list[str] = []
    for name in ("", *order):
        found = [f for f in learning.of(name) if show_ok or f.status != "ok" or _headline(f)]
        if not found:
            continue
        found.sort(key=lambda f: not _headline(f))  # which request serves it, first
        lines.append("API-wide" if name == "" else name)
        rows = [["WHAT", "FOUND", "SURE", "FILE"]]
        rows += [[f.subject, f.says, f.sure, _MARK[f.status]] for f in found]
        lines.extend(_table(rows))
        lines.append("")
    return lines


def _headline(f: Finding) -> bool:
    """The line that says which request (or path) serves a dataset: always shown."""
    return f.subject in ("dataset", "path")
