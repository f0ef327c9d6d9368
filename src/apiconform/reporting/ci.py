"""`apiconform publish`: a stored report shown where the CI that ran it shows things.

Publishing is not the gate (`apiconform run`'s exit code is): publish exits 0 when it wrote what it should,
2 on bad input (a report that does not load, a variable or file it needs). It reads report.json only, so
everything it shows is what every other output says.

GitHub Actions (`--to github`), as action.yml calls it:
- the job summary: report.md (verdict line, counts, failed MUSTs, warned SHOULDs, waivers, the rest),
  appended to `$GITHUB_STEP_SUMMARY`, with a link to `--report-url` when given;
- annotations on standard output, one workflow command each: `::error` for each failed requirement,
  `::warning` for each warned SHOULD, `::notice` for each waived failure, failures first, at most
  `--max-annotations` (default 10: GitHub shows 10 of each kind per step); the rest are counted in one
  `::notice`. A run that ended without a verdict on its requirements (incomplete, untestable, error,
  interrupted) adds one `::error` saying why; a partial run one `::notice`. Every text is first made one
  printable line (document.printable_line: no control character, no line break, no workflow command), then
  escaped as the runner's own toolkit escapes (`%`, CR, LF; in a property also `:` and `,`);
- step outputs appended to `$GITHUB_OUTPUT`: `verdict`, `exit-code`, `report-dir`, `report-json` (the
  `name<<delimiter` form for a value with a line break).
  Both variables are required: outside a GitHub Actions step publish says which is missing and exits 2,
  rather than print a summary nobody asked for where nobody reads it (`apiconform report --format md`
  shows the summary anywhere).

GitLab CI (`--to gitlab`): GitLab's test report (junit.xml) shows output only for failed tests, so a
warned SHOULD, which passes, is invisible there. publish writes
- a Code Quality report (`gl-code-quality-report.json` beside report.json, or `--output`), which the
  merge request shows: one issue per finding, severity `major` for a failed requirement, `minor` for a
  warned SHOULD, `info` for a waived failure; its fingerprint names the API, target, requirement and
  verdict, so a SHOULD that starts to warn (or a warning that becomes a failure) shows as new;
- the summary in the job log: the verdict line and each finding (at most `--max-annotations`), in a
  section that is open when there is something to see and collapsed otherwise.

A requirement of a multi-target run may carry its target's name (`target`); titles then name it.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from apiconform.reporting.document import (
    counts,
    findings,
    headline,
    headline_evidence,
    json_printable,
    meaning,
    one_line,
    plural,
    printable_line,
    report_path,
    verdict_label,
    verdict_reasons,
)
from apiconform.reporting.markdown import render_markdown

CI_SYSTEMS = ("github", "gitlab")
DEFAULT_MAX_ANNOTATIONS = 10
CODE_QUALITY_FILE = "gl-code-quality-report.json"
# The workflow command each finding's verdict becomes, and its Code Quality severity.
GITHUB_LEVELS = {"fail": "error", "warn": "warning", "waived": "notice"}
CODE_QUALITY_SEVERITIES = {"fail": "major", "warn": "minor", "waived": "info"}
# A link to the full report: http(s), and nothing that could end a Markdown link or a line.
_REPORT_URL = re.compile(r"https?://[^\s<>()\[\]`\"'\\]+")


class PublishError(Exception):
    """What publish cannot do (a missing variable, a file it cannot write): one line, exit 2."""


def checked_report_url(url: str | None) -> str | None:
    """`--report-url` as given, or PublishError when it is no plain http(s) URL."""
    if url is None or _REPORT_URL.fullmatch(url):
        return url
    raise PublishError(f"--report-url: not an http(s) URL without spaces, quotes or brackets: {printable_line(url)}")


# --- GitHub Actions ---------------------------------------------------------------------------


def publish_github(
    report: Mapping[str, Any],
    report_file: str | Path,
    environ: Mapping[str, str],
    *,
    max_annotations: int = DEFAULT_MAX_ANNOTATIONS,
    report_url: str | None = None,
) -> str:
    """Append the job summary and the step outputs to the files the runner names; return the annotations
    (the lines to print on standard output)."""
    summary_file, output_file = (_variable(environ, name) for name in ("GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"))
    summary = render_markdown(report)
    if report_url:
        summary += f"\nThe full report: [report.html]({report_url})\n"
    json_file = report_path(report_file)
    outputs = {
        "verdict": str(report["verdict"]),
        "exit-code": str(report["exit_code"]),
        "report-dir": str(json_file.parent),
        "report-json": str(json_file),
    }
    _append(summary_file, "\n" + summary, "$GITHUB_STEP_SUMMARY")
    _append(output_file, "".join(_output_line(name, value) for name, value in outputs.items()), "$GITHUB_OUTPUT")
    return "".join(line + "\n" for line in github_annotations(report, max_annotations))


def github_annotations(report: Mapping[str, Any], limit: int = DEFAULT_MAX_ANNOTATIONS) -> list[str]:
    """The workflow commands for a report: why the run ended as it did (when it is not a plain pass or
    fail), then at most `limit` findings, failures first, then one notice counting the rest."""
    lines = []
    verdict = report["verdict"]
    if verdict not in ("pass", "fail"):
        level = "notice" if report["exit_code"] == 0 else "error"
        reasons = verdict_reasons(report) or [meaning(verdict)]
        lines.append(_command(level, f"apiconform: {verdict} ({meaning(verdict)})", reasons))
    found = findings(report)
    for item in found[:limit]:
        lines.append(_command(GITHUB_LEVELS[item["verdict"]], requirement_title(item), _details(item)))
    rest = found[limit:]
    if rest:
        lines.append(
            _command(
                "notice",
                f"apiconform: {plural(len(rest), 'more finding')}",
                [f"{_tally(rest)} not annotated (at most {limit}, --max-annotations): see the job summary"],
            )
        )
    return lines


def requirement_title(requirement: Mapping[str, Any]) -> str:
    """A finding's title: `BRM-HDR-RESULT-COUNT fail (MUST, brm-adjust-balance)`, with the target of a
    multi-target run (`..., target staging)`)."""
    where = [requirement["level"], requirement["api"]]
    if requirement.get("target"):
        where.append(f"target {requirement['target']}")
    return printable_line(f"{requirement['id']} {verdict_label(requirement)} ({', '.join(map(str, where))})")


def _details(requirement: Mapping[str, Any]) -> list[str]:
    """What a finding says under its title: the requirement, the first failure's message and its evidence."""
    lines = [str(requirement["title"])]
    message, exchanges = headline_evidence(requirement)
    if message:
        lines.append(one_line(message, 400))
    lines += [f"{evidence['curl']} -> {evidence['status']}" for evidence in exchanges[:2]]
    waiver = requirement.get("waiver")
    if waiver:
        lines.append(f"waiver {waiver['ticket']} ({waiver.get('status', 'applied')}, expires {waiver['expires']})")
    return lines


def _tally(items: list[dict[str, Any]]) -> str:
    return ", ".join(f"{count} {verdict}" for verdict, count in counts(items).items() if count)


def _command(level: str, title: str, lines: list[str]) -> str:
    """One workflow command: `::error title=...::line%0Aline`. Each text is one printable line first, so
    the escaping below is all that stands between it and the runner's parser."""
    message = "%0A".join(escape_data(printable_line(line)) for line in lines)
    return f"::{level} title={escape_property(printable_line(title))}::{message}"


def escape_data(value: str) -> str:
    """A workflow command's message as the runner's toolkit escapes it (`%`, then CR and LF)."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """A workflow command's property value: its message escaping, and `:` and `,`, which end a property."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def _output_line(name: str, value: str) -> str:
    """One `$GITHUB_OUTPUT` entry; a value with a line break in the delimiter form, with a delimiter it
    cannot contain."""
    if "\n" not in value and "\r" not in value:
        return f"{name}={value}\n"
    delimiter = f"ghadelimiter_{uuid.uuid4()}"
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def _variable(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name)
    if not value:
        raise PublishError(
            f"publish --to github: ${name} is not set: run it in a GitHub Actions step "
            "(`apiconform report --format md` shows the summary anywhere)"
        )
    return value


def _append(path: str, content: str, name: str) -> None:
    try:
        with open(path, "a", encoding="utf-8") as file:
            file.write(content)
    except OSError as exc:
        raise PublishError(f"cannot write {name} ({printable_line(path)}): {exc.strerror or exc}") from None


# --- GitLab CI --------------------------------------------------------------------------------

# GitLab's collapsible job-log section markers: `ESC[0K` erases what the runner would show of the marker.
_SECTION = "\x1b[0Ksection_{edge}:{when}:apiconform_summary{options}\r\x1b[0K"
_COLOURS = {"fail": "\x1b[31;1m", "warn": "\x1b[33;1m", "waived": "\x1b[36m"}
_RESET = "\x1b[0m"


def publish_gitlab(
    report: Mapping[str, Any],
    report_file: str | Path,
    *,
    output: str | Path | None = None,
    max_annotations: int = DEFAULT_MAX_ANNOTATIONS,
    report_url: str | None = None,
) -> str:
    """Write the Code Quality report; return the job log's summary section."""
    target = Path(output) if output is not None else report_path(report_file).parent / CODE_QUALITY_FILE
    issues = code_quality(report)
    try:
        target.write_text(json_printable(json.dumps(issues, indent=2, ensure_ascii=False)) + "\n", encoding="utf-8")
    except OSError as exc:
        raise PublishError(f"cannot write {printable_line(target)}: {exc.strerror or exc}") from None
    return gitlab_log(report, target, max_annotations, report_url)


def code_quality(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The Code Quality issues of a report: one per failed, warned or waived requirement."""
    spec_files = {api["api"]: api["spec"]["file"] for api in report["apis"]}
    issues = []
    for item in findings(report):
        message, _ = headline_evidence(item)
        description = f"{requirement_title(item)}: {item['title']}" + (f": {one_line(message, 400)}" if message else "")
        identity = "\0".join(str(part) for part in (item["api"], item.get("target") or "", item["id"], item["verdict"]))
        issues.append(
            {
                "description": printable_line(description),
                "check_name": printable_line(f"apiconform/{item['id']}"),
                "fingerprint": hashlib.sha256(identity.encode("utf-8", "backslashreplace")).hexdigest()[:32],
                "severity": CODE_QUALITY_SEVERITIES[item["verdict"]],
                "location": {"path": printable_line(spec_files.get(item["api"], "report.json")), "lines": {"begin": 1}},
            }
        )
    return issues


def gitlab_log(
    report: Mapping[str, Any],
    code_quality_file: Path,
    limit: int = DEFAULT_MAX_ANNOTATIONS,
    report_url: str | None = None,
) -> str:
    """The summary for the job log: a section headed by the verdict line, with each finding in colour."""
    found = findings(report)
    open_section = bool(found) or report["exit_code"] != 0
    when = int(time.time())
    lines = [
        _SECTION.format(edge="start", when=when, options="" if open_section else "[collapsed=true]")
        + f"apiconform: {printable_line(headline(report))}"
    ]
    lines += [f"  {printable_line(one_line(reason, 400))}" for reason in verdict_reasons(report)]
    for item in found[:limit]:
        colour = _COLOURS[item["verdict"]]
        lines.append(f"  {colour}{requirement_title(item)}{_RESET}")
        lines += [f"      {printable_line(line)}" for line in _details(item)]
    rest = found[limit:]
    if rest:
        lines.append(
            f"  … and {plural(len(rest), 'more finding')} ({_tally(rest)}; at most {limit}, --max-annotations)"
        )
    lines.append(f"  every finding: {printable_line(code_quality_file)} (the merge request's Code Quality)")
    if report_url:
        lines.append(f"  the full report: {report_url}")
    lines.append(_SECTION.format(edge="end", when=when, options=""))
    return "\n".join(lines) + "\n"
