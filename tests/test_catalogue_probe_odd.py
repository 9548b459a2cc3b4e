"""``ecore-xl catalogue probe`` against an API that answers oddly never raises a traceback: it
ends with its table (odd answers named) or one error line, within its request budget."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Mapping

import pytest
from click.testing import CliRunner

from ecore_xl.cli import cli
from ecore_xl.data import reset_service
from ecore_xl.data.probe import BUDGET
from tests.api_fixtures import TOKEN_PATH, Reply, Stub, json_reply, token_reply

ODD: list[Reply] = [
    (200, {"Content-Type": "text/html"}, b"<html>a proxy's login page</html>"),
    json_reply(200, [1, 2, 3]),
    json_reply(200, {"value": "not a list"}),
    json_reply(200, {}),
    json_reply(200, None),
    json_reply(200, {"value": [{"id": None, "start": "yesterday", "value": "n/a"}]}),
    json_reply(200, {"data": {"items": [{"a": {"b": {"c": {"d": [1]}}}}]}, "meta": {"page": "x"}}),
    json_reply(200, {"value": [{"id": "A"}, {"id": "B"}], "nextLink": "https://elsewhere/x"}),
    json_reply(400, {"error": {"code": "InvalidParameter", "message": "no"}}),
    json_reply(400, {"statusCode": 400, "message": "'meter_id' is required."}),
    json_reply(404, {"statusCode": 404, "message": "Resource not found"}),
    json_reply(404, {"error": {"code": "NotFound", "message": "Meter 'X' was not found."}}),
    (200, {"Content-Type": "application/json"}, b'{"value": [{"id": 1}'),
]


@pytest.mark.parametrize("start", range(0, len(ODD), 3))
def test_odd_answers_end_in_a_table_or_one_line(start: int) -> None:
    answers = itertools.cycle(ODD[start:] + ODD[:start])
    lock = threading.Lock()

    def route(method: str, path: str, headers: Mapping[str, str], body: bytes) -> Reply:
        if path.startswith(TOKEN_PATH):
            return token_reply()
        with lock:
            return next(answers)

    with Stub(route) as stub:
        reset_service()
        env = {**stub.env(), "ECORE_RETRIES": "0"}
        result = CliRunner().invoke(cli, ["catalogue", "probe", "meters", "volumes"], env=env)
        reset_service()
        served = len([r for r in stub.requests if not r[1].startswith(TOKEN_PATH)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code in (0, 1, 2), result.output
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        assert [x for x in result.output.splitlines() if x.startswith("Error:")], result.output
    assert served <= 5 * (BUDGET + 1)  # meters, volumes and what they need: each within budget
