"""Helpers for the data-layer tests: a small mock and services pointed at it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ecore_xl.config import Settings
from ecore_xl.data import DataService
from ecore_xl.mock import MockServer

AS_OF = dt.date(2026, 11, 15)  # actuals exist up to here: both 2026 DST days are covered
MOCK_KW: dict[str, Any] = {"seed": 42, "meters": 3, "years": (2025, 2026), "as_of": AS_OF}


def settings_for(srv: MockServer, **overrides: Any) -> Settings:
    return Settings.load(use_file=False, use_keyring=False, environ=srv.env(), **overrides)


def service_for(srv: MockServer, **overrides: Any) -> DataService:
    return DataService(settings_for(srv, **overrides))


def meter_ids(srv: MockServer) -> list[str]:
    return [m["id"] for m in srv.portfolio.meters]


def requests_made(srv: MockServer) -> int:
    """Data and token requests that reached the mock since the last reset."""
    return srv.stats.data_requests + srv.stats.token_requests


def month(year: int, m: int) -> dict[str, str]:
    nxt = (year + 1, 1) if m == 12 else (year, m + 1)
    return {"from": f"{year}-{m:02d}-01", "to": f"{nxt[0]}-{nxt[1]:02d}-01"}


def start_mock(**kw: Any) -> MockServer:
    return MockServer(**{**MOCK_KW, **kw}).start()
