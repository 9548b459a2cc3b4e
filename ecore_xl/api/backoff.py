"""Exponential backoff with jitter, shared by token and data retries."""

from __future__ import annotations

import random

__all__ = ["backoff_delay"]

BASE_DELAY = 0.5
MAX_DELAY = 30.0


def backoff_delay(attempt: int, rng: random.Random | None = None) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based): 0.25–0.5 s, 0.5–1 s, ...

    "Equal jitter": half the exponential step is fixed, half random, so many threads hit by the
    same failure do not retry in lock step, and none retries immediately.
    """
    step = min(MAX_DELAY, BASE_DELAY * (2 ** max(0, attempt)))
    return step / 2 + (rng or random).random() * step / 2
