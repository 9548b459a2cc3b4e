"""``ecore-xl serve`` over HTTP against the mock: catalogue, every dataset, functions, errors."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import pytest

from ecore_xl.catalogue import builtin_catalogue
from ecore_xl.data import set_service
from ecore_xl.mock import MockServer
from tests.conftest import service_for
from tests.data_fixtures import meter_ids
from tests.serve_fixtures import API, Client, from_serial, running_backend


@pytest.fixture
def api(srv: MockServer) -> Iterator[Client]:
    with running_backend(srv) as client:
        yield client


def _filters(srv: MockServer, dataset: str) -> dict[str, str]:
    if dataset == "volumes":
        return {"meterId": meter_ids(srv)[0], "from": "2026-03-01", "to": "2026-03-03"}
    if dataset == "positions":
        return {"portfolioId": srv.portfolio.portfolios[0]["id"]}
    return {}


# ---- catalogue ----------------------------------------------------------------------------


def test_the_catalogue_lists_every_dataset_with_its_filters_fields_and_function(
    api: Client,
) -> None:
    body = api.get(f"{API}/catalogue").json()
    names = [d["name"] for d in body["datasets"]]
    assert names == builtin_catalogue().names()
    volumes = next(d for d in body["datasets"] if d["name"] == "volumes")
    assert volumes["officeFunction"] == "VOLUMES" and volumes["wide"] is True
    assert [a["name"] for a in volumes["arguments"]] == [
        "meter", "from_date", "to_date", "granularity", "layout"
    ]  # fmt: skip
    meter = next(f for f in volumes["filters"] if f["name"] == "meterId")
    assert meter["choicesFrom"] == "meters" and meter["oneOf"] is True
    granularity = next(f for f in volumes["filters"] if f["name"] == "granularity")
    assert "hour" in granularity["allowed"]
    assert {f["name"] for f in volumes["fields"]} >= {"meterId", "start", "value", "unit"}


def test_a_filters_choices_come_from_the_api(api: Client, srv: MockServer) -> None:
    meters = api.get(f"{API}/choices/volumes/meterId").json()
    assert [v["value"] for v in meters["values"]] == meter_ids(srv)
    assert meters["values"][0]["label"] == srv.portfolio.meters[0]["name"]
    enum = api.get(f"{API}/choices/contracts/commodity").json()
    assert [v["value"] for v in enum["values"]] == ["power", "gas"]


# ---- fetch: every dataset --------------------------------------------------------------------


@pytest.mark.parametrize("dataset", builtin_catalogue().names())
def test_every_dataset_as_a_table_of_excel_values_and_as_records(
    api: Client, srv: MockServer, dataset: str
) -> None:
    svc = service_for(srv)
    frame = svc.fetch(dataset, **_filters(srv, dataset))
    table = api.get(f"{API}/fetch/{dataset}", params=_filters(srv, dataset)).json()
    assert table["dataset"] == dataset and table["rowCount"] == len(frame) > 0
    assert table["header"] == [str(c) for c in frame.columns]
    assert len(table["rows"]) == len(frame) and table["source"] == "api"
    assert table["fetchedAt"].endswith("Z") and table["sourceUrl"].startswith(srv.base_url)
    for j, column in enumerate(frame.columns):
        dtype = str(frame[column].dtype)
        if dtype.startswith("datetime64"):
            assert table["formats"][j] in ("yyyy-mm-dd", "yyyy-mm-dd hh:mm")
            first = frame[column].dropna().iloc[0]
            if first.tzinfo is not None:
                first = first.tz_convert("UTC").tz_localize(None)
            value = next(r[j] for r in table["rows"] if r[j] is not None)
            assert from_serial(value) == first.to_pydatetime()
    records = api.get(f"{API}/fetch/{dataset}", params={**_filters(srv, dataset),
                                                         "shape": "records"}).json()  # fmt: skip
    assert len(records["records"]) == len(frame)
    assert set(records["records"][0]) == set(table["header"])
    assert records["source"] == "cache", "the second shape of one question asks the API no more"


def test_volumes_in_the_wide_layout_have_a_column_per_meter(api: Client, srv: MockServer) -> None:
    ids = meter_ids(srv)[:2]
    params = {"meterId": ",".join(ids), "from": "2026-03-01", "to": "2026-03-02",
              "layout": "wide"}  # fmt: skip
    table = api.get(f"{API}/fetch/volumes", params=params).json()
    assert any(ids[0] in h for h in table["header"]) and any(ids[1] in h for h in table["header"])
    assert table["rowCount"] == 24


# ---- functions: the same answers as the xlwings ones -------------------------------------------


def test_a_dataset_function_answers_what_the_xlwings_udf_spills(
    api: Client, srv: MockServer
) -> None:
    from ecore_xl.excel import udfs

    meter = meter_ids(srv)[0]
    # Office.js hands a cell over as [[value]] and an Excel date as its serial number
    body = api.call("VOLUMES", [[meter]], [[46082.0]], [[46083.0]], None, None).json()
    set_service(service_for(srv))
    spilled = udfs.ECORE_VOLUMES(meter, dt.datetime(2026, 3, 1), dt.datetime(2026, 3, 2))
    assert body["kind"] == "table" and body["showHeader"] is True
    assert [body["header"], *body["rows"]][0] == spilled[0]
    assert len(body["rows"]) == len(spilled) - 1 == 24
    start = body["header"].index("startLocal")
    assert from_serial(body["rows"][0][start]) == spilled[1][start] == dt.datetime(2026, 3, 1)
    value = body["header"].index("value")
    assert [r[value] for r in body["rows"]] == [r[value] for r in spilled[1:]]


def test_a_kept_answer_is_given_at_once_and_never_outlives_its_data(srv: MockServer) -> None:
    with running_backend(srv, settings={"cache_ttl": 2.0}) as api:
        first = api.call("METERS").json()
        again = api.call("METERS").json()
        assert (first["source"], again["source"]) == ("api", "cache")
        assert again["rows"] == first["rows"] and srv.stats.data_requests == 1
        assert api.get(f"{API}/status").json()["backend"]["answered_at_once"] == 1
        time.sleep(2.2)  # the data's TTL is over: so is the kept answer
        assert api.call("METERS").json()["source"] == "api"
        assert srv.stats.data_requests == 2


def test_options_pick_columns_and_drop_the_header(api: Client) -> None:
    body = api.call("CONTRACTS", None, None, None, None, "columns=id,name; header=false").json()
    assert body["header"] == ["id", "name"] and body["showHeader"] is False


def test_the_scalar_functions_answer_what_the_xlwings_udfs_answer(
    api: Client, srv: MockServer
) -> None:
    from ecore_xl.excel import udfs

    set_service(service_for(srv))
    # 2026-09: an ordinary month (the mock over-hedges PF-0002 in 2026-10 on purpose)
    ratio = api.call("HEDGE_RATIO", "PF-0002", "2026-09").json()
    assert ratio["kind"] == "number" and 0 < ratio["value"] <= 1
    assert ratio["value"] == udfs.ECORE_HEDGE_RATIO("PF-0002", "2026-09")
    open_ = api.call("OPEN_POSITION", [["PF-0002"]], [["2026-09"]]).json()["value"]
    assert open_ == udfs.ECORE_OPEN_POSITION("PF-0002", "2026-09") > 0
    over = api.call("HEDGE_RATIO", "PF-0002", "2026-10").json()["value"]
    assert over == udfs.ECORE_HEDGE_RATIO("PF-0002", "2026-10") > 1  # answered, not capped
    meter = meter_ids(srv)[0]
    total = api.call("VOLUME_TOTAL", meter, "2026-03-01", "2026-03-02").json()["value"]
    assert total == pytest.approx(udfs.ECORE_VOLUME_TOTAL(meter, "2026-03-01", "2026-03-02"))
    assert total > 0


def test_get_answers_any_path_of_the_api(api: Client, srv: MockServer) -> None:
    contract = srv.portfolio.contracts[0]["id"]
    body = api.call("GET", f"/contracts/{contract}").json()
    assert body["kind"] == "table" and body["rows"][0][body["header"].index("id")] == contract
    listed = api.call("GET", "/contracts", [["status=active"]]).json()
    assert all(r[listed["header"].index("status")] == "active" for r in listed["rows"])


# ---- errors -------------------------------------------------------------------------------


def test_bad_arguments_are_value_errors_with_the_one_line_message(api: Client) -> None:
    r = api.call("CONTRACTS", "coal")
    assert r.status_code == 400
    error = r.json()["error"]
    assert error == {
        "code": "InvalidFilterError",
        "message": "Filter commodity cannot be 'coal': use one of power, gas.",
        "excel": "#VALUE!",
        "status": 400,
        "parameter": "commodity",
    }
    missing = api.call("HEDGE_RATIO", None, "2026-10").json()["error"]
    assert missing["excel"] == "#VALUE!" and "portfolio" in missing["message"]
    unknown = api.call("NO_SUCH_THING").json()["error"]
    assert unknown["code"] == "UsageError" and "NO_SUCH_THING" in unknown["message"]
    bad_dataset = api.get(f"{API}/fetch/nonsense")
    assert (
        bad_dataset.status_code == 400 and bad_dataset.json()["error"]["code"] == "CatalogueError"
    )


def test_no_rows_is_na_with_a_message(api: Client) -> None:
    r = api.call("CONTRACTS", None, None, "LE-NOPE")
    assert r.status_code == 404
    assert r.json()["error"] == {
        "code": "NoRowsError", "message": "No contracts for these arguments.", "excel": "#N/A",
        "status": 404,
    }  # fmt: skip


def test_an_unknown_id_is_na_and_asked_only_once(api: Client, srv: MockServer) -> None:
    first = api.call("VOLUMES", "MTR-9999", "2026-03-01", "2026-03-02")
    assert first.status_code == 404 and first.json()["error"]["excel"] == "#N/A"
    assert "MTR-9999" in first.json()["error"]["message"]
    asked = srv.stats.data_requests
    for _ in range(5):
        assert api.call("VOLUMES", "MTR-9999", "2026-03-01", "2026-03-02").json() == first.json()
    assert srv.stats.data_requests == asked == 1


def test_api_failures_are_na_and_carry_no_secret(api: Client, srv: MockServer) -> None:
    srv.faults.error_5xx_ratio = 1.0
    try:
        r = api.get(f"{API}/fetch/meters")
    finally:
        srv.faults.error_5xx_ratio = 0.0
    assert r.status_code == 502
    error = r.json()["error"]
    assert error["code"] == "ServerError" and error["excel"] == "#N/A"
    for secret in (srv.client_secret, srv.primary_key, srv.secondary_key):
        assert secret not in r.text


def test_offline_answers_from_the_cache_only(api: Client, srv: MockServer) -> None:
    r = api.call("METERS", offline=True)
    assert r.status_code == 404 and r.json()["error"]["code"] == "OfflineError"
    assert srv.stats.data_requests == 0
    assert api.call("METERS").status_code == 200
    again = api.call("METERS", offline=True).json()
    assert again["source"] == "cache" and srv.stats.data_requests == 1


# ---- status and doctor --------------------------------------------------------------------


def test_status_is_rows_and_counters_without_secrets(api: Client, srv: MockServer) -> None:
    api.call("METERS")
    body = api.get(f"{API}/status").json()
    rows = dict(map(tuple, body["rows"]))
    assert rows["connection"] == "connected (token valid)" and rows["API loads"] == 1
    assert rows["backend"] == api.base
    row = [r[0] for r in body["rows"]].index("token expires")
    expires = from_serial(body["rows"][row][1])
    assert dt.datetime.now() < expires < dt.datetime.now() + dt.timedelta(hours=3)
    assert body["cellFormats"][row][1] == "yyyy-mm-dd hh:mm"
    assert body["backend"]["calls"] >= 1
    for secret in (srv.client_secret, srv.primary_key):
        assert secret not in str(body)


def test_the_doctor_steps_come_as_data(api: Client) -> None:
    body = api.get(f"{API}/doctor").json()
    assert body["ok"] is True and [s["name"] for s in body["steps"]][-1] == "catalogue"
