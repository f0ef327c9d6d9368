"""Conformance reports rendered from the report.json record: JUnit XML, Markdown, one-file HTML, diffs, waivers.

Everything here works from the report dictionary (the parsed report.json) alone and never imports the
engine, so a stored report can be re-rendered, compared or validated without running anything.
"""

from apiconform.reporting.document import (
    FINDING_VERDICTS,
    REPORT_FORMAT,
    VERDICTS,
    ReportError,
    load_report,
    validate_report,
)
from apiconform.reporting.writer import FORMATS, render, render_all, write_rendered, write_reports

__all__ = [
    "FINDING_VERDICTS",
    "FORMATS",
    "REPORT_FORMAT",
    "VERDICTS",
    "ReportError",
    "load_report",
    "render",
    "render_all",
    "validate_report",
    "write_rendered",
    "write_reports",
]
