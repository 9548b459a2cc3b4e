"""Settings precedence, profiles, secret handling."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ecore_xl.config import Settings, config_file_path, keyring_set
from ecore_xl.errors import ConfigError
from tests.conftest import MemoryKeyring

SECRET = "s3cr3t-value-that-must-never-show-up-0123456789"


def write_config(text: str) -> Path:
    path = config_file_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_anything() -> None:
    s = Settings.load()
    assert s.base_url == "https://api.eecc.energy/v1"
    assert s.subscription_key_header == "Ocp-Apim-Subscription-Key"
    assert s.timezone == "Europe/Berlin"
    assert s.profile == "default"
    assert s.client_secret is None


def test_precedence_argument_over_environment_over_file_over_default() -> None:
    write_config(
        'default_profile = "prod"\n'
        "[profiles.prod]\n"
        'client_id = "from-file"\n'
        'scope = "scope-from-file"\n'
        'timezone = "Europe/Vienna"\n'
    )
    os.environ["ECORE_CLIENT_ID"] = "from-env"
    s = Settings.load()
    assert s.profile == "prod"
    assert s.client_id == "from-env"
    assert s.scope == "scope-from-file"
    assert s.timezone == "Europe/Vienna"
    assert Settings.load(client_id="from-arg").client_id == "from-arg"


def test_named_profile_from_environment_and_unknown_profile() -> None:
    write_config('[profiles.test]\nclient_id = "t"\n[profiles.prod]\nclient_id = "p"\n')
    os.environ["ECORE_PROFILE"] = "test"
    assert Settings.load().client_id == "t"
    with pytest.raises(ConfigError, match=r"Profile 'nope'.*known profiles are prod, test"):
        Settings.load("nope")


def test_secret_in_config_file_is_refused() -> None:
    write_config(f'[profiles.default]\nclient_secret = "{SECRET}"\n')
    with pytest.raises(ConfigError) as info:
        Settings.load()
    assert "ecore-xl configure" in str(info.value)
    assert SECRET not in str(info.value)


def test_repr_never_shows_a_secret() -> None:
    s = Settings.load(
        client_secret=SECRET, subscription_key=SECRET, subscription_key_secondary=SECRET
    )
    assert SECRET not in repr(s)
    assert SECRET not in str(s)
    assert "s3cr…" in repr(s)


def test_require_names_the_environment_variable() -> None:
    s = Settings.load(token_url="https://t.example/token", client_id="c", scope="x")
    with pytest.raises(ConfigError, match="ECORE_CLIENT_SECRET is not set") as info:
        s.require_api()
    assert info.value.variable == "ECORE_CLIENT_SECRET"
    assert info.value.exit_code == 2


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("ECORE_TIMEZONE", "Mars/Olympus", "not a time zone"),
        ("ECORE_BASE_URL", "api.eecc.energy/v1", "must start with https://"),
        ("ECORE_CACHE_TTL", "soon", "must be a float"),
        ("ECORE_OFFLINE", "maybe", "must be a bool"),
        ("ECORE_CA_BUNDLE", "/no/such/bundle.pem", "does not exist"),
    ],
)
def test_malformed_values_name_the_variable(variable: str, value: str, message: str) -> None:
    os.environ[variable] = value
    with pytest.raises(ConfigError, match=message) as info:
        Settings.load()
    assert variable in str(info.value)


def test_typed_values_from_environment() -> None:
    os.environ["ECORE_OFFLINE"] = "1"
    os.environ["ECORE_CACHE_TTL"] = "60"
    os.environ["ECORE_MAX_PAGES"] = "7"
    s = Settings.load()
    assert s.offline is True
    assert s.cache_ttl == 60.0
    assert s.max_pages == 7


def test_secrets_come_from_keyring_when_not_in_environment(memory_keyring: MemoryKeyring) -> None:
    keyring_set("default", "client_secret", SECRET)
    assert Settings.load().client_secret == SECRET
    os.environ["ECORE_CLIENT_SECRET"] = "env-wins"
    assert Settings.load().client_secret == "env-wins"
    assert ("ecore_xl", "default:client_secret") in memory_keyring.store


def test_unknown_override_is_an_error() -> None:
    with pytest.raises(ConfigError, match="Unknown setting"):
        Settings.load(colour="blue")
