"""The API's dialect as declarations: envelope, paging, parameters, fields, shape, granularities.

Pure data (no I/O, no pandas): the API client (``ecore_xl.api``) and the data layer read these
types; the override file declares them under ``dialect`` (API-wide) and
``datasets.<name>.dialect`` (one dataset), merged key by key onto the built-in default, which is
the contract of ``ecore-api.md``. The format is documented in :mod:`ecore_xl.catalogue`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal, get_args

from ecore_xl.errors import CatalogueError

__all__ = [
    "DATE_FORMATS",
    "DEFAULT_DIALECT",
    "HEADER",
    "NAME_RULES",
    "PAGING_STYLES",
    "Dialect",
    "Envelope",
    "FieldRules",
    "Frozen",
    "Paging",
    "ParamRules",
    "build_dialect",
    "check_dialect_patch",
    "describe_dialect",
    "dialect_to_dict",
    "merge_patches",
    "snake_case",
]

PagingStyle = Literal["next", "pages", "offset", "cursor", "none"]
DateFormat = Literal["iso", "date", "datetime", "utc", "epoch_s", "epoch_ms"]
NameRule = Literal["as_is", "snake_case"]
EndRule = Literal["exclusive", "inclusive"]
PAGING_STYLES: tuple[str, ...] = get_args(PagingStyle)
DATE_FORMATS: tuple[str, ...] = get_args(DateFormat)
NAME_RULES: tuple[str, ...] = get_args(NameRule)
END_RULES: tuple[str, ...] = get_args(EndRule)
#: a location ``header:<Name>`` is a response (or request) header, anything else a body path
HEADER = "header:"
#: the body itself (a bare JSON array, or a bare object for one record)
BODY = "$"

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def snake_case(name: str) -> str:
    """``priceEurPerMWh`` -> ``price_eur_per_mwh``; ``address.postalCode`` -> ``…postal_code``."""
    return _CAMEL_BOUNDARY.sub("_", name).lower()


class Frozen(Mapping[str, Any]):
    """A read-only, hashable mapping (nested dicts and lists frozen too): a declaration's patch."""

    __slots__ = ("_items",)

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        self._items = tuple((str(k), _freeze(v)) for k, v in (data or {}).items())

    def __getitem__(self, key: str) -> Any:
        for k, v in self._items:
            if k == key:
                return v
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return (k for k, _ in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Frozen):
            return dict(self._items) == dict(other._items)
        return isinstance(other, Mapping) and dict(self.thaw()) == dict(other)

    def __repr__(self) -> str:
        return f"Frozen({self.thaw()!r})"

    def thaw(self) -> dict[str, Any]:
        """A plain, JSON-ready dict."""
        return {k: _thaw(v) for k, v in self._items}


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return Frozen(value)
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, Frozen):
        return value.thaw()
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


# ---- the declarations -------------------------------------------------------------------------


@dataclass(frozen=True)
class Envelope:
    """Where the records are: ``records`` for a collection, ``record`` for one (``$``: the body
    itself; a dotted path such as ``data.items`` otherwise)."""

    records: str = "value"
    record: str = BODY


#: the keys each paging style reads
_STYLE_KEYS: dict[str, tuple[str, ...]] = {
    "next": ("next",),
    "pages": ("page_param", "first_page", "size_param", "max_size", "total_pages", "total_items",
              "has_more"),
    "offset": ("offset_param", "size_param", "max_size", "total_items", "has_more"),
    "cursor": ("token", "token_param"),
    "none": (),
}  # fmt: skip


@dataclass(frozen=True)
class Paging:
    """One paging style and its names.

    * ``next``: follow a link found at the first of ``next`` (body paths or ``header:Link``);
    * ``pages``: ``page_param`` from ``first_page`` (0 or 1) with ``size_param`` = ``max_size``,
      stop at ``total_pages`` / ``total_items`` / ``has_more`` (body paths or headers) or a page
      shorter than asked;
    * ``offset``: ``offset_param`` += ``size_param`` (``offset``/``limit``, ``skip``/``top``),
      stop at ``total_items`` or a short page;
    * ``cursor``: send the token found at ``token`` back as ``token_param`` (a query parameter
      or ``header:<Name>``) until there is none;
    * ``none``: one request answers everything.
    """

    style: PagingStyle = "next"
    next: tuple[str, ...] = ("nextLink", "@odata.nextLink", HEADER + "Link")
    page_param: str = "page"
    first_page: int = 1
    offset_param: str = "offset"
    size_param: str | None = None
    max_size: int | None = None
    total_pages: str | None = None
    total_items: str | None = None
    has_more: str | None = None
    token: str = "continuationToken"
    token_param: str = "continuationToken"

    def spec(self) -> dict[str, Any]:
        """The declaration as an override entry: the style and the keys that style reads."""
        out: dict[str, Any] = {"style": self.style}
        for key in _STYLE_KEYS[self.style]:
            value = getattr(self, key)
            if value is not None:
                out[key] = list(value) if isinstance(value, tuple) else value
        return out

    def describe(self) -> str:
        """One line: the style and the names it uses."""
        size = f", {self.size_param} up to {self.max_size}" if self.size_param else ""
        stops = ", ".join(
            f"{label} {where}"
            for label, where in (
                ("totalPages at", self.total_pages),
                ("totalItems at", self.total_items),
                ("hasMore at", self.has_more),
            )
            if where
        )
        if self.style == "next":
            return "next link at " + " or ".join(self.next)
        if self.style == "pages":
            first = f"{self.page_param} from {self.first_page}{size}"
            return f"page numbers: {first}; stop at " + (stops or "a short page")
        if self.style == "offset":
            total = (
                f"; total at {self.total_items}" if self.total_items else "; stop at a short page"
            )
            return f"offset: {self.offset_param}{size}{total}"
        if self.style == "cursor":
            return f"continuation token at {self.token}, sent back as {self.token_param}"
        return "none (one request answers everything)"


@dataclass(frozen=True)
class ParamRules:
    """How request parameters are spelled: ``names`` (``snake_case`` derives ``meter_id`` from
    ``meterId`` where no ``api_name`` is declared), ``dates`` (how a date bound is written) and
    ``end`` (whether the API's end bound is ``exclusive``, as users give it, or ``inclusive``)."""

    names: NameRule = "as_is"
    dates: DateFormat = "iso"
    end: EndRule = "exclusive"


@dataclass(frozen=True)
class FieldRules:
    """How record fields are spelled: ``names`` as for parameters; ``epoch`` (``s`` or ``ms``)
    when instants come as numbers; ``naive`` the zone of timestamps written without an offset
    (``local``: ECORE_TIMEZONE; unset: such a timestamp is refused); ``period_ends`` whether
    fields that end a period (``ends_period``) are ``exclusive`` or ``inclusive``."""

    names: NameRule = "as_is"
    epoch: Literal["s", "ms"] | None = None
    naive: str | None = None
    period_ends: EndRule = "exclusive"


@dataclass(frozen=True)
class Dialect:
    """Everything about how the API speaks, for one dataset (API-wide, then its own patch).

    ``series``: each record is one series holding its values in this list (one row per value,
    carrying the record's other fields); ``granularities``: commodity -> the granularities the
    API offers for its meters (unlisted commodities: all of them).
    """

    envelope: Envelope = field(default_factory=Envelope)
    paging: Paging = field(default_factory=Paging)
    params: ParamRules = field(default_factory=ParamRules)
    fields: FieldRules = field(default_factory=FieldRules)
    series: str | None = None
    granularities: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def allowed_granularities(self, commodity: str | None) -> tuple[str, ...] | None:
        """The granularities declared for ``commodity`` (None: not restricted)."""
        for name, allowed in self.granularities:
            if commodity is not None and name.lower() == str(commodity).lower():
                return allowed
        return None


DEFAULT_DIALECT = Dialect()

# ---- patches: validation, merge, build --------------------------------------------------------

_SECTIONS: dict[str, type] = {
    "envelope": Envelope,
    "paging": Paging,
    "params": ParamRules,
    "fields": FieldRules,
}
_CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("paging", "style"): PAGING_STYLES,
    ("params", "names"): NAME_RULES,
    ("params", "dates"): DATE_FORMATS,
    ("params", "end"): END_RULES,
    ("fields", "names"): NAME_RULES,
    ("fields", "epoch"): ("s", "ms"),
    ("fields", "period_ends"): END_RULES,
}
_INTS = {("paging", "first_page"), ("paging", "max_size")}


def check_dialect_patch(data: Any, key: str) -> dict[str, Any]:
    """A dialect patch from an override file, checked key by key (CatalogueError names ``key``).

    The patch keeps only what it declares, so it merges onto the API-wide dialect (or the
    built-in default) with :func:`merge_patches`.
    """
    if not isinstance(data, Mapping):
        raise CatalogueError(f"{key} must be an object (envelope, paging, params, fields, …).")
    known = {*_SECTIONS, "series", "granularities", "comment"}
    out: dict[str, Any] = {}
    for name, value in data.items():
        where = f"{key}.{name}"
        if name not in known:
            raise CatalogueError(f"{where} is not a dialect key: use {', '.join(sorted(known))}.")
        if name == "comment":
            continue
        if name == "series":
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise CatalogueError(f"{where} must name the list of values (e.g. 'values').")
            out[name] = value
        elif name == "granularities":
            out[name] = _check_granularities(value, where)
        else:
            out[name] = _check_section(name, value, where)
    return out


def _check_section(section: str, value: Any, key: str) -> dict[str, Any]:
    cls = _SECTIONS[section]
    if section == "envelope" and isinstance(value, str):
        value = {"records": value}  # "envelope": "data.items" is the records path
    if section == "paging" and isinstance(value, str):
        value = {"style": value}
    if not isinstance(value, Mapping):
        raise CatalogueError(f"{key} must be an object.")
    names = {f.name for f in fields(cls)}
    out: dict[str, Any] = {}
    for name, item in value.items():
        where = f"{key}.{name}"
        if name == "comment":
            continue
        if name not in names:
            raise CatalogueError(f"{where} is not allowed here: use {', '.join(sorted(names))}.")
        choices = _CHOICES.get((section, name))
        if (section, name) in _INTS:
            if item is not None and (isinstance(item, bool) or not isinstance(item, int)):
                raise CatalogueError(f"{where} must be a whole number (got {item!r}).")
            if name == "max_size" and item is not None and item < 1:
                raise CatalogueError(f"{where} must be at least 1 (got {item}).")
            if name == "first_page" and item not in (0, 1):
                raise CatalogueError(f"{where} must be 0 or 1 (got {item!r}).")
        elif choices is not None:
            if item is None and name == "epoch":
                pass
            elif item not in choices:
                raise CatalogueError(f"{where} {item!r} is not one of {', '.join(choices)}.")
        elif section == "paging" and name == "next":
            item = [item] if isinstance(item, str) else item
            if (
                not isinstance(item, list | tuple)
                or not item
                or not all(isinstance(x, str) and x for x in item)
            ):
                raise CatalogueError(f"{where} must be a body path or a list of them.")
            item = list(item)
        elif item is not None and (not isinstance(item, str) or not item.strip()):
            raise CatalogueError(f"{where} must be text (got {item!r}).")
        out[name] = item
    return out


def _check_granularities(value: Any, key: str) -> dict[str, list[str]]:
    if not isinstance(value, Mapping):
        raise CatalogueError(f'{key} must map a commodity to granularities: {{"gas": ["day"]}}.')
    out: dict[str, list[str]] = {}
    for commodity, allowed in value.items():
        if (
            not isinstance(allowed, list)
            or not allowed
            or not all(isinstance(a, str) and a for a in allowed)
        ):
            raise CatalogueError(f"{key}.{commodity} must be a non-empty list of granularities.")
        out[str(commodity)] = list(allowed)
    return out


def merge_patches(*patches: Mapping[str, Any] | None) -> dict[str, Any]:
    """Later patches win key by key (inside each section); ``None`` patches are skipped."""
    out: dict[str, Any] = {}
    for patch in patches:
        for name, value in (patch or {}).items():
            if name in _SECTIONS and isinstance(value, Mapping):
                out[name] = {**out.get(name, {}), **_plain(value)}
            else:
                out[name] = _plain(value)
    return out


def _plain(value: Any) -> Any:
    return value.thaw() if isinstance(value, Frozen) else _thaw(_freeze(value))


def build_dialect(patch: Mapping[str, Any] | None, *, where: str = "dialect") -> Dialect:
    """The dialect a checked (and merged) patch declares, on top of the built-in default."""
    data = merge_patches(patch)
    sections: dict[str, Any] = {}
    for name, cls in _SECTIONS.items():
        values = dict(data.get(name, {}))
        if name == "paging" and "next" in values:
            values["next"] = tuple(values["next"])
        sections[name] = cls(**values)
    paging: Paging = sections["paging"]
    if paging.style in ("pages", "offset") and not paging.size_param:
        raise CatalogueError(
            f"{where}.paging: style {paging.style} needs size_param (the page-size parameter, "
            "e.g. pageSize or limit) and max_size."
        )
    if paging.size_param and paging.max_size is None:
        raise CatalogueError(f"{where}.paging: size_param needs max_size (the largest page).")
    granularities = tuple(
        (commodity, tuple(allowed)) for commodity, allowed in data.get("granularities", {}).items()
    )
    return Dialect(series=data.get("series"), granularities=granularities, **sections)


def dialect_to_dict(dialect: Dialect, base: Dialect | None = None) -> dict[str, Any]:
    """The declarations of ``dialect`` that differ from ``base`` (default: the built-in one)."""
    base = base or DEFAULT_DIALECT
    out: dict[str, Any] = {}
    for name in _SECTIONS:
        mine, theirs = getattr(dialect, name), getattr(base, name)
        diff = {
            f.name: list(v) if isinstance(v, tuple) else v
            for f in fields(mine)
            if (v := getattr(mine, f.name)) != getattr(theirs, f.name)
        }
        if diff:
            out[name] = diff
    if dialect.series != base.series:
        out["series"] = dialect.series
    if dialect.granularities != base.granularities:
        out["granularities"] = {c: list(a) for c, a in dialect.granularities}
    return out


def describe_dialect(dialect: Dialect) -> list[tuple[str, str]]:
    """(declaration, what it says) rows for ``ecore-xl catalogue show``."""
    env, p, f = dialect.envelope, dialect.params, dialect.fields
    where = {BODY: "the body itself"}
    rows = [
        ("envelope", f"records at {where.get(env.records, repr(env.records))}; one record at "
                     f"{where.get(env.record, repr(env.record))}"),
        ("paging", dialect.paging.describe()),
        ("params", f"names {p.names}; dates {p.dates}; end bound {p.end}"),
        ("fields", f"names {f.names}; epoch {f.epoch or 'no'}; naive timestamps "
                   f"{f.naive or 'refused'}; period ends {f.period_ends}"),
    ]  # fmt: skip
    if dialect.series:
        rows.append(("series", f"one row per element of {dialect.series!r}, with its parent's"))
    if dialect.granularities:
        text = "; ".join(f"{c}: {', '.join(a)}" for c, a in dialect.granularities)
        rows.append(("granularities", text))
    return rows
