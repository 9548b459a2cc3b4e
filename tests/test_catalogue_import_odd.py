"""``ecore-xl catalogue import`` never raises a traceback, whatever the collection holds.

Odd collections by hand (empty folders, missing and non-JSON examples, v2.0 string URLs, the
published documentation wrapper (E&C's own, byte for byte, and a trimmed copy), wrong types where
objects belong) through the real command, and a bounded fuzz: 150 seeded mutations of a vendor-style
export (a node replaced by another JSON type, removed, or emptied), each of which must import or
fail with one CatalogueError line.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ecore_xl.catalogue import builtin_catalogue
from ecore_xl.catalogue.postman import to_overrides
from ecore_xl.cli import cli
from ecore_xl.errors import CatalogueError

FIXTURES = Path(__file__).parent / "fixtures" / "postman"
GET = {"method": "GET", "url": "{{baseUrl}}/meters"}


def _run(tmp_path: Path, data: Any, *extra: str) -> Any:
    file = tmp_path / "collection.json"
    file.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return CliRunner().invoke(
        cli, ["catalogue", "import", str(file), "--out", str(tmp_path / "c.json"), *extra]
    )


ODD: dict[str, Any] = {
    "empty folders": {"info": {"name": "x"}, "item": [
        {"name": "A", "item": []}, {"name": "B", "item": [{"name": "C", "item": []}]}]},
    "no examples": {"info": {}, "item": [{"name": "m", "request": GET}]},
    "non-JSON example": {"info": {}, "item": [{"name": "m", "request": GET, "response": [
        {"code": 200, "body": "<html>proxy says no</html>"}]}]},
    "example of scalars": {"info": {}, "item": [{"name": "m", "request": GET, "response": [
        {"code": 200, "body": "[1, 2, 3]"}, {"code": 200, "body": "42"}, {"body": None}]}]},
    "error example only": {"info": {}, "item": [{"name": "m", "request": GET, "response": [
        {"code": 500, "body": '{"statusCode": 500}'}]}]},
    "v2.0 string request": {"info": {"schema": "v2.0.0"}, "item": [
        {"name": "m", "request": "https://api.eecc.energy/v1/meters?commodity=gas"}]},
    "wrong types everywhere": {"info": "nope", "variable": "x", "item": [
        {"name": 5, "request": {"method": None, "url": {"path": 7, "host": 3, "query": "a=b",
                                                        "variable": [1, None]}}},
        {"name": "q", "request": {"url": {"raw": "{{u}}/x", "query": [1, {"key": None}],
                                          "path": [{"value": "x"}, None]},
                                  "description": ["a"]}, "response": "nope"},
        {"name": "r", "request": {"url": None}},
        "not an item",
    ]},
    "item is an object": {"info": {}, "item": {"name": "m", "request": GET}},
    "headers as an object": {"info": {}, "item": [{"name": "m", "request": GET, "response": [
        {"code": "200", "header": {"a": "b"}, "body": '{"value": [{"id": "M-1"}]}'}]}]},
}  # fmt: skip


@pytest.mark.parametrize("name", list(ODD))
def test_odd_collections_end_in_a_result_or_one_line(tmp_path: Path, name: str) -> None:
    result = _run(tmp_path, ODD[name], "--dry-run")
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1, result.output


#: E&C's published documentation page's data, byte for byte as docs.eecc.energy serves it
#: (docs_published.json), a trimmed copy, and the same with an empty ``item`` list
WRAPPERS = ("docs_published.json", "docs_wrapper.json", "docs_wrapper.json+item")


@pytest.mark.parametrize("name", WRAPPERS)
@pytest.mark.parametrize("extra", [(), ("--dry-run",)], ids=["write", "dry-run"])
def test_the_documentation_wrapper_says_how_to_export(
    tmp_path: Path, name: str, extra: tuple[str, ...]
) -> None:
    data: Any = (FIXTURES / name.removesuffix("+item")).read_text(encoding="utf-8")
    if name.endswith("+item"):
        data = json.loads(data)
        data["collection"]["item"] = []
    result = _run(tmp_path, data, *extra)
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
    (line,) = result.output.splitlines()
    assert line.startswith("Error: Postman export ") and "has no requests" in line
    assert "published documentation page" in line and "Export > Collection v2.1" in line
    assert not (tmp_path / "c.json").exists()


@pytest.mark.parametrize("name", ["empty folders", "item is an object"])
def test_a_collection_without_requests_is_not_called_the_documentation_page(
    tmp_path: Path, name: str
) -> None:
    result = _run(tmp_path, ODD[name])
    assert result.exit_code == 2, result.output
    (line,) = result.output.splitlines()
    assert "has no request with a URL: its folders hold none" in line
    assert "documentation page" not in line and "Export > Collection v2.1" in line


def test_an_example_that_is_not_json_is_said_not_guessed(tmp_path: Path) -> None:
    result = _run(tmp_path, ODD["non-JSON example"], "--dry-run")
    assert result.exit_code == 0, result.output
    assert "example skipped (not JSON)" in result.output
    assert "not placed" in result.output


def _mutations(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _mutations(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _mutations(v, (*path, i))
    return out


def _mutate(data: Any, where: tuple[Any, ...], rng: random.Random) -> Any:
    data = copy.deepcopy(data)
    if not where:
        return rng.choice([[], {}, None, "x"])
    parent = data
    for key in where[:-1]:
        parent = parent[key]
    last = where[-1]
    choice = rng.randrange(5)
    if choice == 0 and isinstance(parent, dict):
        del parent[last]
    elif choice == 0:
        parent.pop(last)
    else:
        parent[last] = [None, 7, "{{x}}", {"k": []}][choice - 1]
    return data


def test_150_mutations_of_a_vendor_export_never_raise_anything_else() -> None:
    original = json.loads((FIXTURES / "dialect_paged.json").read_text(encoding="utf-8"))
    places = _mutations(original)
    rng = random.Random(11)
    base = builtin_catalogue()
    outcomes = {"imported": 0, "refused": 0}
    for _ in range(150):
        where = rng.choice(places)
        mutated = _mutate(original, where, rng)
        try:
            to_overrides(mutated, base=base, source="fuzz")
        except CatalogueError:
            outcomes["refused"] += 1
        else:
            outcomes["imported"] += 1
    assert outcomes["imported"] > 120  # most mutations touch one leaf: the rest still imports
