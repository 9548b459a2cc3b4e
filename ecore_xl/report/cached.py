"""What the report's formulas compute, as the cached values the workbook carries.

A spreadsheet program recalculates the formulas when it opens the report (the workbook asks it
to); a mail preview, a phone, pandas (``openpyxl``'s ``data_only``) or a BI tool shows what is
stored with each formula instead. So the writer stores, with every formula of the report, the
value it computes: the Summary figures (:func:`~ecore_xl.report.figures.summary_figures`) and
each formula column of :mod:`~ecore_xl.report.schema` (:func:`formula_columns`), computed from
the very tables that fill the workbook the way the formulas compute them (``SUMIFS`` of empty
cells is 0, ``IF(...,"")`` an empty text).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from ecore_xl.report.figures import click_prices, flag_invoice, over_hedged
from ecore_xl.report.schema import COMMODITIES, FLAG_TEXT, OVER_HEDGED_TEXT
from ecore_xl.report.summary import FIGURES, NOT_AVAILABLE

__all__ = ["NOT_AVAILABLE", "formula_columns", "named_values"]


def named_values(
    figures: Mapping[str, float | int | None], threshold: float
) -> dict[str, float | int | str]:
    """Defined name of each Summary figure's cell (and ``FlagThreshold``) -> its value."""
    out: dict[str, float | int | str] = {}
    for figure in FIGURES:
        for commodity in figure.columns():
            value = figures.get(figure.key_of(commodity))
            out[figure.name_of(commodity)] = NOT_AVAILABLE if value is None else value
    out["FlagThreshold"] = threshold
    return out


def _numbers(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce").astype("float64").fillna(0.0)


def _daily(tables: Mapping[str, pd.DataFrame], _threshold: float) -> dict[str, list[Any]]:
    rows = tables["consumption"]
    days = pd.to_datetime(tables["daily"]["Day"])
    out: dict[str, list[Any]] = {}
    start = pd.to_datetime(rows["Start"]).dt.floor("D") if len(rows) else None
    for c in COMMODITIES:
        if start is None:
            out[f"{c.title()} MWh"] = [0.0] * len(days)
            continue
        mine = (rows["Commodity"] == c).to_numpy()
        sums = _numbers(rows["MWh"])[mine].groupby(start[mine].to_numpy()).sum()
        out[f"{c.title()} MWh"] = [float(sums.get(day, 0.0)) for day in days]
    return out


def _cost_components(tables: Mapping[str, pd.DataFrame], _threshold: float) -> dict[str, list]:
    costs = tables["costs"]
    components = tables["cost_components"]["Component"]
    out: dict[str, list[Any]] = {}
    for c, header in [*((c, f"{c.title()} EUR") for c in COMMODITIES), (None, "EUR")]:
        mine = costs if c is None else costs.loc[costs["Commodity"] == c]
        sums = _numbers(mine["EUR"]).groupby(mine["Component"].to_numpy()).sum()
        out[header] = [float(sums.get(k, 0.0)) for k in components]
    return out


def _hedge_months(tables: Mapping[str, pd.DataFrame], _threshold: float) -> dict[str, list]:
    pos = tables["positions"]
    months = pd.to_datetime(tables["hedge_months"]["Month"])
    out: dict[str, list[Any]] = {}
    for c in COMMODITIES:
        name = c.title()
        mine = pos.loc[pos["Commodity"] == c] if len(pos) else pos
        keys = pd.to_datetime(mine["Month"]).to_numpy() if len(mine) else []
        for what in ("Forecast", "Hedged", "Open"):
            column = mine[f"{what} MWh"]
            sums = _numbers(column).groupby(keys).sum() if len(mine) else pd.Series(dtype=float)
            out[f"{name} {what.lower()} MWh"] = [float(sums.get(m, 0.0)) for m in months]
        out[f"{name} hedge ratio"] = [
            "" if f == 0 else h / f
            for f, h in zip(
                out[f"{name} forecast MWh"], out[f"{name} hedged MWh"], strict=True
            )
        ]
    return out


def _positions(tables: Mapping[str, pd.DataFrame], _threshold: float) -> dict[str, list]:
    pos = tables["positions"]
    if pos.empty:  # an empty table: one blank row
        return {"Flag": [""]}
    flags = zip(pos["Hedge ratio"], pos["Open MWh"], strict=True)
    return {"Flag": [OVER_HEDGED_TEXT if over_hedged(r, o) else "" for r, o in flags]}


def _click_prices(tables: Mapping[str, pd.DataFrame], _threshold: float) -> dict[str, list]:
    groups = tables["click_prices"]
    if groups.empty:  # one blank row, whose formulas show nothing
        return {"Clicks": [""], "MWh": [""], "Avg EUR/MWh": [""]}
    values = click_prices(tables["clicks"], groups)
    values["Avg EUR/MWh"] = [NOT_AVAILABLE if v is None else v for v in values["Avg EUR/MWh"]]
    return values


def _invoices(tables: Mapping[str, pd.DataFrame], threshold: float) -> dict[str, list]:
    inv = tables["invoices"]
    invoiced = _numbers(inv["Invoiced MWh"]).tolist() or [0.0]  # an empty table: one blank row
    metered = _numbers(inv["Metered MWh"]).tolist() or [0.0]
    pairs = list(zip(invoiced, metered, strict=True))
    return {
        "Deviation MWh": [i - m for i, m in pairs],
        "Deviation %": ["" if m == 0 else (i - m) / m for i, m in pairs],
        "Flag": [FLAG_TEXT if flag_invoice(i, m, threshold) else "" for i, m in pairs],
    }


_COLUMNS: dict[str, Callable[[Mapping[str, pd.DataFrame], float], dict[str, list[Any]]]] = {
    "daily": _daily,
    "cost_components": _cost_components,
    "hedge_months": _hedge_months,
    "positions": _positions,
    "click_prices": _click_prices,
    "invoices": _invoices,
}


def formula_columns(
    tables: Mapping[str, pd.DataFrame], threshold: float
) -> dict[str, dict[str, list[Any]]]:
    """Per report table, per formula column (by header): each row's value."""
    return {name: compute(tables, threshold) for name, compute in _COLUMNS.items()}
