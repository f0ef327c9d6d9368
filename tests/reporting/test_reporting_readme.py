"""The README's CI jobs, waiver example and diff/report commands, run as written."""

from __future__ import annotations

import json
import os
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from apiconform.cli import main
from apiconform.engine import driver
from apiconform.engine.session import RunConfig
from apiconform.reporting.waivers import parse_waivers

from .conftest import FAILING, EmbeddedRun

README = Path(__file__).resolve().parents[2] / "README.md"
# Stand-ins for what the CI systems substitute: ${{ ... }} expressions and $VARIABLES.
EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")
ENV = {
    "BRM_BASE_URL": "https://brm.example.test/brm/prepayBalanceManagement/v4",
    "BRM_STAGING_URL": "https://brm-staging.example.test/brm/prepayBalanceManagement/v4",
}


def _section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else len(text)]


def _blocks(section: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", section, flags=re.MULTILINE | re.DOTALL)


def _commands(script: str) -> list[str]:
    """The apiconform command lines of a shell script (one per line)."""
    return [line.strip() for line in script.splitlines() if line.strip().startswith("apiconform ")]


def _argv(command: str) -> list[str]:
    expanded = EXPRESSION.sub(lambda match: match.group(1).split(".")[-1].lower(), command)
    return shlex.split(os.path.expandvars(expanded))[1:]


class _Recorder:
    """Stands in for the runner: keeps the configuration `apiconform run` would have run with."""

    def __init__(self) -> None:
        self.configs: list[RunConfig] = []

    def __call__(self, config: RunConfig, **kwargs: Any) -> int:
        self.configs.append(config)
        return 0


@pytest.fixture
def in_ci_workspace(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> _Recorder:
    """A working directory holding the README's waivers file where its jobs expect it, with the runner recorded."""
    monkeypatch.chdir(tmp_path)
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "conformance").mkdir()
    waivers = _blocks(_section("Using apiconform as a CI gate"), "yaml")
    example = next(block for block in waivers if block.startswith("- requirement:"))
    (tmp_path / "conformance" / "waivers.yaml").write_text(example, encoding="utf-8")
    recorder = _Recorder()
    monkeypatch.setattr(driver, "run", recorder)
    return recorder


def _ci_jobs() -> tuple[dict[str, Any], dict[str, Any]]:
    blocks = [yaml.safe_load(block) for block in _blocks(_section("Using apiconform as a CI gate"), "yaml")]
    # The jobs without the Action and the template (tests/reporting/test_reporting_ci.py runs those).
    github = next(block for block in blocks if isinstance(block, dict) and "apiconform run" in str(block.get("jobs")))
    gitlab = next(
        block for block in blocks if isinstance(block, dict) and "jobs" not in block and "include" not in block
    )
    return github, gitlab


def test_the_waiver_example_is_a_valid_waivers_file() -> None:
    examples = [block for block in _blocks(_section("Using apiconform as a CI gate"), "yaml") if block.startswith("-")]
    assert len(examples) == 1
    (waiver,) = parse_waivers(yaml.safe_load(examples[0]))
    assert waiver.requirement == FAILING


def test_the_github_actions_job_runs_a_valid_gate(in_ci_workspace: _Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    github, _ = _ci_jobs()
    (job,) = github["jobs"].values()
    steps = job["steps"]
    gate = next(step for step in steps if "apiconform run" in step.get("run", ""))
    (command,) = _commands(gate["run"])
    assert "--token" not in command and "APICONFORM_TOKEN" in gate["env"], "the token comes from the secret store"
    monkeypatch.setenv("APICONFORM_TOKEN", "from-the-secret-store")
    assert main(_argv(command)) == 0
    (config,) = in_ci_workspace.configs
    assert config.token == "from-the-secret-store" and config.waivers and config.path_params
    report_dir = config.report_dir
    assert report_dir and config.base_urls == {"bitgo-oes": "https://app.bitgo-test.com/api/network/v1"}
    # The later steps read the files that run writes, from the directory it writes them to.
    after = steps[steps.index(gate) + 1 :]
    assert all(step.get("if") == "always()" for step in after), "reports are kept when the gate fails too"
    summary = next(step["run"] for step in after if "GITHUB_STEP_SUMMARY" in step.get("run", ""))
    assert summary == f'cat {report_dir}/report.md >> "$GITHUB_STEP_SUMMARY"'
    uses = {step["uses"].split("@")[0]: step["with"] for step in after if "uses" in step}
    assert uses["actions/upload-artifact"]["path"] == f"{report_dir}/"
    assert uses["mikepenz/action-junit-report"]["report_paths"] == f"{report_dir}/junit.xml"


def test_the_gitlab_job_runs_a_valid_gate(in_ci_workspace: _Recorder) -> None:
    _, gitlab = _ci_jobs()
    (job,) = gitlab.values()
    commands = [command for line in job["script"] for command in _commands(line)]
    assert len(commands) == 1 and "--token" not in commands[0]
    assert main(_argv(commands[0])) == 0
    (config,) = in_ci_workspace.configs
    assert config.base_urls == {"brm-adjust-balance": ENV["BRM_BASE_URL"]} and config.waivers
    assert job["artifacts"]["when"] == "always"
    assert job["artifacts"]["paths"] == [f"{config.report_dir}/"]
    assert job["artifacts"]["reports"]["junit"] == f"{config.report_dir}/junit.xml"


def _copy_report(report: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report), encoding="utf-8")


def test_the_diff_example_finds_a_regression(
    in_ci_workspace: _Recorder, embedded_run: EmbeddedRun, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run_line, diff_line = _commands(_blocks(_section("Pre-release verification with diff"), "sh")[0])
    assert main(_argv(run_line)) == 0
    candidate = Path(in_ci_workspace.configs[0].report_dir or "") / "report.json"
    current = embedded_run.report()
    # The release in use passed the requirement the candidate fails.
    release = json.loads(json.dumps(current))
    next(item for item in release["requirements"] if item["id"] == FAILING)["verdict"] = "pass"
    old_path, new_path = (Path(word) for word in _argv(diff_line)[1:])
    assert new_path == candidate
    _copy_report(release, old_path)
    _copy_report(current, new_path)
    assert main(_argv(diff_line)) == 1
    out = capsys.readouterr().out
    assert f"regressed (1):\n  {FAILING} [bitgo-oes]: pass -> fail" in out
    _copy_report(current, old_path)
    assert main(_argv(diff_line)) == 0


def test_the_report_examples_re_render_a_stored_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, embedded_run: EmbeddedRun, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    _copy_report(embedded_run.report(), tmp_path / "reports" / "latest" / "report.json")
    lines = _commands(_blocks(_section("Reading a report"), "sh")[0])
    assert len(lines) == 3
    for line in lines:
        command, _, append_to = line.partition(" >> ")
        assert main(_argv(command)) == 0
        printed = capsys.readouterr().out
        if append_to:
            with open(os.path.expandvars(shlex.split(append_to)[0]), "a", encoding="utf-8") as target:
                target.write(printed)
    assert summary.read_text(encoding="utf-8").startswith("## apiconform: FAIL")
    assert FAILING in (tmp_path / "review.html").read_text(encoding="utf-8")
    assert FAILING in (tmp_path / "junit.xml").read_text(encoding="utf-8")


def test_the_trend_example_charts_the_runs_under_reports(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, embedded_run: EmbeddedRun
) -> None:
    """README's "Pictures": `apiconform trend reports/` charts every run folder there, oldest first."""
    monkeypatch.chdir(tmp_path)
    report = embedded_run.report()
    _copy_report(report, tmp_path / "reports" / "b-now" / "report.json")
    earlier = {**report, "started": "2020-01-01T00:00:00+00:00", "verdict": "pass", "exit_code": 0}
    _copy_report(earlier, tmp_path / "reports" / "a-then" / "report.json")
    section = _section("Reading a report").split("### Pictures", 1)[1]
    [line] = _commands(_blocks(section, "sh")[0])
    assert main(_argv(line)) == 0
    page = (tmp_path / "trend.html").read_text(encoding="utf-8")
    verdicts = re.findall(r'<g data-run="\d+" data-verdict="([a-z]+)"', page)
    assert verdicts == ["pass", report["verdict"]]


def test_the_readme_verdict_table_is_what_the_outputs_say() -> None:
    """README's "Verdicts and how junit.xml shows them": each run verdict's exit code, the verdict line's
    words and the run-verdict testcase are those the renderers give (junit.py's docstring says the same)."""
    import xml.etree.ElementTree as ET

    from apiconform.reporting import junit
    from apiconform.reporting.document import RUN_VERDICTS
    from apiconform.reporting.terminal import render_summary

    from .conftest import ENDINGS, ending_report

    section = _section("Reading a report").split("### Verdicts and how junit.xml shows them", 1)[1]
    rows = re.findall(r"^\| `([a-z]+)` \| ([0-9, ]+) \| ([^|]+) \| ([^|]+) \|$", section, flags=re.MULTILINE)
    assert [row[0] for row in rows] == list(RUN_VERDICTS) == list(ENDINGS)
    for verdict, codes, says, shown in rows:
        assert str(ENDINGS[verdict]) in codes.split(", "), verdict
        report = ending_report(verdict)
        line = render_summary(report).splitlines()[-1]
        assert says.strip().startswith(RUN_VERDICTS[verdict]) and f"({RUN_VERDICTS[verdict]}" in line, verdict
        (case,) = [
            case
            for case in ET.fromstring(junit.render_junit(report)).iter("testcase")
            if "run verdict" in case.get("name", "")
        ]
        outcome = next((child for child in case if child.tag in ("failure", "error")), None)
        if outcome is None:
            assert shown.strip().startswith("passed"), verdict
        else:
            assert shown.strip().startswith(f'`<{outcome.tag} type="{verdict}">`'), verdict
        mapping = (junit.__doc__ or "").split("`<api> run verdict`", 1)[1]
        documented = re.search(rf"^    (?:[a-z]+, )*{verdict}\b.*$", mapping, flags=re.MULTILINE)
        assert documented and (outcome is None or f'<{outcome.tag} type="{verdict}">' in documented.group()), verdict
