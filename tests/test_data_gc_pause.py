"""The cyclic garbage collector waits while loads run, and comes back as it was."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from ecore_xl.data import DataService
from ecore_xl.data.gc_pause import paused


@pytest.fixture(autouse=True)
def collector_enabled() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    (gc.enable if was else gc.disable)()


def test_paused_for_the_block_and_enabled_after() -> None:
    with paused():
        assert not gc.isenabled()
        with paused():  # nested (a parent dataset loaded inside a load)
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled() -> None:
    gc.disable()
    with paused():
        pass
    assert not gc.isenabled()


def test_an_error_in_the_block_still_resumes_it() -> None:
    with pytest.raises(ZeroDivisionError), paused():
        1 / 0  # noqa: B018
    assert gc.isenabled()


def test_overlapping_loads_resume_it_when_the_last_ends() -> None:
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[bool] = []

    def first() -> None:
        with paused():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with paused():
            second_in.set()
            first_out.wait(5)
            seen.append(gc.isenabled())  # the first load ended, this one still runs
        seen.append(gc.isenabled())

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen == [False, True]


def test_a_fetch_pauses_it_while_pages_come_in(svc: DataService) -> None:
    during: list[bool] = []
    df = svc.fetch(
        "volumes", meterId="MTR-0001,MTR-0002", granularity="hour",
        **{"from": "2026-01-01", "to": "2026-03-01"},
        progress=lambda done, total: during.append(gc.isenabled()),
    )  # fmt: skip
    assert len(df) > 0 and during and not any(during)
    assert gc.isenabled()


def test_loads_that_overlap_without_end_still_collect(monkeypatch: pytest.MonkeyPatch) -> None:
    import ecore_xl.data.gc_pause as gc_pause

    monkeypatch.setattr(gc_pause, "LONGEST_PAUSE_S", 0.0)
    collected: list[int] = []
    monkeypatch.setattr(gc_pause.gc, "collect", lambda *a: collected.append(1) or 0)
    with paused():  # one load runs all along; others begin and end inside it
        for _ in range(3):
            with paused():
                pass
        assert not gc.isenabled() and len(collected) == 3
    assert gc.isenabled()
