"""The dialect layer between the contract's handlers (:mod:`.routes`) and the HTTP reply.

One request: the dialect's path and parameters become the contract's (:mod:`.inbound`); the
dialect's own rules (a parent that must exist, granularities per commodity) are checked; the
handler answers in the contract's terms; the collection is paged in the dialect's style
(:mod:`.paging`), its records translated and enveloped (:mod:`.outbound`), or the failure written
as the dialect's error body (:mod:`.problems`). The portfolio itself is never forked.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

from . import paging, problems, wire
from .dialect import Dialect, Route
from .inbound import Canonical, first_values, in_dialect, translate
from .outbound import Outbound
from .portfolio import Portfolio
from .routes import (
    HANDLERS,
    ROUTE_NOT_FOUND,
    VOLUME_GRANULARITIES,
    ApiFail,
    Query,
    Reply,
    VolumeRecords,
    invalid,
    not_found,
)

ExtraFor = Callable[[Sequence[str]], dict[str, object] | None]
_LABELS = {"contract": "Contract", "meter": "Meter", "portfolio": "Portfolio"}


class Edge:
    """Answers the API's requests in one dialect."""

    def __init__(self, dialect: Dialect, portfolio: Portfolio, api_prefix: str = "/v1") -> None:
        self.dialect = dialect
        self.pf = portfolio
        self.api_prefix = api_prefix
        self.out = Outbound(dialect, portfolio.tz)

    def routes(self, path: str) -> bool:
        """Whether ``path`` (below the base URL) is one of the dialect's paths."""
        return self.dialect.match(path) is not None

    def answer(
        self,
        path: str,
        pairs: list[tuple[str, str]],
        headers: Mapping[str, str],
        *,
        base_url: str,
        page_size: int,
        extra_for: ExtraFor,
    ) -> Reply:
        """The reply to a GET of ``path`` that passed the gateway."""
        found = self.dialect.match(path)
        if found is None:
            return ROUTE_NOT_FOUND
        route, filled = found
        try:
            req = translate(self.dialect, route, filled, pairs, path, self.pf)
            self._dialect_rules(route, filled, req)
            handler = HANDLERS[(route.dataset, route.single)][0]
            try:
                result = handler(self.pf, Query(list(req.values.items()), self.pf), req.args)
            except ApiFail as fail:
                raise in_dialect(fail, req.spelling) from None
            extra = extra_for(self._extra_keys(route, path))
            if route.single:
                rec = self.out.record(route.dataset, result)  # type: ignore[arg-type]
                return Reply(200, self.out.single({**rec, **extra} if extra else rec))
            win = paging.window(self.dialect.paging, first_values(pairs), headers, page_size)
        except ApiFail as fail:
            style = self.dialect.unknown_id if fail.what else self.dialect.errors
            return problems.render(style, fail, self.api_prefix + path)
        return self._page(route, path, pairs, req, result, win, base_url, extra)

    def reuse_key(
        self,
        path: str,
        pairs: list[tuple[str, str]],
        headers: Mapping[str, str],
        *,
        base_url: str,
        page_size: int,
        extra_for: ExtraFor,
    ) -> Hashable | None:
        """What decides the bytes of :meth:`answer` where they are worth keeping (a volumes
        page), or None: the path, the query pairs in their order, the headers the paging reads,
        the base URL of the next links, the page size and the extra fields served there."""
        found = self.dialect.match(path)
        if found is None or found[0].dataset != "volumes" or found[0].single:
            return None
        extra = extra_for(self._extra_keys(found[0], path))
        read = paging.headers_read(self.dialect.paging, headers)
        return (path, tuple(pairs), read, base_url, page_size, repr(extra))

    # ------------------------------------------------------------------ collections
    def _page(
        self,
        route: Route,
        path: str,
        pairs: list[tuple[str, str]],
        req: Canonical,
        result: Any,
        win: paging.Window,
        base_url: str,
        extra: dict[str, object] | None,
    ) -> Reply:
        volumes = isinstance(result, VolumeRecords)
        if volumes:
            result = result.in_unit(self.dialect.energy_unit)
        total = len(result)
        stop = total if win.size is None else win.start + win.size
        page = list(result[win.start : stop])
        resolution = None
        if route.dataset == "volumes":
            resolution = self.dialect.granularity_values[req.values.get("granularity") or "hour"]
        items = self.out.records(route.dataset, page, resolution)
        if not items and route.dataset == "volumes" and self.dialect.volume_shape == "series":
            meter = req.values.get("meterId")
            if meter:
                kind = req.values.get("type") or "actual"
                unit = self.dialect.energy_unit
                items = [self.out.empty_series(meter, kind, unit, resolution)]
        if extra:
            items = [{**item, **extra} for item in items]
        info = paging.describe(
            self.dialect.paging, win, total, link_base=base_url + path, pairs=pairs
        )
        plain = volumes and result.plain_floats(win.start, stop) and wire.plain_floats(extra)
        body = self.out.collection(items, info)
        return Reply(200, body, info.headers, page=True, reusable=volumes, plain_floats=plain)

    # ------------------------------------------------------------------ rules
    def _dialect_rules(self, route: Route, filled: dict[str, str], req: Canonical) -> None:
        if route.parent is not None:
            ident = next(iter(filled.values()))
            if ident not in self.pf.by_id[route.parent]:
                raise not_found(_LABELS[route.parent], ident)
        if route.dataset == "volumes" and self.dialect.granularity_by_commodity:
            self._granularity_rule(req)

    def _granularity_rule(self, req: Canonical) -> None:
        """A meter (or a contract's meters) of a commodity served only at some granularities."""
        d = self.dialect
        granularity = req.values.get("granularity") or "hour"
        if granularity not in VOLUME_GRANULARITIES:
            return  # the handler names the bad value
        meter, contract = req.values.get("meterId"), req.values.get("contractId")
        if meter:
            what, ident, rec = "Meter", meter, self.pf.by_id["meter"].get(meter)
        elif contract:
            what, ident, rec = "Contract", contract, self.pf.by_id["contract"].get(contract)
        else:
            return
        if rec is None:
            return  # the handler answers 404
        allowed = d.granularity_by_commodity.get(rec["commodity"])
        if allowed and granularity not in allowed:
            param = d.granularity_param
            spelled = ", ".join(d.granularity_values[g] for g in allowed)
            raise invalid(
                param,
                f"{what} '{ident}' is {rec['commodity']}: '{param}' must be one of {spelled}; "
                f"got '{d.granularity_values[granularity]}'.",
            )

    def _extra_keys(self, route: Route, path: str) -> list[str]:
        collection = self.dialect.collection_route(route.dataset)
        keys = [route.dataset, collection.template if collection else "", route.template, path]
        return list(dict.fromkeys(k for k in keys if k))
