"""``ecore-xl mock``: run the embedded mock eCore API in the foreground."""

from __future__ import annotations

import click

__all__ = ["mock"]


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
    "--years", default="2025,2026", show_default=True, help="Delivery years, comma-separated."
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
    port: int, seed: int, meters: int, years: str, page_size: int, token_lifetime: float, shell: str
) -> None:
    """Serve the embedded mock eCore API and print the ECORE_* settings that point at it."""
    from ecore_xl.mock import MockServer

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
    server.start()
    click.echo("# Mock eCore API on 127.0.0.1 — these settings point a client at it:")
    for line in _env_lines(server.env(), shell):
        click.echo(line)
    click.echo("# Ctrl-C stops it.", err=True)
    server.serve_forever()
