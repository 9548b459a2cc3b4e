"""Memory estimates for the cache budget: what a frame or a list of records really holds.

Cheap (sampling, never a pass over every cell) and honest within a few percent for the frames
this package builds: a year of quarter-hours for 20 meters (700,800 rows, 4 text columns) is
~195 MB as a frame, which ``DataFrame.memory_usage(deep=True)`` confirms in half a second and
:func:`frame_nbytes` in a millisecond.

* :func:`frame_nbytes` — the frame's arrays (``memory_usage(deep=False)``) plus, for each column
  of Python objects (``str`` with Python storage, ``object``), the mean size of a sample of its
  cells (nulls count 0) times the number of rows. Cells shared between rows are counted once per
  row, so a frame whose text cells are shared objects is over- rather than under-estimated.
* :func:`records_nbytes` — JSON records as dicts: the list, and a sample of records (the dict
  plus its values, one level of nesting deep) times their number.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["frame_nbytes", "records_nbytes"]

#: cells or records looked at per column or list
SAMPLE = 64
_POINTER = 8


def _sample_positions(n: int) -> range:
    return range(0, n, max(1, n // SAMPLE))


def frame_nbytes(df: pd.DataFrame) -> int:
    """The memory ``df`` holds, estimated from its arrays and a sample of its object cells."""
    total = int(df.memory_usage(index=True, deep=False).sum())
    for _, column in df.items():
        if column.dtype != object and getattr(column.dtype, "storage", "") != "python":
            continue
        values = column.array
        sample = [values[i] for i in _sample_positions(len(values))]
        if sample:  # null cells (None, NaN) are shared objects: they count 0
            cells = sum(0 if _is_null(v) else _deep(v) for v in sample)
            total += len(values) * cells // len(sample)
    return total


def _is_null(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def records_nbytes(records: Sequence[Mapping[str, Any]]) -> int:
    """The memory of JSON records as dicts, estimated from a sample of them."""
    n = len(records)
    if not n:
        return sys.getsizeof(records)
    sizes = [_deep(records[i]) for i in _sample_positions(n)]
    return sys.getsizeof(records) + n * sum(sizes) // len(sizes)


def _deep(value: Any, depth: int = 2) -> int:
    """``sys.getsizeof`` of a value and, ``depth`` levels down, of what it holds (not keys)."""
    size = sys.getsizeof(value)
    if depth <= 0:
        return size
    if isinstance(value, Mapping):
        return size + sum(_deep(v, depth - 1) for v in value.values())
    if isinstance(value, list | tuple):
        return size + sum(_deep(v, depth - 1) for v in value)
    return size
