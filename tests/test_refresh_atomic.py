"""ecore_xl.atomic: the target is either the old file or the complete new one, never half."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ecore_xl.atomic import atomic_write_bytes, atomic_write_path


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
    with pytest.raises(FileNotFoundError), atomic_write_path(target):
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
