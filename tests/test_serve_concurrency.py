"""The backend under many callers: one API request per question, a slow API that blocks no one,
a deadline on every request. Bounded: 250 calls, latencies of at most 2 s."""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ecore_xl.mock import MockServer
from tests.data_fixtures import meter_ids
from tests.serve_fixtures import API, Client, running_backend


def _questions(srv: MockServer) -> list[tuple[Any, ...]]:
    """Five distinct questions, each one API request."""
    meters = meter_ids(srv)
    return [
        ("VOLUMES", meters[0], "2026-03-01", "2026-03-02"),
        ("VOLUMES", meters[1], "2026-03-01", "2026-03-02"),
        ("VOLUMES", meters[2], "2026-03-01", "2026-03-02"),
        ("CONTRACTS", "power"),
        ("CONTRACTS", "gas"),
    ]


def test_fifty_clients_asking_five_questions_make_five_api_requests(srv: MockServer) -> None:
    questions = _questions(srv)
    srv.faults.latency_s = 0.3  # every client is waiting while the first request is out
    try:
        with running_backend(srv, workers=4) as api:
            clients = [Client(api.server) for _ in range(50)]
            start = threading.Barrier(50)

            def client(i: int) -> list[int]:
                mine = questions[:]
                random.Random(i).shuffle(mine)
                start.wait(timeout=30)
                return [clients[i].call(*q).status_code for q in mine]

            with ThreadPoolExecutor(50) as pool:
                codes = [c for result in pool.map(client, range(50)) for c in result]
            backend = api.get(f"{API}/status").json()["backend"]
    finally:
        srv.faults.latency_s = 0.0
    assert codes == [200] * 250
    assert srv.stats.data_requests == 5, srv.stats.requests_by_path
    assert srv.stats.requests_by_path["/volumes"] == 3
    assert srv.stats.requests_by_path["/contracts"] == 2
    assert backend["calls"] + backend["answered_at_once"] == 250
    assert backend["shared"] + backend["fast_lane"] + backend["answered_at_once"] > 0


def test_a_slow_api_never_blocks_other_callers(srv: MockServer) -> None:
    meters = meter_ids(srv)
    with running_backend(srv, workers=2, hit_workers=1) as api:
        assert api.call("CONTRACTS").status_code == 200  # answered once: cached
        srv.faults.latency_s = 2.0
        try:
            with ThreadPoolExecutor(8) as pool:
                # more slow questions than the pool has threads: the pool is full and queued
                slow = [
                    pool.submit(Client(api.server).call, "VOLUMES", meter, f"2026-03-0{day}",
                                f"2026-03-0{day + 1}")
                    for meter in meters for day in (1, 2)
                ]  # fmt: skip
                time.sleep(0.3)
                fast = {
                    "cached": pool.submit(Client(api.server).call, "CONTRACTS"),
                    "catalogue": pool.submit(Client(api.server).get, f"{API}/catalogue"),
                    "status": pool.submit(Client(api.server).get, f"{API}/status"),
                }
                answers = {name: f.result(timeout=10) for name, f in fast.items()}
                assert not any(f.done() for f in slow), "the fast answers came first"
                results = [f.result(timeout=30) for f in slow]
        finally:
            srv.faults.latency_s = 0.0
    assert all(r.status_code == 200 for r in answers.values())
    assert answers["cached"].json()["source"] == "cache"
    assert all(r.status_code == 200 for r in results)


def test_a_request_past_its_deadline_is_a_504_and_its_answer_is_kept(srv: MockServer) -> None:
    meter = meter_ids(srv)[0]
    with running_backend(srv, deadline=0.5) as api:
        srv.faults.latency_s = 1.5
        try:
            late = api.call("VOLUMES", meter, "2026-03-01", "2026-03-02")
        finally:
            srv.faults.latency_s = 0.0
        assert late.status_code == 504
        error = late.json()["error"]
        assert error["code"] == "DeadlineExceededError" and error["excel"] == "#N/A"
        assert "0.5 s" in error["message"]
        time.sleep(1.5)  # the request the backend kept waiting for has come back
        again = api.call("VOLUMES", meter, "2026-03-01", "2026-03-02")
        assert again.status_code == 200 and again.json()["source"] == "cache"
        assert srv.stats.data_requests == 1
