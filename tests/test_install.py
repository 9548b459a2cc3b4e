"""The user's install path: the release wheel into a fresh venv, by ``install/install-macos.sh``.

Without network: the wheel is built with ``python -m build --no-isolation`` from a copy of the
source; the fresh venv sees this test venv's third-party packages through a ``.pth`` file (a view
without ecore_xl itself, so the code that runs is the wheel's), and pip runs with
``PIP_NO_INDEX``. The installer runs for real (bash), against the mock on 127.0.0.1, with the
macOS-only parts pointed at temporary folders (``HOME``, ``ECORE_XLSTART``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecore_xl.mock import MockServer
from tests.test_postman_environment import mock_environment

ROOT = Path(__file__).resolve().parents[1]
INSTALLER = ROOT / "install" / "install-macos.sh"
#: what a release build reads (git ls-files would also do; these are the package's inputs)
SOURCES = ("ecore_xl", "install", "officejs", "pyproject.toml", "setup.py", "README.md")
pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The release wheel, built from a copy of the source (the work tree stays untouched)."""
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(
                source, src / name, ignore=shutil.ignore_patterns("__pycache__", "node_modules")
            )
        else:
            shutil.copy2(source, src / name)
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist)],
        cwd=src,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = dist.glob("ecore_xl-*-py3-none-any.whl")
    return built


def _site_view(folder: Path) -> Path:
    """This venv's site-packages as symlinks, without ecore_xl and its editable hooks."""
    folder.mkdir()
    purelib = Path(sysconfig.get_paths()["purelib"])
    for entry in purelib.iterdir():
        lowered = entry.name.lower()
        if lowered.startswith(("ecore_xl", "__editable__", "_ecore_xl")) or lowered.endswith(
            ".pth"
        ):
            continue
        (folder / entry.name).symlink_to(entry)
    return folder


def _fresh_venv(path: Path, view: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, timeout=300)
    python = path / "bin" / "python"
    child_site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(child_site, "test_dependencies.pth").write_text(f"{view}\n", encoding="utf-8")
    # the console script pip makes for xlwings; xlwings offers 'runpython install' on macOS
    # only, so on Linux this one calls xlwings' own function for it (it copies the AppleScript)
    script = path / "bin" / "xlwings"
    script.write_text(
        f"#!{python}\n"
        "import sys\n"
        "from xlwings import cli\n"
        "if sys.argv[1:] == ['runpython', 'install']:\n"
        "    sys.exit(cli.runpython_install(sys.argv[1:]))\n"
        "sys.exit(cli.main())\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    return python


@pytest.fixture(scope="module")
def installed(
    wheel: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[subprocess.CompletedProcess[str], dict[str, Path], MockServer]]:
    """install-macos.sh run once with the wheel and a Postman environment for the mock."""
    base = tmp_path_factory.mktemp("user")
    paths = {
        "home": base / "home",
        "ecore_home": base / "ecore",
        "xlstart": base / "xlstart",
        "config": base / "config",
        "keyring": base / "keyring.json",
        "venv": base / "ecore" / "venv",
    }
    paths["home"].mkdir()
    view = _site_view(base / "site-view")
    _fresh_venv(paths["venv"], view)
    helpers = base / "helpers"
    helpers.mkdir()
    shutil.copy2(ROOT / "tests" / "file_keyring.py", helpers / "file_keyring.py")
    with MockServer(seed=7, meters=2, years=(2025, 2026, 2027)) as srv:
        postman = base / "eCore.postman_environment.json"
        postman.write_text(json.dumps(mock_environment(srv)), encoding="utf-8")
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(paths["home"]),
            "LANG": "C.UTF-8",
            "PYTHON": sys.executable,
            "PIP_NO_INDEX": "1",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "ECORE_HOME": str(paths["ecore_home"]),
            "ECORE_XLSTART": str(paths["xlstart"]),
            "ECORE_POSTMAN_ENV": str(postman),
            "ECORE_CONFIG_DIR": str(paths["config"]),
            "ECORE_LOG_DIR": str(base / "logs"),
            "ECORE_CACHE_DIR": str(base / "cache"),
            "PYTHON_KEYRING_BACKEND": "file_keyring.FileKeyring",
            "ECORE_TEST_KEYRING_FILE": str(paths["keyring"]),
            "PYTHONPATH": str(helpers),
        }
        result = subprocess.run(
            ["bash", str(INSTALLER), str(wheel)],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=600,
        )
        yield result, paths, srv


def _child_env(paths: dict[str, Path]) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(paths["home"]),
        "ECORE_CONFIG_DIR": str(paths["config"]),
        "ECORE_LOG_DIR": str(paths["home"] / "logs"),
        "ECORE_NO_KEYRING": "1",
    }


def test_wheel_carries_the_addin_files_and_the_template(wheel: Path) -> None:
    import zipfile

    names = set(zipfile.ZipFile(wheel).namelist())
    assert "ecore_xl/excel/addin_files/customUI.xml" in names
    assert "ecore_xl/excel/addin_files/eCoreRibbon.bas" in names
    assert "ecore_xl/report/templates/monthly_report.xlsx" in names
    assert not any(n.startswith(("tests/", "benchmarks/")) for n in names)


def test_installer_installs_the_wheel_and_says_what_it_did(installed) -> None:  # type: ignore[no-untyped-def]
    result, paths, srv = installed
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for step in ("1/5 Python environment", "2/5 ecore_xl from", "3/5 xlwings", "4/5", "5/5"):
        assert step in out
    done = out[out.index("Done:") :]
    assert f"kept the Python environment {paths['venv']}" in done
    assert "installed ecore-xl, version 0.1.0 from" in done and ".whl" in done
    assert f"Installed {paths['xlstart'] / 'ecore_xl.xlam'}" in done
    assert "all connection checks passed" in done
    assert "All checks passed." in out  # the doctor ran after --from-postman
    assert (paths["xlstart"] / "ecore_xl.xlam").is_file()
    scripts = paths["home"] / "Library" / "Application Scripts" / "com.microsoft.Excel"
    assert any(scripts.glob("xlwings-*.applescript"))
    stored = json.loads(paths["keyring"].read_text())
    secrets = srv.env()["ECORE_CLIENT_SECRET"], srv.env()["ECORE_SUBSCRIPTION_KEY"]
    assert set(stored.values()) == set(secrets)
    for secret in secrets:
        assert secret not in out + result.stderr
        assert secret not in (paths["config"] / "config.toml").read_text()


def test_the_installed_command_runs_from_the_wheel(installed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result, paths, _ = installed
    assert result.returncode == 0, result.stderr
    venv = paths["venv"]
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import ecore_xl; print(ecore_xl.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout.strip()
    assert where.startswith(str(venv)), where  # the wheel's copy, not the work tree
    cli = str(venv / "bin" / "ecore-xl")
    helped = subprocess.run(
        [cli, "--help"], capture_output=True, text=True, timeout=60, env=_child_env(paths)
    )
    assert helped.returncode == 0 and "fetch" in helped.stdout
    demo = subprocess.run(
        [cli, "demo", "--meters", "2", "--month", "2026-10"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env=_child_env(paths),
    )
    assert demo.returncode == 0, demo.stderr
    assert (tmp_path / "ecore-demo" / "monthly-report-2026-10.xlsx").is_file()
    assert "ecore-xl refresh" in demo.stdout and "--offline" in demo.stdout


def test_installer_refuses_a_python_older_than_3_11(tmp_path: Path) -> None:
    fake = tmp_path / "python3"
    fake.write_text(
        "#!/bin/sh\n"
        'case "$*" in *platform*) echo 3.10.12; exit 0;; esac\n'
        "exit 1  # sys.version_info >= (3, 11) is false\n",
        encoding="utf-8",
    )
    fake.chmod(0o755)
    wheel = tmp_path / "ecore_xl-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"not used")
    result = subprocess.run(
        ["bash", str(INSTALLER), str(wheel)],
        env={
            "PATH": os.environ["PATH"],
            "HOME": str(tmp_path),
            "PYTHON": str(fake),
            "ECORE_HOME": str(tmp_path / "ecore"),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "is 3.10.12: Python 3.11 or newer is needed" in result.stderr
    assert not (tmp_path / "ecore").exists()  # nothing made


def test_installer_without_a_wheel_says_how_to_give_one(tmp_path: Path) -> None:
    script = tmp_path / "release" / "install-macos.sh"
    script.parent.mkdir()
    shutil.copy2(INSTALLER, script)
    result = subprocess.run(
        ["bash", str(script)],
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "no ecore_xl wheel next to this script or in ../dist" in result.stderr
    assert "git+https://" in result.stderr


def test_installer_passes_shellcheck() -> None:
    if shutil.which("shellcheck") is None:
        if os.environ.get("CI"):
            pytest.fail("shellcheck is missing: .ci/run installs it")
        pytest.skip("shellcheck is not installed")
    result = subprocess.run(
        ["shellcheck", str(INSTALLER)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout
