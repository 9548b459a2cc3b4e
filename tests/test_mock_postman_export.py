"""The vendor-style Postman collections of the mock's dialects (tests/fixtures/postman/dialect_*).

They are regenerated from a live mock and compared byte for byte, so they never drift from what
the mock serves; and they are checked for what a vendor's export carries (issue 11 imports them).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ecore_xl.mock import DIALECTS
from ecore_xl.mock.postman_export import PUBLIC_BASE, write_all

FIXTURES = Path(__file__).parent / "fixtures" / "postman"
REGENERATE = "python -m ecore_xl.mock.postman_export tests/fixtures/postman"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("postman")
    return {p.stem.removeprefix("dialect_"): p for p in write_all(out)}


def requests_of(collection: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for folder in collection["item"]:
        for item in folder["item"]:
            yield folder["name"], item


@pytest.mark.parametrize("name", list(DIALECTS))
def test_committed_collections_are_what_the_mock_serves(fresh: dict[str, Path], name: str) -> None:
    committed = FIXTURES / f"dialect_{name}.json"
    assert committed.exists(), f"missing: run {REGENERATE}"
    assert committed.read_bytes() == fresh[name].read_bytes(), f"stale: run {REGENERATE}"


@pytest.mark.parametrize("name", list(DIALECTS))
def test_a_collection_is_written_the_way_a_vendor_publishes_one(name: str) -> None:
    collection = json.loads((FIXTURES / f"dialect_{name}.json").read_text(encoding="utf-8"))
    dialect = DIALECTS[name]
    assert collection["info"]["schema"].endswith("/v2.1.0/collection.json")
    assert collection["auth"]["type"] == "bearer"
    assert {"key": "baseUrl", "value": PUBLIC_BASE, "type": "string"} in collection["variable"]
    folders = [f["name"] for f in collection["item"]]
    assert folders[0] == "Authentication" and len(folders) == 4
    token = collection["item"][0]["item"][0]
    assert token["request"]["method"] == "POST"
    form = {p["key"]: p["value"] for p in token["request"]["body"]["urlencoded"]}
    assert form == {
        "grant_type": "client_credentials",
        "client_id": "{{auth_client_id}}",
        "client_secret": "{{auth_client_secret}}",
        "scope": "{{auth_scope}}",
    }
    assert "access_token" in "".join(token["event"][0]["script"]["exec"])
    gets = [(f, i) for f, i in requests_of(collection) if i["request"]["method"] == "GET"]
    assert len(gets) == len(dialect.routes)
    paging = {p for p in (dialect.paging.size, dialect.paging.position) if p}
    for _, item in gets:
        request = item["request"]
        url = request["url"]
        assert url["host"] == ["{{baseUrl}}"] and url["raw"].startswith("{{baseUrl}}/")
        assert any(h["value"] == "{{subscription_key}}" for h in request["header"])
        for var in url.get("variable", []):
            assert var["description"] and var["value"], var
            assert f":{var['key']}" in url["path"]
        query = url.get("query", [])
        assert all(q["description"] for q in query)
        single = "variable" in url and not query
        if not single:
            assert paging <= {q["key"] for q in query}, item["name"]
        (example,) = item["response"]
        assert example["code"] == 200 and example["originalRequest"]["url"] == url
        body = json.loads(example["body"])
        records = _records(dialect.envelope, body, single)
        assert 1 <= len(records) <= 2 and all(isinstance(r, dict) for r in records)
        assert "127.0.0.1" not in example["body"]


def _records(envelope: str, body: Any, single: bool) -> list[Any]:
    if single:
        return [body["data"] if envelope == "data.items" else body]
    if envelope == "bare":
        return list(body)
    if envelope == "data.items":
        assert set(body) == {"data", "meta"}
        return list(body["data"]["items"])
    return list(body["value"])


def test_allowed_values_and_the_dialects_names_are_in_the_descriptions() -> None:
    described = {}
    for name in DIALECTS:
        collection = json.loads((FIXTURES / f"dialect_{name}.json").read_text(encoding="utf-8"))
        for _, item in requests_of(collection):
            for q in item["request"]["url"].get("query", []):
                described[(name, item["name"], q["key"])] = q["description"]
    assert (
        "One of PT15M, PT1H, P1D, P1M."
        in described[("paged", "Get the time series of a meter", "resolution")]
    )
    assert (
        "Gas meters: P1D, P1M only."
        in described[("paged", "Get the time series of a meter", "resolution")]
    )
    assert "up to and including" in described[("paged", "Get invoices", "dateTo")]
    assert "epoch seconds" in described[("bare", "Get volumes", "start")]
    assert described[("bare", "Get volumes", "meter_id")] == (
        "The meter; meter_id or contract_id is required."
    )
    assert "One of 15min, hourly, daily, monthly." in described[("bare", "Get volumes", "interval")]
    assert "at most 500" in described[("paged", "Get meters", "pageSize")]
    assert "X-Total-Count" in described[("bare", "Get meters", "offset")]


def test_the_module_runs_as_a_script(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ecore_xl.mock.postman_export", str(tmp_path), "bare"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "dialect_bare.json").read_bytes() == (
        FIXTURES / "dialect_bare.json"
    ).read_bytes()
    wrong = subprocess.run(
        [sys.executable, "-m", "ecore_xl.mock.postman_export", str(tmp_path), "soap"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert wrong.returncode == 2 and "unknown dialect 'soap'" in wrong.stderr
