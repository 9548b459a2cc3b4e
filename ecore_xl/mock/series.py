"""Synthetic metered volumes: one meter-year of quarter-hours as integer micro-MWh.

Integers make every coarser value an exact sum; a value leaves the mock as ``micro / 1e6``, which
has at most six decimals. Power meters get a daily and weekly shape, a winter bump and noise; gas
meters are metered daily (heating-driven) and a day's value is spread evenly over its
quarter-hours (the daily value is a multiple of the day's interval count, so sums stay exact).
Forecasts are the smooth shape without noise. Generation is seeded per (seed, meter, year, kind),
so it does not depend on the order in which meters are asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .calendar import YearCalendar

MICRO = 1_000_000


@dataclass(frozen=True)
class MeterProfile:
    """What the generator needs to know about a meter."""

    index: int  # stable number used to seed its series
    commodity: str  # "power" or "gas"
    annual_mwh: float
    shifts: int  # power: 1, 2 or 3 shift operation; gas: share of process gas in tenths
    weekend_factor: float


@dataclass(frozen=True)
class MeterYear:
    """Quarter-hour values (micro-MWh) and per-day estimated flags of one meter-year."""

    values: np.ndarray  # int64, one per QH of the calendar
    estimated_day: np.ndarray  # bool, one per local day


def generate(profile: MeterProfile, cal: YearCalendar, kind: str, seed: int) -> MeterYear:
    """Generate ``kind`` ("actual" or "forecast") volumes of a meter for one year."""
    kind_code = 1 if kind == "actual" else 2
    rng = np.random.default_rng([seed, profile.index, cal.year, kind_code])
    ndays = len(cal.days)
    doy = np.arange(ndays, dtype=np.float64)
    estimated = np.zeros(ndays, dtype=bool)
    if kind == "actual":
        estimated = rng.random(ndays) < 0.015
    if profile.commodity == "gas":
        values = _gas(profile, cal, doy, kind == "actual", estimated, rng)
    else:
        values = _power(profile, cal, doy, kind == "actual", estimated, rng)
    return MeterYear(values=values, estimated_day=estimated)


def _power(
    p: MeterProfile,
    cal: YearCalendar,
    doy: np.ndarray,
    noisy: bool,
    estimated: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    hour = cal.minute / 60.0
    workday = cal.weekday < 5
    start, end = {1: (6.0, 16.0), 2: (5.0, 22.0), 3: (0.0, 24.0)}.get(p.shifts, (6.0, 18.0))
    working = (hour >= start) & (hour < end)
    day_shape = np.where(working, 1.0, 0.45 if p.shifts < 3 else 0.9)
    day_shape = day_shape * (1.0 + 0.08 * np.sin((hour - 6.0) / 24.0 * 2 * np.pi))
    week = np.where(workday, 1.0, p.weekend_factor)
    season = 1.0 + 0.12 * np.cos(2 * np.pi * (doy - 15.0) / len(doy))
    shape = day_shape * week * season[cal.day_of_qh]
    base = shape / shape.sum() * p.annual_mwh * MICRO
    if noisy:
        day_level = 1.0 + 0.04 * rng.standard_normal(len(doy))
        noise = 1.0 + 0.06 * rng.standard_normal(cal.n)
        real = base * day_level[cal.day_of_qh] * np.clip(noise, 0.5, 1.5)
        base = np.where(estimated[cal.day_of_qh], base, real)
    return np.rint(np.maximum(base, 0.0)).astype(np.int64)


def _gas_daily(p: MeterProfile, cal: YearCalendar) -> np.ndarray:
    """Smooth daily gas volume (micro-MWh, float) summing to the annual consumption."""
    doy = np.arange(len(cal.days), dtype=np.float64)
    temp = 9.5 - 9.0 * np.cos(2 * np.pi * (doy - 20.0) / len(doy))
    heating = np.maximum(16.0 - temp, 0.0)
    process = p.shifts / 10.0
    weekday = np.array([d.weekday() for d in cal.days])
    week = np.where(weekday < 5, 1.0, p.weekend_factor)
    daily = process * week + (1.0 - process) * heating / max(heating.mean(), 1e-9)
    daily = daily * np.diff(cal.day_first) / 96.0
    return daily / daily.sum() * p.annual_mwh * MICRO


def monthly_weights(p: MeterProfile, cal: YearCalendar) -> np.ndarray:
    """Approximate share of the annual forecast in each month (cheap: daily resolution)."""
    if p.commodity == "gas":
        daily = _gas_daily(p, cal)
    else:
        doy = np.arange(len(cal.days), dtype=np.float64)
        weekday = np.array([d.weekday() for d in cal.days])
        week = np.where(weekday < 5, 1.0, p.weekend_factor)
        season = 1.0 + 0.12 * np.cos(2 * np.pi * (doy - 15.0) / len(doy))
        daily = week * season * np.diff(cal.day_first)
    month_of_day = np.array([d.month - 1 for d in cal.days])
    sums = np.bincount(month_of_day, weights=daily, minlength=12)
    return sums / sums.sum()


def _gas(
    p: MeterProfile,
    cal: YearCalendar,
    doy: np.ndarray,
    noisy: bool,
    estimated: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    daily = _gas_daily(p, cal)
    per_day = np.diff(cal.day_first)
    if noisy:
        real = daily * np.clip(1.0 + 0.08 * rng.standard_normal(len(doy)), 0.5, 1.5)
        daily = np.where(estimated, daily, real)
    per_qh = np.rint(np.maximum(daily, 0.0) / per_day).astype(np.int64)
    return np.repeat(per_qh, per_day)
