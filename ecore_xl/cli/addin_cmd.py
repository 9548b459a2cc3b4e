"""``ecore-xl addin build|install|uninstall``: the eCore ribbon add-in for Excel."""

from __future__ import annotations

import os
from pathlib import Path

import click

__all__ = ["addin"]


@click.group()
def addin() -> None:
    """Build and install the eCore ribbon add-in (ecore_xl.xlam).

    \b
    Examples:
      ecore-xl addin build --import-vba          (Windows, with Excel)
      ecore-xl addin install
      ecore-xl addin uninstall
    """


@addin.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("ecore_xl.xlam"),
    show_default=True,
    help="Where to write the add-in.",
)
@click.option("--interpreter-win", metavar="PATH", help="pythonw.exe for Windows users.")
@click.option("--interpreter-mac", metavar="PATH", help="python for macOS users.")
@click.option(
    "--import-vba",
    is_flag=True,
    help="Windows: import the eCore VBA modules (shipped with ecore_xl) into the add-in through "
    "Excel (needs 'Trust access to the VBA project object model').",
)
def build(
    out: Path, interpreter_win: str | None, interpreter_mac: str | None, import_vba: bool
) -> None:
    """Make ecore_xl.xlam from xlwings' open-source ribbon add-in.

    \b
    Examples:
      ecore-xl addin build --import-vba          (Windows, with Excel: the buttons work)
      ecore-xl addin build --out ecore_xl.xlam   (no macros: import them on Windows)
    """
    from ecore_xl.excel import addin as builder

    result = builder.build(out, interpreter_win=interpreter_win, interpreter_mac=interpreter_mac)
    click.echo(f"Built {result.path}")
    for key, value in result.config.items():
        click.echo(f"  {key}: {value or '(xlwings default)'}")
    if import_vba:
        builder.import_vba(result.path)
        click.echo("Imported the eCore VBA modules: the ribbon buttons are live.")
    else:
        for note in result.notes:
            click.echo(f"Note: {note}", err=True)


@addin.command()
@click.option(
    "--file",
    "xlam",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("ecore_xl.xlam"),
    show_default=True,
    help="The add-in to install.",
)
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Install here instead of Excel's startup folder (XLSTART).",
)
def install(xlam: Path, directory: Path | None) -> None:
    """Copy the add-in into Excel's startup folder (Windows, macOS).

    \b
    Examples:
      ecore-xl addin install
      ecore-xl addin install --file ecore_xl.xlam --dir "S:/Shared/Excel add-ins"
    """
    from ecore_xl.excel import addin as builder

    target = builder.install(xlam, directory=directory)
    click.echo(f"Installed {target}")
    click.echo("Restart Excel: the eCore tab appears in the ribbon.")
    if os.name != "nt":
        click.echo("macOS: also run 'xlwings runpython install' once (lets Excel start Python).")


@addin.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Remove from here instead of Excel's startup folder.",
)
def uninstall(directory: Path | None) -> None:
    """Remove the add-in from Excel's startup folder.

    \b
    Example:
      ecore-xl addin uninstall
    """
    from ecore_xl.excel import addin as builder

    removed = builder.uninstall(directory=directory)
    click.echo(f"Removed {removed}" if removed else "The add-in was not installed.")
