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

from ecore_xl.report.figures import FIGURES, flag_invoice
from ecore_xl.report.schema import FLAG_TEXT

__all__ = ["NOT_AVAILABLE", "formula_columns", "named_values"]

#: what a Summary ratio shows when its denominator is zero (the template's formulas say so)
NOT_AVAILABLE = "n/a"


def named_values(
    figures: Mapping[str, float | int | None], threshold: float
) -> dict[str, float | int | str]:
    """Defined name of each Summary figure's cell (and ``FlagThreshold``) -> its value."""
    out: dict[str, float | int | str] = {
        name: NOT_AVAILABLE if figures.get(key) is None else figures[key]  # type: ignore[misc]
        for key, (_, name) in FIGURES.items()
    }
    out["FlagThreshold"] = threshold
    return out


def _numbers(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce").astype("float64").fillna(0.0)


def _daily(tables: Mapping[str, pd.DataFrame], _threshold: float) -> dict[str, list[Any]]:
    rows = tables["consumption"]
    days = pd.to_datetime(tables["daily"]["Day"])
    if rows.empty:
        return {"MWh": [0.0] * len(days)}
    start = pd.to_datetime(rows["Start"])
    sums = _numbers(rows["MWh"]).groupby(start.dt.floor("D").to_numpy()).sum()
    return {"MWh": [float(sums.get(day, 0.0)) for day in days]}


def _cost_components(tables: Mapping[str, pd.DataFrame], _threshold: float) -> dict[str, list]:
    costs = tables["costs"]
    sums = _numbers(costs["EUR"]).groupby(costs["Component"].to_numpy()).sum()
    return {"EUR": [float(sums.get(c, 0.0)) for c in tables["cost_components"]["Component"]]}


def _hedge_months(tables: Mapping[str, pd.DataFrame], _threshold: float) -> dict[str, list]:
    pos = tables["positions"]
    months = pd.to_datetime(tables["hedge_months"]["Month"])
    keys = pd.to_datetime(pos["Month"]).to_numpy() if len(pos) else []
    out: dict[str, list[Any]] = {}
    for header in ("Forecast MWh", "Hedged MWh", "Open MWh"):
        sums = _numbers(pos[header]).groupby(keys).sum() if len(pos) else pd.Series(dtype=float)
        out[header] = [float(sums.get(m, 0.0)) for m in months]
    out["Hedge ratio"] = [
        "" if f == 0 else h / f
        for f, h in zip(out["Forecast MWh"], out["Hedged MWh"], strict=True)
    ]
    return out


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
    "invoices": _invoices,
}


def formula_columns(
    tables: Mapping[str, pd.DataFrame], threshold: float
) -> dict[str, dict[str, list[Any]]]:
    """Per report table, per formula column (by header): each row's value."""
    return {name: compute(tables, threshold) for name, compute in _COLUMNS.items()}
