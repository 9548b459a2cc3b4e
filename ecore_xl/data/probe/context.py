"""What one probe run knows while it goes: the catalogue so far, the answers, the ids it met.

Datasets are probed one after another, each on the catalogue as learned so far
(:meth:`Context.working`: the starting catalogue with everything found until now declared), so
that what the first dataset taught (the envelope, the date format, the paths' area prefix) is the
first guess for the next. The ids and dates a dataset's answer held fill the next one's
placeholders and date ranges: the first ids the API returns, never made up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from ecore_xl.catalogue import Catalogue, Dataset, Filter, Paging
from ecore_xl.catalogue.learn import Learning
from ecore_xl.catalogue.learn.names import entity_of, fold
from ecore_xl.catalogue.learn.sample import Sample
from ecore_xl.catalogue.learn.values import local_day
from ecore_xl.data.encode import encode_request
from ecore_xl.data.filters import normalise_filters
from ecore_xl.data.probe.wire import Answer, Wire

__all__ = ["PAGE", "Context", "Located", "paging_spec"]

#: records asked per page while probing (a probe reads pages, it does not download)
PAGE = 50


def paging_spec(paging: Paging) -> dict[str, Any]:
    """A paging declaration as an override entry (:meth:`Paging.spec`)."""
    return paging.spec()


@dataclass
class Located:
    """A dataset's working request: the declaration it was made with, the canonical filter
    values, and the answer."""

    ds: Dataset
    values: dict[str, str]
    answer: Answer
    sample: Sample | None = None
    #: canonical rows (our field names) of the answer
    rows: list[dict[str, Any]] = field(default_factory=list)


class Context:
    """The state of one probe run (see the module docstring)."""

    def __init__(self, base: Catalogue, wire: Wire, *, tz: str, source: str) -> None:
        self.base = base
        self.wire = wire
        self.tz = tz
        self.learning = Learning(base, source)
        self.located: dict[str, Located] = {}
        self.samples: dict[str, list[Sample]] = {}
        #: our filter name -> API names that worked for it elsewhere, most recent first
        self.names: dict[str, list[str]] = {}
        #: the paging declaration a request has confirmed (API-wide), once one did
        self.paging_checked: dict[str, Any] | None = None
        self.single_checked = False
        self.dates_checked = False
        #: dataset -> the paging its signals alone suggest (see paging.settle_paging)
        self.paging_pending: dict[str, dict[str, Any]] = {}
        #: dataset -> the date formats tried on it
        self.tried_formats: dict[str, set[str]] = {}
        self._working: Catalogue | None = None

    # ---- the catalogue as learned so far --------------------------------------------------------

    def working(self) -> Catalogue:
        """The starting catalogue with everything learned so far declared."""
        if self._working is None:
            self._working = self.base.overlay(self.learning.overrides(), source="probe")
        return self._working

    def touch(self) -> None:
        """Something was learned: the working catalogue is built again when next asked for."""
        self._working = None

    def dataset(self, name: str) -> Dataset:
        return self.working().get(name)

    def with_path(self, name: str, path: str) -> Dataset:
        """``name``'s working declaration at another path (placeholders name its filters)."""
        entry = {"datasets": {name: {"path": path}}}
        return self.working().overlay(entry, source="probe").get(name)

    # ---- requests -----------------------------------------------------------------------------

    def query(
        self, ds: Dataset, values: Mapping[str, str], *, size: int | None = PAGE
    ) -> tuple[str, dict[str, str]]:
        """Path and query of one request for canonical ``values``, spelled as ``ds`` declares,
        with a small first page where the paging declares a page size."""
        norm = normalise_filters(ds, dict(values), tz=self.tz)
        path, query = encode_request(ds, norm, tz=self.tz)
        paging = ds.dialect.paging
        if size is not None and paging.size_param and paging.style in ("pages", "offset"):
            query[paging.size_param] = str(min(size, paging.max_size or size))
            if paging.style == "pages":
                query[paging.page_param] = str(paging.first_page)
        return path, query

    def get(self, ds: Dataset, values: Mapping[str, str], **extra: str) -> Answer:
        path, query = self.query(ds, values)
        return self.wire.get(ds.name, path, {**query, **extra})

    # ---- what answers held --------------------------------------------------------------------

    def source_of(self, f: Filter) -> str | None:
        """The dataset whose id ``f`` holds (``contractId``: contracts)."""
        for ds in self.base:
            if ds.parent is None and fold(entity_of(ds.name) + "Id") == fold(f.name):
                return ds.name
        return None

    def column(self, dataset: str, name: str) -> list[Any]:
        """The values of our field ``name`` in ``dataset``'s answer (non-null, in order)."""
        found = self.located.get(dataset)
        if found is None:
            return []
        return [r[name] for r in found.rows if r.get(name) is not None]

    def ids(self, f: Filter) -> list[str]:
        """Ids the API returned for filter ``f`` (the invoiced meter first, for volumes)."""
        source = self.source_of(f)
        found = [str(v) for v in dict.fromkeys(self.column(source, "id"))] if source else []
        latest = self.latest_invoice()
        if f.name == "meterId" and latest and latest.get("meterId") is not None:
            meter = str(latest["meterId"])
            found = [meter, *(i for i in found if i != meter)]
        return found

    def latest_invoice(self) -> dict[str, Any] | None:
        """The invoice with the latest billing period in the invoices' answer."""
        found = self.located.get("invoices")
        dated = [
            (local_day(r.get("periodStart"), self.tz), r) for r in (found.rows if found else [])
        ]
        dated = [(d, r) for d, r in dated if d is not None]
        return max(dated, key=lambda dr: dr[0])[1] if dated else None

    def day(self) -> dt.date:
        """A day with data: the first day of the latest invoiced period, else two days ago."""
        latest = self.latest_invoice()
        if latest is not None:
            day = local_day(latest.get("periodStart"), self.tz)
            if day is not None:
                return day
        return dt.datetime.now(ZoneInfo(self.tz)).date() - dt.timedelta(days=2)
