"""Headless refresh vs ``DataFrame.to_excel``: time and peak memory, each in its own process.

    python benchmarks/bench_refresh.py                 # 20 meters, 1 month, quarter-hours
    python benchmarks/bench_refresh.py --quick         # 4 meters, 1 month, hourly
    python benchmarks/bench_refresh.py --meters 50 --months 2 --granularity hour

Both sides get the same frames from the same mock (fetched into the service's cache first,
outside the timing): ``refresh`` times ``refresh_file`` into a new workbook (all five datasets,
settings sheet, lists, notes, tables); ``to_excel`` times ``DataFrame.to_excel`` of the same
frames, one sheet each, with openpyxl (tz-aware columns made naive first, as to_excel requires).
Peak memory is the process's ru_maxrss (Linux: KiB), so each run gets a fresh interpreter.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ("contracts", "clicks", "volumes", "positions", "invoices")


def _service(args: argparse.Namespace) -> tuple[Any, Any]:
    from ecore_xl.config import Settings
    from ecore_xl.data import DataService
    from ecore_xl.mock import MockServer

    srv = MockServer(seed=42, meters=args.meters, years=(2026,), as_of=dt.date(2026, 11, 15))
    srv.start()
    settings = Settings.load(use_file=False, use_keyring=False, environ=srv.env(), cache_ttl=1e6)
    return srv, DataService(settings)


def _book(path: Path, args: argparse.Namespace) -> None:
    import openpyxl

    from ecore_xl.excel.sheets import OpenpyxlWriter
    from ecore_xl.excel.workbook_settings import ensure_settings_sheet

    wb = openpyxl.Workbook()
    blank = wb.active
    ensure_settings_sheet(OpenpyxlWriter(wb))
    wb.remove(blank)
    values = {
        "ecore.from": dt.date(2026, 1, 1),
        "ecore.to": dt.date(2026, 1 + args.months, 1),
        "ecore.granularity": args.granularity,
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

    cfg = read_settings(OpenpyxlWriter(openpyxl.load_workbook(path)))

    def all_ids(name: str) -> list[str]:
        return [str(v) for v in svc.fetch(name)["id"]]

    out = {}
    for name in DATASETS:
        ds = svc.catalogue.get(name)
        layout = {"layout": cfg.layout} if name == "volumes" else {}
        out[ds.sheet] = svc.fetch(name, **layout, **dataset_filters(ds, cfg, all_ids))
    return out


def child(args: argparse.Namespace) -> dict[str, Any]:
    from ecore_xl.excel.headless import refresh_file

    srv, svc = _service(args)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings_book = Path(tmp) / "settings.xlsx"
            _book(settings_book, args)
            frames = _frames(svc, settings_book)  # fetched once, cached for the refresh too
            rows = sum(len(f) for f in frames.values())
            cells = sum(f.size for f in frames.values())
            target = Path(tmp) / "out.xlsx"
            if args.child == "refresh":
                _book(target, args)
                start = time.perf_counter()
                refresh_file(target, service=svc)
            else:
                import pandas as pd

                start = time.perf_counter()
                with pd.ExcelWriter(target, engine="openpyxl") as writer:
                    for sheet, frame in frames.items():
                        naive = frame.copy()
                        for col in naive.columns:
                            if isinstance(naive[col].dtype, pd.DatetimeTZDtype):
                                naive[col] = naive[col].dt.tz_localize(None)
                        naive.to_excel(writer, sheet_name=sheet, index=False)
            seconds = time.perf_counter() - start
            size = target.stat().st_size
    finally:
        srv.stop()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    peak_bytes = peak if sys.platform == "darwin" else peak * 1024
    return {
        "mode": args.child,
        "seconds": seconds,
        "peak_mb": peak_bytes / 1e6,
        "rows": rows,
        "cells": cells,
        "file_mb": size / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--meters", type=int, default=20)
    parser.add_argument("--months", type=int, default=1)
    parser.add_argument("--granularity", default="quarterhour")
    parser.add_argument("--quick", action="store_true", help="4 meters, 1 month, hourly")
    parser.add_argument("--child", choices=("refresh", "to_excel"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.meters, args.months, args.granularity = 4, 1, "hour"
    if args.child:
        print(json.dumps(child(args)))
        return
    base = [sys.executable, __file__, "--meters", str(args.meters), "--months", str(args.months),
            "--granularity", args.granularity]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ECORE_NO_KEYRING": "1"}
    results = []
    for mode in ("refresh", "to_excel"):
        out = subprocess.run(
            [*base, "--child", mode], capture_output=True, text=True, env=env, check=True,
            timeout=1800,
        )  # fmt: skip
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(
        f"mock: {args.meters} meters, {args.months} month(s), {args.granularity}; "
        f"{results[0]['rows']:,} rows, {results[0]['cells']:,} cells in 5 datasets"
    )
    print(f"{'':10} {'seconds':>8} {'peak MB':>8} {'file MB':>8}")
    for r in results:
        print(f"{r['mode']:10} {r['seconds']:8.2f} {r['peak_mb']:8.0f} {r['file_mb']:8.2f}")
    print(f"refresh / to_excel time: {results[0]['seconds'] / results[1]['seconds']:.2f}x")


if __name__ == "__main__":
    main()
