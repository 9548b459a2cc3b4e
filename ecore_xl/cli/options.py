"""Options that several ``ecore-xl`` commands share, so they read and behave the same."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["no_escape_option", "offline_option", "snapshot_dir_option"]

#: ``--snapshot DIR`` of fetch and refresh (``report --snapshot`` differs: it reads only)
snapshot_dir_option = click.option(
    "--snapshot",
    type=click.Path(file_okay=False, path_type=Path),
    help="Snapshot directory: the raw data is saved there when online, read from it with "
    "--offline.",
)
offline_option = click.option(
    "--offline", is_flag=True, help="Never call the API: use cached data and snapshots only."
)
#: ``--no-escape`` of fetch and report: a trusted pipeline's switch (ECORE_ESCAPE_FORMULAS=0)
no_escape_option = click.option(
    "--no-escape",
    is_flag=True,
    help="Write API text that starts with = + - @ as sent (no ' in CSV, no quote prefix): "
    "only for a trusted pipeline. Same as ECORE_ESCAPE_FORMULAS=0.",
)
