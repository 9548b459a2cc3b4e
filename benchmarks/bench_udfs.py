"""Benchmark: the ECORE_* worksheet functions against a naive UDF, with the mock in another process.

Measured:

* **warm call** — the median time of one call whose answer is already in the data layer's cache
  (what every recalculation after the first costs): a day of hourly volumes (24 rows), a month
  (744 rows) and one number (``ECORE_HEDGE_RATIO``). Target: under 1 ms for the day.
* **recalculation** — N cells asking D distinct questions, each cell called 1-3 times in random
  order (as Excel does with precedents and array formulas), starting from an empty cache: once
  on one thread (Excel's synchronous UDF calls) and once on 8 threads (``async_mode``), and the
  one-thread recalculation once more with the answers cached (F9: what every recalculation after
  the first costs; target under 0.4 s). Wall time and the API requests the mock counted.
* the same cells with a **naive UDF**: a fresh token and a ``requests.get`` for every call.
* **import time** of ``ecore_xl.excel.udfs`` in a fresh interpreter (Excel waits for it when the
  UDF server starts), next to ``import xlwings`` alone, which the server loads anyway.

    python benchmarks/bench_udfs.py            # 1,000 cells / 50 distinct, 2,000 warm calls
    python benchmarks/bench_udfs.py --quick    # 200 cells / 10 distinct (CI)
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import MockProcess, machine, summarise, table

MOCK = {"seed": 42, "meters": 4, "years": [2025, 2026], "as_of": "2026-06-01"}
METERS = ("MTR-0001", "MTR-0002", "MTR-0003", "MTR-0004")
FULL = {"cells": 1000, "distinct": 50, "warm_calls": 2000, "import_runs": 7, "naive_warm": 100}
QUICK = {"cells": 200, "distinct": 10, "warm_calls": 300, "import_runs": 3, "naive_warm": 20}


# ---- the naive UDF ---------------------------------------------------------------------------


def naive_volumes(env: dict[str, str], meter: str, start: str, end: str) -> list[list[Any]]:
    """What a first UDF usually looks like: a token and a GET per call, no cache."""
    import requests

    token = requests.post(
        env["ECORE_TOKEN_URL"],
        data={
            "grant_type": "client_credentials",
            "client_id": env["ECORE_CLIENT_ID"],
            "client_secret": env["ECORE_CLIENT_SECRET"],
            "scope": env["ECORE_SCOPE"],
        },
        timeout=30,
    ).json()["access_token"]
    response = requests.get(
        env["ECORE_BASE_URL"] + "/volumes",
        params={"meterId": meter, "from": start, "to": end, "granularity": "hour"},
        headers={
            "Authorization": f"Bearer {token}",
            "Ocp-Apim-Subscription-Key": env["ECORE_SUBSCRIPTION_KEY"],
        },
        timeout=30,
    )
    response.raise_for_status()
    records = response.json()["value"]
    keys = list(records[0]) if records else []
    return [keys, *[[r.get(k) for k in keys] for r in records]]


# ---- workload ------------------------------------------------------------------------------


def questions(n: int) -> list[tuple[str, str, str]]:
    """``n`` distinct (meter, one-day window in March 2026): one API request each."""
    days = [f"2026-03-{d:02d}" for d in range(1, 30)]
    pairs = [(m, a, b) for a, b in itertools.pairwise(days) for m in METERS]
    return pairs[:n]


def cell_calls(cells: int, distinct: int, seed: int = 7) -> list[tuple[str, str, str]]:
    """Every call of a recalculation: each cell 1-3 times, shuffled."""
    rng = random.Random(seed)
    qs = questions(distinct)
    calls = [qs[i % distinct] for i in range(cells) for _ in range(rng.randint(1, 3))]
    rng.shuffle(calls)
    return calls


def run_calls(fn: Callable[..., Any], calls: Sequence[tuple[Any, ...]], threads: int) -> float:
    started = time.perf_counter()
    if threads == 1:
        for args in calls:
            fn(*args)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(lambda a: fn(*a), calls))
    return time.perf_counter() - started


def p90(summary: Any) -> float:
    """The 90th percentile of a summary's values."""
    values = sorted(summary.values)
    return float(values[int(len(values) * 0.9)])


def per_call(fn: Callable[[], Any], n: int) -> list[float]:
    """Seconds per call, each call timed on its own."""
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


# ---- ecore_xl side ---------------------------------------------------------------------------


def fresh_service(env: dict[str, str]) -> Any:
    from ecore_xl.config import Settings
    from ecore_xl.data import DataService, set_service

    svc = DataService(Settings.load(use_file=False, use_keyring=False, environ=env))
    set_service(svc)
    return svc


def import_times(runs: int) -> dict[str, float]:
    """Median wall time of a fresh ``python -c 'import …'`` (ms), and -X importtime's figure."""

    codes = {"python": "pass", "xlwings": "import xlwings", "udfs": "import ecore_xl.excel.udfs"}
    times: dict[str, list[float]] = {name: [] for name in codes}
    for _ in range(runs):  # interleaved, so a busy moment of the machine hits all alike
        for name, code in codes.items():
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, env=_clean_env())
            times[name].append(time.perf_counter() - t)
    out = {name: statistics.median(values) * 1000 for name, values in times.items()}
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import xlwings; import ecore_xl.excel.udfs"],
        capture_output=True, text=True, check=True, env=_clean_env(),
    )  # fmt: skip
    for line in proc.stderr.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[2] == "ecore_xl.excel.udfs":
            out["udfs_after_xlwings"] = int(parts[1]) / 1000
    return out


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECORE_")}
    env["ECORE_NO_KEYRING"] = "1"
    return env


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="CI size")
    opts = parser.parse_args(argv)
    size = QUICK if opts.quick else FULL
    os.environ["ECORE_NO_KEYRING"] = "1"
    os.environ.setdefault("ECORE_LOG_DIR", str(Path(__file__).resolve().parent / "out" / "logs"))

    import ecore_xl.excel.udfs as udfs

    calls = cell_calls(size["cells"], size["distinct"])
    with MockProcess(MOCK) as mock:
        env = mock.env

        # warm calls
        fresh_service(env)
        day = ("MTR-0002", "2026-03-02", "2026-03-03")
        month = ("MTR-0002", "2026-03-01", "2026-04-01")
        for warm_up in (lambda: udfs.ECORE_VOLUMES(*day), lambda: udfs.ECORE_VOLUMES(*month)):
            warm_up()
        udfs.ECORE_HEDGE_RATIO("PF-0002", "2026-10")
        n = size["warm_calls"]
        warm_day = summarise(per_call(lambda: udfs.ECORE_VOLUMES(*day), n))
        warm_month = summarise(per_call(lambda: udfs.ECORE_VOLUMES(*month), max(50, n // 10)))
        warm_scalar = summarise(per_call(lambda: udfs.ECORE_HEDGE_RATIO("PF-0002", "2026-10"), n))
        naive_call = summarise(per_call(lambda: naive_volumes(env, *day), size["naive_warm"]))

        # recalculations from an empty cache
        recalcs: dict[str, tuple[float, dict[str, Any]]] = {}
        for label, threads in (("1 thread", 1), ("8 threads", 8)):
            fresh_service(env)
            mock.command("reset_stats")
            seconds = run_calls(udfs.ECORE_VOLUMES, calls, threads)
            recalcs[f"ecore_xl, {label}"] = (seconds, mock.stats())
            if threads == 1:  # F9 once the answers are in: every recalculation after the first
                mock.command("reset_stats")
                seconds = run_calls(udfs.ECORE_VOLUMES, calls, 1)
                recalcs["ecore_xl, 1 thread, again (answers cached)"] = (seconds, mock.stats())
        mock.command("reset_stats")
        seconds = run_calls(lambda *a: naive_volumes(env, *a), calls, 1)
        recalcs["naive UDF, 1 thread"] = (seconds, mock.stats())

    imports = import_times(size["import_runs"])

    print(f"# ECORE_* worksheet functions — {machine()}")
    print(f"mock API in its own process; {'--quick' if opts.quick else 'full size'}\n")
    us = 1e6
    print(
        table(
            ["warm call (answer cached)", "median", "90th percentile", "naive UDF"],
            [
                [
                    "ECORE_VOLUMES, 1 day hourly (24 rows)",
                    f"{warm_day.median * us:.0f} µs",
                    f"{p90(warm_day) * us:.0f} µs",
                    f"{naive_call.median * 1000:.1f} ms (token + GET every call)",
                ],
                [
                    "ECORE_VOLUMES, 1 month hourly (744 rows)",
                    f"{warm_month.median * us:.0f} µs",
                    f"{p90(warm_month) * us:.0f} µs",
                    "",
                ],
                [
                    "ECORE_HEDGE_RATIO (one number)",
                    f"{warm_scalar.median * us:.0f} µs",
                    f"{p90(warm_scalar) * us:.0f} µs",
                    "",
                ],
            ],
        )
    )
    print()
    rows = []
    for label, (seconds, stats) in recalcs.items():
        rows.append(
            [label, f"{seconds:.2f} s", f"{len(calls) / seconds:,.0f}",
             stats["data_requests"], stats["token_requests"]]
        )  # fmt: skip
    print(
        f"Recalculation: {size['cells']:,} cells, {size['distinct']} distinct questions, "
        f"{len(calls):,} calls (each cell 1-3 times), empty cache at the start (again: cached)\n"
    )
    print(table(["variant", "wall time", "calls/s", "API data requests", "token requests"], rows))
    print()
    print(
        table(
            ["fresh interpreter", "median wall time"],
            [
                ["python -c pass", f"{imports['python']:.0f} ms"],
                ["import xlwings", f"{imports['xlwings']:.0f} ms"],
                ["import ecore_xl.excel.udfs", f"{imports['udfs']:.0f} ms"],
                [
                    "… of which ecore_xl.excel.udfs after xlwings (-X importtime)",
                    f"{imports.get('udfs_after_xlwings', float('nan')):.0f} ms",
                ],
            ],
        )
    )


if __name__ == "__main__":
    main()
