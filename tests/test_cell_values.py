"""The one DataFrame -> cell-value converter: text columns read the same whichever way pandas
holds them and however long they are; the caller's frame keeps its provenance."""

from __future__ import annotations

import pandas as pd
import pytest

from ecore_xl.excel.cell_values import _FEW_TEXTS, excel_columns

TEXTS = ["MTR-0001", None, "bad\x07bell", "MTR-0001", "Köln", ""]
CLEAN = ["MTR-0001", None, "badbell", "MTR-0001", "Köln", ""]


@pytest.mark.parametrize("dtype", ["str", "object"])
@pytest.mark.parametrize("repeat", [1, _FEW_TEXTS // len(TEXTS) + 10])
def test_a_text_column_reads_the_same_few_or_many_arrow_or_not(dtype: str, repeat: int) -> None:
    df = pd.DataFrame({"meterId": pd.Series(TEXTS * repeat, dtype=dtype)})
    (column,) = excel_columns(df)
    assert column.values == CLEAN * repeat
    assert column.number_format is None


def test_the_frames_provenance_stays() -> None:
    df = pd.DataFrame({"a": ["x"], "b": [1.5]})
    df.attrs["ecore"] = {"source": "api", "notes": ["kept"]}
    assert [c.values for c in excel_columns(df)] == [["x"], [1.5]]
    assert df.attrs["ecore"] == {"source": "api", "notes": ["kept"]}  # the caller's frame


@pytest.mark.parametrize("rows", [1, _FEW_TEXTS + 1])
def test_an_overlong_text_is_cut_and_said_few_or_many(
    rows: int, caplog: pytest.LogCaptureFixture
) -> None:
    texts = ["y" * 40_000, *(["z"] * (rows - 1))]
    (column,) = excel_columns(pd.DataFrame({"t": pd.Series(texts, dtype="str")}))
    assert len(column.values[0]) == 32_767 and column.values[0].endswith("…")
    assert caplog.text.count("'t': a text of 40,000 characters is cut to 32,767") == 1
