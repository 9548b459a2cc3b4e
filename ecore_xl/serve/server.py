"""Run the backend with uvicorn: in the foreground (``ecore-xl serve``) or in a thread (tests,
benchmarks, ``ecore-xl demo``-like runs), on a socket bound before the server starts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ecore_xl.data import DataService
    from ecore_xl.serve.backend import Backend

__all__ = ["BackgroundServer", "bind", "serve_forever", "start_backend"]

log = logging.getLogger("ecore_xl.serve")


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket (``port`` 0: any free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP, and
    # without it every answer waits ~40 ms for a delayed ACK (measured: 44 ms vs 1.5 ms)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(256)
    sock.setblocking(False)
    return sock


def _server(backend: Backend, *, log_level: str = "warning") -> Any:
    import uvicorn

    from ecore_xl.serve.app import create_app

    options = backend.options
    tls: dict[str, Any] = {}
    if options.tls:
        tls = {"ssl_certfile": str(options.certfile), "ssl_keyfile": str(options.keyfile)}
    config = uvicorn.Config(
        create_app(backend),
        log_level=log_level,
        access_log=False,
        lifespan="on",
        timeout_keep_alive=30,
        server_header=False,
        **tls,
    )
    return uvicorn.Server(config)


def serve_forever(backend: Backend, sock: socket.socket, *, log_level: str = "info") -> None:
    """Serve until Ctrl-C, then close the backend."""
    server = _server(backend, log_level=log_level)
    try:
        asyncio.run(server.serve(sockets=[sock]))
    finally:
        backend.close()


class BackgroundServer:
    """The backend served from a daemon thread on a bound socket."""

    def __init__(self, backend: Backend, sock: socket.socket) -> None:
        self.backend = backend
        self._sock = sock
        self.port: int = sock.getsockname()[1]
        self._server = _server(backend)
        self._thread = threading.Thread(target=self._run, name="ecore-serve", daemon=True)

    def _run(self) -> None:
        asyncio.run(self._server.serve(sockets=[self._sock]))

    @property
    def url(self) -> str:
        return self.backend.options.url

    def start(self) -> BackgroundServer:
        self._thread.start()
        for _ in range(500):  # up to 5 s
            if self._server.started or not self._thread.is_alive():
                break
            threading.Event().wait(0.01)
        if not self._server.started:
            raise RuntimeError("the eCore backend did not start")
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        with contextlib.suppress(OSError):
            self._sock.close()
        self.backend.close()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_backend(service: DataService, **options: Any) -> BackgroundServer:
    """A started :class:`BackgroundServer` for ``service`` on a free loopback port (plain HTTP
    unless ``tls=True`` with ``certfile``/``keyfile``); the options are :class:`ServeOptions`'."""
    from ecore_xl.serve.backend import Backend
    from ecore_xl.serve.options import ServeOptions

    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    tls = bool(options.pop("tls", False))
    host = "localhost" if tls else "127.0.0.1"
    url = options.pop("public_url", None) or f"{'https' if tls else 'http'}://{host}:{port}"
    opts = ServeOptions(host="127.0.0.1", port=port, public_url=url, tls=tls, **options)
    return BackgroundServer(Backend(service, opts), sock).start()
