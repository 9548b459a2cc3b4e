"""Validate the generated add-in manifest against Microsoft's own XSDs, when you have them.

    python officejs/schema/check_microsoft.py FOLDER [BACKEND_URL]

FOLDER holds ``OfficeAppManifestV1_1.xsd`` and the files it imports ([MS-OWEMXML] Appendix A).
Schemas older than the shared runtime (2020) do not know ``Runtimes``: it is left out of the
check then, and said so. Exit code 0 valid, 1 invalid, 2 a missing folder or schema. The test
suite validates against this folder's own XSDs (``tests/test_officejs_manifest.py``); this is the
extra check before a release, since Microsoft's schemas are not redistributed here.
"""

from __future__ import annotations

import sys
from pathlib import Path

from lxml import etree

from ecore_xl.serve.manifest import manifest_xml

OVERRIDES_NS = "http://schemas.microsoft.com/office/taskpaneappversionoverrides"


def main(argv: list[str]) -> int:
    """Validate; print one line per finding."""
    if not argv:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    folder = Path(argv[0])
    url = argv[1] if len(argv) > 1 else "https://localhost:8443"
    main_xsd = folder / "OfficeAppManifestV1_1.xsd"
    overrides_xsd = folder / "TaskPaneAppVersionOverridesV1_0.xsd"
    if not main_xsd.is_file() or not overrides_xsd.is_file():
        print(f"{folder}: needs OfficeAppManifestV1_1.xsd and its imports", file=sys.stderr)
        return 2
    try:
        schema = etree.XMLSchema(etree.parse(str(main_xsd)))
    except (etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        print(f"{main_xsd}: not a schema lxml can read ({exc})", file=sys.stderr)
        return 2
    doc = etree.fromstring(manifest_xml(url).encode("utf-8"))
    if '"Runtimes"' not in overrides_xsd.read_text(encoding="utf-8"):
        for runtimes in doc.iter(f"{{{OVERRIDES_NS}}}Runtimes"):
            runtimes.getparent().remove(runtimes)
        print("these schemas predate the shared runtime: Runtimes left out of the check")
    if schema.validate(doc):
        print(f"valid against {main_xsd}")
        return 0
    for error in schema.error_log:
        print(f"line {error.line}: {error.message}")
    return 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
