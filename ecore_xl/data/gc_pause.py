"""Python's cyclic garbage collector paused while loads parse and type pages.

A year of quarter-hours for 20 meters is ~700,000 JSON records: each becomes a dict of small
texts and numbers for a moment, between the page's parse and its frame part. None of them is in
a reference cycle (reference counting frees them), but every 700 new objects the collector walks
the young ones, and every so often all of them: ~20% of a load's CPU spent finding nothing
(``benchmarks/bench_fetch.py``). So while any load runs, the collector waits; it resumes when the
last one ends, as it was (a caller that had disabled it keeps it disabled). Cycles made meanwhile
are collected then. Nestable and thread-safe: loads overlap on the service's threads.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused"]

_lock = threading.Lock()
_depth = 0
_resume = False  # whether the collector was enabled when the first load paused it


@contextmanager
def paused() -> Iterator[None]:
    """The collector disabled for the ``with`` block (and any overlapping one)."""
    global _depth, _resume
    with _lock:
        if _depth == 0:
            _resume = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _resume:
                gc.enable()
