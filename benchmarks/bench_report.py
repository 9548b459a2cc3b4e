"""Benchmark: the monthly report for 100 meters in quarter-hours (~298,000 consumption rows).

Each variant runs in its own fresh interpreter (clean peak RSS); the mock API runs in another
process. The data is fetched once from the mock into a snapshot folder (that run is the online
variant), then every other variant works from that snapshot, so they differ only in what they
do with the same data:

* ``report (online)``   — ``build_report(..., granularity="quarterhour", snapshot_dir=…)``
  fetching over HTTP from the mock, writing the snapshot and the workbook;
* ``report``            — ``build_report`` from the snapshot: template load, every table written
  with ``excel.sheets.write_table`` (template formats, formula columns, charts stretched), saved
  atomically;
* ``tables only``       — the same fetch from the snapshot and the same report tables, nothing
  written: the part both writers share;
* ``DataFrame.to_excel`` — those very tables written with ``pandas.ExcelWriter`` (openpyxl
  engine), one sheet per table: plain cells, no template, no formulas, no charts.

    python benchmarks/bench_report.py            # 100 meters, 3 repetitions
    python benchmarks/bench_report.py --quick    # 10 meters, 1 repetition
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from _common import HERE, MockProcess, child_result, machine, run_child, summarise, table

MONTH = "2026-10"  # 31 days with the 25-hour day: 2,980 quarter-hours per meter


def _service() -> object:
    from ecore_xl.config import Settings
    from ecore_xl.data import DataService

    return DataService(Settings.load(use_file=False, use_keyring=False))


def _tables(snapshot: Path) -> dict[str, object]:
    from ecore_xl.report.collect import Collector, collect_month
    from ecore_xl.report.figures import report_tables
    from ecore_xl.report.period import ReportMonth

    service = _service()
    month = ReportMonth.parse(MONTH)
    collector = Collector(service, snapshot_dir=snapshot, offline=True)  # type: ignore[arg-type]
    data = collect_month(collector, month, granularity="quarterhour")
    tables, _ = report_tables(data, legal_entities=None, threshold=0.02)
    return tables  # type: ignore[return-value]


def child(mode: str, snapshot: Path, out: Path) -> None:
    """One measured variant (runs in its own interpreter)."""
    started = time.perf_counter()
    write_s = None
    if mode in ("online", "report"):
        from ecore_xl.report import build_report

        build_report(
            MONTH,
            out=out,
            granularity="quarterhour",
            snapshot_dir=snapshot,
            offline=mode == "report",
            service=_service(),  # type: ignore[arg-type]
        )
        rows = None
    else:
        tables = _tables(snapshot)
        rows = len(tables["consumption"])  # type: ignore[arg-type]
        if mode == "to_excel":
            import pandas as pd

            t0 = time.perf_counter()
            with pd.ExcelWriter(out, engine="openpyxl") as writer:
                for name, frame in tables.items():
                    frame.to_excel(writer, sheet_name=name[:31], index=False)  # type: ignore[attr-defined]
            write_s = time.perf_counter() - t0
    child_result(
        seconds=time.perf_counter() - started,
        write_seconds=write_s,
        rows=rows,
        file_mb=round(out.stat().st_size / 1e6, 2) if out.exists() else None,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 meters, one repetition")
    parser.add_argument("--repeat", type=int, default=None, help="repetitions per variant")
    parser.add_argument(
        "--child", nargs=3, metavar=("MODE", "SNAPSHOT", "OUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        mode, snapshot, out = args.child
        child(mode, Path(snapshot), Path(out))
        return 0

    meters = 10 if args.quick else 100
    repeat = args.repeat or (1 if args.quick else 3)
    me = str(Path(__file__).resolve())
    results: dict[str, list[dict[str, object]]] = {}
    with (
        tempfile.TemporaryDirectory(prefix="bench-report-") as tmp,
        MockProcess({"seed": 42, "meters": meters, "years": [2026], "as_of": "2026-11-26"}) as mock,
    ):
        home = Path(tmp)
        snapshot = home / "snapshot"
        env = {
            **mock.env,
            "ECORE_NO_KEYRING": "1",
            "ECORE_CONFIG_DIR": str(home / "config"),
            "ECORE_CACHE_DIR": str(home / "cache"),
            "ECORE_LOG_DIR": str(home / "logs"),
        }
        plan = [("online", 1), ("report", repeat), ("tables", repeat), ("to_excel", repeat)]
        for mode, times in plan:
            for i in range(times):
                out = home / f"{mode}-{i}.xlsx"
                result = run_child([me, "--child", mode, str(snapshot), str(out)], env=env)
                results.setdefault(mode, []).append(result)
                took = f"{result['seconds']:.2f} s, peak {result['peak_rss_mb']:.0f} MiB"
                print(f"  {mode} #{i + 1}: {took}", file=sys.stderr)

    rows = results["tables"][0]["rows"]
    names = {
        "online": "report (online, fetch over HTTP)",
        "report": "report from snapshot",
        "tables": "tables only (no file)",
        "to_excel": "DataFrame.to_excel, same tables",
    }
    lines = []
    for mode, label in names.items():
        runs = results[mode]
        seconds = summarise(r["seconds"] for r in runs)  # type: ignore[misc]
        writes = [r["write_seconds"] for r in runs if r.get("write_seconds") is not None]
        write = summarise(writes).fmt() if writes else "–"  # type: ignore[arg-type]
        if mode == "report":
            base = summarise(r["seconds"] for r in results["tables"]).median  # type: ignore[misc]
            write = f"≈ {seconds.median - base:.2f} s (total − tables only)"
        peak = max(float(r["peak_rss_mb"]) for r in runs)  # type: ignore[arg-type]
        size = runs[0].get("file_mb")
        lines.append([label, seconds.fmt(), write, f"{peak:.0f} MiB", size or "–"])
    what = f"{meters} meters in quarter-hours ({rows:,} consumption rows)"
    print(f"\nMonthly report {MONTH}, {what}, {repeat} repetition(s); {machine()}\n")
    print(table(["variant", "time (median)", "writing", "peak RSS", "file MB"], lines))
    print(f"\nCommand: python benchmarks/bench_report.py{' --quick' if args.quick else ''}")
    out_dir = HERE / "out"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "bench_report.md").write_text(
        table(["variant", "time (median)", "writing", "peak RSS", "file MB"], lines) + "\n",
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
