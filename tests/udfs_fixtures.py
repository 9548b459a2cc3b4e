"""Fixtures of the Excel-function tests: the mock API, and xlwings' Windows UDF path on Linux.

What ``xlwings.udfs`` needs on Linux (found by importing it): ``pythoncom`` (its module-level
``ThreadPoolExecutor(initializer=pythoncom.CoInitialize)``), ``pywintypes`` and
``win32com.client.Dispatch``. Nothing of them is called until a function runs asynchronously or
touches its caller cell. Running the real ``XLPython.CallUDF`` -> ``call_udf`` path as well needs
``xlwings.com_server``'s imports (``win32api``, ``win32event``, ``win32com.server.*``,
``pythoncom.TypeIIDs``), a stand-in for ``xlwings._xlwindows`` (the caller ``Range`` and
``is_range_instance``; the real one loads Windows DLLs) and an ``excel`` engine, whose
``prepare_xl_data_element`` is the one step of the return pipeline that is Windows code.
"""

from __future__ import annotations

import datetime as dt
import importlib
import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest

from ecore_xl.data import DataService, set_service
from ecore_xl.mock import MockServer
from tests.conftest import service_for

AS_OF = dt.date(2026, 6, 1)
#: how pywin32 hands Excel's error values to Python (the codes xlwings' Windows engine maps)
CELL_ERRORS = {-2146826281: "#DIV/0!", -2146826246: "#N/A", -2146826259: "#NAME?",
               -2146826288: "#NULL!", -2146826252: "#NUM!", -2146826265: "#REF!",
               -2146826273: "#VALUE!"}  # fmt: skip
COM_MODULES = ("pythoncom", "pywintypes", "win32com", "win32com.client")


@pytest.fixture(autouse=True)
def udf_log_closed() -> Iterator[None]:
    """Each test's UDF log file is closed and the ``ecore_xl`` logger's level put back after it
    (import this fixture into a test module to make it apply there)."""
    from ecore_xl.excel.logsetup import close_logging

    yield
    close_logging()


@pytest.fixture(scope="module")
def mock_server() -> Iterator[MockServer]:
    """A small mock API (4 meters, 2025-2026, actuals until 2026-06-01) for one test module."""
    with MockServer(seed=42, meters=4, years=(2025, 2026), as_of=AS_OF) as srv:
        yield srv


@pytest.fixture
def service(mock_server: MockServer) -> Iterator[DataService]:
    """A fresh process-wide data service (empty cache) pointed at the mock; counters at zero."""
    svc = service_for(mock_server)
    set_service(svc)
    mock_server.reset_stats()
    yield svc  # tests/conftest.py resets the process-wide service afterwards


def _module(name: str, **attrs: Any) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    return module


def _com_stubs() -> dict[str, types.ModuleType]:
    """Empty stand-ins for the pywin32 modules xlwings.udfs imports (never called here)."""

    def unusable(*_: Any, **__: Any) -> Any:
        raise RuntimeError("COM is not available in this test")

    client = _module("win32com.client", Dispatch=unusable)
    return {
        "pythoncom": _module("pythoncom", CoInitialize=lambda: None),
        "pywintypes": _module("pywintypes", com_error=OSError),
        "win32com": _module("win32com", client=client),
        "win32com.client": client,
    }


def _server_stubs() -> dict[str, types.ModuleType]:
    """The extra modules xlwings.com_server imports, for the real CallUDF path."""

    class PyIDispatch:  # what com_server compares argument types against
        pass

    def unwrap(obj: Any) -> Any:
        raise ValueError("not a wrapped Python object")  # FromVariant falls back to the value

    util = _module("win32com.server.util", unwrap=unwrap, wrap=lambda obj, **_: obj)
    dispatcher = _module("win32com.server.dispatcher")
    policy = _module("win32com.server.policy")
    server = _module("win32com.server", util=util, dispatcher=dispatcher, policy=policy)
    stubs = _com_stubs()
    stubs["pythoncom"].__dict__.update(
        IID_IDispatch="IID_IDispatch", TypeIIDs={"IID_IDispatch": PyIDispatch}
    )
    stubs["win32com"].server = server  # type: ignore[attr-defined]
    stubs.update(
        {
            "win32api": _module("win32api"),
            "win32event": _module("win32event"),
            "win32com.server": server,
            "win32com.server.util": util,
            "win32com.server.dispatcher": dispatcher,
            "win32com.server.policy": policy,
        }
    )
    return stubs


class RecordingEngine:
    """The ``excel`` engine's value hooks: records what xlwings hands over, changes nothing.

    On Windows, ``prepare_xl_data_element`` turns None into "" and a datetime into a COM date
    with the same wall-clock time; here it only records, so tests can check the values.
    """

    name = "excel"
    type = "desktop"

    def __init__(self) -> None:
        self.written: list[Any] = []

    def prepare_xl_data_element(self, x: Any, options: Any) -> Any:
        self.written.append(x)
        return x

    @staticmethod
    def clean_value_data(data: Any, dates: Any, empty_as: Any, numbers: Any, err: Any) -> Any:
        """Empty cells become ``empty_as``; error codes their text when ``err_to_str`` is set."""

        def clean(c: Any) -> Any:
            if c in ("", None):
                return empty_as
            if isinstance(c, int) and c in CELL_ERRORS:
                return CELL_ERRORS[c] if err else None
            return c

        return [[clean(c) for c in row] for row in data]


class _FakeCallerRange:
    def __init__(self, xl: Any = None) -> None:
        self.xl = xl


def _fresh_import(
    monkeypatch: pytest.MonkeyPatch, stubs: dict[str, types.ModuleType], names: tuple[str, ...]
) -> list[types.ModuleType]:
    """Import ``names`` anew with ``stubs`` in place; everything is put back afterwards."""
    import xlwings

    import ecore_xl.excel

    for name, module in stubs.items():
        monkeypatch.setitem(sys.modules, name, module)
    for name in ("xlwings.udfs", "xlwings.com_server", "ecore_xl.excel.udfs"):
        if name in sys.modules:
            monkeypatch.setitem(sys.modules, name, sys.modules[name])  # restored afterwards
            del sys.modules[name]
        else:
            monkeypatch.setitem(sys.modules, name, None)  # placeholder: removed afterwards
            del sys.modules[name]
    for package, attr in ((xlwings, "udfs"), (xlwings, "com_server"), (ecore_xl.excel, "udfs")):
        monkeypatch.setattr(package, attr, getattr(package, attr, None), raising=False)
    return [importlib.import_module(n) for n in names]


@pytest.fixture
def xl_udfs(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """``ecore_xl.excel.udfs`` imported with the real xlwings desktop decorators."""
    (module,) = _fresh_import(monkeypatch, _com_stubs(), ("ecore_xl.excel.udfs",))
    return module


@pytest.fixture
def xl_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any, RecordingEngine]]:
    """``(udfs module, xlwings.com_server.XLPython(), engine)``: call functions as Excel does."""
    import xlwings
    from xlwings.main import Engine

    engine = RecordingEngine()
    had_excel = "excel" in xlwings.engines.engines_by_name
    if not had_excel:
        xlwings.engines.add(Engine(impl=engine))
    fake_windows = _module(
        "xlwings._xlwindows", Range=_FakeCallerRange, is_range_instance=lambda _: False
    )
    monkeypatch.setattr(xlwings, "_xlwindows", fake_windows, raising=False)
    module, com_server = _fresh_import(
        monkeypatch, _server_stubs(), ("ecore_xl.excel.udfs", "xlwings.com_server")
    )
    try:
        yield module, com_server.XLPython(), engine
    finally:
        com_server.loop.close()  # created at import; never started here
        if not had_excel:
            xlwings.engines.engines.remove(xlwings.engines.engines_by_name.pop("excel"))


def excel_call(server: Any, name: str, *args: Any) -> Any:
    """What Excel receives for ``=name(args)``: the real ``XLPython.CallUDF`` of xlwings.

    An omitted argument reaches Python as VBA's "missing" marker, as Excel sends it.
    """
    missing = -2147352572
    values = [missing if a is OMITTED else a for a in args]
    return server.CallUDF("ecore_xl.excel.udfs", name, values, None, None)


class _Omitted:
    def __repr__(self) -> str:
        return "OMITTED"


#: an argument left out in the formula, e.g. the second one in ``=ECORE_VOLUMES("M", , ...)``
OMITTED = _Omitted()


def local_naive(iso_z: str, tz: str = "Europe/Berlin") -> dt.datetime:
    """A UTC ``...Z`` timestamp as the naive local datetime Excel should show."""
    from zoneinfo import ZoneInfo

    when = dt.datetime.fromisoformat(iso_z.replace("Z", "+00:00"))
    return when.astimezone(ZoneInfo(tz)).replace(tzinfo=None)


def utc_naive(iso_z: str) -> dt.datetime:
    """A UTC ``...Z`` timestamp as a naive UTC datetime."""
    return dt.datetime.fromisoformat(iso_z.replace("Z", "+00:00")).replace(tzinfo=None)


def epoch(day: dt.date, tz: str = "Europe/Berlin") -> int:
    """Local midnight of ``day`` as epoch seconds (how the mock portfolio counts time)."""
    from zoneinfo import ZoneInfo

    return int(dt.datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(tz)).timestamp())


def excel_serial(day: dt.date) -> float:
    """``day`` as an Excel serial number (1900 date system)."""
    return float((day - dt.date(1899, 12, 30)).days)
