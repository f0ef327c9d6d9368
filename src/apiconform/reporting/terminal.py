"""The end-of-run summary for a terminal: counts per API, the findings, waivers, where the reports are."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from apiconform.reporting.document import (
    INSECURE_NOTE,
    VERDICTS,
    cause_note,
    counts,
    each_string,
    findings,
    headline_evidence,
    insecure,
    meaning,
    no_workflow_commands,
    of_api,
    one_line,
    plural,
    printable,
    printable_line,
    reason,
    replay,
    safety_notes,
    shortfall,
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
    "partial": "33",
    "applied": "36",
    "expired": "1;31",
    "stale": "33",
}


COLOUR_CHOICES = ("auto", "always", "never")


def wants_colour(stream: TextIO, choice: str = "auto") -> bool:
    """`--color always` or `never` as said; `auto`: never when NO_COLOR is set (https://no-color.org), always
    when FORCE_COLOR is (https://force-color.org: a CI log that renders colour but is no terminal), else
    only on a terminal. NO_COLOR wins over FORCE_COLOR: escape codes in a log that cannot show them are
    the worse mistake."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
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

    `quiet` keeps only what a script or a CI log cannot do without: why an API could not be tested or
    what the suite itself failed on, and the verdict line (which says what an incomplete run left unjudged).
    `verbose` adds why each requirement that passed passed, and why each one not judged was not.

    Every string of the report is shown through `printable`: vendor text (a header value, a record, a
    redirect target) can neither drive the terminal nor start a CI workflow command."""
    # Keys too: a response header's name is vendor text, and `printable` leaves the report's own field
    # names (plain ASCII words) as they are.
    shown = each_string(report, printable, keys=printable)
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
        return "\n".join([*_not_run(report), _verdict_line(painter, report)]) + "\n"
    lines = _table(painter, report)
    for note in safety_notes(report):
        shown = painter.verdict(f"WARNING: {note}", "fail") if note == INSECURE_NOTE else one_line(note, 300)
        lines.append(f"  {shown}")
    lines += _not_run(report)
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
            f"{painter.verdict(f'{label:<6}', verdict)} {item['id']} ({item['level']}): "
            f"{printable_line(item['title'])}{suffix}"
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
        lines += _pass_evidence(painter, report)
        unjudged = [item for item in report["requirements"] if item["verdict"] in ("inconclusive", "not-exercised")]
        if unjudged:
            lines.append("")
        for item in unjudged:
            lines.append(
                f"{painter.verdict(item['verdict'])} {item['id']}{cause_note(item)}: {one_line(reason(item), 300)}"
            )
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


def _not_run(report: Mapping[str, Any]) -> list[str]:
    """Why an API could not be tested, and what the suite itself failed on: what a run judged nothing by."""
    lines = []
    for api in report["apis"]:
        if api.get("untestable_reason"):
            lines.append(f"  {api['api']} could not be tested: {api['untestable_reason']}")
        lines += [f"  {api['api']}: {one_line(error, 300)}" for error in api.get("suite_errors", ())]
    return lines


def _pass_evidence(painter: Painter, report: Mapping[str, Any]) -> list[str]:
    """Why each requirement passed: the observation that judged it, and the request it was made on."""
    lines = []
    for item in report["requirements"]:
        evidence = item.get("pass_evidence")
        if item["verdict"] != "pass" or not evidence:
            continue
        records = f" ({plural(evidence['records'], 'record')})" if evidence.get("records") is not None else ""
        message = one_line(evidence["message"], 300)
        lines.append(f"{painter.verdict('pass')} {item['id']}: [{evidence['check']}] {message}{records}")
        if evidence.get("request"):
            lines.append(f"       {evidence['request']['curl']}")
    return ["", *lines] if lines else []


def _verdict_line(painter: Painter, report: Mapping[str, Any]) -> str:
    """`verdict: <report.json's verdict> (<its meaning>, exit N)`, the requests sent, and what the reader of a
    verdict must know with it: TLS unverified, why sending stopped early, what each API left unjudged."""
    verdict = report["verdict"]
    said = meaning(verdict)
    if verdict == "interrupted" and report.get("interrupted"):
        said = f"{said}: {report['interrupted']}"
    tls = f"; {painter.verdict('TLS NOT VERIFIED (--insecure)', 'fail')}" if insecure(report) else ""
    stopped = list(dict.fromkeys(api["stopped_reason"] for api in report["apis"] if api.get("stopped_reason")))
    cut = f"; stopped early: {'; '.join(stopped)}" if stopped else ""
    # Only a verdict that left requirements unjudged is told with what it left (a fail says what failed).
    short = "".join(
        f"; {api['api']}: {missing}"
        for api in report["apis"]
        if api["verdict"] in ("incomplete", "partial", "interrupted") and (missing := shortfall(api))
    )
    return (
        f"verdict: {painter.bold(painter.verdict(verdict))} ({said}, exit {report['exit_code']}); "
        f"{plural(report['requests'], 'request')}{tls}{cut}{short}"
    )
