"""Refresh and report jobs: the ribbon's own refresh over the task pane's workbook snapshot, all
or nothing, with progress; a monthly report written by the backend."""

from __future__ import annotations

import io
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
from tests.serve_fixtures import API, Client, running_backend, snapshot_of


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
    missing = api.get(f"{API}/jobs/nope")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "JobNotFoundError"


def test_a_report_job_writes_the_monthly_workbook(api: Client, tmp_path: Path) -> None:
    job = _finish(api, {"month": "2026-10"}, kind="report")
    assert job["state"] == "done", job
    out = Path(job["result"]["file"])
    assert out.parent == tmp_path and out.name == "eCore report 2026-10.xlsx"
    assert job["result"]["fileName"] == out.name
    assert "Summary" in openpyxl.load_workbook(out).sheetnames
    # the task pane's progress line told the report's steps, as the terminal and status bar do
    assert job["steps"] >= 5 and job["message"] == "done"
    assert api.post(f"{API}/jobs/report", {"month": "October"}).status_code == 400


# ---- report jobs on a team server: one file per month and legal entity, downloaded ------------

_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _legal_entities(api: Client) -> list[str]:
    records = api.get(f"{API}/fetch/legal-entities?shape=records").json()["records"]
    return [str(r["id"]) for r in records]


def test_two_legal_entities_give_two_reports_to_download(api: Client, tmp_path: Path) -> None:
    from urllib.parse import quote

    first, second = _legal_entities(api)[:2]
    jobs = [
        _finish(api, {"month": "2026-10", "legalEntity": e}, kind="report") for e in (first, second)
    ]
    assert [j["state"] for j in jobs] == ["done", "done"], jobs
    names = [j["result"]["fileName"] for j in jobs]
    assert names == [f"eCore report 2026-10-{first}.xlsx", f"eCore report 2026-10-{second}.xlsx"]
    assert sorted(p.name for p in tmp_path.glob("*.xlsx")) == sorted(names)
    contents = []
    for job, name in zip(jobs, names, strict=True):
        assert job["result"]["download"] == f"{API}/jobs/{job['id']}/file"
        r = api.get(job["result"]["download"])
        assert r.status_code == 200 and r.headers["content-type"] == _XLSX
        assert r.headers["content-disposition"] == (
            f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name, safe='')}"
        )
        assert r.headers["cache-control"] == "no-store"
        assert r.content == (tmp_path / name).read_bytes()
        book = openpyxl.load_workbook(io.BytesIO(r.content))
        assert "Summary" in book.sheetnames
        contents.append(r.content)
    assert contents[0] != contents[1]


def test_a_second_report_of_the_same_month_never_replaces_the_first(
    api: Client, tmp_path: Path
) -> None:
    entity = _legal_entities(api)[0]
    first = _finish(api, {"month": "2026-10", "legalEntity": entity}, kind="report")
    kept = (tmp_path / first["result"]["fileName"]).read_bytes()
    again = _finish(api, {"month": "2026-10", "legalEntity": entity}, kind="report")
    assert again["result"]["fileName"] == f"eCore report 2026-10-{entity} (2).xlsx"
    assert (tmp_path / first["result"]["fileName"]).read_bytes() == kept
    assert api.get(first["result"]["download"]).content == kept  # the first link still holds it


def test_the_download_is_guarded_and_only_for_finished_reports(
    api: Client, srv: MockServer, tmp_path: Path
) -> None:
    report = _finish(api, {"month": "2026-10"}, kind="report")
    path = report["result"]["download"]
    assert Client(api.server, token=None).get(path).status_code == 401
    assert Client(api.server, token="wrong-token-" + "y" * 20).get(path).status_code == 401
    foreign = api.get(path, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    refresh = _finish(api, {"workbook": {"sheets": ["Sheet1"]}, "scope": "datasets",
                            "datasets": ["meters"]})  # fmt: skip
    r = api.get(f"{API}/jobs/{refresh['id']}/file")
    assert r.status_code == 404
    assert r.json()["error"]["message"] == (
        f"Job {refresh['id']} is a refresh: it has no file to download."
    )
    unknown = api.get(f"{API}/jobs/report-999-00000000/file")
    assert unknown.status_code == 404 and "There is no job" in unknown.json()["error"]["message"]
    failed = _finish(api, {"month": "2026-10", "legalEntity": "../../LE-NOPE"}, kind="report")
    assert failed["state"] == "failed", failed
    gone = api.get(f"{API}/jobs/{failed['id']}/file")
    assert gone.status_code == 404 and "failed" in gone.json()["error"]["message"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["eCore report 2026-10.xlsx"]
    bad = api.post(f"{API}/jobs/report", {"month": "2026-10", "legalEntity": ["a", "b"]})
    assert bad.status_code == 400 and "legalEntity" in bad.json()["error"]["message"]
