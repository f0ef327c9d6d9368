"""junit.xml, report.md, report.html and the terminal summary, rendered from hand-made reports."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from apiconform.reporting.html import render_html
from apiconform.reporting.junit import render_junit
from apiconform.reporting.markdown import code, render_markdown
from apiconform.reporting.terminal import render_summary, wants_colour
from apiconform.reporting.writer import write_reports

from .conftest import make_report, requirement

HOSTILE = "<script>alert('x')</script> | `tick` **bold** [link](javascript:alert(1)) \x00\x1b end"


def _cases(xml: str) -> dict[str, ET.Element]:
    root = ET.fromstring(xml)
    return {case.get("name", "").split(":")[0]: case for case in root.iter("testcase")}


def test_junit_maps_each_verdict(sample_report: dict[str, Any]) -> None:
    xml = render_junit(sample_report)
    root = ET.fromstring(xml)
    cases = _cases(xml)
    run_verdict = cases.pop("bitgo-oes run verdict")
    assert sorted(cases) == sorted(item["id"] for item in sample_report["requirements"])
    # The requirements and the run-verdict testcase, which fails with the run (a MUST failed).
    assert root.get("tests") == "7" and root.get("failures") == "2" and root.get("skipped") == "3"
    assert root.get("errors") == "0" and run_verdict.find("failure") is not None
    failure = cases["OES-A-FAIL"].find("failure")
    assert failure is not None and failure.get("type") == "MUST"
    assert "curl -X GET" in (failure.text or "") and "page 2 repeats <b>record</b> 7" in (failure.text or "")
    warn = cases["OES-B-WARN"]
    assert warn.find("failure") is None and warn.find("skipped") is None
    assert (warn.findtext("system-out") or "").startswith("WARNING")
    waived = cases["OES-C-WAIVED"].find("skipped")
    assert waived is not None and "T-1" in (waived.get("message") or "")
    assert cases["OES-D-NOTEX"].find("skipped").get("message") == "not-exercised: the data held no ties"  # type: ignore[union-attr]
    assert cases["OES-E-INCONC"].find("skipped").get("message") == "inconclusive: the data moved"  # type: ignore[union-attr]
    passed = cases["OES-F-PASS"]
    assert [child.tag for child in passed] == ["properties"]
    verdicts = {
        name: case.find("properties/property[@name='verdict']").get("value")  # type: ignore[union-attr]
        for name, case in cases.items()
    }
    assert verdicts == {item["id"]: item["verdict"] for item in sample_report["requirements"]}


def test_junit_survives_control_characters_and_markup() -> None:
    report = make_report([requirement("OES-A-FAIL", "fail", message=HOSTILE, body=HOSTILE)])
    failure = _cases(render_junit(report))["OES-A-FAIL"].find("failure")
    assert failure is not None
    assert "<script>alert('x')</script>" in (failure.text or "") and "\x00" not in (failure.text or "")


def test_markdown_lists_failures_first_with_one_line_of_evidence(sample_report: dict[str, Any]) -> None:
    text = render_markdown(sample_report)
    assert text.startswith("## apiconform: FAIL (nonconformant): 1 failed, 1 warned, 1 waived of 6 requirements")
    assert text.index("### Failing requirements (1)") < text.index("### Warnings") < text.index("### Waived")
    failing = text.split("### Failing requirements (1)", 1)[1].split("###", 1)[0]
    assert "OES\\-A\\-FAIL" not in failing and "**OES-A-FAIL**" in failing
    assert (
        "`curl -X GET -H \"Authorization: Bearer $APICONFORM_TOKEN\" 'http://127.0.0.1:9/items?x=1'` → 200" in failing
    )
    table = [line for line in text.splitlines() if line.startswith("| bitgo-oes")]
    assert table == ["| bitgo-oes | **fail** | 1 | 1 | 1 | 1 | 1 | 1 | 100 |"]
    assert "<details><summary>Not exercised or inconclusive (2)</summary>" in text


def test_markdown_keeps_hostile_text_inert() -> None:
    report = make_report([requirement("OES-A-FAIL", "fail", title=HOSTILE, message="a `b` c")])
    text = render_markdown(report)
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "\\[link\\]" in text and "\\*\\*bold\\*\\*" in text
    assert "``a `b` c``" in text


@pytest.mark.parametrize(
    "value, expected",
    [("plain", "`plain`"), ("a `b` c", "``a `b` c``"), ("`start", "`` `start ``"), ("two\nlines", "`two lines`")],
)
def test_code_spans_hold_any_backticks(value: str, expected: str) -> None:
    assert code(value) == expected


def test_html_is_self_contained_and_escapes_everything() -> None:
    report = make_report(
        [
            requirement("OES-A-FAIL", "fail", title=HOSTILE, message=HOSTILE, body=HOSTILE),
            requirement("OES-B-PASS", "pass"),
        ]
    )
    report["requirements"][1]["source"]["url"] = "javascript:alert(1)"
    page = render_html(report)
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    # Nothing is loaded from anywhere: no external scripts, styles, images, fonts or frames.
    assert not re.search(r"<(link|img|iframe|object|embed)\b", page)
    assert not re.search(r"\bsrc\s*=", page) and "@import" not in page
    # The charts' patterns are the one `url(`: a reference to an element of the page itself.
    assert all(reference.startswith("#") for reference in re.findall(r"url\(([^)]*)\)", page))
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert hrefs and all(href.startswith(("#", "https://")) for href in hrefs)
    assert "javascript:alert(1)" not in hrefs
    assert '<meta http-equiv="Content-Security-Policy" content="default-src &#x27;none&#x27;;' in page
    assert page.count("<script>") == 1


def test_html_has_the_matrix_grouped_by_family_and_a_filter_per_verdict(sample_report: dict[str, Any]) -> None:
    page = render_html(sample_report)
    families = re.findall(r'<section class="family" data-family="([^"]+)">', page)
    assert families == ["paging", "errors", "sort"]
    verdicts = re.findall(r'<input type="checkbox" name="verdict" value="([^"]+)" checked>', page)
    assert verdicts == ["fail", "warn", "waived", "inconclusive", "not-exercised", "pass"]
    rows = re.findall(r'<div class="req" id="([^"]+)" data-verdict="([^"]+)">', page)
    by_family = sorted(sample_report["requirements"], key=lambda item: families.index(item["family"]))
    assert rows == [(f"req-bitgo-oes-{item['id']}", item["verdict"]) for item in by_family]
    failing = page.split('id="req-bitgo-oes-OES-A-FAIL"', 1)[1].split('<div class="req"', 1)[0]
    assert "<details>" in failing and "curl -X GET" in failing and "quote of OES-A-FAIL" in failing


def test_html_shows_what_each_demand_rests_on() -> None:
    """Issue 23: a requirement's detail lists one line per demand with the vendor's words (escaped), and
    names the document when the words come from another one than the quote's."""
    entry = requirement("OES-A-PASS", "pass")
    entry["rests_on"] = [
        {"demand": "a page holds at most pageSize records", "words": "at most <pageSize>", "document": "doc"},
        {"demand": "the rejection is a 400", "words": "400Bad Request", "document": "overview"},
    ]
    page = render_html(make_report([entry]))
    detail = page.split('id="req-bitgo-oes-OES-A-PASS"', 1)[1]
    assert "<li>a page holds at most pageSize records &larr; <q>at most &lt;pageSize&gt;</q></li>" in detail
    assert "<li>the rejection is a 400 &larr; <q>400Bad Request</q> <span class=muted>[overview]</span></li>" in detail


def test_write_reports_writes_all_four_formats(tmp_path: Any, sample_report: dict[str, Any]) -> None:
    written = write_reports(sample_report, tmp_path / "out")
    assert [path.name for path in written] == ["junit.xml", "report.md", "report.html", "report.json"]
    assert all(path.stat().st_size > 0 for path in written)


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_without_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    assert wants_colour(_Tty()) is True
    assert wants_colour(io.StringIO()) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert wants_colour(_Tty()) is False


@pytest.mark.parametrize(
    ("choice", "no_color", "force_color", "tty", "expected"),
    [
        # --color always or never decides alone, whatever the environment and the stream.
        ("always", "1", "", False, True),
        ("never", "", "1", True, False),
        # auto: FORCE_COLOR colours a stream that is no terminal (a CI log), NO_COLOR wins over it.
        ("auto", "", "1", False, True),
        ("auto", "1", "1", True, False),
        # Set but empty is unset, as both conventions say.
        ("auto", "", "", False, False),
        ("auto", "", "", True, True),
    ],
)
def test_the_colour_choice_and_the_environment(
    monkeypatch: pytest.MonkeyPatch, choice: str, no_color: str, force_color: str, tty: bool, expected: bool
) -> None:
    monkeypatch.setenv("NO_COLOR", no_color)
    monkeypatch.setenv("FORCE_COLOR", force_color)
    assert wants_colour(_Tty() if tty else io.StringIO(), choice) is expected


def test_summary_lists_findings_and_colours_only_when_asked(sample_report: dict[str, Any]) -> None:
    plain = render_summary(sample_report)
    assert "\033[" not in plain
    lines = plain.splitlines()
    assert lines[0].split() == [
        "API",
        "verdict",
        "fail",
        "warn",
        "waived",
        "inconclusive",
        "not-exercised",
        "pass",
        "requests",
    ]
    findings = [line.split()[0] for line in lines if line.split() and line.split()[0] in ("FAIL", "WARN", "WAIVED")]
    assert findings == ["FAIL", "WARN", "WAIVED"]
    assert "curl -X GET" in plain
    assert lines[-1] == "verdict: fail (nonconformant, exit 1); 100 requests"
    coloured = render_summary(sample_report, colour=True)
    assert "\033[1;31mFAIL" in coloured
    verbose = render_summary(sample_report, verbose=True)
    assert "not-exercised OES-D-NOTEX: the data held no ties" in verbose
