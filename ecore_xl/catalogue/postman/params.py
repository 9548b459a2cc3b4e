"""A request's documented parameters as filters (by meaning) and as paging (never as filters).

For one request matched to a dataset:

* paging parameters (``page``, ``pageSize``, ``offset``, ``limit``, ``top``, ``skip``,
  continuation tokens — by name or by description) and the example's paging signals (a next
  link, ``meta.totalPages``, ``X-Total-Count``) give the paging declaration, with the largest
  page size a description states (``at most 500``);
* every other parameter is one of the dataset's filters by meaning (``dateFrom`` is ``from``,
  ``resolution`` is ``granularity``, ``{contractId}`` in the path is the contract filter) and
  keeps its column name; value lists in descriptions become value maps (``PT1H`` is ``hour``);
  date examples and descriptions give the date format and whether the end bound is inclusive;
* a parameter that is none of the filters becomes a new filter; a filter the request does not
  list (when it lists its parameters) is removed: the API would ignore it.
"""

from __future__ import annotations

import re
from typing import Any

from ecore_xl.catalogue.dialect import DEFAULT_DIALECT
from ecore_xl.catalogue.learn.names import (
    entity_of,
    fold,
    meaning_of_param,
    paging_role,
)
from ecore_xl.catalogue.learn.proposal import Learning
from ecore_xl.catalogue.learn.records import PagingSignals
from ecore_xl.catalogue.learn.values import (
    allowed_values,
    granularity_of,
    is_duration,
    stated_maximum,
    value_map,
)
from ecore_xl.catalogue.learn.vocabulary import COMMODITIES, DATASET_WORDS, ISO_DURATIONS
from ecore_xl.catalogue.model import Catalogue, Dataset, Filter
from ecore_xl.catalogue.postman.collection import Param, Request

__all__ = ["learn_paging", "learn_params", "new_filter"]

_BASED = re.compile(r"\b([01])-based\b", re.IGNORECASE)
_REQUIRED = re.compile(r"\b(?<!not )required\b|\bmandatory\b", re.IGNORECASE)
_DEFAULT = re.compile(r"\bdefault(?:s to|:| is)?\s*[`'\"]?([\w.\-]+)", re.IGNORECASE)
_EPOCH_DOC = re.compile(r"epoch|unix", re.IGNORECASE)
_MILLI_DOC = re.compile(r"milli", re.IGNORECASE)
_INCLUSIVE = re.compile(r"including|inclusive(?!ly)", re.IGNORECASE)
_EXCLUSIVE = re.compile(r"exclusive|until this|before this", re.IGNORECASE)
_DATE_ONLY = re.compile(r"\(YYYY-MM-DD\)|must be a date|dates only", re.IGNORECASE)
_DATE_TIME = re.compile(r"date-?time|ISO 8601", re.IGNORECASE)
_ONLY_FOR = re.compile(r"(\w+) meters?\s*:\s*([^.]+?)\s+only", re.IGNORECASE)


def learn_paging(
    learning: Learning, ds: Dataset, request: Request, signals: PagingSignals | None
) -> list[str]:
    """The paging the request shows, recorded for ``ds``; returns the paging parameters' names."""
    roles: dict[str, Param] = {}
    for p in request.query:
        role = paging_role(p.name, p.doc)
        if role is not None and role not in roles and meaning_of_param(ds, p.name) is None:
            roles[role] = p
    names = [p.name for p in roles.values()]
    signals = signals or PagingSignals()
    spec: dict[str, Any] | None = None
    said = " ".join(p.doc for p in roles.values()) + " " + request.description
    if "next" in signals.where or re.search(r"next ?link|rel=.?next", said, re.IGNORECASE):
        where = signals.where.get("next")
        default = list(DEFAULT_DIALECT.paging.next)
        spec = {
            "style": "next",
            "next": default if where in (None, *default) else [where, *default],
        }
    elif "page" in roles and "size" in roles:
        page, size = roles["page"], roles["size"]
        first = _first_page(page, signals)
        spec = {"style": "pages", "page_param": page.name, "first_page": first,
                "size_param": size.name, "max_size": _max_size(size)}  # fmt: skip
        for stop in ("total_pages", "total_items", "has_more"):
            if stop in signals.where:
                spec[stop] = signals.where[stop]
    elif "offset" in roles and "size" in roles:
        spec = {"style": "offset", "offset_param": roles["offset"].name,
                "size_param": roles["size"].name, "max_size": _max_size(roles["size"])}  # fmt: skip
        if "total_items" in signals.where:
            spec["total_items"] = signals.where["total_items"]
    elif "token" in roles or "token" in signals.where:
        where = signals.where.get("token") or (roles["token"].name if "token" in roles else "")
        param = roles["token"].name if "token" in roles else where
        spec = {"style": "cursor", "token": where, "token_param": param}
    if spec is None:
        return names
    learning.saw(ds.name, "paging", spec)
    if spec.get("max_size") == 100 and not any(stated_maximum(p.doc) for p in roles.values()):
        learning.note(ds.name, "paging", f"{spec['size_param']} has no stated maximum: 100 "
                      "asked per page", "guess")  # fmt: skip
    return names


def _first_page(page: Param, signals: PagingSignals) -> int:
    if m := _BASED.search(page.doc):
        return int(m.group(1))
    if signals.values.get("page") in (0, 1):
        return int(signals.values["page"])
    return 0 if page.value.strip() == "0" else 1


def _max_size(size: Param) -> int:
    return stated_maximum(size.doc) or 100


def learn_params(
    learning: Learning,
    ds: Dataset,
    request: Request,
    catalogue: Catalogue,
    *,
    paging: list[str],
    tz: str,
) -> None:
    """Filters, path, ``under`` and ``one_of`` of ``ds`` as the request documents them."""
    learned = learning.dataset(ds.name)
    seen: set[str] = set()
    path = request.path
    for placeholder in request.path_params:
        f = _placeholder_filter(ds, request.path, placeholder)
        if f is None:
            learning.note(ds.name, f"path {{{placeholder}}}", "no filter of ours: a new "
                          "required filter", "likely")  # fmt: skip
            continue
        seen.add(f.name)
        path = path.replace("{" + placeholder + "}", "{" + f.name + "}")
        if f.name in ds.path_params():
            continue
        if not f.required and f.name not in ds.one_of:
            parent = _dataset_of(catalogue, f)
            if parent is not None:
                learned.under = {"filter": f.name, "dataset": parent}
                learning.note(ds.name, "under", f"one request per {parent} id ({f.name} in the "
                              "path)")  # fmt: skip
    learned.path = path
    if path != ds.path:
        learning.note(ds.name, "path", f"{ds.path} -> {path}")
    for p in request.query:
        if p.name in paging:
            continue
        hit = meaning_of_param(ds, p.name, doc=p.doc)
        if hit is None:
            learned.new_filters.append(new_filter(p))
            learning.note(ds.name, f"filter {p.name}", "new (no filter of ours means it)",
                          "likely")  # fmt: skip
            continue
        f, sure = hit
        if f.name in seen:
            continue
        seen.add(f.name)
        learned.params[f.name] = p.name
        if p.name != f.param:
            learning.note(ds.name, f"filter {f.name}", f"sent as {p.name}", sure)
        _learn_values(learning, ds, f, p)
        if f.type == "date":
            _learn_dates(learning, ds, f, p)
    if request.documented:
        missing = [f.name for f in ds.filters if f.name not in seen]
        for name in missing:
            learned.remove_filters.append(name)
            learning.note(ds.name, f"filter {name}", "removed: the request does not take it "
                          "(the API would ignore it: unfiltered data)", "likely")  # fmt: skip
        if ds.one_of:
            kept = [n for n in ds.one_of if n not in missing and n not in _in_path(path)]
            if len(kept) < len(ds.one_of):
                learned.one_of = kept if len(kept) > 1 else []
    elif ds.filters:
        kept = [f.name for f in ds.filters if f.name not in seen]
        if kept:
            learning.note(ds.name, "filters", f"{', '.join(kept)} not in the example request: "
                          "kept", "guess", "unplaced")  # fmt: skip


def _in_path(path: str) -> list[str]:
    return re.findall(r"\{([^{}]+)\}", path)


def _placeholder_filter(ds: Dataset, path: str, placeholder: str) -> Filter | None:
    """Our filter a path variable fills: by meaning, else the id filter of the dataset the word
    before it names (``/meters/{id}/timeseries``, ``/portfolios/{pf}/positions``)."""
    hit = meaning_of_param(ds, placeholder)
    if hit is not None and hit[0].type in ("id", "text"):
        return hit[0]
    segments = path.strip("/").split("/")
    at = segments.index("{" + placeholder + "}") if "{" + placeholder + "}" in segments else -1
    before = segments[at - 1] if at > 0 else ""
    for other, words in DATASET_WORDS.items():
        if before and fold(before) in {fold(w) for w in words}:
            for f in ds.filters:
                if f.type == "id" and fold(f.name) == fold(entity_of(other) + "Id"):
                    return f
    return None


def _dataset_of(catalogue: Catalogue, f: Filter) -> str | None:
    """The dataset whose id ``f`` is (``contractId``: contracts)."""
    for ds in catalogue:
        if ds.parent is None and fold(entity_of(ds.name) + "Id") == fold(f.name):
            return ds.name
    return None


def _learn_values(learning: Learning, ds: Dataset, f: Filter, p: Param) -> None:
    listed = allowed_values(p.doc)
    keys = learning.dataset(ds.name).filter_keys
    if listed and f.allowed:
        if all(granularity_of(v) for v in listed) and all(granularity_of(a) for a in f.allowed):
            mapped = value_map(listed, list(f.allowed))
            if mapped is None:
                learning.note(ds.name, f"filter {f.name}", f"values {', '.join(listed)} do not "
                              f"cover {', '.join(f.allowed)}", "likely", "unplaced")  # fmt: skip
            elif mapped != dict(f.values):
                keys.setdefault(f.name, {})["values"] = mapped
                text = ", ".join(f"{k} as {v}" for k, v in mapped.items())
                learning.note(ds.name, f"filter {f.name}", f"values {text}", "seen")
            if f.name == "granularity":
                _learn_commodities(learning, ds, f, p.doc)
        else:
            ours = {fold(a) for a in f.allowed}
            unknown = [v for v in listed if fold(v) not in ours]
            if unknown:
                learning.note(ds.name, f"filter {f.name}", f"the API also takes "
                              f"{', '.join(unknown)} (not in our allowed values)", "seen",
                              "unplaced")  # fmt: skip
    elif not listed and f.allowed and p.value and all(granularity_of(a) for a in f.allowed):
        _learn_from_example(learning, ds, f, p.value)
    if _REQUIRED.search(p.doc) and not f.required and not p.in_path and f.name not in ds.one_of:
        keys.setdefault(f.name, {})["required"] = True
        learning.note(ds.name, f"filter {f.name}", "required", "likely")


def _learn_from_example(learning: Learning, ds: Dataset, f: Filter, example: str) -> None:
    """One example value and no list: an ISO 8601 duration (``PT1H``) says the family, so
    every one of ours is spelled so; any other spelling (``hourly``) only says itself."""
    ours = granularity_of(example)
    if ours is None or ours == example or dict(f.values).get(ours) == example:
        return
    if is_duration(example):
        mapped = {a: ISO_DURATIONS[a] for a in f.allowed or () if a in ISO_DURATIONS}
        if len(mapped) == len(f.allowed or ()):
            learning.dataset(ds.name).filter_keys.setdefault(f.name, {})["values"] = mapped
            text = ", ".join(f"{k} as {v}" for k, v in mapped.items())
            learning.note(ds.name, f"filter {f.name}", f"values {text} (the example {example} "
                          "is an ISO 8601 duration)", "likely")  # fmt: skip
            return
    learning.note(ds.name, f"filter {f.name}", f"the example sends {ours} as {example!r}; the "
                  f"other values are not documented: declare datasets.{ds.name}.filters"
                  f"[{f.name}].values", "seen", "unplaced")  # fmt: skip


def _learn_commodities(learning: Learning, ds: Dataset, f: Filter, doc: str) -> None:
    out: dict[str, list[str]] = {}
    for commodity, listed in _ONLY_FOR.findall(doc):
        if commodity.lower() not in COMMODITIES:
            continue
        values = [granularity_of(v.strip()) for v in re.split(r"\s*(?:,|\bor\b|/)\s*", listed)]
        if values and all(values):
            out[commodity.lower()] = [v for v in values if v]
    if out and ds.granularity is not None:
        learning.saw(ds.name, "granularities", out)


def _learn_dates(learning: Learning, ds: Dataset, f: Filter, p: Param) -> None:
    """The date format (from the range bounds: a single day such as ``activeOn`` is a date
    anyway, so it only tells epoch numbers) and whether the end bound is inclusive."""
    value = p.value.strip()
    if (value.isdigit() and len(value) in (10, 13)) or _EPOCH_DOC.search(p.doc):
        ms = len(value) == 13 or bool(_MILLI_DOC.search(p.doc))
        learning.saw(ds.name, "params.dates", "epoch_ms" if ms else "epoch_s")
    elif f.name not in ("from", "to"):
        return
    elif _DATE_ONLY.search(p.doc):
        learning.saw(ds.name, "params.dates", "date")
    elif _DATE_TIME.search(p.doc):
        learning.saw(ds.name, "params.dates", "iso")
    if f.name == "to":
        if _INCLUSIVE.search(p.doc):
            learning.saw(ds.name, "params.end", "inclusive")
        elif _EXCLUSIVE.search(p.doc):
            learning.saw(ds.name, "params.end", "exclusive")


def new_filter(p: Param) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": p.name, "type": _filter_type(p)}
    if p.in_path or (_REQUIRED.search(p.doc) and not p.disabled):
        entry["required"] = True
    listed = allowed_values(p.doc)
    if listed:
        entry["allowed"] = listed
        if (d := _DEFAULT.search(p.doc)) and d.group(1).rstrip(".") in listed:
            entry["default"] = d.group(1).rstrip(".")
    if p.doc:
        entry["doc"] = p.doc.splitlines()[0][:200]
    return entry


_DATE_VALUE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$")
_ID_NAME = re.compile(r"[a-z0-9](?:Id|_id)$")


def _filter_type(p: Param) -> str:
    if allowed_values(p.doc):
        return "enum"
    if _DATE_VALUE.match(p.value) or p.name.lower() in ("from", "to") or p.name.endswith("On"):
        return "date"
    if _ID_NAME.search(p.name):
        return "id"
    return "text"
