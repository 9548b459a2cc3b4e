"""Which filters a workbook's ``eCore`` settings give each dataset, and how a note states them.

:func:`dataset_filters` turns the settings (dates, meters, contracts, portfolio, …) into the
filters one dataset has and allows; :func:`narrow_rows` keeps only the named ids of a dataset
that lists ids itself; :func:`describe_filters` is the "Filters:" line of the note above a table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from ecore_xl.catalogue import Dataset
    from ecore_xl.excel.workbook_settings import WorkbookSettings

__all__ = [
    "ID_SOURCES",
    "ROW_FILTERS",
    "SETTING_FILTERS",
    "dataset_filters",
    "describe_filters",
    "narrow_rows",
]

#: filter name in the catalogue -> attribute of WorkbookSettings
SETTING_FILTERS: dict[str, str] = {
    "from": "from_",
    "to": "to",
    "meterId": "meters",
    "contractId": "contracts",
    "portfolioId": "portfolio",
    "legalEntityId": "legal_entity",
    "granularity": "granularity",
}
#: id filter -> the dataset listing every id ("all meters" when a dataset needs one)
ID_SOURCES: dict[str, str] = {
    "meterId": "meters",
    "contractId": "contracts",
    "portfolioId": "portfolios",
    "legalEntityId": "legal-entities",
}
#: a dataset that lists ids itself is narrowed to the ids the settings name
ROW_FILTERS: dict[str, str] = {
    "meters": "meters",
    "contracts": "contracts",
    "portfolios": "portfolio",
    "legal-entities": "legal_entity",
}
_MAX_NOTE_IDS = 200  # characters of an id list shown in a note


def dataset_filters(
    ds: Dataset,
    cfg: WorkbookSettings,
    all_ids: Callable[[str], list[str]],
) -> dict[str, Any]:
    """The filters the workbook's settings give ``ds`` (only those it has and allows).

    Lists stay lists (the data layer asks once per id; an id holding a comma stays one id). A
    dataset that needs
    one of several ids (volumes: meter or contract) gets the first one set, else every meter;
    a required id nobody set (positions: portfolio) gets every id (``all_ids(dataset)``).
    A granularity the dataset does not allow (``hour`` for positions) is left out.
    """
    names = {f.name for f in ds.filters}
    out: dict[str, Any] = {}
    for fname, key in SETTING_FILTERS.items():
        if fname not in names:
            continue
        value = getattr(cfg, key)
        if value is None or value == () or value == "":
            continue
        if isinstance(value, tuple):
            value = list(value)
        allowed = ds.filter(fname).allowed
        if allowed and str(value).lower() not in {a.lower() for a in allowed}:
            continue
        out[fname] = value
    if ds.one_of:
        given = [n for n in ds.one_of if n in out]
        for extra in given[1:]:
            del out[extra]
        if not given:
            first = ds.one_of[0]
            if first in ID_SOURCES:
                out[first] = all_ids(ID_SOURCES[first]) or None
    for f in ds.filters:
        if f.required and f.name not in out and f.name in ID_SOURCES:
            out[f.name] = all_ids(ID_SOURCES[f.name]) or None
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


def narrow_rows(ds: Dataset, df: pd.DataFrame, cfg: WorkbookSettings) -> pd.DataFrame:
    """A dataset that lists ids (contracts, meters, …) keeps only the ids the settings name."""
    key = ROW_FILTERS.get(ds.name)
    if key is None or not ds.key or ds.key not in df.columns:
        return df
    wanted: tuple[str, ...] = getattr(cfg, key)
    filter_name = {v: k for k, v in SETTING_FILTERS.items()}[key]
    if not wanted or filter_name in {f.name for f in ds.filters}:
        return df
    keep = df[ds.key].astype("string").isin(list(wanted))
    return df.loc[keep].reset_index(drop=True)
