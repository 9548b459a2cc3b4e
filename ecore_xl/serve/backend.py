"""One backend: the one data service every caller shares, and how blocking calls are run.

* **One** :class:`~ecore_xl.data.DataService`, so its TTL cache and its coalescing are shared
  by every caller: 30 users' workbooks asking the same question make one API request.
* Blocking data calls run **off the event loop**, on a bounded pool (``workers`` threads); a
  call whose question was answered within the cache TTL runs on a second small pool
  (``hit_workers``), so a pool full of calls waiting for a slow API never delays an answer that
  is already cached. The catalogue, the status and job progress never wait for a thread.
* A function's table answer is kept while the data under it is fresh
  (:func:`~ecore_xl.serve.tables.remember_answer`): asked again, it is answered on the event loop
  at once, with no thread and no conversion.
* Identical calls in flight at once (same function, same arguments) share one run: 50 cells
  asking one question hold one thread, not 50 (the data layer would coalesce their API
  requests anyway; this spares the threads and the JSON conversion).
* Every call is bounded by ``deadline`` seconds: past it the caller gets
  :class:`~ecore_xl.errors.DeadlineExceededError` (504); the work goes on, and its answer lands
  in the cache for the next call.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from ecore_xl.errors import DeadlineExceededError

if TYPE_CHECKING:
    from ecore_xl.data import DataService
    from ecore_xl.serve.jobs import Jobs
    from ecore_xl.serve.options import ServeOptions

__all__ = ["Backend", "BackendStats"]

T = TypeVar("T")
_ANSWERED_KEEP = 10_000  # questions remembered as recently answered (for the fast lane)


@dataclass
class BackendStats:
    """What the backend did since it started (``/api/v1/status``)."""

    calls: int = 0
    answered_at_once: int = 0  # a table answer kept while its data is fresh: no thread
    shared: int = 0  # calls that joined an identical one in flight
    fast_lane: int = 0
    deadline_exceeded: int = 0
    in_flight: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


class Backend:
    """The data service, the pools, the deadline and the jobs of one ``ecore-xl serve``."""

    def __init__(self, service: DataService, options: ServeOptions) -> None:
        from ecore_xl.serve.jobs import Jobs

        self.service = service
        self.options = options
        self.stats = BackendStats()
        self.jobs: Jobs = Jobs(self)
        self._loads = ThreadPoolExecutor(options.workers, thread_name_prefix="ecore-serve")
        self._hits = ThreadPoolExecutor(options.hit_workers, thread_name_prefix="ecore-serve-hit")
        self._inflight: dict[Hashable, asyncio.Future[Any]] = {}
        self._answered: OrderedDict[Hashable, float] = OrderedDict()
        self._lock = threading.Lock()
        self.started = time.time()

    def _recent(self, key: Hashable) -> bool:
        with self._lock:
            when = self._answered.get(key)
        return when is not None and time.monotonic() - when < self.service.settings.cache_ttl

    def _finished(self, key: Hashable, fut: asyncio.Future[Any]) -> None:
        self._inflight.pop(key, None)
        self.stats.in_flight = len(self._inflight)
        if not fut.cancelled() and fut.exception() is None:
            with self._lock:
                self._answered[key] = time.monotonic()
                self._answered.move_to_end(key)
                while len(self._answered) > _ANSWERED_KEEP:
                    self._answered.popitem(last=False)

    async def call(self, key: Hashable, fn: Callable[[], T]) -> T:
        """``fn()`` on a pool thread, shared by identical ``key``s in flight, within the
        deadline."""
        self.stats.calls += 1
        fut = self._inflight.get(key)
        if fut is None:
            fast = self._recent(key)
            self.stats.fast_lane += fast
            pool = self._hits if fast else self._loads
            fut = asyncio.wrap_future(pool.submit(fn))
            self._inflight[key] = fut
            self.stats.in_flight = len(self._inflight)
            fut.add_done_callback(lambda f, key=key: self._finished(key, f))
        else:
            self.stats.shared += 1
        return await self._within_deadline(fut)

    async def background(self, fn: Callable[[], T]) -> T:
        """``fn()`` on the loads pool, not shared, without the request deadline (jobs)."""
        return await asyncio.wrap_future(self._loads.submit(fn))

    async def _within_deadline(self, fut: asyncio.Future[T]) -> T:
        deadline = self.options.deadline
        try:
            return await asyncio.wait_for(asyncio.shield(fut), deadline)
        except TimeoutError:
            self.stats.deadline_exceeded += 1
            raise DeadlineExceededError(
                f"The eCore API did not answer within {deadline:g} s: the answer is kept when it "
                "comes; recalculate in a minute (or raise the backend's --deadline)."
            ) from None

    def close(self) -> None:
        """Stop the pools (running calls finish) and close the data service."""
        self.jobs.close()
        self._loads.shutdown(wait=False, cancel_futures=True)
        self._hits.shutdown(wait=False, cancel_futures=True)
        self.service.close()
