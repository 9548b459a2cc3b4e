"""A refreshed workbook opens in LibreOffice, which recalculates the user's formulas correctly."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.cell import range_boundaries

from ecore_xl.excel.headless import refresh_file
from ecore_xl.mock import MockServer
from tests.conftest import service_for, soffice_missing
from tests.refresh_fixtures import (
    REFRESH_MOCK,
    assert_tables_consistent,
    customise_volumes,
    libreoffice_convert,
    new_workbook,
    set_settings,
)

MOCK_KW = REFRESH_MOCK  # the srv fixture (conftest.py) serves this mock

pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(soffice_missing(), reason="LibreOffice (soffice) not installed"),
]


def test_libreoffice_recalculates_sums_over_the_refreshed_table(
    srv: MockServer, tmp_path: Path
) -> None:
    book = new_workbook(
        tmp_path / "book.xlsx",
        from_=dt.date(2026, 3, 28),
        to=dt.date(2026, 3, 30),  # a DST night: 47 hours per meter
        granularity="hour",
        datasets="volumes, contracts",
    )
    svc = service_for(srv)
    refresh_file(book, service=svc)
    customise_volumes(book)
    wb = openpyxl.load_workbook(book)
    set_settings(wb, to=dt.date(2026, 4, 1))
    wb.save(book)
    refresh_file(book, service=svc)  # grows the table under the user's formulas
    assert_tables_consistent(book)

    ws = openpyxl.load_workbook(book)["Volumes"]
    _, header, _, last = range_boundaries(ws.tables["tblVolumes"].ref)
    data = pd.read_excel(book, sheet_name="Volumes", header=header - 1, nrows=last - header)
    total = data["value"].sum()
    assert len(data) == 4 * (24 + 23 + 24 + 24)  # 4 meters, 28 to 31 March local (DST on 29)

    converted = libreoffice_convert(book, tmp_path / "lo")
    with zipfile.ZipFile(converted) as z:
        assert z.testzip() is None
    calc = openpyxl.load_workbook(converted, data_only=True)
    summary = calc["Summary"]
    assert summary["B1"].value == pytest.approx(total, rel=1e-12)  # SUM(tblVolumes[value])
    assert summary["B2"].value == pytest.approx(total, rel=1e-12)  # SUM(myValues)
    assert summary["B3"].value == pytest.approx(total * 1000, rel=1e-12)  # calculated column
    assert summary["B4"].value == pytest.approx(total, rel=1e-9)  # running total's last row
    # LibreOffice kept the table and its extent
    lo_table = calc["Volumes"].tables["tblVolumes"]
    assert range_boundaries(lo_table.ref)[3] == last
    # and the notes sheet value it computed
    assert calc["Notes"]["C4"].value == pytest.approx(2469.0)


def test_libreoffice_reads_the_table_as_csv(srv: MockServer, tmp_path: Path) -> None:
    book = new_workbook(
        tmp_path / "plain.xlsx",
        from_=dt.date(2026, 10, 24),
        to=dt.date(2026, 10, 26),  # the October night: 25 hours on the 25th
        granularity="hour",
        datasets="volumes",
    )
    refresh_file(book, service=service_for(srv))
    wb = openpyxl.load_workbook(book)
    wb.move_sheet("Volumes", offset=-wb.sheetnames.index("Volumes"))  # csv export: first sheet
    wb.active = 0
    wb.save(book)
    # the values themselves, not as shown (the value column is formatted to 3 decimals)
    csv_filter = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false"
    csv = libreoffice_convert(book, tmp_path / "lo", fmt=csv_filter)
    lines = csv.read_text(encoding="utf-8").splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("meterId,"))
    frame = pd.read_csv(csv, skiprows=header)
    expected = service_for(srv).fetch(
        "volumes",
        meterId=",".join(m["id"] for m in srv.portfolio.meters),
        granularity="hour",
        **{"from": "2026-10-24", "to": "2026-10-26"},
    )
    assert len(frame) == len(expected) == 4 * 49
    assert frame["value"].sum() == pytest.approx(expected["value"].sum(), rel=1e-9)
