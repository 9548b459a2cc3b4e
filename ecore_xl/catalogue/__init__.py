"""The catalogue: every dataset's path, filters, fields, and the API's dialect: declarations only.

The built-in catalogue (:mod:`ecore_xl.catalogue.builtin`) is this project's reconstruction of the
eCore API (``ecore-api.md``). A user overrides it without touching code, with a JSON (or TOML)
file found by :func:`load_catalogue` (argument, else ``ECORE_CATALOGUE``, else
``config_dir()/catalogue.json``) or written by ``ecore-xl catalogue import`` from E&C's Postman
collection (:mod:`ecore_xl.catalogue.postman`) or by ``ecore-xl catalogue probe --write`` from
the live API (:mod:`ecore_xl.data.probe`), both through :mod:`ecore_xl.catalogue.learn`.
``ecore-xl catalogue show DATASET`` prints what is in effect.

Datasets (the rules of ``datasets``)::

    {"datasets": {
        "volumes":   {"path": "/timeseries/volumes",                       # scalar keys replace
                      "filters": [{"name": "meterId", "api_name": "meter_id"}]},   # patch one
        "contracts": {"fields": {"patch": [{"name": "broker"}], "remove": ["supplier"]}},
        "meters":    {"fields": {"replace": ["id", {"name": "name"}]}},   # the whole list
        "clicks":    null,                                                 # drop the dataset
        "spot-prices": {"path": "/spot-prices", "fields": ["start:timestamp", "price:number"]}
    }}

- Besides ``datasets`` and ``dialect``, the top level may hold ``version``, ``source``,
  ``comment`` (ignored).
- A dataset key that the catalogue already has patches it; a new key adds a dataset (``path`` is
  then required; ``sheet``, ``table``, ``function`` and ``key`` get defaults from the name).
- ``fields`` / ``filters`` as a list patch by name: an entry whose ``name`` exists is merged onto
  the existing one in place (only the keys given change), a new name is appended. As an object,
  ``{"patch": [...], "remove": [names], "replace": [...]}``; ``replace`` cannot be combined with
  ``patch``.
- A field entry is an object (``name``, ``type``, ``doc``, ``api_name``, ``unit``, ``api_unit``,
  ``unit_field``, ``ends_period``, ``values``, ``fmt``: the column's Excel number format, a name
  such as ``"mwh"``, ``"price"``, ``"pct"`` or a format such as ``"#,##0.0"``) or a string
  ``"name"`` / ``"name:type"``; a filter entry has ``name``, ``type``, ``doc``, ``api_name``,
  ``required``, ``default``, ``allowed``, ``values``, ``narrows``: the field it narrows, checked
  in every answer (``{"name": "meterId", "narrows": "meterId"}``: no other meter's rows;
  ``{"name": "from", "narrows": "periodEnd"}``, ``{"name": "to", "narrows": "periodStart"}``:
  periods overlapping ``[from, to)``); rows clearly outside are an error naming the filter's
  ``api_name``, never unfiltered data.
- Filter types: ``text`` (one value, commas and all: a supplier's name), ``id`` (several ids, as
  a list or ``"M-1,M-2"``, are asked for one request each), ``enum`` (one of ``allowed``; several
  as for ids), ``date``, ``number``, ``list`` (several values sent comma-joined in one request).
- ``{placeholders}`` in ``path`` name a filter (by name or ``api_name``); a placeholder without
  one gets a required text filter.
- A dataset with a ``parent`` (invoice-lines) takes its parent's path, filters and dialect,
  unless its own entry sets them.

What the faces read (worksheet functions, the refresh, the settings sheet, the task pane):
declarations too, so a dataset a file adds gets every face with no code change::

    {"datasets": {"readings": {
        "path": "/volumes",
        "filters": [{"name": "meterId", "type": "id", "required": true},   # its cell and drop-
                    "from:date", "to:date",                                 # downs: by name
                    {"name": "type", "type": "enum", "allowed": ["actual", "forecast"],
                     "setting": {"name": "readingType", "label": "Reading type"}}],
        "fields": ["meterId", "start:timestamp", {"name": "value", "type": "number",
                                                  "unit": "MWh"}],
        "positional": ["meterId", "from", "to", "layout"],      # =ECORE_READINGS(meter, …)
        "wide": {"index": "start", "columns": "meterId", "values": "value"},
        "default_refresh": true}}}                               # in a new workbook's Refresh all

- ``positional`` — the formula's positional arguments, filter names in order, ``"layout"``
  where the dataset has a wide layout (built in: volumes ``meterId, from, to, granularity,
  layout``); without it, the first six filters; the rest go in ``option1``..``option4``.
- ``wide`` — the wide layout: one row per ``index`` instant (with ``…Local`` and ``utcOffset``),
  one column per ``columns`` value, ``values`` in the cells; ``"wide": true`` is ``start`` /
  ``meterId`` / ``value``; ``doc`` is the layout argument's help, ``setting`` (``{"label",
  "help"}``) the settings sheet's ``ecore.layout`` row. Without it only ``long``.
  A grid whose columns came in different granularities (gas days among hours) is refused.
- ``default_refresh`` — in a new workbook's ``ecore.datasets`` (built in: contracts, clicks,
  volumes, positions, invoices).
- A filter's ``setting`` — its cell on a workbook's ``eCore`` sheet: ``"setting": "meters"``
  or ``{"name", "label", "help", "default", "order"}`` (``default``: a new sheet's value; for a
  date ``this_month`` / ``last_month``; ``order``: the row's place). The cell ``ecore.<name>``
  gives its value to the filter of that name in every dataset a refresh fetches.
- A filter's ``choices`` — the records that list its values: ``"choices": "meters"`` or
  ``{"dataset": "meters", "field": "id", "label": "name"}`` (default: the dataset's key, and
  ``name`` if it has one): the task pane's drop-down, the settings cell's drop-down list
  (``lstMeters``), and "every id" when a refresh needs one nobody set.
- A filter name means one thing in every dataset: the ``setting`` and ``choices`` declared on
  one filter apply to every filter of that name (``meterId`` of a new dataset gets the meters
  cell and drop-down). ``ecore-xl catalogue show NAME`` prints them under *Faces*.

The API's dialect: one declaration per difference, never code. ``dialect`` at the top level is
API-wide; ``datasets.<name>.dialect`` patches it for one dataset (key by key inside each
section). Every key is optional; the defaults are the contract (``ecore-api.md``).

- **Envelope** — where the records are: ``"envelope": {"records": "data.items", "record":
  "data"}``; ``"value"`` (default), ``"data"``, ``"items"``, any dotted path, or ``"$"`` for a
  body that is a bare JSON array. ``record``: where one record is (``"$"``: the bare object).
  A body that does not match says where the records are ("records are under 'data', not
  'value'").
- **Paging** — one style: ``{"style": "next", "next": ["links.next", "header:Link"]}`` (a next
  link at any body path or the ``Link`` header; default ``nextLink``, ``@odata.nextLink``,
  ``Link``); ``{"style": "pages", "page_param": "page", "first_page": 1, "size_param":
  "pageSize", "max_size": 500, "total_pages": "meta.totalPages", "total_items":
  "meta.totalItems"}`` (stops at ``total_pages``, ``total_items``, ``has_more`` or a short
  page; 0-based with ``first_page: 0``); ``{"style": "offset", "offset_param": "skip",
  "size_param": "top", "max_size": 1000, "total_items": "@odata.count"}`` (or
  ``"header:X-Total-Count"``; without it, a short page stops); ``{"style": "cursor", "token":
  "header:x-ms-continuation", "token_param": "header:x-ms-continuation"}`` (a continuation token
  in the body or a header, sent back as a query parameter or header); ``{"style": "none"}``.
  Never a silent truncation: a body that says there is more (a total, a page count, a next link,
  a token) than the declared style fetched is an error naming the dataset and this declaration.
- **Parameters** — names: a filter's ``api_name`` (``{"name": "from", "api_name":
  "dateFrom"}``) or the rule ``"params": {"names": "snake_case"}`` (``meterId`` -> ``meter_id``
  wherever no ``api_name`` is given); values: a filter's ``values`` map, ours to the API's
  (``{"name": "granularity", "api_name": "resolution", "values": {"quarterhour": "PT15M",
  "hour": "PT1H", "day": "P1D", "month": "P1M"}}``); date bounds: ``"params": {"dates":
  "epoch_s", "end": "inclusive"}`` — ``iso`` (default: a date at local midnight, else a
  date-time with offset), ``date`` (dates only), ``datetime`` (always with the local offset),
  ``utc`` (``…Z``), ``epoch_s``, ``epoch_ms``; ``end: inclusive`` sends the last day asked for
  (users keep half-open ``[from, to)``).
- **Fields** — names: ``api_name`` (``{"name": "id", "api_name": "contractId"}``) or
  ``"fields": {"names": "snake_case"}``; values: a field's ``values`` map (ours to the API's);
  units: a field's canonical ``unit`` (``MWh``, ``MW``, ``EUR``, ``EUR/MWh``) and where the API's
  comes from — ``unit_field`` (the record's own field, or its parent series': ``{"name":
  "value", "unit": "MWh", "unit_field": "unit"}``) or a declared ``api_unit`` (``{"name":
  "consumptionMWh", "api_name": "consumption", "unit": "MWh", "api_unit": "kWh"}``); the data
  layer converts to the canonical unit and the ``unit_field`` column then says it; a record
  whose unit does not convert (or contradicts ``api_unit``) is an error naming the field.
  Time: ``"fields": {"epoch": "ms"}`` (instants as epoch numbers, ``s`` or ``ms``), ``"naive":
  "local"`` (or a zone name: timestamps without an offset are wall-clock time there; unset, such
  a timestamp is refused), ``"period_ends": "inclusive"`` (fields with ``ends_period`` —
  ``deliveryEnd``, ``periodEnd``, ``validTo`` — give the period's last day; the product makes
  them exclusive, so an invoice's days are counted right).
- **Shapes** — ``"dialect": {"series": "values"}``: each record is one series (``{"meterId",
  "unit", "values": [{"timestamp", "value"}]}``) and becomes one row per value carrying the
  series' other fields; ``"under": {"filter": "contractId", "dataset": "contracts"}`` (a dataset
  key) with ``"path": "/contracts/{contractId}/clicks"``: a collection that lives under a
  parent, fetched once per parent id (all of ``contracts`` when no filter names one) in
  parallel, concatenated, with ``contractId`` filled in where the records lack it.
- **Granularities** — ``"dialect": {"granularities": {"gas": ["day", "month"]}}``: what the API
  offers per commodity; a dataset with a ``granularity`` rule (volumes: ``{"filter":
  "granularity", "per": "meterId", "source": "meters", "by": "commodity"}``) asks each meter for
  the finest granularity it offers at or above the one asked, and answers a refusal (a 400 naming
  the granularity parameter) with the next coarser one, saying so in the frame's
  ``attrs["ecore"]["granularity"]`` and ``["notes"]``.
- **Error bodies** need no declaration: APIM ``{statusCode, message}``, OData ``{error: {code,
  message, target}}`` and RFC 7807 problem+json (``errors`` per parameter) are all read.

A malformed file raises :class:`~ecore_xl.errors.CatalogueError` naming the file and the key.
"""

from __future__ import annotations

from ecore_xl.catalogue.dialect import (
    DEFAULT_DIALECT,
    Dialect,
    Envelope,
    FieldRules,
    Paging,
    ParamRules,
    describe_dialect,
)
from ecore_xl.catalogue.faces import Choices, Wide, WorkbookSetting
from ecore_xl.catalogue.files import (
    builtin_catalogue,
    load_catalogue,
    read_catalogue_file,
    user_catalogue_path,
    write_catalogue_file,
)
from ecore_xl.catalogue.model import (
    FIELD_TYPES,
    FILTER_TYPES,
    Catalogue,
    Dataset,
    Field,
    FieldType,
    Filter,
    FilterType,
    GranularityRule,
    Under,
    infer_field_type,
)

__all__ = [
    "DEFAULT_DIALECT",
    "FIELD_TYPES",
    "FILTER_TYPES",
    "Catalogue",
    "Choices",
    "Dataset",
    "Dialect",
    "Envelope",
    "Field",
    "FieldRules",
    "FieldType",
    "Filter",
    "FilterType",
    "GranularityRule",
    "Paging",
    "ParamRules",
    "Under",
    "Wide",
    "WorkbookSetting",
    "builtin_catalogue",
    "describe_dialect",
    "infer_field_type",
    "load_catalogue",
    "read_catalogue_file",
    "user_catalogue_path",
    "write_catalogue_file",
]
