"""Paging against the mock in all three styles, and the page limit."""

from __future__ import annotations

import pytest

from ecore_xl.api import EcoreClient
from ecore_xl.api.paging import body_records
from ecore_xl.errors import PagingError
from ecore_xl.mock import MockServer
from tests.api_fixtures import Sleeps
from tests.conftest import settings_for

DAY = {"from": "2026-01-05", "to": "2026-01-06", "granularity": "quarterhour"}


@pytest.mark.parametrize("style", ["nextLink", "odata", "link"])
def test_every_record_once_over_several_pages(style: str) -> None:
    with MockServer(seed=42, meters=2, page_size=20, paging_style=style) as srv:
        settings = settings_for(srv)
        with EcoreClient(settings, sleep=Sleeps()) as client:
            meter = client.get_all("/meters")[0]["id"]
            srv.reset_stats()
            before = client.stats.bytes
            pages = list(client.iter_pages("/volumes", {"meterId": meter, **DAY}))
            received = client.stats.bytes - before
        assert [p.index for p in pages] == [0, 1, 2, 3, 4]
        assert [len(p.records) for p in pages] == [20, 20, 20, 20, 16]
        starts = [r["start"] for p in pages for r in p.records]
        assert len(starts) == 96 and len(set(starts)) == 96  # nothing twice, nothing lost
        assert starts == sorted(starts)
        assert len({p.url for p in pages}) == 5
        assert srv.stats.pages_served == 5 and srv.stats.data_requests == 5
        # each page keeps the bytes it came in, and they give the same records again
        assert sum(len(p.body) for p in pages) == received
        assert all(body_records(p.body) == p.records for p in pages)


def test_more_pages_than_max_pages_is_a_paging_error_not_a_cut() -> None:
    with (
        MockServer(seed=42, meters=2, page_size=20) as srv,
        EcoreClient(settings_for(srv, max_pages=3), sleep=Sleeps()) as client,
    ):
        meter = client.get_all("/meters")[0]["id"]
        srv.reset_stats()
        with pytest.raises(PagingError, match=r"ECORE_MAX_PAGES \(3\)"):
            client.get_all("/volumes", {"meterId": meter, **DAY})
        assert srv.stats.data_requests == 3  # no fourth page fetched
        assert client.stats.pages == 4  # 1 for /meters + 3


def test_exactly_max_pages_is_fine() -> None:
    with (
        MockServer(seed=42, meters=2, page_size=20) as srv,
        EcoreClient(settings_for(srv, max_pages=5), sleep=Sleeps()) as client,
    ):
        meter = client.get_all("/meters")[0]["id"]
        assert len(client.get_all("/volumes", {"meterId": meter, **DAY})) == 96
