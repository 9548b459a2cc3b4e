"""The authenticated eCore API client (no pandas, xlwings or openpyxl here).

``EcoreClient`` does GETs with retries, subscription-key rotation and paging; ``TokenProvider``
caches client-credentials tokens. Errors come from :mod:`ecore_xl.errors`.
"""

from __future__ import annotations

from ecore_xl.api.auth import TokenProvider
from ecore_xl.api.client import ClientStats, EcoreClient
from ecore_xl.api.paging import Page
from ecore_xl.api.session import make_session

__all__ = ["ClientStats", "EcoreClient", "Page", "TokenProvider", "make_session"]
