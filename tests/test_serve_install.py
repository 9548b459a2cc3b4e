"""``ecore-xl serve``'s one-time set-up through the real command: certificate and token,
manifest, per-user sideloading (the macOS folder; the Windows registry through an injected fake
``winreg``), and the refusals of a team server without its certificate or on plain HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from lxml import etree

from ecore_xl.cli import cli
from ecore_xl.serve.manifest import addin_id, manifest_xml
from ecore_xl.serve.sideload import REGISTRY_KEY, mac_wef_dir, sideload, unsideload

SCHEMA = Path(__file__).resolve().parents[1] / "officejs" / "schema" / "manifest.xsd"
COMMITTED = Path(__file__).resolve().parents[1] / "officejs" / "manifest.xml"


def test_make_cert_writes_the_certificate_and_a_private_token(ecore_home: Path) -> None:
    result = CliRunner().invoke(cli, ["serve", "--make-cert"])
    assert result.exit_code == 0, result.output
    folder = ecore_home / "serve"
    assert {p.name for p in folder.iterdir()} >= {"localhost.pem", "localhost-key.pem",
                                                   "ecore-localhost-ca.pem", "token"}  # fmt: skip
    token = (folder / "token").read_text()
    assert token not in result.output and (folder / "token").stat().st_mode & 0o077 == 0
    if os.name != "nt":  # the key's folder and the config folder: nobody else may list them
        assert folder.stat().st_mode & 0o077 == 0
        assert ecore_home.stat().st_mode & 0o077 == 0


def test_serve_on_a_busy_port_is_one_line_with_exit_2(ecore_home: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "ecore_xl", "serve", "--mock", "--http", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert f"Port {port} on 127.0.0.1 is in use" in lines[0], lines[0]
    assert "'ecore-xl serve'" in lines[0] and f"--port {port + 1}" in lines[0]


def test_the_manifest_command_writes_a_valid_manifest_for_the_url(tmp_path: Path) -> None:
    out = tmp_path / "m.xml"
    result = CliRunner().invoke(
        cli, ["serve", "--public-url", "https://ecore.example.com", "--manifest", str(out)]
    )
    assert result.exit_code == 0, result.output
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    doc = etree.parse(str(out))
    assert schema.validate(doc), schema.error_log
    assert "https://ecore.example.com/addin/taskpane.html" in out.read_text()


def test_the_committed_manifest_is_the_generated_one() -> None:
    """officejs/manifest.xml: the local backend's, for reading and for a quick sideload."""
    assert COMMITTED.read_text(encoding="utf-8") == manifest_xml("https://localhost:8443")


def test_sideload_on_a_mac_copies_the_manifest_into_excels_wef_folder(tmp_path: Path) -> None:
    manifest = tmp_path / "ecore-manifest.xml"
    manifest.write_text(manifest_xml("https://localhost:8443"), encoding="utf-8")
    ident = addin_id("https://localhost:8443")
    lines = sideload(manifest, ident, platform="darwin", home=tmp_path)
    placed = mac_wef_dir(tmp_path) / f"{ident}.manifest.xml"
    assert placed.read_bytes() == manifest.read_bytes()
    assert lines[0].startswith("Excel for Mac:") and "Upload My Add-in" in lines[-1]
    assert unsideload(ident, platform="darwin", home=tmp_path)[0].startswith(
        "Excel for Mac: removed"
    )
    assert not placed.exists()
    web = sideload(manifest, ident, platform="linux")
    assert web == [f"Excel on the web: Home > Add-ins > More add-ins > Upload My Add-in, then "
                   f"choose {manifest}"]  # fmt: skip


class FakeRegistry:
    """The part of Windows' ``winreg`` that sideloading uses, over a dict: keys are
    case-insensitive paths under a hive, values ``name -> (type, data)``; a key opened without
    ``KEY_SET_VALUE`` cannot lose a value, a missing key or value is FileNotFoundError (as in
    ``winreg``)."""

    HKEY_CURRENT_USER = 0x80000001
    REG_SZ = 1
    KEY_SET_VALUE = 0x0002
    KEY_WRITE = 0x20006

    def __init__(self) -> None:
        self.keys: dict[tuple[int, str], dict[str, tuple[int, object]]] = {}

    class _Handle:
        def __init__(self, values: dict[str, tuple[int, object]], access: int) -> None:
            self.values, self.access = values, access

        def __enter__(self) -> FakeRegistry._Handle:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

    def CreateKey(self, hive: int, path: str) -> FakeRegistry._Handle:
        return self._Handle(self.keys.setdefault((hive, path.lower()), {}), self.KEY_WRITE)

    def OpenKey(self, hive: int, path: str, reserved: int = 0, access: int = 0x20019) -> Any:
        if (hive, path.lower()) not in self.keys:
            raise FileNotFoundError(2, "The system cannot find the file specified")
        return self._Handle(self.keys[(hive, path.lower())], access)

    def SetValueEx(self, key: Any, name: str, reserved: int, kind: int, value: object) -> None:
        assert reserved == 0 and key.access & self.KEY_SET_VALUE
        key.values[name] = (kind, value)

    def DeleteValue(self, key: Any, name: str) -> None:
        if not key.access & self.KEY_SET_VALUE:
            raise PermissionError(5, "Access is denied")
        if name not in key.values:
            raise FileNotFoundError(2, "The system cannot find the file specified")
        del key.values[name]

    def values(self, path: str) -> dict[str, tuple[int, object]]:
        return self.keys.get((self.HKEY_CURRENT_USER, path.lower()), {})


def test_sideload_on_windows_registers_the_manifest_in_the_developer_key(tmp_path: Path) -> None:
    """The manifest's path under HKCU\\…\\Wef\\Developer, named by the add-in id; uninstall
    removes that value only (another developer add-in stays), and says when there was none."""
    registry = FakeRegistry()
    manifest = tmp_path / "ecore-manifest.xml"
    manifest.write_text(manifest_xml("https://localhost:8443"), encoding="utf-8")
    ident = addin_id("https://localhost:8443")
    assert unsideload(ident, platform="win32", registry=registry) == [
        "Excel for Windows: was not registered"
    ]
    registry.CreateKey(registry.HKEY_CURRENT_USER, REGISTRY_KEY).values["other"] = (1, "x.xml")
    lines = sideload(manifest, ident, platform="win32", registry=registry)
    assert registry.values(r"SOFTWARE\Microsoft\Office\16.0\WEF\Developer") == {
        "other": (registry.REG_SZ, "x.xml"), ident: (registry.REG_SZ, str(manifest)),
    }  # fmt: skip
    assert lines[0] == (
        r"Excel for Windows: registered in HKCU\Software\Microsoft\Office\16.0\Wef\Developer "
        "(restart Excel)"
    )
    assert "Upload My Add-in" in lines[-1]
    assert unsideload(ident, platform="win32", registry=registry) == [
        f"Excel for Windows: removed from HKCU\\{REGISTRY_KEY}"
    ]
    assert registry.values(REGISTRY_KEY) == {"other": (registry.REG_SZ, "x.xml")}
    assert unsideload(ident, platform="win32", registry=registry) == [
        "Excel for Windows: was not registered"
    ]


def test_a_team_server_needs_its_certificate_and_https(ecore_home: Path) -> None:
    runner = CliRunner()
    no_cert = runner.invoke(cli, ["serve", "--host", "0.0.0.0"])
    assert no_cert.exit_code == 2 and "--cert and --key" in no_cert.output
    plain = runner.invoke(cli, ["serve", "--host", "0.0.0.0", "--http"])
    assert plain.exit_code == 2 and "loopback only" in plain.output
    local = runner.invoke(cli, ["serve"], env={"ECORE_CONFIG_DIR": os.environ["ECORE_CONFIG_DIR"]})
    assert local.exit_code == 2 and "ecore-xl serve --install" in local.output
