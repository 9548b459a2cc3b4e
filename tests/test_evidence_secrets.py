"""Evidence: no secret ever leaves in a log line, message, workbook, report or command output.

One representative end-to-end run (not a scan of the whole pytest session: that would mean a
handler on every test's logging, too invasive for the other suites) against the mock, with every
``ecore_xl`` log record at DEBUG captured raw (before any file handler's redaction), urllib3's too,
and the UDF log file at DEBUG:

* ``ecore-xl fetch`` to the terminal, ``.xlsx``, ``.csv``, ``.json`` and a snapshot folder;
* ``ecore-xl doctor``; the ``ECORE_*`` worksheet functions, ``ECORE_STATUS`` and a failing one;
* ``ecore-xl refresh`` (with a values-only copy) and ``ecore-xl report`` (saving a snapshot);
* failures: a wrong client secret, the primary key revoked with and without a secondary key,
  every token expired mid-run, a 5xx storm that outlives the retries;
* ``repr``/``status()`` of settings, client and service.

Searched for: the client secret, a wrong secret typed by the user, both subscription keys and
every bearer token the mock issued (recorded at the mock), as any 12-character piece of their
secret part — a secret cut in half or masked to more than 4 characters is found too.
"""

from __future__ import annotations

import datetime as dt
import gzip
import logging
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ecore_xl.cli import cli
from ecore_xl.config import Settings
from ecore_xl.data import DataService, reset_service, set_service
from ecore_xl.errors import EcoreError
from ecore_xl.mock import Faults, MockServer

AS_OF = dt.date(2026, 11, 15)
WINDOW = 12
WRONG_SECRET = "typo-secret-0123456789abcdef0123456789abcdef"


class Capture(logging.Handler):
    """Every record, formatted with its traceback, as the raw text a log file could get."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def capture() -> Iterator[Capture]:
    handler = Capture()
    root = logging.getLogger()
    ours = logging.getLogger("ecore_xl")
    levels = (root.level, ours.level)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    ours.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(levels[0])
        ours.setLevel(levels[1])
        from ecore_xl.excel.logsetup import close_logging

        close_logging()


@pytest.fixture
def srv() -> Iterator[tuple[MockServer, list[str]]]:
    """The mock, with every access token it hands out recorded."""
    with MockServer(seed=42, meters=2, years=(2026,), as_of=AS_OF, token_lifetime=60) as server:
        issued: list[str] = []
        issue = server.tokens.request

        def recording(form: dict[str, str], basic: Any) -> Any:
            reply = issue(form, basic)
            if reply.status == 200:
                issued.append(reply.body["access_token"])
            return reply

        server.tokens.request = recording  # type: ignore[method-assign]
        yield server, issued


def pieces(secret: str) -> set[str]:
    """Every WINDOW-long piece of a secret's secret part (a JWT's header is no secret)."""
    part = secret.split(".", 1)[1] if secret.count(".") == 2 else secret
    for prefix in ("mock-primary-", "mock-secondary-", "mock-secret-"):
        part = part.removeprefix(prefix)
    return {part[i : i + WINDOW] for i in range(len(part) - WINDOW + 1)}


def leaks(texts: dict[str, str], secrets: dict[str, str]) -> list[str]:
    found = []
    for name, secret in secrets.items():
        bits = pieces(secret)
        for where, text in texts.items():
            if secret in text or any(b in text for b in bits):
                found.append(f"{name} in {where}")
    return found


def file_texts(*roots: Path) -> dict[str, str]:
    """Text of every file below ``roots``: workbooks (zip) member by member, gzip unpacked."""
    out: dict[str, str] = {}
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            raw = path.read_bytes()
            if raw[:2] == b"\x1f\x8b":  # a gzipped snapshot
                raw = gzip.decompress(raw)
            if raw[:2] == b"PK":
                with zipfile.ZipFile(path) as z:
                    for member in z.namelist():
                        out[f"{path.name}:{member}"] = z.read(member).decode("utf-8", "replace")
            else:
                out[str(path)] = raw.decode("utf-8", "replace")
    return out


def test_a_whole_run_leaks_no_secret(
    srv: tuple[MockServer, list[str]],
    capture: Capture,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, issued = srv
    env = server.env()
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("ECORE_LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("ECORE_RETRIES", "1")
    out = tmp_path / "out"
    out.mkdir()
    texts: dict[str, str] = {}
    runner = CliRunner()

    def run(label: str, *args: str, code: int | None = 0, **extra_env: str) -> None:
        reset_service()
        result = runner.invoke(cli, list(args), env={**env, **extra_env})
        texts[f"ecore-xl {label}"] = result.output + result.stderr + repr(result.exception)
        if code is not None:
            assert result.exit_code == code, (label, result.output, result.stderr)

    meters = ",".join(m["id"] for m in server.portfolio.meters)
    span = ["--from", "2026-10-01", "--to", "2026-10-03"]
    # 1. the command line, every output format
    run("fetch", "fetch", "contracts")
    for suffix in (".xlsx", ".csv", ".json"):
        run(f"fetch {suffix}", "fetch", "volumes", "--filter", f"meterId={meters}", *span,
            "--out", str(out / f"volumes{suffix}"), "--snapshot", str(out / "snap"))  # fmt: skip
    run("doctor", "doctor", code=None)
    # 2. the worksheet functions, through the process-wide service
    from ecore_xl.excel import udfs

    service = DataService(Settings.load(use_file=False, use_keyring=False, environ=env))
    set_service(service)
    cells = [
        udfs.ECORE_CONTRACTS(),
        udfs.ECORE_VOLUMES(meters, "2026-10-01", "2026-10-02", "hour", "wide"),
        udfs.ECORE_VOLUME_TOTAL("MTR-0001", "2026-10-01", "2026-11-01"),
        udfs.ECORE_HEDGE_RATIO("PF-0001", "2026-10"),
        udfs.ECORE_GET("/contracts/NOPE"),
        udfs.ECORE_VOLUMES("MTR-0001", "2026-10-01", "2026-09-01"),
        udfs.ECORE_STATUS(),
    ]
    texts["cells"] = repr(cells)
    texts["status"] = repr(service.status()) + repr(service.client.status())
    texts["reprs"] = repr(service.settings) + repr(service.client) + repr(service.client.tokens)
    # 3. refresh and report into files
    book = out / "book.xlsx"
    run("refresh", "refresh", str(book), "--create", "--datasets", "contracts,volumes,invoices",
        "--values-copy", str(out / "values.xlsx"))  # fmt: skip
    run("report", "report", "--month", "2026-10", "--out", str(out / "report.xlsx"),
        "--save-snapshot", str(out / "report-snap"))  # fmt: skip
    # 4. failures, each with its message
    run("wrong secret", "fetch", "contracts", code=1, ECORE_CLIENT_SECRET=WRONG_SECRET)
    server.expire_tokens()
    run("expired tokens", "fetch", "meters")
    server.revoke_primary()
    run("key switch", "fetch", "portfolios")
    run("no secondary", "fetch", "portfolios", code=1, ECORE_SUBSCRIPTION_KEY_SECONDARY="")
    server.faults = Faults(error_5xx_ratio=1.0)
    run("5xx storm", "fetch", "clicks", code=1)
    server.faults = Faults()
    errors: list[EcoreError] = []
    good = Settings.load(use_file=False, use_keyring=False, environ=env)
    for settings in (
        good.replace(client_secret=WRONG_SECRET),
        good.replace(subscription_key_secondary=None),  # the primary is revoked by now
    ):
        with DataService(settings) as svc:
            try:
                svc.fetch("business-units")
            except EcoreError as exc:
                errors.append(exc)
    assert len(errors) == 2
    texts["errors"] = " ".join(f"{e!s} {e!r} {e.detail} {e.args}" for e in errors)

    # everything the run left behind
    texts["log records"] = "\n".join(capture.lines)
    texts.update(file_texts(out, Path(os.environ["ECORE_LOG_DIR"])))
    secrets = {
        "client secret": server.client_secret,
        "wrong secret": WRONG_SECRET,
        "primary key": server.primary_key,
        "secondary key": server.secondary_key,
        **{f"token {i + 1}": t for i, t in enumerate(issued)},
    }

    assert len(issued) >= 3, issued  # first token, after expiry, one per fresh process
    assert len(capture.lines) > 50 and any("GET " in line for line in capture.lines)
    assert any(Path(where).name == "excel-udfs.log" for where in texts)
    assert {"book.xlsx:xl/workbook.xml", "report.xlsx:xl/workbook.xml"} <= set(texts)
    assert sum('"ecore-xl-snapshot"' in t for t in texts.values()) >= 10, "snapshots unread"
    assert leaks(texts, secrets) == []
    # ... and the search does find a secret where there is one
    assert leaks({"x": f"key={server.primary_key[5:30]}"}, secrets) == ["primary key in x"]
