"""Helpers for the mock server's own tests: plain ``requests`` calls, no ecore_xl.api."""

from __future__ import annotations

import datetime as dt
from typing import Any

import requests

from ecore_xl.mock import MockServer

AS_OF = dt.date(2026, 11, 15)


def token_form(srv: MockServer, **override: str) -> dict[str, str]:
    form = {
        "grant_type": "client_credentials",
        "client_id": srv.client_id,
        "client_secret": srv.client_secret,
        "scope": srv.scope,
    }
    form.update(override)
    return form


def get_token(srv: MockServer, session: requests.Session | None = None) -> str:
    r = (session or requests).post(srv.token_url, data=token_form(srv), timeout=10)
    r.raise_for_status()
    return str(r.json()["access_token"])


def auth_headers(
    srv: MockServer, token: str | None = None, key: str | None = None
) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token or get_token(srv)}",
        "Ocp-Apim-Subscription-Key": key or srv.primary_key,
    }


def next_link(resp: requests.Response) -> str | None:
    """The next-page link in any of the three paging styles."""
    body = resp.json()
    if "nextLink" in body:
        return str(body["nextLink"])
    if "@odata.nextLink" in body:
        return str(body["@odata.nextLink"])
    link = resp.links.get("next")
    return link["url"] if link else None


def get_all(
    srv: MockServer,
    session: requests.Session,
    headers: dict[str, str],
    path: str,
    params: dict[str, Any] | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Every record of a collection, following next links; returns (records, pages)."""
    url: str | None = srv.base_url + path
    records: list[dict[str, Any]] = []
    pages = 0
    seen: set[str] = set()
    first = True
    while url is not None:
        r = session.get(url, headers=headers, params=params if first else None, timeout=30)
        first = False
        assert r.status_code == 200, r.text
        records.extend(r.json()["value"])
        pages += 1
        url = next_link(r)
        if url is not None:
            assert url not in seen, "repeated next link"
            seen.add(url)
    return records, pages
