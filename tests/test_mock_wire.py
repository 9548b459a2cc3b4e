"""``wire.dumps`` is byte for byte the stdlib's ``json.dumps(ensure_ascii=False, separators=...)``,
whatever the body; the fast ISO texts are numpy's."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecore_xl.mock.calendar import _iso_z_numpy, iso_z_array
from ecore_xl.mock.wire import dumps, plain_floats, stdlib_dumps

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)  # no lone surrogates
SCALAR = (
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | TEXT
    | st.floats(min_value=-1e-3, max_value=1e-3) | st.sampled_from([1e-4, 9.9999e-5, 1e16, 5e-324])
)  # fmt: skip
BODY = st.recursive(
    SCALAR, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(TEXT, inner, max_size=5)
)


def _reference(body: object) -> bytes | str:
    try:
        return stdlib_dumps(body)
    except (TypeError, ValueError) as exc:
        return type(exc).__name__


def _fast(body: object, **kw: bool) -> bytes | str:
    try:
        return dumps(body, **kw)
    except (TypeError, ValueError) as exc:
        return type(exc).__name__


@settings(max_examples=600, deadline=None)
@given(BODY)
def test_any_body_is_written_as_the_stdlib_writes_it(body: object) -> None:
    assert _fast(body) == _reference(body)
    if plain_floats(body):  # the caller's promise: then no search is needed
        assert _fast(body, plain_floats=True) == _reference(body)


@pytest.mark.parametrize(
    "x",
    [1e-4, math.nextafter(1e-4, 0), -7.4e-5, 1e-5, 5e-324, sys.float_info.max, 1e16,
     math.nextafter(1e16, 0), 0.0, -0.0, 123456.789012, 1e22, math.nan, math.inf, -math.inf],
)  # fmt: skip
def test_the_floats_where_orjson_and_the_stdlib_part(x: float) -> None:
    body = {"value": [x, {"v": x}], "unit": "MWh"}
    assert dumps(body) == stdlib_dumps(body)
    assert dumps({**body, "nextLink": "?skipToken=e-0.0000null"}) == stdlib_dumps(
        {**body, "nextLink": "?skipToken=e-0.0000null"}
    )
    assert plain_floats(body) == (x == 0 or 1e-4 <= abs(x) < math.inf)


def test_what_orjson_would_write_by_its_own_rules_is_left_to_the_stdlib() -> None:
    @dataclasses.dataclass
    class Point:
        x: int

    class Label(str):
        pass

    for body in ({"at": dt.date(2026, 1, 1)}, {"p": Point(1)}, {1: "int key"}, {"n": 2**64},
                 {"s": Label("x")}, {Label("k"): 1.5e-5}):  # fmt: skip
        assert _fast(body) == _reference(body)
    cycle: list[object] = []
    cycle.append(cycle)
    assert _fast(cycle) == _reference(cycle) == "ValueError"


def test_iso_texts_are_numpys_from_year_one_to_beyond_9999() -> None:
    rng = np.random.default_rng(7)
    for low, high in [(-62135596800, 253402300799), (1735686000, 1735686000 + 86400 * 800)]:
        epochs = rng.integers(low, high, 20000)
        assert iso_z_array(epochs) == _iso_z_numpy(epochs)
    beyond = np.array([253402300800, 0, -1])
    assert iso_z_array(beyond) == _iso_z_numpy(beyond)
    assert iso_z_array(beyond)[0].startswith("10000-")
