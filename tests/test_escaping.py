"""The one escaping rule: what counts as formula-like, and the CSV form of a text."""

from __future__ import annotations

import pytest

from ecore_xl.escaping import csv_text, formula_like


@pytest.mark.parametrize(
    "text", ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
)
def test_formula_triggers_are_prefixed_in_csv(text: str) -> None:
    assert formula_like(text)
    assert csv_text(text) == "'" + text


@pytest.mark.parametrize("text", ["Stadtwerke", "S&P Strom & Gas", "a=b", "", " =1", "'quoted"])
def test_plain_text_is_left_alone(text: str) -> None:
    assert not formula_like(text)
    assert csv_text(text) == text
