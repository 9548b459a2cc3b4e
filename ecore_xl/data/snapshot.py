"""Snapshots: the raw API records of one request, on disk, for offline work.

One file per dataset and normalised filter set, named ``<dataset>-<hash12>.ecore.json.gz`` (the
hash is over the canonical JSON of the filters). The file is gzip'd text of two lines:

1. a metadata header ``{"format": "ecore-xl-snapshot", "version": 1, "dataset", "filters",
   "fetched_at" (UTC ISO 8601), "row_count", "source_url", "ecore_xl"}`` and, when the fetch
   had some, ``"granularity"`` and ``"notes"`` (a per-meter granularity fallback)
2. the JSON array of the records exactly as the API sent them.

Keeping the raw records (not a DataFrame) means the same parser turns a snapshot and a live answer
into identical frames, with no pickle and no pyarrow; :func:`read_snapshot_parts` hands them
over a run at a time, so a reader holds the dicts of one run, not of the file. The header comes
first so :func:`list_snapshots` reads only it. Files are written atomically (temp file +
``os.replace``), mode 0600 (a new folder 0700) on POSIX: they hold a company's contracts and
prices.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import zlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from ecore_xl import __version__
from ecore_xl.atomic import atomic_write_path
from ecore_xl.errors import OfflineError

__all__ = [
    "FORMAT",
    "SUFFIX",
    "VERSION",
    "list_snapshots",
    "read_snapshot",
    "read_snapshot_parts",
    "snapshot_path",
    "write_snapshot",
]

FORMAT = "ecore-xl-snapshot"
VERSION = 1
SUFFIX = ".ecore.json.gz"
#: about how much of a records line is parsed at a time by :func:`read_snapshot_parts`
PART_BYTES = 1 << 20


def _canonical(filters: Mapping[str, str]) -> bytes:
    return json.dumps(dict(filters), sort_keys=True, separators=(",", ":")).encode()


def snapshot_path(
    directory: str | os.PathLike[str], dataset: str, filters: Mapping[str, str]
) -> Path:
    """Where the snapshot of ``dataset`` with these (normalised) filters lives."""
    digest = hashlib.sha256(dataset.encode() + b"\0" + _canonical(filters)).hexdigest()[:12]
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in dataset)
    return Path(directory) / f"{safe}-{digest}{SUFFIX}"


def write_snapshot(
    directory: str | os.PathLike[str],
    dataset: str,
    filters: Mapping[str, str],
    records: Sequence[Mapping[str, Any]],
    source_url: str | None,
    *,
    fetched_at: dt.datetime | None = None,
    about: Mapping[str, Any] | None = None,
) -> Path:
    """Write the records of one request atomically; returns the file's path.

    ``about`` is what the data layer said about them (``granularity``, ``notes``), kept in the
    header so an offline answer says it too.
    """
    when = (fetched_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "dataset": dataset,
        "filters": dict(sorted(filters.items())),
        "fetched_at": when.isoformat().replace("+00:00", "Z"),
        "row_count": len(records),
        "source_url": source_url,
        "ecore_xl": __version__,
        **{k: v for k, v in (about or {}).items() if v},
    }
    path = snapshot_path(directory, dataset, filters)
    with atomic_write_path(path, private=True) as tmp, gzip.open(tmp, "wb", compresslevel=6) as fh:
        fh.write(orjson.dumps(meta))
        fh.write(b"\n")
        fh.write(orjson.dumps(list(records)))
        fh.write(b"\n")
    return path


def _damaged(path: Path, why: str) -> OfflineError:
    return OfflineError(
        f"Snapshot {path.name} is damaged ({why}): delete it and make it again with "
        "'ecore-xl fetch ... --snapshot DIR'.",
        detail=str(path),
    )


def _read_meta(fh: Any, path: Path) -> dict[str, Any]:
    try:
        meta = orjson.loads(fh.readline())
    except (orjson.JSONDecodeError, OSError, EOFError, zlib.error) as exc:
        raise _damaged(path, type(exc).__name__) from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise _damaged(path, "not an ecore-xl snapshot")
    if meta.get("version") != VERSION:
        raise _damaged(path, f"format version {meta.get('version')!r}, expected {VERSION}")
    return meta


def read_snapshot(
    directory: str | os.PathLike[str], dataset: str, filters: Mapping[str, str]
) -> tuple[list[dict[str, Any]], dict[str, Any]] | None:
    """``(records, meta)`` of the snapshot for exactly this request, or None if there is none.

    A file that exists but cannot be read raises OfflineError saying how to replace it.
    """
    hit = read_snapshot_parts(directory, dataset, filters)
    if hit is None:
        return None
    _, parts, meta = hit
    return [r for part in parts for r in part], meta


def read_snapshot_parts(
    directory: str | os.PathLike[str],
    dataset: str,
    filters: Mapping[str, str],
    *,
    part_bytes: int | None = None,
) -> tuple[bytes, Iterator[list[dict[str, Any]]], dict[str, Any]] | None:
    """``(body, parts, meta)`` of the snapshot for exactly this request, or None if none.

    ``body`` is the records line as stored (a JSON array); ``parts`` yields its records in
    order, about ``part_bytes`` (default :data:`PART_BYTES`) of JSON at a time, so a caller can
    type each part and drop its dicts before the next is parsed (a month of quarter-hours for
    100 meters as dicts at once is ~150 MiB, ~5x its JSON). Iterating raises OfflineError, as
    :func:`read_snapshot` does, when the file is damaged.
    """
    path = snapshot_path(directory, dataset, filters)
    if not path.is_file():
        return None
    try:
        with gzip.open(path, "rb") as fh:
            meta = _read_meta(fh, path)
            if meta.get("dataset") != dataset or meta.get("filters") != dict(filters):
                return None  # a hash collision: not ours
            body = fh.readline().strip()
    except (OSError, EOFError, zlib.error) as exc:
        raise _damaged(path, type(exc).__name__) from None
    return body, _parts(path, body, meta.get("row_count"), part_bytes or PART_BYTES), meta


def _parts(
    path: Path, body: bytes, row_count: Any, part_bytes: int
) -> Iterator[list[dict[str, Any]]]:
    """The records of ``body``, a run at a time, then the check of their count."""
    seen = 0
    for records in _runs(path, body, part_bytes):
        seen += len(records)
        yield records
    if seen != row_count:
        raise _damaged(path, "record count does not match its header")


#: how many cuts a run tries before the rest of the body is parsed in one go
_CUT_TRIES = 8


def _runs(path: Path, body: bytes, part_bytes: int) -> Iterator[list[dict[str, Any]]]:
    """The records of ``body`` (a JSON array) in order, about ``part_bytes`` of JSON at a time.

    A run is cut after a ``}`` followed by ``,{`` and kept only when ``[run]`` parses by itself:
    the parser then reads the same bytes in the same state as within the whole array, so a cut
    inside a string or a nested object never parses and the next one is tried.
    """
    if not (body.startswith(b"[") and body.endswith(b"]")):
        yield _array(path, body)  # not an array: the whole body, and what it is, decide
        return
    view = memoryview(body)
    start, end = 1, len(body) - 1  # the first byte of the next record, the closing bracket
    while start < end:
        cut, tries = body.find(b"},{", start + part_bytes, end), 0
        while cut >= 0 and tries < _CUT_TRIES:
            try:
                records = orjson.loads(b"".join((b"[", view[start : cut + 1], b"]")))
            except orjson.JSONDecodeError:
                cut, tries = body.find(b"},{", cut + 1, end), tries + 1
                continue
            yield records
            start = cut + 2
            break
        else:
            yield _array(path, b"".join((b"[", view[start:end], b"]")))
            return


def _array(path: Path, run: bytes) -> list[dict[str, Any]]:
    try:
        records = orjson.loads(run)
    except orjson.JSONDecodeError as exc:
        raise _damaged(path, type(exc).__name__) from None
    if not isinstance(records, list):
        raise _damaged(path, "record count does not match its header")
    return records


def list_snapshots(directory: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The metadata of every readable snapshot in ``directory`` (plus ``path``), newest first.

    Damaged files are listed with an ``error`` key instead of being skipped silently.
    """
    folder = Path(directory)
    if not folder.is_dir():
        return []
    out: list[dict[str, Any]] = []
    for path in sorted(folder.glob(f"*{SUFFIX}")):
        try:
            with gzip.open(path, "rb") as fh:
                meta = _read_meta(fh, path)
        except OfflineError as exc:
            out.append({"path": str(path), "error": str(exc)})
            continue
        except (OSError, EOFError, zlib.error) as exc:
            out.append({"path": str(path), "error": str(_damaged(path, type(exc).__name__))})
            continue
        out.append({**meta, "path": str(path)})
    out.sort(key=lambda m: m.get("fetched_at") or "", reverse=True)
    return out
