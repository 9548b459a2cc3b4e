"""Time columns, as the dialect declares the API writes them: the one place that parses instants.

* ISO 8601 with ``Z`` or an offset (``2026-03-29T03:00:00+02:00``): the instant it names;
* epoch numbers, when ``dialect.fields.epoch`` says ``s`` or ``ms`` (else a number is refused:
  never an epoch guessed);
* a date-time without an offset: wall-clock time in ``dialect.fields.naive`` (``local`` is
  ECORE_TIMEZONE), else refused — a naive timestamp read as UTC is an hour off;
* a bare date in a timestamp column means local midnight (the contract).

:func:`instants` gives aware UTC, :func:`dates` naive local dates (a date-time becomes the local
wall-clock time), :func:`wall_clock` the local sibling of a UTC column. ``notes`` collects the
data-dependent choices (frame parts of equal notes can be concatenated).
"""

from __future__ import annotations

import logging
import re
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ecore_xl.errors import UnexpectedResponseError

if TYPE_CHECKING:
    from ecore_xl.catalogue import Dataset

__all__ = ["UTC_UNIT", "dates", "instants", "wall_clock"]

UTC_UNIT = pd.api.types.pandas_dtype("datetime64[us, UTC]")
NAIVE_UNIT = np.dtype("datetime64[us]")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_HAS_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$", re.IGNORECASE)
_TEXT_OR_NULL = frozenset({str, type(None)})
_NUMBER_OR_NULL = frozenset({int, float, type(None)})
_EPOCH_UNIT = {"s": "s", "ms": "ms"}
log = logging.getLogger("ecore_xl.data.frames")


def wall_clock(utc: pd.Series, tz: str) -> pd.Series:
    """The naive wall-clock time in ``tz`` of an aware column; an instant whose local time is
    past the last representable one (``9999-12-31T23:59:59Z``, an "open end") is left empty
    there, with a warning (its UTC value is kept)."""
    try:
        return utc.dt.tz_convert(tz).dt.tz_localize(None).astype(NAIVE_UNIT)
    except (OverflowError, pd.errors.OutOfBoundsDatetime):
        edge = pd.Timestamp("9999-12-30T00:00:00Z")
        late = utc > edge
        log.warning(
            "%d instant(s) after %s (e.g. %s) have no local time in %s before the year "
            "10000: left empty in the local column.",
            int(late.sum()), edge.date(), utc[late].iloc[0], tz,
        )  # fmt: skip
        local = utc.where(~late).dt.tz_convert(tz).dt.tz_localize(None)
        return local.astype(NAIVE_UNIT)


def _is_epoch(kinds: set[type]) -> bool:
    """Numbers (and nulls) only: the value types of a column of epochs."""
    return kinds <= _NUMBER_OR_NULL and bool(kinds - {type(None)})


def _from_epoch(ds: Dataset, name: str, values: list[Any], kind: str) -> pd.Series:
    unit = ds.dialect.fields.epoch
    if unit is None:
        sample = next(v for v in values if v is not None)
        raise UnexpectedResponseError(
            f"{ds.name}: field {name!r} holds {sample!r}, a number, not a {kind}. If the API "
            'writes instants as epoch numbers, declare it: "dialect": {"fields": {"epoch": '
            f'"ms"}} (or "s") for {ds.name} in the catalogue file.',
            detail=f"{ds.name}.{name}: {type(sample).__name__} where ISO 8601 text belongs",
        )
    numbers = np.asarray([np.nan if v is None else v for v in values], dtype="float64")
    return pd.Series(pd.to_datetime(numbers, unit=_EPOCH_UNIT[unit], utc=True)).astype(UTC_UNIT)


def _first_naive(values: list[Any]) -> str | None:
    """The first date-time text without ``Z`` or an offset (bare dates aside), or None."""
    for v in values:
        if isinstance(v, str) and not _HAS_OFFSET.search(v) and not _DATE_ONLY.match(v):
            return v
    return None


def _uniform(series: pd.Series) -> pd.Series | None:
    """The column parsed in one pass when every value has the same offset (all ``Z``: the
    contract) or none; None when offsets differ or some have none (the slow path decides)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)  # pandas 2: mixed offsets only warn
        try:
            parsed = pd.Series(pd.to_datetime(series, format="ISO8601"))
        except (ValueError, FutureWarning):
            return None
    return None if parsed.dtype == object else parsed


def instants(ds: Dataset, name: str, values: list[Any], tz: str, notes: list[Any]) -> pd.Series:
    """UTC instants; a bare date (``2026-03-01``) means local midnight, as in the contract.

    Whether the first value is a bare date decides for the whole column (noted in ``notes``).
    A column of one offset is parsed in one pass; offsets that differ (a local offset across a
    DST change) go through UTC; times without an offset need a declared zone.
    """
    kinds = set(map(type, values))  # one pass at C speed
    if _is_epoch(kinds):
        notes.append((name, "epoch"))
        return _from_epoch(ds, name, values, "timestamp")
    _check_texts(ds, name, values, "timestamp", kinds)
    first = next((v for v in values if v is not None), None)
    is_dates = isinstance(first, str) and _DATE_ONLY.match(first) is not None
    series = pd.Series(values, dtype=object)
    try:
        if is_dates:
            notes.append((name, "dates"))
            naive = pd.Series(pd.to_datetime(series, format="ISO8601"))
            local = naive.dt.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward")
            return local.dt.tz_convert("UTC").astype(UTC_UNIT)
        parsed = _uniform(series)
        if parsed is not None and not isinstance(parsed.dtype, pd.DatetimeTZDtype):
            if first is not None:
                notes.append((name, "naive"))
                return _localised(ds, name, series, str(first), tz)
            parsed = parsed.dt.tz_localize("UTC")  # nothing but nulls (or no rows)
        if parsed is None:
            naive_text = _first_naive(values)
            if naive_text is not None:  # some with an offset, some without
                notes.append((name, "naive"))
                return _localised(ds, name, series, naive_text, tz)
            parsed = pd.to_datetime(series, format="ISO8601", utc=True)
        notes.append((name, "instants"))
    except (TypeError, ValueError) as exc:
        raise _bad_time(ds, name, values, "timestamp", exc) from None
    return parsed.dt.tz_convert("UTC").astype(UTC_UNIT)


def _localised(ds: Dataset, name: str, series: pd.Series, sample: str, tz: str) -> pd.Series:
    """Offset-less wall-clock times in the declared zone, as UTC (refused when undeclared)."""
    declared = ds.dialect.fields.naive
    if declared is None:
        raise UnexpectedResponseError(
            f"{ds.name}: field {name!r} holds {sample!r}, a time without a UTC offset: read as "
            "UTC it could be an hour off. If the API writes local wall-clock time, declare its "
            'zone: "dialect": {"fields": {"naive": "local"}} (ECORE_TIMEZONE) or a zone '
            f"name, for {ds.name} in the catalogue file.",
        )
    zone = tz if declared == "local" else declared
    parsed = pd.Series(pd.to_datetime(series, format="ISO8601"))
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):  # cannot happen with a naive sample
        return parsed.dt.tz_convert("UTC").astype(UTC_UNIT)
    try:
        local = parsed.dt.tz_localize(zone, ambiguous="infer", nonexistent="raise")
    except (ValueError, TypeError) as exc:  # pytz-style AmbiguousTimeError, NonExistentTimeError
        raise UnexpectedResponseError(
            f"{ds.name}: field {name!r} holds wall-clock times that do not name one instant in "
            f"{zone} (a DST change without an offset): the API must send offsets for them.",
            detail=str(exc),
        ) from None
    return local.dt.tz_convert("UTC").astype(UTC_UNIT)


def dates(ds: Dataset, name: str, values: list[Any], tz: str, notes: list[Any]) -> pd.Series:
    """Naive dates; a date-time with offset (or an epoch, when declared) becomes the local
    wall-clock time in ``tz``.

    The column is parsed in one go when it can be (all naive, or all with one offset), else
    value by value through UTC; ``notes`` says which.
    """
    kinds = set(map(type, values))
    if _is_epoch(kinds):
        notes.append((name, "epoch"))
        return wall_clock(_from_epoch(ds, name, values, "date"), tz)
    _check_texts(ds, name, values, "date", kinds)
    series = pd.Series(values, dtype=object)
    try:
        try:
            parsed = pd.to_datetime(series, format="ISO8601")
        except ValueError:  # mixed offsets or dates next to date-times: go through UTC
            notes.append((name, "mixed"))
            is_date = series.map(lambda v: isinstance(v, str) and bool(_DATE_ONLY.match(v)))
            utc = pd.to_datetime(series.where(~is_date), format="ISO8601", utc=True)
            local = utc.dt.tz_convert(tz).dt.tz_localize(None)
            plain = pd.to_datetime(series.where(is_date), format="ISO8601")
            return plain.where(is_date, local).astype(NAIVE_UNIT)
    except (TypeError, ValueError) as exc:
        raise _bad_time(ds, name, values, "date", exc) from None
    aware = isinstance(parsed.dtype, pd.DatetimeTZDtype)
    notes.append((name, "aware" if aware else "naive"))
    if aware:
        parsed = parsed.dt.tz_convert(tz).dt.tz_localize(None)
    return parsed.astype(NAIVE_UNIT)


def _check_texts(
    ds: Dataset, name: str, values: list[Any], kind: str, kinds: set[type]
) -> None:
    """Times arrive as ISO text (or declared epochs): a list or an object there is an error."""
    if not kinds <= _TEXT_OR_NULL:
        raise _bad_time(ds, name, values, kind, None)


def _bad_time(
    ds: Dataset, name: str, values: list[Any], kind: str, exc: Exception | None
) -> UnexpectedResponseError:
    sample = next((v for v in values if v is not None and not _parses(v, kind)), None)
    return UnexpectedResponseError(
        f"{ds.name}: field {name!r} holds {sample!r}, which is not a {kind}. "
        f"If the API changed, set the field's type in the catalogue file (e.g. to text).",
        detail=str(exc) if exc is not None else f"a {type(sample).__name__}, not ISO 8601 text",
    )


def _parses(value: Any, kind: str) -> bool:
    if type(value) is not str:
        return False
    try:
        pd.to_datetime([value], format="ISO8601", utc=kind == "timestamp")
    except (TypeError, ValueError):
        return False
    return True
