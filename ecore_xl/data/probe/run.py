"""One probe run: the datasets in the order their ids and dates are needed, then the proposal,
then the proposal checked against the answers.

Order: structure first (its ids fill later requests), invoices before volumes (the latest billed
month is the day volumes are asked for), positions last. A dataset asked for alone brings the
datasets whose ids it needs, and invoices when it has energy figures (their lines state the
unit): probed, not written. Each dataset: its baseline
(:mod:`.locate`), paging (:mod:`.paging`), filters (:mod:`.filters`), one record and the
granularities per commodity (:mod:`.shapes`); then the unit of energy figures no name states
(:func:`~ecore_xl.catalogue.learn.sample.settle_energy`); then, with the proposed catalogue,
one page of each dataset read again through the client and typed into a frame: the proposal
must read what the API sends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ecore_xl.catalogue import Catalogue, load_catalogue
from ecore_xl.catalogue.learn import Learning
from ecore_xl.catalogue.learn.sample import settle_energy
from ecore_xl.data.probe.context import Context
from ecore_xl.data.probe.filters import check_filters
from ecore_xl.data.probe.locate import locate
from ecore_xl.data.probe.paging import check_paging, settle_paging
from ecore_xl.data.probe.shapes import check_granularities, check_single
from ecore_xl.data.probe.wire import BUDGET, OverBudget, Wire
from ecore_xl.errors import EcoreError, OfflineError

if TYPE_CHECKING:
    from ecore_xl.api import EcoreClient
    from ecore_xl.config import Settings

__all__ = ["ORDER", "ProbeResult", "probe_catalogue"]

ORDER = (
    "legal-entities", "business-units", "meters", "relationships", "contracts", "portfolios",
    "clicks", "invoices", "volumes", "positions",
)  # fmt: skip


@dataclass
class ProbeResult:
    """What a probe found (``learning.findings``), its override, and what it cost."""

    learning: Learning
    overrides: dict[str, Any]
    datasets: list[str]
    requests: int
    per_dataset: dict[str, int] = field(default_factory=dict)

    @property
    def changes(self) -> bool:
        """Whether the override declares anything."""
        return bool(self.overrides.get("datasets") or self.overrides.get("dialect"))

    @property
    def problems(self) -> list[str]:
        """Findings no declaration fixes (the API ignores a required filter, a path is missing)."""
        return [f"{f.dataset or 'API'}: {f.subject}: {f.says}" for f in self.learning.findings
                if f.status == "problem"]  # fmt: skip


def refuse_offline(settings: Settings) -> None:
    """OfflineError in offline mode: the probe only asks the API (checked before anything else)."""
    if settings.offline:
        raise OfflineError(
            "Offline (ECORE_OFFLINE=1): the probe compares the live API with the catalogue; run it "
            "online."
        )


def probe_catalogue(
    datasets: Sequence[str] = (),
    *,
    settings: Settings | None = None,
    catalogue: Catalogue | None = None,
    client: EcoreClient | None = None,
    budget: int = BUDGET,
) -> ProbeResult:
    """Probe the configured API for ``datasets`` (default: all) against the catalogue in effect.

    Raises OfflineError in offline mode (the probe only asks the API), the client's ApiError when
    the API cannot be reached, CatalogueError for an unknown dataset.
    """
    from ecore_xl.config import Settings

    settings = settings or Settings.load()
    refuse_offline(settings)
    catalogue = catalogue if catalogue is not None else load_catalogue(settings.catalogue)
    wanted = [catalogue.get(n).name for n in datasets] or [ds.name for ds in catalogue]
    own_client = client is None
    if client is None:
        from ecore_xl.api import EcoreClient

        client = EcoreClient(settings)
    try:
        wire = Wire(client, budget)
        ctx = Context(catalogue, wire, tz=settings.timezone, source=f"probe of {settings.base_url}")
        for name in _order(catalogue, wanted):
            _probe_one(ctx, name, full=name in wanted)
        settle_paging(ctx)
        settle_energy(ctx.learning, ctx.samples, tz=ctx.tz)
        overrides = ctx.learning.overrides(only=wanted)
        _verify(ctx, client, overrides, wanted)
        return ProbeResult(ctx.learning, overrides, wanted, wire.total, dict(wire.counts))
    finally:
        if own_client:
            client.close()


def _order(catalogue: Catalogue, wanted: Sequence[str]) -> list[str]:
    """``wanted`` and the datasets their ids come from, in :data:`ORDER` (then the rest)."""
    needed = set(wanted)
    for name in list(wanted):
        needed |= _needs(catalogue, name)
    known = [n for n in ORDER if n in needed]
    rest = [ds.name for ds in catalogue if ds.name in needed and ds.name not in known]
    return known + rest


def _needs(catalogue: Catalogue, name: str) -> set[str]:
    from ecore_xl.catalogue.learn.names import entity_of, fold
    from ecore_xl.catalogue.units import dimension

    ds = catalogue.get(name)
    out: set[str] = set()
    ids = {fold(entity_of(d.name) + "Id"): d.name for d in catalogue if d.parent is None}
    for f in ds.filters:
        source = ids.get(fold(f.name))
        if f.type == "id" and source and source != name:
            out.add(source)
    if ds.granularity is not None and ds.granularity.source in catalogue:
        out.add(ds.granularity.source)
    if any(f.required and f.type == "date" for f in ds.filters) and "invoices" in catalogue:
        out.add("invoices")  # the latest billed month: a day with data
    energy = any(f.unit and dimension(f.unit) == "energy" for f in ds.fields)
    if energy and "invoices" in catalogue:
        out.add("invoices")  # its lines state the energy unit, if no name does
    if ds.parent:
        out.add(ds.parent)
    return out - {name}


def _probe_one(ctx: Context, name: str, *, full: bool) -> None:
    ds = ctx.base.get(name)
    if ds.parent is not None:
        ctx.learning.note(name, "dataset", f"one row per {ds.explode} of {ds.parent}: follows "
                          f"{ds.parent}", "seen", "ok")  # fmt: skip
        return
    try:
        located = locate(ctx, name)
        if located is None:
            return
        ctx.learning.note(name, "dataset", f"GET {located.answer.asked.split('?')[0]}: "
                          f"{len(located.rows)} records", "seen", "ok")  # fmt: skip
        check_paging(ctx, name, located)
        if full:
            check_filters(ctx, name, located)
            check_single(ctx, name, located)
            check_granularities(ctx, name, located)
    except OverBudget:
        ctx.learning.note(name, "requests", f"stopped after {ctx.wire.budget} requests: what it "
                          "found so far stands", "seen", "problem")  # fmt: skip


def _verify(
    ctx: Context, client: EcoreClient, overrides: dict[str, Any], wanted: Sequence[str]
) -> None:
    """Read one page of each dataset again with the proposal, into a frame (pandas, here)."""
    from ecore_xl.data.frames import records_to_frame

    proposed = ctx.base.overlay(overrides, source="the probe's proposal")
    for name in wanted:
        located = ctx.located.get(name)
        if located is None:
            continue
        ds = proposed.get(name)
        values = {k: v for k, v in located.values.items() if any(f.name == k for f in ds.filters)}
        try:
            path, query = ctx.query(ds, values)
            ctx.wire.counts[name] += 1
            page = next(iter(client.iter_pages(path, query, dialect=ds.dialect, dataset=name)))
            records_to_frame(ds, page.records, tz=ctx.tz)
        except StopIteration:
            continue
        except EcoreError as exc:
            ctx.learning.note(name, "check", f"with the proposal: {exc}", "seen", "problem")
        else:
            ctx.learning.note(name, "check", f"the proposal reads GET {path}: "
                              f"{len(page.records)} records", "seen", "ok")  # fmt: skip
