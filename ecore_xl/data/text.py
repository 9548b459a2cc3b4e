"""Text columns: JSON strings (and nulls) into pandas' ``str`` dtype, built directly.

The dtype is the one ``pd.Series(values, dtype="str")`` gives — Arrow-backed when pyarrow is
installed, Python objects otherwise — and so are the values; only the way there is shorter:

* **Arrow storage**: one ``pyarrow.array`` call (pandas' own constructor checks and converts every
  value first: ~4x slower for a column of 700,800 meter ids);
* **Python storage**: every distinct text is one object shared by all its rows, so a column of a
  year of quarter-hours for 20 meters holds 20 meter ids, not 700,800 copies (8 bytes a cell
  instead of ~60: a frame of 185 MiB becomes ~40 MiB);
* **one text in every row** (a request's meter id, unit, type): the column is that text
  repeated, built without looking at each value again (Arrow: its two buffers at once).

Anything but ``str`` and ``None`` in the values (numbers in a text field, lists, NaN) takes
pandas' own path, which converts them as pandas does.
"""

from __future__ import annotations

from collections.abc import Set
from typing import Any

import pandas as pd

__all__ = ["TEXT", "repeated_text", "single_text", "text_series"]

#: the dtype of every text column (pandas' ``str``)
TEXT = pd.api.types.pandas_dtype("str")
_PLAIN = frozenset({str, type(None)})


def text_series(
    values: list[Any], kinds: Set[type] | None = None, *, dtype: Any = TEXT
) -> pd.Series:
    """``pd.Series(values, dtype=dtype)``, built directly when ``values`` are text and nulls.

    ``kinds`` is ``set(map(type, values))`` when the caller has it already; ``dtype`` is
    pandas' ``str`` unless a caller (a test) asks for one storage.
    """
    one = single_text(values)
    if one is not None:
        return repeated_text(one, len(values), dtype=dtype)
    if kinds is None:
        kinds = set(map(type, values))
    if not kinds <= _PLAIN:
        return pd.Series(values, dtype=dtype)
    if getattr(dtype, "storage", "") == "pyarrow":
        import pyarrow as pa

        array = pd.arrays.ArrowStringArray(pa.array(values, type=pa.large_string()), dtype=dtype)
        return pd.Series(array, copy=False)
    shared: dict[Any, Any] = {}
    return pd.Series([shared.setdefault(v, v) for v in values], dtype=dtype)


def single_text(values: list[Any]) -> str | None:
    """The text every value is, when all are one and the same text; else None."""
    if not values or type(values) is not list:
        return None
    first = values[0]
    if type(first) is not str or values[-1] != first:  # most columns differ at the end
        return None
    return first if values == [first] * len(values) else None  # twice list.count's speed


def repeated_text(text: str, rows: int, *, dtype: Any = TEXT) -> pd.Series:
    """``text_series([text] * rows)``, built without the list.

    Arrow: the column's two buffers made at once (offsets ``0, n, 2n, ...``; the text's UTF-8
    ``rows`` times), in memory the records just freed rather than in Arrow's own pool.
    """
    if getattr(dtype, "storage", "") == "pyarrow":
        import numpy as np
        import pyarrow as pa

        raw = text.encode()
        offsets = np.arange(rows + 1, dtype=np.int64) * len(raw)
        array = pa.LargeStringArray.from_buffers(
            rows, pa.py_buffer(offsets), pa.py_buffer(raw * rows)
        )
        return pd.Series(pd.arrays.ArrowStringArray(array, dtype=dtype), copy=False)
    return pd.Series([text] * rows, dtype=dtype)
