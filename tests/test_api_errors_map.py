"""Pure parsers of the error mapping: Retry-After, quota replenish time, B2C descriptions."""

from __future__ import annotations

import email.utils

import pytest

from ecore_xl.api.backoff import backoff_delay
from ecore_xl.api.errors_map import (
    b2c_code,
    correlation_id,
    human_seconds,
    parse_replenish,
    parse_retry_after,
)

NOW = 1_780_000_000.0


def test_retry_after_as_seconds_and_as_http_date() -> None:
    assert parse_retry_after("7", NOW) == 7.0
    date = email.utils.formatdate(NOW + 90, usegmt=True)
    assert parse_retry_after(date, NOW) == pytest.approx(90, abs=1)
    assert parse_retry_after(email.utils.formatdate(NOW - 90, usegmt=True), NOW) == 0.0
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None


def test_quota_replenish_time_with_and_without_days() -> None:
    msg = "Out of call volume quota. Quota will be replenished in 02:05:30."
    assert parse_replenish(msg) == 2 * 3600 + 5 * 60 + 30
    assert parse_replenish("Quota will be replenished in 1.00:00:10.") == 86_410
    assert parse_replenish("Rate limit is exceeded.") is None


def test_b2c_description_yields_code_and_correlation_id() -> None:
    text = (
        "AADB2C90081: The specified client_secret does not match.\r\n"
        "Correlation ID: 0d9b7d1e-2f6a-4c1b-9a51-0a4c3b2f1e00\r\n"
        "Timestamp: 2026-03-01 10:00:00Z\r\n"
    )
    assert b2c_code(text) == "AADB2C90081"
    assert correlation_id(text) == "0d9b7d1e-2f6a-4c1b-9a51-0a4c3b2f1e00"
    assert correlation_id("no id here") is None


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(45, "45 s"), (60, "1 min"), (125, "2 min 5 s"), (3600, "1 h"), (7500, "2 h 5 min")],
)
def test_human_seconds(seconds: float, text: str) -> None:
    assert human_seconds(seconds) == text


def test_backoff_grows_with_jitter_and_stays_capped() -> None:
    delays = [backoff_delay(n) for n in range(12)]
    assert 0.25 <= delays[0] <= 0.5
    assert 2.0 <= delays[3] <= 4.0
    assert all(d <= 30.0 for d in delays)
    assert len({backoff_delay(2) for _ in range(20)}) > 1  # jittered, not lock-step
