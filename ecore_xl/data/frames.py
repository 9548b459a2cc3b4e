"""Pure functions: JSON records -> typed DataFrames (UTC and local time, DST-correct).

Columns follow the catalogue's field order and keep the API's (camelCase) names; fields the
catalogue does not know are kept after the known ones, never dropped. Nested objects are
flattened with ``.`` (``address.city``), lists become ``;``-joined text. A timestamp field ``x``
(UTC ``…Z``) becomes a tz-aware UTC column ``x`` followed by ``xLocal``: the naive wall-clock time
in ``tz``, which is what Excel (no time zones) should show. Dates are naive ``datetime64``.

A field the catalogue declares ``number`` or ``integer`` takes JSON numbers, and text that is a
plain JSON number (``"13749.6"``, ``"-2"``, ``"1e3"``: some APIs quote big numbers), which is
converted. Anything else there (``"13749,6"``, ``"n/a"``, an object) is an
:class:`~ecore_xl.errors.UnexpectedResponseError` naming the dataset, the field and the value:
a number column that silently turns into text breaks every sum in the workbook. A field the
catalogue does not declare keeps what the API sent (text when the values are mixed).

The dataset's dialect is read here too: a nested series becomes one row per value
(:mod:`ecore_xl.data.shapes`), time columns are parsed as it declares (:mod:`ecore_xl.data.times`:
ISO text, epoch numbers only when declared, naive times only with a declared zone), an inclusive
period end becomes exclusive (the day after), and declared units are converted to the canonical
ones (:mod:`ecore_xl.data.units`).

Frames are built column by column (one pass per column, vectorised parsing), so a year of
quarter-hours for 20 meters (~700,000 records) takes a fraction of a second. They can also be
built in parts — :func:`frame_part` for the records of one request, as soon as they are in,
:func:`join_parts` for all of them in order — with the same result as :func:`records_to_frame`
of the whole list, value for value and dtype for dtype: parts that agree on every choice the
typing made from the data are concatenated, otherwise the whole list is typed again.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

import numpy as np
import pandas as pd

from ecore_xl.catalogue import Dataset, FieldType, Wide, infer_field_type
from ecore_xl.data.recent import RecentTimes
from ecore_xl.data.shapes import series_rows
from ecore_xl.data.text import TEXT as _TEXT
from ecore_xl.data.text import repeated_text, single_text, text_series
from ecore_xl.data.times import UTC_UNIT, dates, instants, wall_clock
from ecore_xl.data.units import apply_units, check_unit_names
from ecore_xl.errors import TooManyRowsError, UnexpectedResponseError, UsageError
from ecore_xl.excel_limits import EXCEL_MAX_ROWS, MAX_EXACT_INTEGER

__all__ = [
    "EXCEL_MAX_ROWS",
    "LOCAL_SUFFIX",
    "FramePart",
    "check_excel_rows",
    "explode_records",
    "frame_part",
    "join_parts",
    "records_to_frame",
    "volumes_wide",
    "wide_grid",
]

log = logging.getLogger("ecore_xl.data.frames")

#: suffix of the local wall-clock sibling of a timestamp column
LOCAL_SUFFIX = "Local"

#: an integer as text, in full (a big id the client quoted: ``api.body.quote_big_integers``)
_BIG_INTEGER_TEXT = re.compile(r"-?[0-9]{16,}")
#: text accepted in a number field: a JSON number, nothing around it (no "1,5", no " 1")
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
#: value types a number column converts without looking at each value
_NUMERIC_TYPES = frozenset({int, float, bool, type(None)})
_MAX_DEPTH = 5


# ---- records -> frame ------------------------------------------------------------------------


def records_to_frame(
    dataset: Dataset, records: Sequence[Mapping[str, Any]], *, tz: str = "Europe/Berlin"
) -> pd.DataFrame:
    """A typed frame of ``records`` with the catalogue's columns first, unknown ones after."""
    rows = records if isinstance(records, list) else list(records)
    return _build(dataset, rows, tz, [])[0]


@dataclass(frozen=True, slots=True)
class FramePart:
    """The typed frame of some of the records, and what its typing depended on (``shape``)."""

    frame: pd.DataFrame
    shape: tuple[Any, ...]


def frame_part(
    dataset: Dataset,
    records: Sequence[Mapping[str, Any]],
    *,
    tz: str = "Europe/Berlin",
    recent: RecentTimes | None = None,
) -> FramePart:
    """:func:`records_to_frame` of some of the records, to be joined by :func:`join_parts`.

    ``shape`` holds every choice the typing made from the data rather than from the catalogue:
    the (flattened) keys in order, the columns and their dtypes, and how each time column was
    parsed. Parts of equal shape give, concatenated, exactly the frame of all their records.
    ``recent``: the time columns the other parts of this load parsed (the same instants are
    parsed once).
    """
    rows = records if isinstance(records, list) else list(records)
    notes: list[Any] = []
    frame, keys = _build(dataset, rows, tz, notes, recent)
    return FramePart(frame, (tuple(keys), tuple(notes), tuple(frame.dtypes.items())))


def join_parts(
    dataset: Dataset,
    parts: Sequence[FramePart | None],
    records: Callable[[], Sequence[Mapping[str, Any]]],
    *,
    tz: str = "Europe/Berlin",
) -> pd.DataFrame:
    """The frame of all the parts' records, in order: equal, value for value and dtype for dtype,
    to :func:`records_to_frame` of them.

    The parts are concatenated when they agree in shape (empty parts aside); otherwise — a field
    only some parts have, a column typed differently in one part, a part that could not be built
    (None) — the frame is built again from ``records()``, the whole list.
    """
    if any(p is None for p in parts):
        return records_to_frame(dataset, records(), tz=tz)
    full = [p for p in parts if p is not None and len(p.frame)]
    if not full:
        return records_to_frame(dataset, [], tz=tz)
    if len(full) == 1:
        return full[0].frame
    if any(p.shape != full[0].shape for p in full[1:]):
        return records_to_frame(dataset, records(), tz=tz)
    return pd.concat([p.frame for p in full], ignore_index=True)


def _build(
    dataset: Dataset,
    rows: list[Mapping[str, Any]],
    tz: str,
    notes: list[Any],
    recent: RecentTimes | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """The frame of ``rows`` and the (flattened) keys it was built from; ``notes`` collects
    the data-dependent parsing choices."""
    if dataset.dialect.series:
        rows = series_rows(rows, dataset.dialect.series, what=dataset.name)
    declared: dict[str, FieldType] = {f.source: f.type for f in dataset.fields}
    raw: dict[str, list[Any]] = {}
    _collect(rows, "", declared, raw, 0)
    check_unit_names(dataset, raw, len(rows))

    out: dict[str, Any] = {}
    used: set[str] = set()

    def add(name: str, kind: FieldType, values: list[Any], *, declared: bool = False) -> None:
        _add(out, dataset, name, kind, values, tz, notes, declared=declared, recent=recent)

    for f in dataset.fields:
        # a renamed field (api_name) still reads the old key while the API sends that
        source = f.source if f.source in raw else f.name if f.name in raw else None
        if source is not None:
            add(f.name, f.type, raw[source], declared=True)
            used.add(source)
        elif f.type == "object" and (children := [c for c in raw if c.startswith(f.source + ".")]):
            for child in children:
                add(f.name + child[len(f.source) :], _infer(raw[child]), raw[child])
                used.add(child)
        else:
            add(f.name, "text" if f.type == "object" else f.type, [None] * len(rows))
    for name, values in raw.items():
        if name not in used:
            column = name
            while column in out:  # never shadow (or drop) a column: "x" -> "x_"
                column += "_"
            add(column, _infer(values), values)
    apply_units(dataset, out, len(rows))
    columns = {name: series.array for name, series in out.items()}  # no realigning
    return pd.DataFrame(columns, index=pd.RangeIndex(len(rows)), copy=False), list(raw)


def _collect(
    rows: Sequence[Mapping[str, Any]],
    prefix: str,
    declared: Mapping[str, FieldType],
    raw: dict[str, list[Any]],
    depth: int,
) -> None:
    """Fill ``raw`` with one list of values per (flattened) column, in first-seen key order."""
    if not rows:
        return
    parents = {name[:i] for name in declared for i, c in enumerate(name) if c == "."}
    for key, values in zip(*_columns(rows), strict=True):
        name = f"{prefix}{key}"
        kind = declared.get(name)
        may_nest = kind is None or kind == "object" or name in parents
        if may_nest and depth < _MAX_DEPTH and any(type(v) is dict for v in values):
            scalars = [None if type(v) is dict else v for v in values]
            if any(v is not None for v in scalars):
                raw[name] = scalars  # a field that is sometimes an object: keep the rest
            subs = [v if type(v) is dict else {} for v in values]
            _collect(subs, name + ".", declared, raw, depth + 1)
        else:
            raw[name] = values


def _columns(rows: Sequence[Mapping[str, Any]]) -> tuple[list[Any], list[list[Any]]]:
    """The keys of ``rows`` in first-seen order (in the first 1,000 rows, then sorted), and one
    list of values per key (None where a row lacks it)."""
    uniform = _uniform_columns(rows)
    if uniform is not None:
        return uniform
    try:
        keys = set().union(*rows)
    except TypeError:
        raise UnexpectedResponseError(
            "The API sent a record that is not a JSON object: check the dataset's path."
        ) from None
    ordered = [k for k in dict.fromkeys(k for r in islice(rows, 1000) for k in r) if k in keys]
    ordered += sorted(keys.difference(ordered), key=str)
    return ordered, [[r.get(key) for r in rows] for key in ordered]


def _uniform_columns(rows: Sequence[Mapping[str, Any]]) -> tuple[list[Any], list[list[Any]]] | None:
    """:func:`_columns` without the key union, when every row has the first row's keys.

    Same number of keys in every row, and every row has each of the first row's keys: then the
    key sets are equal, and the first-seen order is the first row's. None otherwise.
    """
    first = rows[0]
    if type(first) is not dict:
        return None
    keys = list(first)
    try:
        if set(map(len, rows)) != {len(keys)}:
            return None
        return keys, [[r[key] for r in rows] for key in keys]
    except (KeyError, TypeError):
        return None


def _infer(values: Iterable[Any]) -> FieldType:
    """The type of an unknown column from its first non-null value."""
    for v in values:
        if v is not None:
            return infer_field_type(v)
    return "text"


def _add(
    out: dict[str, Any],
    ds: Dataset,
    name: str,
    kind: FieldType,
    values: list[Any],
    tz: str,
    notes: list[Any],
    *,
    declared: bool = False,
    recent: RecentTimes | None = None,
) -> None:
    """Type ``values`` as ``kind`` into ``out[name]`` (``declared``: as the catalogue says)."""
    if kind == "timestamp":
        out[name], out[name + LOCAL_SUFFIX] = _instants(ds, name, values, tz, notes, recent)
    elif kind == "date":
        days = dates(ds, name, values, tz, notes)
        field = ds.field(name) if declared else None
        if field is not None and field.ends_period and ds.dialect.fields.period_ends == "inclusive":
            days = days + pd.Timedelta(days=1)  # the period's last day -> the first day after
        out[name] = days
    elif kind in ("number", "integer"):
        out[name] = _numbers(ds, name, values, integer=kind == "integer", declared=declared)
    elif kind == "bool":
        out[name] = _bools(values)
    elif kind in ("list", "object"):
        out[name] = _text([_joined(v) for v in values])
    else:
        out[name] = _text(values)


def _instants(
    ds: Dataset, name: str, values: list[Any], tz: str, notes: list[Any], recent: RecentTimes | None
) -> tuple[pd.Series, pd.Series]:
    """A timestamp column as UTC and as local wall-clock time (the same texts parsed once)."""
    how = (ds.dialect.fields, tz)  # all that parsing depends on, besides the texts
    found = recent.get(how, values) if recent is not None else None
    if found is not None:
        utc, local, kinds = found
        notes.extend((name, kind) for kind in kinds)
        return utc, local
    mark = len(notes)
    utc = instants(ds, name, values, tz, notes)
    local = wall_clock(utc, tz)
    if recent is not None:
        recent.put(how, values, (utc, local, tuple(kind for _, kind in notes[mark:])))
    return utc, local


def _text(values: list[Any]) -> pd.Series:
    one = single_text(values)
    if one is not None:  # a request's meter id, unit, type: no type check
        return repeated_text(one, len(values))
    kinds = set(map(type, values))
    if list in kinds or dict in kinds:
        values = [_joined(v) for v in values]
        kinds = set(map(type, values))
    return text_series(values, kinds)


def _joined(value: Any) -> Any:
    """A list as ``a;b;c`` text (objects inside as compact JSON); scalars unchanged."""
    if type(value) is list:
        return ";".join(_scalar_text(v) for v in value)
    if type(value) is dict:
        return _scalar_text(value)
    return value


def _scalar_text(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _big_integer(values: list[Any]) -> Any:
    """The first integer (or integer text) beyond 2**53 in ``values``, or None."""
    for v in values:
        kind = type(v)
        if kind is int and abs(v) > MAX_EXACT_INTEGER:
            return v
        if kind is str and _BIG_INTEGER_TEXT.fullmatch(v) and abs(int(v)) > MAX_EXACT_INTEGER:
            return v
    return None


def _numbers(
    ds: Dataset, name: str, values: list[Any], *, integer: bool, declared: bool
) -> pd.Series:
    """float64 (``integer``: Int64 when every value is whole) from JSON numbers or number text.

    An integer beyond 2**53 fits neither a float (nor Excel's cells) exactly, nor Int64 beyond
    2**63: the column is kept as text, exactly as sent, with a warning naming the field.
    """
    kinds = set(map(type, values))
    big = _big_integer(values) if int in kinds or str in kinds else None
    if big is not None:
        if type(big) is int:  # as text the API sent it quoted: the client said so already
            log.warning(
                "%s: field %r holds the integer %s, beyond the 2^53 that Excel (and a float) "
                "holds exactly: the column is kept as text.",
                ds.name,
                name,
                big,
            )
        return _text([None if v is None else _scalar_text(v) for v in values])
    if kinds <= _NUMERIC_TYPES:
        try:
            arr = np.asarray(values, dtype="float64")
        except OverflowError:
            arr = np.asarray([None if v is None else float(v) for v in values], dtype="float64")
    else:
        bad = next((v for v in values if not _is_number(v)), None)
        if bad is not None:
            if not declared:
                return _text(values)  # a field the catalogue does not know: keep what was sent
            raise _bad_number(ds, name, bad, "an integer" if integer else "a number")
        arr = np.asarray([float(v) if type(v) is str else v for v in values], dtype="float64")
    if integer:
        finite = arr[np.isfinite(arr)]
        exact = not len(finite) or float(np.abs(finite).max()) <= MAX_EXACT_INTEGER
        if exact and np.array_equal(finite, np.round(finite)) and not np.isinf(arr).any():
            return pd.Series(pd.array(arr, dtype="Int64"))  # 1e308 stays a float: no overflow
    return pd.Series(arr, dtype="float64")


def _is_number(value: Any) -> bool:
    kind = type(value)
    if kind in _NUMERIC_TYPES:
        return True
    return kind is str and _JSON_NUMBER.fullmatch(value) is not None


def _bad_number(ds: Dataset, name: str, value: Any, kind: str) -> UnexpectedResponseError:
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    return UnexpectedResponseError(
        f"{ds.name}: field {name!r} holds {shown}, which is not {kind} as the catalogue says. "
        f"If the API really changed the field, correct its type: 'ecore-xl catalogue show "
        f"{ds.name}', then your catalogue override file.",
        detail=f"{ds.name}.{name}: value of type {type(value).__name__}: {value!r:.200}",
    )


def _bools(values: list[Any]) -> pd.Series:
    mapped: list[Any] = []
    for v in values:
        if isinstance(v, str):
            low = v.strip().lower()
            v = True if low in ("true", "1", "yes") else False if low in ("false", "0", "no") else v
        elif v is not None and not isinstance(v, bool) and isinstance(v, int | float):
            v = bool(v)
        mapped.append(v)
    if any(v is not None and not isinstance(v, bool) for v in mapped):
        return _text(values)
    if any(v is None for v in mapped):
        return pd.Series(mapped, dtype="boolean")
    return pd.Series(mapped, dtype="bool")


# ---- invoice lines ---------------------------------------------------------------------------


def explode_records(
    dataset: Dataset, parents: Sequence[Mapping[str, Any]], *, id_key: str = "id"
) -> list[dict[str, Any]]:
    """One record per element of each parent's ``dataset.explode`` list, with the parent's id.

    Invoice lines: ``{"invoiceId": <invoice id>, **line}`` for every line of every invoice;
    ``id_key`` is the parent records' id key as the API names it (``invoiceId`` in a dialect
    whose ids are ``<entity>Id``), the child's key is written as its dialect reads it.
    """
    if not dataset.explode or not dataset.parent_key:
        raise UsageError(f"{dataset.name} is not a dataset of nested records (no 'explode').")
    list_key = dataset.explode
    own = dataset.field(dataset.parent_key)
    parent_key = own.source if own is not None else dataset.parent_key
    out: list[dict[str, Any]] = []
    for parent in parents:
        children = parent.get(list_key) or []
        if not isinstance(children, list):
            raise UnexpectedResponseError(
                f"{dataset.name}: {list_key!r} of record {parent.get(id_key)!r} is not a list."
            )
        pid = parent.get(id_key)
        for child in children:
            row = {parent_key: pid}
            row.update(child if isinstance(child, Mapping) else {"value": child})
            row[parent_key] = pid
            out.append(row)
    return out


# ---- volumes grid ----------------------------------------------------------------------------


def volumes_wide(long: pd.DataFrame, *, tz: str = "Europe/Berlin") -> pd.DataFrame:
    """The volumes' wide grid (:func:`wide_grid` with the built-in declaration)."""
    return wide_grid(long, Wide(), tz=tz)


def wide_grid(long: pd.DataFrame, wide: Wide, *, tz: str = "Europe/Berlin") -> pd.DataFrame:
    """A dataset's wide layout, as it declares it: one row per ``index`` instant (``xLocal``,
    ``x``, ``utcOffset``) and one ``values`` column per distinct ``columns`` value (in order).

    Rows are sorted by the UTC instant, so the repeated local hour of an October night appears
    twice, in order, with different offsets. A missing value is NaN, never 0.
    """
    index, columns, values = wide.index, wide.columns, wide.values
    for column in (columns, index, values):
        if column not in long.columns:
            raise UsageError(f"A wide grid needs a '{column}' column.")
    if long.empty:
        start = pd.Series([], dtype=UTC_UNIT)
        return pd.DataFrame(
            {
                index + LOCAL_SUFFIX: wall_clock(start, tz),
                index: start,
                "utcOffset": pd.Series([], dtype=_TEXT),
            }
        )
    dup = long.duplicated([index, columns], keep=False)
    if dup.any():
        first = long.loc[dup].iloc[0]
        raise UsageError(
            f"The records hold two values for {columns} {first[columns]} at {first[index]}: a "
            "wide grid needs one type and one granularity; ask for actual or forecast only."
        )
    keys = pd.unique(long[columns])
    grid = long.pivot(index=index, columns=columns, values=values)
    grid = grid.reindex(columns=keys).sort_index()
    grid.columns = [str(m) for m in keys]
    start = pd.Series(grid.index, dtype=long[index].dtype)
    if start.dt.tz is None:
        raise UsageError(f"The '{index}' column must be time-zone aware (UTC).")
    start = start.dt.tz_convert("UTC")
    local = wall_clock(start, tz)
    head = pd.DataFrame(
        {
            index + LOCAL_SUFFIX: local,
            index: start,
            "utcOffset": _offsets(local, start),
        }
    )
    cells = grid.reset_index(drop=True).astype("float64")
    return pd.concat([head, cells], axis=1)


def _offsets(local: pd.Series, utc: pd.Series) -> pd.Series:
    """``+01:00`` / ``+02:00`` per row, from local wall time minus UTC."""
    minutes = (local - utc.dt.tz_localize(None)).dt.total_seconds().div(60).round().astype("int64")
    labels = {m: _offset_label(int(m)) for m in pd.unique(minutes)}
    return minutes.map(labels).astype(_TEXT)


def _offset_label(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


# ---- Excel limits ----------------------------------------------------------------------------


def check_excel_rows(df: pd.DataFrame, what: str) -> None:
    """TooManyRowsError when ``df`` (plus a header row) does not fit on one Excel sheet."""
    rows = len(df)
    if rows > EXCEL_MAX_ROWS - 1:
        raise TooManyRowsError(
            f"{what}: {rows:,} rows do not fit on one Excel sheet (at most "
            f"{EXCEL_MAX_ROWS - 1:,}). Use the wide layout (one column per meter), a coarser "
            "granularity or a shorter date range."
        )
