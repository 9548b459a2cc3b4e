"""The package parts openpyxl does not model, kept byte for byte; the content types and
relationships that go with them and with the shared strings.

openpyxl rewrites the parts it models (sheets, tables, charts, styles, the workbook). What it
does not model it drops, or keeps only in part: with ``keep_vba`` it copies ``vbaProject.bin``
but not the relationships of its signatures, keeps one of the two customUI relationships and no
content type of a signature. :class:`Carried` takes those parts from the file being replaced, as
bytes, with their relationships and content types:

- ``xl/vbaProject.bin`` and every ``xl/vbaProject*.bin`` (the VBA project and its signatures),
  ``xl/_rels/vbaProject.bin.rels`` — only into a macro-enabled target (``.xlsm``);
- ``customUI/…`` (the workbook's own ribbon, both the 2006 and 2010 relationship types);

A package signature (``_xmlsignatures``) is not carried: it signs the old bytes. Whatever the
source, an ``.xlsm`` target gets the macro-enabled content type of its workbook part and an
``.xlsx`` target the plain one.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

__all__ = [
    "MACRO_WORKBOOK_TYPE",
    "WORKBOOK_TYPE",
    "Carried",
    "add_override",
    "add_relationship",
    "set_workbook_type",
]

WORKBOOK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
MACRO_WORKBOOK_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
_RELS_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_VBA = re.compile(r"^xl/vbaProject[^/]*\.bin$|^xl/_rels/vbaProject\.bin\.rels$")
_UI = re.compile(r"^customUI/")


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _relationships(xml: bytes) -> list[dict[str, str]]:
    return [dict(rel.attrib) for rel in ET.fromstring(xml).iter(f"{_RELS_NS}Relationship")]


def _resolve(base_dir: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(base_dir, target))


def add_relationship(xml: bytes, rel_type: str, target: str) -> bytes:
    """``xml`` (a .rels part) with one more relationship, unless one of that type already
    points at ``target``."""
    rels = _relationships(xml)
    if any(r.get("Type") == rel_type and r.get("Target") == target for r in rels):
        return xml
    ids = {r.get("Id") for r in rels}
    n = len(rels) + 1
    while f"rId{n}" in ids:
        n += 1
    element = f'<Relationship Id="rId{n}" Type="{_attr(rel_type)}" Target="{_attr(target)}"/>'
    return _insert_before(xml, b"</Relationships>", element)


def add_override(xml: bytes, part: str, content_type: str) -> bytes:
    """``[Content_Types].xml`` with an Override for ``/part`` (replacing one there was)."""
    name = "/" + part.lstrip("/")
    xml = re.sub(rb'<Override PartName="' + re.escape(name.encode()) + rb'"[^>]*/>', b"", xml)
    element = f'<Override PartName="{_attr(name)}" ContentType="{_attr(content_type)}"/>'
    return _insert_before(xml, b"</Types>", element)


def _add_default(xml: bytes, extension: str, content_type: str) -> bytes:
    for d in ET.fromstring(xml).iter(f"{_CT_NS}Default"):
        if d.get("Extension", "").lower() == extension.lower():
            return xml
    element = f'<Default Extension="{_attr(extension)}" ContentType="{_attr(content_type)}"/>'
    return _insert_before(xml, b"</Types>", element)


def set_workbook_type(xml: bytes, macro: bool) -> bytes:
    """``[Content_Types].xml`` with the workbook part typed as macro-enabled or not."""
    wanted = MACRO_WORKBOOK_TYPE if macro else WORKBOOK_TYPE
    other = WORKBOOK_TYPE if macro else MACRO_WORKBOOK_TYPE
    return xml.replace(f'ContentType="{other}"'.encode(), f'ContentType="{wanted}"'.encode())


def _insert_before(xml: bytes, closing: bytes, element: str) -> bytes:
    at = xml.rindex(closing)
    return xml[:at] + element.encode() + xml[at:]


@dataclass
class Carried:
    """The parts of ``source`` to keep in the new package, read before it is replaced."""

    parts: dict[str, bytes] = field(default_factory=dict)
    root_rels: list[dict[str, str]] = field(default_factory=list)
    workbook_rels: list[dict[str, str]] = field(default_factory=list)
    overrides: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, source: str | Path, *, macro: bool) -> Carried:
        """What to carry from ``source`` into a target that is (or is not) macro-enabled."""
        carried = cls()
        with zipfile.ZipFile(source) as z:
            names = set(z.namelist())
            for name in sorted(names):
                if _UI.match(name) or (macro and _VBA.match(name)):
                    carried.parts[name] = z.read(name)
            if not carried.parts:
                return carried
            types = ET.fromstring(z.read("[Content_Types].xml"))
            for o in types.iter(f"{_CT_NS}Override"):
                part = o.get("PartName", "").lstrip("/")
                if part in carried.parts:
                    carried.overrides[part] = o.get("ContentType", "")
            for d in types.iter(f"{_CT_NS}Default"):
                carried.defaults[d.get("Extension", "").lower()] = d.get("ContentType", "")
            for rels_name, base, out in (
                ("_rels/.rels", "", carried.root_rels),
                ("xl/_rels/workbook.xml.rels", "xl", carried.workbook_rels),
            ):
                if rels_name not in names:
                    continue
                for rel in _relationships(z.read(rels_name)):
                    if rel.get("TargetMode") == "External":
                        continue
                    if _resolve(base, rel.get("Target", "")) in carried.parts:
                        out.append(rel)
        return carried

    def content_types(self, xml: bytes) -> bytes:
        """The new package's content types with the carried parts' own."""
        for part in self.parts:
            if part in self.overrides:
                xml = add_override(xml, part, self.overrides[part])
            else:
                ext = posixpath.splitext(part)[1].lstrip(".").lower()
                if ext and ext in self.defaults:
                    xml = _add_default(xml, ext, self.defaults[ext])
        return xml

    def relationships(self, xml: bytes, which: str) -> bytes:
        """A new ``.rels`` part (``root`` or ``workbook``) with the carried relationships."""
        rels = self.root_rels if which == "root" else self.workbook_rels
        present = _relationships(xml)
        for rel in rels:
            rel_type, target = rel.get("Type", ""), rel.get("Target", "")
            base = "" if which == "root" else "xl"
            if any(
                p.get("Type") == rel_type
                and _resolve(base, p.get("Target", "")) == _resolve(base, target)
                for p in present
            ):
                continue
            xml = add_relationship(xml, rel_type, target)
        return xml

    def missing_parts(self, written: set[str]) -> dict[str, bytes]:
        """The carried parts the new package does not hold yet (openpyxl copied some)."""
        return {name: data for name, data in self.parts.items() if name not in written}
