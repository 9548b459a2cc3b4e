"""Refreshing a workbook without loading the rows the refresh rewrites changes nothing in the
result: the same workbook, cell for cell, as loading every cell (``trimmed_package``)."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest

from ecore_xl.data import DataService
from ecore_xl.excel.headless import refresh_file
from ecore_xl.excel.refresh_book import refresh_book
from ecore_xl.excel.sheets import OpenpyxlWriter
from ecore_xl.mock import MockServer
from ecore_xl.xlsx import save_workbook, stream_cells
from ecore_xl.xlsx.trim import trimmed_package
from tests.conftest import service_for
from tests.refresh_fixtures import REFRESH_MOCK, customise_volumes, new_workbook
from tests.workbook_compare import differences

MOCK_KW = REFRESH_MOCK


@pytest.fixture
def users_book(srv: MockServer, tmp_path: Path) -> Path:
    """Volumes and contracts refreshed once, then the user's work: a calculated column, a
    formula column beside the table, a chart, names, a value typed over one calculated cell."""
    book = new_workbook(
        tmp_path / "book.xlsx",
        from_=dt.date(2026, 3, 2),
        to=dt.date(2026, 3, 4),
        granularity="hour",
        datasets="volumes, contracts",
    )
    refresh_file(book, service=service_for(srv))
    customise_volumes(book)
    wb = openpyxl.load_workbook(book)
    ws = wb["Volumes"]
    table = ws.tables["tblVolumes"]
    kwh = [c.name for c in table.tableColumns].index("kWh") + 1
    ws.cell(row=9, column=kwh, value=42.0)  # typed over the calculated column: kept
    wb.save(book)
    return book


def _refresh_loading_every_cell(book: Path, svc: DataService, datasets: list[str]) -> None:
    wb = openpyxl.load_workbook(book, keep_links=True)
    stream_cells(wb)
    refresh_book(OpenpyxlWriter(wb), datasets=datasets, service=svc)
    save_workbook(wb, book, source=None)


@pytest.mark.parametrize("datasets", [["volumes"], ["volumes", "contracts"]])
def test_a_trimmed_load_refreshes_to_the_same_workbook(
    srv: MockServer, users_book: Path, tmp_path: Path, datasets: list[str]
) -> None:
    full = tmp_path / "full.xlsx"
    full.write_bytes(users_book.read_bytes())
    svc = service_for(srv)  # one cache: both refreshes get the same data, fetched at one time
    _refresh_loading_every_cell(full, svc, datasets)
    refresh_file(users_book, service=svc, datasets=datasets)
    def cached_note(what: str, where: str, old: object, new: object) -> bool:
        """The second refresh's note says its data came from the cache the first one filled."""
        return what == "value" and isinstance(new, str) and new == f"{old} from the cache"

    assert differences(full, users_book, allow=cached_note) == []
    ws = openpyxl.load_workbook(users_book)["Volumes"]
    kwh = [c.name for c in ws.tables["tblVolumes"].tableColumns].index("kWh") + 1
    assert ws.cell(row=9, column=kwh).value == 42.0


def test_only_the_refreshed_tables_lose_their_value_rows(srv: MockServer, users_book: Path) -> None:
    copy = trimmed_package(users_book, {"tblVolumes"})
    assert copy is not None
    with zipfile.ZipFile(copy) as z:
        assert sorted(z.namelist()) == sorted(zipfile.ZipFile(users_book).namelist())
    wb = openpyxl.load_workbook(copy)
    ws = wb["Volumes"]
    table = ws.tables["tblVolumes"]
    c1, r1, c2, r2 = openpyxl.utils.cell.range_boundaries(table.ref)
    names = [c.name for c in table.tableColumns]
    value = names.index("value") + c1
    kwh = names.index("kWh") + c1
    assert ws.cell(r1, c1).value == names[0]  # the header
    assert ws.cell(r1 + 1, value).value is not None  # the first data row: the style row
    assert all(ws.cell(r, value).value is None for r in range(r1 + 2, r2 + 1))
    assert all(str(ws.cell(r, kwh).value).startswith("=") for r in range(r1 + 1, r2 + 1) if r != 9)
    assert all(ws.cell(r, c2 + 1).value for r in range(r1 + 1, r2 + 1))  # the running total
    contracts = wb["Contracts"]  # not refreshed: every row
    c1, r1, c2, r2 = openpyxl.utils.cell.range_boundaries(contracts.tables["tblContracts"].ref)
    assert all(contracts.cell(r, c1).value for r in range(r1 + 1, r2 + 1))
    assert trimmed_package(users_book, {"tblNoSuchTable"}) is None
