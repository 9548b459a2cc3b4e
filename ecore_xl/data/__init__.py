"""The data layer: ``fetch(dataset, **filters) -> DataFrame`` above the eCore API.

    from ecore_xl.data import fetch
    fetch("volumes", meterId="M-001", from_="2026-03-01", to="2026-04-01", granularity="hour")

pandas is imported only when a frame is built; the process-wide service is built on first use.
"""

from __future__ import annotations

from ecore_xl.data.cache import CacheStats, TTLCache
from ecore_xl.data.filters import normalise_filters
from ecore_xl.data.service import (
    LAYOUTS,
    DataService,
    Progress,
    default_snapshot_dir,
    fetch,
    fetch_records,
    get_service,
    plan_requests,
    reset_service,
    set_service,
)
from ecore_xl.data.snapshot import list_snapshots, read_snapshot, write_snapshot

__all__ = [
    "LAYOUTS",
    "CacheStats",
    "DataService",
    "Progress",
    "TTLCache",
    "default_snapshot_dir",
    "fetch",
    "fetch_records",
    "get_service",
    "list_snapshots",
    "normalise_filters",
    "plan_requests",
    "read_snapshot",
    "reset_service",
    "set_service",
    "write_snapshot",
]
