"""The synthetic portfolio behind the mock API, deterministic for a seed.

Records are kept exactly as the API serves them (JSON-ready dicts), so tests can compare
responses with ``portfolio`` directly. Conventions (all from the contract):

* every instant is an UTC ISO string with ``Z``; delivery and billing periods are half-open
  ``[start, end)`` between local midnights (``deliveryEnd`` / ``periodEnd`` / ``validTo`` is the
  first instant *after* the period); ``issueDate`` / ``dueDate`` are plain dates;
* volumes are integer micro-MWh inside (see :mod:`.series`), served as MWh with <= 6 decimals;
* peak = Monday-Friday 08:00-20:00 local (public holidays are not excluded); gas days are local
  calendar days (not 06:00-06:00) and gas has base products only;
* actual volumes exist only before local midnight of ``as_of``; forecasts cover all ``years``;
* contract ``status`` is relative to ``as_of``; clicks are executed before ``as_of`` only;
* hedged volume of a click in a period = MW x (base or peak) hours of its delivery in the period;
* one invoice per meter and complete month before ``as_of``; its ``consumptionMWh`` is the
  rounded sum of actuals except for the ids in ``discrepant_invoice_ids`` (4-15 % off);
* the **latest complete month** before ``as_of`` (the month ``ecore-xl demo`` reports on) always
  shows both things a controller wants flagged, on purpose rather than by the dice: its first
  invoice (the first meter's) is discrepant (+9 %, when the draw did not already make it so),
  and the first portfolio of its year (power preferred) is over-hedged in it — one extra month
  click (``over_hedge_click_id``), executed 12 days before delivery, brings the hedged volume to
  112 % of the forecast. Neither draws from the random streams, so nothing else moves.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from .calendar import YearCalendar, iso_z, local_midnight_utc, year_calendar
from .names import (
    COMPANIES,
    GAS_METER_LABELS,
    GAS_SUPPLIERS,
    POWER_METER_LABELS,
    POWER_SUPPLIERS,
)
from .series import MICRO, MeterProfile, MeterYear, generate, monthly_weights

Record = dict[str, Any]
Product = tuple[str, str, str, list[int], float]  # name, type, profile, months, kW (<0: layer)
VAT_RATE = 0.19
#: the latest complete month: its first invoice's deliberate deviation, its over-hedge's ratio
DELIBERATE_DEVIATION = 0.09
OVER_HEDGE_RATIO = 1.12
GRANULARITIES = ("quarterhour", "hour", "day", "month")


class Portfolio:
    """Legal entities, business units, meters, contracts, clicks, portfolios and invoices."""

    def __init__(
        self,
        *,
        seed: int = 42,
        meters: int = 20,
        years: tuple[int, ...] = (2025, 2026),
        as_of: dt.date | None = None,
        timezone: str = "Europe/Berlin",
    ) -> None:
        if meters < 1:
            raise ValueError("meters must be at least 1")
        if not years:
            raise ValueError("years must not be empty")
        self.seed = seed
        self.years = tuple(sorted(set(years)))
        self.as_of = as_of or dt.date.today()
        self.timezone = timezone
        self.tz = ZoneInfo(timezone)
        self.as_of_epoch = local_midnight_utc(self.as_of, self.tz)
        self.legal_entities: list[Record] = []
        self.business_units: list[Record] = []
        self.meters: list[Record] = []
        self.contracts: list[Record] = []
        self.clicks: list[Record] = []
        self.portfolios: list[Record] = []
        self.relationships: list[Record] = []
        self.profiles: dict[str, MeterProfile] = {}
        #: internal: energy price (EUR/MWh) per contract id, used on invoices
        self.energy_price: dict[str, float] = {}
        self._click_kw: dict[str, int] = {}
        self._contract_year: dict[str, int] = {}
        self._invoices: list[Record] | None = None
        self._discrepant: list[str] = []
        self._invoice_by_id: dict[str, Record] = {}
        self._lock = threading.Lock()
        self._meter_year = lru_cache(maxsize=256)(self._generate_meter_year)
        self._buckets = lru_cache(maxsize=512)(self._compute_buckets)
        #: the click that over-hedges the latest complete month (None: no such month or portfolio)
        self.over_hedge_click_id: str | None = None
        self._build(meters)
        self.by_id: dict[str, dict[str, Record]] = {
            "legalEntity": {r["id"]: r for r in self.legal_entities},
            "businessUnit": {r["id"]: r for r in self.business_units},
            "meter": {r["id"]: r for r in self.meters},
            "contract": {r["id"]: r for r in self.contracts},
            "portfolio": {r["id"]: r for r in self.portfolios},
        }
        self._add_over_hedge()
        self._number_clicks()

    # ------------------------------------------------------------------ structure
    def _build(self, n_meters: int) -> None:
        rng = random.Random(f"ecore-mock-structure-{self.seed}")
        n_le = 2 + (rng.random() < 0.5)
        companies = [COMPANIES[0], COMPANIES[1], *rng.sample(COMPANIES[2:], 1)][:n_le]
        since = iso_z(local_midnight_utc(dt.date(2020, 1, 1), self.tz))
        sites: list[tuple[str, str, Any]] = []  # (bu id, le id, site)
        for i, co in enumerate(companies, start=1):
            le_id = f"LE-{i:03d}"
            digits = "".join(str(rng.randrange(10)) for _ in range(9 if co.country == "DE" else 8))
            vat = f"DE{digits}" if co.country == "DE" else f"ATU{digits}"
            self.legal_entities.append(
                {"id": le_id, "name": co.name, "country": co.country, "vatId": vat}
            )
            for site in co.sites:
                bu_id = f"BU-{len(self.business_units) + 1:03d}"
                cost_center = f"CC-{i}{len(self.business_units) + 1:02d}0"
                self.business_units.append(
                    {
                        "id": bu_id,
                        "name": f"{co.short} {site.name}",
                        "legalEntityId": le_id,
                        "costCenter": cost_center,
                    }
                )
                sites.append((bu_id, le_id, site))
                self._edge("legalEntity", le_id, "businessUnit", bu_id, since, None)

        n_gas = round(n_meters * 0.25) if n_meters > 1 else 0
        gas_idx = set(rng.sample(range(n_meters), n_gas))
        le_of_meter: dict[str, str] = {}
        for m in range(n_meters):
            bu_id, le_id, site = sites[m % len(sites)]
            country = next(r["country"] for r in self.legal_entities if r["id"] == le_id)
            commodity = "gas" if m in gas_idx else "power"
            labels = GAS_METER_LABELS if commodity == "gas" else POWER_METER_LABELS
            label = labels[(m // len(sites)) % len(labels)]
            if m >= len(sites) * len(labels):
                label = f"{label} {m // (len(sites) * len(labels)) + 1}"
            annual = round(rng.lognormvariate(8.0 if commodity == "power" else 8.4, 0.8) + 200.0, 1)
            meter_id = f"MTR-{m + 1:04d}"
            operator = site.gas_operator if commodity == "gas" else site.grid_operator
            prefix = "DE" if country == "DE" else "AT"
            number = (
                f"{prefix}{rng.randrange(10**6):06d}{site.postal_code:0>5}"
                f"{rng.randrange(10**20):020d}"
            )
            self.meters.append(
                {
                    "id": meter_id,
                    "meterNumber": number,
                    "name": f"{site.name} {label}",
                    "commodity": commodity,
                    "businessUnitId": bu_id,
                    "gridOperator": operator,
                    "address": {
                        "street": site.street,
                        "postalCode": site.postal_code,
                        "city": site.city,
                        "country": country,
                    },
                    "annualConsumptionMWh": annual,
                }
            )
            shifts = rng.choice((1, 2, 3, 3)) if commodity == "power" else rng.randrange(1, 7)
            self.profiles[meter_id] = MeterProfile(
                index=m,
                commodity=commodity,
                annual_mwh=annual,
                shifts=shifts,
                weekend_factor=rng.uniform(0.35, 0.85),
            )
            le_of_meter[meter_id] = le_id
            joined = dt.date(rng.randrange(2019, 2024), rng.randrange(1, 13), 1)
            self._edge(
                "businessUnit",
                bu_id,
                "meter",
                meter_id,
                iso_z(local_midnight_utc(joined, self.tz)),
                None,
            )
        self._build_contracts(rng, le_of_meter)

    def _edge(
        self, ptype: str, pid: str, ctype: str, cid: str, valid_from: str, valid_to: str | None
    ) -> None:
        self.relationships.append(
            {
                "parentType": ptype,
                "parentId": pid,
                "childType": ctype,
                "childId": cid,
                "validFrom": valid_from,
                "validTo": valid_to,
            }
        )

    def _status(self, start: int, end: int) -> str:
        if end <= self.as_of_epoch:
            return "expired"
        if start > self.as_of_epoch:
            return "planned"
        return "active"

    def _build_contracts(self, rng: random.Random, le_of_meter: dict[str, str]) -> None:
        seq = 0
        for le in self.legal_entities:
            for commodity in ("power", "gas"):
                mids = [
                    m["id"]
                    for m in self.meters
                    if le_of_meter[m["id"]] == le["id"] and m["commodity"] == commodity
                ]
                if not mids:
                    continue
                suppliers = POWER_SUPPLIERS if commodity == "power" else GAS_SUPPLIERS
                supplier = rng.choice(suppliers)
                n_second = 0 if len(mids) < 3 else (2 if len(mids) >= 8 else 1)
                second_model = rng.choice(("fixed", "spot"))
                short = le["name"].split()[0]
                word = "Strom" if commodity == "power" else "Erdgas"
                for year in self.years:
                    if rng.random() < 0.3:
                        supplier = rng.choice(suppliers)
                    start = local_midnight_utc(dt.date(year, 1, 1), self.tz)
                    end = local_midnight_utc(dt.date(year + 1, 1, 1), self.tz)
                    pf_id = f"PF-{len(self.portfolios) + 1:04d}"
                    self.portfolios.append(
                        {
                            "id": pf_id,
                            "name": f"{short} {word} {year}",
                            "commodity": commodity,
                            "legalEntityId": le["id"],
                            "deliveryYear": year,
                            "currency": "EUR",
                        }
                    )
                    groups = [("tranche", mids[: len(mids) - n_second], supplier)]
                    if n_second:
                        groups.append((second_model, mids[len(mids) - n_second :], supplier))
                    for model, group, sup in groups:
                        seq += 1
                        cid = f"CTR-{seq:04d}"
                        in_pf = model != "fixed"
                        label = {"tranche": "Tranchenmodell", "fixed": "Festpreis", "spot": "Spot"}
                        volume = round(sum(self.profiles[m].annual_mwh for m in group), 3)
                        contract = {
                            "id": cid,
                            "contractNumber": f"VN-{year}-{commodity[0].upper()}{seq:04d}",
                            "name": f"{word} {year} {short} – {label[model]}",
                            "commodity": commodity,
                            "supplier": sup,
                            "legalEntityId": le["id"],
                            "portfolioId": pf_id if in_pf else None,
                            "pricingModel": model,
                            "status": self._status(start, end),
                            "deliveryStart": iso_z(start),
                            "deliveryEnd": iso_z(end),
                            "currency": "EUR",
                            "contractedVolumeMWh": volume,
                            "meterIds": list(group),
                        }
                        self.contracts.append(contract)
                        self._contract_year[cid] = year
                        self.energy_price[cid] = round(
                            rng.uniform(80, 130) if commodity == "power" else rng.uniform(30, 50), 2
                        )
                        for m in group:
                            self._edge("contract", cid, "meter", m, iso_z(start), iso_z(end))
                        if in_pf:
                            self._edge(
                                "portfolio", pf_id, "contract", cid, iso_z(start), iso_z(end)
                            )
                        if model == "tranche":
                            self._build_clicks(rng, contract, year)

    def _number_clicks(self) -> None:
        """Clicks in (contract, execution, product) order, numbered ``CLK-000001`` on."""
        self.clicks.sort(key=lambda c: (c["contractId"], c["executedAt"], c["product"]))
        for i, click in enumerate(self.clicks, start=1):
            old = click["id"]
            click["id"] = f"CLK-{i:06d}"
            self._click_kw[click["id"]] = self._click_kw.pop(old)
            if old == self.over_hedge_click_id:
                self.over_hedge_click_id = click["id"]

    def latest_complete_month(self) -> tuple[int, int] | None:
        """(year, month 1-12) of the month before ``as_of``'s, if the portfolio covers it."""
        last = self.as_of.replace(day=1) - dt.timedelta(days=1)
        return (last.year, last.month) if last.year in self.years else None

    def _record_click(
        self,
        contract: dict[str, Any],
        click_id: str,
        product: str,
        ptype: str,
        profile: str,
        when: tuple[int, int, int],
        kw: float,
        mwh: float,
        price: float,
    ) -> str:
        """Append one executed click of ``contract`` (``when``: delivery start, end, execution,
        epoch seconds); returns its id."""
        d_start, d_end, executed = when
        self.clicks.append({
            "id": click_id,
            "contractId": contract["id"],
            "product": product,
            "productType": ptype,
            "loadProfile": profile,
            "deliveryStart": iso_z(d_start),
            "deliveryEnd": iso_z(d_end),
            "executedAt": iso_z(executed),
            "volumeMW": kw / 1000,
            "volumeMWh": round(mwh, 3),
            "sharePercent": round(mwh / contract["contractedVolumeMWh"] * 100.0, 2),
            "priceEurPerMWh": round(float(price), 2),
            "currency": "EUR",
            "status": "executed",
        })  # fmt: skip
        self._click_kw[click_id] = kw
        return click_id

    def _add_over_hedge(self) -> None:
        """One month click that over-hedges the latest complete month (module doc)."""
        latest = self.latest_complete_month()
        if latest is None:
            return
        year, month = latest
        tranche = {c["portfolioId"]: c for c in reversed(self.contracts)
                   if c["pricingModel"] == "tranche"}  # fmt: skip
        candidates = [
            p for p in self.portfolios if p["deliveryYear"] == year and p["id"] in tranche
        ]
        if not candidates:
            return
        pf = min(candidates, key=lambda p: (p["commodity"] != "power", p["id"]))
        contract = tranche[pf["id"]]
        position = self.positions(pf["id"])[month - 1]
        cal = self.calendar(year)
        qh = self._qh_count(cal, [month - 1], "base")
        missing_mwh = OVER_HEDGE_RATIO * position["forecastVolumeMWh"] - position["hedgedVolumeMWh"]
        kw = max(10, -(-round(missing_mwh * 1000 * 4 / qh) // 10) * 10)  # up to 10 kW
        d_start = cal.start + int(cal.month_first[month - 1]) * 900
        d_end = cal.start + int(cal.month_first[month]) * 900
        executed = d_start - 12 * 86400 + 9 * 3600
        level = {"power": 95.0, "gas": 38.0}[contract["commodity"]] * (1.0 - 0.03 * (year - 2025))
        price = level * (1.0 + 0.15 * np.sin(executed / (86400 * 97.0) + year))
        self.over_hedge_click_id = self._record_click(
            contract, f"tmp-{contract['id']}-over-hedge", f"M{month:02d}-{year % 100:02d} Base",
            "month", "base", (d_start, d_end, executed), kw, kw * qh / 4 / 1000, price,
        )  # fmt: skip

    def _build_clicks(self, rng: random.Random, contract: Record, year: int) -> None:
        """Tranche clicks in layers: Cal base, quarters, peak quarters (power), months."""
        cal = self.calendar(year)
        commodity = contract["commodity"]
        month_hours = np.diff(cal.month_first) / 4.0
        load_kw = np.zeros(12)
        for m in contract["meterIds"]:
            prof = self.profiles[m]
            load_kw += prof.annual_mwh * 1000.0 * monthly_weights(prof, cal) / month_hours
        hedged_kw = np.zeros(12)
        yy = year % 100
        products: list[Product] = []
        n_cal = rng.randint(2, 4)
        cal_total = rng.uniform(0.35, 0.6) * float(load_kw.min())
        for _ in range(n_cal):
            products.append(
                (f"Cal-{yy:02d} Base", "year", "base", list(range(12)), cal_total / n_cal)
            )
        for q in range(4):
            months = list(range(3 * q, 3 * q + 3))
            if rng.random() < 0.7:
                products.append((f"Q{q + 1}-{yy:02d} Base", "quarter", "base", months, -1.0))
            if commodity == "power" and rng.random() < 0.5:
                peak_kw = rng.uniform(0.05, 0.12) * float(load_kw[months].mean())
                products.append((f"Q{q + 1}-{yy:02d} Peak", "quarter", "peak", months, peak_kw))
        for mo in sorted(rng.sample(range(12), rng.randint(2, 5))):
            products.append((f"M{mo + 1:02d}-{yy:02d} Base", "month", "base", [mo], -1.0))
        level = {"power": 95.0, "gas": 38.0}[commodity] * (1.0 - 0.03 * (year - 2025))
        for name, ptype, profile, months, size in products:
            first = dt.date(year, months[0] + 1, 1)
            d_start = local_midnight_utc(first, self.tz)
            d_end = int(cal.start + cal.month_first[months[-1] + 1] * 900)
            window_start = d_start - 540 * 86400
            window_end = min(d_start - 86400, self.as_of_epoch - 3600)
            if window_end <= window_start:
                continue
            executed = rng.randrange(window_start, window_end)
            executed -= executed % 60
            if size < 0:  # a layer on top of what is hedged so far
                residual = float((load_kw[months] - hedged_kw[months]).min())
                size = rng.uniform(0.15, 0.35) * max(residual, 0.0)
            kw = max(10, round(size / 10.0) * 10)
            if profile == "base":
                hedged_kw[months] += kw
            qh = self._qh_count(cal, months, profile)
            mwh = kw * qh / 4 / 1000
            drift = 1.0 + 0.15 * np.sin(executed / (86400 * 97.0) + year)
            price = level * drift * rng.uniform(0.93, 1.07) * (1.22 if profile == "peak" else 1.0)
            self._record_click(
                contract, f"tmp-{contract['id']}-{len(self._click_kw)}", name, ptype, profile,
                (d_start, d_end, executed), kw, mwh, price,
            )  # fmt: skip

    @staticmethod
    def _qh_count(cal: YearCalendar, months: list[int], profile: str) -> int:
        a, b = int(cal.month_first[months[0]]), int(cal.month_first[months[-1] + 1])
        if profile == "peak":
            return int(cal.peak[a:b].sum())
        return b - a

    # ------------------------------------------------------------------ time
    def calendar(self, year: int) -> YearCalendar:
        """The quarter-hour calendar of ``year`` in the portfolio's time zone."""
        return year_calendar(year, self.timezone)

    def hours(self, start: int, end: int, load_profile: str = "base") -> float:
        """Hours of ``load_profile`` (base/peak) in ``[start, end)`` (epoch seconds)."""
        qh = 0
        for year in self.years:
            cal = self.calendar(year)
            a, b = cal.index_of(start), cal.index_of(end)
            if b > a:
                qh += int(cal.peak[a:b].sum()) if load_profile == "peak" else b - a
        return qh / 4

    # ------------------------------------------------------------------ volumes
    def _generate_meter_year(self, meter_id: str, year: int, kind: str) -> MeterYear:
        return generate(self.profiles[meter_id], self.calendar(year), kind, self.seed)

    def meter_year(self, meter_id: str, year: int, kind: str) -> MeterYear:
        """Quarter-hour micro-MWh of a meter-year (actuals not yet cut at ``as_of``)."""
        return self._meter_year(meter_id, year, kind)

    def _compute_buckets(
        self, meter_id: str, year: int, kind: str, granularity: str
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        cal = self.calendar(year)
        my = self.meter_year(meter_id, year, kind)
        cut = cal.n if kind == "forecast" else cal.index_of(self.as_of_epoch)
        first = cal.first_index(granularity)
        first = first[first < cut]
        if cut == 0 or first.size == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, np.zeros(0, dtype=bool)
        values = my.values[:cut]
        est = my.estimated_day[cal.day_of_qh[:cut]]
        if granularity == "quarterhour":
            sums, flags = values, est
        else:
            sums = np.add.reduceat(values, first)
            flags = np.logical_or.reduceat(est, first)
        return cal.start + first * 900, sums, flags

    def volume_arrays(
        self, meter_id: str, start: int, end: int, granularity: str = "hour", kind: str = "actual"
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Bucket starts (epoch s), sums (micro-MWh) and estimated flags in ``[start, end)``.

        A bucket is included when its start lies in the interval; its value is the sum of the
        whole bucket (for actuals: of the part before ``as_of``).
        """
        parts = []
        for year in self.years:
            cal = self.calendar(year)
            if end <= cal.start or start >= cal.start + cal.n * 900:
                continue
            starts, sums, flags = self._buckets(meter_id, year, kind, granularity)
            lo, hi = np.searchsorted(starts, [start, end], side="left")
            parts.append((starts[lo:hi], sums[lo:hi], flags[lo:hi]))
        if not parts:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, np.zeros(0, dtype=bool)
        return (
            np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]),
            np.concatenate([p[2] for p in parts]),
        )

    def volume_sum(self, meter_id: str, start: int, end: int, kind: str = "actual") -> float:
        """Exact MWh of a meter over ``[start, end)`` (quarter-hours starting inside)."""
        _, sums, _ = self.volume_arrays(meter_id, start, end, "quarterhour", kind)
        return int(sums.sum()) / MICRO

    # ------------------------------------------------------------------ positions
    def positions(self, portfolio_id: str, granularity: str = "month") -> list[Record]:
        """Monthly or quarterly positions of a portfolio over its delivery year."""
        pf = self.by_id["portfolio"][portfolio_id]
        year = pf["deliveryYear"]
        cal = self.calendar(year)
        contracts = [c for c in self.contracts if c["portfolioId"] == portfolio_id]
        cids = {c["id"] for c in contracts}
        mids = sorted({m for c in contracts for m in c["meterIds"]})
        forecast = np.zeros(12, dtype=np.int64)
        for m in mids:
            _, sums, _ = self._buckets(m, year, "forecast", "month")
            forecast += sums
        hedged_kwh = np.zeros(12, dtype=np.int64)
        cost = np.zeros(12, dtype=np.float64)
        for click in self.clicks:
            if click["contractId"] not in cids:
                continue
            kw = self._click_kw[click["id"]]
            a = cal.index_of(_epoch(click["deliveryStart"]))
            b = cal.index_of(_epoch(click["deliveryEnd"]))
            for mo in range(12):
                lo = max(a, int(cal.month_first[mo]))
                hi = min(b, int(cal.month_first[mo + 1]))
                if hi <= lo:
                    continue
                qh = int(cal.peak[lo:hi].sum()) if click["loadProfile"] == "peak" else hi - lo
                kwh = kw * qh // 4
                hedged_kwh[mo] += kwh
                cost[mo] += kwh * click["priceEurPerMWh"]
        step = 3 if granularity == "quarter" else 1
        out = []
        for p in range(0, 12, step):
            f_micro = int(forecast[p : p + step].sum())
            h_kwh = int(hedged_kwh[p : p + step].sum())
            c = float(cost[p : p + step].sum())
            out.append(
                {
                    "portfolioId": portfolio_id,
                    "periodStart": iso_z(cal.start + int(cal.month_first[p]) * 900),
                    "forecastVolumeMWh": f_micro / MICRO,
                    "hedgedVolumeMWh": h_kwh / 1000,
                    "openVolumeMWh": (f_micro - h_kwh * 1000) / MICRO,
                    "hedgeRatio": round(h_kwh * 1000 / f_micro, 6) if f_micro else None,
                    "averageHedgePriceEurPerMWh": round(c / h_kwh, 4) if h_kwh else None,
                }
            )
        return out

    # ------------------------------------------------------------------ invoices
    @property
    def invoices(self) -> list[Record]:
        """All invoices (built on first use: needs every meter's actuals)."""
        with self._lock:
            if self._invoices is None:
                self._invoices = self._build_invoices()
                self._invoice_by_id = {i["id"]: i for i in self._invoices}
            return self._invoices

    def invoice(self, invoice_id: str) -> Record | None:
        """One invoice by id, or None."""
        _ = self.invoices
        return self._invoice_by_id.get(invoice_id)

    @property
    def discrepant_invoice_ids(self) -> list[str]:
        """Invoices whose consumption deliberately differs from the metered sum."""
        _ = self.invoices
        return list(self._discrepant)

    def _build_invoices(self) -> list[Record]:
        rng = random.Random(f"ecore-mock-invoices-{self.seed}")
        contract_of: dict[tuple[str, int], Record] = {}
        for c in self.contracts:
            for m in c["meterIds"]:
                contract_of[(m, self._contract_year[c["id"]])] = c
        rows: list[tuple[str, int, int, int, int]] = []  # meter, year, month, start, end
        for year in self.years:
            cal = self.calendar(year)
            for mo in range(12):
                ms = cal.start + int(cal.month_first[mo]) * 900
                me = cal.start + int(cal.month_first[mo + 1]) * 900
                if me > self.as_of_epoch:
                    continue
                rows.extend((m["id"], year, mo, ms, me) for m in self.meters)
        rows.sort(key=lambda r: (r[3], r[0]))
        n_bad = max(2, round(len(rows) / 60)) if len(rows) >= 2 else len(rows)
        bad = set(rng.sample(range(len(rows)), min(n_bad, len(rows))))
        latest = self.latest_complete_month()
        deliberate = next(
            (i for i, r in enumerate(rows) if latest and (r[1], r[2] + 1) == latest), None
        )
        le_of_bu = {b["id"]: b["legalEntityId"] for b in self.business_units}
        meters = self.by_id["meter"]
        out: list[Record] = []
        self._discrepant = []
        for i, (mid, year, mo, ms, me) in enumerate(rows):
            meter = meters[mid]
            _, sums, _ = self._buckets(mid, year, "actual", "month")
            exact = int(sums[mo]) / MICRO
            consumption = round(exact, 3)
            inv_id = f"INV-{i + 1:06d}"
            if i in bad:
                factor = rng.uniform(0.04, 0.15) * rng.choice((-1, 1))
                consumption = round(exact * (1 + factor), 3)
                self._discrepant.append(inv_id)
            elif i == deliberate:  # no draw: the other invoices stay as they were
                consumption = round(exact * (1 + DELIBERATE_DEVIATION), 3)
                self._discrepant.append(inv_id)
            contract = contract_of[(mid, year)]
            out.append(
                self._invoice(rng, inv_id, meter, contract, le_of_bu, year, mo, ms, me, consumption)
            )
        return out

    def _invoice(
        self,
        rng: random.Random,
        inv_id: str,
        meter: Record,
        contract: Record,
        le_of_bu: dict[str, str],
        year: int,
        month: int,
        ms: int,
        me: int,
        consumption: float,
    ) -> Record:
        power = meter["commodity"] == "power"
        country = meter["address"]["country"]
        grid_price = (32.0 if power else 11.0) + (self.profiles[meter["id"]].index % 7)
        levies = 7.85 if power else 10.2
        tax = (20.50 if country == "DE" else 15.0) if power else (5.50 if country == "DE" else 6.0)
        specs = [
            ("energy", consumption, "MWh", self.energy_price[contract["id"]]),
            ("grid", consumption, "MWh", grid_price),
            ("levies", consumption, "MWh", levies),
            ("taxes", consumption, "MWh", tax),
            ("other", 1, "month", 45.0 if power else 38.0),
        ]
        lines = [
            {
                "component": comp,
                "quantity": qty,
                "unit": unit,
                "unitPrice": price,
                "amount": round(qty * price, 2),
            }
            for comp, qty, unit, price in specs
        ]
        net = round(sum(line["amount"] for line in lines), 2)
        vat = round(net * VAT_RATE, 2)
        period_end_date = dt.date(year + (month == 11), (month + 1) % 12 + 1, 1)
        issue = period_end_date + dt.timedelta(days=rng.randint(3, 12))
        due = issue + dt.timedelta(days=rng.choice((14, 30)))
        as_of = self.as_of
        if rng.random() < 0.03:
            status = "disputed"
        elif due < as_of and rng.random() < 0.97:
            status = "paid"
        else:
            status = "open"
        return {
            "id": inv_id,
            "invoiceNumber": f"RE-{year % 100:02d}{month + 1:02d}-{inv_id[4:]}",
            "supplier": contract["supplier"],
            "legalEntityId": le_of_bu[meter["businessUnitId"]],
            "meterId": meter["id"],
            "contractId": contract["id"],
            "periodStart": iso_z(ms),
            "periodEnd": iso_z(me),
            "issueDate": issue.isoformat(),
            "dueDate": due.isoformat(),
            "consumptionMWh": consumption,
            "netAmount": net,
            "taxAmount": vat,
            "grossAmount": round(net + vat, 2),
            "currency": "EUR",
            "status": status,
            "lines": lines,
        }


def _epoch(iso: str) -> int:
    return int(dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())
