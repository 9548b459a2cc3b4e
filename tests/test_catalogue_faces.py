"""The faces' declarations: positional arguments, the wide layout, the default refresh set,
settings cells and drop-down choices — built in, in an override file, and what is refused."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ecore_xl.catalogue import (
    Catalogue,
    Choices,
    Wide,
    WorkbookSetting,
    builtin_catalogue,
    load_catalogue,
)
from ecore_xl.catalogue.workbook import default_refresh, describe_faces, setting_cells
from ecore_xl.cli import cli
from ecore_xl.errors import CatalogueError

CAT = builtin_catalogue()

READINGS: dict[str, Any] = {
    "path": "/volumes",
    "description": "Meter readings",
    "filters": [
        {"name": "meterId", "type": "id", "required": True},
        {"name": "from", "type": "date", "required": True},
        {"name": "to", "type": "date", "required": True},
        {
            "name": "type",
            "type": "enum",
            "allowed": ["actual", "forecast"],
            "setting": {"name": "readingType", "label": "Reading type", "default": "actual"},
        },
    ],
    "fields": ["meterId", "start:timestamp", {"name": "value", "type": "number", "unit": "MWh"}],
    "positional": ["meterId", "from", "to", "layout"],
    "wide": {"index": "start", "columns": "meterId", "values": "value"},
    "default_refresh": True,
}


def _load(tmp_path: Path, datasets: dict[str, Any]) -> Catalogue:
    file = tmp_path / "catalogue.json"
    file.write_text(json.dumps({"datasets": datasets}), encoding="utf-8")
    return load_catalogue(file)


def test_the_builtin_declares_what_the_faces_used_to_hard_code() -> None:
    volumes = CAT.get("volumes")
    assert volumes.positional == ("meterId", "from", "to", "granularity", "layout")
    wide = volumes.wide
    assert wide is not None and (wide.index, wide.columns, wide.values) == (
        "start",
        "meterId",
        "value",
    )
    assert wide.setting is not None and wide.setting.label == "Volume layout"
    assert volumes.layouts == ("long", "wide")
    assert [ds.name for ds in CAT if ds.wide] == ["volumes"]
    assert default_refresh(CAT) == ("contracts", "clicks", "volumes", "positions", "invoices")
    assert volumes.filter("meterId").choices == Choices("meters", "id", "name")
    assert CAT.get("meters").filter("businessUnitId").choices == Choices(
        "business-units", "id", "name"
    )
    assert CAT.get("relationships").filter("entityId").choices is None


def test_the_builtin_settings_cells_in_their_order() -> None:
    cells = setting_cells(CAT)
    assert [(c.name, c.filter, c.label) for c in cells] == [
        ("from", "from", "From"),
        ("to", "to", "To"),
        ("meters", "meterId", "Meters"),
        ("contracts", "contractId", "Contracts"),
        ("portfolio", "portfolioId", "Portfolio"),
        ("legalEntity", "legalEntityId", "Legal entity"),
        ("granularity", "granularity", "Granularity"),
    ]
    by_name = {c.name: c for c in cells}
    granularity = by_name["granularity"]
    # made from the datasets' allowed values, as the sheet always said it
    assert (
        granularity.help == "volumes: quarterhour, hour, day or month; positions: month or quarter"
    )
    assert granularity.allowed == ("quarterhour", "hour", "day", "month", "quarter")
    assert granularity.default == "hour"  # volumes' default
    assert by_name["meters"].list_name == "lstMeters" and by_name["meters"].list_header == "meters"
    assert by_name["legalEntity"].list_name == "lstLegalEntities"
    assert by_name["legalEntity"].list_header == "legalEntities"
    assert by_name["from"].default == "last_month" and by_name["to"].default == "this_month"
    assert by_name["meters"].datasets == ("volumes", "invoices", "invoice-lines")


def test_an_override_declares_them_and_they_round_trip(tmp_path: Path) -> None:
    cat = _load(tmp_path, {"readings": READINGS})
    ds = cat.get("readings")
    assert ds.positional == ("meterId", "from", "to", "layout")
    assert ds.wide == Wide("start", "meterId", "value") and ds.layouts == ("long", "wide")
    assert ds.default_refresh and default_refresh(cat)[-1] == "readings"
    assert ds.filter("type").setting == WorkbookSetting("readingType", "Reading type", "", "actual")
    # a filter name means one thing everywhere: readings' meterId gets the meters drop-down
    assert ds.filter("meterId").choices == Choices("meters", "id", "name")
    cells = {c.name: c for c in setting_cells(cat)}
    assert cells["readingType"].allowed == ("actual", "forecast")
    assert "readings" in cells["meters"].datasets and "readings" in cells["from"].datasets
    assert list(cells)[-1] == "readingType"  # no order: after the declared ones
    assert Catalogue.from_dict(cat.to_dict()) == cat
    dumped = cat.to_dict()["datasets"]["readings"]
    assert dumped["positional"] == READINGS["positional"] and dumped["default_refresh"] is True
    assert dumped["wide"] == {"index": "start", "columns": "meterId", "values": "value"}


def test_short_forms_of_setting_choices_and_wide(tmp_path: Path) -> None:
    cat = _load(
        tmp_path,
        {
            "sites": {
                "path": "/sites",
                "fields": ["id", "name", "start:timestamp", "meterId", "value:number"],
                "filters": [
                    {"name": "siteId", "type": "id", "setting": "sites", "choices": "sites"}
                ],
                "wide": True,
            }
        },
    )
    ds = cat.get("sites")
    assert ds.filter("siteId").choices == Choices("sites", "id", "name")  # the key, "name"
    cell = next(c for c in setting_cells(cat) if c.name == "sites")
    assert cell.label == "Sites" and cell.help == "sites ids, comma-separated; empty: all"
    assert ds.wide == Wide()


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ({"positional": ["meterId", "nope"]}, "positional names 'nope', which is no filter"),
        ({"positional": ["meterId", "meterId"]}, "positional names a filter twice"),
        ({"wide": {"index": "start", "columns": "siteId"}}, "wide.columns names 'siteId'"),
        ({"wide": {"index": "meterId"}}, "wide.index 'meterId' must be a timestamp field"),
        ({"wide": {"rows": "start"}}, "wide.rows is not one of index, columns, values, doc"),
        ({"wide": None, "positional": ["layout"]}, "names layout, but the dataset has no wide"),
        ({"default_refresh": "yes"}, "default_refresh must be true or false"),
        ({"filters": [{"name": "meterId", "setting": "layout"}]}, "'layout' cannot name a"),
        ({"filters": [{"name": "meterId", "setting": {"name": "m", "order": "1"}}]},
         "setting.order must be a whole number"),
        ({"filters": [{"name": "meterId", "choices": "sites"}]}, "choices.dataset names unknown"),
        ({"filters": [{"name": "meterId", "choices": {"field": "id"}}]}, "must be a dataset"),
    ],
)  # fmt: skip
def test_malformed_declarations_name_the_key(
    tmp_path: Path, entry: dict[str, Any], says: str
) -> None:
    if "filters" in entry:  # the first filter (meterId) changed, the others kept
        first = {**READINGS["filters"][0], **entry["filters"][0]}
        entry = {"filters": [first, *READINGS["filters"][1:]]}
    with pytest.raises(CatalogueError, match=r"datasets\.readings\..*" + re.escape(says)):
        _load(tmp_path, {"readings": {**READINGS, **entry}})


def test_one_filter_name_one_settings_cell(tmp_path: Path) -> None:
    other = [{**READINGS["filters"][0], "setting": "meterList"}, *READINGS["filters"][1:]]
    with pytest.raises(CatalogueError, match="its setting 'meterList' differs from 'meters'"):
        _load(tmp_path, {"readings": {**READINGS, "filters": other}})
    taken = [*READINGS["filters"], {"name": "siteId", "type": "id", "setting": "meters"}]
    with pytest.raises(CatalogueError, match="'meters' is taken by the filter meterId"):
        _load(tmp_path, {"readings": {**READINGS, "filters": taken}})


def test_choices_of_a_dataset_a_file_removes_are_dropped(tmp_path: Path) -> None:
    cat = _load(tmp_path, {"legal-entities": None})
    assert cat.get("contracts").filter("legalEntityId").choices is None  # still loads
    cell = next(c for c in setting_cells(cat) if c.name == "legalEntity")
    assert cell.source is None and cell.list_name is None  # no drop-down list


def test_positional_of_a_filter_a_file_removes_is_left_out(tmp_path: Path) -> None:
    from ecore_xl.formulas.signatures import dataset_spec

    cat = _load(tmp_path, {"volumes": {"filters": {"remove": ["granularity"]}}})
    spec = dataset_spec(cat.get("volumes"))
    assert [p.target for p in spec.params][:4] == ["meterId", "from", "to", "layout"]


def test_catalogue_show_prints_the_faces_declarations(tmp_path: Path) -> None:
    file = tmp_path / "catalogue.json"
    file.write_text(json.dumps({"datasets": {"readings": READINGS}}), encoding="utf-8")
    out = CliRunner().invoke(cli, ["catalogue", "show", "readings", "--catalogue", str(file)])
    assert out.exit_code == 0, out.output
    text = out.output
    assert "formula   positional meterId, from, to, layout (declared)" in text
    assert "layouts   long, wide: a row per start, a column per meterId, value in the cells" in text
    assert "refresh   in a new workbook's Refresh all" in text
    assert "type <- ecore.readingType" in text and "meterId <- ecore.meters" in text
    assert "choices   meterId: meters.id (name)" in text
    assert describe_faces(CAT, CAT.get("meters"))[3] == (
        "  refresh   not in a new workbook's Refresh all (default_refresh)"
    )
