"""``ecore-xl configure --from-postman``: E&C's Postman environment into profile and keyring."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ecore_xl.cli import cli
from ecore_xl.config import Settings, config_file_path
from ecore_xl.errors import ConfigError
from ecore_xl.mock import MockServer
from ecore_xl.postman_environment import read_environment
from tests.conftest import MemoryKeyring


def environment(values: list[dict[str, Any]]) -> dict[str, Any]:
    """A Postman v2.1 environment export as Postman writes it."""
    return {
        "id": "0b6c2a36-6f43-4a42-9d4e-2f3f2d7a1c11",
        "name": "eCore API",
        "values": values,
        "_postman_variable_scope": "environment",
        "_postman_exported_at": "2026-11-02T09:14:03.118Z",
        "_postman_exported_using": "Postman/11.18.0",
    }


def mock_environment(srv: MockServer) -> dict[str, Any]:
    """The environment a user fills from E&C's guide, with the mock's values; the secrets as
    local current values (Postman's advice), the token URL through a variable."""
    env = srv.env()
    base, _, tail = env["ECORE_TOKEN_URL"].partition("/mocktenant")
    return environment(
        [
            {"key": "baseUrl", "value": env["ECORE_BASE_URL"], "type": "default", "enabled": True},
            {"key": "tokenHost", "value": base, "type": "default", "enabled": True},
            {
                "key": "auth_access_token_url",
                "value": "{{tokenHost}}/mocktenant" + tail,
                "type": "default",
                "enabled": True,
            },
            {"key": "auth_client_id", "value": env["ECORE_CLIENT_ID"], "enabled": True},
            {
                "key": "auth_client_secret",
                "value": "",
                "currentValue": env["ECORE_CLIENT_SECRET"],
                "type": "secret",
                "enabled": True,
            },
            {"key": "auth_scope", "value": env["ECORE_SCOPE"], "enabled": True},
            {
                "key": "subscription_key",
                "value": "initial-shared-value-not-mine",
                "currentValue": env["ECORE_SUBSCRIPTION_KEY"],
                "type": "secret",
                "enabled": True,
            },
            {"key": "unused", "value": "x", "enabled": False},
        ]
    )


def test_from_postman_stores_secrets_in_keyring_rest_in_profile_then_runs_doctor(
    srv: MockServer, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    file = tmp_path / "eCore.postman_environment.json"
    file.write_text(json.dumps(mock_environment(srv)), encoding="utf-8")
    env = srv.env()
    result = CliRunner().invoke(cli, ["configure", "--from-postman", str(file), "--profile", "e"])
    assert result.exit_code == 0, result.output
    for secret in (env["ECORE_CLIENT_SECRET"], env["ECORE_SUBSCRIPTION_KEY"]):
        assert secret not in result.output
        assert secret not in config_file_path().read_text()
    assert "Stored ECORE_CLIENT_SECRET, ECORE_SUBSCRIPTION_KEY in the OS keyring" in result.output
    assert "[6/7] data" in result.output and "[7/7] catalogue" in result.output
    assert "All checks passed." in result.output
    settings = Settings.load("e")
    assert settings.client_secret == env["ECORE_CLIENT_SECRET"]
    assert settings.subscription_key == env["ECORE_SUBSCRIPTION_KEY"]  # currentValue wins
    assert settings.token_url == env["ECORE_TOKEN_URL"]  # {{tokenHost}} expanded
    assert (settings.base_url, settings.client_id) == (
        env["ECORE_BASE_URL"],
        env["ECORE_CLIENT_ID"],
    )


def test_from_postman_doctor_failure_is_the_exit_code(
    srv: MockServer, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    data = mock_environment(srv)
    for var in data["values"]:
        if var["key"] == "auth_client_secret":
            var["currentValue"] = "wrong-secret-0123456789abcdef"
    file = tmp_path / "env.json"
    file.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(cli, ["configure", "--from-postman", str(file)])
    assert result.exit_code == 1, result.output
    assert "token" in result.output and "FAIL" in result.output
    assert "wrong-secret-0123456789abcdef" not in result.output


def test_from_postman_refuses_a_collection_and_a_bad_url_saving_nothing(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    collection = tmp_path / "collection.json"
    collection.write_text(json.dumps({"info": {"name": "eCore"}, "item": []}), encoding="utf-8")
    result = CliRunner().invoke(cli, ["configure", "--from-postman", str(collection)])
    assert result.exit_code == 2
    assert "not a Postman environment export" in result.stderr and "Export" in result.stderr
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            environment(
                [
                    {"key": "baseUrl", "value": "ftp://api.example"},
                    {"key": "auth_client_secret", "value": "s3cret-value-0123456789"},
                ]
            )
        ),
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["configure", "--from-postman", str(bad)])
    assert result.exit_code == 2 and "ECORE_BASE_URL" in result.stderr
    assert not config_file_path().exists() and not memory_keyring.store
    assert "s3cret" not in result.output


def test_read_environment_names_an_undefined_variable(tmp_path: Path) -> None:
    file = tmp_path / "env.json"
    file.write_text(
        json.dumps(environment([{"key": "baseUrl", "value": "https://{{host}}/v1"}])),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"baseUrl refers to \{\{host\}\}"):
        read_environment(file)
