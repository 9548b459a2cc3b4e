"""Evidence: hostile API data through every output (issue 12).

Every text of every dataset prefixed with a payload (OWASP formula triggers, DDE, header/footer
codes, control and bidi characters, markup, paths, template syntax, 40,000 characters …), every
number replaced by an extreme one, typed fields filled with junk — through ``fetch --out`` (csv,
xlsx, json), the headless refresh, the report (one workbook and ``--split``) and every worksheet
function. No formula from API text in any package XML, no traceback, every refusal one line,
nothing lost. The payloads and checks are in ``tests/hostile_fixtures.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecore_xl.mock import MockServer
from tests.hostile_fixtures import SPARED, HostileProxy, Hostility, Outcome, run_outputs

MOCK_KW = {"seed": 42, "meters": 2, "years": (2026,), "as_of": dt.date(2026, 11, 15)}
SPAN = {"month": "2026-03", "start": "2026-03-01", "end": "2026-04-01"}


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with MockServer(**MOCK_KW) as server:
        yield server


def _run(
    mock: MockServer, mode: str, work: Path, spare: frozenset[str] = frozenset()
) -> tuple[Outcome, Hostility]:
    hostility = Hostility(mode=mode, spare=spare)
    with HostileProxy(mock.origin, hostility) as proxy:
        outcome = run_outputs(proxy.env(mock.env()), hostility, work, **SPAN)
    return outcome, hostility


@pytest.mark.timeout(600)
def test_hostile_texts_are_data_everywhere(mock: MockServer, tmp_path: Path) -> None:
    outcome, hostility = _run(mock, "text", tmp_path)
    assert not outcome.problems, "\n".join(outcome.problems)
    assert outcome.lost == 0
    assert len(hostility.reverse) > 100  # many distinct hostile texts were served
    assert outcome.clean > outcome.refused  # most outputs work on hostile text


@pytest.mark.timeout(600)
def test_hostile_names_and_ids_fill_the_report_as_data(mock: MockServer, tmp_path: Path) -> None:
    """Every text but the units and codes the report converts: the report is written (not
    refused), its placeholders, tables, headers and footers full of hostile text as data."""
    outcome, _ = _run(mock, "text", tmp_path, spare=SPARED)
    assert not outcome.problems, "\n".join(outcome.problems)
    assert outcome.refused == 0 and outcome.lost == 0
    assert (tmp_path / "report.xlsx").exists()


@pytest.mark.timeout(600)
def test_extreme_numbers_are_kept_or_refused_in_one_line(mock: MockServer, tmp_path: Path) -> None:
    outcome, hostility = _run(mock, "numbers", tmp_path)
    assert not outcome.problems, "\n".join(outcome.problems)
    assert outcome.lost == 0 and hostility.numbers_sent > 100


@pytest.mark.timeout(600)
def test_junk_in_typed_fields_is_refused_in_one_line(mock: MockServer, tmp_path: Path) -> None:
    outcome, hostility = _run(mock, "junk", tmp_path)
    assert not outcome.problems, "\n".join(outcome.problems)
    assert outcome.lost == 0 and hostility.junk_sent > 10
    assert outcome.refused > 0


# ---- the checks themselves can fail ----------------------------------------------------------


def test_the_checks_find_what_they_look_for(tmp_path: Path) -> None:
    """A formula of API text, an unescaped CSV field, a footer code and a lost value are each
    found; the same text as a string literal, as quoted text, doubled, or kept is not."""
    import json

    import openpyxl

    from tests.hostile_fixtures import api_formulas, csv_triggers, header_footer_codes, json_lost

    wb = openpyxl.Workbook()
    wb.active["A1"] = '=HYPERLINK("http://evil.example","x")'
    wb.active["A2"] = '=LEN("=HYPERLINK(""http://evil.example"")")'
    wb.active.oddFooter.left.text = "S&P Strom & Gas"
    bad = tmp_path / "bad.xlsx"
    wb.save(bad)
    assert len(api_formulas(bad)) == 1  # A1, not the literal in A2
    assert header_footer_codes(bad, {"S&P Strom & Gas"})
    wb.active["A1"] = "=SUM(B1:B3)"
    wb.active.oddFooter.left.text = "S&&P Strom && Gas"
    good = tmp_path / "good.xlsx"
    wb.save(good)
    assert api_formulas(good) == [] and header_footer_codes(good, {"S&P Strom & Gas"}) == []
    csv = tmp_path / "x.csv"
    csv.write_text('a,b\r\n\'=1+1,"\r=2"\r\n=3,-2.5\r\n-2+3,x\r\n', encoding="utf-8")
    assert csv_triggers(csv) == ["\r=2", "=3", "-2+3"]  # -2.5 is a number, not a formula
    data = tmp_path / "x.json"
    data.write_text(json.dumps([{"n": "kept"}, {"l": "a;b"}]), encoding="utf-8")
    assert json_lost(data, {"kept", "a", "gone"}) == ["gone"]


@pytest.mark.timeout(600)
def test_without_escaping_the_csv_check_fails(mock: MockServer, tmp_path: Path) -> None:
    """The control: ECORE_ESCAPE_FORMULAS=0 (a trusted pipeline) writes API text as sent, and
    the run counts those CSV files as outputs with formula triggers."""
    hostility = Hostility(mode="text")
    with HostileProxy(mock.origin, hostility) as proxy:
        env = {**proxy.env(mock.env()), "ECORE_ESCAPE_FORMULAS": "0"}
        outcome = run_outputs(env, hostility, tmp_path, **SPAN)
    flagged = [p for p in outcome.problems if "--out .csv" in p]
    assert len(flagged) >= 8 and outcome.lost == len(outcome.problems)


# ---- the Office.js path: the backend's write operations and function answers ------------------


def _backend_round(mock: MockServer, mode: str, tmp_path: Path, **settings: str) -> Outcome:
    """Insert table, Refresh all and every =ECORE.* function through ``ecore-xl serve`` over
    HTTP, the API behind it hostile (``mode``)."""
    from ecore_xl.config import Settings
    from ecore_xl.data import DataService
    from ecore_xl.serve.server import start_backend
    from tests.hostile_fixtures import _hostile_ids, _new_book
    from tests.hostile_serve import run_backend_outputs
    from tests.serve_fixtures import TOKEN, Client, snapshot_of

    hostility = Hostility(mode=mode)
    with HostileProxy(mock.origin, hostility) as proxy:
        env = {**proxy.env(mock.env()), **settings}
        ids = _hostile_ids(env)
        book = tmp_path / "pane.xlsx"
        _new_book(book, SPAN["start"], SPAN["end"])
        service = DataService(Settings.load(use_file=False, use_keyring=False, environ=env))
        server = start_backend(service, token=TOKEN)
        try:
            client = Client(server)
            return run_backend_outputs(
                client, ids, snapshot_of(book), start=SPAN["start"], end=SPAN["end"]
            )
        finally:
            server.stop()


@pytest.mark.timeout(600)
def test_hostile_texts_reach_the_workbook_through_the_add_in_as_text(
    mock: MockServer, tmp_path: Path
) -> None:
    """Every cell the task pane writes (Insert table, Refresh all) is text Excel keeps as text,
    or a number; every function answers plain values or one line. ECORE_ESCAPE_FORMULAS=0 does
    not change what the pane writes: an unescaped text would be entered as a formula."""
    outcome = _backend_round(mock, "text", tmp_path, ECORE_ESCAPE_FORMULAS="0")
    assert not outcome.problems, "\n".join(outcome.problems)
    assert outcome.lost == 0 and outcome.clean >= 10 + 10  # tables, refresh, functions


@pytest.mark.timeout(600)
def test_extreme_numbers_through_the_add_in_stay_numbers(mock: MockServer, tmp_path: Path) -> None:
    outcome = _backend_round(mock, "numbers", tmp_path)
    assert not outcome.problems, "\n".join(outcome.problems)
    assert outcome.lost == 0 and outcome.clean > outcome.refused


def test_the_add_in_checks_find_what_they_look_for() -> None:
    """A formula-like text, a text Excel would turn into a number, a text in a numeric column,
    API text in a name's formula are each found; their escaped forms are not."""
    from tests.hostile_serve import cell_problem, op_problems

    for bare in ("=1+1", "+1", "-2+3", "@SUM(1)", "\t=1", "\r=1", " =1", "\ufeff=1",
                 "=cmd|' /C calc'!A0", "0042", "1/2", "1,5", "TRUE"):  # fmt: skip
        assert cell_problem(bare), bare
        assert cell_problem("'" + bare) is None, bare
    assert cell_problem(-2.5) is None and cell_problem(None) is None
    assert cell_problem({"a": 1}) and cell_problem(float("inf"))
    table = {"op": "writeTable", "table": "tblContracts", "sheet": "S", "anchor": "A1",
             "header": ["id", "quantity"], "headerCells": ["'id", "'quantity"],
             "rows": [["'C-1", 12.5]], "note": ["'eCore contracts"],
             "formats": [None, None]}  # fmt: skip
    numeric = {"tblContracts": {"quantity"}}
    assert op_problems([table], numeric) == []
    unescaped = [
        {**table, "headerCells": ["=1+1", "'quantity"]},
        {**table, "rows": [["-2+3+cmd|' /C calc'!A0", 12.5]]},
        {**table, "note": ["@SUM(1+1)"]},
        {**table, "rows": [["'C-1", "'12.5"]]},  # a number as text, no integer beyond 2^53
        {"op": "writeCells", "sheet": "eCore", "values": {"B3": '=HYPERLINK("x")'},
         "formats": {}},
        {"op": "writeColumn", "sheet": "eCoreLists", "anchor": "A2", "values": ["'a", "+1"],
         "clear": 0},
        {"op": "defineName", "name": "x", "refersTo": '=HYPERLINK("http://evil.example")'},
    ]  # fmt: skip
    for op in unescaped:
        assert len(op_problems([op], numeric)) == 1, op
    kept = {**table, "rows": [["'C-1", "'9223372036854775808"], ["'C-2", "'0"]]}
    assert op_problems([kept], numeric) == []  # the column kept as text, for its 2^63
    junk = {**table, "rows": [["'C-1", "'9223372036854775808"], ["'C-2", "'12 MWh"]]}
    assert len(op_problems([junk], numeric)) == 1
