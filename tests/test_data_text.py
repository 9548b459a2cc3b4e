"""Text columns built directly equal pandas' own ``str`` construction, in both storages."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecore_xl.data.text import TEXT, text_series

STORAGES = [pd.StringDtype("python", na_value=np.nan)]
if TEXT.storage == "pyarrow":
    STORAGES.append(TEXT)

texts = st.one_of(st.none(), st.text(), st.sampled_from(["MTR-0001", "", "MWh", "=1+2", "ä"]))
others = st.one_of(st.integers(), st.floats(), st.booleans(), st.lists(st.integers(), max_size=2))


def assert_same(got: pd.Series, expected: pd.Series) -> None:
    assert got.dtype == expected.dtype and str(got.dtype) == "str"
    assert type(got.array) is type(expected.array)
    pd.testing.assert_series_equal(got, expected, check_exact=True)
    assert got.isna().tolist() == expected.isna().tolist()


@pytest.mark.parametrize("dtype", STORAGES, ids=lambda d: d.storage)
@settings(max_examples=60, deadline=None)
@given(values=st.lists(texts, max_size=40))
def test_text_and_nulls_equal_pandas_own(dtype: Any, values: list[Any]) -> None:
    assert_same(text_series(values, dtype=dtype), pd.Series(values, dtype=dtype))


@pytest.mark.parametrize("dtype", STORAGES, ids=lambda d: d.storage)
@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.one_of(texts, others), max_size=20))
def test_anything_else_goes_pandas_way(dtype: Any, values: list[Any]) -> None:
    assert_same(text_series(values, dtype=dtype), pd.Series(values, dtype=dtype))


def test_python_storage_shares_one_object_per_distinct_text() -> None:
    dtype = pd.StringDtype("python", na_value=np.nan)
    values = ["".join(["MTR-", str(i % 3)]) for i in range(3000)]  # 3,000 distinct objects
    column = text_series(values, dtype=dtype)
    cells = column.array.to_numpy(dtype=object)
    assert len({id(c) for c in cells}) == 3
    assert sys.getrefcount(cells[0]) > 900  # the frame holds one object a thousand times
    assert column.tolist() == values


@pytest.mark.parametrize("dtype", STORAGES, ids=lambda d: d.storage)
@settings(max_examples=40, deadline=None)
@given(text=texts.filter(lambda t: t is not None), rows=st.integers(1, 60), odd=texts)
def test_one_text_in_every_row_equals_pandas_own(
    dtype: Any, text: str, rows: int, odd: str | None
) -> None:
    same = [text.encode().decode() for _ in range(rows)]  # equal texts, distinct objects
    assert_same(text_series(same, dtype=dtype), pd.Series(same, dtype=dtype))
    for at in (0, rows // 2, rows - 1):  # one other value anywhere: not one text any more
        mixed = [*same[:at], odd, *same[at + 1 :]]
        assert_same(text_series(mixed, dtype=dtype), pd.Series(mixed, dtype=dtype))
