"""The Summary's figures: what each is, per commodity (never blended) or in total, and its rounding.

One declaration per figure serves every surface: the template's formula and number format
(``templates/build_monthly_report.py``), the value computed in Python and cached with the formula
(:func:`~ecore_xl.report.figures.summary_figures`), ``ReportResult.figures`` and the lines the
command line prints (:func:`figure_text`); the PNG of the README is the workbook printed.

**The rounding rule, decided once**: a figure is rounded to ``decimals`` places, half away from
zero (Excel's ``ROUND``), once — in the formula itself (``ROUND(…, decimals)``), in the cached
value (:func:`rounded`) and in the printed text — and its number format shows exactly those
places. A ratio is rounded from the unrounded sums, never from rounded figures. MWh have one
decimal, EUR none, EUR/MWh two, a hedge ratio a tenth of a percent (three decimals of the
fraction), counts none. The tables below the Summary keep every number as the API sent it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ecore_xl.report.schema import COMMODITIES, FLAG_TEXT, FMT, OVER_HEDGED_TEXT

__all__ = [
    "FIGURES",
    "NOT_AVAILABLE",
    "Figure",
    "figure_keys",
    "figure_text",
    "rounded",
    "summary_lines",
]

#: what a ratio shows when its denominator is zero
NOT_AVAILABLE = "n/a"


@dataclass(frozen=True)
class Figure:
    """One Summary row: a value per commodity (and a total where adding up means something)."""

    key: str
    label: str
    #: stem of the defined names of its cells: ``HedgeRatio`` -> ``HedgeRatioPower``, ...
    name: str
    decimals: int
    fmt: str
    how: str
    total: bool = False
    percent: bool = False

    def key_of(self, commodity: str | None) -> str:
        """``hedge_ratio.power``; the total is the key itself (``cost_eur``)."""
        return self.key if commodity is None else f"{self.key}.{commodity}"

    def name_of(self, commodity: str | None) -> str:
        """The defined name of the cell: ``HedgeRatioPower``; the total's is ``CostEUR``."""
        return self.name if commodity is None else f"{self.name}{commodity.title()}"

    def columns(self) -> tuple[str | None, ...]:
        """The commodities it is shown for, then None for the total (if it has one)."""
        return (*COMMODITIES, *((None,) if self.total else ()))

    def formula(self, commodity: str | None) -> str:
        """The cell's Excel formula, rounded as :func:`rounded` rounds its cached value."""
        return _FORMULAS[self.key](commodity, self.decimals)


FIGURES: tuple[Figure, ...] = (
    Figure(
        "consumption_mwh",
        "Consumption (MWh)",
        "ConsumptionMWh",
        1,
        FMT["mwh1"],
        "metered MWh of the month (Consumption)",
    ),
    Figure(
        "cost_eur",
        "Cost (EUR, net)",
        "CostEUR",
        0,
        FMT["eur0"],
        "invoice lines on Costs (net)",
        total=True,
    ),
    Figure(
        "avg_cost_eur_per_mwh",
        "Average cost (EUR/MWh)",
        "AvgCostEURperMWh",
        2,
        FMT["price"],
        "cost ÷ consumption",
    ),
    Figure(
        "hedge_ratio",
        "Hedge ratio",
        "HedgeRatio",
        3,
        FMT["pct"],
        "hedged ÷ forecast MWh of the month (Hedging)",
        percent=True,
    ),
    Figure(
        "open_volume_mwh",
        "Open volume (MWh)",
        "OpenVolumeMWh",
        1,
        FMT["mwh1"],
        "forecast − hedged MWh of the month (below 0: over-hedged)",
    ),
    Figure(
        "over_hedged_months",
        "Over-hedged months",
        "OverHedgedMonths",
        0,
        FMT["int"],
        "portfolio months of the year hedged over 100 % (Hedging)",
        total=True,
    ),
    Figure(
        "invoice_count",
        "Invoices",
        "InvoiceCount",
        0,
        FMT["int"],
        "billing period starting in the month (Invoices)",
        total=True,
    ),
    Figure(
        "flagged_invoices",
        "Flagged invoices",
        "FlaggedInvoices",
        0,
        FMT["int"],
        "invoiced MWh off the metered MWh by more than the threshold",
        total=True,
    ),
)


def figure_keys() -> list[str]:
    """Every key of ``ReportResult.figures``, in Summary order."""
    return [f.key_of(c) for f in FIGURES for c in f.columns()]


def rounded(value: float | None, decimals: int) -> float | None:
    """``value`` rounded to ``decimals`` places, half away from zero, as Excel's ``ROUND``
    (from its shortest decimal text, so 2.675 rounds to 2.68 as Excel shows it)."""
    if value is None:
        return None
    step = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(float(value))).quantize(step, rounding=ROUND_HALF_UP))


def figure_text(figure: Figure, value: float | int | str | None) -> str:
    """The figure as the Summary shows it (same rounding), for a terminal."""
    if value is None or isinstance(value, str):
        return NOT_AVAILABLE
    if figure.percent:
        return f"{value * 100:.{max(figure.decimals - 2, 0)}f} %"
    return f"{value:,.{figure.decimals}f}"


def summary_lines(
    figures: Mapping[str, float | int | None],
    *,
    click_prices: Sequence[tuple[str, int, int, float, float | None]] = (),
    flagged: Sequence[str] = (),
    over_hedged: Sequence[tuple[str, str, str]] = (),
) -> list[str]:
    """The Summary as terminal lines: the figures per commodity (and total), the clicks per
    commodity and delivery year, what is flagged — rounded as the workbook shows them."""
    heads = [c.title() for c in COMMODITIES] + ["Total"]
    lines = ["  " + " " * 28 + "".join(f"{h:>12}" for h in heads)]
    for figure in FIGURES:
        cells = [
            figure_text(figure, figures.get(figure.key_of(c))) if c is not None or figure.total
            else ""
            for c in (*COMMODITIES, None)
        ]  # fmt: skip
        lines.append(f"  {figure.label:<28}" + "".join(f"{t:>12}" for t in cells).rstrip())
    if click_prices:
        lines.append("  Clicks executed in the month, per commodity and delivery year:")
    for commodity, year, count, mwh, price in click_prices:
        avg = NOT_AVAILABLE if price is None else f"{price:,.2f} EUR/MWh"
        clicks = f"{count} click{'s' if count != 1 else ''}"
        lines.append(f"    {commodity} {year}: {clicks}, {mwh:,.1f} MWh, {avg}")
    if flagged:
        lines.append(f"  Flagged invoices: {', '.join(flagged)}")
    if over_hedged:
        said = ", ".join(f"{p} ({c}) {m}" for p, c, m in over_hedged)
        lines.append(f"  Over-hedged: {said}")
    return lines


# ---- the formulas -----------------------------------------------------------------------------


def _where(column: str, table: str, commodity: str | None) -> str:
    return "" if commodity is None else f',{table}[{column}],"{commodity}"'


def _sum(table: str, column: str, commodity: str | None, *, month: bool = False) -> str:
    """``SUMIFS`` of a table column over the commodity's rows (and the report month's)."""
    crit = ",tblPositions[Month],ReportMonth" if month else ""
    where = _where("Commodity", table, commodity)
    if not crit and not where:
        return f"SUM({table}[{column}])"
    return f"SUMIFS({table}[{column}]{crit}{where})"


def _round(expr: str, decimals: int) -> str:
    return f"ROUND({expr},{decimals})"


def _ratio(top: str, bottom: str, decimals: int) -> str:
    return f'=IF({bottom}=0,"{NOT_AVAILABLE}",{_round(f"{top}/{bottom}", decimals)})'


def _count(table: str, criteria: str, commodity: str | None) -> str:
    where = _where("Commodity", table, commodity)
    if criteria:
        return f"=COUNTIFS({criteria}{where})"
    if commodity is None:
        return f"=COUNTA({table}[Invoice])"
    return f"=COUNTIFS({where.lstrip(',')})"


_FORMULAS: dict[str, Callable[[str | None, int], str]] = {
    "consumption_mwh": lambda c, d: "=" + _round(_sum("tblConsumption", "MWh", c), d),
    "cost_eur": lambda c, d: "=" + _round(_sum("tblCosts", "EUR", c), d),
    "avg_cost_eur_per_mwh": lambda c, d: _ratio(
        _sum("tblCosts", "EUR", c), _sum("tblConsumption", "MWh", c), d
    ),
    "hedge_ratio": lambda c, d: _ratio(
        _sum("tblPositions", "Hedged MWh", c, month=True),
        _sum("tblPositions", "Forecast MWh", c, month=True),
        d,
    ),
    "open_volume_mwh": lambda c, d: "="
    + _round(_sum("tblPositions", "Open MWh", c, month=True), d),
    "over_hedged_months": lambda c, _d: _count(
        "tblPositions", f'tblPositions[Flag],"{OVER_HEDGED_TEXT}"', c
    ),
    "invoice_count": lambda c, _d: _count("tblInvoices", "", c),
    "flagged_invoices": lambda c, _d: _count("tblInvoices", f'tblInvoices[Flag],"{FLAG_TEXT}"', c),
}
