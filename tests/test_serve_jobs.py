"""Refresh and report jobs: the ribbon's own refresh over the task pane's workbook snapshot, all
or nothing, with progress; a monthly report written by the backend."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from ecore_xl.excel.headless import refresh_file
from ecore_xl.mock import MockServer
from tests.conftest import service_for
from tests.refresh_fixtures import new_workbook
from tests.serve_fixtures import API, Client, running_backend


@pytest.fixture
def api(srv: MockServer, tmp_path: Path) -> Iterator[Client]:
    with running_backend(srv, reports_dir=tmp_path) as client:
        yield client


def _finish(api: Client, body: dict[str, Any], kind: str = "refresh") -> dict[str, Any]:
    started = api.post(f"{API}/jobs/{kind}", body)
    assert started.status_code == 202 and started.json()["state"] == "running"
    for _ in range(600):  # 60 s at most
        job = api.get(f"{API}/jobs/{started.json()['id']}").json()
        if job["state"] != "running":
            return job  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError("the job did not finish in 60 s")


def _tables(ops: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {op["table"]: op for op in ops if op["op"] == "writeTable"}


def test_refresh_all_of_a_new_workbook_writes_what_the_headless_refresh_writes(
    api: Client, srv: MockServer, tmp_path: Path
) -> None:
    job = _finish(api, {"workbook": {"sheets": ["Sheet1"]}, "scope": "all"})
    assert job["state"] == "done", job
    ops = job["result"]["ops"]
    assert ops[0] == {"op": "ensureSheet", "title": "eCore", "hidden": False, "first": False}
    tables = _tables(ops)
    book = new_workbook(tmp_path / "book.xlsx")
    headless = refresh_file(book, service=service_for(srv))
    assert {r.table: r.rows for r in headless.results} == {
        name: len(op["rows"]) for name, op in tables.items()
    }
    assert job["result"]["summary"] == headless.summary()
    volumes = tables["tblVolumes"]
    assert volumes["header"][:3] == ["meterId", "start", "startLocal"]
    assert volumes["formats"][1] == "yyyy-mm-dd hh:mm" and isinstance(volumes["rows"][0][1], float)
    assert volumes["rows"][0][0] == "'MTR-0001", "text is written as text"
    assert volumes["note"][0].startswith("'eCore volumes: refreshed ")
    names = {op["name"] for op in ops if op["op"] == "defineName"}
    assert {"ecore.from", "ecore.datasets", "lstMeters"} <= names
    assert job["steps"] >= 5 and job["message"] == "done"


def test_a_failing_dataset_writes_nothing(api: Client, srv: MockServer) -> None:
    srv.faults.malformed["/invoices"] = "html"
    try:
        job = _finish(api, {"workbook": {"sheets": ["Sheet1"]}})
    finally:
        srv.faults.malformed.clear()
    assert job["state"] == "failed" and "result" not in job
    assert job["error"]["message"].startswith("Refresh stopped at invoices; nothing was changed.")
    assert job["error"]["code"] == "UnexpectedResponseError"


def _excel_value(value: Any) -> Any:
    """A cell as the Excel JavaScript API reads it (a date is its serial number)."""
    from ecore_xl.serve.tables import excel_serial

    return excel_serial(value) if isinstance(value, dt.date) else value


def snapshot_of(path: Path) -> dict[str, Any]:
    """What the task pane sends for a workbook (``officejs/src/workbook.js``), read with
    openpyxl: sheets, tables and their ranges, workbook names, the eCore sheets' values."""
    wb = openpyxl.load_workbook(path)
    tables = []
    for ws in wb.worksheets:
        for table in ws.tables.values():
            header = [c.value for c in ws[table.ref][0]]
            tables.append({"name": table.name, "sheet": ws.title, "address": table.ref,
                           "header": header})  # fmt: skip
    cells = {}
    for title in ("eCore", "eCoreLists"):
        if title in wb.sheetnames:
            rows = wb[title].iter_rows(values_only=True)
            values = [[_excel_value(v) for v in r] for r in rows]
            cells[title] = {"origin": "A1", "values": values}
    names = {name: dn.attr_text for name, dn in wb.defined_names.items()}
    return {"sheets": wb.sheetnames, "tables": tables, "names": names, "cells": cells}


def test_refresh_this_sheet_and_the_selection(api: Client, srv: MockServer, tmp_path: Path) -> None:
    book = new_workbook(tmp_path / "book.xlsx")
    refresh_file(book, service=service_for(srv))
    snapshot = snapshot_of(book)
    contracts = next(t for t in snapshot["tables"] if t["name"] == "tblContracts")
    sheet = _finish(api, {"workbook": snapshot, "scope": "sheet", "sheet": "Contracts"})
    assert sheet["state"] == "done", sheet
    written = _tables(sheet["result"]["ops"])
    assert list(written) == ["tblContracts"]
    assert len(written["tblContracts"]["rows"]) == len(srv.portfolio.contracts)
    assert contracts["address"].startswith("A5:")
    volumes = next(t for t in snapshot["tables"] if t["name"] == "tblVolumes")
    inside = {"sheet": "Volumes", "address": volumes["address"].split(":")[1]}
    picked = _finish(api, {"workbook": snapshot, "scope": "selection", "selection": inside})
    assert list(_tables(picked["result"]["ops"])) == ["tblVolumes"]
    outside = {"sheet": "Volumes", "address": "A1"}
    missed = _finish(api, {"workbook": snapshot, "scope": "selection", "selection": outside})
    assert missed["state"] == "failed" and "holds no eCore table" in missed["error"]["message"]


def test_a_bad_job_request_is_refused_at_once(api: Client) -> None:
    r = api.post(f"{API}/jobs/refresh", {"scope": "all"})
    assert r.status_code == 400 and "snapshot" in r.json()["error"]["message"]
    assert api.get(f"{API}/jobs/nope").status_code == 400


def test_a_report_job_writes_the_monthly_workbook(api: Client, tmp_path: Path) -> None:
    job = _finish(api, {"month": "2026-10"}, kind="report")
    assert job["state"] == "done", job
    out = Path(job["result"]["file"])
    assert out.parent == tmp_path and out.name == "eCore report 2026-10.xlsx"
    assert "Summary" in openpyxl.load_workbook(out).sheetnames
    # the task pane's progress line told the report's steps, as the terminal and status bar do
    assert job["steps"] >= 5 and job["message"] == "done"
    assert api.post(f"{API}/jobs/report", {"month": "October"}).status_code == 400
