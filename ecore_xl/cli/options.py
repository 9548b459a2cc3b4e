"""Options that several ``ecore-xl`` commands share, so they read and behave the same."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import click

__all__ = ["Percent", "no_escape_option", "offline_option", "snapshot_dir_option"]

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


class Percent(click.ParamType):
    """A percentage: ``2%`` or ``2`` mean two percent; ``0.5%`` half a percent.

    A bare number between 0 and 1 (``0.02``) is refused: it reads as "2 %" to an Excel user and
    as "0.02 %" to this option, and a threshold silently 100 times too small flags every invoice.
    Written with ``%`` it is unambiguous (``0.02%``).
    """

    name = "percent"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if isinstance(value, int | float):
            return float(value)
        text = str(value).strip().replace(",", ".")
        has_sign = text.endswith("%")
        try:
            number = float(text.removesuffix("%").strip())
        except ValueError:
            self.fail(f"{value!r} is not a percentage: write it like 2% (or 2).", param, ctx)
        if not math.isfinite(number) or not 0 <= number < 1000:
            self.fail(f"{value!r} is not a percentage between 0% and 1000%.", param, ctx)
        if not has_sign and 0 < number < 1:
            self.fail(
                f"{value!r} is ambiguous: write {number * 100:g}% for {number * 100:g} percent, "
                f"or {number:g}% for {number:g} percent.",
                param,
                ctx,
            )
        return number
