#!/usr/bin/env bash
# Everything a new eCore Excel user needs, in one run (macOS).
#   1. a private Python environment in ~/Library/Application Support/ecore_xl/venv
#   2. the ecore_xl package (argument: a wheel, a source folder or the package name)
#   3. xlwings' RunPython helper for Excel (xlwings runpython install)
#   4. the eCore add-in into Excel's startup folder. macOS cannot write the add-in's VBA: use an
#      ecore_xl.xlam built on Windows (ECORE_XLAM=path), else the ribbon shows without macros.
#   5. ecore-xl configure (secrets go to the macOS Keychain)
# Usage: bash install/install-macos.sh [PACKAGE]
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
package="${1:-$(cd "$here/.." && pwd)}"
home="${ECORE_HOME:-$HOME/Library/Application Support/ecore_xl}"
venv="$home/venv"
python="${PYTHON:-python3}"

echo "1/5 Python environment in $venv"
if [ ! -x "$venv/bin/python" ]; then
  "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
    || { echo "Python 3.11 or newer is needed (python.org or Homebrew)." >&2; exit 1; }
  mkdir -p "$home"
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip

echo "2/5 ecore_xl from $package"
"$venv/bin/python" -m pip install --upgrade "$package"

echo "3/5 xlwings RunPython helper"
"$venv/bin/xlwings" runpython install

echo "4/5 the eCore add-in"
xlam="$home/ecore_xl.xlam"
if [ -n "${ECORE_XLAM:-}" ]; then
  cp "$ECORE_XLAM" "$xlam"
else
  ECORE_INSTALL_DIR="$here" "$venv/bin/ecore-xl" addin build --out "$xlam" \
    --interpreter-mac "$venv/bin/python"
  echo "Note: this add-in has no eCore macros yet (they can only be added on Windows);" \
       "set ECORE_XLAM to an ecore_xl.xlam built on Windows and run again." >&2
fi
"$venv/bin/ecore-xl" addin install --file "$xlam"

echo "5/5 connection settings"
"$venv/bin/ecore-xl" configure
"$venv/bin/ecore-xl" doctor || true
echo "Done. Quit Excel (Cmd-Q) and start it again: the ribbon has an eCore tab."
