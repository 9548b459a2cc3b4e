"""The catalogue override files that make the product read the mock's other dialects.

``paged.json`` and ``bare.json`` declare, for the ``paged`` and ``bare`` presets of
:mod:`ecore_xl.mock.dialect`, every way they differ from the contract (``ecore`` needs none: the
built-in catalogue is the contract). ``ecore-xl mock --dialect NAME`` prints the
``ECORE_CATALOGUE`` line pointing at the file.
"""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

__all__ = ["catalogue_file"]


def catalogue_file(dialect: str) -> Path | None:
    """The override file for a preset dialect (None for ``ecore``, or a dialect without one)."""
    resource = files(__name__) / f"{dialect}.json"
    if not resource.is_file():
        return None
    with as_file(resource) as path:  # a real file for a normal install (not a zip)
        return Path(path)
