"""``MockServer``: the eCore API contract served over HTTP/1.1 on 127.0.0.1.

Request flow (data requests, i.e. paths below ``/v1``), in the contract's gateway order:

1. subscription key (header ``Ocp-Apim-Subscription-Key`` or query ``subscription-key``):
   401 missing / invalid (a revoked primary key is invalid);
2. rate limit: every ``faults.rate_limit_every``-th request that got this far answers 429, and
   so does one that finds ``faults.max_in_flight`` others not yet answered;
3. quota: ``faults.quota_exhausted`` answers 403;
4. token: 401 unless ``Authorization: Bearer`` carries a live token;
5. route: 404 ``Resource not found`` for paths the dialect does not have, or methods other than
   GET.

Only a request that passed the whole gateway meets the remaining faults, in this order: latency,
dropped connection, random 5xx, then the route's answer (possibly malformed). Latency and
``token_error_5xx_ratio`` also apply to the token endpoint. Paths outside ``/v1`` and the token
path answer 404 ``Resource not found`` without any checks.

Behind the gateway the API speaks a dialect (:mod:`.dialect`: ``ecore``, the contract, by
default); the gateway and the faults are the same in every dialect.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import hashlib
import logging
import socket
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlsplit

from . import wire
from .dialect import Dialect, Paging, configure
from .edge import Edge
from .faults import FaultDice, Faults, MockStats
from .pagecache import Kept, PageCache
from .portfolio import Portfolio
from .routes import JSON, KEY_PARAM, ROUTE_NOT_FOUND, Reply
from .tokens import POLICY, TENANT, TokenIssuer, b2c_error

log = logging.getLogger("ecore_xl.mock")

API_PREFIX = "/v1"
TOKEN_PATH = f"/{TENANT}/{POLICY}/oauth2/v2.0/token"
KEY_HEADER = "Ocp-Apim-Subscription-Key"
QUOTA_RETRY_AFTER_S = 3600
HUGE_PADDING = 8 * 1024 * 1024
#: MiB of volumes pages kept as bytes by default: the demo's and a test module's pages many times
#: over, and bounded where the mock runs in a user's process (bench_fetch asks for 256: its year
#: of quarter-hours for 20 meters by month, ~84 MB, and by year, other next links, ~84 MB)
PAGE_CACHE_MB = 64

MISSING_KEY = (
    "Access denied due to missing subscription key. "
    "Make sure to include subscription key when making requests to an API."
)
INVALID_KEY = (
    "Access denied due to invalid subscription key. "
    "Make sure to provide a valid key for an active subscription."
)
BAD_TOKEN = "Unauthorized. Access token is missing or invalid."


def _derive(seed: int, label: str, n: int = 32) -> str:
    return hashlib.sha256(f"ecore-mock-{seed}-{label}".encode()).hexdigest()[:n]


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr: tuple[str, int], mock: MockServer) -> None:
        self.mock = mock
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        super().__init__(addr, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.add(request)
        self.mock.stats.connection()
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self.sockets_lock:
            sockets = list(self.open_sockets)
        for s in sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)


class MockServer:
    """The embedded eCore API with a synthetic portfolio, a dialect and switchable faults.

    ``dialect`` is a preset name or a :class:`Dialect`; ``paging``, ``ignore_params``,
    ``gas_daily_only``, ``field_renames``, ``energy_unit`` and ``envelope`` move one axis of it
    (see :func:`.dialect.configure`); ``paging_style`` is the old name of ``paging``.
    ``extra_fields`` maps a dataset (``"contracts"``), a path template (``"/contracts"``) or a path
    to fields added to every record served there, after translation into the dialect.
    ``page_cache_mb`` bounds the volumes pages kept as bytes (:mod:`.pagecache`, ``pages``; 0
    keeps none): a page asked for again is answered from there, byte for byte the same.
    """

    def __init__(
        self,
        *,
        seed: int = 42,
        meters: int = 20,
        years: tuple[int, ...] = (2025, 2026),
        as_of: dt.date | None = None,
        page_size: int = 1000,
        token_lifetime: float = 3600.0,
        token_shape: str = "b2c",
        paging_style: str | None = None,
        faults: Faults | None = None,
        port: int = 0,
        timezone: str = "Europe/Berlin",
        dialect: str | Dialect = "ecore",
        paging: str | Paging | None = None,
        ignore_params: Mapping[str, Sequence[str]] | None = None,
        gas_daily_only: bool | None = None,
        field_renames: Mapping[str, Any] | None = None,
        energy_unit: str | None = None,
        envelope: str | None = None,
        page_cache_mb: float = PAGE_CACHE_MB,
    ) -> None:
        if paging_style is not None and paging is not None and paging_style != paging:
            raise ValueError("paging_style is the old name of paging: give one of them")
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        if page_cache_mb < 0:
            raise ValueError("page_cache_mb must be 0 (keep no pages) or more")
        self.dialect = configure(
            dialect,
            paging=paging if paging is not None else paging_style,
            ignore_params=ignore_params,
            gas_daily_only=gas_daily_only,
            field_renames=field_renames,
            energy_unit=energy_unit,
            envelope=envelope,
        )
        self.seed = seed
        self.page_size = page_size
        self.port = port
        self.faults = faults if faults is not None else Faults()
        self.portfolio = Portfolio(
            seed=seed, meters=meters, years=years, as_of=as_of, timezone=timezone
        )
        self.client_id = f"mock-client-{_derive(seed, 'client', 12)}"
        self.client_secret = f"mock-secret-{_derive(seed, 'secret')}"
        self.scope = f"https://{TENANT}/ecore-api/.default"
        self.primary_key = f"mock-primary-{_derive(seed, 'primary')}"
        self.secondary_key = f"mock-secondary-{_derive(seed, 'secondary')}"
        self.extra_fields: dict[str, dict[str, object]] = {}
        self.stats = MockStats()
        self.tokens = TokenIssuer(
            client_id=self.client_id,
            client_secret=self.client_secret,
            scope=self.scope,
            signing_key=_derive(seed, "signing").encode(),
            lifetime=token_lifetime,
            shape=token_shape,
        )
        self.edge = Edge(self.dialect, self.portfolio, API_PREFIX)
        #: volumes pages kept as bytes (the LRU, at most ``page_cache_mb`` MiB of bodies)
        self.pages = PageCache(int(page_cache_mb * 2**20))
        self._primary_revoked = False
        self._dice = FaultDice()
        self._gate_lock = threading.Lock()
        self._gate_count = 0
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> MockServer:
        """Bind 127.0.0.1 and serve in a daemon thread."""
        if self._httpd is not None:
            return self
        self._httpd = _HTTPServer(("127.0.0.1", self.port), self)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"ecore-mock-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket and open connections."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.close_connections()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def serve_forever(self) -> None:
        """Serve until Ctrl-C (KeyboardInterrupt), then stop cleanly."""
        self.start()
        try:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ addresses
    @property
    def origin(self) -> str:
        if self._httpd is None and self.port == 0:
            raise RuntimeError("MockServer is not started: call start() first")
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return self.origin + API_PREFIX

    @property
    def token_url(self) -> str:
        return self.origin + TOKEN_PATH

    def env(self) -> dict[str, str]:
        """``ECORE_*`` variables pointing a client at this server."""
        return {
            "ECORE_BASE_URL": self.base_url,
            "ECORE_TOKEN_URL": self.token_url,
            "ECORE_CLIENT_ID": self.client_id,
            "ECORE_CLIENT_SECRET": self.client_secret,
            "ECORE_SCOPE": self.scope,
            "ECORE_SUBSCRIPTION_KEY": self.primary_key,
            "ECORE_SUBSCRIPTION_KEY_SECONDARY": self.secondary_key,
        }

    # ------------------------------------------------------------------ controls
    def revoke_primary(self) -> None:
        """The primary subscription key becomes invalid (as after a key rotation)."""
        self._primary_revoked = True

    def restore_primary(self) -> None:
        self._primary_revoked = False

    def expire_tokens(self) -> None:
        """Every token issued so far becomes invalid."""
        self.tokens.expire_all()

    def reset_stats(self) -> None:
        self.stats.reset()
        with self._gate_lock:
            self._gate_count = 0

    @property
    def paging_style(self) -> str:
        """The paging style served (the dialect's, or the one switched)."""
        return self.dialect.paging.style

    def __repr__(self) -> str:
        where = f"127.0.0.1:{self.port}" if self._httpd else "stopped"
        return (
            f"MockServer({where}, dialect={self.dialect.name}, seed={self.seed}, "
            f"meters={len(self.portfolio.meters)})"
        )

    # ------------------------------------------------------------------ request logic
    def _key_ok(self, key: str) -> bool:
        return key == self.secondary_key or (key == self.primary_key and not self._primary_revoked)

    def _gateway(
        self, headers: Any, pairs: list[tuple[str, str]], path: str, at_once: int = 1
    ) -> Reply | None:
        """The gateway's answer, or None when the request may pass (``at_once``: data requests
        in flight, this one included)."""
        key = headers.get(KEY_HEADER)
        if key is None:
            key = next((v for k, v in pairs if k == KEY_PARAM), None)
        if not key:
            return self._key_reply(MISSING_KEY)
        if not self._key_ok(key):
            return self._key_reply(INVALID_KEY)
        faults = self.faults
        every = faults.rate_limit_every
        with self._gate_lock:
            self._gate_count += 1
            count = self._gate_count
        crowded = faults.max_in_flight is not None and at_once > faults.max_in_flight
        if crowded or (every and every > 0 and count % every == 0):
            self.stats.fault("429")
            n = faults.retry_after_s
            return Reply(
                429,
                {
                    "statusCode": 429,
                    "message": f"Rate limit is exceeded. Try again in {n} seconds.",
                },
                {"Retry-After": str(n)},
            )
        if faults.quota_exhausted:
            self.stats.fault("quota")
            n = QUOTA_RETRY_AFTER_S
            hms = f"{n // 3600:02d}:{n % 3600 // 60:02d}:{n % 60:02d}"
            return Reply(
                403,
                {
                    "statusCode": 403,
                    "message": f"Out of call volume quota. Quota will be replenished in {hms}.",
                },
                {"Retry-After": str(n)},
            )
        if not self.tokens.valid(headers.get("Authorization")):
            return Reply(401, {"statusCode": 401, "message": BAD_TOKEN})
        return None

    def _key_reply(self, message: str) -> Reply:
        realm = self.base_url
        return Reply(
            401,
            {"statusCode": 401, "message": message},
            {
                "WWW-Authenticate": (
                    f'AzureApiManagementKey realm="{realm}",name="{KEY_HEADER}",type="header"'
                )
            },
        )

    def _sleep(self) -> None:
        f = self.faults
        delay = f.latency_s
        if f.latency_jitter_s > 0:
            delay += self._dice.roll(f) * f.latency_jitter_s
        if delay > 0:
            time.sleep(delay)

    def _extra_for(self, keys: Sequence[str]) -> dict[str, object] | None:
        """Fields added to every served record: ``extra_fields`` by dataset, template or path."""
        extra: dict[str, object] = {}
        for key in keys:
            extra.update(self.extra_fields.get(key, {}))
        return extra or None

    def _malformed_kind(self, path: str) -> str | None:
        best = None
        for prefix, kind in self.faults.malformed.items():
            p = prefix if prefix.startswith("/") else "/" + prefix
            if p.startswith(API_PREFIX + "/"):
                p = p[len(API_PREFIX) :]
            if path.startswith(p) and (best is None or len(p) > len(best[0])):
                best = (p, kind)
        return best[1] if best else None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "eCoreMock/1.0"
    timeout = 30
    disable_nagle_algorithm = True  # headers and body are separate writes
    server: _HTTPServer

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    # ------------------------------------------------------------------
    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _dispatch(self, method: str) -> None:
        mock = self.server.mock
        try:
            body = self._read_body()
            split = urlsplit(self.path)
            path = split.path
            pairs = parse_qsl(split.query, keep_blank_values=True)
            if path == TOKEN_PATH:
                mock.stats.token_request(path)
                self._token(method, body)
            elif path == API_PREFIX or path.startswith(API_PREFIX + "/"):
                self._data(method, path[len(API_PREFIX) :] or "/", pairs)
            else:
                mock.stats.other_request(path)
                self._send(ROUTE_NOT_FOUND)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away mid-answer
        except Exception:  # a bug in the mock must not kill the connection silently
            log.exception("mock server error on %s %s", method, self.path)
            self._send(Reply(500, {"statusCode": 500, "message": "Internal server error"}))

    def _token(self, method: str, body: bytes) -> None:
        mock = self.server.mock
        faults = mock.faults
        mock._sleep()
        if method != "POST":
            self._send(
                Reply(
                    405,
                    b2c_error(
                        "invalid_request", "AADB2C90079", "The token endpoint accepts POST only."
                    ),
                    {"Allow": "POST"},
                )
            )
            return
        if (
            faults.token_error_5xx_ratio > 0
            and mock._dice.roll(faults) < faults.token_error_5xx_ratio
        ):
            mock.stats.fault("token_5xx")
            status = mock._dice.choice(faults, (500, 503))
            err = b2c_error(
                "server_error",
                "AADB2C90085",
                "The service has encountered an internal error. "
                "Please reauthenticate and try again.",
            )
            self._send(Reply(status, err))
            return
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/x-www-form-urlencoded":
            err = b2c_error(
                "invalid_request",
                "AADB2C90083",
                "The request is missing required parameter: grant_type.",
            )
            self._send(Reply(400, err))
            return
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        reply = mock.tokens.request(form, self._basic_auth())
        self._send(
            Reply(reply.status, reply.body, {"Cache-Control": "no-store", "Pragma": "no-cache"})
        )

    def _basic_auth(self) -> tuple[str, str] | None:
        auth = self.headers.get("Authorization") or ""
        scheme, _, value = auth.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, _, pw = base64.b64decode(value).decode("utf-8").partition(":")
        except (ValueError, binascii.Error):
            return None
        return unquote_plus(user), unquote_plus(pw)

    def _data(self, method: str, path: str, pairs: list[tuple[str, str]]) -> None:
        mock = self.server.mock
        mock.stats.data_request(path)
        self._in_flight = True
        try:
            self._answer(mock, method, path, pairs, mock.stats.enter())
        finally:
            self._left()

    def _left(self) -> None:
        """This data request is answered (or dropped): no longer in flight."""
        if getattr(self, "_in_flight", False):
            self._in_flight = False
            self.server.mock.stats.leave()

    def _answer(
        self, mock: Any, method: str, path: str, pairs: list[tuple[str, str]], at_once: int
    ) -> None:
        blocked = mock._gateway(self.headers, pairs, path, at_once)
        if blocked is not None:
            self._send(blocked)
            return
        if method != "GET" or not mock.edge.routes(path):
            self._send(ROUTE_NOT_FOUND)
            return
        faults = mock.faults
        mock._sleep()
        if faults.drop_ratio > 0 and mock._dice.roll(faults) < faults.drop_ratio:
            mock.stats.fault("drop")
            self.close_connection = True
            return
        if faults.error_5xx_ratio > 0 and mock._dice.roll(faults) < faults.error_5xx_ratio:
            mock.stats.fault("5xx")
            status = mock._dice.choice(faults, (500, 502, 503, 504))
            messages = {
                500: "Internal server error",
                502: "Bad gateway",
                503: "Service unavailable",
                504: "Gateway timeout",
            }
            self._send(Reply(status, {"statusCode": status, "message": messages[status]}))
            return
        settings = {
            "base_url": mock.base_url,
            "page_size": mock.page_size,
            "extra_for": mock._extra_for,
        }
        kind = mock._malformed_kind(path)
        key = None  # a malformed answer is made from the body: never kept
        if kind is None and mock.pages.max_bytes:
            key = mock.edge.reuse_key(path, pairs, self.headers, **settings)
        kept = mock.pages.get(key) if key is not None else None
        if kept is not None:
            if kept.page:
                mock.stats.page()
            self._send_raw(kept.status, kept.payload, kept.content_type, kept.headers)
            return
        reply = mock.edge.answer(path, pairs, self.headers, **settings)
        if reply.page:
            mock.stats.page()
        if kind is not None:
            mock.stats.fault("malformed")
            self._send_malformed(kind, reply)
            return
        payload = wire.dumps(reply.body, plain_floats=reply.plain_floats)
        if key is not None and reply.reusable:
            mock.pages.put(
                key, Kept(reply.status, payload, reply.content_type, reply.headers, reply.page)
            )
        self._send_raw(reply.status, payload, reply.content_type, reply.headers)

    # ------------------------------------------------------------------ writing
    def _send(self, reply: Reply) -> None:
        self._send_raw(reply.status, wire.dumps(reply.body), reply.content_type, reply.headers)

    def _send_raw(
        self,
        status: int,
        payload: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
        declared_length: int | None = None,
    ) -> None:
        self._left()  # answered: a client may send its next request once it has read this
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(declared_length or len(payload)))
        self.send_header("x-ms-request-id", str(uuid.uuid4()))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        self.wfile.flush()

    def _send_malformed(self, kind: str, reply: Reply) -> None:
        body = wire.dumps(reply.body)
        if kind == "html":
            html = (
                b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>"
                b"<h1>Proxy authentication required</h1><p>Please sign in to continue.</p>"
                b"</body></html>"
            )
            self._send_raw(200, html, "text/html; charset=utf-8")
        elif kind == "truncated":
            self.close_connection = True
            cut = max(1, len(body) // 2)
            self._send_raw(
                reply.status,
                body[:cut],
                JSON,
                declared_length=len(body),
            )
        elif kind == "nonjson":
            self._send_raw(
                200, b"Service temporarily unavailable - please retry later", "application/json"
            )
        elif kind == "empty":
            self._send_raw(200, b"", JSON)
        elif kind == "wrongtypes":
            german = _german_numbers(reply.body)
            self._send(Reply(reply.status, german, reply.headers, content_type=reply.content_type))
        elif kind == "huge" and isinstance(reply.body, list):  # a bare array: pad with blanks
            padded_bytes = body + b" " * HUGE_PADDING
            self._send_raw(reply.status, padded_bytes, reply.content_type, reply.headers)
        elif kind == "huge":
            padded = dict(reply.body) if isinstance(reply.body, dict) else {"value": reply.body}
            padded["padding"] = "x" * HUGE_PADDING
            self._send(Reply(reply.status, padded, reply.headers, content_type=reply.content_type))
        else:
            self._send(reply)


def _german_numbers(obj: Any) -> Any:
    """Every number as a string with a decimal comma (what a wrong locale upstream produces)."""
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int | float):
        return str(obj).replace(".", ",")
    if isinstance(obj, dict):
        return {k: _german_numbers(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_german_numbers(v) for v in obj]
    return obj
