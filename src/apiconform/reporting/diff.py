"""Compare two runs requirement by requirement: what regressed, what recovered, what else changed.

Requirements are matched by API and ID. A requirement regressed when

- it fails in the new run and did not fail in the old one (pass, warn, waived, not-exercised or
  inconclusive before), or
- it is a MUST (in either run) that passed in the old run and does not pass in the new one: it is
  not-exercised, inconclusive, waived or warns now, or the new report has no verdict for it at all. A
  release candidate that leaves a guarantee unjudged has not shown that it keeps it.

It recovered when it failed before and passes or only warns now. Every other change of verdict or level
is listed as changed, and requirements present in only one report as added or removed (a MUST that
passed before and is gone counts as regressed instead). Only a regression makes the comparison fail.
Any report.json with `requirements` entries of id, level and verdict can be compared, so reports of older
apiconform versions work too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from apiconform.reporting.document import ReportError, printable, printable_line, read_json, report_path

# Just what a comparison needs, so that older report formats can be compared as well.
DIFFABLE = {
    "type": "object",
    "required": ["requirements"],
    "properties": {
        "requirements": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "level", "verdict"],
                "properties": {
                    "id": {"type": "string"},
                    "api": {"type": "string"},
                    "level": {"type": "string"},
                    "verdict": {"type": "string"},
                    "original_verdict": {"type": "string"},
                },
            },
        }
    },
}


@dataclass(frozen=True)
class Change:
    api: str
    requirement: str
    title: str
    old_verdict: str | None
    new_verdict: str | None
    old_level: str | None
    new_level: str | None

    def describe(self) -> str:
        """`API REQ-ID: old -> new` with the level change, if any."""
        verdicts = f"{self.old_verdict or 'absent'} -> {self.new_verdict or 'absent'}"
        levels = (
            f"; level {self.old_level} -> {self.new_level}"
            if self.old_level and self.new_level and self.old_level != self.new_level
            else ""
        )
        title = f" ({self.title})" if self.title else ""
        # From the reports, which a spec wrote: one printable line whatever they hold.
        return printable_line(f"{self.requirement} [{self.api}]: {verdicts}{levels}{title}")


@dataclass
class ReportDiff:
    regressed: list[Change] = field(default_factory=list)
    recovered: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    added: list[Change] = field(default_factory=list)
    removed: list[Change] = field(default_factory=list)
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def has_regressions(self) -> bool:
        """Whether any requirement fails now that did not before, or a MUST that passed passes no longer."""
        return bool(self.regressed)


def load_diffable(path: str | Path) -> dict[str, Any]:
    """Read a report for comparison, with a one-line ReportError for anything unusable."""
    data = read_json(path)
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(DIFFABLE).iter_errors(data))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
        raise ReportError(f"{report_path(path)}: not an apiconform report: at {where}: {error.message}")
    assert isinstance(data, dict)
    return data


def _keyed(report: Mapping[str, Any]) -> dict[tuple[str, str], Mapping[str, Any]]:
    return {(item.get("api", ""), item["id"]): item for item in report["requirements"]}


def _spec_notes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    notes = []
    old_specs = {api["api"]: api.get("spec", {}) for api in old.get("apis", ()) if isinstance(api, dict)}
    for api in new.get("apis", ()):
        if not isinstance(api, dict) or api.get("api") not in old_specs:
            continue
        before, after = old_specs[api["api"]].get("sha256"), api.get("spec", {}).get("sha256")
        if before and after and before != after:
            notes.append(f"{api['api']}: the spec changed between the runs ({before[:12]} -> {after[:12]})")
    old_urls = old.get("target", {}).get("base_urls", {})
    for api, url in new.get("target", {}).get("base_urls", {}).items():
        if api in old_urls and old_urls[api] != url and not new.get("target", {}).get("embedded_reference_server"):
            notes.append(f"{api}: the target changed ({old_urls[api]} -> {url})")
    return notes


def diff_reports(old: Mapping[str, Any], new: Mapping[str, Any]) -> ReportDiff:
    """Classify every requirement of either report (see the module docstring)."""
    result = ReportDiff(notes=_spec_notes(old, new))
    before, after = _keyed(old), _keyed(new)
    for key in [*before, *(key for key in after if key not in before)]:
        was, now = before.get(key), after.get(key)
        change = Change(
            api=key[0],
            requirement=key[1],
            title=str((now or was or {}).get("title", "")),
            old_verdict=was["verdict"] if was else None,
            new_verdict=now["verdict"] if now else None,
            old_level=was["level"] if was else None,
            new_level=now["level"] if now else None,
        )
        if was is None:
            result.added.append(change)
        elif _regressed(change):
            result.regressed.append(change)
        elif now is None:
            result.removed.append(change)
        elif change.old_verdict == "fail" and change.new_verdict in ("pass", "warn"):
            result.recovered.append(change)
        elif change.old_verdict != change.new_verdict or change.old_level != change.new_level:
            result.changed.append(change)
        else:
            result.unchanged += 1
    return result


def _regressed(change: Change) -> bool:
    """A failure that is new, or a MUST that passed and passes no longer (whatever it is now, absent included)."""
    if change.new_verdict == "fail" and change.old_verdict != "fail":
        return True
    must = "MUST" in (change.old_level, change.new_level)
    return must and change.old_verdict == "pass" and change.new_verdict != "pass"


def render_diff(result: ReportDiff, old_name: str = "old", new_name: str = "new") -> str:
    """The comparison as text: one section per kind of change, then a one-line summary."""
    lines = [printable_line(f"comparing {old_name} -> {new_name}")]
    lines += [f"note: {printable_line(note)}" for note in result.notes]
    sections = (
        ("regressed", result.regressed),
        ("recovered", result.recovered),
        ("changed", result.changed),
        ("added", result.added),
        ("removed", result.removed),
    )
    for title, changes in sections:
        if not changes:
            continue
        lines.append("")
        lines.append(f"{title} ({len(changes)}):")
        lines += [f"  {change.describe()}" for change in changes]
    counts = ", ".join(f"{len(changes)} {title}" for title, changes in sections)
    lines.append("")
    verdict = "REGRESSION" if result.has_regressions else "no regression"
    lines.append(f"{verdict}: {counts}, {result.unchanged} unchanged")
    return printable("\n".join(lines) + "\n")
