"""How one backend runs: where it listens, who may call it, how long a request may take.

Local by default: ``https://localhost:8443`` (Office loads add-ins over HTTPS only) with the
development certificate of :mod:`.certs`; ``host`` for a team server. Plain HTTP is refused
unless the backend listens on loopback only (tests, benchmarks, a reverse proxy on the same
machine that terminates TLS).
"""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ecore_xl.errors import ConfigError

__all__ = ["DEFAULT_PORT", "LOOPBACK_HOSTS", "ServeOptions", "is_loopback", "load_token"]

DEFAULT_PORT = 8443
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ServeOptions:
    """Settings of one ``ecore-xl serve`` process (the API settings are the usual ``Settings``)."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    #: the URL the add-in is loaded from (the manifest's); default ``https://localhost:PORT``
    public_url: str | None = None
    tls: bool = True
    certfile: Path | None = None
    keyfile: Path | None = None
    #: the per-install token the add-in sends (``Authorization: Bearer …``)
    token: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    #: more origins the add-in may be served from (the backend's own is always allowed)
    extra_origins: tuple[str, ...] = ()
    #: threads that run data calls needing the API (each may use ``ECORE_MAX_WORKERS`` more)
    workers: int = 8
    #: threads for calls answered within the cache TTL (never queued behind slow API calls)
    hit_workers: int = 2
    #: seconds a request may take before it is answered with DeadlineExceededError
    deadline: float = 60.0
    #: where report jobs write their workbooks
    reports_dir: Path | None = None

    def __post_init__(self) -> None:
        if not self.tls and not is_loopback(self.host):
            raise ConfigError(
                f"Plain HTTP is for loopback only, not --host {self.host}: drop --http (HTTPS "
                "with --cert/--key) or listen on 127.0.0.1.",
                variable="--http",
            )
        if self.workers < 1 or self.hit_workers < 1:
            raise ConfigError("--workers must be at least 1.", variable="--workers")
        if not self.deadline > 0:
            raise ConfigError("--deadline must be more than 0 seconds.", variable="--deadline")
        if len(self.token) < 16:
            raise ConfigError("The backend token is too short (16 characters at least).")

    @property
    def url(self) -> str:
        """The add-in's base URL (no trailing slash)."""
        if self.public_url:
            return self.public_url.rstrip("/")
        scheme = "https" if self.tls else "http"
        host = "localhost" if is_loopback(self.host) and self.tls else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"{scheme}://{host}:{self.port}"

    @property
    def origin(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def origins(self) -> tuple[str, ...]:
        """Origins allowed to call the API from a browser (CORS)."""
        return (self.origin, *(o.rstrip("/") for o in self.extra_origins if o))

    @property
    def hosts(self) -> tuple[str, ...]:
        """Host header values accepted (DNS rebinding cannot reach a local backend)."""
        public = urlsplit(self.url).hostname or ""
        if is_loopback(self.host):
            return tuple(dict.fromkeys([public, "localhost", "127.0.0.1"]))
        return ("*",) if self.host in ("0.0.0.0", "::") and not self.public_url else (public,)


def load_token(path: Path, *, create: bool = True) -> str:
    """The per-install token kept in ``path`` (created with 0600 when missing and ``create``)."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        if not create:
            raise ConfigError(
                f"No backend token at {path}: run 'ecore-xl serve --make-cert' once."
            ) from None
        text = ""
    if len(text) >= 16:
        return text
    from ecore_xl.atomic import atomic_write_bytes, make_private_dir

    token = secrets.token_urlsafe(32)
    make_private_dir(path.parent, tighten=True)
    atomic_write_bytes(path, token.encode("ascii"))
    path.chmod(0o600)
    return token
