"""ecore_xl.atomic: the target is either the old file or the complete new one, never half."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from ecore_xl.atomic import atomic_write_bytes, atomic_write_path, hold
from ecore_xl.errors import FileChangedError, FileInUseError, LocalFileError


def test_replaces_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "book.xlsx"
    target.write_bytes(b"old")
    with atomic_write_path(target) as tmp:
        assert tmp.parent == tmp_path
        assert tmp.suffix == ".xlsx"
        assert not tmp.exists()
        tmp.write_bytes(b"new")
        assert target.read_bytes() == b"old"  # nothing visible before the block ends
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]


def test_failure_in_block_keeps_original_and_cleans_up(tmp_path: Path) -> None:
    target = tmp_path / "book.xlsx"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="boom"), atomic_write_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("boom")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]


def test_nothing_written_is_an_error_not_an_empty_file(tmp_path: Path) -> None:
    target = tmp_path / "book.xlsx"
    target.write_bytes(b"old")
    with pytest.raises(LocalFileError, match="Nothing was written"), atomic_write_path(target):
        pass
    assert target.read_bytes() == b"old"


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")
def test_keeps_permissions_and_creates_parents(tmp_path: Path) -> None:
    target = tmp_path / "shared" / "book.xlsx"
    atomic_write_bytes(target, b"one")
    assert target.read_bytes() == b"one"
    target.chmod(0o640)
    atomic_write_bytes(target, b"two")
    assert target.read_bytes() == b"two"
    assert target.stat().st_mode & 0o777 == 0o640


# ---- the writer lock, office lock files, compare-and-swap, stale temporaries (issue 12) ------


@pytest.mark.parametrize(
    ("lock_name", "program"), [("~$book.xlsx", "Excel"), (".~lock.book.xlsx#", "LibreOffice")]
)
def test_a_file_open_in_excel_or_libreoffice_is_not_replaced(
    tmp_path: Path, lock_name: str, program: str
) -> None:
    target = tmp_path / "book.xlsx"
    target.write_bytes(b"theirs")
    (tmp_path / lock_name).write_bytes(b"owner")
    with pytest.raises(FileInUseError, match=f"book.xlsx is open in {program}: close it"):
        atomic_write_bytes(target, b"ours")
    assert target.read_bytes() == b"theirs"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["book.xlsx", lock_name])


def test_opened_in_excel_while_writing_is_not_replaced(tmp_path: Path) -> None:
    target = tmp_path / "book.xlsx"
    target.write_bytes(b"theirs")
    with pytest.raises(FileInUseError), atomic_write_path(target) as tmp:
        tmp.write_bytes(b"ours")
        (tmp_path / "~$book.xlsx").write_bytes(b"owner")  # the user opens it now
    assert target.read_bytes() == b"theirs"


def test_a_change_between_read_and_replace_is_refused_and_kept(tmp_path: Path) -> None:
    """Someone who ignores our lock (Excel saving, a sync client) replaces the file after we read
    it: our replace is refused and their version stays."""
    target = tmp_path / "book.xlsx"
    target.write_bytes(b"v1")
    with pytest.raises(FileChangedError, match="changed by someone else"), hold(target):
        read = target.read_bytes()
        other = tmp_path / "other"
        other.write_bytes(b"v2 from elsewhere")
        os.replace(other, target)  # a new inode, as a save by another program makes
        with atomic_write_path(target) as tmp:
            tmp.write_bytes(read + b" + ours")
    assert target.read_bytes() == b"v2 from elsewhere"
    assert [p.name for p in tmp_path.iterdir()] == ["book.xlsx"]


def test_a_second_writer_waits_for_the_first(tmp_path: Path) -> None:
    """Two threads (as two processes would) read-modify-write one file 50 times each: every
    increment survives, because the lock is held from the read to the replace."""
    target = tmp_path / "counter.txt"
    target.write_text("0")
    errors: list[BaseException] = []

    def bump() -> None:
        try:
            for _ in range(50):
                with hold(target, timeout=30):
                    value = int(target.read_text())
                    with atomic_write_path(target) as tmp:
                        tmp.write_text(str(value + 1))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=bump) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert target.read_text() == "100"


def test_a_writer_that_cannot_get_the_lock_says_so_in_one_line(tmp_path: Path) -> None:
    target = tmp_path / "book.xlsx"
    target.write_bytes(b"v1")
    started, release = threading.Event(), threading.Event()

    def holder() -> None:
        with hold(target):
            started.set()
            release.wait(10)

    t = threading.Thread(target=holder)
    t.start()
    started.wait(5)
    try:
        with pytest.raises(FileInUseError) as info:
            _write_with_timeout(target, b"v2", 0.2)
    finally:
        release.set()
        t.join(5)
    message = str(info.value)
    assert "\n" not in message
    assert f"pid {os.getpid()}" in message and "ECORE_LOCK_TIMEOUT" in message
    assert target.read_bytes() == b"v1"
    atomic_write_bytes(target, b"v2")  # free again
    assert target.read_bytes() == b"v2"
    assert [p.name for p in tmp_path.iterdir()] == ["book.xlsx"]  # no lock file left


def _write_with_timeout(target: Path, data: bytes, timeout: float) -> None:
    with atomic_write_path(target, timeout=timeout) as tmp:
        tmp.write_bytes(data)


def test_the_lock_is_reentrant_in_one_thread(tmp_path: Path) -> None:
    target = tmp_path / "book.xlsx"
    with hold(target) as outer, hold(target) as inner:
        assert inner is outer
        atomic_write_bytes(target, b"one")
        atomic_write_bytes(target, b"two")  # our own first write is not "someone else"
    assert target.read_bytes() == b"two"


def test_stale_temporary_files_are_removed_by_the_next_write(tmp_path: Path) -> None:
    target = tmp_path / "book.xlsx"
    target.write_bytes(b"v1")
    stale = [tmp_path / ".book.0badc0de.tmp.xlsx", tmp_path / ".book.12345678.tmp.xlsx"]
    keep = [tmp_path / ".book.notours.tmp.xlsx", tmp_path / ".other.0badc0de.tmp.xlsx"]
    for p in stale + keep:
        p.write_bytes(b"left by a killed writer")
    atomic_write_bytes(target, b"v2")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["book.xlsx", *(p.name for p in keep)]
    )


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")
def test_private_files_are_0600_in_0700_folders(tmp_path: Path) -> None:
    target = tmp_path / "private" / "deep" / "config.toml"
    atomic_write_bytes(target, b"x", private=True)
    assert target.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "private" / "deep").stat().st_mode & 0o777 == 0o700
    target.chmod(0o644)  # made by an older version: tightened at the next write
    atomic_write_bytes(target, b"y", private=True)
    assert target.stat().st_mode & 0o777 == 0o600


def test_claimed_names_are_never_shared_and_an_unused_claim_is_released(tmp_path: Path) -> None:
    """Eight writers claiming one name at once get eight names (``name``, ``name (2)``, …);
    a claim that was written to stays, an empty one is removed."""
    from ecore_xl.atomic import claim_new_path, release_claim

    target = tmp_path / "out" / "eCore report 2026-10.xlsx"
    claimed: list[Path] = []
    start = threading.Barrier(8)

    def claim() -> None:
        start.wait(timeout=10)
        claimed.append(claim_new_path(target))

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    names = sorted(p.name for p in claimed)
    expected = ["eCore report 2026-10.xlsx"]
    expected += [f"eCore report 2026-10 ({n}).xlsx" for n in range(2, 9)]
    assert names == sorted(expected)
    atomic_write_bytes(claimed[0], b"written")
    for path in claimed:
        release_claim(path)
    assert [p.name for p in target.parent.iterdir()] == [claimed[0].name]
    assert claimed[0].read_bytes() == b"written"
