"""``ecore-xl`` logging: the detail in ``cli.log``, one short line per problem on stderr.

Through the real command line (``CliRunner``) against the mock: a failing refresh is said once,
a subscription-key switch is one ``Warning:`` line, ``--verbose`` adds the INFO lines, the log
file has the detail and no secret, and the ``ecore_xl`` logger is left as it was found.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ecore_xl.api._log import register_secret
from ecore_xl.cli import cli
from ecore_xl.cli.logs import command_logging, log
from ecore_xl.data import reset_service
from ecore_xl.mock import Faults, MockServer

MOCK_KW = {"seed": 42, "meters": 2, "years": (2026,), "as_of": dt.date(2026, 11, 15)}
SPAN = ("--from", "2026-10-01", "--to", "2026-10-02")


@pytest.fixture(autouse=True)
def clean_mock(srv: MockServer) -> Iterator[None]:
    srv.faults = Faults()
    srv.restore_primary()
    yield
    srv.faults = Faults()
    srv.restore_primary()


def log_file() -> Path:
    return Path(os.environ["ECORE_LOG_DIR"]) / "cli.log"


def run(srv: MockServer, *args: str, **env: str) -> Result:
    reset_service()  # a fresh client per command, as in a new process
    return CliRunner().invoke(cli, list(args), env={**srv.env(), **env})


def test_a_failing_refresh_says_so_once_and_logs_the_detail(
    srv: MockServer, tmp_path: Path
) -> None:
    srv.faults.malformed["/volumes"] = "nonjson"
    result = run(srv, "refresh", str(tmp_path / "book.xlsx"), "--create", "--datasets", "volumes")
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr  # no raw log record before the Error: line
    assert lines[0].startswith("Error: Refresh stopped at volumes") and "not valid JSON" in lines[0]
    assert "volumes" not in result.stdout
    text = log_file().read_text(encoding="utf-8")
    assert "ecore_xl.cli: ecore-xl " in text and ": refresh" in text  # the run's start
    assert "refresh failed (UnexpectedResponseError): Refresh stopped at volumes" in text
    assert "unexpected character" in text  # the parser's detail, which stderr does not get


def test_report_and_fetch_failures_are_one_line_each(srv: MockServer, tmp_path: Path) -> None:
    srv.faults.malformed["/invoices"] = "html"
    report = run(srv, "report", "--month", "2026-10", "--out", str(tmp_path / "r.xlsx"))
    fetch = run(srv, "fetch", "volumes", "--filter", "meterId=NOPE", *SPAN)
    for result in (report, fetch):
        assert result.exit_code == 1, result.output
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert result.stderr.startswith("Error: ")
    text = log_file().read_text(encoding="utf-8")
    assert "report failed (UnexpectedResponseError)" in text
    assert "fetch failed (NotFoundError)" in text and "Meter 'NOPE' was not found" in text


def test_a_key_switch_is_one_short_warning(srv: MockServer) -> None:
    srv.revoke_primary()
    result = run(srv, "fetch", "contracts")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == [
        line for line in result.stderr.splitlines() if line.startswith("Warning: ")
    ]
    (line,) = result.stderr.splitlines()
    assert "refused the primary subscription key" in line and "secondary key" in line
    assert srv.primary_key not in line and srv.secondary_key not in line
    assert "contractNumber" in result.stdout or "CTR-" in result.stdout
    assert "WARNING" in log_file().read_text(encoding="utf-8")


def test_verbose_shows_info_on_stderr(srv: MockServer) -> None:
    quiet = run(srv, "fetch", "contracts")
    loud = run(srv, "--verbose", "fetch", "contracts")
    assert quiet.exit_code == loud.exit_code == 0
    assert quiet.stderr == ""
    assert "Info: Access token obtained" in loud.stderr
    assert all(line.startswith("Info: ") for line in loud.stderr.splitlines()), loud.stderr
    assert "ecore-xl 0" not in loud.stderr  # the start mark is for the file only


def test_no_secret_reaches_the_log_file(srv: MockServer, tmp_path: Path) -> None:
    srv.revoke_primary()
    env = {"ECORE_LOG_LEVEL": "DEBUG"}
    assert run(srv, "-v", "fetch", "meters", **env).exit_code == 0
    srv.faults = Faults(error_5xx_ratio=1.0)
    assert run(srv, "-v", "fetch", "clicks", **env, ECORE_RETRIES="1").exit_code == 1
    srv.faults = Faults()
    wrong = "wrong-client-secret-0123456789abcdef"
    assert run(srv, "fetch", "contracts", ECORE_CLIENT_SECRET=wrong).exit_code == 1
    text = log_file().read_text(encoding="utf-8")
    assert "GET " in text or "retry" in text  # DEBUG/INFO detail is there ...
    for secret in (srv.client_secret, srv.primary_key, srv.secondary_key, wrong):
        assert secret not in text  # ... and no secret
    assert "Bearer ey" not in text


def test_a_secret_in_a_record_or_traceback_is_blanked(capsys: pytest.CaptureFixture[str]) -> None:
    secret = "cli-log-secret-5f3a9c1e7b"
    register_secret(secret)
    with command_logging() as path:
        assert path == log_file()
        log.warning("the server echoed %s", secret)
        try:
            raise RuntimeError(f"failed with {secret}")
        except RuntimeError as exc:
            log.error("unexpected", exc_info=exc)
    text = log_file().read_text(encoding="utf-8")
    assert "the server echoed" in text and "RuntimeError: failed with" in text
    assert secret not in text
    err = capsys.readouterr().err
    assert err.startswith("Warning: the server echoed ") and secret not in err


def test_logging_is_undone_after_each_command(srv: MockServer) -> None:
    ours = logging.getLogger("ecore_xl")
    before = (ours.level, list(ours.handlers))
    for _ in range(2):
        run(srv, "fetch", "contracts")
        run(srv, "fetch", "volumes", "--filter", "meterId=NOPE", *SPAN)
    assert (ours.level, list(ours.handlers)) == before


def test_a_log_dir_that_cannot_be_created_does_not_stop_a_command(
    srv: MockServer, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = run(srv, "fetch", "contracts", ECORE_LOG_DIR=str(blocker / "logs"))
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""


@pytest.mark.skipif(os.name == "nt", reason="POSIX modes")
def test_log_files_are_private(tmp_path: Path) -> None:
    """Logs hold ids, amounts and URLs: the file 0600, its folder 0700, an older file too."""
    folder = tmp_path / "logs"
    folder.mkdir(mode=0o755)
    older = folder / "cli.log"
    older.write_text("from an older version\n")
    older.chmod(0o644)
    os.environ["ECORE_LOG_DIR"] = str(folder)
    with command_logging() as path:
        log.warning("something to write")
    assert path == older
    assert older.stat().st_mode & 0o777 == 0o600
    assert folder.stat().st_mode & 0o777 == 0o700
    assert "something to write" in older.read_text()
