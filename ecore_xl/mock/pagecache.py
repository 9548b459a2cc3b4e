"""The serialised bytes of answers the mock gives again and again (volumes pages), bounded in bytes.

An answer is kept under a key holding everything that decides its bytes (the server builds it:
path, query pairs in their order, the headers the paging reads, page size, base URL, the extra
fields served there), so a kept answer is byte for byte the one the mock would build again; the
least recently used ones go first once ``max_bytes`` of bodies are kept (0: nothing is kept).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Kept:
    """An answer as it goes on the wire, before the per-response headers."""

    status: int
    payload: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)
    page: bool = False


class PageCache:
    """A thread-safe LRU of :class:`Kept` answers holding at most ``max_bytes`` of payload."""

    def __init__(self, max_bytes: int) -> None:
        if max_bytes < 0:
            raise ValueError("max_bytes must be 0 (keep nothing) or more")
        self.max_bytes = max_bytes
        self.size = 0
        self.hits = 0
        self.misses = 0
        self._kept: OrderedDict[Hashable, Kept] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Kept | None:
        with self._lock:
            kept = self._kept.get(key)
            if kept is None:
                self.misses += 1
                return None
            self._kept.move_to_end(key)
            self.hits += 1
            return kept

    def put(self, key: Hashable, kept: Kept) -> None:
        n = len(kept.payload)
        if n > self.max_bytes:
            return
        with self._lock:
            old = self._kept.pop(key, None)
            if old is not None:
                self.size -= len(old.payload)
            self._kept[key] = kept
            self.size += n
            while self.size > self.max_bytes:
                _, dropped = self._kept.popitem(last=False)
                self.size -= len(dropped.payload)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
            self.size = 0

    def __len__(self) -> int:
        return len(self._kept)
