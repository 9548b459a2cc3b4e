"""``ecore-xl doctor``: find out, one step at a time, why the API cannot be reached.

The steps are :func:`ecore_xl.api.doctor.check_connection`'s (shared with the ribbon and the
Office.js add-in); this command prints them, one line each, and exits with its code: 0 when all
pass, 1 when a network/API/auth step fails, 2 when settings are missing.
"""

from __future__ import annotations

import click

from ecore_xl.api.doctor import REQUIRED, check_connection

__all__ = ["REQUIRED", "doctor"]


@click.command()
@click.option("--profile", default=None, help="Profile to check (default: ECORE_PROFILE).")
def doctor(profile: str | None) -> None:
    """Check settings, proxy, TLS, token, subscription key and one GET, step by step.

    \b
    Examples:
      ecore-xl doctor
      ecore-xl doctor --profile test
    """
    report = check_connection(profile)
    for line in report.lines():
        click.echo(line)
    if not report.ok:
        raise click.exceptions.Exit(report.exit_code)
