"""Turns a finished session into `report.json` (the record every other report format is rendered from).

`build` makes the report dictionary (its shape is apiconform/reporting/report.schema.json), with the
run's waivers applied and every secret replaced; `write` writes it together with junit.xml, report.md
and report.html; `exit_code` is the CI gate.
"""

from __future__ import annotations

import hashlib
import os
import platform
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from apiconform import __version__
from apiconform.engine.session import ConformanceSession
from apiconform.engine.target import TOKEN_PLACEHOLDER, ApiRun
from apiconform.engine.verdicts import RequirementRecord, Verdict
from apiconform.reporting import REPORT_FORMAT, write_reports
from apiconform.reporting.document import counts
from apiconform.reporting.waivers import apply_waivers

# The value written for every header the user marks secret (the same mask schemathesis' HAR/VCR use).
HEADER_MASK = "[Filtered]"
# A secret header's value is also scrubbed from the rest of the report, unless it is too short to be
# told apart from ordinary text (replacing every "42" would corrupt the report and hide nothing).
MIN_SCRUBBED_LENGTH = 6

EXIT_PASS = 0
EXIT_FAIL = 1
EXIT_UNTESTABLE = 3
EXIT_ERROR = 4


def fails_gate(requirement: dict[str, Any]) -> bool:
    """A requirement fails the gate when it failed and no current waiver covers it (an expired one does not)."""
    return bool(requirement["verdict"] == "fail")


def exit_code(report: dict[str, Any]) -> int:
    """0 conformant (waived failures included), 1 a MUST failed unwaived, 3 an API could not be tested at all,
    4 the suite itself failed (an exception in a check, a scenario or discovery): such a run never passes.

    A MUST that failed is a finding whatever else broke, so 1 comes first."""
    if any(fails_gate(item) for item in report["requirements"]):
        return EXIT_FAIL
    if any(api.get("suite_errors") for api in report["apis"]):
        return EXIT_ERROR
    if any(api["verdict"] == "untestable" for api in report["apis"]):
        return EXIT_UNTESTABLE
    return EXIT_PASS


VERDICT_OF_EXIT = {EXIT_PASS: "pass", EXIT_FAIL: "fail", EXIT_UNTESTABLE: "fail", EXIT_ERROR: "error"}


def _masked_headers(headers: dict[str, str], secret: set[str], seen: set[str]) -> dict[str, str]:
    kept = {}
    for name, value in headers.items():
        if name.lower() in secret:
            seen.add(value)
            kept[name] = HEADER_MASK
        else:
            kept[name] = value
    return kept


def _failure(observation: Any, secret: set[str], seen: set[str]) -> dict[str, Any]:
    evidence = []
    for item in observation.evidence:
        entry = item.as_dict()
        entry["headers"] = _masked_headers(entry["headers"], secret, seen)
        evidence.append(entry)
    return {
        "check": observation.check,
        "message": observation.message,
        "received": observation.received,
        "expected": observation.expected,
        "evidence": evidence,
    }


def _requirement(run: ApiRun, record: RequirementRecord, secret: set[str], seen: set[str]) -> dict[str, Any]:
    requirement = record.requirement
    return {
        "id": requirement.id,
        "api": run.contract.api,
        "level": requirement.level,
        "family": requirement.family,
        "title": requirement.title,
        "quote": requirement.quote,
        "source": {
            "document": requirement.source.key,
            "title": requirement.source.title,
            "url": requirement.source.url,
        },
        "note": requirement.note,
        "verdict": record.verdict.value,
        "checks_cited": list(requirement.checks),
        "checks_run": sorted(name for name in record.checks if name),
        "checks_failed": sorted(record.failed_checks),
        "examples": record.examples,
        "failure_count": record.failure_count,
        "failures": [_failure(observation, secret, seen) for observation in record.failures],
        "reasons": record.reasons() if record.verdict in (Verdict.NOT_EXERCISED, Verdict.INCONCLUSIVE) else [],
    }


def _file_digest(path: Path) -> dict[str, str]:
    return {"file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


def _spec(run: ApiRun) -> dict[str, Any]:
    openapi = run.contract.openapi
    catalog = run.contract.spec_path.parent / openapi["x-apiconform"]["catalog"]
    info_version = openapi.get("info", {}).get("version")
    return {
        "file": run.contract.spec_path.name,
        "sha256": run.contract.spec_sha256,
        "version": str(info_version) if info_version is not None else None,
        "catalog": _file_digest(catalog),
    }


def _api(run: ApiRun, requirements: list[dict[str, Any]]) -> dict[str, Any]:
    mine = [item for item in requirements if item["api"] == run.contract.api]
    if "untestable" in run.cache:
        verdict = "untestable"
    elif any(fails_gate(item) for item in mine):
        verdict = "fail"
    elif run.ledger.errors:
        verdict = "error"
    else:
        verdict = "pass"
    traffic = run.session.traffic
    return {
        "api": run.contract.api,
        "title": run.semantics.title,
        "base_url": run.base_url,
        "spec": _spec(run),
        "verdict": verdict,
        "untestable_reason": run.cache.get("untestable"),
        "suite_errors": list(run.ledger.errors[:20]),
        "counts": counts(mine),
        "requests": traffic.sent,
        "requests_by_method": dict(traffic.by_method),
        "responses": run.responses,
        "successful_responses": run.successes,
        "transport_errors": run.transport_errors[:20],
        "retries_on_429": traffic.retries_on_429,
        "waited_on_429_seconds": round(traffic.waited_on_429, 3),
        "transport_error_count": len(run.transport_errors),
        "redirects_not_followed": traffic.redirects,
        "offsite_redirect_count": traffic.offsite_redirect_count,
        "offsite_redirects": list(traffic.offsite_redirects),
        "stopped_reason": traffic.stopped,
        "budget_exhausted": run.budget_exhausted,
        "first_failure_after_requests": run.first_failure_after,
    }


def _redacted(value: Any, redact: Callable[[str], str]) -> Any:
    # String by string rather than on the JSON text: a secret holding a quote or a backslash would be
    # escaped in JSON and slip past a text replacement.
    if isinstance(value, str):
        # A lone surrogate (a JSON string may hold one) has no UTF-8 form: written as its escape.
        return redact(value).encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, list):
        return [_redacted(item, redact) for item in value]
    if isinstance(value, dict):
        return {_redacted(key, redact): _redacted(item, redact) for key, item in value.items()}
    return value


def redactor(values: Iterable[str], also: Callable[[str], str]) -> Callable[[str], str]:
    """`also` (the session's token redaction) followed by replacing each of `values` with the header mask."""
    scrubbed = sorted({value for value in values if len(value) >= MIN_SCRUBBED_LENGTH}, key=len, reverse=True)

    def redact(text: str) -> str:
        text = also(text)
        for value in scrubbed:
            text = text.replace(value, HEADER_MASK)
        return text

    return redact


def build(session: ConformanceSession) -> dict[str, Any]:
    """The report.json dictionary of a finished session, waivers applied and secrets replaced."""
    config = session.config
    secret = {name.lower() for name in config.secret_headers}
    seen: set[str] = set()
    requirements = [_requirement(run, record, secret, seen) for run in session.runs for record in run.ledger]
    waivers = apply_waivers(requirements, config.waivers, session.started.date())
    finished = session.finished or datetime.now(UTC)
    report: dict[str, Any] = {
        "format": REPORT_FORMAT,
        "tool": {
            "name": "apiconform",
            "version": __version__,
            "schemathesis": version("schemathesis"),
            "hypothesis": version("hypothesis"),
            "python": platform.python_version(),
        },
        "target": {
            "embedded_reference_server": session.embedded,
            "base_urls": {run.contract.api: run.base_url for run in session.runs},
        },
        "seed": config.seed,
        "started": session.started.isoformat(),
        "finished": finished.isoformat(),
        "duration_seconds": round(max(0.0, (finished - session.started).total_seconds()), 3),
        "requests": session.requests_sent(),
        "settings": {
            "max_examples": config.max_examples,
            "max_requests": config.max_requests,
            "max_time": config.max_time,
            "rate_limit": config.rate_limit,
            "request_timeout": config.timeout,
            "allow_unsafe_methods": config.allow_unsafe_methods,
            "insecure": config.insecure,
            "ca_bundle": config.ca_bundle,
            "max_response_bytes": config.max_response_bytes,
            "embedded_faults": list(config.embedded_faults),
            "embedded_records": config.embedded_records,
            "embedded_churn": config.embedded_churn,
        },
        "redaction": {
            "token_placeholder": TOKEN_PLACEHOLDER,
            "header_mask": HEADER_MASK,
            "secret_headers": sorted(config.secret_headers),
        },
        "counts": counts(requirements),
        "apis": [_api(run, requirements) for run in session.runs],
        "requirements": requirements,
        "waivers": waivers,
    }
    code = exit_code(report)
    report["verdict"] = VERDICT_OF_EXIT[code]
    report["exit_code"] = code
    redacted: dict[str, Any] = _redacted(report, redactor(seen, session.secrets.redact))
    return redacted


def default_dir(session: ConformanceSession) -> Path:
    """reports/<api or all>-<UTC start time>/."""
    name = "all" if len(session.runs) > 1 else session.runs[0].contract.api
    stamp = session.started.strftime("%Y%m%dT%H%M%SZ")
    return Path("reports") / f"{name}-{stamp}"


def report_dir(session: ConformanceSession) -> Path:
    """Where this session's reports go: --report-dir, or the default under reports/."""
    return Path(session.config.report_dir) if session.config.report_dir else default_dir(session)


def write(session: ConformanceSession) -> Path:
    """Write report.json, junit.xml, report.md and report.html; return the path of report.json."""
    report = build(session)
    directory = report_dir(session)
    written = write_reports(report, directory)
    if not session.config.report_dir:
        _point_latest(directory)
    return next(path for path in written if path.name == "report.json")


def _point_latest(directory: Path) -> None:
    latest = directory.parent / "latest"
    try:
        if latest.is_symlink() or latest.exists():
            latest.unlink()
        os.symlink(directory.name, latest)
    except OSError:
        (directory.parent / "LATEST").write_text(directory.name + "\n", encoding="utf-8")
