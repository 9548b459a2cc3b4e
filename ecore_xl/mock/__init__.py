"""The embedded mock eCore API: implements the shared API contract, shares no code with api/.

It speaks dialects (:mod:`.dialect`, ``docs/dialects.md``): the same portfolio served as the
contract says (``ecore``, the default) or the way other plausible APIs would (``paged``, ``bare``).

>>> with MockServer(meters=5, dialect="paged") as srv:  # doctest: +SKIP
...     srv.env()["ECORE_BASE_URL"]
'http://127.0.0.1:PORT/v1'
"""

from .dialect import DIALECTS, PAGING_STYLES, Dialect, Paging, Route, configure
from .faults import Faults, MockStats
from .portfolio import Portfolio
from .server import MockServer

__all__ = [
    "DIALECTS",
    "PAGING_STYLES",
    "Dialect",
    "Faults",
    "MockServer",
    "MockStats",
    "Paging",
    "Portfolio",
    "Route",
    "configure",
]
