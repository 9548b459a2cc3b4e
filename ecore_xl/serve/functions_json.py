"""The Office.js custom functions' metadata (``functions.json``), generated from the catalogue.

The same functions as the xlwings ones (:func:`ecore_xl.formulas.signatures.function_specs`),
in the ``ECORE`` namespace the manifest declares: ``ECORE_VOLUMES(meter, from_date, …)`` is
``=ECORE.VOLUMES(meter, from_date, …)``, with the same argument names and help. The backend
serves this file live (``/addin/functions.json``), so a dataset a user's catalogue file adds
gets its function at the next start of the add-in, with no code change.

- every argument is ``any`` of dimensionality ``matrix``: one cell arrives as ``[[value]]``, a
  range as its rows, as the xlwings functions take them; all are optional (the function names
  what is missing) except ``ECORE.GET``'s path, and its ``params`` repeat;
- a table result is a ``matrix`` that spills; totals and ratios are one ``number``;
- network functions are ``cancelable`` (a recalculation or an edit aborts the request);
  ``ECORE.STATUS()`` streams (``stream``: a new value every few seconds until cancelled);
- ``allowCustomDataForDataTypeAny``: date and date-time cells come back as formatted numbers
  (``{"type": "Double", "basicValue", "numberFormat"}``).
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from ecore_xl.formulas.signatures import FunctionSpec, function_specs

if TYPE_CHECKING:
    from ecore_xl.catalogue import Catalogue

__all__ = ["NAMESPACE", "functions_json", "office_name"]

log = logging.getLogger("ecore_xl.serve")
#: what Office takes as a function id and name (letters, digits, ``_`` and ``.``; three at least)
_OFFICE_NAME = re.compile(r"^[A-Z][A-Z0-9_.]{2,}$")
_LOOKS_LIKE_CELL = re.compile(r"^[A-Z]{1,3}[0-9]+$|^R[0-9]+C[0-9]+$")

#: the custom functions' namespace (the manifest's Functions.Namespace)
NAMESPACE = "ECORE"
_PREFIX = NAMESPACE + "_"


def office_name(function: str) -> str:
    """The Office.js name in the ``ECORE`` namespace: ``ECORE_VOLUMES`` -> ``VOLUMES``."""
    return function[len(_PREFIX) :] if function.upper().startswith(_PREFIX) else function


def _function(spec: FunctionSpec) -> dict[str, Any]:
    name = office_name(spec.name).upper()
    parameters = []
    for p in spec.params:
        param: dict[str, Any] = {
            "name": p.name,
            "description": p.doc,
            "type": "any",
            "dimensionality": "matrix",
        }
        if p.vararg:
            param["repeating"] = True
        param["optional"] = not (spec.name == "ECORE_GET" and p.name == "path")
        parameters.append(param)
    if spec.returns == "number":
        result = {"type": "number", "dimensionality": "scalar"}
    else:
        result = {"type": "any", "dimensionality": "matrix"}
    options = {"cancelable": True} if spec.network else {"stream": True}
    return {
        "id": name,
        "name": name,
        "description": spec.doc,
        "parameters": parameters,
        "result": result,
        "options": options,
    }


def functions_json(catalogue: Catalogue) -> dict[str, Any]:
    """The whole ``functions.json`` for ``catalogue``; a function whose name Office does not
    take (fewer than three characters, like a cell: ``ECORE_AB1``) is left out and logged."""
    functions = []
    for spec in function_specs(catalogue):
        name = office_name(spec.name).upper()
        if not _OFFICE_NAME.match(name) or _LOOKS_LIKE_CELL.match(name):
            log.error("function %s: %r is not an Office.js function name; skipped", spec.name, name)
            continue
        functions.append(_function(spec))
    return {"allowCustomDataForDataTypeAny": True, "functions": functions}
