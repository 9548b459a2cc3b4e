"""The built add-in: a valid zip whose ribbon, VBA callbacks and Python macros fit together."""

from __future__ import annotations

import ast
import inspect
import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from ecore_xl.cli import cli
from ecore_xl.errors import UsageError
from ecore_xl.excel import addin, refresh

#: callback kind -> the parameters Office passes to it
ARITY = {"onAction": 1, "onLoad": 1, "getPressed": 2}
TOGGLE_ACTION_ARITY = 2  # a toggleButton's onAction also gets "pressed"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("addin") / "ecore_xl.xlam"
    result = addin.build(out, interpreter_win=r"C:\ecore\venv\Scripts\pythonw.exe")
    assert result.path == out and not result.vba_imported
    assert any("Windows" in note for note in result.notes)
    return out


def _modules() -> dict[str, str]:
    return {addin.vba_module_name(p.read_text()): p.read_text() for p in addin.bas_files()}


def test_xlam_is_a_valid_zip_with_our_ribbon(built: Path) -> None:
    with zipfile.ZipFile(built) as z:
        assert z.testzip() is None
        ui = z.read(addin.CUSTOMUI_PART)
        rels = z.read("_rels/.rels").decode()
        assert "xl/vbaProject.bin" in z.namelist()  # the template's xlwings VBA is kept
    assert ui == addin.customui_path().read_bytes()
    assert 'Target="customUI/customUI.xml"' in rels
    callbacks = addin.ribbon_callbacks(ui)  # parses: well-formed XML in the customUI namespace
    assert "eCoreRibbon.OnRefreshAll" in callbacks


def test_every_button_has_a_label_and_a_one_line_supertip() -> None:
    from xml.etree import ElementTree as ET

    root = ET.fromstring(addin.customui_path().read_bytes())
    ns = {"ui": addin.CUSTOMUI_NS}
    controls = root.findall(".//ui:button", ns) + root.findall(".//ui:toggleButton", ns)
    labels = {c.get("label") for c in controls}
    for wanted in ("Refresh all", "Refresh this sheet", "Contracts", "Clicks", "Volumes",
                   "Invoices", "Settings", "Check connection", "Offline mode", "Snapshot",
                   "Monthly report"):  # fmt: skip
        assert wanted in labels
    for control in controls:
        tip = control.get("supertip") or ""
        assert tip and "\n" not in tip and len(tip) < 200, control.get("id")
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids))


def test_every_callback_names_an_existing_sub_with_the_right_parameters() -> None:
    from xml.etree import ElementTree as ET

    modules = _modules()
    root = ET.fromstring(addin.customui_path().read_bytes())
    seen = 0
    for element in root.iter():
        for kind, arity in ARITY.items():
            target = element.get(kind)
            if target is None:
                continue
            module, _, sub = target.partition(".")
            assert module in modules, f"{target}: no module {module}"
            subs = addin.vba_subs(modules[module])
            assert sub in subs, f"{target}: no Sub {sub} in {module}.bas"
            expected = arity
            if kind == "onAction" and element.tag.endswith("toggleButton"):
                expected = TOGGLE_ACTION_ARITY
            assert len(subs[sub]) == expected, f"{target} takes {subs[sub]}"
            seen += 1
    assert seen >= 13


_RUNPYTHON = re.compile(r'RunPython\s+PY\s*&\s*"([^"]*)"')


def test_every_runpython_call_names_a_python_function_taking_its_arguments() -> None:
    text = _modules()["eCoreRibbon"]
    prefix = re.search(r'Private Const PY As String = "([^"]*)"', text)
    assert prefix is not None
    assert prefix[1].strip() == "import ecore_xl.excel.refresh as r;"
    calls = _RUNPYTHON.findall(text)
    assert len(calls) >= 11
    code = [line for line in text.splitlines() if not line.lstrip().startswith("'")]
    assert len(calls) == sum(line.count("RunPython") for line in code)  # none escapes the check
    for call in calls:
        node = ast.parse(call, mode="eval").body
        assert isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        assert isinstance(node.func.value, ast.Name) and node.func.value.id == "r"
        function = getattr(refresh, node.func.attr)
        args = [ast.literal_eval(a) for a in node.args]
        inspect.signature(function).bind(*args)  # TypeError if the sub passes the wrong things
        if node.func.attr == "refresh_dataset":
            from ecore_xl.catalogue import load_catalogue

            assert args[0] in load_catalogue()
        assert node.func.attr in refresh.__all__


def _config_values(xlam: Path) -> dict[str, str]:
    """Column A -> column B of the add-in's .conf sheet, read from the package XML."""
    from xml.etree import ElementTree as ET

    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(xlam) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    strings = [
        "".join(t.text or "" for t in si.iter(f"{{{ns['m']}}}t"))
        for si in ET.fromstring(parts["xl/sharedStrings.xml"])
    ]
    _name, part = addin._config_sheet(parts)
    cells: dict[str, str] = {}
    for c in ET.fromstring(parts[part]).iterfind(".//m:c", ns):
        if c.get("t") == "s":
            cells[c.get("r", "")] = strings[int(c.findtext("m:v", "", ns))]
        elif c.get("t") == "inlineStr":
            cells[c.get("r", "")] = "".join(t.text or "" for t in c.iter(f"{{{ns['m']}}}t"))
    return {
        v.upper(): cells.get("B" + ref[1:], "") for ref, v in cells.items() if ref.startswith("A")
    }


def test_config_sheet_points_xlwings_at_ecore(built: Path) -> None:
    values = _config_values(built)
    assert values["UDF MODULES"] == "ecore_xl.excel.udfs"
    assert values["INTERPRETER_WIN"] == r"C:\ecore\venv\Scripts\pythonw.exe"
    assert values["INTERPRETER_MAC"] == ""  # empty: xlwings' default python
    assert {"PYTHONPATH", "USE UDF SERVER", "CONDA PATH"} <= set(values)


def test_template_is_open_source() -> None:
    path = addin.template()
    assert "pro" not in path.parts[-3:]
    assert "BSD" in addin._xlwings_licence()


def test_install_and_uninstall(built: Path, tmp_path: Path) -> None:
    target = addin.install(built, directory=tmp_path / "XLSTART")
    assert target.read_bytes() == built.read_bytes()
    assert addin.uninstall(directory=tmp_path / "XLSTART") == target
    assert not target.exists()
    assert addin.uninstall(directory=tmp_path / "XLSTART") is None


def test_install_refuses_what_is_not_the_addin(tmp_path: Path) -> None:
    other = tmp_path / "other.xlam"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(UsageError, match="not the eCore add-in"):
        addin.install(other, directory=tmp_path)
    with pytest.raises(UsageError, match="addin build"):
        addin.install(tmp_path / "missing.xlam", directory=tmp_path)


def test_cli_build_and_install(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "ecore_xl.xlam"
    result = runner.invoke(cli, ["addin", "build", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "UDF Modules: ecore_xl.excel.udfs" in result.output
    result = runner.invoke(
        cli, ["addin", "install", "--file", str(out), "--dir", str(tmp_path / "start")]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "start" / "ecore_xl.xlam").exists()
    bad = runner.invoke(cli, ["addin", "build", "--out", str(tmp_path / "x.xlsx")])
    assert bad.exit_code == 2 and ".xlam" in bad.output


@pytest.mark.skipif(addin.os.name == "nt", reason="the COM import is the Windows path")
def test_vba_import_says_it_needs_windows(built: Path) -> None:
    with pytest.raises(UsageError, match="Windows"):
        addin.import_vba(built)


def test_a_built_package_carries_the_addin_sources(tmp_path: Path) -> None:
    """``pip install .`` (not editable) gets install/customUI.xml and *.bas as package data,
    and the installed package finds them: setuptools' build_py, as pip runs it, on a copy."""
    import shutil
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    src, lib = tmp_path / "src", tmp_path / "lib"
    src.mkdir()
    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy(root / name, src / name)
    for folder in ("ecore_xl", "install", "officejs/src"):
        shutil.copytree(root / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(lib)],
        cwd=src, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    packaged = lib / "ecore_xl" / "excel" / "addin_files"
    wanted = ["customUI.xml", *(p.name for p in addin.bas_files())]
    assert sorted(p.name for p in packaged.iterdir()) == sorted(wanted)
    assert (packaged / "customUI.xml").read_bytes() == addin.customui_path().read_bytes()
    code = "import ecore_xl.excel.addin as a; print(a.install_dir())"
    found = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env={"PYTHONPATH": str(lib)},
        check=True, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert Path(found.stdout.strip()) == packaged
    # the Office.js add-in's files, for ecore-xl serve (officejs/src)
    served = lib / "ecore_xl" / "serve" / "addin_files"
    assert sorted(p.name for p in served.iterdir()) == sorted(
        p.name for p in (root / "officejs" / "src").iterdir()
    )
    code = "import ecore_xl.serve.app as a; print(a.addin_dir())"
    found = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env={"PYTHONPATH": str(lib)},
        check=True, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert Path(found.stdout.strip()) == served
