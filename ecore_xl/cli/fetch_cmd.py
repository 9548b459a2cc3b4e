"""``ecore-xl fetch DATASET``: one dataset to the terminal, a .csv, .xlsx, .json or .parquet file.

Filters are checked before any request (exit 2 names the bad one). ``--filter meterId=A,B`` (or the
option twice) asks for several meters; ``--snapshot DIR`` also keeps the raw answer for offline
work, ``--offline`` answers from such snapshots without touching the API.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ecore_xl.atomic import atomic_write_path, check_not_open
from ecore_xl.cli.hints import in_cli_spelling
from ecore_xl.cli.options import no_escape_option, offline_option, snapshot_dir_option
from ecore_xl.cli.preview import preview
from ecore_xl.data.filters import split_ids
from ecore_xl.errors import InvalidFilterError, UsageError
from ecore_xl.escaping import csv_frame, sheet_title

if TYPE_CHECKING:
    import pandas as pd

    from ecore_xl.catalogue import Dataset

__all__ = ["CSV_STYLES", "FORMATS", "fetch", "write_frame"]

FORMATS = (".csv", ".xlsx", ".json", ".parquet")
#: a progress bar appears only for fetches of at least this many requests
PROGRESS_MIN_REQUESTS = 4


@dataclass(frozen=True)
class CsvStyle:
    """How a CSV file separates fields and writes decimals, and its encoding."""

    sep: str
    decimal: str
    encoding: str


#: ``--csv`` styles. The default stays ``plain`` whatever the machine's locale: a scheduled job
#: must write the same file on every machine, and Excel's list separator (Windows' regional
#: setting) is not what Python's locale reports. German-locale Excel opens ``excel-de`` right.
CSV_STYLES = {
    "plain": CsvStyle(",", ".", "utf-8"),  # pandas, R, databases
    "excel": CsvStyle(",", ".", "utf-8-sig"),  # English-locale Excel: the BOM says UTF-8
    "excel-de": CsvStyle(";", ",", "utf-8-sig"),  # German (most European) locale Excel
}


# ---- writers --------------------------------------------------------------------------------


def _check_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise UsageError(
            f"--out {path.name}: the file type comes from the extension; use one of "
            f"{', '.join(FORMATS)}."
        )
    if suffix == ".parquet" and importlib.util.find_spec("pyarrow") is None:
        raise UsageError(
            f'--out {path.name}: Parquet needs pyarrow: pip install "ecore_xl[parquet]" (or '
            "pip install pyarrow) into this environment."
        )
    return suffix


def _write_csv(df: pd.DataFrame, target: Path, style: CsvStyle) -> None:
    """The one CSV writer: every text field of ``df`` passes here (escaped by the caller).

    CRLF (RFC 4180): a field holding a bare CR is then quoted, so no reader starts a new line
    (and a formula) in the middle of it.
    """
    df.to_csv(
        target,
        index=False,
        sep=style.sep,
        decimal=style.decimal,
        encoding=style.encoding,
        lineterminator="\r\n",
    )


def _write_json(df: pd.DataFrame, target: Path, lists: dict[str, list[Any]]) -> None:
    """Records as a JSON array; the columns in ``lists`` as the API's own arrays and objects
    (the frame holds them as ``a;b`` text for a cell)."""
    import orjson

    text = df.to_json(orient="records", date_format="iso", date_unit="s", force_ascii=False)
    rows = orjson.loads(text)
    for name, values in lists.items():
        for row, value in zip(rows, values, strict=True):
            row[name] = value
    target.write_bytes(orjson.dumps(rows))


def _write_xlsx(df: pd.DataFrame, target: Path, ds: Dataset) -> None:
    """A workbook with one sheet holding the dataset as the catalogue's named Excel table."""
    from openpyxl import Workbook

    from ecore_xl.excel.sheets import write_table
    from ecore_xl.xlsx import save_workbook, stream_cells

    wb = Workbook()
    stream_cells(wb)
    ws = wb.active
    ws.title = sheet_title(ds.sheet)
    write_table(ws, df, table_name=ds.table, formats=ds.number_formats())
    save_workbook(wb, target)


def write_frame(
    df: pd.DataFrame,
    path: str | Path,
    ds: Dataset,
    *,
    csv_style: str = "plain",
    lists: dict[str, list[Any]] | None = None,
    escape: bool = True,
) -> Path:
    """Write ``df`` to ``path`` as .csv / .xlsx / .json / .parquet (by extension), atomically.

    ``lists``: for JSON, columns to write as the arrays the API sent (see :func:`nested_lists`).
    Parquet keeps the dtypes (UTC and local time, numbers) and ``df.attrs`` (provenance).
    ``escape``: CSV text (and column names) that a spreadsheet would read as a formula gets a
    leading ``'`` (:mod:`ecore_xl.escaping`); JSON and Parquet are data and are written as sent.
    """
    target = Path(path)
    suffix = _check_format(target)
    with atomic_write_path(target) as tmp:
        if suffix == ".csv":
            _write_csv(csv_frame(df) if escape else df, tmp, CSV_STYLES[csv_style])
        elif suffix == ".json":
            _write_json(df, tmp, lists or {})
        elif suffix == ".parquet":
            df.to_parquet(tmp, index=False)
        else:
            _write_xlsx(df, tmp, ds)
    return target


def nested_lists(
    df: pd.DataFrame, ds: Dataset, records: list[dict[str, Any]]
) -> dict[str, list[Any]]:
    """The list and object fields of ``ds`` as the API sent them, row for row with ``df``.

    Only where rows and records line up one to one (no exploded or wide layout); the key column,
    when the dataset has one, is checked to agree, else nothing is replaced.
    """
    fields = [
        f
        for f in ds.fields
        if f.type in ("list", "object") and f.name in df.columns and "." not in f.source
    ]
    if not fields or ds.explode or len(records) != len(df):
        return {}
    key = next((f for f in ds.fields if f.name == ds.key and f.name in df.columns), None)
    if (
        key is not None
        and [str(r.get(key.source)) for r in records] != df[key.name].astype(str).tolist()
    ):
        return {}
    return {f.name: [r.get(f.source) for r in records] for f in fields}


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


def _sheet_advice(ds: Dataset, wide: bool) -> str:
    """What to change when ``fetch --out x.xlsx`` would not fit a sheet."""
    wider = "" if wide or ds.wide is None else "--wide (a column per meter), "
    return (
        f"use {wider}a shorter --from/--to range or a coarser --granularity, or write CSV or "
        "parquet (--out FILE.csv / FILE.parquet)"
    )


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
    help="Write to a .csv, .xlsx, .json or .parquet file instead of printing the first rows.",
)
@click.option(
    "--csv",
    "csv_style",
    type=click.Choice(sorted(CSV_STYLES)),
    default="plain",
    show_default=True,
    envvar="ECORE_CSV",
    help="CSV style: plain (, and 1.5), excel (the same, marked UTF-8 for Excel), excel-de "
    "(; and 1,5 for German-locale Excel). ECORE_CSV sets your default.",
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
    csv_style: str,
    snapshot: Path | None,
    offline: bool,
    refresh: bool,
    no_escape: bool,
) -> None:
    """Fetch DATASET (contracts, volumes, invoices, ...) as a table.

    \b
    Examples:
      ecore-xl fetch contracts --filter status=active
      ecore-xl fetch invoices --from 2026-10-01 --to 2026-11-01 --out invoices.csv --csv excel-de
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
    where = {"snapshot_dir": snapshot, "offline": True if offline else None}
    layout = "wide" if wide else "long"
    try:
        if out is not None and out.suffix.lower() == ".xlsx":  # a sheet: refused from the plan
            advice = _sheet_advice(ds, wide)
            service.check_fits_sheet(ds.name, layout=layout, what=f"--out {out.name}",
                                     advice=advice, **values)  # fmt: skip
        df = service.fetch(
            ds.name,
            layout=layout,
            refresh=refresh,
            progress=progress,
            **where,
            **values,
        )
    except InvalidFilterError as exc:
        raise in_cli_spelling(exc, ds) from None
    finally:
        progress.close()
    from ecore_xl.data.provenance import frame_notes

    for note in frame_notes(df):  # a granularity fallback: said, never mixed in unsaid
        click.echo(f"Note: {ds.name}: {note}", err=True)
    if out is None:
        click.echo(preview(df))
        return
    lists = {}
    if out.suffix.lower() == ".json" and not wide:
        records = service.fetch_records(ds.name, **where, **values)  # from the cache
        lists = nested_lists(df, ds, records)
    escape = service.settings.escape_formulas and not no_escape
    write_frame(df, out, ds, csv_style=csv_style, lists=lists, escape=escape)
    click.echo(f"Wrote {len(df):,} rows to {out}")
