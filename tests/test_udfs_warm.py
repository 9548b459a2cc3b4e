"""A warm worksheet function: the Excel-ready answer kept with the cached result, answered on
the calling thread (no worker, no deadline), equal to a cold one; gone with the data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import ecore_xl.excel.udfs as udfs
from ecore_xl.data import DataService
from ecore_xl.data.service import NotCached
from ecore_xl.mock import MockServer
from tests import udfs_fixtures as fx

mock_server = fx.mock_server
udf_log_closed = fx.udf_log_closed
service = fx.service

DAY = ("MTR-0001", "2026-03-02", "2026-03-03")


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The calls that went to the worker pool (with its deadline)."""
    seen: list[str] = []
    real = udfs._within_deadline

    def counted(name: str, work: Callable[[], Any]) -> Any:
        seen.append(name)
        return real(name, work)

    monkeypatch.setattr(udfs, "_within_deadline", counted)
    return seen


def test_a_warm_call_is_the_kept_answer_on_the_calling_thread(
    mock_server: MockServer, service: DataService, hops: list[str]
) -> None:
    cold = udfs.ECORE_VOLUMES(*DAY)
    assert hops == ["ECORE_VOLUMES"] and mock_server.stats.data_requests == 1
    warm = udfs.ECORE_VOLUMES(*DAY)
    again = udfs.ECORE_VOLUMES(*DAY)
    assert hops == ["ECORE_VOLUMES"]  # no worker thread for an answer the cache holds
    assert warm == cold and again is warm  # one list, kept with the cached result
    assert mock_server.stats.data_requests == 1
    assert len(cold) == 1 + 24 and cold[0][:2] == ["meterId", "start"]


def test_options_and_layouts_are_answers_of_their_own_from_one_request(
    mock_server: MockServer, service: DataService
) -> None:
    full = udfs.ECORE_VOLUMES(*DAY)
    bare = udfs.ECORE_VOLUMES(*DAY, None, None, "header=false")
    picked = udfs.ECORE_VOLUMES(*DAY, None, None, "columns=value")
    wide = udfs.ECORE_VOLUMES(*DAY, None, "wide")
    assert bare == full[1:]
    assert picked == [["value"], *([row[full[0].index("value")]] for row in full[1:])]
    assert wide[0][-1] == "MTR-0001" and len(wide) == 25
    assert udfs.ECORE_VOLUMES(*DAY, None, None, "header=false") == bare
    assert mock_server.stats.data_requests == 1


def test_the_kept_answer_goes_with_the_data(
    mock_server: MockServer, service: DataService, hops: list[str]
) -> None:
    first = udfs.ECORE_VOLUMES(*DAY)
    service.cache.invalidate()  # expired, or the Refresh button
    second = udfs.ECORE_VOLUMES(*DAY)
    assert second == first and second is not first
    assert mock_server.stats.data_requests == 2 and hops == ["ECORE_VOLUMES"] * 2


def test_an_error_answer_is_not_kept(mock_server: MockServer, service: DataService) -> None:
    bad = udfs.ECORE_VOLUMES("MTR-0001", "2026-03-03", "2026-03-02")  # to before from
    assert isinstance(bad, str) and bad.startswith("#ECORE! ")
    assert udfs.ECORE_VOLUMES(*DAY)[0][0] == "meterId"


def test_cached_only_never_asks_the_api(mock_server: MockServer, service: DataService) -> None:
    span = {"meterId": "MTR-0002", "from": "2026-03-02", "to": "2026-03-03"}
    with pytest.raises(NotCached):
        service.fetch("volumes", cached_only=True, **span)
    assert mock_server.stats.data_requests == 0
    loaded = service.fetch("volumes", **span)
    again = service.fetch("volumes", cached_only=True, **span)
    assert again.equals(loaded) and mock_server.stats.data_requests == 1
