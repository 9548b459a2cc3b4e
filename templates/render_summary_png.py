"""Render ``docs/summary.png``: the Summary page of the report ``ecore-xl demo`` makes, as
LibreOffice prints it.

    python templates/render_summary_png.py [--month 2026-11] [--meters 12] [--out docs/summary.png]

Steps: :func:`~ecore_xl.cli.demo_cmd.run_demo` (the demo itself: its mock, its default month, the
last complete one) → LibreOffice headless → PDF → ``pdftoppm`` (poppler-utils) → PNG of page 1
(the Summary sheet comes first).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ecore_xl.cli.demo_cmd import run_demo
from ecore_xl.report.soffice import to_pdf

ROOT = Path(__file__).resolve().parent.parent
CROP = 0.74  # share of the page height kept: the Summary's figures and charts


def render(month: str | None, meters: int, out: Path, dpi: int) -> Path:
    """Run the demo, print its report, and write page 1 as a PNG to ``out``."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise SystemExit("pdftoppm is missing: apt-get install -y poppler-utils")
    with tempfile.TemporaryDirectory(prefix="ecore-summary-") as tmp:
        work = Path(tmp)
        report = run_demo(work / "demo", meters=meters, month=month)["report"].paths[0]
        pdf = to_pdf(report, work, timeout=180)
        width, height = round(8.27 * dpi), round(11.69 * dpi * CROP)  # A4, blank foot cut off
        command = [pdftoppm, "-f", "1", "-l", "1", "-r", str(dpi), "-png", "-singlefile"]
        command += ["-x", "0", "-y", "0", "-W", str(width), "-H", str(height)]
        subprocess.run([*command, str(pdf), str(work / "summary")], check=True, timeout=120)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(work / "summary.png", out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--month", default=None, help="default: the demo's (last complete month)")
    parser.add_argument("--meters", type=int, default=12)  # ecore-xl demo's size
    parser.add_argument("--dpi", type=int, default=110)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "summary.png")
    args = parser.parse_args(argv)
    path = render(args.month, args.meters, args.out, args.dpi)
    print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
