"""``ecore-xl fetch DATASET``: one dataset to the terminal, a .csv, .xlsx or .json file.

Filters are checked before any request (exit 2 names the bad one). ``--filter meterId=A,B`` (or the
option twice) asks for several meters; ``--snapshot DIR`` also keeps the raw answer for offline
work, ``--offline`` answers from such snapshots without touching the API.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ecore_xl.atomic import atomic_write_path, check_not_open
from ecore_xl.cli.options import no_escape_option, offline_option, snapshot_dir_option
from ecore_xl.data.filters import split_ids
from ecore_xl.errors import UsageError
from ecore_xl.escaping import csv_frame, sheet_title

if TYPE_CHECKING:
    import pandas as pd

    from ecore_xl.catalogue import Dataset

__all__ = ["FORMATS", "fetch", "write_frame"]

FORMATS = (".csv", ".xlsx", ".json")
HEAD_ROWS = 10
#: a progress bar appears only for fetches of at least this many requests
PROGRESS_MIN_REQUESTS = 4


# ---- writers --------------------------------------------------------------------------------


def _check_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise UsageError(
            f"--out {path.name}: the file type comes from the extension; use one of "
            f"{', '.join(FORMATS)}."
        )
    return suffix


def _write_xlsx(df: pd.DataFrame, target: Path, ds: Dataset) -> None:
    """A workbook with one sheet holding the dataset as the catalogue's named Excel table."""
    from openpyxl import Workbook

    from ecore_xl.excel.sheets import write_table

    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title(ds.sheet)
    write_table(ws, df, table_name=ds.table)
    wb.save(target)


def write_frame(df: pd.DataFrame, path: str | Path, ds: Dataset, *, escape: bool = True) -> Path:
    """Write ``df`` to ``path`` as .csv / .xlsx / .json (by extension), atomically.

    ``escape``: CSV text (and column names) that a spreadsheet would read as a formula gets a
    leading ``'`` (:mod:`ecore_xl.escaping`); JSON is data and is written as sent.
    """
    target = Path(path)
    suffix = _check_format(target)
    with atomic_write_path(target) as tmp:
        if suffix == ".csv":
            # CRLF (RFC 4180): a field holding a bare CR is then quoted, so no reader starts a
            # new line (and a formula) in the middle of it
            (csv_frame(df) if escape else df).to_csv(
                tmp, index=False, encoding="utf-8", lineterminator="\r\n"
            )
        elif suffix == ".json":
            df.to_json(tmp, orient="records", date_format="iso", date_unit="s", force_ascii=False)
        else:
            _write_xlsx(df, tmp, ds)
    return target


# ---- progress -------------------------------------------------------------------------------


class _Progress:
    """A click progress bar on stderr, shown only on a terminal and for many requests."""

    def __init__(self, label: str) -> None:
        self._label = label
        self._bar: Any = None
        self._shown = 0
        self._enabled = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self._enabled or total < PROGRESS_MIN_REQUESTS:
            return
        if self._bar is None:
            self._bar = click.progressbar(length=total, label=self._label, file=sys.stderr)
            self._bar.__enter__()
        self._bar.update(done - self._shown)
        self._shown = done

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


# ---- the command ----------------------------------------------------------------------------


def _parse_filters(items: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(
                f"{item!r} is not key=value (e.g. --filter meterId=MTR-0001).",
                param_hint="--filter",
            )
        name = name.strip()
        if name in out:  # the option given twice for one filter: several values, a list
            previous = out[name] if isinstance(out[name], list) else split_ids(out[name])
            out[name] = [*previous, *split_ids(value)]
        else:
            out[name] = value
    return out


def _print_head(df: pd.DataFrame) -> None:
    import pandas as pd

    width = shutil.get_terminal_size((120, 20)).columns
    with pd.option_context(
        "display.width", width, "display.max_columns", None, "display.max_colwidth", 40
    ):
        text = df.head(HEAD_ROWS).to_string(index=False) if len(df) else "(no rows)"
    click.echo(text)
    click.echo(f"{len(df):,} rows x {df.shape[1]} columns")


@click.command()
@click.argument("dataset")
@click.option("--from", "from_", metavar="DATE", help="Start (inclusive): 2026-03-01 or ISO time.")
@click.option("--to", metavar="DATE", help="End (exclusive): 2026-04-01 or ISO time.")
@click.option(
    "--filter",
    "filters",
    multiple=True,
    metavar="KEY=VALUE",
    help="Any dataset filter, e.g. meterId=MTR-0001 (A,B or repeated: several values; "
    "quote an id that holds a comma: meterId='\"A,1\",B').",
)
@click.option("--granularity", metavar="G", help="quarterhour, hour, day, month (volumes).")
@click.option("--wide", is_flag=True, help="Volumes as one column per meter.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to a .csv, .xlsx or .json file instead of printing the first rows.",
)
@snapshot_dir_option
@offline_option
@click.option("--refresh", is_flag=True, help="Ignore cached data.")
@no_escape_option
def fetch(
    dataset: str,
    from_: str | None,
    to: str | None,
    filters: tuple[str, ...],
    granularity: str | None,
    wide: bool,
    out: Path | None,
    snapshot: Path | None,
    offline: bool,
    refresh: bool,
    no_escape: bool,
) -> None:
    """Fetch DATASET (contracts, volumes, invoices, ...) as a table.

    \b
    Examples:
      ecore-xl fetch contracts --filter status=active
      ecore-xl fetch volumes --filter meterId=MTR-0001 --from 2026-01-01 --to 2026-02-01
      ecore-xl fetch volumes --filter meterId=MTR-0001,MTR-0002 --from 2026-01-01 \\
          --to 2027-01-01 --granularity quarterhour --wide --out volumes.xlsx
    """
    from ecore_xl.data import get_service

    if out is not None:
        _check_format(out)  # before any request
        check_not_open(out)
    values = _parse_filters(filters)
    for name, value in (("from", from_), ("to", to), ("granularity", granularity)):
        if value is not None:
            values[name] = value
    service = get_service()
    ds = service.dataset(dataset)
    progress = _Progress(f"Fetching {ds.name}")
    try:
        df = service.fetch(
            ds.name,
            layout="wide" if wide else "long",
            refresh=refresh,
            snapshot_dir=snapshot,
            offline=True if offline else None,
            progress=progress,
            **values,
        )
    finally:
        progress.close()
    if out is None:
        _print_head(df)
        return
    write_frame(df, out, ds, escape=service.settings.escape_formulas and not no_escape)
    click.echo(f"Wrote {len(df):,} rows to {out}")
