"""TTLCache: expiry on an injected clock, LRU bounds, coalescing of concurrent loads."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from ecore_xl.data.cache import TTLCache


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def counting(value: object) -> tuple[Callable[[], object], list[int]]:
    calls: list[int] = []

    def loader() -> object:
        calls.append(1)
        return value

    return loader, calls


def test_hit_until_ttl_expires() -> None:
    clock = FakeClock()
    cache = TTLCache(clock=clock)
    loader, calls = counting("v")
    assert cache.get_or_load("k", loader, ttl=60) == "v"
    clock.now += 59.9
    assert cache.get_or_load("k", loader, ttl=60) == "v"
    assert len(calls) == 1
    clock.now += 0.1
    assert "k" not in cache
    assert cache.get_or_load("k", loader, ttl=60) == "v"
    assert len(calls) == 2
    s = cache.stats
    assert (s.hits, s.misses, s.loads, s.entries) == (1, 2, 2, 1)


def test_refresh_bypasses_a_fresh_entry() -> None:
    cache = TTLCache(clock=FakeClock())
    loader, calls = counting("v")
    cache.get_or_load("k", loader, ttl=60)
    cache.get_or_load("k", loader, ttl=60, refresh=True)
    assert len(calls) == 2


def test_zero_ttl_stores_nothing() -> None:
    cache = TTLCache(clock=FakeClock())
    loader, calls = counting("v")
    cache.get_or_load("k", loader, ttl=0)
    cache.get_or_load("k", loader, ttl=0)
    assert len(calls) == 2
    assert len(cache) == 0


def test_peek_stale_only_when_allowed() -> None:
    clock = FakeClock()
    cache = TTLCache(clock=clock)
    cache.put("k", "v", ttl=10)
    clock.now += 11
    assert cache.peek("k") is None
    assert cache.peek("k", allow_stale=True) == "v"


def test_exceptions_are_not_cached() -> None:
    cache = TTLCache(clock=FakeClock())

    def boom() -> object:
        raise RuntimeError("down")

    with pytest.raises(RuntimeError):
        cache.get_or_load("k", boom, ttl=60)
    assert cache.get_or_load("k", lambda: "ok", ttl=60) == "ok"
    assert cache.stats.errors == 1


def test_lru_entry_bound() -> None:
    cache = TTLCache(max_entries=2, clock=FakeClock())
    cache.put("a", 1, ttl=60)
    cache.put("b", 2, ttl=60)
    assert cache.peek("a") == 1  # a is now the most recently used
    cache.put("c", 3, ttl=60)
    assert cache.peek("b") is None
    assert cache.peek("a") == 1
    assert cache.stats.evictions == 1


class Sized:
    def __init__(self, nbytes: int) -> None:
        self.nbytes = nbytes


def test_byte_budget() -> None:
    cache = TTLCache(max_bytes=100, clock=FakeClock())
    cache.put("a", Sized(60), ttl=60)
    cache.put("b", Sized(30), ttl=60)
    assert cache.stats.bytes == 90
    cache.put("c", Sized(30), ttl=60)  # evicts a
    assert cache.peek("a") is None
    assert cache.stats.bytes == 60
    cache.put("huge", Sized(101), ttl=60)  # larger than the budget: not kept
    assert cache.peek("huge") is None
    assert cache.stats.entries == 2


def test_concurrent_identical_loads_run_once() -> None:
    cache = TTLCache()
    release = threading.Event()
    calls: list[int] = []

    def slow() -> object:
        calls.append(1)
        release.wait(10)
        return object()

    results: list[object] = []
    lock = threading.Lock()

    def worker() -> None:
        value = cache.get_or_load("k", slow, ttl=60)
        with lock:
            results.append(value)

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for t in threads:
        t.start()
    while cache.stats.coalesced < 19:  # every other thread is waiting on the one load
        threading.Event().wait(0.005)
    release.set()
    for t in threads:
        t.join(10)
    assert len(calls) == 1
    assert len(results) == 20
    assert all(r is results[0] for r in results)


def test_concurrent_waiters_share_the_exception() -> None:
    cache = TTLCache()
    release = threading.Event()
    calls: list[int] = []

    def failing() -> object:
        calls.append(1)
        release.wait(10)
        raise ValueError("api down")

    errors: list[BaseException] = []

    def worker() -> None:
        try:
            cache.get_or_load("k", failing, ttl=60)
        except ValueError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(5)]
    for t in threads:
        t.start()
    while cache.stats.coalesced < 4:
        threading.Event().wait(0.005)
    release.set()
    for t in threads:
        t.join(10)
    assert len(calls) == 1
    assert len(errors) == 5
    assert len({id(e) for e in errors}) == 1
    assert len(cache) == 0
