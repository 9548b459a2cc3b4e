"""A plan's requests are begun as the client's limit of pages in flight allows, in plan order."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from ecore_xl.api.concurrency import Concurrency
from ecore_xl.data import DataService
from ecore_xl.errors import EcoreError
from ecore_xl.mock import Faults, MockServer
from tests.data_fixtures import meter_ids

HALF_YEAR = {"from": "2026-01-01", "to": "2026-07-01"}


def count_downloads(monkeypatch: pytest.MonkeyPatch, fail_at: int | None = None) -> list[int]:
    """[most at once, begun]: DataService._download wrapped (``fail_at``: that one fails)."""
    lock, now, seen = threading.Lock(), [0], [0, 0]
    real = DataService._download

    def counted(self: DataService, *args: Any, **kwargs: Any) -> Any:
        with lock:
            now[0] += 1
            seen[0], seen[1] = max(seen[0], now[0]), seen[1] + 1
            begun = seen[1]
        try:
            if begun == fail_at:
                raise EcoreError("the API failed this request")
            return real(self, *args, **kwargs)
        finally:
            with lock:
                now[0] -= 1

    monkeypatch.setattr(DataService, "_download", counted)
    return seen


def test_no_more_requests_begun_than_pages_may_be_in_flight(
    svc: DataService, srv: MockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc.client.concurrency = Concurrency(2, start=2)  # 2 pages in flight; 16 worker threads
    seen = count_downloads(monkeypatch)
    monkeypatch.setattr(srv, "faults", Faults(latency_s=0.01))  # every thread would start one
    ids = meter_ids(srv)
    df = svc.fetch("volumes", meterId=",".join(ids), granularity="quarterhour", **HALF_YEAR)
    assert svc.settings.max_workers > 2 and seen[1] == 6 * len(ids)  # a meter and a month each
    assert len(df) > 0 and seen[0] == 2
    ordered = df["meterId"].drop_duplicates().tolist()
    assert ordered == ids and df.groupby("meterId")["start"].is_monotonic_increasing.all()


def test_the_first_failure_ends_the_load_and_begins_no_more(
    svc: DataService, srv: MockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc.client.concurrency = Concurrency(2, start=2)
    seen = count_downloads(monkeypatch, fail_at=3)
    with pytest.raises(EcoreError, match="failed this request"):
        svc.fetch("volumes", meterId=",".join(meter_ids(srv)), granularity="quarterhour",
                  **HALF_YEAR)  # fmt: skip
    assert seen[1] <= 5  # 18 planned: the two in progress finish, nothing new begins
