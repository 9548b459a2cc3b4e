"""What Excel is told (xlwings metadata, VBA wrapper) and what it receives (xlwings' own pipeline).

The real desktop decorators of ``xlwings.udfs`` load the module (the Windows COM modules are
stubbed, see ``udfs_fixtures``). Golden files hold the function metadata and the VBA text that
``generate_vba_wrapper`` writes into the workbook; regenerate them after an intended change with

    UPDATE_GOLDEN=1 python -m pytest tests/test_udfs_xlwings.py
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from ecore_xl.data import DataService
from ecore_xl.formulas.signatures import VBA_RESERVED
from ecore_xl.mock import MockServer
from tests import udfs_fixtures as fx
from tests.udfs_fixtures import OMITTED, RecordingEngine, excel_call

mock_server = fx.mock_server
udf_log_closed = fx.udf_log_closed
service = fx.service
xl_udfs = fx.xl_udfs
xl_server = fx.xl_server

GOLDEN = Path(__file__).parent / "golden"
MODULE = "ecore_xl.excel.udfs"


class _Workbook:
    """The one attribute ``generate_vba_wrapper`` reads from the workbook."""

    Name = "Book1.xlsm"


def _functions(module: ModuleType) -> list[Any]:
    return [
        getattr(module, name)
        for name in sorted(dir(module))
        if hasattr(getattr(module, name), "__xlfunc__")
    ]


def _metadata(module: ModuleType) -> list[dict[str, Any]]:
    out = []
    for f in _functions(module):
        info = f.__xlfunc__
        out.append(
            {
                "name": info["name"],
                "doc": info["ret"]["doc"],
                "category": info["category"],
                "async_mode": info["async_mode"],
                "volatile": info["volatile"],
                "call_in_wizard": info["call_in_wizard"],
                "sub": info["sub"],
                "ret_options": {k: repr(v) for k, v in info["ret"]["options"].items()},
                "args": [
                    {
                        "name": a["name"],
                        "doc": a["doc"],
                        "optional": "optional" in a,
                        "default": a.get("optional"),
                        "vararg": a["vararg"],
                        "vba": a["vba"],
                        "options": {k: repr(v) for k, v in a["options"].items()},
                    }
                    for a in info["args"]
                ],
            }
        )
    return out


def _vba(module: ModuleType) -> str:
    import xlwings.udfs

    buffer = io.StringIO()
    xlwings.udfs.generate_vba_wrapper(MODULE, module, buffer, _Workbook())
    return buffer.getvalue()


def _check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="\n")
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{name} changed: review, then UPDATE_GOLDEN=1 to accept"


# ---- what Excel is told ------------------------------------------------------------------------


def test_the_real_decorators_are_in_use(xl_udfs: ModuleType) -> None:
    import xlwings.udfs

    assert xl_udfs._xw_func is xlwings.udfs.xlfunc
    assert sorted(f.__xlfunc__["name"] for f in _functions(xl_udfs)) == xl_udfs.udf_names()


def test_metadata_matches_golden(xl_udfs: ModuleType) -> None:
    text = json.dumps(_metadata(xl_udfs), indent=2, ensure_ascii=False) + "\n"
    _check_golden("udfs_functions.json", text)


def test_vba_wrapper_matches_golden(xl_udfs: ModuleType) -> None:
    _check_golden("udfs_wrapper.bas", _vba(xl_udfs))


def test_every_function_is_documented_for_the_wizard(xl_udfs: ModuleType) -> None:
    vba_word = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
    for meta in _metadata(xl_udfs):
        assert meta["category"] == "eCore"
        assert 20 <= len(meta["doc"]) <= 255 and "\n" not in meta["doc"], meta["name"]
        for arg in meta["args"]:
            assert not arg["doc"].startswith("Positional argument"), (meta["name"], arg)
            assert len(arg["doc"]) <= 255
            assert vba_word.match(arg["name"]) and arg["name"].lower() not in VBA_RESERVED
            # no converter: the functions see the raw cell values, errors as text
            assert arg["options"] == {"err_to_str": "True"}
        assert meta["ret_options"] == {}


def test_only_get_has_a_paramarray_and_all_else_is_optional(xl_udfs: ModuleType) -> None:
    for meta in _metadata(xl_udfs):
        for arg in meta["args"]:
            if meta["name"] == "ECORE_GET" and arg["name"] == "params":
                assert arg["vararg"]
            elif meta["name"] == "ECORE_GET":
                assert not arg["optional"]  # VBA: no Optional next to a ParamArray
            else:
                assert arg["optional"] and arg["default"] is None and not arg["vararg"]


def test_network_functions_are_synchronous_and_stay_out_of_the_wizard(
    xl_udfs: ModuleType,
) -> None:
    by_name = {m["name"]: m for m in _metadata(xl_udfs)}
    status = by_name.pop("ECORE_STATUS")
    assert status["volatile"] and status["call_in_wizard"] and status["async_mode"] is None
    for meta in by_name.values():
        assert meta["async_mode"] is None and not meta["volatile"]
        assert meta["call_in_wizard"] is False
    assert "Exit Function" in _vba(xl_udfs).split("Function ECORE_CONTRACTS(")[1].split("\n")[1]


def test_async_mode_is_opt_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECORE_ASYNC_UDFS", "1")
    module = fx._fresh_import(monkeypatch, fx._com_stubs(), (MODULE,))[0]
    modes = {f.__name__: f.__xlfunc__["async_mode"] for f in _functions(module)}
    assert modes.pop("ECORE_STATUS") is None
    assert set(modes.values()) == {"threading"}


def test_a_dataset_from_the_users_catalogue_gets_its_function(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    catalogue = tmp_path / "catalogue.json"
    catalogue.write_text(
        json.dumps(
            {
                "datasets": {
                    "spot-prices": {
                        "path": "/spot-prices",
                        "description": "Day-ahead spot prices",
                        "filters": [
                            {"name": "market", "doc": "bidding zone"},
                            "from:date",
                            "to:date",
                            "type",
                        ],
                        "fields": ["start:timestamp", "price:number"],
                    },
                    "clicks": None,
                }
            }
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("ECORE_CATALOGUE", str(catalogue))
    module = fx._fresh_import(monkeypatch, fx._com_stubs(), (MODULE,))[0]
    import inspect

    f = module.ECORE_SPOT_PRICES
    assert list(inspect.signature(f).parameters) == [
        "market", "from_date", "to_date", "value_type", "option1", "option2", "option3", "option4"
    ]  # fmt: skip
    assert f.__xlfunc__["args"][0]["doc"] == "Bidding zone; empty: any."
    assert f.__doc__.startswith("Day-ahead spot prices")
    assert "Function ECORE_SPOT_PRICES(Optional market, Optional from_date" in _vba(module)
    assert not hasattr(module, "ECORE_CLICKS")


def test_a_broken_user_catalogue_falls_back_to_the_built_in_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    broken = tmp_path / "catalogue.json"
    broken.write_text("{not json", encoding="utf-8")
    monkeypatch.setenv("ECORE_CATALOGUE", str(broken))
    module = fx._fresh_import(monkeypatch, fx._com_stubs(), (MODULE,))[0]
    assert "ECORE_CONTRACTS" in module.udf_names()
    log = Path(os.environ["ECORE_LOG_DIR"]) / "excel-udfs.log"
    assert "catalogue not loaded" in log.read_text(encoding="utf-8")


# ---- what Excel receives -------------------------------------------------------------------


def _check_values(engine: RecordingEngine) -> None:
    assert engine.written, "nothing went through the converter"
    for value in engine.written:
        assert value is None or type(value) in (str, float, bool, dt.datetime), repr(value)
        if isinstance(value, dt.datetime):
            assert value.tzinfo is None


def test_a_table_through_call_udf(
    xl_server: tuple[Any, Any, RecordingEngine], service: DataService
) -> None:
    module, server, engine = xl_server
    day = ("MTR-0002", "2026-10-25", "2026-10-26")
    received = excel_call(server, "ECORE_VOLUMES", *day, OMITTED, OMITTED, "type=forecast")
    assert received == module.ECORE_VOLUMES(*day, option1="type=forecast")
    assert len(received) == 1 + 25  # the autumn DST day has 25 hours
    _check_values(engine)
    local = [row[2] for row in received[1:]]
    assert local[2] == local[3] == dt.datetime(2026, 10, 25, 2, 0)  # 02:00 twice, local time
    assert received[3][1] != received[4][1]  # ... told apart by the UTC column


def test_empty_cells_and_omitted_arguments_mean_the_default(
    xl_server: tuple[Any, Any, RecordingEngine], service: DataService
) -> None:
    module, server, _ = xl_server
    expected = module.ECORE_VOLUMES("MTR-0002", "2026-03-01", "2026-03-02", "hour", "long")
    assert excel_call(server, "ECORE_VOLUMES", "MTR-0002", "2026-03-01", "2026-03-02") == expected
    assert (
        excel_call(server, "ECORE_VOLUMES", "MTR-0002", "2026-03-01", "2026-03-02", "", None)
        == expected
    )


def test_a_number_through_call_udf(
    xl_server: tuple[Any, Any, RecordingEngine], mock_server: MockServer, service: DataService
) -> None:
    _, server, engine = xl_server
    received = excel_call(server, "ECORE_HEDGE_RATIO", "PF-0002", dt.datetime(2026, 10, 1))
    assert isinstance(received, float)
    assert received == pytest.approx(mock_server.portfolio.positions("PF-0002")[9]["hedgeRatio"])
    assert engine.written == [received]


def test_errors_and_no_rows_through_call_udf(
    xl_server: tuple[Any, Any, RecordingEngine], service: DataService
) -> None:
    _, server, engine = xl_server
    error = excel_call(server, "ECORE_VOLUMES", "MTR-0002", "2026-03-02", "2026-03-01")
    assert isinstance(error, str) and error.startswith("#ECORE! ")
    assert excel_call(server, "ECORE_INVOICES", "2030-01-01", "2030-02-01") == (
        "No invoices for these arguments."
    )
    assert excel_call(server, "ECORE_GET", "/contracts", "status=active", "commodity=gas")[1][
        0
    ] == ("CTR-0004")
    _check_values(engine)


def test_a_cell_with_an_excel_error_is_not_taken_as_empty(
    xl_server: tuple[Any, Any, RecordingEngine], mock_server: MockServer, service: DataService
) -> None:
    _, server, _ = xl_server
    na = next(code for code, text in fx.CELL_ERRORS.items() if text == "#N/A")
    text = excel_call(server, "ECORE_CONTRACTS", OMITTED, na)
    assert text == "#ECORE! status is the Excel error #N/A: fix the cell it refers to."
    ids = excel_call(server, "ECORE_VOLUMES", [["MTR-0002"], [na]], "2026-03-01", "2026-03-02")
    assert ids.startswith("#ECORE! meter is the Excel error #N/A")
    assert mock_server.stats.data_requests == 0


def test_status_through_call_udf(
    xl_server: tuple[Any, Any, RecordingEngine], service: DataService
) -> None:
    _, server, engine = xl_server
    rows = excel_call(server, "ECORE_STATUS")
    assert rows[0] == ["item", "value"] and len(rows) > 5
    _check_values(engine)


def test_an_addin_gets_the_same_wrapper_for_the_active_workbook(xl_udfs: ModuleType) -> None:
    import xlwings.udfs

    class Addin:
        Name = "ecore_xl.xlam"

    buffer = io.StringIO()
    xlwings.udfs.generate_vba_wrapper(MODULE, xl_udfs, buffer, Addin())
    assert buffer.getvalue() == _vba(xl_udfs).replace("ThisWorkbook", "ActiveWorkbook")


def test_the_stubs_do_not_outlive_a_test() -> None:
    import ecore_xl.excel.udfs as before

    patch = pytest.MonkeyPatch()
    fresh = fx._fresh_import(patch, fx._com_stubs(), (MODULE,))[0]
    assert fresh is not before and "pythoncom" in sys.modules
    patch.undo()
    assert "pythoncom" not in sys.modules and "xlwings.udfs" not in sys.modules
    assert sys.modules[MODULE] is before
