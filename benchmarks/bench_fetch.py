"""Benchmark: a year of quarter-hours for 20 meters (~700,000 rows) from the mock into a DataFrame.

Variants, each run in its own fresh interpreter (clean peak RSS), against one mock API running in
another process (so the server's page building does not share the client's GIL):

* ``ecore_xl``       — ``ecore_xl.data.fetch("volumes", ...)``, cache bypassed (``refresh=True``):
  one request per meter and month on ``max_workers`` threads, orjson, typed columns (UTC + local
  time), the long layout;
* ``ecore_xl wide``  — the same, ``layout="wide"`` (one column per meter);
* ``naive``          — (a) sequential pages with ``requests``, ``response.json()``,
  ``pd.DataFrame(list_of_dicts)`` (timestamps left as text: less work than ``ecore_xl`` does);
* ``floor``          — (b) the very pages ``ecore_xl`` asks for, on as many threads, bytes only:
  no JSON parsing, no frame (the next link is cut out of the bytes);
* ``floor, sequential`` — the naive variant's pages, bytes only: what (a) spends on transport.

Two scenarios: loopback as it is (the mock answers in ~2 ms a page, so downloading is bound by
the mock's CPU), and with 20 ms added per request, as a round trip to a real API gateway over a
WAN costs at least. Targets: ``ecore_xl`` at least 2x faster than ``naive`` and within 1.5x of
``floor``.

    python benchmarks/bench_fetch.py            # full size, 5 repetitions
    python benchmarks/bench_fetch.py --quick    # 2 meters, one month, 1 repetition (CI)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    MockProcess,
    child_result,
    machine,
    rss_mb,
    run_child,
    summarise,
    table,
)

VARIANTS = ("ecore_xl", "ecore_xl_wide", "naive", "floor", "floor_seq")
LABELS = {
    "ecore_xl": "ecore_xl.data.fetch (long)",
    "ecore_xl_wide": "ecore_xl.data.fetch (wide)",
    "naive": "(a) naive: requests + .json() + DataFrame(list)",
    "floor": "(b) floor: same pages, same threads, bytes only",
    "floor_seq": "floor, sequential (naive's pages, bytes only)",
}
FULL = {"meters": 20, "from": "2025-01-01", "to": "2026-01-01"}
QUICK = {"meters": 2, "from": "2025-03-01", "to": "2025-04-01"}
#: (name, mock latency per request in s, variants, repetitions at full size)
SCENARIOS: tuple[tuple[str, float, tuple[str, ...], int], ...] = (
    ("loopback, no added latency", 0.0, VARIANTS, 5),
    (
        "20 ms latency per request (a WAN round trip to the API gateway)",
        0.02,
        ("ecore_xl", "naive", "floor", "floor_seq"),
        3,
    ),
)
MOCK = {"seed": 42, "years": [2025, 2026], "as_of": "2026-11-15", "page_size": 1000}


# ---- the child side: one variant, one run ----------------------------------------------------


def _token(env: dict[str, str], session: Any) -> str:
    r = session.post(
        env["ECORE_TOKEN_URL"],
        data={
            "grant_type": "client_credentials",
            "client_id": env["ECORE_CLIENT_ID"],
            "client_secret": env["ECORE_CLIENT_SECRET"],
            "scope": env["ECORE_SCOPE"],
        },
        timeout=30,
    )
    r.raise_for_status()
    return str(r.json()["access_token"])


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


def _download(session: Any, url: str, params: Any, headers: dict[str, str]) -> tuple[int, int]:
    """Every page of one collection as bytes: (pages, bytes)."""
    pages = size = 0
    kept: list[bytes] = []
    next_url: str | None = url
    while next_url is not None:
        r = session.get(next_url, params=params, headers=headers, timeout=120)
        r.raise_for_status()
        body = r.content
        kept.append(body)
        pages += 1
        size += len(body)
        next_url, params = _next_from_bytes(body), None
    return pages, size


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
    if variant.startswith("ecore_xl"):
        settings = Settings.load(use_file=False, use_keyring=False, environ=env)
        service = DataService(settings)
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
        out.update(workers=settings.max_workers)
    elif variant == "naive":
        session = requests.Session()
        t0 = time.perf_counter()
        headers = _headers(env, _token(env, session))
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
    elif variant in ("floor", "floor_seq"):
        session = requests.Session()
        base = env["ECORE_BASE_URL"]
        if variant == "floor":
            plan = [(base + path, query) for path, query in spec["plan"]]
            workers = spec["workers"]
        else:
            plan = [
                (base + "/volumes", {"meterId": m, "granularity": "quarterhour", **span})
                for m in ids
            ]
            workers = 1
        t0 = time.perf_counter()
        headers = _headers(env, _token(env, session))
        with ThreadPoolExecutor(workers) as pool:
            done = list(pool.map(lambda p: _download(session, p[0], p[1], headers), plan))
        seconds = time.perf_counter() - t0
        df = None
        out.update(pages=sum(p for p, _ in done), bytes=sum(b for _, b in done), workers=workers)
    else:
        raise SystemExit(f"unknown variant {variant}")
    out.update(seconds=seconds, base_rss_mb=round(base_rss, 1))
    if df is not None:
        out.update(rows=len(df), columns=df.shape[1])
    child_result(**out)


# ---- the parent side -------------------------------------------------------------------------


def _plan(env: dict[str, str], ids: list[str], span: dict[str, str]) -> tuple[list[Any], int]:
    """The (path, query) requests ecore_xl makes for this fetch, and its worker count."""
    from ecore_xl.config import Settings
    from ecore_xl.data import DataService, plan_requests

    settings = Settings.load(use_file=False, use_keyring=False, environ=env)
    svc = DataService(settings)
    ds, norm = svc.normalise("volumes", meterId=",".join(ids), granularity="quarterhour", **span)
    return [list(r) for r in plan_requests(ds, norm, tz=settings.timezone)], settings.max_workers


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small size, one repetition (CI)")
    p.add_argument("--reps", type=int, help="repetitions per variant (both scenarios)")
    p.add_argument("--json", type=Path, help="also write the raw results here")
    p.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    p.add_argument("--spec", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child(args.child, json.loads(args.spec))
        return 0

    size = QUICK if args.quick else FULL
    span = {"from": size["from"], "to": size["to"]}
    raw: dict[str, Any] = {"size": size, "machine": machine(), "scenarios": {}}
    reports = []
    with MockProcess({**MOCK, "meters": size["meters"]}) as mock:
        from ecore_xl.mock import Portfolio

        pf = Portfolio(seed=MOCK["seed"], meters=size["meters"], years=(2025, 2026))
        ids = [m["id"] for m in pf.meters]
        plan, workers = _plan(mock.env, ids, span)
        spec = json.dumps({"ids": ids, **span, "plan": plan, "workers": workers})
        me = str(Path(__file__).resolve())

        def run(variant: str) -> dict[str, Any]:
            return run_child([me, "--child", variant, "--spec", spec], env=mock.env)

        run("floor")  # warm-up: the mock builds and caches every meter-year once
        for name, latency, variants, full_reps in SCENARIOS:
            reps = args.reps or (1 if args.quick else full_reps)
            mock.command("faults", latency_s=latency)
            mock.command("reset_stats")
            results: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
            for _ in range(reps):  # round robin: drift on the machine hits every variant alike
                for variant in variants:
                    results[variant].append(run(variant))
            served = mock.stats()
            raw["scenarios"][name] = results
            reports.append(_report(name, results, size, reps, workers, served, args.quick))

    print(
        f"## bench_fetch — {size['meters']} meters, quarter-hours [{size['from']}, {size['to']})\n"
        f"\nMachine: {machine()}. The mock API runs in a separate process; every variant runs "
        "in a fresh interpreter.\nTime: median (min–max, ±half the range) of the repetitions; "
        "'vs ecore_xl' = median / ecore_xl's median. Peak RSS of the variant's own process "
        "(+ growth over its RSS after imports).\n"
    )
    print("\n".join(reports))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(raw, indent=1))
    return 0


def _report(
    scenario: str,
    results: dict[str, list[dict[str, Any]]],
    size: dict[str, Any],
    reps: int,
    workers: int,
    served: dict[str, Any],
    quick: bool,
) -> str:
    t = {v: summarise(r["seconds"] for r in rs) for v, rs in results.items()}
    mine = t["ecore_xl"].median
    rows = []
    for v, rs in results.items():
        first = rs[0]
        peak = summarise(r["peak_rss_mb"] for r in rs).median
        base = summarise(r["base_rss_mb"] for r in rs).median
        rows.append(
            [
                LABELS[v],
                t[v].fmt(),
                f"{t[v].median / mine:.2f}x",
                f"{first['rows']:,}" if "rows" in first else "–",
                f"{first.get('pages', 0):,}",
                f"{peak:.0f} MiB (+{peak - base:.0f})",
            ]
        )
    vs_naive = t["naive"].median / mine
    vs_floor = mine / t["floor"].median
    ok = vs_naive >= 2.0 and vs_floor <= 1.5
    head = (
        f"### {scenario}: {reps} repetition(s), ecore_xl max_workers={workers}, "
        f"{served['pages_served']:,} pages served\n\n"
    )
    verdict = (
        f"\nTargets: naive / ecore_xl = {vs_naive:.2f} (>= 2), ecore_xl / floor = "
        f"{vs_floor:.2f} (<= 1.5): {'MET' if ok else 'MISSED'}"
        + (" (quick size: not meaningful)" if quick else "")
        + "\n"
    )
    return (
        head
        + table(["variant", "time", "vs ecore_xl", "rows", "pages", "peak RSS"], rows)
        + "\n"
        + verdict
    )


if __name__ == "__main__":
    sys.exit(main())
