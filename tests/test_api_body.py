"""The byte cap on every decoded response (``api/body.py``): a gzip bomb, a huge page, a
declared length beyond the cap — each a ResponseTooLargeError, read no further than the cap."""

from __future__ import annotations

import json
import tracemalloc
from http.server import BaseHTTPRequestHandler

import pytest

from ecore_xl.api import EcoreClient
from ecore_xl.errors import ResponseTooLargeError
from tests.api_fixtures import Sleeps
from tests.listener_fixtures import TinyHTTP, gzip_body, gzip_bomb, token_then
from tests.test_api_deadline import _settings

CAP = 1024 * 1024
BOMB = 64 * 1024 * 1024  # what the bomb inflates to: 64 x the cap


def _fetch(handler, **settings: object) -> BaseException:  # type: ignore[no-untyped-def]
    with TinyHTTP(token_then(handler)) as api:
        client = EcoreClient(_settings(api.url, max_response_bytes=CAP, **settings), sleep=Sleeps())
        with pytest.raises(ResponseTooLargeError) as info:
            client.get_json("/volumes")
        client.close()
        return info.value


def test_a_gzip_bomb_stops_at_the_cap() -> None:
    """64 MiB of zeros, ~64 KB on the wire: decoded bytes are counted as they inflate, so the
    client holds about the cap, never the bomb."""
    bomb = gzip_bomb(BOMB)
    assert len(bomb) < CAP  # the compressed size passes any Content-Length check
    tracemalloc.start()
    try:
        error = _fetch(gzip_body(bomb))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "larger than ECORE_MAX_RESPONSE_BYTES (1.0 MiB once decompressed)" in str(error)
    assert peak < 16 * CAP, f"peak {peak:,} bytes"  # a bomb read whole would be 64 MiB


def test_a_body_without_length_stops_at_the_cap() -> None:
    def chunked(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        piece = b"[" + b" " * 65536
        try:
            for _ in range(200):  # 13 MB, more than the cap
                h.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                piece = b" " * 65536
            h.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass

    assert "ECORE_MAX_RESPONSE_BYTES" in str(_fetch(chunked))


def test_a_declared_length_beyond_the_cap_is_refused_before_reading() -> None:
    sent: list[int] = []

    def huge(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(500 * 1024 * 1024))
        h.end_headers()
        try:
            for _ in range(50):
                h.wfile.write(b" " * 65536)
                sent.append(65536)
        except OSError:
            pass

    assert "ECORE_MAX_RESPONSE_BYTES" in str(_fetch(huge))


def test_a_body_under_the_cap_is_read_whole() -> None:
    records = [{"id": f"M-{i}", "note": "x" * 100} for i in range(2000)]  # ~250 KB
    payload = json.dumps({"value": records}).encode()
    import gzip

    with TinyHTTP(token_then(gzip_body(gzip.compress(payload)))) as api:
        client = EcoreClient(_settings(api.url, max_response_bytes=CAP), sleep=Sleeps())
        assert client.get_json("/volumes")["value"] == records
        assert client.stats.bytes == len(payload)  # decoded bytes are what is counted
