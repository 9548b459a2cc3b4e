"""The ``eCore`` settings sheet made from the catalogue: a new sheet, a setting a catalogue adds
to an existing one, reading the cells by their filters' types, the drop-down lists."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest

from ecore_xl.catalogue import builtin_catalogue, load_catalogue
from ecore_xl.errors import UsageError
from ecore_xl.excel.sheets import OpenpyxlWriter
from ecore_xl.excel.workbook_settings import (
    LastRefresh,
    ensure_settings_sheet,
    read_last_refresh,
    read_settings,
    write_last_refresh,
    write_lists,
)

CAT = builtin_catalogue()
TODAY = dt.date(2026, 3, 15)
#: a user's catalogue: one more setting (on a filter of a new dataset)
EXTRA = {
    "datasets": {
        "sites": {
            "path": "/sites",
            "fields": ["id", "name"],
            "filters": [
                {"name": "region", "type": "enum", "allowed": ["north", "south"],
                 "setting": {"name": "region", "label": "Region", "default": "north"}},
            ],
        }
    }
}  # fmt: skip


def _user_catalogue(tmp_path: Path, data: dict = EXTRA):  # type: ignore[no-untyped-def]
    file = tmp_path / "catalogue.json"
    file.write_text(json.dumps(data), encoding="utf-8")
    return load_catalogue(file)


def _names(wb: openpyxl.Workbook) -> dict[str, str]:
    return {n: v.attr_text for n, v in wb.defined_names.items()}


def test_a_new_sheet_from_the_builtin_catalogue() -> None:
    wb = openpyxl.Workbook()
    assert ensure_settings_sheet(OpenpyxlWriter(wb), CAT, today=TODAY)
    ws = wb["eCore"]
    rows = [r[:3] for r in ws.iter_rows(min_row=5, max_row=14, values_only=True)]
    assert [r[0] for r in rows] == [
        "From", "To", "Meters", "Contracts", "Portfolio", "Legal entity", "Granularity",
        "Volume layout", "Datasets", "Offline",
    ]  # fmt: skip
    assert rows[0][1] == dt.date(2026, 2, 1) and rows[1][1] == dt.date(2026, 3, 1)
    assert rows[6][1:] == (
        "hour",
        "volumes: quarterhour, hour, day or month; positions: month or quarter",
    )
    assert rows[7][1:] == (  # the built-in wide declaration's row texts
        "long",
        "long (one row per meter and interval) or wide (one column per meter)",
    )
    assert rows[8][1] == "contracts, clicks, volumes, positions, invoices"
    assert ws["B5"].number_format == "yyyy-mm-dd"
    names = _names(wb)
    assert names["ecore.meters"] == "eCore!$B$7" and names["ecore.legalEntity"] == "eCore!$B$10"
    assert names["ecore.lastRefresh"] == "eCore!$A$17"
    lists = {str(d.sqref): d.formula1 for d in ws.data_validations.dataValidation}
    assert lists == {
        "B11": '="quarterhour,hour,day,month,quarter"', "B12": '="long,wide"',
        "B14": '="TRUE,FALSE"',
    }  # fmt: skip
    cfg = read_settings(OpenpyxlWriter(wb), CAT)
    assert cfg.filters == {"from": dt.date(2026, 2, 1), "to": dt.date(2026, 3, 1),
                           "granularity": "hour"}  # fmt: skip
    assert cfg.datasets == ("contracts", "clicks", "volumes", "positions", "invoices")


def _refreshed_sheet() -> tuple[openpyxl.Workbook, list[LastRefresh]]:
    wb = openpyxl.Workbook()
    writer = OpenpyxlWriter(wb)
    ensure_settings_sheet(writer, CAT, today=TODAY)
    when = dt.datetime(2026, 3, 2, 8, 30)
    entries = [
        LastRefresh(name, name.title(), f"tbl{name.title()}", 10 + i, when, when, "none", "api")
        for i, name in enumerate(("contracts", "volumes"))
    ]
    write_last_refresh(writer, entries)
    wb["eCore"]["B7"] = "MTR-0001, MTR-0002"  # the user's meters
    return wb, entries


def test_a_setting_a_catalogue_adds_gets_a_row_and_the_block_moves_down(tmp_path: Path) -> None:
    wb, entries = _refreshed_sheet()
    cat = _user_catalogue(tmp_path)
    writer = OpenpyxlWriter(wb)
    assert not ensure_settings_sheet(writer, cat, today=TODAY)  # the sheet was there
    ws = wb["eCore"]
    names = _names(wb)
    assert names["ecore.region"] == "eCore!$B$15"
    assert [ws[f"{c}15"].value for c in "ABC"] == ["Region", "north", "sites: north or south"]
    assert ws["A16"].value is None and ws["A17"].value == "Last refresh"
    assert names["ecore.lastRefresh"] == "eCore!$A$18"
    assert read_last_refresh(writer) == entries  # moved with its entries, nothing lost
    assert ws["E19"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert ws["B7"].value == "MTR-0001, MTR-0002"  # the user's values stay
    cfg = read_settings(writer, cat)
    assert cfg.get("region") == "north" and cfg.get("meterId") == ("MTR-0001", "MTR-0002")
    lists = {str(d.sqref): d.formula1 for d in ws.data_validations.dataValidation}
    assert lists["B15"] == '="north,south"'
    # a second one later: the next free row, the block one further down
    more = json.loads(json.dumps(EXTRA))
    more["datasets"]["sites"]["filters"].append(
        {"name": "size", "type": "number", "setting": "size"}
    )
    assert not ensure_settings_sheet(writer, _user_catalogue(tmp_path, more), today=TODAY)
    assert _names(wb)["ecore.size"] == "eCore!$B$16"
    assert _names(wb)["ecore.lastRefresh"] == "eCore!$A$19"
    assert read_last_refresh(writer) == entries


def test_a_deleted_name_goes_back_to_its_labelled_row() -> None:
    wb, _ = _refreshed_sheet()
    del wb.defined_names["ecore.portfolio"]
    del wb.defined_names["ecore.lastRefresh"]
    writer = OpenpyxlWriter(wb)
    ensure_settings_sheet(writer, CAT, today=TODAY)
    names = _names(wb)
    assert names["ecore.portfolio"] == "eCore!$B$9"
    assert names["ecore.lastRefresh"] == "eCore!$A$17"
    assert [e.dataset for e in read_last_refresh(writer)] == ["contracts", "volumes"]


def test_cells_are_read_as_their_filters_take_them() -> None:
    wb = openpyxl.Workbook()
    writer = OpenpyxlWriter(wb)
    ensure_settings_sheet(writer, CAT, today=TODAY)
    ws = wb["eCore"]
    ws["B5"] = 46082.0  # an Excel serial: 2026-03-01
    ws["B7"] = "MTR-1, MTR-2"
    ws["B10"] = "LE-1"
    ws["B11"] = "Day"
    ws["B12"] = "WIDE"
    cfg = read_settings(writer, CAT)
    assert cfg.get("from") == dt.date(2026, 3, 1)
    assert cfg.get("meterId") == ("MTR-1", "MTR-2") and cfg.get("legalEntityId") == ("LE-1",)
    assert cfg.get("granularity") == "day" and cfg.layout == "wide"
    ws["B11"] = "weekly"
    with pytest.raises(UsageError, match=r"ecore\.granularity .* must be one of quarterhour, hour"):
        read_settings(writer, CAT)


def test_a_catalogue_without_a_wide_dataset_has_no_layout_row(tmp_path: Path) -> None:
    cat = _user_catalogue(tmp_path, {"datasets": {"volumes": {"wide": None, "positional": None}}})
    wb = openpyxl.Workbook()
    ensure_settings_sheet(OpenpyxlWriter(wb), cat, today=TODAY)
    labels = [r[0] for r in wb["eCore"].iter_rows(min_row=5, max_row=13, values_only=True)]
    assert "Layout" not in labels and labels[-2:] == ["Datasets", "Offline"]
    assert read_settings(OpenpyxlWriter(wb), cat).layout == "long"


def test_lists_keep_their_columns() -> None:
    wb = openpyxl.Workbook()
    writer = OpenpyxlWriter(wb)
    ensure_settings_sheet(writer, CAT, today=TODAY)
    write_lists(writer, {"lstMeters": ["M-1", "M-2", "M-3"], "lstLegalEntities": ["LE-1"]}, CAT)
    lists = wb["eCoreLists"]
    assert [lists["A1"].value, lists["B1"].value] == ["meters", "legalEntities"]
    # the next refresh also has contracts: meters and legal entities stay where they are
    write_lists(writer, {"lstContracts": ["C-1"], "lstMeters": ["M-9"],
                         "lstLegalEntities": ["LE-1", "LE-2"]}, CAT)  # fmt: skip
    names = _names(wb)
    assert names["lstMeters"] == "eCoreLists!$A$2:$A$2"
    assert names["lstLegalEntities"] == "eCoreLists!$B$2:$B$3"
    assert names["lstContracts"] == "eCoreLists!$C$2:$C$2"
    assert [lists[f"A{r}"].value for r in (2, 3, 4)] == ["M-9", None, None]  # cleared below
    validations = {d.formula1: str(d.sqref) for d in wb["eCore"].data_validations.dataValidation}
    assert validations["=lstMeters"] == "B7" and validations["=lstContracts"] == "B8"
