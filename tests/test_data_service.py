"""DataService.fetch against the mock API on 127.0.0.1: the whole path, request counts included."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import orjson
import pandas as pd
import pytest

from ecore_xl.api import EcoreClient, Page
from ecore_xl.catalogue import Catalogue, builtin_catalogue
from ecore_xl.data import (
    DataService,
    TTLCache,
    fetch,
    get_service,
    read_snapshot,
    reset_service,
    set_service,
    write_snapshot,
)
from ecore_xl.data import snapshot as snapshot_module
from ecore_xl.data.frames import LOCAL_SUFFIX
from ecore_xl.errors import (
    InvalidFilterError,
    NotFoundError,
    OfflineError,
    UnexpectedResponseError,
)
from ecore_xl.mock import MockServer
from tests.conftest import service_for, settings_for
from tests.data_fixtures import meter_ids, month, requests_made

TZ = "Europe/Berlin"


def required_filters(srv: MockServer, dataset: str) -> dict[str, object]:
    if dataset == "volumes":
        return {"meterId": meter_ids(srv)[0], **month(2026, 3)}
    if dataset == "positions":
        return {"portfolioId": srv.portfolio.portfolios[0]["id"]}
    return {}


# ---- every dataset -------------------------------------------------------------------------

EXPECTED_DTYPE = {
    "number": "float64",
    "integer": "Int64",
    "date": "datetime64[us]",
    "timestamp": "datetime64[us, UTC]",
}


@pytest.mark.parametrize("dataset", builtin_catalogue().names())
def test_every_dataset_has_its_columns_and_types(
    srv: MockServer, svc: DataService, dataset: str
) -> None:
    ds = svc.dataset(dataset)
    df = svc.fetch(dataset, **required_filters(srv, dataset))
    assert len(df) > 0
    expected: list[str] = []
    for f in ds.fields:
        expected.append(f.name)
        if f.type == "timestamp":
            expected.append(f.name + LOCAL_SUFFIX)
    assert list(df.columns[: len(expected)]) == expected
    for f in ds.fields:
        dtype = str(df[f.name].dtype)
        if f.type in EXPECTED_DTYPE:
            assert dtype == EXPECTED_DTYPE[f.type], (f.name, dtype)
        else:
            assert pd.api.types.is_string_dtype(df[f.name]), (f.name, dtype)
        if f.type == "timestamp":
            assert str(df[f.name + LOCAL_SUFFIX].dtype) == "datetime64[us]"


def test_invoice_lines_are_the_exploded_invoices(svc: DataService) -> None:
    invoices = svc.fetch_records("invoices")
    lines = svc.fetch("invoice-lines")
    assert len(lines) == sum(len(i["lines"]) for i in invoices)
    assert set(lines["invoiceId"]) == {i["id"] for i in invoices}
    first = invoices[0]
    mine = lines[lines["invoiceId"] == first["id"]]
    assert mine["amount"].tolist() == [line["amount"] for line in first["lines"]]


def test_path_filter_fills_the_path(srv: MockServer, svc: DataService) -> None:
    pid = srv.portfolio.portfolios[1]["id"]
    df = svc.fetch("positions", portfolioId=pid, granularity="quarter")
    assert set(df["portfolioId"]) == {pid}
    assert srv.stats.requests_by_path[f"/portfolios/{pid}/positions"] == 1


# ---- time ----------------------------------------------------------------------------------

DST_DAYS = {
    dt.date(2025, 3, 30): (92, 23),
    dt.date(2025, 10, 26): (100, 25),
    dt.date(2026, 3, 29): (92, 23),
    dt.date(2026, 10, 25): (100, 25),
}


@pytest.mark.parametrize("day", sorted(DST_DAYS))
def test_dst_days_in_local_time(srv: MockServer, svc: DataService, day: dt.date) -> None:
    quarter_hours, hours = DST_DAYS[day]
    meter = meter_ids(srv)[0]
    span = {"from": day - dt.timedelta(days=1), "to": day + dt.timedelta(days=2)}
    for granularity, expected, normal in (("quarterhour", quarter_hours, 96), ("hour", hours, 24)):
        df = svc.fetch("volumes", meterId=meter, granularity=granularity, **span)
        per_day = df["startLocal"].dt.date.value_counts().sort_index()
        assert per_day.to_dict() == {
            day - dt.timedelta(days=1): normal,
            day: expected,
            day + dt.timedelta(days=1): normal,
        }
        assert df["start"].is_monotonic_increasing and df["start"].is_unique


def test_year_of_quarter_hours_equals_the_months(srv: MockServer, svc: DataService) -> None:
    meters = meter_ids(srv)[:2]
    year = svc.fetch("volumes", meterId=meters, granularity="quarterhour", **month(2025, 1) | {
        "to": "2026-01-01"})  # fmt: skip
    requests = srv.stats.data_requests
    assert requests >= 24  # 2 meters x 12 months, some with several pages
    pieces = [
        svc.fetch("volumes", meterId=meter, granularity="quarterhour", **month(2025, m))
        for meter in meters
        for m in range(1, 13)
    ]
    joined = pd.concat(pieces, ignore_index=True)
    pd.testing.assert_frame_equal(year, joined)
    assert len(year) == 2 * 365 * 96
    assert year.groupby("meterId").size().to_dict() == {m: 365 * 96 for m in meters}


def test_chunked_equals_one_big_request(srv: MockServer) -> None:
    ds = builtin_catalogue().get("volumes")
    unchunked = Catalogue([dataclasses.replace(ds, chunk=None)])
    meter = meter_ids(srv)[1]
    span = {"from": "2025-02-10T06:00:00+01:00", "to": "2025-05-03"}
    with service_for(srv) as chunked, DataService(settings_for(srv), catalogue=unchunked) as big:
        srv.reset_stats()
        a = chunked.fetch("volumes", meterId=meter, granularity="quarterhour", **span)
        assert srv.stats.requests_by_path["/volumes"] >= 4  # Feb, Mar, Apr, May 1-2
        b = big.fetch("volumes", meterId=meter, granularity="quarterhour", **span)
    pd.testing.assert_frame_equal(a, b)
    assert a["startLocal"].iloc[0] == pd.Timestamp("2025-02-10 06:00")
    assert a["startLocal"].iloc[-1] == pd.Timestamp("2025-05-02 23:45")


class ExtraField:
    """The real client, except that records of March 2025 gain a field ``revision`` that is a
    number, and those of April one that is text (page bodies too: the service keeps those and
    parses them again)."""

    VALUES: ClassVar[dict[str, object]] = {"2025-03": 2, "2025-04": "2b"}  # by UTC month

    def __init__(self, client: EcoreClient) -> None:
        self._client = client

    def iter_pages(
        self, path: str, params: dict[str, str] | None = None, **kw: Any
    ) -> Iterator[Page]:
        for page in self._client.iter_pages(path, params, **kw):
            records = [self._changed(r) for r in page.records]
            yield Page(records, page.url, page.index, orjson.dumps({"value": records}))

    def _changed(self, record: dict[str, Any]) -> dict[str, Any]:
        value = self.VALUES.get(record["start"][:7])
        return record if value is None else {**record, "revision": value}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_chunked_equals_one_big_request_when_months_differ_in_a_field(srv: MockServer) -> None:
    """The month parts disagree (a column only two have, a number in one and text in the other):
    the whole list decides, as one big request would."""
    ds = builtin_catalogue().get("volumes")
    unchunked = Catalogue([dataclasses.replace(ds, chunk=None)])
    meter = meter_ids(srv)[0]
    span = {"from": "2025-02-10", "to": "2025-05-10"}
    settings = settings_for(srv)
    with EcoreClient(settings) as client:
        extra = ExtraField(client)
        chunked = DataService(settings, client=extra)  # type: ignore[arg-type]
        big = DataService(settings, client=extra, catalogue=unchunked)  # type: ignore[arg-type]
        a = chunked.fetch("volumes", meterId=meter, granularity="hour", **span)
        b = big.fetch("volumes", meterId=meter, granularity="hour", **span)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    month = a["start"].dt.month
    assert a["revision"].dtype == "str" and a.columns[-1] == "revision"
    assert set(a.loc[month == 3, "revision"]) == {"2"} and set(a.loc[month == 4, "revision"]) == {
        "2b"
    }
    assert a.loc[month.isin([2, 5]), "revision"].isna().all()


def test_wide_layout_one_column_per_meter(srv: MockServer, svc: DataService) -> None:
    meters = meter_ids(srv)
    long = svc.fetch("volumes", meterId=meters, **month(2026, 10))
    wide = svc.fetch("volumes", meterId=meters, layout="wide", **month(2026, 10))
    assert list(wide.columns[-3:]) == meters
    assert len(wide) == 745  # October with the extra hour
    for meter in meters:
        assert wide[meter].sum() == pytest.approx(long.loc[long.meterId == meter, "value"].sum())


def test_wide_is_refused_for_other_datasets(svc: DataService) -> None:
    with pytest.raises(InvalidFilterError) as err:
        svc.fetch("contracts", layout="wide")
    assert err.value.parameter == "layout"


# ---- cache ---------------------------------------------------------------------------------


def test_twenty_threads_make_one_request(srv: MockServer, svc: DataService) -> None:
    meter = meter_ids(srv)[2]
    barrier = threading.Barrier(20)
    frames: list[pd.DataFrame] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        barrier.wait(10)
        try:
            df = svc.fetch("volumes", meterId=meter, **month(2026, 2))
        except BaseException as exc:
            with lock:
                errors.append(exc)
            return
        with lock:
            frames.append(df)

    srv.faults.latency_s = 0.3  # the first request is still running when the others ask
    try:
        threads = [threading.Thread(target=worker) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        srv.faults.latency_s = 0.0
    assert not errors
    assert len(frames) == 20
    assert srv.stats.data_requests == 1
    assert svc.cache.stats.loads == 1
    for df in frames[1:]:
        pd.testing.assert_frame_equal(df, frames[0])


def test_refresh_bypasses_the_cache(srv: MockServer, svc: DataService) -> None:
    svc.fetch("contracts")
    svc.fetch("contracts")
    assert srv.stats.data_requests == 1
    svc.fetch("contracts", refresh=True)
    assert srv.stats.data_requests == 2


def test_ttl_expiry_with_injected_clock(srv: MockServer) -> None:
    now = [0.0]
    cache = TTLCache(clock=lambda: now[0])
    with DataService(settings_for(srv, cache_ttl=60), cache=cache) as svc:
        srv.reset_stats()
        svc.fetch("meters")
        now[0] = 59.0
        svc.fetch("meters")
        assert srv.stats.data_requests == 1
        now[0] = 60.0
        svc.fetch("meters")
        assert srv.stats.data_requests == 2


def test_equal_filters_spelled_differently_share_the_cache(
    srv: MockServer, svc: DataService
) -> None:
    meter = meter_ids(srv)[0]
    iso = svc.fetch("volumes", meterId=meter, **{"from": "2026-03-01", "to": "2026-04-01"})
    serial = svc.fetch("volumes", meter_id=meter, from_=46082, to=46113.0, granularity="HOUR")
    native = svc.fetch(
        "volumes", METERID=meter, **{"from": dt.date(2026, 3, 1), "to": dt.datetime(2026, 4, 1)}
    )
    assert srv.stats.data_requests == 1
    pd.testing.assert_frame_equal(iso, serial)
    pd.testing.assert_frame_equal(iso, native)
    assert iso["startLocal"].iloc[0] == pd.Timestamp("2026-03-01 00:00")


def test_returned_frames_do_not_alter_the_cache(srv: MockServer, svc: DataService) -> None:
    df = svc.fetch("meters")
    df["name"] = "changed"
    df.loc[0, "annualConsumptionMWh"] = -1.0
    again = svc.fetch("meters")
    assert "changed" not in set(again["name"])
    assert (again["annualConsumptionMWh"] > 0).all()


def test_api_errors_are_raised_and_not_cached(srv: MockServer, svc: DataService) -> None:
    for _ in range(2):
        with pytest.raises(NotFoundError):
            svc.fetch("volumes", meterId=["MTR-0001", "NO-SUCH-METER"], **month(2026, 1))
    assert svc.cache.stats.errors == 2


# ---- validation before any request ---------------------------------------------------------


@pytest.mark.parametrize(
    ("dataset", "filters", "parameter"),
    [
        ("volumes", {"meterId": "MTR-0001", "from": "2026-01-01", "to": "2026-02-01", "x": 1},
         "x"),
        ("volumes", {"meterId": "MTR-0001", "to": "2026-02-01"}, "from"),
        ("volumes", {"from": "2026-01-01", "to": "2026-02-01"}, "meterId"),
        ("volumes", {"meterId": "M", "contractId": "C", "from": "2026-01-01",
                     "to": "2026-02-01"}, "contractId"),
        ("volumes", {"meterId": "M", "from": "soon", "to": "2026-02-01"}, "from"),
        ("volumes", {"meterId": "M", "from": "2026-02-01", "to": "2026-01-01"}, "from"),
        ("volumes", {"meterId": "M", "from": "2026-01-01", "to": "2026-02-01",
                     "granularity": "minute"}, "granularity"),
        ("volumes", {"meterId": "M", "from": "2026-01-01", "to": "2026-02-01",
                     "layout": "pivot"}, "layout"),
        ("positions", {}, "portfolioId"),
        ("contracts", {"status": "gone"}, "status"),
        ("invoice-lines", {"from": "2026-13-01"}, "from"),
    ],
)  # fmt: skip
def test_invalid_filters_never_reach_the_api(
    srv: MockServer, svc: DataService, dataset: str, filters: dict[str, object], parameter: str
) -> None:
    with pytest.raises(InvalidFilterError) as err:
        svc.fetch(dataset, **filters)
    assert err.value.parameter == parameter
    assert requests_made(srv) == 0


def test_a_fetch_planning_more_than_max_requests_sends_nothing(srv: MockServer) -> None:
    meters = meter_ids(srv)[:2]
    span = {"from": "2026-01-01", "to": "2026-04-01"}  # 2 meters x 3 months
    with service_for(srv, max_requests=5) as small:
        srv.reset_stats()
        with pytest.raises(InvalidFilterError, match="would take 6 requests") as info:
            small.fetch("volumes", meterId=meters, layout="wide", **span)
        assert info.value.parameter == "from"
        assert requests_made(srv) == 0
    with service_for(srv, max_requests=6) as enough:
        assert len(enough.fetch("volumes", meterId=meters, **span)) == 2 * (90 * 24 - 1)  # DST


def test_unknown_dataset_lists_the_known_ones(srv: MockServer, svc: DataService) -> None:
    from ecore_xl.errors import CatalogueError

    with pytest.raises(CatalogueError, match=r"known datasets are .*volumes"):
        svc.fetch("volume-ticks")
    assert requests_made(srv) == 0


# ---- unknown fields ------------------------------------------------------------------------


def test_unknown_server_field_becomes_a_column(srv: MockServer, svc: DataService) -> None:
    srv.extra_fields["/contracts"] = {"newField": 1, "newObject": {"a": "x"}}
    try:
        df = svc.fetch("contracts")
    finally:
        srv.extra_fields.clear()
    known = svc.dataset("contracts").field_names()
    assert list(df.columns[: len(known)]) == known
    assert df["newField"].tolist() == [1] * len(df)
    assert df["newObject.a"].tolist() == ["x"] * len(df)


def test_a_supplier_with_a_comma_is_one_request_ids_are_one_each(
    srv: MockServer, svc: DataService
) -> None:
    invoices = srv.portfolio.invoices
    supplier = invoices[0]["supplier"]
    assert "," not in supplier
    df = svc.fetch("invoices", supplier=f"{supplier}, Energiehandel")
    assert srv.stats.data_requests == 1 and df.empty  # not the invoices of supplier
    meters = meter_ids(srv)[:2]
    srv.reset_stats()
    df = svc.fetch("invoices", meterId=", ".join(meters))
    assert srv.stats.data_requests >= 2
    assert sorted(df["id"]) == sorted(i["id"] for i in invoices if i["meterId"] in meters)


# ---- offline and snapshots -----------------------------------------------------------------


def test_offline_with_nothing_cached(srv: MockServer, tmp_path: Path) -> None:
    with service_for(srv, offline=True) as svc:
        srv.reset_stats()
        with pytest.raises(OfflineError) as err:
            svc.fetch("volumes", meterId="MTR-0001", **month(2026, 1), snapshot_dir=tmp_path)
        text = str(err.value)
        assert "volumes" in text and "meterId=MTR-0001" in text
        assert "ecore-xl fetch volumes --from 2026-01-01 --filter granularity=hour" in text
        assert f"--snapshot {tmp_path}" in text
        assert svc._client is None  # no client was even built
    assert requests_made(srv) == 0


def test_offline_answers_from_the_cache(srv: MockServer, svc: DataService) -> None:
    online = svc.fetch("portfolios")
    srv.reset_stats()
    offline = svc.fetch("portfolios", offline=True, refresh=True)
    pd.testing.assert_frame_equal(online, offline)
    assert requests_made(srv) == 0


def test_snapshot_then_offline_gives_an_equal_frame(srv: MockServer, tmp_path: Path) -> None:
    meters = meter_ids(srv)[:2]
    kw = {"meterId": meters, "granularity": "quarterhour", **month(2026, 10)}
    with service_for(srv) as online:
        live = online.fetch("volumes", snapshot_dir=tmp_path, **kw)
        live_wide = online.fetch("volumes", layout="wide", snapshot_dir=tmp_path, **kw)
        invoices = online.fetch("invoices", snapshot_dir=tmp_path)
    assert len(list(tmp_path.iterdir())) == 2
    srv.reset_stats()
    with service_for(srv, offline=True) as offline:
        pd.testing.assert_frame_equal(offline.fetch("volumes", snapshot_dir=tmp_path, **kw), live)
        pd.testing.assert_frame_equal(
            offline.fetch("volumes", layout="wide", snapshot_dir=tmp_path, **kw), live_wide
        )
        pd.testing.assert_frame_equal(offline.fetch("invoices", snapshot_dir=tmp_path), invoices)
        lines = offline.fetch("invoice-lines", snapshot_dir=tmp_path)  # from the invoices'
        assert len(lines) == sum(invoices["lines"].str.count(";") + 1)
        with pytest.raises(OfflineError):
            offline.fetch("volumes", snapshot_dir=tmp_path, **{**kw, "granularity": "hour"})
    assert requests_made(srv) == 0


def test_frames_say_when_and_where_they_were_fetched(srv: MockServer, tmp_path: Path) -> None:
    with service_for(srv) as online:
        before = dt.datetime.now(dt.UTC)
        live = online.fetch("invoices", snapshot_dir=tmp_path, status="paid")
        after = dt.datetime.now(dt.UTC)
        meta = live.attrs["ecore"]
        when = dt.datetime.fromisoformat(meta["fetched_at"].replace("Z", "+00:00"))
        assert meta["source"] == "api" and before <= when <= after
        assert meta["fetched_at"].endswith("Z")  # JSON-safe: to_parquet() keeps the attrs
        assert meta["source_url"] == f"{srv.base_url}/invoices?status=paid"
        again = online.fetch("invoices", status="paid").attrs["ecore"]
        assert again == {**meta, "source": "cache"}  # the original fetch time, not now
        lines = online.fetch("invoice-lines", status="paid").attrs["ecore"]  # from the cache
        assert lines == {**meta, "source": "cache", "units": {"amount": "EUR"}}
        assert meta["units"]["consumptionMWh"] == "MWh" and meta["requests"] == 1
    old = dt.datetime(2026, 3, 5, 6, 0, tzinfo=dt.UTC)  # a snapshot made long ago
    ((file, (records, header)),) = [
        (p, read_snapshot(tmp_path, "invoices", {"status": "paid"})) for p in tmp_path.iterdir()
    ]  # fmt: skip
    write_snapshot(tmp_path, "invoices", {"status": "paid"}, records, header["source_url"],
                   fetched_at=old)  # fmt: skip
    with service_for(srv, offline=True) as offline:
        for dataset in ("invoices", "invoice-lines"):
            meta = offline.fetch(dataset, snapshot_dir=tmp_path, status="paid").attrs["ecore"]
            where = {k: meta[k] for k in ("fetched_at", "source_url", "source")}
            assert where == {
                "fetched_at": "2026-03-05T06:00:00Z",
                "source_url": str(file),
                "source": "snapshot",
            }


def test_default_snapshot_dir_is_under_cache_dir(srv: MockServer, tmp_path: Path) -> None:
    with service_for(srv, cache_dir=str(tmp_path)) as online:
        online.fetch("meters", snapshot_dir=tmp_path / "snapshots")
    srv.reset_stats()
    with service_for(srv, cache_dir=str(tmp_path), offline=True) as offline:
        assert len(offline.fetch("meters")) == len(srv.portfolio.meters)
    assert requests_made(srv) == 0


# ---- progress and the module-level door ----------------------------------------------------


def test_progress_reports_requests(srv: MockServer, svc: DataService) -> None:
    calls: list[tuple[int, int]] = []
    svc.fetch(
        "volumes", meterId=meter_ids(srv)[:2], progress=lambda d, t: calls.append((d, t)),
        **{"from": "2026-01-01", "to": "2026-04-01"},
    )  # fmt: skip
    assert calls[0] == (0, 6)
    assert calls[-1] == (6, 6)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_module_level_fetch_uses_the_process_service(srv: MockServer) -> None:
    service = service_for(srv)
    set_service(service)
    try:
        assert get_service() is service
        df = fetch("legal-entities")
        assert len(df) == len(srv.portfolio.legal_entities)
    finally:
        reset_service()
    assert get_service() is not service


def test_status_has_no_secrets(srv: MockServer, svc: DataService) -> None:
    svc.fetch("legal-entities")
    status = svc.status()
    text = repr(status)
    assert status["cache"]["loads"] == 1
    assert status["client"]["stats"]["requests"] == 1
    for secret in (srv.client_secret, srv.primary_key, srv.secondary_key):
        assert secret not in text


def test_invoice_lines_refresh_reloads_the_invoices(srv: MockServer, svc: DataService) -> None:
    svc.fetch("invoice-lines", status="paid")
    svc.fetch("invoices", status="paid")  # the parent is cached: no new request
    assert srv.stats.requests_by_path["/invoices"] == 1
    svc.fetch("invoice-lines", status="paid", refresh=True)
    assert srv.stats.requests_by_path["/invoices"] == 2


def test_coarse_granularity_is_one_request(srv: MockServer, svc: DataService) -> None:
    df = svc.fetch(
        "volumes", meterId=meter_ids(srv)[0], granularity="day",
        **{"from": "2025-01-01", "to": "2026-01-01"},
    )  # fmt: skip
    assert len(df) == 365
    assert srv.stats.data_requests == 1


def test_a_snapshot_read_in_parts_gives_the_frame_of_the_whole(
    srv: MockServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kw = {"meterId": meter_ids(srv)[:3], "granularity": "quarterhour", **month(2026, 3)}
    with service_for(srv) as online:
        live = online.fetch("volumes", snapshot_dir=tmp_path, **kw)
        records = online.fetch_records("volumes", **kw)
        norm = online.normalise("volumes", **kw)[1]
    monkeypatch.setattr(snapshot_module, "PART_BYTES", 2_000)  # ~20 records a part
    with service_for(srv, offline=True) as offline:
        pd.testing.assert_frame_equal(offline.fetch("volumes", snapshot_dir=tmp_path, **kw), live)
        assert offline.fetch_records("volumes", snapshot_dir=tmp_path, **kw) == records
    records[-1]["value"] = "n/a"  # only the last part cannot be typed: the whole list says so
    write_snapshot(tmp_path, "volumes", norm, records, None)
    with service_for(srv, offline=True) as offline:
        with pytest.raises(UnexpectedResponseError, match="value"):
            offline.fetch("volumes", snapshot_dir=tmp_path, **kw)
        assert offline.fetch_records("volumes", snapshot_dir=tmp_path, **kw) == records
