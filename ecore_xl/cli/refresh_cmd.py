"""``ecore-xl refresh WORKBOOK``: the ribbon's Refresh all, without Excel.

For scheduled jobs and shared drives: the same code path as the add-in (``excel.refresh_book``),
with an openpyxl writer. The file is replaced atomically, so a failed fetch or a crash leaves it
byte-identical.
"""

from __future__ import annotations

from pathlib import Path

import click

from ecore_xl.cli.options import offline_option, snapshot_dir_option
from ecore_xl.cli.progress import StepBar
from ecore_xl.errors import UsageError

__all__ = ["refresh"]


def _datasets(values: tuple[str, ...]) -> list[str] | None:
    names = [part.strip() for value in values for part in value.split(",") if part.strip()]
    return names or None


@click.command()
@click.argument("workbook", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--datasets",
    "-d",
    multiple=True,
    metavar="A,B",
    help="Datasets to refresh (default: the workbook's ecore.datasets), e.g. volumes,invoices.",
)
@snapshot_dir_option
@offline_option
@click.option(
    "--create",
    is_flag=True,
    help="Make a new workbook when WORKBOOK does not exist (without it, a missing file is an "
    "error: a mistyped name must not look like success).",
)
@click.option(
    "--values-copy",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Afterwards, also write a values-only .xlsx with a Provenance sheet (to send away).",
)
def refresh(
    workbook: Path,
    datasets: tuple[str, ...],
    snapshot: Path | None,
    offline: bool,
    create: bool,
    values_copy: Path | None,
) -> None:
    """Refresh WORKBOOK's eCore tables (.xlsx/.xlsm; --create makes a new one).

    \b
    Examples:
      ecore-xl refresh report.xlsx
      ecore-xl refresh new.xlsx --create --datasets contracts,volumes
      ecore-xl refresh report.xlsm --datasets volumes,invoices
      ecore-xl refresh report.xlsx --snapshot snapshots/       (saves the raw data too)
      ecore-xl refresh report.xlsx --snapshot snapshots/ --offline
    """
    from ecore_xl.excel.headless import refresh_file
    from ecore_xl.excel.provenance import snapshot_file

    existed = workbook.exists()
    if not existed and not create:
        raise UsageError(
            f"{workbook} does not exist: check the name, or add --create to make a new workbook."
        )
    with StepBar("Refreshing") as bar:
        report = refresh_file(
            workbook,
            datasets=_datasets(datasets),
            offline=True if offline else None,
            snapshot_dir=snapshot,
            progress=bar,
        )
    for warning in report.warnings:
        click.echo(f"Warning: {warning}", err=True)
    width = max((len(r.sheet) for r in report.results), default=0)
    for r in report.results:
        click.echo(f"{r.sheet:<{width}}  {r.table} {r.ref:<12} {r.rows:>10,} rows")
    verb = "Refreshed" if existed else "Created"
    click.echo(f"{verb} {workbook} ({len(report.results)} tables).")
    if values_copy is not None:
        target, missing = snapshot_file(workbook, values_copy)
        click.echo(f"Values-only copy: {target}")
        if missing:
            click.echo(
                f"Warning: {len(missing)} ECORE_ formula(s) had no saved value (open and save the "
                f"workbook in Excel first): {', '.join(missing[:5])}",
                err=True,
            )
