"""Which dataset a collection request serves, by what it serves, not only by its last segment.

Evidence, each worth points: the path's last literal word is a word for the dataset
(:data:`~ecore_xl.catalogue.learn.vocabulary.DATASET_WORDS`: ``timeseries`` is volumes); the
path has the same shape as the dataset's declared one; the example's records hold the dataset's
fields (``meterId``, ``start``, ``value`` …, read by meaning); the parameters are its filters.
A meter's time series under ``/meters/{id}/timeseries`` is volumes, not a new dataset. Requests
are assigned best score first, one dataset each; :func:`assign` says how sure each match is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ecore_xl.catalogue.learn.fields import read_fields
from ecore_xl.catalogue.learn.names import Sure, dataset_words, fold, meaning_of_param
from ecore_xl.catalogue.learn.records import find_records
from ecore_xl.catalogue.model import Catalogue, Dataset
from ecore_xl.catalogue.postman.collection import Request

__all__ = ["Match", "assign", "literal_words", "parent_of"]

_PLACEHOLDER = re.compile(r"^\{[^{}]+\}$")


@dataclass(frozen=True)
class Match:
    """A request read as a dataset, with the score, how sure, and why (for the printout)."""

    request: Request
    dataset: Dataset
    score: float
    sure: Sure
    why: str


def literal_words(path: str) -> list[str]:
    """The path's literal segments (no placeholders)."""
    return [s for s in path.strip("/").split("/") if s and not _PLACEHOLDER.match(s)]


def _shape(path: str) -> str:
    return re.sub(r"\{[^{}]+\}", "{}", path.rstrip("/")).lower()


def parent_of(path: str) -> tuple[str, str] | None:
    """``/risk/contracts/{contractId}/clicks`` -> (``/risk/contracts``, ``contractId``)."""
    segments = path.strip("/").split("/")
    for i in range(len(segments) - 1, 0, -1):
        if _PLACEHOLDER.match(segments[i]) and i < len(segments) - 1:
            return "/" + "/".join(segments[:i]), segments[i][1:-1]
    return None


def _score(request: Request, ds: Dataset, tz: str) -> tuple[float, list[str]]:
    words = literal_words(request.path)
    why: list[str] = []
    score = 0.0
    if _shape(request.path) == _shape(ds.path):
        score += 4
        why.append("same path")
    last = fold(words[-1]) if words else ""
    if last and last in {fold(w) for w in dataset_words(ds.name)}:
        score += 3
        why.append(f"path word {words[-1]!r}")
    for example in request.examples:
        if example.body is None or (example.code is not None and not 200 <= example.code < 300):
            continue
        found = find_records(example.body)
        if found is None or not found[1]:
            continue
        report = read_fields(ds, found[1][:20], tz=tz)
        share = len(report.matches) / max(len(ds.fields), 1)
        strong = sum(1 for m in report.matches.values() if m.sure == "seen")
        if report.matches and share >= 0.3:
            score += 4 * share
            why.append(f"{len(report.matches)} of {len(ds.fields)} fields ({strong} by name)")
        break
    params = [p for p in request.query if meaning_of_param(ds, p.name, doc=p.doc)]
    if params and ds.filters:
        score += len(params) / len(ds.filters)
    return score, why


def assign(
    requests: Sequence[Request], catalogue: Catalogue, *, tz: str
) -> tuple[list[Match], list[Request]]:
    """Collection requests matched to datasets (best first, one dataset each), and the rest."""
    candidates: list[Match] = []
    for request in requests:
        for ds in catalogue:
            if ds.parent is not None:
                continue
            score, why = _score(request, ds, tz)
            if score >= 3:
                worded = any(w.startswith("path word") for w in why)
                fielded = any("fields" in w for w in why)
                sure: Sure = "seen" if "same path" in why or (worded and fielded) else "likely"
                candidates.append(Match(request, ds, score, sure, "; ".join(why)))
    candidates.sort(key=lambda m: -m.score)
    taken_ds: set[str] = set()
    taken_req: set[int] = set()
    matches: list[Match] = []
    for m in candidates:
        if m.dataset.name in taken_ds or id(m.request) in taken_req:
            continue
        matches.append(m)
        taken_ds.add(m.dataset.name)
        taken_req.add(id(m.request))
    rest = [r for r in requests if id(r) not in taken_req]
    order = {id(r): i for i, r in enumerate(requests)}
    matches.sort(key=lambda m: order[id(m.request)])
    return matches, rest
