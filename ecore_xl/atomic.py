"""Safe file replacement: one writer at a time, nothing lost, a reader never sees half a file.

Every file ecore_xl writes goes through :func:`atomic_write_path` (or :func:`atomic_write_bytes`):

1. **Office lock files are honoured**: ``~$name`` (Excel) or ``.~lock.name#`` (LibreOffice) next
   to the target means the file is open there: :class:`~ecore_xl.errors.FileInUseError`
   ("report.xlsx is open in Excel: close it"), exit code 2, nothing written.
2. **One writer at a time**: an exclusive lock on a sidecar file ``.name.ecore-lock`` (``flock``
   on POSIX, ``msvcrt.locking`` on Windows: both in the standard library, and both exclude two
   threads of one process as well as two processes) is held from the start of the write — or,
   with :func:`hold`, from the moment the caller *reads* the file — to the replace. Another
   ecore-xl waits for it up to ``timeout`` seconds (``ECORE_LOCK_TIMEOUT``, default 60), then
   gives up with a FileInUseError. The lock is re-entrant within one thread.
3. **Compare-and-swap**: right before the replace, the target must still be the file that was
   read (same inode, size and modification time as when the lock was taken); if someone else
   (Excel, a sync client, a writer that ignores our lock) replaced or changed it meanwhile,
   :class:`~ecore_xl.errors.FileChangedError` is raised and their file is kept.
4. **Atomic replace**: the content goes to a temporary file in the same directory
   (``.name.XXXXXXXX.tmp.ext``), is flushed with ``fsync`` and renamed over the target
   (``os.replace``). Temporary files a killed writer left behind are removed by the next one
   (it holds the lock, so no other writer of that file is alive).

Any ``OSError`` on the way (permission, read-only file system, disk full, size limit) becomes a
one-line :class:`~ecore_xl.errors.LocalFileError` naming the file; the target stays untouched.
``private=True`` writes the file with mode 0600 (its new folders 0700) on POSIX.

    with hold("book.xlsx") as guard:      # the lock and the CAS stamp, from the read on
        wb = load(guard.path)
        ...
        with atomic_write_path("book.xlsx") as tmp:
            wb.save(tmp)                  # any writer that takes a path
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ecore_xl.errors import (
    EcoreError,
    FileChangedError,
    FileInUseError,
    LocalFileError,
    local_file_error,
)

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "FileGuard",
    "atomic_write_bytes",
    "atomic_write_path",
    "check_not_open",
    "claim_new_path",
    "hold",
    "lock_timeout",
    "make_private_dir",
    "release_claim",
]

#: seconds a writer waits for another ecore-xl writer of the same file
DEFAULT_LOCK_TIMEOUT = 60.0
_POLL = 0.05
#: ``.name.0123abcd.tmp.ext``: our temporary siblings (``_temp_sibling``)
_TEMP = ".{stem}.{hex}.tmp{suffix}"
_PRIVATE_FILE = 0o600
_PRIVATE_DIR = 0o700


def lock_timeout() -> float:
    """``ECORE_LOCK_TIMEOUT`` in seconds (default 60); a malformed value is the default."""
    try:
        return max(0.0, float(os.environ.get("ECORE_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT)))
    except ValueError:
        return DEFAULT_LOCK_TIMEOUT


# ---- office lock files -----------------------------------------------------------------------


def check_not_open(path: str | os.PathLike[str]) -> None:
    """FileInUseError when Excel's or LibreOffice's lock file says ``path`` is open there."""
    target = Path(path)
    for lock, program in (
        (target.with_name("~$" + target.name), "Excel"),
        (target.with_name(f".~lock.{target.name}#"), "LibreOffice"),
    ):
        if lock.exists():
            raise FileInUseError(
                f"{target.name} is open in {program}: close it there and try again (if "
                f"{program} is not running, delete its lock file {lock.name}).",
                path=str(target),
            )


# ---- the writer lock -------------------------------------------------------------------------


def _stamp(path: Path) -> tuple[int, int, int, int] | None:
    """What the compare-and-swap compares: inode, device, size and mtime (None: no file)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_dev, st.st_size, st.st_mtime_ns


@dataclass
class FileGuard:
    """The held lock of one target and what the target was when the lock was taken."""

    path: Path
    stamp: tuple[int, int, int, int] | None
    _fd: int = field(repr=False, default=-1)
    _owner: int = field(repr=False, default=0)
    _depth: int = field(repr=False, default=1)

    def check_unchanged(self) -> None:
        """FileChangedError when the target is no longer the file the lock holder read."""
        if _stamp(self.path) != self.stamp:
            raise FileChangedError(
                f"{self.path.name} was changed by someone else since it was read: nothing was "
                "written (their version is kept). Run the command again.",
                path=str(self.path),
            )


_held: dict[Path, FileGuard] = {}
_held_lock = threading.Lock()


def _lock_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.ecore-lock")


if os.name == "nt":  # pragma: no cover - Windows
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int, lock: Path) -> None:
        with contextlib.suppress(OSError):
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        os.close(fd)
        with contextlib.suppress(OSError):  # another writer has it open: it stays
            lock.unlink()

    def _same_file(fd: int, lock: Path) -> bool:
        return True  # an open file cannot be deleted on Windows

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int, lock: Path) -> None:
        # unlink while still holding the lock: a waiter that opened this inode sees that it is
        # gone (``_same_file``) and opens the new one
        with contextlib.suppress(OSError):
            lock.unlink()
        os.close(fd)

    def _same_file(fd: int, lock: Path) -> bool:
        try:
            on_disk = lock.stat()
        except FileNotFoundError:
            return False
        mine = os.fstat(fd)
        return (mine.st_ino, mine.st_dev) == (on_disk.st_ino, on_disk.st_dev)


def _holder(lock: Path) -> str:
    try:
        text = lock.read_text(encoding="utf-8").strip()
    except OSError:
        return ""
    return f" (pid {text})" if text.isdigit() else ""


def _acquire(target: Path, timeout: float) -> int:
    lock = _lock_path(target)
    deadline = time.monotonic() + timeout
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, _PRIVATE_FILE)
        if _try_lock(fd):
            if _same_file(fd, lock):
                os.ftruncate(fd, 0)
                os.write(fd, str(os.getpid()).encode())
                return fd
            os.close(fd)  # the holder removed it as we opened it: take the new one
            continue
        os.close(fd)
        if time.monotonic() >= deadline:
            raise FileInUseError(
                f"{target.name} is being written by another ecore-xl{_holder(lock)}: try again "
                f"when it has finished (waited {timeout:g} s; ECORE_LOCK_TIMEOUT).",
                path=str(target),
            )
        time.sleep(_POLL)


@contextlib.contextmanager
def hold(path: str | os.PathLike[str], *, timeout: float | None = None) -> Iterator[FileGuard]:
    """Hold the exclusive writer lock of ``path`` (refusing a file open in Excel/LibreOffice).

    The guard's ``stamp`` is the file as it is now: read it inside the block, and
    :func:`atomic_write_path` inside the block replaces it only if it is still that file.
    Re-entrant in one thread (an inner ``hold`` or write shares the outer guard).
    """
    target = Path(path).absolute()
    me = threading.get_ident()
    with _held_lock:
        guard = _held.get(target)
        if guard is not None and guard._owner == me:
            guard._depth += 1
        else:
            guard = None
    if guard is not None:
        try:
            yield guard
        finally:
            guard._depth -= 1
        return
    check_not_open(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = _acquire(target, lock_timeout() if timeout is None else timeout)
    except EcoreError:
        raise
    except (OSError, MemoryError) as exc:
        raise local_file_error(exc, target, "locking") from None
    guard = FileGuard(target, _stamp(target), fd, me)
    with _held_lock:
        _held[target] = guard
    try:
        yield guard
    finally:
        with _held_lock:
            _held.pop(target, None)
        _unlock(fd, _lock_path(target))


# ---- the replace -----------------------------------------------------------------------------


def _temp_sibling(target: Path) -> Path:
    """A fresh hidden name next to ``target`` that keeps its suffix (writers may look at it)."""
    for _ in range(100):
        name = _TEMP.format(stem=target.stem, hex=secrets.token_hex(4), suffix=target.suffix)
        candidate = target.with_name(name)
        if not candidate.exists():
            return candidate
    raise FileExistsError(f"cannot find a free temporary name next to {target}")  # pragma: no cover


def _remove_stale_temps(target: Path) -> None:
    """Temporary siblings of ``target`` left by a writer that was killed (we hold the lock)."""
    pattern = re.compile(
        re.escape(f".{target.stem}.") + r"[0-9a-f]{8}" + re.escape(f".tmp{target.suffix}")
    )
    with contextlib.suppress(OSError):
        for entry in os.scandir(target.parent):
            if pattern.fullmatch(entry.name):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


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


def _target_mode(target: Path, private: bool) -> int:
    """0600 for a private file; else keep the target's mode, a new file ``0o666 & ~umask``."""
    if private:
        return _PRIVATE_FILE
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def make_private_dir(path: str | os.PathLike[str], *, tighten: bool = False) -> Path:
    """Create ``path`` (and missing parents) with mode 0700 on POSIX. ``tighten`` (a folder of
    ours: config, logs) also sets an existing one we own to 0700; a folder the user chose (a
    shared snapshot folder) is left as it is."""
    folder = Path(path)
    folder.mkdir(mode=_PRIVATE_DIR, parents=True, exist_ok=True)
    if tighten and os.name != "nt":
        with contextlib.suppress(OSError):
            st = folder.stat()
            if st.st_uid == os.getuid() and stat.S_IMODE(st.st_mode) != _PRIVATE_DIR:
                os.chmod(folder, _PRIVATE_DIR)
    return folder


def claim_new_path(path: str | os.PathLike[str], *, tries: int = 1000) -> Path:
    """``path``, else ``name (2).ext``, ``name (3).ext``, …: the first name that is free, created
    empty with ``O_EXCL`` so that no other writer (thread or process) can take it too. A file
    written there (with :func:`atomic_write_path`) never replaces anyone else's; the caller
    removes the empty file when its write fails (:func:`release_claim`)."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise local_file_error(exc, target.parent, "creating") from None
    for n in range(1, tries + 1):
        candidate = target if n == 1 else target.with_name(f"{target.stem} ({n}){target.suffix}")
        try:
            fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        except OSError as exc:
            raise local_file_error(exc, candidate, "creating") from None
        os.close(fd)
        return candidate
    raise LocalFileError(
        f"{target.parent} already holds {tries} files named like {target.name}: move some away."
    )


def release_claim(path: str | os.PathLike[str]) -> None:
    """Remove a file :func:`claim_new_path` created, if it is still the empty one."""
    target = Path(path)
    with contextlib.suppress(OSError):
        if target.stat().st_size == 0:
            target.unlink()


@contextlib.contextmanager
def atomic_write_path(
    path: str | os.PathLike[str], *, private: bool = False, timeout: float | None = None
) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on a clean exit it atomically replaces ``path``.

    The caller writes the complete file to the yielded path (and closes it); the block is the
    writing and nothing else. Holds the writer lock (see :func:`hold`) and replaces only if the
    target is still the file it was when the lock was taken. An exception in the block, or a
    failed check or replace, leaves ``path`` untouched and removes the temporary file; an
    ``OSError`` becomes a :class:`~ecore_xl.errors.LocalFileError`.
    """
    target = Path(path)
    try:
        if private:
            make_private_dir(target.parent)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise local_file_error(exc, target.parent, "creating the folder for") from None
    with hold(target, timeout=timeout) as guard:
        _remove_stale_temps(guard.path)
        tmp = _temp_sibling(target)
        try:
            try:
                yield tmp
                if not tmp.exists():
                    raise LocalFileError(
                        f"Nothing was written to the temporary file for {target}: it is kept "
                        "as it was.",
                        path=str(target),
                    )
                _fsync_file(tmp)
                os.chmod(tmp, _target_mode(target, private))
                check_not_open(target)  # opened in Excel while we wrote
                guard.check_unchanged()
                os.replace(tmp, target)
                guard.stamp = _stamp(guard.path)  # a second write in this hold is ours
                _fsync_dir(target.parent)
            except EcoreError:
                raise
            except (OSError, MemoryError) as exc:
                raise local_file_error(exc, target, "writing") from None
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, *, private: bool = False) -> None:
    """Replace ``path`` with ``data`` atomically (see :func:`atomic_write_path`)."""
    with atomic_write_path(path, private=private) as tmp:
        tmp.write_bytes(data)
