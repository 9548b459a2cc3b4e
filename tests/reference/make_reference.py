"""Build the reference workbooks that ``tests/test_xlsx_equal.py`` compares the writer against.

    python tests/reference/make_reference.py            # writes tests/reference/{snapshot-*,*.xlsx}
    python tests/reference/make_reference.py --report   # only report-*.xlsx, from the snapshots
    python tests/reference/make_reference.py --refresh  # only refresh-new/-user.xlsx, likewise

Run once, on the openpyxl-only writer that came before :mod:`ecore_xl.xlsx` (commit b27fbc8),
and committed with its output: the snapshots (so the new writer gets the very same data,
offline) and what the old writer made from them. Running it again on newer code would compare
the new writer with itself.

``--report`` was run once more when the report's layout changed on purpose (issue 14: figures
per commodity, the click table, flags on positions): the streaming writer had been shown equal
to the old one on the old layout, so the report references were rebuilt from the same committed
snapshots by the writer that then passed that test; they guard the report against unintended
change from there on.

``--refresh`` was run once, likewise, when the refreshed sheets' layout changed on purpose
(issue 14: invoice lines as their own table instead of a JSON column, a last-day column beside
each period end, the settings sheet's title, header and label styles). ``refresh-user-input.xlsx``
is still the old writer's workbook with a user's work in it, so ``refresh-user.xlsx`` is what
today's refresh makes of a workbook the old version wrote.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from ecore_xl.config import Settings  # noqa: E402
from ecore_xl.data import DataService  # noqa: E402
from ecore_xl.excel.headless import refresh_file  # noqa: E402
from ecore_xl.mock import MockServer  # noqa: E402
from ecore_xl.report import build_report  # noqa: E402
from tests.refresh_fixtures import REFRESH_MOCK, customise_volumes, new_workbook  # noqa: E402
from tests.report_fixtures import MOCK_KW as REPORT_MOCK  # noqa: E402

REPORT_MONTH = "2026-09"
REFRESH_SETTINGS = {
    "from_": dt.date(2026, 3, 2),
    "to": dt.date(2026, 3, 4),
    "granularity": "hour",
    "datasets": "volumes, contracts, clicks, positions, invoices",
}


def _service(srv: MockServer | None) -> DataService:
    env = srv.env() if srv is not None else {}
    return DataService(Settings.load(use_file=False, use_keyring=False, environ=env))


def reports() -> None:
    """The report references, offline from the committed report snapshot."""
    for granularity in ("day", "quarterhour"):
        build_report(REPORT_MONTH, out=HERE / f"report-{granularity}.xlsx",
                     snapshot_dir=HERE / "snapshot-report", offline=True, service=_service(None),
                     granularity=granularity)  # fmt: skip


def refreshes() -> None:
    """The refresh references, offline from the committed refresh snapshot and user workbook."""
    snapshot = HERE / "snapshot-refresh"
    book = new_workbook(HERE / "refresh-new.xlsx", **REFRESH_SETTINGS)
    refresh_file(book, service=_service(None), offline=True, snapshot_dir=snapshot)
    out = HERE / "refresh-user.xlsx"
    shutil.copy(HERE / "refresh-user-input.xlsx", out)
    refresh_file(out, service=_service(None), offline=True, snapshot_dir=snapshot)


def main() -> None:
    if "--report" in sys.argv[1:]:
        reports()
        return
    if "--refresh" in sys.argv[1:]:
        refreshes()
        return
    for old in HERE.glob("snapshot-*"):
        shutil.rmtree(old)
    report_snap, refresh_snap = HERE / "snapshot-report", HERE / "snapshot-refresh"
    with MockServer(**REPORT_MOCK) as srv:  # online once: the snapshot
        build_report(REPORT_MONTH, out=HERE / "scratch.xlsx", snapshot_dir=report_snap,
                     service=_service(srv))  # fmt: skip
        build_report(REPORT_MONTH, out=HERE / "scratch.xlsx", snapshot_dir=report_snap,
                     service=_service(srv), granularity="quarterhour")  # fmt: skip
    for granularity in ("day", "quarterhour"):
        build_report(REPORT_MONTH, out=HERE / f"report-{granularity}.xlsx",
                     snapshot_dir=report_snap, offline=True, service=_service(None),
                     granularity=granularity)  # fmt: skip
    with MockServer(**REFRESH_MOCK) as srv:
        first = new_workbook(HERE / "scratch.xlsx", **REFRESH_SETTINGS)
        refresh_file(first, service=_service(srv), snapshot_dir=refresh_snap)
    (HERE / "scratch.xlsx").unlink()
    # a new workbook refreshed offline, then the user's work added and refreshed again
    book = new_workbook(HERE / "refresh-new.xlsx", **REFRESH_SETTINGS)
    refresh_file(book, service=_service(None), offline=True, snapshot_dir=refresh_snap)
    user = HERE / "refresh-user-input.xlsx"
    shutil.copy(book, user)
    customise_volumes(user)
    out = HERE / "refresh-user.xlsx"
    shutil.copy(user, out)
    refresh_file(out, service=_service(None), offline=True, snapshot_dir=refresh_snap)


if __name__ == "__main__":
    main()
