"""Write a report dictionary in every format, next to each other in one directory."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from apiconform.reporting.document import REPORT_FILE, json_printable
from apiconform.reporting.html import render_html
from apiconform.reporting.junit import render_junit
from apiconform.reporting.markdown import render_markdown


def render_json(report: Mapping[str, Any]) -> str:
    """report.json as written: indented UTF-8 JSON, printable (`json_printable`)."""
    return json_printable(json.dumps(report, indent=2, ensure_ascii=False)) + "\n"


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


# Every file a run may write into its report folder; a reused --report-dir is emptied of these (and of
# their temporary names) before a run writes its own, and of nothing else.
OWN_FILES = (
    *(file_name for file_name, _ in FORMATS.values()),
    "property-tests.har",
    "property-tests-cassette.yaml",
    "report.png",
)
TEMPORARY_PREFIX = ".apiconform-"


def atomic_write_text(path: Path, text: str) -> None:
    """Write `text` to a temporary name beside `path`, then rename it: a reader sees the old file or the whole
    new one, never a cut one (a full disk leaves the temporary file, which is removed, and raises OSError)."""
    descriptor, temporary = tempfile.mkstemp(prefix=f"{TEMPORARY_PREFIX}{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def empty_own_files(directory: Path) -> None:
    """Remove the files an earlier run wrote into `directory` (only those: nothing else there is touched)."""
    if not directory.is_dir():
        return
    for path in directory.iterdir():
        own = path.name in OWN_FILES or path.name.startswith(TEMPORARY_PREFIX)
        if own and (path.is_file() or path.is_symlink()):
            path.unlink()


# report.json last: a reader that finds it can rely on the other files being complete.
WRITE_ORDER = ("junit", "md", "html", "json")


def render_all(report: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every format's file name and text, in the order they are written. Everything is rendered before
    anything is written, so that a renderer's failure leaves no folder of half the formats."""
    return [(FORMATS[name][0], FORMATS[name][1](report)) for name in WRITE_ORDER]


def write_rendered(rendered: list[tuple[str, str]], directory: Path) -> list[Path]:
    """Write rendered files into `directory` (created if needed), each atomically and in the order given."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for file_name, text in rendered:
        path = directory / file_name
        atomic_write_text(path, text)
        written.append(path)
    return written


def write_reports(report: Mapping[str, Any], directory: Path) -> list[Path]:
    """Write every format into `directory` (created if needed), each atomically; report.json is written last,
    once the rest is."""
    return write_rendered(render_all(report), directory)
