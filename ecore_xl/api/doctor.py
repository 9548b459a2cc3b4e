"""The connection check, step by step, as data: ``ecore-xl doctor``, the ribbon and the add-in
all show these steps (:func:`check_connection`), none runs another face to get them.

Steps: settings → proxy → TLS/connectivity → token → subscription key → one GET → the catalogue
(``ecore-xl catalogue probe`` on one dataset, meters: does the API speak as the catalogue says?).
Each is OK or FAIL with the reason; the first failure stops the later steps (they depend on it),
but for an API that does not read as the catalogue says (its path is no route, its records are
not where the envelope says): the key and data steps fail naming it, and the catalogue step still
runs the probe, which looks for the API's paths and says the fix. Steps 5 and 6 read with the
catalogue's paths and dialect. Offline (``ECORE_OFFLINE=1``) the doctor calls nothing: the
settings step says so.
The exit code is 0 when all pass, 1 when a network/API/auth step fails, 2 when settings are
missing, offline, or the catalogue does not match the API (the reason names the command that
fixes it); the first failure's code.
No secret is ever in a reason. The probe is imported only when that step runs (it lives above
this layer, in :mod:`ecore_xl.data.probe`).
"""

from __future__ import annotations

import contextlib
import socket
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from ecore_xl.config import Settings
from ecore_xl.errors import (
    EcoreError,
    NotFoundError,
    PagingError,
    ResponseTooLargeError,
    SubscriptionKeyError,
    UnexpectedResponseError,
    UsageError,
)

if TYPE_CHECKING:
    from ecore_xl.catalogue.model import Dataset

__all__ = ["PROBED", "REQUIRED", "STEP_NAMES", "DoctorReport", "Step", "check_connection"]

#: settings an API call needs, in the order they are reported
REQUIRED = ("base_url", "token_url", "client_id", "client_secret", "scope", "subscription_key")
#: the steps, in order (the connectivity step is named "connectivity" for plain http://)
STEP_NAMES = (
    "settings", "proxy", "TLS/connectivity", "token", "subscription key", "data", "catalogue",
)  # fmt: skip
#: the dataset the doctor probes (the full check: ``ecore-xl catalogue probe``)
PROBED = "meters"
#: what a key or data step adds when the API does not read as the catalogue says
PROBE_FINDS = "the API does not read as the catalogue says: the catalogue step probes it"


@dataclass(frozen=True)
class Step:
    """One step's outcome."""

    name: str
    ok: bool
    reason: str


@dataclass
class DoctorReport:
    """The steps that ran, how many were skipped after a failure, and the exit code."""

    steps: list[Step] = field(default_factory=list)
    skipped: int = 0
    exit_code: int = 0

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def lines(self) -> list[str]:
        """One line per step (``[3/6] token              OK    …``), as the doctor prints them."""
        total = len(STEP_NAMES)
        out = []
        for number, step in enumerate(self.steps, start=1):
            mark = "OK   " if step.ok else "FAIL "
            out.append(f"[{number}/{total}] {step.name:<18} {mark} {step.reason}")
        if self.skipped:
            s = "s" if self.skipped > 1 else ""
            out.append(f"({self.skipped} later step{s} skipped: they need this one)")
        if self.ok:
            out.append("All checks passed.")
        return out

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "exit_code": self.exit_code,
            "skipped": self.skipped,
            "total": len(STEP_NAMES),
            "steps": [{"name": s.name, "ok": s.ok, "reason": s.reason} for s in self.steps],
        }


class _Stop(Exception):
    """A step failed: the later ones are skipped."""


class _Steps:
    def __init__(self, report: DoctorReport) -> None:
        self.report = report

    def ok(self, name: str, reason: str) -> None:
        self.report.steps.append(Step(name, True, reason))

    def fail(self, name: str, reason: str, code: int) -> _Stop:
        self.mismatch(name, reason, code)
        self.report.skipped = len(STEP_NAMES) - len(self.report.steps)
        return _Stop()

    def mismatch(self, name: str, reason: str, code: int = 2) -> None:
        """A failed step the later ones do not need (the catalogue step still runs)."""
        self.report.steps.append(Step(name, False, reason))
        self.report.exit_code = self.report.exit_code or code


def check_connection(
    profile: str | None = None, *, settings: Settings | None = None
) -> DoctorReport:
    """Run the steps for ``settings`` (default: ``Settings.load(profile)``)."""
    report = DoctorReport()
    with contextlib.suppress(_Stop):
        _run(_Steps(report), profile, settings)
    return report


def _run(steps: _Steps, profile: str | None, given: Settings | None) -> None:
    from ecore_xl.api import EcoreClient, TokenProvider, make_session

    settings = _check_settings(steps, profile, given)
    session = make_session(settings)
    try:
        _check_proxy(steps, settings, session)
        _check_connectivity(steps, settings, session)
        tokens = TokenProvider(settings, session)
        try:
            tokens.token()
        except EcoreError as exc:
            raise steps.fail("token", _with_detail(exc), 1) from None
        left = tokens.seconds_left() or 0.0
        steps.ok(
            "token",
            f"access token obtained from {_host(settings.token_url)}, "
            f"valid for {left / 60:.0f} min",
        )
        client = EcoreClient(settings, session=session, tokens=tokens)
        key_path, meters = _paths(settings)
        count_path = meters.path if meters is not None else "/meters"
        try:
            client.get_json(key_path, {"top": "1"})
        except SubscriptionKeyError as exc:
            raise steps.fail("subscription key", str(exc), 1) from None
        except EcoreError as exc:
            reason = f"GET {key_path} failed: {exc}"
            if not _reads_otherwise(exc):
                raise steps.fail("subscription key", reason, 1) from None
            steps.mismatch("subscription key", f"{reason.rstrip('.')}; {PROBE_FINDS}")
        else:
            if client.stats.key_switches:
                steps.ok(
                    "subscription key",
                    "the primary key was REFUSED, the secondary key works: put the new primary "
                    "key into ECORE_SUBSCRIPTION_KEY",
                )
            else:
                steps.ok("subscription key", f"accepted (GET {key_path}?top=1)")
        dialect = meters.dialect if meters is not None else None
        try:
            page = next(iter(client.iter_pages(count_path, dialect=dialect, dataset=PROBED)))
        except EcoreError as exc:
            reason = f"GET {count_path} failed: {exc}"
            if not _reads_otherwise(exc):
                raise steps.fail("data", reason, 1) from None
            steps.mismatch("data", f"{reason.rstrip('.')}; {PROBE_FINDS}")
        else:
            n = len(page.records)
            s = "s" if n != 1 else ""
            steps.ok("data", f"GET {count_path}: {n} record{s} on the first page")
        _check_catalogue(steps, settings, client)
    finally:
        session.close()


def _reads_otherwise(exc: EcoreError) -> bool:
    """The API answered, but not as the catalogue says: its path is no route, or its records
    or pages are not where the catalogue's dialect says (the probe finds what they are)."""
    if isinstance(exc, NotFoundError):
        return exc.route
    if isinstance(exc, ResponseTooLargeError):
        return False
    return isinstance(exc, UnexpectedResponseError | PagingError)


def _check_catalogue(steps: _Steps, settings: Settings, client: object) -> None:
    """The probe on one dataset: the catalogue matches the API, or what differs and the fix."""
    from ecore_xl.data.probe import probe_catalogue

    try:
        result = probe_catalogue([PROBED], settings=settings, client=client)  # type: ignore[arg-type]
    except EcoreError as exc:
        raise steps.fail("catalogue", f"probing {PROBED} failed: {exc}", exc.exit_code) from None
    full = "'ecore-xl catalogue probe' checks every dataset"
    if result.problems:
        raise steps.fail("catalogue", f"{result.problems[0]}; {full}", 1) from None
    if result.changes:
        changed = [
            f"{f.subject}" for f in result.learning.findings + result.learning.declarations
            if f.status == "change" and f.dataset in ("", PROBED)
        ]  # fmt: skip
        shown = ", ".join(dict.fromkeys(changed[:4])) + (" …" if len(changed) > 4 else "")
        raise steps.fail(
            "catalogue",
            f"{PROBED} differs from the catalogue ({shown}): run 'ecore-xl catalogue probe "
            "--write' to fix the catalogue file",
            2,
        )
    steps.ok(
        "catalogue",
        f"{PROBED} as the catalogue says ({result.requests} requests: path, envelope, paging, "
        f"fields, filters); {full}",
    )


def _check_settings(steps: _Steps, profile: str | None, given: Settings | None) -> Settings:
    if given is not None:
        settings = given
    else:
        try:
            settings = Settings.load(profile)
        except UsageError as exc:
            raise steps.fail("settings", str(exc), 2) from None
    if settings.offline:
        raise steps.fail(
            "settings",
            "Offline (ECORE_OFFLINE=1): the doctor checks the live connection and calls nothing "
            "offline; run it online (unset ECORE_OFFLINE or switch Offline mode off)",
            2,
        )
    missing = [f"ECORE_{name.upper()}" for name in REQUIRED if not getattr(settings, name)]
    if missing:
        raise steps.fail(
            "settings",
            f"missing {', '.join(missing)}: run 'ecore-xl configure' or set the variable"
            f"{'s' if len(missing) > 1 else ''}",
            2,
        )
    extra = "" if settings.subscription_key_secondary else "; no secondary key (optional)"
    steps.ok("settings", f"profile {settings.profile!r}, API {settings.base_url}{extra}")
    return settings


def _check_proxy(steps: _Steps, settings: Settings, session: object) -> None:
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
            raise steps.fail("proxy", str(exc), 2) from None
        route = f"via {_hide_password(choice.proxy)}" if choice.proxy else "direct"
        parts.append(f"{label} host {where} {route} ({choice.reason})")
    steps.ok("proxy", "; ".join(parts))


def _check_connectivity(steps: _Steps, settings: Settings, session: object) -> None:
    import requests

    from ecore_xl.api.errors_map import network_error

    url = settings.base_url
    parts = urlsplit(url)
    if parts.scheme == "http":
        port = parts.port or 80
        try:
            with socket.create_connection((parts.hostname, port), timeout=settings.connect_timeout):
                pass
        except OSError as exc:
            raise steps.fail(
                "connectivity", f"cannot open TCP {parts.hostname}:{port} ({exc})", 1
            ) from None
        steps.ok("connectivity", f"TCP {parts.hostname}:{port} open (http://, no TLS to check)")
        return
    trust = f"CA bundle {settings.ca_bundle}" if settings.ca_bundle else "the OS certificate store"
    try:
        response = session.get(  # type: ignore[attr-defined]
            url, timeout=(settings.connect_timeout, settings.read_timeout), allow_redirects=False
        )
    except requests.RequestException as exc:
        error = network_error(
            exc, url, connect_timeout=settings.connect_timeout, read_timeout=settings.read_timeout
        )
        raise steps.fail("TLS/connectivity", str(error), 1) from None
    response.close()
    steps.ok(
        "TLS/connectivity",
        f"{parts.netloc} answered (HTTP {response.status_code}); certificate trusted by {trust}",
    )


def _paths(settings: Settings) -> tuple[str, Dataset | None]:
    """The key check's path and the data check's dataset (its path and dialect), from the
    (user's) catalogue if it loads."""
    try:
        from ecore_xl.catalogue import load_catalogue

        catalogue = load_catalogue(settings.catalogue)
        return catalogue.get("legal-entities").path, catalogue.get(PROBED)
    except (EcoreError, ImportError, KeyError):
        return "/legal-entities", None


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
