"""Python's cyclic garbage collector paused while loads parse and type pages.

A year of quarter-hours for 20 meters is ~700,000 JSON records: each becomes a dict of small
texts and numbers for a moment, between the page's parse and its frame part. None of them is in
a reference cycle (reference counting frees them), but every 700 new objects the collector walks
the young ones, and every so often all of them: ~20% of a load's CPU spent finding nothing
(``benchmarks/bench_fetch.py``). So while any load runs, the collector waits; it resumes when the
last one ends, as it was (a caller that had disabled it keeps it disabled). Cycles made meanwhile
are collected then. Nestable and thread-safe: loads overlap on the service's threads. Where
loads overlap without end (``ecore-xl serve`` under steady use), a load that ends after the
collector has waited :data:`LONGEST_PAUSE_S` collects once itself, so cycles never pile up.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["LONGEST_PAUSE_S", "paused"]

#: seconds the collector may wait while loads keep overlapping, before one collects anyway
LONGEST_PAUSE_S = 30.0

_lock = threading.Lock()
_depth = 0
_resume = False  # whether the collector was enabled when the first load paused it
_since = 0.0  # when the collector last ran or was paused (time.monotonic)


@contextmanager
def paused() -> Iterator[None]:
    """The collector disabled for the ``with`` block (and any overlapping one)."""
    global _depth, _resume, _since
    with _lock:
        if _depth == 0:
            _resume = gc.isenabled()
            _since = time.monotonic()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        overdue = False
        with _lock:
            _depth -= 1
            if _depth == 0 and _resume:
                gc.enable()
            elif _resume and time.monotonic() - _since > LONGEST_PAUSE_S:
                _since, overdue = time.monotonic(), True
        if overdue:  # other loads still run: collect once here, outside the lock
            gc.collect()
