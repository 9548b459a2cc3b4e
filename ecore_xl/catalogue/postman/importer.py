"""``ecore-xl catalogue import``: a Postman collection export as a catalogue override file.

Every GET request is matched to a dataset by what it serves (:mod:`.matching`); its saved example
is read for the envelope, the fields (by meaning: the API's names kept as ``api_name``, so
columns keep theirs), units, instants, period ends and nested series
(:mod:`ecore_xl.catalogue.learn.sample`); its documented parameters give the filters and the
paging (:mod:`.params`); a one-record request (``/contracts/{id}``) says where one record is.
What was learned becomes the smallest override on top of the built-in catalogue
(:meth:`~ecore_xl.catalogue.learn.proposal.Learning.overrides`), each finding with how sure it
is; an endpoint no dataset serves becomes a new dataset; what cannot be placed is said, never
written silently.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecore_xl.catalogue.files import builtin_catalogue
from ecore_xl.catalogue.learn.names import paging_role
from ecore_xl.catalogue.learn.proposal import Learning
from ecore_xl.catalogue.learn.records import find_records, flatten
from ecore_xl.catalogue.learn.sample import (
    Sample,
    learn_collection_body,
    learn_record_body,
    settle_energy,
)
from ecore_xl.catalogue.model import Catalogue, infer_field_type
from ecore_xl.catalogue.postman.collection import (
    HOW_TO_EXPORT,
    Example,
    Request,
    is_documentation_page,
    read_collection,
    requests_of,
    unwrap,
)
from ecore_xl.catalogue.postman.matching import Match, assign, literal_words
from ecore_xl.catalogue.postman.params import learn_paging, learn_params, new_filter
from ecore_xl.errors import CatalogueError

__all__ = ["ImportResult", "import_collection", "to_overrides"]

DEFAULT_TZ = "Europe/Berlin"


@dataclass
class ImportResult:
    """What an import found (``learning.findings``), matched and skipped, and the override."""

    source: str
    learning: Learning
    overrides: dict[str, Any]
    matches: list[Match] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def matched(self) -> dict[str, str]:
        """Dataset -> the request that serves it (``GET /structure/meters``)."""
        return {m.dataset.name: f"GET {m.request.path}" for m in self.matches}

    @property
    def datasets(self) -> list[str]:
        return [*self.matched, *self.new]


def import_collection(
    path: str | Path, *, base: Catalogue | None = None, tz: str = DEFAULT_TZ
) -> Catalogue:
    """``base`` (default: the built-in catalogue) with a Postman export's endpoints merged in."""
    base = base if base is not None else builtin_catalogue()
    result = to_overrides(read_collection(path), base=base, source=str(path), tz=tz)
    return base.overlay(result.overrides, source=str(path))


def to_overrides(
    collection: Mapping[str, Any],
    *,
    base: Catalogue | None = None,
    source: str = "collection",
    tz: str = DEFAULT_TZ,
) -> ImportResult:
    """The override-file content a collection implies, relative to ``base``."""
    base = base if base is not None else builtin_catalogue()
    published = is_documentation_page(collection)
    collection = unwrap(collection, source)
    requests, problems = requests_of(collection)
    if not requests and published:
        raise CatalogueError(
            f"Postman export {source} has no requests (it is the published documentation page "
            f"of the collection, not a collection export). {HOW_TO_EXPORT}"
        )
    if not requests:
        why = f"; {problems[0]}" if problems else ": its folders hold none"
        raise CatalogueError(
            f"Postman collection {source} has no request with a URL{why}. {HOW_TO_EXPORT}"
        )
    info = collection.get("info")
    title = str(info.get("name") or "").strip() if isinstance(info, Mapping) else ""
    label = f"Postman collection {title!r} ({source})" if title else f"Postman ({source})"
    learning = Learning(base, label)
    result = ImportResult(source, learning, {}, skipped=list(problems))
    gets: list[Request] = []
    for r in requests:
        if r.method != "GET":
            result.skipped.append(f"{r.label}: {r.method} request (only GET is data)")
        else:
            gets.append(r)
    if not gets:
        raise CatalogueError(
            f"Postman export {source} has no GET requests to import ({len(result.skipped)} "
            f"skipped). {HOW_TO_EXPORT}"
        )
    collections = _merged([r for r in gets if not r.single])
    singles = [r for r in gets if r.single]
    matches, rest = assign(collections, base, tz=tz)
    result.matches = matches
    samples: dict[str, list[Sample]] = {}
    for m in matches:
        samples[m.dataset.name] = _learn_match(learning, base, m, tz=tz)
    for r in singles:
        _learn_single(learning, base, matches, r, result)
    for r in rest:
        name = _unique_name(_name_from_path(r.path), base, learning)
        learning.dataset(name).entry = _new_dataset(r)
        learning.note(name, "dataset", f"new: GET {r.path} (no dataset of ours serves it)",
                      "likely")  # fmt: skip
        result.new.append(name)
    settle_energy(learning, samples, tz=tz)
    result.overrides = learning.overrides()
    base.overlay(result.overrides, source=f"import of {source}")  # must load cleanly
    return result


def _merged(requests: list[Request]) -> list[Request]:
    """Requests of one path as one (the first keeps its place; parameters and examples join)."""
    by_path: dict[str, Request] = {}
    for r in requests:
        key = re.sub(r"\{[^{}]+\}", "{}", r.path.rstrip("/")).lower()
        if key not in by_path:
            by_path[key] = r
            continue
        into = by_path[key]
        names = {p.name for p in into.query}
        into.query.extend(p for p in r.query if p.name not in names)
        into.examples.extend(r.examples)
        into.documented = into.documented or r.documented
    return list(by_path.values())


def _usable(examples: list[Example], learning: Learning, dataset: str, label: str) -> list[Any]:
    bodies = []
    for e in examples:
        if e.code is not None and not 200 <= e.code < 300:
            continue
        if e.body is None:
            learning.note(dataset, "example", f"{label}: example skipped ({e.problem})", "seen",
                          "unplaced")  # fmt: skip
            continue
        bodies.append(e)
    return bodies


def _learn_match(learning: Learning, base: Catalogue, m: Match, *, tz: str) -> list[Sample]:
    ds, r = m.dataset, m.request
    learning.note(ds.name, "dataset", f"GET {r.path} ({m.why})", m.sure, "ok")
    found: list[Sample] = []
    signals = None
    examples = _usable(r.examples, learning, ds.name, r.label)
    if not examples:
        learning.note(ds.name, "example", f"{r.label}: no example response; fields, units and "
                      "envelope not checked", "seen", "unplaced")  # fmt: skip
    for e in examples[:1]:
        sample = learn_collection_body(learning, ds, e.body, e.headers, tz=tz, where=r.label)
        if sample is not None:
            found.append(sample)
            signals = sample.signals
    paging = learn_paging(learning, ds, r, signals)
    learn_params(learning, ds, r, base, paging=paging, tz=tz)
    return found


def _learn_single(
    learning: Learning, base: Catalogue, matches: list[Match], r: Request, result: ImportResult
) -> None:
    parent = r.path.rstrip("/").rsplit("/", 1)[0]
    owner = next((m for m in matches if m.request.path.rstrip("/") == parent), None)
    if owner is None:
        result.skipped.append(f"{r.label}: {r.path} returns one record, and no collection "
                              "request of it was matched")  # fmt: skip
        return
    result.skipped.append(f"{r.label}: {r.path} returns one record (read for where it is; "
                          f"{owner.dataset.name} covers the data)")  # fmt: skip
    for e in _usable(r.examples, learning, owner.dataset.name, r.label)[:1]:
        learn_record_body(learning, owner.dataset, e.body, where=r.label)


def _name_from_path(path: str) -> str:
    words = literal_words(path)
    last = words[-1] if words else "dataset"
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", last).replace("_", "-").lower()
    return re.sub(r"[^a-z0-9\-]+", "-", name).strip("-") or "dataset"


def _unique_name(name: str, base: Catalogue, learning: Learning) -> str:
    candidate, n = name, 2
    while candidate in base or candidate in learning.datasets:
        candidate, n = f"{name}-{n}", n + 1
    return candidate


def _new_dataset(r: Request) -> dict[str, Any]:
    params = [*r.path_params.values(), *(p for p in r.query if paging_role(p.name, p.doc) is None)]
    entry: dict[str, Any] = {
        "path": r.path,
        "description": (r.description.splitlines()[0] if r.description else "") or r.title,
        "filters": [new_filter(p) for p in params],
        "fields": [],
    }
    for e in r.examples:
        if e.body is None or (e.code is not None and not 200 <= e.code < 300):
            continue
        found = find_records(e.body)
        if found is None:
            continue
        kinds: dict[str, str] = {}
        for record in found[1][:200]:
            for key, value in flatten(record).items():
                if value is None or isinstance(value, Mapping):
                    kinds.setdefault(key, "")
                elif not kinds.get(key):
                    kind = infer_field_type(value)
                    kinds[key] = "text" if kind == "object" else kind
        entry["fields"] = [{"name": k, "type": v or "text"} for k, v in kinds.items()]
        break
    if not any(f["name"] == "id" for f in entry["fields"]):
        entry["key"] = None
    return entry
