"""The adaptive number of requests in flight: up while answers come fast, down on 429s.

The rules on an injected clock, then the whole path on the mock with its latency and its
gateway's concurrency limit (``max_in_flight``), each bounded in requests and time.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pandas as pd
import pytest

from ecore_xl.api import EcoreClient
from ecore_xl.api.concurrency import HOLD_ROUNDS, START, Concurrency, Slot
from ecore_xl.data import DataService
from ecore_xl.mock import Faults, MockServer
from tests.api_fixtures import Sleeps
from tests.conftest import settings_for
from tests.data_fixtures import meter_ids

MOCK_KW: dict[str, Any] = {"seed": 7, "meters": 4, "years": (2026,), "as_of": dt.date(2026, 11, 15)}
YEAR = {"from": "2026-01-01", "to": "2027-01-01", "granularity": "hour"}  # a page a month


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def a_round(c: Concurrency, clock: Clock, seconds: float) -> list[Slot]:
    """As many requests as the limit allows, all answered after ``seconds``."""
    slots = [c.acquire(0) for _ in range(c.limit)]
    assert all(s is not None for s in slots)
    assert c.acquire(0) is None  # the limit holds
    clock.now += seconds
    for slot in slots:
        assert slot is not None
        c.release(slot)
    return [s for s in slots if s is not None]


def test_fast_rounds_add_one_slow_rounds_hold_and_the_ceiling_holds() -> None:
    clock = Clock()
    c = Concurrency(7, clock=clock)
    assert c.limit == START == 4
    a_round(c, clock, 0.020)
    assert c.limit == 5
    a_round(c, clock, 0.025)  # within 1.5x of the best: still fast
    assert c.limit == 6
    a_round(c, clock, 0.040)  # 2x the best: the server (or our CPU) is the limit now
    assert c.limit == 6
    for _ in range(5):
        a_round(c, clock, 0.020)
    assert c.limit == 7 and c.most == 7  # never past the ceiling


def test_a_429_halves_once_a_round_and_the_limit_that_drew_it_waits() -> None:
    clock = Clock()
    c = Concurrency(16, clock=clock)
    for _ in range(4):
        a_round(c, clock, 0.020)
    assert c.limit == 8
    slots = [c.acquire(0) for _ in range(8)]
    for slot in slots[:3]:  # three 429s from requests sent under the same limit: halved once
        assert slot is not None
        c.release(slot, throttled=True)
    assert c.limit == 4 and c.throttled == 3
    for slot in slots[3:]:
        assert slot is not None
        c.release(slot)  # answers of the old round do not count for the new one
    assert c.limit == 4
    for _ in range(10):
        a_round(c, clock, 0.020)
    assert c.limit == 7  # below the 8 that drew the 429
    for _ in range(HOLD_ROUNDS):
        a_round(c, clock, 0.020)
    assert c.limit > 8  # tried again after a while


def test_a_failure_frees_its_turn_and_a_ceiling_of_one_is_one() -> None:
    c = Concurrency(1)
    slot = c.acquire(0)
    assert slot is not None and c.acquire(0) is None
    c.release(slot, answered=False)
    assert c.acquire(0) is not None and c.limit == 1


def test_waiting_threads_get_their_turn_in_time() -> None:
    c = Concurrency(2, start=2)
    held = [c.acquire(0), c.acquire(0)]
    got: list[Slot | None] = []
    waiter = threading.Thread(target=lambda: got.append(c.acquire(5)))
    waiter.start()
    assert held[0] is not None
    c.release(held[0])
    waiter.join(5)
    assert got and got[0] is not None


def frame(service: DataService, srv: MockServer) -> pd.DataFrame:
    return service.fetch("volumes", meterId=meter_ids(srv), refresh=True, **YEAR)


@pytest.mark.timeout(60)
def test_with_latency_more_requests_go_at_once_and_the_answer_is_the_same(
    srv: MockServer,
) -> None:
    """100 ms a request (long beside the mock's own CPU, so rounds on a busy machine still look
    alike), 48 requests: the limit climbs past its start of 4."""
    with DataService(settings_for(srv, max_workers=4)) as fixed:
        expected = frame(fixed, srv)
    srv.faults = Faults(latency_s=0.1)
    srv.reset_stats()
    try:
        with DataService(settings_for(srv)) as adaptive:
            got = frame(adaptive, srv)
            most = adaptive.client.concurrency.most
    finally:
        srv.faults = Faults()
    pd.testing.assert_frame_equal(got, expected)
    assert srv.stats.data_requests == 48
    assert most >= 6 and srv.stats.most_in_flight >= 6
    assert most <= settings_for(srv).max_workers == 16


@pytest.mark.timeout(60)
def test_a_gateway_limit_of_three_brings_the_limit_down_with_few_429s(srv: MockServer) -> None:
    settings = settings_for(srv)
    srv.faults = Faults(max_in_flight=3, retry_after_s=1, latency_s=0.02)
    srv.reset_stats()
    sleeps = Sleeps()
    try:
        with (
            EcoreClient(settings, sleep=sleeps) as client,
            DataService(settings, client=client) as service,
        ):
            got = frame(service, srv)
            limit = client.concurrency.limit
            throttled = client.concurrency.throttled
        requests = srv.stats.data_requests
    finally:
        srv.faults = Faults()
    with DataService(settings) as clean:
        pd.testing.assert_frame_equal(got, frame(clean, srv))
    assert 1 <= throttled == sum(1 for s in sleeps if s == 1.0) <= 4
    assert limit <= 3
    assert requests == 48 + throttled  # each 429 retried once


def test_a_round_the_process_was_busy_does_not_add_one() -> None:
    clock, cpu = Clock(), Clock()
    c = Concurrency(16, clock=clock, cpu_clock=cpu)
    cpu.now += 0.018  # this process worked 18 of the round's 20 ms: its CPU is the limit
    a_round(c, clock, 0.020)
    assert c.limit == START
    cpu.now += 0.010  # half the round's time: answers are what it waits for
    a_round(c, clock, 0.020)
    assert c.limit == START + 1
