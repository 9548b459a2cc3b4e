"""Total deadlines for HTTP requests: a trickling or silent server cannot hold a call past one.

``requests``' timeouts are per socket operation: a server that sends one byte every few seconds
never trips them, and a call can hang for as long as the server likes. Here a request runs
inside :class:`Deadline`; the connections of the session (:func:`watch_connections`) tell the
deadline of the thread that uses them which socket they are on, and one watchdog thread shuts
that socket down (``shutdown(SHUT_RDWR)``, which wakes a blocked ``recv``) when the deadline
passes. The request then fails in the usual way, and the client, seeing :attr:`Deadline.expired`,
raises :class:`~ecore_xl.errors.DeadlineExceededError` instead of retrying.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from typing import Any

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

__all__ = ["Deadline", "current_deadline", "watch_connections"]

_current = threading.local()


def current_deadline() -> Deadline | None:
    """The deadline of the request this thread is running, if any."""
    return getattr(_current, "deadline", None)


def _shutdown(conn: Any) -> None:
    sock = getattr(conn, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


class Deadline:
    """``seconds`` from now, for the request run by this thread inside the ``with`` block."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds
        self.expired = False
        self._lock = threading.Lock()
        self._conn: Any = None
        self._previous: Deadline | None = None
        self._watch_id = -1

    def left(self) -> float:
        """Seconds until the deadline (negative once it passed)."""
        return self.ends - time.monotonic()

    def passed(self) -> bool:
        """Whether the deadline has passed (the watchdog may not have fired yet)."""
        return self.expired or self.left() <= 0

    def watch(self, conn: Any) -> None:
        """The connection the request now uses (a late one is shut at once)."""
        with self._lock:
            self._conn = conn
            late = self.expired
        if late:
            _shutdown(conn)

    def fire(self) -> None:
        """Called by the watchdog: mark expired and shut the connection's socket."""
        with self._lock:
            self.expired = True
            conn = self._conn
        _shutdown(conn)

    def __enter__(self) -> Deadline:
        self._previous = current_deadline()
        _current.deadline = self
        _WATCHDOG.add(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _WATCHDOG.remove(self)
        _current.deadline = self._previous
        with self._lock:
            self._conn = None


class _Watchdog:
    """One daemon thread that fires deadlines in time order."""

    def __init__(self) -> None:
        self._cv = threading.Condition()
        self._heap: list[tuple[float, int, Deadline]] = []
        self._live: set[int] = set()
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None

    def add(self, deadline: Deadline) -> None:
        with self._cv:
            ident = next(self._ids)
            deadline._watch_id = ident
            heapq.heappush(self._heap, (deadline.ends, ident, deadline))
            self._live.add(ident)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="ecore-deadlines", daemon=True
                )
                self._thread.start()
            self._cv.notify()

    def remove(self, deadline: Deadline) -> None:
        with self._cv:
            self._live.discard(deadline._watch_id)

    def _run(self) -> None:
        while True:
            with self._cv:
                while self._heap and self._heap[0][1] not in self._live:
                    heapq.heappop(self._heap)  # finished in time: forget it
                if not self._heap:
                    self._cv.wait(30.0)
                    if not self._heap:
                        self._thread = None
                        return
                    continue
                ends, ident, deadline = self._heap[0]
                wait = ends - time.monotonic()
                if wait > 0:
                    self._cv.wait(wait)
                    continue
                heapq.heappop(self._heap)
                self._live.discard(ident)
            deadline.fire()


_WATCHDOG = _Watchdog()


class _Watched:
    """A connection whose requests the thread's deadline watches (mixed in before urllib3's)."""

    def request(self, *args: Any, **kwargs: Any) -> None:
        if (deadline := current_deadline()) is not None:
            deadline.watch(self)  # type: ignore[arg-type]
        super().request(*args, **kwargs)  # type: ignore[misc]
        if deadline is not None and deadline.expired:
            _shutdown(self)  # type: ignore[arg-type]


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


def watch_connections(manager: Any) -> Any:
    """Make a urllib3 pool manager (or proxy manager) use connections deadlines can watch."""
    manager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}
    return manager
