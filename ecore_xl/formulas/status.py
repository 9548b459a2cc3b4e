"""What ``ECORE_STATUS()`` shows, for both faces: (item, value) pairs; never calls the API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ecore_xl.errors import EcoreError

if TYPE_CHECKING:
    from ecore_xl.data import DataService

__all__ = ["status_items"]


def _local_time(iso_utc: str | None, tz: str) -> dt.datetime | None:
    if not iso_utc:
        return None
    from zoneinfo import ZoneInfo

    when = dt.datetime.fromisoformat(iso_utc.replace("Z", "+00:00"))
    return when.astimezone(ZoneInfo(tz)).replace(tzinfo=None)


def status_items(
    service: Callable[[], DataService],
    *,
    offline: bool,
    offline_source: str,
    last_error: str | None = None,
) -> list[tuple[str, Any]]:
    """Version, connection, token expiry (naive local time), cache counters, offline mode and who
    set it, the last error (the client's, else ``last_error``), the time zone.

    ``service`` is called once; a settings error it raises becomes the connection row.
    """
    import ecore_xl

    items: list[tuple[str, Any]] = [("ecore_xl version", ecore_xl.__version__)]
    try:
        svc = service()
        st = svc.status()
        settings = svc.settings
    except EcoreError as exc:
        return [*items, ("connection", f"settings error: {exc.message}"), ("offline mode", offline)]
    client = st.get("client") or {}
    missing = [n for n in ("token_url", "client_id", "client_secret", "scope", "subscription_key")
               if not getattr(settings, n)]  # fmt: skip
    if offline:
        connection = "offline: cache and snapshots only"
    elif missing:
        connection = f"not configured: ECORE_{missing[0].upper()} is missing"
    elif not client:
        connection = "not connected yet (connects at the first formula)"
    elif (client.get("token_seconds_left") or 0) > 0:
        connection = "connected (token valid)"
    else:
        connection = "connected (a new token is fetched at the next request)"
    cache = st.get("cache") or {}
    return [
        *items,
        ("connection", connection),
        ("base URL", st.get("base_url")),
        ("token expires", _local_time(client.get("token_expires_at"), settings.timezone)),
        ("cache entries", cache.get("entries", 0)),
        ("cache hits", cache.get("hits", 0)),
        ("cache misses", cache.get("misses", 0)),
        ("API loads", cache.get("loads", 0)),
        ("offline mode", offline),
        ("offline set by", offline_source),
        ("last error", client.get("last_error") or last_error),
        ("time zone", settings.timezone),
    ]
