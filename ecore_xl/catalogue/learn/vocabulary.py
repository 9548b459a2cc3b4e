"""What names mean: the words APIs use for our parameters, paging, granularities, paths and fields.

Pure data, read by :mod:`.names` (which compares names with it) and by the import and the probe.
Every list is ordered most-likely first; matching folds case and drops ``_``/``-``/``$``/``.``
(``date_from``, ``dateFrom`` and ``DateFrom`` are one word), so each spelling is listed once.
Nothing here is a dialect: a dialect is what the catalogue declares once one of these is found.
"""

from __future__ import annotations

__all__ = [
    "AREAS",
    "COMMODITIES",
    "DATASET_WORDS",
    "FIELD_WORDS",
    "FILTER_WORDS",
    "GRANULARITY_SECONDS",
    "GRANULARITY_WORDS",
    "ISO_DURATIONS",
    "PAGING_BODY",
    "PAGING_HEADERS",
    "PAGING_WORDS",
    "PERIOD_FIELDS",
    "RANGE_PAIRS",
]

#: our filter -> the names APIs give it (our own name first)
FILTER_WORDS: dict[str, tuple[str, ...]] = {
    "from": (
        "from", "dateFrom", "fromDate", "startDate", "start", "periodFrom", "periodStart",
        "begin", "startTime", "since", "dateStart", "validFrom", "fromTime", "after",
    ),
    "to": (
        "to", "dateTo", "toDate", "endDate", "end", "periodTo", "periodEnd", "until",
        "endTime", "dateEnd", "validTo", "toTime", "before",
    ),
    "granularity": (
        "granularity", "resolution", "interval", "grain", "frequency", "aggregation",
        "timeResolution", "step", "period",
    ),
    "type": ("type", "kind", "valueType", "volumeType", "dataType", "seriesType"),
    "activeOn": ("activeOn", "activeAt", "validOn", "validAt", "deliveringOn", "date", "on"),
    "entityType": ("entityType", "type", "kind"),
    "entityId": ("entityId", "id", "entity"),
}  # fmt: skip

#: paired bounds: a ``from`` found as ``dateFrom`` makes ``dateTo`` the first guess for ``to``
RANGE_PAIRS: tuple[tuple[str, str], ...] = (
    ("From", "To"), ("from", "to"), ("Start", "End"), ("start", "end"), ("Begin", "End"),
    ("begin", "end"), ("since", "until"), ("after", "before"),
)  # fmt: skip

#: paging parameters (never filters), by role
PAGING_WORDS: dict[str, tuple[str, ...]] = {
    "page": ("page", "pageNumber", "pageNo", "pageIndex", "pageNum", "p"),
    "size": (
        "pageSize", "limit", "top", "size", "perPage", "maxResults", "maxItems", "count",
        "pagesize", "max", "take", "first",
    ),
    "offset": ("offset", "skip", "startIndex", "startAt"),
    "token": (
        "continuationToken", "continuation", "cursor", "pageToken", "nextPageToken",
        "skipToken", "token",
    ),
}  # fmt: skip

#: body keys beside the records that say how paging goes, by role
PAGING_BODY: dict[str, tuple[str, ...]] = {
    "next": (
        "nextLink", "@odata.nextLink", "next", "links.next", "_links.next.href", "links.next.href",
        "paging.next", "meta.next", "nextPage", "next_url",
    ),
    "total_pages": ("totalPages", "pageCount", "pages", "lastPage", "numberOfPages"),
    "total_items": (
        "totalItems", "totalCount", "total", "count", "@odata.count", "totalRecords",
        "totalElements", "totalResults", "itemCount",
    ),
    "has_more": ("hasMore", "more", "hasNextPage", "moreResults", "isLastPage"),
    "token": ("continuationToken", "nextPageToken", "cursor", "nextCursor", "pageToken",
              "skipToken", "continuation"),
    "page": ("page", "pageNumber", "currentPage", "pageIndex"),
    "size": ("pageSize", "perPage", "limit", "size"),
}  # fmt: skip

#: response headers that say how paging goes, by role
PAGING_HEADERS: dict[str, tuple[str, ...]] = {
    "next": ("Link",),
    "total_items": ("X-Total-Count", "X-Total", "Total-Count", "X-Pagination-Total-Count"),
    "total_pages": ("X-Total-Pages", "X-Pagination-Page-Count"),
    "token": ("x-ms-continuation", "X-Continuation-Token", "X-Next-Cursor"),
}

#: canonical granularity -> the interval in seconds (a month/quarter/year by its usual length)
GRANULARITY_SECONDS: dict[str, int] = {
    "quarterhour": 900,
    "hour": 3600,
    "day": 86_400,
    "week": 7 * 86_400,
    "month": 30 * 86_400,
    "quarter": 91 * 86_400,
    "year": 365 * 86_400,
}
#: canonical granularity -> words for it (ISO 8601 durations and ``15min``-style are parsed too)
GRANULARITY_WORDS: dict[str, tuple[str, ...]] = {
    "quarterhour": (
        "quarterhour", "quarter-hour", "quarterhourly", "qh", "15min", "15m", "15minutes",
        "min15", "m15", "fifteenminutes", "quarter_hour",
    ),
    "hour": ("hour", "hourly", "1h", "h", "60min", "h1", "hours"),
    "day": ("day", "daily", "1d", "d", "days", "24h"),
    "week": ("week", "weekly", "1w", "w"),
    "month": ("month", "monthly", "1mo", "mon", "months"),
    "quarter": ("quarter", "quarterly", "3mo", "q", "quarters"),
    "year": ("year", "yearly", "annual", "annually", "1y", "y", "years"),
}  # fmt: skip

#: canonical granularity -> its ISO 8601 duration
ISO_DURATIONS: dict[str, str] = {
    "quarterhour": "PT15M", "hour": "PT1H", "day": "P1D", "week": "P1W", "month": "P1M",
    "quarter": "P3M", "year": "P1Y",
}  # fmt: skip

COMMODITIES: tuple[str, ...] = ("power", "gas", "electricity", "heat", "water")

#: a dataset -> words for what it serves, in paths and titles (its own name first)
DATASET_WORDS: dict[str, tuple[str, ...]] = {
    "legal-entities": ("legal-entities", "companies", "customers"),
    "business-units": ("business-units", "sites", "cost-centers"),
    "meters": ("meters", "metering-points", "malos", "delivery-points"),
    "relationships": ("relationships", "relations", "edges", "hierarchy"),
    "contracts": ("contracts", "supply-contracts", "agreements"),
    "clicks": ("clicks", "tranches", "trades", "executions", "deals", "purchases"),
    "volumes": (
        "volumes", "timeseries", "time-series", "consumption", "readings", "measurements",
        "load-profile", "loadprofile", "interval-data", "meter-data",
    ),
    "portfolios": ("portfolios", "books"),
    "positions": ("positions", "hedge-positions", "hedges", "exposure", "exposures"),
    "invoices": ("invoices", "bills", "billing"),
}  # fmt: skip

#: E&C's published data areas (ecore-api.md) and the words APIs put in front of their paths
AREAS: dict[str, tuple[str, ...]] = {
    "legal-entities": ("structure",),
    "business-units": ("structure",),
    "meters": ("structure",),
    "relationships": ("structure",),
    "contracts": ("risk", "risk-management"),
    "clicks": ("risk", "risk-management"),
    "volumes": ("risk", "risk-management", "structure"),
    "portfolios": ("risk", "risk-management"),
    "positions": ("risk", "risk-management"),
    "invoices": ("invoices", "billing"),
}

#: our field -> other names for the same thing (beyond spelling, ``<entity>Id`` and units)
FIELD_WORDS: dict[str, tuple[str, ...]] = {
    "start": ("timestamp", "time", "datetime", "intervalStart", "from", "begin", "ts",
              "startTime", "periodStart", "dateTime"),
    "value": ("value", "quantity", "volume", "energy", "amount"),
    "quality": ("quality", "status", "flag", "qualityFlag"),
}  # fmt: skip

#: fields a date range filter most likely bounds, most likely first
PERIOD_FIELDS: tuple[str, ...] = (
    "start", "periodStart", "executedAt", "deliveryStart", "validFrom", "issueDate",
    "timestamp", "date",
)  # fmt: skip
