"""The catalogue's model: ``Field``, ``Filter``, ``Dataset`` and the ``Catalogue`` holding them.

A :class:`Catalogue` resolves each dataset's :class:`~ecore_xl.catalogue.dialect.Dialect` (the
API-wide declarations, then the dataset's own) and derives the API's names of fields and
parameters from a declared naming rule where no ``api_name`` is given.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, get_args
from urllib.parse import quote

from ecore_xl.catalogue.dialect import (
    DEFAULT_DIALECT,
    Dialect,
    Frozen,
    build_dialect,
    merge_patches,
    snake_case,
)
from ecore_xl.catalogue.faces import Choices, Wide, WorkbookSetting
from ecore_xl.errors import CatalogueError, InvalidFilterError

__all__ = [
    "FIELD_TYPES",
    "FILTER_TYPES",
    "Catalogue",
    "Dataset",
    "Field",
    "FieldType",
    "Filter",
    "FilterType",
    "GranularityRule",
    "Under",
    "infer_field_type",
]

FieldType = Literal["text", "number", "integer", "date", "timestamp", "list", "object", "bool"]
FilterType = Literal["text", "enum", "date", "number", "list", "id"]
FIELD_TYPES: tuple[str, ...] = get_args(FieldType)
FILTER_TYPES: tuple[str, ...] = get_args(FilterType)

_PLACEHOLDER = re.compile(r"\{([^{}/]+)\}")
ValueMap = tuple[tuple[str, str], ...]


def _api_value(values: ValueMap, canonical: str) -> str:
    for mine, theirs in values:
        if mine == canonical:
            return theirs
    return canonical


@dataclass(frozen=True)
class Field:
    """One column of a dataset, named as the API names the record field (``address.city``).

    ``api_name`` is set only when the API's name for the field differs from the column's
    (a renamed field keeps its column, so workbooks and report templates keep working).
    ``unit`` is the column's canonical unit (``MWh``, ``MW``, ``EUR``, ``EUR/MWh``); the API's
    unit is read from ``unit_field`` (a field of the record, or of its parent series), else
    ``api_unit``, else it is ``unit`` (a ``unit_field`` that no record has, without an
    ``api_unit``, is an error: the unit is unknown). ``ends_period``: the field ends a period
    (``deliveryEnd``), exclusive in the product, whatever the dialect's ``period_ends``.
    ``values``: the API's spelling of some values (``(("active", "ACTIVE"),)``: canonical, API).
    """

    name: str
    type: FieldType = "text"
    doc: str = ""
    api_name: str | None = None
    unit: str | None = None
    api_unit: str | None = None
    unit_field: str | None = None
    ends_period: bool = False
    values: ValueMap = ()
    #: Excel number format of the column (a name of :data:`ecore_xl.number_formats.NUMBER_FORMATS`
    #: or a format); None: by type (dates and times get theirs, numbers General)
    fmt: str | None = None
    derived: bool = field(default=False, compare=False, repr=False)  # api_name from a rule

    @property
    def source(self) -> str:
        """The record key (dotted for nested objects) the column is read from."""
        return self.api_name or self.name


@dataclass(frozen=True)
class Filter:
    """One request parameter; ``date`` accepts a date or a date-time with offset, ``id`` (and
    ``enum``) several values, asked for one by one; ``text`` is one value, commas included.
    ``values`` maps a canonical value to the API's spelling (``(("hour", "PT1H"),)``).
    ``setting``: the workbook settings cell that gives this filter (and every filter of this
    name) its value in a refresh; ``choices``: the records that list its values.
    ``narrows``: the field the filter narrows, checked in every answer
    (:mod:`ecore_xl.data.filter_check`): an id or enum filter's values there; the range's
    ``from`` / ``to`` bound it (a period end, ``ends_period``, must end after ``from``: a
    period overlapping the range is in it). None: not checked."""

    name: str
    type: FilterType = "text"
    required: bool = False
    default: str | None = None
    allowed: tuple[str, ...] | None = None
    doc: str = ""
    api_name: str | None = None  # name sent to the API (default: name)
    values: ValueMap = ()
    setting: WorkbookSetting | None = None
    choices: Choices | None = None
    narrows: str | None = None
    derived: bool = field(default=False, compare=False, repr=False)  # api_name from a rule

    @property
    def param(self) -> str:
        """The parameter name the API sees."""
        return self.api_name or self.name

    def api_value(self, canonical: str) -> str:
        """How the API spells ``canonical`` (itself unless ``values`` maps it)."""
        return _api_value(self.values, canonical)


@dataclass(frozen=True)
class GranularityRule:
    """A dataset whose ``filter`` (granularity) the API may refuse for some values of ``per``
    (meter ids): the ``by`` field (commodity) of the ``source`` dataset (meters) picks the
    dialect's ``granularities``; a refusal falls back to the next coarser allowed value."""

    filter: str = "granularity"
    per: str = "meterId"
    source: str = "meters"
    by: str = "commodity"


@dataclass(frozen=True)
class Under:
    """A collection that lives under a parent (``/contracts/{contractId}/clicks``): without a
    ``filter`` value it is fetched once per id of ``dataset``; records lacking the ``filter``'s
    field get the parent id."""

    filter: str
    dataset: str


@dataclass(frozen=True)
class Dataset:
    """One endpoint as a table: where it lives, what it accepts, what its records hold.

    For the faces: ``positional``, the formula's positional arguments (filter names in order,
    ``"layout"`` for the layout; None: the first filters); ``wide``, its wide layout if any;
    ``default_refresh``, in a new workbook's *Refresh all*.
    """

    name: str
    path: str
    description: str
    filters: tuple[Filter, ...]
    fields: tuple[Field, ...]
    key: str | None
    sheet: str
    table: str
    function: str
    one_of: tuple[str, ...] = ()
    explode: str | None = None
    parent: str | None = None
    parent_key: str | None = None
    chunk: str | None = None
    granularity: GranularityRule | None = None
    under: Under | None = None
    positional: tuple[str, ...] | None = None
    wide: Wide | None = None
    default_refresh: bool = False
    #: the dataset's own dialect declarations (a patch onto the API-wide ones)
    dialect_patch: Frozen = field(default_factory=Frozen)
    #: the dialect in effect (resolved by the Catalogue holding the dataset)
    dialect: Dialect = DEFAULT_DIALECT

    def filter(self, name: str) -> Filter:
        """The filter called ``name`` (or whose ``api_name`` it is; case-insensitive fallback)."""
        for f in self.filters:
            if f.name == name:
                return f
        for f in self.filters:
            if f.api_name == name:
                return f
        lowered = name.lower()
        for f in self.filters:
            if f.name.lower() == lowered or (f.api_name or "").lower() == lowered:
                return f
        known = ", ".join(f.name for f in self.filters) or "none"
        raise InvalidFilterError(
            f"{self.name} has no filter {name!r}: known filters are {known}.",
            parameter=name,
            allowed=tuple(f.name for f in self.filters),
        )

    @property
    def layouts(self) -> tuple[str, ...]:
        """``("long", "wide")`` with a wide layout, else ``("long",)``."""
        return ("long", "wide") if self.wide else ("long",)

    def field(self, name: str) -> Field | None:
        """The field (column) called ``name``, or None."""
        return next((f for f in self.fields if f.name == name), None)

    def field_names(self) -> list[str]:
        """Column names in display order."""
        return [f.name for f in self.fields]

    def number_formats(self) -> dict[str, str]:
        """Column name -> Excel number format, for the fields that declare one."""
        from ecore_xl.number_formats import number_format

        out: dict[str, str] = {}
        for f in self.fields:
            fmt = number_format(f.fmt)
            if fmt:
                out[f.name] = fmt
        return out

    def path_params(self) -> list[str]:
        """The ``{placeholders}`` of the path, in order."""
        return _PLACEHOLDER.findall(self.path)

    def path_filters(self) -> list[Filter]:
        """The filters that fill the path's placeholders (required unless ``under`` fills it)."""
        return [self.filter(p) for p in self.path_params()]

    def request(self, values: Mapping[str, str]) -> tuple[str, dict[str, str]]:
        """The path (placeholders filled and quoted) and the query (keyed by API names) of one
        request for ``values``: filters already validated, normalised and spelled as the API
        spells them (:mod:`ecore_xl.data.requests`, the one place that encodes them).

        Only raises InvalidFilterError for a name that is no filter of this dataset, or a path
        placeholder without a value.
        """
        given = {self.filter(name).name: str(value) for name, value in values.items()}
        path = self.path
        in_path: set[str] = set()
        for placeholder in self.path_params():
            f = self.filter(placeholder)
            if f.name not in given:
                raise InvalidFilterError(
                    f"{self.name} needs the filter {f.name}: give {f.name}=...", parameter=f.name
                )
            in_path.add(f.name)
            path = path.replace("{" + placeholder + "}", quote(given[f.name], safe=""))
        query = {self.filter(n).param: v for n, v in given.items() if n not in in_path}
        return path, query


class Catalogue:
    """An ordered, immutable set of datasets, looked up by name, function, sheet or table.

    ``dialect_patch`` is the API-wide dialect section; each dataset's dialect in effect is
    that, patched by the dataset's own (:attr:`Dataset.dialect`).
    """

    def __init__(
        self, datasets: Iterable[Dataset] = (), *, dialect_patch: Mapping[str, Any] | None = None
    ) -> None:
        self.dialect_patch = Frozen(dialect_patch)
        self.dialect = build_dialect(self.dialect_patch)
        self._datasets: dict[str, Dataset] = {}
        for ds in datasets:
            self._datasets[ds.name] = _resolve(ds, self.dialect_patch)
        by_name: dict[str, Choices] = {}
        for ds in self._datasets.values():
            for f in ds.filters:
                if f.choices is not None:
                    by_name.setdefault(f.name, f.choices)
        for name, ds in self._datasets.items():
            self._datasets[name] = _with_choices(ds, self._datasets, by_name)
        self._aliases: dict[str, str] = {}
        for ds in self._datasets.values():
            for alias in (ds.function, ds.sheet, ds.table, ds.name.replace("-", "_")):
                self._aliases.setdefault(alias.lower(), ds.name)
        for ds in self._datasets.values():
            self._aliases[ds.name.lower()] = ds.name

    def get(self, name: str) -> Dataset:
        """A dataset by name (``contracts``), or by its function, sheet or table name."""
        if name in self._datasets:
            return self._datasets[name]
        key = str(name).strip().lower()
        if key in self._aliases:
            return self._datasets[self._aliases[key]]
        key = key.replace("_", "-").replace(" ", "-")
        if key in self._aliases:
            return self._datasets[self._aliases[key]]
        raise CatalogueError(
            f"Unknown dataset {name!r}: known datasets are {', '.join(self.names()) or 'none'}."
        )

    def __iter__(self) -> Iterator[Dataset]:
        return iter(self._datasets.values())

    def __len__(self) -> int:
        return len(self._datasets)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        try:
            self.get(name)
        except CatalogueError:
            return False
        return True

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Catalogue)
            and list(self) == list(other)
            and self.dialect == other.dialect
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Catalogue({', '.join(self.names())})"

    def names(self) -> list[str]:
        """Dataset names in catalogue order."""
        return list(self._datasets)

    def to_dict(self) -> dict[str, Any]:
        """The whole catalogue as a JSON-ready dict (the override-file format)."""
        from ecore_xl.catalogue.overlay import dataset_to_dict

        out: dict[str, Any] = {}
        if self.dialect_patch:
            out["dialect"] = self.dialect_patch.thaw()
        out["datasets"] = {ds.name: dataset_to_dict(ds) for ds in self}
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "catalogue") -> Catalogue:
        """A catalogue from a dict in the override-file format (every dataset needs a path)."""
        return cls().overlay(data, source=source)

    def overlay(self, data: Mapping[str, Any], *, source: str = "catalogue") -> Catalogue:
        """A new catalogue: this one patched by ``data`` (rules: the package docstring)."""
        from ecore_xl.catalogue.overlay import overlay

        return overlay(self, data, source)


def _resolve(ds: Dataset, api_patch: Frozen) -> Dataset:
    """``ds`` with its dialect in effect and the API names its naming rules derive."""
    where = f"datasets.{ds.name}.dialect"
    try:
        dialect = build_dialect(merge_patches(api_patch, ds.dialect_patch), where=where)
    except TypeError as exc:  # a patch that skipped check_dialect_patch
        raise CatalogueError(f"{where}: {exc}") from None
    fields = tuple(_named(f, dialect.fields.names) for f in ds.fields)
    filters = tuple(_named(f, dialect.params.names) for f in ds.filters)
    if dialect.fields.period_ends == "inclusive":
        for f in fields:
            if f.ends_period and f.type != "date":
                raise CatalogueError(
                    f"{where}.fields.period_ends: inclusive ends are whole days, but "
                    f"{ds.name}.{f.name} is a {f.type}: make it a date field."
                )
    return replace(ds, dialect=dialect, fields=fields, filters=filters)


def _with_choices(
    ds: Dataset, datasets: Mapping[str, Dataset], by_name: Mapping[str, Choices]
) -> Dataset:
    """``ds`` with each filter's ``choices``: its own, else those of the catalogue's first
    filter of that name that has some (a filter name means one thing in every dataset),
    completed from the dataset they name (its key, its ``name`` field as the label). Choices
    naming a dataset the catalogue lacks (a user's file removed it) are dropped: the filter
    then has no drop-down and no "every id" fill-in."""
    filters = []
    for f in ds.filters:
        c = f.choices or by_name.get(f.name)
        if c is not None:
            source = datasets.get(c.dataset)
            value = c.field or (source.key if source else None)
            if source is None or value is None:
                c = None
            else:
                label = c.label
                if label is None and source.field("name") is not None:
                    label = "name"
                c = Choices(c.dataset, value, label)
        filters.append(f if c == f.choices else replace(f, choices=c))
    return ds if filters == list(ds.filters) else replace(ds, filters=tuple(filters))


def _named(item: Any, rule: str) -> Any:
    """``item`` with ``api_name`` derived from ``rule`` (an explicit api_name wins)."""
    if item.api_name is not None and not item.derived:
        return item
    derived = snake_case(item.name) if rule == "snake_case" else None
    if derived == item.name:
        derived = None
    if derived == item.api_name:
        return item
    return replace(item, api_name=derived, derived=derived is not None)


# ---- type inference (unknown fields, Postman examples) ------------------------------------------

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIMESTAMP_TEXT = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$", re.IGNORECASE
)


def infer_field_type(value: Any) -> FieldType:
    """The field type a sample JSON value suggests (``…Z`` text: timestamp; numbers: number)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, list):
        return "list"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, str):
        if _TIMESTAMP_TEXT.match(value):
            return "timestamp"
        if _DATE.match(value):
            return "date"
    return "text"
