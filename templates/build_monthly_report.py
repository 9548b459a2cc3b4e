"""Build ``monthly_report.xlsx``, the default template of ``ecore-xl report`` (openpyxl only).

    python templates/build_monthly_report.py            # writes both copies
    python templates/build_monthly_report.py --check    # fails if a committed copy is stale

Two identical copies are written: ``templates/monthly_report.xlsx`` (to read, or to start your
own template from) and ``ecore_xl/report/templates/monthly_report.xlsx`` (shipped in the package
and used when no ``--template`` is given). The placeholder scheme is in ``templates/README.md``;
the tables, columns, formats and formula columns come from ``ecore_xl/report/schema.py`` so the
template and the code that fills it cannot drift apart.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Series
from openpyxl.chart._chart import ChartBase
from openpyxl.chart.data_source import AxDataSource, NumRef, StrRef
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.series import SeriesLabel
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, TwoCellAnchor
from openpyxl.drawing.text import (
    CharacterProperties,
    Paragraph,
    ParagraphProperties,
    RegularTextRun,
)
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from ecore_xl.report.schema import (
    COMMODITIES,
    FLAG_TEXT,
    FMT,
    OVER_HEDGED_TEXT,
    THRESHOLD_NAME,
    ReportTable,
    table_spec,
)
from ecore_xl.report.summary import FIGURES

ROOT = Path(__file__).resolve().parent.parent
OUTPUTS = (
    ROOT / "templates" / "monthly_report.xlsx",
    ROOT / "ecore_xl" / "report" / "templates" / "monthly_report.xlsx",
)
#: a fixed timestamp so that rebuilding gives the same bytes
STAMP = dt.datetime(2026, 1, 1, 0, 0, 0)

NAVY = "1F3864"
GREY = "595959"
TITLE = Font(name="Calibri", size=18, bold=True, color=NAVY)
SUBTITLE = Font(name="Calibri", size=12, bold=True, color=GREY)
LABEL = Font(name="Calibri", size=11, bold=True)
NOTE = Font(name="Calibri", size=9, italic=True, color=GREY)
HEAD_FILL = PatternFill("solid", fgColor="D9E1F2")
FLAG_FILL = PatternFill("solid", fgColor="F8CBAD")
THIN = Side(style="thin", color="8EA9DB")
FOOTER = "&L&8{{legal_entity}} · {{month_name}}&R&8Page &P of &N"
TABLE_STYLE = "TableStyleLight9"
TEXTUAL = (FMT["general"], FMT["text"])


def chart_title(text: str, size: int = 1100) -> Title:
    """A chart title in a readable size (LibreOffice's default is large)."""
    props = CharacterProperties(sz=size, b=True, solidFill=NAVY)
    run = RegularTextRun(rPr=props, t=text)
    paragraph = Paragraph(pPr=ParagraphProperties(defRPr=props), r=[run])
    return Title(tx=Text(rich=RichText(p=[paragraph])), overlay=False)


# ---- building blocks -------------------------------------------------------------------------


def sheet_head(ws: Worksheet, title: str, note: str) -> None:
    """Title in A1, subtitle (entity and month) in A2, a note in A3."""
    ws["A1"] = title
    ws["A1"].font = TITLE
    ws["A2"] = "{{legal_entity}} · {{month_name}}"
    ws["A2"].font = SUBTITLE
    ws["A3"] = note
    ws["A3"].font = NOTE
    ws.sheet_view.showGridLines = False


def print_setup(ws: Worksheet, *, landscape: bool, title_row: int | None) -> None:
    """A4, one page wide, repeated header row, entity/month and page number in the footer."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.left.text = "{{legal_entity}} · {{month_name}}"
    ws.oddFooter.left.size = 8
    ws.oddFooter.right.text = "Page &P of &N"
    ws.oddFooter.right.size = 8
    if title_row is not None:
        ws.print_title_rows = f"{title_row}:{title_row}"


def add_table(ws: Worksheet, spec: ReportTable, anchor: tuple[int, int]) -> dict[str, str]:
    """Header + one style row of ``spec`` at ``anchor`` (row, col) as an Excel table, marked by
    the defined name ``ecore.<table>``; returns header -> column letter."""
    row, col = anchor
    letters = {c.header: get_column_letter(col + i) for i, c in enumerate(spec.columns)}
    for i, column in enumerate(spec.columns):
        c = col + i
        head = ws.cell(row, c, column.header)
        head.font = LABEL
        head.fill = HEAD_FILL
        head.border = Border(bottom=THIN)
        head.alignment = Alignment(horizontal="left" if column.fmt in TEXTUAL else "right")
        body = ws.cell(row + 1, c)
        body.number_format = column.fmt
        if column.fmt == FMT["text"] or column.header in ("Flag",):
            body.alignment = Alignment(horizontal="center" if column.header == "Flag" else None)
        if column.formula is not None:
            formula = column.formula
            for ref in column.formula_refs():
                formula = formula.replace("{" + ref + "}", f"{letters[ref]}{row + 1}")
            body.value = formula
        width = ws.column_dimensions[get_column_letter(c)].width or 0
        ws.column_dimensions[get_column_letter(c)].width = max(width, column.width)
    last = get_column_letter(col + len(spec.columns) - 1)
    ref = f"{get_column_letter(col)}{row}:{last}{row + 1}"
    table = Table(displayName=spec.table, ref=ref)
    table.tableStyleInfo = TableStyleInfo(name=TABLE_STYLE, showRowStripes=True)
    ws.add_table(table)
    target = f"{quote_sheetname(ws.title)}!${get_column_letter(col)}${row}"
    ws.parent.defined_names[spec.marker] = DefinedName(spec.marker, attr_text=target)
    return letters


def column_ref(ws: Worksheet, letter: str, row: int) -> str:
    """``'Sheet'!$J$6:$J$6``: a one-row range (not a single cell), which filling stretches."""
    return f"{quote_sheetname(ws.title)}!${letter}${row}:${letter}${row}"


def series(ws: Worksheet, cols: dict[str, str], value: str, category: str, *, text: bool) -> Series:
    """A chart series over the first data row of a table: values, title (header), categories."""
    s = Series(column_ref(ws, cols[value], 6))
    s.val.numRef.f = column_ref(ws, cols[value], 6)
    s.tx = SeriesLabel(strRef=StrRef(f=f"{quote_sheetname(ws.title)}!${cols[value]}$5"))
    ref = column_ref(ws, cols[category], 6)
    s.cat = AxDataSource(strRef=StrRef(f=ref)) if text else AxDataSource(numRef=NumRef(f=ref))
    return s


def place(ws: Worksheet, chart: ChartBase, start: tuple[int, int], end: tuple[int, int]) -> None:
    """Anchor a chart from cell to cell (0-based col, row), so it scales with the columns in
    any program rather than having a size in cm that renderers map to columns differently."""
    gap = 60_000  # EMU, about 1.7 mm of air around each chart
    chart.anchor = TwoCellAnchor(
        _from=AnchorMarker(col=start[0], colOff=gap, row=start[1], rowOff=gap),
        to=AnchorMarker(col=end[0], colOff=-gap if end[0] else 0, row=end[1], rowOff=0),
    )
    ws.add_chart(chart)


def tidy_axes(chart: BarChart | LineChart) -> None:
    """Axes visible (openpyxl 3.1 marks them deleted by default)."""
    chart.x_axis.delete = False
    chart.y_axis.delete = False


# ---- sheets ----------------------------------------------------------------------------------


#: Summary columns: label, one per commodity, the total, how it is computed
SUMMARY_COLUMNS = ("Figure", *(c.title() for c in COMMODITIES), "Total", "How it is computed")
SUMMARY_WIDTHS = (30, 15, 15, 15, 56)
#: the Summary's click table (it grows down into the rows left free for it) and the charts
CLICKS_ROW = 19
CHARTS_ROW = 26  # 0-based row of the first charts' top edge
SUMMARY_LAST_ROW = 63


def build_summary(ws: Worksheet) -> dict[str, str]:
    """The figures per commodity (each a formula over the filled tables, each a named cell),
    the flag threshold, the click table; returns the defined names."""
    ws["A1"] = "Monthly energy report · {{month_name}}"
    ws["A1"].font = TITLE
    ws["A2"] = "{{legal_entity}}"
    ws["A2"].font = SUBTITLE
    ws["A3"] = "Month"
    ws["A3"].font = LABEL
    ws["B3"] = "{{month_start}}"
    ws["B3"].number_format = "mmmm yyyy"
    ws["B3"].alignment = Alignment(horizontal="left")
    ws.sheet_view.showGridLines = False
    for i, (text, width) in enumerate(zip(SUMMARY_COLUMNS, SUMMARY_WIDTHS, strict=True), 1):
        ws.column_dimensions[get_column_letter(i)].width = width
        cell = ws.cell(5, i, text)
        cell.font = LABEL
        cell.fill = HEAD_FILL
        cell.border = Border(bottom=THIN)
        if 1 < i < len(SUMMARY_COLUMNS):
            cell.alignment = Alignment(horizontal="right")
        elif i == len(SUMMARY_COLUMNS):
            cell.alignment = Alignment(indent=1)

    names: dict[str, str] = {"ReportMonth": "$B$3"}
    how_col = len(SUMMARY_COLUMNS)
    for i, figure in enumerate(FIGURES):
        row = 6 + i
        ws.cell(row, 1, figure.label).font = LABEL
        for j, commodity in enumerate((*COMMODITIES, None)):
            col = 2 + j
            if commodity is None and not figure.total:
                continue
            value = ws.cell(row, col, figure.formula(commodity))
            value.number_format = figure.fmt
            value.font = Font(name="Calibri", size=12, bold=True, color=NAVY)
            names[figure.name_of(commodity)] = f"${get_column_letter(col)}${row}"
        how = ws.cell(row, how_col, figure.how)
        how.font = NOTE
        how.alignment = Alignment(indent=1)
        for col in range(1, how_col + 1):
            ws.cell(row, col).border = Border(bottom=Side(style="hair", color="BFBFBF"))
    row = 6 + len(FIGURES)
    ws.cell(row, 1, "Flag threshold").font = LABEL
    threshold = ws.cell(row, 2, "{{threshold}}")
    threshold.number_format = FMT["pct"]
    note = ws.cell(row, how_col, "change it to re-flag the invoices (Invoices, column Flag)")
    note.font = NOTE
    note.alignment = Alignment(indent=1)
    names[THRESHOLD_NAME] = f"$B${row}"
    ws.cell(row + 1, 1, "Generated {{generated_at}} · ecore_xl {{version}}").font = NOTE
    ws.cell(row + 2, 1, "Data: {{source}}").font = NOTE
    ws.cell(CLICKS_ROW - 1, 1, "Clicks executed in {{month_name}}, per commodity and delivery "
            "year").font = SUBTITLE  # fmt: skip
    add_table(ws, table_spec("click_prices"), (CLICKS_ROW, 1))  # type: ignore[arg-type]
    for name, ref in names.items():
        ws.parent.defined_names[name] = DefinedName(
            name, attr_text=f"{quote_sheetname(ws.title)}!{ref}"
        )
    print_setup(ws, landscape=False, title_row=None)
    ws.page_setup.fitToHeight = 1
    ws.print_area = f"A1:{get_column_letter(how_col)}{SUMMARY_LAST_ROW}"
    return names


def build_consumption(ws: Worksheet) -> tuple[dict[str, str], dict[str, str]]:
    sheet_head(
        ws,
        "Consumption",
        "Metered (actual) volume per meter and day; right: all meters per day (chart source).",
    )
    consumption = add_table(ws, table_spec("consumption"), (5, 1))  # type: ignore[arg-type]
    daily = add_table(ws, table_spec("daily"), (5, 8))  # type: ignore[arg-type]
    print_setup(ws, landscape=False, title_row=5)
    return consumption, daily


def build_costs(ws: Worksheet) -> dict[str, str]:
    sheet_head(ws, "Costs", "Invoice lines of the month's invoices; right: cost per component.")
    add_table(ws, table_spec("costs"), (5, 1))  # type: ignore[arg-type]
    by_component = add_table(ws, table_spec("cost_components"), (5, 12))  # type: ignore[arg-type]
    print_setup(ws, landscape=True, title_row=5)
    return by_component


def build_hedging(ws: Worksheet) -> dict[str, str]:
    sheet_head(
        ws,
        "Hedging",
        "Positions per commodity and month (top), per portfolio (below; over-hedged months "
        "red) and the clicks executed in the month (right).",
    )
    months = add_table(ws, table_spec("hedge_months"), (5, 1))  # type: ignore[arg-type]
    ws["A20"] = "Positions per portfolio and month"
    ws["A20"].font = SUBTITLE
    positions = add_table(ws, table_spec("positions"), (21, 1))  # type: ignore[arg-type]
    last = max(positions.values(), key=lambda s: (len(s), s))
    rule = FormulaRule(formula=[f'${positions["Flag"]}22="{OVER_HEDGED_TEXT}"'], fill=FLAG_FILL)
    ws.conditional_formatting.add(f"A22:{last}22", rule)
    ws["L4"] = "Clicks executed in {{month_name}}"
    ws["L4"].font = SUBTITLE
    add_table(ws, table_spec("clicks"), (5, 12))  # type: ignore[arg-type]
    print_setup(ws, landscape=True, title_row=None)
    return months


def build_invoices(ws: Worksheet) -> None:
    sheet_head(
        ws,
        "Invoice check",
        "Invoiced consumption against the metered volume of each invoice's billing period.",
    )
    ws["F3"] = "Flag threshold"
    ws["F3"].font = LABEL
    ws["G3"] = f"={THRESHOLD_NAME}"
    ws["G3"].number_format = FMT["pct"]
    letters = add_table(ws, table_spec("invoices"), (5, 1))  # type: ignore[arg-type]
    first, last = "A", max(letters.values(), key=lambda s: (len(s), s))
    rule = FormulaRule(formula=[f'${letters["Flag"]}6="{FLAG_TEXT}"'], fill=FLAG_FILL)
    ws.conditional_formatting.add(f"{first}6:{last}6", rule)
    print_setup(ws, landscape=True, title_row=5)


def build_structure(ws: Worksheet) -> None:
    sheet_head(ws, "Structure", "Legal entity → business unit → meter.")
    add_table(ws, table_spec("structure"), (5, 1))  # type: ignore[arg-type]
    print_setup(ws, landscape=True, title_row=5)


def build_provenance(ws: Worksheet) -> None:
    sheet_head(ws, "Provenance", "Where the numbers come from.")
    rows = [
        ("Report month", "{{month}}"),
        ("Legal entity", "{{legal_entity}} {{legal_entity_id}}"),
        ("Time zone", "{{timezone}}"),
        ("Consumption interval", "{{granularity}}"),
        ("Invoice flag threshold", "{{threshold}}"),
        ("Data source", "{{source}}"),
        ("Generated at (local)", "{{generated_at}}"),
        ("Template", "{{template}}"),
        ("ecore_xl version", "{{version}}"),
    ]
    for i, (label, value) in enumerate(rows):
        ws.cell(5 + i, 1, label).font = LABEL
        cell = ws.cell(5 + i, 2, value)
        cell.alignment = Alignment(horizontal="left")
        if value == "{{threshold}}":
            cell.number_format = FMT["pct"]
        elif value == "{{generated_at}}":
            cell.number_format = FMT["datetime"]
    add_table(ws, table_spec("provenance"), (16, 1))  # type: ignore[arg-type]
    ws.column_dimensions["A"].width = 22
    print_setup(ws, landscape=True, title_row=16)


# ---- charts ----------------------------------------------------------------------------------


def hedge_chart(hedging: Worksheet, months: dict[str, str], commodity: str) -> BarChart:
    """Hedged and open MWh of a commodity stacked per month, its hedge ratio as a line."""
    name = commodity.title()
    bars = BarChart()
    bars.type = "col"
    bars.grouping = "stacked"
    bars.overlap = 100
    bars.title = chart_title(f"{name}: hedged / open MWh and hedge ratio")
    bars.style = 10
    for what in ("hedged", "open"):
        bars.series.append(series(hedging, months, f"{name} {what} MWh", "Month", text=False))
    bars.x_axis.number_format = "mmm yyyy"
    bars.y_axis.title = "MWh"
    bars.y_axis.number_format = "#,##0"
    line = LineChart()
    line.series.append(series(hedging, months, f"{name} hedge ratio", "Month", text=False))
    line.series[0].smooth = False  # a smoothed line would show ratios that are not there
    line.y_axis.axId = 200
    line.y_axis.title = "Hedge ratio"
    line.y_axis.number_format = "0%"
    line.y_axis.crosses = "max"
    line.y_axis.scaling.min = 0
    line.y_axis.majorGridlines = None
    tidy_axes(line)
    tidy_axes(bars)
    bars += line
    bars.legend.position = "b"
    return bars


def add_charts(
    summary: Worksheet,
    consumption: Worksheet,
    daily: dict[str, str],
    costs: Worksheet,
    by_component: dict[str, str],
    hedging: Worksheet,
    months: dict[str, str],
) -> None:
    """Four charts on Summary, each commodity its own series (never one blended bar); their
    series point at the first data row of a table and are stretched to the filled rows."""
    top, mid, bottom = CHARTS_ROW, CHARTS_ROW + 18, SUMMARY_LAST_ROW
    chart = BarChart()
    chart.type = "col"
    chart.title = chart_title("Daily consumption (MWh)")
    chart.style = 10
    for commodity in COMMODITIES:
        chart.series.append(
            series(consumption, daily, f"{commodity.title()} MWh", "Day", text=False)
        )
    chart.x_axis.number_format = "dd mmm yyyy"
    chart.y_axis.number_format = "#,##0"
    chart.legend.position = "b"
    chart.gapWidth = 40
    tidy_axes(chart)
    place(summary, chart, (0, top), (3, mid))

    cost = BarChart()
    cost.type = "bar"
    cost.title = chart_title("Cost by component (EUR)")
    cost.style = 10
    for commodity in COMMODITIES:
        cost.series.append(
            series(costs, by_component, f"{commodity.title()} EUR", "Component", text=True)
        )
    cost.x_axis.scaling.orientation = "maxMin"  # first component on top
    cost.legend.position = "b"
    cost.dataLabels = DataLabelList(
        showVal=True, showSerName=False, showCatName=False, showLegendKey=False, showPercent=False
    )
    cost.dataLabels.numFmt = "#,##0"
    tidy_axes(cost)
    cost.y_axis.delete = True  # the data labels carry the values
    cost.y_axis.majorGridlines = None
    place(summary, cost, (3, top), (5, mid))

    for i, commodity in enumerate(COMMODITIES[:2]):
        cols = ((0, 3), (3, 5))[i]
        place(summary, hedge_chart(hedging, months, commodity), (cols[0], mid), (cols[1], bottom))


# ---- the workbook ----------------------------------------------------------------------------


def build() -> Workbook:
    """The template workbook."""
    wb = Workbook()
    summary = wb.active
    summary.title = "Summary"
    consumption = wb.create_sheet("Consumption")
    costs = wb.create_sheet("Costs")
    hedging = wb.create_sheet("Hedging")
    invoices = wb.create_sheet("Invoices")
    structure = wb.create_sheet("Structure")
    provenance = wb.create_sheet("Provenance")

    build_summary(summary)
    _, daily = build_consumption(consumption)
    by_component = build_costs(costs)
    months = build_hedging(hedging)
    build_invoices(invoices)
    build_structure(structure)
    build_provenance(provenance)
    add_charts(summary, consumption, daily, costs, by_component, hedging, months)

    wb.properties.creator = "ecore_xl"
    wb.properties.title = "eCore monthly energy report template"
    wb.properties.created = STAMP
    wb.active = 0
    return wb


def to_bytes(wb: Workbook) -> bytes:
    """The workbook as .xlsx bytes with fixed timestamps (a rebuild gives identical bytes)."""
    raw = io.BytesIO()
    wb.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                data = _fixed_core(data)
            info = zipfile.ZipInfo(item.filename, date_time=STAMP.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)
    return out.getvalue()


def _fixed_core(data: bytes) -> bytes:
    import re

    stamp = STAMP.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    pattern = rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)"
    return re.sub(pattern, rb"\g<1>" + stamp + rb"\g<2>", data)


def same_package(a: bytes, b: bytes) -> bool:
    """True when two .xlsx packages hold the same parts with the same content: XML parts compared
    in canonical form (openpyxl writes the same tree with or without lxml, in other bytes)."""
    from xml.etree.ElementTree import ParseError, canonicalize

    with zipfile.ZipFile(io.BytesIO(a)) as za, zipfile.ZipFile(io.BytesIO(b)) as zb:
        if sorted(za.namelist()) != sorted(zb.namelist()):
            return False
        for name in za.namelist():
            x, y = za.read(name), zb.read(name)
            if x == y:
                continue
            try:
                if canonicalize(x.decode("utf-8")) != canonicalize(y.decode("utf-8")):
                    return False
            except (ParseError, UnicodeDecodeError):
                return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a copy is out of date")
    args = parser.parse_args(argv)
    data = to_bytes(build())
    stale = []
    for path in OUTPUTS:
        if args.check:
            if not path.is_file() or not same_package(path.read_bytes(), data):
                stale.append(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"wrote {path.relative_to(ROOT)} ({len(data):,} bytes)")
    if stale:
        print("out of date (run python templates/build_monthly_report.py):", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
