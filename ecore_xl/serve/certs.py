"""The development certificate of a local backend: ``https://localhost`` that Office trusts.

:func:`make_certificate` writes, with ``cryptography``:

- a small certificate authority, **name-constrained** to ``localhost``, ``127.0.0.1`` and
  ``::1`` (even a stolen copy could vouch for nothing else); its private key is never written:
  it signs once and is gone, so nobody can issue more (a new certificate is a new CA);
- the backend's certificate for those names, signed by it (RSA 2048, SHA-256, server auth,
  397 days: what macOS and browsers accept), and its key (file mode 0600).

Only the CA goes into the OS trust store (:func:`trust_commands`, run by ``ecore-xl serve
--trust-cert``, or by hand):

- Windows: the current user's *Trusted Root Certification Authorities* (``certutil -user
  -addstore Root``; Windows asks to confirm) — Edge WebView2, which runs the add-in, reads it;
- macOS: the login keychain (``security add-trusted-cert``; asks for the password);
- Linux: the user's NSS database (``certutil`` from ``libnss3-tools``), which Chromium reads;
  Firefox keeps one per profile.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CA_NAME", "CertFiles", "cert_files", "days_left", "make_certificate", "trust_commands"]

CA_NAME = "ecore_xl localhost CA"
VALID_DAYS = 397
_NAMES = ("localhost",)
_IPS = ("127.0.0.1", "::1")


@dataclass(frozen=True)
class CertFiles:
    """Where one backend's certificate files live."""

    folder: Path

    @property
    def ca(self) -> Path:
        return self.folder / "ecore-localhost-ca.pem"

    @property
    def cert(self) -> Path:
        return self.folder / "localhost.pem"

    @property
    def key(self) -> Path:
        return self.folder / "localhost-key.pem"

    @property
    def token(self) -> Path:
        return self.folder / "token"

    def exist(self) -> bool:
        return self.cert.is_file() and self.key.is_file()


def cert_files(folder: Path | None = None) -> CertFiles:
    """The files under ``folder`` (default: ``<config dir>/serve``)."""
    if folder is None:
        from ecore_xl.config import config_dir

        folder = config_dir() / "serve"
    return CertFiles(Path(folder))


def make_certificate(files: CertFiles, *, now: dt.datetime | None = None) -> CertFiles:
    """Write a new CA and localhost certificate (replacing old ones, each file atomically)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    from ecore_xl.atomic import atomic_write_bytes

    start = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(minutes=5)
    end = start + dt.timedelta(days=VALID_DAYS)
    dns = [x509.DNSName(n) for n in _NAMES]
    ips = [x509.IPAddress(ipaddress.ip_address(a)) for a in _IPS]
    nets = [x509.IPAddress(ipaddress.ip_network(f"{a}/{32 if '.' in a else 128}")) for a in _IPS]

    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME)])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.NameConstraints(dns + nets, None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(dns + ips), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    _private_folders(files.folder)
    pem = serialization.Encoding.PEM
    key_pem = key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    atomic_write_bytes(files.key, key_pem)
    files.key.chmod(0o600)
    atomic_write_bytes(files.cert, cert.public_bytes(pem) + ca.public_bytes(pem))
    atomic_write_bytes(files.ca, ca.public_bytes(pem))
    return files


def days_left(files: CertFiles, *, now: dt.datetime | None = None) -> float | None:
    """Days until the backend's certificate expires (None when there is none)."""
    if not files.cert.is_file():
        return None
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
    left = cert.not_valid_after_utc - (now or dt.datetime.now(dt.UTC))
    return left.total_seconds() / 86_400


def trust_commands(
    ca: Path, platform: str | None = None, *, remove: bool = False
) -> list[list[str]]:
    """The commands that add (or ``remove``) the CA in the current user's trust store."""
    platform = platform or sys.platform
    if platform.startswith("win"):
        if remove:
            return [["certutil", "-user", "-delstore", "Root", CA_NAME]]
        return [["certutil", "-user", "-addstore", "Root", str(ca)]]
    if platform == "darwin":
        keychain = str(Path.home() / "Library" / "Keychains" / "login.keychain-db")
        if remove:
            return [["security", "remove-trusted-cert", str(ca)],
                    ["security", "delete-certificate", "-c", CA_NAME, keychain]]  # fmt: skip
        return [["security", "add-trusted-cert", "-r", "trustRoot", "-k", keychain, str(ca)]]
    nssdb = "sql:" + str(Path.home() / ".pki" / "nssdb")
    if remove:
        return [["certutil", "-d", nssdb, "-D", "-n", CA_NAME]]
    return [["certutil", "-d", nssdb, "-A", "-t", "C,,", "-n", CA_NAME, "-i", str(ca)]]


def _private_folders(folder: Path) -> None:
    """``folder`` and its parent (the config folder) with mode 0700: the key and token live here."""
    from ecore_xl.atomic import make_private_dir

    make_private_dir(folder.parent, tighten=True)
    make_private_dir(folder, tighten=True)
