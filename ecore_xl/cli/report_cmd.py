"""``ecore-xl report``: the monthly report workbook, offline-capable, from a template.

``--snapshot DIR`` builds from snapshot files only (no network); make them with
``--save-snapshot DIR`` on an online run. The output is replaced only by a complete new file.
"""

from __future__ import annotations

from pathlib import Path

import click

from ecore_xl.cli.options import Percent, no_escape_option, offline_option
from ecore_xl.cli.progress import StepBar
from ecore_xl.errors import UsageError

__all__ = ["report"]


def _copy_template(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    """``--copy-template FILE``: the built-in template to FILE (never over an existing one)."""
    if value is None or ctx.resilient_parsing:
        return
    import shutil

    from ecore_xl.report import default_template

    if value.suffix.lower() != ".xlsx":
        raise click.BadParameter(f"{value.name} must be an .xlsx file.")
    if value.exists():
        raise click.BadParameter(f"{value} exists: give a new file name.")
    with default_template() as built_in:
        shutil.copyfile(built_in, value)
    click.echo(f"Copied the built-in template to {value}: change its layout, keep its {{{{...}}}}")
    click.echo(f"placeholders and table names, then: ecore-xl report --template {value} ...")
    ctx.exit(0)


@click.command()
@click.option(
    "--copy-template",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    is_eager=True,
    expose_value=False,
    callback=_copy_template,
    help="Save a copy of the built-in template to FILE (to make your own) and stop.",
)
@click.option("--month", required=True, metavar="YYYY-MM", help="The local calendar month.")
@click.option("--legal-entity", metavar="ID", help="Only this legal entity (default: all).")
@click.option(
    "--template",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Your own template (.xlsx). Default: the built-in one; --copy-template FILE saves a "
    "copy of it to start yours from.",
)
@click.option(
    "--snapshot",
    type=click.Path(file_okay=False, path_type=Path),
    help="Build from the snapshot files in DIR only (no network).",
)
@offline_option
@click.option(
    "--save-snapshot",
    type=click.Path(file_okay=False, path_type=Path),
    help="Online: also keep the fetched data in DIR, for a later --snapshot DIR.",
)
@click.option(
    "--threshold",
    type=Percent(),
    default=None,
    metavar="PCT",
    help="Flag invoices off the metered volume by more than PCT: 2% or 2 (the default); "
    "write a fraction of a percent with its sign, 0.5%.",
)
@click.option("--split", is_flag=True, help="One workbook per legal entity.")
@click.option(
    "--pdf",
    is_flag=True,
    help="Also print each report to a PDF beside it (needs LibreOffice; replaced together "
    "with the .xlsx).",
)
@click.option(
    "--granularity",
    type=click.Choice(["day", "hour", "quarterhour"]),
    default="day",
    show_default=True,
    help="Interval of the Consumption table.",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The .xlsx to write; with --split, {legal_entity} in the name is replaced by the id.",
)
@no_escape_option
def report(
    month: str,
    legal_entity: str | None,
    template: Path | None,
    snapshot: Path | None,
    offline: bool,
    save_snapshot: Path | None,
    threshold: float | None,
    split: bool,
    pdf: bool,
    granularity: str,
    out: Path,
    no_escape: bool,
) -> None:
    """Build the monthly report: consumption, costs, hedging and the invoice check.

    \b
    Examples:
      ecore-xl report --month 2026-10 --out report-2026-10.xlsx
      ecore-xl report --month 2026-10 --save-snapshot snap/ --out report.xlsx
      ecore-xl report --month 2026-10 --snapshot snap/ --out report.xlsx   # no network
      ecore-xl report --month 2026-10 --split --out "report-{legal_entity}.xlsx"
      ecore-xl report --month 2026-10 --pdf --out report.xlsx      # and report.pdf
      ecore-xl report --copy-template my-template.xlsx
    """
    from ecore_xl.data import get_service
    from ecore_xl.report import DEFAULT_THRESHOLD_PCT, build_report

    if snapshot is not None and save_snapshot is not None:
        raise UsageError("Use --snapshot DIR (read) or --save-snapshot DIR (write), not both.")
    if snapshot is not None and not snapshot.is_dir():
        raise UsageError(f"--snapshot {snapshot}: no such folder.")
    with StepBar(f"Report {month}") as bar:
        result = build_report(
            month,
            out=out,
            legal_entity=legal_entity,
            template=template,
            snapshot_dir=snapshot or save_snapshot,
            offline=True if (snapshot is not None or offline) else None,
            threshold=DEFAULT_THRESHOLD_PCT if threshold is None else threshold,
            service=get_service(),
            split=split,
            granularity=granularity,
            progress=bar,
            escape=False if no_escape else None,
            pdf=pdf,
        )
    for note in result.warnings:
        click.echo(f"Warning (template): {note}", err=True)
    for path in [*result.paths, *result.pdfs]:
        click.echo(f"Wrote {path}")
    for line in result.summary_lines():
        click.echo(line)
