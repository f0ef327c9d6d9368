"""Turns a finished session into `report.json` (the record every other report format is rendered from).

`build` makes the report dictionary (its shape is apiconform/reporting/report.schema.json), with the
run's waivers applied and every secret replaced; `write` writes it together with junit.xml, report.md
and report.html; `exit_code` is the CI gate.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shlex
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from apiconform.contract import Contract
from apiconform.engine import checks as registry
from apiconform.engine.config import RunConfig
from apiconform.engine.model.apirun import ApiRun
from apiconform.engine.model.control import StopKind
from apiconform.engine.model.plan import PROPERTY_ACTIVITY
from apiconform.engine.model.verdicts import RequirementRecord, Verdict
from apiconform.engine.session import ConformanceSession
from apiconform.engine.transport.http import Timeline
from apiconform.engine.transport.redaction import HEADER_MASK, TOKEN_PLACEHOLDER, Redactor
from apiconform.exitcodes import ExitCode
from apiconform.reporting import REPORT_FORMAT, render_all, write_rendered
from apiconform.reporting.document import (
    counts,
    each_string,
    exit_code,
    fails_gate,
    one_line,
    plural,
    run_verdict,
    tool,
    without_surrogates,
)
from apiconform.reporting.waivers import apply_waivers
from apiconform.reporting.writer import FORMATS, WRITE_ORDER, atomic_write_text, empty_own_files

# Causes for which a MUST requirement may stay unjudged in a run that passes (DECISIONS.md D-GEN-23).
EXCUSED = ("data", "configuration")


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
        "found_in": observation.found_in,
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
        "rests_on": [
            {"demand": item.demand, "words": item.words, "document": item.source.key} for item in requirement.rests_on
        ],
        "verdict": record.verdict.value,
        "checks_cited": list(requirement.checks),
        "checks_run": sorted(name for name in record.checks if name),
        "checks_failed": sorted(record.failed_checks),
        "examples": record.examples,
        "judged": record.judged,
        "pass_evidence": _pass_evidence(record, secret, seen),
        "cause": cause.value if (cause := record.cause()) is not None else None,
        "requests": requests_for(run, requirement.checks),
        "failure_count": record.failure_count,
        "failures": [_failure(observation, secret, seen) for observation in record.failures],
        "reasons": record.reasons() if record.verdict in (Verdict.NOT_EXERCISED, Verdict.INCONCLUSIVE) else [],
    }


def _pass_evidence(record: RequirementRecord, secret: set[str], seen: set[str]) -> dict[str, Any] | None:
    """The strongest judging pass of a passing requirement: what was compared, on how many records, and
    the request that shows it (so that a reader sees why it passed)."""
    strongest = record.strongest_pass
    if record.verdict is not Verdict.PASS or strongest is None:
        return None
    request = None
    if strongest.evidence:
        request = strongest.evidence[0].as_dict()
        request["headers"] = _masked_headers(request["headers"], secret, seen)
    return {"check": strongest.check, "message": strongest.message, "records": strongest.records, "request": request}


def requests_for(run: ApiRun, checks: Iterable[str]) -> int:
    """The requests the checks a requirement cites sent: each relation's own, plus the property
    tests' when it cites a check that judges every reply (one request serves every requirement it judges)."""
    relations = set(registry.relations())
    spent = run.plan.spent
    total = sum(spent.get(check, 0) for check in set(checks) & relations)
    if set(checks) - relations:
        total += spent.get(PROPERTY_ACTIVITY, 0)
    return total


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
        "release": release_of(run.contract),
    }


def release_of(loaded: Contract) -> dict[str, Any] | None:
    """The vendor release the run judged, for a spec that declares releases (None for one that does not)."""
    release = loaded.release
    if release is None:
        return None
    return {
        "name": release.name,
        "title": release.title,
        "versions": list(release.versions),
        "default": release.default,
    }


def _unjudged(mine: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The MUST requirements left unjudged for a cause that keeps an API from passing."""
    return [
        {"id": item["id"], "cause": item["cause"], "reason": (item["reasons"] or [""])[0]}
        for item in mine
        if item["level"] == "MUST"
        and not item["judged"]
        and item["verdict"] != "waived"
        and item["cause"] not in EXCUSED
    ]


def _verdict(
    session: ConformanceSession, run: ApiRun, mine: list[dict[str, Any]], unjudged: list[dict[str, Any]]
) -> tuple[str, str | None]:
    """The API's verdict, and for `incomplete` or `partial` the one-line reason (`unjudged`: its MUST
    requirements left unjudged for a cause that keeps it from passing).

    `pass` needs every MUST requirement judged, or left unjudged for a cause in the target's data or the
    run's documented configuration; a budget the user set may leave some unjudged only with
    --allow-partial (`partial`); transport failures, the target's 429s and unexplained gaps make it
    `incomplete`. An interrupted run is `interrupted` unless a MUST already failed or the suite crashed."""
    control = run.control
    if control.untestable is not None:
        return "untestable", None
    if any(fails_gate(item) for item in mine):
        return "fail", None
    if run.ledger.errors:
        return "error", None
    if control.reason(StopKind.INTERRUPTED) is not None:
        return "interrupted", None
    if not unjudged:
        return "pass", None
    traffic = run.http.traffic
    musts = sum(1 for item in mine if item["level"] == "MUST")
    named = ", ".join(item["id"] for item in unjudged[:6]) + (", ..." if len(unjudged) > 6 else "")
    why = f"{len(unjudged)} of {musts} MUST requirements were not judged ({named})"
    unusable = len(run.transport_errors)
    # A budget the user set: --max-requests (the budget, or a plan made smaller) or --max-time.
    by_user = (control.exhausted or run.plan.scale < 1) and not control.cut_by_target and not unusable
    if unusable:
        why += f": {unusable} of {plural(traffic.sent, 'request')} got no usable answer"
    elif control.sending_stopped:
        why += f": {control.sending_stopped}"
    else:
        why += f": {unjudged[0]['reason']}"
    if by_user and session.config.allow_partial:
        return "partial", why + " (--allow-partial)"
    return "incomplete", why


def _api(session: ConformanceSession, run: ApiRun, requirements: list[dict[str, Any]]) -> dict[str, Any]:
    mine = [item for item in requirements if item["api"] == run.contract.api]
    unjudged = _unjudged(mine)
    verdict, incomplete_reason = _verdict(session, run, mine, unjudged)
    traffic = run.http.traffic
    return {
        "api": run.contract.api,
        "title": run.semantics.title,
        "base_url": run.base_url,
        "spec": _spec(run),
        "verdict": verdict,
        "untestable_reason": run.control.untestable,
        "incomplete_reason": incomplete_reason,
        "unjudged": unjudged if verdict != "untestable" else [],
        "unusable_exchanges": len(run.transport_errors),
        "suite_errors": list(run.ledger.errors[:20]),
        "counts": counts(mine),
        "requests": traffic.sent,
        "rate_limit": run.http.pacer.rate,  # the pace applied: the lowest of the APIs sharing its host
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
        "stopped_reason": run.control.stopped_reason,
        "budget_exhausted": run.control.exhausted,
        "first_failure_after_requests": run.first_failure_after,
        "timeline": _timeline(traffic.timeline, session.started_clock),
        "plan": {
            "requests": run.plan.total,
            "spent": dict(sorted(run.plan.spent.items(), key=lambda item: -item[1])),
            "gave_up": list(run.plan.gave_up),
            "property_cases_not_sent": run.plan.property_cases_skipped,
        },
    }


def _timeline(timeline: Timeline, zero: float) -> dict[str, Any]:
    """The API's request timeline (report.html's chart): seconds since the run started, milliseconds the
    exchange took, and the status or why there was no answer; the 429 waits as [start, end] seconds."""

    def since(clock: float) -> float:
        return round(max(0.0, clock - zero), 3)

    return {
        "points": [[since(sent), round(taken * 1000, 1), status] for sent, taken, status in timeline.points],
        "waits_on_429": [[since(start), since(end)] for start, end in timeline.waits],
        "sampled_every": timeline.every,
    }


def _redacted(value: Any, redact: Callable[[str], str]) -> Any:
    # String by string rather than on the JSON text: a secret holding a quote or a backslash would be
    # escaped in JSON and slip past a text replacement. A lone surrogate is written as its escape.
    # Values only: the keys are the report's own field names, and a token that starts like one of them
    # (`servertoken123` and `embedded_reference_server`) would rename the field. The one place a key is
    # vendor text, a response header's name in evidence, is redacted where the evidence is made
    # (exchange.make_evidence). A lone surrogate leaves every field name as it is, so keys get that change.
    return each_string(value, lambda text: without_surrogates(redact(text)), keys=without_surrogates)


def redactor(values: Iterable[str], also: Callable[[str], str]) -> Callable[[str], str]:
    """`also` (the session's token redaction) followed by masking each of `values` (secret header values
    seen in the traffic) with the header mask, in every spelling (engine/transport/redaction.py)."""
    headers = Redactor()
    for value in values:
        headers.add(value, mask=HEADER_MASK)

    def redact(text: str) -> str:
        return headers.redact(also(text))

    return redact


# The port an embedded run's report names: `apiconform serve`'s default, so that the serve command the
# report gives and its curl lines agree, run after run (the run's own server had a temporary port).
REPLAY_PORT = 8000


def _embedded_origin(session: ConformanceSession) -> str | None:
    """The scheme, host and port the embedded server of this run listened on (None for a real target)."""
    if not session.embedded or not session.runs:
        return None
    parts = urlsplit(session.runs[0].base_url)
    return f"{parts.scheme}://{parts.netloc}"


def _replay_origin(origin: str) -> str:
    parts = urlsplit(origin)
    return f"{parts.scheme}://{parts.hostname}:{REPLAY_PORT}"


def serve_command(config: RunConfig) -> list[str]:
    """The `apiconform serve` command line that rebuilds an embedded run's target on REPLAY_PORT.

    The token is not in it: the server takes whatever $APICONFORM_TOKEN holds when the command is run,
    which is also what the report's curl lines send."""
    argv = ["apiconform", "serve", "--port", str(REPLAY_PORT), "--seed", str(config.seed)]
    if config.embedded_records is not None:
        argv += ["--records", str(config.embedded_records)]
    if config.embedded_churn:
        argv += ["--churn", f"{config.embedded_churn:g}"]
    for fault in config.embedded_faults:
        argv += ["--fault", fault]
    for variant in config.embedded_variants:
        argv += ["--variant", variant]
    return argv


def _replay(session: ConformanceSession, origin: str) -> dict[str, Any]:
    command = shlex.join(serve_command(session.config)) + f' --token "{TOKEN_PLACEHOLDER}"'
    churn = (
        "; records the server inserted while the run went on (--churn) are drawn again, so later pages may differ"
        if session.config.embedded_churn
        else ""
    )
    return {
        "command": command,
        "port": REPLAY_PORT,
        "run_port": urlsplit(origin).port,
        "token": (
            f"first set {TOKEN_PLACEHOLDER} to any token of 8 or more letters and digits: the server requires it "
            "and the curl lines send it (the run's own token is kept nowhere)"
        ),
        "note": (
            f"this run tested its embedded reference server on the temporary port {urlsplit(origin).port}; "
            f"the URLs and curl lines of this report name port {REPLAY_PORT}, where this command serves the "
            f"same data{churn}"
        ),
    }


def _run_header(session: ConformanceSession) -> dict[str, Any]:
    """What report.json says first, of any run however it ended: the tool, the target, the seed, the times."""
    finished = session.finished or datetime.now(UTC)
    return {
        "format": REPORT_FORMAT,
        "tool": tool(),
        "target": {
            "embedded_reference_server": session.embedded,
            **({"name": session.config.target_name} if session.config.target_name else {}),
            "base_urls": {run.contract.api: run.base_url for run in session.runs},
        },
        "seed": session.config.seed,
        "started": session.started.isoformat(),
        "finished": finished.isoformat(),
        "duration_seconds": round(max(0.0, (finished - session.started).total_seconds()), 3),
    }


def _settings(session: ConformanceSession) -> dict[str, Any]:
    """The settings that shape the traffic and the verdict."""
    config = session.config
    return {
        "max_examples": config.max_examples,
        "max_requests": config.max_requests,
        "max_time": config.max_time,
        "rate_limit": config.rate_limit,
        "request_timeout": config.timeout,
        "allow_unsafe_methods": session.allow_unsafe_methods,
        "allow_partial": config.allow_partial,
        "insecure": config.insecure,
        "ca_bundle": config.ca_bundle,
        "max_response_bytes": config.max_response_bytes,
        "embedded_faults": list(config.embedded_faults),
        "embedded_variants": list(config.embedded_variants),
        "embedded_records": config.embedded_records,
        "embedded_churn": config.embedded_churn,
        # How the run authenticated besides a bearer token, and its proxy: the forms, never a value.
        "auth": list(config.target_auth.forms),
    }


def _redaction_block(config: RunConfig) -> dict[str, Any]:
    return {
        "token_placeholder": TOKEN_PLACEHOLDER,
        "header_mask": HEADER_MASK,
        "secret_headers": sorted(config.secret_headers),
    }


def build(session: ConformanceSession) -> dict[str, Any]:
    """The report.json dictionary of a finished session, waivers applied and secrets replaced."""
    config = session.config
    secret = {name.lower() for name in config.secret_headers}
    seen: set[str] = set()
    requirements = [_requirement(run, record, secret, seen) for run in session.runs for record in run.ledger]
    waivers = apply_waivers(requirements, config.waivers, session.started.date())
    report: dict[str, Any] = {
        **_run_header(session),
        "requests": session.requests_sent(),
        "settings": _settings(session),
        "redaction": _redaction_block(config),
        "counts": counts(requirements),
        "apis": [_api(session, run, requirements) for run in session.runs],
        "requirements": requirements,
        "waivers": waivers,
    }
    report["verdict"] = run_verdict(report["apis"])
    if session.interrupted is not None:
        # A run that did not finish never passes, whatever it had judged so far.
        cause, interrupted_code = session.interrupted
        report["verdict"] = "interrupted"
        report["exit_code"] = int(interrupted_code)
        report["interrupted"] = cause
    else:
        report["exit_code"] = int(exit_code(report))
    redact = redactor(seen, session.secrets.redact)
    origin = _embedded_origin(session)
    if origin is not None:
        report["target"]["replay"] = _replay(session, origin)
        redact = _moved(redact, origin, _replay_origin(origin))
    redacted: dict[str, Any] = _redacted(report, redact)
    _keep_vocabulary(redacted, report)
    return redacted


def _keep_vocabulary(redacted: dict[str, Any], report: dict[str, Any]) -> None:
    """Put back the values the suite itself writes from a closed vocabulary or a fixed format (its name and
    versions, API names and requirement IDs, verdicts, levels, causes, times, digests): they hold no secret,
    and a token that happens to start like one of them (`untestable1`) must neither turn the document into
    one its schema refuses nor part a requirement from its API."""
    for key in ("tool", "format", "verdict", "started", "finished"):
        redacted[key] = report[key]
    for mine, source in zip(redacted["apis"], report["apis"], strict=True):
        mine["api"], mine["verdict"] = source["api"], source["verdict"]
        if "timeline" in source:  # numbers and the closed vocabulary of outcomes
            mine["timeline"] = source["timeline"]
        mine["spec"]["sha256"], mine["spec"]["catalog"] = source["spec"]["sha256"], source["spec"]["catalog"]
        for entry, original in zip(mine.get("unjudged") or (), source.get("unjudged") or (), strict=True):
            entry["id"], entry["cause"] = original["id"], original["cause"]
    for mine, source in zip(redacted["requirements"], report["requirements"], strict=True):
        for key in ("id", "api", "verdict", "original_verdict", "level", "cause"):
            if key in source:
                mine[key] = source[key]
        if "waiver" in source:
            mine["waiver"].update(status=source["waiver"]["status"], expires=source["waiver"]["expires"])
    for mine, source in zip(redacted["waivers"], report["waivers"], strict=True):
        mine.update(status=source["status"], expires=source["expires"])


def _moved(redact: Callable[[str], str], origin: str, replayed: str) -> Callable[[str], str]:
    """`redact`, then every URL of the embedded server's temporary origin moved to the replay port (curl
    lines, evidence, base URLs, links in bodies), so that they work once `apiconform serve` runs there."""

    def move(text: str) -> str:
        return redact(text).replace(origin, replayed)

    return move


class ReportWriteError(Exception):
    """The reports could not be written (exit code 4): one line, naming the folder and the reason."""


def new_report_folder(name: str, started: datetime) -> Path:
    """reports/<name>-<UTC start time>-<4 hex digits>/, made here for this run alone: two runs started in the
    same second never share one (a name taken meanwhile is skipped)."""
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    for _ in range(100):
        directory = Path("reports") / f"{name}-{stamp}-{secrets.token_hex(2)}"
        directory.parent.mkdir(parents=True, exist_ok=True)
        try:
            directory.mkdir()
        except FileExistsError:
            continue
        return directory
    raise FileExistsError("no free report folder name under reports/")


def _new_default_dir(session: ConformanceSession) -> Path:
    """The run's default report folder: named after its API, or `all`."""
    return new_report_folder("all" if len(session.runs) > 1 else session.runs[0].contract.api, session.started)


@dataclass(frozen=True)
class WrittenReport:
    """A written report.json: where it is, and what it says (the dictionary the other formats were rendered from)."""

    path: Path
    document: dict[str, Any]


def write(session: ConformanceSession) -> WrittenReport:
    """Write report.json, junit.xml, report.md and report.html (each atomically); return report.json and its path.

    A reused --report-dir is first emptied of the files an earlier run wrote there (nothing else). An
    interrupted run leaves reports/latest where it was. Raises ReportWriteError when a file cannot be written;
    anything else `build` or a renderer raises comes before any file or folder is made (see write_crash).
    """
    report = build(session)
    return _write(session, report, render_all(report))


def _write(session: ConformanceSession, report: dict[str, Any], rendered: list[tuple[str, str]]) -> WrittenReport:
    directory = Path(session.config.report_dir) if session.config.report_dir else None
    try:
        if directory is None:
            directory = _new_default_dir(session)
        else:
            directory.mkdir(parents=True, exist_ok=True)
            empty_own_files(directory)
        written = write_rendered(rendered, directory)
    except OSError as exc:
        where = directory or Path("reports")
        raise ReportWriteError(
            f"cannot write the reports to {where}/: {exc.strerror or exc}"
            + (f" ({exc.filename})" if getattr(exc, "filename", None) else "")
        ) from exc
    if not session.config.report_dir and session.interrupted is None:
        point_latest(directory)
    return WrittenReport(next(path for path in written if path.name == "report.json"), report)


def crash_report(session: ConformanceSession, error: BaseException) -> dict[str, Any]:
    """A minimal, schema-valid report of a run whose report could not be built: verdict `error`, exit 4 (or
    `interrupted` with its code, which comes first), no requirement judged, and the exception named in one
    redacted line under each API's `suite_errors`. Made from what the session holds as plain values (the
    configuration, the contracts, the traffic counts), never from the ledger or the code that failed."""
    config = session.config
    failure = one_line(f"the report could not be built: {type(error).__name__}: {error}", 300)
    apis = []
    for run in session.runs:
        traffic = run.http.traffic
        apis.append(
            {
                "api": run.contract.api,
                "title": run.semantics.title,
                "base_url": run.base_url,
                "spec": _spec(run),
                "verdict": "error",
                "untestable_reason": run.control.untestable,
                "suite_errors": [failure],
                "counts": counts([]),
                "requests": traffic.sent,
                "requests_by_method": dict(traffic.by_method),
                "responses": run.responses,
                "successful_responses": run.successes,
                "transport_errors": list(run.transport_errors[:20]),
                "retries_on_429": traffic.retries_on_429,
                "budget_exhausted": run.control.exhausted,
            }
        )
    report: dict[str, Any] = {
        **_run_header(session),
        "requests": sum(api["requests"] for api in apis),
        "settings": _settings(session),
        "redaction": _redaction_block(config),
        "counts": counts([]),
        "apis": apis,
        "requirements": [],
        "waivers": [],
        "verdict": "error",
        "exit_code": int(ExitCode.SUITE_ERROR),
    }
    if session.interrupted is not None:
        report["verdict"], report["exit_code"] = "interrupted", int(session.interrupted[1])
        report["interrupted"] = session.interrupted[0]
    redacted: dict[str, Any] = _redacted(report, session.secrets.redact)
    _keep_vocabulary(redacted, report)
    return redacted


def write_crash(session: ConformanceSession, error: BaseException) -> WrittenReport:
    """Write the crash_report of a run whose report could not be built or rendered: report.json always, and
    each other format that renders it (a renderer that broke the first time may break again)."""
    report = crash_report(session, error)
    rendered = []
    for name in WRITE_ORDER:
        file_name, renderer = FORMATS[name]
        try:
            rendered.append((file_name, renderer(report)))
        except Exception:
            if name == "json":
                raise
            continue  # that format is left out; report.json, written last, says what happened
    return _write(session, report, rendered)


def point_latest(directory: Path) -> None:
    """Point reports/latest at `directory`, by renaming a new link over it (never a moment without one)."""
    latest = directory.parent / "latest"
    temporary = directory.parent / f".latest-{os.getpid()}-{secrets.token_hex(2)}"
    try:
        os.symlink(directory.name, temporary)
        os.replace(temporary, latest)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()
        with contextlib.suppress(OSError):
            atomic_write_text(directory.parent / "LATEST", directory.name + "\n")
