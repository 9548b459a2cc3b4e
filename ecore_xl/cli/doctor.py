"""``ecore-xl doctor``: find out, one step at a time, why the API cannot be reached.

Steps: settings → proxy → TLS/connectivity → token → subscription key → one GET. Each prints
OK or FAIL with the reason; the first failure stops the later steps (they depend on it).
Exit 0 when all pass, 1 when a network/API/auth step fails, 2 when settings are missing.
"""

from __future__ import annotations

import socket
from typing import NoReturn
from urllib.parse import urlsplit, urlunsplit

import click
import requests

from ecore_xl.config import Settings
from ecore_xl.errors import EcoreError, SubscriptionKeyError, UsageError

__all__ = ["REQUIRED", "doctor"]

#: settings an API call needs, in the order they are reported
REQUIRED = ("base_url", "token_url", "client_id", "client_secret", "scope", "subscription_key")
_STEPS = 6


class _Steps:
    def __init__(self) -> None:
        self.number = 0

    def ok(self, name: str, reason: str) -> None:
        self.number += 1
        click.echo(f"[{self.number}/{_STEPS}] {name:<18} OK    {reason}")

    def fail(self, name: str, reason: str, code: int) -> NoReturn:
        self.number += 1
        click.echo(f"[{self.number}/{_STEPS}] {name:<18} FAIL  {reason}")
        left = _STEPS - self.number
        if left:
            click.echo(f"({left} later step{'s' if left > 1 else ''} skipped: they need this one)")
        raise click.exceptions.Exit(code)


@click.command()
@click.option("--profile", default=None, help="Profile to check (default: ECORE_PROFILE).")
def doctor(profile: str | None) -> None:
    """Check settings, proxy, TLS, token, subscription key and one GET, step by step.

    \b
    Examples:
      ecore-xl doctor
      ecore-xl doctor --profile test
    """
    from ecore_xl.api import EcoreClient, TokenProvider, make_session

    steps = _Steps()
    settings = _check_settings(steps, profile)
    session = make_session(settings)
    try:
        _check_proxy(steps, settings, session)
        _check_connectivity(steps, settings, session)
        tokens = TokenProvider(settings, session)
        try:
            tokens.token()
        except EcoreError as exc:
            steps.fail("token", _with_detail(exc), 1)
        left = tokens.seconds_left() or 0.0
        steps.ok(
            "token",
            f"access token obtained from {_host(settings.token_url)}, "
            f"valid for {left / 60:.0f} min",
        )
        client = EcoreClient(settings, session=session, tokens=tokens)
        key_path, count_path = _paths(settings)
        try:
            client.get_json(key_path, {"top": "1"})
        except SubscriptionKeyError as exc:
            steps.fail("subscription key", str(exc), 1)
        except EcoreError as exc:
            steps.fail("subscription key", f"GET {key_path} failed: {exc}", 1)
        if client.stats.key_switches:
            steps.ok(
                "subscription key",
                "the primary key was REFUSED, the secondary key works: put the new primary "
                "key into ECORE_SUBSCRIPTION_KEY",
            )
        else:
            steps.ok("subscription key", f"accepted (GET {key_path}?top=1)")
        try:
            page = next(iter(client.iter_pages(count_path)))
        except EcoreError as exc:
            steps.fail("data", f"GET {count_path} failed: {exc}", 1)
        steps.ok(
            "data",
            f"GET {count_path}: {len(page.records)} record{'s' if len(page.records) != 1 else ''}"
            " on the first page",
        )
    finally:
        session.close()
    click.echo("All checks passed.")


def _check_settings(steps: _Steps, profile: str | None) -> Settings:
    try:
        settings = Settings.load(profile)
    except UsageError as exc:
        steps.fail("settings", str(exc), 2)
    missing = [f"ECORE_{name.upper()}" for name in REQUIRED if not getattr(settings, name)]
    if missing:
        steps.fail(
            "settings",
            f"missing {', '.join(missing)}: run 'ecore-xl configure' or set the variable"
            f"{'s' if len(missing) > 1 else ''}",
            2,
        )
    extra = "" if settings.subscription_key_secondary else "; no secondary key (optional)"
    steps.ok("settings", f"profile {settings.profile!r}, API {settings.base_url}{extra}")
    return settings


def _check_proxy(steps: _Steps, settings: Settings, session: requests.Session) -> None:
    """Which proxy each host goes through, and why (the PAC file's answer, a variable...)."""
    finder = getattr(session, "proxy_finder", None)
    parts = []
    for label, url in (("API", settings.base_url), ("token", settings.token_url or "")):
        where = _host(url)
        if finder is None:
            parts.append(f"{label} host {where}: proxies as requests reads the environment")
            continue
        try:
            choice = finder.choose(url)
        except UsageError as exc:
            steps.fail("proxy", str(exc), 2)
        route = f"via {_hide_password(choice.proxy)}" if choice.proxy else "direct"
        parts.append(f"{label} host {where} {route} ({choice.reason})")
    steps.ok("proxy", "; ".join(parts))


def _check_connectivity(steps: _Steps, settings: Settings, session: requests.Session) -> None:
    from ecore_xl.api.errors_map import network_error

    url = settings.base_url
    parts = urlsplit(url)
    if parts.scheme == "http":
        port = parts.port or 80
        try:
            with socket.create_connection((parts.hostname, port), timeout=settings.connect_timeout):
                pass
        except OSError as exc:
            steps.fail("connectivity", f"cannot open TCP {parts.hostname}:{port} ({exc})", 1)
        steps.ok("connectivity", f"TCP {parts.hostname}:{port} open (http://, no TLS to check)")
        return
    trust = f"CA bundle {settings.ca_bundle}" if settings.ca_bundle else "the OS certificate store"
    try:
        response = session.get(
            url, timeout=(settings.connect_timeout, settings.read_timeout), allow_redirects=False
        )
    except requests.RequestException as exc:
        error = network_error(
            exc, url, connect_timeout=settings.connect_timeout, read_timeout=settings.read_timeout
        )
        steps.fail("TLS/connectivity", str(error), 1)
    response.close()
    steps.ok(
        "TLS/connectivity",
        f"{parts.netloc} answered (HTTP {response.status_code}); certificate trusted by {trust}",
    )


def _paths(settings: Settings) -> tuple[str, str]:
    """Paths for the key check and the data check, from the (user's) catalogue if it loads."""
    try:
        from ecore_xl.catalogue import load_catalogue

        catalogue = load_catalogue(settings.catalogue)
        return catalogue.get("legal-entities").path, catalogue.get("meters").path
    except (EcoreError, ImportError, KeyError):
        return "/legal-entities", "/meters"


def _with_detail(exc: EcoreError) -> str:
    """The message plus the server's own reason (e.g. the AADB2C code and text)."""
    return f"{exc} [{exc.detail}]" if exc.detail else str(exc)


def _host(url: str | None) -> str:
    return urlsplit(url or "").netloc or "?"


def _hide_password(url: str | None) -> str:
    parts = urlsplit(url or "")
    if parts.password:
        netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    return url or ""
