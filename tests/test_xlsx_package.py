"""A refreshed ``.xlsm`` keeps every part the refresh does not own byte for byte: the VBA project,
its signatures and their relationships, the ribbon (customUI, both relationship types) and the
content types; a new ``.xlsm`` is a macro-enabled package (checked in the package XML)."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import openpyxl
import pytest

from ecore_xl.excel.headless import refresh_file
from ecore_xl.mock import MockServer
from ecore_xl.xlsx.package import MACRO_WORKBOOK_TYPE, WORKBOOK_TYPE
from tests.conftest import service_for, soffice_missing
from tests.refresh_fixtures import REFRESH_MOCK, libreoffice_convert, new_workbook

MOCK_KW = REFRESH_MOCK

REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
UI_2006 = "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"
UI_2007 = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
SIGNATURE = "http://schemas.microsoft.com/office/2006/relationships/vbaProjectSignature"
SIGNATURE_AGILE = "http://schemas.microsoft.com/office/2014/relationships/vbaProjectSignatureAgile"
#: the parts a refresh writes anew (openpyxl's model of the workbook, and the package's index)
OWNED = re.compile(
    r"^(\[Content_Types\]\.xml|_rels/\.rels|docProps/|xl/workbook\.xml|xl/_rels/workbook\.xml\.rels"
    r"|xl/styles\.xml|xl/sharedStrings\.xml|xl/worksheets/|xl/tables/|xl/charts/|xl/drawings/"
    r"|xl/calcChain\.xml)"
)
VBA = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 a VBA project as Excel stores it" + bytes(range(256))
RIBBON_2010 = b'<customUI xmlns="http://schemas.microsoft.com/office/2009/07/customui"/>'
RIBBON_2007 = b'<customUI xmlns="http://schemas.microsoft.com/office/2006/01/customui"/>'


def _add_macro_parts(src: Path, dst: Path) -> None:
    """``src`` (an .xlsx) as Excel stores a signed macro workbook with a ribbon of its own."""
    with zipfile.ZipFile(src) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    types = parts["[Content_Types].xml"].decode()
    types = types.replace(WORKBOOK_TYPE, MACRO_WORKBOOK_TYPE).replace(
        "</Types>",
        '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
        '<Override PartName="/xl/vbaProjectSignature.bin" '
        'ContentType="application/vnd.ms-office.vbaProjectSignature"/>'
        '<Override PartName="/xl/vbaProjectSignatureAgile.bin" '
        'ContentType="application/vnd.ms-office.vbaProjectSignatureAgile"/>'
        "</Types>",
    )
    parts["[Content_Types].xml"] = types.encode()
    root = (
        parts["_rels/.rels"]
        .decode()
        .replace(
            "</Relationships>",
            f'<Relationship Id="rIdUi1" Type="{UI_2006}" Target="customUI/customUI.xml"/>'
            f'<Relationship Id="rIdUi2" Type="{UI_2007}" Target="customUI/customUI14.xml"/>'
            "</Relationships>",
        )
    )
    parts["_rels/.rels"] = root.encode()
    rels = (
        parts["xl/_rels/workbook.xml.rels"]
        .decode()
        .replace(
            "</Relationships>",
            '<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/relationships/'
            'vbaProject" Target="vbaProject.bin"/></Relationships>',
        )
    )
    parts["xl/_rels/workbook.xml.rels"] = rels.encode()
    parts["xl/vbaProject.bin"] = VBA
    parts["xl/vbaProjectSignature.bin"] = b"signature " + bytes(range(64))
    parts["xl/vbaProjectSignatureAgile.bin"] = b"agile signature " + bytes(range(64))
    parts["xl/_rels/vbaProject.bin.rels"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<Relationships xmlns="http://'
        b'schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
        + SIGNATURE.encode()
        + b'" Target="vbaProjectSignature.bin"/><Relationship Id="rId2" Type="'
        + SIGNATURE_AGILE.encode()
        + b'" Target="vbaProjectSignatureAgile.bin"/></Relationships>'
    )
    parts["customUI/customUI14.xml"] = RIBBON_2010
    parts["customUI/customUI.xml"] = RIBBON_2007
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def _rels(xml: bytes) -> set[tuple[str, str]]:
    return {(r.get("Type", ""), r.get("Target", "")) for r in ET.fromstring(xml).iter(REL)}


def _types(xml: bytes) -> tuple[dict[str, str], dict[str, str]]:
    root = ET.fromstring(xml)
    overrides = {
        o.get("PartName", ""): o.get("ContentType", "") for o in root.iter(f"{CT}Override")
    }
    defaults = {d.get("Extension", ""): d.get("ContentType", "") for d in root.iter(f"{CT}Default")}
    return overrides, defaults


@pytest.fixture
def macro_book(tmp_path: Path) -> Path:
    plain = new_workbook(
        tmp_path / "plain.xlsx",
        from_=dt.date(2026, 3, 2),
        to=dt.date(2026, 3, 4),
        granularity="hour",
        datasets="volumes, contracts",
    )
    path = tmp_path / "macro.xlsm"
    _add_macro_parts(plain, path)
    return path


def test_refreshing_an_xlsm_keeps_every_part_it_does_not_own(
    srv: MockServer, macro_book: Path
) -> None:
    before = _parts(macro_book)
    refresh_file(macro_book, service=service_for(srv))
    refresh_file(macro_book, service=service_for(srv))  # and again: nothing erodes
    after = _parts(macro_book)
    kept = [name for name in before if not OWNED.match(name)]
    assert sorted(kept) == [
        "customUI/customUI.xml",
        "customUI/customUI14.xml",
        "xl/_rels/vbaProject.bin.rels",
        "xl/theme/theme1.xml",
        "xl/vbaProject.bin",
        "xl/vbaProjectSignature.bin",
        "xl/vbaProjectSignatureAgile.bin",
    ]
    for name in kept:
        assert after.get(name) == before[name], name
    assert {(UI_2006, "customUI/customUI.xml"), (UI_2007, "customUI/customUI14.xml")} <= _rels(
        after["_rels/.rels"]
    )
    vba_rels = [t for t in _rels(after["xl/_rels/workbook.xml.rels"]) if "vbaProject" in t[0]]
    assert len(vba_rels) == 1 and vba_rels[0][1].endswith("vbaProject.bin")
    overrides, defaults = _types(after["[Content_Types].xml"])
    assert overrides["/xl/workbook.xml"] == MACRO_WORKBOOK_TYPE
    assert (
        overrides["/xl/vbaProjectSignature.bin"] == "application/vnd.ms-office.vbaProjectSignature"
    )
    assert (
        overrides["/xl/vbaProjectSignatureAgile.bin"]
        == "application/vnd.ms-office.vbaProjectSignatureAgile"
    )
    assert defaults["bin"] == "application/vnd.ms-office.vbaProject"
    names = list(after)
    assert len(names) == len(set(names)), "a part written twice"
    wb = openpyxl.load_workbook(macro_book, keep_vba=True)
    assert wb["Volumes"].tables["tblVolumes"].ref.startswith("A5:")


def test_a_new_xlsm_is_a_macro_enabled_package(srv: MockServer, tmp_path: Path) -> None:
    path = tmp_path / "new.xlsm"
    refresh_file(path, service=service_for(srv), datasets=["contracts"])
    overrides, _ = _types(_parts(path)["[Content_Types].xml"])
    assert overrides["/xl/workbook.xml"] == MACRO_WORKBOOK_TYPE
    assert "tblContracts" in openpyxl.load_workbook(path).worksheets[1].tables


def test_an_xlsx_never_gets_the_macro_parts(
    srv: MockServer, macro_book: Path, tmp_path: Path
) -> None:
    from ecore_xl.xlsx import save_workbook

    wb = openpyxl.load_workbook(macro_book)
    out = tmp_path / "copy.xlsx"
    save_workbook(wb, out, source=macro_book)
    parts = _parts(out)
    assert not [n for n in parts if "vbaProject" in n]
    assert parts["customUI/customUI14.xml"] == RIBBON_2010  # the ribbon is no macro
    overrides, _ = _types(parts["[Content_Types].xml"])
    assert overrides["/xl/workbook.xml"] == WORKBOOK_TYPE


@pytest.mark.libreoffice
@pytest.mark.skipif(soffice_missing(), reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_the_refreshed_xlsm(
    srv: MockServer, macro_book: Path, tmp_path: Path
) -> None:
    refresh_file(macro_book, service=service_for(srv))
    out = libreoffice_convert(macro_book, tmp_path / "lo", "xlsx")
    wb = openpyxl.load_workbook(out)
    assert {"eCore", "Volumes", "Contracts"} <= set(wb.sheetnames)
    ws = wb["Volumes"]
    assert ws["A5"].value == "meterId" and ws["A6"].value
