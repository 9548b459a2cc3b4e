<#
.SYNOPSIS
  Everything a new eCore Excel user needs, in one run (Windows).
.DESCRIPTION
  1. a private Python environment in %LOCALAPPDATA%\ecore_xl\venv
  2. the ecore_xl package (from -Package: a wheel, a source folder, or the package name)
  3. the eCore ribbon add-in, built with its VBA (needs Excel and "Trust access to the VBA
     project object model"; without it the add-in is built without its macros and you are told)
  4. the add-in in Excel's startup folder (XLSTART)
  5. ecore-xl configure (API address, client id; secrets go to Windows Credential Manager)
.EXAMPLE
  powershell -ExecutionPolicy Bypass -File install\install-windows.ps1 -Package C:\src\ecore_xl
#>
param(
  [string]$Package = "",
  [string]$Python = "py",
  [string]$InstallDir = "$env:LOCALAPPDATA\ecore_xl"
)
$ErrorActionPreference = "Stop"

if (-not $Package) { $Package = (Resolve-Path "$PSScriptRoot\..").Path }
$venv = Join-Path $InstallDir "venv"
$exe = Join-Path $venv "Scripts\python.exe"
$pythonw = Join-Path $venv "Scripts\pythonw.exe"
$cli = Join-Path $venv "Scripts\ecore-xl.exe"

Write-Host "1/5 Python environment in $venv"
if (-not (Test-Path $exe)) {
  & $Python -3.11 -m venv $venv
  if ($LASTEXITCODE -ne 0) { & $Python -m venv $venv }
  if ($LASTEXITCODE -ne 0) { throw "Could not create a Python 3.11+ environment: install Python from python.org first." }
}
& $exe -m pip install --upgrade pip | Out-Null

Write-Host "2/5 ecore_xl from $Package"
& $exe -m pip install --upgrade "$Package"
if ($LASTEXITCODE -ne 0) { throw "pip could not install $Package." }

Write-Host "3/5 the eCore add-in"
$xlam = Join-Path $InstallDir "ecore_xl.xlam"
$env:ECORE_INSTALL_DIR = $PSScriptRoot
& $cli addin build --out $xlam --interpreter-win $pythonw --import-vba
if ($LASTEXITCODE -ne 0) {
  Write-Warning ("Excel refused to import the add-in's macros. Turn on File > Options > Trust Center > " +
    "Trust Center Settings > Macro Settings > 'Trust access to the VBA project object model', then run this script again.")
  & $cli addin build --out $xlam --interpreter-win $pythonw
  if ($LASTEXITCODE -ne 0) { throw "Building the add-in failed." }
}

Write-Host "4/5 install into Excel's startup folder (quit Excel first)"
& $cli addin install --file $xlam
if ($LASTEXITCODE -ne 0) { throw "Installing the add-in failed: quit Excel and run this script again." }

Write-Host "5/5 connection settings"
& $cli configure
& $cli doctor
Write-Host "Done. Start Excel: the ribbon has an eCore tab."
