"""The Office.js functions' metadata: generated from the catalogue, checked against a golden file,
the same names, arguments and help as the xlwings functions; a dataset a user's catalogue file
adds gets its function, served live by the backend, with no code change.

    UPDATE_GOLDEN=1 python -m pytest tests/test_officejs_functions_json.py   # accept a change
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ecore_xl.catalogue import builtin_catalogue
from ecore_xl.mock import MockServer
from ecore_xl.serve.functions_json import functions_json
from tests.serve_fixtures import API, running_backend

GOLDEN = Path(__file__).parent / "golden"


def test_the_metadata_matches_the_golden_file() -> None:
    text = json.dumps(functions_json(builtin_catalogue()), indent=2, ensure_ascii=False) + "\n"
    path = GOLDEN / "officejs_functions.json"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), "changed: review, then UPDATE_GOLDEN=1"


def test_the_functions_are_the_xlwings_ones_in_the_ecore_namespace() -> None:
    xlwings = json.loads((GOLDEN / "udfs_functions.json").read_text(encoding="utf-8"))
    office = {f["id"]: f for f in functions_json(builtin_catalogue())["functions"]}
    assert sorted(office) == sorted(f["name"].removeprefix("ECORE_") for f in xlwings)
    for xl in xlwings:
        fn = office[xl["name"].removeprefix("ECORE_")]
        assert fn["name"] == fn["id"] and fn["description"] == xl["doc"]
        assert [p["name"] for p in fn["parameters"]] == [a["name"] for a in xl["args"]]
        assert [p["description"] for p in fn["parameters"]] == [a["doc"] for a in xl["args"]]
        assert all(p["dimensionality"] == "matrix" for p in fn["parameters"])
    volumes = office["VOLUMES"]
    assert [p["name"] for p in volumes["parameters"]][:5] == [
        "meter", "from_date", "to_date", "granularity", "layout"
    ]  # fmt: skip
    assert volumes["result"]["dimensionality"] == "matrix" and volumes["options"]["cancelable"]
    assert office["STATUS"]["options"] == {"stream": True}
    assert office["HEDGE_RATIO"]["result"] == {"type": "number", "dimensionality": "scalar"}
    get = office["GET"]["parameters"]
    assert get[0]["optional"] is False and get[1]["repeating"] is True


def test_a_dataset_a_users_catalogue_adds_gets_a_function(
    srv: MockServer, ecore_home: Path
) -> None:
    override = ecore_home / "spot.json"
    override.parent.mkdir(parents=True, exist_ok=True)
    override.write_text(json.dumps({"datasets": {
        "active-contracts": {"path": "/contracts", "description": "Contracts, as a user sees them",
                             "fields": ["id", "name", "status"],
                             "filters": [{"name": "status", "type": "text"}]},
    }}), encoding="utf-8")  # fmt: skip
    os.environ["ECORE_CATALOGUE"] = str(override)
    with running_backend(srv) as api:
        served = api.get("/addin/functions.json").json()
        fn = next(f for f in served["functions"] if f["id"] == "ACTIVE_CONTRACTS")
        assert [p["name"] for p in fn["parameters"]] == ["status", *[f"option{i}" for i in
                                                                    range(1, 5)]]  # fmt: skip
        assert fn["description"].startswith("Contracts, as a user sees them: a table")
        body = api.call("ACTIVE_CONTRACTS", "active").json()
        assert body["header"][:3] == ["id", "name", "status"]
        assert {r[2] for r in body["rows"]} == {"active"}
        listed = api.get(f"{API}/catalogue").json()["datasets"]
        assert "active-contracts" in [d["name"] for d in listed]
