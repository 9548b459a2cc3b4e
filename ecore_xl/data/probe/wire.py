"""The probe's requests: one GET at a time through the API client, counted and bounded.

An answer the probe learns from (200, a 400 naming a parameter, a 404 for a route or an id, a
body that is not JSON) is an :class:`Answer`; anything else the client raises (authentication,
quota, network, a 5xx after the retries) stops the probe, as it would stop a fetch. Each
dataset has a request budget: a probe is a few small requests, never a download.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from ecore_xl.errors import BadRequestError, EcoreError, NotFoundError, UnexpectedResponseError

if TYPE_CHECKING:
    from ecore_xl.api import EcoreClient

__all__ = ["BUDGET", "Answer", "OverBudget", "Wire"]

#: requests one dataset's probe may make
BUDGET = 40


class OverBudget(Exception):
    """A dataset's probe used its request budget; what it found so far stands."""


@dataclass
class Answer:
    """One answer: ``status`` 200 with ``body`` and ``headers``, or the ``error`` (400/404)."""

    url: str
    status: int
    #: the request as asked, relative to the base URL (``/meters?commodity=gas``)
    asked: str = ""
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    error: EcoreError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def route_missing(self) -> bool:
        """A 404 for the path itself (not an unknown id)."""
        return isinstance(self.error, NotFoundError) and self.error.route

    @property
    def unknown_id(self) -> bool:
        return isinstance(self.error, NotFoundError) and not self.error.route

    @property
    def target(self) -> str | None:
        """The parameter a 400 names."""
        return self.error.target if isinstance(self.error, BadRequestError) else None

    @property
    def message(self) -> str:
        return str(self.error) if self.error is not None else ""


class Wire:
    """GETs for the probe, counted per dataset (``counts``) and logged (``log``)."""

    def __init__(self, client: EcoreClient, budget: int = BUDGET) -> None:
        self.client = client
        self.budget = budget
        self.counts: Counter[str] = Counter()
        self.log: list[tuple[str, str, int]] = []

    def get(
        self,
        dataset: str,
        path: str,
        query: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        """One GET for ``dataset``; raises :class:`OverBudget` past its budget, and the client's
        error for anything but a 400 or 404."""
        if self.counts[dataset] >= self.budget:
            raise OverBudget(dataset)
        self.counts[dataset] += 1
        shown = path + (f"?{urlencode(dict(query))}" if query else "")
        try:
            response, body = self.client.get_answer(path, query, headers)
        except (BadRequestError, NotFoundError) as exc:
            self.log.append((dataset, shown, exc.status or 0))
            return Answer(shown, exc.status or 0, asked=shown, error=exc)
        except UnexpectedResponseError as exc:  # not JSON, cut short: this answer, not the API
            self.log.append((dataset, shown, exc.status or 0))
            return Answer(shown, exc.status or 200, asked=shown, error=exc)
        self.log.append((dataset, shown, response.status_code))
        return Answer(response.url, response.status_code, shown, body, dict(response.headers))

    @property
    def total(self) -> int:
        return sum(self.counts.values())
