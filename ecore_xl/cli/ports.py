"""One rule for a port the command cannot listen on (``mock``, ``serve``)."""

from __future__ import annotations

import errno

from ecore_xl.errors import UsageError

__all__ = ["port_refused"]

_IN_USE = {errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", errno.EADDRINUSE)}


def port_refused(exc: OSError, host: str, port: int, command: str) -> UsageError:
    """The one-line error for ``exc`` raised while opening ``host:port`` for ``command``."""
    busy = "is in use" if exc.errno in _IN_USE else f"cannot be opened ({exc.strerror or exc})"
    return UsageError(
        f"Port {port} on {host} {busy}: another '{command}' may be running; stop it, "
        f"or choose another port with --port {port + 1}."
    )
