"""Reading a fetched frame's provenance (``df.attrs["ecore"]``, set by ``DataService.fetch``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

__all__ = ["column_unit", "fetched_at", "frame_notes", "provenance"]


def provenance(df: Any) -> Mapping[str, Any]:
    """``df.attrs["ecore"]``, or an empty mapping for a frame without it (a stand-in service)."""
    meta = getattr(df, "attrs", {}).get("ecore")
    return meta if isinstance(meta, Mapping) else {}


def fetched_at(df: Any) -> dt.datetime | None:
    """When the API answered for ``df`` (aware UTC), from the attrs' ISO text; None if unsaid."""
    value = provenance(df).get("fetched_at")
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, dt.datetime):
        return None
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def column_unit(df: Any, column: str) -> str | None:
    """The canonical unit the data layer gave ``column`` (``attrs["ecore"]["units"]``), or None."""
    units = provenance(df).get("units")
    unit = units.get(column) if isinstance(units, Mapping) else None
    return str(unit) if unit else None


def frame_notes(df: Any) -> tuple[str, ...]:
    """The data layer's notes on a frame (``attrs["ecore"]["notes"]``: a granularity fallback)."""
    notes = provenance(df).get("notes")
    return tuple(str(n) for n in notes) if isinstance(notes, list | tuple) else ()
