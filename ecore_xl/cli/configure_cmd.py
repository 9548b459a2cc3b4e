"""``ecore-xl configure``: settings into the config file, secrets into the OS keyring."""

from __future__ import annotations

import json
import os
import sys
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
from ecore_xl.errors import UsageError
from ecore_xl.postman_environment import read_environment

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


def _has_terminal() -> bool:
    """True when someone can answer hidden prompts (stdin is a terminal)."""
    stream = sys.stdin
    return stream is not None and bool(getattr(stream, "isatty", lambda: False)())


def _ask_secrets(profile: str) -> dict[str, str]:
    """Every secret asked first, so an interrupted session saves nothing."""
    answers = {}
    for name in SECRET_FIELDS:
        value = click.prompt(
            f"ECORE_{name.upper()} (hidden; empty keeps the stored one)",
            default="",
            hide_input=True,
            show_default=False,
        )
        if value:
            answers[name] = value
    return answers


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
@click.option(
    "--from-postman",
    "postman_file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="ENVIRONMENT.json",
    help="Take everything from the Postman environment E&C's guide has you fill (exported as "
    "v2.1 JSON), then run the doctor's checks.",
)
@click.option(
    "--no-check", is_flag=True, help="With --from-postman: do not run the doctor's checks after."
)
@click.pass_context
def configure(
    ctx: click.Context,
    profile: str | None,
    base_url: str | None,
    token_url: str | None,
    client_id: str | None,
    scope: str | None,
    timezone: str | None,
    from_env: bool,
    postman_file: Path | None,
    no_check: bool,
) -> None:
    """Store connection settings (config file) and secrets (OS keyring, never the file).

    Options given on the command line win over the Postman file; nothing is saved unless all of
    it validates and every secret is in the keyring.

    \b
    Examples:
      ecore-xl configure --from-postman "eCore.postman_environment.json"
      ecore-xl configure --token-url https://<tenant>.b2clogin.com/... --client-id ID \\
          --scope https://<tenant>.onmicrosoft.com/<api>/.default      (asks for the secrets)
      ecore-xl configure --from-env          (secrets from ECORE_CLIENT_SECRET etc.)
    """
    if from_env and postman_file is not None:
        raise UsageError("Use --from-env or --from-postman FILE, not both.")
    profile = profile or os.environ.get("ECORE_PROFILE") or "default"
    given = {
        "base_url": base_url,
        "token_url": token_url,
        "client_id": client_id,
        "scope": scope,
        "timezone": timezone,
    }
    secrets: dict[str, str] = {}
    values: dict[str, str] = {}
    if postman_file is not None:
        found = read_environment(postman_file)
        secrets = {k: v for k, v in found.items() if k in SECRET_FIELDS}
        values = {k: v for k, v in found.items() if k not in SECRET_FIELDS}
    values.update({k: v for k, v in given.items() if v})
    # Validate before writing: a bad URL or zone is refused with the setting's name.
    Settings.load(profile, use_file=False, use_keyring=False, **values)
    if from_env:
        secrets = {
            name: os.environ[f"ECORE_{name.upper()}"]
            for name in SECRET_FIELDS
            if os.environ.get(f"ECORE_{name.upper()}", "").strip()
        }
    elif postman_file is None:
        if not _has_terminal():
            raise UsageError(
                "configure asks for the secrets, but there is no terminal to type them: use "
                "--from-postman ENVIRONMENT.json, or set ECORE_CLIENT_SECRET and "
                "ECORE_SUBSCRIPTION_KEY and use --from-env. Nothing was saved."
            )
        try:
            secrets = _ask_secrets(profile)
        except (click.Abort, EOFError):
            raise UsageError("configure was interrupted: nothing was saved.") from None
    _save(profile, values, secrets)
    if postman_file is not None and not no_check:
        from ecore_xl.cli.doctor import doctor

        click.echo("")
        ctx.invoke(doctor, profile=profile)
    else:
        click.echo("Next: 'ecore-xl doctor' checks the connection step by step.")


def _save(profile: str, values: dict[str, str], secrets: dict[str, str]) -> None:
    """Secrets into the keyring first (the likeliest to fail), then the file; says what it did
    by name, never by value."""
    for name, value in secrets.items():
        keyring_set(profile, name, value)
    if values:
        path = write_profile(profile, values)
        click.echo(f"Saved {', '.join(sorted(values))} to {path} [profile {profile}].")
    if secrets:
        stored = ", ".join(f"ECORE_{name.upper()}" for name in secrets)
        click.echo(f"Stored {stored} in the OS keyring [profile {profile}].")
    if not values and not secrets:
        click.echo("Nothing to change.")
