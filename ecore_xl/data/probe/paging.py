"""How the API pages, checked with pages of two records.

The baseline's signals (:func:`~ecore_xl.catalogue.learn.records.paging_signals`: a next link,
``meta.totalPages``, ``X-Total-Count``, a continuation token) say which style it likely is; a
page size parameter (the declared one, then the usual words) is asked for 2 records, and the
style's own move is tried: the next link or token the small page carries, page 2, offset 2.
The largest page is asked for once per API (a size far too large: the 400 says the maximum).
Once one dataset confirmed the style, the others only have to agree with their signals.
"""

from __future__ import annotations

from typing import Any

from ecore_xl.catalogue import Dataset
from ecore_xl.catalogue.dialect import DEFAULT_DIALECT, HEADER
from ecore_xl.catalogue.learn.records import PagingSignals, find_records, paging_signals
from ecore_xl.catalogue.learn.values import stated_maximum
from ecore_xl.catalogue.learn.vocabulary import PAGING_WORDS
from ecore_xl.data.probe.context import Context, Located, paging_spec
from ecore_xl.data.probe.wire import Answer

__all__ = ["check_paging", "settle_paging"]

_SMALL = 2
_TRIES = 6
_HUGE = 100_000


def _style(signals: PagingSignals) -> str | None:
    where = signals.where
    if "next" in where:
        return "next"
    if "total_pages" in where or "page" in where:
        return "pages"
    if "token" in where:
        return "cursor"
    if "total_items" in where:
        return "offset"
    return None


def check_paging(ctx: Context, name: str, located: Located) -> None:
    """Learn the dataset's paging (see the module docstring)."""
    sample = located.sample
    if sample is None:
        return
    guess = _style(sample.signals)
    checked = ctx.paging_checked
    if checked is not None and guess in (None, checked["style"]):
        ctx.learning.saw(name, "paging", checked)
        return
    spec, sure = _verify(ctx, name, located, guess)
    if spec is None:
        n = len(sample.records)
        ctx.learning.note(name, "paging", f"not checked: the first page held all {n} records "
                          "and said nothing of more", "seen", "ok")  # fmt: skip
        return
    if sure != "seen":  # the signals alone: a later dataset's pages may confirm it
        ctx.paging_pending[name] = spec
        return
    ctx.learning.saw(name, "paging", spec, sure)
    if checked is None:
        if spec["style"] in ("pages", "offset"):
            spec["max_size"] = _max_size(ctx, name, located, spec)
        ctx.paging_checked = spec
    ctx.touch()


def settle_paging(ctx: Context) -> None:
    """Datasets whose pages could not be checked take the style another dataset confirmed, if
    their signals say the same, else what their signals say (likely)."""
    checked = ctx.paging_checked
    for name, spec in ctx.paging_pending.items():
        if checked is not None and checked["style"] == spec["style"]:
            ctx.learning.saw(name, "paging", checked)
        else:
            ctx.learning.saw(name, "paging", spec, "likely")
    ctx.paging_pending.clear()
    ctx.touch()


def _base_query(ctx: Context, ds: Dataset, located: Located) -> tuple[str, dict[str, str]]:
    path, query = ctx.query(ds, located.values, size=None)
    return path, query


def _records(answer: Answer) -> list[dict[str, Any]] | None:
    found = find_records(answer.body) if answer.ok else None
    return found[1] if found else None


def _verify(
    ctx: Context, name: str, located: Located, guess: str | None
) -> tuple[dict[str, Any] | None, str]:
    ds = ctx.dataset(name)
    sample = located.sample
    if sample is None:
        return None, "seen"
    first = sample.records
    signals = sample.signals
    path, query = _base_query(ctx, ds, located)
    total = signals.values.get("total_items")
    if len(first) <= _SMALL and not (isinstance(total, int | str) and int(str(total)) > _SMALL):
        if guess is None:
            return None, "seen"
        return _from_signals(ds, guess, signals), "likely"
    size_key = signals.where.get("size", "").rsplit(".", 1)[-1] or None
    sizes = [ds.dialect.paging.size_param, size_key, *PAGING_WORDS["size"]]
    page_key = signals.where.get("page", "").rsplit(".", 1)[-1] or None
    first_page = signals.values.get("page") if signals.values.get("page") in (0, 1) else 1
    for size in [s for s in dict.fromkeys(sizes) if s][:_TRIES]:
        small = {**query, size: str(_SMALL)}
        if guess == "pages":
            small[page_key or ds.dialect.paging.page_param] = str(first_page)
        answer = ctx.wire.get(name, path, small)
        records = _records(answer)
        if records is None or len(records) != _SMALL:
            continue
        more = paging_signals(answer.body, answer.headers, sample.path)
        style = _style(more) or guess
        if style == "next" and "next" in more.where:
            return _next(more.where["next"]), "seen"
        if style == "cursor" and "token" in more.where:
            token = more.where["token"]
            param = token if token.startswith(HEADER) else token.rsplit(".", 1)[-1]
            return {"style": "cursor", "token": token, "token_param": param}, "seen"
        if style == "pages":
            for page in [page_key, ds.dialect.paging.page_param, *PAGING_WORDS["page"]][:_TRIES]:
                if not page:
                    continue
                second = ctx.wire.get(name, path, {**small, page: str(first_page + 1)})
                got = _records(second)
                if got and got != records:
                    spec = {
                        "style": "pages",
                        "page_param": page,
                        "first_page": first_page,
                        "size_param": size,
                        "max_size": ds.dialect.paging.max_size or 100,
                    }
                    for stop in ("total_pages", "total_items", "has_more"):
                        if stop in more.where:
                            spec[stop] = more.where[stop]
                    return spec, "seen"  # fmt: skip
        if style in ("offset", None):
            for offset in [ds.dialect.paging.offset_param, *PAGING_WORDS["offset"]][:_TRIES]:
                second = ctx.wire.get(name, path, {**query, size: str(_SMALL), offset: str(_SMALL)})
                got = _records(second)
                if got and got != records and got == first[_SMALL : 2 * _SMALL]:
                    spec = {"style": "offset", "offset_param": offset, "size_param": size,
                            "max_size": ds.dialect.paging.max_size or 100}  # fmt: skip
                    if "total_items" in more.where:
                        spec["total_items"] = more.where["total_items"]
                    return spec, "seen"
        break
    if guess is not None:
        return _from_signals(ds, guess, signals), "likely"
    return None, "seen"


def _next(where: str) -> dict[str, Any]:
    default = list(DEFAULT_DIALECT.paging.next)
    return {"style": "next", "next": default if where in default else [where, *default]}


def _from_signals(ds: Dataset, style: str, signals: PagingSignals) -> dict[str, Any]:
    """The declaration the signals alone suggest (names as declared where they say nothing)."""
    if style == "next":
        return _next(signals.where["next"])
    spec = paging_spec(ds.dialect.paging) if ds.dialect.paging.style == style else {"style": style}
    if style == "pages":
        spec.setdefault("page_param", signals.where.get("page", "page").rsplit(".", 1)[-1])
        spec.setdefault("size_param", signals.where.get("size", "pageSize").rsplit(".", 1)[-1])
    elif style == "offset":
        spec.setdefault("size_param", "limit")
    spec.setdefault("max_size", 100)
    for stop in ("total_pages", "total_items", "has_more"):
        if stop in signals.where and (style == "pages" or stop != "total_pages"):
            spec[stop] = signals.where[stop]
    if style == "cursor":
        token = signals.where["token"]
        spec = {
            "style": "cursor",
            "token": token,
            "token_param": token if token.startswith(HEADER) else token.rsplit(".", 1)[-1],
        }
    return spec  # fmt: skip


def _max_size(ctx: Context, name: str, located: Located, spec: dict[str, Any]) -> int:
    """The largest page: a size far too large is a 400 that says it (else the size asked)."""
    ds = ctx.dataset(name)
    path, query = _base_query(ctx, ds, located)
    answer = ctx.wire.get(name, path, {**query, spec["size_param"]: str(_HUGE)})
    if answer.ok:
        return 1000
    return stated_maximum(answer.message.split(":", 1)[-1]) or int(spec.get("max_size") or 100)
