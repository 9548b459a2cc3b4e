"""frame_part + join_parts: frames typed part by part, joined, equal the frame of the whole list.

The service types each request's records in its worker thread (:func:`frame_part`) and joins
the parts in plan order (:func:`join_parts`). Whatever the records hold — fields only some parts
have, a column that is a number in one part and text in another, bare dates next to instants,
values that cannot be typed — the joined frame must equal ``records_to_frame`` of all records,
value for value and dtype for dtype, or raise the very error it raises.
"""

from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecore_xl.catalogue import Dataset, builtin_catalogue
from ecore_xl.data.frames import FramePart, frame_part, join_parts, records_to_frame
from ecore_xl.data.recent import RecentTimes
from ecore_xl.errors import EcoreError

FIXTURES = Path(__file__).parent / "frames_fixtures"
CAT = builtin_catalogue()
PLAIN = sorted(p.stem for p in FIXTURES.glob("*.json"))
TZ = "Europe/Berlin"

#: values a field may take in some records and not in others
ODD_VALUES = [
    None, 0, 7, 2.5, -1e3, True, False, "", "x", "13749.6", "13749,6", "2026", "true",
    "2026-03-29", "2026-10-25", "2026-03-01T05:00:00", "2026-03-01T05:00:00+02:00",
    "2026-10-25T00:30:00Z", "yesterday", [1, 2], ["a"], [], {"a": 1}, {"a": {"b": "c"}}, {},
]  # fmt: skip


def fixture(name: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))[
        "value"
    ]
    return records


def part_or_none(ds: Dataset, records: list[dict[str, Any]]) -> FramePart | None:
    """What the service's worker does: a part, or None when it cannot be typed alone."""
    try:
        return frame_part(ds, records, tz=TZ)
    except EcoreError:
        return None


def outcome(build: Any) -> pd.DataFrame | str:
    try:
        frame: pd.DataFrame = build()
    except EcoreError as exc:
        return f"{type(exc).__name__}: {exc}"
    return frame


def assert_same(joined: pd.DataFrame | str, whole: pd.DataFrame | str) -> None:
    if isinstance(whole, str) or isinstance(joined, str):
        assert joined == whole
        return
    assert list(joined.columns) == list(whole.columns)
    assert joined.dtypes.tolist() == whole.dtypes.tolist()
    pd.testing.assert_frame_equal(joined, whole, check_exact=True)
    assert isinstance(joined.index, pd.RangeIndex)


@st.composite
def record_lists(draw: st.DrawFn) -> tuple[str, list[list[dict[str, Any]]]]:
    """A dataset and its records, changed here and there, cut into parts."""
    name = draw(st.sampled_from(PLAIN))
    base = fixture(name)
    keys = [*sorted({k for r in base for k in r}), "extra", "more"]
    records = []
    for _ in range(draw(st.integers(1, 10))):
        record = copy.deepcopy(draw(st.sampled_from(base)))
        for _ in range(draw(st.integers(0, 2))):
            key = draw(st.sampled_from(keys))
            if draw(st.booleans()) and key in record:
                del record[key]
            else:
                record[key] = copy.deepcopy(draw(st.sampled_from(ODD_VALUES)))
        records.append(record)
    cuts = sorted(draw(st.lists(st.integers(0, len(records)), max_size=4)))
    bounds = [0, *cuts, len(records)]
    return name, [records[a:b] for a, b in itertools.pairwise(bounds)]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(record_lists())
def test_joined_parts_equal_the_whole_list(case: tuple[str, list[list[dict[str, Any]]]]) -> None:
    name, pieces = case
    ds = CAT.get(name)
    records = [r for piece in pieces for r in piece]
    parts = [part_or_none(ds, piece) for piece in pieces]
    whole = outcome(lambda: records_to_frame(ds, records, tz=TZ))
    assert_same(outcome(lambda: join_parts(ds, parts, lambda: records, tz=TZ)), whole)


def never() -> list[dict[str, Any]]:
    raise AssertionError("the parts agree: the whole list is not needed")


@pytest.mark.parametrize("name", PLAIN)
def test_parts_that_agree_are_concatenated_without_the_whole_list(name: str) -> None:
    ds = CAT.get(name)
    records = fixture(name) * 3
    parts = [frame_part(ds, records[i : i + 2], tz=TZ) for i in range(0, len(records), 2)]
    parts.insert(1, frame_part(ds, [], tz=TZ))  # an empty part (a month without data)
    assert_same(join_parts(ds, parts, never, tz=TZ), records_to_frame(ds, records, tz=TZ))


def test_a_part_with_an_extra_field_falls_back_to_the_whole_list() -> None:
    ds = CAT.get("volumes")
    records = fixture("volumes") * 2
    first, second = copy.deepcopy(records[:3]), copy.deepcopy(records[3:])
    for r in second:
        r["revision"] = 2  # a field only the second request's records have
    asked: list[int] = []

    def whole() -> list[dict[str, Any]]:
        asked.append(1)
        return first + second

    parts = [frame_part(ds, first, tz=TZ), frame_part(ds, second, tz=TZ)]
    joined = join_parts(ds, parts, whole, tz=TZ)
    assert asked == [1]
    assert_same(joined, records_to_frame(ds, first + second, tz=TZ))
    assert joined["revision"].isna().tolist() == [True] * 3 + [False] * 3


def test_no_parts_and_empty_parts_give_the_empty_frame() -> None:
    ds = CAT.get("volumes")
    empty = records_to_frame(ds, [], tz=TZ)
    assert_same(join_parts(ds, [], never, tz=TZ), empty)
    assert_same(join_parts(ds, [frame_part(ds, [], tz=TZ)] * 2, never, tz=TZ), empty)


# ---- parts that share their instants (RecentTimes) ------------------------------------------


@settings(max_examples=150, deadline=None, derandomize=True)
@given(record_lists())
def test_parts_typed_with_recent_times_equal_the_whole_list(
    case: tuple[str, list[list[dict[str, Any]]]],
) -> None:
    name, pieces = case
    ds = CAT.get(name)
    pieces = pieces + copy.deepcopy(pieces)  # every piece twice: the second meets the first's
    records = [r for piece in pieces for r in piece]
    recent = RecentTimes(min_rows=1)

    def part(piece: list[dict[str, Any]]) -> FramePart | None:
        try:
            return frame_part(ds, piece, tz=TZ, recent=recent)
        except EcoreError:
            return None

    parts = [part(piece) for piece in pieces]
    whole = outcome(lambda: records_to_frame(ds, records, tz=TZ))
    assert_same(outcome(lambda: join_parts(ds, parts, lambda: records, tz=TZ)), whole)


def meter_month(meter: str, starts: list[str]) -> list[dict[str, Any]]:
    return [
        {"meterId": meter, "start": s, "value": 1.5, "unit": "MWh", "type": "actual"}
        for s in starts
    ]


def test_the_meters_of_a_month_parse_their_instants_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import ecore_xl.data.frames as frames

    ds = CAT.get("volumes")
    starts = [f"2026-10-25T{h:02d}:{m:02d}:00Z" for h in range(24) for m in (0, 15, 30, 45)]
    parsed: list[int] = []
    real = frames.instants
    monkeypatch.setattr(
        frames, "instants", lambda *a, **k: parsed.append(len(a[2])) or real(*a, **k)
    )
    recent = RecentTimes()
    meters = [meter_month(f"MTR-{i:04d}", [str(s) for s in starts]) for i in range(5)]
    parts = [frame_part(ds, records, tz=TZ, recent=recent) for records in meters]
    assert parsed == [96]  # the first meter's; the other four compared their texts
    records = [r for m in meters for r in m]
    assert_same(join_parts(ds, parts, never, tz=TZ), records_to_frame(ds, records, tz=TZ))
    parts[0].frame.loc[0, "start"] = pd.Timestamp("2000-01-01", tz="UTC")  # a user's edit
    again = frame_part(ds, meters[1], tz=TZ, recent=recent).frame
    assert again["start"].iloc[0] == pd.Timestamp("2026-10-25T00:00:00Z")  # nothing shared


def test_a_column_differing_inside_is_parsed_on_its_own() -> None:
    ds = CAT.get("volumes")
    starts = [f"2026-03-29T{h:02d}:00:00Z" for h in range(24)]
    moved = [*starts[:10], "2026-03-29T10:30:00Z", *starts[11:]]  # same length, first, last
    recent = RecentTimes(min_rows=1)
    for column in (starts, moved, starts):
        records = meter_month("MTR-0001", column)
        got = frame_part(ds, records, tz=TZ, recent=recent).frame
        assert_same(got, records_to_frame(ds, records, tz=TZ))


def test_recent_times_keep_at_most_their_rows() -> None:
    ds = CAT.get("volumes")
    recent = RecentTimes(max_rows=100, min_rows=1)
    for day in range(1, 6):  # five different days of 24 hours: only four fit in 100 rows
        starts = [f"2026-01-{day:02d}T{h:02d}:00:00Z" for h in range(24)]
        frame_part(ds, meter_month("MTR-0001", starts), tz=TZ, recent=recent)
    assert recent.rows <= 100
