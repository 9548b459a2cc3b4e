"""Benchmark: the mock's own CPU per volumes page, for bench_fetch's requests.

The mock (``_common.MockProcess``, its own process) serves every page of a meter x month plan of
quarter-hours (bench_fetch's: one request per meter and month, 1,000 records a page, the next
links followed) to one client on one keep-alive connection, so what is read is the mock's cost
per page, from its process CPU time (``/proc/<pid>/stat``), not contention. Pass 1 is cold
(every page asked for the first time); passes 2.. ask the same pages again, as bench_fetch's
variants and repetitions do.

``--baseline-src DIR`` runs a second mock from another source tree (``DIR/ecore_xl``, e.g.
``git archive main ecore_xl | tar -x -C DIR``) side by side, alternating passes, and checks that
both serve the same bytes for every page.

    python benchmarks/bench_mock.py                        # 20 meters x 12 months, 3 passes
    python benchmarks/bench_mock.py --baseline-src /tmp/before
    python benchmarks/bench_mock.py --quick                # 2 meters x 1 month (CI)
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import MockProcess, machine, table

#: bench_fetch's mock settings (as_of late enough that the whole of 2025 is actuals)
MOCK = {"seed": 42, "years": [2025, 2026], "as_of": "2026-11-15", "page_size": 1000}
_NEXT = b'"nextLink":"'
#: run a script (argv[2:]) with ecore_xl imported from the tree argv[1] first (_common puts
#: this repository on sys.path, ahead of PYTHONPATH)
_FROM_SOURCE = """import runpy, sys
sys.path.insert(0, sys.argv[1])
import ecore_xl
print("mock from", ecore_xl.__file__, file=sys.stderr)
sys.argv = sys.argv[2:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


class SourceMock(MockProcess):
    """A :class:`MockProcess` importing ``ecore_xl`` from ``src`` (None: this tree)."""

    def __init__(self, mock: dict[str, Any], src: Path | None) -> None:
        super().__init__(mock)
        self.src = src

    def _spawn(self, *args: str) -> Any:
        if self.src is None:
            return super()._spawn(*args)
        return super()._spawn("-c", _FROM_SOURCE, str(self.src), *args)

    def cpu(self) -> float:
        """The mock process's user + system CPU seconds so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def plan(meters: int, months: int) -> list[dict[str, str]]:
    """bench_fetch's queries: one per meter and month of 2025, quarter-hour actuals."""
    out = []
    for m in range(1, meters + 1):
        for k in range(months):
            a = dt.date(2025 + k // 12, k % 12 + 1, 1)
            b = dt.date(2025 + (k + 1) // 12, (k + 1) % 12 + 1, 1)
            meter = f"MTR-{m:04d}"
            out.append({"from": a.isoformat(), "granularity": "quarterhour", "meterId": meter,
                        "to": b.isoformat(), "type": "actual"})  # fmt: skip
    return out


def one_pass(mock: SourceMock, queries: list[dict[str, str]]) -> dict[str, Any]:
    """Every page of ``queries``, sequentially: pages, wall and mock CPU seconds, a digest."""
    import orjson
    import urllib3

    env = mock.env
    pool = urllib3.PoolManager(maxsize=1, retries=False)
    form = {"grant_type": "client_credentials", "client_id": env["ECORE_CLIENT_ID"],
            "client_secret": env["ECORE_CLIENT_SECRET"], "scope": env["ECORE_SCOPE"]}  # fmt: skip
    answer = pool.request("POST", env["ECORE_TOKEN_URL"], fields=form, encode_multipart=False)
    headers = {"Authorization": f"Bearer {orjson.loads(answer.data)['access_token']}",
               "Ocp-Apim-Subscription-Key": env["ECORE_SUBSCRIPTION_KEY"]}  # fmt: skip
    digest = hashlib.sha256()
    pages = size = 0
    cpu, t0 = mock.cpu(), time.perf_counter()
    for query in queries:
        url: str | None = env["ECORE_BASE_URL"] + "/volumes?" + urlencode(query)
        while url is not None:
            r = pool.request("GET", url, headers=headers)
            if r.status != 200:
                raise RuntimeError(f"HTTP {r.status} for {url}")
            body = r.data
            digest.update(body.replace(env["ECORE_BASE_URL"].encode(), b"BASE"))
            pages += 1
            size += len(body)
            at = body.rfind(_NEXT)
            url = None if at < 0 else body[at + 12 : body.index(b'"', at + 12)].decode()
    wall, cpu = time.perf_counter() - t0, mock.cpu() - cpu
    pool.clear()
    return {"pages": pages, "bytes": size, "wall": wall, "cpu": cpu, "digest": digest.hexdigest()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--meters", type=int, default=20)
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--passes", type=int, default=3, help="pass 1 cold, the others warm")
    ap.add_argument("--baseline-src", type=Path, help="a source tree holding ecore_xl/")
    ap.add_argument("--quick", action="store_true", help="2 meters, 1 month, 2 passes")
    args = ap.parse_args()
    if args.quick:
        args.meters, args.months, args.passes = 2, 1, 2
    if args.baseline_src is not None and not (args.baseline_src / "ecore_xl").is_dir():
        raise SystemExit(f"--baseline-src {args.baseline_src}: no ecore_xl/ there")
    queries = plan(args.meters, args.months)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    settings = {**MOCK, "meters": args.meters}
    mocks = {
        "this tree": SourceMock(settings, None),
        "this tree, page cache off": SourceMock({**settings, "page_cache_mb": 0}, None),
    }
    if args.baseline_src is not None:
        mocks = {f"baseline ({args.baseline_src})": SourceMock(settings, args.baseline_src),
                 **mocks}  # fmt: skip
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in mocks}
    try:
        for mock in mocks.values():
            mock.start()
        for _ in range(args.passes):  # alternating: both see the same load
            for name, mock in mocks.items():
                runs[name].append(one_pass(mock, queries))
    finally:
        for mock in mocks.values():
            mock.stop()
    digests = {r["digest"] for rs in runs.values() for r in rs}
    first = next(iter(runs.values()))[0]
    rows = []
    for name, rs in runs.items():
        warm = rs[1:]
        cold_ms = rs[0]["cpu"] / rs[0]["pages"] * 1e3
        warm_ms = statistics.median(r["cpu"] / r["pages"] for r in warm) * 1e3 if warm else None
        wall = statistics.median(r["wall"] for r in warm) if warm else rs[0]["wall"]
        rows.append([name, f"{cold_ms:.2f} ms", f"{warm_ms:.2f} ms" if warm else "-",
                     f"{rs[0]['wall']:.2f} s", f"{wall:.2f} s"])  # fmt: skip
    print(
        f"## bench_mock — {args.meters} meters x {args.months} months of quarter-hours, "
        f"{first['pages']:,} pages, {first['bytes'] / 1e6:.1f} MB a pass\n\n"
        f"Machine: {machine()}; load average at the start {load}, at the end "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}. One client, one connection; mock CPU "
        f"from /proc. Warm: median of passes 2-{args.passes}.\n"
    )
    print(table(["mock", "CPU / page, cold", "CPU / page, warm", "wall, cold", "wall, warm"], rows))
    same = "yes" if len(digests) == 1 else f"NO ({len(digests)} different digests)"
    print(f"\nEvery pass of every mock served the same bytes: {same}")
    if len(digests) != 1:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
