"""Envelope reading: where a body's records are, as the catalogue's dialect declares.

The one place that finds records in a body (``value``, ``data.items``, a bare array …) and,
when the body does not match the declaration, says where the records really are ("records are
under 'data', not 'value'"), so that the fix is one line of the catalogue file.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import orjson

from ecore_xl.catalogue.dialect import BODY, DEFAULT_DIALECT, Envelope
from ecore_xl.catalogue.learn.records import record_lists
from ecore_xl.errors import UnexpectedResponseError

__all__ = [
    "MISSING",
    "body_records",
    "kind_of",
    "locate",
    "one_record",
    "page_records",
    "where_declared",
]

_RECORD_TYPES = frozenset({dict})


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


#: what :func:`locate` answers for a path the body does not have
MISSING: Any = _Missing()


def locate(body: Any, path: str) -> Any:
    """The value at a dotted ``path`` of ``body`` (``$``: the body), else :data:`MISSING`.

    A key holding dots (``@odata.nextLink``) is found as it is before the path is split.
    """
    if path == BODY:
        return body
    if not isinstance(body, dict):
        return MISSING
    if path in body:
        return body[path]
    head, dot, rest = path.partition(".")
    while dot:
        if head in body:
            return locate(body[head], rest)
        more, dot, rest = rest.partition(".")
        head = f"{head}.{more}"
    return MISSING


def kind_of(value: Any) -> str:
    """``object``, ``list``, ``string``, ``null``, … for a JSON value in a message."""
    return {dict: "object", list: "list", str: "string", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def _where_records_are(body: Any) -> str | None:
    """The path of the list that most looks like the records (objects inside), or None."""
    found = list(record_lists(body))
    for path, items in found:
        if items and all(type(i) is dict for i in items):
            return path
    return found[0][0] if found else None


def _label(path: str) -> str:
    return "the body itself (a bare JSON array)" if path == BODY else repr(path)


def where_declared(what: str, section: str) -> str:
    """Where in the override file ``section`` (``envelope``, ``paging``) of ``what`` is declared."""
    if what.startswith("/"):  # a path, not a dataset
        return f"'dialect.{section}' of the catalogue file (API-wide, or a dataset's own)"
    return (
        f"'dialect.{section}' (API-wide) or 'datasets.{what}.dialect.{section}' of the catalogue "
        f"file; 'ecore-xl catalogue show {what}' shows it"
    )


def _envelope_error(what: str, url: str, message: str) -> UnexpectedResponseError:
    return UnexpectedResponseError(
        f"{what}: {message} Fix the declaration: {where_declared(what, 'envelope')}.", url=url
    )


def page_records(
    body: Any, url: str, envelope: Envelope | None = None, *, what: str | None = None
) -> list[dict[str, Any]]:
    """The records of one collection page at ``envelope.records``.

    UnexpectedResponseError naming what was found where they are not: "records are under
    'data', not 'value'".
    """
    envelope = envelope or DEFAULT_DIALECT.envelope
    what = what or _path(url)
    declared = envelope.records
    records = locate(body, declared)
    if not isinstance(records, list):
        found = _where_records_are(body)
        if found is not None and found != declared:
            hint = f'declare "envelope": {{"records": "{found}"}}'
            message = f"records are under {_label(found)}, not {_label(declared)}: {hint}."
        elif records is MISSING:
            shape = f"a JSON {kind_of(body)}" + (
                f" with keys {', '.join(map(repr, list(body)[:6]))}"
                if isinstance(body, dict)
                else ""
            )
            message = f"the page from {_path(url)} has no records at {_label(declared)} ({shape})."
        else:
            message = f"{_label(declared)} is a {kind_of(records)}, not a list of records."
        raise _envelope_error(what, url, message)
    if not set(map(type, records)) <= _RECORD_TYPES:  # one pass at C speed: 1,000 a page
        item = next(item for item in records if type(item) is not dict)
        raise UnexpectedResponseError(
            f"{what}: the page from {_path(url)} holds a {kind_of(item)} where a record (JSON "
            "object) belongs.",
            url=url,
        )
    return records


def body_records(body: bytes, envelope: Envelope | None = None) -> list[dict[str, Any]]:
    """The records of a page body that :func:`page_records` accepted before, parsed again."""
    envelope = envelope or DEFAULT_DIALECT.envelope
    records: list[dict[str, Any]] = locate(orjson.loads(body), envelope.records)
    return records


def one_record(
    body: Any, url: str, envelope: Envelope | None = None, *, what: str | None = None
) -> dict[str, Any]:
    """The one record of a single-record body at ``envelope.record`` (``$``: the body)."""
    envelope = envelope or DEFAULT_DIALECT.envelope
    what = what or _path(url)
    record = locate(body, envelope.record)
    wrapped = [k for k, v in body.items() if isinstance(v, dict)] if isinstance(body, dict) else []
    lone_wrapper = isinstance(body, dict) and len(body) == 1 and bool(wrapped)
    if isinstance(record, dict) and not (record is body and lone_wrapper):
        return record  # (an object holding nothing but one object is an envelope, not a record)
    if lone_wrapper:
        hint = (
            f'the record is under {wrapped[0]!r}: declare "envelope": {{"record": "{wrapped[0]}"}}'
        )
    elif envelope.record != BODY and isinstance(body, dict):
        hint = 'the record is the body itself: declare "envelope": {"record": "$"}'
    else:
        hint = "check the dataset's path"
    message = f"one record is not at {_label(envelope.record)} (a JSON {kind_of(body)}): {hint}."
    raise _envelope_error(what, url, message)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
