"""Every mock dialect, read with nothing but its catalogue file, gives the ``ecore`` dialect's data.

The same portfolio (same seed) is served three ways (docs/dialects.md); each dataset fetched from
``paged`` and ``bare`` with ``ecore_xl/mock/catalogues/<dialect>.json`` must equal the ``ecore``
frame: same rows in the same order, same columns and dtypes, same local times on both 2026 DST
days. Numbers are compared with a relative tolerance of 1e-12: the dialects send kWh, and
``kWh / 1000`` in binary floating point may differ from the MWh the contract writes in the last
bit (never more). Also: the failures that must name a declaration (a total larger than the
declared paging fetched, a wrong envelope, wrong units), ``ecore-xl fetch``, the headless refresh
of a new workbook and the February report in every dialect.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from ecore_xl.cli import cli
from ecore_xl.data import DataService, reset_service
from ecore_xl.errors import EcoreError, PagingError, UnexpectedResponseError
from ecore_xl.excel.headless import refresh_file
from ecore_xl.mock import MockServer, Portfolio
from ecore_xl.report import build_report
from tests.conftest import settings_for
from tests.dialect_compare import (
    CASES,
    EXTRA,
    KW,
    RAW_JSON,
    TOLERANCE,
    assert_same,
    catalogue_path,
    hand_written,
    three_servers,
)
from tests.refresh_fixtures import new_workbook
from tests.report_fixtures import expected_flagged, table_rows

#: where the package ships the hand-written catalogues (written out: `ecore-xl mock` must print it)
CATALOGUES = Path(__file__).resolve().parent.parent / "ecore_xl" / "mock" / "catalogues"
DIALECTS = ("paged", "bare")


def _service(srv: MockServer, dialect: str, **kw: Any) -> DataService:
    return DataService(settings_for(srv, catalogue=catalogue_path(dialect), **kw))


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, MockServer]]:
    with three_servers() as made:
        yield made


@pytest.fixture(scope="module")
def services(servers: dict[str, MockServer]) -> Iterator[dict[str, DataService]]:
    made = {name: _service(srv, name) for name, srv in servers.items()}
    yield made
    for svc in made.values():
        svc.close()


def _ids(srv: MockServer, commodity: str | None = None) -> str:
    return ",".join(m["id"] for m in srv.portfolio.meters if commodity in (None, m["commodity"]))


_assert_same = assert_same


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(("dataset", "filters"), CASES, ids=[f"{d}{f or ''}" for d, f in CASES])
def test_every_dataset_equals_the_ecore_dialects(
    services: dict[str, DataService], dialect: str, dataset: str, filters: dict[str, Any]
) -> None:
    ecore = services["ecore"].fetch(dataset, **filters)
    other = services[dialect].fetch(dataset, **filters)
    _assert_same(dialect, dataset, ecore, other)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_positions_of_every_portfolio_equal(
    services: dict[str, DataService], servers: dict[str, MockServer], dialect: str
) -> None:
    ids = [p["id"] for p in servers["ecore"].portfolio.portfolios]
    for granularity in ("month", "quarter"):
        kw = {
            "portfolioId": ids,
            "granularity": granularity,
            "from": "2026-01-01",
            "to": "2027-01-01",
        }
        ecore = services["ecore"].fetch("positions", **kw)
        _assert_same(dialect, "positions", ecore, services[dialect].fetch("positions", **kw))


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("day", ["2026-03-29", "2026-10-25"])
@pytest.mark.parametrize("granularity", ["quarterhour", "hour"])
def test_volumes_on_the_dst_days_equal_in_local_time(
    services: dict[str, DataService],
    servers: dict[str, MockServer],
    dialect: str,
    day: str,
    granularity: str,
) -> None:
    start = dt.date.fromisoformat(day)
    kw = {"from": start, "to": start + dt.timedelta(days=1), "granularity": granularity}
    power = _ids(servers["ecore"], "power")  # gas meters are daily only in paged: below
    ecore = services["ecore"].fetch("volumes", meterId=power, **kw)
    other = services[dialect].fetch("volumes", meterId=power, **kw)
    _assert_same(dialect, "volumes", ecore, other)
    per_meter = other.groupby("meterId").size()
    hours = 23 if day.startswith("2026-03") else 25
    assert set(per_meter) == {hours * (4 if granularity == "quarterhour" else 1)}
    assert set(other["unit"]) == {"MWh"} and other["value"].sum() > 0
    assert other.attrs["ecore"]["units"]["value"] == "MWh"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_month_of_daily_volumes_of_every_meter_equal(
    services: dict[str, DataService], servers: dict[str, MockServer], dialect: str
) -> None:
    kw = {"meterId": _ids(servers["ecore"]), "from": "2026-02-01", "to": "2026-03-01",
          "granularity": "day"}  # fmt: skip
    ecore = services["ecore"].fetch("volumes", **kw)
    other = services[dialect].fetch("volumes", **kw)
    _assert_same(dialect, "volumes", ecore, other)
    assert "granularity" not in other.attrs["ecore"]  # every meter got what was asked


def test_gas_meters_that_are_daily_only_get_days_and_the_frame_says_so(
    services: dict[str, DataService], servers: dict[str, MockServer]
) -> None:
    pf = servers["ecore"].portfolio
    gas = [m["id"] for m in pf.meters if m["commodity"] == "gas"]
    assert gas, "the portfolio has gas meters"
    kw = {"meterId": _ids(servers["ecore"]), "from": "2026-02-01", "to": "2026-02-03",
          "granularity": "hour"}  # fmt: skip
    paged = servers["paged"]
    paged.reset_stats()
    with _service(paged, "paged") as svc:  # a cold cache: the meters list is asked for too
        got = svc.fetch("volumes", **kw)
    # one request per meter (gas asked for days at once: its file declares them daily only, so
    # no hour is refused first) and one for the meters, whose commodity says which are gas
    assert paged.stats.data_requests == len(pf.meters) + 1
    meta = got.attrs["ecore"]
    assert meta["granularity"] == {"asked": "hour", "used": dict.fromkeys(gas, "day")}
    assert meta["notes"] == [
        f"granularity hour; day for meterId {', '.join(gas)} (the API offers them no hour)"
    ]
    rows = got.groupby("meterId").size()
    assert all(rows[m] == 2 for m in gas) and all(rows[m] == 48 for m in rows.index if m not in gas)
    # the long layout says each row's granularity: never days among hours unsaid
    said = got.groupby("meterId")["granularity"].unique()
    assert {m: list(v) for m, v in said.items()} == {
        m["id"]: ["day" if m["id"] in gas else "hour"] for m in pf.meters
    }
    daily = services["ecore"].fetch("volumes", **{**kw, "meterId": gas, "granularity": "day"})
    gas_rows = got[got["meterId"].isin(gas)].drop(columns="granularity").reset_index(drop=True)
    _assert_same("paged", "volumes", daily, gas_rows)
    hourly = services["ecore"].fetch("volumes", **{**kw, "meterId": "MTR-0002"})
    sent = EXTRA[("paged", "volumes")]  # paged's own column
    unlabelled = [c for c in got.columns if c not in {"granularity", *sent}]
    assert list(hourly.columns) == unlabelled


def test_a_refusal_for_one_meter_falls_back_for_that_meter_only() -> None:
    """The ``ecore`` contract with gas daily only: nothing declares it, the 400s teach it."""
    with MockServer(gas_daily_only=True, **KW) as srv, _service(srv, "ecore") as svc:
        gas = [m["id"] for m in srv.portfolio.meters if m["commodity"] == "gas"]
        kw = {"meterId": _ids(srv), "from": "2026-02-01", "to": "2026-02-02",
              "granularity": "quarterhour"}  # fmt: skip
        got = svc.fetch("volumes", **kw)
        assert got.attrs["ecore"]["granularity"]["used"] == dict.fromkeys(gas, "day")
        assert len(got) == 96 * (len(srv.portfolio.meters) - len(gas)) + len(gas)
        srv.reset_stats()
        svc.fetch("volumes", **{**kw, "to": "2026-02-03"})  # learned: no refusal asked again
        assert srv.stats.data_requests == len(srv.portfolio.meters)


# ---- the failures that name a declaration ------------------------------------------------------


def _write(tmp_path: Path, data: dict[str, Any]) -> str:
    file = tmp_path / "catalogue.json"
    file.write_text(json.dumps(data), encoding="utf-8")
    return str(file)


def test_more_records_than_the_declared_paging_fetched_is_an_error(tmp_path: Path) -> None:
    # the contract's envelope, page numbers instead of next links: the builtin declares nextLink
    with (
        MockServer(paging="pages", page_size=50, **KW) as srv,
        _service(srv, "ecore") as svc,
        pytest.raises(PagingError) as info,
    ):
        svc.fetch("invoices")
    text = str(info.value)
    assert text.startswith("invoices: the API says there is more than the declared paging")
    assert "records in all, 50 fetched" in text or "pages, 1 fetched" in text
    assert "datasets.invoices.dialect.paging" in text
    # paged's own file with paging "none": meta.totalItems says what is missing
    cut = hand_written("paged")
    cut["dialect"]["paging"] = {"style": "none"}
    with (
        MockServer(dialect="paged", page_size=50, **KW) as srv,
        DataService(settings_for(srv, catalogue=_write(tmp_path, cut))) as svc,
        pytest.raises(PagingError, match=r"meta\.totalPages says \d+ pages, 1 fetched") as info,
    ):
        svc.fetch("invoices")
    total = len(srv.portfolio.invoices)
    assert f"meta.totalItems: {total:,} records in all, 50 fetched" in (info.value.detail or "")


def test_a_wrong_envelope_says_where_the_records_are() -> None:
    with (
        MockServer(envelope="data.items", **KW) as srv,
        _service(srv, "ecore") as svc,
        pytest.raises(UnexpectedResponseError) as info,
    ):
        svc.fetch("contracts")
    assert "contracts: records are under 'data.items', not 'value'" in str(info.value)
    assert 'declare "envelope": {"records": "data.items"}' in str(info.value)
    with (
        MockServer(dialect="bare", **KW) as srv,
        _service(srv, "ecore") as svc,
        pytest.raises(UnexpectedResponseError, match=r"body itself .a bare JSON array."),
    ):
        svc.fetch("contracts")


def test_wrong_units_say_so(tmp_path: Path) -> None:
    with MockServer(energy_unit="kWh", **KW) as srv, _service(srv, "ecore") as svc:
        volumes = svc.fetch(
            "volumes", meterId=_ids(srv), **{"from": "2026-02-01", "to": "2026-02-02"},
            granularity="day",
        )  # fmt: skip
        assert set(volumes["unit"]) == {"MWh"}  # the records say kWh: converted, and said
        with pytest.raises(UnexpectedResponseError) as info:
            svc.fetch("invoices")
    assert "no record has consumptionMWh (MWh), but they have 'consumptionKWh'" in str(info.value)
    wrong = {"datasets": {"volumes": {"fields": [{"name": "value", "api_unit": "kWh"}]}}}
    with (
        MockServer(**KW) as srv,
        DataService(settings_for(srv, catalogue=_write(tmp_path, wrong))) as svc,
        pytest.raises(UnexpectedResponseError, match=r"say value is in 'MWh'.*api_unit 'kWh'"),
    ):
        svc.fetch("volumes", meterId=_ids(srv), **{"from": "2026-02-01", "to": "2026-02-02"})


def test_a_unit_field_no_record_has_needs_an_api_unit(
    servers: dict[str, MockServer], services: dict[str, DataService], tmp_path: Path
) -> None:
    """bare says kWh nowhere: its file declares api_unit; without it the kWh were shown as MWh."""
    kw = {"meterId": "MTR-0002", "from": "2026-02-01", "to": "2026-02-02", "granularity": "day"}
    declared = services["bare"].fetch("volumes", **kw)
    ecore = services["ecore"].fetch("volumes", **kw)
    _assert_same("bare", "volumes", ecore, declared)  # with api_unit: converted, said MWh
    cut = hand_written("bare")
    fields = cut["datasets"]["volumes"]["fields"]
    cut["datasets"]["volumes"]["fields"] = [f for f in fields if f["name"] != "value"]
    with (
        DataService(settings_for(servers["bare"], catalogue=_write(tmp_path, cut))) as svc,
        pytest.raises(UnexpectedResponseError) as info,
    ):
        svc.fetch("volumes", **kw)
    text = str(info.value)
    assert text.startswith("volumes: no record has 'unit', the field that says the unit of value")
    assert "datasets.volumes.fields[value].api_unit" in text and "unit_field" in text
    with DataService(settings_for(servers["bare"], catalogue=_write(tmp_path, cut))) as svc:
        assert len(svc.fetch("meters")) > 0  # the other datasets still read


def test_an_unknown_id_is_not_found_in_every_dialect(servers: dict[str, MockServer]) -> None:
    for name, srv in servers.items():
        with _service(srv, name) as svc, pytest.raises(EcoreError) as info:
            svc.fetch("volumes", meterId="MTR-9999", **{"from": "2026-02-01", "to": "2026-02-02"})
        text = str(info.value).lower()
        assert "mtr-9999" in text and "not found" in text and "check the id" in text, name


# ---- the faces: fetch, refresh, report ---------------------------------------------------------


def _cli(srv: MockServer, dialect: str, *args: str) -> str:
    env = {**srv.env(), "ECORE_CATALOGUE": catalogue_path(dialect) or ""}
    reset_service()  # each ecore-xl run is a process of its own, with its own service
    result = CliRunner().invoke(cli, list(args), env=env)
    reset_service()
    assert result.exit_code == 0, (dialect, result.output)
    return result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("volumes", "--from", "2026-10-25", "--to", "2026-10-26", "--filter", "granularity=hour"),
        ("invoices", "--from", "2026-02-01", "--to", "2026-03-01"),
    ],
)
def test_ecore_xl_fetch_gives_the_same_table_in_every_dialect(
    servers: dict[str, MockServer], tmp_path: Path, args: tuple[str, ...]
) -> None:
    dataset, *rest = args
    if dataset == "volumes":
        rest = [*rest, "--filter", f"meterId={_ids(servers['ecore'], 'power')}"]
    tables = {}
    for name, srv in servers.items():
        out = tmp_path / f"{name}-{dataset}.csv"
        _cli(srv, name, "fetch", dataset, *rest, "--out", str(out))
        tables[name] = pd.read_csv(out)
    for name in DIALECTS:
        extra = EXTRA.get((name, dataset), set()) | RAW_JSON.get((name, dataset), set())
        columns = [c for c in tables["ecore"].columns if c not in extra]
        assert len(tables["ecore"]) > 0
        pd.testing.assert_frame_equal(tables[name][columns], tables["ecore"][columns], **TOLERANCE)


def _sheets(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every data sheet's rows below the note (the note holds the refresh time and URL)."""
    wb = openpyxl.load_workbook(path, data_only=True)
    out = {}
    for ws in wb.worksheets:
        if ws.title in ("eCore", "eCoreLists"):
            continue
        out[ws.title] = [tuple(r) for r in ws.iter_rows(min_row=5, values_only=True)]
    return out


def _same_cells(a: list[tuple[Any, ...]], b: list[tuple[Any, ...]], skip: set[int]) -> None:
    assert len(a) == len(b) and a
    for row_a, row_b in zip(a, b, strict=True):
        for i, (x, y) in enumerate(zip(row_a, row_b, strict=True)):
            if i in skip:
                continue
            if isinstance(x, float) and isinstance(y, float):
                assert y == pytest.approx(x, rel=1e-12, abs=1e-12)
            else:
                assert x == y


def test_refresh_all_of_a_new_workbook_succeeds_when_gas_is_daily_only(tmp_path: Path) -> None:
    """A new file, the settings sheet's defaults (last month, hourly, every meter)."""
    today = dt.date.today()
    mock = {**KW, "years": (today.year - 1, today.year), "as_of": today}
    with (
        MockServer(gas_daily_only=True, **mock) as srv,
        _service(srv, "ecore") as svc,
    ):
        report = refresh_file(tmp_path / "new.xlsx", service=svc)
        gas = [m["id"] for m in srv.portfolio.meters if m["commodity"] == "gas"]
    volumes = next(r for r in report.results if r.dataset == "volumes")
    assert volumes.rows > 0 and volumes.filters["granularity"] == "hour"
    assert volumes.notes == (
        f"granularity hour; day for meterId {', '.join(gas)} (the API offers them no hour)",
    )
    assert f"volumes: {volumes.notes[0]}" in report.warnings
    sheet = openpyxl.load_workbook(tmp_path / "new.xlsx")["Volumes"]
    assert sheet["A2"].value.endswith(f" · {volumes.notes[0]}")
    (table,) = sheet.tables.values()
    rows = [list(r) for r in sheet[table.ref]]
    header = [c.value for c in rows[0]]
    meter, said = header.index("meterId"), header.index("granularity")  # the table says it too
    assert {(r[meter].value, r[said].value) for r in rows[1:]} == {
        (m["id"], "day" if m["id"] in gas else "hour") for m in srv.portfolio.meters
    }


def test_ecore_xl_fetch_says_the_fallback_on_stderr(tmp_path: Path) -> None:
    with MockServer(gas_daily_only=True, **KW) as srv:
        out = tmp_path / "volumes.csv"
        env = srv.env()
        reset_service()
        result = CliRunner().invoke(
            cli,
            ["fetch", "volumes", "--from", "2026-02-01", "--to", "2026-02-02", "--filter",
             f"meterId={_ids(srv)}", "--out", str(out)],
            env=env,
        )  # fmt: skip
        reset_service()
        gas = [m["id"] for m in srv.portfolio.meters if m["commodity"] == "gas"]
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"Note: volumes: granularity hour; day for meterId {', '.join(gas)} (the API offers "
        "them no hour)"
    ]
    table = pd.read_csv(out)
    assert dict(table.groupby("meterId")["granularity"].unique().map(list)) == {
        m["id"]: ["day" if m["id"] in gas else "hour"] for m in srv.portfolio.meters
    }


@pytest.mark.parametrize("dialect", DIALECTS)
def test_refresh_all_of_a_new_workbook_equals_the_ecore_dialects(
    tmp_path: Path, dialect: str
) -> None:
    # paged serves gas daily only: compare it with the contract serving gas daily only too
    gas_daily = dialect == "paged"
    paths = {}
    notes = {}
    with (
        MockServer(gas_daily_only=gas_daily, **KW) as ecore,
        MockServer(dialect=dialect, **KW) as other,
    ):
        for name, srv in (("ecore", ecore), (dialect, other)):
            paths[name] = new_workbook(
                tmp_path / f"{name}.xlsx", from_=dt.date(2026, 1, 1), to=dt.date(2026, 3, 1)
            )
            with _service(srv, name) as svc:
                report = refresh_file(paths[name], service=svc)
            notes[name] = {r.dataset: r.notes for r in report.results}
            rows = {r.dataset: r.rows for r in report.results}
            assert all(rows[d] > 0 for d in ("contracts", "clicks", "volumes", "invoices")), rows
    a, b = _sheets(paths["ecore"]), _sheets(paths[dialect])
    assert set(a) == set(b) >= {"Contracts", "Clicks", "Volumes", "Positions", "Invoices"}
    for sheet in a:
        header = a[sheet][0]
        skip = {i for i, h in enumerate(b[sheet][0]) if (dialect, sheet.lower()) in EXTRA
                and h in EXTRA[(dialect, sheet.lower())]}  # fmt: skip
        rows_b = [tuple(v for i, v in enumerate(r) if i not in skip) for r in b[sheet]]
        lines = {i for i, h in enumerate(header) if h == "lines" and dialect == "bare"}
        _same_cells(a[sheet], rows_b, lines)
    assert notes["ecore"] == notes[dialect]
    if gas_daily:  # said in the refresh sheet's note, never a failed refresh
        (said,) = notes[dialect]["volumes"]
        assert said.startswith("granularity hour; day for meterId ")
        wb = openpyxl.load_workbook(paths[dialect])
        assert said in wb["Volumes"]["A2"].value


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_february_report_equals_the_ecore_dialects(
    servers: dict[str, MockServer], tmp_path: Path, dialect: str
) -> None:
    results = {}
    for name in ("ecore", dialect):
        with _service(servers[name], name) as svc:
            results[name] = build_report("2026-02", out=tmp_path / f"{name}.xlsx", service=svc)
    ecore, other = results["ecore"], results[dialect]
    expected = expected_flagged(servers["ecore"].portfolio, "2026-02")
    assert ecore.flagged_invoice_ids == other.flagged_invoice_ids == expected
    assert expected, "February has deliberate discrepancies"
    assert other.figures.keys() == ecore.figures.keys()
    for key, value in ecore.figures.items():
        if isinstance(value, float):
            assert other.figures[key] == pytest.approx(value, rel=1e-12), key
        else:
            assert other.figures[key] == value, key


def test_the_invoice_check_counts_the_last_day_of_an_inclusive_period(
    servers: dict[str, MockServer], tmp_path: Path
) -> None:
    """``paged`` sends ``periodEnd`` as the period's last day (inclusive): the invoice check
    reads it as such — "Period to" is 31 March, and the metered volume includes that day."""
    march = [
        inv
        for inv in servers["paged"].portfolio.invoices
        if inv["periodStart"].startswith("2026-02-28T23:00")  # 1 March, local midnight
    ]
    assert march
    with _service(servers["paged"], "paged") as svc:
        out = tmp_path / "march.xlsx"
        build_report("2026-03", out=out, service=svc)
    rows = {r["Invoice"]: r for r in table_rows(out, "tblInvoices")}
    pf = servers["paged"].portfolio
    for inv in march:
        row = rows[inv["id"]]
        assert (row["Period from"], row["Period to"]) == (
            dt.datetime(2026, 3, 1),
            dt.datetime(2026, 3, 31),
        )
        start, end = _epoch(inv["periodStart"]), _epoch(inv["periodEnd"])
        with_last_day = pf.volume_sum(inv["meterId"], start, end)
        without = pf.volume_sum(inv["meterId"], start, end - 86400)
        assert row["Metered MWh"] == pytest.approx(with_last_day, rel=1e-12)
        assert abs(with_last_day - without) > 1e-3  # the last day matters: an off-by-one shows


def _epoch(iso: str) -> int:
    return int(dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("dialect", DIALECTS)
def test_ecore_xl_mock_prints_the_catalogue_that_reads_its_dialect(
    tmp_path: Path, dialect: str
) -> None:
    """Two real processes: ``ecore-xl mock --dialect NAME``, then ``ecore-xl fetch`` with the
    lines it printed (its ECORE_CATALOGUE included) and nothing else."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ECORE_")}
    port = str(_free_port())
    command = [sys.executable, "-m", "ecore_xl", "mock", "--dialect", dialect, "--port", port,
               "--meters", "3"]  # fmt: skip
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=clean
    )
    lines: dict[str, str] = {}
    try:
        assert proc.stdout is not None
        for _ in range(40):
            line = proc.stdout.readline()
            if not line or line.startswith("# Ctrl-C"):
                break
            if line.startswith("ECORE_"):
                key, _, value = line.strip().partition("=")
                lines[key] = value
            if "ECORE_CATALOGUE" in lines:
                break
        assert Path(lines["ECORE_CATALOGUE"]) == CATALOGUES / f"{dialect}.json"
        out = tmp_path / "meters.json"
        done = subprocess.run(
            [sys.executable, "-m", "ecore_xl", "fetch", "meters", "--out", str(out)],
            capture_output=True, text=True, timeout=120,
            env={**clean, **lines, "ECORE_NO_KEYRING": "1"},
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        meters = json.loads(out.read_text())
        served = Portfolio(seed=42, meters=3).meters  # what the mock serves (in MWh, as ecore)
        assert [m["id"] for m in meters] == [m["id"] for m in served]
        assert [m["annualConsumptionMWh"] for m in meters] == pytest.approx(
            [m["annualConsumptionMWh"] for m in served], rel=1e-12
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
