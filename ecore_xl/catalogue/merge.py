"""Two override files as one: what ``catalogue probe --write`` writes into the user's file.

``merge_overrides(old, new)`` is the file that overlays like ``old`` then ``new``:
``builtin.overlay(merge_overrides(old, new)) == builtin.overlay(old).overlay(new)``. Rules, as
the overlay reads them (:mod:`ecore_xl.catalogue`): dialect sections merge key by key, except
that a ``paging`` section naming a ``style`` replaces the old one (another style reads other
keys); dataset scalars, ``under``, ``one_of`` and ``granularity`` of ``new`` win; filter and
field lists merge by name (``new``'s keys win in an entry), removals add up, and a ``replace``
list in ``old`` takes ``new``'s patches and removals; ``null`` drops a dataset. Two differences
from two files in turn, both on purpose: a new paging style takes none of the old style's keys,
and a patch of a name ``old`` removes brings the catalogue's own entry back, patched.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

__all__ = ["merge_overrides"]

_SECTIONS = ("envelope", "paging", "params", "fields")


def merge_overrides(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """``old`` with ``new`` on top (see the module docstring); neither is changed."""
    out = copy.deepcopy(dict(old))
    for key, value in new.items():
        if key == "datasets":
            continue
        if key == "dialect":
            out["dialect"] = _dialect(out.get("dialect") or {}, value or {})
        elif key == "source" and out.get("source") and out["source"] != value:
            out["source"] = f"{out['source']}; {value}"
        else:
            out[key] = copy.deepcopy(value)
    datasets = dict(out.get("datasets") or {})
    for name, entry in (new.get("datasets") or {}).items():
        if entry is None or not isinstance(datasets.get(name), Mapping):
            datasets[name] = copy.deepcopy(entry)
        else:
            datasets[name] = _dataset(datasets[name], entry)
    out["datasets"] = datasets
    return out


def _dialect(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(dict(old))
    for key, value in new.items():
        if key == "paging" and isinstance(value, Mapping) and "style" in value:
            out[key] = copy.deepcopy(dict(value))
        elif key in _SECTIONS and isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = {**out[key], **copy.deepcopy(dict(value))}
        else:
            out[key] = copy.deepcopy(value)
    return out


def _dataset(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(dict(old))
    for key, value in new.items():
        if key == "dialect":
            out[key] = _dialect(out.get(key) or {}, value or {})
        elif key in ("filters", "fields"):
            out[key] = _items(out.get(key), value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _parts(spec: Any) -> tuple[list[Any], list[str], list[Any] | None]:
    """(patch, remove, replace) of a filters/fields spec (a list is a patch)."""
    if spec is None:
        return [], [], None
    if isinstance(spec, list):
        return copy.deepcopy(spec), [], None
    return (
        copy.deepcopy(list(spec.get("patch") or [])),
        list(spec.get("remove") or []),
        copy.deepcopy(spec["replace"]) if spec.get("replace") is not None else None,
    )


def _name(item: Any) -> str:
    if isinstance(item, str):
        return item.partition(":")[0].strip()
    return str(item.get("name", "")) if isinstance(item, Mapping) else ""


def _onto(items: list[Any], patch: list[Any]) -> list[Any]:
    """``patch`` entries merged by name onto ``items`` (new names appended)."""
    out = list(items)
    for entry in patch:
        name = _name(entry)
        for i, item in enumerate(out):
            if _name(item) == name:
                if isinstance(item, Mapping) and isinstance(entry, Mapping):
                    out[i] = {**item, **entry}
                elif isinstance(entry, Mapping):
                    kind = item.partition(":")[2].strip() if isinstance(item, str) else ""
                    out[i] = {"name": name, **({"type": kind} if kind else {}), **entry}
                else:
                    out[i] = entry
                break
        else:
            out.append(entry)
    return out


def _items(old: Any, new: Any) -> Any:
    old_patch, old_remove, old_replace = _parts(old)
    new_patch, new_remove, new_replace = _parts(new)
    if new_replace is not None:
        return {"replace": new_replace}
    if old_replace is not None:
        kept = [i for i in _onto(old_replace, new_patch) if _name(i) not in set(new_remove)]
        return {"replace": kept}
    patched = {_name(e) for e in new_patch}
    remove = [n for n in old_remove if n not in patched] + [
        n for n in new_remove if n not in old_remove
    ]
    patch = [e for e in _onto(old_patch, new_patch) if _name(e) not in set(new_remove)]
    if not remove:
        return patch
    return {"patch": patch, "remove": remove}
