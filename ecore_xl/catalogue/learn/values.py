"""What sample values say: how instants are written, period ends, granularities and their spelling.

Pure functions over JSON values (from a Postman example or a live answer): :func:`time_form` of
one value (``z``, ``offset``, ``naive``, ``date``, ``epoch_s``, ``epoch_ms``), :func:`instant` of
one value read in a declared form, :func:`period_end_rule` from the ends a sample shows,
:func:`granularity_of` a word (``PT15M``, ``15min``, ``hourly`` …), :func:`spacing` of a series.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from itertools import pairwise
from statistics import median
from typing import Any, Literal
from zoneinfo import ZoneInfo

from ecore_xl.catalogue.learn.names import fold
from ecore_xl.catalogue.learn.vocabulary import GRANULARITY_SECONDS, GRANULARITY_WORDS

__all__ = [
    "TimeForm",
    "allowed_values",
    "granularity_of",
    "granularity_of_spacing",
    "instant",
    "is_duration",
    "local_day",
    "period_end_rule",
    "spacing",
    "stated_maximum",
    "time_form",
    "time_forms",
    "value_map",
]

TimeForm = Literal["z", "offset", "naive", "date", "epoch_s", "epoch_ms"]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(?P<zone>Z|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)
#: epoch seconds of 2001-09-09 .. 2286: ten digits; milliseconds: thirteen
_EPOCH_S = (1_000_000_000, 9_999_999_999)
_EPOCH_MS = (1_000_000_000_000, 9_999_999_999_999)


def time_form(value: Any) -> TimeForm | None:
    """How one JSON value writes an instant or a day (None: it is no time)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        if _EPOCH_MS[0] <= value <= _EPOCH_MS[1]:
            return "epoch_ms"
        if _EPOCH_S[0] <= value <= _EPOCH_S[1]:
            return "epoch_s"
        return None
    if not isinstance(value, str):
        return None
    if _DATE.match(value):
        return "date"
    m = _DATETIME.match(value)
    if m is None:
        return None
    zone = m.group("zone")
    if zone is None:
        return "naive"
    return "z" if zone.upper() == "Z" or zone in ("+00:00", "+0000") else "offset"


def time_forms(values: Iterable[Any]) -> set[TimeForm]:
    """The forms of the non-null values (an empty set: no times there)."""
    out: set[TimeForm] = set()
    for v in values:
        if v is None:
            continue
        form = time_form(v)
        if form is None:
            return set()
        out.add(form)
    return out


def instant(value: Any, tz: str, form: TimeForm | None = None) -> dt.datetime | None:
    """The aware instant a value names (a date: local midnight; naive: wall time in ``tz``)."""
    form = form or time_form(value)
    zone = ZoneInfo(tz)
    try:
        if form == "epoch_ms":
            return dt.datetime.fromtimestamp(float(value) / 1000, dt.UTC)
        if form == "epoch_s":
            return dt.datetime.fromtimestamp(float(value), dt.UTC)
        if form == "date":
            day = dt.date.fromisoformat(value)
            return dt.datetime(day.year, day.month, day.day, tzinfo=zone)
        if form in ("z", "offset", "naive"):
            moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00").replace(" ", "T"))
            return moment if moment.tzinfo else moment.replace(tzinfo=zone)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def local_day(value: Any, tz: str) -> dt.date | None:
    """The local calendar day of a value."""
    moment = instant(value, tz)
    return None if moment is None else moment.astimezone(ZoneInfo(tz)).date()


def period_end_rule(ends: Iterable[Any], tz: str) -> tuple[str, int] | None:
    """``("inclusive", n)`` when the ends are the last days of months (``2026-01-31``),
    ``("exclusive", n)`` when they are first days or midnights after the period; ``n`` is how
    many values said so. None when the sample says nothing (no ends, or mixed)."""
    inclusive = exclusive = 0
    for value in ends:
        if value is None:
            continue
        form = time_form(value)
        day = local_day(value, tz)
        if day is None:
            continue
        moment = instant(value, tz)
        at_midnight = moment is not None and moment.astimezone(ZoneInfo(tz)).time() == dt.time(0)
        if form == "date" and (day + dt.timedelta(days=1)).day == 1:
            inclusive += 1
        elif day.day == 1 and at_midnight:
            exclusive += 1
    if inclusive and not exclusive:
        return "inclusive", inclusive
    if exclusive and not inclusive:
        return "exclusive", exclusive
    return None


_AMOUNT = re.compile(r"^(\d+)\s*(min|minutes?|m|h|hours?|d|days?)$", re.IGNORECASE)
_ISO_DURATION = re.compile(
    r"^P(?:(?P<y>\d+)Y)?(?:(?P<mo>\d+)M)?(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?"
    r"(?:T(?:(?P<h>\d+)H)?(?:(?P<mi>\d+)M)?(?:(?P<s>\d+)S)?)?$",
    re.IGNORECASE,
)
_BY_SECONDS = {seconds: name for name, seconds in GRANULARITY_SECONDS.items()}


def granularity_of(word: str) -> str | None:
    """The canonical granularity a word names: ``PT15M``, ``15min``, ``quarter-hour`` ->
    ``quarterhour``; ``P1D``, ``daily`` -> ``day``; ``P3M`` -> ``quarter`` (None: not one)."""
    text = str(word).strip()
    folded = fold(text)
    for name, words in GRANULARITY_WORDS.items():
        if folded in {fold(w) for w in words}:
            return name
    m = _ISO_DURATION.match(text)
    if m and any(m.groupdict().values()):
        parts = {k: int(v) for k, v in m.groupdict().items() if v}
        if set(parts) == {"y"} and parts["y"] == 1:
            return "year"
        if set(parts) == {"mo"}:
            return {1: "month", 3: "quarter", 12: "year"}.get(parts["mo"])
        seconds = (
            parts.get("w", 0) * 7 * 86_400 + parts.get("d", 0) * 86_400
            + parts.get("h", 0) * 3600 + parts.get("mi", 0) * 60 + parts.get("s", 0)
        )  # fmt: skip
        return _BY_SECONDS.get(seconds) if "y" not in parts and "mo" not in parts else None
    m = _AMOUNT.match(text)
    if m:
        n, unit = int(m.group(1)), m.group(2).lower()
        seconds = n * (60 if unit.startswith("m") else 3600 if unit.startswith("h") else 86_400)
        return _BY_SECONDS.get(seconds)
    return None


def is_duration(word: str) -> bool:
    """Whether ``word`` is an ISO 8601 duration (``PT15M``, ``P1D``)."""
    m = _ISO_DURATION.match(str(word).strip())
    return bool(m and any(m.groupdict().values()))


def value_map(api_values: Sequence[str], ours: Sequence[str]) -> dict[str, str] | None:
    """Our granularities -> the API's spelling, when every one of ``ours`` is among
    ``api_values`` by meaning (None otherwise); identical spellings are left out."""
    found: dict[str, str] = {}
    for value in api_values:
        name = granularity_of(value)
        if name is not None and name in ours and name not in found:
            found[name] = value
    if set(found) != set(ours):
        return None
    return {k: v for k, v in found.items() if k != v}


_LISTED = re.compile(
    r"(?:one of|allowed(?: values)?(?: are)?|must be(?: one of)?|values?)\s*[:\-]?\s*"
    r"((?:[`'\"]?[\w.\-]+[`'\"]?\s*(?:,|/|\||\bor\b)\s*)+[`'\"]?[\w.\-]+[`'\"]?)",
    re.IGNORECASE,
)


def allowed_values(text: str) -> list[str] | None:
    """The values a description or an error message lists (``One of PT15M, PT1H, P1D.``)."""
    m = _LISTED.search(text or "")
    if m is None:
        return None
    values = [v.strip("`'\" ") for v in re.split(r"\s*(?:,|/|\||\bor\b)\s*", m.group(1))]
    values = [v.rstrip(".;") for v in values if v]
    return values if len(values) >= 2 else None


_MAXIMUM = re.compile(
    r"(?:\bto|at most|maximum(?: is| of)?|\bmax\.?|<=|up to)\s*(\d[\d,]*)", re.IGNORECASE
)


def stated_maximum(text: str) -> int | None:
    """The largest value a description or an error states (``at most 500``, ``from 1 to 500``)."""
    m = _MAXIMUM.search(text or "")
    return int(m.group(1).replace(",", "")) if m else None


def spacing(moments: Sequence[dt.datetime]) -> float | None:
    """The median step in seconds between consecutive instants (None for fewer than two)."""
    ordered = sorted(moments)
    steps = [(b - a).total_seconds() for a, b in pairwise(ordered)]
    steps = [s for s in steps if s > 0]
    return median(steps) if steps else None


def granularity_of_spacing(seconds: float) -> str | None:
    """The canonical granularity closest to a step (within a third; months vary)."""
    best = min(GRANULARITY_SECONDS.items(), key=lambda kv: abs(kv[1] - seconds))
    return best[0] if abs(best[1] - seconds) <= best[1] / 3 else None
