"""A dialect's frames against the ``ecore`` dialect's: the portfolio, the cases, the comparison.

Shared by the tests that read the mock's other dialects with a catalogue: hand-written
(``test_dialects_fetch``), imported from a Postman collection (``test_catalogue_import_dialects``)
and written by the probe (``test_catalogue_probe``), and the ``ecore`` dialect with one axis moved
alone (``AXES``: ``test_catalogue_import_axes``, ``test_catalogue_probe``). Numbers are compared
with a relative tolerance of 1e-12: the dialects send kWh, and ``kWh / 1000`` in binary floating
point may differ from the MWh the contract writes in the last bit (never more).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from ecore_xl.catalogue import read_catalogue_file
from ecore_xl.data import DataService
from ecore_xl.mock import MockServer
from ecore_xl.mock.catalogues import catalogue_file

AS_OF = dt.date(2026, 11, 26)
#: seed 53: power and gas meters, and a deliberate invoice discrepancy in February 2026
KW: dict[str, Any] = {"seed": 53, "meters": 6, "years": (2025, 2026), "as_of": AS_OF}
TOLERANCE = {"check_exact": False, "rtol": 1e-12, "atol": 1e-12}
#: columns a dialect sends beyond the contract's (kept, as every unknown field is)
EXTRA = {("paged", "volumes"): {"resolution"}}
#: a list of objects is shown as the API's own JSON: bare spells its keys in snake_case
RAW_JSON = {("bare", "invoices"): {"lines"}}

CASES: list[tuple[str, dict[str, Any]]] = [
    ("legal-entities", {}),
    ("business-units", {}),
    ("meters", {}),
    ("relationships", {}),
    ("contracts", {}),
    ("contracts", {"activeOn": "2026-02-15", "commodity": "gas"}),
    ("portfolios", {}),
    ("clicks", {}),
    ("clicks", {"from": "2025-10-01", "to": "2026-03-01"}),
    ("invoices", {}),
    ("invoices", {"from": "2026-02-01", "to": "2026-03-01"}),
    ("invoice-lines", {"from": "2026-02-01", "to": "2026-03-01"}),
]
CASE_IDS = [f"{d}{f or ''}" for d, f in CASES]

#: one axis of ``ecore`` moved alone (docs/dialects.md, switches) and what a catalogue learned
#: from it declares (a subset; the import's file is checked against it)
AXES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "paging offset": ({"paging": "offset"}, {"dialect": {"paging": {"style": "offset"}}}),
    "paging skiptop": ({"paging": "skiptop"}, {"dialect": {"paging": {"offset_param": "skip"}}}),
    "paging pages": ({"paging": "pages"}, {"dialect": {"paging": {"style": "pages"}}}),
    "paging cursor": ({"paging": "cursor"}, {"dialect": {"paging": {"style": "cursor"}}}),
    "paging cursor-header": (
        {"paging": "cursor-header"},
        {"dialect": {"paging": {"token": "header:x-ms-continuation"}}},
    ),
    "paging link": ({"paging": "link"}, {}),
    "paging odata": ({"paging": "odata"}, {}),
    "paging none": ({"paging": "none"}, {}),
    "envelope data.items": (
        {"envelope": "data.items"}, {"dialect": {"envelope": {"records": "data.items"}}},
    ),
    "envelope bare": (
        {"envelope": "bare", "paging": "offset"}, {"dialect": {"envelope": {"records": "$"}}},
    ),
    "energy kWh": ({"energy_unit": "kWh"}, {}),
    "field renamed by meaning": ({"field_renames": {"volumes": {"start": "timestamp"}}}, {}),
    "gas daily only": (
        {"gas_daily_only": True},
        {"datasets": {"volumes": {"dialect": {"granularities": {"gas": ["day", "month"]}}}}},
    ),
}  # fmt: skip


def hand_written(dialect: str) -> dict[str, Any]:
    """The hand-written catalogue file of a preset dialect (``paged``, ``bare``), parsed."""
    file = catalogue_file(dialect)
    assert file is not None, dialect
    data: dict[str, Any] = json.loads(file.read_text(encoding="utf-8"))
    return data


def catalogue_path(dialect: str) -> str | None:
    """The hand-written catalogue file of a preset dialect, as ``ECORE_CATALOGUE`` takes it
    (None for ``ecore``: the built-in catalogue is its contract)."""
    file = catalogue_file(dialect)
    return None if file is None else str(file)


@contextmanager
def three_servers(kw: Mapping[str, Any] = KW) -> Iterator[dict[str, MockServer]]:
    """The same portfolio (``kw``) served in the ``ecore``, ``paged`` and ``bare`` dialects."""
    with (
        MockServer(**kw) as ecore,
        MockServer(dialect="paged", **kw) as paged,
        MockServer(dialect="bare", **kw) as bare,
    ):
        yield {"ecore": ecore, "paged": paged, "bare": bare}


@contextmanager
def reference_service() -> Iterator[DataService]:
    """A data service reading the plain ``ecore`` mock with the built-in catalogue."""
    from tests.conftest import settings_for

    with MockServer(**KW) as srv, DataService(settings_for(srv)) as svc:
        yield svc


@contextmanager
def services_reading(
    servers: Mapping[str, MockServer], catalogues: Mapping[str, Path | None]
) -> Iterator[dict[str, DataService]]:
    """A data service per server, each reading its dialect with ``catalogues[name]`` (None: the
    built-in catalogue), and ``"reference"``: the ``ecore`` server with the built-in one."""
    from tests.conftest import settings_for

    made = {"reference": DataService(settings_for(servers["ecore"]))}
    for name, srv in servers.items():
        file = catalogues[name]
        made[name] = DataService(settings_for(srv, catalogue=None if file is None else str(file)))
    try:
        yield made
    finally:
        for svc in made.values():
            svc.close()


def assert_same(
    dialect: str, dataset: str, ecore: pd.DataFrame, other: pd.DataFrame, *, exact: bool = True
) -> None:
    """``other`` (read from ``dialect``) equals the ``ecore`` frame; ``exact``: the extra columns
    are exactly the dialect's own (else at most those: a learned catalogue may declare them)."""
    extra = set(other.columns) - set(ecore.columns)
    allowed = EXTRA.get((dialect, dataset), set())
    assert extra == allowed if exact else extra <= allowed, (dialect, dataset, extra)
    skip = RAW_JSON.get((dialect, dataset), set())
    columns = [c for c in ecore.columns if c not in skip]
    assert len(ecore) > 0, (dataset, "compare something")
    pd.testing.assert_frame_equal(other[columns], ecore[columns], **TOLERANCE)


def assert_positions_and_volumes(
    dialect: str, reference: DataService, other: DataService, portfolio: Any
) -> None:
    """Positions of every portfolio by quarter, volumes on a DST day in quarter-hours and a
    month of days for every meter: the same from ``other`` as from ``reference``."""
    cases: list[tuple[str, Mapping[str, Any]]] = [
        ("positions", {"portfolioId": [p["id"] for p in portfolio.portfolios],
                       "granularity": "quarter", "from": "2026-01-01", "to": "2027-01-01"}),
        ("volumes", {"meterId": [m["id"] for m in portfolio.meters if m["commodity"] == "power"],
                     "from": "2026-03-29", "to": "2026-03-30", "granularity": "quarterhour"}),
        ("volumes", {"meterId": [m["id"] for m in portfolio.meters], "from": "2026-02-01",
                     "to": "2026-03-01", "granularity": "day"}),
    ]  # fmt: skip
    for dataset, kw in cases:
        assert_same(
            dialect, dataset, reference.fetch(dataset, **kw), other.fetch(dataset, **kw),
            exact=False,
        )  # fmt: skip


def assert_fetches_as_reference(reference: DataService, other: DataService, portfolio: Any) -> None:
    """Every case, and positions and volumes, exactly as from ``reference`` (the same dialect)."""
    for dataset, filters in CASES:
        ecore = reference.fetch(dataset, **filters)
        assert_same("ecore", dataset, ecore, other.fetch(dataset, **filters), exact=True)
    assert_positions_and_volumes("ecore", reference, other, portfolio)


def assert_declares_hand_written(file: Path, dialect: str, *, empty_dialect: bool) -> None:
    """Not a byte comparison (``file`` may declare more, e.g. new fields), but every dialect
    declaration of the hand-written file is in ``file``, with the same value; ``empty_dialect``:
    a dataset's missing dialect patch may be written as an empty one."""
    mine, theirs = read_catalogue_file(file), hand_written(dialect)
    for section, values in theirs["dialect"].items():
        assert mine["dialect"][section] == values, section
    blank = {} if empty_dialect else None
    for name, entry in theirs["datasets"].items():
        got = mine["datasets"][name]
        for key in ("path", "under", "one_of"):
            assert got.get(key) == entry.get(key), (name, key)
        assert got.get("dialect", blank) == entry.get("dialect", blank), (name, "dialect")
