"""``fetch(dataset, **filters) -> DataFrame``: the one door above the API.

A :class:`DataService` holds one :class:`~ecore_xl.api.EcoreClient` (built on first use), the
catalogue and a :class:`~ecore_xl.data.cache.TTLCache`. ``fetch`` runs:

1. **validate** the filters (:func:`~ecore_xl.data.filters.normalise_filters`) — a bad filter
   raises before any request;
2. **offline** (``settings.offline`` or ``offline=True``): answer from the cache (even if stale),
   then from a snapshot; else :class:`~ecore_xl.errors.OfflineError`. The API is never called;
3. **online**: one cached, coalesced load per normalised request. A load plans its requests
   (:mod:`ecore_xl.data.plan`: one per value of a several-valued filter, long ranges split per
   ``chunk``), spelled as the dataset's dialect declares (:mod:`ecore_xl.data.encode`), and:

   * a dataset with a ``parent`` (invoice-lines): load the parent (through the cache) and
     explode its ``explode`` list field;
   * a collection ``under`` a parent (``/contracts/{contractId}/clicks``) without that filter:
     the parent dataset's ids (through the cache), one request each, the parent id filled in;
   * a dataset with a ``granularity`` rule (volumes per meter): each meter asked for the finest
     granularity its commodity is offered at or above the one asked; a refusal (a 400 naming the
     granularity parameter) for one meter retries that meter one step coarser — never a failed
     fetch for all meters (:mod:`ecore_xl.data.granularity`);

   a plan longer than ``settings.max_requests`` (``ECORE_MAX_REQUESTS``) is refused with an
   :class:`~ecore_xl.errors.InvalidFilterError` before any request (``from=1, to=2958465`` in
   Excel is 97,200 months); the requests run on a thread pool of up to ``settings.max_workers``
   threads over the shared client, begun as its adaptive limit of pages in flight allows
   (:mod:`ecore_xl.api.concurrency`), and are joined in plan order, so the result equals one
   big request value for value; while a load runs, the cyclic garbage collector waits
   (:mod:`ecore_xl.data.gc_pause`);
4. with ``snapshot_dir`` (online), the raw records are written there for later offline use;
5. records → DataFrame by :mod:`ecore_xl.data.frames`: each request's part in its worker thread,
   as soon as its pages are in (while the other workers still wait for the API; the instants
   the meters of a month share are parsed once: :mod:`ecore_xl.data.recent`), joined in plan
   order when the load ends (``layout="wide"``: one column per meter, from the long frame).
   The result keeps the page bodies (deflated) and the frame, not the records as dicts. Nothing is
   truncated: the Excel row limit is the writers' business.

Every frame says where it came from in ``df.attrs["ecore"]``: ``fetched_at`` (UTC ISO 8601 text
``2026-03-02T08:30:00Z``, so ``to_parquet()`` keeps the attrs: when the API answered, also for a
cached answer or a snapshot of it), ``source_url`` (the first URL requested, or the snapshot
file), ``requests`` (how many the load made) and ``source``: ``"api"`` (this call's own
requests), ``"cache"`` (no request of its own: the TTL cache, or a load another caller was
running) or ``"snapshot"``; and what it holds: ``units`` (column -> canonical unit, as declared
and converted), ``granularity`` (``{"asked": "hour", "used": {"MTR-0003": "day"}}`` when some
meters got a coarser one, else absent; the long frame then has a ``granularity`` column saying
each row's) and ``notes`` (one line each, for a face to show: the granularity fallback). Every
value is JSON.

The module-level :func:`fetch` uses a process-wide service (:func:`get_service`,
:func:`set_service`, :func:`reset_service`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from urllib.parse import urlencode

from ecore_xl.data import granularity as _granularity
from ecore_xl.data.cache import TTLCache
from ecore_xl.data.encode import encode_request
from ecore_xl.data.filters import join_ids, normalise_filters, split_multi
from ecore_xl.data.gc_pause import paused as gc_paused
from ecore_xl.data.plan import (
    chunk_range,
    count_chunks,
    count_requests,
    plan_pieces,
    plan_requests,
)
from ecore_xl.data.recent import RecentTimes
from ecore_xl.data.snapshot import read_snapshot_parts, snapshot_path, write_snapshot
from ecore_xl.errors import BadRequestError, EcoreError, InvalidFilterError, OfflineError

if TYPE_CHECKING:
    import pandas as pd

    from ecore_xl.api import EcoreClient
    from ecore_xl.catalogue import Catalogue, Dataset, Envelope, GranularityRule
    from ecore_xl.config import Settings
    from ecore_xl.data.frames import FramePart

__all__ = [
    "LAYOUTS",
    "MAX_KEPT_CELLS",
    "DataService",
    "NotCached",
    "Progress",
    "chunk_range",
    "count_chunks",
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
#: seconds a service reuses the catalogue before it looks for a changed user file again
CATALOGUE_CHECK_S = 1.0
#: normalised filter sets a service remembers (the questions of a recalculation)
NORMALISED_KEPT = 1024
#: the largest answer (rows x columns of its frame) fetch_answer keeps with a cached result
MAX_KEPT_CELLS = 200_000
_MISSING = object()
T = TypeVar("T")
#: ``progress(done, total)``: requests finished of requests planned (pages are not counted: their
#: number is only known at the last one)
Progress = Callable[[int, int], None]


def default_snapshot_dir(settings: Settings) -> Path | None:
    """``<cache_dir>/snapshots`` when ``ECORE_CACHE_DIR`` is set, else None."""
    return Path(settings.cache_dir) / "snapshots" if settings.cache_dir else None


# ---- results --------------------------------------------------------------------------------


@dataclass
class _Result:
    """The records of one normalised request, and the frames built from them (memoised).

    Records the API sent are kept as its page bodies (``bodies``, deflated: :func:`deflated`)
    and parsed again when asked for: as dicts they take ~600 B each, ~5x their JSON, and the
    typed frame is built at load time anyway. Records from elsewhere (exploded invoice lines)
    are kept as they are.
    """

    kept: list[dict[str, Any]] | None
    fetched_at: dt.datetime
    source_url: str | None
    requests: int
    source: Source = "api"  # where the records came from when this result was made
    bodies: tuple[bytes, ...] = ()
    envelope: Envelope | None = None  # where the records are in ``bodies``
    granularity: dict[str, Any] | None = None  # {"asked", "used": {id: granularity}}
    notes: tuple[str, ...] = ()
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: what a face made of a frame (the 2-D list a formula spills), kept while this result is
    #: (a refresh or an expiry makes a new result): (layout, the face's own key) -> answer
    answers: dict[Hashable, Any] = field(default_factory=dict)
    written: set[Path] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def records(self) -> list[dict[str, Any]]:
        """The records (parsed from the page bodies again: a new list of new dicts)."""
        if self.kept is not None:
            return self.kept
        return _records_of(self.bodies, self.envelope)

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

    bodies: list[bytes]  # deflated
    records: list[dict[str, Any]] | None
    frame: FramePart | None
    envelope: Envelope | None = None
    refused: BadRequestError | None = None  # the granularity this part asked for was refused

    def all_records(self) -> list[dict[str, Any]]:
        if self.records is not None:
            return self.records
        return _records_of(self.bodies, self.envelope)


def deflated(body: bytes) -> bytes:
    """A page body as a result keeps it: zlib level 1. A year of quarter-hours for 20 meters
    is 85 MB of JSON and 5 MB deflated, for ~0.4 s of CPU on the workers' threads outside the
    GIL (while the others parse); parsed again only for records or a snapshot."""
    return zlib.compress(body, 1)


def inflated(body: bytes) -> bytes:
    """The page body :func:`deflated` kept."""
    return zlib.decompress(body)


def _records_of(bodies: Iterable[bytes], envelope: Envelope | None) -> list[dict[str, Any]]:
    """The records of kept (deflated) page bodies, parsed again: a new list of new dicts."""
    from ecore_xl.api.envelope import body_records

    return [r for body in bodies for r in body_records(inflated(body), envelope)]


@dataclass(frozen=True)
class _Planned:
    """One request of a load: as the API spells it, and the canonical values it answers."""

    path: str
    query: dict[str, str]
    values: dict[str, str]


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
        self._seen_catalogue: tuple[tuple[Any, ...], float, Catalogue] | None = None
        self._declared: dict[int, _Declared] = {}
        self._normalised_kept: OrderedDict[tuple[Any, ...], dict[str, str]] = OrderedDict()
        self.cache = cache if cache is not None else TTLCache()
        self._lock = threading.Lock()
        #: (dataset, meter id) -> granularities the API refused for it (learned, never asked again)
        self._refused: dict[tuple[str, str], set[str]] = {}

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
        """The injected catalogue, else built-in + user file (re-read when the file changes,
        looked for at most once every :data:`CATALOGUE_CHECK_S`)."""
        if self._catalogue is not None:
            return self._catalogue
        from ecore_xl.catalogue import load_catalogue

        # looking for the user's file (config dir, stat) costs ~60 us: once a second is enough
        where = (self.settings.catalogue, os.environ.get("ECORE_CATALOGUE"))
        now = time.monotonic()
        seen = self._seen_catalogue
        if seen is not None and seen[0] == where and now - seen[1] < CATALOGUE_CHECK_S:
            return seen[2]
        catalogue = load_catalogue(self.settings.catalogue)
        self._seen_catalogue = (where, now, catalogue)
        return catalogue

    def dataset(self, name: str) -> Dataset:
        """The catalogue entry (CatalogueError listing the known names)."""
        return self.catalogue.get(name)

    def normalise(self, dataset: str, **filters: Any) -> tuple[Dataset, dict[str, str]]:
        """The dataset and its normalised filters (InvalidFilterError before any request)."""
        ds = self.dataset(dataset)
        return ds, self._normalised(ds, filters)

    # ---- fetching -----------------------------------------------------------------------------

    def check_fits_sheet(
        self,
        dataset: str,
        *,
        layout: Layout = "long",
        what: str,
        advice: str | None = None,
        **filters: Any,
    ) -> None:
        """TooManyRowsError, before any request, when ``fetch(dataset, layout=layout,
        **filters)`` is bound to give more rows than one Excel sheet holds
        (:mod:`ecore_xl.data.sheet_fit`); ``what`` starts the message, ``advice`` ends it."""
        from ecore_xl.data.sheet_fit import DEFAULT_ADVICE, check_fits_sheet

        ds, norm = self.normalise(dataset, **filters)
        check_fits_sheet(
            ds, norm, layout=layout, tz=self.settings.timezone, what=what,
            advice=advice or DEFAULT_ADVICE,
        )  # fmt: skip

    def fetch(
        self,
        dataset: str,
        *,
        layout: Layout = "long",
        refresh: bool = False,
        snapshot_dir: str | Path | None = None,
        offline: bool | None = None,
        progress: Progress | None = None,
        cached_only: bool = False,
        **filters: Any,
    ) -> pd.DataFrame:
        """The dataset as a DataFrame (``layout="wide"``: volumes with one column per meter).

        ``cached_only``: :class:`NotCached` rather than a request when the answer is not in the
        cache (offline, snapshots are still read)."""
        ds = self.dataset(dataset)
        layout = self._check_layout(ds, layout)
        norm = self._normalised(ds, filters)
        result, source = self._result(
            ds, norm, refresh, snapshot_dir, offline, progress, cached_only=cached_only
        )
        df = _detached(self._frame(ds, result, layout))
        from ecore_xl.data.units import declared_units

        meta: dict[str, Any] = {
            # ISO text, not a datetime: attrs must be JSON for df.to_parquet() to keep them
            "fetched_at": result.fetched_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            "source_url": result.source_url,
            "source": source,
            "requests": result.requests,
            "units": declared_units(ds),
            "notes": list(result.notes),
        }
        if result.granularity:
            meta["granularity"] = {**result.granularity, "used": dict(result.granularity["used"])}
        df.attrs["ecore"] = meta
        return df

    def fetch_answer(
        self,
        dataset: str,
        make: Callable[[pd.DataFrame], T],
        *,
        shape: Hashable,
        layout: Layout = "long",
        offline: bool | None = None,
        cached_only: bool = False,
        **filters: Any,
    ) -> T:
        """``make(frame)`` of :meth:`fetch`'s frame, kept with the cached result: the next call
        with the same filters and ``shape`` (what else ``make`` depends on) gets the same object
        back until the data expires or is refreshed. ``make`` must not change the frame, and
        the caller must not change the answer. Answers of more than :data:`MAX_KEPT_CELLS`
        cells are made again each time (their Python objects would dwarf the frame)."""
        ds = self.dataset(dataset)
        layout = self._check_layout(ds, layout)
        norm = self._normalised(ds, filters)
        result, _ = self._result(ds, norm, False, None, offline, None, cached_only=cached_only)
        key = (layout, shape)
        found = result.answers.get(key, _MISSING)
        if found is not _MISSING:
            return found  # type: ignore[no-any-return]
        frame = self._frame(ds, result, layout)
        answer = make(frame)
        if frame.size <= MAX_KEPT_CELLS:
            result.answers[key] = answer
        return answer

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
        if text not in ds.layouts:
            raise InvalidFilterError(
                f"layout {text} is not declared for {ds.name} (its catalogue entry has no "
                f'"wide"): use long.',
                parameter="layout",
                allowed=ds.layouts,
            )
        return text  # type: ignore[return-value]

    def _normalised(self, ds: Dataset, filters: Mapping[str, Any]) -> dict[str, str]:
        """``normalise_filters`` (pure), remembered for the last :data:`NORMALISED_KEPT` sets of
        hashable arguments: a recalculation asks the same questions again and again."""
        try:
            key = (self._key(ds, {}), tuple((k, type(v), v) for k, v in filters.items()))
            hash(key)
        except TypeError:  # a list of ids: normalised every time
            return normalise_filters(ds, filters, tz=self.settings.timezone)
        with self._lock:
            found = self._normalised_kept.get(key)
            if found is not None:
                self._normalised_kept.move_to_end(key)
                return dict(found)
        norm = normalise_filters(ds, filters, tz=self.settings.timezone)
        with self._lock:
            self._normalised_kept[key] = norm
            while len(self._normalised_kept) > NORMALISED_KEPT:
                self._normalised_kept.popitem(last=False)
        return dict(norm)

    def _key(self, ds: Dataset, norm: Mapping[str, str]) -> tuple[Any, ...]:
        # the whole declaration: another path, name, value map or dialect is another answer
        declared = self._declared.get(id(ds))
        if declared is None or declared.ds is not ds:
            declared = self._declared[id(ds)] = _Declared(ds)
        return (ds.name, declared, tuple(norm.items()))

    def _result(
        self,
        ds: Dataset,
        norm: dict[str, str],
        refresh: bool,
        snapshot_dir: str | Path | None,
        offline: bool | None,
        progress: Progress | None,
        *,
        cached_only: bool = False,
    ) -> tuple[_Result, Source]:
        """The result and where this call got it from."""
        if self.settings.offline if offline is None else offline:
            return self._offline(ds, norm, snapshot_dir)
        if cached_only:
            cached = None if refresh else self.cache.peek(self._key(ds, norm))
            if not isinstance(cached, _Result):
                raise NotCached(ds.name)
            return cached, "cache"
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
        with gc_paused():  # the pages' records are freed by reference counting
            return self._load_paused(ds, norm, progress, refresh)

    def _load_paused(
        self, ds: Dataset, norm: dict[str, str], progress: Progress | None, refresh: bool
    ) -> _Result:
        if ds.parent:
            return self._load_child(ds, norm, progress, refresh)
        settings = self.settings
        tz = settings.timezone
        norm = self._with_parent_ids(ds, norm, refresh)
        from ecore_xl.data.filter_check import check_answer
        from ecore_xl.data.frames import join_parts  # pandas, before the workers need it

        rule = ds.granularity
        used: dict[str, str] = {}
        if ds.under and ds.under.filter not in norm:  # a parent without children: no request
            parts: list[_Part] = []
            planned: list[_Planned] = []
        elif rule and rule.filter in norm and rule.per in norm:
            parts, planned, used = self._load_per_granularity(ds, norm, rule, progress, refresh)
        else:
            pieces = plan_pieces(ds, norm, tz=tz, max_requests=settings.max_requests)
            planned = [self._planned(ds, piece) for piece in pieces]
            parts = self._run(ds, planned, progress)
        answered = dt.datetime.now(dt.UTC)  # the last response is in
        whole = all(p.records is None for p in parts)  # every page came with its body
        result = _Result(
            None if whole else [r for p in parts for r in p.all_records()],
            answered, self._source_url(planned), len(planned),
            bodies=tuple(b for p in parts for b in p.bodies) if whole else (),
            envelope=ds.dialect.envelope,
        )  # fmt: skip
        if used and rule is not None:
            asked = norm[rule.filter]
            result.granularity = {"asked": asked, "used": used}
            result.notes = (_granularity.note(asked, used, rule.per),)
        with contextlib.suppress(EcoreError):  # fetch raises it; fetch_records still works
            joined = join_parts(ds, [p.frame for p in parts], lambda: result.records, tz=tz)
            result.frames["long"] = _granularity.labelled(ds, result.granularity, joined)
        if "long" in result.frames:  # an answer outside the filters sent: never cached
            check_answer(ds, norm, result.frames["long"], tz=tz, granularities=used.values())
        return result

    def _planned(self, ds: Dataset, values: dict[str, str]) -> _Planned:
        path, query = encode_request(ds, values, tz=self.settings.timezone)
        return _Planned(path, query, values)

    def _with_parent_ids(self, ds: Dataset, norm: dict[str, str], refresh: bool) -> dict[str, str]:
        """A collection under a parent, asked without the parent's id: every id of the parent
        dataset (through the cache), narrowed by the filters both datasets have."""
        under = ds.under
        if under is None or under.filter in norm:
            return norm
        parent = self.dataset(under.dataset)
        names = {f.name for f in parent.filters if f.type != "date"}  # dates mean other things
        shared = {k: v for k, v in norm.items() if k in names}
        parent_norm = normalise_filters(parent, shared, tz=self.settings.timezone)
        found, _ = self._cached_load(parent, parent_norm, None, refresh)
        frame = self._frame(parent, found, "long")
        key = parent.key or "id"
        ids = [str(v) for v in frame[key].dropna()] if key in frame else []
        return {**norm, under.filter: join_ids(dict.fromkeys(ids))} if ids else norm

    def _load_per_granularity(
        self,
        ds: Dataset,
        norm: dict[str, str],
        rule: GranularityRule,
        progress: Progress | None,
        refresh: bool,
    ) -> tuple[list[_Part], list[_Planned], dict[str, str]]:
        """Each meter at the finest granularity it is offered; a refused one one step coarser.

        Returns the parts in meter order, the requests made, and the meters that got another
        granularity than asked.
        """
        tz = self.settings.timezone
        plan_pieces(ds, norm, tz=tz, max_requests=self.settings.max_requests)  # the limit, first
        asked = norm[rule.filter]
        ids = list(dict.fromkeys(split_multi(norm[rule.per])))
        order = _granularity.order(ds, rule, asked)
        offered = self._offered(ds, rule, ids, refresh)
        chosen: dict[str, str] = {}
        for ident in ids:
            pick = _granularity.choose(asked, order, offered.get(ident), self._refusals(ds, ident))
            if pick is None:
                raise InvalidFilterError(
                    f"{ds.name}: {rule.per} {ident} is offered none of {', '.join(order)} "
                    f"(dialect.granularities): fix the catalogue's declaration.",
                    parameter=rule.filter,
                )
            chosen[ident] = pick
        done: dict[str, list[_Part]] = {}
        planned_all: list[_Planned] = []
        pending = ids
        while pending:
            owners: list[str] = []
            planned: list[_Planned] = []
            for ident in pending:
                values = {**norm, rule.per: join_ids([ident]), rule.filter: chosen[ident]}
                for piece in plan_pieces(ds, values, tz=tz):
                    planned.append(self._planned(ds, piece))
                    owners.append(ident)
            planned_all.extend(planned)
            parts = self._run(ds, planned, progress, refusable=rule)
            again: list[str] = []
            for ident in pending:
                mine = [p for owner, p in zip(owners, parts, strict=True) if owner == ident]
                refusal = next((p.refused for p in mine if p.refused is not None), None)
                if refusal is None:
                    done[ident] = mine
                    continue
                self._refuse(ds, ident, chosen[ident])
                pick = _granularity.choose(
                    asked, order, offered.get(ident), self._refusals(ds, ident)
                )
                if pick is None:
                    raise refusal
                chosen[ident] = pick
                again.append(ident)
            pending = again
        used = {ident: g for ident, g in chosen.items() if g != asked}
        return [p for ident in ids for p in done[ident]], planned_all, used

    def _refusals(self, ds: Dataset, ident: str) -> frozenset[str]:
        """The granularities the API refused for this meter so far (a copy)."""
        with self._lock:
            return frozenset(self._refused.get((ds.name, ident), ()))

    def _refuse(self, ds: Dataset, ident: str, granularity: str) -> None:
        with self._lock:
            self._refused.setdefault((ds.name, ident), set()).add(granularity)

    def _offered(
        self, ds: Dataset, rule: GranularityRule, ids: list[str], refresh: bool
    ) -> dict[str, tuple[str, ...] | None]:
        """Meter id -> the granularities its commodity is offered (None: all), when the dialect
        declares any (the commodities come from the rule's source dataset, through the cache)."""
        if not ds.dialect.granularities:
            return {}
        source = self.dataset(rule.source)
        found, _ = self._cached_load(
            source, normalise_filters(source, {}, tz=self.settings.timezone), None, refresh
        )
        frame = self._frame(source, found, "long")
        key = source.key or "id"
        if key not in frame or rule.by not in frame:
            return {}
        by = dict(zip(frame[key].astype("str"), frame[rule.by], strict=True))
        return {ident: ds.dialect.allowed_granularities(by.get(ident)) for ident in ids}

    def _load_child(
        self, ds: Dataset, norm: dict[str, str], progress: Progress | None, refresh: bool
    ) -> _Result:
        from ecore_xl.data.frames import records_to_frame

        parent_ds = self.dataset(ds.parent or "")
        parent_norm = normalise_filters(parent_ds, norm, tz=self.settings.timezone)
        parent, loaded = self._cached_load(parent_ds, parent_norm, progress, refresh)
        records = self._explode(ds, parent_ds, parent.records)
        result = _Result(records, parent.fetched_at, parent.source_url, parent.requests,
                         parent.source if loaded else "cache")  # fmt: skip
        with contextlib.suppress(EcoreError):  # built before it is cached, so its size counts
            result.frames["long"] = records_to_frame(ds, records, tz=self.settings.timezone)
        return result

    @staticmethod
    def _explode(
        ds: Dataset, parent_ds: Dataset, parents: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        from ecore_xl.data.frames import explode_records

        key = parent_ds.field(parent_ds.key or "id")
        return explode_records(ds, parents, id_key=key.source if key else "id")

    def _run(
        self,
        ds: Dataset,
        plan: Sequence[_Planned],
        progress: Progress | None,
        *,
        refusable: GranularityRule | None = None,
    ) -> list[_Part]:
        """Every request of the plan, on the pool; answers in plan order."""
        client = self.client  # built here, once, not by the first worker that needs it
        total = len(plan)
        if progress:
            progress(0, total)
        recent = RecentTimes()  # the meters of a month share their instants: parsed once
        if total == 1:
            out = [self._download(client, ds, plan[0], recent, refusable)]
            if progress:
                progress(1, 1)
            return out
        workers = max(1, min(self.settings.max_workers, total))
        results: list[_Part | None] = [None] * total
        waiting = iter(enumerate(plan))
        pending: dict[Future[_Part], int] = {}

        def begin_more() -> None:
            """Requests begun while fewer are in progress than pages may be in flight: a
            request's worker holds its records between pages, so 16 begun for 4 in flight
            would hold 16 requests' records and contend 16 threads for one GIL."""
            while len(pending) < max(1, client.concurrency.limit):
                nxt = next(waiting, None)
                if nxt is None:
                    return
                i, item = nxt
                pending[pool.submit(self._download, client, ds, item, recent, refusable)] = i

        with ThreadPoolExecutor(workers, thread_name_prefix="ecore-fetch") as pool:
            done_count = 0
            try:
                begin_more()
                while pending:  # the timeout: a limit that grew meanwhile begins more
                    done, _ = wait(pending, timeout=0.05, return_when=FIRST_COMPLETED)
                    for fut in done:
                        results[pending.pop(fut)] = fut.result()  # raises the first failure
                        done_count += 1
                    if done and progress:
                        progress(done_count, total)
                    begin_more()
            except BaseException:
                for fut in pending:
                    fut.cancel()
                raise
        return [r if r is not None else _Part([], None, None) for r in results]

    def _download(
        self,
        client: EcoreClient,
        ds: Dataset,
        item: _Planned,
        recent: RecentTimes | None = None,
        refusable: GranularityRule | None = None,
    ) -> _Part:
        """Every page of one request, and its frame part, typed here in the worker thread while
        the other workers wait for the API (the records as dicts are dropped right after).

        With ``refusable``, a 400 refusing the granularity comes back as the part's ``refused``.
        """
        from ecore_xl.data.frames import frame_part
        from ecore_xl.data.shapes import with_parent_id

        records: list[dict[str, Any]] = []
        bodies: list[bytes] = []
        every_body = True  # every page came with its body: the records need not be kept
        try:
            for page in client.iter_pages(
                item.path, item.query, dialect=ds.dialect, dataset=ds.name
            ):
                records.extend(page.records)
                every_body = every_body and bool(page.body)
                bodies.append(deflated(page.body))
        except BadRequestError as exc:
            if refusable is not None and _granularity.is_refusal(exc, ds, refusable):
                return _Part([], [], None, refused=exc)
            raise _named_filter(exc, ds) from None
        kept = None if every_body else records
        if ds.under and ds.under.filter in item.values:
            column = ds.field(ds.under.filter)
            filled = with_parent_id(
                records, column.source if column else ds.under.filter, item.values[ds.under.filter]
            )
            if filled is not records:  # the API leaves the parent id out: keep the records
                records = kept = filled
        try:
            frame: FramePart | None = frame_part(
                ds, records, tz=self.settings.timezone, recent=recent
            )
        except EcoreError:  # e.g. a number field holding text: the whole list will say so
            frame = None
        return _Part(bodies, kept, frame, envelope=ds.dialect.envelope)

    def _source_url(self, plan: Sequence[_Planned]) -> str | None:
        if not plan:
            return None
        first = plan[0]
        url = self.settings.base_url.rstrip("/") + first.path
        return f"{url}?{urlencode(first.query)}" if first.query else url

    def _frame(self, ds: Dataset, result: _Result, layout: Layout) -> pd.DataFrame:
        from ecore_xl.data.frames import records_to_frame, wide_grid

        tz = self.settings.timezone
        with result.lock:
            frame = result.frames.get(layout)
            if frame is None:
                long = result.frames.get("long")
                if long is None:
                    long = records_to_frame(ds, result.records, tz=tz)
                    long = _granularity.labelled(ds, result.granularity, long)
                    result.frames["long"] = long
                if layout == "wide" and ds.wide is not None:
                    _granularity.check_one_granularity(ds, result.granularity, long)
                    frame = wide_grid(long, ds.wide, tz=tz)
                else:
                    frame = long
                result.frames[layout] = frame
        return frame

    # ---- snapshots and offline ----------------------------------------------------------------

    def _write_snapshot(
        self, directory: Path, ds: Dataset, norm: dict[str, str], result: _Result
    ) -> None:
        with result.lock:
            if directory.resolve() in result.written:
                return
        about = {"granularity": result.granularity, "notes": list(result.notes)}
        write_snapshot(
            directory, ds.name, norm, result.records, result.source_url,
            fetched_at=result.fetched_at, about=about,
        )  # fmt: skip
        with result.lock:
            result.written.add(directory.resolve())

    def _snapshot_frame(
        self, ds: Dataset, result: _Result, parts: Iterable[list[dict[str, Any]]]
    ) -> None:
        """Type a snapshot's records a part at a time, dropping each part's dicts before the
        next is parsed (all of them at once were the report's peak), as a load types its pages;
        labelled with the granularity the snapshot's header says each meter got.
        """
        from ecore_xl.data.frames import frame_part, join_parts

        tz = self.settings.timezone
        typed: list[FramePart | None] = []
        for records in parts:  # every part is read: a damaged file raises here
            if typed and typed[-1] is None:
                continue  # one part could not be typed: the whole list decides
            try:
                typed.append(frame_part(ds, records, tz=tz))
            except EcoreError:  # e.g. a number field holding text: the whole list will say so
                typed.append(None)
        with contextlib.suppress(EcoreError):  # fetch raises it; fetch_records still works
            joined = join_parts(ds, typed, lambda: result.records, tz=tz)
            result.frames["long"] = _granularity.labelled(ds, result.granularity, joined)

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
        from ecore_xl.catalogue.dialect import BODY, Envelope  # the body is the records' list

        for directory in dirs:
            hit = read_snapshot_parts(directory, ds.name, norm)
            if hit is not None:
                body, parts, meta = hit
                file = str(snapshot_path(directory, ds.name, norm))
                when = _parse_utc(meta.get("fetched_at"))
                kept, envelope = (deflated(body),), Envelope(BODY)
                found = _Result(None, when, file, 0, "snapshot", bodies=kept, envelope=envelope)
                if isinstance(meta.get("granularity"), dict):  # what the live fetch said
                    found.granularity = meta["granularity"]
                    found.notes = tuple(str(n) for n in meta.get("notes") or ())
                self._snapshot_frame(ds, found, parts)
                return found, "snapshot"
        if ds.parent:
            parent_ds = self.dataset(ds.parent)
            parent_norm = normalise_filters(parent_ds, norm, tz=self.settings.timezone)
            found = self._offline_lookup(parent_ds, parent_norm, snapshot_dir)
            if found is not None:
                parent, source = found
                records = self._explode(ds, parent_ds, parent.records)
                return _Result(records, parent.fetched_at, parent.source_url, 0, source), source
        return None


def _named_filter(exc: BadRequestError, ds: Dataset) -> BadRequestError:
    """A 400 naming an API parameter, also named by the catalogue's filter (``resolution`` is
    the filter ``granularity``)."""
    if exc.target:
        try:
            name = ds.filter(exc.target).name
        except InvalidFilterError:
            return exc
        if name != exc.target:
            exc.message = f"{exc.message} (the filter {name} of {ds.name})"
            exc.args = (exc.message, *exc.args[1:])
    return exc


class _Declared:
    """A dataset in a cache key: equal when the declarations are, hashed once (a frozen
    dataclass hashes its ~100 nested fields again at every lookup)."""

    __slots__ = ("_hash", "ds")

    def __init__(self, ds: Dataset) -> None:
        self.ds = ds
        self._hash = hash(ds)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Declared) and (self.ds is other.ds or self.ds == other.ds)


class NotCached(Exception):
    """``cached_only``: the answer would take a request (the dataset's name is the message)."""


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
