"""Where the catalogue comes from: the built-in one, overlaid by the user's override file.

:func:`load_catalogue` finds the file (argument, else ``ECORE_CATALOGUE``, else
``config_dir()/catalogue.json``), reads JSON or TOML and caches the result per path and mtime.
"""

from __future__ import annotations

import json
import os
import threading
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ecore_xl.catalogue.model import Catalogue
from ecore_xl.errors import CatalogueError

__all__ = [
    "builtin_catalogue",
    "load_catalogue",
    "read_catalogue_file",
    "user_catalogue_path",
    "write_catalogue_file",
]

_builtin: Catalogue | None = None


def builtin_catalogue() -> Catalogue:
    """The built-in catalogue (the reconstruction in ``ecore-api.md``)."""
    global _builtin
    if _builtin is None:
        from ecore_xl.catalogue.builtin import DATASETS

        _builtin = Catalogue(DATASETS)
    return _builtin


def user_catalogue_path(path: str | Path | None = None) -> Path | None:
    """The override file in effect: ``path``, else ``ECORE_CATALOGUE``, else the config dir's."""
    if path is not None and str(path).strip():
        return Path(path).expanduser()
    if env := os.environ.get("ECORE_CATALOGUE", "").strip():
        return Path(env).expanduser()
    from ecore_xl.config import config_dir

    default = config_dir() / "catalogue.json"
    return default if default.is_file() else None


_cache: dict[tuple[str, int], Catalogue] = {}
_cache_lock = threading.Lock()


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """The built-in catalogue overlaid by the user's file (cached per path and mtime)."""
    file = user_catalogue_path(path)
    if file is None:
        return builtin_catalogue()
    try:
        mtime = file.stat().st_mtime_ns
    except OSError:
        raise CatalogueError(
            f"Catalogue file {file} does not exist: fix ECORE_CATALOGUE / the path, or remove it."
        ) from None
    key = (str(file.resolve()), mtime)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    data = read_catalogue_file(file)
    catalogue = builtin_catalogue().overlay(data, source=str(file))
    with _cache_lock:
        _cache.clear()  # only the newest version of any file is worth keeping
        _cache[key] = catalogue
    return catalogue


def read_catalogue_file(file: str | Path) -> dict[str, Any]:
    """The raw dict of a JSON or TOML catalogue file (CatalogueError if unreadable)."""
    file = Path(file)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise CatalogueError(f"Catalogue file {file} cannot be read: {exc.strerror}.") from None
    try:
        if file.suffix.lower() == ".toml":
            data = tomllib.loads(raw.decode("utf-8"))
        else:
            data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CatalogueError(
            f"Catalogue file {file} is not valid {'TOML' if file.suffix == '.toml' else 'JSON'}: "
            f"{exc}. Fix or delete it."
        ) from None
    if not isinstance(data, dict):
        raise CatalogueError(f"Catalogue file {file}: the top level must be an object.")
    return data


def write_catalogue_file(data: Mapping[str, Any], file: str | Path) -> Path:
    """Write an override dict as pretty JSON, atomically (never a half-written file)."""
    from ecore_xl.atomic import atomic_write_bytes

    file = Path(file)
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    atomic_write_bytes(file, text.encode("utf-8"), private=True)
    return file
