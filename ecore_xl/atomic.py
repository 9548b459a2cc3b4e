"""Atomic file replacement: a reader never sees a half-written file.

The new content goes to a temporary file in the *same directory* (so ``os.replace`` is a rename
on one file system), is flushed to disk with ``fsync``, and only then replaces the target. If
anything fails before the replace, the target is left byte-identical and the temporary file is
removed.

    with atomic_write_path("report.xlsx") as tmp:
        workbook.save(tmp)          # any writer that takes a path
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_write_bytes", "atomic_write_path"]


def _temp_sibling(target: Path) -> Path:
    """A fresh hidden name next to ``target`` that keeps its suffix (writers may look at it)."""
    for _ in range(100):
        candidate = target.with_name(f".{target.stem}.{secrets.token_hex(4)}.tmp{target.suffix}")
        if not candidate.exists():
            return candidate
    raise FileExistsError(f"cannot find a free temporary name next to {target}")  # pragma: no cover


def _fsync_file(path: Path) -> None:
    with path.open("rb+") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable (POSIX); directories cannot be opened this way on Windows."""
    if os.name == "nt":  # pragma: no cover - Windows
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _target_mode(target: Path) -> int:
    """Keep the target's permissions; a new file gets the usual ``0o666 & ~umask``."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def atomic_write_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on a clean exit it atomically replaces ``path``.

    The caller writes the complete file to the yielded path (and closes it). An exception in the
    block, or a failed replace (e.g. the target is open in Excel on Windows), leaves ``path``
    untouched and removes the temporary file; the exception propagates.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_sibling(target)
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"nothing was written to the temporary file for {target}")
        _fsync_file(tmp)
        os.chmod(tmp, _target_mode(target))
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically."""
    with atomic_write_path(path) as tmp:
        tmp.write_bytes(data)
