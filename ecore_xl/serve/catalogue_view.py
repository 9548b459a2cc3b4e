"""The catalogue as the task pane reads it: datasets, their filters, fields, docs and functions.

Read through the catalogue's public objects only (:class:`~ecore_xl.catalogue.Dataset`,
``Filter``, ``Field``), so a user's catalogue file shows up here (and in the add-in) unchanged.

A filter's **choices** (the pane's drop-down) are its ``allowed`` values, or for an ``id``
filter the ids of the dataset it names: ``meterId`` -> ``meters``, ``legalEntityId`` ->
``legal-entities`` (the dataset whose name is the filter's stem in the plural and whose key is
``id``), fetched through the data layer like any dataset. A filter without either has none.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ecore_xl.formulas.signatures import dataset_spec
from ecore_xl.serve.functions_json import office_name

if TYPE_CHECKING:
    from ecore_xl.catalogue import Catalogue, Dataset, Filter

__all__ = ["catalogue_json", "choices_source", "dataset_json"]


def _plural(stem: str) -> list[str]:
    return [stem + "s", stem[:-1] + "ies"] if stem.endswith("y") else [stem + "s"]


def choices_source(catalogue: Catalogue, flt: Filter) -> tuple[str, str, str | None] | None:
    """``(dataset, value field, label field)`` whose records list this filter's values."""
    if flt.type != "id" or not flt.name.endswith("Id") or len(flt.name) <= 2:
        return None
    stem = re.sub(r"(?<=[a-z0-9])([A-Z])", r"-\1", flt.name[:-2]).lower()
    for name in _plural(stem):
        if name in catalogue:
            ds = catalogue.get(name)
            if ds.name == name and ds.key:
                fields = set(ds.field_names())
                return ds.name, ds.key, "name" if "name" in fields else None
    return None


def _filter_json(catalogue: Catalogue, ds: Dataset, flt: Filter) -> dict[str, Any]:
    source = choices_source(catalogue, flt)
    return {
        "name": flt.name,
        "type": flt.type,
        "required": flt.required or flt.name in ds.path_params(),
        "default": flt.default,
        "allowed": list(flt.allowed) if flt.allowed else None,
        "doc": flt.doc,
        "choicesFrom": source[0] if source else None,
        "oneOf": flt.name in ds.one_of,
    }


def dataset_json(catalogue: Catalogue, ds: Dataset) -> dict[str, Any]:
    """One dataset for the pane, with its function's positional arguments."""
    spec = dataset_spec(ds)
    return {
        "name": ds.name,
        "description": ds.description,
        "sheet": ds.sheet,
        "table": ds.table,
        "function": ds.function,
        "officeFunction": office_name(ds.function),
        "arguments": [
            {"name": p.name, "filter": p.target, "doc": p.doc}
            for p in spec.params
            if p.target is not None
        ],
        "optionSlots": sum(1 for p in spec.params if p.target is None),
        "oneOf": list(ds.one_of),
        "wide": {"start", "value"} <= set(ds.field_names()),
        "filters": [_filter_json(catalogue, ds, f) for f in ds.filters],
        "fields": [{"name": f.name, "type": f.type, "doc": f.doc} for f in ds.fields],
    }


def catalogue_json(catalogue: Catalogue) -> dict[str, Any]:
    """Every dataset, in catalogue order."""
    return {"datasets": [dataset_json(catalogue, ds) for ds in catalogue]}
