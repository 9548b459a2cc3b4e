"""Text columns: JSON strings (and nulls) into pandas' ``str`` dtype, built directly.

The dtype is the one ``pd.Series(values, dtype="str")`` gives — Arrow-backed when pyarrow is
installed, Python objects otherwise — and so are the values; only the way there is shorter:

* **Arrow storage**: one ``pyarrow.array`` call (pandas' own constructor checks and converts every
  value first: ~4x slower for a column of 700,800 meter ids);
* **Python storage**: every distinct text is one object shared by all its rows, so a column of a
  year of quarter-hours for 20 meters holds 20 meter ids, not 700,800 copies (8 bytes a cell
  instead of ~60: a frame of 185 MiB becomes ~40 MiB).

Anything but ``str`` and ``None`` in the values (numbers in a text field, lists, NaN) takes
pandas' own path, which converts them as pandas does.
"""

from __future__ import annotations

from collections.abc import Set
from typing import Any

import pandas as pd

__all__ = ["TEXT", "text_series"]

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
