"""``ecore-xl configure`` keeps secrets in the keyring and settings in the file."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ecore_xl.cli import cli
from ecore_xl.config import Settings, config_file_path
from tests.conftest import MemoryKeyring
from tests.terminal import run_in_terminal

SECRET = "configure-secret-0123456789abcdef"
ROOT = Path(__file__).resolve().parents[1]


def _run_in_terminal(args: list[str], answers: list[str], env: dict[str, str]) -> tuple[int, str]:
    """``ecore-xl ARGS`` in a real pseudo-terminal, typing ``answers`` at each hidden prompt."""
    return run_in_terminal([sys.executable, "-m", "ecore_xl", *args], answers, env, ROOT)


def _child_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "ECORE_NO_KEYRING"}
    env["PYTHON_KEYRING_BACKEND"] = "tests.file_keyring.FileKeyring"
    env["ECORE_TEST_KEYRING_FILE"] = str(tmp_path / "keyring.json")
    env["PYTHONPATH"] = str(ROOT)
    return env


def test_configure_in_a_terminal_writes_file_without_secrets_and_keyring_with_them(
    tmp_path: Path,
) -> None:
    code, shown = _run_in_terminal(
        [
            "configure",
            "--profile",
            "prod",
            "--token-url",
            "https://t.b2clogin.com/t.onmicrosoft.com/B2C_1/oauth2/v2.0/token",
            "--client-id",
            "abc",
            "--scope",
            "https://t.onmicrosoft.com/api/.default",
        ],
        [SECRET, "key-primary-000000000000", ""],
        _child_env(tmp_path),
    )
    assert code == 0, shown
    text = config_file_path().read_text()
    assert 'client_id = "abc"' in text
    assert SECRET not in text and "key-primary" not in text
    assert SECRET not in shown and "key-primary" not in shown  # hidden input is not echoed
    stored = json.loads((tmp_path / "keyring.json").read_text())
    assert stored == {
        "ecore_xl|prod:client_secret": SECRET,
        "ecore_xl|prod:subscription_key": "key-primary-000000000000",
    }
    assert "Stored ECORE_CLIENT_SECRET, ECORE_SUBSCRIPTION_KEY in the OS keyring" in shown


def test_configure_without_a_terminal_hints_and_saves_nothing(
    memory_keyring: MemoryKeyring,
) -> None:
    result = CliRunner().invoke(cli, ["configure", "--client-id", "abc"], input="")
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: configure asks for the secrets")
    assert "--from-postman" in lines[0] and "--from-env" in lines[0]
    assert not config_file_path().exists() and not memory_keyring.store


def test_configure_from_env_and_second_profile_keeps_first(memory_keyring: MemoryKeyring) -> None:
    runner = CliRunner()
    assert (
        runner.invoke(
            cli, ["configure", "--profile", "a", "--client-id", "A", "--from-env"]
        ).exit_code
        == 0
    )
    os.environ["ECORE_CLIENT_SECRET"] = SECRET
    result = runner.invoke(cli, ["configure", "--profile", "b", "--client-id", "B", "--from-env"])
    assert result.exit_code == 0, result.output
    assert Settings.load("a").client_id == "A"
    del os.environ["ECORE_CLIENT_SECRET"]
    assert Settings.load("b").client_secret == SECRET
    assert Settings.load("a").client_secret is None


def test_configure_rejects_bad_url_with_exit_code_2(memory_keyring: MemoryKeyring) -> None:
    result = CliRunner().invoke(cli, ["configure", "--base-url", "ftp://x", "--from-env"])
    assert result.exit_code == 2
    assert "ECORE_BASE_URL" in result.output
    assert not config_file_path().exists()


# ---- private files (issue 12) ----------------------------------------------------------------

posix = pytest.mark.skipif(os.name == "nt", reason="POSIX modes")


@posix
def test_the_config_file_is_0600_in_a_0700_folder(memory_keyring: MemoryKeyring) -> None:
    result = CliRunner().invoke(
        cli, ["configure", "--client-id", "abc", "--from-env"], env={"ECORE_CLIENT_SECRET": ""}
    )
    assert result.exit_code == 0, result.output
    path = config_file_path()
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700


@posix
def test_a_world_writable_config_is_refused(memory_keyring: MemoryKeyring) -> None:
    """Anyone who can edit it can point the token URL at a server of theirs (https, so the
    plain-HTTP rule does not help) and collect the client secret: refused, in one line."""
    path = config_file_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[profiles.default]\ntoken_url = "https://attacker.example/token"\n')
    path.chmod(0o666)
    result = CliRunner().invoke(cli, ["doctor"])
    assert result.exit_code == 2
    assert "may be written by every user of this machine" in result.output
    assert "chmod o-w" in result.output
    path.chmod(0o644)
    assert Settings.load(use_keyring=False).token_url == "https://attacker.example/token"
    path.parent.chmod(0o777)
    try:
        result = CliRunner().invoke(cli, ["fetch", "contracts"])
        assert result.exit_code == 2 and "config folder" in result.output
    finally:
        path.parent.chmod(0o700)
