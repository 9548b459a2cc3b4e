"""The units the catalogue knows, and the exact factor between two of one dimension.

The product's canonical units are MWh (energy), MW (power), EUR (money) and EUR/MWh (price);
a field declares its canonical ``unit`` and, where the API differs, where the API's unit comes
from. Factors are exact fractions (kWh -> MWh is 1/1000, applied as a division).
"""

from __future__ import annotations

from fractions import Fraction

__all__ = [
    "CANONICAL",
    "canonical_spelling",
    "check_unit",
    "conversion",
    "dimension",
    "factors_to",
]

#: unit (lower case) -> (dimension, factor to the dimension's canonical unit)
_UNITS: dict[str, tuple[str, Fraction]] = {
    "wh": ("energy", Fraction(1, 1_000_000)),
    "kwh": ("energy", Fraction(1, 1000)),
    "mwh": ("energy", Fraction(1)),
    "gwh": ("energy", Fraction(1000)),
    "twh": ("energy", Fraction(1_000_000)),
    "w": ("power", Fraction(1, 1_000_000)),
    "kw": ("power", Fraction(1, 1000)),
    "mw": ("power", Fraction(1)),
    "gw": ("power", Fraction(1000)),
    "eur": ("money", Fraction(1)),
    "€": ("money", Fraction(1)),
    "ct": ("money", Fraction(1, 100)),
    "eur/mwh": ("price", Fraction(1)),
    "€/mwh": ("price", Fraction(1)),
    "eur/kwh": ("price", Fraction(1000)),
    "ct/kwh": ("price", Fraction(10)),
}
#: dimension -> the product's unit
CANONICAL = {"energy": "MWh", "power": "MW", "money": "EUR", "price": "EUR/MWh"}
_SPELLING = {
    "wh": "Wh", "kwh": "kWh", "mwh": "MWh", "gwh": "GWh", "twh": "TWh",
    "w": "W", "kw": "kW", "mw": "MW", "gw": "GW", "eur": "EUR", "€": "EUR", "ct": "ct",
    "eur/mwh": "EUR/MWh", "€/mwh": "EUR/MWh", "eur/kwh": "EUR/kWh", "ct/kwh": "ct/kWh",
}  # fmt: skip


def _key(unit: str) -> str:
    return "".join(str(unit).split()).lower()


def dimension(unit: str) -> str | None:
    """``energy``, ``power``, ``money`` or ``price`` (None for a unit the table lacks)."""
    found = _UNITS.get(_key(unit))
    return found[0] if found else None


def canonical_spelling(unit: str) -> str:
    """``KWH`` -> ``kWh``; an unknown unit unchanged."""
    return _SPELLING.get(_key(unit), str(unit))


def check_unit(unit: str) -> str | None:
    """None for a known unit, else what is wrong (for a catalogue error)."""
    if _key(unit) in _UNITS:
        return None
    known = ", ".join(dict.fromkeys(_SPELLING.values()))
    return f"{unit!r} is not a unit ecore_xl converts: use one of {known}."


def conversion(api_unit: str, unit: str) -> Fraction | None:
    """The exact factor from ``api_unit`` to ``unit`` (None when they measure different things
    or either is unknown): ``conversion("kWh", "MWh") == Fraction(1, 1000)``."""
    a, b = _UNITS.get(_key(api_unit)), _UNITS.get(_key(unit))
    if a is None or b is None or a[0] != b[0]:
        return None
    return a[1] / b[1]


def factors_to(unit: str) -> dict[str, float]:
    """Every unit (lower case) of ``unit``'s dimension -> the factor to ``unit``, for a face
    that converts a column of record units: ``factors_to("MWh")["kwh"] == 0.001``."""
    target = _UNITS[_key(unit)]
    return {k: float(f / target[1]) for k, (d, f) in _UNITS.items() if d == target[0]}
