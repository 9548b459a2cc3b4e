"""Snapshot files: round trip, naming by filters, atomic write, damaged files."""

from __future__ import annotations

import datetime as dt
import gzip
import os
import tempfile
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecore_xl import __version__
from ecore_xl.data.snapshot import (
    list_snapshots,
    read_snapshot,
    read_snapshot_parts,
    snapshot_path,
    write_snapshot,
)
from ecore_xl.errors import OfflineError

FILTERS = {"from": "2026-03-01", "meterId": "M-1", "to": "2026-04-01"}
RECORDS = [
    {"meterId": "M-1", "start": "2026-02-28T23:00:00Z", "value": 0.125, "unit": "MWh"},
    {"meterId": "M-1", "start": "2026-03-01T00:00:00Z", "value": 1e-9, "nested": {"a": [1, 2]}},
]


def test_round_trip(tmp_path: Path) -> None:
    when = dt.datetime(2026, 3, 2, 8, 30, tzinfo=dt.UTC)
    path = write_snapshot(
        tmp_path, "volumes", FILTERS, RECORDS, "http://x/volumes", fetched_at=when
    )
    assert path.parent == tmp_path
    assert path.name.startswith("volumes-") and path.name.endswith(".ecore.json.gz")
    got = read_snapshot(tmp_path, "volumes", dict(reversed(FILTERS.items())))
    assert got is not None
    records, meta = got
    assert records == RECORDS
    assert meta["dataset"] == "volumes"
    assert meta["filters"] == FILTERS
    assert meta["row_count"] == 2
    assert meta["fetched_at"] == "2026-03-02T08:30:00Z"
    assert meta["source_url"] == "http://x/volumes"
    assert meta["ecore_xl"] == __version__
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temp file left


def test_other_filters_other_file(tmp_path: Path) -> None:
    write_snapshot(tmp_path, "volumes", FILTERS, RECORDS, None)
    assert read_snapshot(tmp_path, "volumes", {**FILTERS, "meterId": "M-2"}) is None
    assert read_snapshot(tmp_path, "contracts", FILTERS) is None
    assert snapshot_path(tmp_path, "volumes", FILTERS) != snapshot_path(tmp_path, "volumes", {})


def test_missing_directory_is_no_snapshot(tmp_path: Path) -> None:
    assert read_snapshot(tmp_path / "nope", "volumes", FILTERS) is None
    assert list_snapshots(tmp_path / "nope") == []


def test_list_snapshots(tmp_path: Path) -> None:
    write_snapshot(
        tmp_path,
        "volumes",
        FILTERS,
        RECORDS,
        None,
        fetched_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    write_snapshot(
        tmp_path,
        "contracts",
        {},
        [{"id": "C-1"}],
        None,
        fetched_at=dt.datetime(2026, 2, 1, tzinfo=dt.UTC),
    )
    listed = list_snapshots(tmp_path)
    assert [m["dataset"] for m in listed] == ["contracts", "volumes"]
    assert listed[1]["row_count"] == 2
    assert Path(listed[0]["path"]).is_file()


def test_damaged_snapshot_says_what_to_do(tmp_path: Path) -> None:
    path = write_snapshot(tmp_path, "volumes", FILTERS, RECORDS, None)
    path.write_bytes(path.read_bytes()[:40])  # truncated
    with pytest.raises(OfflineError, match=r"damaged.*--snapshot"):
        read_snapshot(tmp_path, "volumes", FILTERS)
    assert "error" in list_snapshots(tmp_path)[0]


def test_not_a_snapshot(tmp_path: Path) -> None:
    path = snapshot_path(tmp_path, "volumes", FILTERS)
    with gzip.open(path, "wb") as fh:
        fh.write(b'{"hello": 1}\n[]\n')
    with pytest.raises(OfflineError, match="not an ecore-xl snapshot"):
        read_snapshot(tmp_path, "volumes", FILTERS)
    assert "error" in list_snapshots(tmp_path)[0]


def test_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    write_snapshot(tmp_path, "volumes", FILTERS, RECORDS, None)
    with pytest.raises(TypeError):
        write_snapshot(tmp_path, "volumes", FILTERS, [{"bad": object()}], None)
    got = read_snapshot(tmp_path, "volumes", FILTERS)
    assert got is not None and got[0] == RECORDS
    assert len(list(tmp_path.iterdir())) == 1


@pytest.mark.skipif(os.name == "nt", reason="POSIX modes")
def test_snapshots_are_private(tmp_path: Path) -> None:
    """A snapshot holds a company's contracts and prices: 0600 in a new 0700 folder; a folder
    the user made (perhaps shared on purpose) keeps its mode."""
    fresh = write_snapshot(tmp_path / "new" / "snaps", "contracts", {}, [{"id": "C-1"}], None)
    assert fresh.stat().st_mode & 0o777 == 0o600
    assert fresh.parent.stat().st_mode & 0o777 == 0o700
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o775)
    shared.chmod(0o775)
    kept = write_snapshot(shared, "contracts", {}, [{"id": "C-1"}], None)
    assert kept.stat().st_mode & 0o777 == 0o600
    assert shared.stat().st_mode & 0o777 == 0o775


# ---- read a part at a time --------------------------------------------------------------------

#: text that looks like a cut between records, inside strings and nested objects
TRICKY = ["},{", '"},{"', "\\", '\\"},{', "ü}", ""]
_text = st.sampled_from(TRICKY) | st.text(alphabet='a{}[],:"\\ü', max_size=8)
_scalar = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | _text
_value = st.recursive(
    _scalar | st.floats(allow_nan=False, allow_infinity=False),  # JSON's numbers
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=6,
)
_record = st.dictionaries(_text, _value, max_size=4)


@settings(max_examples=100, deadline=None)
@given(records=st.lists(_record, max_size=25), part_bytes=st.integers(1, 120))
def test_parts_are_the_records_in_order(records: list[dict[str, Any]], part_bytes: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        write_snapshot(tmp, "volumes", FILTERS, records, None)
        hit = read_snapshot_parts(tmp, "volumes", FILTERS, part_bytes=part_bytes)
        assert hit is not None
        body, parts, meta = hit
        got = list(parts)
    assert [r for part in got for r in part] == records
    assert orjson.loads(body) == records and meta["row_count"] == len(records)
    assert all(got)  # no empty runs


def test_a_big_body_comes_in_several_parts(tmp_path: Path) -> None:
    records = [{**RECORDS[0], "value": i / 7, "note": "},{" * (i % 3)} for i in range(2_000)]
    for record in records[1_000:1_100]:  # more false cuts than a run tries: the rest in one go
        record["note"] = "},{" * 200
    write_snapshot(tmp_path, "volumes", FILTERS, records, None)
    hit = read_snapshot_parts(tmp_path, "volumes", FILTERS, part_bytes=4_000)
    assert hit is not None
    parts = list(hit[1])
    assert len(parts) > 20 and max(len(p) for p in parts[:-1]) < 60 and len(parts[-1]) > 900
    assert [r for p in parts for r in p] == records


def test_a_short_body_is_damaged_when_its_parts_are_read(tmp_path: Path) -> None:
    path = write_snapshot(tmp_path, "volumes", FILTERS, RECORDS * 50, None)
    head, body = gzip.decompress(path.read_bytes()).split(b"\n", 1)
    cut = body.rindex(b"},{") + 1
    path.write_bytes(gzip.compress(head + b"\n" + body[:cut] + b"]\n"))  # one record lost
    hit = read_snapshot_parts(tmp_path, "volumes", FILTERS, part_bytes=100)
    assert hit is not None
    with pytest.raises(OfflineError, match="record count does not match its header"):
        list(hit[1])
    with pytest.raises(OfflineError, match="record count"):
        read_snapshot(tmp_path, "volumes", FILTERS)
