"""ecore_xl: E&C's eCore API (ePoint data) in Excel: formulas, refresh, offline reports."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
