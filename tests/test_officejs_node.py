"""The add-in's JavaScript, run by ``pytest``: the functions and the workbook side with
``node --test`` against a running backend over the mock, and the task pane in headless Chromium.

Needs Node (>= 20), ``npm ci`` in ``officejs/`` (``.ci/run`` does it) and Debian's ``chromium``.
Where one is missing they are skipped locally, and fail in CI (``CI`` set), like the LibreOffice
tests: CI must never pass without running them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecore_xl.mock import MockServer
from ecore_xl.serve.server import BackgroundServer, start_backend
from tests.conftest import service_for
from tests.serve_fixtures import TOKEN

ROOT = Path(__file__).resolve().parents[1] / "officejs"
CHROMIUM = os.environ.get("ECORE_CHROMIUM", "/usr/bin/chromium")
NODE_TESTS = ["test/functions.test.mjs", "test/workbook.test.mjs"]


def _missing() -> str | None:
    node = shutil.which("node")
    if node is None:
        return "node is not installed"
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout
    if int(re.sub(r"^v(\d+).*", r"\1", version.strip() or "v0")) < 20:
        return f"node {version.strip()} is older than 20"
    for package in ("office-addin-mock", "playwright-core"):
        if not (ROOT / "node_modules" / package).is_dir():
            return f"officejs/node_modules/{package} is missing: run 'npm ci' in officejs/"
    return None


def _require(*, browser: bool = False) -> None:
    problem = _missing()
    if problem is None and browser and not Path(CHROMIUM).exists():
        problem = f"{CHROMIUM} is missing: apt-get install chromium"
    if problem is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{problem} (CI must run the add-in's tests)")
    pytest.skip(problem)


@pytest.fixture(scope="module")
def backend(srv: MockServer) -> Iterator[BackgroundServer]:
    server = start_backend(service_for(srv), token=TOKEN)
    try:
        yield server
    finally:
        server.stop()


def _node(
    args: list[str], backend: BackgroundServer, timeout: float
) -> subprocess.CompletedProcess[str]:
    import json

    from ecore_xl.catalogue import builtin_catalogue

    # the number formats the catalogue declares, table -> column -> format (one place: Field.fmt)
    formats = {ds.table: ds.number_formats() for ds in builtin_catalogue()}
    env = {**os.environ, "ECORE_TEST_BACKEND": backend.url, "ECORE_TEST_TOKEN": TOKEN,
           "ECORE_TEST_FORMATS": json.dumps(formats)}  # fmt: skip
    return subprocess.run(
        ["node", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_every_function_and_the_workbook_side_with_node_test(backend: BackgroundServer) -> None:
    _require()
    run = _node(["--test", "--test-reporter=tap", *NODE_TESTS], backend, timeout=240)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-6000:]
    passed = re.search(r"^# pass (\d+)", out, re.M)
    failed = re.search(r"^# fail (\d+)", out, re.M)
    assert passed and int(passed.group(1)) >= 15 and failed and failed.group(1) == "0", out[-3000:]


def test_the_task_pane_in_headless_chromium(backend: BackgroundServer, tmp_path: Path) -> None:
    _require(browser=True)
    script = "test/browser/taskpane.browser.mjs"
    run = _node([script, "--screenshots", str(tmp_path)], backend, timeout=240)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-6000:]
    assert "task pane: all checks passed" in out, out[-3000:]
    for name in ("officejs-taskpane.png", "officejs-refreshed.png"):
        shot = tmp_path / name
        assert shot.is_file() and shot.stat().st_size > 10_000, name
