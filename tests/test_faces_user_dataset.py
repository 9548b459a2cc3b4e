"""A dataset a user's catalogue file adds gets every face, with no code change: ``ecore-xl fetch``,
a worksheet function (xlwings, through the real decorators and ``CallUDF``, and Office.js, over
the backend's HTTP API), a refresh sheet (a new workbook and an existing one) and its settings
cells — end to end against the mock.

The dataset, ``readings``, is the mock's ``/volumes`` under another name, with a field the
mock's ``extra_fields`` adds (``siteCode``), a wide layout, its own positional arguments, a place
in *Refresh all* and a settings cell of its own (``ecore.readingType``). Its ``meterId``,
``from``, ``to`` and ``granularity`` filters take the workbook's cells and drop-downs the
built-in datasets declare for those names.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from ecore_xl.cli import cli
from ecore_xl.data import DataService, reset_service, set_service
from ecore_xl.excel.headless import refresh_file
from ecore_xl.mock import MockServer
from ecore_xl.serve.server import start_backend
from tests import udfs_fixtures as fx
from tests.conftest import settings_for
from tests.refresh_fixtures import new_workbook, set_settings
from tests.serve_fixtures import API, TOKEN, Client, from_serial
from tests.udfs_fixtures import OMITTED, RecordingEngine, excel_call

udf_log_closed = fx.udf_log_closed
xl_server = fx.xl_server

SITE = "S-NORTH-01"
READINGS: dict[str, Any] = {
    "path": "/volumes",
    "description": "Meter readings: the volumes endpoint under another name",
    "sheet": "Readings",
    "filters": [
        {"name": "meterId", "type": "id", "required": True, "doc": "the meter"},
        {"name": "from", "type": "date", "required": True},
        {"name": "to", "type": "date", "required": True},
        {"name": "granularity", "type": "enum", "allowed": ["hour", "day"], "default": "day"},
        {
            "name": "type",
            "type": "enum",
            "allowed": ["actual", "forecast"],
            "default": "actual",
            "setting": {"name": "readingType", "label": "Reading type", "default": "forecast"},
        },
    ],
    "fields": [
        "meterId",
        "start:timestamp",
        {"name": "value", "type": "number", "unit": "MWh", "unit_field": "unit"},
        "unit",
        "siteCode",
    ],
    "positional": ["meterId", "from", "to", "layout"],
    "wide": {"index": "start", "columns": "meterId", "values": "value"},
    "default_refresh": True,
}
DAY = {"from": "2026-03-02", "to": "2026-03-04"}
#: the declared columns, in order (startLocal: every timestamp's local sibling)
COLUMNS = ["meterId", "start", "startLocal", "value", "unit", "siteCode"]


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with MockServer(seed=42, meters=3, years=(2026,), as_of=dt.date(2026, 6, 1)) as srv:
        srv.extra_fields["/volumes"] = {"siteCode": SITE}  # a field only readings declares
        yield srv


@pytest.fixture
def catalogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's file, in ECORE_CATALOGUE (read when the xlwings functions are generated)."""
    file = tmp_path / "catalogue.json"
    file.write_text(json.dumps({"datasets": {"readings": READINGS}}), encoding="utf-8")
    monkeypatch.setenv("ECORE_CATALOGUE", str(file))
    return file


@pytest.fixture
def svc(mock: MockServer, catalogue: Path) -> Iterator[DataService]:
    service = DataService(settings_for(mock, catalogue=str(catalogue)))
    set_service(service)
    try:
        yield service
    finally:
        service.close()


def _meters(mock: MockServer) -> list[str]:
    return [m["id"] for m in mock.portfolio.meters]


def _expected(svc: DataService, mock: MockServer, **kw: Any) -> pd.DataFrame:
    """What the built-in volumes say for the same question (the same endpoint)."""
    args = {"meterId": _meters(mock), **DAY, "granularity": "day", "type": "actual", **kw}
    return svc.fetch("volumes", **args)


def test_ecore_xl_fetch(
    mock: MockServer, catalogue: Path, tmp_path: Path, svc: DataService
) -> None:
    out = tmp_path / "readings.csv"
    ids = ",".join(_meters(mock))
    reset_service()
    result = CliRunner().invoke(
        cli,
        ["fetch", "readings", "--from", DAY["from"], "--to", DAY["to"],
         "--filter", f"meterId={ids}", "--out", str(out)],
        env={**mock.env(), "ECORE_CATALOGUE": str(catalogue)},
    )  # fmt: skip
    reset_service()
    assert result.exit_code == 0, result.output
    got = pd.read_csv(out)
    assert list(got.columns) == [*COLUMNS, "type", "quality"]  # undeclared fields are kept
    expected = _expected(svc, mock)
    assert len(got) == len(expected) == 2 * len(_meters(mock))
    assert got["value"].tolist() == pytest.approx(expected["value"].tolist(), rel=1e-12)
    assert set(got["siteCode"]) == {SITE} and set(got["unit"]) == {"MWh"}


def test_the_xlwings_function(
    catalogue: Path, xl_server: tuple[ModuleType, Any, RecordingEngine], mock: MockServer,
    svc: DataService,
) -> None:  # fmt: skip
    import inspect

    module, server, engine = xl_server
    f = module.ECORE_READINGS
    assert list(inspect.signature(f).parameters) == [
        "meter", "from_date", "to_date", "layout", "option1", "option2", "option3", "option4",
    ]  # fmt: skip
    doc = f.__xlfunc__["args"][0]["doc"]
    assert doc == "The meter; a range or comma list for several; required."
    meter = _meters(mock)[0]
    rows = excel_call(server, "ECORE_READINGS", meter, DAY["from"], DAY["to"])
    expected = _expected(svc, mock, meterId=meter)
    assert rows[0] == [*COLUMNS, "type", "quality"]
    assert [r[3] for r in rows[1:]] == pytest.approx(expected["value"].tolist(), rel=1e-12)
    assert rows[1][2] == dt.datetime(2026, 3, 2) and rows[1][5] == SITE  # local midnight
    # the declared layout argument: a column per meter; an option of the settings cell's filter
    ids = [[m] for m in _meters(mock)]
    wide = excel_call(server, "ECORE_READINGS", ids, DAY["from"], DAY["to"], "wide", "type=actual")
    assert wide[0] == ["startLocal", "start", "utcOffset", *_meters(mock)]
    assert len(wide) == 1 + 2
    forecast = excel_call(server, "ECORE_READINGS", meter, DAY["from"], DAY["to"], OMITTED,
                          "type=forecast")  # fmt: skip
    assert [r[3] for r in forecast[1:]] != [r[3] for r in rows[1:]]
    assert all(value is None or type(value) in (str, float, bool, dt.datetime)
               for value in engine.written)  # fmt: skip


def test_the_officejs_function_and_the_task_pane(mock: MockServer, svc: DataService) -> None:
    server = start_backend(svc, token=TOKEN)
    try:
        api = Client(server)
        functions = api.get("/addin/functions.json").json()["functions"]
        readings = next(f for f in functions if f["id"] == "READINGS")
        assert [p["name"] for p in readings["parameters"]][:4] == [
            "meter", "from_date", "to_date", "layout",
        ]  # fmt: skip
        pane = api.get(f"{API}/catalogue").json()
        entry = next(d for d in pane["datasets"] if d["name"] == "readings")
        assert entry["layouts"] == ["long", "wide"] and entry["officeFunction"] == "READINGS"
        meter_filter = next(f for f in entry["filters"] if f["name"] == "meterId")
        assert meter_filter["choicesFrom"] == "meters"  # the meters drop-down, by the name
        choices = api.get(f"{API}/choices/readings/meterId").json()["values"]
        assert [c["value"] for c in choices] == _meters(mock)
        meter = _meters(mock)[0]
        body = api.call("READINGS", [[meter]], [[46083.0]], [[46085.0]], None).json()
        assert body["kind"] == "table", body
        expected = _expected(svc, mock, meterId=meter)
        value = body["header"].index("value")
        assert [r[value] for r in body["rows"]] == pytest.approx(expected["value"].tolist())
        start = body["header"].index("startLocal")
        assert from_serial(body["rows"][0][start]) == dt.datetime(2026, 3, 2)
        assert body["rows"][0][body["header"].index("siteCode")] == SITE
    finally:
        server.stop()


def test_refresh_all_of_a_new_workbook(mock: MockServer, svc: DataService, tmp_path: Path) -> None:
    # the settings sheet of a new workbook, made from the catalogue in effect (the user's)
    path = new_workbook(tmp_path / "new.xlsx", from_=dt.date(2026, 3, 2), to=dt.date(2026, 3, 4))
    wb = openpyxl.load_workbook(path)
    settings = {r[0]: r[1] for r in wb["eCore"].iter_rows(min_row=5, max_row=15, values_only=True)}
    assert settings["Reading type"] == "forecast"  # its own cell, with its declared default
    assert settings["Datasets"] == "contracts, clicks, volumes, positions, invoices, readings"
    report = refresh_file(path, service=svc)  # Refresh all: the default set, readings included
    readings = next(r for r in report.results if r.dataset == "readings")
    assert readings.sheet == "Readings" and readings.table == "tblReadings"
    assert readings.filters["type"] == "forecast" and readings.filters["granularity"] == "hour"
    assert readings.filters["meterId"] == _meters(mock)  # every meter: the meters' ids
    assert readings.rows == 48 * len(_meters(mock))
    wb = openpyxl.load_workbook(path)
    table = wb["Readings"].tables["tblReadings"]
    assert [c.name for c in table.tableColumns] == [*COLUMNS, "type", "quality"]
    assert wb["Readings"]["F6"].value == SITE  # the header is row 5, below the note
    lists = {n: v.attr_text for n, v in wb.defined_names.items() if n.startswith("lst")}
    assert lists["lstMeters"] == f"eCoreLists!$A$2:$A${1 + len(_meters(mock))}"


def test_refresh_of_an_existing_workbook_adds_the_settings_cell(
    mock: MockServer, svc: DataService, tmp_path: Path
) -> None:
    from ecore_xl.catalogue import builtin_catalogue

    days = {"from_": dt.date(2026, 3, 2), "to": dt.date(2026, 3, 4), "granularity": "day"}
    path = new_workbook(tmp_path / "book.xlsx", builtin_catalogue(), datasets="contracts", **days)
    builtin = DataService(settings_for(mock), catalogue=builtin_catalogue())
    with builtin:
        refresh_file(path, service=builtin)  # the built-in catalogue's sheet, refreshed once
    wb = openpyxl.load_workbook(path)
    set_settings(wb, meters=_meters(mock)[1], datasets="contracts, readings")
    wb.save(path)
    report = refresh_file(path, service=svc)
    wb = openpyxl.load_workbook(path)
    ws = wb["eCore"]
    ((sheet, cell),) = wb.defined_names["ecore.readingType"].destinations
    assert (sheet, cell) == ("eCore", "$B$15") and ws["A15"].value == "Reading type"
    assert ws["B15"].value == "forecast"
    assert ws["A17"].value == "Last refresh"  # moved down one row for it
    blocks = [r[0] for r in ws.iter_rows(min_row=19, max_col=1, values_only=True) if r[0]]
    assert blocks == ["contracts", "readings"]
    readings = next(r for r in report.results if r.dataset == "readings")
    assert readings.filters["meterId"] == [_meters(mock)[1]]  # the workbook's meters cell
    expected = _expected(svc, mock, meterId=_meters(mock)[1], type="forecast")
    values = [r[3] for r in wb["Readings"].iter_rows(min_row=6, values_only=True)]
    assert values == pytest.approx(expected["value"].tolist(), rel=1e-12)
