"""A dataset's first working request: its path, the parameters the API insists on, the answer.

Each candidate path (:mod:`.paths`) is asked with the filters a request needs (path ids and
required filters filled with ids and a day the API returned before). A 404 for the route moves on
to the next path; a 404 for an id tries the next id; a 400 naming a parameter is read
(:func:`fix`): a name we send otherwise (``dateFrom is required``: ``from`` is ``dateFrom``), a
value in another form (``must be epoch seconds``: the date format), values it lists
(``must be one of PT15M, PT1H``: a value map), a page size above its maximum. The first 200 is
the dataset's baseline: its records are read (:mod:`ecore_xl.catalogue.learn.sample`).
"""

from __future__ import annotations

import datetime as dt
import re
from itertools import islice
from typing import Any

from ecore_xl.catalogue import Dataset, Filter
from ecore_xl.catalogue.learn.names import meaning_of_param
from ecore_xl.catalogue.learn.records import find_records
from ecore_xl.catalogue.learn.sample import learn_collection_body
from ecore_xl.catalogue.learn.values import (
    allowed_values,
    granularity_of,
    stated_maximum,
    value_map,
)
from ecore_xl.data.probe.context import Context, Located, paging_spec
from ecore_xl.data.probe.paths import path_candidates
from ecore_xl.data.probe.wire import Answer
from ecore_xl.errors import EcoreError

__all__ = ["fix", "locate", "rows_of"]

_FIXES = 8
_IDS = 4
_QUOTED = re.compile(r"'([A-Za-z_][\w.\-]*)'")
_FORMATS = ("iso", "date", "epoch_s", "epoch_ms", "datetime", "utc")
_FORMAT_HINTS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"milli", re.IGNORECASE), ("epoch_ms",)),
    (re.compile(r"epoch|unix|integer|seconds", re.IGNORECASE), ("epoch_s", "epoch_ms")),
    (re.compile(r"YYYY-MM-DD|must be a date|dates? only", re.IGNORECASE), ("date",)),
    (re.compile(r"offset|date-?time|ISO 8601", re.IGNORECASE), ("datetime", "utc")),
)


def locate(ctx: Context, name: str) -> Located | None:
    """The dataset's baseline request and answer, or None (the findings say why)."""
    ds = ctx.dataset(name)
    tried: list[str] = []
    for path in path_candidates(ctx, ds):
        tried.append(path)
        cand = ctx.with_path(name, path)
        outcome = _try_path(ctx, name, path, cand)
        if outcome == "missing":
            continue
        if isinstance(outcome, Located):
            return outcome
        return None
    shown = ", ".join(tried[:6]) + (" …" if len(tried) > 6 else "")
    ctx.learning.note(name, "path", f"no answer at {shown} (404): declare datasets.{name}.path "
                      "(ecore-xl catalogue import of E&C's collection knows it)", "seen",
                      "problem")  # fmt: skip
    return None


def _try_path(ctx: Context, name: str, path: str, cand: Dataset) -> Located | str | None:
    """A Located for a working path, ``"missing"`` for a 404 route, None for a dead end."""
    empty: Located | None = None
    for values in islice(_values(ctx, cand), _IDS):
        answer = _ask(ctx, cand, values)
        fixes = 0
        while not answer.ok and answer.status == 400 and fixes < _FIXES:
            if not fix(ctx, name, cand, answer, values):
                break
            fixes += 1
            cand = ctx.with_path(name, path)
            answer = _ask(ctx, cand, values)
        if answer.route_missing or answer.status == 0:
            return "missing"
        if answer.unknown_id or _refused_for_this_id(cand, answer):
            continue
        if not answer.ok:
            ctx.learning.note(name, "request", f"GET {answer.asked}: {answer.message}", "seen",
                              "problem")  # fmt: skip
            return None
        found = find_records(answer.body)
        located = Located(cand, values, answer)
        if found is not None and not found[1]:
            empty = empty or located
            continue  # no records for this id: another id may have some
        return _accept(ctx, name, path, located)
    if empty is not None:
        return _accept(ctx, name, path, empty)
    return "missing"


def _ask(ctx: Context, ds: Dataset, values: dict[str, str]) -> Answer:
    try:
        return ctx.get(ds, values)
    except EcoreError as exc:
        if exc.exit_code == 2:  # a request we cannot build on this path: not this path
            return Answer(ds.path, 0, asked=ds.path, error=exc)
        raise


def _refused_for_this_id(ds: Dataset, answer: Answer) -> bool:
    """A 400 refusing the granularity for this meter (gas daily only): another meter may do."""
    rule = ds.granularity
    if rule is None or answer.status != 400 or answer.target is None:
        return False
    return any(f.name == rule.filter and f.param == answer.target for f in ds.filters)


def _accept(ctx: Context, name: str, path: str, located: Located) -> Located:
    learned = ctx.learning.dataset(name)
    learned.path = path
    base = ctx.base.get(name)
    if path != base.path:
        ctx.learning.note(name, "path", f"{base.path} -> {path}", "seen")
    _learn_under(ctx, name, path)
    answer = located.answer
    sample = learn_collection_body(
        ctx.learning,
        located.ds,
        answer.body,
        answer.headers,
        tz=ctx.tz,
        where=f"GET {answer.asked}",
        declare_new=False,
    )
    located.sample = sample
    located.rows = rows_of(sample) if sample else []
    ctx.located[name] = located
    if sample is not None:
        ctx.samples[name] = [sample]
    ctx.touch()
    located.ds = ctx.dataset(name)
    return located


def rows_of(sample: Any) -> list[dict[str, Any]]:
    """The sample's rows keyed by our field names (unknown keys kept as they are)."""
    keys = {m.key: name for name, m in sample.report.matches.items()}
    return [{keys.get(k, k): v for k, v in row.items()} for row in sample.rows]


def _learn_under(ctx: Context, name: str, path: str) -> None:
    """A path that holds an optional id filter of ours: the collection lives under its parent."""
    base = ctx.base.get(name)
    for placeholder in re.findall(r"\{([^{}]+)\}", path):
        if placeholder in base.path_params():
            continue
        f = next((f for f in base.filters if f.name == placeholder), None)
        if f is None or f.required or f.name in base.one_of:
            continue
        parent = ctx.source_of(f)
        if parent is not None:
            ctx.learning.dataset(name).under = {"filter": f.name, "dataset": parent}
            ctx.learning.note(name, "under", f"one request per {parent} id ({f.name} in the path)")


def _values(ctx: Context, ds: Dataset) -> list[dict[str, str]]:
    """Filter values for a request: ids the API returned, a day with data; one set per id."""
    fixed: dict[str, str] = {}
    varying: list[tuple[str, list[str]]] = []
    in_path = set(ds.path_params())
    day = ctx.day()
    for f in ds.filters:
        if f.name not in in_path and not f.required:
            continue
        if f.type == "date":
            fixed[f.name] = (day + dt.timedelta(days=1) if f.name == "to" else day).isoformat()
        elif f.type == "id":
            varying.append((f.name, ctx.ids(f)))
        elif f.default or f.allowed:
            fixed[f.name] = f.default or (f.allowed or ("",))[0]
    if ds.one_of and not any(n in fixed or n in dict(varying) for n in ds.one_of):
        for n in ds.one_of:
            ids = ctx.ids(ds.filter(n))
            if ids:
                varying.append((n, ids))
                break
    if not varying:
        return [fixed]
    out = []
    for i in range(_IDS):
        values = dict(fixed)
        for n, ids in varying:
            if not ids:
                return out or [fixed]
            values[n] = ids[min(i, len(ids) - 1)]
        out.append(values)
    return list({tuple(sorted(v.items())): v for v in out}.values())


# ---- reading a 400 -----------------------------------------------------------------------------


def fix(ctx: Context, name: str, ds: Dataset, answer: Answer, values: dict[str, str]) -> bool:
    """Learn from a 400 what the API wants (see the module docstring); False when nothing."""
    target = answer.target or _quoted(answer.message, ds)
    if target is None:
        return False
    message = answer.message
    by_param = next((f for f in ds.filters if f.param == target), None)
    if by_param is not None:
        return _fix_value(ctx, name, ds, by_param, message)
    paging = ds.dialect.paging
    if target == paging.size_param:
        return _fix_max_size(ctx, name, ds, message)
    hit = meaning_of_param(ds, target)
    if hit is None:
        ctx.learning.note(name, "request", f"the API wants {target!r}, which none of our "
                          f"filters means ({message[:120]})", "seen", "problem")  # fmt: skip
        return False
    f = hit[0]
    ctx.learning.dataset(name).params[f.name] = target
    ctx.names.setdefault(f.name, []).insert(0, target)
    ctx.learning.note(name, f"filter {f.name}", f"sent as {target} (the API named it)", "seen")
    ctx.touch()
    return True


def _quoted(message: str, ds: Dataset) -> str | None:
    for word in _QUOTED.findall(message):
        if meaning_of_param(ds, word) is not None:
            return word
    return None


def _fix_value(ctx: Context, name: str, ds: Dataset, f: Filter, message: str) -> bool:
    if f.type == "date":
        return _next_date_format(ctx, name, ds, message)
    listed = allowed_values(message.split(":", 1)[-1])
    if listed and f.allowed:
        if all(granularity_of(a) for a in f.allowed):
            mapped = value_map(listed, list(f.allowed))
        else:
            folded = {v.lower(): v for v in listed}
            mapped = {a: folded[a.lower()] for a in f.allowed if a.lower() in folded}
            mapped = mapped if len(mapped) == len(f.allowed) else None
        if mapped is not None and mapped != dict(f.values):
            ctx.learning.dataset(name).filter_keys.setdefault(f.name, {})["values"] = mapped
            text = ", ".join(f"{k} as {v}" for k, v in mapped.items())
            ctx.learning.note(name, f"filter {f.name}", f"values {text} (the API listed them)")
            ctx.touch()
            return True
        if mapped is None and not (ds.granularity and ds.granularity.filter == f.name):
            ctx.learning.note(name, f"filter {f.name}", f"the API takes {', '.join(listed)}, "
                              f"which do not cover ours ({', '.join(f.allowed)})", "seen",
                              "problem")  # fmt: skip
    return False


def _next_date_format(ctx: Context, name: str, ds: Dataset, message: str) -> bool:
    current = ds.dialect.params.dates
    tried = ctx.tried_formats.setdefault(name, set())
    tried.add(current)
    hinted = [fmt for pattern, fmts in _FORMAT_HINTS if pattern.search(message) for fmt in fmts]
    for fmt in (*hinted, *_FORMATS):
        if fmt not in tried:
            tried.add(fmt)
            ctx.learning.saw(name, "params.dates", fmt)
            ctx.touch()
            return True
    return False


def _fix_max_size(ctx: Context, name: str, ds: Dataset, message: str) -> bool:
    largest = stated_maximum(message.split(":", 1)[-1])
    paging = ds.dialect.paging
    if largest is None or largest < 1 or largest == paging.max_size:
        return False
    spec = {**paging_spec(paging), "max_size": largest}
    ctx.learning.saw(name, "paging", spec)
    ctx.touch()
    return True
