"""``ecore-xl catalogue``: list and show the datasets; import E&C's Postman collection."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click

from ecore_xl.catalogue import (
    Catalogue,
    Dataset,
    Dialect,
    Field,
    describe_dialect,
    load_catalogue,
    user_catalogue_path,
)

__all__ = ["catalogue"]

_catalogue_option = click.option(
    "--catalogue",
    "catalogue_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Catalogue override file (default: ECORE_CATALOGUE, else the config dir's one).",
)


def _load(path: Path | None) -> Catalogue:
    return load_catalogue(path)


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


@click.group()
def catalogue() -> None:
    """The datasets ecore-xl knows: paths, filters, fields; learn them from E&C's Postman
    collection (import) or from the live API (probe).

    \b
    Examples:
      ecore-xl catalogue list
      ecore-xl catalogue show volumes
      ecore-xl catalogue import "eCore API.postman_collection.json" --dry-run
      ecore-xl catalogue probe --write
    """


@catalogue.command("list")
@_catalogue_option
@click.option("--json", "as_json", is_flag=True, help="Print the whole catalogue as JSON.")
def list_(catalogue_path: Path | None, as_json: bool) -> None:
    """One line per dataset: name, API path, Excel function, description.

    \b
    Examples:
      ecore-xl catalogue list
      ecore-xl catalogue list --json > catalogue.json
    """
    cat = _load(catalogue_path)
    if as_json:
        click.echo(json.dumps(cat.to_dict(), indent=2, ensure_ascii=False))
        return
    rows = [["NAME", "PATH", "FUNCTION", "DESCRIPTION"]]
    rows += [[ds.name, ds.path, ds.function, ds.description] for ds in cat]
    click.echo(_table(rows))
    user = user_catalogue_path(catalogue_path)
    click.echo(f"\nCatalogue: built-in{f' + {user}' if user else ''}")


@catalogue.command("show")
@click.argument("name")
@_catalogue_option
def show(name: str, catalogue_path: Path | None) -> None:
    """Filters (type, required, default, allowed values) and fields (type) of one dataset, and
    the API's dialect as it applies to it (envelope, paging, parameter values, units).

    \b
    Example:
      ecore-xl catalogue show invoices
    """
    from ecore_xl.catalogue.workbook import describe_faces

    cat = _load(catalogue_path)
    ds = cat.get(name)
    click.echo(_describe(ds, cat.dialect))
    click.echo("\n" + "\n".join(describe_faces(cat, ds)))


def _dialect_lines(ds: Dataset, api: Dialect) -> list[str]:
    """The dialect in effect for ``ds``: each declaration, marked where the dataset's own
    differs from the API-wide one."""
    mine = dict(describe_dialect(ds.dialect))
    theirs = dict(describe_dialect(api))
    rows = [["DECLARATION", "WHERE", "SAYS"]]
    for key, says in mine.items():
        rows.append([key, "this dataset" if theirs.get(key) != says else "API-wide", says])
    return ["  " + line for line in _table(rows).splitlines()]


def _describe(ds: Dataset, api: Dialect | None = None) -> str:
    lines = [f"{ds.name}: {ds.description}" if ds.description else ds.name]
    lines.append(f"  path      GET {ds.path}")
    lines.append(f"  Excel     ={ds.function}(...)  sheet {ds.sheet}  table {ds.table}")
    lines.append(f"  key       {ds.key or '(none)'}")
    if ds.parent:
        lines.append(
            f"  rows      one per element of {ds.parent}.{ds.explode} (with {ds.parent_key})"
        )
    if ds.one_of:
        lines.append(f"  needs     exactly one of {', '.join(ds.one_of)}")
    if ds.chunk:
        lines.append(f"  long ranges are fetched per {ds.chunk}")
    if ds.under:
        lines.append(
            f"  under     {ds.under.dataset}: without {ds.under.filter}, one request per "
            f"{ds.under.dataset} id"
        )
    if ds.granularity and any(f.name == ds.granularity.filter for f in ds.filters):
        g = ds.granularity
        lines.append(
            f"  per meter {g.filter} per {g.per}: the finest the API offers for its {g.by} "
            f"({g.source}); a refused one falls back to the next coarser"
        )
    lines.append("")
    lines.append("Dialect (how the API speaks):")
    lines.extend(_dialect_lines(ds, api or ds.dialect))
    lines.append("")
    lines.append("Filters:")
    if ds.filters:
        rows = [["NAME", "TYPE", "USE", "DEFAULT", "ALLOWED", "DESCRIPTION"]]
        in_path = {f.name for f in ds.path_filters()}
        for f in ds.filters:
            name = f.name if f.param == f.name else f"{f.name} (sent as {f.param})"
            need = "path" if f.name in in_path else "required" if f.required else "optional"
            allowed = ", ".join(
                f"{a} ({f.api_value(a)})" if f.api_value(a) != a else a for a in f.allowed or ()
            )
            checked = f"answers checked on {f.narrows}" if f.narrows else ""
            doc = "; ".join(t for t in (f.doc, checked) if t)
            rows.append([name, f.type, need, f.default or "", allowed, doc])
        lines.extend("  " + line for line in _table(rows).splitlines())
    else:
        lines.append("  (none)")
    lines.append("")
    lines.append("Fields (columns, in order):")
    rows = [["NAME", "TYPE", "UNIT", "DESCRIPTION"]]
    for fld in ds.fields:
        doc = fld.doc
        if fld.api_name:
            doc = f"read from {fld.api_name}" + (f"; {doc}" if doc else "")
        if fld.type == "timestamp":
            doc = (doc + "; " if doc else "") + f"plus {fld.name}Local (local wall time)"
        rows.append([fld.name, fld.type, _unit_text(fld), doc])
    lines.extend("  " + line for line in _table(rows).splitlines())
    return "\n".join(lines)


def _unit_text(fld: Field) -> str:
    """``MWh (API: kWh)``, ``MWh (API: its unit)``, ``exclusive end`` …"""
    parts = []
    if fld.unit:
        came = f"its {fld.unit_field}" if fld.unit_field else fld.api_unit
        if fld.unit_field and fld.api_unit:
            came += f", else {fld.api_unit}"
        parts.append(f"{fld.unit} (API: {came})" if came else fld.unit)
    if fld.ends_period:
        parts.append("ends a period")
    return "; ".join(parts)


@catalogue.command("import")
@click.argument("collection", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Override file to write (default: catalogue.json in the config dir).",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print what was found and the file it would write; write nothing.",
)
@click.option("--all", "show_all", is_flag=True, help="Also list what already matches.")
def import_(collection: Path, out: Path | None, dry_run: bool, show_all: bool) -> None:
    """Learn the API from a Postman collection export (v2.0/v2.1) and write a catalogue file.

    Each request is matched to a dataset by what it serves (a meter's time series under
    /meters/{id}/... is volumes); its saved example tells the envelope, fields, units,
    timestamps and nested series; its documented parameters the filters (by meaning: dateFrom
    is from, resolution is granularity, with their values) and the paging (never filters).
    Prints what it matched, how sure it is and what it could not place; the file it writes
    keeps the built-in column names, so workbooks and reports keep working.

    \b
    Examples:
      ecore-xl catalogue import "eCore API.postman_collection.json" --dry-run
      ecore-xl catalogue import "eCore API.postman_collection.json"
      ecore-xl catalogue import export.json --out my-catalogue.json
    """
    from ecore_xl.catalogue import builtin_catalogue, write_catalogue_file
    from ecore_xl.catalogue.postman import read_collection, to_overrides
    from ecore_xl.cli.learned import LEGEND, finding_lines
    from ecore_xl.config import config_dir

    result = to_overrides(read_collection(collection), source=str(collection), tz=_timezone())
    click.echo(
        f"{collection.name}: {len(result.matches)} datasets matched, {len(result.new)} new, "
        f"{len(result.skipped)} requests skipped.\n"
    )
    order = [*result.matched, *result.new]
    for line in finding_lines(result.learning, order, show_ok=show_all):
        click.echo(line)
    for note in result.skipped:
        click.echo(f"skipped {note}")
    click.echo(LEGEND)
    if dry_run:
        click.echo("\nThe override file it would write:")
        click.echo(json.dumps(result.overrides, indent=2, ensure_ascii=False))
        click.echo("Dry run: nothing written.")
        return
    target = out or config_dir() / "catalogue.json"
    if target.exists():
        backup = target.with_name(target.name + ".bak")
        shutil.copy2(target, backup)
        click.echo(f"Previous {target.name} kept as {backup}")
    write_catalogue_file(result.overrides, target)
    loaded = load_catalogue(target)  # proves the file loads, before anyone relies on it
    changed = sum(1 for ds in loaded if ds != _builtin_or_none(builtin_catalogue(), ds.name))
    click.echo(
        f"Wrote {target}: {len(result.datasets)} endpoints, {changed} datasets differ from the "
        "built-in catalogue."
    )
    if out is not None and out.resolve() != (config_dir() / "catalogue.json").resolve():
        click.echo(f"To use it, set ECORE_CATALOGUE={target} (or pass --catalogue).")


@catalogue.command("probe")
@click.argument("datasets", nargs=-1)
@_catalogue_option
@click.option(
    "--write",
    is_flag=True,
    help="Merge the proposed override into the catalogue file (--catalogue, else "
    "ECORE_CATALOGUE, else catalogue.json in the config dir).",
)
@click.option("--all", "show_all", is_flag=True, help="Also list what already matches.")
@click.option("--profile", default=None, help="Connection profile (default: ECORE_PROFILE).")
def probe(
    datasets: tuple[str, ...],
    catalogue_path: Path | None,
    write: bool,
    show_all: bool,
    profile: str | None,
) -> None:
    """Compare the live API with the catalogue, a few small requests per dataset.

    For each dataset (default: all): where it lives, the envelope, paging, fields present,
    missing and new, their types, units and timestamp forms, one record's shape; and whether
    each filter takes effect (a date filter narrows the dates, an id filter returns only that
    id; a filter the API ignores is named: the quiet cause of unfiltered data). Prints a table
    per dataset and the override that fixes each mismatch; --write merges it into your
    catalogue file (atomically; the old one kept as .bak). Never a full download: small pages,
    at most 40 requests per dataset. Refused in offline mode. Exit code 1 when the API does
    something no declaration fixes (a required filter it ignores, a path it does not have).

    \b
    Examples:
      ecore-xl catalogue probe
      ecore-xl catalogue probe volumes invoices
      ecore-xl catalogue probe --write
    """
    from ecore_xl.cli.learned import LEGEND, finding_lines
    from ecore_xl.config import Settings
    from ecore_xl.data.probe import probe_catalogue, refuse_offline

    settings = Settings.load(profile)
    refuse_offline(settings)
    if catalogue_path is not None:
        settings = settings.replace(catalogue=str(catalogue_path))
    start = None
    target = user_catalogue_path(settings.catalogue)
    if write and target is not None and not target.exists():
        from ecore_xl.catalogue import builtin_catalogue

        click.echo(f"{target} does not exist yet: probing with the built-in catalogue.")
        start = builtin_catalogue()
    result = probe_catalogue(datasets, settings=settings, catalogue=start)
    click.echo(
        f"Probed {len(result.datasets)} datasets at {settings.base_url} with {result.requests} "
        f"requests.\n"
    )
    for line in finding_lines(result.learning, result.datasets, show_ok=show_all):
        click.echo(line)
    click.echo(LEGEND)
    if not result.changes:
        click.echo("\nThe catalogue matches the API: nothing to change.")
    else:
        click.echo("\nThe override that fixes it:")
        click.echo(json.dumps(result.overrides, indent=2, ensure_ascii=False))
        if write:
            _merge_into_file(result.overrides, target)
        else:
            click.echo("Run again with --write to merge it into your catalogue file.")
    if result.problems:
        click.echo(f"\n{len(result.problems)} problem(s) no declaration fixes:", err=True)
        for line in result.problems:
            click.echo(f"  {line}", err=True)
        raise click.exceptions.Exit(1)


def _merge_into_file(overrides: dict[str, object], given: Path | None) -> None:
    """Merge ``overrides`` into the user's catalogue file, atomically (old one kept as .bak)."""
    from ecore_xl.catalogue import builtin_catalogue, read_catalogue_file, write_catalogue_file
    from ecore_xl.catalogue.merge import merge_overrides
    from ecore_xl.config import config_dir

    target = user_catalogue_path(given) or config_dir() / "catalogue.json"
    if target.suffix.lower() == ".toml":
        target = target.with_suffix(".json")
        click.echo(f"A TOML catalogue is not rewritten: writing {target} (point ECORE_CATALOGUE "
                   "at it).")  # fmt: skip
    old = read_catalogue_file(target) if target.exists() else {}
    merged = merge_overrides(old, overrides)
    builtin_catalogue().overlay(merged, source=str(target))  # must load before it is written
    if target.exists():
        backup = target.with_name(target.name + ".bak")
        shutil.copy2(target, backup)
        click.echo(f"Previous {target.name} kept as {backup}")
    write_catalogue_file(merged, target)
    load_catalogue(target)
    click.echo(f"Wrote {target}.")


def _timezone() -> str:
    """ECORE_TIMEZONE (or the profile's), for reading local times in examples."""
    from ecore_xl.catalogue.postman.importer import DEFAULT_TZ
    from ecore_xl.config import Settings
    from ecore_xl.errors import EcoreError

    try:
        return Settings.load().timezone
    except EcoreError:
        return DEFAULT_TZ


def _builtin_or_none(cat: Catalogue, name: str) -> Dataset | None:
    return cat.get(name) if name in cat else None
