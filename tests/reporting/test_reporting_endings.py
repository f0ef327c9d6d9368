"""Every output tells the same verdict (issue 21): for each of the seven endings of a run, the terminal's
verdict line, report.json, junit.xml, report.md and report.html state the verdict report.json holds, with
the same meaning, and say why a run that was not judged in full ended as it did.

The reports are hand-made (conftest.ending_report), one per ending, as the engine writes them.
"""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from apiconform.reporting import validate_report
from apiconform.reporting.document import RUN_VERDICTS
from apiconform.reporting.html import render_html
from apiconform.reporting.junit import render_junit
from apiconform.reporting.markdown import render_markdown
from apiconform.reporting.terminal import render_summary
from apiconform.reporting.writer import render_json

from .conftest import (
    ENDINGS,
    INCOMPLETE_REASON,
    SUITE_ERROR,
    UNJUDGED,
    UNTESTABLE_REASON,
    ending_report,
    make_report,
    requirement,
)

# How junit.xml's run-verdict testcase shows each verdict (junit.py's docstring, README's verdict table).
JUNIT_OUTCOME = {
    "pass": "passed",
    "partial": "passed",
    "fail": "failure",
    "incomplete": "error",
    "untestable": "error",
    "error": "error",
    "interrupted": "error",
}
_VERDICT_LINE = re.compile(r"^verdict: (?P<verdict>\S+) \((?P<meaning>.*?), exit (?P<code>\d+)\)")


def _terminal(report: dict[str, Any], **options: Any) -> re.Match[str]:
    line = render_summary(report, **options).splitlines()[-1]
    told = _VERDICT_LINE.match(line)
    assert told is not None, line
    return told


def _run_verdict_case(report: dict[str, Any], api: str) -> tuple[str, str | None, ET.Element]:
    """The outcome of an API's run-verdict testcase in junit.xml (passed, failure or error), the type of its
    failure or error, and the testcase."""
    root = ET.fromstring(render_junit(report))
    (suite,) = [suite for suite in root.iter("testsuite") if suite.get("name") == api]
    (case,) = [case for case in suite.iter("testcase") if case.get("name") == f"{api} run verdict"]
    assert case.get("classname") == api
    for outcome in ("failure", "error", "skipped"):
        element = case.find(outcome)
        if element is not None:
            return outcome, element.get("type"), case
    return "passed", None, case


def _junit_suite_verdict(report: dict[str, Any], api: str) -> str | None:
    root = ET.fromstring(render_junit(report))
    (suite,) = [suite for suite in root.iter("testsuite") if suite.get("name") == api]
    return suite.find("properties/property[@name='verdict']").get("value")  # type: ignore[union-attr]


def _markdown_banner(report: dict[str, Any]) -> re.Match[str]:
    first = render_markdown(report).splitlines()[0]
    told = re.match(r"^## apiconform: (?P<verdict>[A-Z-]+)(?: \((?P<meaning>[^)]*)\))?: ", first)
    assert told is not None, first
    return told


def _html_told(report: dict[str, Any]) -> dict[str, str]:
    page = render_html(report)
    badge = re.search(r'<h1>apiconform conformance report <span class="badge v-([a-z-]+)">([A-Z-]+)</span></h1>', page)
    title = re.search(r"<title>apiconform ([A-Z-]+): ", page)
    row = re.search(r'<tr><th>Verdict</th><td><span class="badge v-([a-z-]+)">[A-Z-]+</span> ([^;<]*);', page)
    assert badge and title and row, page[:2000]
    return {"badge": badge.group(1), "badge text": badge.group(2).lower(), "title": title.group(1).lower()} | {
        "verdict row": row.group(1),
        "meaning": row.group(2),
    }


@pytest.mark.parametrize("verdict", ENDINGS)
def test_every_output_tells_the_verdict_report_json_holds(verdict: str) -> None:
    report = ending_report(verdict)
    api = report["apis"][0]["api"]
    terminal = _terminal(report)
    written = json.loads(render_json(report))
    validate_report(written)
    outcome, kind, case = _run_verdict_case(report, api)
    banner = _markdown_banner(report)
    html = _html_told(report)
    told = {
        "terminal verdict line": terminal["verdict"],
        "report.json": written["verdict"],
        "report.json, the API": written["apis"][0]["verdict"],
        "junit.xml testsuite property": _junit_suite_verdict(report, api),
        "junit.xml run-verdict testcase property": case.find("properties/property[@name='verdict']").get("value"),  # type: ignore[union-attr]
        "report.md banner": banner["verdict"].lower(),
        "report.html badge": html["badge"],
        "report.html badge text": html["badge text"],
        "report.html title": html["title"],
        "report.html verdict row": html["verdict row"],
    }
    assert told == dict.fromkeys(told, verdict)
    assert (outcome, kind) == (JUNIT_OUTCOME[verdict], None if outcome == "passed" else verdict)
    # The same meaning everywhere: the contract's words for the verdict.
    assert terminal["meaning"].split(":")[0] == RUN_VERDICTS[verdict]
    assert int(terminal["code"]) == ENDINGS[verdict]
    assert (banner["meaning"] or verdict) == RUN_VERDICTS[verdict]
    assert html["meaning"] == RUN_VERDICTS[verdict]


@pytest.mark.parametrize("verdict", ENDINGS)
def test_junit_counts_the_run_verdict_testcase(verdict: str) -> None:
    """A CI view that reads only the counts sees the run's verdict: an untestable, incomplete, interrupted
    or errored run is not green because its requirements were merely skipped."""
    report = ending_report(verdict)
    root = ET.fromstring(render_junit(report))
    (suite,) = root.iter("testsuite")
    requirements = len(report["requirements"])
    failed = sum(item["verdict"] == "fail" for item in report["requirements"])
    outcome = JUNIT_OUTCOME[verdict]
    expected = {
        "tests": str(requirements + 1),
        "failures": str(failed + (outcome == "failure")),
        "errors": str(int(outcome == "error")),
    }
    for element in (root, suite):
        assert {name: element.get(name) for name in expected} == expected
    green = root.get("failures") == root.get("errors") == "0"
    assert green == (verdict in ("pass", "partial"))


# What each ending must say, wherever it is told, beyond its verdict.
WHY = {
    "partial": [UNJUDGED, "180 of 189 exchanges had no usable answer"],
    "incomplete": [UNJUDGED, "180 of 189 exchanges had no usable answer"],
    "untestable": [UNTESTABLE_REASON],
    "error": [SUITE_ERROR],
    "interrupted": ["SIGTERM", UNJUDGED, "180 of 189 exchanges had no usable answer"],
}


@pytest.mark.parametrize("verdict", WHY)
def test_every_output_says_why_a_run_was_not_judged_in_full(verdict: str) -> None:
    report = ending_report(verdict)
    outputs = {
        "terminal": render_summary(report),
        "terminal, quiet": render_summary(report, quiet=True),
        "junit.xml run verdict": ET.tostring(_run_verdict_case(report, "bitgo-oes")[2], encoding="unicode"),
        # Before the table: the banner's reasons (Markdown's escapes undone).
        "report.md": re.sub(r"\\(.)", r"\1", render_markdown(report).split("| API |", 1)[0]),
        "report.html": html.unescape(render_html(report).split("</header>", 1)[0]),
    }
    for name, text in outputs.items():
        for needed in WHY[verdict]:
            assert needed in text, f"{name} does not say {needed!r}:\n{text}"


def test_incomplete_says_what_incomplete_reason_says_not_that_the_target_cut_the_run_short() -> None:
    report = ending_report("incomplete")
    line = render_summary(report).splitlines()[-1]
    assert line == (
        "verdict: incomplete (not every MUST requirement was judged, exit 3); 100 requests; "
        f"bitgo-oes: {INCOMPLETE_REASON}"
    )
    assert "cut the run short" not in render_summary(report) + render_markdown(report) + render_html(report)


def test_partial_follows_the_verdict_not_the_plan() -> None:
    """A pass whose plan gave examples up is told as a pass; `partial` is the verdict's word, not a suffix."""
    report = make_report([requirement("OES-A-PASS", "pass")])
    report["apis"][0]["plan"] = {
        "requests": 40,
        "spent": {},
        "gave_up": ["fewer examples"],
        "property_cases_not_sent": 0,
    }
    assert render_summary(report).splitlines()[-1] == "verdict: pass (conformant, exit 0); 100 requests"
    line = render_summary(ending_report("partial")).splitlines()[-1]
    assert line.startswith("verdict: partial (conformant on what was judged, partial, exit 0); 100 requests; ")
    assert line.endswith(f"; bitgo-oes: {INCOMPLETE_REASON}")


def test_an_incomplete_report_without_the_new_fields_says_why_it_stopped() -> None:
    """A report from before issue 21's fields: the stop reason stands in for incomplete_reason."""
    report = make_report([requirement("OES-A-PASS", "pass"), requirement("OES-B", "not-exercised")])
    report["apis"][0].update(verdict="incomplete", stopped_reason="the target kept answering 429 Too Many Requests")
    report.update(verdict="incomplete", exit_code=3)
    validate_report(report)
    reason = "bitgo-oes: stopped sending before the run was done: the target kept answering 429 Too Many Requests"
    assert render_summary(report).splitlines()[-1].endswith(f"; {reason}")
    assert reason in render_markdown(report) and reason in render_html(report)
    _, kind, case = _run_verdict_case(report, "bitgo-oes")
    assert kind == "incomplete" and "kept answering 429" in (case.findtext("error") or "")


def test_each_api_is_told_its_own_verdict() -> None:
    """Two APIs that ended differently: every output shows each API's verdict from report.json."""
    report = make_report([requirement("OES-A", "pass", api="bitgo-oes"), requirement("BRM-A", "fail", api="brm")])
    oes, brm = report["apis"]
    oes.update(verdict="incomplete", incomplete_reason=INCOMPLETE_REASON, unusable_exchanges=180, unjudged=[])
    validate_report(report)
    terminal = {line.split()[0]: line.split()[1] for line in render_summary(report).splitlines()[1:3]}
    markdown = dict(re.findall(r"^\| (\S+) \| \*\*([a-z-]+)\*\* \|", render_markdown(report), flags=re.MULTILINE))
    html = dict(re.findall(r'<a href="#api-[^"]+">([^<]+)</a>.*?<span class="badge v-([a-z-]+)">', render_html(report)))
    junit = {api: _junit_suite_verdict(report, api) for api in ("bitgo-oes", "brm")}
    runs = {api: _run_verdict_case(report, api)[:2] for api in ("bitgo-oes", "brm")}
    expected = {"bitgo-oes": "incomplete", "brm": "fail"}
    assert terminal == markdown == html == junit == expected
    assert runs == {"bitgo-oes": ("error", "incomplete"), "brm": ("failure", "fail")}


def test_why_a_requirement_passed_shows_in_html_and_verbose_terminal_only() -> None:
    report = ending_report("pass")
    evidence = report["requirements"][0]["pass_evidence"]
    page = render_html(report)
    row = html.unescape(page.split('id="req-bitgo-oes-OES-A-PASS"', 1)[1].split('<div class="req"', 1)[0])
    shown = (evidence["check"], evidence["message"], "14 records compared", evidence["request"]["url"])
    for text in (*shown, evidence["request"]["curl"]):
        assert text in row, text
    verbose = render_summary(report, verbose=True)
    assert f"pass OES-A-PASS: [{evidence['check']}] {evidence['message']} (14 records)" in verbose
    assert evidence["request"]["curl"] in verbose
    assert evidence["message"] not in render_summary(report)


def test_the_cause_shows_next_to_the_reason() -> None:
    report = ending_report("incomplete")
    assert "not-exercised OES-B-NODATA (cause: data): the data held no ties" in render_summary(report, verbose=True)
    cases = {case.get("name", "").split(":")[0]: case for case in ET.fromstring(render_junit(report)).iter("testcase")}
    skipped = cases["OES-B-NODATA"].find("skipped")
    assert skipped is not None and skipped.get("message") == "not-exercised (cause: data): the data held no ties"
    markdown = render_markdown(report)
    assert "- **OES-B-NODATA** (not-exercised, cause: data): the data held no ties" in markdown
    assert f"- **{UNJUDGED}** (bitgo-oes, cause: run): not judged: the request budget" in markdown
    row = render_html(report).split('id="req-bitgo-oes-OES-B-NODATA"', 1)[1].split('<div class="req"', 1)[0]
    assert "cause: <strong>data</strong>" in row and "the data held no ties" in row
