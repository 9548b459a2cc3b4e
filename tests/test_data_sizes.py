"""Memory estimates for the cache budget: close to the real thing, cheap, and a year fits."""

from __future__ import annotations

import datetime as dt
import gc
import tracemalloc

import numpy as np
import orjson
import pandas as pd
import pytest

from ecore_xl.catalogue import builtin_catalogue
from ecore_xl.data import TTLCache
from ecore_xl.data.cache import DEFAULT_MAX_BYTES
from ecore_xl.data.frames import records_to_frame
from ecore_xl.data.service import _Result
from ecore_xl.data.sizes import frame_nbytes, records_nbytes
from ecore_xl.mock import MockServer
from tests.conftest import service_for
from tests.data_fixtures import meter_ids, month

#: a year of quarter-hours for 20 meters, as bench_fetch fetches it
YEAR_ROWS = 20 * 365 * 96
#: its 720 pages of 1,000 records as the mock sends them (~118 kB each)
YEAR_BODIES = 85_000_000


@pytest.fixture(scope="module")
def year() -> pd.DataFrame:
    """The long volumes frame of 20 meters x 35,040 quarter-hours, with its real dtypes."""
    start = pd.Series(
        pd.date_range("2025-01-01", periods=YEAR_ROWS // 20, freq="15min", tz="UTC")
    ).astype("datetime64[us, UTC]")
    n = YEAR_ROWS

    def text(values: list[str]) -> pd.Series:
        return pd.Series(values, dtype="str")

    return pd.DataFrame(
        {
            # distinct str objects per cell, as orjson makes them
            "meterId": text([f"MTR-{i // (n // 20) + 1:04d}" for i in range(n)]),
            "start": pd.concat([start] * 20, ignore_index=True),
            "startLocal": pd.concat([start] * 20, ignore_index=True)
            .dt.tz_convert("Europe/Berlin")
            .dt.tz_localize(None),
            "value": np.linspace(0, 1, n),
            "unit": text(["MWh" + "" * (i % 2) for i in range(n)]),
            "type": text(["".join(("act", "ual")) for _ in range(n)]),
            "quality": text(["".join(("meas", "ured")) for _ in range(n)]),
        }
    )


def test_frame_estimate_is_close_to_pandas_deep_count(year: pd.DataFrame) -> None:
    df = year
    real = int(df.memory_usage(index=True, deep=True).sum())
    estimate = frame_nbytes(df)
    assert 0.9 * real <= estimate <= 1.1 * real
    assert estimate < 250_000_000  # ~195 MB: not the 667 MB the old estimate said


def test_a_year_of_quarter_hours_for_20_meters_is_cached(year: pd.DataFrame) -> None:
    df = year
    bodies = tuple(b"x" * (YEAR_BODIES // 720) for _ in range(720))
    result = _Result(None, dt.datetime.now(dt.UTC), None, 240, bodies=bodies)
    result.frames["long"] = df
    assert sum(map(len, bodies)) + frame_nbytes(df) <= result.nbytes < DEFAULT_MAX_BYTES
    cache = TTLCache()
    cache.put("year", result, ttl=60)
    assert "year" in cache
    assert cache.stats.bytes == result.nbytes


def test_records_estimate_is_close_to_what_they_take() -> None:
    ds = builtin_catalogue().get("volumes")
    record = {
        "meterId": "MTR-0001",
        "start": "2025-01-01T00:00:00Z",
        "value": 0.374494,
        "unit": "MWh",
        "type": "actual",
        "quality": "measured",
        "tags": ["a", "b"],
    }
    body = orjson.dumps([record] * 5000)
    gc.collect()
    tracemalloc.start()
    try:
        records = orjson.loads(body)
        real = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert 0.8 * real <= records_nbytes(records) <= 1.25 * real
    assert records_nbytes([]) > 0
    assert frame_nbytes(records_to_frame(ds, [])) >= 0


def test_the_cache_counts_what_a_fetch_holds(srv: MockServer) -> None:
    """The page bytes received, deflated, and the frame built, not the records as dicts."""
    with service_for(srv) as svc:
        df = svc.fetch("volumes", meterId=meter_ids(srv)[:2], granularity="quarterhour",
                       **month(2026, 3))  # fmt: skip
        received, asked = svc.client.stats.bytes, svc.client.stats.requests
        held = svc.cache.stats.bytes
        records = svc.fetch_records("volumes", meterId=meter_ids(srv)[:2],
                                    granularity="quarterhour", **month(2026, 3))  # fmt: skip
        assert svc.client.stats.requests == asked  # the records came from the kept bodies
    frame = int(df.memory_usage(index=True, deep=True).sum())
    assert 0.9 * frame <= held <= 1.1 * frame + received / 8  # 5,952 rows: 700 kB -> ~40 kB
    assert [r["meterId"] for r in records] == df["meterId"].tolist()
    assert [r["value"] for r in records] == df["value"].tolist()
