"""``ecore-xl doctor`` through CliRunner against the mock."""

from __future__ import annotations

import re

from click.testing import CliRunner

from ecore_xl.cli import cli
from ecore_xl.mock import MockServer


def _lines(output: str) -> dict[str, str]:
    """step name -> 'OK ...' / 'FAIL ...'."""
    steps = {}
    for line in output.splitlines():
        m = re.match(r"\[\d/7\] (\S+(?: \S+)?)\s+(OK|FAIL)\s+(.*)", line)
        if m:
            steps[m.group(1)] = f"{m.group(2)} {m.group(3)}"
    return steps


def test_all_steps_ok_against_the_mock() -> None:
    with MockServer(seed=42, meters=3) as srv:
        result = CliRunner().invoke(cli, ["doctor"], env=srv.env())
    assert result.exit_code == 0, result.output
    steps = _lines(result.output)
    assert list(steps) == [
        "settings",
        "proxy",
        "connectivity",
        "token",
        "subscription key",
        "data",
        "catalogue",
    ]
    assert all(v.startswith("OK") for v in steps.values())
    assert "API host 127.0.0.1" in steps["proxy"] and "direct" in steps["proxy"]
    assert "TCP 127.0.0.1" in steps["connectivity"]
    assert re.search(r"GET /meters: 3 records", steps["data"])
    assert steps["catalogue"].startswith("OK meters as the catalogue says (")
    assert "'ecore-xl catalogue probe' checks every dataset" in steps["catalogue"]
    assert srv.client_secret not in result.output and srv.primary_key not in result.output


def test_wrong_client_secret_fails_the_token_step_with_the_b2c_reason() -> None:
    with MockServer(seed=42, meters=2) as srv:
        env = {**srv.env(), "ECORE_CLIENT_SECRET": "definitely-wrong-secret"}
        result = CliRunner().invoke(cli, ["doctor"], env=env)
        assert srv.stats.data_requests == 0
    assert result.exit_code == 1, result.output
    steps = _lines(result.output)
    assert steps["token"].startswith("FAIL The client secret is wrong")
    assert "AADB2C90081" in steps["token"]
    assert "subscription key" not in steps and "3 later steps skipped" in result.output
    assert "definitely-wrong-secret" not in result.output


def test_missing_settings_are_named_and_exit_2() -> None:
    with MockServer(seed=42, meters=2) as srv:
        env = srv.env()
        del env["ECORE_CLIENT_ID"], env["ECORE_SUBSCRIPTION_KEY"]
        result = CliRunner().invoke(cli, ["doctor"], env=env)
    assert result.exit_code == 2, result.output
    assert "ECORE_CLIENT_ID, ECORE_SUBSCRIPTION_KEY" in _lines(result.output)["settings"]


def test_revoked_primary_key_with_working_secondary_says_to_rotate() -> None:
    with MockServer(seed=42, meters=2) as srv:
        srv.revoke_primary()
        result = CliRunner().invoke(cli, ["doctor"], env=srv.env())
    assert result.exit_code == 0, result.output
    assert "primary key was REFUSED" in _lines(result.output)["subscription key"]


def test_refused_key_without_secondary_fails_the_key_step() -> None:
    with MockServer(seed=42, meters=2) as srv:
        env = {**srv.env(), "ECORE_SUBSCRIPTION_KEY": "not-a-valid-key-000"}
        del env["ECORE_SUBSCRIPTION_KEY_SECONDARY"]
        result = CliRunner().invoke(cli, ["doctor"], env=env)
    assert result.exit_code == 1, result.output
    assert "Developer Portal" in _lines(result.output)["subscription key"]


def test_proxy_step_names_the_variable_that_applies() -> None:
    with MockServer(seed=42, meters=2) as srv:
        env = {
            **srv.env(),
            "ECORE_BASE_URL": "https://api.example.test/v1",
            "HTTPS_PROXY": "http://user:pw@127.0.0.1:9",  # nothing listens: the next step fails
            "HTTP_PROXY": "http://user:pw@127.0.0.1:9",
            "NO_PROXY": "",
            "ECORE_RETRIES": "0",
        }
        result = CliRunner().invoke(cli, ["doctor"], env=env)
    assert result.exit_code == 1, result.output
    proxy = _lines(result.output)["proxy"]
    assert "API host api.example.test via http://user:***@127.0.0.1:9 (HTTPS_PROXY)" in proxy
    # the mock's token endpoint is on loopback: never proxied, whatever HTTP_PROXY says
    assert "token host 127.0.0.1:" in proxy and "direct (loopback: never through a proxy)" in proxy
    assert "pw@" not in result.output
