"""One worksheet function called with the values Excel handed to an Office.js custom function.

The arguments arrive as JSON in the function's order (numbers, text, booleans, null for an
empty or omitted one, nested lists for a range; a date is its serial number) and go through the
same rules as the xlwings UDFs (:mod:`ecore_xl.formulas`). The answer is JSON the add-in turns
into a cell value:

- ``{"kind": "table", "header", "rows", "formats", "showHeader"}`` (spills);
- ``{"kind": "number", "value"}``;
- a table with no rows is the ``#N/A`` error "No contracts for these arguments.", a real error
  carries its one-line message (:mod:`.errors`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ecore_xl.errors import ApiError, UsageError
from ecore_xl.formulas import calls
from ecore_xl.formulas.signatures import FunctionSpec
from ecore_xl.serve.errors import NoRowsError
from ecore_xl.serve.tables import (
    cached_answer,
    converted,
    excel_serial,
    frame_meta,
    frame_table,
    remember_answer,
)

if TYPE_CHECKING:
    from ecore_xl.data import DataService

__all__ = ["answer_key", "call_function", "known_answer", "status_table"]

#: what an argument of a custom function can hold (Excel's cell values, as JSON)
_CELL_TYPES = (str, int, float, bool, type(None))


def _check_values(name: str, spec: FunctionSpec, args: Sequence[Any]) -> None:
    """Arguments are Excel values (nested lists for ranges), at most one per parameter."""
    vararg = bool(spec.params) and spec.params[-1].vararg
    if len(args) > len(spec.params) and not vararg:
        names = ", ".join(p.name for p in spec.params) or "no arguments"
        raise UsageError(f"{name} takes these arguments: {names}.")

    def ok(value: Any, depth: int) -> bool:
        if isinstance(value, list):
            return depth < 3 and all(ok(v, depth + 1) for v in value)
        return isinstance(value, _CELL_TYPES)

    for value in args:
        if not ok(value, 0):
            raise UsageError(f"{name}: an argument is not a cell value or a range of them.")


def _cell(value: Any) -> Any:
    """A one-cell range (``[[x]]``, as Office.js hands every ``matrix`` argument over) as the
    value itself, as xlwings hands a single cell over; bigger ranges stay nested lists."""
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value


def _bind(spec: FunctionSpec, args: Sequence[Any]) -> tuple[dict[str, Any], list[Any]]:
    """Named values of the fixed parameters, and the values of a repeating last one."""
    fixed = [p for p in spec.params if not p.vararg]
    values = {p.name: (_cell(args[i]) if i < len(args) else None) for i, p in enumerate(fixed)}
    rest = list(args[len(fixed) :])
    if len(rest) == 1 and isinstance(rest[0], list) and spec.params and spec.params[-1].vararg:
        rest = list(rest[0])  # Office.js hands a repeating parameter over as one array
    rest = [_cell(v) for v in rest]
    return values, rest


def _table(service: DataService, key: Hashable, table: calls.Table) -> dict[str, Any]:
    df = table.picked()
    if len(df) == 0:
        raise NoRowsError(calls.no_rows_text(table.what))

    body = converted(service, key, df, frame_table)
    answer = {"kind": "table", "showHeader": table.header, **body, **frame_meta(df)}
    remember_answer(service, key, answer, df)
    return answer


def answer_key(spec: FunctionSpec, args: Sequence[Any], offline: bool | None) -> Hashable:
    """What identifies one call: the function, Excel's argument values, the offline choice."""
    return ("officejs", spec.name, repr(list(args)), offline)


def known_answer(
    service: DataService, spec: FunctionSpec, args: Sequence[Any], *, offline: bool | None
) -> dict[str, Any] | None:
    """A table answer this call already got, while its data is fresh (no thread needed)."""
    return cached_answer(service, answer_key(spec, args, offline))


def call_function(
    service: DataService, spec: FunctionSpec, args: Sequence[Any], *, offline: bool | None
) -> dict[str, Any]:
    """Run ``spec`` with Excel's ``args``; an API failure is remembered per call for
    :data:`~ecore_xl.formulas.calls.ERROR_TTL` seconds, as for the xlwings functions."""
    _check_values(spec.name, spec, args)
    key = answer_key(spec, args, offline)
    failed = calls.peek_failure(service, key)
    if failed is not None:
        raise failed.with_traceback(None)
    caller = calls.Caller(service, offline)
    values, rest = _bind(spec, args)
    try:
        return _answer(caller, key, spec, values, rest)
    except ApiError as exc:
        calls.remember_failure(service, key, exc)
        raise


def _answer(
    caller: calls.Caller,
    key: Hashable,
    spec: FunctionSpec,
    values: Mapping[str, Any],
    rest: Sequence[Any],
) -> dict[str, Any]:
    svc = caller.service
    if spec.dataset is not None:
        return _table(svc, key, calls.dataset_table(caller, spec.dataset, spec.params, values))
    if spec.name == "ECORE_GET":
        return _table(svc, key, calls.get_table(caller, values["path"], rest))
    if spec.name == "ECORE_VOLUME_TOTAL":
        return {"kind": "number", "value": calls.volume_total(caller, *values.values())}
    if spec.name == "ECORE_HEDGE_RATIO":
        return {"kind": "number", "value": calls.hedge_ratio(caller, *values.values())}
    if spec.name == "ECORE_OPEN_POSITION":
        return {"kind": "number", "value": calls.open_position(caller, *values.values())}
    raise UsageError(f"{spec.name} is not a function the backend runs.")


def status_table(items: Sequence[tuple[str, Any]]) -> dict[str, Any]:
    """ECORE.STATUS()'s rows as a table (a date-time as its serial, formatted)."""
    rows: list[list[Any]] = []
    formats: list[list[str | None]] = []
    for item, value in items:
        if isinstance(value, dt.datetime):
            rows.append([item, excel_serial(value)])
            formats.append([None, "yyyy-mm-dd hh:mm"])
        else:
            rows.append([item, value])
            formats.append([None, None])
    return {
        "kind": "table",
        "showHeader": True,
        "header": ["item", "value"],
        "rows": rows,
        "cellFormats": formats,
        "formats": [None, None],
    }
