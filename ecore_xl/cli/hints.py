"""Filter errors in the command line's own spelling.

The data layer words a missing filter for every face ("volumes needs the filter to: give
to=..."); on the command line the user types ``--to 2026-02-01`` or ``--filter meterId=...``,
so :func:`in_cli_spelling` rewrites the hint with the option and an example value.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ecore_xl.errors import InvalidFilterError

__all__ = ["cli_option", "in_cli_spelling"]

#: filters that have their own option on ``ecore-xl fetch``
_OWN_OPTIONS = ("from", "to", "granularity")


def _example(ds: Any, name: str) -> str:
    spec = next((f for f in getattr(ds, "filters", ()) if f.name == name), None)
    allowed = getattr(spec, "allowed", None)
    if allowed:
        return str(allowed[0])
    kind = getattr(spec, "type", "text")
    if kind in ("date", "datetime") or name in ("from", "to"):
        first = dt.date.today().replace(day=1)
        return (first if name != "to" else _next_month(first)).isoformat()
    return "VALUE"


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def cli_option(ds: Any, name: str) -> str:
    """``--from 2026-12-01`` / ``--filter meterId=VALUE``: how to give filter ``name``."""
    value = _example(ds, name)
    return f"--{name} {value}" if name in _OWN_OPTIONS else f"--filter {name}={value}"


def in_cli_spelling(exc: InvalidFilterError, ds: Any) -> InvalidFilterError:
    """``exc`` with its ``give name=...`` hint as the option to type; unchanged otherwise."""
    name = exc.parameter
    message = exc.message
    wanted = f"give {name}=..."
    if message.endswith(wanted):
        message = message[: -len(wanted)] + f"add {cli_option(ds, name)}"
    elif "(got none)" in message:
        message = f"{message} For example: {cli_option(ds, name)}"
    else:
        return exc
    return InvalidFilterError(message, parameter=name, allowed=exc.allowed, detail=exc.detail)
