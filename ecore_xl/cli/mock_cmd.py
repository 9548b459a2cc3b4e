"""``ecore-xl mock``: run the embedded mock eCore API in the foreground."""

from __future__ import annotations

import click

from ecore_xl.cli.ports import port_refused
from ecore_xl.mock.dialect import DIALECTS, ENERGY_UNITS, ENVELOPES, PAGING_STYLES

__all__ = ["mock"]

_DIALECT_LIST = "\n".join(f"  {name:<6} {d.description}" for name, d in DIALECTS.items())
_EPILOG = (
    "\b\nDialects: one portfolio served as other APIs could (docs/dialects.md):\n" + _DIALECT_LIST
)


def _ignored(values: tuple[str, ...]) -> dict[str, list[str]] | None:
    """``--ignore-param volumes:to`` -> ``{"volumes": ["to"]}``."""
    if not values:
        return None
    out: dict[str, list[str]] = {}
    for value in values:
        where, sep, name = value.rpartition(":")
        if not sep or not where or not name:
            raise click.BadParameter(
                f"{value!r}: write DATASET_OR_PATH:PARAMETER, e.g. volumes:to",
                param_hint="--ignore-param",
            )
        out.setdefault(where, []).append(name)
    return out


def _env_lines(env: dict[str, str], shell: str) -> list[str]:
    if shell == "powershell":
        return [f"$env:{k} = '{v}'" for k, v in env.items()]
    if shell == "cmd":
        return [f"set {k}={v}" for k, v in env.items()]
    if shell == "bash":
        return [f"export {k}='{v}'" for k, v in env.items()]
    return [f"{k}={v}" for k, v in env.items()]


@click.command(epilog=_EPILOG)
@click.option(
    "--dialect",
    type=click.Choice(list(DIALECTS)),
    default="ecore",
    show_default=True,
    help="How the API speaks (listed below).",
)
@click.option(
    "--paging",
    type=click.Choice(list(PAGING_STYLES)),
    default=None,
    help="Another paging style than the dialect's.",
)
@click.option(
    "--gas-daily-only/--gas-any-granularity",
    default=None,
    help="Gas meters refuse quarter-hours and hours (default: as the dialect says).",
)
@click.option(
    "--energy-unit",
    type=click.Choice(list(ENERGY_UNITS)),
    default=None,
    help="Unit of energy quantities (default: the dialect's).",
)
@click.option(
    "--envelope",
    type=click.Choice(list(ENVELOPES)),
    default=None,
    help="Another collection envelope than the dialect's.",
)
@click.option(
    "--ignore-param",
    "ignore_param",
    multiple=True,
    metavar="DATASET_OR_PATH:NAME",
    help="A parameter the API silently ignores, e.g. volumes:to (repeatable).",
)
@click.option("--port", type=int, default=8765, show_default=True, help="Port on 127.0.0.1.")
@click.option("--seed", type=int, default=42, show_default=True, help="Seed of the portfolio.")
@click.option("--meters", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option(
    "--years",
    default=None,
    help="Delivery years, comma-separated (default: last year, this year and next, as the demo).",
)
@click.option("--page-size", type=click.IntRange(1, 1000), default=1000, show_default=True)
@click.option("--token-lifetime", type=float, default=3600.0, show_default=True, help="Seconds.")
@click.option(
    "--shell",
    type=click.Choice(["plain", "bash", "powershell", "cmd"]),
    default="plain",
    show_default=True,
    help="How to print the ECORE_* lines.",
)
def mock(
    dialect: str,
    paging: str | None,
    gas_daily_only: bool | None,
    energy_unit: str | None,
    envelope: str | None,
    ignore_param: tuple[str, ...],
    port: int,
    seed: int,
    meters: int,
    years: str | None,
    page_size: int,
    token_lifetime: float,
    shell: str,
) -> None:
    """Serve the embedded mock eCore API and print the ECORE_* settings that point at it.

    \b
    Examples:
      ecore-xl mock                        # then, in another window: ecore-xl fetch contracts
      ecore-xl mock --port 9000 --shell powershell
      ecore-xl mock --meters 50 --years 2025,2026,2027
      ecore-xl mock --dialect paged          # the same portfolio, spoken as another API
    """
    from ecore_xl.cli.demo_cmd import demo_years, today_local
    from ecore_xl.mock import MockServer

    if years is None:
        year_tuple = demo_years(today_local())
    else:
        try:
            year_tuple = tuple(int(y) for y in years.split(",") if y.strip())
        except ValueError:
            raise click.BadParameter("years must be like 2025,2026", param_hint="--years") from None
    try:
        server = MockServer(
            seed=seed,
            meters=meters,
            years=year_tuple,
            page_size=page_size,
            token_lifetime=token_lifetime,
            port=port,
            dialect=dialect,
            paging=paging,
            gas_daily_only=gas_daily_only,
            energy_unit=energy_unit,
            envelope=envelope,
            ignore_params=_ignored(ignore_param),
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    from ecore_xl.mock.catalogues import catalogue_file

    try:
        server.start()
    except OSError as exc:  # in use (EADDRINUSE), or reserved on Windows (WSAEACCES)
        raise port_refused(exc, "127.0.0.1", port, "ecore-xl mock") from None
    env = server.env()
    catalogue = catalogue_file(dialect)
    if catalogue is not None:  # the declarations that make the product read this dialect
        env["ECORE_CATALOGUE"] = str(catalogue)
    click.echo(
        f"# Mock eCore API ({server.dialect.name} dialect) on 127.0.0.1 — "
        "these settings point a client at it:"
    )
    for line in _env_lines(env, shell):
        click.echo(line)
    moved = [flag for flag, value in (("--paging", paging), ("--envelope", envelope),
             ("--energy-unit", energy_unit), ("--gas-daily-only", gas_daily_only),
             ("--ignore-param", ignore_param)) if value]  # fmt: skip
    if catalogue is not None and moved:
        click.echo(
            f"# {', '.join(moved)} move the API away from {catalogue.name}: declare the change "
            "in a copy of it (or see what fails: that is what the switches are for).",
            err=True,
        )
    click.echo("# Ctrl-C stops it.", err=True)
    server.serve_forever()
