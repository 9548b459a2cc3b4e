"""What was learned about an API, and the override file that declares it.

A learner (the Postman import, the live probe) records, per dataset, what it *found*: the path,
each filter's and field's name at the API, value maps, units, and the dialect it saw
(``envelope.records``, ``paging``, ``params.dates``, ``fields.epoch``, ``series`` …), with a
:class:`Finding` for each, saying how sure it is. :meth:`Learning.overrides` turns that into the
smallest override file on top of the catalogue it started from:

* a dialect declaration that most datasets share goes API-wide (``dialect``), one that differs
  stays with its dataset (``datasets.<name>.dialect``); nothing the catalogue already says is
  written again;
* names: where most renamed parameters (fields) are the ``snake_case`` of ours, the rule
  ``names: snake_case`` is declared once and only the exceptions get an ``api_name``;
* a filter the API does not take is removed (a filter it ignores would give unfiltered data).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ecore_xl.catalogue.dialect import Dialect, build_dialect, snake_case
from ecore_xl.catalogue.learn.names import Sure, weakest
from ecore_xl.catalogue.model import Catalogue, Dataset

__all__ = ["API_WIDE", "DatasetLearning", "Finding", "Learning", "Status", "describe_declaration"]

Status = Literal["ok", "change", "unplaced", "problem"]

#: dialect declarations that may hold API-wide, as ``section.key`` (``paging``: the whole section)
API_WIDE = (
    "envelope.records",
    "envelope.record",
    "paging",
    "params.dates",
    "params.end",
    "fields.epoch",
    "fields.naive",
    "fields.period_ends",
)
_PAGING_STOPS = ("size_param", "total_pages", "total_items", "has_more")


@dataclass(frozen=True)
class Finding:
    """One thing learned: about ``dataset`` (``""``: the API as a whole), its ``subject``
    (``path``, ``filter from``, ``paging`` …), what it ``says``, how sure, and its status:
    ``ok`` (the catalogue already says so), ``change`` (the override declares it), ``unplaced``
    (could not be placed: nothing written), ``problem`` (the API does something no declaration
    fixes, e.g. ignores a required filter)."""

    dataset: str
    subject: str
    says: str
    sure: Sure = "seen"
    status: Status = "change"


@dataclass
class DatasetLearning:
    """What was found for one dataset (names are ours; values the API's)."""

    name: str
    path: str | None = None
    under: dict[str, str] | None = None
    one_of: list[str] | None = None
    #: filter -> the parameter name the API takes (every filter seen, renamed or not)
    params: dict[str, str] = field(default_factory=dict)
    #: filter -> extra keys for its entry (values, required, allowed, default, type, doc)
    filter_keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    remove_filters: list[str] = field(default_factory=list)
    new_filters: list[dict[str, Any]] = field(default_factory=list)
    #: field -> the record key the API sends it as (every field seen)
    keys: dict[str, str] = field(default_factory=dict)
    #: field -> extra keys for its entry (api_unit, type)
    field_keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    new_fields: list[dict[str, Any]] = field(default_factory=list)
    #: ``section.key`` (or ``paging``, ``series``, ``granularities``) -> what the API does
    dialect: dict[str, Any] = field(default_factory=dict)
    #: how sure each of ``dialect`` is
    dialect_sure: dict[str, Sure] = field(default_factory=dict)
    #: a whole new dataset's entry (an endpoint no built-in dataset serves)
    entry: dict[str, Any] | None = None


class Learning:
    """Everything one learner found, on top of ``base`` (see the module docstring)."""

    def __init__(self, base: Catalogue, source: str) -> None:
        self.base = base
        self.source = source
        self.datasets: dict[str, DatasetLearning] = {}
        self.findings: list[Finding] = []
        #: the dialect declarations the last :meth:`overrides` wrote (or found already there)
        self.declarations: list[Finding] = []

    def dataset(self, name: str) -> DatasetLearning:
        """The record of dataset ``name`` (made on first use)."""
        if name not in self.datasets:
            self.datasets[name] = DatasetLearning(name)
        return self.datasets[name]

    def note(
        self, dataset: str, subject: str, says: str, sure: Sure = "seen", status: Status = "change"
    ) -> Finding:
        """Record a finding (and return it)."""
        finding = Finding(dataset, subject, says, sure, status)
        self.findings.append(finding)
        return finding

    def saw(self, dataset: str, key: str, value: Any, sure: Sure = "seen") -> None:
        """Record what the API does for one dialect declaration of ``dataset`` (``key`` as in
        :data:`API_WIDE`, or ``series``/``granularities``); :meth:`overrides` says it once."""
        learned = self.dataset(dataset)
        learned.dialect[key] = value
        learned.dialect_sure[key] = sure

    def of(self, dataset: str) -> list[Finding]:
        """The findings about ``dataset`` (``""``: API-wide): its dialect declarations first."""
        return [f for f in (*self.declarations, *self.findings) if f.dataset == dataset]

    # ---- the override --------------------------------------------------------------------------

    def overrides(self, only: Iterable[str] | None = None) -> dict[str, Any]:
        """The override-file content that declares what was learned (see the module docstring);
        ``only``: the datasets whose own entries to write (API-wide declarations always)."""
        wanted = None if only is None else set(only)
        self.declarations = []
        api_patch = self._api_wide()
        for section in ("params", "fields"):
            rule = self._names_rule(section)
            current = getattr(self.base.dialect, section).names
            if rule is not None:
                self._declared("", f"{section}.names", rule, "likely", rule == current)
            if rule is not None and rule != current:
                api_patch.setdefault(section, {})["names"] = rule
        staged = (
            self.base.overlay({"dialect": api_patch}, source=self.source)
            if api_patch
            else self.base
        )
        datasets: dict[str, Any] = {}
        for name, learned in self.datasets.items():
            if wanted is not None and name not in wanted:
                continue
            if learned.entry is not None:
                datasets[name] = learned.entry
                continue
            if name not in staged:
                continue
            entry = self._dataset_entry(staged.get(name), learned)
            if entry:
                datasets[name] = entry
        out: dict[str, Any] = {"source": self.source}
        if api_patch:
            out["dialect"] = api_patch
        out["datasets"] = datasets
        return out

    def _api_wide(self) -> dict[str, Any]:
        patch: dict[str, Any] = {}
        for key in API_WIDE:
            voters = [d for d in self.datasets.values() if key in d.dialect]
            votes = Counter(_stable(d.dialect[key]) for d in voters)
            if not votes:
                continue
            text, n = votes.most_common(1)[0]
            chosen = json.loads(text)
            agree = [d for d in voters if _stable(d.dialect[key]) == text]
            sure = weakest(*(d.dialect_sure.get(key, "seen") for d in agree))
            if key == "paging":
                same = _paging(chosen) == self.base.dialect.paging
                if not same:
                    patch["paging"] = chosen
            else:
                section, name = key.split(".")
                same = getattr(getattr(self.base.dialect, section), name) == chosen
                if not same:
                    patch.setdefault(section, {})[name] = chosen
            self._declared("", key, chosen, sure, same, f"{n} of {len(voters)} datasets")
        return patch

    def _declared(
        self, dataset: str, key: str, value: Any, sure: Sure, same: bool, why: str = ""
    ) -> None:
        says = describe_declaration(key, value) + (f" ({why})" if why else "")
        self.declarations.append(Finding(dataset, key, says, sure, "ok" if same else "change"))

    def _names_rule(self, kind: str) -> str | None:
        """``snake_case`` when most of our names the API spells otherwise are snake_case, in
        two datasets at least (one dataset's names are its own, not the API's rule); ``as_is``
        when most are ours as they are; None when nothing says."""
        snake = same = 0
        snake_datasets: set[str] = set()
        for learned in self.datasets.values():
            seen = learned.params if kind == "params" else learned.keys
            for ours, theirs in seen.items():
                if snake_case(ours) == ours:
                    continue
                if theirs == snake_case(ours):
                    snake += 1
                    snake_datasets.add(learned.name)
                elif theirs == ours:
                    same += 1
        if snake > same and len(snake_datasets) >= 2:
            return "snake_case"
        if same > snake:
            return "as_is"
        return None

    def _dataset_entry(self, ds: Dataset, learned: DatasetLearning) -> dict[str, Any]:
        entry: dict[str, Any] = {}
        if learned.path is not None and learned.path != ds.path:
            entry["path"] = learned.path
        if learned.under is not None and (
            ds.under is None
            or (ds.under.filter, ds.under.dataset)
            != (learned.under["filter"], learned.under["dataset"])
        ):
            entry["under"] = learned.under
        if learned.one_of is not None and tuple(learned.one_of) != ds.one_of:
            entry["one_of"] = learned.one_of
        filters = self._filter_entries(ds, learned)
        if filters:
            entry["filters"] = filters
        fields = self._field_entries(ds, learned)
        if fields:
            entry["fields"] = fields
        dialect = _dialect_patch(ds.dialect, learned.dialect)
        for key in learned.dialect:
            written = _value_of(dialect, key)
            if written is not None:
                sure = learned.dialect_sure.get(key, "seen")
                self._declared(ds.name, key, written, sure, False, "this dataset only")
        if dialect:
            entry["dialect"] = dialect
        return entry

    def _filter_entries(self, ds: Dataset, learned: DatasetLearning) -> Any:
        removed = [n for n in learned.remove_filters if any(f.name == n for f in ds.filters)]
        kept = [f for f in ds.filters if f.name not in removed]
        patch = _entries(kept, learned.params, learned.filter_keys, ds.dialect.params.names)
        patch.extend(learned.new_filters)
        return {"patch": patch, "remove": removed} if removed else patch

    def _field_entries(self, ds: Dataset, learned: DatasetLearning) -> list[dict[str, Any]]:
        out = _entries(ds.fields, learned.keys, learned.field_keys, ds.dialect.fields.names)
        return out + learned.new_fields


def _entries(
    items: Iterable[Any],
    names: Mapping[str, str],
    keys: Mapping[str, Mapping[str, Any]],
    rule: str,
) -> list[dict[str, Any]]:
    """Patch entries for filters or fields: the API's name where the catalogue (with the naming
    rule in effect) says another, and each learned key whose value differs."""
    out: list[dict[str, Any]] = []
    for item in items:
        entry: dict[str, Any] = {}
        theirs = names.get(item.name)
        if theirs is not None and theirs != _effective_name(
            item.name, item.api_name, item.derived, rule
        ):
            entry["api_name"] = theirs
        for key, value in keys.get(item.name, {}).items():
            current = getattr(item, key, None)
            if key == "values":
                current = dict(current or ())
            elif isinstance(current, tuple):
                current = list(current)
            if value != current:
                entry[key] = value
        if entry:
            out.append({"name": item.name, **entry})
    return out


def _value_of(patch: Mapping[str, Any], key: str) -> Any:
    """What ``patch`` declares for ``key`` (``envelope.records``, ``paging`` …), else None."""
    section, _, name = key.partition(".")
    value = patch.get(section)
    return value.get(name) if name and isinstance(value, Mapping) else value


_WHERE = {"$": "the body itself"}


def describe_declaration(key: str, value: Any) -> str:
    """One dialect declaration in words, for the import's and the probe's printout."""
    if key == "envelope.records":
        return f"records at {_WHERE.get(value, repr(value))}"
    if key == "envelope.record":
        return f"one record at {_WHERE.get(value, repr(value))}"
    if key == "paging":
        return _paging(value).describe()
    if key == "params.dates":
        return f"date bounds written as {value}"
    if key == "params.end":
        return f"the end bound is {value}"
    if key.endswith(".names"):
        return f"{key.split('.')[0]} named {value}"
    if key == "fields.epoch":
        return f"instants as epoch {'milliseconds' if value == 'ms' else 'seconds'}"
    if key == "fields.naive":
        return "times without an offset are local time (check one value)"
    if key == "fields.period_ends":
        return f"period ends {value}" + (
            " (the last day of the period)" if value == "inclusive" else ""
        )
    if key == "series":
        return f"each record is a series: one row per element of {value!r}"
    if key == "granularities":
        return "; ".join(f"{c}: {', '.join(v)} only" for c, v in value.items())
    return f"{key} = {value!r}"


def _effective_name(name: str, api_name: str | None, derived: bool, rule: str) -> str:
    """The name the API is sent / read as, once the (new) naming rule applies."""
    if api_name is not None and not derived:
        return api_name
    return snake_case(name) if rule == "snake_case" else name


def _stable(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _paging(spec: Mapping[str, Any]) -> Any:
    return build_dialect({"paging": dict(spec)}).paging


def _dialect_patch(current: Dialect, seen: Mapping[str, Any]) -> dict[str, Any]:
    """The dataset's own declarations: what it does that the dialect in effect does not say."""
    patch: dict[str, Any] = {}
    for key, value in seen.items():
        if key == "paging":
            if _paging(value) != current.paging:
                full = dict(value)
                for stop in _PAGING_STOPS:  # nothing of the API-wide style may leak into this one
                    full.setdefault(stop, None)
                patch["paging"] = full
        elif key == "series":
            if value != current.series:
                patch["series"] = value
        elif key == "granularities":
            if dict(current.granularities) != {k: tuple(v) for k, v in value.items()}:
                patch["granularities"] = value
        else:
            section, name = key.split(".")
            if getattr(getattr(current, section), name) != value:
                patch.setdefault(section, {})[name] = value
    return patch
