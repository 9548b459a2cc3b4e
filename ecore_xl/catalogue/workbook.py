"""What a workbook's ``eCore`` settings sheet offers, made from the catalogue's declarations.

Each filter ``setting`` (:class:`~ecore_xl.catalogue.faces.WorkbookSetting`) is one cell,
``ecore.<name>``, whose value a refresh gives to the filter of that name in every dataset it
fetches: ``from``/``to`` of every dated dataset, ``meterId`` of volumes and invoices, …
(a dataset a user's file adds gets them too, by its filters' names). :func:`setting_cells`
lists them in their declared ``order``, then in catalogue order. Also the
default *Refresh all* set, the datasets with a wide layout, and :func:`describe_faces` (what
``ecore-xl catalogue show`` says of a dataset's faces).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ecore_xl.errors import CatalogueError

if TYPE_CHECKING:
    from ecore_xl.catalogue.faces import Choices
    from ecore_xl.catalogue.model import Catalogue, Dataset, Filter

__all__ = ["SettingCell", "default_refresh", "describe_faces", "setting_cells", "wide_datasets"]


@dataclass(frozen=True)
class SettingCell:
    """One settings cell of the sheet: the filter it fills, its texts and its drop-down."""

    name: str
    filter: str
    type: str
    label: str
    help: str
    #: the values an enum filter allows, over every dataset (the cell's drop-down)
    allowed: tuple[str, ...] = ()
    default: str | None = None
    #: the records that list its values (a list on the lists sheet feeds the drop-down)
    source: Choices | None = None
    datasets: tuple[str, ...] = ()

    @property
    def defined_name(self) -> str:
        """The workbook name of the cell: ``ecore.meters``."""
        return f"ecore.{self.name}"

    @property
    def list_name(self) -> str | None:
        """The defined name of its drop-down list: ``lstMeters`` (``lstLegalEntities``)."""
        if self.source is None:
            return None
        return "lst" + "".join(
            p.capitalize() for p in re.split(r"[^A-Za-z0-9]+", self.source.dataset)
        )

    @property
    def list_header(self) -> str:
        """The list's header on the lists sheet: ``meters``, ``legalEntities``."""
        parts = [p for p in re.split(r"[^A-Za-z0-9]+", self.source.dataset if self.source else "")]
        return "".join([parts[0].lower(), *(p.capitalize() for p in parts[1:])]) if parts else ""


def _or(values: Sequence[str]) -> str:
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " or " + values[-1]


def _help(f: Filter, label: str, by_dataset: Sequence[tuple[Dataset, Filter]]) -> str:
    """A settings row's help when the declaration gives none."""
    if f.type == "enum":
        parts = [f"{ds.name}: {_or(g.allowed)}" for ds, g in by_dataset if g.allowed]
        return "; ".join(parts) or f.doc
    if f.type in ("id", "list"):
        return f"{label.lower()} ids, comma-separated; empty: all"
    if f.type == "date":
        return f"{f.doc or label}, a date"
    return f.doc or label


def setting_cells(catalogue: Catalogue) -> tuple[SettingCell, ...]:
    """Every settings cell the catalogue declares, by their ``order``, then in catalogue order.

    A filter name has one cell and a cell one filter name: anything else is a CatalogueError
    naming both datasets.
    """
    users: dict[str, list[tuple[Dataset, Filter]]] = {}
    declared: dict[str, tuple[Dataset, Filter]] = {}  # filter name -> first declaration
    for ds in catalogue:
        for f in ds.filters:
            users.setdefault(f.name, []).append((ds, f))
            if f.setting is None:
                continue
            first = declared.setdefault(f.name, (ds, f))
            setting = first[1].setting
            if setting is not None and setting.name != f.setting.name:
                raise CatalogueError(
                    f"datasets.{ds.name} filter {f.name}: its setting {f.setting.name!r} differs "
                    f"from {setting.name!r} of datasets.{first[0].name}: one filter name, one "
                    "settings cell."
                )
    cells: list[SettingCell] = []
    names: dict[str, str] = {}
    for filter_name, (ds, f) in declared.items():
        assert f.setting is not None
        setting = f.setting
        other = names.setdefault(setting.name.casefold(), filter_name)
        if other != filter_name:
            raise CatalogueError(
                f"datasets.{ds.name} filter {filter_name}: the setting {setting.name!r} is "
                f"taken by the filter {other}: one settings cell, one filter name."
            )
        by_dataset = users[filter_name]
        allowed = tuple(dict.fromkeys(a for _, g in by_dataset for a in g.allowed or ()))
        source = next((g.choices for _, g in by_dataset if g.choices is not None), None)
        default = setting.default
        if default is None:
            default = next((g.default for _, g in by_dataset if g.default is not None), None)
        label = setting.title
        cells.append(
            SettingCell(
                name=setting.name,
                filter=filter_name,
                type=f.type,
                label=label,
                help=setting.help or _help(f, label, by_dataset),
                allowed=allowed,
                default=default,
                source=source,
                datasets=tuple(d.name for d, _ in by_dataset),
            )
        )
    order = {c.name: declared[c.filter][1].setting.order for c in cells}  # type: ignore[union-attr]
    return tuple(sorted(cells, key=lambda c: (order[c.name] is None, order[c.name] or 0)))


def default_refresh(catalogue: Catalogue) -> tuple[str, ...]:
    """The datasets a new workbook's *Refresh all* fetches (``default_refresh``), in order."""
    return tuple(ds.name for ds in catalogue if ds.default_refresh)


def wide_datasets(catalogue: Catalogue) -> tuple[Dataset, ...]:
    """The datasets with a wide layout (the settings sheet's layout cell applies to them)."""
    return tuple(ds for ds in catalogue if ds.wide is not None)


def describe_faces(catalogue: Catalogue, ds: Dataset) -> list[str]:
    """What the faces make of ``ds`` (``ecore-xl catalogue show``): its formula's positional
    arguments, its layouts, whether *Refresh all* takes it, the settings cells that fill its
    filters and where its drop-downs come from."""
    lines = ["Faces (formulas, refresh, settings sheet):"]
    if ds.positional is not None:
        lines.append(
            f"  formula   positional {', '.join(ds.positional)} (declared); others as options"
        )
    else:
        lines.append("  formula   positional: its first filters (no positional declared)")
    if ds.wide is not None:
        w = ds.wide
        lines.append(
            f"  layouts   long, wide: a row per {w.index}, a column per {w.columns}, {w.values} "
            "in the cells"
        )
    else:
        lines.append("  layouts   long")
    said = "in" if ds.default_refresh else "not in"
    lines.append(f"  refresh   {said} a new workbook's Refresh all (default_refresh)")
    own = {f.name for f in ds.filters}
    cells = [c for c in setting_cells(catalogue) if c.filter in own]
    shown = "; ".join(f"{c.filter} <- {c.defined_name}" for c in cells) or "(none)"
    lines.append(f"  settings  {shown}")
    picks = [
        f"{f.name}: {f.choices.dataset}.{f.choices.field}"
        + (f" ({f.choices.label})" if f.choices.label else "")
        for f in ds.filters
        if f.choices is not None
    ]
    lines.append(f"  choices   {'; '.join(picks) or '(none)'}")
    return lines
