"""A running ``ecore-xl serve`` backend over the mock, and an HTTP client with its token."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from ecore_xl.mock import MockServer
from ecore_xl.serve.server import BackgroundServer, start_backend
from tests.conftest import service_for

TOKEN = "test-token-" + "x" * 24
API = "/api/v1"


class Client:
    """``requests`` against one backend, with its token (or another one)."""

    def __init__(self, server: BackgroundServer, token: str | None = TOKEN) -> None:
        self.server = server
        self.base = server.url
        self.session = requests.Session()
        if token is not None:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.session.get(self.base + path, timeout=30, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.session.post(self.base + path, json=body, timeout=30, **kw)

    def call(self, name: str, *args: Any, offline: bool | None = None) -> requests.Response:
        return self.post(f"{API}/functions/{name}", {"args": list(args), "offline": offline})


@contextmanager
def running_backend(
    srv: MockServer, *, settings: dict[str, Any] | None = None, **options: Any
) -> Iterator[Client]:
    """A backend with a fresh data service over ``srv`` (``settings``: Settings overrides),
    the mock's counters at zero."""
    srv.reset_stats()
    server = start_backend(service_for(srv, **(settings or {})), token=TOKEN, **options)
    try:
        yield Client(server)
    finally:
        server.stop()


def from_serial(serial: float) -> dt.datetime:
    """An Excel serial number as a naive date-time (to the second)."""
    value = dt.datetime(1899, 12, 30) + dt.timedelta(days=serial)
    return value.replace(microsecond=0) + dt.timedelta(seconds=round(value.microsecond / 1e6))


def _excel_value(value: Any) -> Any:
    """A cell as the Excel JavaScript API reads it (a date is its serial number)."""
    from ecore_xl.serve.tables import excel_serial

    return excel_serial(value) if isinstance(value, dt.date) else value


def snapshot_of(path: Path) -> dict[str, Any]:
    """What the task pane sends for a workbook (``officejs/src/workbook.js``), read with
    openpyxl: sheets, tables and their ranges, workbook names, the eCore sheets' values."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    tables = []
    for ws in wb.worksheets:
        for table in ws.tables.values():
            header = [c.value for c in ws[table.ref][0]]
            tables.append({"name": table.name, "sheet": ws.title, "address": table.ref,
                           "header": header})  # fmt: skip
    cells = {}
    for title in ("eCore", "eCoreLists"):
        if title in wb.sheetnames:
            rows = wb[title].iter_rows(values_only=True)
            values = [[_excel_value(v) for v in r] for r in rows]
            cells[title] = {"origin": "A1", "values": values}
    names = {name: dn.attr_text for name, dn in wb.defined_names.items()}
    return {"sheets": wb.sheetnames, "tables": tables, "names": names, "cells": cells}
