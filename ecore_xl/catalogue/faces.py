"""What the faces read from a dataset beyond the API: settings cells, drop-downs, the wide grid.

Pure declarations (no I/O, no pandas), held by :class:`~ecore_xl.catalogue.Filter` and
:class:`~ecore_xl.catalogue.Dataset` and written in the override file (rules in
:mod:`ecore_xl.catalogue`):

- :class:`WorkbookSetting` — a filter's cell on a workbook's ``eCore`` settings sheet
  (``"setting": {"name": "meters", "label": "Meters"}``); the cell gives its value to the
  filter of that name in every dataset a refresh fetches;
- :class:`Choices` — the dataset and field whose records list a filter's values
  (``"choices": {"dataset": "meters", "field": "id", "label": "name"}``): the task pane's
  drop-down, the settings sheet's drop-down list, and "every id" for a refresh that needs one;
- :class:`Wide` — a dataset's wide layout: one row per ``index`` instant, one column per
  value of ``columns``, ``values`` in the cells (the volume grid).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["SETTING_NAME", "Choices", "Wide", "WorkbookSetting", "setting_label"]

#: a settings cell's name (the defined name is ``ecore.<name>``)
SETTING_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,60}$")


def setting_label(name: str) -> str:
    """``legalEntity`` -> ``Legal entity`` (a settings row's label when none is declared)."""
    words = re.sub(r"(?<=[a-z0-9])([A-Z])", r" \1", name.replace("_", " ")).split()
    text = " ".join(words).lower()
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class WorkbookSetting:
    """The settings-sheet cell ``ecore.<name>`` that gives a filter its value in a refresh.

    ``label`` and ``help`` are the row's texts (empty: made from the name and the filter);
    ``default`` is a new sheet's value: text, an ISO date, or for a date ``this_month`` /
    ``last_month`` (the month's first day, when the sheet is made); ``order`` places the row
    (rows without one follow, in catalogue order).
    """

    name: str
    label: str = ""
    help: str = ""
    default: str | None = None
    order: int | None = None

    @property
    def title(self) -> str:
        """The row's label."""
        return self.label or setting_label(self.name)


@dataclass(frozen=True)
class Choices:
    """The records that list a filter's values: ``field`` of ``dataset`` (its key when None),
    shown with ``label`` (``name`` when the dataset has that field)."""

    dataset: str
    field: str | None = None
    label: str | None = None


@dataclass(frozen=True)
class Wide:
    """The wide layout: one row per ``index`` (a timestamp field), one column per distinct
    ``columns`` value (in order of appearance), the ``values`` field in the cells. ``doc``
    is the formulas' help of their ``layout`` argument; ``setting`` the label and help of the
    settings sheet's ``ecore.layout`` row (its name is always ``layout``)."""

    index: str = "start"
    columns: str = "meterId"
    values: str = "value"
    doc: str = ""
    setting: WorkbookSetting | None = None

    @property
    def help(self) -> str:
        """What the ``layout`` argument means."""
        return self.doc or f"long (a row per record) or wide (a column per {self.columns})."
