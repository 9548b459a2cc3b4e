"""Headless refresh (``refresh_file``) against the mock: the user's workbook survives a refresh."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries

from ecore_xl.errors import EcoreError, InvalidFilterError, UsageError
from ecore_xl.excel.headless import refresh_file
from ecore_xl.mock import MockServer
from tests.conftest import service_for
from tests.refresh_fixtures import (
    REFRESH_MOCK,
    assert_tables_consistent,
    customise_volumes,
    new_workbook,
    set_settings,
    sha256,
    sheet_cells,
)

MOCK_KW = REFRESH_MOCK  # the srv fixture (conftest.py) serves this mock


@pytest.fixture
def book(tmp_path: Path) -> Path:
    """Two days of hourly volumes of 4 meters, plus contracts."""
    return new_workbook(
        tmp_path / "book.xlsx",
        from_=dt.date(2026, 3, 2),
        to=dt.date(2026, 3, 4),
        granularity="hour",
        datasets="volumes, contracts",
    )


def _expected_volumes(srv: MockServer, start: str, end: str) -> pd.DataFrame:
    svc = service_for(srv)
    ids = ",".join(m["id"] for m in srv.portfolio.meters)
    return svc.fetch("volumes", meterId=ids, granularity="hour", **{"from": start, "to": end})


def test_new_file_gets_settings_and_tables(srv: MockServer, tmp_path: Path) -> None:
    path = tmp_path / "fresh.xlsx"
    report = refresh_file(path, service=service_for(srv), datasets=["contracts", "meters"])
    assert report.created_settings
    assert_tables_consistent(path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[0] == "eCore"
    assert "Sheet" not in wb.sheetnames  # openpyxl's empty default sheet is gone
    assert wb["eCoreLists"].sheet_state == "hidden"
    contracts = wb["Contracts"].tables["tblContracts"]
    _min_col, header, _max_col, last = range_boundaries(contracts.ref)
    assert last - header == len(srv.portfolio.contracts)
    assert wb["Contracts"].cell(row=header, column=1).value == "id"
    assert wb["Contracts"]["A1"].value.startswith("eCore contracts: refreshed ")
    assert wb["Contracts"]["A3"].value == f"Rows: {len(srv.portfolio.contracts):,} · source: " + (
        report.results[0].source
    )
    # the drop-down lists come from the API and feed the settings' validations
    lists = wb["eCoreLists"]
    meters = [c.value for c in lists["A"][1:] if c.value]
    assert meters == [m["id"] for m in srv.portfolio.meters]
    (dest,) = wb.defined_names["lstMeters"].destinations
    assert dest == ("eCoreLists", f"$A$2:$A${len(meters) + 1}")
    (meter_cell,) = wb.defined_names["ecore.meters"].destinations
    validations = wb["eCore"].data_validations.dataValidation
    assert any(
        dv.formula1 == "=lstMeters" and meter_cell[1].replace("$", "") in dv.sqref
        for dv in validations
    )
    # the last-refresh block documents the refresh
    rows = {r[0]: r for r in wb["eCore"].iter_rows(values_only=True) if r[0] == "contracts"}
    assert rows["contracts"][3] == len(srv.portfolio.contracts)


def test_refresh_keeps_the_users_work(srv: MockServer, book: Path) -> None:
    svc = service_for(srv)
    refresh_file(book, service=svc)
    expect = customise_volumes(book)
    before = openpyxl.load_workbook(book)
    notes_before = sheet_cells(before["Notes"])
    contracts_before = sheet_cells(before["Contracts"])
    old_ref = before["Volumes"].tables["tblVolumes"].ref

    # three days instead of two: the table grows
    wb = openpyxl.load_workbook(book)
    set_settings(wb, to=dt.date(2026, 3, 5), datasets="volumes")
    wb.save(book)
    report = refresh_file(book, service=svc)
    assert_tables_consistent(book)
    expected = _expected_volumes(srv, "2026-03-02", "2026-03-05")
    assert [r.rows for r in report.results] == [len(expected)]

    wb = openpyxl.load_workbook(book)
    ws = wb["Volumes"]
    table = ws.tables["tblVolumes"]
    min_col, header, max_col, last = range_boundaries(table.ref)
    assert range_boundaries(old_ref)[3] < last == header + len(expected)
    names = [c.name for c in table.tableColumns]
    assert names[-1] == "kWh" and names[: len(expected.columns)] == list(expected.columns)
    assert [ws.cell(row=header, column=c).value for c in range(min_col, max_col + 1)] == names
    value_col, letter = expect["value_col"], expect["letter"]
    got = [ws.cell(row=r, column=value_col).value for r in range(header + 1, last + 1)]
    assert got == pytest.approx(expected["value"].tolist())
    # formatting of the value column reaches the new rows
    for r in (header + 1, last):
        cell = ws.cell(row=r, column=value_col)
        assert cell.number_format == "#,##0.000" and cell.font.b
        assert cell.fill.fgColor.rgb == "FFFFF2CC"
    assert ws.column_dimensions[letter].width == 21.5
    # the calculated column covers every row
    kwh = max_col
    assert table.tableColumns[-1].calculatedColumnFormula.attr_text.endswith("*1000")
    for r in (header + 1, last):
        assert ws.cell(row=r, column=kwh).value == "=tblVolumes[[#This Row],[value]]*1000"
    # the adjacent formula column grew with the rows, each formula shifted to its row
    adj = get_column_letter(max_col + 1)
    assert ws.cell(row=header, column=max_col + 1).value == "Running total"
    assert ws.cell(row=header + 1, column=max_col + 1).value == f"={letter}{header + 1}"
    assert ws.cell(row=last, column=max_col + 1).value == f"={adj}{last - 1}+{letter}{last}"
    assert ws.cell(row=last + 1, column=max_col + 1).value is None
    # the name and the chart follow the table's new last row
    assert wb.defined_names["myValues"].attr_text == (
        f"Volumes!${letter}${header + 1}:${letter}${last}"
    )
    (chart,) = ws._charts
    assert chart.series[0].val.numRef.f == f"'Volumes'!${letter}${header + 1}:${letter}${last}"
    # the date column is a date, in UTC; its local sibling is local time
    start_col = names.index("start") + min_col
    assert ws.cell(row=header + 1, column=start_col).value == dt.datetime(2026, 3, 1, 23, 0)
    assert ws.cell(row=header + 1, column=start_col).is_date
    # other sheets are untouched
    assert sheet_cells(wb["Notes"]) == notes_before
    assert sheet_cells(wb["Contracts"]) == contracts_before


def test_shrinking_clears_what_the_table_left(srv: MockServer, book: Path) -> None:
    svc = service_for(srv)
    refresh_file(book, service=svc)
    customise_volumes(book)
    old_last = range_boundaries(openpyxl.load_workbook(book)["Volumes"].tables["tblVolumes"].ref)[3]
    wb = openpyxl.load_workbook(book)
    set_settings(wb, to=dt.date(2026, 3, 3), datasets="volumes")
    wb.save(book)
    refresh_file(book, service=svc)
    assert_tables_consistent(book)
    wb = openpyxl.load_workbook(book)
    ws = wb["Volumes"]
    min_col, _header, max_col, last = range_boundaries(ws.tables["tblVolumes"].ref)
    assert last < old_last
    for r in range(last + 1, old_last + 1):
        assert all(ws.cell(row=r, column=c).value is None for c in range(1, max_col + 2))
    letter = get_column_letter(
        [c.name for c in ws.tables["tblVolumes"].tableColumns].index("value") + min_col
    )
    assert wb.defined_names["myValues"].attr_text.endswith(f"${letter}${last}")


def test_failed_fetch_leaves_the_file_byte_identical(srv: MockServer, book: Path) -> None:
    svc = service_for(srv, retries=0)
    refresh_file(book, service=svc)
    digest = sha256(book)
    wb = openpyxl.load_workbook(book)
    set_settings(wb, datasets="contracts, volumes, invoices")
    wb.save(book)
    digest = sha256(book)
    srv.faults.malformed["/invoices"] = "html"
    try:
        with pytest.raises(EcoreError) as err:
            refresh_file(book, service=service_for(srv, retries=0))
    finally:
        srv.faults.malformed.clear()
    assert "invoices" in str(err.value) and "nothing was changed" in str(err.value)
    assert sha256(book) == digest
    assert sorted(p.name for p in book.parent.iterdir()) == ["book.xlsx"]


def test_server_errors_mid_refresh_change_nothing(srv: MockServer, book: Path) -> None:
    refresh_file(book, service=service_for(srv))
    digest = sha256(book)
    srv.faults.error_5xx_ratio = 1.0
    try:
        with pytest.raises(EcoreError, match="volumes"):
            refresh_file(book, service=service_for(srv, retries=0))
    finally:
        srv.faults.error_5xx_ratio = 0.0
    assert sha256(book) == digest


def test_offline_uses_the_snapshots_of_an_online_refresh(
    srv: MockServer, book: Path, tmp_path: Path
) -> None:
    snaps = tmp_path / "snaps"
    refresh_file(book, service=service_for(srv), snapshot_dir=snaps)
    online = pd.read_excel(book, sheet_name="Volumes", header=4)
    srv.reset_stats()
    report = refresh_file(book, service=service_for(srv), snapshot_dir=snaps, offline=True)
    assert srv.stats.data_requests == 0
    assert report.results[0].rows == len(online)
    wb = openpyxl.load_workbook(book)
    assert "offline" in wb["Volumes"]["A1"].value
    pd.testing.assert_frame_equal(pd.read_excel(book, sheet_name="Volumes", header=4), online)


def test_offline_without_snapshots_changes_nothing(srv: MockServer, book: Path, tmp_path: Path):
    digest = sha256(book)
    with pytest.raises(EcoreError, match="Offline"):
        refresh_file(book, service=service_for(srv), snapshot_dir=tmp_path / "none", offline=True)
    assert sha256(book) == digest


def test_wide_layout(srv: MockServer, book: Path) -> None:
    wb = openpyxl.load_workbook(book)
    set_settings(wb, layout="wide", datasets="volumes")
    wb.save(book)
    refresh_file(book, service=service_for(srv))
    ws = openpyxl.load_workbook(book)["Volumes"]
    table = ws.tables["tblVolumes"]
    names = [c.name for c in table.tableColumns]
    assert names[:3] == ["startLocal", "start", "utcOffset"]
    assert names[3:] == [m["id"] for m in srv.portfolio.meters]
    assert range_boundaries(table.ref)[3] - range_boundaries(table.ref)[1] == 48


def test_xlsm_keeps_its_macros(srv: MockServer, tmp_path: Path, book: Path) -> None:
    import zipfile

    path = tmp_path / "macro.xlsm"
    src = openpyxl.load_workbook(book)
    src.save(path)
    with zipfile.ZipFile(path, "a") as z:  # a stand-in VBA project, as Excel stores it
        z.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 fake vba project")
    # openpyxl keeps vbaProject.bin only when the content types declare a macro workbook
    wb = openpyxl.load_workbook(path, keep_vba=True)
    wb.save(path)
    refresh_file(path, service=service_for(srv))
    with zipfile.ZipFile(path) as z:
        assert z.read("xl/vbaProject.bin") == b"\xd0\xcf\x11\xe0 fake vba project"
        assert "macroEnabled" in z.read("[Content_Types].xml").decode()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("old.xls", b"\xd0\xcf\x11\xe0", "only .xlsx and .xlsm"),
        ("broken.xlsx", b"this is not a zip", "not a readable"),
    ],
)
def test_bad_files_are_refused(
    srv: MockServer, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UsageError, match=message):
        refresh_file(path, service=service_for(srv))
    assert path.read_bytes() == content


def test_open_in_excel_is_refused(srv: MockServer, book: Path) -> None:
    lock = book.with_name("~$" + book.name)
    lock.write_bytes(b"user")
    digest = sha256(book)
    with pytest.raises(UsageError, match="open in Excel"):
        refresh_file(book, service=service_for(srv))
    assert sha256(book) == digest


def test_unknown_dataset_and_bad_settings(srv: MockServer, book: Path) -> None:
    with pytest.raises(UsageError, match="Unknown dataset 'volumez'"):
        refresh_file(book, service=service_for(srv), datasets=["volumez"])
    wb = openpyxl.load_workbook(book)
    set_settings(wb, granularity="weekly")
    wb.save(book)
    with pytest.raises(UsageError, match=r"ecore\.granularity .* must be one of"):
        refresh_file(book, service=service_for(srv))
    set_settings(wb, granularity="hour", to=None)
    wb.save(book)
    with pytest.raises(InvalidFilterError, match="volumes"):
        refresh_file(book, service=service_for(srv))


def test_renamed_settings_sheet_is_still_used(srv: MockServer, book: Path) -> None:
    wb = openpyxl.load_workbook(book)
    wb["eCore"].title = "My settings"
    for name in list(wb.defined_names):
        dn = wb.defined_names[name]
        dn.attr_text = dn.attr_text.replace("eCore!", "'My settings'!")
    set_settings(wb, datasets="contracts")
    wb.save(book)
    report = refresh_file(book, service=service_for(srv))
    assert [r.dataset for r in report.results] == ["contracts"]
    assert "eCore" not in openpyxl.load_workbook(book).sheetnames


def test_number_columns_get_the_catalogues_formats(srv: MockServer, tmp_path: Path) -> None:
    """MWh, prices, amounts and ratios of refreshed tables are formatted as the catalogue's
    fields declare (one place: ``Field.fmt``), not General."""
    from ecore_xl.catalogue import builtin_catalogue

    book = new_workbook(
        tmp_path / "formats.xlsx",
        from_=dt.date(2026, 3, 1),
        to=dt.date(2026, 4, 1),
        granularity="day",
        datasets="volumes, clicks, positions, invoices",
    )
    refresh_file(book, service=service_for(srv))
    wb = openpyxl.load_workbook(book)
    checked = 0
    for ds in builtin_catalogue():
        formats = ds.number_formats()
        if ds.sheet not in wb.sheetnames or ds.table not in wb[ds.sheet].tables:
            continue
        ws = wb[ds.sheet]
        table = ws.tables[ds.table]
        c1, r1, _, r2 = range_boundaries(table.ref)
        for i, column in enumerate(table.tableColumns):
            if column.name in formats:
                cells = [ws.cell(r, c1 + i) for r in range(r1 + 1, r2 + 1)]
                assert {c.number_format for c in cells} == {formats[column.name]}, column.name
                assert any(isinstance(c.value, float) for c in cells), column.name
                checked += 1
    assert checked >= 10


# ---- concurrent writers (issue 12) ----------------------------------------------------------

PAIRS = 20


def test_twenty_concurrent_refresh_pairs_lose_no_update(srv: MockServer, tmp_path: Path) -> None:
    """Each pair: one refresh of contracts and one of invoices, started together on the same
    workbook (neither sheet in it yet). Before the lock, both exited 0 and the slower one's save
    dropped the other's table. Now every pair ends with both tables, or with a one-line refusal
    (nothing lost either way); bounded by a join timeout."""
    import shutil
    import threading

    pristine = new_workbook(tmp_path / "pristine.xlsx", datasets="contracts")
    book = tmp_path / "book.xlsx"
    outcome = {"ok": 0, "refused": 0, "lost": 0}
    for _ in range(PAIRS):
        shutil.copyfile(pristine, book)
        barrier = threading.Barrier(2, timeout=10)
        done: dict[str, str] = {}

        def run(dataset: str, barrier: threading.Barrier = barrier, done: dict = done) -> None:
            service = service_for(srv)
            try:
                barrier.wait()
                refresh_file(book, service=service, datasets=[dataset])
                done[dataset] = "ok"
            except EcoreError as exc:
                assert "\n" not in str(exc)
                done[dataset] = "refused"
            finally:
                service.close()

        threads = [threading.Thread(target=run, args=(d,)) for d in ("contracts", "invoices")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in threads)
        sheets = openpyxl.load_workbook(book).sheetnames
        for dataset, sheet in (("contracts", "Contracts"), ("invoices", "Invoices")):
            if done[dataset] == "ok":
                outcome["ok"] += 1
                outcome["lost"] += sheet not in sheets
            else:
                outcome["refused"] += 1
    assert outcome["lost"] == 0
    assert outcome["ok"] == 2 * PAIRS  # with the lock the second one waits, then succeeds


def test_two_processes_refreshing_one_workbook_both_keep_their_tables(
    srv: MockServer, tmp_path: Path
) -> None:
    """The same with two ``ecore-xl refresh`` processes: the lock works across processes."""
    import subprocess
    import sys

    book = new_workbook(tmp_path / "book.xlsx", datasets="contracts")
    env = {**{k: v for k, v in os.environ.items()}, **srv.env()}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "ecore_xl", "refresh", str(book), "--datasets", dataset],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for dataset in ("contracts", "invoices")
    ]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    sheets = openpyxl.load_workbook(book).sheetnames
    assert {"Contracts", "Invoices"} <= set(sheets)


def test_a_change_made_during_the_refresh_is_kept(srv: MockServer, book: Path) -> None:
    """Excel (which ignores our lock) saves the workbook while the refresh is fetching: the
    refresh refuses to replace it, and the user's save survives."""
    from ecore_xl.data import DataService
    from ecore_xl.errors import FileChangedError

    class SavesMeanwhile(DataService):
        def fetch(self, *args: Any, **kwargs: Any) -> Any:
            frame = super().fetch(*args, **kwargs)
            wb = openpyxl.load_workbook(book)
            wb["eCore"]["D1"] = "typed by the user meanwhile"
            wb.save(book)
            return frame

    service = SavesMeanwhile(service_for(srv).settings)
    with pytest.raises(FileChangedError, match="changed by someone else"):
        refresh_file(book, service=service)
    assert openpyxl.load_workbook(book)["eCore"]["D1"].value == "typed by the user meanwhile"
    assert sorted(p.name for p in book.parent.iterdir()) == ["book.xlsx"]


# ---- rolling windows in the settings cells (issue 12) ---------------------------------------


def test_settings_formulas_are_evaluated_by_the_headless_refresh(
    srv: MockServer, tmp_path: Path
) -> None:
    """``=EOMONTH(D1,-2)+1`` .. ``=EOMONTH(D1,-1)+1`` with D1 in May: April's volumes; and
    ``=TODAY()-…`` with the refresh's clock."""
    from ecore_xl.excel.refresh_book import refresh_book
    from ecore_xl.excel.sheets import OpenpyxlWriter

    book = new_workbook(tmp_path / "book.xlsx", granularity="day", datasets="volumes",
                        from_="=EOMONTH(D1,-2)+1", to="=EOMONTH(D1,-1)+1")  # fmt: skip
    wb = openpyxl.load_workbook(book)
    wb["eCore"]["D1"] = dt.date(2026, 5, 15)
    wb.save(book)
    report = refresh_file(book, service=service_for(srv))
    assert report.results[0].filters["from"] == dt.date(2026, 4, 1)
    assert report.results[0].filters["to"] == dt.date(2026, 5, 1)
    assert report.results[0].rows == 30 * len(srv.portfolio.meters)
    kept = openpyxl.load_workbook(book)["eCore"]
    assert {kept["B5"].value, kept["B6"].value} == {"=EOMONTH(D1,-2)+1", "=EOMONTH(D1,-1)+1"}

    wb = openpyxl.load_workbook(book)
    set_settings(wb, from_="=TODAY()-7", to="=TODAY()")
    clock = dt.datetime(2026, 6, 10, 22, 30, tzinfo=dt.UTC)  # already 11 June in Berlin
    result = refresh_book(OpenpyxlWriter(wb), service=service_for(srv), now=lambda: clock)
    assert result.results[0].filters["from"] == dt.date(2026, 6, 4)
    assert result.results[0].filters["to"] == dt.date(2026, 6, 11)


def test_a_settings_formula_the_refresh_cannot_evaluate_is_one_line(
    srv: MockServer, tmp_path: Path
) -> None:
    book = new_workbook(tmp_path / "book.xlsx", datasets="volumes", from_='=INDIRECT("D1")')
    before = book.read_bytes()
    with pytest.raises(UsageError) as info:
        refresh_file(book, service=service_for(srv))
    assert str(info.value).startswith("ecore.from (eCore!B5) holds the formula '=INDIRECT")
    assert book.read_bytes() == before
