"""``fetch(dataset, **filters) -> DataFrame``: the one door above the API.

A :class:`DataService` holds one :class:`~ecore_xl.api.EcoreClient` (built on first use), the
catalogue and a :class:`~ecore_xl.data.cache.TTLCache`. ``fetch`` runs:

1. **validate** the filters (:func:`~ecore_xl.data.filters.normalise_filters`) — a bad filter
   raises before any request;
2. **offline** (``settings.offline`` or ``offline=True``): answer from the cache (even if stale),
   then from a snapshot; else :class:`~ecore_xl.errors.OfflineError`. The API is never called;
3. **online**: one cached, coalesced load per normalised request. A load plans its requests:

   * several values of one filter (``meterId="M-1,M-2"``): one request per value, answers
     concatenated in the order given (the API takes one value per parameter);
   * a dataset with ``chunk`` ("month" for volumes) and a ``from``/``to`` range: split at local
     month starts, so each request stays small and the union is exactly ``[from, to)`` (not for a
     coarse ``granularity`` — day, month: a year of days is one page anyway);
   * a dataset with a ``parent`` (invoice-lines): load the parent (through the cache) and
     explode its ``explode`` list field;

   a plan longer than ``settings.max_requests`` (``ECORE_MAX_REQUESTS``) is refused with an
   :class:`~ecore_xl.errors.InvalidFilterError` before any request (``from=1, to=2958465`` in
   Excel is 97,200 months); the requests run on a thread pool of ``settings.max_workers`` over
   the shared client and are joined in plan order, so the result equals one big request value
   for value;
4. with ``snapshot_dir`` (online), the raw records are written there for later offline use;
5. records → DataFrame by :mod:`ecore_xl.data.frames`: each request's part in its worker thread,
   as soon as its pages are in (while the other workers still wait for the API), joined in plan
   order when the load ends (``layout="wide"``: one column per meter, from the long frame).
   The result keeps the page bodies and the frame, not the records as dicts. Nothing is
   truncated: the Excel row limit is the writers' business.

Every frame says where it came from in ``df.attrs["ecore"]``: ``fetched_at`` (UTC ISO 8601 text
``2026-03-02T08:30:00Z``, so ``to_parquet()`` keeps it: when the API answered, also for a cached
answer or a snapshot of it), ``source_url`` (the first URL
requested, or the snapshot file) and ``source``: ``"api"`` (this call's own requests),
``"cache"`` (no request of its own: the TTL cache, or a load another caller was running) or
``"snapshot"``.

The module-level :func:`fetch` uses a process-wide service (:func:`get_service`,
:func:`set_service`, :func:`reset_service`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from ecore_xl.data.cache import TTLCache
from ecore_xl.data.filters import is_multi, normalise_filters, parse_date_value, split_multi
from ecore_xl.data.snapshot import read_snapshot, snapshot_path, write_snapshot
from ecore_xl.errors import CatalogueError, EcoreError, InvalidFilterError, OfflineError

if TYPE_CHECKING:
    import pandas as pd

    from ecore_xl.api import EcoreClient
    from ecore_xl.catalogue import Catalogue, Dataset
    from ecore_xl.config import Settings
    from ecore_xl.data.frames import FramePart

__all__ = [
    "LAYOUTS",
    "DataService",
    "Progress",
    "count_requests",
    "default_snapshot_dir",
    "fetch",
    "fetch_records",
    "get_service",
    "plan_requests",
    "reset_service",
    "set_service",
]

Layout = Literal["long", "wide"]
Source = Literal["api", "cache", "snapshot"]
LAYOUTS: tuple[str, ...] = ("long", "wide")
#: ``progress(done, total)``: requests finished of requests planned (pages are not counted: their
#: number is only known at the last one)
Progress = Callable[[int, int], None]
Request = tuple[str, dict[str, str]]

_CHUNK_MONTHS = {"month": 1, "quarter": 3, "year": 12}
#: granularities so coarse that a long range is a few records: chunking would only cost calls
COARSE_GRANULARITIES = frozenset({"day", "week", "month", "quarter", "year"})


# ---- planning (pure) ------------------------------------------------------------------------


def _local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=zone)


def _instant(value: str, zone: ZoneInfo, tz: str) -> dt.datetime:
    parsed = parse_date_value("from", value, tz=tz)
    return parsed if isinstance(parsed, dt.datetime) else _local_midnight(parsed, zone)


def _check_chunk(chunk: str) -> None:
    if chunk != "day" and chunk not in _CHUNK_MONTHS:
        raise CatalogueError(
            f"Catalogue: chunk {chunk!r} is not one of day, month, quarter, year: fix the "
            "catalogue file."
        )


def _period(day: dt.date, chunk: str) -> int:
    """The index of the ``chunk`` period holding ``day`` (consecutive periods: +1)."""
    if chunk == "day":
        return day.toordinal()
    return (day.year * 12 + day.month - 1) // _CHUNK_MONTHS[chunk]


def _period_start(index: int, chunk: str) -> dt.date:
    if chunk == "day":
        return dt.date.fromordinal(index)
    month = index * _CHUNK_MONTHS[chunk]
    return dt.date(month // 12, month % 12 + 1, 1)


def chunk_range(start: str, end: str, chunk: str, *, tz: str) -> list[tuple[str, str]]:
    """Split ``[start, end)`` at local period starts (``day``, ``month``, ``quarter``, ``year``).

    Inner edges are dates (local midnight, as the API reads them); the outer edges are kept as
    given, so the pieces cover exactly the same instants as the whole.
    """
    _check_chunk(chunk)
    zone = ZoneInfo(tz)
    first = _period(_instant(start, zone, tz).astimezone(zone).date(), chunk)
    inner = range(first + 1, first + count_chunks(start, end, chunk, tz=tz))
    edges = [start, *(_period_start(i, chunk).isoformat() for i in inner), end]
    return list(itertools.pairwise(edges))


def count_chunks(start: str, end: str, chunk: str, *, tz: str) -> int:
    """``len(chunk_range(start, end, chunk, tz=tz))``, counted without building the pieces."""
    _check_chunk(chunk)
    zone = ZoneInfo(tz)
    a, b = _instant(start, zone, tz), _instant(end, zone, tz)
    first = _period(a.astimezone(zone).date(), chunk)
    last = _period(b.astimezone(zone).date(), chunk)  # the last period starting before ``b``…
    if last > first and not _local_midnight(_period_start(last, chunk), zone) < b:
        last -= 1  # …unless ``b`` is that period's very start
    return 1 + max(0, last - first)


def _range_names(ds: Dataset) -> tuple[str, str] | None:
    names = {f.name for f in ds.filters if f.type == "date"}
    return ("from", "to") if {"from", "to"} <= names else None


def _multi_names(ds: Dataset, filters: Mapping[str, str]) -> list[str]:
    types = {f.name: f.type for f in ds.filters}
    return [n for n, v in filters.items() if is_multi(types.get(n, "text"), v)]


def _chunk_span(ds: Dataset, filters: Mapping[str, str]) -> tuple[str, str] | None:
    """The ``(from, to)`` filter names when this request is split into ``ds.chunk`` periods."""
    if not ds.chunk or filters.get("granularity", "").lower() in COARSE_GRANULARITIES:
        return None
    span = _range_names(ds)
    return span if span and span[0] in filters and span[1] in filters else None


def count_requests(ds: Dataset, filters: Mapping[str, str], *, tz: str) -> int:
    """``len(plan_requests(ds, filters, tz=tz))``, counted without building the requests."""
    count = math.prod(len(split_multi(filters[n])) for n in _multi_names(ds, filters))
    if span := _chunk_span(ds, filters):
        count *= count_chunks(filters[span[0]], filters[span[1]], ds.chunk or "", tz=tz)
    return count


def plan_requests(
    ds: Dataset, filters: Mapping[str, str], *, tz: str, max_requests: int | None = None
) -> list[Request]:
    """The ``(path, query)`` requests that together answer ``filters`` (normalised), in order.

    With ``max_requests``, a plan longer than that raises InvalidFilterError before a single
    request is built (``from``/``to`` 1900 to 9999 by month would be ~97,000 per meter).
    """
    if max_requests is not None:
        total = count_requests(ds, filters, tz=tz)
        if total > max_requests:
            raise _too_many_requests(ds, filters, total, max_requests, tz=tz)
    multi = _multi_names(ds, filters)
    span = _chunk_span(ds, filters)
    requests: list[Request] = []
    for combo in itertools.product(*(split_multi(filters[n]) for n in multi)):
        single = {**filters, **dict(zip(multi, combo, strict=True))}
        pieces: list[dict[str, str]] = [single]
        if span and ds.chunk:
            pieces = [
                {**single, span[0]: a, span[1]: b}
                for a, b in chunk_range(single[span[0]], single[span[1]], ds.chunk, tz=tz)
            ]
        requests.extend(ds.request(piece) for piece in pieces)
    return requests


def _too_many_requests(
    ds: Dataset, filters: Mapping[str, str], total: int, limit: int, *, tz: str
) -> InvalidFilterError:
    """Names the range and the several-valued filters that make the plan this long."""
    # (count, what, advice, filter) for each thing that multiplies the requests
    factors: list[tuple[int, str, list[str], str]] = []
    span = _chunk_span(ds, filters)
    if span and ds.chunk:
        a, b = filters[span[0]], filters[span[1]]
        advice = ["a shorter range"]
        if any(f.name == "granularity" for f in ds.filters):
            advice.append("a coarser granularity")
        chunks = count_chunks(a, b, ds.chunk, tz=tz)
        factors.append((chunks, f"{chunks:,} {ds.chunk}s from {a} to {b}", advice, span[0]))
    for name in _multi_names(ds, filters):
        n = len(split_multi(filters[name]))
        factors.append((n, f"{n:,} {name} values", [f"fewer {name} values"], name))
    factors = [f for f in factors if f[0] > 1]
    advice = [a for f in factors for a in f[2]] + ["raise ECORE_MAX_REQUESTS"]
    how = ", ".join(advice[:-1]) + (" or " if len(advice) > 1 else "") + advice[-1]
    what = " x ".join(f[1] for f in factors) or "this fetch"
    return InvalidFilterError(
        f"{ds.name}: {what} would take {total:,} requests, more than ECORE_MAX_REQUESTS "
        f"({limit:,}): ask for {how}.",
        parameter=max(factors)[3] if factors else "ECORE_MAX_REQUESTS",
    )


def default_snapshot_dir(settings: Settings) -> Path | None:
    """``<cache_dir>/snapshots`` when ``ECORE_CACHE_DIR`` is set, else None."""
    return Path(settings.cache_dir) / "snapshots" if settings.cache_dir else None


# ---- results --------------------------------------------------------------------------------


@dataclass
class _Result:
    """The records of one normalised request, and the frames built from them (memoised).

    Records the API sent are kept as its page bodies (``bodies``) and parsed again when asked for:
    as dicts they take ~600 B each, ~5x their JSON, and the typed frame is built at load time
    anyway. Records from elsewhere (a snapshot, exploded invoice lines) are kept as they are.
    """

    kept: list[dict[str, Any]] | None
    fetched_at: dt.datetime
    source_url: str | None
    requests: int
    source: Source = "api"  # where the records came from when this result was made
    bodies: tuple[bytes, ...] = ()
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    written: set[Path] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def records(self) -> list[dict[str, Any]]:
        """The records (parsed from the page bodies again: a new list of new dicts)."""
        if self.kept is not None:
            return self.kept
        from ecore_xl.api.paging import body_records

        return [r for body in self.bodies for r in body_records(body)]

    @property
    def nbytes(self) -> int:
        """The memory this result holds (for the cache budget): bodies, records and frames."""
        from ecore_xl.data.sizes import frame_nbytes, records_nbytes

        size = 200 + sum(map(len, self.bodies))
        if self.kept:
            size += records_nbytes(self.kept)
        return size + sum(frame_nbytes(f) for f in list(self.frames.values()))


@dataclass
class _Part:
    """What one request of a plan brought: the page bodies, and its typed frame part.

    ``records`` are kept only when a page came without its body; ``frame`` is None when the part
    could not be typed on its own (the whole list then decides, and raises what it raises).
    """

    bodies: list[bytes]
    records: list[dict[str, Any]] | None
    frame: FramePart | None

    def all_records(self) -> list[dict[str, Any]]:
        if self.records is not None:
            return self.records
        from ecore_xl.api.paging import body_records

        return [r for body in self.bodies for r in body_records(body)]


# ---- the service ----------------------------------------------------------------------------


class DataService:
    """Catalogue + client + cache: validated, cached, offline-capable fetches."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        client: EcoreClient | None = None,
        catalogue: Catalogue | None = None,
        cache: TTLCache | None = None,
    ) -> None:
        self._settings = settings
        self._client = client
        self._own_client = client is None
        self._catalogue = catalogue
        self.cache = cache if cache is not None else TTLCache()
        self._lock = threading.Lock()

    # ---- collaborators ------------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from ecore_xl.config import Settings

            with self._lock:
                if self._settings is None:
                    self._settings = Settings.load()
        return self._settings

    @property
    def client(self) -> EcoreClient:
        """The API client, built on first use (never in offline mode)."""
        if self._client is None:
            from ecore_xl.api import EcoreClient

            settings = self.settings
            with self._lock:
                if self._client is None:
                    self._client = EcoreClient(settings)
        return self._client

    @property
    def catalogue(self) -> Catalogue:
        """The injected catalogue, else built-in + user file (re-read when the file changes)."""
        if self._catalogue is not None:
            return self._catalogue
        from ecore_xl.catalogue import load_catalogue

        return load_catalogue(self.settings.catalogue)

    def dataset(self, name: str) -> Dataset:
        """The catalogue entry (CatalogueError listing the known names)."""
        return self.catalogue.get(name)

    def normalise(self, dataset: str, **filters: Any) -> tuple[Dataset, dict[str, str]]:
        """The dataset and its normalised filters (InvalidFilterError before any request)."""
        ds = self.dataset(dataset)
        return ds, normalise_filters(ds, filters, tz=self.settings.timezone)

    # ---- fetching -----------------------------------------------------------------------------

    def fetch(
        self,
        dataset: str,
        *,
        layout: Layout = "long",
        refresh: bool = False,
        snapshot_dir: str | Path | None = None,
        offline: bool | None = None,
        progress: Progress | None = None,
        **filters: Any,
    ) -> pd.DataFrame:
        """The dataset as a DataFrame (``layout="wide"``: volumes with one column per meter)."""
        ds = self.dataset(dataset)
        layout = self._check_layout(ds, layout)
        norm = normalise_filters(ds, filters, tz=self.settings.timezone)
        result, source = self._result(ds, norm, refresh, snapshot_dir, offline, progress)
        df = _detached(self._frame(ds, result, layout))
        df.attrs["ecore"] = {
            # ISO text, not a datetime: attrs must be JSON for df.to_parquet() to keep them
            "fetched_at": result.fetched_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            "source_url": result.source_url,
            "source": source,
        }
        return df

    def fetch_records(
        self,
        dataset: str,
        *,
        refresh: bool = False,
        snapshot_dir: str | Path | None = None,
        offline: bool | None = None,
        progress: Progress | None = None,
        **filters: Any,
    ) -> list[dict[str, Any]]:
        """The raw records as the API sent them (a new list; do not mutate the dicts)."""
        ds, norm = self.normalise(dataset, **filters)
        return list(self._result(ds, norm, refresh, snapshot_dir, offline, progress)[0].records)

    def status(self) -> dict[str, Any]:
        """Settings in effect, cache counters and (if built) the client's status; no secrets."""
        s = self.settings
        return {
            "base_url": s.base_url,
            "timezone": s.timezone,
            "offline": s.offline,
            "cache_ttl": s.cache_ttl,
            "max_workers": s.max_workers,
            "max_requests": s.max_requests,
            "snapshot_dir": str(default_snapshot_dir(s) or ""),
            "cache": self.cache.stats.as_dict(),
            "client": self._client.status() if self._client is not None else None,
        }

    def close(self) -> None:
        """Close the client if this service built it."""
        if self._client is not None and self._own_client:
            self._client.close()

    def __enter__(self) -> DataService:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ---- internals ----------------------------------------------------------------------------

    @staticmethod
    def _check_layout(ds: Dataset, layout: str) -> Layout:
        text = str(layout or "long").strip().lower()
        if text not in LAYOUTS:
            raise InvalidFilterError(
                f"layout cannot be {layout!r}: use long or wide.",
                parameter="layout",
                allowed=LAYOUTS,
            )
        if text == "wide" and not {"start", "value"} <= set(ds.field_names()):
            raise InvalidFilterError(
                f"layout wide is for interval data (volumes), not {ds.name}: use long.",
                parameter="layout",
                allowed=("long",),
            )
        return text  # type: ignore[return-value]

    @staticmethod
    def _key(ds: Dataset, norm: Mapping[str, str]) -> tuple[Any, ...]:
        params = tuple((f.name, f.param) for f in ds.filters)
        return (ds.name, ds.path, params, tuple(norm.items()))

    def _result(
        self,
        ds: Dataset,
        norm: dict[str, str],
        refresh: bool,
        snapshot_dir: str | Path | None,
        offline: bool | None,
        progress: Progress | None,
    ) -> tuple[_Result, Source]:
        """The result and where this call got it from."""
        if self.settings.offline if offline is None else offline:
            return self._offline(ds, norm, snapshot_dir)
        result, loaded = self._cached_load(ds, norm, progress, refresh)
        if snapshot_dir is not None:
            self._write_snapshot(Path(snapshot_dir), ds, norm, result)
        return result, result.source if loaded else "cache"

    def _cached_load(
        self, ds: Dataset, norm: dict[str, str], progress: Progress | None, refresh: bool
    ) -> tuple[_Result, bool]:
        """The cached (or coalesced) result, else a new load; and whether this call loaded it."""
        loaded: list[bool] = []

        def load() -> _Result:
            loaded.append(True)
            return self._load(ds, norm, progress, refresh)

        result: _Result = self.cache.get_or_load(
            self._key(ds, norm), load, ttl=self.settings.cache_ttl, refresh=refresh
        )
        return result, bool(loaded)

    def _load(
        self, ds: Dataset, norm: dict[str, str], progress: Progress | None, refresh: bool
    ) -> _Result:
        if ds.parent:
            return self._load_child(ds, norm, progress, refresh)
        settings = self.settings
        plan = plan_requests(ds, norm, tz=settings.timezone, max_requests=settings.max_requests)
        from ecore_xl.data.frames import join_parts  # pandas, before the workers need it

        parts = self._run(ds, plan, progress)
        answered = dt.datetime.now(dt.UTC)  # the last response is in
        whole = all(p.records is None for p in parts)  # every page came with its body
        result = _Result(
            None if whole else [r for p in parts for r in p.all_records()],
            answered, self._source_url(plan), len(plan),
            bodies=tuple(b for p in parts for b in p.bodies) if whole else (),
        )  # fmt: skip
        tz = settings.timezone
        with contextlib.suppress(EcoreError):  # fetch raises it; fetch_records still works
            result.frames["long"] = join_parts(
                ds, [p.frame for p in parts], lambda: result.records, tz=tz
            )
        return result

    def _load_child(
        self, ds: Dataset, norm: dict[str, str], progress: Progress | None, refresh: bool
    ) -> _Result:
        from ecore_xl.data.frames import explode_records, records_to_frame

        parent_ds = self.dataset(ds.parent or "")
        parent_norm = normalise_filters(parent_ds, norm, tz=self.settings.timezone)
        parent, loaded = self._cached_load(parent_ds, parent_norm, progress, refresh)
        records = explode_records(ds, parent.records)
        result = _Result(records, parent.fetched_at, parent.source_url, parent.requests,
                         parent.source if loaded else "cache")  # fmt: skip
        with contextlib.suppress(EcoreError):  # built before it is cached, so its size counts
            result.frames["long"] = records_to_frame(ds, records, tz=self.settings.timezone)
        return result

    def _run(self, ds: Dataset, plan: Sequence[Request], progress: Progress | None) -> list[_Part]:
        """Every request of the plan, on the pool; answers in plan order."""
        client = self.client  # built here, once, not by the first worker that needs it
        total = len(plan)
        if progress:
            progress(0, total)
        if total == 1:
            out = [self._download(client, ds, *plan[0])]
            if progress:
                progress(1, 1)
            return out
        workers = max(1, min(self.settings.max_workers, total))
        results: list[_Part | None] = [None] * total
        with ThreadPoolExecutor(workers, thread_name_prefix="ecore-fetch") as pool:
            futures: dict[Future[_Part], int] = {
                pool.submit(self._download, client, ds, path, query): i
                for i, (path, query) in enumerate(plan)
            }
            pending = set(futures)
            done_count = 0
            try:
                while pending:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in done:
                        results[futures[fut]] = fut.result()  # raises the first failure
                        done_count += 1
                    if progress:
                        progress(done_count, total)
            except BaseException:
                for fut in pending:
                    fut.cancel()
                raise
        return [r if r is not None else _Part([], None, None) for r in results]

    def _download(
        self, client: EcoreClient, ds: Dataset, path: str, query: dict[str, str]
    ) -> _Part:
        """Every page of one request, and its frame part, typed here in the worker thread while
        the other workers wait for the API (the records as dicts are dropped right after)."""
        from ecore_xl.data.frames import frame_part

        records: list[dict[str, Any]] = []
        bodies: list[bytes] = []
        for page in client.iter_pages(path, query):
            records.extend(page.records)
            bodies.append(page.body)
        try:
            frame: FramePart | None = frame_part(ds, records, tz=self.settings.timezone)
        except EcoreError:  # e.g. a number field holding text: the whole list will say so
            frame = None
        return _Part(bodies, None if all(bodies) else records, frame)

    def _source_url(self, plan: Sequence[Request]) -> str | None:
        if not plan:
            return None
        path, query = plan[0]
        url = self.settings.base_url.rstrip("/") + path
        return f"{url}?{urlencode(query)}" if query else url

    def _frame(self, ds: Dataset, result: _Result, layout: Layout) -> pd.DataFrame:
        from ecore_xl.data.frames import records_to_frame, volumes_wide

        tz = self.settings.timezone
        with result.lock:
            frame = result.frames.get(layout)
            if frame is None:
                long = result.frames.get("long")
                if long is None:
                    long = records_to_frame(ds, result.records, tz=tz)
                    result.frames["long"] = long
                frame = long if layout == "long" else volumes_wide(long, tz=tz)
                result.frames[layout] = frame
        return frame

    # ---- snapshots and offline ----------------------------------------------------------------

    def _write_snapshot(
        self, directory: Path, ds: Dataset, norm: dict[str, str], result: _Result
    ) -> None:
        with result.lock:
            if directory.resolve() in result.written:
                return
        write_snapshot(
            directory, ds.name, norm, result.records, result.source_url,
            fetched_at=result.fetched_at,
        )  # fmt: skip
        with result.lock:
            result.written.add(directory.resolve())

    def _offline(
        self, ds: Dataset, norm: dict[str, str], snapshot_dir: str | Path | None
    ) -> tuple[_Result, Source]:
        found = self._offline_lookup(ds, norm, snapshot_dir)
        if found is not None:
            return found
        directory = snapshot_dir or default_snapshot_dir(self.settings)
        raise OfflineError(
            f"Offline: no cached or snapshot data for {ds.name} with "
            f"{_describe(norm)}. Go online and run: {_fetch_command(ds, norm, directory)}",
            detail=f"snapshot directory: {directory or '<none: set ECORE_CACHE_DIR>'}",
        )

    def _offline_lookup(
        self, ds: Dataset, norm: dict[str, str], snapshot_dir: str | Path | None
    ) -> tuple[_Result, Source] | None:
        cached = self.cache.peek(self._key(ds, norm), allow_stale=True)
        if cached is not None:
            return cached, "cache"
        dirs = [Path(snapshot_dir)] if snapshot_dir is not None else []
        if (default := default_snapshot_dir(self.settings)) is not None and default not in dirs:
            dirs.append(default)
        for directory in dirs:
            hit = read_snapshot(directory, ds.name, norm)
            if hit is not None:
                records, meta = hit
                file = str(snapshot_path(directory, ds.name, norm))
                when = _parse_utc(meta.get("fetched_at"))
                return _Result(records, when, file, 0, "snapshot"), "snapshot"
        if ds.parent:
            from ecore_xl.data.frames import explode_records

            parent_ds = self.dataset(ds.parent)
            parent_norm = normalise_filters(parent_ds, norm, tz=self.settings.timezone)
            found = self._offline_lookup(parent_ds, parent_norm, snapshot_dir)
            if found is not None:
                parent, source = found
                records = explode_records(ds, parent.records)
                return _Result(records, parent.fetched_at, parent.source_url, 0, source), source
        return None


def _detached(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame the caller may change without changing the cached one.

    With copy-on-write (pandas 3; an option in pandas 2) a shallow copy is enough: the first
    change copies what it changes. Without it, a deep copy.
    """
    import pandas as pd

    cow = int(pd.__version__.split(".", 1)[0]) >= 3 or pd.get_option("mode.copy_on_write") is True
    return frame.copy(deep=not cow)


def _parse_utc(text: Any) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(str(text)).astimezone(dt.UTC)
    except ValueError:
        return dt.datetime.fromtimestamp(0, dt.UTC)


def _describe(norm: Mapping[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in norm.items()) or "no filters"


def _fetch_command(ds: Dataset, norm: Mapping[str, str], directory: Any) -> str:
    parts = ["ecore-xl fetch", ds.name]
    for name, value in norm.items():
        if name in ("from", "to"):
            parts.append(f"--{name} {value}")
        else:
            parts.append(f"--filter {name}={value}")
    parts.append(f"--snapshot {directory or 'DIR'}")
    return " ".join(parts)


# ---- the process-wide service ---------------------------------------------------------------

_default: DataService | None = None
_default_lock = threading.Lock()


def get_service() -> DataService:
    """The process-wide service (built from ``Settings.load()`` on first use)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = DataService()
        return _default


def set_service(service: DataService | None) -> None:
    """Make ``service`` the process-wide one (the caller keeps ownership of the old one)."""
    global _default
    with _default_lock:
        _default = service


def reset_service() -> None:
    """Close and forget the process-wide service (tests; after settings changed)."""
    global _default
    with _default_lock:
        service, _default = _default, None
    if service is not None:
        service.close()


def fetch(dataset: str, **kwargs: Any) -> pd.DataFrame:
    """``get_service().fetch(dataset, **kwargs)``: the dataset as a DataFrame."""
    return get_service().fetch(dataset, **kwargs)


def fetch_records(dataset: str, **kwargs: Any) -> list[dict[str, Any]]:
    """``get_service().fetch_records(dataset, **kwargs)``: the raw API records."""
    return get_service().fetch_records(dataset, **kwargs)
