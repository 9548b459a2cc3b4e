"""Evidence: a malformed answer from the API gives a clear error and changes no file.

The mock's ``faults.malformed[path]`` sends, for that path: an HTML login page (``html``), a body
cut short (``truncated``), text that is not JSON (``nonjson``), an empty body (``empty``), numbers
as German-formatted text (``wrongtypes``) or valid JSON padded to megabytes (``huge``). Each is
met through the data layer (the error class and message asserted) and through the commands that
write files — ``ecore-xl fetch --out``, ``ecore-xl refresh``, ``ecore-xl report`` — on an existing
file, which must be byte-identical afterwards.

``wrongtypes``: a field the catalogue declares a number that arrives as text which is not a plain
number (``"13749,6"``) is an UnexpectedResponseError naming dataset, field and value (once kept
silently as a text column); text that is a plain JSON number (``"2026"``) is converted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner, Result

from ecore_xl.cli import cli
from ecore_xl.config import Settings
from ecore_xl.data import DataService, reset_service
from ecore_xl.errors import UnexpectedResponseError
from ecore_xl.mock import Faults, MockServer

AS_OF = dt.date(2026, 11, 15)
VOLUMES = {"meterId": "MTR-0001", "from": "2026-03-01", "to": "2026-03-02"}
#: kind -> (error class, words the message must hold)
ERRORS: dict[str, tuple[type[Exception], str]] = {
    "html": (UnexpectedResponseError, "an HTML page (a proxy or login portal in the way?)"),
    "truncated": (UnexpectedResponseError, "was cut short (connection closed before the end"),
    "nonjson": (UnexpectedResponseError, "a body that is not valid JSON"),
    "empty": (UnexpectedResponseError, "an empty body"),
}


@pytest.fixture(scope="module")
def srv() -> Iterator[MockServer]:
    with MockServer(seed=42, meters=2, years=(2026,), as_of=AS_OF) as server:
        yield server


@pytest.fixture(autouse=True)
def no_faults(srv: MockServer) -> Iterator[None]:
    srv.faults = Faults()
    yield
    srv.faults = Faults()


def service(srv: MockServer) -> DataService:
    settings = Settings.load(use_file=False, use_keyring=False, environ=srv.env(), retries=1)
    return DataService(settings)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_error_line(result: Result) -> str:
    """The single ``Error:`` line of a failed command (no traceback anywhere)."""
    assert result.exit_code == 1, (result.exit_code, result.output, result.stderr)
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.stderr
    return errors[0]


# ---- the data layer -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(ERRORS))
@pytest.mark.parametrize(
    ("path", "dataset", "filters"),
    [("/contracts", "contracts", {}), ("/volumes", "volumes", VOLUMES)],
)
def test_each_malformed_body_is_a_clear_error(
    srv: MockServer, kind: str, path: str, dataset: str, filters: dict[str, Any]
) -> None:
    srv.faults.malformed[path] = kind
    cls, words = ERRORS[kind]
    with service(srv) as svc, pytest.raises(cls) as info:
        svc.fetch(dataset, **filters)
    message = str(info.value)
    assert words in message, message
    assert path in message  # names the request that failed
    assert "\n" not in message


def test_a_huge_but_valid_body_is_read_and_its_extra_field_ignored(srv: MockServer) -> None:
    with service(srv) as svc:
        clean = svc.fetch("contracts")
    srv.faults.malformed["/contracts"] = "huge"
    with service(srv) as svc:
        padded = svc.fetch("contracts")
        received = svc.client.stats.bytes
    assert received > 8_000_000  # the padding did arrive
    pd.testing.assert_frame_equal(clean, padded)  # the page's extra field is not a column


@pytest.mark.parametrize(
    ("path", "dataset", "filters", "field"),
    [
        ("/contracts", "contracts", {}, "contractedVolumeMWh"),
        ("/volumes", "volumes", VOLUMES, "value"),
    ],
)
def test_numbers_sent_as_text_are_a_clear_error(
    srv: MockServer, path: str, dataset: str, filters: dict[str, Any], field: str
) -> None:
    srv.faults.malformed[path] = "wrongtypes"
    with service(srv) as svc, pytest.raises(UnexpectedResponseError) as info:
        svc.fetch(dataset, **filters)
    assert field in str(info.value) and "," in str(info.value)


def test_numbers_sent_as_text_say_what_to_do(srv: MockServer) -> None:
    srv.faults.malformed["/volumes"] = "wrongtypes"
    with service(srv) as svc, pytest.raises(UnexpectedResponseError) as info:
        svc.fetch("volumes", **VOLUMES)
    message = str(info.value)
    assert message.startswith("volumes: field 'value' holds '")
    assert "ecore-xl catalogue show volumes" in message and "override file" in message
    assert "\n" not in message and len(message) <= 260  # fits a cell


# ---- commands that write files: the file stays byte-identical -------------------------------


def invoke(srv: MockServer, *args: str) -> Result:
    reset_service()  # each invocation is a fresh process as far as the cache goes
    env = {**srv.env(), "ECORE_RETRIES": "1"}
    return CliRunner().invoke(cli, list(args), env=env)


@pytest.mark.parametrize("kind", sorted(ERRORS))
@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_fetch_out_leaves_the_existing_file_alone(
    srv: MockServer, tmp_path: Path, kind: str, suffix: str
) -> None:
    out = tmp_path / f"contracts{suffix}"
    assert invoke(srv, "fetch", "contracts", "--out", str(out)).exit_code == 0
    before = sha256(out)
    srv.faults.malformed["/contracts"] = kind
    line = one_error_line(invoke(srv, "fetch", "contracts", "--out", str(out)))
    assert ERRORS[kind][1] in line
    assert sha256(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]  # no temp file left


@pytest.fixture(scope="module")
def refreshed(srv: MockServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workbook refreshed once from the clean mock (the user's file)."""
    path = tmp_path_factory.mktemp("refresh") / "book.xlsx"
    srv.faults = Faults()
    result = invoke(
        srv, "refresh", str(path), "--create", "--datasets", "contracts,volumes,invoices"
    )
    assert result.exit_code == 0, result.stderr
    return path


@pytest.mark.parametrize("kind", sorted(ERRORS))
@pytest.mark.parametrize("path", ["/volumes", "/invoices"])
def test_refresh_stops_before_writing(
    srv: MockServer, refreshed: Path, kind: str, path: str
) -> None:
    before = sha256(refreshed)
    srv.faults.malformed[path] = kind
    line = one_error_line(
        invoke(srv, "refresh", str(refreshed), "--datasets", "contracts,volumes,invoices")
    )
    assert "nothing was changed" in line and ERRORS[kind][1] in line
    assert sha256(refreshed) == before


@pytest.fixture(scope="module")
def report(srv: MockServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Last month's report, built once from the clean mock."""
    path = tmp_path_factory.mktemp("report") / "report-2026-10.xlsx"
    srv.faults = Faults()
    result = invoke(srv, "report", "--month", "2026-10", "--out", str(path))
    assert result.exit_code == 0, result.stderr
    return path


@pytest.mark.parametrize("kind", sorted(ERRORS))
@pytest.mark.parametrize("path", ["/volumes", "/invoices", "/portfolios"])
def test_report_leaves_the_existing_report_alone(
    srv: MockServer, report: Path, kind: str, path: str
) -> None:
    before = sha256(report)
    srv.faults.malformed[path] = kind
    line = one_error_line(invoke(srv, "report", "--month", "2026-10", "--out", str(report)))
    assert ERRORS[kind][1] in line
    assert sha256(report) == before


def test_refresh_with_numbers_as_text_stops_before_writing(
    srv: MockServer, refreshed: Path
) -> None:
    before = sha256(refreshed)
    srv.faults.malformed["/volumes"] = "wrongtypes"
    result = invoke(srv, "refresh", str(refreshed), "--datasets", "contracts,volumes,invoices")
    assert sha256(refreshed) == before
    one_error_line(result)
