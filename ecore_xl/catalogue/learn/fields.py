"""A dataset's records read against its declared fields: names, types, units, times, shape.

:func:`read_fields` takes sample records (a Postman example's or a live page's, already out of
their envelope) and says, for one dataset: which key each declared field is (and how it knows,
:func:`~.names.match_field`), which fields no record has, which keys are new, which values do not
fit the declared type, how instants are written (``fields.epoch``, naive times), whether period
ends are inclusive, whether the records are nested series, and the unit each energy field's name
says (or that it says none).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ecore_xl.catalogue.learn.names import FieldMatch, match_field
from ecore_xl.catalogue.learn.records import find_series, flatten
from ecore_xl.catalogue.learn.values import TimeForm, period_end_rule, time_forms
from ecore_xl.catalogue.model import Dataset, infer_field_type

__all__ = ["FieldReport", "read_fields", "sample_rows"]

_RANK = {"seen": 0, "likely": 1, "guess": 2}


@dataclass
class FieldReport:
    """What sample records say about a dataset's fields (see the module docstring)."""

    rows: int = 0
    matches: dict[str, FieldMatch] = field(default_factory=dict)  # field name -> match
    missing: list[str] = field(default_factory=list)
    new: dict[str, str] = field(default_factory=dict)  # key -> inferred field type
    wrong_types: dict[str, str] = field(default_factory=dict)  # field -> what the values are
    forms: dict[str, set[TimeForm]] = field(default_factory=dict)  # time field -> forms seen
    epoch: str | None = None  # "s" / "ms" when instants are epoch numbers
    naive: list[str] = field(default_factory=list)  # time fields written without an offset
    period_ends: tuple[str, int] | None = None  # ("inclusive", n) / ("exclusive", n)
    series: str | None = None  # the key of the nested values, when records are series
    said_units: dict[str, set[str]] = field(default_factory=dict)  # unit field -> units seen

    def key(self, name: str) -> str | None:
        """The record key of field ``name`` in the sample (None: not seen)."""
        m = self.matches.get(name)
        return m.key if m else None


def sample_rows(
    ds: Dataset, records: Sequence[Mapping[str, Any]]
) -> tuple[list[dict[str, Any]], str | None]:
    """Flattened rows of the records (a series' values as rows with their parent's fields) and
    the series key, if the records are series."""
    key = find_series(records)
    if key is not None and (ds.field(key) is not None and ds.field(key).type == "list"):  # type: ignore[union-attr]
        key = None  # a declared list of objects (invoice lines) is a field, not a series
    rows: list[dict[str, Any]] = []
    for record in records:
        if key is None:
            rows.append(flatten(record))
            continue
        parent = flatten({k: v for k, v in record.items() if k != key})
        for value in record.get(key) or []:
            if isinstance(value, Mapping):
                rows.append({**parent, **flatten(value)})
        if not record.get(key):
            rows.append(parent)
    return rows, key


def read_fields(ds: Dataset, records: Sequence[Mapping[str, Any]], *, tz: str) -> FieldReport:
    """Read sample ``records`` of ``ds`` (see the module docstring)."""
    rows, series = sample_rows(ds, records)
    report = FieldReport(rows=len(rows), series=series)
    values: dict[str, list[Any]] = {}
    for row in rows:
        for key, value in row.items():
            values.setdefault(key, []).append(value)
    report.matches = _assign(ds, values)
    matched_keys = {m.key for m in report.matches.values()}
    report.missing = [f.name for f in ds.fields if f.name not in report.matches]
    for key, seen in values.items():
        if key in matched_keys:
            continue
        kinds = {infer_field_type(v) for v in seen if v is not None}
        report.new[key] = kinds.pop() if len(kinds) == 1 else "text"
    for m in report.matches.values():
        _read_values(report, m, values[m.key], tz)
    ends = [v for m in report.matches.values() if m.field.ends_period for v in values[m.key]]
    report.period_ends = period_end_rule(ends, tz)
    for f in ds.fields:
        if f.unit_field and f.unit_field in report.matches:
            said = {str(v) for v in values[report.matches[f.unit_field].key] if v}
            report.said_units[f.unit_field] = said
    return report


def _assign(ds: Dataset, values: Mapping[str, list[Any]]) -> dict[str, FieldMatch]:
    """Keys to fields, the surest matches first (each field and each key used once)."""
    out: dict[str, FieldMatch] = {}
    timestamp_like = {k: bool(time_forms(v) - {"date"}) for k, v in values.items()}
    best: dict[str, FieldMatch | None] = {
        k: match_field(ds, k, timestamp_like=timestamp_like[k]) for k in values
    }
    while True:
        found = [m for m in best.values() if m is not None]
        if not found:
            return out
        pick = min(found, key=lambda m: _RANK[m.sure])  # the first of the surest, in key order
        out[pick.field.name] = pick
        del best[pick.key]
        for key, m in best.items():  # only keys that wanted the field just taken look again
            if m is not None and m.field.name == pick.field.name:
                best[key] = match_field(ds, key, taken=out, timestamp_like=timestamp_like[key])


def _read_values(report: FieldReport, m: FieldMatch, seen: list[Any], tz: str) -> None:
    f = m.field
    present = [v for v in seen if v is not None]
    if not present:
        return
    if f.type in ("timestamp", "date"):
        forms = time_forms(present)
        if not forms:
            report.wrong_types[f.name] = f"{_kinds(present)}, not {f.type}s"
            return
        report.forms[f.name] = forms
        for unit, form in (("ms", "epoch_ms"), ("s", "epoch_s")):
            if form in forms:
                report.epoch = report.epoch or unit
        if "naive" in forms:
            report.naive.append(f.name)
    elif f.type in ("number", "integer"):
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in present)
        if not numbers and not all(_numeric_text(v) for v in present):
            report.wrong_types[f.name] = f"{_kinds(present)}, not numbers"
    elif f.type == "list" and not all(isinstance(v, list) for v in present):
        report.wrong_types[f.name] = f"{_kinds(present)}, not lists"


def _numeric_text(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return isinstance(value, str | int | float)


def _kinds(values: list[Any]) -> str:
    kinds = sorted({infer_field_type(v) for v in values})
    return "/".join(kinds)
