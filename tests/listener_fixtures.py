"""Small local servers for transport tests: a listener that records what reaches it, an HTTP
server that answers every request with a redirect, and misbehaving bodies (trickle, silence,
gzip bomb). All bind 127.0.0.1 and stop when their ``with`` block ends."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


class Listener:
    """A TCP listener on 127.0.0.1 that accepts, records every byte sent to it, and closes."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.1)
        self.port: int = self._sock.getsockname()[1]
        self.connections = 0
        self.received = b""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.settimeout(0.5)
            try:
                while chunk := conn.recv(65536):
                    self.received += chunk
            except OSError:
                pass
            finally:
                conn.close()

    def __enter__(self) -> Listener:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()


Handler = Callable[[BaseHTTPRequestHandler], None]


class TinyHTTP:
    """An HTTP/1.1 server on 127.0.0.1 whose every GET/POST is answered by ``handle``."""

    def __init__(self, handle: Handler) -> None:
        outer = self

        class _H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                outer.requests.append((self.command, self.path, dict(self.headers)))
                handle(self)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                outer.requests.append((self.command, self.path, dict(self.headers)))
                handle(self)

        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _H)
        self._httpd.daemon_threads = True
        self.port: int = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> TinyHTTP:
        self._thread.start()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def redirect_to(location: str, status: int = 307) -> Handler:
    """A handler that answers with a redirect to ``location``."""

    def handle(h: BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        h.send_header("Location", location)
        h.send_header("Content-Length", "0")
        h.end_headers()

    return handle


def trickle(interval: float, total: int) -> Handler:
    """200 JSON whose body arrives one byte every ``interval`` seconds (``total`` bytes)."""

    def handle(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(total))
        h.end_headers()
        h.wfile.write(b"[")
        h.wfile.flush()
        try:
            for _ in range(total - 2):
                time.sleep(interval)
                h.wfile.write(b" ")
                h.wfile.flush()
            h.wfile.write(b"]")
        except OSError:
            pass

    return handle


def silent(seconds: float) -> Handler:
    """Accept the request, then say nothing for ``seconds``."""

    def handle(h: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)

    return handle


def echo_secrets(token: str) -> Handler:
    """A token endpoint (POST: 200 with ``token``) and an API whose every GET fails with an
    error message that echoes the bearer token, the subscription key and the query string."""

    def handle(h: BaseHTTPRequestHandler) -> None:
        import json

        if h.command == "POST":
            body = {"access_token": token, "token_type": "Bearer", "expires_in": 3600}
            status = 200
        else:
            echoed = (
                f"Invalid request {h.path} with {h.headers.get('Authorization')} and key "
                f"{h.headers.get('Ocp-Apim-Subscription-Key')}"
            )
            body, status = {"error": {"code": "BadRequest", "message": echoed}}, 400
        payload = json.dumps(body).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        h.wfile.write(payload)

    return handle


def token_then(data: Handler) -> Handler:
    """POST: a valid token answer; GET: ``data``."""

    def handle(h: BaseHTTPRequestHandler) -> None:
        if h.command == "POST":
            payload = (
                b'{"access_token": "tok-0123456789", "token_type": "Bearer", "expires_in": 3600}'
            )
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(payload)))
            h.end_headers()
            h.wfile.write(payload)
            return
        data(h)

    return handle


def trickle_headers(interval: float, count: int) -> Handler:
    """The status line and headers one byte every ``interval`` seconds (read timeouts never
    strike: each byte comes in time)."""

    def handle(h: BaseHTTPRequestHandler) -> None:
        head = b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * count + b"\r\n"
        try:
            for byte in head:
                h.wfile.write(bytes([byte]))
                h.wfile.flush()
                time.sleep(interval)
        except OSError:
            pass
        h.close_connection = True

    return handle


def gzip_body(payload: bytes, *, declared: int | None = None) -> Handler:
    """200 JSON, ``Content-Encoding: gzip``, the body ``payload`` (already compressed)."""

    def handle(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Encoding", "gzip")
        h.send_header("Content-Length", str(declared or len(payload)))
        h.end_headers()
        with contextlib.suppress(OSError):
            h.wfile.write(payload)

    return handle


def gzip_bomb(inflated: int) -> bytes:
    """A gzip stream of ``inflated`` zero bytes (about a thousandth of that compressed)."""
    import zlib

    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"\0" * (1 << 20)
    parts = [packer.compress(block) for _ in range(inflated >> 20)]
    parts.append(packer.flush())
    return b"".join(parts)


def empty_pages() -> Handler:
    """200 with an empty collection page for every GET (the request is recorded)."""

    def handle(h: BaseHTTPRequestHandler) -> None:
        payload = b'{"value": []}'
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        h.wfile.write(payload)

    return handle


def api_env(url: str, **extra: str) -> dict[str, str]:
    """``ECORE_*`` settings for a :class:`TinyHTTP` API at ``url`` (token at ``/token``)."""
    return {
        "ECORE_BASE_URL": url + "/v1",
        "ECORE_TOKEN_URL": url + "/token",
        "ECORE_CLIENT_ID": "client",
        "ECORE_CLIENT_SECRET": "secret-0123456789",
        "ECORE_SCOPE": "https://tenant/api/.default",
        "ECORE_SUBSCRIPTION_KEY": "key-0123456789",
        **extra,
    }
