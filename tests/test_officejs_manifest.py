"""The add-in manifest validates offline: against the project's XSDs of the add-in only manifest
(``officejs/schema/``; Microsoft's own are ``officejs/schema/check_microsoft.py``'s, by hand); every
resource it names exists; every URL is the backend's, over HTTPS."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from ecore_xl.serve.manifest import addin_id, manifest_xml

SCHEMA = Path(__file__).resolve().parents[1] / "officejs" / "schema" / "manifest.xsd"
NS = {
    "o": "http://schemas.microsoft.com/office/appforoffice/1.1",
    "ov": "http://schemas.microsoft.com/office/taskpaneappversionoverrides",
    "bt": "http://schemas.microsoft.com/office/officeappbasictypes/1.0",
}
URL = "https://localhost:8443"


def _doc(url: str = URL) -> etree._Element:
    return etree.fromstring(manifest_xml(url).encode("utf-8"))


def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


def test_the_manifest_validates_against_the_schema() -> None:
    schema = _schema()
    assert schema.validate(_doc()), schema.error_log
    team = _doc("https://ecore.example.com")
    assert schema.validate(team), schema.error_log


def _swap_permissions(xml: str) -> str:
    """Permissions before DefaultSettings: the order is wrong."""
    settings = re.search(r"<DefaultSettings>.*?</DefaultSettings>", xml, flags=re.S)
    assert settings is not None
    moved = xml.replace(settings.group(0), "<Permissions>ReadWriteDocument</Permissions>", 1)
    return moved.replace(
        "</Permissions>\n  <Permissions>ReadWriteDocument</Permissions>",
        "</Permissions>\n  " + settings.group(0),
        1,
    )


_TOO_LONG = 'DefaultValue="' + "x" * 126 + '"'


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda x: x.replace("<Version>", "<Version>v"), "Version"),
        (lambda x: x.replace('DefaultValue="eCore data in Excel"', _TOO_LONG), "maxLength"),
        (_swap_permissions, "Permissions"),
        (lambda x: x.replace('lifetime="long"', 'lifetime="forever"'), "lifetime"),
    ],
)
def test_the_schema_refuses_a_broken_manifest(change: object, words: str) -> None:
    schema = _schema()
    broken = etree.fromstring(change(manifest_xml(URL)).encode())  # type: ignore[operator]
    assert not schema.validate(broken)
    assert words in str(schema.error_log)


def test_every_resource_named_exists_and_every_url_is_the_backends() -> None:
    doc = _doc()
    resources = {
        kind: {e.get("id") for e in doc.iterfind(f".//bt:{kind}/*", NS)}
        for kind in ("Images", "Urls", "ShortStrings", "LongStrings")
    }
    every = set().union(*resources.values())
    used = {e.get("resid") for e in doc.iter() if e.get("resid")}
    assert used <= every and used, used - every
    runtime = doc.find(".//ov:Runtime", NS).get("resid")
    page = doc.find(".//ov:Page/ov:SourceLocation", NS).get("resid")
    assert runtime == page == "Taskpane.Url", "the shared runtime must be the functions' page"
    urls = [
        e.get("DefaultValue")
        for e in doc.iter()
        if str(e.get("DefaultValue", "")).startswith("http")
    ]
    assert urls and all(u.startswith(URL + "/addin/") for u in urls), urls
    namespace = doc.find(".//bt:String[@id='Functions.Namespace']", NS).get("DefaultValue")
    assert namespace == "ECORE"


def test_the_id_is_stable_per_backend_url() -> None:
    assert _doc().find("o:Id", NS).text == addin_id(URL) == addin_id(URL + "/")
    assert addin_id("https://ecore.example.com") != addin_id(URL)
