"""trend.html (`apiconform trend`): the pass, fail and warn counts of earlier runs, oldest first, as one chart
and a table, in a page of its own with no script and nothing loaded from anywhere."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

from apiconform.reporting.charts import TREND_LOOK, TrendRun, trend_lines
from apiconform.reporting.document import REPORT_FILE, ReportError, load_report, meaning

# report.html's escaping of a one-line field, short for the page's many cells.
from apiconform.reporting.html import escaped_line as _e

# The page has no script: its policy allows none (report.html's allows its inline one).
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
# The runs a trend shows: the latest ones (a reports folder of a year of nightly runs stays one readable chart).
MAX_RUNS = 60
TREND_VERDICTS = tuple(TREND_LOOK)


@dataclass(frozen=True)
class TrendEntry:
    """One readable report of a trend: where it was read from, and the report."""

    path: Path
    report: Mapping[str, Any]

    @property
    def started(self) -> datetime:
        when = datetime.fromisoformat(self.report["started"])
        return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def report_files(path: Path) -> list[Path]:
    """The report.json files `path` names: itself (a file), its report.json (a run's folder), or that of each
    run folder in it (a reports folder; `latest`, a link to one of them, counted once)."""
    if not path.is_dir():
        return [path]
    if (path / REPORT_FILE).is_file():
        return [path / REPORT_FILE]
    found: dict[Path, Path] = {}
    for child in sorted(path.iterdir()):
        candidate = child / REPORT_FILE
        if child.is_dir() and candidate.is_file():
            found.setdefault(candidate.resolve(), candidate)
    return list(found.values())


def collect(paths: Iterable[str | Path]) -> tuple[list[TrendEntry], list[str]]:
    """The readable reports the paths name, oldest first (by their `started` time), each read once; and a
    one-line warning for each path or file that gave none."""
    entries: dict[Path, TrendEntry] = {}
    warnings: list[str] = []
    for given in paths:
        path = Path(given)
        if not path.exists():
            warnings.append(f"skipped {path}: no such file or directory")
            continue
        files = report_files(path)
        if not files:
            warnings.append(f"skipped {path}: no {REPORT_FILE} in it nor in any folder in it")
        for file in files:
            try:
                report = load_report(file)
                entry = TrendEntry(file, report)
                entry.started  # noqa: B018 - a `started` the schema lets through but no clock reads is refused here
            except ReportError as exc:
                warnings.append(f"skipped {exc}")
                continue
            except ValueError:
                warnings.append(f"skipped {file}: its started time is not an ISO 8601 time")
                continue
            entries.setdefault(file.resolve(), entry)
    return sorted(entries.values(), key=lambda entry: (entry.started, str(entry.path))), warnings


def render_trend(entries: Sequence[TrendEntry]) -> str:
    """trend.html: the chart of the latest MAX_RUNS runs, and a table of them (its text alternative)."""
    shown = list(entries)[-MAX_RUNS:]
    runs = [
        TrendRun(
            entry.started.astimezone(UTC).strftime("%Y-%m-%d %H:%M"), entry.report["verdict"], entry.report["counts"]
        )
        for entry in shown
    ]
    left_out = (
        f"<p class=muted>The latest {len(shown)} of {len(entries)} runs; the earlier ones are left out.</p>"
        if len(shown) < len(entries)
        else ""
    )
    head = "".join(f"<th>{name}</th>" for name in ("started", "verdict", *TREND_VERDICTS, "APIs", "report"))
    rows = "".join(
        f"<tr><td>{_e(entry.report['started'])}</td><td>{_e(entry.report['verdict'])} "
        f"<span class=muted>({_e(meaning(entry.report['verdict']))})</span></td>"
        + "".join(f'<td class="num">{int(entry.report["counts"].get(name, 0))}</td>' for name in TREND_VERDICTS)
        + f"<td>{_e(', '.join(api['api'] for api in entry.report['apis']))}</td><td><code>{_e(entry.path)}</code></td>"
        "</tr>"
        for entry in shown
    )
    title = f"Requirements passed, failed and warned in {len(shown)} runs, oldest first"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{escape(CSP, quote=True)}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta name="generator" content="apiconform">',
            f"<title>apiconform trend: {len(shown)} runs</title>",
            f"<style>{STYLE}</style></head><body>",
            "<h1>apiconform: conformance across runs</h1>",
            left_out,
            f"<figure>{trend_lines(runs, ident='trend', title=title)}<figcaption>{_e(title)}</figcaption></figure>",
            f'<h2>Runs</h2><table class="grid"><tr>{head}</tr>{rows}</table>',
            "</body></html>",
        ]
    )


STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d232a;background:#fff;
 margin:0 auto;max-width:1200px;padding:16px 24px}
h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin:24px 0 8px}
code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.muted,figcaption{color:#66707a}figcaption{font-size:12px}figure{margin:8px 0 16px;overflow-x:auto}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #d9dee3}
.num{text-align:right}
"""
