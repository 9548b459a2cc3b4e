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
