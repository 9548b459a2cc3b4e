"""Every ECORE_* function called directly against the mock API, compared with the mock's data."""

from __future__ import annotations

import datetime as dt
import math
import os
from pathlib import Path

import pytest

import ecore_xl.excel.udfs as udfs
from ecore_xl.data import DataService, set_service
from ecore_xl.excel import offline
from ecore_xl.mock import MockServer
from tests import udfs_fixtures as fx
from tests.udfs_fixtures import epoch, excel_serial, local_naive

mock_server = fx.mock_server
udf_log_closed = fx.udf_log_closed
service = fx.service

MARCH = (dt.date(2026, 3, 1), dt.date(2026, 4, 1))


def _is_error(value: object) -> bool:
    return isinstance(value, str) and value.startswith("#ECORE! ")


def _one_line_error(value: object) -> str:
    assert _is_error(value), value
    assert isinstance(value, str)
    assert "\n" not in value and "Traceback" not in value and len(value) <= 260
    return value


# ---- one per dataset ------------------------------------------------------------------------


def test_every_catalogue_dataset_has_its_function(service: DataService) -> None:
    names = {ds.function for ds in service.catalogue}
    assert names <= set(udfs.udf_names())
    assert {"ECORE_CONTRACTS", "ECORE_INVOICE_LINES", "ECORE_LEGAL_ENTITIES"} <= names


def test_contracts_table_matches_the_mock(mock_server: MockServer, service: DataService) -> None:
    rows = udfs.ECORE_CONTRACTS()
    header, body = rows[0], rows[1:]
    assert header[:3] == ["id", "contractNumber", "name"]
    expected = mock_server.portfolio.contracts
    assert [r[0] for r in body] == [c["id"] for c in expected]
    col = {name: i for i, name in enumerate(header)}
    for row, contract in zip(body, expected, strict=True):
        assert row[col["deliveryStart"]] == local_naive(contract["deliveryStart"])
        assert row[col["contractedVolumeMWh"]] == pytest.approx(contract["contractedVolumeMWh"])
        assert isinstance(row[col["contractedVolumeMWh"]], float)
    assert mock_server.stats.data_requests == 1


def test_filters_positional_and_as_options_agree(
    mock_server: MockServer, service: DataService
) -> None:
    active = [c["id"] for c in mock_server.portfolio.contracts if c["status"] == "active"]
    positional = udfs.ECORE_CONTRACTS(None, "active")
    as_option = udfs.ECORE_CONTRACTS(option1="status=active")
    assert [r[0] for r in positional[1:]] == active
    assert as_option == positional
    assert mock_server.stats.data_requests == 1  # same normalised request, one cache entry


def test_columns_and_header_options(service: DataService) -> None:
    rows = udfs.ECORE_CONTRACTS(option1="columns=status,id; header=false")
    assert rows[0] == ["expired", "CTR-0001"]
    with_range = udfs.ECORE_CONTRACTS(option1=[["columns", "id"], ["header", False]])
    assert with_range[0] == ["CTR-0001"]


def test_volumes_on_the_spring_dst_day(mock_server: MockServer, service: DataService) -> None:
    day = dt.date(2026, 3, 29)  # 23 hours in Europe/Berlin
    rows = udfs.ECORE_VOLUMES("MTR-0002", "2026-03-29", "2026-03-30")
    header = rows[0]
    assert header[:4] == ["meterId", "start", "startLocal", "value"]
    starts, sums, _ = mock_server.portfolio.volume_arrays(
        "MTR-0002", epoch(day), epoch(day + dt.timedelta(days=1)), "hour", "actual"
    )
    assert len(rows) - 1 == len(starts) == 23
    for row, start, micro in zip(rows[1:], starts, sums, strict=True):
        utc = dt.datetime.fromtimestamp(int(start), dt.UTC)
        assert row[1] == utc.replace(tzinfo=None)
        assert row[2] == local_naive(utc.isoformat().replace("+00:00", "Z"))
        assert row[3] == pytest.approx(int(micro) / 1e6)
    assert rows[3][2] == dt.datetime(2026, 3, 29, 3, 0)  # 02:00 does not exist that day


def test_volumes_accept_excel_dates_serials_and_empty_cells(service: DataService) -> None:
    iso = udfs.ECORE_VOLUMES("MTR-0002", "2026-03-01", "2026-03-02")
    as_dates = udfs.ECORE_VOLUMES(
        "MTR-0002", dt.datetime(2026, 3, 1), excel_serial(dt.date(2026, 3, 2)), "", None
    )
    assert as_dates == iso
    assert len(iso) == 25


def test_volumes_for_a_range_of_meters_and_wide(
    mock_server: MockServer, service: DataService
) -> None:
    meters = [["MTR-0002"], ["MTR-0003"], [None]]
    rows = udfs.ECORE_VOLUMES(meters, "2026-03-01", "2026-03-02", "day")
    assert [r[0] for r in rows[1:]] == ["MTR-0002", "MTR-0003"]
    wide = udfs.ECORE_VOLUMES(meters, "2026-03-01", "2026-03-02", "day", "wide")
    assert wide[0][-2:] == ["MTR-0002", "MTR-0003"]
    assert wide[1][-2:] == [rows[1][3], rows[2][3]]


def test_volume_total_of_a_meter_is_the_exact_sum(
    mock_server: MockServer, service: DataService
) -> None:
    expected = mock_server.portfolio.volume_sum("MTR-0002", epoch(MARCH[0]), epoch(MARCH[1]))
    total = udfs.ECORE_VOLUME_TOTAL("MTR-0002", "2026-03-01", "2026-04-01")
    assert isinstance(total, float)
    assert total == pytest.approx(expected, rel=1e-9)
    forecast = udfs.ECORE_VOLUME_TOTAL("MTR-0002", *MARCH, "type=forecast")
    assert forecast == pytest.approx(
        mock_server.portfolio.volume_sum("MTR-0002", epoch(MARCH[0]), epoch(MARCH[1]), "forecast")
    )


def test_volume_total_of_a_contract_sums_its_meters(
    mock_server: MockServer, service: DataService
) -> None:
    pf = mock_server.portfolio
    contract = pf.by_id["contract"]["CTR-0002"]
    a, b = epoch(MARCH[0]), epoch(MARCH[1])
    expected = sum(pf.volume_sum(m, a, b) for m in contract["meterIds"])
    assert udfs.ECORE_VOLUME_TOTAL("CTR-0002", *MARCH) == pytest.approx(expected, rel=1e-9)
    explicit = udfs.ECORE_VOLUME_TOTAL("contract:CTR-0002", *MARCH)
    assert explicit == pytest.approx(expected, rel=1e-9)
    several = udfs.ECORE_VOLUME_TOTAL([["MTR-0001", "MTR-0004"]], *MARCH)
    assert several == pytest.approx(
        pf.volume_sum("MTR-0001", a, b) + pf.volume_sum("MTR-0004", a, b)
    )


@pytest.mark.parametrize(
    ("period", "granularity", "index"),
    [
        ("2026-10", "month", 9),
        (dt.datetime(2026, 10, 15), "month", 9),
        (excel_serial(dt.date(2026, 10, 31)), "month", 9),
        ("2026-Q4", "quarter", 3),
        ("Q2-26", "quarter", 1),
    ],
)
def test_hedge_ratio_and_open_position(
    mock_server: MockServer, service: DataService, period: object, granularity: str, index: int
) -> None:
    expected = mock_server.portfolio.positions("PF-0002", granularity)[index]
    assert udfs.ECORE_HEDGE_RATIO("PF-0002", period) == pytest.approx(expected["hedgeRatio"])
    assert udfs.ECORE_OPEN_POSITION("PF-0002", period) == pytest.approx(expected["openVolumeMWh"])


def test_hedge_ratio_of_a_year_weights_by_volume(
    mock_server: MockServer, service: DataService
) -> None:
    quarters = mock_server.portfolio.positions("PF-0002", "quarter")
    hedged = sum(q["hedgedVolumeMWh"] for q in quarters)
    forecast = sum(q["forecastVolumeMWh"] for q in quarters)
    assert udfs.ECORE_HEDGE_RATIO("PF-0002", 2026) == pytest.approx(hedged / forecast)
    assert udfs.ECORE_OPEN_POSITION("PF-0002", "Cal-26") == pytest.approx(
        sum(q["openVolumeMWh"] for q in quarters)
    )


@pytest.mark.parametrize(
    ("function", "dataset"),
    [
        ("ECORE_LEGAL_ENTITIES", "legal_entities"),
        ("ECORE_BUSINESS_UNITS", "business_units"),
        ("ECORE_METERS", "meters"),
        ("ECORE_PORTFOLIOS", "portfolios"),
        ("ECORE_CLICKS", "clicks"),
        ("ECORE_RELATIONSHIPS", "relationships"),
        ("ECORE_INVOICES", "invoices"),
    ],
)
def test_other_datasets_return_every_record(
    mock_server: MockServer, service: DataService, function: str, dataset: str
) -> None:
    rows = getattr(udfs, function)()
    expected = getattr(mock_server.portfolio, dataset)
    assert len(rows) == len(expected) + 1
    if "id" in rows[0]:
        assert [r[rows[0].index("id")] for r in rows[1:]] == [e["id"] for e in expected]


def test_invoice_lines_and_positions(mock_server: MockServer, service: DataService) -> None:
    invoices = mock_server.portfolio.invoices
    lines = udfs.ECORE_INVOICE_LINES("2026-01-01", "2026-02-01")
    january = [i for i in invoices if i["periodStart"].startswith("2025-12-31")]
    assert len(lines) - 1 == sum(len(i["lines"]) for i in january)
    assert lines[0][:2] == ["invoiceId", "component"]
    positions = udfs.ECORE_POSITIONS("PF-0002", "quarter")
    assert [r[-2] for r in positions[1:]] == [
        q["hedgeRatio"] for q in mock_server.portfolio.positions("PF-0002", "quarter")
    ]


def test_get_any_endpoint(mock_server: MockServer, service: DataService) -> None:
    one = udfs.ECORE_GET("/contracts/CTR-0002")
    assert len(one) == 2 and one[1][0] == "CTR-0002"
    assert udfs.ECORE_GET("contracts", "status=active") == udfs.ECORE_CONTRACTS(None, "active")
    quarters = udfs.ECORE_GET("/portfolios/PF-0002/positions?granularity=quarter")
    assert len(quarters) == 5
    assert _one_line_error(udfs.ECORE_GET("/no-such-thing")).startswith("#ECORE! ")


def test_no_rows_is_one_cell_of_text(service: DataService) -> None:
    assert udfs.ECORE_INVOICES("2030-01-01", "2030-02-01") == [["No invoices for these arguments."]]


# ---- bad arguments: one line each --------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: udfs.ECORE_VOLUMES("MTR-0002", "2026-03-02", "2026-03-01"), "before"),
        (lambda: udfs.ECORE_VOLUMES("MTR-0002", "2026-03-01", "2026-03-02", "weekly"), "weekly"),
        (lambda: udfs.ECORE_VOLUMES(None, "2026-03-01", "2026-03-02"), "meterId or contractId"),
        (lambda: udfs.ECORE_VOLUMES("MTR-0002", "tomorrow", "2026-03-02"), "tomorrow"),
        (
            lambda: udfs.ECORE_VOLUMES("MTR-0002", "2026-03-01", "2026-03-02", "hour", "tall"),
            "wide",
        ),
        (lambda: udfs.ECORE_CONTRACTS(option1="supplier"), "key=value"),
        (lambda: udfs.ECORE_CONTRACTS(option1="foo=1"), "foo"),
        (lambda: udfs.ECORE_CONTRACTS("power", option1="commodity=gas"), "twice"),
        (lambda: udfs.ECORE_CONTRACTS(option1="refresh=true"), "refresh"),
        (lambda: udfs.ECORE_CONTRACTS(option1="columns=nope"), "nope"),
        (lambda: udfs.ECORE_CONTRACTS(1, 2, 3, 4, 5, 6, 7, 8, 9), "takes these arguments"),
        (lambda: udfs.ECORE_HEDGE_RATIO("PF-0002", "sometime"), "sometime"),
        (lambda: udfs.ECORE_HEDGE_RATIO(None, "2026-10"), "portfolio"),
        (lambda: udfs.ECORE_HEDGE_RATIO("PF-0001", "2026-10"), "No position"),
        (lambda: udfs.ECORE_VOLUME_TOTAL(None, "2026-03-01", "2026-03-02"), "missing"),
        (lambda: udfs.ECORE_VOLUME_TOTAL("MTR-0002", *MARCH, "scale=2"), "scale"),
        (lambda: udfs.ECORE_GET(None), "path"),
        (lambda: udfs.ECORE_CONTRACTS(None, "#N/A"), "excel error #n/a"),
    ],
)
def test_bad_arguments_give_one_line(service: DataService, call: object, words: str) -> None:
    text = _one_line_error(call())  # type: ignore[operator]
    assert words.lower() in text.lower()


def test_unknown_id_is_asked_once_then_remembered(
    mock_server: MockServer, service: DataService
) -> None:
    first = udfs.ECORE_VOLUMES("MTR-9999", "2026-03-01", "2026-03-02")
    assert "MTR-9999" in _one_line_error(first)
    for _ in range(5):
        assert udfs.ECORE_VOLUMES("MTR-9999", "2026-03-01", "2026-03-02") == first
    assert mock_server.stats.data_requests == 1


def test_errors_go_to_the_log_file_without_secrets(
    mock_server: MockServer, service: DataService
) -> None:
    udfs.ECORE_VOLUMES("MTR-0002", "2026-03-02", "2026-03-01")
    log = Path(os.environ["ECORE_LOG_DIR"]) / "excel-udfs.log"
    text = log.read_text(encoding="utf-8")
    assert "ECORE_VOLUMES('MTR-0002', '2026-03-02', '2026-03-01')" in text
    assert "InvalidFilterError" in text
    assert mock_server.client_secret not in text and mock_server.primary_key not in text


def test_an_unexpected_exception_is_a_short_text_and_a_logged_traceback(
    mock_server: MockServer,
) -> None:
    class Broken(DataService):  # the data layer's two ways in (a frame, a face's answer)
        def fetch(self, *args: object, **kwargs: object) -> object:
            raise ZeroDivisionError("boom")

        def fetch_answer(self, *args: object, **kwargs: object) -> object:
            raise ZeroDivisionError("boom")

    set_service(Broken())
    text = _one_line_error(udfs.ECORE_CONTRACTS())
    assert text == "#ECORE! unexpected ZeroDivisionError; details in excel-udfs.log"
    log = (Path(os.environ["ECORE_LOG_DIR"]) / "excel-udfs.log").read_text(encoding="utf-8")
    assert "Traceback" in log and "ZeroDivisionError: boom" in log


# ---- offline and status ----------------------------------------------------------------------


def test_offline_toggle_answers_from_cache_only(
    mock_server: MockServer, service: DataService
) -> None:
    online = udfs.ECORE_VOLUMES("MTR-0002", "2026-03-01", "2026-03-02")
    before = mock_server.stats.data_requests
    try:
        assert udfs.set_offline(True) is True
        assert udfs.is_offline()
        assert udfs.ECORE_VOLUMES("MTR-0002", "2026-03-01", "2026-03-02") == online
        missing = _one_line_error(udfs.ECORE_VOLUMES("MTR-0003", "2026-03-01", "2026-03-02"))
        assert "Offline" in missing
        assert _is_error(udfs.ECORE_GET("/contracts/CTR-0002"))
        assert mock_server.stats.data_requests == before  # the API was never called
    finally:
        assert udfs.set_offline(None) is False
    assert not _is_error(udfs.ECORE_VOLUMES("MTR-0003", "2026-03-01", "2026-03-02"))


def test_offline_toggle_is_seen_by_another_process(
    mock_server: MockServer, service: DataService, tmp_path: Path
) -> None:
    import subprocess
    import sys

    code = "import ecore_xl.excel.udfs as u; u.set_offline(True)"
    subprocess.run([sys.executable, "-c", code], check=True, env=dict(os.environ), timeout=60)
    offline.forget()  # skip the one-second re-read pause
    try:
        assert udfs.is_offline()
        assert "Offline" in udfs.ECORE_CONTRACTS()
        assert mock_server.stats.data_requests == 0
    finally:
        udfs.set_offline(None)


def test_ecore_offline_setting(mock_server: MockServer) -> None:
    from ecore_xl.config import Settings

    env = {**mock_server.env(), "ECORE_OFFLINE": "1"}
    set_service(DataService(Settings.load(use_file=False, use_keyring=False, environ=env)))
    mock_server.reset_stats()
    assert udfs.is_offline()
    assert "Offline" in udfs.ECORE_CONTRACTS()
    status = dict(map(tuple, udfs.ECORE_STATUS()[1:]))  # type: ignore[arg-type]
    assert status["offline mode"] is True
    assert status["connection"].startswith("offline")
    assert mock_server.stats.data_requests == 0 and mock_server.stats.token_requests == 0


def test_status_reports_without_calling_the_api(
    mock_server: MockServer, service: DataService
) -> None:
    udfs.ECORE_CONTRACTS()
    udfs.ECORE_CONTRACTS()
    udfs.ECORE_VOLUMES("MTR-9999", "2026-03-01", "2026-03-02")
    mock_server.reset_stats()
    rows = udfs.ECORE_STATUS()
    assert rows[0] == ["item", "value"]
    status = dict(map(tuple, rows[1:]))  # type: ignore[arg-type]
    assert status["connection"] == "connected (token valid)"
    assert isinstance(status["token expires"], dt.datetime)
    assert status["token expires"].tzinfo is None
    assert status["token expires"] > dt.datetime.now()
    assert status["cache entries"] >= 2 and status["cache hits"] >= 1
    assert status["offline mode"] is False
    assert "MTR-9999" in status["last error"]
    assert mock_server.stats.data_requests == 0 and mock_server.stats.token_requests == 0


def test_status_when_not_configured(tmp_path: Path) -> None:
    from ecore_xl.config import Settings

    set_service(DataService(Settings.load(use_file=False, use_keyring=False, environ={})))
    status = dict(map(tuple, udfs.ECORE_STATUS()[1:]))  # type: ignore[arg-type]
    assert status["connection"] == "not configured: ECORE_TOKEN_URL is missing"
    text = _one_line_error(udfs.ECORE_CONTRACTS())
    assert "ECORE_" in text


def test_status_values_are_excel_values(service: DataService) -> None:
    for _, value in udfs.ECORE_STATUS():
        assert value is None or isinstance(value, str | float | bool | dt.datetime)
        if isinstance(value, float):
            assert math.isfinite(value)


# ---- the formula deadline (issue 12) ---------------------------------------------------------


def test_a_slow_api_gives_the_cell_an_answer_by_the_formula_deadline() -> None:
    """The API takes 3 s; ECORE_FORMULA_DEADLINE is 1 s: the cell answers in about a second
    with a one-line #ECORE!, the load goes on into the cache, and the next call gets the data."""
    import json
    import time
    from http.server import BaseHTTPRequestHandler

    from ecore_xl.config import Settings
    from ecore_xl.errors import DeadlineExceededError, FormulaDeadlineError
    from tests.listener_fixtures import TinyHTTP, token_then

    def slow(h: BaseHTTPRequestHandler) -> None:
        time.sleep(3.0)
        payload = json.dumps({"value": [{"id": "C-1", "name": "Strom 2027"}]}).encode()
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        h.wfile.write(payload)

    assert issubclass(FormulaDeadlineError, DeadlineExceededError)
    with TinyHTTP(token_then(slow)) as api:
        env = {
            "ECORE_BASE_URL": api.url + "/v1",
            "ECORE_TOKEN_URL": api.url + "/token",
            "ECORE_CLIENT_ID": "client",
            "ECORE_CLIENT_SECRET": "secret-0123456789",
            "ECORE_SCOPE": "https://tenant/api/.default",
            "ECORE_SUBSCRIPTION_KEY": "key-0123456789",
            "ECORE_FORMULA_DEADLINE": "1",
        }
        svc = DataService(Settings.load(use_file=False, use_keyring=False, environ=env))
        set_service(svc)
        started = time.monotonic()
        first = udfs.ECORE_CONTRACTS()
        took = time.monotonic() - started
        text = _one_line_error(first)
        assert "within 1 s (ECORE_FORMULA_DEADLINE)" in text and took < 2.5
        for _ in range(100):  # the load finishes in the background (bounded wait)
            if svc.cache.stats.loads:
                break
            time.sleep(0.1)
        second = udfs.ECORE_CONTRACTS()
    header, row = second[0], second[1]
    assert row[header.index("id")] == "C-1" and row[header.index("name")] == "Strom 2027"
    assert len(api.requests) == 2  # the token POST and one GET: the second call was cached


def test_a_range_of_ids_keeps_a_quoted_comma() -> None:
    """A range of cells: each cell's text is split at commas outside quotes, so ``"A,1"`` in a
    cell is one meter and ``M-1, M-2`` two."""
    from urllib.parse import parse_qs, urlsplit

    from ecore_xl.config import Settings
    from tests.listener_fixtures import TinyHTTP, api_env, empty_pages, token_then

    with TinyHTTP(token_then(empty_pages())) as api:
        env = api_env(api.url)
        set_service(DataService(Settings.load(use_file=False, use_keyring=False, environ=env)))
        answer = udfs.ECORE_VOLUMES([['"A,1"'], ["M-1, M-2"]], "2026-03-01", "2026-03-02")
    assert "No volumes" in str(answer[0][0])
    asked = [parse_qs(urlsplit(p).query)["meterId"][0] for m, p, _ in api.requests if m == "GET"]
    assert sorted(asked) == ["A,1", "M-1", "M-2"]
