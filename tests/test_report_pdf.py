"""``ecore-xl report --pdf`` on the demo's data, and the PDF LibreOffice prints has no cut text.

The demo runs as a user runs it (``ecore-xl demo``), then its offline ``report`` command with
``--pdf``. The PDF is read with ``pdftotext -bbox`` (Debian's poppler-utils): on the Summary,
Invoices and Hedging pages every word lies inside the printable area (text past a page edge or
a print area is clipped), no two words of one line overlap (text clipped at a filled neighbour
cell is drawn under it), every text cell of those sheets is there word for word (a right-aligned
header too wide for its column runs into its neighbour's: ``MWhPower``), and no number or date
shows as ``###``.
"""

from __future__ import annotations

import itertools
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest
from click.testing import CliRunner

from ecore_xl.cli import cli
from ecore_xl.cli.demo_cmd import last_complete_month, today_local
from ecore_xl.data import reset_service
from tests.conftest import pdftotext_missing, soffice_missing

pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(soffice_missing(), reason="LibreOffice (soffice) is not installed"),
    pytest.mark.skipif(pdftotext_missing(), reason="pdftotext (poppler-utils) is not installed"),
]
#: the sheets a controller sends upward, by the title in their A1
CHECKED = {"Summary": "Monthly energy report", "Invoices": "Invoice check", "Hedging": "Hedging"}
MARGIN = 0.4 * 72  # the template's left and right page margins, in points
SLACK = 1.0  # points


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    folder = tmp_path_factory.mktemp("demo-pdf")
    runner = CliRunner()
    made = runner.invoke(cli, ["demo", "--out", str(folder / "demo")])
    assert made.exit_code == 0, made.output
    month = last_complete_month(today_local())
    out = folder / "report.xlsx"
    reset_service()  # no settings: only the demo's snapshots answer
    args = ["report", "--month", month, "--snapshot", str(folder / "demo" / "snapshots")]
    printed = runner.invoke(cli, [*args, "--offline", "--pdf", "--out", str(out)])
    assert printed.exit_code == 0, printed.output
    assert f"Wrote {out.with_suffix('.pdf')}" in printed.output
    yield out, out.with_suffix(".pdf")


def _pages(pdf: Path, tmp_path: Path) -> list[tuple[float, list[tuple[str, tuple[float, ...]]]]]:
    """Per page: its width and its words with their boxes (xMin, yMin, xMax, yMax)."""
    html = tmp_path / "words.html"
    subprocess.run(["pdftotext", "-bbox", str(pdf), str(html)], check=True, timeout=120)
    text = html.read_text(encoding="utf-8").replace("&nbsp;", " ")
    root = ElementTree.fromstring(text[text.index("<html") :])
    pages = []
    for page in root.iter("{http://www.w3.org/1999/xhtml}page"):
        words = [
            (w.text or "", tuple(float(w.get(k)) for k in ("xMin", "yMin", "xMax", "yMax")))
            for w in page.iter("{http://www.w3.org/1999/xhtml}word")
        ]
        pages.append((float(page.get("width")), words))
    return pages


def _sheet_pages(pages: list, book: openpyxl.Workbook) -> dict[str, list[int]]:
    """Which pages print which sheet: a sheet starts at the page whose first words are its title
    (A1), and runs to the next sheet's first page."""
    titles = [(ws.title, str(ws["A1"].value or "")) for ws in book.worksheets]
    starts = []
    at = 0
    for sheet, title in titles:
        words = title.split()[:2]
        while at < len(pages) and [w for w, _ in pages[at][1][: len(words)]] != words:
            at += 1
        assert at < len(pages), f"no page starts with {title!r} ({sheet})"
        starts.append((sheet, at))
        at += 1
    ends = [s for _, s in starts[1:]] + [len(pages)]
    return {sheet: list(range(s, e)) for (sheet, s), e in zip(starts, ends, strict=True)}


def _cell_words(book: openpyxl.Workbook, sheet: str) -> Counter[str]:
    """Every word of every text cell of the sheet (placeholders filled)."""
    ws = book[sheet]
    words: Counter[str] = Counter()
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.data_type != "f":
                words.update(cell.value.split())
    return words


def test_the_pdf_is_written_beside_the_report(demo: tuple[Path, Path]) -> None:
    xlsx, pdf = demo
    assert pdf.read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in xlsx.parent.iterdir() if p.name.startswith("report")) == [
        "report.pdf",
        "report.xlsx",
    ]  # no temporary file and no LibreOffice lock file left beside them


@pytest.mark.parametrize("sheet", list(CHECKED))
def test_no_cut_text_on_the_pages_a_controller_sends(
    demo: tuple[Path, Path], tmp_path: Path, sheet: str
) -> None:
    xlsx, pdf = demo
    book = openpyxl.load_workbook(xlsx)
    assert str(book[sheet]["A1"].value).startswith(CHECKED[sheet])
    pages = _pages(pdf, tmp_path)
    numbers = _sheet_pages(pages, book)[sheet]
    printed: Counter[str] = Counter()
    for n in numbers:
        width, words = pages[n]
        printed.update(w for w, _ in words)
        assert not [w for w, _ in words if "###" in w], f"page {n + 1}: a value shows ###"
        outside = [
            w for w, (x0, _, x1, _) in words if x0 < MARGIN - SLACK or x1 > width - MARGIN + SLACK
        ]
        assert outside == [], f"page {n + 1}: cut at the page edge: {outside[:5]}"
        lines: dict[tuple[float, float], list[tuple[float, float, str]]] = {}
        for w, (x0, y0, x1, y1) in words:
            lines.setdefault((round(y0, 1), round(y1, 1)), []).append((x0, x1, w))
        for line in lines.values():
            line.sort()
            for (_, a1, a), (b0, _, b) in itertools.pairwise(line):
                assert b0 >= a1 - 0.5, f"page {n + 1}: {a!r} runs under {b!r}"
    missing = _cell_words(book, sheet) - printed
    assert not missing, f"{sheet}: words not printed as written: {sorted(missing)[:10]}"


def test_the_pdf_of_a_month_shows_the_flags(demo: tuple[Path, Path], tmp_path: Path) -> None:
    """The demo month's deliberate discrepancy and over-hedge are on the printed pages."""
    xlsx, pdf = demo
    book = openpyxl.load_workbook(xlsx)
    pages = _pages(pdf, tmp_path)
    where = _sheet_pages(pages, book)
    invoices = Counter(w for n in where["Invoices"] for w, _ in pages[n][1])
    hedging = Counter(w for n in where["Hedging"] for w, _ in pages[n][1])
    assert invoices["CHECK"] >= 1
    assert hedging["OVER"] >= 1
