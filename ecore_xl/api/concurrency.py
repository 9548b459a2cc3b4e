"""How many requests one client has in flight at once: adaptive, between 1 and a ceiling.

At 20 ms a request, 4 requests at once take a year of quarter-hours for 20 meters in 5.1 s, 8 in
3.3 s, 16 in 2.95 s; a gateway that rate-limits answers 429 when there are too many. So the
number is not fixed: :class:`Concurrency` starts at :data:`START` and adapts by *rounds* (as many
answers as the limit was when the round began):

* **up by one** after a round whose answers came back about as fast as the fastest round so far
  (median latency at most :data:`TOLERANCE` times the best): more at once still costs nothing;
* **unchanged** after a slower round (the server, or this client's CPU, is the limit now), and
  after a round during which this process was busy (its CPU time at least :data:`BUSY` of the
  round's wall time): the client's own work, on one GIL, is the limit then, and more requests
  at once only contend for it (against stored pages on loopback: 8-10 at once instead of 4,
  for ~15% more CPU and ~40 MiB more parts in flight);
* **halved** on a 429 (once a round: the other answers of that round were sent under the old
  limit); the limit that drew the 429 is then not reached again for :data:`HOLD_ROUNDS` rounds.

``ECORE_MAX_WORKERS`` is the ceiling (``settings.max_workers``): the limit never goes past it,
and the data layer runs that many threads at most, each waiting here for its turn.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["BUSY", "HOLD_ROUNDS", "START", "TOLERANCE", "Concurrency", "Slot"]

#: requests at once before anything is known
START = 4
#: a round is "fast" when its median latency is at most this times the best round's
TOLERANCE = 1.5
#: rounds after a 429 during which the limit stays below the one that drew it
HOLD_ROUNDS = 20
#: a round is "busy" when this process's CPU time was at least this share of its wall time
BUSY = 0.85


@dataclass(frozen=True, slots=True)
class Slot:
    """One request's turn: when it started and under which round."""

    started: float
    round: int


class Concurrency:
    """The adaptive limit of requests in flight (thread-safe)."""

    def __init__(
        self,
        ceiling: int,
        *,
        start: int = START,
        clock: Callable[[], float] = time.monotonic,
        cpu_clock: Callable[[], float] = time.process_time,
    ) -> None:
        self.ceiling = max(1, int(ceiling))
        self._clock, self._cpu_clock = clock, cpu_clock
        self._began = (clock(), cpu_clock())  # the round's start: wall and CPU time
        self._cv = threading.Condition()
        self._limit = min(self.ceiling, max(1, start))
        self._in_flight = 0
        self._most = 0
        self._round = 0
        self._round_left = self._limit  # answers until this round is judged
        self._latencies: list[float] = []
        self._best: float | None = None
        self._cap = self.ceiling  # below a limit that drew a 429, for a while
        self._cap_rounds = 0
        self.throttled = 0  # 429s seen

    @property
    def limit(self) -> int:
        """Requests allowed in flight now."""
        with self._cv:
            return self._limit

    @property
    def most(self) -> int:
        """The most requests that were in flight at once."""
        with self._cv:
            return self._most

    def acquire(self, timeout: float | None = None) -> Slot | None:
        """Wait for a turn (None if ``timeout`` seconds passed first)."""
        with self._cv:
            if not self._cv.wait_for(lambda: self._in_flight < self._limit, timeout):
                return None
            self._in_flight += 1
            self._most = max(self._most, self._in_flight)
            return Slot(self._clock(), self._round)

    def release(self, slot: Slot, *, answered: bool = True, throttled: bool = False) -> None:
        """The request is done: ``answered`` (its body is in), or ``throttled`` (a 429)."""
        with self._cv:
            self._in_flight -= 1
            if throttled:
                self.throttled += 1
                if slot.round == self._round:  # the first 429 of this round
                    self._cap = max(1, self._limit - 1)
                    self._cap_rounds = HOLD_ROUNDS
                    self._new_round(max(1, self._limit // 2))
            elif answered and slot.round == self._round:
                self._latencies.append(self._clock() - slot.started)
                self._round_left -= 1
                if self._round_left <= 0:
                    self._judge()
            self._cv.notify_all()

    def _judge(self) -> None:
        """The round is complete: one more at once if it was about as fast as the best, and
        this process was not busy."""
        median = statistics.median(self._latencies)
        wall, cpu = self._clock() - self._began[0], self._cpu_clock() - self._began[1]
        busy = wall > 0 and cpu >= BUSY * wall
        fast = not busy and (self._best is None or median <= self._best * TOLERANCE)
        self._best = median if self._best is None else min(self._best, median)
        if self._cap_rounds > 0:
            self._cap_rounds -= 1
            if self._cap_rounds == 0:
                self._cap = self.ceiling
        grown = self._limit + 1 if fast else self._limit
        self._new_round(min(grown, self._cap, self.ceiling))

    def _new_round(self, limit: int) -> None:
        self._limit = limit
        self._round += 1
        self._round_left = limit
        self._latencies = []
        self._began = (self._clock(), self._cpu_clock())

    def __repr__(self) -> str:
        return f"Concurrency(limit={self.limit}, ceiling={self.ceiling}, most={self.most})"
