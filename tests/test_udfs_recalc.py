"""A simulated recalculation: 1,000 cells, 50 distinct requests, each cell called up to 3 times.

Excel calls a formula again when a precedent changes, when the sheet is recalculated in full and,
for array formulas, more than once per cell; with ``async_mode`` the calls run on several threads.
Here eight threads play that, in a shuffled order. Each "distinct thing" is one API request
because every volume window lies inside one month (the data layer's chunk) and every answer fits
in one page, so the mock's data-request count must be exactly the number of distinct requests.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import ecore_xl.excel.udfs as udfs
from ecore_xl.data import DataService
from ecore_xl.mock import MockServer
from tests import udfs_fixtures as fx
from tests.udfs_fixtures import excel_serial

mock_server = fx.mock_server
udf_log_closed = fx.udf_log_closed
service = fx.service

METERS = ("MTR-0001", "MTR-0002", "MTR-0003", "MTR-0004")
Cell = tuple[Callable[..., Any], tuple[Any, ...], int]  # function, arguments, which thing


def _spellings(day: dt.date) -> list[Any]:
    """One date the three ways a cell may hold it: ISO text, an Excel date, a serial number."""
    return [day.isoformat(), dt.datetime(day.year, day.month, day.day), excel_serial(day)]


def _volume_things(n: int) -> list[tuple[str, dt.date, dt.date]]:
    """``n`` distinct (meter, one-day window in March 2026) requests."""
    days = [dt.date(2026, 3, d) for d in range(1, 29)]
    things = [(m, d, d + dt.timedelta(days=1)) for d in days for m in METERS]
    return things[:n]


def _recalculate(cells: list[Cell], rng: random.Random) -> dict[int, list[Any]]:
    """Call every cell 1-3 times from 8 threads in random order; answers grouped by thing."""
    calls = [cell for cell in cells for _ in range(rng.randint(1, 3))]
    rng.shuffle(calls)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda c: (c[2], c[0](*c[1])), calls))
    by_thing: dict[int, list[Any]] = {}
    for thing, answer in answers:
        by_thing.setdefault(thing, []).append(answer)
    return by_thing


def _assert_consistent(by_thing: dict[int, list[Any]], n: int) -> None:
    assert sorted(by_thing) == list(range(n))
    for answers in by_thing.values():
        assert not any(isinstance(a, str) and a.startswith("#ECORE!") for a in answers), answers[0]
        assert all(a == answers[0] for a in answers)


def test_1000_volume_cells_50_distinct_make_50_requests(
    mock_server: MockServer, service: DataService
) -> None:
    rng = random.Random(7)
    things = _volume_things(50)
    cells: list[Cell] = []
    for i in range(1000):
        k = i % 50
        meter, start, end = things[k]
        a, b = rng.choice(_spellings(start)), rng.choice(_spellings(end))
        cells.append((udfs.ECORE_VOLUMES, (meter, a, b), k))
    by_thing = _recalculate(cells, rng)
    _assert_consistent(by_thing, 50)
    assert mock_server.stats.data_requests == 50
    assert mock_server.stats.token_requests == 1
    assert all(len(answers[0]) == 25 for answers in by_thing.values())  # 24 hours + header


def test_1000_mixed_cells_make_one_request_per_distinct_question(
    mock_server: MockServer, service: DataService
) -> None:
    """50 distinct questions: 20 volume tables, 10 daily totals, 10 positions, 5 + 5 lists.

    ECORE_OPEN_POSITION asks the same positions request as ECORE_HEDGE_RATIO for the same
    portfolio and month, so its cells add answers but no requests. The totals name their meters
    ("meter:...") so no contract lookup is needed.
    """
    rng = random.Random(11)
    volume = _volume_things(20)
    questions: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []
    questions += [(udfs.ECORE_VOLUMES, (m, a.isoformat(), b.isoformat())) for m, a, b in volume]
    questions += [
        (
            udfs.ECORE_VOLUME_TOTAL,
            (f"meter:{METERS[i % 4]}", f"2026-0{1 + i // 4}-01", "2026-05-01"),
        )
        for i in range(10)
    ]
    months = [f"2026-{m:02d}" for m in range(1, 11)]
    questions += [(udfs.ECORE_HEDGE_RATIO, ("PF-0002", month)) for month in months]
    questions += [
        (udfs.ECORE_CONTRACTS, args)
        for args in [(), ("power",), ("gas",), (None, "active"), (None, "expired")]
    ]
    questions += [
        (udfs.ECORE_METERS, args)
        for args in [(), (None, "power"), (None, "gas"), ("BU-001",), ("BU-002",)]
    ]
    assert len(questions) == 50
    extra = [(udfs.ECORE_OPEN_POSITION, ("PF-0002", month)) for month in months]
    everything = questions + extra
    cells: list[Cell] = [
        (*everything[i % len(everything)], i % len(everything)) for i in range(1000)
    ]
    by_thing = _recalculate(cells, rng)
    _assert_consistent(by_thing, len(everything))
    assert mock_server.stats.data_requests == 50
    assert mock_server.stats.token_requests == 1


def test_a_second_recalculation_asks_nothing(mock_server: MockServer, service: DataService) -> None:
    rng = random.Random(3)
    cells: list[Cell] = [
        (udfs.ECORE_VOLUMES, (m, a.isoformat(), b.isoformat()), k)
        for k, (m, a, b) in enumerate(_volume_things(10))
    ]
    first = _recalculate(cells, rng)
    mock_server.reset_stats()
    second = _recalculate(cells, rng)
    assert mock_server.stats.data_requests == 0
    assert {k: v[0] for k, v in first.items()} == {k: v[0] for k, v in second.items()}
