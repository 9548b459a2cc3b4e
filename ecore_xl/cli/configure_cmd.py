"""``ecore-xl configure``: settings into the config file, secrets into the OS keyring."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from ecore_xl.atomic import atomic_write_bytes, make_private_dir
from ecore_xl.config import (
    SECRET_FIELDS,
    Settings,
    config_file_path,
    keyring_set,
    read_config_file,
)

__all__ = ["configure", "write_profile"]


def write_profile(profile: str, values: dict[str, str], path: Path | None = None) -> Path:
    """Merge ``values`` into ``[profiles.<profile>]`` of the TOML config file, atomically, with
    mode 0600 in a 0700 folder (POSIX)."""
    path = path or config_file_path()
    data: dict[str, Any] = read_config_file() if path == config_file_path() else {}
    profiles: dict[str, dict[str, Any]] = dict(data.get("profiles", {}))
    section = dict(profiles.get(profile, {}))
    section.update({k: v for k, v in values.items() if v})
    profiles[profile] = section
    lines = []
    if "default_profile" in data:
        lines.append(f"default_profile = {json.dumps(str(data['default_profile']))}")
    for name in sorted(profiles):
        lines.append(f"\n[profiles.{json.dumps(name)}]")
        for key, value in profiles[name].items():
            lines.append(f"{key} = {json.dumps(str(value))}")
    make_private_dir(path.parent, tighten=True)
    text = "\n".join(lines).lstrip() + "\n"
    atomic_write_bytes(path, text.encode("utf-8"), private=True)  # 0600: it decides where
    return path  # the client secret is sent


@click.command()
@click.option("--profile", default=None, help="Profile name (default: ECORE_PROFILE or 'default').")
@click.option("--base-url", default=None, help="API base URL.")
@click.option("--token-url", default=None, help="OAuth token URL of the B2C tenant.")
@click.option("--client-id", default=None, help="OAuth client id.")
@click.option("--scope", default=None, help="OAuth scope, e.g. https://<tenant>/<api>/.default.")
@click.option("--timezone", default=None, help="Portfolio time zone (default Europe/Berlin).")
@click.option(
    "--from-env",
    is_flag=True,
    help="Store the ECORE_* secrets found in the environment instead of asking for them.",
)
def configure(
    profile: str | None,
    base_url: str | None,
    token_url: str | None,
    client_id: str | None,
    scope: str | None,
    timezone: str | None,
    from_env: bool,
) -> None:
    """Store connection settings (config file) and secrets (OS keyring, never the file)."""
    profile = profile or os.environ.get("ECORE_PROFILE") or "default"
    given = {
        "base_url": base_url,
        "token_url": token_url,
        "client_id": client_id,
        "scope": scope,
        "timezone": timezone,
    }
    values = {k: v for k, v in given.items() if v}
    if values:
        # Validate before writing: a bad URL or zone is refused with the setting's name.
        Settings.load(profile, use_file=False, use_keyring=False, **values)
        path = write_profile(profile, values)
        click.echo(f"Saved {', '.join(sorted(values))} to {path} [profile {profile}].")
    stored = []
    for name in SECRET_FIELDS:
        var = f"ECORE_{name.upper()}"
        if from_env:
            value = os.environ.get(var, "")
        else:
            value = click.prompt(
                f"{var} (hidden; empty keeps the stored one)",
                default="",
                hide_input=True,
                show_default=False,
            )
        if value:
            keyring_set(profile, name, value)
            stored.append(var)
    if stored:
        click.echo(f"Stored {', '.join(stored)} in the OS keyring [profile {profile}].")
    elif not values:
        click.echo("Nothing to change.")
    click.echo("Next: 'ecore-xl doctor' checks the connection step by step.")
