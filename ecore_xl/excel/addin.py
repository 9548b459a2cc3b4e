"""Build and install ``ecore_xl.xlam``: xlwings' open-source ribbon add-in with the eCore tab.

The base is ``quickstart_addin_ribbon.xlam`` from the installed xlwings package (BSD 3-clause, like
everything in xlwings outside ``xlwings/pro``; :func:`template` checks both). An ``.xlam`` is a zip:

- ``customUI/customUI.xml`` is replaced by ``install/customUI.xml`` (the eCore tab);
- the config sheet (``_myaddin.conf``) gets ``UDF Modules = ecore_xl.excel.udfs`` and the
  interpreter, so RunPython and the formulas start the right Python;
- ``xl/vbaProject.bin`` is binary (an OLE compound file of compressed VBA). It cannot be written
  on Linux or macOS: the eCore callbacks of ``install/eCoreRibbon.bas`` are imported on Windows
  through COM (:func:`import_vba`; needs Excel and *Trust access to the VBA project object
  model*). Until then the ribbon shows, but its buttons find no macro.

:func:`install` copies the add-in into Excel's startup folder (XLSTART), where Excel opens it on
every start.
"""

from __future__ import annotations

import os
import re
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

from ecore_xl.atomic import atomic_write_path
from ecore_xl.errors import UsageError

__all__ = [
    "ADDIN_NAME",
    "BuildResult",
    "bas_files",
    "build",
    "customui_path",
    "import_vba",
    "install",
    "install_dir",
    "startup_dir",
    "template",
    "uninstall",
]

ADDIN_NAME = "ecore_xl.xlam"
TEMPLATE_NAME = "quickstart_addin_ribbon.xlam"
CUSTOMUI_PART = "customUI/customUI.xml"
CUSTOMUI_NS = "http://schemas.microsoft.com/office/2006/01/customui"
UDF_MODULES = "ecore_xl.excel.udfs"
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


@dataclass
class BuildResult:
    """What :func:`build` made and what is still to do."""

    path: Path
    config: dict[str, str]
    vba_imported: bool = False
    notes: list[str] = field(default_factory=list)


# ---- sources ------------------------------------------------------------------------------------


def install_dir() -> Path:
    """Where ``customUI.xml`` and the ``*.bas`` modules are: ``ECORE_INSTALL_DIR``, else the copy
    an installed wheel carries (``ecore_xl/excel/addin_files``, built from ``install/``), else
    ``install/`` of the source checkout (editable installs, tests)."""
    if env := os.environ.get("ECORE_INSTALL_DIR"):
        return Path(env)
    here = Path(__file__).resolve()
    for folder in (here.parent / "addin_files", here.parents[2] / "install"):
        if (folder / "customUI.xml").is_file():
            return folder
    raise UsageError(
        "The add-in sources (customUI.xml, eCoreRibbon.bas) were not found: reinstall ecore_xl, "
        "or set ECORE_INSTALL_DIR to the install/ folder of its source."
    )


def customui_path() -> Path:
    return install_dir() / "customUI.xml"


def bas_files() -> list[Path]:
    """The VBA modules the add-in needs (``install/*.bas``)."""
    return sorted(install_dir().glob("*.bas"))


def template() -> Path:
    """xlwings' open-source ribbon add-in template, after checking it is BSD-licensed."""
    try:
        import xlwings
    except ImportError:
        raise UsageError("xlwings is not installed: pip install xlwings.") from None
    package = Path(xlwings.__file__).parent
    path = package / TEMPLATE_NAME
    if not path.is_file() or "pro" in path.relative_to(package).parts:
        raise UsageError(
            f"xlwings {xlwings.__version__} has no open-source {TEMPLATE_NAME}: install "
            "xlwings >= 0.30."
        )
    licence = _xlwings_licence()
    if "BSD" not in licence or "except" not in licence:
        raise UsageError(
            "Cannot confirm that xlwings' add-in template is BSD-licensed: check the xlwings "
            "installation (its LICENSE.txt)."
        )
    return path


def _xlwings_licence() -> str:
    from importlib import metadata

    dist = metadata.distribution("xlwings")
    for f in dist.files or []:
        if f.name == "LICENSE.txt":
            return Path(str(dist.locate_file(f))).read_text(encoding="utf-8", errors="replace")
    return str(dist.metadata.get("License", ""))


# ---- checks -------------------------------------------------------------------------------------


def ribbon_callbacks(xml: bytes | str) -> dict[str, str]:
    """Every callback of a customUI document: ``{"eCoreRibbon.OnRefreshAll": "onAction", …}``."""
    root = ET.fromstring(xml)
    if root.tag != f"{{{CUSTOMUI_NS}}}customUI":
        raise UsageError(f"customUI.xml: the root must be customUI in {CUSTOMUI_NS}.")
    out: dict[str, str] = {}
    for element in root.iter():
        for attr, value in element.attrib.items():
            if attr in ("onAction", "getPressed", "onLoad", "getEnabled", "getLabel"):
                out[value] = attr
    return out


_SUB = re.compile(r"^\s*(?:Public\s+|Private\s+)?Sub\s+(\w+)\s*\(([^)]*)\)", re.I | re.M)


def vba_subs(text: str) -> dict[str, list[str]]:
    """Subs of a .bas module and their parameter lists."""
    return {m[1]: [p.strip() for p in m[2].split(",") if p.strip()] for m in _SUB.finditer(text)}


def vba_module_name(text: str) -> str:
    m = re.search(r'^Attribute VB_Name = "(\w+)"', text, re.M)
    if not m:
        raise UsageError('A .bas module needs its first line: Attribute VB_Name = "Name".')
    return m[1]


# ---- build --------------------------------------------------------------------------------------


def _config_sheet(names: dict[str, bytes]) -> tuple[str, str]:
    """(sheet name, part path) of the add-in's ``*.conf`` sheet."""
    workbook = ET.fromstring(names["xl/workbook.xml"])
    rels = ET.fromstring(names["xl/_rels/workbook.xml.rels"])
    targets = {r.get("Id"): r.get("Target") for r in rels}
    for sheet in workbook.iter(f"{{{_MAIN_NS}}}sheet"):
        name = sheet.get("name", "")
        if name.endswith(".conf"):
            target = targets[sheet.get(f"{{{_REL_NS}}}id")] or ""
            return name, "xl/" + target.lstrip("/").removeprefix("xl/")
    raise UsageError("The add-in template has no .conf sheet.")


def _shared_strings(xml: bytes) -> list[str]:
    root = ET.fromstring(xml)
    return ["".join(t.text or "" for t in si.iter(f"{{{_MAIN_NS}}}t")) for si in root]


def _set_config(sheet_xml: str, strings: list[str], values: dict[str, str]) -> str:
    """Put ``values`` into column B next to their keys in column A (keys case-insensitive)."""
    wanted = {k.upper(): v for k, v in values.items()}
    found: set[str] = set()

    def fix_row(m: re.Match[str]) -> str:
        row = m.group(0)
        number = m.group(1)
        key = re.search(rf'<c r="A{number}"[^>]*t="s"[^>]*><v>(\d+)</v></c>', row)
        if not key:
            return row
        name = strings[int(key.group(1))].upper()
        if name not in wanted:
            return row
        found.add(name)
        row = re.sub(rf'<c r="B{number}"[^>]*?(?:/>|>.*?</c>)', "", row)
        cell = f'<c r="B{number}" s="1" t="inlineStr"><is><t>{escape(wanted[name])}</t></is></c>'
        row = re.sub(r'spans="\d+:\d+"', 'spans="1:2"', row)
        return row.replace("</row>", cell + "</row>")

    out = re.sub(r'<row r="(\d+)"[^>]*>.*?</row>', fix_row, sheet_xml, flags=re.S)
    missing = set(wanted) - found
    if missing:
        raise UsageError(f"The add-in's config sheet has no row for {', '.join(sorted(missing))}.")
    return out


def default_interpreter() -> str:
    """The Python that runs ``ecore_xl`` here (``pythonw.exe`` on Windows: no console window)."""
    exe = Path(sys.executable)
    if os.name == "nt" and exe.name.lower() == "python.exe":
        windowless = exe.with_name("pythonw.exe")
        if windowless.exists():
            return str(windowless)
    return str(exe)


def build(
    out: str | os.PathLike[str],
    *,
    interpreter_win: str | None = None,
    interpreter_mac: str | None = None,
    customui: str | os.PathLike[str] | None = None,
    udf_modules: str = UDF_MODULES,
) -> BuildResult:
    """Write ``ecore_xl.xlam`` (customUI and config set; VBA as in the template).

    An interpreter not given is this Python on its own platform and empty on the other (empty:
    xlwings' default, ``pythonw`` / ``python`` on the PATH).
    """
    target = Path(out)
    if target.suffix.lower() != ".xlam":
        raise UsageError(f"{target.name}: an Excel add-in file ends in .xlam.")
    ui = Path(customui) if customui else customui_path()
    ui_bytes = ui.read_bytes()
    ribbon_callbacks(ui_bytes)  # well-formed, right namespace
    with zipfile.ZipFile(template()) as z:
        parts = {info.filename: z.read(info) for info in z.infolist()}
        infos = z.infolist()
    if CUSTOMUI_PART not in parts:
        raise UsageError(f"The add-in template has no {CUSTOMUI_PART}.")
    if interpreter_win is None:
        interpreter_win = default_interpreter() if os.name == "nt" else ""
    if interpreter_mac is None:
        interpreter_mac = default_interpreter() if sys.platform == "darwin" else ""
    config = {
        "UDF Modules": udf_modules,
        "Interpreter_Win": interpreter_win,
        "Interpreter_Mac": interpreter_mac,
    }
    _name, sheet_part = _config_sheet(parts)
    strings = _shared_strings(parts["xl/sharedStrings.xml"])
    sheet_xml = parts[sheet_part].decode("utf-8")
    parts[sheet_part] = _set_config(sheet_xml, strings, config).encode("utf-8")
    parts[CUSTOMUI_PART] = ui_bytes
    with atomic_write_path(target) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for info in infos:
            z.writestr(info.filename, parts[info.filename], compress_type=zipfile.ZIP_DEFLATED)
    result = BuildResult(target, config)
    result.notes.append(
        "VBA not imported: the eCore ribbon callbacks (install/eCoreRibbon.bas) are added on "
        "Windows with 'ecore-xl addin build --import-vba' (needs Excel and 'Trust access to the "
        "VBA project object model'). Linux and macOS cannot write vbaProject.bin."
    )
    return result


def import_vba(xlam: str | os.PathLike[str], modules: list[Path] | None = None) -> None:
    """Import the .bas modules into the add-in's VBA project through Excel (Windows only)."""
    if os.name != "nt":
        raise UsageError(
            "Importing VBA needs Excel for Windows (COM): build the .xlam there, or ship one "
            "built on Windows."
        )
    import xlwings as xw  # pragma: no cover - Windows only

    path = Path(xlam).resolve()  # pragma: no cover
    app = xw.App(visible=False, add_book=False)  # pragma: no cover
    try:  # pragma: no cover
        book = app.books.open(str(path))
        try:
            components = book.api.VBProject.VBComponents
        except Exception as exc:
            raise UsageError(
                "Excel refused access to the VBA project: turn on File > Options > Trust "
                "Center > Macro Settings > 'Trust access to the VBA project object model'."
            ) from exc
        for bas in modules or bas_files():
            name = vba_module_name(bas.read_text(encoding="utf-8"))
            for component in components:
                if component.Name == name:
                    components.Remove(component)
                    break
            components.Import(str(bas))
        book.save()
        book.close()
    finally:  # pragma: no cover
        app.quit()


# ---- install ------------------------------------------------------------------------------------


def startup_dir() -> Path:
    """Excel's per-user startup folder (XLSTART) on Windows and macOS."""
    if os.name == "nt":
        appdata = os.environ.get("APPDATA") or str(Path.home() / "AppData" / "Roaming")
        return Path(appdata) / "Microsoft" / "Excel" / "XLSTART"
    if sys.platform == "darwin":
        return (
            Path.home()
            / "Library"
            / "Group Containers"
            / "UBF8T346G9.Office"
            / "User Content"
            / "Startup"
            / "Excel"
        )
    raise UsageError(
        "Excel add-ins are installed on Windows or macOS; give --dir to copy the add-in "
        "somewhere else."
    )


def install(
    xlam: str | os.PathLike[str], *, directory: str | os.PathLike[str] | None = None
) -> Path:
    """Copy the add-in into the startup folder (atomically); returns where it went."""
    source = Path(xlam)
    if not source.is_file():
        raise UsageError(f"{source} does not exist: run 'ecore-xl addin build' first.")
    with zipfile.ZipFile(source) as z:
        if CUSTOMUI_PART not in z.namelist():
            raise UsageError(f"{source.name} is not the eCore add-in (no ribbon).")
    folder = Path(directory) if directory else startup_dir()
    target = folder / ADDIN_NAME
    try:
        with atomic_write_path(target) as tmp:
            tmp.write_bytes(source.read_bytes())
    except PermissionError:
        raise UsageError(
            f"{target} cannot be replaced: quit Excel (it keeps the add-in open), then try again."
        ) from None
    return target


def uninstall(*, directory: str | os.PathLike[str] | None = None) -> Path | None:
    """Remove the add-in from the startup folder; returns the removed path, or None."""
    target = (Path(directory) if directory else startup_dir()) / ADDIN_NAME
    if not target.exists():
        return None
    try:
        target.unlink()
    except PermissionError:
        raise UsageError(f"{target} is in use: quit Excel, then try again.") from None
    return target
