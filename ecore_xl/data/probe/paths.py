"""Where a dataset may live when its declared path answers 404: a short, ordered list of paths.

Built from what the API showed so far and from how APIs name things, in this order: the declared
path; its segments spelled the other usual ways (``legal_entities``, ``legalEntities``); behind
the prefix the dataset's data area was found under (``/structure`` once meters were there),
then behind the other words for its area (E&C's published data areas: structure, risk,
invoices; ``billing``); under a parent the probe already found, by the words for what the
dataset serves (a meter's ``/structure/meters/{meterId}/timeseries`` for volumes, a contract's
``/contracts/{contractId}/clicks``); a collection declared under a parent, at the top
(``/positions``, its id then a query parameter). At most :data:`MAX_PATHS`.
"""

from __future__ import annotations

import re

from ecore_xl.catalogue import Dataset
from ecore_xl.catalogue.learn.names import camel_case, dataset_words, fold, kebab_case
from ecore_xl.catalogue.learn.vocabulary import AREAS
from ecore_xl.data.probe.context import Context

__all__ = ["MAX_PATHS", "area_prefixes", "path_candidates"]

MAX_PATHS = 16
_PLACEHOLDER = re.compile(r"^\{[^{}]+\}$")


def _styles(segment: str) -> list[str]:
    if _PLACEHOLDER.match(segment):
        return [segment]
    kebab = kebab_case(segment)
    return list(dict.fromkeys([segment, kebab, kebab.replace("-", "_"), camel_case(segment)]))


def _spelled(path: str) -> list[str]:
    """``path`` with every literal segment in one style at a time (kebab, snake, camel)."""
    segments = [s for s in path.strip("/").split("/") if s]
    out = []
    for style in range(4):
        spelled = []
        for s in segments:
            options = _styles(s)
            spelled.append(options[min(style, len(options) - 1)])
        out.append("/" + "/".join(spelled))
    return list(dict.fromkeys(out))


def area_prefixes(ctx: Context, name: str) -> tuple[list[str], list[str]]:
    """(prefixes the dataset's area was found under, other words for its area) as ``/word``."""
    areas = AREAS.get(name, ())
    learned: list[str] = []
    for other, found in ctx.located.items():
        if other == name or not set(AREAS.get(other, ())) & set(areas):
            continue
        path = found.ds.path
        if "{" in path:
            continue
        for word in dataset_words(other):
            for spelled in _styles(word):
                if path.endswith("/" + spelled) and len(path) > len(spelled) + 1:
                    learned.append(path[: -len(spelled) - 1])
    words = [f"/{w}" for w in areas]
    return list(dict.fromkeys(learned)), [w for w in words if w not in learned]


def path_candidates(ctx: Context, ds: Dataset) -> list[str]:
    """Paths to try for ``ds``, most likely first (see the module docstring)."""
    out: list[str] = _spelled(ds.path)
    learned, others = area_prefixes(ctx, ds.name)
    tail = [s for s in ds.path.strip("/").split("/") if s]
    top = "/" + tail[-1] if tail else ds.path
    plain = ds.path if not _under_parent(ds) else top
    for prefix in learned:
        out += _spelled(prefix + plain)
    out += _under_found_parents(ctx, ds)
    if _under_parent(ds):
        out += _spelled(top)
    for prefix in [*learned, *others]:
        out += _spelled(prefix + (top if _under_parent(ds) else ds.path))
    return list(dict.fromkeys(out))[:MAX_PATHS]


def _under_parent(ds: Dataset) -> bool:
    return any(_PLACEHOLDER.match(s) for s in ds.path.strip("/").split("/")[:-1])


def _under_found_parents(ctx: Context, ds: Dataset) -> list[str]:
    """``<parent's path>/{filter}/<word>`` for each id filter whose dataset was found."""
    out = []
    for f in ds.filters:
        if f.type != "id":
            continue
        parent = ctx.source_of(f)
        if parent is None or parent == ds.name or parent not in ctx.located:
            continue
        base = ctx.located[parent].ds.path
        style = 1 if "_" in base else 0
        for word in dataset_words(ds.name)[:6]:
            options = _styles(word)
            out.append(f"{base}/{{{f.name}}}/{options[min(style, len(options) - 1)]}")
    return [p for p in out if fold(p) != fold(ds.path)]
