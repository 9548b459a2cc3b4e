"""The built-in datasets: the endpoint table of ``ecore-api.md`` (a reconstruction; users override).

Field order is the column order on the sheet. Nested objects are declared flattened
(``address.city``); a timestamp field ``x`` also yields a local-time column ``xLocal``. Energy,
power, money and price fields declare their canonical unit (``unit``); volumes read the API's
unit from each record's ``unit``, as the contract says. The dialect is the default one
(:data:`~ecore_xl.catalogue.dialect.DEFAULT_DIALECT`: the contract).
"""

from __future__ import annotations

from dataclasses import replace

from ecore_xl.catalogue.faces import Choices, Wide, WorkbookSetting
from ecore_xl.catalogue.model import Dataset, Field, Filter, GranularityRule
from ecore_xl.number_formats import number_format

__all__ = ["DATASETS"]

# Allowed values in the API's spelling (the mock's, ecore_xl/mock/routes.py): an enum filter
# refuses anything else before a request, and folds case ("LegalEntity" -> "legalEntity").
COMMODITY = ("power", "gas")
CONTRACT_STATUS = ("active", "expired", "planned")
#: the ends of a structure edge (legal entity, business unit, meter, contract, portfolio)
ENTITY_TYPE = ("legalEntity", "businessUnit", "meter", "contract", "portfolio")
#: the contract lists no invoice statuses: these are the mock's (a catalogue file can widen them)
INVOICE_STATUS = ("paid", "open", "disputed")

_commodity = Filter(
    "commodity", "enum", allowed=COMMODITY, doc="power or gas", narrows="commodity"
)
_legal_entity = Filter(
    "legalEntityId",
    "id",
    doc="only this legal entity",
    setting=WorkbookSetting("legalEntity", "Legal entity", "legal entity id; empty: all", order=6),
    choices=Choices("legal-entities", "id", "name"),
    narrows="legalEntityId",
)
_meter = Filter(
    "meterId",
    "id",
    doc="only this meter",
    setting=WorkbookSetting(
        "meters", "Meters", "meter ids, comma-separated; empty: all meters (volumes)", order=3
    ),
    choices=Choices("meters", "id", "name"),
    narrows="meterId",
)
_contract = Filter(
    "contractId",
    "id",
    doc="only this contract",
    setting=WorkbookSetting(
        "contracts", "Contracts", "contract ids, comma-separated; empty: all", order=4
    ),
    choices=Choices("contracts", "id", "name"),
    narrows="contractId",
)
_portfolio_setting = WorkbookSetting(
    "portfolio", "Portfolio", "portfolio ids, comma-separated; empty: all (positions)", order=5
)
_portfolios = Choices("portfolios", "id", "name")
#: the settings sheet's rows (order): the period, meters, contracts, portfolio, legal entity,
#: granularity; a new sheet starts with last month
_FROM = WorkbookSetting("from", "From", "first day (inclusive), a date", "last_month", order=1)
_TO = WorkbookSetting(
    "to", "To", "the day after the last day (exclusive end), a date", "this_month", order=2
)
#: help made from the datasets' allowed values (volumes: quarterhour, …; positions: …)
_GRANULARITY = WorkbookSetting("granularity", "Granularity", order=7)


def _period(
    on: str, starts: str, ends: str | None = None, *, required: bool = False
) -> tuple[Filter, Filter]:
    """``from`` / ``to`` on the field ``starts``; with ``ends`` (a period's end field), a
    period overlapping ``[from, to)`` is in it: it ends after ``from`` and starts before ``to``."""
    return (
        Filter("from", "date", required=required, doc=f"{on} from (inclusive)", setting=_FROM,
               narrows=ends or starts),
        Filter("to", "date", required=required, doc=f"{on} until (exclusive)", setting=_TO,
               narrows=starts),
    )  # fmt: skip


#: canonical unit by the field's name ending (the contract names fields by their unit)
_UNIT_SUFFIXES = (("EurPerMWh", "EUR/MWh"), ("MWh", "MWh"), ("MW", "MW"), ("Amount", "EUR"))
#: fields that end a period: exclusive in the product (the first day after the period)
_PERIOD_ENDS = frozenset({"deliveryEnd", "periodEnd", "validTo"})


def _f(spec: str, doc: str = "") -> Field:
    """``"name"``, ``"name:type"`` or ``"name:type:fmt"`` (fmt: a name of NUMBER_FORMATS)."""
    name, _, rest = spec.partition(":")
    kind, _, fmt = rest.partition(":")
    unit = next((u for suffix, u in _UNIT_SUFFIXES if name.endswith(suffix)), None)
    return Field(
        name,
        kind or "text",  # type: ignore[arg-type]
        doc,
        unit=unit if kind == "number" else None,
        ends_period=name in _PERIOD_ENDS,
        fmt=number_format(fmt),
    )


def _fields(*specs: str) -> tuple[Field, ...]:
    return tuple(_f(s) for s in specs)


def _ds(
    name: str,
    path: str,
    description: str,
    filters: tuple[Filter, ...],
    fields: tuple[Field, ...],
    *,
    sheet: str,
    key: str | None = "id",
    **extra: object,
) -> Dataset:
    stem = sheet.replace(" ", "")
    return Dataset(
        name=name,
        path=path,
        description=description,
        filters=filters,
        fields=fields,
        key=key,
        sheet=sheet,
        table="tbl" + stem,
        function="ECORE_" + name.replace("-", "_").upper(),
        **extra,  # type: ignore[arg-type]
    )


_INVOICE_FILTERS = (
    *_period("billing period", "periodStart", "periodEnd"),
    _meter,
    _legal_entity,
    Filter("supplier", doc="only this supplier"),
    Filter("status", "enum", allowed=INVOICE_STATUS, doc="invoice status", narrows="status"),
)

DATASETS: tuple[Dataset, ...] = (
    _ds(
        "legal-entities",
        "/legal-entities",
        "Legal entities (companies) of the customer",
        (),
        _fields("id", "name", "country", "vatId"),
        sheet="LegalEntities",
    ),
    _ds(
        "business-units",
        "/business-units",
        "Business units (sites, cost centres) of the legal entities",
        (_legal_entity,),
        _fields("id", "name", "legalEntityId", "costCenter"),
        sheet="BusinessUnits",
    ),
    _ds(
        "meters",
        "/meters",
        "Metering points with address and annual consumption",
        (
            Filter(
                "businessUnitId",
                "id",
                doc="only this business unit",
                choices=Choices("business-units", "id", "name"),
                narrows="businessUnitId",
            ),
            _commodity,
        ),
        _fields(
            "id",
            "meterNumber",
            "name",
            "commodity",
            "businessUnitId",
            "gridOperator",
            "address.street",
            "address.postalCode",
            "address.city",
            "address.country",
            "annualConsumptionMWh:number:mwh",
        ),
        sheet="Meters",
    ),
    _ds(
        "relationships",
        "/relationships",
        "Structure edges: legal entity > business unit > meter, meter/portfolio <> contract",
        (
            Filter(
                "entityType",
                "enum",
                allowed=ENTITY_TYPE,
                doc="entity type at either end of an edge",
            ),
            Filter("entityId", "id", doc="edges touching this entity"),
        ),
        _fields(
            "parentType",
            "parentId",
            "childType",
            "childId",
            "validFrom:date",
            "validTo:date",
        ),
        sheet="Relationships",
        key=None,
    ),
    _ds(
        "contracts",
        "/contracts",
        "Supply contracts (pricing model fixed/tranche/spot/index)",
        (
            _commodity,
            Filter(
                "status", "enum", allowed=CONTRACT_STATUS, doc="contract status", narrows="status"
            ),
            _legal_entity,
            Filter("activeOn", "date", doc="contracts delivering on this day"),
        ),
        (
            *_fields(
                "id",
                "contractNumber",
                "name",
                "commodity",
                "supplier",
                "legalEntityId",
                "portfolioId",
            ),
            Field("pricingModel", "text", "fixed, tranche, spot or index"),
            Field("status", "text", "active, expired or planned"),
            *_fields(
                "deliveryStart:date",
                "deliveryEnd:date",
                "currency",
                "contractedVolumeMWh:number:mwh",
                "meterIds:list",
            ),
        ),
        sheet="Contracts",
        default_refresh=True,
    ),
    _ds(
        "clicks",
        "/clicks",
        "Executed clicks (tranche purchases) on contracts",
        (
            _contract,
            Filter(
                "portfolioId",
                "id",
                doc="only this portfolio",
                setting=_portfolio_setting,
                choices=_portfolios,
            ),
            *_period("executedAt", "executedAt"),
        ),
        (
            *_fields("id", "contractId"),
            Field("product", "text", "e.g. Cal-27 Base, Q1-27 Peak, M03-27 Base"),
            Field("productType", "text", "year, quarter or month"),
            Field("loadProfile", "text", "base or peak"),
            *_fields(
                "deliveryStart:date",
                "deliveryEnd:date",
                "executedAt:timestamp",
                "volumeMW:number:mw",
                "volumeMWh:number:mwh",
                "sharePercent:number:number2",
                "priceEurPerMWh:number:price",
                "currency",
                "status",
            ),
        ),
        sheet="Clicks",
        default_refresh=True,
    ),
    _ds(
        "volumes",
        "/volumes",
        "Interval volumes (actual or forecast) of a meter or a contract",
        (
            _meter,
            replace(_contract, doc="all meters of this contract", narrows=None),
            *_period("interval start", "start", required=True),
            Filter(
                "granularity",
                "enum",
                default="hour",
                allowed=("quarterhour", "hour", "day", "month"),
                setting=_GRANULARITY,
            ),
            Filter(
                "type", "enum", default="actual", allowed=("actual", "forecast"), narrows="type"
            ),
        ),
        (
            Field("meterId"),
            Field("start", "timestamp", "interval start (UTC)"),
            Field(
                "value",
                "number",
                "energy in the interval",
                unit="MWh",
                unit_field="unit",
                fmt=number_format("mwh"),
            ),
            Field("unit", "text", "the unit of value (MWh, converted from the API's)"),
            Field("type", "text", "actual or forecast"),
            Field("quality", "text", "measured or estimated"),
        ),
        sheet="Volumes",
        key=None,
        one_of=("meterId", "contractId"),
        chunk="month",
        granularity=GranularityRule(),
        positional=("meterId", "from", "to", "granularity", "layout"),
        wide=Wide(
            "start",
            "meterId",
            "value",
            "long (a row per interval) or wide (a column per meter).",
            WorkbookSetting(
                "layout",
                "Volume layout",
                "long (one row per meter and interval) or wide (one column per meter)",
            ),
        ),
        default_refresh=True,
    ),
    _ds(
        "portfolios",
        "/portfolios",
        "Procurement portfolios per commodity and delivery year",
        (_commodity, _legal_entity),
        _fields("id", "name", "commodity", "legalEntityId", "deliveryYear:integer", "currency"),
        sheet="Portfolios",
    ),
    _ds(
        "positions",
        "/portfolios/{portfolioId}/positions",
        "Hedge position of a portfolio per month or quarter",
        (
            Filter(
                "portfolioId",
                "id",
                required=True,
                doc="the portfolio",
                setting=_portfolio_setting,
                choices=_portfolios,
                narrows="portfolioId",
            ),
            Filter("granularity", "enum", allowed=("month", "quarter"), setting=_GRANULARITY),
            *_period("period start", "periodStart"),
        ),
        _fields(
            "portfolioId",
            "periodStart:timestamp",
            "forecastVolumeMWh:number:mwh",
            "hedgedVolumeMWh:number:mwh",
            "openVolumeMWh:number:mwh",
            "hedgeRatio:number:pct",
            "averageHedgePriceEurPerMWh:number:price",
        ),
        sheet="Positions",
        key=None,
        default_refresh=True,
    ),
    _ds(
        "invoices",
        "/invoices",
        "Supplier invoices: consumption and costs per billing period",
        _INVOICE_FILTERS,
        _fields(
            "id",
            "invoiceNumber",
            "supplier",
            "legalEntityId",
            "meterId",
            "contractId",
            "periodStart:date",
            "periodEnd:date",
            "issueDate:date",
            "dueDate:date",
            "consumptionMWh:number:mwh",
            "netAmount:number:amount",
            "taxAmount:number:amount",
            "grossAmount:number:amount",
            "currency",
            "status",
            "lines:list",
        ),
        sheet="Invoices",
        default_refresh=True,
    ),
    _ds(
        "invoice-lines",
        "/invoices",
        "Invoice lines (energy, grid, taxes, levies, other), one row per line",
        _INVOICE_FILTERS,
        (
            Field("invoiceId"),
            Field("component", "text", "energy, grid, taxes, levies or other"),
            Field("quantity", "number", "in unit", fmt=number_format("number2")),
            Field("unit"),
            Field("unitPrice", "number", "EUR per unit", fmt=number_format("price")),
            Field("amount", "number", unit="EUR", fmt=number_format("amount")),
        ),
        sheet="InvoiceLines",
        key=None,
        explode="lines",
        parent="invoices",
        parent_key="invoiceId",
    ),
)
