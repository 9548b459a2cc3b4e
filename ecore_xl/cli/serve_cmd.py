"""``ecore-xl serve``: the backend of the Office.js add-in, and its one-time set-up."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ecore_xl.cli.ports import port_refused
from ecore_xl.errors import ConfigError

if TYPE_CHECKING:
    from ecore_xl.serve.options import ServeOptions

__all__ = ["serve"]


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (a team server: 0.0.0.0 with --cert/--key).",
)
@click.option("--port", default=8443, show_default=True, type=int)
@click.option(
    "--public-url",
    default=None,
    help="The URL users' Excel loads the add-in from (default https://localhost:PORT).",
)
@click.option(
    "--cert",
    "certfile",
    type=click.Path(dir_okay=False, path_type=Path),
    help="TLS certificate (PEM) of a team server (default: the local one).",
)
@click.option(
    "--key",
    "keyfile",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Its private key (PEM).",
)
@click.option(
    "--http",
    "plain",
    is_flag=True,
    help="Plain HTTP, on loopback only (behind a local TLS proxy; tests).",
)
@click.option(
    "--origin",
    "origins",
    multiple=True,
    help="Another origin the add-in is served from (CORS); repeatable.",
)
@click.option(
    "--workers",
    default=8,
    show_default=True,
    type=int,
    help="Threads for calls that wait for the API.",
)
@click.option(
    "--deadline",
    default=60.0,
    show_default=True,
    type=float,
    help="Seconds before a request is answered with a time-out error.",
)
@click.option(
    "--reports-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where report jobs write (default: the current folder).",
)
@click.option("--mock", is_flag=True, help="Serve the embedded mock API's data (no credentials).")
@click.option(
    "--make-cert",
    is_flag=True,
    help="Create the localhost certificate and the add-in token, then stop.",
)
@click.option(
    "--trust-cert",
    is_flag=True,
    help="Add the localhost CA to this user's trust store (asks to confirm), then stop.",
)
@click.option(
    "--manifest",
    "manifest_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the add-in manifest for this backend's URL, then stop.",
)
@click.option(
    "--install",
    is_flag=True,
    help="All of the above for one user: certificate, trust, manifest, sideload.",
)
@click.option("--uninstall", is_flag=True, help="Remove the sideloaded add-in, then stop.")
@click.option("--profile", default=None, help="Settings profile (default: ECORE_PROFILE).")
def serve(
    host: str, port: int, public_url: str | None, certfile: Path | None, keyfile: Path | None,
    plain: bool, origins: tuple[str, ...], workers: int, deadline: float,
    reports_dir: Path | None, mock: bool, make_cert: bool, trust_cert: bool,
    manifest_out: Path | None, install: bool, uninstall: bool, profile: str | None,
) -> None:  # fmt: skip
    """Serve the eCore backend of the Office.js add-in on https://localhost:8443.

    \b
    Examples:
      ecore-xl serve --install        # once: certificate, trust, manifest, sideload
      ecore-xl serve                  # then: the backend Excel's add-in talks to
      ecore-xl serve --mock           # the embedded mock API's data, no credentials
      ecore-xl serve --host 0.0.0.0 --cert team.pem --key team.key --public-url https://ecore.corp
    """
    from ecore_xl.serve.certs import cert_files, days_left, make_certificate
    from ecore_xl.serve.manifest import addin_id, manifest_xml
    from ecore_xl.serve.options import ServeOptions, is_loopback, load_token

    files = cert_files()
    if make_cert or install:
        make_certificate(files)
        load_token(files.token)
        click.echo(f"Certificate: {files.cert}\nCA to trust: {files.ca}\nToken: {files.token}")
    if trust_cert or install:
        _trust(files.ca)
    options_url = public_url or f"https://localhost:{port}"
    if manifest_out is not None or install:
        target = manifest_out or files.folder / "ecore-manifest.xml"
        from ecore_xl.atomic import atomic_write_bytes

        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(target, manifest_xml(options_url).encode("utf-8"))
        click.echo(f"Manifest: {target}")
        if install:
            from ecore_xl.serve.sideload import sideload

            for line in sideload(target, addin_id(options_url)):
                click.echo(line)
    if uninstall:
        from ecore_xl.serve.sideload import unsideload

        for line in unsideload(addin_id(options_url)):
            click.echo(line)
    if make_cert or trust_cert or manifest_out or install or uninstall:
        return

    tls = not plain
    if tls and certfile is None:
        if not is_loopback(host):
            raise ConfigError(
                f"--host {host} needs the server's own certificate: give --cert and --key.",
                variable="--cert",
            )
        if not files.exist():
            raise ConfigError("No localhost certificate yet: run 'ecore-xl serve --install' once.")
        certfile, keyfile = files.cert, files.key
        left = days_left(files)
        if left is not None and left < 30:
            click.echo(f"The localhost certificate expires in {left:.0f} days: run "
                       "'ecore-xl serve --install' again.", err=True)  # fmt: skip
    if tls and keyfile is None:
        raise ConfigError("--cert needs --key (the certificate's private key).", variable="--key")
    options = ServeOptions(
        host=host, port=port, public_url=public_url, tls=tls, certfile=certfile,
        keyfile=keyfile, token=load_token(files.token), extra_origins=origins, workers=workers,
        deadline=deadline, reports_dir=reports_dir,
    )  # fmt: skip
    _run(options, mock=mock, profile=profile)


def _trust(ca: Path) -> None:
    from ecore_xl.serve.certs import trust_commands

    for command in trust_commands(ca):
        click.echo("Running: " + " ".join(command))
        try:
            subprocess.run(command, check=True)
        except (OSError, subprocess.CalledProcessError) as exc:
            raise ConfigError(
                f"Could not trust the localhost CA ({exc}): run the command above by hand "
                "(README, Office.js add-in: trusting the certificate)."
            ) from None


def _run(options: ServeOptions, *, mock: bool, profile: str | None) -> None:
    from ecore_xl.config import Settings
    from ecore_xl.data import DataService, set_service
    from ecore_xl.serve.backend import Backend
    from ecore_xl.serve.server import bind, serve_forever

    server = None
    if mock:
        from ecore_xl.mock import MockServer

        server = MockServer().start()
        settings = Settings.load(use_file=False, use_keyring=False, environ=server.env())
    else:
        settings = Settings.load(profile)
    service = DataService(settings)
    set_service(service)  # one data service per backend: the ribbon's helpers use it too
    backend = Backend(service, options)
    try:
        sock = bind(options.host, options.port)
    except OSError as exc:
        if server is not None:
            server.stop()
        raise port_refused(exc, options.host, options.port, "ecore-xl serve") from None
    click.echo(f"eCore backend on {options.url} (add-in: {options.url}/addin/taskpane.html, "
               f"manifest: {options.url}/addin/manifest.xml); Ctrl-C stops it.")  # fmt: skip
    try:
        serve_forever(backend, sock)
    finally:
        if server is not None:
            server.stop()
