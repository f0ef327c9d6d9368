"""junit.xml: one testsuite per API, one testcase per requirement, so any CI shows the verdicts.

How each requirement's verdict maps (CI systems know only passed, failed, errored and skipped):

    fail                 <failure type="MUST">      the requirement failed; fails the gate
    warn                 passed, <system-out> WARNING and property verdict=warn (a SHOULD; the gate passes)
    waived               <skipped> naming the waiver, property verdict=waived and original_verdict
    inconclusive,
    not-exercised        <skipped> with the reason (and its cause: data, configuration, run, unexplained)
    pass                 passed

A run whose requirements were merely skipped would show green, so each testsuite also holds one testcase
`<api> run verdict` (classname `<api>`) carrying the API's verdict, counted in `tests`, `failures` and
`errors` of its testsuite and of the root:

    pass, partial        passed (partial: <system-out> with what was left unjudged)
    fail                 <failure type="fail">      naming the MUST requirements that failed
    incomplete           <error type="incomplete">  what was left unjudged (apis[].incomplete_reason)
    untestable           <error type="untestable">  why (apis[].untestable_reason)
    error                <error type="error">       what the suite itself failed on (apis[].suite_errors)
    interrupted          <error type="interrupted"> what interrupted the run, and what it left unjudged

Every testcase carries `verdict` and `level` properties (the run-verdict testcase `verdict` only), so tools
that read properties can tell a warning from a pass and a waiver from a skip; each testsuite's `verdict`
property is its API's verdict.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from apiconform.reporting.document import (
    cause_note,
    counts,
    insecure,
    meaning,
    of_api,
    one_line,
    printable,
    printable_line,
    reason,
    safety_notes,
    seed_label,
    shortfall,
)

# XML 1.0 cannot hold U+FFFE/U+FFFF, even escaped (`printable` has shown every control character and lone
# surrogate as its escape already); a response body may contain any of them.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value: Any) -> str:
    """A value as junit.xml holds it: printable (a CI log may print the file), and valid XML."""
    return _XML_FORBIDDEN.sub("\ufffd", printable(str(value)))


def _element(parent: ET.Element, tag: str, text: str | None = None, **attributes: Any) -> ET.Element:
    element = ET.SubElement(parent, tag, {name: _text(value) for name, value in attributes.items()})
    if text is not None:
        element.text = _text(text)
    return element


def _properties(parent: ET.Element, values: Mapping[str, Any]) -> None:
    block = _element(parent, "properties")
    for name, value in values.items():
        if value is not None:
            _element(block, "property", name=name, value=value)


def evidence_text(requirement: Mapping[str, Any]) -> str:
    """Every kept failure of a requirement with its exchanges, as plain text (curl lines included)."""
    heading = f"{requirement['id']} ({requirement['level']}): {printable_line(requirement['title'])}"
    lines = [heading, f'"{requirement["quote"]}"']
    for failure in requirement["failures"]:
        lines.append("")
        lines.append(f"[{failure['check']}] {failure['message']}")
        if failure.get("expected") is not None:
            lines.append(f"  expected: {failure['expected']}")
        if failure.get("received") is not None:
            lines.append(f"  received: {failure['received']}")
        for evidence in failure["evidence"]:
            lines.append(f"  {evidence['method']} {evidence['url']} -> {evidence['status']}")
            if evidence["body_excerpt"]:
                lines.append(f"  body: {one_line(evidence['body_excerpt'], 400)}")
            lines.append(f"  {evidence['curl']}")
    extra = requirement["failure_count"] - len(requirement["failures"])
    if extra > 0:
        lines.append(f"\n({extra} more failure(s) of the same requirement not kept)")
    return "\n".join(lines)


def _testcase(suite: ET.Element, requirement: Mapping[str, Any]) -> None:
    case = _element(
        suite,
        "testcase",
        classname=f"{requirement['api']}.{requirement['family']}",
        name=printable_line(f"{requirement['id']}: {requirement['title']}"),
    )
    waiver = requirement.get("waiver") or {}
    _properties(
        case,
        {
            "requirement": requirement["id"],
            "level": requirement["level"],
            "verdict": requirement["verdict"],
            "original_verdict": requirement.get("original_verdict"),
            "waiver_ticket": waiver.get("ticket"),
            "waiver_status": waiver.get("status"),
            "examples": requirement["examples"],
        },
    )
    verdict = requirement["verdict"]
    if verdict == "fail":
        message = requirement["failures"][0]["message"] if requirement["failures"] else "failed"
        if waiver.get("status") == "expired":
            message = f"waiver {waiver['ticket']} expired on {waiver['expires']}; {message}"
        _element(case, "failure", evidence_text(requirement), type=requirement["level"], message=one_line(message, 500))
    elif verdict == "warn":
        _element(case, "system-out", "WARNING (SHOULD not met)\n" + evidence_text(requirement))
    elif verdict == "waived":
        message = (
            f"waived {requirement.get('original_verdict', 'fail')} until {waiver.get('expires')} "
            f"({waiver.get('ticket')}): {waiver.get('reason')}"
        )
        _element(case, "skipped", message=one_line(message, 500))
        _element(case, "system-out", "WAIVED " + message + "\n" + evidence_text(requirement))
    elif verdict in ("inconclusive", "not-exercised"):
        _element(case, "skipped", message=one_line(f"{verdict}{cause_note(requirement)}: {reason(requirement)}", 500))


def _run_verdict_case(suite: ET.Element, report: Mapping[str, Any], api: Mapping[str, Any]) -> str | None:
    """The testcase that carries the API's verdict (see the module docstring); returns the element it holds
    (`failure` or `error`), or None when it passed."""
    verdict = api["verdict"]
    case = _element(suite, "testcase", classname=api["api"], name=f"{api['api']} run verdict")
    _properties(case, {"verdict": verdict})
    missing = shortfall(api)
    said = f"{verdict} ({meaning(verdict)})"
    if verdict == "fail":
        failed = [item["id"] for item in of_api(report, api["api"]) if item["verdict"] == "fail"]
        message = f"{said}: {', '.join(failed)} failed" if failed else said
        _element(case, "failure", message, type=verdict, message=one_line(message, 500))
        return "failure"
    if verdict in ("pass", "partial"):
        if verdict == "partial" and missing:
            _element(case, "system-out", f"{said}: {missing}")
        return None
    if verdict == "untestable":
        details = [api.get("untestable_reason") or "the target could not be tested"]
    elif verdict == "error":
        details = list(api.get("suite_errors") or ()) or ["the suite itself failed"]
    elif verdict == "interrupted":
        said = f"{verdict} ({report.get('interrupted') or 'stopped before it finished'})"
        details = [missing or "stopped before every requirement was judged"]
    else:
        details = [missing or meaning(verdict)]
    _element(case, "error", "\n".join(details), type=verdict, message=one_line(f"{said}: {'; '.join(details)}", 500))
    return "error"


def render_junit(report: Mapping[str, Any]) -> str:
    """The report as JUnit XML (UTF-8 text, XML declaration included)."""
    root = ET.Element("testsuites", {"name": "apiconform"})
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for api in report["apis"]:
        requirements = of_api(report, api["api"])
        tally = counts(requirements)
        suite = _element(root, "testsuite", name=api["api"], timestamp=report["started"])
        _properties(
            suite,
            {
                "base_url": api["base_url"],
                "spec": api["spec"]["file"],
                "spec_sha256": api["spec"]["sha256"],
                "seed": seed_label(report),
                "apiconform": report["tool"]["version"],
                "schemathesis": report["tool"]["schemathesis"],
                "verdict": api["verdict"],
                "tls_verification": "off (--insecure)" if insecure(report) else "on",
            },
        )
        for requirement in requirements:
            _testcase(suite, requirement)
        outcome = _run_verdict_case(suite, report, api)
        suite_counts = {
            "tests": len(requirements) + 1,  # the run-verdict testcase counts as a test
            "failures": tally["fail"] + (outcome == "failure"),
            "errors": int(outcome == "error"),
            "skipped": tally["waived"] + tally["inconclusive"] + tally["not-exercised"],
        }
        for name, value in suite_counts.items():
            suite.set(name, str(value))
            totals[name] += value
        # JUnit allows one system-err per suite: the reason it could not be tested, then the run-safety notes.
        errors = [f"could not be tested: {api['untestable_reason']}"] if api.get("untestable_reason") else []
        errors += list(api.get("suite_errors", ()))
        errors += safety_notes(report, api["api"])
        if errors:
            _element(suite, "system-err", "\n".join(errors))
    for name, value in totals.items():
        root.set(name, str(value))
    root.set("time", f"{report['duration_seconds']:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
