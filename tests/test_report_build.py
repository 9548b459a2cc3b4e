"""build_report end to end against the mock: figures, invoice flags, split, snapshots, atomicity.

Expected numbers come from the mock's portfolio (tests/report_fixtures.py), never from the code
under test; the workbook is read back with openpyxl.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from ecore_xl.errors import LocalFileError, OfflineError, TemplateError, UsageError
from ecore_xl.mock import MockServer
from ecore_xl.report import build_report
from tests.report_fixtures import (
    MOCK_KW,
    assert_figures,
    entity_of_meter,
    epoch,
    expected_click_prices,
    expected_figures,
    expected_flagged,
    expected_over_hedged,
    month_invoices,
    service_for,
    table_rows,
)

#: months holding the mock's random discrepancies (seed 42), the latest complete month (the mock's
#: deliberate discrepancy and over-hedge, see ecore_xl/mock/portfolio.py) and one without any
MONTHS = ("2025-08", "2026-09", "2026-10", "2026-05")


@pytest.fixture(scope="module")
def srv() -> Iterator[MockServer]:
    with MockServer(**MOCK_KW) as server:
        yield server


def test_the_chosen_months_hold_the_deliberate_discrepancies(srv: MockServer) -> None:
    found = {m for m in MONTHS if expected_flagged(srv.portfolio, m)}
    assert found == {"2025-08", "2026-09", "2026-10"}  # else the flag tests would prove little
    over = {m for m in MONTHS if any(o[2] == m for o in expected_over_hedged(srv.portfolio, m))}
    assert over == {"2025-08", "2026-10"}  # a gas summer (by chance) and the deliberate one


@pytest.mark.parametrize("month", MONTHS)
def test_figures_and_flags_match_the_mock(srv: MockServer, tmp_path: Path, month: str) -> None:
    out = tmp_path / "report.xlsx"
    result = build_report(month, out=out, service=service_for(srv))

    assert result.paths == [out]
    assert_figures(result.figures, expected_figures(srv.portfolio, month))
    assert sorted(result.flagged_invoice_ids) == expected_flagged(srv.portfolio, month)
    assert result.over_hedged == expected_over_hedged(srv.portfolio, month)
    assert result.click_prices == expected_click_prices(srv.portfolio, month)

    invoices = table_rows(out, "tblInvoices")
    assert [r["Invoice"] for r in invoices] == [
        i["id"] for i in month_invoices(srv.portfolio, month)
    ]
    for row in invoices:  # metered = the meter's exact actual sum over the billing period
        inv = next(i for i in srv.portfolio.invoices if i["id"] == row["Invoice"])
        period = epoch(inv["periodStart"]), epoch(inv["periodEnd"])
        exact = srv.portfolio.volume_sum(inv["meterId"], *period)
        assert row["Metered MWh"] == pytest.approx(exact, abs=1e-9)
        assert row["Invoiced MWh"] == inv["consumptionMWh"]
        assert str(row["Flag"]).startswith("=IF(")  # a formula a reader can follow
    consumption = table_rows(out, "tblConsumption")
    days = len(table_rows(out, "tblDaily"))
    assert len(consumption) == len(srv.portfolio.meters) * days


def test_provenance_names_the_api_requests(srv: MockServer, tmp_path: Path) -> None:
    out = tmp_path / "p.xlsx"
    build_report("2026-10", out=out, service=service_for(srv))
    rows = {r["Dataset"]: r for r in table_rows(out, "tblProvenance")}
    volumes = rows["volumes"]
    assert volumes["Source"].startswith(f"eCore API {srv.base_url}/volumes?")
    assert "more requests" in volumes["Source"]  # one request per meter
    assert {"from=2026-10-01", "to=2026-11-01", "granularity=day"} <= set(
        volumes["Filters"].split("; ")
    )
    assert volumes["Rows"] == len(srv.portfolio.meters) * 31
    assert rows["invoices"]["Rows"] == len(month_invoices(srv.portfolio, "2026-10"))
    sheet = openpyxl.load_workbook(out)["Provenance"]
    assert sheet["B10"].value == f"eCore API {srv.base_url}"


def test_one_legal_entity(srv: MockServer, tmp_path: Path) -> None:
    out = tmp_path / "le3.xlsx"
    result = build_report("2025-08", out=out, legal_entity="LE-003", service=service_for(srv))
    assert_figures(result.figures, expected_figures(srv.portfolio, "2025-08", "LE-003"))
    assert result.flagged_invoice_ids == ["INV-000048"]
    owner = entity_of_meter(srv.portfolio)
    assert {r["Meter"] for r in table_rows(out, "tblStructure")} == {
        m for m, le in owner.items() if le == "LE-003"
    }
    summary = openpyxl.load_workbook(out)["Summary"]
    assert summary["A2"].value == "Schwabenform Kunststofftechnik GmbH"


def test_split_writes_one_complete_workbook_per_legal_entity(
    srv: MockServer, tmp_path: Path
) -> None:
    result = build_report(
        "2026-09", out=tmp_path / "r-{legal_entity}.xlsx", split=True, service=service_for(srv)
    )
    ids = [le["id"] for le in srv.portfolio.legal_entities]
    assert [p.name for p in result.paths] == [f"r-{i}.xlsx" for i in ids]
    assert_figures(result.figures, expected_figures(srv.portfolio, "2026-09"))
    for entity in ids:
        path, figures = result.by_legal_entity[entity]
        assert path.is_file()
        assert_figures(figures, expected_figures(srv.portfolio, "2026-09", entity))
        flagged = [r["Invoice"] for r in table_rows(path, "tblInvoices")]
        assert flagged == [i["id"] for i in month_invoices(srv.portfolio, "2026-09", entity)]


def test_threshold_decides_the_flags(srv: MockServer, tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    result = build_report("2026-09", out=out, threshold=20, service=service_for(srv))
    assert result.flagged_invoice_ids == []  # the mock's discrepancies are 4-15 %
    wb = openpyxl.load_workbook(out)
    dest = next(iter(wb.defined_names["FlagThreshold"].destinations))
    assert wb[dest[0]][dest[1].replace("$", "")].value == pytest.approx(0.2)


def test_quarter_hours_sum_to_the_same_month(srv: MockServer, tmp_path: Path) -> None:
    out = tmp_path / "qh.xlsx"
    result = build_report("2026-10", out=out, granularity="quarterhour", service=service_for(srv))
    assert_figures(result.figures, expected_figures(srv.portfolio, "2026-10"))
    rows = table_rows(out, "tblConsumption")
    assert len(rows) == len(srv.portfolio.meters) * (31 * 96 + 4)  # 25-hour day on 25 October
    wb = openpyxl.load_workbook(out)
    assert wb["Consumption"]["A6"].number_format == "yyyy-mm-dd hh:mm"


def test_snapshot_needs_no_network(tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    with MockServer(**MOCK_KW) as live:
        online = build_report(
            "2026-09", out=tmp_path / "online.xlsx", snapshot_dir=snap, service=service_for(live)
        )
        settings_env = live.env()
    # the server is gone: only the snapshot files can answer
    from ecore_xl.config import Settings
    from ecore_xl.data import DataService

    service = DataService(Settings.load(use_file=False, use_keyring=False, environ=settings_env))
    out = tmp_path / "offline.xlsx"
    offline = build_report("2026-09", out=out, snapshot_dir=snap, offline=True, service=service)
    assert offline.figures == online.figures
    assert offline.flagged_invoice_ids == online.flagged_invoice_ids
    rows = table_rows(out, "tblProvenance")
    assert {r["Dataset"] for r in rows} >= {"volumes", "invoices", "invoice-lines", "positions"}
    assert all(str(r["Source"]).startswith(f"snapshot {snap}") for r in rows)
    assert all(r["Fetched at (UTC)"] is not None and r["Rows"] is not None for r in rows)
    assert any("meterId=" in str(r["Filters"]) for r in rows)
    with pytest.raises(OfflineError):  # a month never fetched is not invented
        build_report(
            "2026-08", out=tmp_path / "x.xlsx", snapshot_dir=snap, offline=True, service=service
        )


def test_a_failed_build_leaves_the_old_report(srv: MockServer, tmp_path: Path) -> None:
    out = tmp_path / "report.xlsx"
    out.write_bytes(b"the previous report")
    template = tmp_path / "blocked.xlsx"
    wb = openpyxl.load_workbook(_builtin_template())
    wb["Invoices"]["A8"] = "a note in the way of the growing table"
    wb.save(template)
    with pytest.raises(TemplateError, match="Invoices"):
        build_report("2026-09", out=out, template=template, service=service_for(srv))
    assert out.read_bytes() == b"the previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocked.xlsx", "report.xlsx"]


def test_split_replaces_all_or_none(srv: MockServer, tmp_path: Path) -> None:
    for entity in ("LE-001", "LE-002"):
        (tmp_path / f"r-{entity}.xlsx").write_bytes(b"old")
    (tmp_path / "r-LE-003.xlsx").mkdir()  # the last file cannot be replaced
    with pytest.raises(LocalFileError, match=r"r-LE-003\.xlsx: it is a folder"):
        build_report(
            "2026-09", out=tmp_path / "r-{legal_entity}.xlsx", split=True, service=service_for(srv)
        )
    for entity in ("LE-001", "LE-002"):
        assert (tmp_path / f"r-{entity}.xlsx").read_bytes() == b"old"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"month": "2026-13"}, "YYYY-MM"),
        ({"month": "October"}, "YYYY-MM"),
        ({"threshold": -1}, "percentage"),
        ({"legal_entity": "LE-999"}, "LE-999"),
        ({"out": "report.pdf"}, ".xlsx"),
        ({"granularity": "minute"}, "minute"),
    ],
)
def test_bad_input_is_a_usage_error(
    srv: MockServer, tmp_path: Path, kwargs: dict[str, object], message: str
) -> None:
    args: dict[str, object] = {"month": "2026-10", "out": tmp_path / "r.xlsx", **kwargs}
    if not str(args["out"]).startswith(str(tmp_path)):
        args["out"] = tmp_path / str(args["out"])
    month = args.pop("month")
    with pytest.raises(UsageError, match=message):
        build_report(month, service=service_for(srv), **args)  # type: ignore[arg-type]
    assert not (tmp_path / "r.xlsx").exists()


def _builtin_template() -> Path:
    return Path(__file__).resolve().parent.parent / "ecore_xl/report/templates/monthly_report.xlsx"
