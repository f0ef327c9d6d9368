"""One engine, two doors (issue 12, item 6).

`pytest -p apiconform.engine.plugin ... --pyargs apiconform.engine.suite` (the README's pytest command) and
`apiconform run` take the same options with the same defaults (engine/options.py) and give the same
verdicts, exit code and reports for the same seed and target; the pytest route says where the reports went
and fails an untestable API with the same exit code (3) as `apiconform run`. A pytest command whose suite
does not run fails closed: no report, reports/latest untouched, one line saying what to run instead.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from apiconform.engine import suite as suite_module
from apiconform.server import ReferenceServer
from tests.engine.scripted import BRM, TEST_SERVER_RATE, Scripted, brm_base

SEED = 7
TIMEOUT = 600


@pytest.fixture
def reference() -> Iterator[ReferenceServer]:
    server = ReferenceServer(seed=SEED, token="two-doors-token-123")
    server.start()
    yield server
    server.stop()


def _environment() -> dict[str, str]:
    return {**os.environ, "APICONFORM_TOKEN": "two-doors-token-123"}


def _apiconform_run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "apiconform.cli", "run", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, cwd=cwd, env=_environment())


def _pytest_run(args: list[str], cwd: Path, suite: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    # The README's command: pytest -p apiconform.engine.plugin --api ... --base-url URL --pyargs apiconform.engine.suite
    command = [sys.executable, "-m", "pytest", "-p", "apiconform.engine.plugin", "-p", "no:cacheprovider"]
    command += [*args, *(suite if suite is not None else ["--pyargs", "apiconform.engine.suite"])]
    return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, cwd=cwd, env=_environment())


def _report(directory: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((directory / "report.json").read_text(encoding="utf-8"))
    return report


def _verdicts(report: dict[str, Any]) -> dict[str, str]:
    return {item["id"]: item["verdict"] for item in report["requirements"]}


@pytest.mark.e2e
def test_both_doors_give_the_same_verdicts_exit_code_and_reports(reference, tmp_path):
    options = ["--api", BRM, "--base-url", reference.api_base_url(BRM), "--seed", str(SEED)]
    options += ["--rate-limit", str(TEST_SERVER_RATE)]  # the reference server is the test's own
    options += ["--max-requests", "120"]  # a small plan: the doors are compared, not the API judged
    by_cli = _apiconform_run([*options, "--report-dir", str(tmp_path / "cli"), "-q"], tmp_path)
    by_pytest = _pytest_run([*options, "--report-dir", str(tmp_path / "pytest")], tmp_path)
    cli_report, pytest_report = _report(tmp_path / "cli"), _report(tmp_path / "pytest")

    assert _verdicts(pytest_report) == _verdicts(cli_report)
    assert pytest_report["settings"] == cli_report["settings"], "the two doors have different defaults"
    assert pytest_report["requests"] == cli_report["requests"]
    assert (pytest_report["verdict"], pytest_report["exit_code"]) == (cli_report["verdict"], cli_report["exit_code"])
    assert by_pytest.returncode == by_cli.returncode == cli_report["exit_code"], by_pytest.stdout[-3000:]
    assert sorted(path.name for path in (tmp_path / "pytest").iterdir()) == sorted(
        path.name for path in (tmp_path / "cli").iterdir()
    )
    # The pytest route says where the reports went, and the verdict.
    assert f"reports: {tmp_path / 'pytest'}/" in by_pytest.stdout, by_pytest.stdout[-3000:]
    assert f"verdict: {cli_report['verdict']} (exit {cli_report['exit_code']})" in by_pytest.stdout


@pytest.mark.e2e
def test_both_doors_exit_3_on_an_untestable_api_and_say_why(tmp_path):
    server = Scripted(lambda path: (401, {"Content-Type": "application/json"}, b'{"code": "401", "reason": "no"}'))
    try:
        options = ["--api", BRM, "--base-url", brm_base(server)]
        by_cli = _apiconform_run([*options, "--report-dir", str(tmp_path / "cli"), "-q"], tmp_path)
        by_pytest = _pytest_run([*options, "--report-dir", str(tmp_path / "pytest")], tmp_path)
    finally:
        server.close()
    assert by_cli.returncode == 3, by_cli.stderr
    assert by_pytest.returncode == 3, by_pytest.stdout[-3000:]
    assert "PASSED" not in by_pytest.stdout
    assert f"{BRM} could not be tested: the list operation answered 401" in by_pytest.stdout, by_pytest.stdout[-3000:]
    assert _verdicts(_report(tmp_path / "pytest")) == _verdicts(_report(tmp_path / "cli"))


def test_the_pytest_door_takes_every_option_of_apiconform_run():
    """Each run option exists under both doors, with the same default (one table: engine/options.py)."""
    from apiconform.cli import build_parser
    from apiconform.engine import options, plugin

    added: dict[str, dict[str, Any]] = {}

    class Group:
        def addoption(self, flag: str, **keywords: Any) -> None:
            added[flag] = keywords

    class Parser:
        def getgroup(self, *args: Any) -> Group:
            return Group()

    plugin.pytest_addoption(Parser())
    run_parser = build_parser()._subparsers._group_actions[0].choices["run"]
    cli_defaults = {action.dest: action.default for action in run_parser._actions}
    for flag, keywords in options.run_options():
        assert flag in added, f"{flag} is missing from the pytest door"
        default = keywords.get("default", False if keywords.get("action") == "store_true" else None)
        assert cli_defaults[options.dest(flag)] == default, flag
        assert added[flag].get("default", default) == default, flag


@pytest.mark.parametrize(
    ("option", "value", "field", "field_value"),
    [
        ("rate_limit", float("nan"), "rate_limit", float("nan")),
        ("max_time", -1.0, "max_time", -1.0),
        ("request_timeout", 0.0, "timeout", 0.0),
        ("max_response_size", 0.0005, "max_response_bytes", int(0.0005 * 1024 * 1024)),
        ("max_requests", 0, "max_requests", 0),
    ],
)
def test_a_run_config_built_from_fields_is_checked_as_the_options_are(
    option: str, value: Any, field: str, field_value: Any, tmp_path: Path
) -> None:
    """Tests and benchmarks build a RunConfig from its fields (`RunConfig.checked`): the same limits are
    refused with the same line as the command line's values (`run_config`), the rules being written once."""
    from apiconform.engine.config import ConfigurationError, RunConfig, run_config

    with pytest.raises(ConfigurationError) as from_options:
        run_config({"api": BRM, "report_dir": str(tmp_path), option: value})
    with pytest.raises(ConfigurationError) as from_fields:
        RunConfig.checked(apis=[BRM], report_dir=str(tmp_path), **{field: field_value})
    assert str(from_fields.value) == str(from_options.value)


def test_a_run_config_is_built_once_and_never_changed(tmp_path: Path) -> None:
    """--max-requests sets the plan and the budget when the RunConfig is built; nothing patches it after."""
    import dataclasses

    from apiconform.engine.config import run_config

    config = run_config({"api": BRM, "report_dir": str(tmp_path), "max_requests": 150, "max_examples": 3})
    assert (config.max_requests, config.planned_requests, config.max_examples) == (150, 150, 3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.max_requests = 10  # type: ignore[misc]


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("case", "suite", "code"),
    [
        # What the README's command once named: a checkout's path, which an installed package has not.
        ("a path that does not exist", ["src/apiconform/engine/suite.py"], 4),
        ("a -k that deselects every test", ["-k", "no_such_test", "--pyargs", "apiconform.engine.suite"], 2),
        ("a usage error", ["-k", "(", "--pyargs", "apiconform.engine.suite"], 4),
        ("a module that is not the suite", ["--pyargs", "apiconform.engine.plugin"], 2),
    ],
)
def test_the_pytest_door_fails_closed_when_the_suite_does_not_run(case, suite, code, tmp_path):
    """Once, `verdict: pass (exit 0)` and a pass report of 8 MUSTs judged on the preflight's one request."""
    reports = tmp_path / "reports"
    (reports / "previous").mkdir(parents=True)
    os.symlink("previous", reports / "latest")
    done = _pytest_run(["--api", BRM, "--seed", str(SEED)], tmp_path, suite)
    assert done.returncode == code, done.stdout[-3000:] + done.stderr[-3000:]
    said = [line for line in done.stdout.splitlines() if line.startswith("apiconform: error: ")]
    assert len(said) == 1 and said[0].endswith("name the suite as --pyargs apiconform.engine.suite"), done.stdout
    assert "no report was written" in said[0] and "verdict:" not in done.stdout
    assert sorted(path.name for path in reports.iterdir()) == ["latest", "previous"], "a report was written"
    assert os.readlink(reports / "latest") == "previous"
    assert not list(tmp_path.rglob("report.json"))


@pytest.mark.e2e
@pytest.mark.parametrize(
    "suite",
    [["--pyargs", "apiconform.engine.suite"], [str(Path(suite_module.__file__))]],
    ids=["by module name", "by file"],
)
def test_the_pytest_door_without_api_or_spec_is_one_line_and_exit_2(suite, tmp_path):
    """Leaving out --api (and --spec) once ended collection in a KeyError traceback: now it is the one line
    `apiconform run` gives for a usage error, exit 2, and nothing is sent or written."""
    done = _pytest_run([], tmp_path, suite)
    output = done.stdout + done.stderr
    assert done.returncode == 2, output[-3000:]
    assert "Traceback" not in output and "KeyError" not in output, output[-3000:]
    said = [line for line in output.splitlines() if "the suite needs --api NAME (or all) or --spec FILE" in line]
    assert len(said) == 1, output[-3000:]
    assert not list(tmp_path.rglob("report.json"))
