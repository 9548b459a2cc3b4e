"""The faces in every mock dialect, read with nothing but its catalogue file, answer what they
answer against the ``ecore`` dialect, value for value (``tests/test_dialects_fetch.py`` does
the datasets, ``ecore-xl fetch``, a new workbook's refresh and the report's figures).

Each dialect's catalogue file three ways (issue 11): the hand-written one
(``ecore_xl/mock/catalogues``), the one ``ecore-xl catalogue import`` makes of its vendor-style
Postman collection (``tests/fixtures/postman/dialect_*.json``) and the one ``ecore-xl catalogue
probe --write`` writes against its mock with only the built-in catalogue; no hand edits.

- the worksheet functions through the real xlwings decorators and ``XLPython.CallUDF``, and
  through the Office.js backend's HTTP API: every dataset function (volumes on the autumn DST
  day, in the wide layout, with gas meters falling back to days), the totals and ratios,
  ``ECORE_GET`` of the dialect's own path;
- the headless refresh of an existing user workbook (a calculated column, a formula column
  beside the table, a defined name and a chart on it), recalculated by LibreOffice;
- the February report, cell for cell.

``paged`` serves gas meters daily only, so it is compared with the ``ecore`` contract serving gas
daily only too (``gas_daily_only``); ``bare`` with the plain contract. Numbers are compared with
a relative tolerance of 1e-12 (the dialects send kWh).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.utils.cell import range_boundaries

from ecore_xl.catalogue import Catalogue, builtin_catalogue, load_catalogue
from ecore_xl.cli import cli
from ecore_xl.data import DataService, reset_service, set_service
from ecore_xl.excel.headless import refresh_file
from ecore_xl.formulas.signatures import FunctionSpec, function_specs
from ecore_xl.mock import MockServer
from ecore_xl.report import build_report
from ecore_xl.serve.server import start_backend
from tests import udfs_fixtures as fx
from tests.conftest import settings_for, soffice_missing
from tests.dialect_compare import catalogue_path
from tests.refresh_fixtures import (
    assert_tables_consistent,
    customise_volumes,
    libreoffice_convert,
    new_workbook,
    set_settings,
)
from tests.serve_fixtures import TOKEN, Client
from tests.udfs_fixtures import OMITTED, RecordingEngine, excel_call

udf_log_closed = fx.udf_log_closed
xl_server = fx.xl_server

COLLECTIONS = Path(__file__).resolve().parent / "fixtures" / "postman"
DIALECTS = ("paged", "bare")
#: where a dialect's catalogue file comes from
SOURCES = ("hand-written", "imported", "probed")
CASES = [(d, s) for d in DIALECTS for s in SOURCES]
CASE_IDS = [f"{d}-{s}" for d, s in CASES]
#: the ecore mock each dialect is compared with
REFERENCE = {"paged": "ecore-gas-daily", "bare": "ecore"}
#: seed 53: power and gas meters, and deliberate invoice discrepancies in February 2026
KW: dict[str, Any] = {
    "seed": 53,
    "meters": 6,
    "years": (2025, 2026),
    "as_of": dt.date(2026, 11, 26),
}
REL = 1e-12
NOW = dt.datetime.now()
#: columns a dialect sends beyond the contract's (kept, as every unknown field is)
EXTRA = {"paged": {"resolution"}}
#: invoices' lines: a list of objects is shown as the API's own JSON (bare spells it snake_case)
INVOICE_COLUMNS = "columns=id,invoiceNumber,meterId,periodStart,periodEnd,consumptionMWh,netAmount"


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, MockServer]]:
    with (
        MockServer(**KW) as ecore,
        MockServer(gas_daily_only=True, **KW) as gas_daily,
        MockServer(dialect="paged", **KW) as paged,
        MockServer(dialect="bare", **KW) as bare,
    ):
        yield {"ecore": ecore, "ecore-gas-daily": gas_daily, "paged": paged, "bare": bare}


@pytest.fixture(scope="module")
def files(
    servers: dict[str, MockServer], tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str], str]:
    """(dialect, source) -> its catalogue file: hand-written, imported from the dialect's
    Postman collection, written by the probe against its mock (through the real commands)."""
    folder = tmp_path_factory.mktemp("learned")
    out = {}
    for d in DIALECTS:
        out[(d, "hand-written")] = str(catalogue_path(d))
        imported, probed = folder / f"{d}-imported.json", folder / f"{d}-probed.json"
        collection = str(COLLECTIONS / f"dialect_{d}.json")
        command = ["catalogue", "import", collection, "--out", str(imported)]
        result = CliRunner().invoke(cli, command)
        assert result.exit_code == 0 and imported.exists(), result.output
        reset_service()
        env = {**servers[d].env(), "ECORE_CATALOGUE": str(probed)}
        result = CliRunner().invoke(cli, ["catalogue", "probe", "--write"], env=env)
        reset_service()
        assert result.exit_code == 0 and probed.exists(), result.output
        out[(d, "imported")], out[(d, "probed")] = str(imported), str(probed)
    return out


def _service(servers: dict[str, MockServer], name: str, file: str | None = None) -> DataService:
    """A service reading ``name``'s dialect with the catalogue ``file``, else the built-in
    catalogue (given, so that ECORE_CATALOGUE, set for the xlwings functions, does not reach it)."""
    catalogue = load_catalogue(file) if file else builtin_catalogue()
    return DataService(settings_for(servers[name], catalogue=file), catalogue=catalogue)


@pytest.fixture(params=CASES, ids=CASE_IDS)
def dialect(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    files: dict[tuple[str, str], str],
) -> tuple[str, str]:
    """The dialect and its catalogue file, which is in ECORE_CATALOGUE (the xlwings functions
    are generated from it when ``xl_server`` imports them: request this fixture first)."""
    name, source = request.param
    monkeypatch.setenv("ECORE_CATALOGUE", files[(name, source)])
    return str(name), files[(name, source)]


# ---- the calls --------------------------------------------------------------------------------


def _calls(pf: Any) -> list[tuple[str, dict[str, Any], list[str]]]:
    """(function, {filter or layout: value}, options): the same question in every dialect."""
    power = ",".join(m["id"] for m in pf.meters if m["commodity"] == "power")
    every = ",".join(m["id"] for m in pf.meters)
    portfolio = next(p["id"] for p in pf.portfolios if p["deliveryYear"] == 2026)
    feb = {"from": "2026-02-01", "to": "2026-03-01"}
    return [
        ("ECORE_LEGAL_ENTITIES", {}, []),
        ("ECORE_BUSINESS_UNITS", {}, []),
        ("ECORE_METERS", {}, []),
        ("ECORE_RELATIONSHIPS", {}, []),
        ("ECORE_CONTRACTS", {"commodity": "gas"}, []),
        ("ECORE_PORTFOLIOS", {}, []),
        ("ECORE_CLICKS", {"from": "2025-10-01", "to": "2026-03-01"}, []),
        ("ECORE_VOLUMES", {"meterId": power, "from": "2026-10-25", "to": "2026-10-26",
                           "granularity": "hour"}, []),
        ("ECORE_VOLUMES", {"meterId": every, "from": "2026-02-01", "to": "2026-02-03",
                           "granularity": "hour"}, ["type=actual"]),
        ("ECORE_VOLUMES", {"meterId": every, "from": "2026-02-01", "to": "2026-02-08",
                           "granularity": "day", "layout": "wide"}, []),
        ("ECORE_POSITIONS", {"portfolioId": portfolio, "granularity": "month",
                             "from": "2026-01-01", "to": "2027-01-01"}, []),
        ("ECORE_INVOICES", feb, [INVOICE_COLUMNS]),
        ("ECORE_INVOICE_LINES", feb, []),
        ("ECORE_VOLUME_TOTAL", {"meter_or_contract": every, "from_date": feb["from"],
                                "to_date": feb["to"]}, []),
        ("ECORE_VOLUME_TOTAL", {"meter_or_contract": power,
                                "from_date": "2026-03-29T00:00:00+01:00",
                                "to_date": "2026-03-30T00:00:00+02:00"}, ["type=forecast"]),
        ("ECORE_HEDGE_RATIO", {"portfolio": portfolio, "period": "2026-10"}, []),
        ("ECORE_OPEN_POSITION", {"portfolio": portfolio, "period": "2026-Q4"}, []),
    ]  # fmt: skip


def _args(spec: FunctionSpec, values: dict[str, Any], options: list[str], empty: Any) -> list[Any]:
    """The spec's positional arguments for ``values`` (by filter, or by name for the hand-written
    functions), the options in its ``optionN`` slots; ``empty`` for the rest."""
    out: list[Any] = []
    slots = iter(options)
    for p in spec.params:
        key = p.target if spec.dataset else p.name
        if p.name.startswith("option"):
            out.append(next(slots, empty))
        elif key in values:
            out.append(values[key])
        else:
            out.append(empty)
    while out and out[-1] is empty:
        out.pop()
    return out


def _same_table(dialect: str, ref: list[list[Any]], got: list[list[Any]], what: str) -> None:
    """Two spilled tables (header first) equal, column by column by header name."""
    assert len(ref) > 1, (what, "compare something", ref[:1])
    head_ref, head_got = ref[0], got[0]
    assert set(head_got) - set(head_ref) == EXTRA.get(dialect, set()) & set(head_got), what
    assert len(got) == len(ref), what
    where = {h: i for i, h in enumerate(head_got)}
    for j, name in enumerate(head_ref):
        column_ref = [row[j] for row in ref[1:]]
        column_got = [row[where[name]] for row in got[1:]]
        _same_values(column_ref, column_got, f"{what} {name}")


def _same_values(ref: list[Any], got: list[Any], what: str) -> None:
    for i, (a, b) in enumerate(zip(ref, got, strict=True)):
        if isinstance(a, float) and isinstance(b, float):
            assert b == pytest.approx(a, rel=REL, abs=REL), (what, i)
        else:
            assert a == b, (what, i, a, b)


# ---- the xlwings functions ----------------------------------------------------------------------


def test_the_xlwings_functions_answer_the_same(
    dialect: tuple[str, str],
    xl_server: tuple[ModuleType, Any, RecordingEngine],
    servers: dict[str, MockServer],
) -> None:
    name, file = dialect
    _, server, engine = xl_server
    specs = {s.name: s for s in function_specs(load_catalogue(file))}
    names = (REFERENCE[name], name)
    services = {n: _service(servers, n, file if n == name else None) for n in names}
    try:
        for function, values, options in _calls(servers["ecore"].portfolio):
            answers = {}
            for n in names:
                set_service(services[n])
                args = _args(specs[function], values, options, OMITTED)
                answers[n] = excel_call(server, function, *args)
            ref, got = answers[REFERENCE[name]], answers[name]
            what = f"{name} {function}{values}"
            if isinstance(ref, float):
                assert isinstance(got, float) and got == pytest.approx(ref, rel=REL), what
                assert ref > 0, what
            else:
                assert isinstance(ref, list), (what, ref)
                _same_table(name, ref, got, what)
        # ECORE_GET: each API's own path of a catalogue dataset
        for n in names:
            set_service(services[n])
            path = services[n].catalogue.get("contracts").path
            answers[n] = excel_call(server, "ECORE_GET", path, "commodity=power")
        _same_table(name, answers[names[0]], answers[name], f"{name} ECORE_GET")
        assert all(type(v) in (str, float, bool, dt.datetime) or v is None for v in engine.written)
    finally:
        for svc in services.values():
            svc.close()


@pytest.mark.parametrize("source", SOURCES)
def test_a_contract_total_where_the_api_takes_no_contract(
    servers: dict[str, MockServer], files: dict[tuple[str, str], str], source: str
) -> None:
    """paged serves volumes per meter only: a contract's total is refused, naming what to do."""
    from ecore_xl.excel import udfs

    contract = servers["ecore"].portfolio.contracts[0]["id"]
    with _service(servers, "paged", files[("paged", source)]) as svc:
        set_service(svc)
        cell = udfs.ECORE_VOLUME_TOTAL(contract, "2025-02-01", "2025-03-01")
    assert cell.startswith("#ECORE! ECORE_VOLUME_TOTAL: the API's volumes take no contract")
    assert "give the meters of " + contract in cell
    for name in ("ecore", "bare"):
        with _service(servers, name, files.get((name, source))) as svc:
            set_service(svc)
            assert isinstance(udfs.ECORE_VOLUME_TOTAL(contract, "2025-02-01", "2025-03-01"), float)


def test_volumes_in_the_long_layout_say_each_rows_granularity(
    xl_server: tuple[ModuleType, Any, RecordingEngine], servers: dict[str, MockServer]
) -> None:
    """Gas refused hours: =ECORE_VOLUMES and ECORE.VOLUMES (Office.js) spill a granularity column
    (day on gas rows, hour on power rows), never days among hours unsaid; with no fallback the
    table is as before, without it."""
    _, server, _ = xl_server
    pf = servers["ecore"].portfolio
    gas = {m["id"] for m in pf.meters if m["commodity"] == "gas"}
    every = ",".join(m["id"] for m in pf.meters)
    power = ",".join(m["id"] for m in pf.meters if m["id"] not in gas)
    args = ("2026-02-01", "2026-02-03", "hour")
    with _service(servers, "ecore-gas-daily") as svc:
        set_service(svc)
        spilled = excel_call(server, "ECORE_VOLUMES", every, *args)
        normal = excel_call(server, "ECORE_VOLUMES", power, *args)
        backend = start_backend(svc, token=TOKEN)
        try:
            spec = {s.name: s for s in function_specs(svc.catalogue)}["ECORE_VOLUMES"]
            values = {"meterId": every, "from": args[0], "to": args[1], "granularity": args[2]}
            office = _office_call(Client(backend), spec, values, [])
        finally:
            backend.stop()
    for header, rows in ((spilled[0], spilled[1:]), (office["header"], office["rows"])):
        assert "granularity" in header, header
        meter, said = header.index("meterId"), header.index("granularity")
        assert {(r[meter], r[said]) for r in rows} == {
            (m["id"], "day" if m["id"] in gas else "hour") for m in pf.meters
        }
    assert "granularity" not in normal[0] and len(normal[0]) == len(spilled[0]) - 1


# ---- the Office.js functions ------------------------------------------------------------------


def _office_call(
    api: Client, spec: FunctionSpec, values: dict[str, Any], options: list[str]
) -> dict[str, Any]:
    """What the add-in gets for the call: a cell arrives as [[value]], an empty one as null."""
    args = [None if a is None else [[a]] for a in _args(spec, values, options, None)]
    body = api.call(spec.name.removeprefix("ECORE_"), *args).json()
    assert "error" not in body, (spec.name, values, body)
    return body  # type: ignore[no-any-return]


@pytest.mark.parametrize(("name", "source"), CASES, ids=CASE_IDS)
def test_the_officejs_functions_answer_the_same(
    servers: dict[str, MockServer], files: dict[tuple[str, str], str], name: str, source: str
) -> None:
    names = (REFERENCE[name], name)
    services = {n: _service(servers, n, files.get((n, source))) for n in names}
    backends = {n: start_backend(services[n], token=TOKEN) for n in names}
    try:
        apis = {n: Client(backends[n]) for n in names}
        specs = {n: {s.name: s for s in function_specs(_catalogue(services[n]))} for n in names}
        for function, values, options in _calls(servers["ecore"].portfolio):
            ref, got = (_office_call(apis[n], specs[n][function], values, options) for n in names)
            what = f"{name} {function}{values}"
            assert ref["kind"] == got["kind"], what
            if ref["kind"] == "number":
                assert got["value"] == pytest.approx(ref["value"], rel=REL), what
                continue
            _same_table(name, [ref["header"], *ref["rows"]], [got["header"], *got["rows"]], what)
            formats = dict(zip(got["header"], got["formats"], strict=True))
            assert [formats[h] for h in ref["header"]] == ref["formats"], what
    finally:
        for backend in backends.values():
            backend.stop()
        for svc in services.values():
            svc.close()


def _catalogue(svc: DataService) -> Catalogue:
    return svc.catalogue


# ---- the refresh of a user's workbook ---------------------------------------------------------


def _users_workbook(svc: DataService, path: Path) -> Path:
    """Refreshed once, customised by the user (formula columns, a name, a chart), refreshed again
    over a longer period (the table grows under the user's work)."""
    new_workbook(path, svc.catalogue, from_=dt.date(2026, 2, 1), to=dt.date(2026, 2, 3),
                 granularity="hour", datasets="volumes, contracts, invoices")  # fmt: skip
    refresh_file(path, service=svc)
    customise_volumes(path)
    wb = openpyxl.load_workbook(path)
    set_settings(wb, to=dt.date(2026, 2, 4))
    wb.save(path)
    report = refresh_file(path, service=svc)
    assert_tables_consistent(path)
    # invoices bring their lines as a table of their own
    assert {r.dataset for r in report.results} == {
        "volumes", "contracts", "invoices", "invoice-lines"
    }  # fmt: skip
    return path


def _table_columns(ws: Any, table: str) -> dict[str, list[Any]]:
    min_col, header, max_col, last = range_boundaries(ws.tables[table].ref)
    return {
        str(ws.cell(row=header, column=c).value): [
            ws.cell(row=r, column=c).value for r in range(header + 1, last + 1)
        ]
        for c in range(min_col, max_col + 2)  # the formula column beside the table too
    }


@pytest.mark.libreoffice
@pytest.mark.skipif(soffice_missing(), reason="LibreOffice (soffice) not installed")
@pytest.mark.parametrize(("name", "source"), CASES, ids=CASE_IDS)
def test_the_refresh_of_a_users_workbook_gives_the_same_sheets(
    servers: dict[str, MockServer],
    files: dict[tuple[str, str], str],
    tmp_path: Path,
    name: str,
    source: str,
) -> None:
    books = {}
    for n in (REFERENCE[name], name):
        with _service(servers, n, files.get((n, source))) as svc:
            books[n] = _users_workbook(svc, tmp_path / f"{n}.xlsx")
    ref_wb, got_wb = (openpyxl.load_workbook(books[n]) for n in (REFERENCE[name], name))
    # the user's work is kept in both: the calculated column, the name, the chart
    for wb in (ref_wb, got_wb):
        ws = wb["Volumes"]
        table = ws.tables["tblVolumes"]
        _, header, _, last = range_boundaries(table.ref)
        assert table.tableColumns[-1].name == "kWh"
        (chart,) = ws._charts
        assert chart.series[0].val.numRef.f.endswith(f"${header + 1}:${_col(ws, 'value')}${last}")
        assert wb.defined_names["myValues"].attr_text.endswith(f"${last}")
    # every sheet's cells the same, after LibreOffice recalculated the formulas
    calc = {n: openpyxl.load_workbook(libreoffice_convert(books[n], tmp_path / n), data_only=True)
            for n in books}  # fmt: skip
    ref, got = calc[REFERENCE[name]], calc[name]
    for sheet, table in (("Volumes", "tblVolumes"), ("Contracts", "tblContracts"),
                         ("Invoices", "tblInvoices")):  # fmt: skip
        a, b = _table_columns(ref[sheet], table), _table_columns(got[sheet], table)
        extra = EXTRA.get(name, set()) if sheet == "Volumes" else set()
        assert set(b) - set(a) == extra & set(b), (name, sheet)
        for column, values in a.items():
            if column == "lines":  # a list of objects: the API's own JSON (bare: snake_case)
                continue
            _same_values(values, b[column], f"{name} {sheet} {column}")
        assert ref[sheet]["A2"].value == got[sheet]["A2"].value  # the filters and notes line
    summary = [ref["Summary"][f"B{r}"].value for r in range(1, 5)]
    assert all(isinstance(v, float) and v > 0 for v in summary)
    _same_values(summary, [got["Summary"][f"B{r}"].value for r in range(1, 5)], "Summary")
    lists = [[c.value for c in col] for col in ref["eCoreLists"].iter_cols()]
    assert lists == [[c.value for c in col] for col in got["eCoreLists"].iter_cols()]


def _col(ws: Any, header: str) -> str:
    from openpyxl.utils import get_column_letter

    min_col, row, max_col, _ = range_boundaries(ws.tables["tblVolumes"].ref)
    for c in range(min_col, max_col + 1):
        if ws.cell(row=row, column=c).value == header:
            return get_column_letter(c)
    raise AssertionError(header)


# ---- the report ---------------------------------------------------------------------------------


def _report_cells(path: Path) -> dict[tuple[str, str], Any]:
    """Every cell but where it came from and when (the Provenance sheet, the source line)."""
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        if ws.title == "Provenance":
            continue
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if value is None or (isinstance(value, str) and "eCore API http" in value):
                    continue
                if isinstance(value, dt.datetime) and abs(value - NOW) < dt.timedelta(hours=3):
                    continue  # when it was made
                if isinstance(value, str) and value.startswith("Generated "):
                    continue  # when it was made, as text with its zone (two runs, two minutes)
                out[(ws.title, cell.coordinate)] = value
    return out


@pytest.mark.parametrize(("name", "source"), CASES, ids=CASE_IDS)
def test_the_february_report_is_the_same_cell_for_cell(
    servers: dict[str, MockServer],
    files: dict[tuple[str, str], str],
    tmp_path: Path,
    name: str,
    source: str,
) -> None:
    cells = {}
    for n in (REFERENCE[name], name):
        with _service(servers, n, files.get((n, source))) as svc:
            build_report("2026-02", out=tmp_path / f"{n}.xlsx", service=svc)
        cells[n] = _report_cells(tmp_path / f"{n}.xlsx")
    ref, got = cells[REFERENCE[name]], cells[name]
    assert set(got) == set(ref) and len(ref) > 500
    keys = sorted(ref)
    _same_values([ref[k] for k in keys], [got[k] for k in keys], f"{name} report")
