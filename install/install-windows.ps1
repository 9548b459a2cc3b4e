<#
.SYNOPSIS
  Everything a new eCore Excel user needs, in one run (Windows).
.DESCRIPTION
  1. a private Python environment in %LOCALAPPDATA%\ecore_xl\venv (Python 3.11 or newer,
     from python.org; the "py" launcher picks it)
  2. the ecore_xl package from a release wheel (ecore_xl-X.Y.Z-py3-none-any.whl): -Package, else
     the newest beside this script or in ..\dist\; also accepted: a pip requirement such as
     "ecore_xl @ git+https://<repository URL>", or a source folder
  3. the eCore ribbon add-in, built with its VBA (needs Excel and "Trust access to the VBA
     project object model"; without it the add-in is built without its macros and you are told)
  4. the add-in in Excel's startup folder (XLSTART)
  5. connection settings: ecore-xl configure -from-postman when -PostmanEnvironment names E&C's
     Postman environment export, else ecore-xl configure (asks; secrets go to Windows
     Credential Manager); then ecore-xl doctor
.EXAMPLE
  powershell -ExecutionPolicy Bypass -File install-windows.ps1 -PostmanEnvironment "$HOME\Downloads\eCore.postman_environment.json"
.EXAMPLE
  powershell -ExecutionPolicy Bypass -File install-windows.ps1 -Package .\ecore_xl-0.1.0-py3-none-any.whl
#>
param(
  [string]$Package = "",
  [string]$Python = "py",
  [string]$InstallDir = "$env:LOCALAPPDATA\ecore_xl",
  [string]$PostmanEnvironment = ""
)
$ErrorActionPreference = "Stop"
$done = New-Object System.Collections.Generic.List[string]

function Find-Wheel {
  foreach ($dir in @($PSScriptRoot, (Join-Path $PSScriptRoot "..\dist"))) {
    $wheel = Get-ChildItem -Path $dir -Filter "ecore_xl-*.whl" -ErrorAction SilentlyContinue |
      Sort-Object LastWriteTime | Select-Object -Last 1
    if ($wheel) { return $wheel.FullName }
  }
  return ""
}

function Test-Python311([string[]]$Command) {
  # True when the interpreter runs and is 3.11 or newer ("py -3.13" without a 3.13 says so on
  # stderr: not an error here, so the preference is relaxed for this call only).
  $ErrorActionPreference = "Continue"
  $exe, $rest = $Command
  & $exe @rest -c "import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)" 2>$null | Out-Null
  return ($LASTEXITCODE -eq 0)
}

if (-not $Package) { $Package = Find-Wheel }
if (-not $Package) {
  throw ("No ecore_xl wheel next to this script or in ..\dist: give one with " +
    "-Package ecore_xl-0.1.0-py3-none-any.whl (or -Package 'ecore_xl @ git+https://<repository URL>').")
}
$venv = Join-Path $InstallDir "venv"
$exe = Join-Path $venv "Scripts\python.exe"
$pythonw = Join-Path $venv "Scripts\pythonw.exe"
$cli = Join-Path $venv "Scripts\ecore-xl.exe"

Write-Host "1/5 Python environment in $venv"
if ((Test-Path $exe) -and -not (Test-Python311 @($exe))) {
  Write-Host "    the environment there has a Python older than 3.11: making it again"
  Remove-Item -Recurse -Force $venv
}
if (-not (Test-Path $exe)) {
  $base = $null
  foreach ($candidate in @(@($Python, "-3.13"), @($Python, "-3.12"), @($Python, "-3.11"), @($Python), @("python"))) {
    if (Get-Command $candidate[0] -ErrorAction SilentlyContinue) {
      if (Test-Python311 $candidate) { $base = $candidate; break }
    }
  }
  if (-not $base) {
    throw "Python 3.11 or newer was not found: install it from python.org (tick 'Add python.exe to PATH'), then run this script again."
  }
  $baseExe, $baseArgs = $base
  & $baseExe @baseArgs -m venv $venv
  if ($LASTEXITCODE -ne 0) { throw "Could not create the Python environment $venv." }
  $done.Add("made the Python environment $venv ($(& $exe -c 'import platform; print(platform.python_version())'))")
} else {
  $done.Add("kept the Python environment $venv")
}
& $exe -m pip install --quiet --upgrade pip | Out-Null

Write-Host "2/5 ecore_xl from $Package"
& $exe -m pip install --quiet --upgrade "$Package"
if ($LASTEXITCODE -ne 0) { throw "pip could not install $Package (see its message above)." }
$version = & $cli --version
$done.Add("installed $version from $Package")

Write-Host "3/5 the eCore add-in"
$xlam = Join-Path $InstallDir "ecore_xl.xlam"
& $cli addin build --out $xlam --interpreter-win $pythonw --import-vba
if ($LASTEXITCODE -ne 0) {
  Write-Warning ("Excel refused to import the add-in's macros. Turn on File > Options > Trust Center > " +
    "Trust Center Settings > Macro Settings > 'Trust access to the VBA project object model', then run this script again.")
  & $cli addin build --out $xlam --interpreter-win $pythonw
  if ($LASTEXITCODE -ne 0) { throw "Building the add-in failed." }
  $done.Add("built the add-in WITHOUT its macros (see the warning above)")
} else {
  $done.Add("built the add-in with its macros")
}

Write-Host "4/5 install into Excel's startup folder (quit Excel first)"
$installed = & $cli addin install --file $xlam
if ($LASTEXITCODE -ne 0) { throw "Installing the add-in failed: quit Excel and run this script again." }
$installed | ForEach-Object { Write-Host $_ }
$done.Add("$($installed | Select-Object -First 1) (the eCore ribbon tab)")

Write-Host "5/5 connection settings"
if ($PostmanEnvironment) {
  # configure runs the doctor's checks itself; a failed check is reported, the install stands
  & $cli configure --from-postman $PostmanEnvironment
  if ($LASTEXITCODE -eq 0) { $done.Add("stored the settings of $PostmanEnvironment; all connection checks passed") }
  else { $done.Add("configure --from-postman did not finish its checks (see above): fix that, then run '$cli doctor'") }
} else {
  & $cli configure
  & $cli doctor
  if ($LASTEXITCODE -eq 0) { $done.Add("stored the connection settings; all connection checks passed") }
  else { $done.Add("the connection checks did not pass (see above): fix that, then run '$cli doctor'") }
}

Write-Host ""
Write-Host "Done:"
$done | ForEach-Object { Write-Host "  - $_" }
Write-Host "Start Excel: the ribbon has an eCore tab."
Write-Host "The command line: $cli (e.g. '$cli demo')."
