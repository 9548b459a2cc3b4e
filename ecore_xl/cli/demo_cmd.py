"""``ecore-xl demo``: the whole job on the embedded mock API, with no credentials."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import click

__all__ = ["demo", "demo_years", "last_complete_month", "run_demo", "today_local"]


def today_local() -> dt.date:
    """Today in the demo's (the mock's default) time zone."""
    return dt.datetime.now(ZoneInfo("Europe/Berlin")).date()


def demo_years(today: dt.date, month: str | None = None) -> tuple[int, ...]:
    """The delivery years the demo's mock holds: last year, this year and next (buyers click next
    year's tranches during this one), and the report month's year. ``ecore-xl mock`` uses them
    too, so the mock a user starts holds what the demo showed."""
    years = {today.year - 1, today.year, today.year + 1}
    if month:
        years.add(int(month[:4]))
    return tuple(sorted(years))


def last_complete_month(today: dt.date) -> str:
    """``YYYY-MM`` of the calendar month before ``today``'s."""
    first = today.replace(day=1)
    previous = first - dt.timedelta(days=1)
    return f"{previous.year:04d}-{previous.month:02d}"


def run_demo(out_dir: Path, *, meters: int = 12, seed: int = 42, month: str | None = None) -> dict:
    """Start the mock, refresh a demo workbook, build the month's report; return what was made."""
    from ecore_xl.config import Settings
    from ecore_xl.data import DataService
    from ecore_xl.excel.headless import refresh_file
    from ecore_xl.mock import MockServer
    from ecore_xl.report.build import build_report

    today = today_local()
    month = month or last_complete_month(today)
    years = demo_years(today, month)
    out_dir.mkdir(parents=True, exist_ok=True)
    snapshots = out_dir / "snapshots"
    with MockServer(seed=seed, meters=meters, years=years) as server:
        settings = Settings.load(use_file=False, use_keyring=False, environ=server.env())
        service = DataService(settings)
        try:
            workbook = out_dir / "ecore-demo.xlsx"
            refreshed = refresh_file(workbook, service=service, snapshot_dir=snapshots)
            report = build_report(
                month,
                out=out_dir / f"monthly-report-{month}.xlsx",
                service=service,
                snapshot_dir=snapshots,
            )
        finally:
            service.close()
    return {
        "workbook": workbook,
        "refresh": refreshed,
        "report": report,
        "month": month,
        "snapshots": snapshots,
    }


@click.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("ecore-demo"),
    show_default=True,
    help="Folder for the demo workbook, the report and the snapshots.",
)
@click.option("--meters", type=click.IntRange(1, 300), default=12, show_default=True)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--month", default=None, help="Report month YYYY-MM (default: last complete month).")
def demo(out_dir: Path, meters: int, seed: int, month: str | None) -> None:
    """Run everything on the embedded mock API: refreshed workbook + monthly report.

    \b
    Examples:
      ecore-xl demo
      ecore-xl demo --out demo-folder --month 2026-10
    """
    if month is not None:
        from ecore_xl.report.period import ReportMonth

        ReportMonth.parse(month)  # a malformed month before the mock starts
    click.echo("Starting the embedded mock eCore API on 127.0.0.1 (no credentials needed)…")

    made = run_demo(out_dir, meters=meters, seed=seed, month=month)
    report = made["report"]
    click.echo(f"Refreshed workbook: {made['workbook']}")
    for path in made["report"].paths:
        click.echo(f"Monthly report:     {path}")
    click.echo(f"Snapshots:          {made['snapshots']}")
    click.echo("")
    click.echo(f"{made['month']}, as the report's Summary shows it:")
    for line in report.summary_lines():
        click.echo(line)
    click.echo("")
    click.echo("Again, offline, from the snapshots (no API, no mock):")
    click.echo(f"  ecore-xl refresh {made['workbook']} --snapshot {made['snapshots']} --offline")
    click.echo(
        f"  ecore-xl report --month {made['month']} "
        f"--snapshot {made['snapshots']} --offline --out report.xlsx"
    )
