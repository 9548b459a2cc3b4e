"""The first rows of a frame on the terminal: blank empty cells, as many columns as fit.

``fetch`` without ``--out`` prints this. Empty cells are blank (not ``NaN``, ``<NA>`` or
``None``, which read like data), long texts are cut with ``…``, the columns that do not fit the
terminal's width are left out and counted, and the last line says what was shown:
"first 10 of 18 rows x 14 columns (8 shown; --out FILE.xlsx for all)".
"""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["HEAD_ROWS", "MAX_CELL", "preview"]

HEAD_ROWS = 10
#: longest cell text shown (more is cut with an ellipsis)
MAX_CELL = 40
_GAP = "  "


def _cell(value: object) -> str:
    import pandas as pd

    try:
        if pd.isna(value):  # type: ignore[call-overload]
            return ""
    except (TypeError, ValueError):  # a list or an array: not a missing scalar
        pass
    if isinstance(value, float):
        text = f"{value:.6g}" if abs(value) < 1e15 else f"{value:.6e}"
    else:
        text = str(value)
    text = " ".join(text.split())
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def _numeric(series: pd.Series) -> bool:
    import pandas as pd

    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def preview(df: pd.DataFrame, *, width: int | None = None, rows: int = HEAD_ROWS) -> str:
    """The first ``rows`` rows of ``df`` as text no wider than ``width`` (the terminal's)."""
    width = width or shutil.get_terminal_size((120, 20)).columns
    total_rows, total_cols = df.shape
    if total_rows == 0:
        return f"(no rows; {total_cols} columns: {', '.join(map(str, df.columns[:12]))})"
    head = df.head(rows)
    columns: list[tuple[str, list[str], bool]] = []
    used = 0
    for name in head.columns:
        cells = [_cell(v) for v in head[name]]
        size = max([len(str(name)), *map(len, cells)])
        if columns and used + len(_GAP) + size > width:
            break
        used += (len(_GAP) if columns else 0) + size
        columns.append((str(name), cells, _numeric(head[name])))
    lines = []
    sizes = [max(len(name), *map(len, cells)) for name, cells, _ in columns]
    lines.append(_GAP.join(name.ljust(s) for (name, _, _), s in zip(columns, sizes, strict=True)))
    for i in range(len(head)):
        lines.append(
            _GAP.join(
                (cells[i].rjust(s) if numeric else cells[i].ljust(s))
                for (_, cells, numeric), s in zip(columns, sizes, strict=True)
            ).rstrip()
        )
    shown_rows = (
        f"first {len(head):,} of {total_rows:,} rows" if total_rows > len(head) else
        f"{total_rows:,} row{'s' if total_rows != 1 else ''}"
    )  # fmt: skip
    shown_cols = f"{total_cols} column{'s' if total_cols != 1 else ''}"
    if len(columns) < total_cols:
        shown_cols += f" ({len(columns)} shown; --out FILE.xlsx for all)"
    lines.append(f"{shown_rows} x {shown_cols}")
    return "\n".join(lines)
