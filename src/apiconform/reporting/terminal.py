"""The end-of-run summary for a terminal: counts per API, the findings, waivers, where the reports are."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from apiconform.reporting.document import (
    INSECURE_NOTE,
    VERDICTS,
    counts,
    each_string,
    findings,
    headline_evidence,
    insecure,
    no_workflow_commands,
    of_api,
    one_line,
    plural,
    printable,
    reason,
    replay,
    safety_notes,
)

_COLOURS = {
    "pass": "32",
    "fail": "1;31",
    "warn": "33",
    "waived": "36",
    "inconclusive": "35",
    "not-exercised": "2",
    "untestable": "1;31",
    "error": "1;31",
    "interrupted": "1;33",
    "incomplete": "1;33",
    "applied": "36",
    "expired": "1;31",
    "stale": "33",
}


def wants_colour(stream: TextIO) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Painter:
    """Wraps words in ANSI colours, or leaves them alone when colour is off."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def verdict(self, text: str, verdict: str | None = None) -> str:
        """`text` in the colour of `verdict` (itself by default)."""
        code = _COLOURS.get(verdict or text)
        return f"\033[{code}m{text}\033[0m" if self.enabled and code else text

    def bold(self, text: str) -> str:
        """`text` in bold."""
        return f"\033[1m{text}\033[0m" if self.enabled else text


def _pad(painted: str, plain: str, width: int, right: bool = False) -> str:
    # Escape codes take no room on screen; pad by the plain text's width.
    padding = " " * max(0, width - len(plain))
    return padding + painted if right else painted + padding


def _table(painter: Painter, report: Mapping[str, Any]) -> list[str]:
    columns = ("API", "verdict", *VERDICTS, "requests")
    rows: list[list[tuple[str, str | None]]] = []
    for api in report["apis"]:
        tally = counts(of_api(report, api["api"]))
        rows.append(
            [
                (api["api"], None),
                (api["verdict"], api["verdict"]),
                *(
                    (str(tally[name]), name if tally[name] and name in ("fail", "warn", "waived") else None)
                    for name in VERDICTS
                ),
                (str(api["requests"]), None),
            ]
        )
    widths = [max(len(columns[index]), *(len(row[index][0]) for row in rows)) for index in range(len(columns))]
    lines = ["  ".join(_pad(name, name, widths[index], index > 1) for index, name in enumerate(columns))]
    for row in rows:
        cells = []
        for index, (text, colour) in enumerate(row):
            painted = painter.verdict(text, colour) if colour else text
            cells.append(_pad(painted, text, widths[index], index > 1))
        lines.append("  ".join(cells).rstrip())
    return lines


def render_summary(
    report: Mapping[str, Any],
    report_dir: Path | None = None,
    written: Sequence[Path] = (),
    *,
    colour: bool = False,
    verbose: bool = False,
    quiet: bool = False,
) -> str:
    """The summary printed after a run: table, findings, waivers, report files, the verdict line.

    `quiet` keeps only what a script or a CI log cannot do without: why an API could not be tested,
    and the verdict line.

    Every string of the report is shown through `printable`: vendor text (a header value, a record, a
    redirect target) can neither drive the terminal nor start a CI workflow command."""
    shown = each_string(report, printable)
    summary = _summary(shown, report_dir, written, colour=colour, verbose=verbose, quiet=quiet)
    return no_workflow_commands(summary)


def _summary(
    report: Mapping[str, Any],
    report_dir: Path | None,
    written: Sequence[Path],
    *,
    colour: bool,
    verbose: bool,
    quiet: bool,
) -> str:
    painter = Painter(colour)
    if quiet:
        return "\n".join([*_untestable(report), _verdict_line(painter, report)]) + "\n"
    lines = _table(painter, report)
    for note in safety_notes(report):
        shown = painter.verdict(f"WARNING: {note}", "fail") if note == INSECURE_NOTE else one_line(note, 300)
        lines.append(f"  {shown}")
    for api in report["apis"]:
        lines += _untestable(report, api["api"])
        for error in api.get("suite_errors", ()):
            lines.append(f"  {api['api']}: {one_line(error, 300)}")
    found = findings(report)
    if found:
        lines.append("")
    curls = False
    for item in found:
        verdict = item["verdict"]
        label = verdict.upper() if verdict != "waived" else f"WAIVED {item.get('original_verdict', 'fail').upper()}"
        expired = (item.get("waiver") or {}).get("status") == "expired"
        suffix = " (waiver expired)" if expired else ""
        lines.append(
            f"{painter.verdict(f'{label:<6}', verdict)} {item['id']} ({item['level']}): {item['title']}{suffix}"
        )
        message, exchanges = headline_evidence(item)
        if message:
            lines.append(f"       {one_line(message, 300)}")
        if verbose or verdict == "fail":
            for evidence in exchanges:
                lines.append(f"       {evidence['curl']}")
                curls = True
    rebuild = replay(report)
    if curls and rebuild is not None:
        lines.append("")
        lines.append(f"to replay the curl lines, start the same target: {rebuild['command']}")
        lines.append(f"  ({rebuild['token']})")
    if verbose:
        unjudged = [item for item in report["requirements"] if item["verdict"] in ("inconclusive", "not-exercised")]
        if unjudged:
            lines.append("")
        for item in unjudged:
            lines.append(f"{painter.verdict(item['verdict'])} {item['id']}: {one_line(reason(item), 300)}")
    notable = [waiver for waiver in report["waivers"] if verbose or waiver["status"] != "applied"]
    if notable:
        lines.append("")
        for waiver in notable:
            lines.append(f"waiver {painter.verdict(waiver['status'])} {waiver['requirement']}: {waiver['detail']}")
    lines.append("")
    if report_dir is not None:
        names = ", ".join(path.name for path in written) if written else "report.json"
        lines.append(f"reports: {report_dir}/ ({names})")
    lines.append(_verdict_line(painter, report))
    return "\n".join(lines) + "\n"


def _untestable(report: Mapping[str, Any], api_name: str | None = None) -> list[str]:
    return [
        f"  {api['api']} could not be tested: {api['untestable_reason']}"
        for api in report["apis"]
        if api.get("untestable_reason") and api_name in (None, api["api"])
    ]


def _verdict_line(painter: Painter, report: Mapping[str, Any]) -> str:
    verdict = painter.verdict(report["verdict"])
    meaning = {
        0: "conformant",
        1: "nonconformant",
        3: "could not be tested",
        4: "the suite itself failed",
        130: "interrupted",
        141: "interrupted",
        143: "interrupted",
    }.get(report["exit_code"], "")
    if report["verdict"] == "incomplete":
        meaning = "the target cut the run short"
    stopped = list(dict.fromkeys(api["stopped_reason"] for api in report["apis"] if api.get("stopped_reason")))
    # A plan the user made smaller than the full one (--max-requests) left examples out.
    smaller = any((api.get("plan") or {}).get("gave_up") for api in report["apis"])
    if (stopped or smaller) and report["verdict"] == "pass":
        # A budget the user set (--max-requests, --max-time) ended the run: it passed on what it judged.
        meaning += ", partial"
    tls = f"; {painter.verdict('TLS NOT VERIFIED (--insecure)', 'fail')}" if insecure(report) else ""
    cut = f"; stopped early: {'; '.join(stopped)}" if stopped else ""
    return (
        f"verdict: {painter.bold(verdict)} ({meaning}, exit {report['exit_code']}); "
        f"{plural(report['requests'], 'request')}{tls}{cut}"
    )
