"""``ecore-xl mock`` in one process, ``ecore-xl doctor`` with its printed lines in another."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def mock_lines() -> Iterator[dict[str, str]]:
    """Start ``ecore-xl mock`` as a real process and read the ECORE_* lines it prints."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECORE_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ecore_xl", "mock", "--port", str(_free_port()), "--meters", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    lines: dict[str, str] = {}
    try:
        assert proc.stdout is not None
        for _ in range(40):
            line = proc.stdout.readline()
            if not line:
                break
            if line.startswith("ECORE_"):
                key, _, value = line.strip().partition("=")
                lines[key] = value
            if "ECORE_SUBSCRIPTION_KEY_SECONDARY" in lines:
                break
        yield lines
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def _doctor(lines: dict[str, str], **changes: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECORE_")}
    env.update(lines, ECORE_NO_KEYRING="1", **changes)
    return subprocess.run(
        [sys.executable, "-m", "ecore_xl", "doctor"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_mock_prints_every_setting_a_client_needs(mock_lines: dict[str, str]) -> None:
    assert set(mock_lines) >= {
        "ECORE_BASE_URL",
        "ECORE_TOKEN_URL",
        "ECORE_CLIENT_ID",
        "ECORE_CLIENT_SECRET",
        "ECORE_SCOPE",
        "ECORE_SUBSCRIPTION_KEY",
        "ECORE_SUBSCRIPTION_KEY_SECONDARY",
    }
    assert mock_lines["ECORE_BASE_URL"].startswith("http://127.0.0.1:")


def test_doctor_reports_every_step_ok_against_the_mock(mock_lines: dict[str, str]) -> None:
    result = _doctor(mock_lines)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAIL" not in result.stdout
    assert result.stdout.count("OK") >= 5


def test_doctor_names_the_token_step_and_the_b2c_reason(mock_lines: dict[str, str]) -> None:
    result = _doctor(mock_lines, ECORE_CLIENT_SECRET="wrong-secret-for-the-test")
    assert result.returncode == 1
    fail_lines = [ln for ln in result.stdout.splitlines() if "FAIL" in ln]
    assert fail_lines, result.stdout
    assert "token" in fail_lines[0].lower()
    assert "AADB2C90081" in result.stdout
    assert "client secret is wrong" in result.stdout
    assert "wrong-secret-for-the-test" not in result.stdout + result.stderr
