"""Waivers: accept a known deviation for a while without switching the gate off.

A waivers file is a YAML list validated by waivers.schema.json:

    - requirement: OES-FILTER-STATUSES
      reason: BitGo confirmed the statuses filter is ignored; fix planned for 2.14
      ticket: VENDOR-1234
      expires: 2026-12-31

A waiver applies to a requirement that failed (or warned) in the run: its verdict becomes `waived`,
`original_verdict` keeps what it was, and it no longer fails the gate. A waiver is valid through its
`expires` date (UTC), the same rule as schemathesis' baseline entries; after it, the waiver is
`expired` and the failure fails the gate again. A waiver that matched no failure is `stale`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from apiconform import datafiles

WAIVABLE = ("fail", "warn")


class WaiverError(Exception):
    """A waivers file that cannot be used (the message is one line, naming the file and the entry)."""


@dataclass(frozen=True)
class Waiver:
    requirement: str
    reason: str
    ticket: str
    expires: date

    def expired(self, today: date) -> bool:
        """Whether the waiver no longer applies on `today` (it applies through its expiry date)."""
        return today > self.expires


@cache
def waivers_schema() -> dict[str, Any]:
    """The JSON Schema of a waivers file (src/apiconform/reporting/waivers.schema.json)."""
    text = resources.files("apiconform.reporting").joinpath("waivers.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _dates_as_text(value: Any) -> Any:
    # YAML reads an unquoted 2026-12-31 as a date; the schema checks the ISO text of it.
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [_dates_as_text(item) for item in value]
    if isinstance(value, dict):
        return {key: _dates_as_text(item) for key, item in value.items()}
    return value


def parse_waivers(data: Any, source: str = "waivers") -> tuple[Waiver, ...]:
    """Validate parsed YAML (a list of waivers; None for an empty file) and return the waivers."""
    if data is None:
        return ()
    data = _dates_as_text(data)
    validator = jsonschema.Draft202012Validator(
        waivers_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        # What the schema expects, not jsonschema's message: that quotes the value, which may be any file's
        # text (`--waivers` naming a token file).
        said = datafiles.schema_rule(error)
        path = list(error.absolute_path)
        if path and isinstance(path[0], int):
            entry = data[path[0]]
            name = entry.get("requirement") if isinstance(entry, dict) else None
            where = f"entry {path[0] + 1}" + (
                f" ({datafiles.excerpt(name, quoted=False)})" if isinstance(name, str) else ""
            )
            field = f" {datafiles.excerpt(path[1], quoted=False)}:" if len(path) > 1 else ""
            raise WaiverError(f"{source}: {where}:{field} {said}")
        raise WaiverError(f"{source}: a waivers file is a YAML list of waivers: {said}")
    waivers = tuple(
        Waiver(item["requirement"], item["reason"], item["ticket"], date.fromisoformat(item["expires"]))
        for item in data
    )
    seen: set[str] = set()
    for waiver in waivers:
        if waiver.requirement in seen:
            raise WaiverError(f"{source}: {waiver.requirement} is waived twice; keep one waiver per requirement")
        seen.add(waiver.requirement)
    return waivers


class _DatesAsTextLoader(yaml.SafeLoader):
    """YAML's safe loader, except that dates stay text (2026-02-30 is then a schema error, not a crash)."""

    yaml_implicit_resolvers = {
        first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


def load_waivers(path: str | Path) -> tuple[Waiver, ...]:
    """Read and validate a waivers file (a regular file within the limits of every data file, see
    apiconform.datafiles)."""
    try:
        # A SafeLoader subclass: as safe as yaml.safe_load.
        data = datafiles.read_yaml(Path(path), loader=_DatesAsTextLoader)
    except datafiles.DataFileError as exc:
        raise WaiverError(str(exc)) from None
    return parse_waivers(data, str(path))


def in_force(waivers: Iterable[Waiver], today: date) -> dict[str, Waiver]:
    """The waivers that apply on `today` (not expired), by the requirement each waives (one per requirement)."""
    return {waiver.requirement: waiver for waiver in waivers if not waiver.expired(today)}


def waiver_entry(waiver: Waiver, status: str) -> dict[str, str]:
    """A waiver as a requirement of report.json carries it."""
    return {
        "reason": waiver.reason,
        "ticket": waiver.ticket,
        "expires": waiver.expires.isoformat(),
        "status": status,
    }


def apply_waivers(
    requirements: Iterable[dict[str, Any]], waivers: Iterable[Waiver], today: date
) -> list[dict[str, Any]]:
    """Mark waived requirements in place; return one result per waiver (applied, expired or stale)."""
    by_id: Mapping[str, dict[str, Any]] = {item["id"]: item for item in requirements}
    apis = sorted({item["api"] for item in by_id.values()})
    results = []
    for waiver in waivers:
        requirement = by_id.get(waiver.requirement)
        expires = waiver.expires.isoformat()
        if requirement is None:
            status = "stale"
            detail = f"matched nothing: {waiver.requirement} is not a requirement of {', '.join(apis) or 'this run'}"
        elif requirement["verdict"] not in WAIVABLE:
            status = "stale"
            detail = f"matched nothing: {waiver.requirement} is {requirement['verdict']} in this run"
            if waiver.expired(today):
                detail += f" (and the waiver expired on {expires})"
        elif waiver.expired(today):
            status = "expired"
            detail = f"expired on {expires}: the {requirement['verdict']} of {waiver.requirement} counts again"
            requirement["waiver"] = waiver_entry(waiver, status)
        else:
            status = "applied"
            detail = f"waives the {requirement['verdict']} of {waiver.requirement} until {expires}"
            requirement["original_verdict"] = requirement["verdict"]
            requirement["verdict"] = "waived"
            requirement["waiver"] = waiver_entry(waiver, status)
        results.append(
            {
                "requirement": waiver.requirement,
                "reason": waiver.reason,
                "ticket": waiver.ticket,
                "expires": expires,
                "status": status,
                "detail": detail,
            }
        )
    return results
