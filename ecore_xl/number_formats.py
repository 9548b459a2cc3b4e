"""Excel number formats by name: the one table the catalogue's fields and the report's columns
take their formats from (``fmt="mwh"`` in a declaration), so MWh look alike on every sheet."""

from __future__ import annotations

__all__ = ["NUMBER_FORMATS", "number_format"]

NUMBER_FORMATS: dict[str, str] = {
    "mwh": "#,##0.000",
    "mwh1": "#,##0.0",  # a Summary figure: MWh to one decimal
    "mw": "#,##0.000",
    "eur": '#,##0.00 "€"',
    "eur0": '#,##0 "€"',
    "amount": "#,##0.00",  # money in the record's own currency (a currency column says which)
    "price": "#,##0.00",
    "pct": "0.0%",
    "pct2": "0.00%",
    "number2": "#,##0.00",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
    "month": "mmm yyyy",
    "int": "#,##0",
    "year": "0",  # a year as a number: 2027, not 2,027
    "text": "@",
    "general": "General",
}


def number_format(spec: str | None) -> str | None:
    """The format a declaration names: a key of :data:`NUMBER_FORMATS`, or a format itself."""
    if spec is None or not str(spec).strip():
        return None
    return NUMBER_FORMATS.get(str(spec).strip().lower(), str(spec))
