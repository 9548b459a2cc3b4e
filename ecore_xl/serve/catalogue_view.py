"""The catalogue as the task pane reads it: datasets, their filters, fields, docs and functions.

Read through the catalogue's public objects only (:class:`~ecore_xl.catalogue.Dataset`,
``Filter``, ``Field``), so a user's catalogue file shows up here (and in the add-in) unchanged.

A filter's **choices** (the pane's drop-down) are its ``allowed`` values, or the records its
``choices`` declaration names (``meterId``: the ``id`` of ``meters``, labelled by ``name``),
fetched through the data layer like any dataset. A filter without either has none. A dataset's
``layouts`` are ``long``, and ``wide`` where it declares a wide layout.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ecore_xl.formulas.signatures import dataset_spec
from ecore_xl.serve.functions_json import office_name

if TYPE_CHECKING:
    from ecore_xl.catalogue import Catalogue, Dataset, Filter

__all__ = ["catalogue_json", "choices_source", "dataset_json"]


def choices_source(catalogue: Catalogue, flt: Filter) -> tuple[str, str, str | None] | None:
    """``(dataset, value field, label field)`` whose records list this filter's values (its
    ``choices`` declaration, completed by the catalogue), or None."""
    c = flt.choices
    if c is None or c.field is None or c.dataset not in catalogue:
        return None
    return c.dataset, c.field, c.label


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
        "wide": ds.wide is not None,
        "layouts": list(ds.layouts),
        "filters": [_filter_json(catalogue, ds, f) for f in ds.filters],
        "fields": [{"name": f.name, "type": f.type, "doc": f.doc} for f in ds.fields],
    }


def catalogue_json(catalogue: Catalogue) -> dict[str, Any]:
    """Every dataset, in catalogue order."""
    return {"datasets": [dataset_json(catalogue, ds) for ds in catalogue]}
