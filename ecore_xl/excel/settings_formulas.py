"""Formulas in the ``eCore`` settings cells, evaluated for the headless refresh (no ``eval``).

In Excel a settings cell may hold a rolling window, ``=TODAY()-30`` or ``=EOMONTH(TODAY(),-1)+1``;
Excel computes it and the live refresh reads the value. A file read by openpyxl holds only the
formula text, so the headless refresh evaluates the small language rolling windows need:

- numbers, ``"text"``, ``TRUE``/``FALSE``; ``+ - * /``, ``&`` (text), parentheses, unary minus;
- ``TODAY()``, ``NOW()``, ``DATE(y, m, d)``, ``EDATE(d, months)``, ``EOMONTH(d, months)``,
  ``YEAR(d)``, ``MONTH(d)``, ``DAY(d)``, ``WEEKDAY(d)`` (Excel's default, Sunday = 1),
  ``DATEVALUE("2026-01-31")``, ``INT(x)``, ``MIN(...)``, ``MAX(...)``;
- references to cells of the settings sheet (``B5``, ``$B$5``, ``eCore!B5``), which may hold
  formulas themselves (at most :data:`MAX_DEPTH` deep, no cycles).

Dates are Excel serial numbers, as in Excel (``date + 30`` is thirty days later); ``TODAY()`` is
today in the portfolio's time zone (``ECORE_TIMEZONE``). Anything else — another function, a
reference to another sheet or a range — is a :class:`~ecore_xl.errors.WorkbookError` naming the
cell, so the refresh never guesses.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ecore_xl.errors import WorkbookError

__all__ = ["FUNCTIONS", "MAX_DEPTH", "evaluate", "to_serial"]

MAX_DEPTH = 8
_EPOCH = dt.date(1899, 12, 30)
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)
      | (?P<string>"(?:[^"]|"")*")
      | (?P<ref>(?:(?:'(?:[^']|'')+'|[A-Za-z_][\w.]*)!)?\$?[A-Za-z]{1,3}\$?\d+(?![\w(]))
      | (?P<name>[A-Za-z_][\w.]*)
      | (?P<op><=|>=|<>|[-+*/&(),=<>^:])
    )""",
    re.VERBOSE,
)

Reader = Callable[[str, str], Any]  # (sheet, cell) -> the cell's value (a formula as text)


def to_serial(value: dt.date | dt.datetime) -> float:
    """An Excel serial number (1900 date system) of a date or a naive date-time."""
    if isinstance(value, dt.datetime):
        day = (value.date() - _EPOCH).days
        seconds = value.hour * 3600 + value.minute * 60 + value.second
        return day + seconds / 86_400
    return float((value - _EPOCH).days)


def _date(serial: Any, where: str) -> dt.date:
    if isinstance(serial, bool) or not isinstance(serial, int | float):
        raise _Refused(f"{serial!r} is not a date")
    try:
        return _EPOCH + dt.timedelta(days=int(serial))
    except OverflowError:
        raise _Refused(f"{serial!r} is not a date") from None


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def _eomonth(serial: Any, months: Any) -> float:
    moved = _add_months(_date(serial, "EOMONTH"), int(_number(months)))
    last = calendar.monthrange(moved.year, moved.month)[1]
    return to_serial(moved.replace(day=last))


def _edate(serial: Any, months: Any) -> float:
    return to_serial(_add_months(_date(serial, "EDATE"), int(_number(months))))


def _datevalue(text: Any) -> float:
    if not isinstance(text, str):
        raise _Refused("DATEVALUE needs a text")
    try:
        return to_serial(dt.date.fromisoformat(text.strip()[:10]))
    except ValueError:
        raise _Refused(f"DATEVALUE({text!r}) is not an ISO date") from None


def _number(value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if value is None:
        return 0.0
    if isinstance(value, dt.datetime | dt.date):
        return to_serial(value)
    raise _Refused(f"{value!r} is not a number")


def _weekday(serial: Any) -> float:
    return float((_date(serial, "WEEKDAY").isoweekday() % 7) + 1)


#: name -> (arity or None for any, implementation over evaluated arguments)
FUNCTIONS: dict[str, tuple[int | None, Callable[..., Any]]] = {
    "DATE": (3, lambda y, m, d: to_serial(_add_months(dt.date(int(_number(y)), 1, 1),
                                                      int(_number(m)) - 1))
             + int(_number(d)) - 1),
    "EDATE": (2, _edate),
    "EOMONTH": (2, _eomonth),
    "YEAR": (1, lambda d: float(_date(d, "YEAR").year)),
    "MONTH": (1, lambda d: float(_date(d, "MONTH").month)),
    "DAY": (1, lambda d: float(_date(d, "DAY").day)),
    "WEEKDAY": (1, _weekday),
    "DATEVALUE": (1, _datevalue),
    "INT": (1, lambda x: float(int(_number(x) // 1))),
    "MIN": (None, lambda *xs: min(map(_number, xs))),
    "MAX": (None, lambda *xs: max(map(_number, xs))),
}  # fmt: skip


class _Refused(Exception):
    """A formula outside the language; the caller names the cell."""


@dataclass
class _Context:
    sheet: str
    read: Reader
    today: dt.date
    now: dt.datetime
    seen: tuple[tuple[str, str], ...]


def _tokens(formula: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = formula.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise _Refused(f"cannot read {text[pos : pos + 12]!r}")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], ctx: _Context) -> None:
        self.tokens, self.pos, self.ctx = tokens, 0, ctx

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, op: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (op is not None and token != ("op", op)):
            raise _Refused(f"expected {op or 'more'}")
        self.pos += 1
        return token

    def parse(self) -> Any:
        value = self.concat()
        if self.peek() is not None:
            raise _Refused(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return value

    def concat(self) -> Any:
        value = self.sum()
        while self.peek() == ("op", "&"):
            self.take()
            value = _text(value) + _text(self.sum())
        return value

    def sum(self) -> Any:
        value = self.product()
        while (token := self.peek()) in (("op", "+"), ("op", "-")):
            self.take()
            right = self.product()
            value = (
                _number(value) + _number(right)
                if token[1] == "+"
                else (_number(value) - _number(right))
            )
        return value

    def product(self) -> Any:
        value = self.unary()
        while (token := self.peek()) in (("op", "*"), ("op", "/")):
            self.take()
            right = _number(self.unary())
            if token[1] == "/" and right == 0:
                raise _Refused("division by zero")
            value = _number(value) * right if token[1] == "*" else _number(value) / right
        return value

    def unary(self) -> Any:
        if (token := self.peek()) in (("op", "-"), ("op", "+")):
            self.take()
            value = _number(self.unary())
            return -value if token[1] == "-" else value
        return self.primary()

    def primary(self) -> Any:
        kind, text = self.take()
        if kind == "number":
            return float(text)
        if kind == "string":
            return text[1:-1].replace('""', '"')
        if kind == "ref":
            return self.reference(text)
        if kind == "name":
            upper = text.upper()
            if upper in ("TRUE", "FALSE") and self.peek() != ("op", "("):
                return upper == "TRUE"
            return self.call(upper)
        if (kind, text) == ("op", "("):
            value = self.concat()
            self.take(")")
            return value
        raise _Refused(f"unexpected {text!r}")

    def call(self, name: str) -> Any:
        if name not in FUNCTIONS and name not in ("TODAY", "NOW"):
            raise _Refused(f"the function {name} is not one the refresh evaluates")
        self.take("(")
        args: list[Any] = []
        if self.peek() != ("op", ")"):
            args.append(self.concat())
            while self.peek() == ("op", ","):
                self.take()
                args.append(self.concat())
        self.take(")")
        if name == "TODAY" and not args:
            return to_serial(self.ctx.today)
        if name == "NOW" and not args:
            return to_serial(self.ctx.now)
        if name not in FUNCTIONS:
            raise _Refused(f"{name} takes no argument")
        arity, impl = FUNCTIONS[name]
        if arity is not None and len(args) != arity:
            raise _Refused(f"{name} takes {arity} argument(s)")
        try:
            return impl(*args)
        except (ValueError, OverflowError) as exc:
            raise _Refused(f"{name}: {exc}") from None

    def reference(self, text: str) -> Any:
        sheet, _, cell = text.rpartition("!")
        sheet = sheet.strip("'").replace("''", "'") if sheet else self.ctx.sheet
        if sheet != self.ctx.sheet:
            raise _Refused(f"{text} is on another sheet than the settings")
        cell = cell.replace("$", "").upper()
        if (sheet, cell) in self.ctx.seen:
            raise _Refused(f"{cell} refers back to itself")
        if len(self.ctx.seen) >= MAX_DEPTH:
            raise _Refused("references nest too deep")
        value = self.ctx.read(sheet, cell)
        if isinstance(value, str) and value.startswith("="):
            inner = _Context(sheet, self.ctx.read, self.ctx.today, self.ctx.now,
                             (*self.ctx.seen, (sheet, cell)))  # fmt: skip
            return _Parser(_tokens(value[1:]), inner).parse()
        if isinstance(value, dt.date):  # a date cell is its serial number, as in Excel
            return to_serial(value)
        return value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def evaluate(
    formula: str,
    *,
    sheet: str,
    cell: str,
    name: str,
    read: Reader,
    today: dt.date,
    now: dt.datetime | None = None,
) -> Any:
    """The value of ``formula`` (``=TODAY()-30``) in ``sheet!cell``, the setting ``name``.

    Dates come back as Excel serial numbers. WorkbookError, naming the setting and its cell,
    for a formula outside the language of the module docstring.
    """
    ctx = _Context(sheet, read, today, now or dt.datetime.combine(today, dt.time()),
                   ((sheet, cell.replace("$", "").upper()),))  # fmt: skip
    try:
        return _Parser(_tokens(formula.lstrip("=")), ctx).parse()
    except (_Refused, RecursionError) as exc:
        raise WorkbookError(
            f"{name} ({sheet}!{cell}) holds the formula {formula[:60]!r}, which the headless "
            f"refresh cannot evaluate ({exc}): use a date, or TODAY, EDATE, EOMONTH, DATE and "
            "+ - on cells of this sheet, or refresh in Excel."
        ) from None
