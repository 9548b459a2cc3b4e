"""The steps of a long job, told the same way on a terminal and in Excel's status bar.

A refresh or a report calls its ``progress`` with a :class:`Step` at each step: what it is
doing (``"volumes 2/5: request 12/40"``) and how far along the job is (``done`` of ``total``
parts). ``ecore-xl`` draws a progress bar from it; the ribbon shows ``eCore: <text>…`` in
Excel's status bar (:func:`status_text`), so both say the same words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

__all__ = ["Step", "StepCallback", "status_text"]


class Step(NamedTuple):
    """One step: its words, and the job's parts done and in all."""

    text: str
    done: int
    total: int


StepCallback = Callable[[Step], None]


def status_text(step: Step, prefix: str = "eCore") -> str:
    """The status-bar line of ``step``: ``eCore: volumes 2/5: request 12/40…``."""
    return f"{prefix}: {step.text}…"
