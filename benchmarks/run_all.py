"""Run every ``benchmarks/bench_*.py`` and collect their printed tables into one Markdown file.

    python benchmarks/run_all.py --quick     # small sizes, for CI: checks they run, no timing
    python benchmarks/run_all.py             # full sizes (several minutes on 2 cores)
    python benchmarks/run_all.py --only fetch,faults

Each script runs in its own process, one after the other (they measure time: never two at once),
with ``--quick`` passed on. Their output goes, in order and headed by the machine's ``nproc`` and
``free -h``, to the terminal and to ``benchmarks/out/results[-quick].md`` (``--out`` to change),
from which the table in ``benchmarks/README.md`` is filled. Exit code 1 if any script failed or
timed out; the others still run. No time is asserted anywhere.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _shell(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.rstrip()
    except OSError:
        return "(not available)"


def machine_block() -> str:
    """What the README's table must name: cores and memory (``nproc``, ``free -h``)."""
    return (
        f"Run {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} with Python "
        f"{sys.version.split()[0]}; `nproc` = {_shell(['nproc']) or os.cpu_count()}; "
        f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n\n"
        f"```\n$ free -h\n{_shell(['free', '-h'])}\n```\n"
    )


def scripts(only: list[str] | None) -> list[Path]:
    found = sorted(HERE.glob("bench_*.py"))
    if only:
        wanted = {name.removeprefix("bench_").removesuffix(".py") for name in only}
        found = [p for p in found if p.stem.removeprefix("bench_") in wanted]
        missing = wanted - {p.stem.removeprefix("bench_") for p in found}
        if missing:
            raise SystemExit(f"no benchmarks/bench_{'/'.join(sorted(missing))}.py")
    return found


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes (CI); passed to each script")
    p.add_argument("--only", help="comma-separated names, e.g. fetch,faults")
    p.add_argument("--out", type=Path, help="the collected Markdown (default benchmarks/out/)")
    p.add_argument("--timeout", type=float, help="seconds per script (default 300 quick, 3600)")
    args = p.parse_args(argv)
    timeout = args.timeout or (300 if args.quick else 3600)
    out = args.out or HERE / "out" / ("results-quick.md" if args.quick else "results.md")
    out.parent.mkdir(parents=True, exist_ok=True)

    size = "quick (--quick)" if args.quick else "full"
    parts = [f"# ecore_xl benchmarks, {size}\n", machine_block()]
    failed: list[str] = []
    summary: list[str] = []
    for script in scripts(args.only.split(",") if args.only else None):
        cmd = [sys.executable, str(script), *(["--quick"] if args.quick else [])]
        print(f"== {script.name} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
            code, stdout, stderr = proc.returncode, proc.stdout, proc.stderr
        except subprocess.TimeoutExpired as exc:
            code = -1
            stdout = exc.stdout if isinstance(exc.stdout, str) else ""
            stderr = f"timed out after {timeout:.0f} s"
        took = time.perf_counter() - started
        status = "ok" if code == 0 else f"FAILED (exit {code})"
        summary.append(f"| {script.name} | {status} | {took:.0f} s |")
        parts.append(f"\n<!-- {script.name}: {status}, {took:.0f} s -->\n\n{stdout.rstrip()}\n")
        if code != 0:
            failed.append(script.name)
            parts.append(f"\n```\n{script.name} {status}:\n{stderr.strip()[-3000:]}\n```\n")
        print(f"   {status} in {took:.0f} s", file=sys.stderr, flush=True)
    parts.insert(
        2, "\n| script | result | wall time |\n|---|---|---|\n" + "\n".join(summary) + "\n"
    )
    text = "\n".join(parts)
    out.write_text(text, encoding="utf-8")
    print(text)
    print(f"(also written to {out})", file=sys.stderr)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
