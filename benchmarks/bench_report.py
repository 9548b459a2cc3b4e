"""Benchmark: the monthly report for 100 meters in quarter-hours (~298,000 consumption rows),
against its peers in one run, and how it scales with the number of meters.

Each variant runs in its own fresh interpreter (clean peak RSS); the mock API runs in another
process. The data is fetched once per size from the mock into a snapshot folder (that run is
the online variant), then every other variant works from that snapshot, so they differ only in
what they do with the same data:

* ``report``             — ``build_report(..., granularity="quarterhour", snapshot_dir=…)``:
  the streaming writer (``ecore_xl.xlsx``), template kept, cached values, widths;
* ``old openpyxl path``  — the same ``build_report`` with streaming switched off: every cell an
  openpyxl object, openpyxl's save (the writer before ``ecore_xl.xlsx``);
* ``tables only``        — the same fetch from the snapshot and the same report tables, nothing
  written: the part every variant shares;
* ``DataFrame.to_excel`` — those very tables written with ``pandas.ExcelWriter`` (openpyxl
  engine), one sheet per table: plain cells, no template, no formulas, no charts;
* ``XlsxWriter constant_memory`` — those tables written row by row with XlsxWriter in
  constant-memory mode (a benchmark-only peer: ``pip install xlsxwriter``; skipped without it).

Every variant's time includes reading the snapshot and computing the tables. The ratios are
peer / report with their spread (the slowest and fastest pairing of the repetitions).

    python benchmarks/bench_report.py            # 100 meters x 3 repetitions; scale 10/50/100
    python benchmarks/bench_report.py --quick    # 10 meters, 1 repetition; scale 2/5/10
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import (
    HERE,
    MockProcess,
    child_result,
    machine,
    ratio,
    run_child,
    summarise,
    table,
)

MONTH = "2026-10"  # 31 days with the 25-hour day: 2,980 quarter-hours per meter
HAVE_XLSXWRITER = importlib.util.find_spec("xlsxwriter") is not None


def _service() -> object:
    from ecore_xl.config import Settings
    from ecore_xl.data import DataService

    return DataService(Settings.load(use_file=False, use_keyring=False))


def _tables(snapshot: Path) -> dict[str, Any]:
    from ecore_xl.report.collect import Collector, collect_month
    from ecore_xl.report.figures import report_tables
    from ecore_xl.report.period import ReportMonth

    service = _service()
    month = ReportMonth.parse(MONTH)
    collector = Collector(service, snapshot_dir=snapshot, offline=True)  # type: ignore[arg-type]
    data = collect_month(collector, month, granularity="quarterhour")
    tables, _ = report_tables(data, legal_entities=None, threshold=0.02)
    return tables


def openpyxl_only() -> None:
    """Switch the writer back to one openpyxl cell per value and openpyxl's save."""
    import ecore_xl.xlsx as xlsx

    def save(wb: Any, filename: Any, **_: Any) -> None:
        wb.save(filename)

    xlsx.stream_cells = lambda wb: None  # type: ignore[assignment,return-value]
    xlsx.save_workbook = save  # type: ignore[assignment]


def xlsxwriter_tables(frames: dict[str, Any], out: Path) -> None:
    """The frames with XlsxWriter in constant-memory mode: row by row, dates formatted."""
    import numpy as np
    import pandas as pd
    import xlsxwriter

    book = xlsxwriter.Workbook(str(out), {"constant_memory": True})
    date = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for name, frame in frames.items():
        ws = book.add_worksheet(name[:31])
        ws.write_row(0, 0, [str(c) for c in frame.columns])
        columns = []
        for col in frame.columns:
            s = frame[col]
            if isinstance(s.dtype, pd.DatetimeTZDtype):
                s = s.dt.tz_localize(None)
            columns.append(s.to_numpy(dtype=object, na_value=None))
        formats = [date if pd.api.types.is_datetime64_any_dtype(frame[c]) else None
                   for c in frame.columns]  # fmt: skip
        for r, row in enumerate(zip(*columns, strict=True), start=1):
            for c, value in enumerate(row):
                if value is None or (isinstance(value, float) and np.isnan(value)):
                    continue
                if formats[c] is not None:
                    ws.write_datetime(r, c, value, formats[c])
                else:
                    ws.write(r, c, value)
    book.close()


def child(mode: str, snapshot: Path, out: Path) -> None:
    """One measured variant (runs in its own interpreter)."""
    started = time.perf_counter()
    rows = None
    if mode in ("online", "report", "old"):
        if mode == "old":
            openpyxl_only()
        from ecore_xl.report import build_report

        build_report(
            MONTH,
            out=out,
            granularity="quarterhour",
            snapshot_dir=snapshot,
            offline=mode != "online",
            service=_service(),  # type: ignore[arg-type]
        )
    else:
        tables = _tables(snapshot)
        rows = len(tables["consumption"])
        if mode == "to_excel":
            import pandas as pd

            with pd.ExcelWriter(out, engine="openpyxl") as writer:
                for name, frame in tables.items():
                    frame.to_excel(writer, sheet_name=name[:31], index=False)
        elif mode == "xlsxwriter":
            xlsxwriter_tables(tables, out)
    child_result(
        seconds=time.perf_counter() - started,
        rows=rows,
        file_mb=round(out.stat().st_size / 1e6, 2) if out.exists() else None,
    )


def _env(mock: MockProcess, home: Path) -> dict[str, str]:
    return {
        **mock.env,
        "ECORE_NO_KEYRING": "1",
        "ECORE_CONFIG_DIR": str(home / "config"),
        "ECORE_CACHE_DIR": str(home / "cache"),
        "ECORE_LOG_DIR": str(home / "logs"),
    }


def _run(me: str, mode: str, snapshot: Path, out: Path, env: dict[str, str]) -> dict[str, Any]:
    result = run_child([me, "--child", mode, str(snapshot), str(out)], env=env, timeout=1800)
    took = f"{result['seconds']:.2f} s, peak {result['peak_rss_mb']:.0f} MiB"
    print(f"  {mode} ({snapshot.parent.name}): {took}", file=sys.stderr)
    out.unlink(missing_ok=True)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 meters, one repetition")
    parser.add_argument("--repeat", type=int, default=None, help="repetitions per variant")
    parser.add_argument("--sizes", help="meters per scale step, comma-separated")
    parser.add_argument(
        "--child", nargs=3, metavar=("MODE", "SNAPSHOT", "OUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        mode, snapshot, out = args.child
        child(mode, Path(snapshot), Path(out))
        return 0

    sizes = [int(s) for s in (args.sizes or ("2,5,10" if args.quick else "10,50,100")).split(",")]
    meters = max(sizes)
    repeat = args.repeat or (1 if args.quick else 3)
    me = str(Path(__file__).resolve())
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    modes = ["report", "old", "tables", "to_excel"] + (["xlsxwriter"] if HAVE_XLSXWRITER else [])
    results: dict[str, list[dict[str, Any]]] = {}
    scale: dict[int, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        for size in sizes:
            home = Path(tmp) / f"m{size}"
            kw = {"seed": 42, "meters": size, "years": [2026], "as_of": "2026-11-26"}
            with MockProcess(kw) as mock:
                env = _env(mock, home)
                snapshot = home / "snapshot"
                online = _run(me, "online", snapshot, home / "online.xlsx", env)
            if size != meters:
                scale[size] = {"online": online, "report": _run(me, "report", snapshot,
                               home / "r.xlsx", env)}  # fmt: skip
                continue
            results["online"] = [online]
            for i in range(repeat):  # interleaved, so a load change hits every variant alike
                for mode in modes:
                    res = _run(me, mode, snapshot, home / f"{mode}-{i}.xlsx", env)
                    results.setdefault(mode, []).append(res)
            scale[size] = {"online": online, "report": results["report"][0]}
            scale[size]["report_all"] = results["report"]
    rows = results["tables"][0]["rows"]
    names = {
        "report": "report (streaming writer)",
        "old": "old openpyxl path (one cell object per value)",
        "tables": "tables only (no file)",
        "to_excel": "DataFrame.to_excel (openpyxl), same tables",
        "xlsxwriter": "XlsxWriter constant_memory, same tables",
        "online": "report online (fetch over HTTP + snapshot)",
    }
    lines = []
    for mode, label in names.items():
        if mode not in results:
            continue
        runs = results[mode]
        seconds = summarise(r["seconds"] for r in runs)
        peak = max(float(r["peak_rss_mb"]) for r in runs)
        vs = ratio(runs, results["report"]) if mode in ("old", "to_excel", "xlsxwriter") else "–"
        lines.append([label, seconds.fmt(), vs, f"{peak:.0f} MiB", runs[0].get("file_mb") or "–"])
    header = ["variant", "time (median)", "peer / report", "peak RSS", "file MB"]
    what = f"{meters} meters in quarter-hours ({rows:,} consumption rows)"
    print(f"\nMonthly report {MONTH}, {what}, {repeat} repetition(s); {machine()}")
    print(f"load average at the start: {load}\n")
    print(table(header, lines))
    if not HAVE_XLSXWRITER:
        print("\n(XlsxWriter is not installed: its peer was skipped; pip install xlsxwriter)")
    scale_lines = []
    for size in sorted(scale):
        rep = scale[size].get("report_all") or [scale[size]["report"]]
        s = summarise(r["seconds"] for r in rep)
        rows_n = size * 2980
        scale_lines.append([size, "1 (Oct 2026)", f"{rows_n:,}", s.fmt(),
                            f"{max(r['peak_rss_mb'] for r in rep):.0f} MiB",
                            f"{scale[size]['online']['seconds']:.2f} s"])  # fmt: skip
    scale_header = ["meters", "months", "consumption rows", "report from snapshot", "peak RSS",
                    "report online"]  # fmt: skip
    print("\nScale (report, quarter-hours):\n")
    print(table(scale_header, scale_lines))
    print(f"\nCommand: python benchmarks/bench_report.py{' --quick' if args.quick else ''}")
    out_dir = HERE / "out"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "bench_report.md").write_text(
        table(header, lines) + "\n\n" + table(scale_header, scale_lines) + "\n", encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
