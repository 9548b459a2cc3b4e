"""What a refreshed sheet shows of a dataset's frame: nothing a reader must decode.

* **A list of records is a table of its own, never JSON text in a cell**: a dataset whose list
  field another catalogue dataset explodes into rows (``invoices.lines`` -> ``invoice-lines``,
  declared by that dataset's ``explode`` and ``parent``) is written without that column, and the
  exploding dataset is refreshed with it (:func:`with_exploded`).
* **A period end reads as the last day**: beside each date field that ends a period
  (``ends_period``: ``periodEnd``, ``deliveryEnd``, ``validTo``), kept exclusive as the data layer
  has it, a column of the period's last day (``periodLastDay``: a billing period March reads
  2026-03-01 – 2026-03-31).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ecore_xl.number_formats import number_format

if TYPE_CHECKING:
    import pandas as pd

    from ecore_xl.catalogue import Dataset

__all__ = ["exploded_columns", "last_day_name", "sheet_formats", "sheet_frame", "with_exploded"]


def exploded_columns(catalogue: Iterable[Dataset], ds: Dataset) -> list[str]:
    """The list fields of ``ds`` that another dataset of the catalogue explodes into rows."""
    return [c.explode for c in catalogue if c.parent == ds.name and c.explode]


def with_exploded(catalogue: Iterable[Dataset], targets: list[Dataset]) -> list[Dataset]:
    """``targets``, each followed by the datasets exploding one of its list fields (if missing)."""
    every = list(catalogue)
    out: list[Dataset] = []
    for ds in targets:
        if ds not in out:
            out.append(ds)
        for child in every:
            if child.parent == ds.name and child.explode and child not in targets + out:
                out.append(child)
    return out


def last_day_name(field: str) -> str:
    """``periodEnd`` -> ``periodLastDay``, ``validTo`` -> ``validLastDay``, else ``xLastDay``."""
    for suffix in ("End", "To"):
        if field.endswith(suffix) and len(field) > len(suffix):
            return field[: -len(suffix)] + "LastDay"
    return field + "LastDay"


def sheet_frame(catalogue: Iterable[Dataset], ds: Dataset, df: pd.DataFrame) -> pd.DataFrame:
    """The frame as its sheet shows it (see the module doc); ``df`` itself is not changed."""
    import pandas as pd

    dropped = [c for c in exploded_columns(catalogue, ds) if c in df.columns]
    out = df.drop(columns=dropped) if dropped else df
    ends = [f.name for f in ds.fields if f.ends_period and f.type == "date" and f.name in out]
    if not ends:
        return out
    out = out.copy()
    for name in ends:
        at = out.columns.get_loc(name) + 1
        column = pd.to_datetime(out[name], errors="coerce") - pd.Timedelta(days=1)
        out.insert(at, last_day_name(name), column)
    return out


def sheet_formats(ds: Dataset, df: pd.DataFrame) -> dict[str, str]:
    """The catalogue's number formats, and the date format for the last-day columns."""
    formats = ds.number_formats()
    for f in ds.fields:
        if f.ends_period and last_day_name(f.name) in df.columns:
            formats[last_day_name(f.name)] = number_format("date") or "yyyy-mm-dd"
    return formats
