"""Override files merged onto a catalogue: the rules of :mod:`ecore_xl.catalogue`, key by key.

A malformed entry raises :class:`~ecore_xl.errors.CatalogueError` naming the file and the key
(``Catalogue x.json: datasets.volumes.filters[2].type 'day' is not one of …``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import fields, replace
from typing import Any

from ecore_xl.catalogue.dialect import Frozen, check_dialect_patch, merge_patches
from ecore_xl.catalogue.faces import SETTING_NAME, Choices, Wide, WorkbookSetting
from ecore_xl.catalogue.model import (
    FIELD_TYPES,
    FILTER_TYPES,
    Catalogue,
    Dataset,
    Field,
    Filter,
    GranularityRule,
    Under,
)
from ecore_xl.catalogue.units import check_unit
from ecore_xl.catalogue.workbook import setting_cells
from ecore_xl.errors import CatalogueError

__all__ = ["dataset_to_dict", "overlay"]

_PLACEHOLDER = re.compile(r"\{([^{}/]+)\}")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_TOP_KEYS = {"datasets", "dialect", "version", "$schema", "comment", "source"}

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
_DATASET_KEYS = {
    *_DATASET_SCALARS,
    "filters",
    "fields",
    "one_of",
    "name",
    "dialect",
    "granularity",
    "under",
    "positional",
    "wide",
    "default_refresh",
    "comment",
}
#: settings cells of the sheet itself, never a filter's
_RESERVED_SETTINGS = {"layout", "datasets", "offline", "lastrefresh"}
_SKIPPED = {"derived"}
_FIELD_KEYS = {f.name for f in fields(Field)} - _SKIPPED
_FILTER_KEYS = {f.name for f in fields(Filter)} - _SKIPPED


# ---- to dict -----------------------------------------------------------------------------------


def dataset_to_dict(ds: Dataset) -> dict[str, Any]:
    """One dataset in the override-file format (its own dialect patch, not the API-wide one)."""
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
    if ds.granularity is not None:
        out["granularity"] = {
            f.name: getattr(ds.granularity, f.name) for f in fields(ds.granularity)
        }
    if ds.under is not None:
        out["under"] = {"filter": ds.under.filter, "dataset": ds.under.dataset}
    if ds.positional is not None:
        out["positional"] = list(ds.positional)
    if ds.wide is not None:
        out["wide"] = _declared(ds.wide)
    if ds.default_refresh:
        out["default_refresh"] = True
    if ds.dialect_patch:
        out["dialect"] = ds.dialect_patch.thaw()
    return out


def _item_to_dict(item: Field | Filter, cls: type) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(cls):
        value = getattr(item, f.name)
        if f.name in _SKIPPED or (f.name != "name" and value == f.default):
            continue
        if f.name == "api_name" and item.derived:
            continue  # derived from the dialect's naming rule, not declared
        if f.name == "values":
            out[f.name] = dict(value)
        elif f.name in ("setting", "choices"):
            out[f.name] = _declared(value)
        else:
            out[f.name] = list(value) if isinstance(value, tuple) else value
    return out


def _declared(item: Any) -> dict[str, Any]:
    """A face declaration (setting, choices, wide) as its keys that are set."""
    out = {f.name: getattr(item, f.name) for f in fields(item) if getattr(item, f.name)}
    if isinstance(item, Wide) and item.setting is not None:  # the layout row: name implied
        out["setting"] = {k: v for k, v in _declared(item.setting).items() if k != "name"}
    return out


# ---- overlay -----------------------------------------------------------------------------------


class _Where:
    """Builds 'file: datasets.x.filters[2].type' locations for error messages."""

    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, key: str, problem: str) -> CatalogueError:
        return CatalogueError(f"Catalogue {self.source}: {key} {problem}")

    def dialect(self, data: Any, key: str) -> dict[str, Any]:
        try:
            return check_dialect_patch(data, key)
        except CatalogueError as exc:
            raise CatalogueError(f"Catalogue {self.source}: {exc}") from None


def overlay(base: Catalogue, data: Mapping[str, Any], source: str) -> Catalogue:
    """A new catalogue: ``base`` patched by the override dict ``data``."""
    where = _Where(source)
    if not isinstance(data, Mapping):
        raise where.error("(top level)", "must be an object with a 'datasets' key.")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise where.error(
            ", ".join(sorted(unknown)),
            "is not a catalogue key: put datasets under 'datasets', the API's ways under "
            "'dialect'.",
        )
    api_patch: Mapping[str, Any] = base.dialect_patch
    if "dialect" in data:
        api_patch = merge_patches(base.dialect_patch, where.dialect(data["dialect"], "dialect"))
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
    # children follow their parent's path, filters and dialect unless their own entry sets them
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
        if "dialect" not in own and ds.dialect_patch != parent.dialect_patch:
            changes["dialect_patch"] = parent.dialect_patch
        if changes:
            result[name] = _finish(replace(ds, **changes), f"datasets.{name}", where)
    for name, ds in result.items():
        _check_links(ds, result, f"datasets.{name}", where, touched.get(name, {}))
    try:
        catalogue = Catalogue(result.values(), dialect_patch=api_patch)
        setting_cells(catalogue)  # one cell per filter name, one filter name per cell
    except CatalogueError as exc:
        raise CatalogueError(f"Catalogue {source}: {exc}") from None
    return catalogue


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
    if "dialect" in entry:
        patch = where.dialect(entry["dialect"], f"{key}.dialect")
        values["dialect_patch"] = Frozen(merge_patches(values.get("dialect_patch"), patch))
    if "granularity" in entry:
        values["granularity"] = _granularity(
            entry["granularity"], values, f"{key}.granularity", where
        )
    if "under" in entry:
        values["under"] = _under(entry["under"], f"{key}.under", where)
    if "positional" in entry:
        values["positional"] = _positional(entry["positional"], values, f"{key}.positional", where)
    if "wide" in entry:
        values["wide"] = _wide(entry["wide"], f"{key}.wide", where)
    if "default_refresh" in entry:
        flag = entry["default_refresh"]
        if not isinstance(flag, bool):
            raise where.error(f"{key}.default_refresh", "must be true or false.")
        values["default_refresh"] = flag
    if old is None and "key" not in entry and any(f.name == "id" for f in values["fields"]):
        values["key"] = "id"
    return _finish(Dataset(**values), key, where)


def _granularity(
    spec: Any, values: Mapping[str, Any], key: str, where: _Where
) -> GranularityRule | None:
    if spec is None:
        return None
    if not isinstance(spec, Mapping):
        raise where.error(key, "must be an object (filter, per, source, by) or null.")
    names = {f.name for f in fields(GranularityRule)}
    extra = set(spec) - names
    if extra:
        raise where.error(f"{key}.{sorted(extra)[0]}", f"is not one of {', '.join(sorted(names))}.")
    for name, value in spec.items():
        if not isinstance(value, str) or not value:
            raise where.error(f"{key}.{name}", "must be text.")
    old = values.get("granularity") or GranularityRule()
    return replace(old, **spec)


def _under(spec: Any, key: str, where: _Where) -> Under | None:
    if spec is None:
        return None
    if (
        not isinstance(spec, Mapping)
        or set(spec) != {"filter", "dataset"}
        or not all(isinstance(v, str) and v for v in spec.values())
    ):
        raise where.error(key, 'must be {"filter": "<id filter>", "dataset": "<parent dataset>"}.')
    return Under(filter=spec["filter"], dataset=spec["dataset"])


def _positional(
    spec: Any, values: Mapping[str, Any], key: str, where: _Where
) -> tuple[str, ...] | None:
    if spec is None:
        return None
    names = _names(spec, key, where)
    known = {f.name for f in values["filters"]} | {"layout"}
    for name in names:
        if name not in known:
            raise where.error(
                key,
                f"names {name!r}, which is no filter (nor layout): use {', '.join(sorted(known))}.",
            )
    if len(set(names)) != len(names):
        raise where.error(key, "names a filter twice.")
    return tuple(names)


def _wide(spec: Any, key: str, where: _Where) -> Wide | None:
    if spec is None:
        return None
    if spec is True:
        return Wide()
    if not isinstance(spec, Mapping):
        raise where.error(
            key, 'must be {"index": "start", "columns": "meterId", "values": "value"}.'
        )
    row = spec.get("setting")
    values: dict[str, Any] = _text_keys(
        {k: v for k, v in spec.items() if k != "setting"}, Wide, key, where
    )
    if isinstance(row, WorkbookSetting):
        values["setting"] = row
    elif row is not None:
        if not isinstance(row, Mapping) or set(row) - {"label", "help"}:
            raise where.error(f"{key}.setting", 'must be {"label": …, "help": …} (the layout row).')
        texts = _text_keys(row, WorkbookSetting, f"{key}.setting", where)
        values["setting"] = WorkbookSetting("layout", **texts)
    return Wide(**values)


def _text_keys(spec: Mapping[str, Any], cls: type, key: str, where: _Where) -> dict[str, str]:
    names = [f.name for f in fields(cls)]
    extra = set(spec) - set(names)
    if extra:
        raise where.error(f"{key}.{sorted(extra)[0]}", f"is not one of {', '.join(names)}.")
    for name, value in spec.items():
        if value is not None and not isinstance(value, str):
            raise where.error(f"{key}.{name}", "must be text.")
    return {k: v for k, v in spec.items() if v is not None}


def _setting(spec: Any, key: str, where: _Where) -> WorkbookSetting | None:
    if spec is None or isinstance(spec, WorkbookSetting):
        return spec
    if isinstance(spec, str):
        spec = {"name": spec}
    if not isinstance(spec, Mapping):
        raise where.error(
            key, 'must be a name or {"name": "meters", "label": "Meters", "help": …}.'
        )
    order = spec.get("order")
    if order is not None and (not isinstance(order, int) or isinstance(order, bool)):
        raise where.error(f"{key}.order", "must be a whole number (the row's place).")
    values: dict[str, Any] = _text_keys({k: v for k, v in spec.items() if k != "order"},
                                        WorkbookSetting, key, where)  # fmt: skip
    values["order"] = order
    name = values.get("name", "")
    if not SETTING_NAME.match(name) or name.lower() in _RESERVED_SETTINGS:
        raise where.error(
            f"{key}.name",
            f"{name!r} cannot name a settings cell: letters, digits and '_', not "
            f"{', '.join(sorted(_RESERVED_SETTINGS))}.",
        )
    return WorkbookSetting(**values)


def _choices(spec: Any, key: str, where: _Where) -> Choices | None:
    if spec is None or isinstance(spec, Choices):
        return spec
    if isinstance(spec, str):
        spec = {"dataset": spec}
    if not isinstance(spec, Mapping) or not spec.get("dataset"):
        raise where.error(key, 'must be a dataset or {"dataset": "meters", "field": "id"}.')
    return Choices(**_text_keys(spec, Choices, key, where))


def _finish(ds: Dataset, key: str, where: _Where) -> Dataset:
    """Check a dataset; add/mark required filters for path placeholders."""
    if not ds.path.startswith("/"):
        raise where.error(f"{key}.path", f"must start with '/' (got {ds.path!r}).")
    filters = list(ds.filters)
    under = ds.under.filter if ds.under else None
    for placeholder in _PLACEHOLDER.findall(ds.path):
        for i, f in enumerate(filters):
            if placeholder in (f.name, f.api_name):
                if not f.required and f.name != under:
                    filters[i] = replace(f, required=True)
                break
        else:
            kind = "id" if placeholder == under else "text"  # under: one request per parent id
            filters.insert(
                0, Filter(placeholder, kind, required=placeholder != under, doc="path parameter")
            )
    names = [f.name for f in filters]
    for name in ds.one_of:
        if name not in names:
            raise where.error(f"{key}.one_of", f"names unknown filter {name!r}.")
    if ds.under and ds.under.filter not in names:
        raise where.error(f"{key}.under.filter", f"names unknown filter {ds.under.filter!r}.")
    if ds.granularity and ds.granularity.filter in names and ds.granularity.per not in names:
        raise where.error(f"{key}.granularity.per", f"names unknown filter {ds.granularity.per!r}.")
    if ds.wide is not None:
        declared = {f.name: f for f in ds.fields}
        for attr in ("index", "columns", "values"):
            name = getattr(ds.wide, attr)
            if name not in declared:
                raise where.error(
                    f"{key}.wide.{attr}", f"names {name!r}, which is not a field: declare it."
                )
        if declared[ds.wide.index].type != "timestamp":
            raise where.error(f"{key}.wide.index", f"{ds.wide.index!r} must be a timestamp field.")
    if ds.positional and "layout" in ds.positional and ds.wide is None:
        raise where.error(f"{key}.positional", "names layout, but the dataset has no wide layout.")
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


def _check_narrows(ds: Dataset, declared: set[str], key: str, where: _Where) -> None:
    """A ``narrows`` this file declares names a field of the dataset, on an id, enum or date
    filter (a child's filters are its parent's: checked there)."""
    if ds.parent:
        return
    names = {f.name for f in ds.fields}
    for i, f in enumerate(ds.filters):
        if f.narrows is None or f.name not in declared:
            continue
        if f.narrows not in names:
            raise where.error(
                f"{key}.filters[{i}].narrows", f"names {f.narrows!r}, which is not a field."
            )
        if f.type not in ("date", "id", "enum"):
            raise where.error(
                f"{key}.filters[{i}].narrows",
                f"is checked on id, enum and date filters, not on a {f.type} filter.",
            )


def _check_links(
    ds: Dataset, result: Mapping[str, Dataset], key: str, where: _Where, entry: Mapping[str, Any]
) -> None:
    """``under``, ``granularity`` and the ``choices`` this file declares name datasets that
    exist (inherited choices of a removed dataset are dropped by the catalogue)."""
    declared = _filters_declaring(entry.get("filters"), "choices")
    _check_narrows(ds, _filters_declaring(entry.get("filters"), "narrows"), key, where)
    if ds.under and ds.under.dataset not in result:
        raise where.error(f"{key}.under.dataset", f"names unknown dataset {ds.under.dataset!r}.")
    rule = ds.granularity
    if rule and any(f.name == rule.filter for f in ds.filters) and rule.source not in result:
        raise where.error(f"{key}.granularity.source", f"names unknown dataset {rule.source!r}.")
    for i, f in enumerate(ds.filters):
        if f.choices is not None and f.choices.dataset not in result and f.name in declared:
            raise where.error(
                f"{key}.filters[{i}].choices.dataset",
                f"names unknown dataset {f.choices.dataset!r}.",
            )


def _filters_declaring(spec: Any, attr: str) -> set[str]:
    """Names of the filter entries of a ``filters`` spec that set ``attr``."""
    if isinstance(spec, Mapping):
        spec = [*(spec.get("patch") or []), *(spec.get("replace") or [])]
    if not isinstance(spec, list):
        return set()
    return {e["name"] for e in spec if isinstance(e, Mapping) and attr in e and "name" in e}


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
                if "api_name" in entry:
                    merged["derived"] = False
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
    text_keys = ["doc", "api_name", "default"]
    if cls is Filter:
        text_keys.append("narrows")
    if cls is Field:
        text_keys += ["unit", "api_unit", "unit_field", "fmt"]
    for text_key in text_keys:
        value = entry.get(text_key)
        if text_key in entry and value is not None and not isinstance(value, str | int | float):
            raise where.error(f"{key}.{text_key}", "must be text.")
    api_name = entry.get("api_name")
    values: dict[str, Any] = {
        "name": name,
        "type": kind,
        "doc": str(entry.get("doc") or ""),
        "api_name": str(api_name) if api_name else None,
        "values": _value_map(entry.get("values"), f"{key}.values", where),
        "derived": bool(entry.get("derived", False)) and bool(api_name),
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
            "setting": _setting(entry.get("setting"), f"{key}.setting", where),
            "choices": _choices(entry.get("choices"), f"{key}.choices", where),
            "narrows": str(entry["narrows"]) if entry.get("narrows") else None,
        }
    else:
        ends = entry.get("ends_period", False)
        if not isinstance(ends, bool):
            raise where.error(f"{key}.ends_period", "must be true or false.")
        units = {k: entry.get(k) or None for k in ("unit", "api_unit", "unit_field")}
        for unit_key in ("unit", "api_unit"):
            if units[unit_key] is not None:
                problem = check_unit(str(units[unit_key]))
                if problem:
                    raise where.error(f"{key}.{unit_key}", problem)
        if units["api_unit"] and not units["unit"]:
            raise where.error(f"{key}.api_unit", "needs 'unit' too (the column's unit).")
        if units["unit_field"] and not units["unit"]:
            raise where.error(f"{key}.unit_field", "needs 'unit' too (the column's unit).")
        fmt = str(entry["fmt"]) if entry.get("fmt") else None
        values |= {"ends_period": ends, **units, "fmt": fmt}
    return cls(**values)


def _value_map(spec: Any, key: str, where: _Where) -> tuple[tuple[str, str], ...]:
    if spec is None or spec == ():
        return ()
    if isinstance(spec, tuple):  # an existing item's map, merged again
        return spec
    if not isinstance(spec, Mapping) or not all(
        isinstance(v, str | int | float) and not isinstance(v, bool) for v in spec.values()
    ):
        raise where.error(key, 'must map our value to the API\'s: {"hour": "PT1H"}.')
    return tuple((str(k), str(v)) for k, v in spec.items())
