"""LibreOffice headless: recalculate a report's formulas, or print it to PDF, with no Excel.

openpyxl writes formulas without cached results. LibreOffice computes them when it loads a file,
but by default keeps cached values it finds in an .xlsx ("never recalculate"). Every call here
runs ``soffice`` with its own throw-away profile (``-env:UserInstallation``) whose
``registrymodifications.xcu`` sets ``Calc/Formula/Load/OOXMLRecalcMode`` (and the ODF one) to
0 = always recalculate, so results never depend on what a previous program left in the file,
and a parallel run or the user's own LibreOffice is never disturbed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ecore_xl.errors import EcoreError, UsageError

__all__ = [
    "NO_SOFFICE",
    "SofficeError",
    "convert",
    "export_pdf",
    "find_soffice",
    "missing_soffice",
    "recalculate",
    "to_pdf",
]

_RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
           xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
  <prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
  <prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""

#: output format -> LibreOffice export filter
FILTERS = {
    "pdf": "pdf:calc_pdf_Export",
    "xlsx": "xlsx:Calc MS Excel 2007 XML",
}


class SofficeError(EcoreError):
    """LibreOffice is missing, timed out or did not write the expected file (a local problem)."""

    exit_code = 2


#: what a missing LibreOffice means for ``--pdf``, in one line
NO_SOFFICE = (
    "--pdf needs LibreOffice (soffice), which is not installed: install it "
    "(https://www.libreoffice.org) or set ECORE_SOFFICE to its soffice, or leave out --pdf."
)


def find_soffice() -> str | None:
    """The ``soffice`` executable, or None: ``ECORE_SOFFICE`` when set (then only that file),
    else PATH and the usual install places."""
    chosen = os.environ.get("ECORE_SOFFICE", "").strip()
    if chosen:
        return chosen if Path(chosen).is_file() else None
    candidates = [
        shutil.which("soffice") or "",
        shutil.which("libreoffice") or "",
        "/usr/bin/soffice",
        "/usr/lib/libreoffice/program/soffice",
        "/Applications/LibreOffice.app/Contents/MacOS/soffice",
        r"C:\Program Files\LibreOffice\program\soffice.exe",
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def missing_soffice() -> str:
    """Why :func:`find_soffice` found nothing, in one line for ``--pdf``."""
    chosen = os.environ.get("ECORE_SOFFICE", "").strip()
    if chosen:
        return (
            f"--pdf needs LibreOffice, and ECORE_SOFFICE={chosen} is not a file: point it at "
            "LibreOffice's soffice, or leave out --pdf."
        )
    return NO_SOFFICE


def convert(
    source: str | Path,
    fmt: str,
    outdir: str | Path,
    *,
    timeout: float = 120.0,
    soffice: str | None = None,
) -> Path:
    """Convert ``source`` to ``fmt`` ("pdf" or "xlsx") in ``outdir`` (formulas recalculated).

    Returns the written file (``outdir/<stem>.<fmt>``). Raises SofficeError when LibreOffice is
    missing, fails, times out or writes nothing.
    """
    if fmt not in FILTERS:
        raise UsageError(f"Cannot convert to {fmt!r}: use one of {', '.join(FILTERS)}.")
    exe = soffice or find_soffice()
    if exe is None:
        raise SofficeError(
            "LibreOffice (soffice) is not installed: install it or set ECORE_SOFFICE."
        )
    source = Path(source).resolve()
    outdir = Path(outdir).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    target = outdir / f"{source.stem}.{fmt}"
    if target == source:
        raise UsageError(f"Converting {source.name} would overwrite it: choose another outdir.")
    target.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="ecore-soffice-") as profile:
        user = Path(profile) / "user"
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(_RECALC_ALWAYS, encoding="utf-8")
        command = [
            exe,
            f"-env:UserInstallation={Path(profile).as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            FILTERS[fmt],
            "--outdir",
            str(outdir),
            str(source),
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            raise SofficeError(
                f"LibreOffice did not convert {source.name} within {timeout:.0f} s."
            ) from None
    if done.returncode != 0 or not target.is_file():
        detail = (done.stderr or done.stdout or "").strip().splitlines()
        raise SofficeError(
            f"LibreOffice could not convert {source.name} to {fmt} (exit {done.returncode}).",
            detail="\n".join(detail[-5:]),
        )
    return target


def recalculate(source: str | Path, outdir: str | Path, **kw: object) -> Path:
    """A copy of ``source`` in ``outdir`` whose formulas LibreOffice computed and cached."""
    return convert(source, "xlsx", outdir, **kw)  # type: ignore[arg-type]


def to_pdf(source: str | Path, outdir: str | Path, **kw: object) -> Path:
    """``source`` printed to PDF with its page setup (formulas recalculated first)."""
    return convert(source, "pdf", outdir, **kw)  # type: ignore[arg-type]


def export_pdf(
    workbook: str | Path, target: str | Path, *, name: str, timeout: float = 300.0
) -> None:
    """Print ``workbook`` to the file ``target`` (a temporary file the caller then moves into
    place); the PDF's own name (its title in a viewer) is ``name``. LibreOffice converts a copy
    in a private folder, so its lock file never appears beside the user's files."""
    with tempfile.TemporaryDirectory(prefix="ecore-pdf-") as folder:
        source = Path(folder) / f"{name}.xlsx"
        shutil.copyfile(workbook, source)
        pdf = to_pdf(source, Path(folder) / "pdf", timeout=timeout)
        shutil.copyfile(pdf, target)
