"""Two shapes the collection answer does not show: one record, and what each meter is offered.

* :func:`check_single` — ``GET <path>/<first id>``: where one record is in the answer (``data``,
  or the body itself), asked until one dataset answers (the envelope is API-wide);
* :func:`check_granularities` — for a dataset with a granularity rule (volumes per meter), one
  meter of each commodity asked the finest granularity for the baseline day, then coarser ones
  after each refusal (a 400 naming the granularity): what the API offers that commodity.
"""

from __future__ import annotations

from urllib.parse import quote

from ecore_xl.catalogue.learn.sample import learn_record_body
from ecore_xl.catalogue.learn.values import granularity_of
from ecore_xl.catalogue.learn.vocabulary import GRANULARITY_SECONDS
from ecore_xl.data.probe.context import Context, Located

__all__ = ["check_granularities", "check_single"]


def check_single(ctx: Context, name: str, located: Located) -> None:
    """Learn where one record is, from the first id of the answer (once per API)."""
    ds = ctx.dataset(name)
    if ctx.single_checked or ds.key is None or ds.path.rstrip("/").endswith("}"):
        return
    ids = [r.get(ds.key) for r in located.rows if r.get(ds.key) is not None]
    if not ids or ds.path_params():
        return
    path = f"{located.answer.asked.split('?', 1)[0].rstrip('/')}/{quote(str(ids[0]), safe='')}"
    answer = ctx.wire.get(name, path)
    if not answer.ok:
        return
    ctx.single_checked = True
    learn_record_body(ctx.learning, ds, answer.body, where=f"GET {path}")
    ctx.touch()


def check_granularities(ctx: Context, name: str, located: Located) -> None:
    """What the API offers each commodity's meters (see the module docstring)."""
    ds = ctx.dataset(name)
    rule = ds.granularity
    if rule is None or rule.per not in located.values:
        return
    f = ds.filter(rule.filter)
    order = sorted(
        f.allowed or (), key=lambda g: GRANULARITY_SECONDS.get(granularity_of(g) or "", 0)
    )
    source = ctx.located.get(rule.source)
    if source is None or not order:
        return
    meters: dict[str, str] = {}
    for row in source.rows:
        commodity, ident = row.get(rule.by), row.get("id")
        if commodity is not None and ident is not None:
            meters.setdefault(str(commodity).lower(), str(ident))
    offered: dict[str, list[str]] = {}
    for commodity, meter in meters.items():
        for i, granularity in enumerate(order):
            values = {**located.values, rule.per: meter, rule.filter: granularity}
            answer = ctx.get(ctx.dataset(name), values)
            if answer.ok:
                if i:
                    offered[commodity] = list(order[i:])
                break
            if not (answer.status == 400 and answer.target == f.param):
                break
    if offered:
        ctx.learning.saw(name, "granularities", offered)
        text = "; ".join(f"{c} meters: {', '.join(g)} only" for c, g in offered.items())
        ctx.learning.note(name, "granularities", f"{text} (finer ones refused)", "seen", "ok")
        ctx.touch()
