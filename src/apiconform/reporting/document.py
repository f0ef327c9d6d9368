"""The report.json document: its JSON Schema, loading with clear errors, and helpers the renderers share."""

from __future__ import annotations

import json
import platform
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cache
from importlib import resources
from importlib.metadata import version
from pathlib import Path
from typing import Any

import jsonschema

from apiconform import __version__
from apiconform.exitcodes import ExitCode

REPORT_FORMAT = 2
REPORT_FILE = "report.json"

# Display order: what needs attention first.
VERDICTS = ("fail", "warn", "waived", "inconclusive", "not-exercised", "pass")
# Verdicts that name something wrong with the target (shown with their evidence).
FINDING_VERDICTS = ("fail", "warn", "waived")
# A run's verdicts (the top level's and each API's), with the words every output gives each: the verdict
# line's, report.md's banner, report.html's header (the report.json contract of issue 21).
RUN_VERDICTS = {
    "pass": "conformant",
    "partial": "conformant on what was judged, partial",
    "fail": "nonconformant",
    "incomplete": "not every MUST requirement was judged",
    "untestable": "could not be tested",
    "error": "the suite itself failed",
    "interrupted": "interrupted",
}


class ReportError(Exception):
    """A report file that cannot be read, parsed or validated (the message is one line)."""


def fails_gate(requirement: dict[str, Any]) -> bool:
    """A requirement fails the gate when its verdict is `fail`. A failure a current waiver covers has the
    verdict `waived` by then (reporting.waivers.apply_waivers; an expired waiver leaves it `fail`)."""
    return bool(requirement["verdict"] == "fail")


# A run's verdict is the first of these its APIs have (an interrupted run says so whatever it judged).
VERDICT_PRECEDENCE = ("interrupted", "fail", "error", "untestable", "incomplete", "partial", "pass")
EXIT_OF_VERDICT = {
    "pass": ExitCode.PASS,
    "partial": ExitCode.PASS,
    "fail": ExitCode.NONCONFORMANT,
    "incomplete": ExitCode.UNTESTABLE,
    "untestable": ExitCode.UNTESTABLE,
    "error": ExitCode.SUITE_ERROR,
}


def exit_code(report: dict[str, Any]) -> ExitCode:
    """The gate: 1 when a MUST failed unwaived (a finding, whatever else broke), else the exit code of the
    run's verdict (0 pass or partial, 3 untestable or incomplete, 4 the suite itself failed)."""
    if any(fails_gate(item) for item in report["requirements"]):
        return ExitCode.NONCONFORMANT
    return EXIT_OF_VERDICT[run_verdict(report["apis"])]


def run_verdict(apis: Iterable[dict[str, Any]]) -> str:
    """The run's verdict from its APIs' verdicts: a MUST that failed is a finding whatever else broke, so
    `fail` comes before `error` and both before a verdict that judged too little."""
    found = {api["verdict"] for api in apis}
    return next((verdict for verdict in VERDICT_PRECEDENCE if verdict in found), "pass")


def tool() -> dict[str, str]:
    """report.json's `tool`: apiconform's version and those of the libraries a verdict depends on."""
    return {
        "name": "apiconform",
        "version": __version__,
        "schemathesis": version("schemathesis"),
        "hypothesis": version("hypothesis"),
        "python": platform.python_version(),
    }


@cache
def report_schema() -> dict[str, Any]:
    """The JSON Schema of report.json (src/apiconform/reporting/report.schema.json)."""
    text = resources.files("apiconform.reporting").joinpath("report.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def validate_report(report: Any) -> None:
    """Raise ReportError naming the first place where `report` breaks the report.json schema."""
    validator = jsonschema.Draft202012Validator(
        report_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    error = jsonschema.exceptions.best_match(validator.iter_errors(report))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
        raise ReportError(f"not an apiconform report: at {where}: {error.message}")


def report_path(path: str | Path) -> Path:
    """A report file, or the report.json inside a report directory (such as reports/latest)."""
    candidate = Path(path)
    return candidate / REPORT_FILE if candidate.is_dir() else candidate


def read_json(path: str | Path) -> Any:
    """Parse a JSON file, turning every way it can go wrong into a one-line ReportError."""
    file = report_path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReportError(f"{file}: no such file") from None
    except OSError as exc:
        raise ReportError(f"{file}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ReportError(f"{file}: not UTF-8 text") from None
    try:
        # Keys too: a lone surrogate cannot be written anywhere, and this change leaves every other key as
        # it is (the report's own field names hold none), so the document keeps its shape.
        return each_string(json.loads(text), without_surrogates, keys=without_surrogates)
    except json.JSONDecodeError as exc:
        raise ReportError(f"{file}: not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None


def each_string(value: Any, change: Callable[[str], str], *, keys: Callable[[str], str] | None = None) -> Any:
    """`value` (parsed JSON) with `change` applied to every string value in it, and `keys` to every object key.

    Keys are left alone unless `keys` is given: they are the document's own field names (and, in evidence,
    response header names), and a change meant for text, such as masking a secret's leading characters,
    would rename a field the readers look up. Only a change that maps every field name to itself may be
    given for keys too."""
    if isinstance(value, str):
        return change(value)
    if isinstance(value, list):
        return [each_string(item, change, keys=keys) for item in value]
    if isinstance(value, dict):
        return {
            (keys(key) if keys is not None else key): each_string(item, change, keys=keys)
            for key, item in value.items()
        }
    return value


def without_surrogates(text: str) -> str:
    """`text` with each lone surrogate written as its escape (`\\ud800`): JSON may hold one (`"\\ud800"`),
    but no UTF-8 file or terminal can, and one must not cost a whole report."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def load_report(path: str | Path) -> dict[str, Any]:
    """Read and validate a report.json (or a report directory)."""
    report = read_json(path)
    try:
        validate_report(report)
    except ReportError as exc:
        raise ReportError(f"{report_path(path)}: {exc}") from None
    assert isinstance(report, dict)  # the schema demands an object
    return report


# --- helpers shared by the renderers ------------------------------------------------------------


def plural(count: int, noun: str, many: str | None = None) -> str:
    """`count` with `noun` in the right number: "1 request", "2 requests", "0 retries" (with `many`)."""
    return f"{count} {noun if count == 1 else (many or noun + 's')}"


def replay(report: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """How to rebuild an embedded run's target (its `apiconform serve` command), or None for a real target."""
    found: Mapping[str, Any] | None = report["target"].get("replay")
    return found


def release_label(api: Mapping[str, Any]) -> str | None:
    """Which vendor release an API's run judged ("release 15.0 (15.0, 15.1)"), or None for a spec without
    releases (and for a report written before releases existed)."""
    release = api["spec"].get("release")
    if not release:
        return None
    default = ", the spec's default" if release["default"] else ""
    return f"release {release['name']} ({', '.join(release['versions'])}{default}): {release['title']}"


def one_line(text: str | None, limit: int = 200) -> str:
    """`text` on one line, cut at `limit` characters with an ellipsis."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


# What a terminal or a CI log would act on rather than show: C0 and C1 controls (but tab and newline),
# DEL, lone surrogates, and the bidirectional overrides and isolates that reorder what is shown.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# A line that starts with `::` and holds another `::` is a workflow command to GitHub Actions (`::error::`,
# `::error title=x::`, `::stop-commands::`); pytest's own lines start with `::` too (`::test_x PASSED`).
_WORKFLOW_COMMAND = re.compile(r"^(\s*)::(?=.*::)", re.MULTILINE)
# The runner also reads the older form anywhere in a line: `##[error]...`, `##[set-output name=x;]...`.
_LEGACY_WORKFLOW_COMMAND = "##["


def printable(text: str) -> str:
    """Vendor text as a terminal or a CI log may show it: each control character or bidi override as its
    escape (`\\x1b`, `\\u202e`), and no workflow command (`no_workflow_commands`)."""
    return no_workflow_commands(_UNPRINTABLE.sub(lambda match: _escape(match.group()), text))


def printable_line(value: Any) -> str:
    """A one-line field (a title, an ID, a name) as every output shows it: on one line (each run of
    whitespace, line breaks included, one space), and `printable`. A spec's title cannot add a line, a
    Markdown list item or a table row to a report, nor a line to the terminal."""
    return printable(" ".join(str(value).split()))


def no_workflow_commands(text: str) -> str:
    """`text` with the `::` that starts a workflow command's line written `\\x3a:`, and every `##[` written
    `\\x23#[`, so that no CI runner takes any of it for a command."""
    text = _WORKFLOW_COMMAND.sub(lambda match: match.group(1) + "\\x3a:", text)
    return text.replace(_LEGACY_WORKFLOW_COMMAND, "\\x23#[") if _LEGACY_WORKFLOW_COMMAND in text else text


# In JSON text, what `printable` would escape but JSON leaves as it is (DEL, C1 controls, bidi overrides)
# and the runner's `##[`: none of it can stand outside a string.
_JSON_UNPRINTABLE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]|##\\[")


def json_printable(text: str) -> str:
    """JSON text (as json.dumps writes it) that a terminal or a CI log may print: what `printable` escapes
    and JSON does not is written as a JSON escape (`\\u009b`, `##\\u005b`). The document is the same."""
    return _JSON_UNPRINTABLE.sub(
        lambda match: "##\\u005b" if match.group() == "##[" else _json_escape(match.group()), text
    )


def _json_escape(char: str) -> str:
    return f"\\u{ord(char):04x}"


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def ordered(requirements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Requirements by verdict (failures first), keeping catalog order within a verdict."""
    rank = {verdict: index for index, verdict in enumerate(VERDICTS)}
    return sorted(requirements, key=lambda item: rank.get(item["verdict"], len(VERDICTS)))


def findings(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The failed, warned and waived requirements, failures first."""
    return ordered([item for item in report["requirements"] if item["verdict"] in FINDING_VERDICTS])


def counts(requirements: list[dict[str, Any]]) -> dict[str, int]:
    """How many requirements have each verdict (every verdict present, zero or not)."""
    tally = dict.fromkeys(VERDICTS, 0)
    for item in requirements:
        tally[item["verdict"]] = tally.get(item["verdict"], 0) + 1
    return tally


def of_api(report: Mapping[str, Any], api: str) -> list[dict[str, Any]]:
    """The requirements of one API, in catalog order."""
    return [item for item in report["requirements"] if item["api"] == api]


def families(requirements: list[dict[str, Any]]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Requirements grouped by family, families in the order they first appear in the catalog."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in requirements:
        groups.setdefault(item["family"], []).append(item)
    yield from groups.items()


def headline_evidence(requirement: Mapping[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The first failure's message and every exchange it keeps: the smallest set of requests that shows
    it, the most telling first (two pages that overlap, say, rather than the large page they are checked against)."""
    for failure in requirement.get("failures", ()):
        return failure["message"], list(failure["evidence"])
    return "", []


def reason(requirement: Mapping[str, Any]) -> str:
    """Why a requirement was not exercised or is inconclusive (its reasons joined)."""
    return "; ".join(requirement.get("reasons") or ()) or "nothing observed"


def cause_note(requirement: Mapping[str, Any]) -> str:
    """What kind of cause left a requirement unjudged, to show beside its reason: ` (cause: data)`, or
    nothing (a report from before the field, or a judged requirement)."""
    cause = requirement.get("cause")
    return f" (cause: {cause})" if cause else ""


def meaning(verdict: str) -> str:
    """The words a run's verdict is told in (`conformant`, `could not be tested`, ...)."""
    return RUN_VERDICTS.get(verdict, verdict)


def shortfall(api: Mapping[str, Any]) -> str | None:
    """Why an API was not judged in full, in one line: its `incomplete_reason`; for a report without one, the
    MUST requirements it left unjudged and its exchanges without a usable answer, or why it stopped sending.
    None when nothing was left out (or the API could not be tested at all: `untestable_reason` says why)."""
    if api.get("incomplete_reason"):
        return str(api["incomplete_reason"])
    if api.get("untestable_reason"):
        return None
    parts = []
    unjudged = [item["id"] for item in api.get("unjudged") or ()]
    if unjudged:
        parts.append(f"{plural(len(unjudged), 'MUST requirement')} not judged ({', '.join(unjudged)})")
    if api.get("unusable_exchanges"):
        parts.append(f"{api['unusable_exchanges']} of {api['requests']} exchanges had no usable answer")
    if not parts and api["verdict"] in ("incomplete", "partial") and api.get("stopped_reason"):
        parts.append(f"stopped sending before the run was done: {api['stopped_reason']}")
    return ": ".join(parts) or None


def verdict_reasons(report: Mapping[str, Any]) -> list[str]:
    """Why the run ended as it did when it was neither judged in full nor failed: what interrupted it, and
    per API why it could not be tested, what the suite itself failed on, and what was left unjudged
    (for an incomplete, partial or interrupted API). One line each, naming the API."""
    lines = [f"interrupted by {report['interrupted']}"] if report.get("interrupted") else []
    for api in report["apis"]:
        if api.get("untestable_reason"):
            lines.append(f"{api['api']} could not be tested: {api['untestable_reason']}")
        lines += [f"{api['api']}: {error}" for error in api.get("suite_errors") or ()]
        missing = shortfall(api)
        if missing and api["verdict"] in ("incomplete", "partial", "interrupted"):
            lines.append(f"{api['api']}: {missing}")
    return lines


def verdict_label(requirement: Mapping[str, Any]) -> str:
    """The verdict as people read it: a waived failure says what it waives."""
    if requirement["verdict"] == "waived":
        return f"waived {requirement.get('original_verdict', 'fail')}"
    waiver = requirement.get("waiver")
    if waiver and waiver.get("status") == "expired":
        return f"{requirement['verdict']} (waiver expired)"
    return str(requirement["verdict"])


def headline(report: Mapping[str, Any]) -> str:
    """One sentence: the overall verdict, its meaning, and the counts that decided it (`verdict_reasons` says
    why a run that was not judged in full ended as it did)."""
    tally = report["counts"]
    apis = ", ".join(api["api"] for api in report["apis"])
    parts = [f"{tally.get('fail', 0)} failed", f"{tally.get('warn', 0)} warned"]
    if tally.get("waived"):
        parts.append(f"{tally['waived']} waived")
    total = len(report["requirements"])
    verdict = report["verdict"]
    said = f" ({meaning(verdict)})" if meaning(verdict) != verdict else ""
    return f"{verdict.upper()}{said}: {', '.join(parts)} of {plural(total, 'requirement')} ({apis})"


def run_settings(report: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The settings of each run a report holds, by target name ("" for a report of one run)."""
    settings = report["settings"]
    return dict(settings["per_target"]) if "per_target" in settings else {"": settings}


def insecure(report: Mapping[str, Any]) -> bool:
    """Whether the run (in a combined report: any target's run) skipped TLS certificate verification."""
    return any(settings.get("insecure") for settings in run_settings(report).values())


def seed_label(report: Mapping[str, Any]) -> str:
    """The run's seed, or where to find each target's in a combined report whose targets' seeds differ."""
    return "per target" if report["seed"] is None else str(report["seed"])


INSECURE_NOTE = "TLS certificates were NOT verified (--insecure): the answers may not have come from the real target"


def safety_notes(report: Mapping[str, Any], api_name: str | None = None) -> list[str]:
    """What a reader must know about how the run treated the target: TLS not verified, redirects refused,
    429 pauses, requests stopped early, requests that got no usable answer (all APIs, or one and the run's)."""
    notes = [INSECURE_NOTE] if insecure(report) else []
    for api in report["apis"]:
        if api_name is None or api["api"] == api_name:
            notes += [f"{api['api']}: {note}" for note in _api_notes(api)]
    return notes


def _api_notes(api: Mapping[str, Any]) -> Iterator[str]:
    offsite = api.get("offsite_redirects") or []
    if offsite:
        yield (
            f"{plural(api.get('offsite_redirect_count', len(offsite)), 'redirect')} pointed to another host and "
            f"{'was' if api.get('offsite_redirect_count', len(offsite)) == 1 else 'were'} not followed "
            f"(the token was not sent there), e.g. {offsite[0]}"
        )
    elif api.get("redirects_not_followed"):
        answered = api["redirects_not_followed"]
        yield f"{plural(answered, 'redirect')} {'was' if answered == 1 else 'were'} answered; none was followed"
    retries = api.get("retries_on_429") or 0
    if retries:
        yield (
            f"the target answered 429 Too Many Requests; the run waited {api.get('waited_on_429_seconds', 0):g} s "
            f"over {plural(retries, 'retry', 'retries')}"
        )
    if api.get("stopped_reason"):
        yield f"stopped sending before the run was done: {api['stopped_reason']}"
    errors = api.get("transport_error_count", len(api.get("transport_errors") or ()))
    if errors:
        first = (api.get("transport_errors") or [""])[0]
        yield f"{plural(errors, 'request')} got no usable answer" + (f", e.g. {first}" if first else "")
