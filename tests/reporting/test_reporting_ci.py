"""`apiconform publish` (reporting/ci.py), and the CI files that call it: action.yml's steps and the GitLab
template's script, run with bash as the runners would, with their variables set."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from apiconform.cli import main
from apiconform.reporting import ci
from apiconform.reporting.document import printable_line
from apiconform.reporting.markdown import render_markdown

from .conftest import make_report, requirement

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"
GITLAB_TEMPLATE = ROOT / "ci" / "apiconform.gitlab-ci.yml"
# A workflow command as the runner parses it: the command, its properties (no `:` or `,` in a value:
# escaped), `::`, the message.
WORKFLOW_COMMAND = re.compile(r"^::(error|warning|notice) title=([^:,\r\n]*)::([^\r\n]*)$")
HOSTILE_TITLE = "list\n::error::pwned %0A 100% \x1b]0;owned\x07 \u202eevil ##[error]x, a:b"
HOSTILE_MESSAGE = "bad\r\n::set-output name=verdict::pass\n::stop-commands::t0k3n"


def _stored(tmp_path: Path, report: dict[str, Any], folder: str = "report") -> Path:
    directory = tmp_path / folder
    directory.mkdir()
    (directory / "report.json").write_text(json.dumps(report), encoding="utf-8")
    return directory


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[Path, Path]:
    """A GitHub Actions step's summary and output files, named by its variables."""
    summary, outputs = tmp_path / "step-summary.md", tmp_path / "step-outputs.txt"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    return summary, outputs


def _unescaped(data: str) -> str:
    return data.replace("%0A", "\n").replace("%0D", "\r").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


def test_github_publish_writes_the_summary_the_annotations_and_the_outputs(
    github: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = make_report()
    folder = _stored(tmp_path, report)
    summary, outputs = github
    summary.write_text("an earlier step's summary\n", encoding="utf-8")

    assert main(["publish", str(folder), "--to", "github"]) == 0

    assert summary.read_text(encoding="utf-8") == "an earlier step's summary\n\n" + render_markdown(report)
    assert outputs.read_text(encoding="utf-8") == (
        f"verdict=fail\nexit-code=1\nreport-dir={folder}\nreport-json={folder / 'report.json'}\n"
    )
    lines = capsys.readouterr().out.splitlines()
    parsed = [WORKFLOW_COMMAND.match(line) for line in lines]
    assert all(parsed), lines
    assert [(match.group(1), _unescaped(match.group(2))) for match in parsed if match] == [
        ("error", "OES-A-FAIL fail (MUST, bitgo-oes)"),
        ("warning", "OES-B-WARN warn (SHOULD, bitgo-oes)"),
        ("notice", "OES-C-WAIVED waived fail (MUST, bitgo-oes)"),
    ]
    error_message = _unescaped(parsed[0].group(3)).split("\n") if parsed[0] else []
    assert error_message[:2] == ["title of OES-A-FAIL", "page 2 repeats <b>record</b> 7"]
    assert error_message[2].startswith("curl -X GET") and error_message[2].endswith("-> 200")


def test_a_passing_run_gets_no_annotation(
    github: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _stored(tmp_path, make_report([requirement("OES-F-PASS", "pass")]))
    assert main(["publish", str(folder / "report.json"), "--to", "github"]) == 0
    assert capsys.readouterr().out == ""
    assert "verdict=pass\nexit-code=0\n" in github[1].read_text(encoding="utf-8")


def test_annotations_stop_at_the_cap_and_one_notice_counts_the_rest(tmp_path: Path) -> None:
    items = [requirement(f"OES-W{n}", "warn", level="SHOULD") for n in range(3)]
    items += [requirement(f"OES-F{n}", "fail") for n in range(4)]
    lines = ci.github_annotations(make_report(items), limit=3)
    assert [line.split(" ", 1)[0] for line in lines] == ["::error", "::error", "::error", "::notice"]
    assert lines[-1].endswith("::1 fail, 3 warn not annotated (at most 3, --max-annotations): see the job summary")
    assert ci.github_annotations(make_report(items), limit=0)[0].startswith("::notice title=apiconform%3A 7 more")


def test_a_run_without_a_verdict_on_its_requirements_says_why(tmp_path: Path) -> None:
    report = make_report([requirement("OES-F-PASS", "pass")], verdict="incomplete", exit_code=3)
    report["apis"][0] |= {"verdict": "incomplete", "incomplete_reason": "2 MUST requirements not judged"}
    (line,) = ci.github_annotations(report)
    assert line.startswith("::error title=apiconform%3A incomplete (not every MUST requirement was judged)::")
    assert line.endswith("bitgo-oes: 2 MUST requirements not judged")


def test_hostile_titles_and_messages_are_neither_commands_nor_lines(
    github: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hostile = requirement("OES-A-FAIL", "fail", title=HOSTILE_TITLE, message=HOSTILE_MESSAGE)
    warned = requirement("OES-B-WARN", "warn", level="SHOULD", title=HOSTILE_TITLE, message=HOSTILE_MESSAGE)
    folder = _stored(tmp_path, make_report([hostile, warned]))
    assert main(["publish", str(folder), "--to", "github"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all(WORKFLOW_COMMAND.match(line) for line in lines), lines
    message = _unescaped(lines[0].split("::", 2)[2]).split("\n")
    # The runner's unescaping gives back the one printable line each text was made.
    assert message[:2] == [printable_line(HOSTILE_TITLE), printable_line(HOSTILE_MESSAGE)]
    assert "%250A 100%25" in lines[0] and "\x1b" not in lines[0] and "\u202e" not in lines[0]
    assert not any(part.startswith("::") for part in message), "no unescaped text starts a command"
    assert "\x1b" not in github[0].read_text(encoding="utf-8")


def test_a_requirement_of_a_multi_target_run_names_its_target() -> None:
    item = requirement("OES-A-FAIL", "fail") | {"target": "staging"}
    assert ci.requirement_title(item) == "OES-A-FAIL fail (MUST, bitgo-oes, target staging)"


def test_an_output_with_a_line_break_uses_the_delimiter_form(
    github: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _stored(tmp_path, make_report(), "odd\nname")
    assert main(["publish", str(folder), "--to", "github"]) == 0
    written = github[1].read_text(encoding="utf-8")
    match = re.search(r"^report-dir<<(ghadelimiter_[0-9a-f-]+)\n(.*)\n\1\n", written, flags=re.MULTILINE | re.DOTALL)
    assert match and match.group(2) == str(folder), written


def test_outside_github_actions_publish_says_what_is_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    folder = _stored(tmp_path, make_report())
    assert main(["publish", str(folder), "--to", "github"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "$GITHUB_STEP_SUMMARY is not set" in err


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--report-url", "javascript:alert(1)"], "--report-url: not an http(s) URL"),
        (["--report-url", "https://ok.example/a b"], "--report-url: not an http(s) URL"),
        (["--output", "x.json"], "--output is for --to gitlab"),
    ],
)
def test_bad_publish_options_are_one_line_and_exit_2(
    github: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], said: str
) -> None:
    folder = _stored(tmp_path, make_report())
    assert main(["publish", str(folder), "--to", "github", *argv]) == 2
    err = capsys.readouterr().err
    assert said in err and err.count("\n") == 1
    assert not github[0].exists() and not github[1].exists(), "nothing is written on bad input"


def test_a_report_that_does_not_load_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "stored.json").write_text('{"format": 2}', encoding="utf-8")
    assert main(["publish", str(tmp_path / "stored.json"), "--to", "gitlab"]) == 2
    assert "not an apiconform report" in capsys.readouterr().err


def test_the_summary_links_the_full_report(
    github: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _stored(tmp_path, make_report())
    url = "https://github.com/o/r/actions/runs/1/artifacts/2"
    assert main(["publish", str(folder), "--to", "github", "--report-url", url]) == 0
    assert github[0].read_text(encoding="utf-8").endswith(f"\nThe full report: [report.html]({url})\n")


def test_gitlab_publish_writes_code_quality_and_the_job_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hostile = requirement("OES-A-FAIL", "fail", title=HOSTILE_TITLE, message=HOSTILE_MESSAGE)
    items = [hostile, requirement("OES-B-WARN", "warn", level="SHOULD"), requirement("OES-C-WAIVED", "waived")]
    folder = _stored(tmp_path, make_report([*items, requirement("OES-F-PASS", "pass")]))
    assert main(["publish", str(folder), "--to", "gitlab"]) == 0
    log = capsys.readouterr().out
    issues = json.loads((folder / ci.CODE_QUALITY_FILE).read_text(encoding="utf-8"))
    assert [(issue["check_name"], issue["severity"]) for issue in issues] == [
        ("apiconform/OES-A-FAIL", "major"),
        ("apiconform/OES-B-WARN", "minor"),
        ("apiconform/OES-C-WAIVED", "info"),
    ]
    assert len({issue["fingerprint"] for issue in issues}) == 3
    assert all(issue["location"] == {"path": "bitgo-oes.openapi.yaml", "lines": {"begin": 1}} for issue in issues)
    assert "\n" not in issues[0]["description"] and printable_line(HOSTILE_MESSAGE) in issues[0]["description"]
    lines = log.split("\n")[:-1]
    assert lines[0].startswith("\x1b[0Ksection_start:") and "[collapsed" not in lines[0]
    assert lines[0].endswith(
        "\r\x1b[0Kapiconform: FAIL (nonconformant): 1 failed, 1 warned, 1 waived of 4 requirements (bitgo-oes)"
    )
    assert re.fullmatch(r"\x1b\[0Ksection_end:\d+:apiconform_summary\r\x1b\[0K", lines[-1])
    assert "  \x1b[33;1mOES-B-WARN warn (SHOULD, bitgo-oes)\x1b[0m" in lines, "the warning shows in the log"
    # Past our own colour and section markers, no escape sequence and no line of the vendor's.
    body = "\n".join(lines[1:-1]).replace("\x1b[31;1m", "").replace("\x1b[33;1m", "").replace("\x1b[36m", "")
    assert "\x1b" not in body.replace("\x1b[0m", "") and not any(line.lstrip().startswith("::") for line in lines)


def test_gitlab_collapses_a_clean_run_and_writes_where_told(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _stored(tmp_path, make_report([requirement("OES-F-PASS", "pass")]))
    target = tmp_path / "quality.json"
    assert main(["publish", str(folder), "--to", "gitlab", "-o", str(target)]) == 0
    assert json.loads(target.read_text(encoding="utf-8")) == []
    assert "[collapsed=true]" in capsys.readouterr().out.splitlines()[0]


def test_action_inputs_reach_the_shell_through_env_only() -> None:
    """GitHub's hardening guide: an expression pasted into `run:` is script injection."""
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    steps = action["runs"]["steps"]
    assert action["runs"]["using"] == "composite"
    assert all("${{" not in step["run"] for step in steps), "inputs go through env:, not into the script"
    used = {match for step in steps for value in step.get("env", {}).values() for match in _inputs(value)}
    assert used == set(action["inputs"]), "every input is used, and only declared ones"
    token_env = [name for step in steps for name, value in step.get("env", {}).items() if "inputs.token" in value]
    assert token_env == ["INPUT_TOKEN"]
    assert '--constraint "$GITHUB_ACTION_PATH/constraints.txt" "$GITHUB_ACTION_PATH"' in steps[0]["run"]


def _inputs(expression: str) -> list[str]:
    return re.findall(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", str(expression))


# --- the CI files' steps, run ------------------------------------------------------------------

CANARY = "apiconform-canary-token-in-ci-Q7"
# A MUST that fails and a SHOULD that warns, on a small plan (a few seconds).
RUN_ARGS = "--reference-fault brm-result-count-missing --reference-fault brm-error-status-twice --max-requests 60"
_EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")


def _environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith(("APICONFORM_", "GITHUB_"))}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", os.defpath)])
    env["NO_COLOR"] = "1"
    return env | extra


def _outputs(path: Path) -> dict[str, str]:
    """A `$GITHUB_OUTPUT` file read as the runner reads it (both forms)."""
    values: dict[str, str] = {}
    lines = iter(path.read_text(encoding="utf-8").splitlines() if path.exists() else [])
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            values[name] = "\n".join(iter(lambda: next(lines), delimiter))
        else:
            name, value = line.split("=", 1)
            values[name] = value
    return values


def _written_text(*roots: Path) -> str:
    return "".join(
        path.read_text(encoding="utf-8", errors="replace")
        for root in roots
        for path in root.rglob("*")
        if path.is_file()
    )


@pytest.mark.e2e
def test_the_action_steps_publish_and_gate(tmp_path: Path) -> None:
    """action.yml's steps (its install skipped: apiconform is installed here) as the runner runs a composite
    action: each step's `${{ }}` expressions from the inputs and the earlier steps' outputs, its own output
    and summary files, bash with -e and pipefail."""
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    inputs |= {"api": "brm-adjust-balance", "args": RUN_ARGS, "token": CANARY}
    workspace, runner = tmp_path / "workspace", tmp_path / "runner"
    workspace.mkdir()
    runner.mkdir()
    steps: dict[str, dict[str, dict[str, str]]] = {}
    context = {"inputs": inputs, "steps": steps}
    stdout, codes = "", []
    for number, step in enumerate(action["runs"]["steps"]):
        if "pip install" in step["run"]:
            continue
        summary, outputs = runner / f"summary-{number}.md", runner / f"output-{number}.txt"
        env = {name: _evaluated(str(value), context) for name, value in step.get("env", {}).items()}
        env |= {
            "GITHUB_ACTION_PATH": str(ROOT),
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_OUTPUT": str(outputs),
            "RUNNER_TEMP": str(runner),
        }
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=workspace,
            env=_environment(tmp_path, **env),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        stdout += done.stdout
        codes.append(done.returncode)
        if "id" in step:
            steps[step["id"]] = {"outputs": _outputs(outputs)}
    assert codes == [0, 0, 1], stdout
    published = {name: _evaluated(spec["value"], context) for name, spec in action["outputs"].items()}
    assert published == {"verdict": "fail", "exit-code": "1", "report-dir": "conformance-report"}
    summary_text = _written_text(runner)
    assert "## apiconform: FAIL (nonconformant): 1 failed, 1 warned" in summary_text
    annotations = [line for line in stdout.splitlines() if WORKFLOW_COMMAND.match(line)]
    assert [line.split("::")[1] for line in annotations] == [
        "error title=BRM-HDR-RESULT-COUNT fail (MUST%2C brm-adjust-balance)",
        "warning title=BRM-JSON-UNIQUE-KEYS warn (SHOULD%2C brm-adjust-balance)",
    ]
    assert (workspace / "conformance-report" / "junit.xml").is_file()
    assert CANARY not in stdout + summary_text + _written_text(workspace)


def _evaluated(value: str, context: dict[str, Any]) -> str:
    """`${{ inputs.x }}` and `${{ steps.id.outputs.x }}`, as the runner substitutes them (missing: empty)."""

    def lookup(match: re.Match[str]) -> str:
        found: Any = context
        for part in match.group(1).split("."):
            found = found.get(part, "") if isinstance(found, dict) else ""
        return str(found)

    return _EXPRESSION.sub(lookup, value)


@pytest.mark.e2e
def test_the_gitlab_template_publishes_and_gates(tmp_path: Path) -> None:
    """The template's script lines (its install skipped) in one shell, as GitLab's runner runs them."""
    (job,) = yaml.safe_load(GITLAB_TEMPLATE.read_text(encoding="utf-8")).values()
    script = "\n".join(line for line in job["script"] if "pip install" not in line)
    workspace = tmp_path / "project"
    workspace.mkdir()
    variables = {name: str(value) for name, value in job["variables"].items()}
    variables |= {"APICONFORM_ARGS": f"--api brm-adjust-balance {RUN_ARGS}", "APICONFORM_TOKEN": CANARY}
    variables |= {"CI": "true", "GITLAB_CI": "true", "CI_JOB_URL": "https://gitlab.example/g/p/-/jobs/7"}
    done = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", script],
        cwd=workspace,
        env=_environment(tmp_path, **variables),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert all((workspace / path).exists() for path in job["artifacts"]["paths"])
    reports = job["artifacts"]["reports"]
    assert (workspace / reports["junit"]).is_file()
    issues = json.loads((workspace / reports["codequality"]).read_text(encoding="utf-8"))
    assert [(issue["check_name"], issue["severity"]) for issue in issues] == [
        ("apiconform/BRM-HDR-RESULT-COUNT", "major"),
        ("apiconform/BRM-JSON-UNIQUE-KEYS", "minor"),
    ]
    assert "section_start:" in done.stdout and "BRM-JSON-UNIQUE-KEYS warn (SHOULD" in done.stdout
    assert (
        "the full report: https://gitlab.example/g/p/-/jobs/7/artifacts/file/conformance-report/report.html"
        in done.stdout
    )
    assert CANARY not in done.stdout + done.stderr + _written_text(workspace)


def test_the_readme_examples_use_the_action_and_the_template_as_declared() -> None:
    """docs/ci's Action job passes only inputs action.yml declares (a typo would be ignored with a warning)
    and reads an output it sets; the GitLab example includes the template and extends its job."""
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    (job,) = yaml.safe_load((ROOT / "docs" / "ci" / "github-action.yml").read_text(encoding="utf-8"))["jobs"].values()
    (step,) = [step for step in job["steps"] if step.get("uses") == "./"]
    assert set(step["with"]) <= set(action["inputs"]) and "token" in step["with"]
    read = re.findall(r"steps\.conformance\.outputs\.([\w-]+)", json.dumps(job))
    assert read and set(read) <= set(action["outputs"])
    example = yaml.safe_load((ROOT / "docs" / "ci" / "gitlab-ci-template.yml").read_text(encoding="utf-8"))
    (included,) = example.pop("include")
    assert (ROOT / included["local"]) == GITLAB_TEMPLATE
    (job,) = example.values()
    assert job["extends"] in yaml.safe_load(GITLAB_TEMPLATE.read_text(encoding="utf-8"))
    assert "--report-dir" not in job["variables"]["APICONFORM_ARGS"], "the template names the report folder"
