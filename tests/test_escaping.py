"""The one escaping rule: what counts as formula-like, and the CSV form of a text."""

from __future__ import annotations

import pytest

from ecore_xl.escaping import csv_text, formula_like


@pytest.mark.parametrize(
    "text",
    ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1",
     " =1", "\n=1+1", "\ufeff=1+1", "  \n @x"],
)  # fmt: skip
def test_formula_triggers_are_prefixed_in_csv(text: str) -> None:
    """OWASP's triggers, also behind what an importer may trim (LibreOffice's "Trim spaces",
    a line break at the start of a field, a byte-order mark)."""
    assert formula_like(text)
    assert csv_text(text) == "'" + text


@pytest.mark.parametrize("text", ["Stadtwerke", "S&P Strom & Gas", "a=b", "", " x=1", "'quoted"])
def test_plain_text_is_left_alone(text: str) -> None:
    assert not formula_like(text)
    assert csv_text(text) == text


def test_csv_frame_prefixes_text_cells_and_names_but_not_numbers() -> None:
    import pandas as pd

    from ecore_xl.escaping import csv_frame

    df = pd.DataFrame({"=name": ["=1+1", "plain", None], "value": [-2.5, 1.0, 3.0]})
    out = csv_frame(df)
    assert list(out.columns) == ["'=name", "value"]
    assert out["'=name"].tolist()[:2] == ["'=1+1", "plain"]
    assert out["'=name"].isna().iloc[2]
    assert out["value"].tolist() == [-2.5, 1.0, 3.0]
    assert list(df.columns) == ["=name", "value"]  # the input is left alone


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        ("S&P Strom & Gas", "S&&P Strom && Gas"),
        ('&"Arial,Bold"&72&KFF0000&P of &N', '&&"Arial,Bold"&&72&&KFF0000&&P of &&N'),
        ("line\nbreak\x07bell", "line breakbell"),
    ],
)
def test_header_footer_text_has_no_codes(text: str, printed: str) -> None:
    from ecore_xl.escaping import header_footer_text

    assert header_footer_text(text) == printed


def test_header_footer_text_is_cut() -> None:
    from ecore_xl.escaping import header_footer_text

    assert header_footer_text("x" * 500) == "x" * 79 + "…"


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Volumes", "Volumes"),
        ("a/b:c*d?e[f]g\\h", "a_b_c_d_e_f_g_h"),
        ("'quoted'", "quoted"),
        ("History", "Sheet"),
        ("", "Sheet"),
        ("x" * 40, "x" * 31),
    ],
)
def test_sheet_title(text: str, title: str) -> None:
    from ecore_xl.escaping import sheet_title

    assert sheet_title(text) == title


def test_formula_string_is_one_literal() -> None:
    from ecore_xl.escaping import formula_string

    assert formula_string('a") & HYPERLINK("x') == '"a"") & HYPERLINK(""x"'
