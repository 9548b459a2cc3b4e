"""The embedded mock eCore API: implements the shared API contract, shares no code with api/.

>>> with MockServer(meters=5) as srv:  # doctest: +SKIP
...     srv.env()["ECORE_BASE_URL"]
'http://127.0.0.1:PORT/v1'
"""

from .faults import Faults, MockStats
from .portfolio import Portfolio
from .server import MockServer

__all__ = ["Faults", "MockServer", "MockStats", "Portfolio"]
