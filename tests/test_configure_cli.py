"""``ecore-xl configure`` keeps secrets in the keyring and settings in the file."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from ecore_xl.cli import cli
from ecore_xl.config import Settings, config_file_path
from tests.conftest import MemoryKeyring

SECRET = "configure-secret-0123456789abcdef"


def test_configure_writes_file_without_secrets_and_keyring_with_them(
    memory_keyring: MemoryKeyring,
) -> None:
    result = CliRunner().invoke(
        cli,
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
        input=f"{SECRET}\nkey-primary-000000000000\n\n",
    )
    assert result.exit_code == 0, result.output
    text = config_file_path().read_text()
    assert 'client_id = "abc"' in text
    assert SECRET not in text and "key-primary" not in text
    assert SECRET not in result.output
    s = Settings.load("prod")
    assert s.client_secret == SECRET
    assert s.subscription_key == "key-primary-000000000000"
    assert s.subscription_key_secondary is None
    assert s.client_id == "abc"


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
