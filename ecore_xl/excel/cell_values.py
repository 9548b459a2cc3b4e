"""A DataFrame's columns as plain values Excel cells can hold, with their default number formats.

Both writers (:class:`~ecore_xl.excel.sheets.OpenpyxlWriter` and
:class:`~ecore_xl.excel.sheets_xlwings.XlwingsWriter`) write the values of :func:`excel_columns`.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ecore_xl.excel_limits import (
    FIRST_EXACT_DATE,
    FIRST_EXACT_DAY,
    MAX_CELL_CHARS,
    MAX_EXACT_INTEGER,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DATETIME_FORMAT",
    "DATE_FORMAT",
    "KINDS",
    "MAX_CELL_CHARS",
    "ColumnData",
    "excel_columns",
    "header_names",
    "plain_value",
]

DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"

log = logging.getLogger("ecore_xl.excel")

_ILLEGAL_CHARS = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


#: what a :class:`ColumnData` holds: typed columns keep a numpy array (the fast writer reads it),
#: the others a list of plain values
KINDS = ("float", "int", "datetime", "timedelta", "bool", "text", "mixed")


@dataclass(frozen=True, eq=False)
class ColumnData:
    """One DataFrame column as plain Python values Excel can hold, and its default format.

    ``data`` is a list of plain values, or for the typed kinds a numpy array: ``float``
    (float64, NaN and infinities are empty cells), ``int`` (int64), ``datetime`` (naive
    ``datetime64[us]``, NaT empty) and ``timedelta`` (``timedelta64[us]``). ``text`` is a list
    of str or None; ``bool`` and ``mixed`` lists of anything :func:`plain_value` returns.
    """

    name: str
    data: Sequence[Any]
    number_format: str | None = None  # None: General
    kind: str = "mixed"

    def __len__(self) -> int:
        return len(self.data)

    @cached_property
    def values(self) -> list[Any]:
        """The cells as plain Python values (None: empty), as openpyxl and xlwings take them."""
        return _as_values(self.data, self.kind)

    def head(self, n: int) -> list[Any]:
        """The first ``n`` values (without converting the whole column)."""
        if isinstance(self.data, list):
            return self.data[:n]
        return _as_values(self.data[:n], self.kind)


def _as_values(data: Any, kind: str) -> list[Any]:
    import numpy as np

    if isinstance(data, list):
        return data
    if kind == "float":
        values = data.tolist()
        if not np.isfinite(data).all():
            values = [v if math.isfinite(v) else None for v in values]
        return values
    if kind in ("datetime", "timedelta"):
        return data.astype(object).tolist()  # NaT -> None
    return data.tolist()


def header_names(columns: Iterable[Any]) -> list[str]:
    """Column labels as unique (case-insensitively), single-line, non-empty strings."""
    seen: set[str] = set()
    out: list[str] = []
    for i, col in enumerate(columns, start=1):
        if isinstance(col, tuple):  # MultiIndex columns (wide layouts)
            col = " ".join(str(c) for c in col if c is not None and str(c) != "")
        text = _clean_text(str(col)).replace("\r", " ").replace("\n", " ").strip()
        text = text or f"Column{i}"
        candidate, n = text, 2
        while candidate.casefold() in seen:
            candidate, n = f"{text}_{n}", n + 1
        seen.add(candidate.casefold())
        out.append(candidate)
    return out


def excel_columns(
    df: pd.DataFrame, formats: Mapping[str, str | None] | None = None
) -> list[ColumnData]:
    """The frame as columns of Excel-ready values.

    tz-aware timestamps become naive UTC (Excel has no time zones; a ``xLocal`` sibling carries
    local time), NaN/NaT/NA become None (empty cells), numpy scalars become Python numbers,
    lists and dicts become text, and text loses characters that XML cannot hold. ``formats``
    (column label -> number format, e.g. from the catalogue's fields) replaces the default
    format of a column that holds numbers.

    What Excel cannot hold exactly is kept as text, with a warning naming the column (once):
    a date before 1900-03-01 (Excel's serials start at 1900 and count a 29 February 1900 that
    never was) becomes ISO text; a text longer than a cell holds is cut to 32,767 characters;
    an integer beyond 2**53 (a float rounds it) becomes its digits.
    """
    names = header_names(df.columns)
    if df.attrs:  # pandas deep-copies attrs (the provenance) into every column taken: once here
        df = df.copy(deep=False)
        df.attrs = {}
    columns = [_exact(_convert(name, s)) for name, (_, s) in zip(names, df.items(), strict=True)]
    if formats:
        for i, label in enumerate(df.columns):
            fmt = formats.get(label) if isinstance(label, str) else None
            if fmt and columns[i].kind in ("float", "int", "mixed"):
                c = columns[i]
                columns[i] = ColumnData(c.name, c.data, fmt, c.kind)
    return columns


def _inexact(value: Any, *, dates: bool = False) -> tuple[Any, str] | None:
    """``(text, why)`` for a value Excel cannot hold exactly, else None (``dates``: a column
    of days, whose midnight is written as the day alone)."""
    kind = type(value)
    if kind is str:
        if len(value) <= MAX_CELL_CHARS:
            return None
        return value[: MAX_CELL_CHARS - 1] + "…", (
            f"a text of {len(value):,} characters is cut to {MAX_CELL_CHARS:,}"
        )
    if kind is int:
        if abs(value) <= MAX_EXACT_INTEGER:
            return None
        return str(value), f"the integer {value} is kept as text (beyond 2^53)"
    if (kind is datetime and value < FIRST_EXACT_DATE) or (
        kind is date and value < FIRST_EXACT_DAY
    ):
        if kind is datetime and not (dates and value.time() == datetime.min.time()):
            text = value.isoformat(sep=" ")
        else:
            text = value.isoformat()[:10]
        return text, f"the date {text} is kept as text (Excel's dates start in 1900)"
    return None


def _suspect(column: ColumnData) -> bool:
    """Whether a column may hold a value Excel cannot hold exactly (typed kinds decided with
    numpy: one look at the extremes, not at every value)."""
    import numpy as np

    data = column.data
    if column.kind == "datetime":
        valid = data[~np.isnat(data)]
        return bool(len(valid)) and valid.min() < np.datetime64(FIRST_EXACT_DATE)
    if column.kind == "int":
        return bool(len(data)) and not (
            data.min() >= -MAX_EXACT_INTEGER and data.max() <= MAX_EXACT_INTEGER
        )
    return column.kind == "mixed"  # texts are cut when their distinct values are cleaned


def _exact(column: ColumnData) -> ColumnData:
    """The column with what Excel cannot hold exactly made text (see :func:`excel_columns`);
    only a column that may hold such a value is looked at value by value."""
    if not _suspect(column):
        return column
    values = list(column.values)
    dates = column.number_format == DATE_FORMAT
    changed: list[str] = []
    for i, v in enumerate(values):
        found = _inexact(v, dates=dates)
        if found is not None:
            values[i], why = found
            changed.append(why)
    if not changed:
        return column
    more = f" (and {len(changed) - 1} more)" if len(changed) > 1 else ""
    log.warning("Column %r: %s%s.", column.name, changed[0], more)
    return ColumnData(column.name, values, column.number_format, "mixed")


def _convert(name: str, s: pd.Series) -> ColumnData:
    import numpy as np
    import pandas as pd

    dtype = s.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
        dtype = s.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "M":
        arr = s.to_numpy(dtype="datetime64[us]")
        valid = arr[~np.isnat(arr)]
        midnight = bool((valid.astype("datetime64[D]") == valid).all()) if len(valid) else False
        return ColumnData(name, arr, DATE_FORMAT if midnight else DATETIME_FORMAT, "datetime")
    if isinstance(dtype, np.dtype) and dtype.kind == "m":
        arr = s.to_numpy(dtype="timedelta64[us]")
        return ColumnData(name, arr, "[h]:mm:ss", "timedelta")
    if pd.api.types.is_bool_dtype(dtype):
        return ColumnData(name, [None if v is None else bool(v) for v in _objects(s)], None, "bool")
    if pd.api.types.is_numeric_dtype(dtype):
        if pd.api.types.is_integer_dtype(dtype) and not s.hasnans:
            return ColumnData(name, s.to_numpy(dtype="int64"), None, "int")
        return ColumnData(name, s.to_numpy(dtype="float64", na_value=np.nan), None, "float")
    text = _text_column(name, s)
    if text is not None:
        return text
    values = [plain_value(v) for v in _objects(s)]
    kinds = {type(v) for v in values if v is not None}
    fmt = None
    if kinds and kinds <= {datetime}:
        fmt = DATETIME_FORMAT
    elif kinds and kinds <= {date}:
        fmt = DATE_FORMAT
    return ColumnData(name, values, fmt, "text" if kinds <= {str} else "mixed")


def _text_column(name: str, s: pd.Series) -> ColumnData | None:
    """A column of texts (and empties), each distinct text converted once; None for any other
    column (numbers, dates or lists among the values, which :func:`plain_value` takes one by
    one: equal numbers of different types must not be merged)."""
    import numpy as np
    import pandas as pd

    if len(s) <= _FEW_TEXTS:
        few = _arrow_texts(s)
        if few is not None:
            distinct = list(dict.fromkeys(t for t in few if t is not None))
            cells = dict(zip(distinct, _cell_texts(name, distinct), strict=True))
            return ColumnData(name, [None if t is None else cells[t] for t in few], None, "text")
    try:
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
    except TypeError:  # unhashable values: lists, dicts
        return None
    distinct = list(uniques)
    if not all(type(u) is str for u in distinct):
        return None
    cleaned = np.array([None, *_cell_texts(name, distinct)], dtype=object)
    return ColumnData(name, cleaned[codes + 1], None, "text")


def _cell_texts(name: str, distinct: list[str]) -> list[str]:
    """Each distinct text of a column as a cell holds it: cleaned, and cut (with a warning)
    where longer than a cell holds."""
    texts = [_clean_text(u) for u in distinct]
    long = [i for i, t in enumerate(texts) if len(t) > MAX_CELL_CHARS]
    if long:
        first = texts[long[0]]
        more = f" (and {len(long) - 1} more)" if len(long) > 1 else ""
        log.warning(
            "Column %r: a text of %s characters is cut to %s%s.",
            name, f"{len(first):,}", f"{MAX_CELL_CHARS:,}", more,
        )  # fmt: skip
        for i in long:
            texts[i] = texts[i][: MAX_CELL_CHARS - 1] + "…"
    return texts


#: up to this many rows, a text column pyarrow holds (pandas' ``str`` dtype) is read through
#: pyarrow: ~4 us for 24 texts where factorize or to_numpy take 0.15 ms a column (a warm formula)
_FEW_TEXTS = 5_000


def _arrow_texts(s: pd.Series) -> list[str | None] | None:
    """The texts of a pyarrow-backed string column (None: empty), or None for a column
    pyarrow does not hold as text."""
    import pandas as pd

    to_arrow = getattr(s.array, "__arrow_array__", None)
    if to_arrow is None or not pd.api.types.is_string_dtype(s.dtype):
        return None
    try:
        import pyarrow as pa
    except ImportError:  # python-backed strings without pyarrow: factorize takes them
        return None
    arrow = to_arrow()
    if not (pa.types.is_string(arrow.type) or pa.types.is_large_string(arrow.type)):
        return None
    return arrow.to_pylist()  # type: ignore[no-any-return]


def _objects(s: pd.Series) -> list[Any]:
    return s.to_numpy(dtype=object, na_value=None).tolist()


def plain_value(v: Any) -> Any:
    """One object cell as a value openpyxl and xlwings accept."""
    import numpy as np
    import pandas as pd

    if v is None:
        return None
    if isinstance(v, str):
        return _clean_text(v)
    if isinstance(v, bool | int):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, np.generic):
        return plain_value(v.item())
    if isinstance(v, pd.Timestamp):
        if v is pd.NaT:
            return None
        v = v.to_pydatetime()
    if isinstance(v, datetime):
        if v.tzinfo is not None:
            from datetime import UTC

            v = v.astimezone(UTC).replace(tzinfo=None)
        return v
    if isinstance(v, date | timedelta):
        return v
    if v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, list | tuple | set | frozenset):
        items = [plain_value(x) for x in v]
        if all(isinstance(x, str | int | float) for x in items):
            return _clean_text(", ".join(str(x) for x in items))
        return _clean_text(json.dumps(list(v), default=str, ensure_ascii=False))
    if isinstance(v, dict):
        return _clean_text(json.dumps(v, default=str, ensure_ascii=False))
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return _clean_text(str(v))


def _clean_text(text: str) -> str:
    """Drop control characters that XML (and so .xlsx) cannot store (overlong text is cut by
    :func:`_exact`, with a warning)."""
    return _ILLEGAL_CHARS.sub("", text)
