"""Do the filters take effect? One small request per filter, compared with the baseline.

* an id, enum or text filter with a field of its own (``legalEntityId``, ``commodity``,
  ``status``; ``entityType`` on either end of an edge): asked for a value the baseline holds
  beside others, every record must have it;
* one without such a field (clicks' ``portfolioId``): the answer must differ from the baseline;
* a date range: ``from`` alone must drop earlier records, ``to`` alone later ones (on the period
  field the answer shows: ``executedAt``, ``periodStart``, ``start`` …); ``from`` = ``to`` = a day
  with records tells an inclusive end bound; a required range (volumes) must hold the day asked
  for and nothing else; a date-time the API refuses says it takes dates only;
* a single-day filter (``activeOn``): every record must be delivering that day;
* a granularity: a coarser one must space the records so (a day apart, a quarter apart).

A filter that changes nothing is sent under the other names it may have (:mod:`~ecore_xl.catalogue.
learn.names`, the names that worked on other datasets first). One the API still ignores is
removed from the catalogue when optional (a filter it ignores gives unfiltered data: the worst
kind of wrong) and is a problem when required.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

from ecore_xl.catalogue import Dataset, Filter
from ecore_xl.catalogue.learn.fields import read_fields
from ecore_xl.catalogue.learn.names import Sure, paired_name, param_candidates
from ecore_xl.catalogue.learn.records import find_records
from ecore_xl.catalogue.learn.sample import sample_rows
from ecore_xl.catalogue.learn.values import (
    granularity_of,
    granularity_of_spacing,
    instant,
    local_day,
    spacing,
)
from ecore_xl.catalogue.learn.vocabulary import GRANULARITY_SECONDS, PERIOD_FIELDS
from ecore_xl.data.encode import encode_values
from ecore_xl.data.probe.context import Context, Located
from ecore_xl.data.probe.locate import fix
from ecore_xl.data.probe.wire import Answer
from ecore_xl.errors import EcoreError

__all__ = ["check_filters"]

_NAMES = 8  # other names tried for a filter that changes nothing
_PAIRS = {"entityType": ("parentType", "childType"), "entityId": ("parentId", "childId")}
Verdict = bool | None  # True: takes effect; False: ignored; None: cannot tell


def check_filters(ctx: Context, name: str, located: Located) -> None:
    """Check every filter of the dataset that the path does not hold."""
    ds = ctx.dataset(name)
    in_path = set(ds.path_params())
    names = {f.name for f in ds.filters}
    for f in ds.filters:
        if f.name in in_path or (f.name == "to" and "from" in names):
            continue
        if f.name == "from" and "to" in names:
            _check_range(ctx, name, located)
        elif f.type == "date":
            _check_day(ctx, name, located, f)
        elif f.allowed and all(granularity_of(a) for a in f.allowed):
            _check_granularity(ctx, name, located, f)
        elif _field_of(located, f):
            _check_equal(ctx, name, located, f)
        else:
            _check_changes(ctx, name, located, f)
    _check_one_of(ctx, name, located)


# ---- asking ------------------------------------------------------------------------------------


def _ask(ctx: Context, name: str, values: dict[str, str], *, exclusive: bool = False) -> Answer:
    """One request with ``values`` on the current declaration, a 400 read and asked again."""
    for _ in range(4):
        ds = ctx.dataset(name)
        if exclusive:
            ds = _exclusive(ds)
        try:
            answer = ctx.get(ds, values)
        except EcoreError as exc:
            if exc.exit_code != 2:
                raise
            return Answer(ds.path, 400, error=exc)
        if answer.ok or answer.status != 400 or not fix(ctx, name, ds, answer, values):
            return answer
    return answer


def _exclusive(ds: Dataset) -> Dataset:
    """``ds`` sending its end bound as given (to test what the API does with it)."""
    params = replace(ds.dialect.params, end="exclusive")
    return replace(ds, dialect=replace(ds.dialect, params=params))


def _rows(ctx: Context, name: str, answer: Answer) -> list[dict[str, Any]] | None:
    """The answer's rows keyed by our field names (None: no records in it)."""
    found = find_records(answer.body) if answer.ok else None
    if found is None:
        return None
    ds = ctx.dataset(name)
    rows, _ = sample_rows(ds, found[1])
    report = read_fields(ds, found[1], tz=ctx.tz)
    keys = {m.key: n for n, m in report.matches.items()}
    return [{keys.get(k, k): v for k, v in row.items()} for row in rows]


def _fingerprint(answer: Answer) -> tuple[str, ...]:
    found = find_records(answer.body) if answer.ok else None
    return tuple(json.dumps(r, sort_keys=True, default=str) for r in (found[1] if found else []))


def _search(
    ctx: Context, name: str, f: Filter, test: Callable[[], Verdict], first: list[str] = ()
) -> str | None:
    """Send ``f`` under other names until ``test`` says it takes effect; the name, or None."""
    learned = ctx.learning.dataset(name)
    before = learned.params.get(f.name)
    tried = {ctx.dataset(name).filter(f.name).param}
    for alt in [*first, *ctx.names.get(f.name, []), *param_candidates(f)]:
        if alt in tried or len(tried) > _NAMES:
            continue
        tried.add(alt)
        learned.params[f.name] = alt
        ctx.touch()
        if test() is True:
            ctx.names.setdefault(f.name, []).insert(0, alt)
            ctx.learning.note(name, f"filter {f.name}", f"sent as {alt} (it takes effect)")
            return alt
    if before is None:
        learned.params.pop(f.name, None)
    else:
        learned.params[f.name] = before
    ctx.touch()
    return None


def _ignored(ctx: Context, name: str, f: Filter, why: str) -> None:
    """``f`` changes nothing under any name: removed if optional, a problem if required."""
    if f.required or (f.name in ctx.base.get(name).one_of and len(ctx.base.get(name).one_of) < 2):
        ctx.learning.note(name, f"filter {f.name}", f"IGNORED by the API ({why}): its data "
                          "comes unfiltered; no declaration fixes that", "seen",
                          "problem")  # fmt: skip
        return
    ctx.learning.dataset(name).remove_filters.append(f.name)
    ctx.learning.note(name, f"filter {f.name}", f"ignored by the API ({why}): removed, so that "
                      "filtering on it is an error, never unfiltered data", "seen")  # fmt: skip
    ctx.touch()


def _ok(ctx: Context, name: str, f: Filter, why: str, sure: Sure = "seen") -> None:
    ctx.learning.dataset(name).params[f.name] = ctx.dataset(name).filter(f.name).param
    ctx.learning.note(name, f"filter {f.name}", f"takes effect ({why})", sure, "ok")


# ---- filters with a field of their own ---------------------------------------------------------


def _field_of(located: Located, f: Filter) -> tuple[str, ...]:
    fields = _PAIRS.get(f.name, (f.name,))
    return tuple(n for n in fields if any(n in r for r in located.rows))


def _check_equal(ctx: Context, name: str, located: Located, f: Filter) -> None:
    fields = _field_of(located, f)
    seen = Counter(str(r[n]) for r in located.rows for n in fields if r.get(n) is not None)
    if not seen:
        return
    if len(seen) >= 2:
        value = seen.most_common()[-1][0]  # the rarest: the answer must shrink to it
    else:
        others = [a for a in f.allowed or () if a.lower() != next(iter(seen)).lower()]
        ids = [i for i in ctx.ids(f) if i not in seen]
        value = (others or ids or list(seen))[0]
    values = {**located.values, f.name: value}

    def test() -> Verdict:
        answer = _ask(ctx, name, values)
        rows = _rows(ctx, name, answer)
        if rows is None:
            return None
        if _fingerprint(answer) == _fingerprint(located.answer) and len(seen) >= 2:
            return False
        holds = all(any(str(r.get(n)) == value for n in fields) for r in rows)
        return True if holds else None

    verdict = test()
    if verdict is True:
        _ok(ctx, name, f, f"{f.name}={value} gives only such records")
    elif verdict is False:
        if _search(ctx, name, f, test) is None:
            _ignored(ctx, name, f, f"{f.name}={value} gives every record back")
    else:
        ctx.learning.note(name, f"filter {f.name}", f"not checked ({f.name}={value} gave no "
                          "records to compare)", "likely", "ok")  # fmt: skip


def _check_changes(ctx: Context, name: str, located: Located, f: Filter) -> None:
    ids = ctx.ids(f) if f.type == "id" else []
    value = ids[0] if ids else f.default or (f.allowed or (None,))[0]
    if value is None or not located.rows:
        return
    values = {**located.values, f.name: value}

    def test() -> Verdict:
        answer = _ask(ctx, name, values)
        if not answer.ok:
            return None
        return _fingerprint(answer) != _fingerprint(located.answer)

    verdict = test()
    if verdict is True:
        _ok(ctx, name, f, f"{f.name}={value} changes the answer", "likely")
    elif verdict is False and _search(ctx, name, f, test) is None:
        _ignored(ctx, name, f, f"{f.name}={value} gives the same records")


def _check_one_of(ctx: Context, name: str, located: Located) -> None:
    """Each alternative of ``one_of`` must work alone; one the path rules out is dropped."""
    base = ctx.base.get(name)
    ds = ctx.dataset(name)
    if not base.one_of:
        return
    in_path = set(ds.path_params())
    kept = [n for n in ds.one_of if n not in in_path or len(in_path & set(ds.one_of)) == 0]
    if in_path & set(base.one_of):
        for n in base.one_of:
            if n not in in_path and n not in ctx.learning.dataset(name).remove_filters:
                ctx.learning.dataset(name).remove_filters.append(n)
                ctx.learning.note(name, f"filter {n}", f"removed: the path needs "
                                  f"{', '.join(sorted(in_path))} instead", "seen")  # fmt: skip
        kept = []
    if tuple(kept) != base.one_of:
        ctx.learning.dataset(name).one_of = kept if len(kept) > 1 else []
        ctx.touch()


# ---- dates ---------------------------------------------------------------------------------------


def _period_field(ds: Dataset, rows: list[dict[str, Any]], doc: str, tz: str) -> str | None:
    names = [n for n in PERIOD_FIELDS if any(n in r for r in rows)]
    names += [f.name for f in ds.fields if f.type in ("date", "timestamp") and f.name not in names]
    named = [n for n in names if n.lower() in doc.lower()]
    for n in [*named, *names]:
        days = {local_day(r.get(n), tz) for r in rows} - {None}
        if len(days) >= 3:
            return n
    return None


def _days(rows: list[dict[str, Any]], field: str, tz: str) -> list[dt.date]:
    return sorted(d for d in (local_day(r.get(field), tz) for r in rows) if d is not None)


def _check_range(ctx: Context, name: str, located: Located) -> None:
    ds = ctx.dataset(name)
    first, last = ds.filter("from"), ds.filter("to")
    if first.required or last.required:
        _check_required_range(ctx, name, located)
        return
    field = _period_field(ds, located.rows, first.doc, ctx.tz)
    if field is None:
        ctx.learning.note(name, "filter from/to", "not checked (too few records with dates)",
                          "seen", "ok")  # fmt: skip
        return
    days = _days(located.rows, field, ctx.tz)
    middle = days[len(days) // 2]
    if days[0] >= middle:
        middle = days[-1]
    day = middle.isoformat()

    def bound(f: Filter) -> Verdict:
        answer = _ask(ctx, name, {**located.values, f.name: day})
        rows = _rows(ctx, name, answer)
        if rows is None:
            return None
        if _fingerprint(answer) == _fingerprint(located.answer):
            return False
        got = _days(rows, field, ctx.tz)
        if f.name == "from":
            return not got or got[0] >= middle - dt.timedelta(days=62)  # periods may overlap it
        return not got or got[-1] <= middle + dt.timedelta(days=1)

    found = {}
    for f in (first, last):
        verdict = bound(f)
        if verdict is None:
            ctx.learning.note(name, f"filter {f.name}", "not checked", "seen", "ok")
            continue
        if verdict is False:
            partner = paired_name(ctx.dataset(name).filter("from").param) if f is last else None
            if _search(ctx, name, f, lambda f=f: bound(f), [partner] if partner else []) is None:
                _ignored(ctx, name, f, f"{f.name}={day} gives every record back")
                continue
        else:
            _ok(ctx, name, f, f"on {field}")
        found[f.name] = True
    if len(found) == 2:
        _check_end(ctx, name, located, field, middle)
        _check_date_times(ctx, name, located)


def _check_end(ctx: Context, name: str, located: Located, field: str, day: dt.date) -> None:
    """``from`` = ``to`` = a day with records, sent as given (no product would ask that: it is
    built by hand): records of that day mean the API's end bound is inclusive."""
    ds = _exclusive(ctx.dataset(name))
    nxt = (day + dt.timedelta(days=1)).isoformat()
    try:
        path, query = ctx.query(ds, {**located.values, "from": day.isoformat(), "to": nxt})
        query[ds.filter("to").param] = encode_values(ds, {"to": day.isoformat()}, tz=ctx.tz)["to"]
    except EcoreError as exc:
        if exc.exit_code != 2:
            raise
        return
    answer = ctx.wire.get(name, path, query)
    if answer.status == 400:
        rule = "exclusive"  # an empty range refused
    else:
        rows = _rows(ctx, name, answer)
        if rows is None:
            return
        rule = "inclusive" if day in _days(rows, field, ctx.tz) else "exclusive"
    ctx.learning.saw(name, "params.end", rule)
    ctx.touch()


def _check_date_times(ctx: Context, name: str, located: Located) -> None:
    """Once per API: a date-time where a date goes; a 400 means it takes whole days only."""
    if ctx.dates_checked or ctx.dataset(name).dialect.params.dates != "iso":
        return
    ctx.dates_checked = True
    start = dt.datetime.combine(ctx.day(), dt.time(6), tzinfo=ZoneInfo(ctx.tz)).isoformat()
    try:
        answer = ctx.get(ctx.dataset(name), {**located.values, "from": start})
    except EcoreError as exc:
        if exc.exit_code != 2:
            raise
        return
    if answer.status == 400 and answer.target == ctx.dataset(name).filter("from").param:
        ctx.learning.saw(name, "params.dates", "date")
        ctx.touch()


def _check_required_range(ctx: Context, name: str, located: Located) -> None:
    """The baseline asked for one day: it must hold that day and nothing else."""
    ds = ctx.dataset(name)
    field = next((n for n in PERIOD_FIELDS if any(n in r for r in located.rows)), None)
    if field is None:
        return
    day = dt.date.fromisoformat(located.values["from"])
    got = set(_days(located.rows, field, ctx.tz))
    inclusive = ds.dialect.params.end == "inclusive"
    if not got:
        ctx.learning.note(name, "filter from/to", f"not checked (no records on {day})", "seen",
                          "ok")  # fmt: skip
        return
    if got == {day}:
        ctx.learning.saw(name, "params.end", ds.dialect.params.end)
        ctx.learning.note(name, "filter from/to", f"take effect (one day asked, {field} on it)",
                          "seen", "ok")  # fmt: skip
        _check_date_times(ctx, name, located)
        return
    if got == {day, day + dt.timedelta(days=1)} and not inclusive:
        ctx.learning.saw(name, "params.end", "inclusive")
        ctx.touch()
        _check_date_times(ctx, name, located)
        return
    for f, wrong in ((ds.filter("from"), min(got) < day), (ds.filter("to"), max(got) > day)):
        if not wrong:
            continue

        def test(f: Filter = f) -> Verdict:
            rows = _rows(ctx, name, _ask(ctx, name, located.values))
            if rows is None:
                return None
            seen = set(_days(rows, field, ctx.tz))
            return bool(seen) and seen <= {day, day + dt.timedelta(days=1)}

        if _search(ctx, name, f, test) is None:
            shown = f"{min(got)} to {max(got)}"
            _ignored(ctx, name, f, f"one day asked, {shown} answered")


def _check_day(ctx: Context, name: str, located: Located, f: Filter) -> None:
    """A single-day filter (``activeOn``): every record delivering on that day."""
    ds = ctx.dataset(name)
    ends = [x.name for x in ds.fields if x.ends_period]
    pairs = [(e.replace("End", "Start").replace("To", "From"), e) for e in ends]
    pairs = [(s, e) for s, e in pairs if any(s in r for r in located.rows)]
    if not pairs:
        return
    start, end = pairs[0]
    inclusive = ds.dialect.fields.period_ends == "inclusive"
    starts = sorted({d for d in (local_day(r.get(start), ctx.tz) for r in located.rows) if d})
    if len(starts) < 2:
        return
    day = starts[-1]

    def active(row: dict[str, Any]) -> bool:
        first, last = local_day(row.get(start), ctx.tz), local_day(row.get(end), ctx.tz)
        if first is None or first > day:
            return False
        return last is None or (day <= last if inclusive else day < last)

    def test() -> Verdict:
        answer = _ask(ctx, name, {**located.values, f.name: day.isoformat()})
        rows = _rows(ctx, name, answer)
        if rows is None:
            return None
        if _fingerprint(answer) == _fingerprint(located.answer):
            return False if not all(active(r) for r in located.rows) else None
        return all(active(r) for r in rows)

    verdict = test()
    if verdict is True:
        _ok(ctx, name, f, f"{f.name}={day} gives records delivering that day")
    elif verdict is False and _search(ctx, name, f, test) is None:
        _ignored(ctx, name, f, f"{f.name}={day} gives every record back")


# ---- granularities -------------------------------------------------------------------------------


def _check_granularity(ctx: Context, name: str, located: Located, f: Filter) -> None:
    asked = located.values.get(f.name) or f.default
    order = sorted(f.allowed or (), key=lambda a: _seconds(a))
    coarser = [g for g in order if _seconds(g) > _seconds(asked or order[0])]
    if not coarser:
        return
    wanted = coarser[0]
    field = next((n for n in PERIOD_FIELDS if any(n in r for r in located.rows)), None)
    if field is None:
        return
    values = {**located.values, f.name: wanted}
    if "from" in values and "to" in values and wanted == "day":
        start = dt.date.fromisoformat(values["from"])
        values["to"] = (start + dt.timedelta(days=2)).isoformat()

    def test() -> Verdict:
        rows = _rows(ctx, name, _ask(ctx, name, values))
        if not rows:
            return None
        moments = [m for m in (instant(r.get(field), ctx.tz) for r in rows) if m is not None]
        step = spacing(moments)
        if step is None:
            return None
        return granularity_of_spacing(step) == granularity_of(wanted)

    verdict = test()
    if verdict is True:
        _ok(ctx, name, f, f"{f.name}={wanted} spaces {field} so")
    elif verdict is False and _search(ctx, name, f, test) is None:
        _ignored(ctx, name, f, f"{f.name}={wanted} changes nothing")


def _seconds(value: str | None) -> int:
    return GRANULARITY_SECONDS.get(granularity_of(value or "") or "", 0)
