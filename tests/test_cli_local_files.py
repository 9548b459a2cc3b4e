"""Every ``ecore-xl`` writer against a hostile local world: files open in Excel or LibreOffice,
damaged workbooks, read-only and full disks, a size limit, a full log disk. Each ends in one
``Error:`` line with the README's exit code (2: a local problem), never a traceback, and the
file that was there is unchanged.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ecore_xl.cli import cli
from ecore_xl.mock import MockServer
from tests.refresh_fixtures import REFRESH_MOCK, new_workbook

MOCK_KW = REFRESH_MOCK


def invoke(srv: MockServer, *args: str, env: dict[str, str] | None = None) -> Result:
    from ecore_xl.data import reset_service

    reset_service()
    return CliRunner().invoke(cli, list(args), env={**srv.env(), **(env or {})})


def assert_one_line(result: Result, code: int = 2, *fragments: str) -> None:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, result.output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def _writers(srv: MockServer, folder: Path) -> dict[str, tuple[Path, list[str]]]:
    """Each writer command and the file it writes, in ``folder``."""
    book = new_workbook(folder / "book.xlsx", datasets="contracts")
    csv, xlsx = folder / "c.csv", folder / "c.xlsx"
    return {
        "fetch --out csv": (csv, ["fetch", "contracts", "--out", str(csv)]),
        "fetch --out xlsx": (xlsx, ["fetch", "contracts", "--out", str(xlsx)]),
        "refresh": (book, ["refresh", str(book)]),
        "report": (
            folder / "r.xlsx", ["report", "--month", "2026-03", "--out", str(folder / "r.xlsx")]
        ),
        "addin build": (folder / "e.xlam", ["addin", "build", "--out", str(folder / "e.xlam")]),
    }  # fmt: skip


@pytest.mark.parametrize(
    ("lock", "program"), [("~${name}", "Excel"), (".~lock.{name}#", "LibreOffice")]
)
def test_every_writer_refuses_a_file_open_in_excel(
    srv: MockServer, tmp_path: Path, lock: str, program: str
) -> None:
    for label, (target, args) in _writers(srv, tmp_path).items():
        if not target.exists():
            target.write_bytes(b"the user's file")
        before = target.read_bytes()
        (target.parent / lock.format(name=target.name)).write_text("owner")
        result = invoke(srv, *args)
        assert_one_line(result, 2, f"{target.name} is open in {program}: close it")
        assert target.read_bytes() == before, label
    assert not list(tmp_path.glob(".*.tmp*")), "no temporary file left"


def test_demo_refuses_a_workbook_open_in_excel(srv: MockServer, tmp_path: Path) -> None:
    out = tmp_path / "demo"
    out.mkdir()
    (out / "ecore-demo.xlsx").write_bytes(b"open")
    (out / "~$ecore-demo.xlsx").write_text("owner")
    result = CliRunner().invoke(cli, ["demo", "--out", str(out), "--meters", "1"])
    assert_one_line(result, 2, "ecore-demo.xlsx is open in Excel")


# ---- damaged and protected workbooks ---------------------------------------------------------


def _damage(book: Path, part: str, data: bytes) -> None:
    with zipfile.ZipFile(book) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts[part] = data
    with zipfile.ZipFile(book, "w") as z:
        for name, content in parts.items():
            z.writestr(name, content)


@pytest.mark.parametrize(
    ("part", "data"),
    [
        ("xl/workbook.xml", b"<workbook><sheets><sheet name='x'"),
        ("xl/worksheets/sheet1.xml", b"\x00\x01 not xml"),
        ("xl/styles.xml", b"<styleSheet xmlns='http://schemas.openxmlformats.org/spreadsheetml"
                          b"/2006/main'><numFmts count='1'><numFmt/></numFmts></styleSheet>"),
        ("[Content_Types].xml", b"<Types"),
    ],
)  # fmt: skip
def test_a_damaged_xml_part_is_one_line(
    srv: MockServer, tmp_path: Path, part: str, data: bytes
) -> None:
    book = new_workbook(tmp_path / "book.xlsx", datasets="contracts")
    _damage(book, part, data)
    before = book.read_bytes()
    for args in (["refresh", str(book)], ["refresh", str(book), "--offline"]):
        assert_one_line(invoke(srv, *args), 2, "book.xlsx is not a readable")
    assert book.read_bytes() == before
    report = invoke(srv, "report", "--month", "2026-03", "--template", str(book),
                    "--out", str(tmp_path / "r.xlsx"))  # fmt: skip
    assert_one_line(report, 2, "book.xlsx")


def test_a_read_only_workbook_is_refused(srv: MockServer, tmp_path: Path) -> None:
    book = new_workbook(tmp_path / "book.xlsx", datasets="contracts")
    before = book.read_bytes()
    book.chmod(0o444)
    try:
        assert_one_line(invoke(srv, "refresh", str(book)), 2, "book.xlsx is a read-only file")
    finally:
        book.chmod(0o644)
    assert book.read_bytes() == before


def test_a_workbook_marked_read_only_in_excel_is_refused(srv: MockServer, tmp_path: Path) -> None:
    book = new_workbook(tmp_path / "book.xlsx", datasets="contracts")
    with zipfile.ZipFile(book) as z:
        xml = z.read("xl/workbook.xml")
    marked = xml.replace(b"<workbookPr", b'<fileSharing readOnlyRecommended="1"/><workbookPr', 1)
    _damage(book, "xl/workbook.xml", marked)
    before = book.read_bytes()
    assert_one_line(invoke(srv, "refresh", str(book)), 2, "marked read-only in Excel")
    assert book.read_bytes() == before


def test_protected_workbooks_and_sheets_are_refused(srv: MockServer, tmp_path: Path) -> None:
    import openpyxl

    from ecore_xl.excel.headless import refresh_file
    from tests.conftest import service_for

    book = new_workbook(tmp_path / "book.xlsx", datasets="contracts")
    refresh_file(book, service=service_for(srv))
    wb = openpyxl.load_workbook(book)
    wb.security.lockStructure = True
    wb.save(book)
    before = book.read_bytes()
    assert_one_line(invoke(srv, "refresh", str(book)), 2, "protected workbook structure")
    assert book.read_bytes() == before
    wb.security.lockStructure = False
    wb["Contracts"].protection.sheet = True
    wb.save(book)
    before = book.read_bytes()
    assert_one_line(invoke(srv, "refresh", str(book)), 2, "sheet 'Contracts'", "protected")
    assert book.read_bytes() == before


# ---- the disk: read-only, full, size limit, no permission ------------------------------------


def _can_mount() -> bool:
    """Root on Linux, and a tmpfs really mounts here (a container may forbid it)."""
    import tempfile

    if not (sys.platform.startswith("linux") and os.geteuid() == 0 and shutil.which("mount")):
        return False
    with tempfile.TemporaryDirectory() as where:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", where],
                              capture_output=True, check=False)  # fmt: skip
        if done.returncode != 0:
            return False
        subprocess.run(["umount", where], capture_output=True, check=False)
    return True


@contextlib.contextmanager
def tmpfs(where: Path, size: str, *, read_only: bool = False) -> Iterator[Path]:
    """A small tmpfs at ``where`` (root only), optionally remounted read-only."""
    where.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _remount_ro(where: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True)


needs_mount = pytest.mark.skipif(not _can_mount(), reason="needs root to mount a tmpfs")


@needs_mount
def test_a_read_only_file_system_is_one_line(srv: MockServer, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro", "4m") as disk:
        book = new_workbook(disk / "book.xlsx", datasets="contracts")
        (disk / "c.csv").write_text("old")
        _remount_ro(disk)
        before = book.read_bytes()
        assert_one_line(invoke(srv, "refresh", str(book)), 2, "read-only")
        assert_one_line(
            invoke(srv, "fetch", "contracts", "--out", str(disk / "c.csv")), 2, "read-only"
        )
        assert_one_line(
            invoke(srv, "fetch", "contracts", "--out", str(disk / "new" / "x.csv")), 2, "read-only"
        )
        assert book.read_bytes() == before and (disk / "c.csv").read_text() == "old"


@needs_mount
def test_a_full_disk_is_one_line_and_keeps_the_old_file(srv: MockServer, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "full", "64k") as disk:
        (disk / "v.csv").write_text("old")
        meter = "meterId=" + srv.portfolio.meters[0]["id"]
        result = invoke(srv, "fetch", "volumes", "--filter", meter, "--from", "2026-01-01",
                        "--to", "2026-03-01", "--granularity", "quarterhour",
                        "--out", str(disk / "v.csv"))  # fmt: skip
        assert_one_line(result, 2, "v.csv", "the disk is full")
        assert (disk / "v.csv").read_text() == "old"
        assert sorted(p.name for p in disk.iterdir()) == ["v.csv"]


@needs_mount
def test_a_full_log_disk_does_not_fail_the_command(srv: MockServer, tmp_path: Path) -> None:
    """The log file cannot grow: the command still does its job and exits 0."""
    with tmpfs(tmp_path / "logs", "16k") as disk:
        with contextlib.suppress(OSError):
            (disk / "filler").write_bytes(b"x" * 1_000_000)  # fills it to the last byte
        out = tmp_path / "c.csv"
        result = invoke(srv, "-v", "fetch", "contracts", "--out", str(out),
                        env={"ECORE_LOG_DIR": str(disk), "ECORE_LOG_LEVEL": "DEBUG"})  # fmt: skip
        assert result.exit_code == 0, result.output
        assert "Traceback" not in result.output and "Logging error" not in result.output
        assert out.read_text().startswith("id,")


@pytest.mark.skipif(os.name == "nt", reason="POSIX resource limits")
def test_a_file_size_limit_is_one_line(srv: MockServer, tmp_path: Path) -> None:
    """``ulimit -f`` (RLIMIT_FSIZE) below the output's size: EFBIG, one line, exit 2."""
    out = tmp_path / "v.csv"
    out.write_text("old")
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))\n"
        "from ecore_xl.cli import main\n"
        "main(sys.argv[1:])\n"
    )
    env = {**os.environ, **srv.env(), "ECORE_LOG_DIR": str(tmp_path / "logs")}
    done = subprocess.run(
        [sys.executable, "-c", code, "fetch", "volumes", "--filter",
         "meterId=" + srv.portfolio.meters[0]["id"], "--from", "2026-01-01", "--to", "2026-03-01",
         "--granularity", "quarterhour", "--out", str(out)],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().count("\n") == 0 and "file-size limit" in done.stderr
    assert out.read_text() == "old"


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_no_permission_on_the_target_folder_is_one_line(srv: MockServer, tmp_path: Path) -> None:
    """A folder the user may not write into (as another user when the tests run as root)."""
    folder = tmp_path / "locked"
    folder.mkdir()
    (folder / "c.csv").write_text("old")
    folder.chmod(0o555)
    tmp_path.chmod(0o755)
    prefix: list[str] = []
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("root without setpriv: cannot drop privileges")
        prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        for parent in tmp_path.parents:  # the other user must reach the folder
            with contextlib.suppress(OSError):
                parent.chmod(parent.stat().st_mode | 0o005)
    logs = tmp_path / "logs"
    logs.mkdir(mode=0o777)
    logs.chmod(0o777)
    env = {**os.environ, **srv.env(), "ECORE_LOG_DIR": str(logs),
           "ECORE_CONFIG_DIR": str(logs), "HOME": str(logs)}  # fmt: skip
    try:
        done = subprocess.run(
            [*prefix, sys.executable, "-m", "ecore_xl", "fetch", "contracts", "--out",
             str(folder / "c.csv")],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    finally:
        folder.chmod(0o755)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "permission denied" in done.stderr and done.stderr.strip().count("\n") == 0
    assert (folder / "c.csv").read_text() == "old"


def test_out_of_memory_is_one_line(srv: MockServer, tmp_path: Path) -> None:
    """A MemoryError (a year of quarter-hours for too many meters on a small laptop) while
    fetching or while writing: one line with advice, exit 2, the old file kept."""
    from ecore_xl.atomic import atomic_write_path
    from ecore_xl.data import DataService, set_service
    from ecore_xl.errors import LocalFileError
    from tests.conftest import settings_for

    class Hungry(DataService):
        def fetch(self, *args: object, **kwargs: object) -> object:
            raise MemoryError

    target = tmp_path / "c.csv"
    target.write_text("old")
    set_service(Hungry(settings_for(srv)))
    result = CliRunner().invoke(cli, ["fetch", "contracts", "--out", str(target)])
    assert_one_line(result, 2, "Not enough memory", "ask for less data")
    with pytest.raises(LocalFileError, match="Not enough memory"), atomic_write_path(target) as tmp:
        tmp.write_text("half")
        raise MemoryError
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.csv"]
