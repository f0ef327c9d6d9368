"""Write a report dictionary in every format, next to each other in one directory."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from apiconform.reporting.document import REPORT_FILE
from apiconform.reporting.html import render_html
from apiconform.reporting.junit import render_junit
from apiconform.reporting.markdown import render_markdown


def render_json(report: Mapping[str, Any]) -> str:
    """report.json as written: indented UTF-8 JSON."""
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


# Format name (as `apiconform report --format` takes it) -> file name and renderer.
FORMATS: dict[str, tuple[str, Callable[[Mapping[str, Any]], str]]] = {
    "json": (REPORT_FILE, render_json),
    "junit": ("junit.xml", render_junit),
    "md": ("report.md", render_markdown),
    "html": ("report.html", render_html),
}


def render(report: Mapping[str, Any], format_name: str) -> str:
    """The report in one format."""
    return FORMATS[format_name][1](report)


def write_reports(report: Mapping[str, Any], directory: Path) -> list[Path]:
    """Write every format into `directory` (created if needed); report.json is written last, once the rest is."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    # report.json last: a reader that finds it can rely on the other files being complete.
    for name in ("junit", "md", "html", "json"):
        file_name, renderer = FORMATS[name]
        path = directory / file_name
        path.write_text(renderer(report), encoding="utf-8")
        written.append(path)
    return written
