"""``ecore-xl mock``: run the embedded mock eCore API in the foreground."""

from __future__ import annotations

import errno

import click

from ecore_xl.errors import UsageError

__all__ = ["mock"]

_IN_USE = {errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", errno.EADDRINUSE)}


def _env_lines(env: dict[str, str], shell: str) -> list[str]:
    if shell == "powershell":
        return [f"$env:{k} = '{v}'" for k, v in env.items()]
    if shell == "cmd":
        return [f"set {k}={v}" for k, v in env.items()]
    if shell == "bash":
        return [f"export {k}='{v}'" for k, v in env.items()]
    return [f"{k}={v}" for k, v in env.items()]


@click.command()
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
    server = MockServer(
        seed=seed,
        meters=meters,
        years=year_tuple,
        page_size=page_size,
        token_lifetime=token_lifetime,
        port=port,
    )
    try:
        server.start()
    except OSError as exc:  # in use (EADDRINUSE), or reserved on Windows (WSAEACCES)
        busy = "is in use" if exc.errno in _IN_USE else f"cannot be opened ({exc.strerror or exc})"
        raise UsageError(
            f"Port {port} on 127.0.0.1 {busy}: another 'ecore-xl mock' may be running; stop it, "
            f"or choose another port with --port {port + 1}."
        ) from None
    click.echo("# Mock eCore API on 127.0.0.1 — these settings point a client at it:")
    for line in _env_lines(server.env(), shell):
        click.echo(line)
    click.echo("# Ctrl-C stops it.", err=True)
    server.serve_forever()
