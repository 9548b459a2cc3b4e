"""Names compared by meaning: spelling rules, ``<entity>Id``, unit suffixes, the vocabulary.

``meaning_of_param(ds, "dateFrom")`` is the filter ``from``; ``match_field(ds, key, ...)`` says
which field a record key is and how it knows (the same name, the ``snake_case`` rule, the entity's
id, the same stem with another unit, a word of :mod:`.vocabulary`). Each answer carries its
:data:`Sure` level: ``seen`` (the name is ours, or ours by a rule), ``likely`` (by meaning),
``guess`` (a word that often means it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from ecore_xl.catalogue.dialect import snake_case
from ecore_xl.catalogue.learn.vocabulary import (
    DATASET_WORDS,
    FIELD_WORDS,
    FILTER_WORDS,
    PAGING_WORDS,
    RANGE_PAIRS,
)
from ecore_xl.catalogue.model import Dataset, Field, Filter
from ecore_xl.catalogue.units import canonical_spelling, dimension

__all__ = [
    "SURE_LEVELS",
    "FieldMatch",
    "Sure",
    "dataset_words",
    "entity_of",
    "fold",
    "kebab_case",
    "match_field",
    "meaning_of_param",
    "paging_role",
    "paired_name",
    "param_candidates",
    "split_unit",
    "weakest",
]

Sure = Literal["seen", "likely", "guess"]
SURE_LEVELS: tuple[Sure, ...] = ("seen", "likely", "guess")

_NON_WORD = re.compile(r"[^a-z0-9]")
_SPLIT = re.compile(r"[-_\s.]+|(?<=[a-z0-9])(?=[A-Z])")


@lru_cache(maxsize=4096)
def fold(name: str) -> str:
    """``date_from``, ``dateFrom``, ``Date-From`` -> ``datefrom``: a name without its spelling."""
    return _NON_WORD.sub("", str(name).lower())


def weakest(*levels: Sure) -> Sure:
    """The least sure of ``levels``."""
    return max(levels, key=SURE_LEVELS.index)


def _words(name: str) -> list[str]:
    return [w for w in _SPLIT.split(name) if w]


def kebab_case(name: str) -> str:
    """``legalEntities`` / ``legal_entities`` -> ``legal-entities``."""
    return "-".join(w.lower() for w in _words(name))


def camel_case(name: str) -> str:
    """``legal-entities`` -> ``legalEntities``."""
    words = [w.lower() for w in _words(name)]
    return words[0] + "".join(w.capitalize() for w in words[1:]) if words else name


def entity_of(dataset: str) -> str:
    """The entity a dataset lists (an id field's prefix): ``legal-entities`` -> ``legalEntity``."""
    words = dataset.split("-")
    last = words[-1]
    if last.endswith("ies"):
        last = last[:-3] + "y"
    elif last.endswith("s"):
        last = last[:-1]
    return camel_case("-".join([*words[:-1], last]))


@lru_cache(maxsize=4096)
def split_unit(name: str, kind: str | None = None) -> tuple[str, str | None]:
    """``consumptionKWh`` -> (``consumption``, ``kWh``); ``consumption_kwh`` too; a name without a
    unit suffix (of dimension ``kind`` when given) -> (name, None)."""
    for size in range(min(len(name) - 1, 7), 0, -1):
        suffix = name[-size:]
        found = dimension(suffix)
        if found is not None and (kind is None or found == kind):
            stem = name[:-size].rstrip("_-")
            if stem:
                return stem, canonical_spelling(suffix)
    return name, None


@dataclass(frozen=True)
class FieldMatch:
    """A record key read as one of our fields: ``how`` it was recognised, how sure, and the unit
    the key's name says (``consumptionKWh``: ``kWh``; a unit-less name: None)."""

    field: Field
    key: str
    how: str
    sure: Sure
    unit_in_name: str | None = None
    unit_unsaid: bool = False


def match_field(
    ds: Dataset, key: str, *, taken: Iterable[str] = (), timestamp_like: bool = False
) -> FieldMatch | None:
    """The field of ``ds`` that the record key ``key`` is, or None (fields in ``taken`` skipped).

    ``timestamp_like``: the key's values look like instants (allows ``timestamp`` for ``start``).
    """
    used = set(taken)
    free = [f for f in ds.fields if f.name not in used]
    folded = fold(key)
    for f in free:
        if key == f.source:
            return FieldMatch(f, key, "as declared", "seen")
    for f in free:
        if key == f.name:
            return FieldMatch(f, key, "our name", "seen")
    for f in free:
        if key == _snake(f.name) and key != f.name:
            return FieldMatch(f, key, "snake_case", "seen")
    for f in free:
        if folded in (fold(f.name), fold(f.source)):
            return FieldMatch(f, key, "same name, other spelling", "likely")
    own_id = fold(_entity(ds.name) + "Id")
    for f in free:
        if f.name == "id" and folded == own_id:
            return FieldMatch(f, key, f"the {_entity(ds.name)}'s id", "seen")
    for f in free:
        kind = _dimension(f.unit) if f.unit else None
        if kind is None:
            continue
        stem, ours = split_unit(f.name, kind)
        if ours is None:
            continue
        key_stem, theirs = split_unit(key, kind)
        if fold(key_stem) == fold(stem):
            if theirs is None:
                return FieldMatch(f, key, "same name without its unit", "likely", None, True)
            return FieldMatch(f, key, f"same name in {theirs}", "seen", theirs)
    for f in free:
        if folded in _folded_words(f.name) and (f.type != "timestamp" or timestamp_like):
            return FieldMatch(f, key, f"{key!r} means {f.name}", "likely")
    return None


_snake = lru_cache(maxsize=4096)(snake_case)
_dimension = lru_cache(maxsize=256)(dimension)


@lru_cache(maxsize=256)
def _entity(dataset: str) -> str:
    return entity_of(dataset)


@lru_cache(maxsize=256)
def _folded_words(name: str) -> frozenset[str]:
    return frozenset(fold(w) for w in FIELD_WORDS.get(name, ()))


def param_candidates(f: Filter) -> list[str]:
    """Names an API may give filter ``f``, most likely first (its declared name first)."""
    out = [f.param, f.name, snake_case(f.name), *FILTER_WORDS.get(f.name, ())]
    if f.type == "id" and f.name.endswith("Id"):
        stem = f.name[:-2]
        out += [stem, f.name + "s", snake_case(stem), stem + "ID"]
    for word in list(out):
        if "-" not in word and word != snake_case(word):
            out.append(snake_case(word))
    return list(dict.fromkeys(out))


def paired_name(first: str) -> str | None:
    """The end bound's likely name for a start bound's: ``dateFrom`` -> ``dateTo``."""
    for a, b in RANGE_PAIRS:
        if a in first:
            return first.replace(a, b)
    return None


def meaning_of_param(ds: Dataset, name: str, *, doc: str = "") -> tuple[Filter, Sure] | None:
    """The filter of ``ds`` that the API's parameter ``name`` is, and how sure."""
    folded = fold(name)
    for f in ds.filters:
        if name in (f.param, f.name):
            return f, "seen"
    for f in ds.filters:
        if name == snake_case(f.name) or folded == fold(f.name):
            return f, "seen"
    for f in ds.filters:
        if (
            f.type == "id"
            and f.name.endswith("Id")
            and folded
            in (
                fold(f.name[:-2]),
                fold(f.name + "s"),
            )
        ):
            return f, "likely"
    for f in ds.filters:
        words = FILTER_WORDS.get(f.name, ())
        if folded in {fold(w) for w in words}:
            return f, "likely"
    return None


_DOC_ROLES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("token", re.compile(r"continuation|opaque|cursor|next ?link|skip ?token", re.I)),
    ("page", re.compile(r"page number|\bpage\b.*\b[01]-based|which page", re.I)),
    ("offset", re.compile(r"to skip|offset|skip\b", re.I)),
    ("size", re.compile(r"per page|page size|at most \d+|maximum|how many", re.I)),
)


def paging_role(name: str, doc: str = "") -> str | None:
    """``page``, ``size``, ``offset`` or ``token`` for a paging parameter, else None."""
    folded = fold(name)
    for role, words in PAGING_WORDS.items():
        if folded in {fold(w) for w in words}:
            return role
    for role, pattern in _DOC_ROLES:
        if doc and pattern.search(doc) and folded not in {fold(w) for w in FILTER_WORDS["from"]}:
            return role
    return None


def dataset_words(name: str) -> Sequence[str]:
    """Words for what a dataset serves (its name first)."""
    return DATASET_WORDS.get(name, (name,))
