"""A dialect's request in the contract's terms: parameter names and values, dates, path variables.

Parameters the dialect does not know (including the contract's own names, when the dialect spells
them otherwise) are ignored, as a real API ignores them: the quiet cause of unfiltered data. So are
the ones a test declares ignored (``Dialect.ignore_params``); an ignored ``from`` / ``to`` of
volumes (which the contract requires) means the whole portfolio span.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .dialect import Dialect, Route
from .portfolio import Portfolio
from .routes import (
    DATE_PARAMS,
    HANDLERS,
    PARAMS,
    POSITION_GRANULARITIES,
    VOLUME_GRANULARITIES,
    ApiFail,
    invalid,
)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EPOCH = re.compile(r"^-?\d{1,12}$")
_GRANULARITIES = {"volumes": VOLUME_GRANULARITIES, "positions": POSITION_GRANULARITIES}


@dataclass
class Canonical:
    """One request in the contract's names: query values, handler arguments, and the dialect's
    spelling of each canonical name (for error messages)."""

    values: dict[str, str]
    args: list[str]
    spelling: dict[str, str]


def query_params(route: Route) -> tuple[str, ...]:
    """The canonical query parameters a route takes (its path variables fill the others)."""
    if route.single:
        return ()
    skip = {*route.without, *route.vars.values()}
    return tuple(p for p in PARAMS[route.dataset] if p not in skip)


def first_values(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """The first value of each query parameter (as the contract reads them)."""
    out: dict[str, str] = {}
    for k, v in pairs:
        out.setdefault(k, v)
    return out


def translate(
    dialect: Dialect,
    route: Route,
    filled: dict[str, str],
    pairs: list[tuple[str, str]],
    path: str,
    pf: Portfolio,
) -> Canonical:
    """The canonical request; raises :class:`ApiFail` naming a parameter in the dialect's terms."""
    given = first_values(pairs)
    ignored = set(dialect.ignored(route, path))
    names = () if route.single else query_params(route)
    spelling = {p: dialect.param_name(p) for p in (*names, *filled)}
    values: dict[str, str] = {}
    for canonical in names:
        served = spelling[canonical]
        if served in given and served not in ignored:
            values[canonical] = _value(dialect, route.dataset, canonical, served, given[served])
        elif served in ignored and route.dataset == "volumes" and canonical in ("from", "to"):
            values[canonical] = _span(pf, canonical)
    _check_inclusive(dialect, values, given, ignored)
    values.update(filled)
    args = []
    for canonical in HANDLERS[(route.dataset, route.single)][1]:
        if not values.get(canonical):
            served = spelling.get(canonical, dialect.param_name(canonical))
            raise invalid(served, f"'{served}' is required.")
        args.append(values.pop(canonical))
    return Canonical(values, args, spelling)


def _value(dialect: Dialect, dataset: str, canonical: str, served: str, v: str) -> str:
    if v == "":
        return v
    if canonical in DATE_PARAMS:
        return _date(dialect, canonical, served, v)
    if canonical == "granularity" and any(k != s for k, s in dialect.granularity_values.items()):
        allowed = [dialect.granularity_values[g] for g in _GRANULARITIES[dataset]]
        if v not in allowed:
            raise invalid(served, f"'{served}' must be one of {', '.join(allowed)}; got '{v}'.")
        return _GRANULARITIES[dataset][allowed.index(v)]
    return v


def _date(dialect: Dialect, canonical: str, served: str, v: str) -> str:
    if dialect.date_format == "date":
        try:
            day = dt.date.fromisoformat(v) if _DATE.match(v) else None
        except ValueError:
            day = None
        if day is None:
            raise invalid(served, f"'{served}' must be a date (YYYY-MM-DD); got '{v}'.")
        if canonical == "to" and dialect.date_end == "inclusive":
            day += dt.timedelta(days=1)
        return day.isoformat()
    if dialect.date_format == "epoch_s":
        if not _EPOCH.match(v):
            raise invalid(served, f"'{served}' must be epoch seconds (an integer); got '{v}'.")
        return dt.datetime.fromtimestamp(int(v), dt.UTC).isoformat()
    return v


def _check_inclusive(
    dialect: Dialect, values: dict[str, str], given: dict[str, str], ignored: set[str]
) -> None:
    """With an inclusive end, one day (``dateFrom == dateTo``) is fine; a later start is not."""
    if dialect.date_end != "inclusive" or not values.get("from") or not values.get("to"):
        return
    first, last = dialect.date_params
    if last in ignored or first in ignored:
        return
    if dt.date.fromisoformat(values["from"]) >= dt.date.fromisoformat(values["to"]):
        raise invalid(first, f"'{first}' must not be after '{last}'; got '{given[first]}'.")


def _span(pf: Portfolio, canonical: str) -> str:
    year = pf.years[0] if canonical == "from" else pf.years[-1] + 1
    return dt.date(year, 1, 1).isoformat()


_QUOTED = re.compile(r"'([A-Za-z_]+)'")


def in_dialect(fail: ApiFail, spelling: dict[str, str]) -> ApiFail:
    """A handler's failure with every parameter it names in the dialect's spelling."""
    if fail.target is None or all(k == v for k, v in spelling.items()):
        return fail
    message = _QUOTED.sub(lambda m: f"'{spelling.get(m.group(1), m.group(1))}'", fail.message)
    return ApiFail(fail.status, message, target=spelling.get(fail.target, fail.target))
