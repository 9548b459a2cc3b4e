"""Pure functions: the fetched datasets of a month → the report's tables and Summary figures.

Nothing here fetches or writes. :class:`MonthData` holds the frames as :func:`ecore_xl.data.fetch`
returns them (long layout, catalogue column names); :func:`report_tables` shapes them into the
tables of :mod:`ecore_xl.report.schema` (headers as column names) for one set of legal entities,
and :func:`summary_figures` computes the Summary numbers the workbook's formulas also compute.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ecore_xl.catalogue.units import factors_to
from ecore_xl.errors import UnexpectedResponseError
from ecore_xl.report.period import ReportMonth
from ecore_xl.report.schema import COMMODITIES
from ecore_xl.report.summary import FIGURES, rounded

__all__ = [
    "COMPONENTS",
    "MonthData",
    "click_prices",
    "flag_invoice",
    "over_hedged",
    "report_tables",
    "summary_figures",
    "to_mwh",
]

#: invoice components in the order the cost chart shows them (others follow, sorted)
COMPONENTS = ("energy", "grid", "taxes", "levies", "other")

#: energy units (lower case) -> factor to MWh: the catalogue's one unit table
_UNIT_FACTORS = factors_to("MWh")


@dataclass
class MonthData:
    """The fetched frames a month's report is made of (all legal entities or one)."""

    month: ReportMonth
    legal_entities: pd.DataFrame
    business_units: pd.DataFrame
    meters: pd.DataFrame
    volumes: pd.DataFrame  # actual volumes of the month, the consumption table's granularity
    metered: pd.DataFrame  # actual daily volumes over the invoices' billing periods
    invoices: pd.DataFrame
    invoice_lines: pd.DataFrame
    portfolios: pd.DataFrame
    positions: pd.DataFrame
    contracts: pd.DataFrame
    clicks: pd.DataFrame
    provenance: list[dict[str, Any]] = field(default_factory=list)


def to_mwh(values: pd.Series, units: pd.Series | None) -> pd.Series:
    """Energy values in MWh: a record's ``unit`` (kWh, Wh, GWh) is honoured, empty means MWh."""
    values = pd.to_numeric(values, errors="coerce").astype("float64")
    if units is None or units.empty:
        return values
    # each distinct unit once: a month of quarter-hours repeats "MWh" 300,000 times
    codes, distinct = pd.factorize(units.astype("str"), use_na_sentinel=False)
    keys = pd.Series(distinct).str.strip().str.lower().replace({"nan": "", "none": ""})
    unknown = sorted(set(keys.unique()) - set(_UNIT_FACTORS) - {""})
    if unknown:
        raise UnexpectedResponseError(
            f"Volumes come in unit {unknown[0]!r}, which the report cannot convert to MWh."
        )
    factors = keys.map(lambda k: _UNIT_FACTORS.get(k, 1.0)).astype("float64").to_numpy()
    return values * pd.Series(factors[codes], index=values.index)


def flag_invoice(invoiced: float, metered: float, threshold: float) -> bool:
    """Whether an invoice deviates from its metered volume by more than ``threshold`` (0.02 = 2 %).

    The workbook's Flag formula makes the same decision: with nothing metered, any invoiced
    volume is flagged.
    """
    if metered == 0:
        return invoiced != 0
    return abs(invoiced - metered) > threshold * metered


def over_hedged(hedge_ratio: Any, open_mwh: Any) -> bool:
    """Whether a position is over-hedged: a ratio above 100 % or a negative open volume (the
    positions' Flag formula makes the same decision; an empty value decides nothing)."""

    def number(v: Any) -> float | None:
        try:
            x = float(v)
        except (TypeError, ValueError):
            return None
        return x if math.isfinite(x) else None

    ratio, open_ = number(hedge_ratio), number(open_mwh)
    return (open_ is not None and open_ < 0) or (ratio is not None and ratio > 1)


def _check_commodities(values: pd.Series, what: str, dataset: str) -> None:
    """Stop on a commodity the report does not show: its figures would silently be missing."""
    found = {str(v) for v in values.dropna().unique()} - set(COMMODITIES)
    if found:
        raise UnexpectedResponseError(
            f"{what} has commodity {sorted(found)[0]!r}, which the report does not know "
            f"({', '.join(COMMODITIES)}): if it is the API's spelling of one of them, declare it "
            f"in a catalogue file (datasets.{dataset}, field commodity, values)."
        )


# ---- selection ------------------------------------------------------------------------------


def _col(df: pd.DataFrame, name: str, default: Any = None) -> pd.Series:
    if name in df.columns:
        return df[name]
    return pd.Series([default] * len(df), index=df.index, dtype="object")


def _meters_of(data: MonthData, entity_ids: Sequence[str] | None) -> pd.DataFrame:
    """The meters of the chosen legal entities with their unit and entity joined on."""
    bus = data.business_units.loc[:, ["id", "name", "legalEntityId", "costCenter"]].rename(
        columns={"id": "buId", "name": "buName", "costCenter": "buCostCenter"}
    )
    les = data.legal_entities.loc[:, ["id", "name"]].rename(
        columns={"id": "leId", "name": "leName"}
    )
    meters = data.meters.merge(bus, how="left", left_on="businessUnitId", right_on="buId")
    meters = meters.merge(les, how="left", left_on="legalEntityId", right_on="leId")
    if entity_ids is not None:
        meters = meters.loc[meters["legalEntityId"].isin(list(entity_ids))]
    return meters.sort_values(["legalEntityId", "businessUnitId", "id"], kind="stable")


def _in_month(local: pd.Series, month: ReportMonth) -> pd.Series:
    start = pd.Timestamp(month.start)
    end = pd.Timestamp(month.end)
    return (local >= start) & (local < end)


def _month_invoices(data: MonthData, entity_ids: Sequence[str] | None) -> pd.DataFrame:
    """Invoices whose billing period starts in the month (for the chosen legal entities)."""
    inv = data.invoices
    if inv.empty:
        return inv
    inv = inv.loc[_in_month(inv["periodStart"], data.month)]
    if entity_ids is not None:
        inv = inv.loc[inv["legalEntityId"].isin(list(entity_ids))]
    return inv.sort_values(["periodStart", "meterId", "id"], kind="stable")


# ---- tables ---------------------------------------------------------------------------------


def report_tables(
    data: MonthData, *, legal_entities: Sequence[str] | None, threshold: float
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """The report's tables (by schema name) and the ids of the flagged invoices."""
    meters = _meters_of(data, legal_entities)
    _check_commodities(meters["commodity"], "A meter", "meters")
    names = dict(zip(data.meters["id"], data.meters["name"], strict=False))
    commodity = dict(zip(data.meters["id"], data.meters["commodity"], strict=False))
    meter_ids = set(meters["id"])

    tables: dict[str, pd.DataFrame] = {}
    tables["structure"] = pd.DataFrame(
        {
            "Legal entity ID": meters["legalEntityId"],
            "Legal entity": meters["leName"],
            "Business unit ID": meters["businessUnitId"],
            "Business unit": meters["buName"],
            "Cost center": meters["buCostCenter"],
            "Meter": meters["id"],
            "Meter number": _col(meters, "meterNumber"),
            "Meter name": meters["name"],
            "Commodity": meters["commodity"],
            "City": _col(meters, "address.city"),
            "Annual MWh": _col(meters, "annualConsumptionMWh"),
        }
    ).reset_index(drop=True)

    vol = data.volumes
    if not vol.empty:
        vol = vol.loc[vol["meterId"].isin(meter_ids) & _in_month(vol["startLocal"], data.month)]
    vol = vol.sort_values(["meterId", "start"], kind="stable") if not vol.empty else vol
    tables["consumption"] = pd.DataFrame(
        {
            "Start": _col(vol, "startLocal"),
            "Meter": _col(vol, "meterId"),
            "Meter name": _col(vol, "meterId").map(names),
            "Commodity": _col(vol, "meterId").map(commodity),
            "MWh": to_mwh(_col(vol, "value"), _col(vol, "unit")),
            "Quality": _col(vol, "quality"),
        }
    ).reset_index(drop=True)
    tables["daily"] = pd.DataFrame({"Day": [pd.Timestamp(d) for d in data.month.days]})

    invoices = _month_invoices(data, legal_entities)
    metered = _metered(data, invoices)
    invoiced = pd.to_numeric(_col(invoices, "consumptionMWh"), errors="coerce").astype("float64")
    flags = [
        flag_invoice(float(i), float(m), threshold)
        for i, m in zip(invoiced.fillna(0.0), metered, strict=True)
    ]
    tables["invoices"] = pd.DataFrame(
        {
            "Invoice": _col(invoices, "id"),
            "Invoice number": _col(invoices, "invoiceNumber"),
            "Supplier": _col(invoices, "supplier"),
            "Meter": _col(invoices, "meterId"),
            "Meter name": _col(invoices, "meterId").map(names),
            "Commodity": _col(invoices, "meterId").map(commodity),
            "Period from": _col(invoices, "periodStart"),
            "Period to": _last_day(_col(invoices, "periodEnd")),
            "Invoiced MWh": invoiced,
            "Metered MWh": pd.Series(metered, index=invoices.index, dtype="float64"),
            "Net EUR": _col(invoices, "netAmount"),
            "Status": _col(invoices, "status"),
        }
    ).reset_index(drop=True)
    flagged = [str(i) for i, f in zip(_col(invoices, "id"), flags, strict=True) if f]

    lines = data.invoice_lines
    if not lines.empty:
        lines = lines.loc[lines["invoiceId"].isin(set(_col(invoices, "id")))]
    head = invoices.loc[:, ["id", "invoiceNumber", "meterId"]] if not invoices.empty else None
    if head is not None and not lines.empty:
        lines = lines.merge(head, how="left", left_on="invoiceId", right_on="id")
        order = {v: i for i, v in enumerate(invoices["id"])}
        lines = lines.assign(_o=lines["invoiceId"].map(order)).sort_values("_o", kind="stable")
    tables["costs"] = pd.DataFrame(
        {
            "Invoice": _col(lines, "invoiceId"),
            "Invoice number": _col(lines, "invoiceNumber"),
            "Meter": _col(lines, "meterId"),
            "Meter name": _col(lines, "meterId").map(names),
            "Commodity": _col(lines, "meterId").map(commodity),
            "Component": _col(lines, "component"),
            "Quantity": _col(lines, "quantity"),
            "Unit": _col(lines, "unit"),
            "Unit price": _col(lines, "unitPrice"),
            "EUR": pd.to_numeric(_col(lines, "amount"), errors="coerce").astype("float64"),
        }
    ).reset_index(drop=True)
    found = [str(c) for c in tables["costs"]["Component"].dropna().unique()]
    components = [*COMPONENTS, *sorted(set(found) - set(COMPONENTS))]
    tables["cost_components"] = pd.DataFrame({"Component": components})

    tables["positions"] = _positions(data, legal_entities)
    months = [pd.Timestamp(dt.date(data.month.year, m, 1)) for m in range(1, 13)]
    tables["hedge_months"] = pd.DataFrame({"Month": months})
    tables["clicks"] = _clicks(data, legal_entities)
    tables["click_prices"] = _click_groups(tables["clicks"])
    tables["provenance"] = pd.DataFrame(
        data.provenance, columns=["Dataset", "Source", "Fetched at (UTC)", "Filters", "Rows"]
    )
    return tables, flagged


def _last_day(end: pd.Series) -> pd.Series:
    """An exclusive end (local midnight after the period) as the period's last day."""
    if end.empty:
        return end
    return pd.to_datetime(end) - pd.Timedelta(days=1)


def _metered(data: MonthData, invoices: pd.DataFrame) -> list[float]:
    """Per invoice: the meter's actual MWh over its billing period ``[periodStart, periodEnd)``."""
    if invoices.empty:
        return []
    vol = data.metered
    if vol.empty:
        return [0.0] * len(invoices)
    mwh = to_mwh(vol["value"], _col(vol, "unit")).to_numpy()
    local = vol["startLocal"].to_numpy()
    positions = vol.reset_index(drop=True).groupby("meterId", sort=False).indices
    by_meter: dict[str, np.ndarray] = {str(m): idx for m, idx in positions.items()}
    out: list[float] = []
    for meter, start, end in zip(
        invoices["meterId"], invoices["periodStart"], invoices["periodEnd"], strict=True
    ):
        idx = by_meter.get(str(meter))
        if idx is None or pd.isna(start) or pd.isna(end):
            out.append(0.0)
            continue
        times = local[idx]
        inside = (times >= np.datetime64(start)) & (times < np.datetime64(end))
        out.append(float(mwh[idx][inside].sum()))
    return out


def _positions(data: MonthData, entity_ids: Sequence[str] | None) -> pd.DataFrame:
    pf = data.portfolios
    if entity_ids is not None and not pf.empty:
        pf = pf.loc[pf["legalEntityId"].isin(list(entity_ids))]
    pos = data.positions
    if not pos.empty:
        year_start = pd.Timestamp(data.month.year_start)
        year_end = pd.Timestamp(data.month.year_end)
        local = pos["periodStartLocal"]
        pos = pos.loc[pos["portfolioId"].isin(set(pf["id"])) & (local >= year_start)]
        pos = pos.loc[pos["periodStartLocal"] < year_end]
        pos = pos.sort_values(["portfolioId", "periodStart"], kind="stable")
    pf_name = dict(zip(pf["id"], pf["name"], strict=False))
    _check_commodities(pf["commodity"], "A portfolio", "portfolios")
    pf_commodity = dict(zip(pf["id"], pf["commodity"], strict=False))
    return pd.DataFrame(
        {
            "Portfolio": _col(pos, "portfolioId"),
            "Portfolio name": _col(pos, "portfolioId").map(pf_name),
            "Commodity": _col(pos, "portfolioId").map(pf_commodity),
            "Month": _col(pos, "periodStartLocal"),
            "Forecast MWh": _col(pos, "forecastVolumeMWh"),
            "Hedged MWh": _col(pos, "hedgedVolumeMWh"),
            "Open MWh": _col(pos, "openVolumeMWh"),
            "Hedge ratio": _col(pos, "hedgeRatio"),
            "Avg hedge price": _col(pos, "averageHedgePriceEurPerMWh"),
        }
    ).reset_index(drop=True)


def _clicks(data: MonthData, entity_ids: Sequence[str] | None) -> pd.DataFrame:
    clicks = data.clicks
    if not clicks.empty:
        clicks = clicks.loc[_in_month(clicks["executedAtLocal"], data.month)]
        if entity_ids is not None:
            contracts = data.contracts
            own = set(contracts.loc[contracts["legalEntityId"].isin(list(entity_ids)), "id"])
            clicks = clicks.loc[clicks["contractId"].isin(own)]
        clicks = clicks.sort_values(["executedAt", "id"], kind="stable")
    contracts = data.contracts
    commodity = (
        dict(zip(contracts["id"], contracts["commodity"], strict=False))
        if not contracts.empty
        else {}
    )
    of_click = _col(clicks, "contractId").map(commodity)
    _check_commodities(of_click, "A contract", "contracts")
    start = _col(clicks, "deliveryStart")
    years = pd.to_datetime(start).dt.year.astype("Int64") if len(start) else start
    return pd.DataFrame(
        {
            "Click": _col(clicks, "id"),
            "Contract": _col(clicks, "contractId"),
            "Commodity": of_click,
            "Product": _col(clicks, "product"),
            "Profile": _col(clicks, "loadProfile"),
            "Delivery start": start,
            "Delivery end": _last_day(_col(clicks, "deliveryEnd")),
            "Delivery year": years,
            "Executed": _col(clicks, "executedAtLocal"),
            "MW": _col(clicks, "volumeMW"),
            "MWh": _col(clicks, "volumeMWh"),
            "EUR/MWh": _col(clicks, "priceEurPerMWh"),
            "Status": _col(clicks, "status"),
        }
    ).reset_index(drop=True)


def _click_groups(clicks: pd.DataFrame) -> pd.DataFrame:
    """One row per commodity and delivery year of the month's clicks (the Summary's table)."""
    if clicks.empty:
        return pd.DataFrame({"Commodity": [], "Delivery year": []})
    known = clicks.dropna(subset=["Commodity", "Delivery year"])
    pairs = sorted(
        {(str(c), int(y)) for c, y in zip(known["Commodity"], known["Delivery year"], strict=True)},
        key=lambda p: (_commodity_order(p[0]), p[1]),
    )
    return pd.DataFrame(
        {"Commodity": [c for c, _ in pairs], "Delivery year": [y for _, y in pairs]}
    )


def _commodity_order(commodity: str) -> int:
    return COMMODITIES.index(commodity) if commodity in COMMODITIES else len(COMMODITIES)


def click_prices(clicks: pd.DataFrame, groups: pd.DataFrame) -> dict[str, list[Any]]:
    """Per row of ``groups``: clicks, MWh (one decimal) and MWh-weighted price (two decimals,
    None without MWh) — what the Summary's click table computes."""
    out: dict[str, list[Any]] = {"Clicks": [], "MWh": [], "Avg EUR/MWh": []}
    mwh = pd.to_numeric(clicks["MWh"], errors="coerce").fillna(0.0) if len(clicks) else None
    price = pd.to_numeric(clicks["EUR/MWh"], errors="coerce").fillna(0.0) if len(clicks) else None
    for commodity, year in zip(groups["Commodity"], groups["Delivery year"], strict=True):
        if mwh is None or price is None:
            out["Clicks"].append(0)
            out["MWh"].append(0.0)
            out["Avg EUR/MWh"].append(None)
            continue
        rows = (clicks["Commodity"] == commodity) & (clicks["Delivery year"] == year)
        rows = rows.fillna(False).astype(bool)
        total = float(mwh[rows].sum())
        out["Clicks"].append(int(rows.sum()))
        out["MWh"].append(rounded(total, 1))
        out["Avg EUR/MWh"].append(_rounded_ratio(float((mwh[rows] * price[rows]).sum()), total, 2))
    return out


def _rounded_ratio(a: float, b: float, decimals: int) -> float | None:
    return rounded(_ratio(a, b), decimals)


# ---- figures --------------------------------------------------------------------------------


def _sum(values: pd.Series) -> float:
    return float(pd.to_numeric(values, errors="coerce").fillna(0.0).sum())


def _ratio(a: float, b: float) -> float | None:
    return a / b if b and math.isfinite(a / b) else None


def summary_figures(
    tables: dict[str, pd.DataFrame], month: ReportMonth, flagged: Sequence[str]
) -> dict[str, float | int | None]:
    """The Summary figures (keys ``hedge_ratio.power``, ``cost_eur``, …, see
    :func:`~ecore_xl.report.summary.figure_keys`), computed in Python the way the Summary formulas
    compute them and rounded as they round; ``flagged`` is the flagged invoices' ids."""
    pos = tables["positions"]
    this = pos.loc[pd.to_datetime(pos["Month"]) == pd.Timestamp(month.start)] if len(pos) else pos
    flagged_ids = set(flagged)
    invoices = tables["invoices"]
    over = [over_hedged(r, o) for r, o in zip(pos["Hedge ratio"], pos["Open MWh"], strict=True)]

    def rows(frame: pd.DataFrame, commodity: str | None) -> pd.DataFrame:
        return frame if commodity is None else frame.loc[frame["Commodity"] == commodity]

    def unrounded(key: str, c: str | None) -> float | int | None:
        consumption = _sum(rows(tables["consumption"], c)["MWh"])
        cost = _sum(rows(tables["costs"], c)["EUR"])
        here = rows(this, c)
        if key == "consumption_mwh":
            return consumption
        if key == "cost_eur":
            return cost
        if key == "avg_cost_eur_per_mwh":
            return _ratio(cost, consumption)
        if key == "hedge_ratio":
            return _ratio(_sum(here["Hedged MWh"]), _sum(here["Forecast MWh"]))
        if key == "open_volume_mwh":
            return _sum(here["Open MWh"])
        if key == "over_hedged_months":
            mine = pos["Commodity"] == c if c is not None else pd.Series(True, index=pos.index)
            return int(sum(o for o, m in zip(over, mine, strict=True) if m))
        mine_inv = rows(invoices, c)
        if key == "invoice_count":
            return len(mine_inv)
        if key == "flagged_invoices":
            return int(mine_inv["Invoice"].astype("str").isin(flagged_ids).sum())
        raise KeyError(key)

    out: dict[str, float | int | None] = {}
    for figure in FIGURES:
        for c in figure.columns():
            value = unrounded(figure.key, c)
            if isinstance(value, float):
                value = rounded(value, figure.decimals)
            out[figure.key_of(c)] = value
    return out
