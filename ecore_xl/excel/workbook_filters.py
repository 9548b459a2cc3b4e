"""Which filters a workbook's ``eCore`` settings give each dataset, and how a note states them.

:func:`dataset_filters` turns the settings (by filter name: the catalogue's ``setting``
declarations) into the filters one dataset has and allows; :func:`narrow_rows` keeps only the
named ids of a dataset that lists them itself (a filter's ``choices`` names it);
:func:`describe_filters` is the "Filters:" line of the note above a table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from ecore_xl.catalogue import Catalogue, Choices, Dataset
    from ecore_xl.excel.workbook_settings import WorkbookSettings

__all__ = ["dataset_filters", "describe_filters", "narrow_rows", "settings_filters"]

_MAX_NOTE_IDS = 200  # characters of an id list shown in a note

#: ``all_ids(choices)``: every value of a filter, from the records its ``choices`` name
AllIds = Callable[["Choices"], list[str]]


def settings_filters(ds: Dataset, cfg: WorkbookSettings) -> dict[str, Any]:
    """The filters the settings give ``ds`` as they are (only those it has and allows).

    Lists stay lists (the data layer asks once per id; an id holding a comma stays one id). A
    value the dataset's filter does not allow (``hour`` for positions) is left out.
    """
    out: dict[str, Any] = {}
    for f in ds.filters:
        value = cfg.get(f.name)
        if value is None or value == () or value == "":
            continue
        if isinstance(value, tuple):
            value = list(value)
        if f.allowed and str(value).lower() not in {a.lower() for a in f.allowed}:
            continue
        out[f.name] = value
    return out


def dataset_filters(ds: Dataset, cfg: WorkbookSettings, all_ids: AllIds) -> dict[str, Any]:
    """The filters the workbook's settings give ``ds``, every id filled in where it needs one.

    A dataset that needs one of several ids (volumes: meter or contract) gets the first one
    set, else every value of the first (``all_ids`` of its ``choices``: every meter); a
    required id nobody set (positions: portfolio) gets every value too.
    """
    out = settings_filters(ds, cfg)
    if ds.one_of:
        given = [n for n in ds.one_of if n in out]
        for extra in given[1:]:
            del out[extra]
        if not given:
            first = ds.filter(ds.one_of[0])
            if first.choices is not None:
                out[first.name] = all_ids(first.choices) or None
    for f in ds.filters:
        if f.required and f.name not in out and f.choices is not None:
            out[f.name] = all_ids(f.choices) or None
    return {k: v for k, v in out.items() if v is not None}


def describe_filters(filters: Mapping[str, Any], layout: str | None) -> str:
    """``name=value; …`` for the note above a table (a long id list cut short), else ``none``."""
    from ecore_xl.data.filters import join_ids

    parts = []
    for name, value in filters.items():
        if isinstance(value, list | tuple):
            text = join_ids(map(str, value))
        else:
            text = value.isoformat() if isinstance(value, dt.date) else str(value)
        if len(text) > _MAX_NOTE_IDS:
            count = text.count(",") + 1
            text = text[:_MAX_NOTE_IDS].rsplit(",", 1)[0] + f",… ({count} ids)"
        parts.append(f"{name}={text}")
    if layout:
        parts.append(f"layout={layout}")
    return "; ".join(parts) or "none"


def narrow_rows(
    ds: Dataset, df: pd.DataFrame, cfg: WorkbookSettings, catalogue: Catalogue
) -> pd.DataFrame:
    """A dataset that lists ids (meters, contracts, …: a filter's ``choices`` names it) keeps
    only the ids the settings give that filter, unless it has the filter itself."""
    own = {f.name for f in ds.filters}
    for other in catalogue:
        for f in other.filters:
            c = f.choices
            if c is None or c.dataset != ds.name or f.name in own or c.field not in df.columns:
                continue
            wanted = cfg.get(f.name)
            if wanted:
                keep = df[c.field].astype("string").isin(list(wanted))
                return df.loc[keep].reset_index(drop=True)
    return df
