"""Sideload the add-in for one user (``ecore-xl serve --install``), the way Office's own
developer tools do it, no admin rights needed:

- **Windows**: the manifest's path as a value named by the add-in id under
  ``HKCU\\Software\\Microsoft\\Office\\16.0\\Wef\\Developer`` (Excel shows it under *Add-ins >
  Developer Add-ins* at its next start);
- **macOS**: a copy of the manifest in ``~/Library/Containers/com.microsoft.Excel/Data/Documents/
  wef/`` (Excel: *Insert > Add-ins > My Add-ins*, developer add-ins);
- **Excel on the web**: no file to place: *Home > Add-ins > More add-ins > Upload My Add-in*,
  then choose the manifest (:func:`sideload` says where it is).

For every user of a tenant at once, a Microsoft 365 admin deploys the same manifest centrally
(README, *Office.js add-in*).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

__all__ = ["REGISTRY_KEY", "mac_wef_dir", "sideload", "unsideload"]

REGISTRY_KEY = r"Software\Microsoft\Office\16.0\Wef\Developer"


def mac_wef_dir(home: Path | None = None) -> Path:
    """Where Excel for Mac looks for sideloaded manifests."""
    base = home or Path.home()
    return base / "Library" / "Containers" / "com.microsoft.Excel" / "Data" / "Documents" / "wef"


def _web_hint(manifest: Path) -> str:
    return (
        "Excel on the web: Home > Add-ins > More add-ins > Upload My Add-in, then choose "
        f"{manifest}"
    )


def _winreg(registry: Any | None) -> Any:
    """The registry to write: ``registry`` (an object with ``winreg``'s ``CreateKey``,
    ``OpenKey``, ``SetValueEx``, ``DeleteValue`` and constants: tests pass a fake), else
    Windows' own ``winreg``."""
    if registry is not None:
        return registry
    import winreg  # type: ignore[import-not-found,unused-ignore]

    return winreg


def sideload(
    manifest: Path,
    addin_id: str,
    *,
    platform: str | None = None,
    home: Path | None = None,
    registry: Any | None = None,
) -> list[str]:
    """Register ``manifest`` for the current user; returns what was done, line by line.
    ``registry``: see :func:`_winreg` (Windows only)."""
    platform = platform or sys.platform
    done: list[str] = []
    if platform.startswith("win"):
        winreg = _winreg(registry)
        with winreg.CreateKey(winreg.HKEY_CURRENT_USER, REGISTRY_KEY) as key:
            winreg.SetValueEx(key, addin_id, 0, winreg.REG_SZ, str(manifest))
        done.append(f"Excel for Windows: registered in HKCU\\{REGISTRY_KEY} (restart Excel)")
    elif platform == "darwin":
        folder = mac_wef_dir(home)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{addin_id}.manifest.xml"
        shutil.copyfile(manifest, target)
        done.append(f"Excel for Mac: {target} (restart Excel)")
    done.append(_web_hint(manifest))
    return done


def unsideload(
    addin_id: str,
    *,
    platform: str | None = None,
    home: Path | None = None,
    registry: Any | None = None,
) -> list[str]:
    """Undo :func:`sideload`."""
    platform = platform or sys.platform
    if platform.startswith("win"):
        winreg = _winreg(registry)
        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, REGISTRY_KEY, 0,
                                winreg.KEY_SET_VALUE) as key:  # fmt: skip
                winreg.DeleteValue(key, addin_id)
        except FileNotFoundError:
            return ["Excel for Windows: was not registered"]
        return [f"Excel for Windows: removed from HKCU\\{REGISTRY_KEY}"]
    if platform == "darwin":
        target = mac_wef_dir(home) / f"{addin_id}.manifest.xml"
        if target.exists():
            target.unlink()
            return [f"Excel for Mac: removed {target}"]
        return ["Excel for Mac: was not sideloaded"]
    return ["Excel on the web: remove it under Add-ins > My Add-ins"]
