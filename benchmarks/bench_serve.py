"""Benchmark: the Office.js functions through ``ecore-xl serve``, beside the xlwings path.

Three processes, as in real use: the mock API, the backend (``ecore_xl.serve``, plain HTTP on
loopback: TLS is Office's to check, not what is measured here), and this client calling the
backend as the add-in does (``POST /api/v1/functions/NAME`` with Excel's argument values, one
keep-alive connection per client thread). Measured, in one run:

* **recalculation** — N function calls asking D distinct questions (``ECORE.VOLUMES`` of one
  meter and one day; each cell called 1-3 times in random order, as Excel does) from an empty
  cache, on 8 client threads (Excel calls custom functions concurrently): wall time, and the
  requests the mock API counted. Next to it, the same calls through the xlwings UDFs
  (``ecore_xl.excel.udfs``, in this process) on 1 and 8 threads.
* **cached call, end to end** — one call whose answer is cached, timed on the client from the
  request to the parsed JSON: a day of hourly volumes (24 rows), a month (744 rows), a number
  (``HEDGE_RATIO``). Target: **under 5 ms** on loopback. Next to it the xlwings UDF's warm call.

    python benchmarks/bench_serve.py            # 1,000 calls / 50 distinct, 1,000 warm calls
    python benchmarks/bench_serve.py --quick    # 200 calls / 10 distinct (CI)

Run as ``python bench_serve.py backend '<env json>'`` it is the backend process itself.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import MockProcess, machine, summarise, table
from bench_udfs import MOCK, cell_calls, fresh_service, p90, per_call, run_calls

FULL = {"cells": 600, "calls": 1000, "distinct": 50, "warm_calls": 1000}
QUICK = {"cells": 100, "calls": 150, "distinct": 10, "warm_calls": 150}
TOKEN = "bench-token-" + "b" * 24
THREADS = 8


# ---- the backend process ---------------------------------------------------------------------


def serve(env_json: str) -> None:
    """The backend over the mock at ``env``; prints its URL, serves until stdin closes."""
    from ecore_xl.config import Settings
    from ecore_xl.data import DataService
    from ecore_xl.serve.server import start_backend

    env = json.loads(env_json)
    svc = DataService(Settings.load(use_file=False, use_keyring=False, environ=env))
    server = start_backend(svc, token=TOKEN)
    print(json.dumps({"url": server.url}), flush=True)
    try:
        sys.stdin.read()  # until the benchmark closes our stdin
    finally:
        server.stop()


class BackendProcess:
    """``serve`` in a child process."""

    def __init__(self, env: dict[str, str]) -> None:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("ECORE_")}
        clean["ECORE_NO_KEYRING"] = "1"
        self._proc = subprocess.Popen(
            [sys.executable, __file__, "backend", json.dumps(env)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=clean,
        )  # fmt: skip
        line = self._proc.stdout.readline() if self._proc.stdout else ""
        if not line:
            raise RuntimeError("the backend did not start")
        self.url: str = json.loads(line)["url"]

    def close(self) -> None:
        if self._proc.stdin:
            self._proc.stdin.close()
        self._proc.wait(timeout=30)


# ---- the add-in's side -----------------------------------------------------------------------


class AddinClient:
    """Calls as the add-in makes them, one keep-alive session per thread."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._local = threading.local()

    def _session(self) -> Any:
        import requests

        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {TOKEN}"
            self._local.session = session
        return session

    def call(self, name: str, *args: Any) -> Any:
        body = {"args": [[[a]] for a in args], "offline": None}  # one cell each: [[value]]
        response = self._session().post(
            f"{self.url}/api/v1/functions/{name}", json=body, timeout=60
        )
        response.raise_for_status()
        return response.json()


def main(argv: Sequence[str] | None = None) -> None:
    if argv is None and len(sys.argv) > 2 and sys.argv[1] == "backend":
        serve(sys.argv[2])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="CI size")
    opts = parser.parse_args(argv)
    size = QUICK if opts.quick else FULL
    os.environ["ECORE_NO_KEYRING"] = "1"
    os.environ.setdefault("ECORE_LOG_DIR", str(Path(__file__).resolve().parent / "out" / "logs"))

    import ecore_xl.excel.udfs as udfs

    calls = cell_calls(size["cells"], size["distinct"])[: size["calls"]]
    distinct = len(set(calls))
    day = ("MTR-0002", "2026-03-02", "2026-03-03")
    month = ("MTR-0002", "2026-03-01", "2026-04-01")
    n = size["warm_calls"]
    results: dict[str, tuple[float, dict[str, Any]]] = {}
    with MockProcess(MOCK) as mock:
        # recalculation through the backend, from an empty cache
        backend = BackendProcess(mock.env)
        try:
            client = AddinClient(backend.url)
            mock.command("reset_stats")
            seconds = run_calls(lambda *a: client.call("VOLUMES", *a), calls, THREADS)
            results[f"Office.js via backend, {THREADS} client threads"] = (seconds, mock.stats())
            # cached calls, end to end
            client.call("VOLUMES", *month)
            client.call("HEDGE_RATIO", "PF-0002", "2026-10")
            serve_day = summarise(per_call(lambda: client.call("VOLUMES", *day), n))
            serve_month = summarise(
                per_call(lambda: client.call("VOLUMES", *month), max(50, n // 5))
            )
            serve_scalar = summarise(
                per_call(lambda: client.call("HEDGE_RATIO", "PF-0002", "2026-10"), n)
            )
        finally:
            backend.close()
        # the xlwings path, the same calls
        for label, threads in (("1 thread", 1), (f"{THREADS} threads", THREADS)):
            fresh_service(mock.env)
            mock.command("reset_stats")
            seconds = run_calls(udfs.ECORE_VOLUMES, calls, threads)
            results[f"xlwings UDFs, {label}"] = (seconds, mock.stats())
        udfs.ECORE_VOLUMES(*month)
        udfs.ECORE_HEDGE_RATIO("PF-0002", "2026-10")
        xl_day = summarise(per_call(lambda: udfs.ECORE_VOLUMES(*day), n))
        xl_month = summarise(per_call(lambda: udfs.ECORE_VOLUMES(*month), max(50, n // 5)))
        xl_scalar = summarise(per_call(lambda: udfs.ECORE_HEDGE_RATIO("PF-0002", "2026-10"), n))

    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"# ECORE.* through ecore-xl serve — {machine()}")
    print(f"mock API and backend in their own processes; load average at the end {load}; "
          f"{'--quick' if opts.quick else 'full size'}\n")  # fmt: skip
    print(
        f"Recalculation: {len(calls):,} function calls (cells called 1-3 times, shuffled), "
        f"{distinct} distinct questions, empty cache at the start\n"
    )
    rows = [
        [label, f"{seconds:.2f} s", f"{len(calls) / seconds:,.0f}", stats["data_requests"],
         stats["token_requests"]]
        for label, (seconds, stats) in results.items()
    ]  # fmt: skip
    print(table(["path", "wall time", "calls/s", "API data requests", "token requests"], rows))
    print()

    def ms(summary: Any) -> str:
        return f"{summary.median * 1000:.2f} ms (p90 {p90(summary) * 1000:.2f})"

    target = "met" if serve_day.median < 0.005 else "**missed**"
    print(
        table(
            [
                "cached call",
                "Office.js via backend, end to end",
                "xlwings UDF, in process",
                "target",
            ],
            [
                ["VOLUMES, 1 day hourly (24 rows)", ms(serve_day), ms(xl_day), f"< 5 ms: {target}"],
                ["VOLUMES, 1 month hourly (744 rows)", ms(serve_month), ms(xl_month), ""],
                ["HEDGE_RATIO (one number)", ms(serve_scalar), ms(xl_scalar), ""],
            ],
        )
    )


if __name__ == "__main__":
    main()
