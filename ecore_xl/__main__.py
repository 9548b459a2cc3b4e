"""``python -m ecore_xl`` is ``ecore-xl``."""

from ecore_xl.cli import main

main()
