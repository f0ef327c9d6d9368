"""Combined reports (reporting/merge.py, `report --merge`): one verdict from several targets' reports, the
same in every format, and a target that wrote no report never merged into a pass."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from apiconform.cli import main
from apiconform.reporting import ReportError, render, validate_report
from apiconform.reporting.merge import merge, missing_target, target_report

from .conftest import ending_report


def _target(name: str, verdict: str) -> dict[str, Any]:
    report = ending_report(verdict)
    report["target"]["name"] = name
    return target_report(name, report, f"{name}/report.json")


# (the targets' verdicts, the combined verdict, its exit code): the one precedence of every run.
COMBINED = [
    (("pass", "pass"), "pass", 0),
    (("pass", "fail"), "fail", 1),
    (("fail", "incomplete"), "fail", 1),
    (("pass", "incomplete"), "incomplete", 3),
    (("pass", "untestable"), "untestable", 3),
    (("pass", "partial"), "partial", 0),
    (("pass", "error"), "error", 4),
    (("fail", "error"), "fail", 1),
    (("fail", "interrupted"), "interrupted", 143),
    (("pass",), "pass", 0),
]


@pytest.mark.parametrize(("verdicts", "verdict", "code"), COMBINED)
def test_the_combined_verdict_is_the_targets_by_the_one_precedence(
    verdicts: tuple[str, ...], verdict: str, code: int
) -> None:
    combined = merge([_target(f"t{index}", each) for index, each in enumerate(verdicts)])
    validate_report(combined)
    assert (combined["verdict"], combined["exit_code"]) == (verdict, code)
    assert [entry["verdict"] for entry in combined["targets"]] == list(verdicts)


def test_a_target_without_a_report_is_an_error_never_a_pass() -> None:
    combined = merge([_target("staging", "pass")], [missing_target("production", 2, "its run ended with exit 2")])
    validate_report(combined)
    assert (combined["verdict"], combined["exit_code"]) == ("error", 4)
    assert combined["targets"][1]["reason"] == "its run ended with exit 2"


def test_targets_that_all_wrote_no_report_are_an_error_with_this_installations_versions() -> None:
    combined = merge([], [missing_target("staging", 2, "its run ended with exit code 2 and no report")])
    validate_report(combined)
    assert (combined["verdict"], combined["exit_code"]) == ("error", 4)
    assert combined["tool"]["name"] == "apiconform" and combined["tool"]["schemathesis"]


def test_a_target_a_signal_stopped_before_it_wrote_a_report_is_interrupted() -> None:
    stopped = missing_target(
        "production", 143, "SIGTERM: its run ended with exit code -15 and no report", "interrupted"
    )
    combined = merge([_target("staging", "fail")], [stopped])
    validate_report(combined)
    assert (combined["verdict"], combined["exit_code"]) == ("interrupted", 143)


def test_each_api_is_named_by_its_target_so_two_deployments_of_one_api_stay_apart() -> None:
    combined = merge([_target("staging", "fail"), _target("production", "pass")])
    apis = [api["api"] for api in combined["apis"]]
    assert apis == ["staging/bitgo-oes", "production/bitgo-oes"]
    assert {item["api"] for item in combined["requirements"]} == set(apis)
    assert {item["target"] for item in combined["requirements"]} == {"staging", "production"}
    assert set(combined["target"]["base_urls"]) == set(apis)
    assert set(combined["settings"]["per_target"]) == {"staging", "production"}
    failed = [item for item in combined["requirements"] if item["verdict"] == "fail"]
    assert [item["api"] for item in failed] == ["staging/bitgo-oes"]


def test_merging_combined_reports_is_merging_their_targets() -> None:
    parts = [_target("a", "pass"), _target("b", "fail"), _target("c", "incomplete")]
    at_once = merge(parts)
    in_two = merge([merge(parts[:2]), merge(parts[2:])])
    assert in_two == at_once


def test_a_target_merged_twice_is_refused() -> None:
    with pytest.raises(ReportError, match="more than one report of target a"):
        merge([_target("a", "pass"), _target("a", "fail")])


@pytest.mark.parametrize("verdict", ["fail", "interrupted", "pass"])
def test_every_format_of_a_combined_report_says_its_verdict(verdict: str) -> None:
    combined = merge([_target("a", "pass"), _target("b", verdict)])
    assert combined["verdict"] == verdict
    said = verdict.upper()
    assert said in render(combined, "md").splitlines()[0]
    assert f">{said}<" in render(combined, "html")
    suites = ET.fromstring(render(combined, "junit"))
    assert {suite.get("name") for suite in suites} == {"a/bitgo-oes", "b/bitgo-oes"}


def test_a_combined_report_warns_of_any_target_run_without_tls_verification() -> None:
    risky = ending_report("pass")
    risky["settings"]["insecure"] = True
    risky["seed"] = 9
    combined = merge([_target("staging", "pass"), target_report("production", risky, None)])
    assert combined["seed"] is None
    assert "NOT verified" in render(combined, "md") and "NOT verified" in render(combined, "html")
    assert "seed per target" in render(combined, "md")
    html = render(combined, "html")
    assert "staging: " in html and "production: " in html


def _write(folder: Path, report: dict[str, Any]) -> Path:
    folder.mkdir(parents=True)
    (folder / "report.json").write_text(json.dumps(report), encoding="utf-8")
    return folder


def test_report_merge_joins_shards_and_exits_with_the_combined_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = ending_report("pass"), ending_report("fail")
    first["target"]["name"], second["target"]["name"] = "staging", "production"
    shards = [_write(tmp_path / "shard-1", first), _write(tmp_path / "shard-2", second)]
    code = main(["report", "--merge", *map(str, shards), "--output", str(tmp_path / "all")])
    combined = json.loads((tmp_path / "all" / "report.json").read_text(encoding="utf-8"))
    assert code == 1 == combined["exit_code"]
    assert [entry["name"] for entry in combined["targets"]] == ["staging", "production"]
    assert [entry["report"] for entry in combined["targets"]] == ["../shard-1/report.json", "../shard-2/report.json"]
    assert sorted(path.name for path in (tmp_path / "all").iterdir()) == [
        "junit.xml",
        "report.html",
        "report.json",
        "report.md",
    ]
    assert "verdict: fail" in capsys.readouterr().out


def test_a_report_without_a_target_name_is_named_by_its_folder(tmp_path: Path) -> None:
    shards = [_write(tmp_path / "eu", ending_report("pass")), _write(tmp_path / "us", ending_report("pass"))]
    assert main(["report", "--merge", *map(str, shards), "-o", str(tmp_path / "all")]) == 0
    combined = json.loads((tmp_path / "all" / "report.json").read_text(encoding="utf-8"))
    assert [entry["name"] for entry in combined["targets"]] == ["eu", "us"]


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["--format", "md", "-o", "x"], "leave --format out"),
        ([], "name it with --output DIR"),
    ],
)
def test_report_merge_misuse_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], said: str
) -> None:
    shard = _write(tmp_path / "one", ending_report("pass"))
    assert main(["report", "--merge", str(shard), *extra]) == 2
    error = capsys.readouterr().err
    assert said in error and error.count("\n") == 1


def test_two_reports_without_merge_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one, two = (
        _write(tmp_path / "a", ending_report("pass")),
        _write(tmp_path / "b", copy.deepcopy(ending_report("pass"))),
    )
    assert main(["report", str(one), str(two), "--format", "md"]) == 2
    assert "--merge" in capsys.readouterr().err
