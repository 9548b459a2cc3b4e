"""TLS: the OS store refuses an unknown certificate with advice; ECORE_CA_BUNDLE trusts it."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from click.testing import CliRunner

from ecore_xl.api import EcoreClient
from ecore_xl.cli import cli
from ecore_xl.errors import NetworkError
from tests.api_fixtures import TOKEN_PATH, Reply, Sleeps, Stub, json_reply, token_reply
from tests.conftest import settings_for

x509 = pytest.importorskip("cryptography.x509")


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ecore-xl test CA")])
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
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
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


def _route(method: str, path: str, headers: Mapping[str, str], body: bytes) -> Reply:
    if path.startswith(TOKEN_PATH):
        return token_reply()
    return json_reply(200, {"value": [{"id": "LE-1"}]})


@pytest.fixture
def https_stub(tmp_path: Path) -> Iterator[tuple[Stub, Path]]:
    cert, key = _self_signed(tmp_path)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    with Stub(_route, tls=ctx) as stub:
        yield stub, cert


def test_untrusted_certificate_is_a_network_error_with_proxy_and_bundle_advice(
    https_stub: tuple[Stub, Path],
) -> None:
    stub, _ = https_stub
    settings = settings_for(stub, retries=0)
    with EcoreClient(settings, sleep=Sleeps()) as client, pytest.raises(NetworkError) as info:
        client.get_json("/legal-entities")
    text = str(info.value)
    assert text.startswith("TLS to 127.0.0.1")
    assert "corporate proxy" in text and "ECORE_CA_BUNDLE" in text


def test_ca_bundle_makes_the_certificate_trusted(https_stub: tuple[Stub, Path]) -> None:
    stub, cert = https_stub
    settings = settings_for(stub, ca_bundle=str(cert))
    with EcoreClient(settings, sleep=Sleeps()) as client:
        assert client.get_all("/legal-entities") == [{"id": "LE-1"}]


def test_doctor_reports_the_tls_step(https_stub: tuple[Stub, Path]) -> None:
    stub, cert = https_stub
    env = {**stub.env(), "ECORE_RETRIES": "0"}
    failed = CliRunner().invoke(cli, ["doctor"], env=env)
    assert failed.exit_code == 1, failed.output
    assert "TLS/connectivity   FAIL  TLS to 127.0.0.1" in failed.output
    passed = CliRunner().invoke(cli, ["doctor"], env={**env, "ECORE_CA_BUNDLE": str(cert)})
    assert f"certificate trusted by CA bundle {cert}" in passed.output
    # the connection steps pass; the stub answers one record whatever is asked, which the
    # catalogue step (the probe of the meters) rightly reports as filters it ignores
    assert "FAIL" not in passed.output.split("[7/7]")[0], passed.output
    assert "[7/7] catalogue          FAIL  meters differs" in passed.output
    assert passed.exit_code == 2, passed.output
