"""A server that answers with **stored page bytes**: the client's floor without the mock's CPU.

The mock builds and serialises every page in Python (~1.8 ms a page on one GIL), so against it
the client waits for the server, and "how much does the client cost per page" cannot be read.
Here the pages are **recorded once** from the mock (:func:`record`: every page of every
request of a plan, following the next links) and then served as they are by a small
asyncio HTTP/1.1 server in its own process (:class:`StoredPagesProcess`): a page costs it a
dictionary lookup and one write (~50 µs), so the floor is the client's own work.

* The request target (path and query, the query's parameters sorted) is the key; an unknown
  target is a 404, so a client that asks for something else fails rather than being measured
  on the wrong pages.
* The next links in the bodies name the mock's origin; they are rewritten to the server's own
  (the client refuses links to another host, rightly).
* ``POST`` to any path answers with a token (the client needs one; nothing is checked).

    python stored_pages.py serve FILE     # the server process (StoredPagesProcess starts it)
"""

from __future__ import annotations

import asyncio
import json
import pickle
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qsl, urlencode, urlsplit

from _common import ChildServer

__all__ = ["StoredPagesProcess", "record", "target_key"]

TOKEN_BODY = json.dumps(
    {"access_token": "stored-pages-token", "token_type": "Bearer", "expires_in": 86400}
).encode()


def target_key(target: str) -> str:
    """``/v1/volumes?b=2&a=1`` -> ``/v1/volumes?a=1&b=2``: one key however a client orders."""
    parts = urlsplit(target)
    query = sorted(parse_qsl(parts.query, keep_blank_values=True))
    return parts.path + ("?" + urlencode(query) if query else "")


def record(
    env: Mapping[str, str], plan: Iterable[tuple[str, Mapping[str, str]]], out: Path
) -> dict[str, int]:
    """Download every page of ``plan`` ((path, query) under ``ECORE_BASE_URL``) into ``out``.

    Returns what was stored: ``{"pages": n, "bytes": n}``.
    """
    import orjson
    import requests

    base = env["ECORE_BASE_URL"].rstrip("/")
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(base))
    session = requests.Session()
    token = session.post(
        env["ECORE_TOKEN_URL"],
        data={
            "grant_type": "client_credentials",
            "client_id": env["ECORE_CLIENT_ID"],
            "client_secret": env["ECORE_CLIENT_SECRET"],
            "scope": env["ECORE_SCOPE"],
        },
        timeout=30,
    ).json()["access_token"]
    headers = {
        "Authorization": f"Bearer {token}",
        "Ocp-Apim-Subscription-Key": env["ECORE_SUBSCRIPTION_KEY"],
    }
    pages: dict[str, bytes] = {}
    for path, query in plan:
        url: str | None = base + path
        params: Any = dict(query)
        while url is not None:
            r = session.get(url, params=params, headers=headers, timeout=120)
            r.raise_for_status()
            split = urlsplit(r.url)
            pages[target_key(split.path + ("?" + split.query if split.query else ""))] = r.content
            url, params = orjson.loads(r.content).get("nextLink"), None
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pickle.dumps({"origin": origin, "pages": pages}))
    return {"pages": len(pages), "bytes": sum(map(len, pages.values()))}


# ---- the server ---------------------------------------------------------------------------------


def _response(status: str, body: bytes) -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _serve(file: Path) -> None:
    stored = pickle.loads(file.read_bytes())
    pages: dict[str, bytes] = {}
    answers: dict[str, bytes] = {}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                length = 0
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                if length:
                    await reader.readexactly(length)
                if method == "POST":
                    writer.write(_response("200 OK", TOKEN_BODY))
                else:
                    answer = answers.get(target)
                    if answer is None:
                        body = pages.get(target_key(target))
                        answer = (
                            _response("200 OK", body)
                            if body is not None
                            else _response("404 Not Found", b'{"error":"not stored"}')
                        )
                        answers[target] = answer
                    writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=128)
    port = server.sockets[0].getsockname()[1]
    own = f"http://127.0.0.1:{port}".encode()
    old = stored["origin"].encode()
    pages.update({k: v.replace(old, own) for k, v in stored["pages"].items()})
    sys.stdout.write(json.dumps({"port": port}) + "\n")
    sys.stdout.flush()
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    loop.add_reader(sys.stdin.fileno(), lambda: stop.done() or stop.set_result(None))
    async with server:
        await stop


class StoredPagesProcess(ChildServer):
    """The stored-pages server in a child process; ``env(base_env)`` points a client at it."""

    def __init__(self, file: Path) -> None:
        self._file = file
        self.port = 0

    def start(self) -> Self:
        proc = self._spawn(str(Path(__file__).resolve()), "serve", str(self._file))
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the stored-pages server exited ({proc.poll()})")
        self.port = int(json.loads(line)["port"])
        return self

    def env(self, base_env: Mapping[str, str]) -> dict[str, str]:
        """``base_env`` (the mock's) with the base and token URLs on this server."""
        mock_base = urlsplit(base_env["ECORE_BASE_URL"])
        own = f"http://127.0.0.1:{self.port}"
        return {
            **base_env,
            "ECORE_BASE_URL": own + mock_base.path,
            "ECORE_TOKEN_URL": own + "/token",
        }



if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        asyncio.run(_serve(Path(sys.argv[2])))
    else:
        sys.exit("usage: python stored_pages.py serve FILE")
