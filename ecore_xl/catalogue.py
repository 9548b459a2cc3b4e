"""The catalogue: per dataset its path, filters, fields, sheet, table and Excel function.

The built-in catalogue (``catalogue_builtin.py``) is this project's reconstruction of the eCore API.
A user overrides it without touching code, with a JSON (or TOML) file found by
:func:`load_catalogue` (argument, else ``ECORE_CATALOGUE``, else ``config_dir()/catalogue.json``)
or written by ``ecore-xl catalogue import`` from E&C's Postman collection.

Override file format and merge rules::

    {"datasets": {
        "volumes":   {"path": "/timeseries/volumes",                       # scalar keys replace
                      "filters": [{"name": "meterId", "api_name": "meter_id"}]},   # patch one
        "contracts": {"fields": {"patch": [{"name": "broker"}], "remove": ["supplier"]}},
        "meters":    {"fields": {"replace": ["id", {"name": "name"}]}},   # the whole list
        "clicks":    null,                                                 # drop the dataset
        "spot-prices": {"path": "/spot-prices", "fields": ["start:timestamp", "price:number"]}
    }}

- Besides ``datasets``, the top level may hold ``version``, ``source``, ``comment`` (ignored).
- A dataset key that the catalogue already has patches it; a new key adds a dataset (``path`` is
  then required; ``sheet``, ``table``, ``function`` and ``key`` get defaults from the name).
- ``fields`` / ``filters`` as a list patch by name: an entry whose ``name`` exists is merged onto
  the existing one in place (only the keys given change), a new name is appended. As an object,
  ``{"patch": [...], "remove": [names], "replace": [...]}``; ``replace`` cannot be combined with
  ``patch``.
- A field or filter entry is an object (``name``, ``type``, ``doc``, ``api_name``; filters also
  ``required``, ``default``, ``allowed``) or a string ``"name"`` / ``"name:type"``.
- Filter types: ``text`` (one value, commas and all: a supplier's name), ``id`` (several ids, as
  a list or ``"M-1,M-2"``, are asked for one request each), ``enum`` (one of ``allowed``; several
  as for ids), ``date``, ``number``, ``list`` (several values sent comma-joined in one request).
- ``api_name`` is the API's name: the parameter sent (rename a parameter without renaming the
  Excel/CLI argument) or the record key a column is read from (rename a field, keep the column).
- ``{placeholders}`` in ``path`` name a filter (by name or ``api_name``); a placeholder without
  one gets a required text filter.
- A dataset with a ``parent`` (invoice-lines) takes its parent's path and filters, unless its own
  entry sets them.

A malformed file raises :class:`CatalogueError` naming the file and the key.
"""

from __future__ import annotations

import json
import os
import re
import threading
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import quote

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
    "builtin_catalogue",
    "infer_field_type",
    "load_catalogue",
    "read_catalogue_file",
    "user_catalogue_path",
    "write_catalogue_file",
]

FieldType = Literal["text", "number", "integer", "date", "timestamp", "list", "object", "bool"]
FilterType = Literal["text", "enum", "date", "number", "list", "id"]
FIELD_TYPES: tuple[str, ...] = get_args(FieldType)
FILTER_TYPES: tuple[str, ...] = get_args(FilterType)

_PLACEHOLDER = re.compile(r"\{([^{}/]+)\}")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


@dataclass(frozen=True)
class Field:
    """One column of a dataset, named as the API names the record field (``address.city``).

    ``api_name`` is set only when the API's name for the field differs from the column's
    (a renamed field keeps its column, so workbooks and report templates keep working).
    """

    name: str
    type: FieldType = "text"
    doc: str = ""
    api_name: str | None = None

    @property
    def source(self) -> str:
        """The record key (dotted for nested objects) the column is read from."""
        return self.api_name or self.name


@dataclass(frozen=True)
class Filter:
    """One request parameter; ``date`` accepts a date or a date-time with offset, ``id`` (and
    ``enum``) several values, asked for one by one; ``text`` is one value, commas included."""

    name: str
    type: FilterType = "text"
    required: bool = False
    default: str | None = None
    allowed: tuple[str, ...] | None = None
    doc: str = ""
    api_name: str | None = None  # name sent to the API (default: name)

    @property
    def param(self) -> str:
        """The parameter name the API sees."""
        return self.api_name or self.name


@dataclass(frozen=True)
class Dataset:
    """One endpoint as a table: where it lives, what it accepts, what its records hold."""

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

    def field_names(self) -> list[str]:
        """Column names in display order."""
        return [f.name for f in self.fields]

    def path_params(self) -> list[str]:
        """The ``{placeholders}`` of the path, in order."""
        return _PLACEHOLDER.findall(self.path)

    def path_filters(self) -> list[Filter]:
        """The filters that fill the path's placeholders (always required)."""
        return [self.filter(p) for p in self.path_params()]

    def request(self, values: Mapping[str, str]) -> tuple[str, dict[str, str]]:
        """The path (placeholders filled and quoted) and the query (keyed by API names) of one
        request for ``values``, filters already validated and normalised (by
        :func:`ecore_xl.data.filters.normalise_filters`, the one place that checks them).

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
    """An ordered, immutable set of datasets, looked up by name, function, sheet or table."""

    def __init__(self, datasets: Iterable[Dataset] = ()) -> None:
        self._datasets: dict[str, Dataset] = {}
        for ds in datasets:
            self._datasets[ds.name] = ds
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
        return isinstance(other, Catalogue) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Catalogue({', '.join(self.names())})"

    def names(self) -> list[str]:
        """Dataset names in catalogue order."""
        return list(self._datasets)

    def to_dict(self) -> dict[str, Any]:
        """The whole catalogue as a JSON-ready dict (the override-file format)."""
        return {"datasets": {ds.name: _dataset_to_dict(ds) for ds in self}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "catalogue") -> Catalogue:
        """A catalogue from a dict in the override-file format (every dataset needs a path)."""
        return cls().overlay(data, source=source)

    def overlay(self, data: Mapping[str, Any], *, source: str = "catalogue") -> Catalogue:
        """A new catalogue: this one patched by ``data`` (the rules are in the module docstring)."""
        return _overlay(self, data, source)


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# ---- type inference (unknown fields, Postman examples) ------------------------------------------

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


# ---- built-in and user file ------------------------------------------------------------------

_builtin: Catalogue | None = None


def builtin_catalogue() -> Catalogue:
    """The built-in catalogue (the reconstruction in ``ecore-api.md``)."""
    global _builtin
    if _builtin is None:
        from ecore_xl.catalogue_builtin import DATASETS

        _builtin = Catalogue(DATASETS)
    return _builtin


def user_catalogue_path(path: str | Path | None = None) -> Path | None:
    """The override file in effect: ``path``, else ``ECORE_CATALOGUE``, else the config dir's."""
    if path is not None and str(path).strip():
        return Path(path).expanduser()
    if env := os.environ.get("ECORE_CATALOGUE", "").strip():
        return Path(env).expanduser()
    from ecore_xl.config import config_dir

    default = config_dir() / "catalogue.json"
    return default if default.is_file() else None


_cache: dict[tuple[str, int], Catalogue] = {}
_cache_lock = threading.Lock()


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """The built-in catalogue overlaid by the user's file (cached per path and mtime)."""
    file = user_catalogue_path(path)
    if file is None:
        return builtin_catalogue()
    try:
        mtime = file.stat().st_mtime_ns
    except OSError:
        raise CatalogueError(
            f"Catalogue file {file} does not exist: fix ECORE_CATALOGUE / the path, or remove it."
        ) from None
    key = (str(file.resolve()), mtime)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    data = read_catalogue_file(file)
    catalogue = builtin_catalogue().overlay(data, source=str(file))
    with _cache_lock:
        _cache.clear()  # only the newest version of any file is worth keeping
        _cache[key] = catalogue
    return catalogue


def read_catalogue_file(file: str | Path) -> dict[str, Any]:
    """The raw dict of a JSON or TOML catalogue file (CatalogueError if unreadable)."""
    file = Path(file)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise CatalogueError(f"Catalogue file {file} cannot be read: {exc.strerror}.") from None
    try:
        if file.suffix.lower() == ".toml":
            data = tomllib.loads(raw.decode("utf-8"))
        else:
            data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CatalogueError(
            f"Catalogue file {file} is not valid {'TOML' if file.suffix == '.toml' else 'JSON'}: "
            f"{exc}. Fix or delete it."
        ) from None
    if not isinstance(data, dict):
        raise CatalogueError(f"Catalogue file {file}: the top level must be an object.")
    return data


def write_catalogue_file(data: Mapping[str, Any], file: str | Path) -> Path:
    """Write an override dict as pretty JSON, atomically (never a half-written file)."""
    from ecore_xl.atomic import atomic_write_bytes

    file = Path(file)
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    atomic_write_bytes(file, text.encode("utf-8"), private=True)
    return file


# ---- (de)serialisation -----------------------------------------------------------------------

_DATASET_SCALARS = {
    "path": str,
    "description": str,
    "key": (str, type(None)),
    "sheet": str,
    "table": str,
    "function": str,
    "explode": (str, type(None)),
    "parent": (str, type(None)),
    "parent_key": (str, type(None)),
    "chunk": (str, type(None)),
}
_DATASET_KEYS = {*_DATASET_SCALARS, "filters", "fields", "one_of", "name"}
_FIELD_KEYS = {f.name for f in fields(Field)}
_FILTER_KEYS = {f.name for f in fields(Filter)}


def _dataset_to_dict(ds: Dataset) -> dict[str, Any]:
    out: dict[str, Any] = {
        "path": ds.path,
        "description": ds.description,
        "key": ds.key,
        "sheet": ds.sheet,
        "table": ds.table,
        "function": ds.function,
        "filters": [_item_to_dict(f, Filter) for f in ds.filters],
        "fields": [_item_to_dict(f, Field) for f in ds.fields],
    }
    if ds.one_of:
        out["one_of"] = list(ds.one_of)
    for name in ("explode", "parent", "parent_key", "chunk"):
        if getattr(ds, name) is not None:
            out[name] = getattr(ds, name)
    return out


def _item_to_dict(item: Field | Filter, cls: type) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(cls):
        value = getattr(item, f.name)
        if f.name != "name" and value == f.default:
            continue
        out[f.name] = list(value) if isinstance(value, tuple) else value
    return out


class _Where:
    """Builds 'file: datasets.x.filters[2].type' locations for error messages."""

    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, key: str, problem: str) -> CatalogueError:
        return CatalogueError(f"Catalogue {self.source}: {key} {problem}")


def _overlay(base: Catalogue, data: Mapping[str, Any], source: str) -> Catalogue:
    where = _Where(source)
    if not isinstance(data, Mapping):
        raise where.error("(top level)", "must be an object with a 'datasets' key.")
    unknown = set(data) - {"datasets", "version", "$schema", "comment", "source"}
    if unknown:
        raise where.error(
            ", ".join(sorted(unknown)), "is not a catalogue key: put datasets under 'datasets'."
        )
    entries = data.get("datasets", {})
    if not isinstance(entries, Mapping):
        raise where.error("datasets", "must be an object: dataset name -> settings.")
    result: dict[str, Dataset] = {ds.name: ds for ds in base}
    touched: dict[str, Mapping[str, Any]] = {}
    for raw_name, entry in entries.items():
        key = f"datasets.{raw_name}"
        name = str(raw_name)
        if not _NAME.match(name):
            raise where.error(key, "is not a valid dataset name (letters, digits, '-', '_').")
        if name not in result and name in base:
            name = base.get(name).name  # "Contracts" / "ECORE_CONTRACTS" patch "contracts"
        if entry is None:
            result.pop(name, None)
            continue
        if not isinstance(entry, Mapping):
            raise where.error(key, "must be an object (or null to remove the dataset).")
        extra = set(entry) - _DATASET_KEYS
        if extra:
            raise where.error(
                f"{key}.{sorted(extra)[0]}",
                f"is not a dataset key: use {', '.join(sorted(_DATASET_KEYS - {'name'}))}.",
            )
        result[name] = _patch_dataset(result.get(name), name, entry, key, where)
        touched[name] = entry
    # children follow their parent's path and filters unless their own entry sets them
    for name, ds in list(result.items()):
        if ds.parent is None:
            continue
        parent = result.get(ds.parent)
        if parent is None:
            raise where.error(f"datasets.{name}.parent", f"names unknown dataset {ds.parent!r}.")
        own = touched.get(name, {})
        changes: dict[str, Any] = {}
        if "path" not in own and ds.path != parent.path:
            changes["path"] = parent.path
        if "filters" not in own and ds.filters != parent.filters:
            changes["filters"] = parent.filters
        if changes:
            result[name] = _finish(replace(ds, **changes), f"datasets.{name}", where)
    return Catalogue(result.values())


def _patch_dataset(
    old: Dataset | None, name: str, entry: Mapping[str, Any], key: str, where: _Where
) -> Dataset:
    values: dict[str, Any]
    if old is None:
        if "path" not in entry:
            raise where.error(f"{key}.path", "is missing: a new dataset needs a path.")
        title = "".join(part.capitalize() for part in re.split(r"[-_ .]+", name))
        values = {
            "name": name,
            "path": "",
            "description": "",
            "filters": (),
            "fields": (),
            "key": None,
            "sheet": title[:31],
            "table": "tbl" + title,
            "function": "ECORE_" + re.sub(r"[^A-Za-z0-9]+", "_", name).upper(),
        }
    else:
        values = {f.name: getattr(old, f.name) for f in fields(Dataset)}
    for attr, types in _DATASET_SCALARS.items():
        if attr in entry:
            value = entry[attr]
            if not isinstance(value, types):
                raise where.error(f"{key}.{attr}", f"must be text (got {value!r}).")
            values[attr] = value
    if "one_of" in entry:
        values["one_of"] = tuple(_names(entry["one_of"], f"{key}.one_of", where))
    if "filters" in entry:
        values["filters"] = _patch_items(
            values["filters"], entry["filters"], Filter, f"{key}.filters", where
        )
    if "fields" in entry:
        values["fields"] = _patch_items(
            values["fields"], entry["fields"], Field, f"{key}.fields", where
        )
    if old is None and "key" not in entry and any(f.name == "id" for f in values["fields"]):
        values["key"] = "id"
    return _finish(Dataset(**values), key, where)


def _finish(ds: Dataset, key: str, where: _Where) -> Dataset:
    """Check a dataset; add/mark required filters for path placeholders."""
    if not ds.path.startswith("/"):
        raise where.error(f"{key}.path", f"must start with '/' (got {ds.path!r}).")
    filters = list(ds.filters)
    for placeholder in _PLACEHOLDER.findall(ds.path):
        for i, f in enumerate(filters):
            if placeholder in (f.name, f.api_name):
                if not f.required:
                    filters[i] = replace(f, required=True)
                break
        else:
            filters.insert(0, Filter(placeholder, "text", required=True, doc="path parameter"))
    names = [f.name for f in filters]
    for name in ds.one_of:
        if name not in names:
            raise where.error(f"{key}.one_of", f"names unknown filter {name!r}.")
    if ds.explode and not (ds.parent and ds.parent_key):
        raise where.error(f"{key}.explode", "needs 'parent' and 'parent_key' too.")
    for attr in ("sheet", "table", "function"):
        if not getattr(ds, attr):
            raise where.error(f"{key}.{attr}", "must not be empty.")
    if len(ds.sheet) > 31 or any(c in ds.sheet for c in "[]:*?/\\"):
        raise where.error(f"{key}.sheet", f"{ds.sheet!r} is not a valid Excel sheet name.")
    if not re.match(r"^[A-Za-z_][A-Za-z0-9_.]*$", ds.table):
        raise where.error(f"{key}.table", f"{ds.table!r} is not a valid Excel table name.")
    return replace(ds, filters=tuple(filters)) if filters != list(ds.filters) else ds


def _names(value: Any, key: str, where: _Where) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise where.error(key, "must be a list of names.")
    return list(value)


def _patch_items(
    current: tuple[Any, ...], spec: Any, cls: type, key: str, where: _Where
) -> tuple[Any, ...]:
    if isinstance(spec, list):
        patch, remove, replace_all = spec, [], None
    elif isinstance(spec, Mapping):
        extra = set(spec) - {"patch", "remove", "replace"}
        if extra:
            raise where.error(f"{key}.{sorted(extra)[0]}", "is not one of patch, remove, replace.")
        if "replace" in spec and "patch" in spec:
            raise where.error(key, "cannot have both 'replace' and 'patch'.")
        patch = spec.get("patch", [])
        remove = _names(spec.get("remove", []), f"{key}.remove", where)
        replace_all = spec.get("replace")
        for label, value in (("patch", patch), ("replace", replace_all)):
            if value is not None and not isinstance(value, list):
                raise where.error(f"{key}.{label}", "must be a list.")
    else:
        raise where.error(key, "must be a list, or an object with patch / remove / replace.")
    items: list[Any] = [] if replace_all is not None else list(current)
    for i, raw in enumerate(replace_all if replace_all is not None else patch):
        item_key = f"{key}[{i}]"
        entry = _item_entry(raw, cls, item_key, where)
        for j, existing in enumerate(items):
            if existing.name == entry["name"]:
                merged = {f.name: getattr(existing, f.name) for f in fields(cls)} | entry
                items[j] = _make_item(cls, merged, item_key, where)
                break
        else:
            items.append(_make_item(cls, entry, item_key, where))
    for name in remove:
        if not any(item.name == name for item in items):
            known = ", ".join(item.name for item in items)
            raise where.error(f"{key}.remove", f"names {name!r}, which is not there ({known}).")
        items = [item for item in items if item.name != name]
    return tuple(items)


def _item_entry(raw: Any, cls: type, key: str, where: _Where) -> dict[str, Any]:
    if isinstance(raw, str):
        name, _, kind = raw.partition(":")
        entry: dict[str, Any] = {"name": name.strip()}
        if kind.strip():
            entry["type"] = kind.strip()
        return entry
    if not isinstance(raw, Mapping):
        raise where.error(key, "must be an object with a 'name' (or a 'name:type' string).")
    allowed = _FIELD_KEYS if cls is Field else _FILTER_KEYS
    extra = set(raw) - allowed
    if extra:
        raise where.error(
            f"{key}.{sorted(extra)[0]}", f"is not allowed here: use {', '.join(sorted(allowed))}."
        )
    if not isinstance(raw.get("name"), str) or not raw["name"].strip():
        raise where.error(f"{key}.name", "is missing.")
    return dict(raw)


def _make_item(cls: type, entry: Mapping[str, Any], key: str, where: _Where) -> Any:
    name = entry["name"].strip()
    kinds = FIELD_TYPES if cls is Field else FILTER_TYPES
    kind = entry.get("type", "text")
    if kind not in kinds:
        raise where.error(f"{key}.type", f"{kind!r} is not one of {', '.join(kinds)}.")
    for text_key in ("doc", "api_name", "default"):
        value = entry.get(text_key)
        if text_key in entry and value is not None and not isinstance(value, str | int | float):
            raise where.error(f"{key}.{text_key}", "must be text.")
    api_name = entry.get("api_name")
    values: dict[str, Any] = {
        "name": name,
        "type": kind,
        "doc": str(entry.get("doc") or ""),
        "api_name": str(api_name) if api_name else None,
    }
    if cls is Filter:
        required = entry.get("required", False)
        if not isinstance(required, bool):
            raise where.error(f"{key}.required", "must be true or false.")
        allowed = entry.get("allowed")
        if allowed is not None:
            if not isinstance(allowed, list | tuple) or not allowed:
                raise where.error(f"{key}.allowed", "must be a non-empty list of values.")
            allowed = tuple(str(a) for a in allowed)
        default = entry.get("default")
        values |= {
            "required": required,
            "default": None if default is None else str(default),
            "allowed": allowed,
        }
    return cls(**values)
