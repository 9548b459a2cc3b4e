"""Who may call the backend: the token, the add-in's origin, the Host header, HTTPS off loopback,
and the localhost certificate (name-constrained CA, served over real TLS)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from cryptography import x509

from ecore_xl.errors import ConfigError
from ecore_xl.mock import MockServer
from ecore_xl.serve.certs import CA_NAME, cert_files, days_left, make_certificate, trust_commands
from ecore_xl.serve.options import ServeOptions, load_token
from tests.serve_fixtures import API, TOKEN, Client, running_backend


@pytest.fixture
def api(srv: MockServer) -> Iterator[Client]:
    with running_backend(srv) as client:
        yield client


def test_every_api_call_needs_the_token(api: Client) -> None:
    assert requests.get(api.base + f"{API}/health", timeout=10).status_code == 200
    for token in (None, "wrong-" + TOKEN):
        other = Client(api.server, token=token)
        for response in (other.get(f"{API}/catalogue"), other.call("CONTRACTS"),
                         other.get(f"{API}/fetch/contracts")):  # fmt: skip
            assert response.status_code == 401
            assert response.json()["error"]["code"] == "Unauthorized"
            assert TOKEN not in response.text


def test_another_web_page_cannot_call_it(api: Client) -> None:
    evil = {"Origin": "https://evil.example"}
    assert api.get(f"{API}/catalogue", headers=evil).status_code == 403
    preflight = api.session.options(
        api.base + f"{API}/functions/CONTRACTS",
        headers={**evil, "Access-Control-Request-Method": "POST"}, timeout=10,
    )  # fmt: skip
    assert "access-control-allow-origin" not in {k.lower() for k in preflight.headers}
    own = {"Origin": api.base, "Access-Control-Request-Method": "POST",
           "Access-Control-Request-Headers": "authorization,content-type"}  # fmt: skip
    allowed = api.session.options(api.base + f"{API}/functions/CONTRACTS", headers=own,
                                  timeout=10)  # fmt: skip
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == api.base
    assert api.get(f"{API}/catalogue", headers={"Origin": api.base}).status_code == 200


def test_a_request_body_beyond_8_mib_is_refused_with_413(api: Client) -> None:
    """8 MiB + 1 byte is refused, declared (Content-Length) or streamed (chunked, no length),
    with the one-line error and no internal error; a small body and one just under the cap pass,
    and the connection serves the next call."""
    from ecore_xl.serve.app import _MAX_BODY

    url = api.base + f"{API}/jobs/refresh"
    json_type = {"Content-Type": "application/json"}
    head, tail = b'{"scope": "nope", "pad": "', b'"}'
    filler = _MAX_BODY - len(head) - len(tail)

    def chunked(size: int) -> Iterator[bytes]:
        yield head
        for start in range(0, size, 2**20):
            yield b"x" * min(2**20, size - start)
        yield tail

    declared = api.session.post(url, data=head + b"x" * (filler + 1) + tail, headers=json_type,
                                timeout=30)  # fmt: skip
    streamed = api.session.post(url, data=chunked(filler + 1), headers=json_type, timeout=30)
    for refused in (declared, streamed):
        assert refused.status_code == 413, refused.text[:200]
        error = refused.json()["error"]
        assert error["code"] == "RequestTooLargeError" and "8 MiB" in error["message"]
    small = {"workbook": {"sheets": ["Sheet1"]}, "scope": "datasets", "datasets": ["meters"]}
    assert api.post(f"{API}/jobs/refresh", small).status_code == 202
    at_cap = api.session.post(url, data=head + b"x" * filler + tail, headers=json_type, timeout=30)
    assert at_cap.status_code == 400  # read whole (8 MiB exactly) and parsed: a bad scope
    assert at_cap.json()["error"]["message"].startswith("scope 'nope' is not one of")
    assert api.call("METERS").status_code == 200


def test_a_foreign_host_name_is_refused(api: Client) -> None:
    """A DNS-rebinding page reaches 127.0.0.1 under its own name: refused."""
    response = api.get(f"{API}/catalogue", headers={"Host": "evil.example"})
    assert response.status_code == 400


def test_the_task_pane_page_carries_the_token_and_a_content_policy(api: Client) -> None:
    page = requests.get(api.base + "/addin/taskpane.html", timeout=10)
    assert page.status_code == 200 and f'content="{TOKEN}"' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    assert requests.get(api.base + "/addin/../pyproject.toml", timeout=10).status_code == 404


def test_plain_http_is_for_loopback_only() -> None:
    with pytest.raises(ConfigError, match="loopback only"):
        ServeOptions(host="0.0.0.0", tls=False)
    assert ServeOptions(host="127.0.0.1", tls=False).url == "http://127.0.0.1:8443"
    assert ServeOptions().url == "https://localhost:8443"


def test_the_token_file_is_made_once_and_private(tmp_path: Path) -> None:
    path = tmp_path / "serve" / "token"
    token = load_token(path)
    assert len(token) >= 32 and load_token(path) == token
    assert path.stat().st_mode & 0o077 == 0


# ---- the localhost certificate ------------------------------------------------------------


def test_the_certificate_is_for_localhost_only_and_its_ca_key_is_gone(tmp_path: Path) -> None:
    files = make_certificate(cert_files(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "ecore-localhost-ca.pem", "localhost-key.pem", "localhost.pem"
    ]  # fmt: skip
    ca = x509.load_pem_x509_certificate(files.ca.read_bytes())
    constraints = ca.extensions.get_extension_for_class(x509.NameConstraints)
    assert constraints.critical
    assert {str(n.value) for n in constraints.value.permitted_subtrees} == {
        "localhost", "127.0.0.1/32", "::1/128"
    }  # fmt: skip
    leaf = x509.load_pem_x509_certificate(files.cert.read_bytes())
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert 390 < (days_left(files) or 0) <= 397
    assert files.key.stat().st_mode & 0o077 == 0
    assert b"PRIVATE KEY" not in files.ca.read_bytes() + files.cert.read_bytes()


def test_it_serves_https_that_a_client_trusting_the_ca_accepts(
    srv: MockServer, tmp_path: Path
) -> None:
    files = make_certificate(cert_files(tmp_path))
    with running_backend(srv, tls=True, certfile=files.cert, keyfile=files.key) as api:
        assert api.base.startswith("https://localhost:")
        assert requests.get(api.base + f"{API}/health", verify=str(files.ca), timeout=10).ok
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(api.base + f"{API}/health", timeout=10)  # not in the system store
        context = ssl.create_default_context(cafile=str(files.ca))
        assert context.get_ca_certs()[0]["subject"] == ((("commonName", CA_NAME),),)


def test_trust_commands_per_platform(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    assert trust_commands(ca, "win32") == [["certutil", "-user", "-addstore", "Root", str(ca)]]
    assert trust_commands(ca, "darwin")[0][:4] == ["security", "add-trusted-cert", "-r",
                                                   "trustRoot"]  # fmt: skip
    linux = trust_commands(ca, "linux")[0]
    assert linux[:2] == ["certutil", "-d"] and linux[-1] == str(ca)
    assert trust_commands(ca, "linux", remove=True)[0][-1] == CA_NAME
