"""A progress bar of a job's steps (:mod:`ecore_xl.progress`) on stderr, on a terminal only.

``refresh`` and ``report`` pass a :class:`StepBar` as their ``progress``: the bar counts the
job's parts (datasets fetched, the writing) and shows the current step's words beside it, the
same words Excel's status bar shows for the ribbon's buttons. Piped or redirected (a scheduled
job, a test), nothing is drawn.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from ecore_xl.progress import Step

__all__ = ["StepBar"]


class StepBar:
    """Call with each :class:`Step`; ``close()`` (or leaving the ``with``) ends the bar."""

    def __init__(self, label: str, *, enabled: bool | None = None) -> None:
        self._label = label
        self._enabled = sys.stderr.isatty() if enabled is None else enabled
        self._bar: Any = None
        self._done = 0
        self._text = ""

    def __call__(self, step: Step) -> None:
        if not self._enabled:
            return
        self._text = step.text  # before the bar's first drawing, which shows it
        if self._bar is None:
            self._bar = click.progressbar(
                length=step.total,
                label=self._label,
                file=sys.stderr,
                show_eta=False,
                show_pos=True,
                item_show_func=lambda _item: self._text,
            )
            self._bar.__enter__()
        self._bar.update(max(0, step.done - self._done), current_item=step.text)
        self._done = max(self._done, step.done)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None

    def __enter__(self) -> StepBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
