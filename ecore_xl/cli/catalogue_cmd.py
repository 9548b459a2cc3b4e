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
    """The datasets ecore-xl knows: paths, filters, fields; import a Postman collection.

    \b
    Examples:
      ecore-xl catalogue list
      ecore-xl catalogue show volumes
      ecore-xl catalogue import "eCore API.postman_collection.json" --dry-run
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
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
def import_(collection: Path, out: Path | None, dry_run: bool) -> None:
    """Read a Postman collection export (v2.0/v2.1) and write a catalogue override file.

    \b
    Examples:
      ecore-xl catalogue import "eCore API.postman_collection.json" --dry-run
      ecore-xl catalogue import "eCore API.postman_collection.json"
    """
    from ecore_xl.catalogue import builtin_catalogue, write_catalogue_file
    from ecore_xl.config import config_dir
    from ecore_xl.postman import read_collection, to_overrides

    result = to_overrides(read_collection(collection), source=str(collection))
    for name, change in result.matched.items():
        click.echo(f"  {name}: {change}")
    for name in result.new:
        entry = result.overrides["datasets"][name]
        click.echo(f"  {name}: new dataset, GET {entry['path']}")
    for note in result.skipped:
        click.echo(f"  skipped {note}")
    if dry_run:
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


def _builtin_or_none(cat: Catalogue, name: str) -> Dataset | None:
    return cat.get(name) if name in cat else None
