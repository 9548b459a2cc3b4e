"""Dataset filters: validated and normalised before any request is made.

``normalise_filters(dataset, filters, tz=...)`` turns what a user typed (keyword arguments, Excel
cells, ``--filter key=value``) into the exact ``{catalogue name: text}`` the service sends. The
result is also the cache and snapshot key, so equal requests spelled differently share one entry.

Rules, in order:

* **Names** are the catalogue's (``meterId``); case does not matter, ``meter_id`` and a trailing
  underscore (``from_``, as ``from`` is a Python keyword) are accepted too.
* **Empty** values (``None``, ``""``, NaN, NaT, an empty list) mean "use the default".
* **Dates** (filters of type ``date``) accept ``datetime.date``, ``datetime.datetime`` (naive =
  wall-clock time in ``tz``, aware kept), ``pandas.Timestamp``, ISO text (``2026-03-01``,
  ``2026-03-01T00:00:00+01:00``), ``01.03.2026`` and Excel serial numbers (1900 date system,
  ``46082`` = 2026-03-01, the fraction is the time of day). A value at local midnight becomes
  ``YYYY-MM-DD`` (the API reads a date as local midnight); any other instant becomes ISO 8601 with
  its offset.
* **Several values** (a list, or text with commas, e.g. ``"M-1,M-2"``) are for filters of type
  ``id``, ``enum`` and ``number`` (:data:`MULTI_TYPES`): kept in the order given, and as the API
  takes one value per request, the service asks once per value and concatenates the answers in
  that order. **Ids are lists end to end**: a list's items are taken whole (an id ``"A,1"`` in a
  list is one id), and a text is split at commas *outside double quotes*
  (:func:`split_ids`: ``'"A,1",B'`` is the two ids ``A,1`` and ``B``); the normalised text quotes
  an id that holds a comma the same way (:func:`join_ids`). Filters of type ``list`` are sent
  comma-joined in one request, so a value holding a comma is refused there. A ``text`` filter
  (``supplier``) takes one value, commas and all: ``"Stadtwerke Musterstadt GmbH,
  Energiehandel"`` is one supplier; a list of several is refused.
* **Enums** match case-insensitively and come out in the catalogue's spelling.
* Then defaults are applied, and required filters, ``one_of`` (exactly one of) and
  ``from`` < ``to`` are checked.

Every failure is an :class:`~ecore_xl.errors.InvalidFilterError` naming the filter.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from ecore_xl.errors import InvalidFilterError

__all__ = [
    "MULTI_SEPARATOR",
    "MULTI_TYPES",
    "excel_serial_to_datetime",
    "is_multi",
    "join_ids",
    "normalise_filters",
    "parse_date_value",
    "path_filter_names",
    "split_ids",
    "split_multi",
]

#: separates several values of one filter in the normalised text
MULTI_SEPARATOR = ","

_PATH_VAR = re.compile(r"\{([^{}]+)\}")
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_EXCEL_MAX_SERIAL = 2_958_465  # 9999-12-31
_GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
#: filter types whose several values the service asks for one request each
MULTI_TYPES = frozenset({"id", "enum", "number"})


def path_filter_names(path: str) -> list[str]:
    """The filters a path template needs: ``/portfolios/{portfolioId}/positions`` → portfolioId."""
    return _PATH_VAR.findall(path)


def split_ids(text: str) -> list[str]:
    """Values in ``text``, split at commas outside double quotes, each stripped; ``""`` inside
    quotes is one quote. ``'M-1, "A,1"'`` -> ``["M-1", "A,1"]``; empty pieces are dropped."""
    if '"' not in text:
        return [part.strip() for part in text.split(MULTI_SEPARATOR) if part.strip()]
    out: list[str] = []
    piece: list[str] = []
    quoted = False
    i = 0
    while i < len(text):
        char = text[i]
        if char == '"':
            if quoted and text[i + 1 : i + 2] == '"':
                piece.append('"')
                i += 1
            else:
                quoted = not quoted
        elif char == MULTI_SEPARATOR and not quoted:
            out.append("".join(piece).strip())
            piece = []
        else:
            piece.append(char)
        i += 1
    out.append("".join(piece).strip())
    return [part for part in out if part]


def join_ids(values: Iterable[str]) -> str:
    """The inverse of :func:`split_ids`: a value holding a comma (or starting with a quote) is
    quoted, its quotes doubled."""
    return MULTI_SEPARATOR.join(
        '"' + v.replace('"', '""') + '"' if MULTI_SEPARATOR in v or v.startswith('"') else v
        for v in values
    )


def is_multi(filter_type: str, value: str) -> bool:
    """Whether a normalised value holds several values the service must ask for one by one
    (or one quoted value that holds a comma)."""
    return filter_type in MULTI_TYPES and (MULTI_SEPARATOR in value or value.startswith('"'))


def split_multi(value: str) -> list[str]:
    """The single values of a normalised multi-value, as the API gets them (unquoted)."""
    return split_ids(value)


# ---- names ----------------------------------------------------------------------------------


def _fold(name: str) -> str:
    return name.strip().rstrip("_").replace("_", "").replace("-", "").lower()


def _resolve_names(dataset: Any, filters: Mapping[str, Any]) -> dict[str, Any]:
    """Map each given name onto its catalogue filter; unknown or doubled names raise."""
    known = {_fold(f.name): f.name for f in dataset.filters}
    for f in dataset.filters:  # the API's own spelling is accepted as well
        if getattr(f, "api_name", None):
            known.setdefault(_fold(f.api_name), f.name)
    resolved: dict[str, Any] = {}
    given_as: dict[str, str] = {}
    for raw_name, value in filters.items():
        name = known.get(_fold(str(raw_name)))
        if name is None:
            names = ", ".join(f.name for f in dataset.filters) or "none"
            raise InvalidFilterError(
                f"{dataset.name} has no filter {raw_name!r}: known filters are {names}.",
                parameter=str(raw_name),
                allowed=tuple(f.name for f in dataset.filters),
            )
        if name in resolved and not _is_empty(value) and not _is_empty(resolved[name]):
            raise InvalidFilterError(
                f"Filter {name} is given twice ({given_as[name]!r}, {raw_name!r}): give it once.",
                parameter=name,
            )
        if name not in resolved or _is_empty(resolved[name]):
            resolved[name] = value
            given_as[name] = str(raw_name)
    return resolved


# ---- values ---------------------------------------------------------------------------------


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    if isinstance(value, float):
        return math.isnan(value)
    if _is_sequence(value):
        return all(_is_empty(v) for v in value)
    import pandas as pd  # NaT, NA, numpy nan

    try:
        result = pd.isna(value)
    except (TypeError, ValueError):
        return False
    return result if isinstance(result, bool) else bool(getattr(result, "item", lambda: False)())


def _is_sequence(value: Any) -> bool:
    if isinstance(value, (str, bytes, Mapping)):
        return False
    if isinstance(value, (list, tuple, set, frozenset)):
        return True
    # pandas Series / Index, numpy arrays: iterable, with a length, not a scalar
    return hasattr(value, "__len__") and hasattr(value, "__iter__") and hasattr(value, "dtype")


def _items(value: Any, *, split: bool = True) -> list[Any]:
    """The single values inside ``value``: list items (taken whole: an item holding a comma is
    one value), and (``split``) a text's values (:func:`split_ids`)."""
    if _is_sequence(value):
        out: list[Any] = []
        for item in value:
            if isinstance(item, str):
                out.extend([item.strip()] if item.strip() else [])
            else:
                out.extend(_items(item, split=False))
        return out
    if isinstance(value, str):
        return split_ids(value) if split else ([value.strip()] if value.strip() else [])
    if _is_empty(value):
        return []
    return [value]


def _number_text(name: str, value: Any) -> str:
    if isinstance(value, bool):
        raise InvalidFilterError(f"Filter {name} must be a number, not {value!r}.", parameter=name)
    if isinstance(value, int):
        return str(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidFilterError(
            f"Filter {name} must be a number (got {value!r}).", parameter=name
        ) from None
    if not math.isfinite(number):
        raise InvalidFilterError(f"Filter {name} must be a finite number.", parameter=name)
    return str(int(number)) if number.is_integer() else repr(number)


def _text(value: Any) -> str:
    """Text as sent; Excel hands numeric ids over as floats (12.0 → "12")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _choose(name: str, value: str, allowed: tuple[str, ...]) -> str:
    by_fold = {a.lower(): a for a in allowed}
    chosen = by_fold.get(value.lower())
    if chosen is None:
        raise InvalidFilterError(
            f"Filter {name} cannot be {value!r}: use one of {', '.join(allowed)}.",
            parameter=name,
            allowed=tuple(allowed),
        )
    return chosen


# ---- dates ----------------------------------------------------------------------------------


def excel_serial_to_datetime(serial: float, *, name: str = "date") -> dt.datetime:
    """An Excel serial number (1900 date system) as a naive datetime (to the second)."""
    if isinstance(serial, bool) or not math.isfinite(serial):
        raise InvalidFilterError(f"Filter {name}: {serial!r} is not a date.", parameter=name)
    if not 1 <= serial <= _EXCEL_MAX_SERIAL or 60 <= serial < 61:
        raise InvalidFilterError(
            f"Filter {name}: {serial!r} is not an Excel date serial (1 = 1900-01-01 to "
            f"{_EXCEL_MAX_SERIAL} = 9999-12-31; 60 is Excel's non-existent 1900-02-29).",
            parameter=name,
        )
    seconds = round(serial * 86_400)
    value = _EXCEL_EPOCH + dt.timedelta(seconds=seconds)
    if serial < 60:  # Excel's phantom 1900-02-29 shifts the serials before it by one day
        value += dt.timedelta(days=1)
    return value


def _parse_text_date(name: str, text: str) -> dt.date | dt.datetime:
    text = text.strip()
    if m := _GERMAN_DATE.match(text):
        day, month, year, hh, mm, ss = m.groups()
        try:
            if hh is None:
                return dt.date(int(year), int(month), int(day))
            return dt.datetime(int(year), int(month), int(day), int(hh), int(mm), int(ss or 0))
        except ValueError:
            pass
    else:
        try:
            if len(text) <= 10 and "T" not in text and ":" not in text:
                return dt.date.fromisoformat(text)
            return dt.datetime.fromisoformat(text)
        except ValueError:
            pass
    raise InvalidFilterError(
        f"Filter {name}: {text!r} is not a date: write 2026-03-01 (or 2026-03-01T06:00:00+01:00).",
        parameter=name,
    )


def parse_date_value(name: str, value: Any, *, tz: str) -> dt.date | dt.datetime:
    """A date-like value as a ``date`` (local midnight) or an aware ``datetime``."""
    zone = ZoneInfo(tz)
    if isinstance(value, bool):
        raise InvalidFilterError(f"Filter {name}: {value!r} is not a date.", parameter=name)
    if isinstance(value, numbers.Real):
        parsed: dt.date | dt.datetime = excel_serial_to_datetime(float(value), name=name)
    elif isinstance(value, str):
        parsed = _parse_text_date(name, value)
    elif isinstance(value, (dt.date, dt.datetime)):
        parsed = value
    elif hasattr(value, "to_pydatetime"):  # pandas Timestamp
        parsed = value.to_pydatetime()
    elif type(value).__name__ == "datetime64":  # numpy
        import pandas as pd

        try:
            parsed = pd.Timestamp(value).to_pydatetime()
        except (TypeError, ValueError):
            raise InvalidFilterError(
                f"Filter {name}: {value!r} is not a date.", parameter=name
            ) from None
    else:
        raise InvalidFilterError(
            f"Filter {name}: {value!r} ({type(value).__name__}) is not a date.", parameter=name
        )
    if not isinstance(parsed, dt.datetime):
        return parsed
    aware = parsed.replace(tzinfo=zone) if parsed.tzinfo is None else parsed
    if parsed.tzinfo is None:
        # a wall-clock time in the spring gap does not exist: refuse it rather than guess;
        # an ambiguous autumn time means its first occurrence (fold=0)
        roundtrip = aware.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None)
        if roundtrip != parsed:
            raise InvalidFilterError(
                f"Filter {name}: {parsed:%Y-%m-%d %H:%M} does not exist in {tz} (clocks go "
                "forward): give a time with its UTC offset.",
                parameter=name,
            )
    local = aware.astimezone(zone)
    if local.time() == dt.time(0):  # local midnight: the canonical form is the date
        return local.date()
    return aware


def _as_instant(value: dt.date | dt.datetime, zone: ZoneInfo) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime(value.year, value.month, value.day, tzinfo=zone)


# ---- the one entry point --------------------------------------------------------------------


def _normalise_one(f: Any, value: Any, *, tz: str) -> str | None:
    """One filter's value as the text the API gets (several values comma-joined)."""
    ftype = getattr(f, "type", "text")
    allowed = tuple(getattr(f, "allowed", None) or ())
    if ftype == "date":
        if _is_sequence(value):
            raise InvalidFilterError(
                f"Filter {f.name} takes one date, not a list.", parameter=f.name
            )
        return parse_date_value(f.name, value, tz=tz).isoformat()
    items = _items(value, split=ftype in MULTI_TYPES or ftype == "list")
    if not items:
        return None
    if ftype not in MULTI_TYPES and ftype != "list" and len(set(map(_text, items))) > 1:
        raise InvalidFilterError(
            f"Filter {f.name} takes one value (got {len(items)}): fetch once per {f.name}.",
            parameter=f.name,
        )
    out: list[str] = []
    for item in items:
        if ftype == "number":
            text = _number_text(f.name, item)
        else:
            text = _text(item)
            if allowed:
                text = _choose(f.name, text, allowed)
        if ftype == "list" and MULTI_SEPARATOR in text:
            raise InvalidFilterError(
                f"Filter {f.name}: {text!r} holds a comma, and the API reads this list filter "
                "comma-separated: it would be two values. Give the values without commas.",
                parameter=f.name,
            )
        if text not in out:
            out.append(text)
    return join_ids(out) if ftype in MULTI_TYPES else MULTI_SEPARATOR.join(out)


def _check_range(dataset: Any, out: Mapping[str, str], *, tz: str) -> None:
    """``from`` must come before ``to`` (also ``validFrom``/``validTo`` style pairs)."""
    zone = ZoneInfo(tz)
    types = {f.name: getattr(f, "type", "text") for f in dataset.filters}
    for start in out:
        if not start.lower().endswith("from") or types.get(start) != "date":
            continue
        stem = start[: -len("from")]
        for end in (stem + "to", stem + "To", stem + "TO"):
            if end in out and types.get(end) == "date":
                a = _as_instant(parse_date_value(start, out[start], tz=tz), zone)
                b = _as_instant(parse_date_value(end, out[end], tz=tz), zone)
                if not a < b:
                    raise InvalidFilterError(
                        f"Filter {start} ({out[start]}) must be before {end} ({out[end]}): "
                        f"the range is [{start}, {end}).",
                        parameter=start,
                    )


def normalise_filters(dataset: Any, filters: Mapping[str, Any], *, tz: str) -> dict[str, str]:
    """Validate ``filters`` for ``dataset`` and return ``{catalogue name: text}``, defaults applied.

    Raises InvalidFilterError (naming the filter) for an unknown or doubled name, a missing
    required filter, a broken ``one_of`` rule, an unparsable date or number, ``from`` not before
    ``to``, or a value outside the allowed set. The keys come out sorted.
    """
    given = _resolve_names(dataset, filters)
    out: dict[str, str] = {}
    for f in dataset.filters:
        text = _normalise_one(f, given[f.name], tz=tz) if f.name in given else None
        if text is None and getattr(f, "default", None) not in (None, ""):
            text = _normalise_one(f, f.default, tz=tz)
        if text is not None:
            out[f.name] = text
    required = [f.name for f in dataset.filters if getattr(f, "required", False)]
    under = getattr(getattr(dataset, "under", None), "filter", None)  # filled by the service
    for name in [*required, *path_filter_names(dataset.path)]:
        if name not in out and name != under:
            raise InvalidFilterError(
                f"{dataset.name} needs the filter {name}: give {name}=...", parameter=name
            )
    one_of: Iterable[str] = getattr(dataset, "one_of", None) or ()
    one_of = tuple(one_of)
    if one_of:
        present = [n for n in one_of if n in out]
        if len(present) != 1:
            what = "both" if len(present) > 1 else "none"
            raise InvalidFilterError(
                f"{dataset.name} needs exactly one of {' or '.join(one_of)} (got {what}).",
                parameter=present[-1] if present else one_of[0],
            )
    _check_range(dataset, out, tz=tz)
    return dict(sorted(out.items()))
