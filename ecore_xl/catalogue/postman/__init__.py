"""Postman collection exports (v2.0 / v2.1, E&C's documentation wrapper) as catalogue overrides.

:mod:`.collection` reads the file into requests, :mod:`.matching` says which dataset each serves,
:mod:`.params` reads documented parameters as filters and paging, :mod:`.importer` puts it
together (``ecore-xl catalogue import``).
"""

from __future__ import annotations

from ecore_xl.catalogue.postman.collection import read_collection
from ecore_xl.catalogue.postman.importer import ImportResult, import_collection, to_overrides

__all__ = ["ImportResult", "import_collection", "read_collection", "to_overrides"]
