"""The local-time grid of one delivery year, as numpy arrays (DST-correct for any zone).

A year is the half-open span from local midnight of 1 January to local midnight of the next
1 January, cut into quarter-hours in UTC. Every other granularity (hour, day, month, quarter) is a
run of consecutive quarter-hours, described here by the index of its first quarter-hour, so that a
coarser value is always ``np.add.reduceat`` of the finest one: sums are exact by construction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

QH = 900  # seconds in a quarter-hour
UTC = dt.UTC


def local_midnight_utc(day: dt.date, tz: ZoneInfo) -> int:
    """Epoch seconds of local midnight starting ``day`` in ``tz``."""
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=tz).timestamp())


@dataclass(frozen=True)
class YearCalendar:
    """Quarter-hour grid of one local year; index arrays point at first quarter-hours."""

    year: int
    start: int  # epoch seconds (UTC) of the first quarter-hour
    n: int  # number of quarter-hours
    days: tuple[dt.date, ...]  # the local dates of the year
    day_first: np.ndarray  # first QH index of each local day, plus n at the end
    hour_first: np.ndarray  # first QH index of each local clock hour
    month_first: np.ndarray  # first QH index of each local month (12), plus n
    day_of_qh: np.ndarray  # local day index of each QH
    weekday: np.ndarray  # 0=Monday of each QH (local)
    minute: np.ndarray  # local minute of day at the start of each QH
    peak: np.ndarray  # bool: Mon-Fri 08:00-20:00 local

    @property
    def qh_starts(self) -> np.ndarray:
        """Epoch seconds of every quarter-hour start."""
        return self.start + np.arange(self.n, dtype=np.int64) * QH

    def first_index(self, granularity: str) -> np.ndarray:
        """First-QH index of each bucket of ``granularity`` (without the closing n)."""
        if granularity == "quarterhour":
            return np.arange(self.n, dtype=np.int64)
        if granularity == "hour":
            return self.hour_first
        if granularity == "day":
            return self.day_first[:-1]
        if granularity == "month":
            return self.month_first[:-1]
        if granularity == "quarter":
            return self.month_first[:-1][::3]
        raise ValueError(granularity)

    def index_of(self, epoch: int) -> int:
        """QH index of an instant, clipped to 0..n (an instant inside a QH rounds up)."""
        i = -(-(epoch - self.start) // QH)
        return int(min(max(i, 0), self.n))


@lru_cache(maxsize=64)
def year_calendar(year: int, tz_name: str) -> YearCalendar:
    """Build (and cache) the calendar of ``year`` in time zone ``tz_name``."""
    tz = ZoneInfo(tz_name)
    first = dt.date(year, 1, 1)
    ndays = (dt.date(year + 1, 1, 1) - first).days
    days = tuple(first + dt.timedelta(days=i) for i in range(ndays))
    bounds = np.array(
        [local_midnight_utc(d, tz) for d in (*days, dt.date(year + 1, 1, 1))], dtype=np.int64
    )
    start = int(bounds[0])
    day_first = (bounds - start) // QH
    n = int(day_first[-1])
    per_day = np.diff(day_first)
    day_of_qh = np.repeat(np.arange(ndays, dtype=np.int32), per_day)

    # UTC offset of every QH: constant within a day except on transition days.
    utc = start + np.arange(n, dtype=np.int64) * QH
    offsets = np.empty(n, dtype=np.int64)
    for i in range(ndays):
        a, b = int(day_first[i]), int(day_first[i + 1])
        offsets[a:b] = _offset(int(bounds[i]), tz)
        if b - a != 96 or _offset(int(bounds[i + 1]) - 1, tz) != offsets[a]:
            for j in range(a, b):
                offsets[j] = _offset(int(utc[j]), tz)
    local = utc + offsets
    minute = ((local % 86400) // 60).astype(np.int32)
    weekday = np.array([d.weekday() for d in days], dtype=np.int8)[day_of_qh]
    peak = (weekday < 5) & (minute >= 8 * 60) & (minute < 20 * 60)
    hour_first = np.flatnonzero(local % 3600 == 0).astype(np.int64)
    if hour_first.size == 0 or hour_first[0] != 0:
        hour_first = np.concatenate([[0], hour_first])
    month_days = [i for i, d in enumerate(days) if d.day == 1]
    month_first = np.concatenate([day_first[month_days], [n]]).astype(np.int64)
    return YearCalendar(
        year=year,
        start=start,
        n=n,
        days=days,
        day_first=day_first.astype(np.int64),
        hour_first=hour_first,
        month_first=month_first,
        day_of_qh=day_of_qh,
        weekday=weekday,
        minute=minute,
        peak=peak,
    )


def _offset(epoch: int, tz: ZoneInfo) -> int:
    off = dt.datetime.fromtimestamp(epoch, tz).utcoffset() or dt.timedelta()
    return int(off.total_seconds())


def iso_z(epoch: int | float) -> str:
    """UTC ISO 8601 with Z, seconds precision."""
    return dt.datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_z_array(epochs: np.ndarray) -> list[str]:
    """Vectorised :func:`iso_z`: each text is its day's ``YYYY-MM-DDT`` and its time of day's
    ``hh:mm:ssZ``, both made once (a page of quarter-hours spans a few days and 96 times)."""
    days, seconds = np.divmod(epochs.astype(np.int64), 86400)
    day_list, second_list = days.tolist(), seconds.tolist()
    try:
        return [_DAY_TEXT[d] + _TIME_TEXT[s] for d, s in zip(day_list, second_list, strict=True)]
    except KeyError:
        pass
    if len(_DAY_TEXT) > _MAX_DAYS:
        _DAY_TEXT.clear()
    try:
        for d in set(day_list) - _DAY_TEXT.keys():
            _DAY_TEXT[d] = (_EPOCH_DAY + dt.timedelta(days=d)).isoformat() + "T"
    except OverflowError:  # beyond years 1-9999: numpy's texts
        return _iso_z_numpy(epochs)
    for s in set(second_list) - _TIME_TEXT.keys():
        _TIME_TEXT[s] = f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}Z"
    return [_DAY_TEXT[d] + _TIME_TEXT[s] for d, s in zip(day_list, second_list, strict=True)]


def _iso_z_numpy(epochs: np.ndarray) -> list[str]:
    """:func:`iso_z_array` by numpy (the reference; slower: a text per element)."""
    s = np.datetime_as_string(epochs.astype("datetime64[s]"), unit="s")
    return [x + "Z" for x in s.tolist()]


_EPOCH_DAY = dt.date(1970, 1, 1)
#: day number since 1970-01-01 -> ``YYYY-MM-DDT``; seconds of the day -> ``hh:mm:ssZ`` (at most
#: 86,400 of them); the days are forgotten beyond _MAX_DAYS (~270 years, ~1 MB each way)
_DAY_TEXT: dict[int, str] = {}
_TIME_TEXT: dict[int, str] = {}
_MAX_DAYS = 100_000
