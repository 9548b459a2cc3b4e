"""Fault injection settings and the mock's request counters."""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass, field

MALFORMED_KINDS = ("html", "truncated", "nonjson", "empty", "wrongtypes", "huge")


@dataclass
class Faults:
    """What the mock gets wrong on purpose; mutable while the server runs (read per request).

    Gateway faults (``rate_limit_every``, ``max_in_flight``, ``quota_exhausted``) answer in
    gateway order, after the subscription-key check. ``max_in_flight`` is a gateway's
    concurrency limit: a data request that finds that many others in the gateway (not yet
    answered) gets a 429 with ``Retry-After: retry_after_s``. The others (``drop_ratio``,
    ``error_5xx_ratio``, latency, ``malformed``) apply only to requests that passed the whole
    gateway. Random faults are drawn from an RNG seeded with ``seed``, so a run is reproducible.

    ``malformed`` maps a path prefix below the base URL (e.g. ``"/volumes"``) to a kind:
    ``html`` (200 text/html page), ``truncated`` (Content-Length promises more than is sent, then
    the connection closes), ``nonjson`` (200 application/json that is not JSON), ``empty``
    (200 with an empty body), ``wrongtypes`` (numbers as German-formatted strings, e.g.
    ``"12,5"``), ``huge`` (valid JSON padded to several megabytes: a ``padding`` key in an object,
    blanks after a bare array). The same faults apply in every dialect (keys are its paths).
    """

    rate_limit_every: int | None = None
    max_in_flight: int | None = None
    retry_after_s: int = 1
    quota_exhausted: bool = False
    error_5xx_ratio: float = 0.0
    drop_ratio: float = 0.0
    latency_s: float = 0.0
    latency_jitter_s: float = 0.0
    token_error_5xx_ratio: float = 0.0
    malformed: dict[str, str] = field(default_factory=dict)
    seed: int = 0


class FaultDice:
    """The seeded RNG behind :class:`Faults`; re-seeded for a new Faults object or seed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seed: int | None = None
        self._owner: Faults | None = None
        self._rng = random.Random(0)

    def roll(self, faults: Faults) -> float:
        with self._lock:
            if faults is not self._owner or faults.seed != self._seed:
                self._owner = faults
                self._seed = faults.seed
                self._rng = random.Random(f"ecore-mock-faults-{faults.seed}")
            return self._rng.random()

    def choice(self, faults: Faults, options: tuple[int, ...]) -> int:
        return options[min(int(self.roll(faults) * len(options)), len(options) - 1)]


class MockStats:
    """Thread-safe counters of what the mock served.

    ``requests_by_path`` is keyed by the path below the base URL (``"/contracts"``), or by the
    full path for non-API requests (the token endpoint). ``faults`` counts by kind: ``"429"``,
    ``"5xx"``, ``"drop"``, ``"quota"``, ``"malformed"``, ``"token_5xx"``. ``connections`` counts
    accepted TCP connections (keep-alive reuses one). ``most_in_flight`` is the most data
    requests the gateway held at once (from their arrival until their answer is written).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.data_requests = 0
        self.token_requests = 0
        self.pages_served = 0
        self.connections = 0
        self.requests_by_path: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()
        self.in_flight = 0
        self.most_in_flight = 0

    def enter(self) -> int:
        """A data request arrived: the number in flight, this one included."""
        with self._lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            return self.in_flight

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def data_request(self, path: str) -> int:
        """Count a data request; return its running number (1-based)."""
        with self._lock:
            self.data_requests += 1
            self.requests_by_path[path] += 1
            return self.data_requests

    def token_request(self, path: str) -> None:
        with self._lock:
            self.token_requests += 1
            self.requests_by_path[path] += 1

    def other_request(self, path: str) -> None:
        with self._lock:
            self.requests_by_path[path] += 1

    def fault(self, kind: str) -> None:
        with self._lock:
            self.faults[kind] += 1

    def connection(self) -> None:
        with self._lock:
            self.connections += 1

    def page(self) -> None:
        with self._lock:
            self.pages_served += 1

    def reset(self) -> None:
        with self._lock:
            self.data_requests = self.token_requests = self.pages_served = self.connections = 0
            self.most_in_flight = self.in_flight
            self.requests_by_path.clear()
            self.faults.clear()

    def __repr__(self) -> str:
        return (
            f"MockStats(data_requests={self.data_requests}, token_requests={self.token_requests},"
            f" pages_served={self.pages_served}, faults={dict(self.faults)})"
        )
