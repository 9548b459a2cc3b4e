"""Headless refresh against its peers in one run, each in its own process, and how it scales
with meters x months.

    python benchmarks/bench_refresh.py                 # 20 meters, 1 month, quarter-hours, x3
    python benchmarks/bench_refresh.py --quick         # 4 meters, 1 month, hourly, x1
    python benchmarks/bench_refresh.py --meters 50 --months 2 --granularity hour

Every variant gets the same frames from the same mock (fetched into the service's cache first,
outside the timing) and writes the five datasets (contracts, clicks, volumes, positions,
invoices):

* ``refresh``           — ``refresh_file`` into a new workbook: the streaming writer
  (``ecore_xl.xlsx``): settings sheet, lists, notes, tables, formats, widths;
* ``old openpyxl path`` — the same ``refresh_file`` with streaming switched off (one openpyxl
  cell per value, openpyxl's save: the writer before ``ecore_xl.xlsx``);
* ``again`` / ``old again`` — the second refresh of the workbook the first one wrote (its
  tables are read and resized): what a user does every day;
* ``to_excel``          — ``DataFrame.to_excel`` of the same frames, one sheet each, openpyxl
  engine (tz-aware columns made naive first, as to_excel requires);
* ``xlsxwriter``        — the same frames row by row with XlsxWriter in constant-memory mode
  (a benchmark-only peer: ``pip install xlsxwriter``; skipped without it).

The ratios are peer / refresh with their spread (the slowest and fastest pairing of the
repetitions). Peak memory is each process's ru_maxrss.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import HERE, child_result, machine, run_child, summarise, table
from bench_report import HAVE_XLSXWRITER, openpyxl_only, ratio, xlsxwriter_tables

DATASETS = ("contracts", "clicks", "volumes", "positions", "invoices")


def _service(meters: int, months: int) -> tuple[Any, Any]:
    from ecore_xl.config import Settings
    from ecore_xl.data import DataService
    from ecore_xl.mock import MockServer

    srv = MockServer(seed=42, meters=meters, years=(2026,), as_of=dt.date(2026, 12, 31))
    srv.start()
    settings = Settings.load(use_file=False, use_keyring=False, environ=srv.env(), cache_ttl=1e6)
    return srv, DataService(settings)


def _book(path: Path, months: int, granularity: str) -> None:
    import openpyxl

    from ecore_xl.excel.sheets import OpenpyxlWriter
    from ecore_xl.excel.workbook_settings import ensure_settings_sheet

    wb = openpyxl.Workbook()
    blank = wb.active
    ensure_settings_sheet(OpenpyxlWriter(wb))
    wb.remove(blank)
    values = {
        "ecore.from": dt.date(2026, 1, 1),
        "ecore.to": dt.date(2026, 1 + months, 1),
        "ecore.granularity": granularity,
        "ecore.datasets": ", ".join(DATASETS),
    }
    for name, value in values.items():
        ((sheet, cell),) = wb.defined_names[name].destinations
        wb[sheet][cell.replace("$", "")].value = value
    wb.save(path)


def _frames(svc: Any, path: Path) -> dict[str, Any]:
    """The frames a refresh of ``path`` writes (through the cache the refresh fills)."""
    import openpyxl

    from ecore_xl.excel.sheets import OpenpyxlWriter
    from ecore_xl.excel.workbook_filters import dataset_filters
    from ecore_xl.excel.workbook_settings import read_settings

    cfg = read_settings(OpenpyxlWriter(openpyxl.load_workbook(path)), svc.catalogue)

    def all_ids(choices: Any) -> list[str]:
        return [str(v) for v in svc.fetch(choices.dataset)[choices.field]]

    out = {}
    for name in DATASETS:
        ds = svc.catalogue.get(name)
        layout = {"layout": cfg.layout} if ds.wide is not None else {}
        out[ds.sheet] = svc.fetch(name, **layout, **dataset_filters(ds, cfg, all_ids))
    return out


def child(mode: str, meters: int, months: int, granularity: str) -> None:
    """One measured variant (runs in its own interpreter)."""
    from ecore_xl.excel.headless import refresh_file

    if mode.startswith("old"):
        openpyxl_only()
    srv, svc = _service(meters, months)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings_book = Path(tmp) / "settings.xlsx"
            _book(settings_book, months, granularity)
            frames = _frames(svc, settings_book)  # fetched once, cached for the refresh too
            rows = sum(len(f) for f in frames.values())
            cells = sum(f.size for f in frames.values())
            target = Path(tmp) / "out.xlsx"
            if mode in ("refresh", "old", "again", "old-again"):
                _book(target, months, granularity)
                if mode.endswith("again"):  # the workbook as the first refresh left it
                    refresh_file(target, service=svc)
                start = time.perf_counter()
                refresh_file(target, service=svc)
            else:
                import pandas as pd

                start = time.perf_counter()
                naive = {}
                for sheet, frame in frames.items():
                    frame = frame.copy()
                    for col in frame.columns:
                        if isinstance(frame[col].dtype, pd.DatetimeTZDtype):
                            frame[col] = frame[col].dt.tz_localize(None)
                    naive[sheet] = frame
                if mode == "to_excel":
                    with pd.ExcelWriter(target, engine="openpyxl") as writer:
                        for sheet, frame in naive.items():
                            frame.to_excel(writer, sheet_name=sheet, index=False)
                else:
                    xlsxwriter_tables(naive, target)
            seconds = time.perf_counter() - start
            size = target.stat().st_size
    finally:
        srv.stop()
    child_result(seconds=seconds, rows=rows, cells=cells, file_mb=round(size / 1e6, 2))


def _measure(me: str, mode: str, meters: int, months: int, granularity: str) -> dict[str, Any]:
    argv = [me, "--child", mode, "--meters", str(meters), "--months", str(months),
            "--granularity", granularity]  # fmt: skip
    env = {"PYTHONPATH": str(HERE.parent), "ECORE_NO_KEYRING": "1"}
    result = run_child(argv, env=env, timeout=1800)
    took = f"{result['seconds']:.2f} s, peak {result['peak_rss_mb']:.0f} MiB"
    print(f"  {mode} {meters}x{months}: {took}", file=sys.stderr)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--meters", type=int, default=20)
    parser.add_argument("--months", type=int, default=1)
    parser.add_argument("--granularity", default="quarterhour")
    parser.add_argument("--repeat", type=int, default=None)
    parser.add_argument("--scale", help="meters x months steps, e.g. 10x1,20x1,20x3,50x2")
    parser.add_argument("--quick", action="store_true", help="4 meters, 1 month, hourly")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.meters, args.months, args.granularity)
        return 0
    if args.quick:
        args.meters, args.months, args.granularity = 4, 1, "hour"
    repeat = args.repeat or (1 if args.quick else 3)
    steps = args.scale or ("2x1,4x1,4x2" if args.quick else "10x1,20x1,20x3,50x2")
    scale = [tuple(int(x) for x in step.split("x")) for step in steps.split(",")]
    me = str(Path(__file__).resolve())
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    modes = ["refresh", "old", "to_excel"] + (["xlsxwriter"] if HAVE_XLSXWRITER else [])
    modes += ["again", "old-again"]
    results: dict[str, list[dict[str, Any]]] = {}
    for _ in range(repeat):  # interleaved, so a load change hits every variant alike
        for mode in modes:
            res = _measure(me, mode, args.meters, args.months, args.granularity)
            results.setdefault(mode, []).append(res)
    names = {
        "refresh": "refresh_file (streaming writer)",
        "old": "old openpyxl path (one cell object per value)",
        "to_excel": "DataFrame.to_excel (openpyxl), same frames",
        "xlsxwriter": "XlsxWriter constant_memory, same frames",
        "again": "second refresh of that workbook (streaming writer)",
        "old-again": "second refresh, old openpyxl path",
    }
    lines = []
    for mode, label in names.items():
        if mode not in results:
            continue
        runs = results[mode]
        seconds = summarise(r["seconds"] for r in runs)
        if mode == "old-again":
            vs = f"{ratio(runs, results['again'])} of the second refresh"
        else:
            vs = ratio(runs, results["refresh"]) if mode not in ("refresh", "again") else "–"
        peak = max(float(r["peak_rss_mb"]) for r in runs)
        lines.append([label, seconds.fmt(), vs, f"{peak:.0f} MiB", runs[0]["file_mb"]])
    first = results["refresh"][0]
    header = ["variant", "time (median)", "peer / refresh", "peak RSS", "file MB"]
    print(
        f"\nHeadless refresh, {args.meters} meters, {args.months} month(s), {args.granularity}: "
        f"{first['rows']:,} rows, {first['cells']:,} cells in 5 datasets; {repeat} "
        f"repetition(s); {machine()}"
    )
    print(f"load average at the start: {load}\n")
    print(table(header, lines))
    if not HAVE_XLSXWRITER:
        print("\n(XlsxWriter is not installed: its peer was skipped; pip install xlsxwriter)")
    scale_lines = []
    for meters, months in scale:
        res = _measure(me, "refresh", meters, months, args.granularity)
        scale_lines.append([meters, months, f"{res['rows']:,}", f"{res['cells']:,}",
                            f"{res['seconds']:.2f} s", f"{res['peak_rss_mb']:.0f} MiB",
                            res["file_mb"]])  # fmt: skip
    scale_header = ["meters", "months", "rows", "cells", "refresh", "peak RSS", "file MB"]
    print(f"\nScale (refresh, {args.granularity}, one run each):\n")
    print(table(scale_header, scale_lines))
    flags = " --quick" if args.quick else ""
    print(f"\nCommand: python benchmarks/bench_refresh.py{flags}")
    out_dir = HERE / "out"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "bench_refresh.md").write_text(
        table(header, lines) + "\n\n" + table(scale_header, scale_lines) + "\n", encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
