"""One sample answer of a dataset (a Postman example, a live page) written into a :class:`Learning`.

:func:`learn_collection_body` finds the records (the envelope), reads them against the dataset's
fields (:mod:`.fields`) and records what it saw: each field's key, units in names, new fields,
epoch or naive instants, inclusive period ends, a nested series; :func:`learn_record_body` does
the same for a single-record answer (where the record is). :func:`settle_energy` ends a learner's
run: the unit of energy figures that no name states, from the records' own facts
(:mod:`.energy`), and, for the rest, from the unit the API uses elsewhere.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ecore_xl.catalogue.learn.energy import unit_in_key, unstated, unstated_energy_units
from ecore_xl.catalogue.learn.fields import FieldReport, read_fields, sample_rows
from ecore_xl.catalogue.learn.names import Sure
from ecore_xl.catalogue.learn.proposal import Learning
from ecore_xl.catalogue.learn.records import (
    PagingSignals,
    find_record,
    find_records,
    paging_signals,
)
from ecore_xl.catalogue.model import Dataset

__all__ = ["Sample", "learn_collection_body", "learn_record_body", "settle_energy"]


@dataclass
class Sample:
    """What one collection answer held: its records' path, the records, the field report and
    the paging signals beside them."""

    path: str
    records: list[dict[str, Any]]
    report: FieldReport
    signals: PagingSignals
    rows: list[dict[str, Any]]


def learn_collection_body(
    learning: Learning,
    ds: Dataset,
    body: Any,
    headers: Mapping[str, str] | None,
    *,
    tz: str,
    where: str,
    declare_new: bool = True,
) -> Sample | None:
    """Learn from one collection answer of ``ds`` (``where`` names it in findings);
    ``declare_new``: fields the catalogue lacks become declared fields (else they stay extra
    columns, as every unknown field does)."""
    found = find_records(body)
    if found is None:
        learning.note(ds.name, "envelope", f"{where}: no list of records in the answer", "seen",
                      "unplaced")  # fmt: skip
        return None
    path, records = found
    learning.saw(ds.name, "envelope.records", path)
    signals = paging_signals(body, headers, path)
    if not records:
        learning.note(ds.name, "fields", f"{where}: no records to read the fields from",
                      "seen", "unplaced")  # fmt: skip
        return Sample(path, records, FieldReport(), signals, [])
    report = read_fields(ds, records, tz=tz)
    rows, _ = sample_rows(ds, records)
    _learn_fields(learning, ds, report, declare_new)
    return Sample(path, records, report, signals, rows)


def learn_record_body(learning: Learning, ds: Dataset, body: Any, *, where: str) -> None:
    """Learn where one record is in a single-record answer of ``ds``."""
    found = find_record(body)
    if found is None:
        learning.note(ds.name, "single record", f"{where}: the answer is no object", "seen",
                      "unplaced")  # fmt: skip
        return
    learning.saw(ds.name, "envelope.record", found[0])


def _learn_fields(learning: Learning, ds: Dataset, report: FieldReport, declare_new: bool) -> None:
    learned = learning.dataset(ds.name)
    for name, m in report.matches.items():
        learned.keys[name] = m.key
        if m.key != m.field.source:
            learning.note(ds.name, f"field {name}", f"read from {m.key} ({m.how})", m.sure)
        theirs = unit_in_key(m.key, m.field.unit) if m.field.unit else None
        if theirs is not None and theirs != m.field.unit:
            learned.field_keys.setdefault(name, {})["api_unit"] = theirs
            learning.note(ds.name, f"unit {name}", f"{theirs} (its name {m.key} says so)")
    for key, kind in report.new.items():
        if declare_new:
            learned.new_fields.append({"name": key, "type": kind})
        learning.note(ds.name, f"field {key}", f"new ({kind}): kept as an extra column", "seen",
                      "change" if declare_new else "ok")  # fmt: skip
    unit_fields = {f.unit_field: f.name for f in ds.fields if f.unit_field}
    for unit_field, units in report.said_units.items():
        other = sorted(u for u in units if u != unit_fields.get(unit_field) and u != "MWh")
        for f in ds.fields:
            if f.unit_field == unit_field and f.unit and other:
                learning.note(ds.name, f"unit {f.name}", f"the records say {f.name} is in "
                              f"{', '.join(other)} (its {unit_field}): converted to {f.unit}",
                              "seen", "ok")  # fmt: skip
    for name in report.missing:
        if name in unit_fields:
            learning.note(ds.name, f"field {name}", f"not sent: the records say the unit of "
                          f"{unit_fields[name]} nowhere (see its unit)", "seen", "ok")  # fmt: skip
            continue
        learning.note(ds.name, f"field {name}", "not in the sample (kept: an empty column if "
                      "the API never sends it)", "seen", "unplaced")  # fmt: skip
    for name, what in report.wrong_types.items():
        learning.note(ds.name, f"field {name}", f"holds {what}", "seen", "problem")
    _note_times(learning, ds, report)
    if report.series is not None:
        learning.saw(ds.name, "series", report.series)
    if report.epoch is not None:
        learning.saw(ds.name, "fields.epoch", report.epoch)
    if report.naive:  # written without an offset: the zone is a guess until a value is checked
        learning.saw(ds.name, "fields.naive", "local", "guess")
    if report.period_ends is not None and any(f.ends_period for f in ds.fields):
        rule, n = report.period_ends
        learning.saw(ds.name, "fields.period_ends", rule, "seen" if n >= 2 else "likely")


_FORMS = {
    "z": "UTC with Z",
    "offset": "with their offset",
    "naive": "without an offset",
    "date": "as dates",
    "epoch_s": "as epoch seconds",
    "epoch_ms": "as epoch milliseconds",
}


def _note_times(learning: Learning, ds: Dataset, report: FieldReport) -> None:
    """How the sample writes its times, one line (the offsets a fetch will read)."""
    by_form: dict[str, list[str]] = {}
    for name, forms in report.forms.items():
        for form in sorted(forms):
            by_form.setdefault(form, []).append(name)
    if by_form:
        text = "; ".join(f"{_FORMS[form]}: {', '.join(names)}" for form, names in by_form.items())
        learning.note(ds.name, "times", text, "seen", "ok")


def settle_energy(learning: Learning, samples: Mapping[str, list[Sample]], *, tz: str) -> None:
    """Declare the unit of energy figures no name states (see the module docstring)."""
    evidence: Counter[str] = Counter()
    pending: list[tuple[Dataset, str]] = []
    for name, found in samples.items():
        if name not in learning.base:
            continue
        ds = learning.base.get(name)
        for sample in found:
            if not sample.rows:
                continue
            for m in sample.report.matches.values():
                theirs = unit_in_key(m.key, m.field.unit) if m.field.unit else None
                if theirs is not None and m.field.unit == "MWh":
                    evidence[theirs] += 1
            units = unstated_energy_units(ds, sample.rows, sample.report, tz=tz)
            for field_name, (unit, why) in units.items():
                evidence[unit] += 1
                _declare_unit(learning, ds, field_name, unit, f"{why}", "seen")
            for field_name in unstated(ds, sample.report):
                if field_name not in units:
                    pending.append((ds, field_name))
    declared = {(d, n) for d, learned in learning.datasets.items()
                for n, keys in learned.field_keys.items() if "api_unit" in keys}  # fmt: skip
    unit = evidence.most_common(1)[0][0] if evidence else None
    for ds, field_name in dict.fromkeys(pending):
        if (ds.name, field_name) in declared:
            continue
        if unit is None:
            learning.note(
                ds.name,
                f"unit {field_name}",
                "stated nowhere; nothing else in the "
                "answers says the API's energy unit: MWh assumed",
                "guess",
                "unplaced",
            )
        else:
            _declare_unit(learning, ds, field_name, unit, f"stated nowhere; the API's other "
                          f"energy figures are in {unit}", "likely")  # fmt: skip


def _declare_unit(
    learning: Learning, ds: Dataset, field_name: str, unit: str, why: str, sure: Sure
) -> None:
    f = ds.field(field_name)
    if f is None:
        return
    current = f.api_unit or (None if f.unit_field else f.unit)
    if unit == (current or f.unit):
        learning.note(ds.name, f"unit {field_name}", f"{unit} ({why})", sure, "ok")
        return
    learning.dataset(ds.name).field_keys.setdefault(field_name, {})["api_unit"] = unit
    learning.note(ds.name, f"unit {field_name}", f"{unit} ({why})", sure)
