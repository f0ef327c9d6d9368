"""One report from several: the targets of `apiconform run --target`, or the shards `report --merge` joins.

The combined report is a report.json like any other (the same schema, so every renderer, `diff` and
`publish` read it unchanged), with a `targets` list, one entry per target. Each API is named TARGET/API in
`apis`, `requirements` and `target.base_urls` (two targets may test the same API: a staging and a
production deployment), and carries `target`. A combined report merges again with others: its targets are
taken as they are, so shards' reports join in any grouping.

The verdict is the targets' verdicts by the one precedence (`VERDICT_PRECEDENCE`): a target whose run wrote
no report has the verdict `error`, never a silent pass, and a run that stopped one target is said first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from apiconform.exitcodes import ExitCode
from apiconform.reporting.document import (
    EXIT_OF_VERDICT,
    REPORT_FORMAT,
    VERDICT_PRECEDENCE,
    ReportError,
    counts,
    fails_gate,
    tool,
)

SEPARATOR = "/"


def target_report(name: str, report: Mapping[str, Any], path: str | None) -> dict[str, Any]:
    """A single target's report as a combined report of one target: its APIs renamed NAME/API and tagged."""
    if "targets" in report:
        return dict(report)
    renamed = {api["api"]: f"{name}{SEPARATOR}{api['api']}" for api in report["apis"]}

    def tagged(item: Mapping[str, Any], key: str) -> dict[str, Any]:
        return {**item, key: renamed.get(item[key], item[key]), "target": name}

    return {
        **report,
        "target": {
            "embedded_reference_server": report["target"]["embedded_reference_server"],
            "base_urls": {renamed.get(api, api): url for api, url in report["target"]["base_urls"].items()},
        },
        "settings": {"per_target": {name: report["settings"]}},
        "apis": [tagged(api, "api") for api in report["apis"]],
        "requirements": [tagged(requirement, "api") for requirement in report["requirements"]],
        "waivers": [{**waiver, "target": name} for waiver in report["waivers"]],
        "targets": [
            {
                "name": name,
                "verdict": report["verdict"],
                "exit_code": report["exit_code"],
                "reason": None,
                "apis": [api["api"] for api in report["apis"]],
                "requests": report["requests"],
                "started": report["started"],
                "finished": report["finished"],
                "seed": report["seed"],
                "report": path,
            }
        ],
    }


def missing_target(name: str, exit_code: int, reason: str, verdict: str = "error") -> dict[str, Any]:
    """The `targets` entry of a target whose run wrote no report: it could not start or crashed (`error`),
    or a signal stopped it first (`interrupted`)."""
    return {
        "name": name,
        "verdict": verdict,
        "exit_code": exit_code,
        "reason": reason,
        "apis": [],
        "requests": 0,
        "started": None,
        "finished": None,
        "seed": None,
        "report": None,
    }


def merge(reports: Sequence[Mapping[str, Any]], missing: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """The combined report of `reports` (each made by `target_report`, or combined already) and of the
    targets in `missing`, which wrote none. Raises ReportError when two name the same target."""
    targets = [*(entry for report in reports for entry in report["targets"]), *missing]
    names = [entry["name"] for entry in targets]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ReportError(f"more than one report of target {', '.join(twice)}: each target is merged once")
    if not targets:
        raise ReportError("no report to merge")
    requirements = [requirement for report in reports for requirement in report["requirements"]]
    seeds = {entry["seed"] for entry in targets if entry["seed"] is not None}
    started = [report["started"] for report in reports]
    finished = [report["finished"] for report in reports]
    combined: dict[str, Any] = {
        "format": REPORT_FORMAT,
        "tool": reports[0]["tool"] if reports else tool(),
        "target": {
            "embedded_reference_server": any(report["target"]["embedded_reference_server"] for report in reports),
            "base_urls": {api: url for report in reports for api, url in report["target"]["base_urls"].items()},
        },
        "seed": seeds.pop() if len(seeds) == 1 else None,
        "started": min(started, key=_instant) if started else _NO_TIME,
        "finished": max(finished, key=_instant) if finished else _NO_TIME,
        "duration_seconds": _seconds(started, finished),
        "requests": sum(report["requests"] for report in reports),
        "settings": {
            "per_target": {
                name: settings for report in reports for name, settings in report["settings"]["per_target"].items()
            }
        },
        "redaction": _redaction(reports),
        "counts": counts(requirements),
        "apis": [api for report in reports for api in report["apis"]],
        "requirements": requirements,
        "waivers": [waiver for report in reports for waiver in report["waivers"]],
        "targets": targets,
    }
    combined.update(_verdict(targets, requirements))
    return combined


def _verdict(targets: Sequence[Mapping[str, Any]], requirements: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The combined verdict and exit code: an interrupted target first (its signal's code), then a failed
    MUST (1), then the targets' verdicts by precedence."""
    found = {entry["verdict"] for entry in targets}
    verdict = next(each for each in VERDICT_PRECEDENCE if each in found or each == "pass")
    if verdict == "interrupted":
        stopped = next(entry for entry in targets if entry["verdict"] == "interrupted")
        return {"verdict": verdict, "exit_code": stopped["exit_code"], "interrupted": f"target {stopped['name']}"}
    if any(fails_gate(requirement) for requirement in requirements):
        return {"verdict": verdict, "exit_code": int(ExitCode.NONCONFORMANT)}
    return {"verdict": verdict, "exit_code": int(EXIT_OF_VERDICT[verdict])}


def _redaction(reports: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    if not reports:
        return {"token_placeholder": "$APICONFORM_TOKEN", "header_mask": "[Filtered]", "secret_headers": []}
    first = reports[0]["redaction"]
    headers = sorted({name for report in reports for name in report["redaction"]["secret_headers"]})
    return {**first, "secret_headers": headers}


_NO_TIME = "1970-01-01T00:00:00+00:00"


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _seconds(started: Sequence[str], finished: Sequence[str]) -> float:
    if not started or not finished:
        return 0.0
    span = _instant(max(finished, key=_instant)) - _instant(min(started, key=_instant))
    return round(max(0.0, span.total_seconds()), 3)
