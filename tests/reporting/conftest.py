"""Shared fixtures: a hand-made report, one real faulty embedded run, and validation of every report.json written."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from apiconform.reporting import load_report, validate_report
from apiconform.reporting.browser import find_chromium

CANARY_TOKEN = "apiconform-canary-token-XYZ"
SECRET_HEADER = "X-Total-Count"
# The faults of the shared run and the requirement each breaks: a MUST that fails (its waiver has
# expired), a SHOULD that warns, and a MUST whose failure is waived.
FAILING = "OES-FILTER-STATUSES"
WARNING = "OES-ERROR-400-BODY"
WAIVED = "BRM-HDR-RESULT-COUNT"
STALE = "OES-PAGE-SKIP"
FAULTS = ("oes-statuses-ignored", "oes-400-without-error", "brm-result-count-missing")
WAIVERS_YAML = f"""\
- requirement: {WAIVED}
  reason: Oracle confirmed the header is missing; fixed in 15.2
  ticket: SR-3-1234
  expires: 2099-12-31
- requirement: {FAILING}
  reason: promised for last year
  ticket: VENDOR-7
  expires: 2020-01-01
- requirement: {STALE}
  reason: fixed long ago
  ticket: VENDOR-3
  expires: 2099-01-01
"""


def evidence(url: str = "http://127.0.0.1:9/items?x=1", status: int = 200, body: str = "{}") -> dict[str, Any]:
    """One evidence exchange as report.json holds it."""
    return {
        "method": "GET",
        "url": url,
        "status": status,
        "content_type": "application/json",
        "headers": {"x-total-count": "12"},
        "body_excerpt": body,
        "curl": f"curl -X GET -H \"Authorization: Bearer $APICONFORM_TOKEN\" '{url}'",
    }


def requirement(
    rid: str,
    verdict: str,
    *,
    api: str = "bitgo-oes",
    level: str = "MUST",
    family: str = "paging",
    title: str | None = None,
    message: str = "",
    url: str = "http://127.0.0.1:9/items?x=1",
    body: str = "{}",
    reasons: list[str] | None = None,
) -> dict[str, Any]:
    """One requirement entry; fail/warn/waived ones carry a failure with evidence."""
    failing = verdict in ("fail", "warn", "waived")
    item: dict[str, Any] = {
        "id": rid,
        "api": api,
        "level": level,
        "family": family,
        "title": title or f"title of {rid}",
        "quote": f"quote of {rid}",
        "source": {"document": "doc", "title": "Vendor reference", "url": "https://vendor.example/doc"},
        "note": None,
        "verdict": verdict,
        "checks_cited": ["some_check"],
        "checks_run": ["some_check"] if verdict != "not-exercised" else [],
        "examples": 3,
        "failure_count": 1 if failing else 0,
        "failures": (
            [
                {
                    "check": "some_check",
                    "message": message or f"{rid} broke",
                    "received": "1",
                    "expected": "2",
                    "evidence": [evidence(url, body=body)],
                }
            ]
            if failing
            else []
        ),
        "reasons": reasons
        if reasons is not None
        else (["no data"] if verdict in ("inconclusive", "not-exercised") else []),
    }
    if verdict == "waived":
        item["original_verdict"] = "fail"
        item["waiver"] = {"reason": "known", "ticket": "T-1", "expires": "2099-12-31", "status": "applied"}
    return item


def make_report(requirements: list[dict[str, Any]] | None = None, **overrides: Any) -> dict[str, Any]:
    """A schema-valid report.json dictionary; requirements default to one of each verdict."""
    items = (
        requirements
        if requirements is not None
        else [
            requirement("OES-A-FAIL", "fail", message="page 2 repeats <b>record</b> 7"),
            requirement("OES-B-WARN", "warn", level="SHOULD", family="errors"),
            requirement("OES-C-WAIVED", "waived", family="errors"),
            requirement("OES-D-NOTEX", "not-exercised", family="sort", reasons=["the data held no ties"]),
            requirement("OES-E-INCONC", "inconclusive", family="sort", reasons=["the data moved"]),
            requirement("OES-F-PASS", "pass"),
        ]
    )
    apis = sorted({item["api"] for item in items}) or ["bitgo-oes"]
    tally = dict.fromkeys(("pass", "fail", "warn", "waived", "inconclusive", "not-exercised"), 0)
    for item in items:
        tally[item["verdict"]] += 1
    failed = tally["fail"] > 0
    report: dict[str, Any] = {
        "format": 2,
        "tool": {
            "name": "apiconform",
            "version": "0.1.0",
            "schemathesis": "4.32.5",
            "hypothesis": "6",
            "python": "3.11",
        },
        "target": {"embedded_reference_server": True, "base_urls": {api: f"http://127.0.0.1:9/{api}" for api in apis}},
        "seed": 0,
        "started": "2026-01-02T03:04:05+00:00",
        "finished": "2026-01-02T03:04:25+00:00",
        "duration_seconds": 20.0,
        "requests": 100,
        "settings": {
            "max_examples": 30,
            "max_requests": 4000,
            "max_time": None,
            "rate_limit": None,
            "request_timeout": 30.0,
            "allow_unsafe_methods": True,
            "embedded_faults": [],
            "embedded_records": None,
            "embedded_churn": 0.0,
        },
        "redaction": {"token_placeholder": "$APICONFORM_TOKEN", "header_mask": "[Filtered]", "secret_headers": []},
        "counts": tally,
        "apis": [
            {
                "api": api,
                "title": f"title of {api}",
                "base_url": f"http://127.0.0.1:9/{api}",
                "spec": {
                    "file": f"{api}.openapi.yaml",
                    "sha256": "a" * 64,
                    "version": "1.0",
                    "catalog": {"file": "requirements.yaml", "sha256": "b" * 64},
                },
                "verdict": "fail" if any(i["verdict"] == "fail" and i["api"] == api for i in items) else "pass",
                "untestable_reason": None,
                "counts": tally,
                "requests": 100,
                "requests_by_method": {"GET": 100},
                "responses": 100,
                "successful_responses": 90,
                "transport_errors": [],
                "retries_on_429": 0,
                "budget_exhausted": False,
            }
            for api in apis
        ],
        "requirements": items,
        "waivers": [],
        "verdict": "fail" if failed else "pass",
        "exit_code": 1 if failed else 0,
    }
    report.update(overrides)
    validate_report(report)
    return copy.deepcopy(report)


# The seven endings of a run (issue 21's contract): each one's exit code.
ENDINGS = {
    "pass": 0,
    "partial": 0,
    "fail": 1,
    "incomplete": 3,
    "untestable": 3,
    "error": 4,
    "interrupted": 143,
}
UNJUDGED = "OES-C-UNJUDGED"
BUDGET_REASON = "not judged: the request budget (--max-requests) ran out"
INCOMPLETE_REASON = f"1 of 3 MUST requirements were not judged ({UNJUDGED}): 180 of 189 exchanges had no usable answer"
UNTESTABLE_REASON = "the connection was refused"
SUITE_ERROR = "the suite itself failed in filters_select_matching_records: ValueError: boom"


def passed(rid: str, **options: Any) -> dict[str, Any]:
    """A pass with the fields of issue 21: judged, and the observation that judged it."""
    item = requirement(rid, "pass", **options)
    url = "http://127.0.0.1:9/items?status=created"
    item.update(
        judged=True,
        cause=None,
        pass_evidence={
            "check": "filters_select_matching_records",
            "message": "status=created returned the 4 of the base's 14 records with status created",
            "records": 14,
            "request": evidence(url),
        },
    )
    return item


def unjudged(rid: str, verdict: str, cause: str, reason: str, **options: Any) -> dict[str, Any]:
    """A not-exercised or inconclusive requirement with its cause."""
    item = requirement(rid, verdict, reasons=[reason], **options)
    item.update(judged=False, cause=cause, pass_evidence=None)
    return item


def ending_report(verdict: str) -> dict[str, Any]:
    """A schema-valid report of one API whose run, and whose API, ended in `verdict` (one of ENDINGS),
    with the fields issue 21 adds (settings.allow_partial, unjudged, incomplete_reason, unusable_exchanges,
    judged, pass_evidence, cause) as the engine writes them."""
    items = [
        passed("OES-A-PASS"),
        unjudged("OES-B-NODATA", "not-exercised", "data", "the data held no ties", family="sort"),
    ]
    api: dict[str, Any] = {"unjudged": [], "incomplete_reason": None, "unusable_exchanges": 0}
    if verdict == "fail":
        failed = requirement("OES-F-FAIL", "fail", message="page 2 repeats record 7")
        failed.update(judged=True, cause=None, pass_evidence=None)
        items.append(failed)
    elif verdict in ("partial", "incomplete", "interrupted"):
        reason = "not judged: the run was interrupted (SIGTERM)" if verdict == "interrupted" else BUDGET_REASON
        items.append(unjudged(UNJUDGED, "not-exercised", "run", reason))
        api.update(
            unjudged=[{"id": UNJUDGED, "cause": "run", "reason": reason}],
            incomplete_reason=INCOMPLETE_REASON,
            unusable_exchanges=180,
            stopped_reason="the request budget (--max-requests) ran out" if verdict == "partial" else None,
        )
    elif verdict == "untestable":
        items = [
            unjudged(item["id"], "inconclusive", "run", f"the target could not be tested: {UNTESTABLE_REASON}")
            for item in items
        ]
        api["untestable_reason"] = UNTESTABLE_REASON
    elif verdict == "error":
        items.append(unjudged("OES-E-CRASHED", "inconclusive", "run", SUITE_ERROR, family="filter"))
        api["suite_errors"] = [SUITE_ERROR]
    report = make_report(items)
    report["apis"][0].update(verdict=verdict, requests=189, **api)
    report["settings"]["allow_partial"] = verdict == "partial"
    report.update(verdict=verdict, exit_code=ENDINGS[verdict])
    if verdict == "interrupted":
        report["interrupted"] = "SIGTERM"
    validate_report(report)
    return report


@pytest.fixture
def sample_report() -> dict[str, Any]:
    """A report with one requirement of each verdict."""
    return make_report()


@pytest.fixture(autouse=True)
def every_written_report_is_valid(tmp_path: Path) -> Iterator[None]:
    """After each test, every report.json written under its tmp_path must match report.schema.json."""
    yield
    for path in tmp_path.rglob("report.json"):
        load_report(path)


def require_browser() -> str:
    """The Chromium executable; skip without one, unless $APICONFORM_REQUIRE_BROWSER demands it."""
    found = find_chromium()
    if found is None:
        message = "headless Chromium (Debian package 'chromium') is not installed"
        if os.environ.get("APICONFORM_REQUIRE_BROWSER"):
            pytest.fail(f"{message}, and APICONFORM_REQUIRE_BROWSER is set")
        pytest.skip(message)
    return found


@dataclass(frozen=True)
class EmbeddedRun:
    """One `apiconform run` of both APIs against a faulty embedded server, in a subprocess."""

    directory: Path
    returncode: int
    stdout: str
    stderr: str
    screenshot: bool

    def report(self) -> dict[str, Any]:
        """The run's report.json, validated."""
        return load_report(self.directory / "report.json")

    def requirement(self, rid: str) -> dict[str, Any]:
        """One requirement of the run's report."""
        return next(item for item in self.report()["requirements"] if item["id"] == rid)


@pytest.fixture(scope="session")
def embedded_run(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedRun:
    """The one real run the reporting tests share (about 20 s): faults, waivers, recordings, a canary token."""
    base = tmp_path_factory.mktemp("embedded-run")
    waivers = base / "waivers.yaml"
    waivers.write_text(WAIVERS_YAML, encoding="utf-8")
    directory = base / "reports"
    screenshot = find_chromium() is not None
    argv = [
        sys.executable,
        "-m",
        "apiconform",
        "run",
        "--api",
        "all",
        *(option for fault in FAULTS for option in ("--reference-fault", fault)),
        "--report-dir",
        str(directory),
        "--waivers",
        str(waivers),
        "--secret-header",
        SECRET_HEADER,
        "--har",
        "--cassette",
        "--max-examples",
        "10",
        "--verbose",
        *(["--screenshot"] if screenshot else []),
    ]
    # The token travels in the environment, as the README tells CI jobs to pass it.
    env = {**os.environ, "APICONFORM_TOKEN": CANARY_TOKEN, "NO_COLOR": "1"}
    completed = subprocess.run(argv, cwd=base, env=env, capture_output=True, text=True, timeout=300, check=False)
    run = EmbeddedRun(directory, completed.returncode, completed.stdout, completed.stderr, screenshot)
    assert (directory / "report.json").exists(), f"no report written; stderr:\n{completed.stderr[-3000:]}"
    return run
