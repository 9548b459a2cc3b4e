#!/usr/bin/env bash
# Everything a new eCore Excel user needs, in one run (macOS).
#   1. a private Python environment in ~/Library/Application Support/ecore_xl/venv
#      (Python 3.11 or newer: python.org or Homebrew)
#   2. the ecore_xl package from a release wheel (ecore_xl-X.Y.Z-py3-none-any.whl): the one
#      given, else the newest beside this script or in ../dist/; also accepted: a pip
#      requirement such as "ecore_xl @ git+https://<repository URL>", or a source folder
#   3. xlwings' RunPython helper for Excel (xlwings runpython install)
#   4. the eCore add-in into Excel's startup folder. macOS cannot write the add-in's VBA: use an
#      ecore_xl.xlam built on Windows (ECORE_XLAM=path), else the ribbon shows without macros.
#   5. connection settings: ecore-xl configure --from-postman FILE when ECORE_POSTMAN_ENV names
#      E&C's Postman environment export, else ecore-xl configure (asks; secrets go to the
#      Keychain), then ecore-xl doctor
# Usage: bash install-macos.sh [WHEEL | REQUIREMENT | FOLDER]
# Settings: PYTHON (the interpreter to build the environment with, default python3),
#           ECORE_HOME (instead of ~/Library/Application Support/ecore_xl), ECORE_XLAM,
#           ECORE_POSTMAN_ENV, ECORE_XLSTART (another folder for the add-in than Excel's).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
home="${ECORE_HOME:-$HOME/Library/Application Support/ecore_xl}"
venv="$home/venv"
python="${PYTHON:-python3}"
done_lines=()

fail() { echo "Error: $*" >&2; exit 2; }

# the wheel beside this script (a release folder) or in ../dist (python -m build in a checkout)
newest_wheel() {
  local found=""
  for dir in "$here" "$here/../dist"; do
    for whl in "$dir"/ecore_xl-*.whl; do  # in name order: the last one is taken
      if [ -f "$whl" ]; then found="$whl"; fi
    done
    if [ -n "$found" ]; then echo "$found"; return 0; fi
  done
  return 0  # none: the caller says how to give one (set -e must not end the script here)
}

package="${1:-$(newest_wheel)}"
[ -n "$package" ] || fail "no ecore_xl wheel next to this script or in ../dist: give one, e.g.
  bash install-macos.sh ecore_xl-0.1.0-py3-none-any.whl
(or a requirement: bash install-macos.sh \"ecore_xl @ git+https://<repository URL>\")"

python_ok() {  # $1: an interpreter; true when it runs and is 3.11 or newer
  "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null
}

echo "1/5 Python environment in $venv"
if [ -x "$venv/bin/python" ] && ! python_ok "$venv/bin/python"; then
  echo "    the environment there has a Python older than 3.11: making it again"
  rm -rf "$venv"
fi
if [ ! -x "$venv/bin/python" ]; then
  command -v "$python" >/dev/null 2>&1 || fail "$python not found: install Python 3.11 or newer (python.org or Homebrew), or set PYTHON=/path/to/python3."
  python_ok "$python" || fail "$python is $("$python" -c 'import platform; print(platform.python_version())' 2>/dev/null || echo 'not runnable'): Python 3.11 or newer is needed (python.org or Homebrew), or set PYTHON=/path/to/python3.11."
  mkdir -p "$home"
  "$python" -m venv "$venv"
  done_lines+=("made the Python environment $venv ($("$venv/bin/python" -c 'import platform; print(platform.python_version())'))")
else
  done_lines+=("kept the Python environment $venv")
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip

echo "2/5 ecore_xl from $package"
"$venv/bin/python" -m pip install --quiet --upgrade "$package" \
  || fail "pip could not install $package (see its message above)."
version="$("$venv/bin/ecore-xl" --version)"
done_lines+=("installed $version from $package")

echo "3/5 xlwings RunPython helper"
"$venv/bin/xlwings" runpython install
done_lines+=("enabled xlwings RunPython for Excel")

echo "4/5 the eCore add-in"
xlam="$home/ecore_xl.xlam"
if [ -n "${ECORE_XLAM:-}" ]; then
  cp "$ECORE_XLAM" "$xlam"
else
  "$venv/bin/ecore-xl" addin build --out "$xlam" --interpreter-mac "$venv/bin/python"
  echo "Note: this add-in has no eCore macros yet (they can only be added on Windows);" \
       "set ECORE_XLAM to an ecore_xl.xlam built on Windows and run again." >&2
fi
if [ -n "${ECORE_XLSTART:-}" ]; then
  installed="$("$venv/bin/ecore-xl" addin install --file "$xlam" --dir "$ECORE_XLSTART")"
else
  installed="$("$venv/bin/ecore-xl" addin install --file "$xlam")"
fi
echo "$installed"
done_lines+=("$(echo "$installed" | head -n 1) (the eCore ribbon tab)")

echo "5/5 connection settings"
if [ -n "${ECORE_POSTMAN_ENV:-}" ]; then
  # configure runs the doctor's checks itself; a failed check is reported, the install stands
  if "$venv/bin/ecore-xl" configure --from-postman "$ECORE_POSTMAN_ENV"; then
    done_lines+=("stored the settings of $ECORE_POSTMAN_ENV; all connection checks passed")
  else
    done_lines+=("configure --from-postman did not finish its checks (see above): fix that, then run '$venv/bin/ecore-xl doctor'")
  fi
elif [ -t 0 ]; then
  if "$venv/bin/ecore-xl" configure && "$venv/bin/ecore-xl" doctor; then
    done_lines+=("stored the connection settings; all connection checks passed")
  else
    done_lines+=("the connection settings or checks did not pass (see above): fix that, then run '$venv/bin/ecore-xl doctor'")
  fi
else
  done_lines+=("no connection settings yet (no terminal to ask): run '$venv/bin/ecore-xl configure --from-postman FILE'")
fi

echo ""
echo "Done:"
for line in "${done_lines[@]}"; do echo "  - $line"; done
echo "Quit Excel (Cmd-Q) and start it again: the ribbon has an eCore tab."
echo "The command line: $venv/bin/ecore-xl (e.g. '$venv/bin/ecore-xl demo')."
