"""Filter values compared by type, end to end: a list server whose number and boolean filters work as
documented (`?id=5` returns exactly record 5, `active=true` the JSON `true` ones, `score=5` the record
holding 5.0) passes, and each way of comparing them as text instead is found by the filter's own
requirement. Before, the value pool kept text values only and `5` never equalled "5": such a server either
passed on nothing or failed on a correct answer."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from apiconform.cli import main
from tests.engine.typed_server import FAULTS, SPEC, TypedServer

pytestmark = pytest.mark.e2e

# Each fault of the typed server and the requirement that must find it.
FOUND_BY = {
    "id-as-text-prefix": "TL-FILTER-ID",
    "active-ignored": "TL-FILTER-ACTIVE",
    "score-as-text": "TL-FILTER-SCORE",
}


def run(server: TypedServer, directory: Path) -> tuple[int, dict]:
    code = main(["run", "--spec", str(SPEC), "--base-url", server.base_url, "--rate-limit", "1000",
                 "--report-dir", str(directory), "-q"])  # fmt: skip
    return code, json.loads((directory / "report.json").read_text(encoding="utf-8"))


def test_a_server_that_filters_by_type_passes_and_each_filter_is_judged(
    make_typed_server: Callable[..., TypedServer], tmp_path: Path
) -> None:
    code, report = run(make_typed_server(), tmp_path)
    verdicts = {item["id"]: item for item in report["requirements"]}
    assert code == 0 and report["verdict"] == "pass", [(i, v["verdict"], v["reasons"]) for i, v in verdicts.items()]
    for rid in ("TL-FILTER-ID", "TL-FILTER-ACTIVE", "TL-FILTER-SCORE", "TL-FILTER-NAME"):
        assert verdicts[rid]["verdict"] == "pass" and verdicts[rid]["judged"], rid
        evidence = verdicts[rid]["pass_evidence"]
        assert evidence and evidence["records"], rid
    messages = json.dumps(report)
    assert "True" not in messages.replace("true", ""), "a message shows Python's spelling of a boolean"


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_filter_compared_as_text_fails_its_requirement(
    fault: str, make_typed_server: Callable[..., TypedServer], tmp_path: Path
) -> None:
    code, report = run(make_typed_server(faults=[fault]), tmp_path)
    found = next(item for item in report["requirements"] if item["id"] == FOUND_BY[fault])
    assert found["verdict"] == "fail", (found["reasons"], found["failures"])
    assert code == 1
