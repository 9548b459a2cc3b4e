"""Mock eCore API: endpoints, filters, paging, DST-correct volumes and data consistency."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import requests

from ecore_xl.mock import MockServer, Portfolio
from tests.mock_fixtures import AS_OF, auth_headers, get_all, next_link

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(scope="module")
def srv() -> Iterator[MockServer]:
    with MockServer(meters=6, years=(2026,), as_of=AS_OF, page_size=40) as server:
        yield server


@pytest.fixture(scope="module")
def session(srv: MockServer) -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.headers.update(auth_headers(srv))
        yield s


def api(srv: MockServer, session: requests.Session, path: str, **params: object) -> object:
    r = session.get(srv.base_url + path, params=params, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def volumes(
    srv: MockServer, session: requests.Session, meter: str, day_from: str, day_to: str, gran: str
) -> list[dict[str, object]]:
    params = {"meterId": meter, "from": day_from, "to": day_to, "granularity": gran}
    return get_all(srv, session, {}, "/volumes", params)[0]


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def local_hours(start: dt.datetime, end: dt.datetime, peak: bool) -> int:
    """Independent hour count: step through UTC hours, look at local wall time."""
    n, t = 0, start
    while t < end:
        loc = t.astimezone(BERLIN)
        if not peak or (loc.weekday() < 5 and 8 <= loc.hour < 20):
            n += 1
        t += dt.timedelta(hours=1)
    return n


# ---------------------------------------------------------------- structure and filters
def test_structure_endpoints(srv: MockServer, session: requests.Session) -> None:
    les = api(srv, session, "/legal-entities")["value"]  # type: ignore[index]
    assert 2 <= len(les) <= 3
    assert {le["country"] for le in les} <= {"DE", "AT"}
    assert all(le["vatId"][:2] in ("DE", "AT") for le in les)
    le = les[0]["id"]
    bus = api(srv, session, "/business-units", legalEntityId=le)["value"]  # type: ignore[index]
    assert bus and all(b["legalEntityId"] == le and b["costCenter"] for b in bus)
    meters = api(srv, session, "/meters", commodity="gas")["value"]  # type: ignore[index]
    assert meters and all(m["commodity"] == "gas" for m in meters)
    assert set(meters[0]["address"]) == {"street", "postalCode", "city", "country"}


def test_relationships_link_the_hierarchy(srv: MockServer, session: requests.Session) -> None:
    pf = srv.portfolio
    meter = pf.meters[0]
    edges = api(srv, session, "/relationships", entityType="meter", entityId=meter["id"])["value"]  # type: ignore[index]
    parents = {(e["parentType"], e["parentId"]) for e in edges}  # type: ignore[union-attr]
    assert ("businessUnit", meter["businessUnitId"]) in parents
    assert any(t == "contract" for t, _ in parents)
    pf_edges = api(srv, session, "/relationships", entityType="portfolio")["value"]  # type: ignore[index]
    assert pf_edges and all(e["parentType"] == "portfolio" for e in pf_edges)  # type: ignore[index]


def test_contract_filters_and_single(srv: MockServer, session: requests.Session) -> None:
    every = api(srv, session, "/contracts")["value"]  # type: ignore[index]
    assert every == srv.portfolio.contracts
    assert {c["pricingModel"] for c in every} >= {"tranche"}
    power = api(srv, session, "/contracts", commodity="power", status="active")["value"]  # type: ignore[index]
    assert power and all(c["commodity"] == "power" and c["status"] == "active" for c in power)
    assert api(srv, session, "/contracts", activeOn="2027-01-01")["value"] == []  # type: ignore[index]
    assert len(api(srv, session, "/contracts", activeOn="2026-06-01")["value"]) == len(every)  # type: ignore[index,arg-type]
    one = api(srv, session, f"/contracts/{every[0]['id']}")
    assert one == every[0]


def test_unknown_query_parameters_are_ignored(srv: MockServer, session: requests.Session) -> None:
    assert api(srv, session, "/meters", flavour="vanilla") == api(srv, session, "/meters")


@pytest.mark.parametrize(
    ("path", "params", "target"),
    [
        ("/meters", {"commodity": "water"}, "commodity"),
        ("/contracts", {"status": "sleeping"}, "status"),
        ("/contracts", {"activeOn": "2026-13-01"}, "activeOn"),
        ("/volumes", {"meterId": "MTR-0001", "from": "2026-01-01"}, "to"),
        ("/volumes", {"from": "2026-01-01", "to": "2026-01-02"}, "meterId"),
        ("/volumes", {"meterId": "MTR-0001", "from": "2026-01-02", "to": "2026-01-01"}, "from"),
        (
            "/volumes",
            {"meterId": "MTR-0001", "from": "2026-01-01T00:00:00", "to": "2026-01-02"},
            "from",
        ),
        ("/volumes", {"meterId": "MTR-0001", "from": "yesterday", "to": "2026-01-02"}, "from"),
        (
            "/volumes",
            {
                "meterId": "MTR-0001",
                "from": "2026-01-01",
                "to": "2026-01-02",
                "granularity": "minute",
            },
            "granularity",
        ),
        (
            "/volumes",
            {"meterId": "MTR-0001", "from": "2026-01-01", "to": "2026-01-02", "type": "budget"},
            "type",
        ),
        ("/contracts", {"top": "0"}, "top"),
        ("/contracts", {"top": "1001"}, "top"),
        ("/contracts", {"top": "ten"}, "top"),
        ("/contracts", {"skipToken": "!!"}, "skipToken"),
        ("/portfolios/PF-0001/positions", {"granularity": "week"}, "granularity"),
        ("/invoices", {"status": "lost"}, "status"),
        ("/relationships", {"entityType": "planet"}, "entityType"),
    ],
)
def test_bad_parameters_answer_400_with_target(
    srv: MockServer, session: requests.Session, path: str, params: dict[str, str], target: str
) -> None:
    r = session.get(srv.base_url + path, params=params, timeout=5)
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == "InvalidParameter"
    assert err["target"] == target
    assert err["message"]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/contracts/CTR-9999", {}),
        ("/invoices/INV-999999", {}),
        ("/portfolios/PF-9999/positions", {}),
        ("/volumes", {"meterId": "MTR-9999", "from": "2026-01-01", "to": "2026-01-02"}),
    ],
)
def test_unknown_ids_answer_404_not_found(
    srv: MockServer, session: requests.Session, path: str, params: dict[str, str]
) -> None:
    r = session.get(srv.base_url + path, params=params, timeout=5)
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "NotFound"


# ---------------------------------------------------------------- paging
@pytest.mark.parametrize("style", ["nextLink", "odata", "link"])
def test_paging_returns_every_record_once(style: str) -> None:
    with MockServer(meters=2, years=(2026,), as_of=AS_OF, paging_style=style, page_size=30) as s:
        params = {
            "meterId": "MTR-0001",
            "from": "2026-03-29",
            "to": "2026-03-31",
            "granularity": "quarterhour",
            "top": "25",
            "flavour": "kept",
        }
        with requests.Session() as session:
            token_headers = auth_headers(s)
            first = session.get(
                s.base_url + "/volumes",
                params={**params, "subscription-key": s.primary_key},
                headers={"Authorization": token_headers["Authorization"]},
                timeout=5,
            )
            link = next_link(first)
            assert link is not None and link.startswith(s.base_url + "/volumes?")
            assert "subscription-key" not in link
            assert "flavour=kept" in link and "granularity=quarterhour" in link
            body = first.json()
            assert ("nextLink" in body) == (style == "nextLink")
            assert ("@odata.nextLink" in body) == (style == "odata")
            records, pages = get_all(s, session, token_headers, "/volumes", params)
    assert len(records) == 92 + 96
    assert pages == 8  # 188 records, 25 per page
    assert len({r["start"] for r in records}) == len(records)
    assert [r["start"] for r in records] == sorted(r["start"] for r in records)


def test_page_size_caps_top(srv: MockServer, session: requests.Session) -> None:
    params = {
        "meterId": "MTR-0001",
        "from": "2026-06-01",
        "to": "2026-06-02",
        "granularity": "quarterhour",
    }
    r = session.get(srv.base_url + "/volumes", params={**params, "top": 1000}, timeout=5)
    assert len(r.json()["value"]) == 40  # the server's page size
    records, pages = get_all(srv, session, {}, "/volumes", params)
    assert (len(records), pages) == (96, 3)
    assert "nextLink" not in session.get(srv.base_url + "/legal-entities", timeout=5).json()


# ---------------------------------------------------------------- volumes and DST
@pytest.mark.parametrize(
    ("day", "qh", "hours"),
    [("2026-03-29", 92, 23), ("2026-10-25", 100, 25), ("2026-06-01", 96, 24)],
)
def test_dst_day_interval_counts(
    srv: MockServer, session: requests.Session, day: str, qh: int, hours: int
) -> None:
    nxt = (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()
    q = volumes(srv, session, "MTR-0002", day, nxt, "quarterhour")
    h = volumes(srv, session, "MTR-0002", day, nxt, "hour")
    d = volumes(srv, session, "MTR-0002", day, nxt, "day")
    assert (len(q), len(h), len(d)) == (qh, hours, 1)
    start = dt.datetime.fromisoformat(day).replace(tzinfo=BERLIN).astimezone(dt.UTC)
    assert utc(q[0]["start"]) == start  # type: ignore[arg-type]
    assert all(r["start"].endswith("Z") for r in q)  # type: ignore[union-attr]
    exact = sum(Decimal(str(r["value"])) for r in q)
    assert Decimal(str(d[0]["value"])) == exact
    assert sum(Decimal(str(r["value"])) for r in h) == exact


@pytest.mark.parametrize("commodity", ["power", "gas"])
def test_month_is_exact_sum_of_days(
    srv: MockServer, session: requests.Session, commodity: str
) -> None:
    meter = next(m["id"] for m in srv.portfolio.meters if m["commodity"] == commodity)
    days = volumes(srv, session, meter, "2026-10-01", "2026-11-01", "day")
    month = volumes(srv, session, meter, "2026-10-01", "2026-11-01", "month")
    assert len(days) == 31 and len(month) == 1
    assert Decimal(str(month[0]["value"])) == sum(Decimal(str(r["value"])) for r in days)
    assert all(len(str(r["value"]).split(".")[-1]) <= 6 for r in days)
    assert {r["quality"] for r in days} <= {"measured", "estimated"}


def test_gas_is_spread_evenly_over_the_day(srv: MockServer, session: requests.Session) -> None:
    meter = next(m["id"] for m in srv.portfolio.meters if m["commodity"] == "gas")
    q = volumes(srv, session, meter, "2026-10-25", "2026-10-26", "quarterhour")
    assert len(q) == 100 and len({r["value"] for r in q}) == 1


def test_actuals_stop_at_as_of_forecast_covers_the_year(
    srv: MockServer, session: requests.Session
) -> None:
    actual = volumes(srv, session, "MTR-0002", "2026-11-01", "2027-01-01", "day")
    assert len(actual) == (AS_OF - dt.date(2026, 11, 1)).days
    params = {
        "meterId": "MTR-0002",
        "from": "2026-01-01",
        "to": "2027-01-01",
        "granularity": "month",
        "type": "forecast",
    }
    forecast = get_all(srv, session, {}, "/volumes", params)[0]
    assert len(forecast) == 12 and all(r["type"] == "forecast" for r in forecast)
    beyond = volumes(srv, session, "MTR-0002", "2027-01-01", "2027-02-01", "day")
    assert beyond == []


def test_date_time_with_offset_equals_local_date(
    srv: MockServer, session: requests.Session
) -> None:
    by_date = volumes(srv, session, "MTR-0001", "2026-03-01", "2026-03-02", "hour")
    params = {
        "meterId": "MTR-0001",
        "from": "2026-02-28T23:00:00Z",
        "to": "2026-03-02T00:00:00+01:00",
    }
    by_time = get_all(srv, session, {}, "/volumes", params)[0]
    assert by_time == by_date


def test_contract_volumes_cover_its_meters(srv: MockServer, session: requests.Session) -> None:
    contract = srv.portfolio.contracts[0]
    params = {
        "contractId": contract["id"],
        "from": "2026-05-01",
        "to": "2026-05-02",
        "granularity": "day",
    }
    recs = get_all(srv, session, {}, "/volumes", params)[0]
    assert [r["meterId"] for r in recs] == contract["meterIds"]


# ---------------------------------------------------------------- clicks, positions
def test_click_volume_is_mw_times_hours(srv: MockServer, session: requests.Session) -> None:
    clicks = get_all(srv, session, {}, "/clicks")[0]
    assert clicks == srv.portfolio.clicks
    peak = next((c for c in clicks if c["loadProfile"] == "peak"), None)
    month = next(c for c in clicks if c["productType"] == "month")
    for click in [c for c in (peak, month) if c is not None]:
        hours = local_hours(
            utc(click["deliveryStart"]), utc(click["deliveryEnd"]), click["loadProfile"] == "peak"
        )
        assert click["volumeMWh"] == pytest.approx(click["volumeMW"] * hours, abs=1e-6)
        assert utc(click["executedAt"]) < utc(click["deliveryStart"])
    assert all(c["product"].split()[0][-2:] == "26" for c in clicks)


def test_positions_hedged_equals_clicks(srv: MockServer, session: requests.Session) -> None:
    pf = next(p for p in srv.portfolio.portfolios if p["commodity"] == "power")
    clicks = get_all(srv, session, {}, "/clicks", {"portfolioId": pf["id"]})[0]
    assert clicks
    pos = get_all(srv, session, {}, f"/portfolios/{pf['id']}/positions")[0]
    assert len(pos) == 12
    for p in pos[:3] + pos[-2:]:
        start = utc(p["periodStart"])
        loc = start.astimezone(BERLIN)
        nxt = dt.datetime(loc.year + (loc.month == 12), loc.month % 12 + 1, 1, tzinfo=BERLIN)
        end = nxt.astimezone(dt.UTC)
        hedged = 0.0
        for c in clicks:
            lo, hi = max(start, utc(c["deliveryStart"])), min(end, utc(c["deliveryEnd"]))
            if lo < hi:
                hedged += c["volumeMW"] * local_hours(lo, hi, c["loadProfile"] == "peak")
        assert p["hedgedVolumeMWh"] == pytest.approx(hedged, abs=1e-6)
        assert p["openVolumeMWh"] == pytest.approx(p["forecastVolumeMWh"] - hedged, abs=1e-6)
        assert p["hedgeRatio"] == pytest.approx(hedged / p["forecastVolumeMWh"], abs=1e-6)
    quarters = get_all(
        srv, session, {}, f"/portfolios/{pf['id']}/positions", {"granularity": "quarter"}
    )[0]
    assert len(quarters) == 4
    assert quarters[0]["hedgedVolumeMWh"] == pytest.approx(
        sum(p["hedgedVolumeMWh"] for p in pos[:3])
    )


def test_position_forecast_is_sum_of_meter_forecasts(
    srv: MockServer, session: requests.Session
) -> None:
    pf = srv.portfolio.portfolios[0]
    meters = {
        m for c in srv.portfolio.contracts if c["portfolioId"] == pf["id"] for m in c["meterIds"]
    }
    total = Decimal(0)
    for m in meters:
        params = {
            "meterId": m,
            "from": "2026-02-01",
            "to": "2026-03-01",
            "granularity": "month",
            "type": "forecast",
        }
        total += sum(
            Decimal(str(r["value"])) for r in get_all(srv, session, {}, "/volumes", params)[0]
        )
    pos = api(
        srv,
        session,
        f"/portfolios/{pf['id']}/positions",
        **{"from": "2026-02-01", "to": "2026-03-01"},
    )
    assert len(pos["value"]) == 1  # type: ignore[index,arg-type]
    assert Decimal(str(pos["value"][0]["forecastVolumeMWh"])) == total  # type: ignore[index]


# ---------------------------------------------------------------- invoices
def test_invoices_match_meter_data_except_the_deliberate_ones(
    srv: MockServer, session: requests.Session
) -> None:
    invoices = get_all(srv, session, {}, "/invoices")[0]
    months = AS_OF.month - 1  # complete months of 2026 before as_of
    assert len(invoices) == months * len(srv.portfolio.meters)
    bad = set(srv.portfolio.discrepant_invoice_ids)
    assert len(bad) >= 2
    checked = 0
    for inv in invoices[:: max(1, len(invoices) // 12)] + [i for i in invoices if i["id"] in bad]:
        params = {
            "meterId": inv["meterId"],
            "from": inv["periodStart"],
            "to": inv["periodEnd"],
            "granularity": "day",
        }
        metered = sum(
            Decimal(str(r["value"])) for r in get_all(srv, session, {}, "/volumes", params)[0]
        )
        billed = Decimal(str(inv["consumptionMWh"]))
        if inv["id"] in bad:
            assert Decimal("0.04") <= abs(billed - metered) / metered <= Decimal("0.15")
        else:
            assert billed == round(metered, 3)
        net = sum(Decimal(str(line["amount"])) for line in inv["lines"])
        assert Decimal(str(inv["netAmount"])) == net
        assert Decimal(str(inv["taxAmount"])) == round(net * Decimal("0.19"), 2)
        assert Decimal(str(inv["grossAmount"])) == net + Decimal(str(inv["taxAmount"]))
        assert {line["component"] for line in inv["lines"]} == {
            "energy",
            "grid",
            "levies",
            "taxes",
            "other",
        }
        checked += 1
    assert checked >= 10


def test_invoice_filters_and_single(srv: MockServer, session: requests.Session) -> None:
    march = get_all(srv, session, {}, "/invoices", {"from": "2026-03-01", "to": "2026-04-01"})[0]
    assert len(march) == len(srv.portfolio.meters)
    assert all(utc(i["periodStart"]).astimezone(BERLIN).month == 3 for i in march)
    one = api(srv, session, f"/invoices/{march[0]['id']}")
    assert one == march[0]
    paid = get_all(srv, session, {}, "/invoices", {"status": "paid", "meterId": "MTR-0001"})[0]
    assert paid and all(i["status"] == "paid" and i["meterId"] == "MTR-0001" for i in paid)


# ---------------------------------------------------------------- determinism, extras
def test_same_seed_same_data_other_seed_other_data() -> None:
    a = Portfolio(seed=7, meters=5, years=(2026,), as_of=AS_OF)
    b = Portfolio(seed=7, meters=5, years=(2026,), as_of=AS_OF)
    c = Portfolio(seed=8, meters=5, years=(2026,), as_of=AS_OF)
    assert a.contracts == b.contracts and a.clicks == b.clicks and a.invoices == b.invoices
    start = int(dt.datetime(2026, 5, 1, tzinfo=BERLIN).timestamp())
    va = a.volume_arrays("MTR-0001", start, start + 86400, "quarterhour")
    vb = b.volume_arrays("MTR-0001", start, start + 86400, "quarterhour")
    assert (va[1] == vb[1]).all()
    assert a.meters != c.meters or a.clicks != c.clicks


def test_same_seed_same_http_answers() -> None:
    bodies = []
    for _ in range(2):
        with MockServer(seed=3, meters=3, years=(2026,), as_of=AS_OF) as s:
            headers = auth_headers(s)
            bodies.append(
                requests.get(
                    s.base_url + "/volumes",
                    params={"meterId": "MTR-0002", "from": "2026-02-01", "to": "2026-02-02"},
                    headers=headers,
                    timeout=5,
                ).content
            )
    assert bodies[0] == bodies[1]


def test_extra_fields_are_added_to_records(srv: MockServer, session: requests.Session) -> None:
    srv.extra_fields["/contracts"] = {"riskOwner": "Treasury", "version": 2}
    try:
        every = api(srv, session, "/contracts")["value"]  # type: ignore[index]
        assert all(c["riskOwner"] == "Treasury" and c["version"] == 2 for c in every)
        one = api(srv, session, f"/contracts/{every[0]['id']}")
        assert one["riskOwner"] == "Treasury"  # type: ignore[index]
        assert "riskOwner" not in api(srv, session, "/meters")["value"][0]  # type: ignore[index]
    finally:
        srv.extra_fields.clear()
    assert "riskOwner" not in srv.portfolio.contracts[0]


@pytest.mark.parametrize(
    ("zone", "short_day", "long_day"),
    [
        ("America/New_York", "2026-03-08", "2026-11-01"),
        ("Europe/London", "2026-03-29", "2026-10-25"),
    ],
)
def test_other_time_zones_are_dst_correct(zone: str, short_day: str, long_day: str) -> None:
    pf = Portfolio(seed=1, meters=1, years=(2026,), as_of=AS_OF, timezone=zone)
    tz = ZoneInfo(zone)
    for day, count in ((short_day, 92), (long_day, 100)):
        d = dt.date.fromisoformat(day)
        start = int(dt.datetime(d.year, d.month, d.day, tzinfo=tz).timestamp())
        end = int(
            (dt.datetime(d.year, d.month, d.day, tzinfo=tz) + dt.timedelta(days=1)).timestamp()
        )
        starts, _, _ = pf.volume_arrays("MTR-0001", start, end, "quarterhour", "forecast")
        assert len(starts) == count
        hours, _, _ = pf.volume_arrays("MTR-0001", start, end, "hour", "forecast")
        assert len(hours) == count // 4
