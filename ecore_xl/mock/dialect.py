"""The mock's dialects: one portfolio served the way several plausible APIs would serve it.

``docs/dialects.md`` is the specification; this docstring is its summary for whoever writes a
catalogue for a dialect (keep the two in step). Public surface::

    MockServer(dialect="paged")                      # a preset: "ecore" (default), "paged", "bare"
    MockServer(dialect="ecore", paging="offset",     # or one axis moved at a time
               ignore_params={"volumes": ["to"]}, gas_daily_only=True,
               field_renames={"contracts": {"id": "contractId"}},
               energy_unit="kWh", envelope="data.items")
    DIALECTS["paged"]                                # the presets, as Dialect declarations
    configure("paged", paging="none")               # what MockServer does with its switches
    MockServer(dialect=dataclasses.replace(ECORE, unknown_id="apim"))  # any other axis

Switches: ``paging`` is a name of :data:`PAGING_STYLES` (``paging_style`` is its old alias);
``ignore_params`` maps a dataset name (``"volumes"``), a path template (``"/volumes"``) or a path
to the parameters (in the dialect's spelling) the API then silently ignores (an ignored ``from`` /
``to`` of volumes means the whole portfolio span); ``gas_daily_only`` refuses quarter-hours and
hours for gas meters; ``field_renames`` maps a dataset (or ``"*"``) to ``{canonical: served}``
top-level field names (a flat ``{canonical: served}`` means every dataset); ``energy_unit`` is
``"MWh"`` or ``"kWh"``; ``envelope`` is ``"value"``, ``"data.items"`` or ``"bare"``.

What a catalogue needs per preset (``/v1`` is the base path in every one):

``ecore`` (default; ``shared/ecore-api.md`` exactly)
    ``{"value": [...]}``, single record bare; ``nextLink`` in the body (``top`` <= 1000); paths
    ``/legal-entities``, ``/business-units``, ``/meters``, ``/relationships``, ``/contracts``,
    ``/contracts/{id}``, ``/clicks``, ``/volumes``, ``/portfolios``,
    ``/portfolios/{id}/positions``, ``/invoices``, ``/invoices/{id}``; camelCase parameters,
    ``from``/``to`` (date or date-time with offset, ``[from, to)``), ``granularity``
    quarterhour/hour/day/month (positions month/quarter); camelCase fields with ``id``; MWh
    (``unit`` on volumes, ``...MWh`` names); UTC ``Z``; period ends exclusive; errors
    ``{"error": {"code", "message", "target"}}``; unknown id 404 "Meter 'X' was not found.".
``paged``
    ``{"data": {"items": [...]}, "meta": {"page", "pageSize", "totalPages", "totalItems"}}``,
    single ``{"data": {...}}``; ``page`` (1-based) and ``pageSize`` (<= 500); paths
    ``/structure/legal-entities``, ``/structure/business-units``, ``/structure/meters``,
    ``/structure/relationships``, ``/structure/meters/{meterId}/timeseries`` (volumes),
    ``/risk/contracts``, ``/risk/contracts/{contractId}``,
    ``/risk/contracts/{contractId}/clicks`` (no top-level clicks), ``/risk/portfolios``,
    ``/risk/portfolios/{portfolioId}/positions``, ``/billing/invoices``,
    ``/billing/invoices/{invoiceId}``; parameters as ``ecore`` but ``dateFrom``/``dateTo`` (dates;
    ``dateTo`` inclusive) and ``resolution`` PT15M/PT1H/P1D/P1M (positions P1M/P3M); gas meters
    P1D/P1M only (else 400 naming ``resolution``); ``id`` is ``<entity>Id`` (``legalEntityId``,
    ``businessUnitId``, ``meterId``, ``contractId``, ``clickId``, ``portfolioId``,
    ``invoiceId``); volumes one series per meter ``{"meterId", "unit": "kWh", "type",
    "resolution", "values": [{"timestamp", "value", "quality"}]}`` paged over ``values``
    (``items`` holds the one series, ``meta`` counts values); kWh with ``...KWh`` names
    (``annualConsumptionKWh``, ``contractedVolumeKWh``, ``volumeKWh``, ``consumptionKWh``,
    ``forecastVolumeKWh``, ``hedgedVolumeKWh``, ``openVolumeKWh``); instants with the local
    offset; period ends inclusive (the last day, ``YYYY-MM-DD``); errors RFC 7807
    ``application/problem+json`` ``{"type", "title", "status", "detail", "instance",
    "errors": {param: [message]}}``; unknown id 404 problem+json whose ``detail`` names it.
``bare``
    the body is the JSON array, single record bare; ``offset`` and ``limit`` (<= 1000), total in
    ``X-Total-Count``; paths ``/legal_entities``, ``/business_units``, ``/meters``,
    ``/relationships``, ``/contracts``, ``/contracts/{id}``, ``/clicks``, ``/volumes``,
    ``/portfolios``, ``/positions`` (``portfolio_id`` a query parameter), ``/invoices``,
    ``/invoices/{id}``; snake_case parameters (``meter_id``, ``contract_id``, ...);
    ``start``/``end`` epoch seconds, ``[start, end)`` (``active_on`` epoch seconds too);
    ``interval`` 15min/hourly/daily/monthly (positions monthly/quarterly); snake_case fields
    with ``id``; kWh said nowhere (``value``, ``consumption``, ``volume``,
    ``annual_consumption``, ``contracted_volume``, ``forecast_volume``, ``hedged_volume``,
    ``open_volume``; volumes have no ``unit``); instants and exclusive period ends as epoch
    milliseconds (integers); errors ``{"statusCode", "message"}``; unknown id 404
    "meter X not found".

Decisions the table of ``docs/dialects.md`` left open (also written there): energy quantities
are the ``...MWh`` fields plus a volume's ``value``; prices (``priceEurPerMWh``) stay EUR/MWh,
``volumeMW`` stays MW and invoice lines keep their own ``unit`` (MWh) in every dialect. Period
*starts* are timestamps (``deliveryStart``, ``periodStart``, ``validFrom``); plain dates
(``issueDate``, ``dueDate``) stay ``YYYY-MM-DD`` everywhere; field *values* (``legalEntity``,
``power``) are not translated. A series page is ``items: [one series]`` with ``meta`` counting
values. Paging keys go beside ``value`` or into ``meta``; a bare array has no room for them, so it
takes only header styles (``link``, ``offset``, ``cursor-header``, ``none``). A requested page
size above the style's maximum is a 400 naming the parameter (never silently capped); without
one, the server's ``page_size`` (capped at the maximum) applies. Vendor-style Postman collections
of each preset: :mod:`.postman_export` (``tests/fixtures/postman/dialect_<name>.json``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = [
    "BARE",
    "DATASETS",
    "DIALECTS",
    "ECORE",
    "PAGED",
    "PAGING_STYLES",
    "Dialect",
    "Paging",
    "Route",
    "configure",
]

#: the mock's datasets (the product's names); single records are routes of their collection
DATASETS = (
    "legal-entities",
    "business-units",
    "meters",
    "relationships",
    "contracts",
    "clicks",
    "volumes",
    "portfolios",
    "positions",
    "invoices",
)
#: canonical granularities: volumes take the first four, positions month and quarter
GRANULARITIES = ("quarterhour", "hour", "day", "month", "quarter")
ENVELOPES = ("value", "data.items", "bare")
ENERGY_UNITS = ("MWh", "kWh")


@dataclass(frozen=True)
class Paging:
    """One paging style and its parameter names and page-size limit.

    ``position`` is the parameter that says where a page starts (``skipToken``, ``page``,
    ``offset``, ``skip``, ``continuationToken``; for ``cursor-header`` the header name); ``size``
    the page-size parameter (None: the server's choice).
    """

    style: str
    size: str | None = None
    max_size: int = 1000
    position: str | None = None
    first_page: int = 1

    @property
    def in_body(self) -> bool:
        """Whether the style writes keys into the body (so it needs an object envelope)."""
        return self.style in ("nextLink", "odata", "pages", "skiptop", "cursor")


#: every paging style, with its parameter names and limits
PAGING_STYLES: Mapping[str, Paging] = MappingProxyType(
    {
        "nextLink": Paging("nextLink", "top", 1000, "skipToken"),
        "odata": Paging("odata", "top", 1000, "skipToken"),
        "link": Paging("link", "top", 1000, "skipToken"),
        "pages": Paging("pages", "pageSize", 500, "page", 1),
        "offset": Paging("offset", "limit", 1000, "offset"),
        "skiptop": Paging("skiptop", "top", 1000, "skip"),
        "cursor": Paging("cursor", None, 1000, "continuationToken"),
        "cursor-header": Paging("cursor-header", None, 1000, "x-ms-continuation"),
        "none": Paging("none"),
    }
)

_VAR = re.compile(r"\{([A-Za-z_]+)\}")


@dataclass(frozen=True)
class Route:
    """A path of a dialect: ``template`` with ``{var}`` segments, ``vars`` naming the canonical
    parameter each one fills; ``parent`` an entity (``"contract"``) the path must name;
    ``without`` canonical query parameters this path does not take."""

    dataset: str
    template: str
    single: bool = False
    vars: Mapping[str, str] = field(default_factory=dict)
    parent: str | None = None
    without: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.dataset not in DATASETS:
            raise ValueError(f"unknown dataset {self.dataset!r}")
        object.__setattr__(self, "vars", MappingProxyType(dict(self.vars)))
        missing = set(_VAR.findall(self.template)) ^ set(self.vars)
        if missing:
            raise ValueError(f"{self.template}: path variables and vars differ: {sorted(missing)}")
        parts = _VAR.split(self.template)  # literal, var, literal, var, ..., literal
        pattern = "".join(re.escape(p) if i % 2 == 0 else "([^/]+)" for i, p in enumerate(parts))
        object.__setattr__(self, "_pattern", re.compile(f"^{pattern}$"))

    def match(self, path: str) -> dict[str, str] | None:
        """The canonical parameters the path fills, or None when it is not this route."""
        m = self._pattern.match(path)  # type: ignore[attr-defined]
        if m is None:
            return None
        names = _VAR.findall(self.template)
        return {self.vars[n]: v for n, v in zip(names, m.groups(), strict=True)}


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(
        {k: _frozen(v) if isinstance(v, Mapping) else v for k, v in mapping.items()}
    )


@dataclass(frozen=True)
class Dialect:
    """Every axis on which a dialect differs from ``ecore-api.md`` (see the module docstring)."""

    name: str
    description: str
    routes: tuple[Route, ...]
    envelope: str = "value"  # value | data.items | bare
    single: str = "bare"  # bare | data
    paging: Paging = PAGING_STYLES["nextLink"]
    param_case: str = "camel"  # camel | snake: every parameter not named below
    date_params: tuple[str, str] = ("from", "to")
    date_format: str = "iso"  # iso (date or date-time with offset) | date | epoch_s
    date_end: str = "exclusive"  # exclusive | inclusive (only with date_format "date")
    granularity_param: str = "granularity"
    granularity_values: Mapping[str, str] = field(
        default_factory=lambda: {g: g for g in GRANULARITIES}
    )
    granularity_by_commodity: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    field_case: str = "camel"  # camel | snake
    id_field: str = "id"  # id | entity (<entity>Id)
    field_renames: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    volume_shape: str = "flat"  # flat | series
    energy_unit: str = "MWh"  # MWh | kWh
    unit_said: str = "body"  # body (unit fields and ...MWh/...KWh names) | nowhere
    timestamps: str = "utc"  # utc (Z) | offset (local) | epoch_ms
    period_end: str = "exclusive"  # exclusive | inclusive (the last day, a date)
    errors: str = "odata"  # odata | problem | apim: a bad parameter's body
    unknown_id: str = "odata"  # odata | problem | apim: an unknown id's 404 body
    ignore_params: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check(self.envelope, ENVELOPES, "envelope")
        _check(self.single, ("bare", "data"), "single")
        _check(self.param_case, ("camel", "snake"), "param_case")
        _check(self.field_case, ("camel", "snake"), "field_case")
        _check(self.date_format, ("iso", "date", "epoch_s"), "date_format")
        _check(self.date_end, ("exclusive", "inclusive"), "date_end")
        _check(self.id_field, ("id", "entity"), "id_field")
        _check(self.volume_shape, ("flat", "series"), "volume_shape")
        _check(self.energy_unit, ENERGY_UNITS, "energy_unit")
        _check(self.unit_said, ("body", "nowhere"), "unit_said")
        _check(self.timestamps, ("utc", "offset", "epoch_ms"), "timestamps")
        _check(self.period_end, ("exclusive", "inclusive"), "period_end")
        _check(self.errors, ("odata", "problem", "apim"), "errors")
        _check(self.unknown_id, ("odata", "problem", "apim"), "unknown_id")
        _check(self.paging.style, tuple(PAGING_STYLES), "paging")
        if self.date_end == "inclusive" and self.date_format != "date":
            raise ValueError("an inclusive end bound needs date_format 'date'")
        if self.envelope == "bare" and self.paging.in_body:
            raise ValueError(
                f"paging {self.paging.style!r} writes into the body, which a bare-array "
                "envelope does not have: use link, offset, cursor-header or none"
            )
        if set(self.granularity_values) != set(GRANULARITIES):
            raise ValueError(f"granularity_values must name each of {GRANULARITIES}")
        for commodity, allowed in self.granularity_by_commodity.items():
            if not set(allowed) <= set(GRANULARITIES[:4]):
                raise ValueError(f"granularity_by_commodity[{commodity!r}]: unknown {allowed}")
        for name in ("granularity_values", "granularity_by_commodity", "field_renames"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        ignore = {k: tuple(v) for k, v in self.ignore_params.items()}
        for key in ignore:
            if key not in DATASETS and not any(
                key == r.template or r.match(key) is not None for r in self.routes
            ):
                known = ", ".join((*DATASETS, *(r.template for r in self.routes)))
                raise ValueError(f"ignore_params: {key!r} is no dataset or path here ({known})")
        object.__setattr__(self, "ignore_params", MappingProxyType(ignore))

    # ---------------------------------------------------------------- names
    def param_name(self, canonical: str) -> str:
        """The dialect's name of a canonical query parameter."""
        if canonical == "from":
            return self.date_params[0]
        if canonical == "to":
            return self.date_params[1]
        if canonical == "granularity":
            return self.granularity_param
        return snake(canonical) if self.param_case == "snake" else canonical

    def match(self, path: str) -> tuple[Route, dict[str, str]] | None:
        """The route serving ``path`` and the canonical parameters its variables fill."""
        for route in self.routes:
            filled = route.match(path)
            if filled is not None:
                return route, filled
        return None

    def collection_route(self, dataset: str) -> Route | None:
        return next((r for r in self.routes if r.dataset == dataset and not r.single), None)

    def ignored(self, route: Route, path: str) -> tuple[str, ...]:
        """Parameters (dialect spelling) the API ignores on this request."""
        out: list[str] = []
        for key in (route.dataset, route.template, path):
            out.extend(self.ignore_params.get(key, ()))
        return tuple(out)


def _check(value: str, allowed: Sequence[str], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}; got {value!r}")


_ACRONYMS = re.compile(r"(MWh|KWh|kWh|MW)")


def snake(name: str) -> str:
    """``priceEurPerMWh`` -> ``price_eur_per_mwh``, ``vatId`` -> ``vat_id``."""
    name = _ACRONYMS.sub(lambda m: "_" + m.group(1).lower(), name)
    name = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name)
    return name.lower().lstrip("_")


# ------------------------------------------------------------------ presets
ECORE_ROUTES = (
    Route("legal-entities", "/legal-entities"),
    Route("business-units", "/business-units"),
    Route("meters", "/meters"),
    Route("relationships", "/relationships"),
    Route("contracts", "/contracts"),
    Route("contracts", "/contracts/{id}", single=True, vars={"id": "id"}),
    Route("clicks", "/clicks"),
    Route("volumes", "/volumes"),
    Route("portfolios", "/portfolios"),
    Route("positions", "/portfolios/{id}/positions", vars={"id": "portfolioId"}),
    Route("invoices", "/invoices"),
    Route("invoices", "/invoices/{id}", single=True, vars={"id": "id"}),
)

PAGED_ROUTES = (
    Route("legal-entities", "/structure/legal-entities"),
    Route("business-units", "/structure/business-units"),
    Route("meters", "/structure/meters"),
    Route("relationships", "/structure/relationships"),
    Route(
        "volumes",
        "/structure/meters/{meterId}/timeseries",
        vars={"meterId": "meterId"},
        without=("contractId",),
    ),
    Route("contracts", "/risk/contracts"),
    Route("contracts", "/risk/contracts/{contractId}", single=True, vars={"contractId": "id"}),
    Route(
        "clicks",
        "/risk/contracts/{contractId}/clicks",
        vars={"contractId": "contractId"},
        parent="contract",
        without=("portfolioId",),
    ),
    Route("portfolios", "/risk/portfolios"),
    Route(
        "positions",
        "/risk/portfolios/{portfolioId}/positions",
        vars={"portfolioId": "portfolioId"},
    ),
    Route("invoices", "/billing/invoices"),
    Route("invoices", "/billing/invoices/{invoiceId}", single=True, vars={"invoiceId": "id"}),
)

BARE_ROUTES = (
    Route("legal-entities", "/legal_entities"),
    Route("business-units", "/business_units"),
    Route("meters", "/meters"),
    Route("relationships", "/relationships"),
    Route("contracts", "/contracts"),
    Route("contracts", "/contracts/{id}", single=True, vars={"id": "id"}),
    Route("clicks", "/clicks"),
    Route("volumes", "/volumes"),
    Route("portfolios", "/portfolios"),
    Route("positions", "/positions"),
    Route("invoices", "/invoices"),
    Route("invoices", "/invoices/{id}", single=True, vars={"id": "id"}),
)

ECORE = Dialect(
    name="ecore",
    description="shared/ecore-api.md exactly: value + nextLink, MWh, UTC Z, OData errors",
    routes=ECORE_ROUTES,
)

PAGED = Dialect(
    name="paged",
    description="/structure /risk /billing, data.items, page numbers, kWh series, RFC 7807",
    routes=PAGED_ROUTES,
    envelope="data.items",
    single="data",
    paging=PAGING_STYLES["pages"],
    date_params=("dateFrom", "dateTo"),
    date_format="date",
    date_end="inclusive",
    granularity_param="resolution",
    granularity_values={
        "quarterhour": "PT15M",
        "hour": "PT1H",
        "day": "P1D",
        "month": "P1M",
        "quarter": "P3M",
    },
    granularity_by_commodity={"gas": ("day", "month")},
    id_field="entity",
    field_renames={"volumes": {"start": "timestamp"}},
    volume_shape="series",
    energy_unit="kWh",
    timestamps="offset",
    period_end="inclusive",
    errors="problem",
    unknown_id="problem",
)

BARE = Dialect(
    name="bare",
    description="snake_case, bare arrays, offset/limit, epoch times, undeclared kWh",
    routes=BARE_ROUTES,
    envelope="bare",
    paging=PAGING_STYLES["offset"],
    param_case="snake",
    date_params=("start", "end"),
    date_format="epoch_s",
    granularity_param="interval",
    granularity_values={
        "quarterhour": "15min",
        "hour": "hourly",
        "day": "daily",
        "month": "monthly",
        "quarter": "quarterly",
    },
    field_case="snake",
    energy_unit="kWh",
    unit_said="nowhere",
    timestamps="epoch_ms",
    errors="apim",
    unknown_id="apim",
)

#: the presets by name
DIALECTS: Mapping[str, Dialect] = MappingProxyType({d.name: d for d in (ECORE, PAGED, BARE)})

GAS_DAILY = ("day", "month")


def configure(
    dialect: str | Dialect = "ecore",
    *,
    paging: str | Paging | None = None,
    ignore_params: Mapping[str, Sequence[str]] | None = None,
    gas_daily_only: bool | None = None,
    field_renames: Mapping[str, Any] | None = None,
    energy_unit: str | None = None,
    envelope: str | None = None,
) -> Dialect:
    """A preset (by name or as a Dialect) with some axes switched; None leaves an axis alone."""
    if isinstance(dialect, str):
        if dialect not in DIALECTS:
            raise ValueError(f"dialect must be one of {', '.join(DIALECTS)}; got {dialect!r}")
        dialect = DIALECTS[dialect]
    changes: dict[str, Any] = {}
    if paging is not None:
        if isinstance(paging, str):
            if paging not in PAGING_STYLES:
                raise ValueError(
                    f"paging must be one of {', '.join(PAGING_STYLES)}; got {paging!r}"
                )
            paging = PAGING_STYLES[paging]
        changes["paging"] = paging
    if ignore_params is not None:
        merged = {k: tuple(v) for k, v in dialect.ignore_params.items()}
        for key, names in ignore_params.items():
            if isinstance(names, str):
                raise ValueError(f"ignore_params[{key!r}] must be a list of names, not a string")
            merged[key] = (*merged.get(key, ()), *names)
        changes["ignore_params"] = merged
    if gas_daily_only is not None:
        rest = {k: v for k, v in dialect.granularity_by_commodity.items() if k != "gas"}
        changes["granularity_by_commodity"] = {**rest, "gas": GAS_DAILY} if gas_daily_only else rest
    if field_renames is not None:
        per_dataset = _renames(field_renames)
        merged_renames = {k: dict(v) for k, v in dialect.field_renames.items()}
        for key, names in per_dataset.items():
            merged_renames[key] = {**merged_renames.get(key, {}), **names}
        changes["field_renames"] = merged_renames
    if energy_unit is not None:
        changes["energy_unit"] = energy_unit
    if envelope is not None:
        changes["envelope"] = envelope
    return dataclasses.replace(dialect, **changes) if changes else dialect


def _renames(field_renames: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    if all(isinstance(v, str) for v in field_renames.values()):
        return {"*": dict(field_renames)}
    out: dict[str, dict[str, str]] = {}
    for key, names in field_renames.items():
        if key != "*" and key not in DATASETS:
            raise ValueError(f"field_renames: {key!r} is no dataset ({', '.join(DATASETS)})")
        if not isinstance(names, Mapping):
            raise ValueError(f"field_renames[{key!r}] must map field names to served names")
        out[key] = {str(k): str(v) for k, v in names.items()}
    return out
