"""``ecore-xl serve``'s one-time set-up through the real command: certificate and token,
manifest, per-user sideloading (the macOS folder; the Windows registry needs Windows), and the
refusals of a team server without its certificate or on plain HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from lxml import etree

from ecore_xl.cli import cli
from ecore_xl.serve.manifest import addin_id, manifest_xml
from ecore_xl.serve.sideload import mac_wef_dir, sideload, unsideload

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


def test_a_team_server_needs_its_certificate_and_https(ecore_home: Path) -> None:
    runner = CliRunner()
    no_cert = runner.invoke(cli, ["serve", "--host", "0.0.0.0"])
    assert no_cert.exit_code == 2 and "--cert and --key" in no_cert.output
    plain = runner.invoke(cli, ["serve", "--host", "0.0.0.0", "--http"])
    assert plain.exit_code == 2 and "loopback only" in plain.output
    local = runner.invoke(cli, ["serve"], env={"ECORE_CONFIG_DIR": os.environ["ECORE_CONFIG_DIR"]})
    assert local.exit_code == 2 and "ecore-xl serve --install" in local.output
