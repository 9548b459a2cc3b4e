"""Benchmark: a year of quarter-hours for 20 meters (700,800 rows) into a DataFrame, and its scale.

Every variant runs in its own fresh interpreter (clean peak RSS, its own CPU time), against a
server in another process:

* the **stored-pages server** (``stored_pages.py``): the very pages the mock serves, recorded
  once and answered as stored bytes (~50 µs a page), so the floor is the client's own work;
* the **mock** (``_common.MockProcess``), which builds every page in Python (~1.8 ms a page),
  as it is and with 20 ms added per request (a WAN round trip to the API gateway).

Variants:

* ``ecore_xl``      — ``ecore_xl.data.fetch("volumes", ...)``, cache bypassed: one request per
  meter and month, on the data layer's adaptive workers (``ECORE_MAX_WORKERS`` the ceiling),
  typed columns (UTC and local time), the long layout;
* ``ecore_xl wide`` — the same, ``layout="wide"`` (one column per meter);
* ``naive``         — sequential pages with ``requests``, ``response.json()``,
  ``pd.DataFrame(list_of_dicts)`` (timestamps left as text: less work than ``ecore_xl`` does);
* ``floor``         — the very pages ``ecore_xl`` asks for, on as many threads as it used at most,
  with urllib3 and ``orjson.loads`` of each page: downloading and parsing, nothing else;
* ``floor, bytes``  — the same without the parsing (the next link cut out of the bytes).

Targets: from the stored-pages server, ``ecore_xl`` at most 2x ``floor``; against the mock,
``naive`` at least 2x ``ecore_xl``; ``ecore_xl``'s peak RSS at most 250 MiB. Then a scale table:
time, CPU and peak memory of ``ecore_xl`` from stored pages for several meters and months.

    python benchmarks/bench_fetch.py            # full size, 5 repetitions (3 with latency)
    python benchmarks/bench_fetch.py --quick    # 2 meters, one month, 1 repetition (CI)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    MockProcess,
    child_result,
    machine,
    ratio,
    rss_mb,
    run_child,
    summarise,
    table,
)
from stored_pages import StoredPagesProcess, record

VARIANTS = ("ecore_xl", "ecore_xl_wide", "naive", "floor", "floor_bytes")
#: ecore_xl with a fixed number of requests in flight (the adaptive limit pinned), vs adaptive
FIXED = ("fixed_4", "fixed_8", "fixed_16")
LABELS = {
    "ecore_xl": "ecore_xl.data.fetch (long)",
    "ecore_xl_wide": "ecore_xl.data.fetch (wide)",
    "naive": "naive: requests + .json() + DataFrame(list), sequential",
    "floor": "floor: urllib3 + orjson.loads, same pages, same threads",
    "floor_bytes": "floor, bytes only (no parsing)",
    **{f: f"ecore_xl, fixed {f.split('_')[1]} in flight (not adaptive)" for f in FIXED},
}
FULL = {"meters": 20, "from": "2025-01-01", "to": "2026-01-01"}
QUICK = {"meters": 2, "from": "2025-03-01", "to": "2025-04-01"}
#: (meters, months from 2025-01-01) of the scale table
SCALE_FULL = ((5, 12), (20, 3), (20, 12), (40, 12))
SCALE_QUICK = ((1, 1),)
#: (name, server, mock latency per request in s, variants, repetitions at full size)
SCENARIOS: tuple[tuple[str, str, float, tuple[str, ...], int], ...] = (
    (
        "stored pages (the client's own cost)",
        "stored",
        0.0,
        ("ecore_xl", "floor", "floor_bytes"),
        5,
    ),
    ("mock, loopback, no added latency", "mock", 0.0, VARIANTS, 5),
    (
        "mock, 20 ms latency per request (a WAN round trip to the API gateway)",
        "mock",
        0.02,
        ("ecore_xl", *FIXED, "naive", "floor"),
        3,
    ),
)
#: page_cache_mb: the mock keeps the ~170 MB of pages the variants ask for (by month and by year)
MOCK = {"seed": 42, "years": [2025, 2026], "as_of": "2026-11-15", "page_size": 1000,
        "page_cache_mb": 256}  # fmt: skip


# ---- the child side: one variant, one run ----------------------------------------------------


def _token_body(env: dict[str, str]) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_id": env["ECORE_CLIENT_ID"],
        "client_secret": env["ECORE_CLIENT_SECRET"],
        "scope": env["ECORE_SCOPE"],
    }


def _headers(env: dict[str, str], token: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "Ocp-Apim-Subscription-Key": env["ECORE_SUBSCRIPTION_KEY"],
    }


_NEXT = b'"nextLink":"'


def _next_from_bytes(body: bytes) -> str | None:
    """The next link of a page without parsing it (the mock writes it after ``value``)."""
    at = body.rfind(_NEXT)
    if at < 0:
        return None
    start = at + len(_NEXT)
    return body[start : body.index(b'"', start)].decode()


def _floor(env: dict[str, str], plan: list[Any], workers: int, parse: bool) -> dict[str, int]:
    """Every page of the plan with urllib3 on ``workers`` threads, parsed by orjson or not."""
    import orjson
    import urllib3

    pool = urllib3.PoolManager(maxsize=workers, retries=False)
    answer = pool.request(
        "POST", env["ECORE_TOKEN_URL"], fields=_token_body(env), encode_multipart=False
    )
    token = orjson.loads(answer.data)["access_token"]
    headers = _headers(env, token)
    base = env["ECORE_BASE_URL"]

    def one(item: Any) -> tuple[int, int]:
        path, query = item
        url: str | None = base + path + ("?" + urlencode(query) if query else "")
        pages = size = 0
        while url is not None:
            r = pool.request("GET", url, headers=headers)
            if r.status != 200:
                raise RuntimeError(f"HTTP {r.status} for {url}")
            body = r.data
            pages += 1
            size += len(body)
            url = orjson.loads(body).get("nextLink") if parse else _next_from_bytes(body)
        return pages, size

    with ThreadPoolExecutor(workers) as threads:
        done = list(threads.map(one, plan))
    return {"pages": sum(p for p, _ in done), "bytes": sum(b for _, b in done), "workers": workers}


def child(variant: str, spec: dict[str, Any]) -> None:
    env = dict(os.environ)
    ids: list[str] = spec["ids"]
    span = {"from": spec["from"], "to": spec["to"]}
    import pandas as pd
    import requests

    from ecore_xl.config import Settings
    from ecore_xl.data import DataService, fetch, set_service

    base_rss = rss_mb()
    out: dict[str, Any] = {"variant": variant}
    cpu = time.process_time()
    df = None
    if variant.startswith(("ecore_xl", "fixed_")):
        fixed = int(variant.split("_")[1]) if variant.startswith("fixed_") else None
        if fixed:
            env = {**env, "ECORE_MAX_WORKERS": str(fixed)}
        settings = Settings.load(use_file=False, use_keyring=False, environ=env)
        service = DataService(settings)
        if fixed:  # pinned: starts at the ceiling, and no 429 comes to bring it down
            from ecore_xl.api.concurrency import Concurrency

            service.client.concurrency = Concurrency(fixed, start=fixed)
        set_service(service)
        t0 = time.perf_counter()
        df = fetch(
            "volumes",
            meterId=",".join(ids),
            granularity="quarterhour",
            layout="wide" if variant == "ecore_xl_wide" else "long",
            refresh=True,
            **span,
        )
        seconds = time.perf_counter() - t0
        stats = service.client.stats
        out.update(pages=stats.pages, bytes=stats.bytes, requests=stats.requests)
        out.update(workers=service.client.concurrency.most, ceiling=settings.max_workers)
    elif variant == "naive":
        session = requests.Session()
        t0 = time.perf_counter()
        r = session.post(env["ECORE_TOKEN_URL"], data=_token_body(env), timeout=30)
        headers = _headers(env, r.json()["access_token"])
        rows: list[dict[str, Any]] = []
        pages = 0
        for meter in ids:
            url: str | None = env["ECORE_BASE_URL"] + "/volumes"
            params: Any = {"meterId": meter, "granularity": "quarterhour", **span}
            while url is not None:
                r = session.get(url, params=params, headers=headers, timeout=120)
                r.raise_for_status()
                body = r.json()
                rows.extend(body["value"])
                pages += 1
                url, params = body.get("nextLink"), None
        df = pd.DataFrame(rows)
        seconds = time.perf_counter() - t0
        out.update(pages=pages)
    elif variant in ("floor", "floor_bytes"):
        t0 = time.perf_counter()
        out.update(_floor(env, spec["plan"], spec["workers"], parse=variant == "floor"))
        seconds = time.perf_counter() - t0
    else:
        raise SystemExit(f"unknown variant {variant}")
    out.update(seconds=seconds, cpu=time.process_time() - cpu, base_rss_mb=round(base_rss, 1))
    if df is not None:
        out.update(rows=len(df), columns=df.shape[1])
    child_result(**out)


# ---- the parent side -------------------------------------------------------------------------


def _plan(env: dict[str, str], ids: list[str], span: dict[str, str]) -> list[Any]:
    """The (path, query) requests ecore_xl makes for this fetch."""
    from ecore_xl.config import Settings
    from ecore_xl.data import DataService, plan_requests

    settings = Settings.load(use_file=False, use_keyring=False, environ=env)
    svc = DataService(settings)
    ds, norm = svc.normalise("volumes", meterId=",".join(ids), granularity="quarterhour", **span)
    return [list(r) for r in plan_requests(ds, norm, tz=settings.timezone)]


def _months_later(start: str, months: int) -> str:
    day = dt.date.fromisoformat(start)
    month = day.year * 12 + day.month - 1 + months
    return dt.date(month // 12, month % 12 + 1, 1).isoformat()


class Runner:
    """Runs variants in fresh interpreters against a server's environment."""

    def __init__(self, ids: list[str], span: dict[str, str], plan: list[Any]) -> None:
        self.ids, self.span, self.plan = ids, span, plan
        self.workers = 4  # the floor's threads: as many as ecore_xl used at most (after a run)
        self.me = str(Path(__file__).resolve())

    def run(self, variant: str, env: dict[str, str]) -> dict[str, Any]:
        spec = json.dumps({"ids": self.ids, **self.span, "plan": self.plan,
                           "workers": self.workers})  # fmt: skip
        result = run_child([self.me, "--child", variant, "--spec", spec], env=env)
        if variant == "ecore_xl":
            self.workers = max(1, int(result["workers"]))
        took = f"{result['seconds']:.2f} s, cpu {result['cpu']:.2f} s"
        print(f"  {variant}: {took}, peak {result['peak_rss_mb']:.0f} MiB", file=sys.stderr)
        return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small size, one repetition (CI)")
    p.add_argument("--reps", type=int, help="repetitions per variant (every scenario)")
    p.add_argument("--no-scale", action="store_true", help="skip the scale table")
    p.add_argument("--json", type=Path, help="also write the raw results here")
    p.add_argument("--child", choices=VARIANTS + FIXED, help=argparse.SUPPRESS)
    p.add_argument("--spec", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child(args.child, json.loads(args.spec))
        return 0

    size = QUICK if args.quick else FULL
    scale_sizes = () if args.no_scale else SCALE_QUICK if args.quick else SCALE_FULL
    span = {"from": size["from"], "to": size["to"]}
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    raw: dict[str, Any] = {"size": size, "machine": machine(), "scenarios": {}, "scale": {}}
    reports = []
    meters = max([size["meters"], *(m for m, _ in scale_sizes)])
    with (
        tempfile.TemporaryDirectory(prefix="bench-fetch-") as tmp,
        MockProcess({**MOCK, "meters": meters}) as mock,
    ):
        from ecore_xl.mock import Portfolio

        pf = Portfolio(seed=MOCK["seed"], meters=meters, years=(2025, 2026))
        all_ids = [m["id"] for m in pf.meters]
        ids = all_ids[: size["meters"]]
        plan = _plan(mock.env, ids, span)
        runner = Runner(ids, span, plan)
        stored = Path(tmp) / "pages.pickle"
        kept = record(mock.env, plan, stored)  # also the warm-up: the mock builds every meter-year
        print(f"recorded {kept['pages']:,} pages, {kept['bytes'] / 1e6:.1f} MB", file=sys.stderr)
        with StoredPagesProcess(stored) as server:
            envs = {"stored": server.env(mock.env), "mock": mock.env}
            for name, where, latency, variants, full_reps in SCENARIOS:
                reps = args.reps or (1 if args.quick else full_reps)
                if args.quick:  # CI proves every path runs: one pinned limit is enough
                    variants = tuple(v for v in variants if v not in FIXED[1:])
                print(f"{name}: {reps} repetition(s)", file=sys.stderr)
                mock.command("faults", latency_s=latency)
                results: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
                for _ in range(reps):  # round robin: drift on the machine hits every variant alike
                    for variant in variants:
                        results[variant].append(runner.run(variant, envs[where]))
                raw["scenarios"][name] = results
                reports.append(_report(name, results, reps, args.quick))
            mock.command("faults", latency_s=0.0)
        scale_rows = []
        for n, months in scale_sizes:
            sub = {"from": size["from"], "to": _months_later(size["from"], months)}
            sub_ids = all_ids[:n]
            sub_plan = _plan(mock.env, sub_ids, sub)
            file = Path(tmp) / f"pages-{n}-{months}.pickle"
            record(mock.env, sub_plan, file)
            with StoredPagesProcess(file) as server:
                res = Runner(sub_ids, sub, sub_plan).run("ecore_xl", server.env(mock.env))
            raw["scale"][f"{n}x{months}"] = res
            scale_rows.append(
                [n, months, f"{res['rows']:,}", f"{res['pages']:,}", f"{res['seconds']:.2f} s",
                 f"{res['cpu']:.2f} s", f"{res['rows'] / res['seconds'] / 1e3:,.0f}k",
                 f"{res['peak_rss_mb']:.0f} MiB (+{res['peak_rss_mb'] - res['base_rss_mb']:.0f})"]
            )  # fmt: skip

    print(
        f"## bench_fetch — {size['meters']} meters, quarter-hours [{size['from']}, {size['to']})\n"
        f"\nMachine: {machine()}; load average at the start {load}, at the end "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}. Servers run in their own processes; "
        "every variant in a fresh interpreter.\nTime: median (min–max, ±half the range) of the "
        "repetitions; ratios: peer / ecore_xl of the medians (in brackets the slowest and "
        "fastest pairing of the runs); CPU: the variant process's own. Peak RSS of the "
        "variant's process (+ growth over its RSS after imports).\n"
    )
    print("\n".join(reports))
    if scale_rows:
        print("### scale: ecore_xl.data.fetch from stored pages, quarter-hours (one run each)\n")
        print(table(["meters", "months", "rows", "pages", "time", "CPU", "rows/s", "peak RSS"],
                    scale_rows))  # fmt: skip
    print(f"\nCommand: python benchmarks/bench_fetch.py{' --quick' if args.quick else ''}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(raw, indent=1))
    return 0


def _report(scenario: str, results: dict[str, list[dict[str, Any]]], reps: int, quick: bool) -> str:
    t = {v: summarise(r["seconds"] for r in rs) for v, rs in results.items()}
    mine = results["ecore_xl"]
    rows = []
    for v, rs in results.items():
        first = rs[0]
        peak = summarise(r["peak_rss_mb"] for r in rs).median
        base = summarise(r["base_rss_mb"] for r in rs).median
        cpu = summarise(r["cpu"] for r in rs)
        rows.append(
            [
                LABELS[v],
                t[v].fmt(),
                "–" if v == "ecore_xl" else ratio(rs, mine),
                cpu.fmt(),
                f"{first['rows']:,}" if "rows" in first else "–",
                f"{first.get('pages', 0):,}",
                f"{first.get('workers', '–')}",
                f"{peak:.0f} MiB (+{peak - base:.0f})",
            ]
        )
    peak = max(r["peak_rss_mb"] for r in mine)
    checks = [f"ecore_xl peak RSS {peak:.0f} MiB (<= 250)"]
    if "floor" in results:
        of_floor = t["ecore_xl"].median / t["floor"].median
        checks.append(f"ecore_xl / floor = {ratio(mine, results['floor'])} (<= 2)")
        met = of_floor <= 2.0
    if "naive" in results:
        checks.append(f"naive / ecore_xl = {ratio(results['naive'], mine)} (>= 2)")
        met = t["naive"].median / t["ecore_xl"].median >= 2.0
    head = f"### {scenario}: {reps} repetition(s)\n\n"
    target = "floor" if "naive" not in results else "naive"
    verdict = (
        f"\nTargets: {'; '.join(checks)}; the {target} target: {'MET' if met else 'MISSED'}"
        + (" (quick size: not meaningful)" if quick else "")
        + "\n"
    )
    header = ["variant", "time", "peer / ecore_xl", "CPU", "rows", "pages", "threads", "peak RSS"]
    return head + table(header, rows) + "\n" + verdict


if __name__ == "__main__":
    sys.exit(main())
