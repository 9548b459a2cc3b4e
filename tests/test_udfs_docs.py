"""docs/excel-formulas.md carries the function reference generated from the catalogue.

After an intended change: ``UPDATE_GOLDEN=1 python -m pytest tests/test_udfs_docs.py``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import ecore_xl.excel.udfs as udfs

DOC = Path(__file__).resolve().parents[1] / "docs" / "excel-formulas.md"
BEGIN, END = "<!-- BEGIN FUNCTION REFERENCE -->", "<!-- END FUNCTION REFERENCE -->"


def test_the_function_reference_in_the_docs_is_current() -> None:
    text = DOC.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN + "\n")
    _, tail = rest.split(END)
    generated = udfs.function_reference()
    if os.environ.get("UPDATE_GOLDEN") == "1":
        DOC.write_text(head + BEGIN + "\n" + generated + END + tail, encoding="utf-8", newline="\n")
        text = DOC.read_text(encoding="utf-8")
    assert BEGIN + "\n" + generated + END in text, "docs out of date: UPDATE_GOLDEN=1 to rewrite"


def test_the_reference_lists_every_function_with_its_arguments() -> None:
    reference = udfs.function_reference()
    titles = re.findall(r"^### (ECORE_\w+)\(", reference, flags=re.M)
    assert titles == udfs.udf_names()
    assert (
        "### ECORE_VOLUMES([meter], [from_date], [to_date], [granularity], [layout], " in reference
    )
    assert "### ECORE_GET(path, [params...])" in reference
