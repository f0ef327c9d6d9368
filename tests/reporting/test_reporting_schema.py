"""report.schema.json: it accepts what the engine writes and rejects what a renderer could not read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from apiconform.reporting import ReportError, load_report, validate_report

from .conftest import ENDINGS, EmbeddedRun, ending_report, make_report


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    import jsonschema

    from apiconform.reporting.document import report_schema

    jsonschema.Draft202012Validator.check_schema(report_schema())


def test_every_report_of_the_real_run_validates(embedded_run: EmbeddedRun) -> None:
    validate_report(json.loads((embedded_run.directory / "report.json").read_text(encoding="utf-8")))


def _break(report: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    *parents, last = path.split("/")
    node: Any = report
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is KeyError:
        del node[last]
    else:
        node[int(last) if last.isdigit() else last] = value
    return report


@pytest.mark.parametrize(
    "path, value, message",
    [
        ("verdict", "maybe", "at verdict: 'maybe' is not one of ['pass', 'partial', 'fail', 'incomplete', 'untes"),
        ("requirements/0/verdict", "broken", "at requirements/0/verdict: 'broken' is not one of"),
        ("requirements/0/failures", [], "at requirements/0/failures: [] should be non-empty"),
        ("requirements/3/reasons", [], "at requirements/3/reasons: [] should be non-empty"),
        ("requirements/2/original_verdict", KeyError, "'original_verdict' is a required property"),
        ("requirements/0/failures/0/evidence/0/curl", "wget x", "does not match '^curl '"),
        ("started", "yesterday", "at started: 'yesterday' is not a 'date-time'"),
        ("seed", KeyError, "at (top level): 'seed' is a required property"),
    ],
)
def test_a_broken_report_is_rejected_where_it_breaks(path: str, value: Any, message: str) -> None:
    with pytest.raises(ReportError) as caught:
        validate_report(_break(make_report(), path, value))
    assert message in str(caught.value)


def test_load_report_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text(json.dumps({"format": 2}), encoding="utf-8")
    with pytest.raises(ReportError, match=rf"^{path}: not an apiconform report: at \(top level\): "):
        load_report(tmp_path)
    path.unlink()  # the autouse check would reject it too, rightly


@pytest.mark.parametrize("verdict", ENDINGS)
def test_every_ending_with_the_new_fields_validates(verdict: str) -> None:
    """Each of the seven verdicts, at the top level and for its API, with issue 21's fields filled in."""
    report = ending_report(verdict)
    validate_report(report)
    assert report["verdict"] == report["apis"][0]["verdict"] == verdict


def test_a_report_from_before_the_new_fields_still_validates() -> None:
    """A format-2 report written before issue 21 (no allow_partial, unjudged, judged, cause, ...) still renders."""
    report = make_report()
    assert "allow_partial" not in report["settings"] and "unjudged" not in report["apis"][0]
    assert all("cause" not in item and "judged" not in item for item in report["requirements"])
    validate_report(report)


@pytest.mark.parametrize(
    "verdict, path, value, message",
    [
        ("pass", "requirements/0/judged", False, "at requirements/0/judged: True was expected"),
        ("pass", "requirements/0/cause", "data", "at requirements/0/cause: 'data' is not of type 'null'"),
        ("pass", "requirements/1/cause", "budget", "at requirements/1/cause: 'budget' is not valid"),
        ("pass", "requirements/0/pass_evidence/records", "14", "at requirements/0/pass_evidence"),
        ("pass", "requirements/0/pass_evidence/request/curl", "wget x", "at requirements/0/pass_evidence"),
        ("pass", "requirements/0/pass_evidence/check", KeyError, "at requirements/0/pass_evidence"),
        ("pass", "requirements/1/pass_evidence", {"check": "x"}, "at requirements/1/pass_evidence: "),
        ("pass", "apis/0/unjudged", [{"id": "X", "cause": "run", "reason": "r"}], "is expected to be empty"),
        ("incomplete", "apis/0/unjudged/0/cause", "data", "at apis/0/unjudged/0/cause: 'data' is not one of"),
        ("incomplete", "apis/0/incomplete_reason", None, "at apis/0/incomplete_reason: None is not of type"),
        ("partial", "apis/0/unusable_exchanges", -1, "at apis/0/unusable_exchanges: -1 is less than"),
        ("partial", "settings/allow_partial", "yes", "at settings/allow_partial: 'yes' is not of type 'boolean'"),
        ("interrupted", "interrupted", KeyError, "'interrupted' is a required property"),
        ("untestable", "apis/0/verdict", "broken", "at apis/0/verdict: 'broken' is not one of"),
    ],
)
def test_the_new_fields_are_rejected_when_they_have_the_wrong_shape(
    verdict: str, path: str, value: Any, message: str
) -> None:
    with pytest.raises(ReportError) as caught:
        validate_report(_break(ending_report(verdict), path, value))
    assert message in str(caught.value)
