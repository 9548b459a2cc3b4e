"""A tiny scripted HTTP server on 127.0.0.1 for API-client cases the mock does not stage.

``Stub(route)`` runs ``route(method, path_with_query, headers, body) -> (status, headers, body)``
for every request and records the requests it saw.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson

Reply = tuple[int, Mapping[str, str], bytes]
Route = Callable[[str, str, Mapping[str, str], bytes], Reply]

TOKEN_PATH = "/tenant/oauth2/v2.0/token"


def json_reply(status: int, body: Any, **headers: str) -> Reply:
    """A JSON response."""
    return status, {"Content-Type": "application/json", **headers}, orjson.dumps(body)


def token_reply(token: str = "stub-access-token-0001", expires_in: int = 3600) -> Reply:
    """An Entra-shaped token response."""
    return json_reply(
        200,
        {
            "token_type": "Bearer",
            "expires_in": expires_in,
            "ext_expires_in": expires_in,
            "access_token": token,
        },
    )


class Stub:
    """Scripted HTTP server; use as a context manager."""

    def __init__(self, route: Route, *, tls: ssl.SSLContext | None = None) -> None:
        self.route = route
        self.scheme = "https" if tls else "http"
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items()}
                stub.requests.append((self.command, self.path, headers))
                status, reply_headers, payload = stub.route(self.command, self.path, headers, body)
                self.send_response(status)
                for name, value in reply_headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{self.scheme}://{host}:{port}"

    def env(self) -> dict[str, str]:
        """ECORE_* variables pointing a client at this stub."""
        return {
            "ECORE_BASE_URL": self.base + "/v1",
            "ECORE_TOKEN_URL": self.base + TOKEN_PATH,
            "ECORE_CLIENT_ID": "stub-client-id",
            "ECORE_CLIENT_SECRET": "stub-client-secret-XYZ123",
            "ECORE_SCOPE": "https://stub.onmicrosoft.com/api/.default",
            "ECORE_SUBSCRIPTION_KEY": "stubprimarykey0123456789",
        }

    def __enter__(self) -> Stub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class FakeClock:
    """A clock tests move by hand; starts at the real time so HTTP dates stay sensible."""

    def __init__(self, start: float | None = None) -> None:
        import time

        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Sleeps(list[float]):
    """An injected ``sleep`` that records the delays instead of waiting; may run a hook."""

    def __init__(self, hook: Callable[[float], None] | None = None) -> None:
        super().__init__()
        self._hook = hook

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        if self._hook is not None:
            self._hook(seconds)
