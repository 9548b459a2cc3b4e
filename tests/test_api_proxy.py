"""Proxy discovery: a PAC file and a small CONNECT proxy, both on 127.0.0.1.

The API is an HTTPS stub on 127.0.0.1 named ``ecore-api.test`` (its certificate says so); the
client never resolves that name: the PAC file sends it to the CONNECT proxy, which tunnels every
request to the stub, whatever host it is asked for. No other address is contacted.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import select
import socket
import ssl
import sys
import threading
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ecore_xl.api import EcoreClient
from ecore_xl.api.proxy import ProxyFinder, os_pac_url
from ecore_xl.cli import cli
from ecore_xl.config import Settings
from ecore_xl.errors import ConfigError
from tests.api_fixtures import TOKEN_PATH, Reply, Stub, json_reply, token_reply

x509 = pytest.importorskip("cryptography.x509")

HOST = "ecore-api.test"
PAC = """
function FindProxyForURL(url, host) {
    if (dnsDomainIs(host, ".test")) { return "PROXY 127.0.0.1:%(port)d; DIRECT"; }
    if (shExpMatch(host, "*.intranet.example")) { return "DIRECT"; }
    return "SOCKS 127.0.0.1:1";
}
"""


def _certificate(tmp: Path) -> tuple[Path, Path]:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(HOST), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class ProxyAndPac:
    """127.0.0.1: ``GET /proxy.pac`` serves the PAC file; ``CONNECT any:port`` tunnels to the
    stub's port on 127.0.0.1. Records what it was asked to connect to."""

    def __init__(self, target_port: int) -> None:
        self.connects: list[str] = []
        self.pac_fetches = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                if self.path != "/proxy.pac":
                    self.send_error(404)
                    return
                outer.pac_fetches += 1
                body = (PAC % {"port": outer.port}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ns-proxy-autoconfig")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_CONNECT(self) -> None:
                outer.connects.append(self.path)
                upstream = socket.create_connection(("127.0.0.1", target_port), timeout=10)
                self.send_response(200, "Connection established")
                self.end_headers()
                self.close_connection = True
                sockets = [self.connection, upstream]
                try:
                    for _ in range(10_000):  # bounded: a test's few requests
                        ready, _, _ = select.select(sockets, [], [], 10)
                        if not ready:
                            break
                        for sock in ready:
                            data = sock.recv(65536)
                            if not data:
                                return
                            (upstream if sock is self.connection else self.connection).sendall(data)
                finally:
                    upstream.close()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.pac_url = f"http://127.0.0.1:{self.port}/proxy.pac"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> ProxyAndPac:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _route(method: str, path: str, headers: Mapping[str, str], body: bytes) -> Reply:
    if path.startswith(TOKEN_PATH):
        return token_reply()
    return json_reply(200, {"value": [{"id": "LE-1"}]})


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[Stub, ProxyAndPac, dict[str, str]]]:
    """The HTTPS stub, the proxy with its PAC file, and ECORE_* settings naming the API
    ``https://ecore-api.test:PORT``."""
    cert, key = _certificate(tmp_path)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    with Stub(_route, tls=ctx) as stub, ProxyAndPac(int(stub.base.rsplit(":", 1)[1])) as proxy:
        env = {
            k: v.replace("127.0.0.1", HOST) if k.endswith("_URL") else v
            for k, v in stub.env().items()
        }
        env["ECORE_CA_BUNDLE"] = str(cert)
        env["ECORE_RETRIES"] = "0"
        yield stub, proxy, env


def test_doctor_names_the_pac_file_and_its_answer_and_the_api_answers_through_it(
    api: tuple[Stub, ProxyAndPac, dict[str, str]],
) -> None:
    stub, proxy, env = api
    result = CliRunner().invoke(cli, ["doctor"], env={**env, "ECORE_PROXY_PAC": proxy.pac_url})
    port = env["ECORE_BASE_URL"].split(":")[2].split("/")[0]
    line = next(x for x in result.output.splitlines() if x.startswith("[2/7] proxy"))
    assert (
        f"API host {HOST}:{port} via http://127.0.0.1:{proxy.port} "
        f"(PAC file {proxy.pac_url} said PROXY 127.0.0.1:{proxy.port}; DIRECT)"
    ) in line
    # the connection works: steps 1-6 pass; the stub answers every path with one legal entity
    # whatever is asked, so the catalogue step rightly finds that it ignores the filters
    assert all(f"[{n}/7]" in result.output for n in range(1, 7))
    assert "FAIL" not in result.output.split("[7/7]")[0]
    assert "[7/7] catalogue          FAIL  meters differs from the catalogue" in result.output
    assert result.exit_code == 2, result.output
    assert proxy.connects and set(proxy.connects) == {f"{HOST}:{port}"}
    assert proxy.pac_fetches == 1  # once per session, not per request
    assert len(stub.requests) >= 3  # token, key check, data: all through the tunnel


def test_a_client_goes_through_the_pac_proxy(
    api: tuple[Stub, ProxyAndPac, dict[str, str]],
) -> None:
    _, proxy, env = api
    settings = Settings.load(
        use_file=False, use_keyring=False, environ={**env, "ECORE_PROXY_PAC": proxy.pac_url}
    )
    with EcoreClient(settings) as client:
        assert client.get_all("/legal-entities") == [{"id": "LE-1"}]
    assert proxy.connects


def test_a_broken_explicit_pac_file_is_one_line_with_exit_2(
    api: tuple[Stub, ProxyAndPac, dict[str, str]], tmp_path: Path
) -> None:
    _, proxy, env = api
    missing = f"http://127.0.0.1:{proxy.port}/nothing.pac"
    result = CliRunner().invoke(cli, ["doctor"], env={**env, "ECORE_PROXY_PAC": missing})
    assert result.exit_code == 2, result.output
    assert f"FAIL  ECORE_PROXY_PAC {missing} cannot be used" in result.output
    not_js = tmp_path / "proxy.pac"
    not_js.write_text("this is not javascript {", encoding="utf-8")
    with pytest.raises(ConfigError, match="not a PAC file"):
        ProxyFinder(str(not_js)).choose("https://api.eecc.energy/v1")


def test_order_environment_then_os_pac_then_fixed_then_wpad(
    api: tuple[Stub, ProxyAndPac, dict[str, str]], tmp_path: Path
) -> None:
    _, proxy, _ = api
    url = f"https://{HOST}/v1"
    os_pac = (proxy.pac_url, "Windows AutoConfigURL")
    said = f"PAC file {proxy.pac_url} (Windows AutoConfigURL) said PROXY 127.0.0.1:{proxy.port}"
    nothing: dict[str, str] = {}

    env_wins = ProxyFinder(environ={"HTTPS_PROXY": "http://10.9.9.9:3128"}, os_pac=lambda: os_pac)
    assert env_wins.choose(url).proxy == "http://10.9.9.9:3128"
    assert env_wins.choose(url).reason == "HTTPS_PROXY"
    bypass = ProxyFinder(
        environ={"HTTPS_PROXY": "http://10.9.9.9:3128", "NO_PROXY": ".test"}, os_pac=lambda: os_pac
    )
    assert bypass.choose(url).proxy is None and "NO_PROXY" in bypass.choose(url).reason

    from_os = ProxyFinder(environ=nothing, os_pac=lambda: os_pac, wpad=lambda: [])
    choice = from_os.choose(url)
    assert choice.proxy == f"http://127.0.0.1:{proxy.port}" and choice.reason.startswith(said)
    direct = from_os.choose("https://portal.intranet.example/")
    assert direct.proxy is None and direct.reason.endswith("said DIRECT")
    socks_only = from_os.choose("https://elsewhere.example/")
    assert socks_only.proxy is None and "no PROXY or DIRECT answer" in socks_only.reason

    fixed = ProxyFinder(
        environ=nothing,
        os_pac=lambda: None,
        os_proxies=lambda: {"https": "http://10.1.1.1:8080"},
        wpad=lambda: [proxy.pac_url],
    )
    assert fixed.choose(url).reason == "the system's proxy settings"

    away = tmp_path / "gone.pac"  # a laptop at home: the OS's PAC server is not there
    wpad = ProxyFinder(
        environ=nothing,
        os_pac=lambda: (str(away), "macOS scutil --proxy"),
        wpad=lambda: [f"http://127.0.0.1:{proxy.port}/none.dat", proxy.pac_url],
    )
    choice = wpad.choose(url)
    assert choice.proxy == f"http://127.0.0.1:{proxy.port}"
    assert choice.reason.startswith(f"PAC file {proxy.pac_url} (WPAD) said PROXY")

    off = ProxyFinder("off", environ=nothing, os_pac=lambda: os_pac, wpad=lambda: [proxy.pac_url])
    assert off.choose(url) == off.choose(url)
    assert off.choose(url).proxy is None and "ECORE_PROXY_PAC=off" in off.choose(url).reason
    assert (
        ProxyFinder(proxy.pac_url).choose("http://127.0.0.1:8765/v1").reason.startswith("loopback")
    )


def test_gnome_gsettings_pac_url_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if sys.platform in ("win32", "darwin"):
        pytest.skip("GNOME settings are read on Linux")
    fake = tmp_path / "gsettings"
    fake.write_text(
        "#!/bin/sh\n"
        'case "$3" in\n'
        "  mode) echo \"'auto'\";;\n"
        "  autoconfig-url) echo \"'http://pac.corp.example/proxy.pac'\";;\n"
        "esac\n",
        encoding="utf-8",
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert os_pac_url() == ("http://pac.corp.example/proxy.pac", "GNOME proxy settings")


def test_macos_scutil_pac_url_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ecore_xl.api.proxy import _macos_pac_url

    fake = tmp_path / "scutil"
    fake.write_text(  # the shape of macOS' 'scutil --proxy' output
        "#!/bin/sh\n"
        "cat <<'END'\n"
        "<dictionary> {\n"
        "  ExceptionsList : <array> {\n"
        "    0 : *.local\n"
        "  }\n"
        "  FTPPassive : 1\n"
        "  ProxyAutoConfigEnable : 1\n"
        "  ProxyAutoConfigURLString : http://pac.corp.example/proxy.pac\n"
        "}\n"
        "END\n",
        encoding="utf-8",
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert _macos_pac_url() == "http://pac.corp.example/proxy.pac"
    fake.write_text("#!/bin/sh\necho '  ProxyAutoConfigEnable : 0'\n", encoding="utf-8")
    assert _macos_pac_url() is None
