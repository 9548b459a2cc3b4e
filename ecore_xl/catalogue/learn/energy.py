"""The unit of energy figures that no name and no unit field states, from what the record itself
says in a stated unit.

Two facts of the domain (not of any dialect) are checked, record by record:

* an invoice's consumption equals the quantity of its lines that are stated in an energy unit
  (``{"component": "energy", "quantity": 980.687, "unit": "MWh"}``);
* a base-load click's energy is its power (MW, a unit of its own) times the hours of its
  delivery period.

The ratio of the figure to the expected MWh, snapped to the nearest of Wh/kWh/MWh/GWh (within a
factor of two), is the unit; :func:`unstated_energy_units` gives each field's unit and why.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from ecore_xl.catalogue.learn.fields import FieldReport
from ecore_xl.catalogue.learn.names import split_unit
from ecore_xl.catalogue.learn.values import instant, local_day
from ecore_xl.catalogue.model import Dataset
from ecore_xl.catalogue.units import conversion, dimension

__all__ = ["snap_unit", "unit_in_key", "unstated", "unstated_energy_units"]

#: factor from MWh, for the units a figure can be in
_FACTORS = {"Wh": 1e6, "kWh": 1e3, "MWh": 1.0, "GWh": 1e-3}
_TOLERANCE = math.log10(2)  # within a factor of two of the nearest unit


def snap_unit(ratio: float) -> str | None:
    """The unit whose factor from MWh is nearest ``ratio`` (figure / its MWh), or None."""
    if not ratio or ratio <= 0 or not math.isfinite(ratio):
        return None
    unit, factor = min(_FACTORS.items(), key=lambda kv: abs(math.log10(ratio / kv[1])))
    return unit if abs(math.log10(ratio / factor)) <= _TOLERANCE else None


def unit_in_key(key: str, unit: str) -> str | None:
    """The unit of ``unit``'s kind that a record key's name ends in (``consumptionKWh``)."""
    return split_unit(key.rsplit(".", 1)[-1], dimension(unit))[1]


def unstated(ds: Dataset, report: FieldReport) -> list[str]:
    """Energy fields of ``ds`` whose unit the sample states nowhere: not in the key's name, not
    in a unit field the records carry."""
    out = []
    for name, m in report.matches.items():
        f = m.field
        if not f.unit or dimension(f.unit) != "energy":
            continue
        if unit_in_key(m.key, f.unit) is not None:
            continue
        if f.unit_field and report.said_units.get(f.unit_field):
            continue
        out.append(name)
    return out


def unstated_energy_units(
    ds: Dataset, rows: Sequence[Mapping[str, Any]], report: FieldReport, *, tz: str
) -> dict[str, tuple[str, str]]:
    """Field name -> (unit, why) for the energy fields :func:`unstated` names, where a fact of
    the record says it."""
    out: dict[str, tuple[str, str]] = {}
    for name in unstated(ds, report):
        key = report.key(name) or name
        for check in (_by_lines, _by_power_and_hours):
            found = check(ds, rows, report, key, tz)
            if found is not None:
                out[name] = found
                break
    return out


def _vote(ratios: list[float]) -> str | None:
    units = Counter(u for u in map(snap_unit, ratios) if u is not None)
    if not units:
        return None
    unit, n = units.most_common(1)[0]
    return unit if n * 2 > len(ratios) else None


def _by_lines(
    ds: Dataset, rows: Sequence[Mapping[str, Any]], report: FieldReport, key: str, tz: str
) -> tuple[str, str] | None:
    ratios: list[float] = []
    lists = [m.key for m in report.matches.values() if m.field.type == "list"]
    for row in rows:
        figure = row.get(key)
        if not _number(figure):
            continue
        for list_key in lists:
            quantities = Counter()
            for item in row.get(list_key) or []:
                if not isinstance(item, Mapping):
                    continue
                unit = next((v for k, v in item.items() if k.lower() == "unit"), None)
                qty = next((v for k, v in item.items() if k.lower() == "quantity"), None)
                if isinstance(unit, str) and _number(qty) and dimension(unit) == "energy":
                    factor = conversion(unit, "MWh")
                    if factor is not None:
                        quantities[float(qty) * float(factor)] += 1
            if quantities:
                expected = quantities.most_common(1)[0][0]
                if expected:
                    ratios.append(float(figure) / expected)
    unit = _vote(ratios)
    if unit is None:
        return None
    return unit, f"{key} against the energy lines stated in MWh ({len(ratios)} records)"


def _by_power_and_hours(
    ds: Dataset, rows: Sequence[Mapping[str, Any]], report: FieldReport, key: str, tz: str
) -> tuple[str, str] | None:
    power = next(
        (
            m.key
            for m in report.matches.values()
            if m.field.unit and dimension(m.field.unit) == "power"
        ),
        None,
    )
    start = report.key("deliveryStart")
    end = report.key("deliveryEnd")
    if power is None or start is None or end is None:
        return None
    profile = report.key("loadProfile")
    inclusive = report.period_ends is not None and report.period_ends[0] == "inclusive"
    ratios: list[float] = []
    for row in rows:
        if profile is not None and str(row.get(profile, "base")).lower() != "base":
            continue
        figure, mw = row.get(key), row.get(power)
        if not (_number(figure) and _number(mw)) or not mw:
            continue
        begins = instant(row.get(start), tz)
        ends = _end(row.get(end), tz, inclusive)
        if begins is None or ends is None or ends <= begins:
            continue
        hours = (ends - begins).total_seconds() / 3600
        ratios.append(float(figure) / (float(mw) * hours))
    unit = _vote(ratios)
    if unit is None:
        return None
    return unit, f"{key} against {power} x delivery hours ({len(ratios)} base-load records)"


def _end(value: Any, tz: str, inclusive: bool) -> Any:
    if inclusive:
        import datetime as dt
        from zoneinfo import ZoneInfo

        day = local_day(value, tz)
        if day is None:
            return None
        nxt = day + dt.timedelta(days=1)
        return dt.datetime(nxt.year, nxt.month, nxt.day, tzinfo=ZoneInfo(tz))
    return instant(value, tz)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
