"""The streaming writer makes the same workbooks as the openpyxl-only writer it replaced.

``tests/reference/`` holds what that writer made (``make_reference.py``, run at commit b27fbc8)
from snapshots committed beside it; here the same snapshots go through today's code, offline,
and every cell, table, chart range, defined name, conditional format, validation and print
setting is compared (``tests/workbook_compare.py``). The only differences allowed are the ones
this writer adds on purpose, each named in :func:`_intended`.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from ecore_xl.config import Settings
from ecore_xl.data import DataService
from ecore_xl.excel.headless import refresh_file
from ecore_xl.report import build_report
from ecore_xl.xlsx.widths import DEFAULT_WIDTH
from tests.refresh_fixtures import new_workbook
from tests.workbook_compare import differences

REFERENCE = Path(__file__).parent / "reference"
REPORT_MONTH = "2026-09"


def _service() -> DataService:
    return DataService(Settings.load(use_file=False, use_keyring=False, environ={}))


def _reference_settings() -> dict[str, Any]:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_reference", REFERENCE / "make_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.REFRESH_SETTINGS)


def _catalogue_formats() -> dict[str, str]:
    """Table name -> column -> the number format the catalogue declares for it."""
    from ecore_xl.catalogue import builtin_catalogue

    return {ds.table: ds.number_formats() for ds in builtin_catalogue()}


def _table_column(book: Path) -> Callable[[str], tuple[str, str] | None]:
    """Where ('Volumes'!D6) -> (table, column header) of the table cell there."""
    wb = openpyxl.load_workbook(book)

    def find(where: str) -> tuple[str, str] | None:
        sheet, _, ref = where.rpartition("!")
        ws = wb[sheet.strip("'")]
        col, row = openpyxl.utils.cell.coordinate_from_string(ref)
        c = openpyxl.utils.column_index_from_string(col)
        for table in ws.tables.values():
            c1, r1, c2, r2 = openpyxl.utils.cell.range_boundaries(table.ref)
            if c1 <= c <= c2 and r1 < row <= r2:
                return table.displayName, table.tableColumns[c - c1].name
        return None

    return find


def _intended(book: Path) -> Callable[[str, str, Any, Any], bool]:
    """The differences this writer makes on purpose in ``book``:

    - a number column of a refreshed table that was General gets the format its catalogue
      field declares (MWh, EUR, %...);
    - a column too narrow for what it shows gets wider (``test_xlsx_widths.py`` checks that
      every width fits its cells), never narrower.
    """
    formats, column_at = _catalogue_formats(), _table_column(book)

    def allow(what: str, where: str, old: Any, new: Any) -> bool:
        if what == "number_format" and old == "General":
            found = column_at(where)
            return found is not None and formats.get(found[0], {}).get(found[1]) == new
        if what == "width":
            return new is not None and new > (old or DEFAULT_WIDTH)
        return False

    return allow


@pytest.mark.parametrize("granularity", ["day", "quarterhour"])
def test_the_report_equals_the_old_writers(tmp_path: Path, granularity: str) -> None:
    out = tmp_path / "report.xlsx"
    build_report(
        REPORT_MONTH,
        out=out,
        snapshot_dir=REFERENCE / "snapshot-report",
        offline=True,
        service=_service(),
        granularity=granularity,
    )
    assert differences(REFERENCE / f"report-{granularity}.xlsx", out, allow=_intended(out)) == []


def test_a_new_workbooks_refresh_equals_the_old_writers(tmp_path: Path) -> None:
    book = new_workbook(tmp_path / "refresh-new.xlsx", **_reference_settings())
    refresh_file(
        book, service=_service(), offline=True, snapshot_dir=REFERENCE / "snapshot-refresh"
    )
    assert differences(REFERENCE / "refresh-new.xlsx", book, allow=_intended(book)) == []


def test_a_users_workbook_refreshes_as_with_the_old_writer(tmp_path: Path) -> None:
    book = tmp_path / "refresh-user.xlsx"
    shutil.copy(REFERENCE / "refresh-user-input.xlsx", book)
    refresh_file(
        book, service=_service(), offline=True, snapshot_dir=REFERENCE / "snapshot-refresh"
    )
    assert differences(REFERENCE / "refresh-user.xlsx", book, allow=_intended(book)) == []
