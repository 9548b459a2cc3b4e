"""The hostile-data round through the Office.js path: the backend (``ecore-xl serve``) over the
hostile proxy of :mod:`tests.hostile_fixtures`, called over HTTP as the add-in calls it.

- ``POST /api/v1/tables/{dataset}`` (*Insert table*) for every dataset and the refresh job's
  operations (*Refresh all*): what ``officejs/src/workbook.js`` hands to ``Range.values`` — the
  header row, the rows, the notes, ``writeCells`` and ``writeColumn`` — must hold no text the
  Excel JavaScript API would *enter* as a formula (:func:`ecore_xl.escaping.formula_like`, the
  project's one rule) or turn into a number or a date; every number a finite number, and a
  column the catalogue declares numeric holds numbers (or, beyond 2^53, its digits as text);
- every ``=ECORE.*`` function: a table of plain JSON values (a function's answer is a value
  Excel never parses, so its texts arrive as the API sent them), a number as a JSON number, or a
  one-line error with its Excel error — never an internal error.

Used by ``tests/test_evidence_hostile.py``.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterable, Mapping
from typing import Any

import requests

from ecore_xl.escaping import formula_like
from tests.hostile_fixtures import FORMULA_MARKERS, Outcome

#: a bare text the Excel JavaScript API would turn into a number, a date, a time, a percentage
#: or a boolean when it is written to ``Range.values`` ("0042", "1/2", "1,5", "TRUE", "50%")
_CONVERTED = re.compile(r"^\s*[-+]?[\d.,/:]+\s*%?\s*$|^\s*(true|false)\s*$", re.I)
#: a number kept as text: the digits of an integer beyond 2^53, or any number of that column
_BEYOND_2_53 = re.compile(r"'-?\d{16,}")
_NUMBER_TEXT = re.compile(r"'-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_NUMERIC_TYPES = {"number", "integer", "date", "timestamp"}


def cell_problem(value: Any) -> str | None:
    """Why Excel would not keep ``value`` as the value sent, written to ``Range.values`` (None:
    it would)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return None if math.isfinite(value) else f"not a finite number: {value!r}"
    if not isinstance(value, str):
        return f"not a cell value: {type(value).__name__}"
    if formula_like(value):
        return f"would be entered as a formula: {value[:40]!r}"
    if _CONVERTED.match(value):
        return f"would become a number: {value[:40]!r}"
    return None


def _cells(op: Mapping[str, Any]) -> Iterable[tuple[str, Any]]:
    """``(where, value)`` of every cell an operation writes as a value."""
    kind = op["op"]
    if kind == "writeTable":
        for j, cell in enumerate(op["headerCells"]):
            yield f"{op['table']} header {j}", cell
        for i, row in enumerate(op["rows"]):
            for j, cell in enumerate(row):
                yield f"{op['table']} row {i} col {j}", cell
        for i, line in enumerate(op["note"]):
            yield f"{op['table']} note {i}", line
    elif kind == "writeCells":
        for ref, cell in op["values"].items():
            yield f"{op['sheet']}!{ref}", cell
    elif kind == "writeColumn":
        for i, cell in enumerate(op["values"]):
            yield f"{op['sheet']}!{op['anchor']}+{i}", cell


def op_problems(ops: list[Mapping[str, Any]], numeric: Mapping[str, set[str]]) -> list[str]:
    """What in the operations Excel would not keep as sent (see the module doc); ``numeric``:
    table name -> its columns the catalogue declares numeric."""
    bad: list[str] = []
    for op in ops:
        for where, value in _cells(op):
            why = cell_problem(value)
            if why:
                bad.append(f"{where}: {why}")
        if op["op"] in ("defineName", "listValidation"):  # formulas by design: none of the API's
            code = str(op.get("refersTo") or op.get("source") or "")
            if any(marker in code for marker in FORMULA_MARKERS):
                bad.append(f"{op['op']}: API text in a formula: {code[:60]!r}")
        if op["op"] == "writeTable":
            names = numeric.get(op["table"].rstrip("0123456789"), set())
            for j, name in enumerate(op["header"]):
                if name in names:
                    bad += _numeric_column(op["table"], name, [row[j] for row in op["rows"]])
    return bad


def _numeric_column(table: str, name: str, values: list[Any]) -> list[str]:
    """A numeric column holds numbers; or, when it holds an integer beyond 2^53 (which the data
    layer keeps as text, warning, with the rest of its column), numbers as text — never other
    text."""
    texts = [v for v in values if isinstance(v, str)]
    others = [v for v in values if not (v is None or isinstance(v, int | float | str))]
    if others:
        return [f"{table}.{name}: not a number: {others[0]!r:.40}"]
    if not texts:
        return []
    beyond = any(_BEYOND_2_53.fullmatch(t) for t in texts)
    junk = [t for t in texts if not _NUMBER_TEXT.fullmatch(t)]
    if beyond and not junk:
        return []
    return [f"{table}.{name}: a number arrived as text {(junk or texts)[0]!r:.40}"]


def numeric_columns() -> dict[str, set[str]]:
    """Table name -> the columns its dataset declares as numbers, dates or timestamps."""
    from ecore_xl.catalogue import builtin_catalogue

    return {
        ds.table: {f.name for f in ds.fields if f.type in _NUMERIC_TYPES}
        for ds in builtin_catalogue()
    }


def _refusal(out: Outcome, label: str, reply: requests.Response | Mapping[str, Any]) -> None:
    """An error answer: one line, a stable code, an Excel error; never an internal error."""
    error = reply.get("error") if isinstance(reply, Mapping) else _json(reply).get("error")
    out.tried += 1
    out.refused += 1
    if not isinstance(error, Mapping):
        out.problems.append(f"{label}: not an error body: {reply!r:.200}")
        return
    message = str(error.get("message") or "")
    if (
        error.get("code") in (None, "InternalError")
        or "\n" in message
        or "Traceback" in message
        or error.get("excel") not in ("#VALUE!", "#N/A")
    ):
        out.problems.append(f"{label}: not a one-line refusal: {dict(error)!r:.300}")


def _json(reply: requests.Response) -> dict[str, Any]:
    try:
        body = reply.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _ops(out: Outcome, label: str, ops: list[Mapping[str, Any]], numeric: Any) -> None:
    found = op_problems(ops, numeric)
    if found:
        out.lose(label, found)
    elif not any(op["op"] == "writeTable" for op in ops):
        out.lose(label, ["no table written"])
    else:
        out.ok()


def _filters(dataset: str, ids: Mapping[str, list[str]], start: str, end: str) -> dict[str, Any]:
    from ecore_xl.data.filters import join_ids

    if dataset == "volumes":
        return {"meterId": join_ids(ids["meters"]), "from": start, "to": end, "granularity": "day"}
    if dataset == "positions":
        return {"portfolioId": join_ids(ids["portfolios"])}
    return {}


def run_backend_outputs(
    client: Any,
    ids: Mapping[str, list[str]],
    snapshot: Mapping[str, Any],
    *,
    start: str,
    end: str,
) -> Outcome:
    """Insert table for every dataset, Refresh all over ``snapshot`` and every function, through
    the backend ``client`` (:class:`tests.serve_fixtures.Client`) talks to."""
    from ecore_xl.catalogue import builtin_catalogue

    out = Outcome()
    numeric = numeric_columns()
    names = builtin_catalogue().names()
    for name in names:
        body = {"filters": _filters(name, ids, start, end), "sheet": "Sheet1", "anchor": "B2"}
        reply = client.post(f"/api/v1/tables/{name}", body)
        label = f"POST /tables/{name}"
        if reply.status_code == 200:
            _ops(out, label, reply.json()["ops"], numeric)
        else:
            _refusal(out, label, reply)
    job = client.post(
        "/api/v1/jobs/refresh", {"workbook": snapshot, "scope": "datasets", "datasets": names}
    ).json()
    deadline = time.monotonic() + 180
    while job.get("state") == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
        job = client.get(f"/api/v1/jobs/{job['id']}").json()
    if job.get("state") == "done":
        _ops(out, "refresh job", job["result"]["ops"], numeric)
    elif job.get("state") == "failed":
        _refusal(out, "refresh job", job)
    else:
        out.lose("refresh job", [f"did not finish: {job!r:.200}"])
    out.add(run_backend_functions(client, ids, start, end))
    return out


def run_backend_functions(
    client: Any, ids: Mapping[str, list[str]], start: str, end: str
) -> Outcome:
    """Every ``=ECORE.*`` function of the backend's metadata, as the add-in calls it."""
    out = Outcome()
    meter = ids["meters"][:1] or ["M-1"]
    portfolio = ids["portfolios"][:1] or ["P-1"]
    calls: list[tuple[str, list[Any]]] = [
        ("VOLUMES", [[meter], start, end, "day"]),
        ("POSITIONS", [portfolio[0]]),
        ("VOLUME_TOTAL", ["meter:" + meter[0], start, end]),
        ("HEDGE_RATIO", [portfolio[0], start[:7]]),
        ("OPEN_POSITION", [portfolio[0], start[:7]]),
        ("GET", ["/contracts"]),
        ("GET", ["/contracts", [["status=active"]]]),
    ]
    metadata = client.get("/api/v1/functions").json()["functions"]
    streamed = {f["id"] for f in metadata if (f.get("options") or {}).get("stream")}
    calls += [(f["id"], []) for f in metadata if f["id"] not in {c for c, _ in calls} | streamed]
    for name, args in calls:
        label = f"ECORE.{name}{args!r:.60}"
        reply = client.post(f"/api/v1/functions/{name}", {"args": args, "offline": None})
        if reply.status_code != 200:
            _refusal(out, label, reply)
            continue
        answer = reply.json()
        if answer.get("kind") == "number":
            value = answer.get("value")
            good = value is None or (isinstance(value, int | float) and not isinstance(value, bool))
            out.ok() if good else out.lose(label, [f"a number arrived as {value!r:.40}"])
            continue
        bad = [repr(v)[:40] for row in answer.get("rows") or [] for v in row
               if not (v is None or isinstance(v, str | bool | int | float))]  # fmt: skip
        bad += [f"{h!r:.40} is not a header text" for h in answer.get("header") or []
                if not isinstance(h, str)]  # fmt: skip
        out.lose(label, bad) if bad or answer.get("kind") != "table" else out.ok()
    status = client.get("/api/v1/status")
    if status.status_code == 200 and all(isinstance(r, list) for r in status.json()["rows"]):
        out.ok()
    else:
        out.lose("ECORE.STATUS", [status.text[:200]])
    return out
