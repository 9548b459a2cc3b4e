"""In-memory TTL cache with request coalescing.

``cache.get_or_load(key, loader, ttl=...)`` returns the stored value while it is fresh; otherwise
it calls ``loader()`` once, however many threads ask for the same key at the same moment: the
others wait for that one load and get the same value, or the same exception. Exceptions are not
stored, so the next call tries again.

Bounds (whichever bites first evicts the least recently used entries):

* ``max_entries`` (default 256) — Excel recalculating a sheet of formulas asks for many small
  things;
* ``max_bytes`` (default 512 MiB) measured by ``sizeof(value)`` when it is stored — one year of
  quarter-hours for a few meters is hundreds of thousands of records, so the count alone would
  not bound memory. The default ``sizeof`` asks the value for ``nbytes`` and counts 0 otherwise;
  the service's results measure what they hold (page bytes and frames, :mod:`.sizes`): a year of
  quarter-hours for 20 meters is ~280 MB and is kept. A value larger than the whole budget is
  returned but not kept.

Expired entries stay until evicted, so :meth:`TTLCache.peek` can still answer with stale data when
asked to (offline mode: stale data beats no data). ``clock`` is injectable for tests.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

__all__ = ["CacheStats", "TTLCache"]

T = TypeVar("T")

DEFAULT_MAX_ENTRIES = 256
DEFAULT_MAX_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class CacheStats:
    """A snapshot of the cache counters."""

    entries: int
    bytes: int
    hits: int
    misses: int
    loads: int
    coalesced: int
    errors: int
    evictions: int

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class _Entry(Generic[T]):
    value: T
    expires: float
    size: int


def _default_sizeof(value: Any) -> int:
    size = getattr(value, "nbytes", 0)
    return int(size) if isinstance(size, (int, float)) else 0


class TTLCache:
    """Thread-safe TTL + LRU cache whose concurrent identical loads run once."""

    def __init__(
        self,
        *,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        max_bytes: int = DEFAULT_MAX_BYTES,
        sizeof: Callable[[Any], int] = _default_sizeof,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._sizeof = sizeof
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, _Entry[Any]] = OrderedDict()
        self._inflight: dict[Hashable, Future[Any]] = {}
        self._bytes = 0
        self._hits = self._misses = self._loads = 0
        self._coalesced = self._errors = self._evictions = 0

    # ---- reading ------------------------------------------------------------------------------

    def get_or_load(
        self, key: Hashable, loader: Callable[[], T], *, ttl: float, refresh: bool = False
    ) -> T:
        """The fresh value for ``key``, loading it (once across threads) when there is none.

        ``refresh=True`` ignores a stored value (but joins a load already running, which is
        fresh anyway). ``ttl <= 0`` stores nothing: only concurrent calls share the load.
        """
        with self._lock:
            if not refresh:
                entry = self._entries.get(key)
                if entry is not None and entry.expires > self._clock():
                    self._entries.move_to_end(key)
                    self._hits += 1
                    return entry.value  # type: ignore[no-any-return]
            self._misses += 1
            future = self._inflight.get(key)
            owner = future is None
            if future is None:
                future = Future()
                self._inflight[key] = future
            else:
                self._coalesced += 1
        if not owner:
            return future.result()  # type: ignore[no-any-return]
        try:
            value = loader()
        except BaseException as exc:
            with self._lock:
                self._loads += 1
                self._errors += 1
                del self._inflight[key]
            future.set_exception(exc)
            raise
        with self._lock:
            self._loads += 1
            del self._inflight[key]
            if ttl > 0:
                self._store(key, value, ttl)
        future.set_result(value)
        return value

    def peek(self, key: Hashable, *, allow_stale: bool = False) -> Any | None:
        """The stored value without loading (None if absent or, unless allowed, expired)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or (not allow_stale and entry.expires <= self._clock()):
                return None
            self._entries.move_to_end(key)
            self._hits += 1
            return entry.value

    # ---- writing ------------------------------------------------------------------------------

    def put(self, key: Hashable, value: Any, *, ttl: float) -> None:
        """Store ``value`` for ``ttl`` seconds."""
        with self._lock:
            self._store(key, value, ttl)

    def invalidate(self, key: Hashable | None = None) -> None:
        """Forget one key, or everything when ``key`` is None."""
        with self._lock:
            if key is None:
                self._entries.clear()
                self._bytes = 0
            elif (entry := self._entries.pop(key, None)) is not None:
                self._bytes -= entry.size

    clear = invalidate

    def _store(self, key: Hashable, value: Any, ttl: float) -> None:
        size = max(0, self._sizeof(value))
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= old.size
        if size > self.max_bytes:
            return
        self._entries[key] = _Entry(value, self._clock() + ttl, size)
        self._bytes += size
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self._bytes -= evicted.size
            self._evictions += 1

    # ---- introspection ------------------------------------------------------------------------

    @property
    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(
                entries=len(self._entries),
                bytes=self._bytes,
                hits=self._hits,
                misses=self._misses,
                loads=self._loads,
                coalesced=self._coalesced,
                errors=self._errors,
                evictions=self._evictions,
            )

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            entry = self._entries.get(key)  # type: ignore[call-overload]
            return entry is not None and entry.expires > self._clock()
