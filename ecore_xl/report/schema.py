"""What a report template may ask for: its tables (with columns) and its cell placeholders.

One declaration serves the template builder (``templates/build_monthly_report.py``), the filler
and the documentation (``templates/README.md``). A table is marked in a template by a defined
name ``ecore.<table>``; its columns are chosen by the template's header cells, matched to the
``header`` texts below. A column with a ``formula`` is written as an Excel formula per row:
``{Header}`` stands for the cell of that column in the same row, so the workbook shows how the
number is made (e.g. an invoice's deviation from the metered volume).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ecore_xl.catalogue.builtin import COMMODITY
from ecore_xl.number_formats import NUMBER_FORMATS

__all__ = [
    "COMMODITIES",
    "FLAG_TEXT",
    "FMT",
    "MARKER_PREFIX",
    "OVER_HEDGED_TEXT",
    "PLACEHOLDERS",
    "TABLES",
    "THRESHOLD_NAME",
    "Column",
    "ReportTable",
    "table_spec",
]

#: defined names that start with this mark where a table starts (``ecore.consumption``)
MARKER_PREFIX = "ecore."
#: workbook-level defined name the invoice flag formulas compare against
THRESHOLD_NAME = "FlagThreshold"
#: what the Flag column of the invoice check shows for a suspicious invoice
FLAG_TEXT = "CHECK"
#: what the Flag column of the positions shows for an over-hedged month (ratio > 100 %, or a
#: negative open volume)
OVER_HEDGED_TEXT = "OVER"
#: the commodities the report shows side by side, never blended into one figure (the catalogue's
#: ``commodity`` values; a row with another one stops the report, naming the declaration)
COMMODITIES: tuple[str, ...] = COMMODITY

#: number formats used by the built-in template and as defaults for a template's blank style row
FMT = NUMBER_FORMATS

_REF = re.compile(r"\{([^{}]+)\}")


@dataclass(frozen=True)
class Column:
    """One column of a report table; ``header`` is its name in the template and in formulas."""

    header: str
    fmt: str = FMT["general"]
    width: float = 12.0
    formula: str | None = None
    doc: str = ""

    def formula_refs(self) -> list[str]:
        """The headers a formula column refers to (``{Metered MWh}`` → ``Metered MWh``)."""
        return _REF.findall(self.formula or "")


@dataclass(frozen=True)
class ReportTable:
    """A table the report can fill: marker name, default Excel table name and its columns."""

    name: str
    table: str
    sheet: str
    columns: tuple[Column, ...]
    doc: str

    @property
    def marker(self) -> str:
        """The defined name that marks the table in a template."""
        return MARKER_PREFIX + self.name

    def column(self, header: str) -> Column | None:
        """The column whose header is ``header`` (case- and space-insensitive), or None."""
        wanted = _fold(header)
        for col in self.columns:
            if _fold(col.header) == wanted:
                return col
        return None

    def headers(self) -> list[str]:
        """All column headers in default order."""
        return [c.header for c in self.columns]


def _fold(text: str) -> str:
    return " ".join(str(text).split()).casefold()


C = Column


def _hedge_month_columns() -> tuple[Column, ...]:
    """Per commodity: forecast, hedged and open MWh and the hedge ratio of each month."""
    out: list[Column] = []
    for c in COMMODITIES:
        name = c.title()
        where = f'tblPositions[Month],{{Month}},tblPositions[Commodity],"{c}"'
        for what in ("Forecast", "Hedged", "Open"):
            out.append(
                C(
                    f"{name} {what.lower()} MWh",
                    FMT["mwh"],
                    width=14,
                    formula=f"=SUMIFS(tblPositions[{what} MWh],{where})",
                )
            )
        out.append(
            C(
                f"{name} hedge ratio",
                FMT["pct"],
                width=11,
                formula=f'=IF({{{name} forecast MWh}}=0,"",'
                f"{{{name} hedged MWh}}/{{{name} forecast MWh}})",
            )
        )
    return tuple(out)


TABLES: tuple[ReportTable, ...] = (
    ReportTable(
        "structure",
        "tblStructure",
        "Structure",
        (
            C("Legal entity ID", width=13),
            C("Legal entity", width=28),
            C("Business unit ID", width=14),
            C("Business unit", width=26),
            C("Cost center", width=12),
            C("Meter", width=11),
            C("Meter number", FMT["text"], width=36),
            C("Meter name", width=28),
            C("Commodity", width=11),
            C("City", width=16),
            C("Annual MWh", FMT["mwh"], width=13),
        ),
        "legal entity → business unit → meter, one row per meter",
    ),
    ReportTable(
        "consumption",
        "tblConsumption",
        "Consumption",
        (
            C("Start", FMT["date"], width=17, doc="local start of the interval (day by default)"),
            C("Meter", width=11),
            C("Meter name", width=28),
            C("Commodity", width=11),
            C("MWh", FMT["mwh"], width=13, doc="actual metered volume"),
            C("Quality", width=11, doc="measured or estimated"),
        ),
        "metered (actual) volume per meter and day (or finer interval) of the month",
    ),
    ReportTable(
        "daily",
        "tblDaily",
        "Consumption",
        (
            C("Day", FMT["date"], width=12),
            *(
                C(
                    f"{c.title()} MWh",
                    FMT["mwh"],
                    width=13,
                    formula=f'=SUMIFS(tblConsumption[MWh],tblConsumption[Commodity],"{c}",'
                    'tblConsumption[Start],">="&{Day},tblConsumption[Start],"<"&({Day}+1))',
                    doc=f"sum of the day's {c} rows of tblConsumption",
                )
                for c in COMMODITIES
            ),
        ),
        "consumption per local day and commodity, all meters (chart source)",
    ),
    ReportTable(
        "costs",
        "tblCosts",
        "Costs",
        (
            C("Invoice", width=12),
            C("Invoice number", width=16),
            C("Meter", width=11),
            C("Meter name", width=28),
            C("Commodity", width=11, doc="the meter's"),
            C("Component", width=12, doc="energy, grid, taxes, levies or other"),
            C("Quantity", FMT["mwh"], width=12),
            C("Unit", width=8),
            C("Unit price", FMT["price"], width=11),
            C("EUR", FMT["eur"], width=14, doc="net amount of the line"),
        ),
        "invoice lines of the month's invoices, by component and meter",
    ),
    ReportTable(
        "cost_components",
        "tblCostByComponent",
        "Costs",
        (
            C("Component", width=12),
            *(
                C(
                    f"{c.title()} EUR",
                    FMT["eur0"],
                    width=14,
                    formula=f'=SUMIFS(tblCosts[EUR],tblCosts[Component],{{Component}},'
                    f'tblCosts[Commodity],"{c}")',
                    doc=f"sum of tblCosts for the component, {c} meters",
                )
                for c in COMMODITIES
            ),
            C(
                "EUR",
                FMT["eur0"],
                width=14,
                formula="=SUMIFS(tblCosts[EUR],tblCosts[Component],{Component})",
                doc="sum of tblCosts for the component, all meters",
            ),
        ),
        "cost per invoice component and commodity (chart source)",
    ),
    ReportTable(
        "hedge_months",
        "tblHedgeByMonth",
        "Hedging",
        (C("Month", FMT["month"], width=11), *_hedge_month_columns()),
        "positions of all portfolios summed per commodity and month of the year (chart source)",
    ),
    ReportTable(
        "positions",
        "tblPositions",
        "Hedging",
        (
            C("Portfolio", width=10),
            C("Portfolio name", width=24),
            C("Commodity", width=11),
            C("Month", FMT["month"], width=11),
            C("Forecast MWh", FMT["mwh"], width=14),
            C("Hedged MWh", FMT["mwh"], width=14),
            C("Open MWh", FMT["mwh"], width=14),
            C("Hedge ratio", FMT["pct"], width=11),
            C("Avg hedge price", FMT["price"], width=14, doc="EUR/MWh"),
            C(
                "Flag",
                width=8,
                formula='=IF(OR(AND(ISNUMBER({Open MWh}),{Open MWh}<0),'
                f'AND(ISNUMBER({{Hedge ratio}}),{{Hedge ratio}}>1)),"{OVER_HEDGED_TEXT}","")',
                doc=f"{OVER_HEDGED_TEXT} when the month is over-hedged (ratio > 100 %, "
                "negative open volume)",
            ),
        ),
        "hedge position per portfolio and month of the report month's year",
    ),
    ReportTable(
        "clicks",
        "tblClicks",
        "Hedging",
        (
            C("Click", width=12),
            C("Contract", width=10),
            C("Commodity", width=11, doc="the contract's"),
            C("Product", width=14),
            C("Profile", width=8),
            C("Delivery start", FMT["date"], width=13),
            C("Delivery end", FMT["date"], width=13, doc="last day of delivery"),
            C("Delivery year", FMT["year"], width=9, doc="year of the delivery start"),
            C("Executed", FMT["datetime"], width=16, doc="local time"),
            C("MW", "#,##0.000", width=9),
            C("MWh", FMT["mwh"], width=13),
            C("EUR/MWh", FMT["price"], width=10),
            C("Status", width=10),
        ),
        "clicks (tranche purchases) executed in the month",
    ),
    ReportTable(
        "click_prices",
        "tblClickPrices",
        "Summary",
        (
            C("Commodity", width=11),
            C("Delivery year", FMT["year"], width=9),
            C(
                "Clicks",
                FMT["int"],
                width=8,
                formula='=IF({Commodity}="","",COUNTIFS(tblClicks[Commodity],{Commodity},'
                "tblClicks[Delivery year],{Delivery year}))",
            ),
            C(
                "MWh",
                FMT["mwh1"],
                width=13,
                formula='=IF({Commodity}="","",ROUND(SUMIFS(tblClicks[MWh],'
                "tblClicks[Commodity],{Commodity},tblClicks[Delivery year],{Delivery year}),1))",
            ),
            C(
                "Avg EUR/MWh",
                FMT["price"],
                width=12,
                formula='=IF({Commodity}="","",IF(SUMIFS(tblClicks[MWh],tblClicks[Commodity],'
                '{Commodity},tblClicks[Delivery year],{Delivery year})=0,"n/a",'
                "ROUND(SUMPRODUCT((tblClicks[Commodity]={Commodity})*"
                "(tblClicks[Delivery year]={Delivery year}),tblClicks[MWh],tblClicks[EUR/MWh])/"
                "SUMIFS(tblClicks[MWh],tblClicks[Commodity],{Commodity},"
                "tblClicks[Delivery year],{Delivery year}),2)))",
                doc="MWh-weighted price",
            ),
        ),
        "clicks executed in the month per commodity and delivery year: count, MWh, MWh-weighted "
        "price (never blended over commodities or years)",
    ),
    ReportTable(
        "invoices",
        "tblInvoices",
        "Invoices",
        (
            C("Invoice", width=12),
            C("Invoice number", width=16),
            C("Supplier", width=22),
            C("Meter", width=11),
            C("Meter name", width=26),
            C("Commodity", width=11, doc="the meter's"),
            C("Period from", FMT["date"], width=12),
            C("Period to", FMT["date"], width=12, doc="last day of the billing period"),
            C("Invoiced MWh", FMT["mwh"], width=14),
            C("Metered MWh", FMT["mwh"], width=14, doc="sum of actual volumes over the period"),
            C("Net EUR", FMT["eur"], width=14),
            C("Status", width=10),
            C(
                "Deviation MWh",
                FMT["mwh"],
                width=14,
                formula="={Invoiced MWh}-{Metered MWh}",
            ),
            C(
                "Deviation %",
                FMT["pct2"],
                width=12,
                formula='=IF({Metered MWh}=0,"",({Invoiced MWh}-{Metered MWh})/{Metered MWh})',
            ),
            C(
                "Flag",
                width=8,
                formula=f'=IF({{Metered MWh}}=0,IF({{Invoiced MWh}}=0,"","{FLAG_TEXT}"),'
                f"IF(ABS({{Invoiced MWh}}-{{Metered MWh}})>{THRESHOLD_NAME}*{{Metered MWh}},"
                f'"{FLAG_TEXT}",""))',
                doc=f"{FLAG_TEXT} when |deviation| exceeds the threshold",
            ),
        ),
        "invoiced consumption against metered volume per invoice of the month",
    ),
    ReportTable(
        "provenance",
        "tblProvenance",
        "Provenance",
        (
            C("Dataset", width=16),
            C("Source", width=48),
            C("Fetched at (UTC)", FMT["datetime"], width=18),
            C("Filters", width=60),
            C("Rows", FMT["int"], width=9),
        ),
        "where every table's data came from: API or snapshot, when, with which filters",
    ),
)

_BY_NAME = {t.name: t for t in TABLES}


def table_spec(name: str) -> ReportTable | None:
    """The table called ``name`` (case-insensitive), or None."""
    return _BY_NAME.get(name.strip().lower())


#: cell placeholders ``{{name}}`` and what they become
PLACEHOLDERS: dict[str, str] = {
    "month": "the report month as text, e.g. 2026-10",
    "month_name": "the month in words, e.g. October 2026",
    "month_start": "first day of the month (a date)",
    "month_end": "last day of the month (a date)",
    "legal_entity": "the legal entity's name, or 'All legal entities'",
    "legal_entity_id": "the legal entity's id (empty for all)",
    "threshold": "the invoice flag threshold as a fraction (format the cell as %)",
    "timezone": "the time zone of the month, e.g. Europe/Berlin",
    "granularity": "the interval of the consumption table (day, hour, quarterhour)",
    "generated_at": "local date and time the report was made",
    "source": "where the data came from (API base URL or snapshot folder)",
    "template": "file name of the template",
    "version": "ecore_xl version",
}
