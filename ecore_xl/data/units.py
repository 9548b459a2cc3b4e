"""Units: every declared number column in its canonical unit (MWh, MW, EUR, EUR/MWh).

The one place that converts. A field's API unit comes from its ``unit_field`` (the record's own
field, or its parent series'), else its declared ``api_unit``, else it already is ``unit``.
Factors are exact fractions applied as one division or multiplication (kWh -> MWh: ``/ 1000``),
and the ``unit_field`` column then says the canonical unit. A unit that does not convert, one
that contradicts the declared ``api_unit``, or a ``unit_field`` no record has (with no
``api_unit`` declared: the unit is unknown, not the canonical one) is an
:class:`~ecore_xl.errors.UnexpectedResponseError` naming the dataset, the field and the
declaration to fix: never a kWh figure shown as MWh.
"""

from __future__ import annotations

from collections.abc import Collection
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ecore_xl.catalogue.units import canonical_spelling, conversion, dimension
from ecore_xl.errors import UnexpectedResponseError

if TYPE_CHECKING:
    from ecore_xl.catalogue import Dataset, Field

__all__ = ["apply_units", "check_unit_names", "declared_units"]

_TEXT = pd.api.types.pandas_dtype("str")


def declared_units(ds: Dataset) -> dict[str, str]:
    """Column -> canonical unit, for every field that declares one."""
    return {f.name: f.unit for f in ds.fields if f.unit}


def check_unit_names(ds: Dataset, keys: Collection[str], rows: int) -> None:
    """A field named by its unit (``consumptionMWh``) that no record has, while the records have
    the same name with another unit (``consumptionKWh``) or none (``consumption``): an error
    naming the declaration, not a column of blanks next to a column of kWh."""
    if not rows:
        return
    for f in ds.fields:
        if not f.unit or f.source in keys or f.name in keys:
            continue
        stem = _stem(f.source, f.unit)
        if stem is None:
            continue
        found = next((k for k in keys if _stem(k, f.unit, loose=True) == stem), None)
        if found is None:
            continue
        unit = found[len(stem) :] or None
        said = f', "api_unit": "{canonical_spelling(unit)}"' if unit else ', "api_unit": "..."'
        raise UnexpectedResponseError(
            f"{ds.name}: no record has {f.source} ({f.unit}), but they have {found!r}: declare "
            f'{{"name": "{f.name}", "api_name": "{found}"{said}}} in datasets.{ds.name}.fields '
            "of the catalogue file."
        )


def _stem(name: str, unit: str, *, loose: bool = False) -> str | None:
    """``consumptionMWh`` -> ``consumption``: the name without its longest suffix that is a
    unit of ``unit``'s kind (None when it has none; ``loose``: then the name itself)."""
    kind = dimension(unit)
    for size in range(min(len(name) - 1, 7), 0, -1):
        if dimension(name[-size:]) == kind:
            return name[:-size]
    return name if loose else None


def apply_units(ds: Dataset, columns: dict[str, pd.Series], rows: int) -> None:
    """Convert ``columns`` (typed, by column name) in place to the fields' canonical units."""
    restated: dict[str, str] = {}
    for f in ds.fields:
        if not f.unit or f.name not in columns or not rows:
            continue
        values = columns[f.name]
        if values.dtype.kind not in "fiu" and str(values.dtype) not in ("Int64", "Float64"):
            continue  # an all-null column the catalogue declares, or text kept as sent
        said = columns.get(f.unit_field) if f.unit_field else None
        factors, unsaid = _factors(ds, f, values, said)
        if factors is not None:
            columns[f.name] = _scaled(values, factors)
        if f.unit_field and said is not None and (factors is not None or unsaid):
            restated[f.unit_field] = f.unit  # converted, or unsaid: the column says it now
    for name, unit in restated.items():
        columns[name] = pd.Series([unit] * rows, dtype=_TEXT)


def _factors(
    ds: Dataset, f: Field, values: pd.Series, said: pd.Series | None
) -> tuple[Any, bool]:
    """(None: nothing to do, a Fraction for every row, or a per-row Series of Fractions;
    whether some rows do not say their unit)."""
    default = f.api_unit or f.unit or ""
    unknown = f.unit_field and not f.api_unit and (said is None or not said.notna().any())
    if unknown and values.notna().any():  # values whose unit nothing says
        raise UnexpectedResponseError(
            f"{ds.name}: no record has {f.unit_field!r}, the field that says the unit of "
            f"{f.name} (unit_field), and the catalogue declares no api_unit: declare the unit "
            f'the API sends as datasets.{ds.name}.fields[{f.name}].api_unit ("api_unit": '
            '"kWh", …) in the catalogue file, or fix its unit_field.'
        )
    if said is None:
        factor = _factor(ds, f, default, "api_unit" if f.api_unit else "unit")
        return (None if factor == 1 else factor), False
    seen = pd.unique(said.array)
    units = [u for u in seen if isinstance(u, str) and u]
    unsaid = len(units) < len(seen)
    if unsaid:  # rows that do not say: the declared (or canonical) unit
        units.append(default)
    by_unit: dict[str, Fraction] = {}
    for unit in dict.fromkeys(units):
        if f.api_unit and canonical_spelling(unit) != canonical_spelling(f.api_unit):
            raise UnexpectedResponseError(
                f"{ds.name}: the records say {f.name} is in {unit!r} (field {f.unit_field!r}), "
                f"but the catalogue declares api_unit {f.api_unit!r}: fix {_where(ds, f)}."
            )
        by_unit[unit] = _factor(ds, f, unit, f"its {f.unit_field!r}")
    if all(v == 1 for v in by_unit.values()):
        return None, unsaid
    if len(by_unit) == 1:
        return next(iter(by_unit.values())), unsaid
    filled = said.where(said.notna() & (said != ""), default)
    return filled.map(by_unit), unsaid


def _factor(ds: Dataset, f: Field, unit: str, source: str) -> Fraction:
    factor = conversion(unit, f.unit or "")
    if factor is None:
        raise UnexpectedResponseError(
            f"{ds.name}: {f.name} comes in {unit!r} ({source}), which does not convert to "
            f"{f.unit}: fix {_where(ds, f)} (unit, api_unit or unit_field).",
        )
    return factor


def _scaled(values: pd.Series, factors: Fraction | pd.Series) -> pd.Series:
    """``values`` times exact factors: a division where the factor is 1/n (kWh -> MWh)."""
    data = values.to_numpy(dtype="float64", na_value=np.nan)
    if isinstance(factors, Fraction):
        num, den = factors.numerator, factors.denominator
        out = data / den if num == 1 else data * num if den == 1 else data * num / den
    else:
        nums = factors.map(lambda q: q.numerator).to_numpy(dtype="float64")
        dens = factors.map(lambda q: q.denominator).to_numpy(dtype="float64")
        out = data * nums / dens
    return pd.Series(out, dtype="float64")


def _where(ds: Dataset, f: Field) -> str:
    return f"datasets.{ds.name}.fields[{f.name}] in the catalogue file"
