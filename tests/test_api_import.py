"""The API layer stays free of pandas, xlwings and openpyxl, and exports a sorted __all__."""

from __future__ import annotations

import subprocess
import sys

import ecore_xl.api


def test_import_api_loads_no_dataframe_or_excel_library() -> None:
    code = (
        "import sys, ecore_xl.api, ecore_xl.api.client\n"
        "heavy = [m for m in ('pandas', 'xlwings', 'openpyxl', 'numpy') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == ""


def test_public_names_are_sorted_and_present() -> None:
    names = ecore_xl.api.__all__
    assert names == sorted(names)
    assert {"ClientStats", "EcoreClient", "Page", "TokenProvider"} <= set(names)
    for name in names:
        assert getattr(ecore_xl.api, name) is not None
