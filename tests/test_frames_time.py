"""Time handling: DST days in Europe/Berlin, the wide volume grid, the Excel row limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from ecore_xl.catalogue import builtin_catalogue
from ecore_xl.data.frames import (
    EXCEL_MAX_ROWS,
    check_excel_rows,
    records_to_frame,
    volumes_wide,
)
from ecore_xl.errors import TooManyRowsError, UsageError

VOLUMES = builtin_catalogue().get("volumes")
BERLIN = ZoneInfo("Europe/Berlin")


def local_day_utc(day: str) -> tuple[datetime, datetime]:
    """[local midnight, next local midnight) of a Berlin day, in UTC (oracle: zoneinfo)."""
    d = datetime.fromisoformat(day)
    start = d.replace(tzinfo=BERLIN).astimezone(UTC)
    end = (d + timedelta(days=1)).replace(tzinfo=BERLIN).astimezone(UTC)
    return start, end


def day_records(day: str, step_minutes: int, meter: str = "MT-001") -> list[dict[str, object]]:
    start, end = local_day_utc(day)
    out = []
    t, i = start, 0
    while t < end:
        out.append(
            {
                "meterId": meter,
                "start": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "value": float(i),
                "unit": "MWh",
                "type": "actual",
                "quality": "measured",
            }
        )
        t += timedelta(minutes=step_minutes)
        i += 1
    return out


def expected_local(recs: list[dict[str, object]]) -> list[pd.Timestamp]:
    """Wall-clock times computed independently of pandas, with zoneinfo."""
    out = []
    for r in recs:
        utc = datetime.strptime(str(r["start"]), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        out.append(pd.Timestamp(utc.astimezone(BERLIN).replace(tzinfo=None)))
    return out


@pytest.mark.parametrize(
    ("day", "step", "rows"),
    [
        ("2026-03-29", 15, 92),
        ("2026-10-25", 15, 100),
        ("2026-06-15", 15, 96),
        ("2026-03-29", 60, 23),
        ("2026-10-25", 60, 25),
    ],
)
def test_dst_day_row_counts_and_local_times(day: str, step: int, rows: int) -> None:
    recs = day_records(day, step)
    assert len(recs) == rows
    df = records_to_frame(VOLUMES, recs)
    assert len(df) == rows
    assert df["startLocal"].tolist() == expected_local(recs)
    assert df["startLocal"].dt.date.eq(pd.Timestamp(day).date()).all()
    # the value stays on its interval: value i belongs to the i-th UTC interval
    assert df["value"].tolist() == [float(i) for i in range(rows)]
    first, _ = local_day_utc(day)
    assert df["start"].iloc[0] == pd.Timestamp(first)


def test_spring_forward_skips_the_missing_hour() -> None:
    df = records_to_frame(VOLUMES, day_records("2026-03-29", 15))
    hours = df["startLocal"].dt.hour
    assert not (hours == 2).any()
    assert df["startLocal"].iloc[8] == pd.Timestamp("2026-03-29 03:00")  # 02:00 -> 03:00


def test_fall_back_repeats_the_hour_in_order() -> None:
    df = records_to_frame(VOLUMES, day_records("2026-10-25", 15))
    at_two = df[df["startLocal"].dt.hour == 2]
    assert len(at_two) == 8
    assert at_two["start"].dt.strftime("%H:%M").tolist() == [
        "00:00", "00:15", "00:30", "00:45", "01:00", "01:15", "01:30", "01:45",
    ]  # fmt: skip


def test_wide_grid_on_the_long_day() -> None:
    recs = day_records("2026-10-25", 15, "MT-001") + day_records("2026-10-25", 15, "MT-002")
    for r in recs[100:]:
        r["value"] = float(r["value"]) + 1000.0  # type: ignore[arg-type]
    long = records_to_frame(VOLUMES, recs)
    wide = volumes_wide(long)
    assert list(wide.columns) == ["startLocal", "start", "utcOffset", "MT-001", "MT-002"]
    assert len(wide) == 100
    assert wide["start"].is_monotonic_increasing
    assert wide["utcOffset"].iloc[0] == "+02:00" and wide["utcOffset"].iloc[-1] == "+01:00"
    assert (wide["utcOffset"] == "+02:00").sum() == 12  # 00:00-02:45 CEST
    second_two = wide.index[wide["startLocal"] == pd.Timestamp("2026-10-25 02:00")]
    assert len(second_two) == 2
    row = wide.loc[second_two[1]]
    assert row["start"] == pd.Timestamp("2026-10-25T01:00:00Z")
    assert row["utcOffset"] == "+01:00"
    assert row["MT-001"] == 12.0 and row["MT-002"] == 1012.0
    assert wide["MT-001"].dtype == "float64"


def test_wide_grid_missing_values_are_nan_and_meter_order_kept() -> None:
    a = day_records("2026-06-15", 60, "MT-B")
    b = day_records("2026-06-15", 60, "MT-A")[5:]  # MT-A starts late
    b[0]["value"] = 0.0
    wide = volumes_wide(records_to_frame(VOLUMES, a + b))
    assert list(wide.columns[3:]) == ["MT-B", "MT-A"]
    assert wide["MT-A"].iloc[:5].isna().all()
    assert wide["MT-A"].iloc[5] == 0.0  # a real zero is not a gap
    assert wide["MT-B"].notna().all()


def test_wide_grid_sorted_by_start_even_if_records_are_not() -> None:
    recs = day_records("2026-03-29", 60)
    wide = volumes_wide(records_to_frame(VOLUMES, list(reversed(recs))))
    assert wide["start"].is_monotonic_increasing
    assert wide["MT-001"].tolist() == [float(i) for i in range(23)]
    assert wide["startLocal"].iloc[2] == pd.Timestamp("2026-03-29 03:00")


def test_wide_grid_of_nothing() -> None:
    wide = volumes_wide(records_to_frame(VOLUMES, []))
    assert list(wide.columns) == ["startLocal", "start", "utcOffset"]
    assert len(wide) == 0


def test_wide_grid_refuses_two_values_per_meter_and_interval() -> None:
    recs = day_records("2026-06-15", 60)
    forecast = [dict(r, type="forecast") for r in recs]
    with pytest.raises(UsageError, match="two values for meterId MT-001"):
        volumes_wide(records_to_frame(VOLUMES, recs + forecast))


def test_too_many_rows_refused_with_advice() -> None:
    fits = pd.DataFrame({"x": np.zeros(EXCEL_MAX_ROWS - 1, dtype="int8")})
    check_excel_rows(fits, "volumes")
    too_many = pd.DataFrame(index=pd.RangeIndex(EXCEL_MAX_ROWS))
    with pytest.raises(TooManyRowsError) as info:
        check_excel_rows(too_many, "volumes MT-001")
    message = str(info.value)
    assert "volumes MT-001" in message and "1,048,576 rows" in message
    assert "wide" in message and "granularity" in message and "shorter" in message
    assert info.value.exit_code == 2
