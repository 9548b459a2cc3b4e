"""Helpers for the data-layer tests (the mock and services are in ``conftest.py``)."""

from __future__ import annotations

from ecore_xl.mock import MockServer


def meter_ids(srv: MockServer) -> list[str]:
    return [m["id"] for m in srv.portfolio.meters]


def requests_made(srv: MockServer) -> int:
    """Data and token requests that reached the mock since the last reset."""
    return srv.stats.data_requests + srv.stats.token_requests


def month(year: int, m: int) -> dict[str, str]:
    nxt = (year + 1, 1) if m == 12 else (year, m + 1)
    return {"from": f"{year}-{m:02d}-01", "to": f"{nxt[0]}-{nxt[1]:02d}-01"}
