"""Time columns a load parsed a moment ago, and what they gave: the meters of a fetch share them.

A year of quarter-hours for 20 meters is 240 requests (a meter and a month each), and the 20
meters of a month send the same 2,976 instants. The first is parsed; the other 19 only compare
their texts with it (list equality: ~16 ns a value, where parsing one and giving its local time
costs ~450 ns). The comparison is exact — a column that differs anywhere is parsed on its own —
and what is handed out is a copy, so no two frames share memory. One :class:`RecentTimes` per
load (the service's plan run), bounded in rows.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # ecore_xl.data imports no pandas until a frame is built
    import pandas as pd

__all__ = ["MAX_ROWS_KEPT", "ParsedTimes", "RecentTimes"]

#: rows of time text kept at most (~100 bytes a row with both parsed columns: ~5 MB): a plan
#: runs meter by meter, so a meter's year of quarter-hours (35,040) must fit for the next's
MAX_ROWS_KEPT = 50_000
#: a column shorter than this is parsed again (cheap), not kept
MIN_ROWS = 64

#: the UTC column, its local wall-clock sibling, and the parsing choices made (``notes`` kinds)
ParsedTimes = tuple["pd.Series", "pd.Series", tuple[str, ...]]


class RecentTimes:
    """The last time columns parsed (their texts and results), newest last."""

    def __init__(self, max_rows: int = MAX_ROWS_KEPT, min_rows: int = MIN_ROWS) -> None:
        self._max_rows, self._min_rows = max_rows, min_rows
        self._rows = 0
        self._kept: OrderedDict[tuple[Hashable, ...], tuple[list[Any], ParsedTimes]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def rows(self) -> int:
        """Rows of time text kept now."""
        return self._rows

    def _key(self, how: Hashable, values: Sequence[Any]) -> tuple[Hashable, ...] | None:
        """Where ``values`` would be kept: only columns of ISO text (epochs are cheap to
        parse), of at least ``min_rows``."""
        if len(values) < self._min_rows or type(values[0]) is not str:
            return None
        last = values[-1]
        return (how, len(values), values[0], last) if type(last) is str else None

    def get(self, how: Hashable, values: list[Any]) -> ParsedTimes | None:
        """A copy of what ``values`` parsed to under ``how`` (the dialect's time rules and the
        zone), when exactly these texts were parsed so; else None."""
        key = self._key(how, values)
        if key is None:
            return None
        with self._lock:
            found = self._kept.get(key)
            if found is not None:
                self._kept.move_to_end(key)
        if found is None or found[0] != values:
            return None
        utc, local, kinds = found[1]
        return utc.copy(), local.copy(), kinds

    def put(self, how: Hashable, values: list[Any], parsed: ParsedTimes) -> None:
        """Keep ``values`` and what they parsed to (the oldest go beyond the row bound)."""
        rows = len(values)
        key = self._key(how, values)
        if key is None or rows > self._max_rows:
            return
        utc, local, kinds = parsed
        with self._lock:
            old = self._kept.pop(key, None)
            if old is not None:
                self._rows -= len(old[0])
            self._kept[key] = (values, (utc.copy(), local.copy(), kinds))
            self._rows += rows
            while self._rows > self._max_rows:
                _, (dropped, _) = self._kept.popitem(last=False)
                self._rows -= len(dropped)
