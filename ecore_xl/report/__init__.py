"""Monthly report workbooks from openpyxl templates, offline (no Excel running).

    from ecore_xl.report import build_report
    result = build_report("2026-10", out="report-2026-10.xlsx")
    result.figures["hedge_ratio.power"], result.flagged_invoice_ids, result.over_hedged

The default template ships in ``ecore_xl/report/templates/monthly_report.xlsx`` (built by
``templates/build_monthly_report.py``); the placeholder scheme is in ``templates/README.md``.
"""

from __future__ import annotations

from ecore_xl.report.build import (
    DEFAULT_THRESHOLD_PCT,
    ReportResult,
    build_report,
    default_template,
)
from ecore_xl.report.period import ReportMonth
from ecore_xl.report.summary import FIGURES, Figure
from ecore_xl.report.template import Template

__all__ = [
    "DEFAULT_THRESHOLD_PCT",
    "FIGURES",
    "Figure",
    "ReportMonth",
    "ReportResult",
    "Template",
    "build_report",
    "default_template",
]
