"""One real run against a faulty embedded server: every report names the broken requirement, nothing leaks."""

from __future__ import annotations

import html
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from apiconform import contract
from apiconform.reporting import validate_report

from .conftest import CANARY_TOKEN, FAILING, SECRET_HEADER, STALE, WAIVED, WARNING, EmbeddedRun, require_browser

pytestmark = pytest.mark.e2e


def test_the_run_fails_the_gate_on_the_failure_whose_waiver_expired(embedded_run: EmbeddedRun) -> None:
    report = embedded_run.report()
    assert embedded_run.returncode == 1, embedded_run.stderr[-2000:]
    assert (report["verdict"], report["exit_code"]) == ("fail", 1)
    failing = embedded_run.requirement(FAILING)
    assert failing["verdict"] == "fail"
    assert failing["waiver"]["status"] == "expired"
    assert [item["id"] for item in report["requirements"] if item["verdict"] == "fail"] == [FAILING]


def test_report_json_matches_its_schema_and_records_the_run(embedded_run: EmbeddedRun) -> None:
    report = embedded_run.report()
    validate_report(report)
    assert report["tool"]["schemathesis"] and report["tool"]["version"]
    assert set(report["target"]["base_urls"]) == set(contract.api_names())
    assert report["settings"]["embedded_faults"] == [
        "oes-statuses-ignored",
        "oes-400-without-error",
        "brm-result-count-missing",
    ]
    assert report["requests"] == sum(api["requests"] for api in report["apis"]) > 0
    assert report["started"] < report["finished"]
    for api in report["apis"]:
        assert len(api["spec"]["sha256"]) == 64 and api["spec"]["catalog"]["file"] == "requirements.yaml"
    failure = embedded_run.requirement(FAILING)["failures"][0]
    exchange = failure["evidence"][0]
    assert exchange["status"] == 200 and "statuses=" in exchange["url"]
    assert exchange["curl"].startswith("curl -X GET") and "$APICONFORM_TOKEN" in exchange["curl"]
    assert exchange["body_excerpt"].startswith("{")


def test_waivers_are_applied_expired_and_stale(embedded_run: EmbeddedRun) -> None:
    report = embedded_run.report()
    waived = embedded_run.requirement(WAIVED)
    assert (waived["verdict"], waived["original_verdict"]) == ("waived", "fail")
    assert waived["failures"], "a waived failure keeps its evidence"
    statuses = {waiver["requirement"]: waiver["status"] for waiver in report["waivers"]}
    assert statuses == {WAIVED: "applied", FAILING: "expired", STALE: "stale"}
    brm = next(api for api in report["apis"] if api["api"] == "brm-adjust-balance")
    assert brm["verdict"] == "pass", "a waived failure does not fail its API"
    assert embedded_run.requirement(WARNING)["verdict"] == "warn"


def _property(case: ET.Element, name: str) -> str:
    element = case.find(f"properties/property[@name='{name}']")
    assert element is not None, f"no property {name}"
    return element.get("value", "")


def test_junit_has_one_testcase_per_requirement_and_tells_failures_from_warnings(embedded_run: EmbeddedRun) -> None:
    report = embedded_run.report()
    root = ET.parse(embedded_run.directory / "junit.xml").getroot()
    runs = {
        case.get("classname"): case for case in root.iter("testcase") if case.get("name", "").endswith(" run verdict")
    }
    cases = {_property(case, "requirement"): case for case in root.iter("testcase") if case not in runs.values()}
    assert sorted(cases) == sorted(item["id"] for item in report["requirements"])
    # Besides, one testcase per API carries its verdict: the API with the unwaived failure fails.
    assert {api: _property(case, "verdict") for api, case in runs.items()} == {
        api["api"]: api["verdict"] for api in report["apis"]
    }
    assert runs["bitgo-oes"].find("failure") is not None
    failure = cases[FAILING].find("failure")
    assert failure is not None and failure.get("type") == "MUST"
    assert "curl -X GET" in (failure.text or "") and "expired" in (failure.get("message") or "")
    warning = cases[WARNING]
    assert warning.find("failure") is None and "WARNING" in (warning.findtext("system-out") or "")
    assert _property(warning, "verdict") == "warn"
    skipped = cases[WAIVED].find("skipped")
    assert skipped is not None and "SR-3-1234" in (skipped.get("message") or "")
    assert root.get("failures") == "2"  # the failed requirement and its API's run verdict


def test_markdown_puts_the_failure_first_with_its_evidence(embedded_run: EmbeddedRun) -> None:
    text = (embedded_run.directory / "report.md").read_text(encoding="utf-8")
    assert text.index(FAILING) < text.index(WARNING) < text.index(WAIVED)
    failing_block = text[text.index(FAILING) :].split("\n- ", 1)[0]
    assert "curl -X GET" in failing_block and "statuses=" in failing_block
    assert f"**stale** {STALE}" in text


def test_html_names_the_failure_with_its_curl_line(embedded_run: EmbeddedRun) -> None:
    page = (embedded_run.directory / "report.html").read_text(encoding="utf-8")
    failure = embedded_run.requirement(FAILING)["failures"][0]["evidence"][0]
    assert f'id="req-bitgo-oes-{FAILING}" data-verdict="fail"' in page
    assert html.escape(failure["curl"]) in page


def test_the_recordings_hold_the_property_tests_with_secrets_masked(embedded_run: EmbeddedRun) -> None:
    har = json.loads((embedded_run.directory / "property-tests.har").read_text(encoding="utf-8"))
    entries = har["log"]["entries"]
    assert {entry["request"]["url"].split("?")[0].rsplit("/", 1)[-1] for entry in entries} >= {
        "allocations",
        "adjustBalance",
    }
    authorizations = []
    for entry in entries:
        request_headers = {header["name"].lower(): header["value"] for header in entry["request"]["headers"]}
        # Schemathesis also sends a case without credentials (the security scheme's negative case).
        authorizations.append(request_headers.get("authorization"))
        response_headers = {header["name"].lower(): header["value"] for header in entry["response"]["headers"]}
        if SECRET_HEADER.lower() in response_headers:
            assert response_headers[SECRET_HEADER.lower()] == "[Filtered]"
    assert set(authorizations) <= {"[Filtered]", None} and authorizations.count("[Filtered]") > len(entries) / 2
    assert any(SECRET_HEADER.lower() in str(entry["response"]["headers"]).lower() for entry in entries)
    text = (embedded_run.directory / "property-tests-cassette.yaml").read_text(encoding="utf-8")
    cassette = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    assert len(cassette["http_interactions"]) == len(entries)
    recorded = [item["request"]["headers"].get("Authorization") for item in cassette["http_interactions"]]
    assert all(value in (["[Filtered]"], None) for value in recorded) and ["[Filtered]"] in recorded


def test_secret_header_values_are_masked_in_the_evidence(embedded_run: EmbeddedRun) -> None:
    report = embedded_run.report()
    assert report["redaction"]["secret_headers"] == [SECRET_HEADER]
    headers = [
        exchange["headers"]
        for item in report["requirements"]
        for failure in item["failures"]
        for exchange in failure["evidence"]
    ]
    masked = [value for entry in headers for name, value in entry.items() if name.lower() == SECRET_HEADER.lower()]
    assert masked and set(masked) == {"[Filtered]"}


def test_the_token_appears_in_no_file_and_no_output(embedded_run: EmbeddedRun) -> None:
    files = [path for path in embedded_run.directory.rglob("*") if path.is_file()]
    expected = {
        "report.json",
        "junit.xml",
        "report.md",
        "report.html",
        "property-tests.har",
        "property-tests-cassette.yaml",
    }
    assert expected <= {path.name for path in files}
    leaks = [path.name for path in files if CANARY_TOKEN.encode() in path.read_bytes()]
    assert leaks == []
    # The verbose terminal output shows failing tests with their curl lines: redacted too.
    assert "curl -X GET" in embedded_run.stdout + embedded_run.stderr
    assert CANARY_TOKEN not in embedded_run.stdout
    assert CANARY_TOKEN not in embedded_run.stderr


def test_the_terminal_shows_progress_then_the_summary(embedded_run: EmbeddedRun) -> None:
    """Progress on standard error, the result (summary, report path, verdict line) on standard output."""
    lines = embedded_run.stderr.splitlines()
    done = [line for line in lines if "done: requirements" in line]
    assert [line.split("]")[0] for line in done] == [f"[{api}" for api in contract.api_names()]
    assert "\033[" not in embedded_run.stderr + embedded_run.stdout, "no colour off a terminal"
    assert not any(line.startswith(("verdict:", "reports:")) for line in lines)
    result = embedded_run.stdout.splitlines()
    assert result[-1].startswith("verdict: fail (nonconformant, exit 1)")
    assert any(line.startswith("reports: ") for line in result)


@pytest.mark.browser
def test_screenshot_is_a_png_when_chromium_is_there(embedded_run: EmbeddedRun) -> None:
    png = Path(embedded_run.directory / "report.png")
    if not embedded_run.screenshot:
        assert not png.exists(), "a screenshot without Chromium"
        require_browser()  # skips, or fails when $APICONFORM_REQUIRE_BROWSER demands a browser
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
