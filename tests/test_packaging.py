"""apiconform installed as a user installs it: a wheel, and the README's CI jobs, each in a fresh virtual environment.

The tests marked `packaging` copy the working tree (as a checkout would have it), build and install from
that copy into a new virtual environment (not editable) with the pinned versions of constraints.txt,
and run the installed `apiconform` against the embedded reference server. They need PyPI (pip's cache
makes repeats fast) and take minutes; `pytest -m "not packaging"` leaves them out of a quick loop.
They share one virtual environment (`wheel_venv`: its dependencies install once, not once per test),
and each test first puts apiconform into it as its own proof needs: the wheel, or nothing at all for a
CI job's commands to install.

The README's GitHub Actions and GitLab CI jobs are kept in docs/ci/; the README shows them verbatim.
"""

from __future__ import annotations

import importlib.resources
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from apiconform import contract
from apiconform.contract import loading
from apiconform.exitcodes import MEANINGS
from tests.bash_completion import bash_completions

ROOT = Path(__file__).resolve().parents[1]
CI_DIR = ROOT / "docs" / "ci"
GITHUB_JOB = CI_DIR / "github-actions.yml"
GITLAB_JOB = CI_DIR / "gitlab-ci.yml"

# What a checkout does not have, or a build must not pick up from the working tree.
_NOT_IN_A_CHECKOUT = shutil.ignore_patterns(
    ".git",
    ".venv",
    "reports",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
)
# Generous: a cold pip cache downloads every dependency, and the machine may be busy.
BUILD_TIMEOUT = 900
INSTALL_TIMEOUT = 1800
RUN_TIMEOUT = 900
# The options that point a CI job at the vendor; without them the run tests the embedded reference server.
_TARGET_OPTIONS = ("--base-url", "--enterprise-id", "--token", "--token-file")
# What an installed run proves is the install, not the conformance (a passing default run of every API
# is `make run`'s and the engine tests'): a small plan of requests, as a smoke run (verdict partial).
_SMALL_PLAN = ("--max-requests", "60", "--allow-partial")


def _checkout(tmp_path: Path, name: str = "checkout") -> Path:
    target = tmp_path / name
    shutil.copytree(ROOT, target, ignore=_NOT_IN_A_CHECKOUT)
    return target


def _environment(venv: Path, **extra: str) -> dict[str, str]:
    """The environment of a shell in which `venv` is activated, with nothing of this test run's own leaking in."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("APICONFORM_") and name not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
    }
    env["PATH"] = os.pathsep.join([str(venv / "bin"), env.get("PATH", os.defpath)])
    env["VIRTUAL_ENV"] = str(venv)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    # Byte-compiling every installed module is a third of an install's CPU; Python compiles what it
    # imports on first use instead. The installed files are the same.
    env["PIP_NO_COMPILE"] = "1"
    env.update(extra)
    return env


def _run(
    argv: Sequence[str | Path], *, cwd: Path, env: dict[str, str], timeout: int
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(arg) for arg in argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def _explain(result: subprocess.CompletedProcess[str]) -> str:
    out, err = result.stdout[-4000:], result.stderr[-4000:]
    return f"{shlex.join(result.args)} exited {result.returncode}\n--- stdout\n{out}\n--- stderr\n{err}"


def _fresh_venv(path: Path) -> Path:
    result = subprocess.run(
        [sys.executable, "-m", "venv", str(path)], capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False
    )
    assert result.returncode == 0, _explain(result)
    return path


def _assert_passing_report(report_dir: Path) -> None:
    """The smoke run's report: nothing failed, and what the small plan left unjudged is said (partial)."""
    report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    assert report["verdict"] == "partial" and report["exit_code"] == 0, [api["verdict"] for api in report["apis"]]
    assert (report_dir / "junit.xml").is_file() and (report_dir / "report.md").is_file()


def _against_embedded_server(command: str) -> list[str]:
    """A CI job's `apiconform run` line without the options that point it at the vendor."""
    words = shlex.split(command)
    assert words[:2] == ["apiconform", "run"], command
    kept: list[str] = []
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word in _TARGET_OPTIONS:
            skip = True
        elif not word.startswith(tuple(f"{option}=" for option in _TARGET_OPTIONS)):
            kept.append(word)
    assert not any("$" in word for word in kept), f"a CI variable is left in {kept}"
    return kept


def test_the_readme_shows_the_ci_jobs_kept_in_docs_ci() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```yaml\n(.*?)^```$", readme, flags=re.MULTILINE | re.DOTALL)
    for job in (GITHUB_JOB, GITLAB_JOB, CI_DIR / "github-action.yml", CI_DIR / "gitlab-ci-template.yml"):
        assert job.read_text(encoding="utf-8") in blocks, f"README.md does not show {job.relative_to(ROOT)} verbatim"
        assert f"]({job.relative_to(ROOT)})" in readme, f"README.md does not link {job.relative_to(ROOT)}"


def test_specs_dir_prefers_apiconform_specs_then_the_packaged_copy_then_the_source_tree(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("APICONFORM_SPECS", str(tmp_path))
    assert contract.specs_dir() == tmp_path
    monkeypatch.setenv("APICONFORM_SPECS", str(tmp_path / "missing"))
    with pytest.raises(contract.ContractError, match=r"^specs folder not found: .*missing \(from APICONFORM_SPECS\)$"):
        contract.specs_dir()
    monkeypatch.delenv("APICONFORM_SPECS")
    # An editable install has no packaged copy: the source tree's specs/ is read, so edits show at once.
    # specs_dir lives in src/apiconform/contract/loading.py: the packaged copy would be apiconform/specs.
    source = Path(loading.__file__).resolve().parents[3] / "specs"
    if not (Path(loading.__file__).parents[1] / "specs").is_dir():
        assert contract.specs_dir() == source
    # A packaged copy wins over the source tree.
    package = tmp_path / "package"
    (package / "specs").mkdir(parents=True)
    monkeypatch.setattr(importlib.resources, "files", lambda name: package)
    assert contract.specs_dir() == package / "specs"
    # Neither: one line naming both places.
    monkeypatch.setattr(loading, "__file__", str(tmp_path / "site" / "apiconform" / "contract" / "loading.py"))
    (package / "specs").rmdir()
    with pytest.raises(contract.ContractError, match=r"^specs folder not found at .* or .* \(set APICONFORM_SPECS"):
        contract.specs_dir()


@dataclass(frozen=True)
class WheelVenv:
    """A wheel built from a copy of the working tree and installed into a fresh virtual environment, the copy
    then removed (nothing of the source tree is left to fall back on); `empty` is a folder to run from."""

    wheel: Path
    venv: Path
    env: dict[str, str]
    empty: Path
    packaged: frozenset[str]
    needed: frozenset[str]

    def installed_from(self) -> str | None:
        """Where the venv's apiconform was installed from (pip's direct_url.json: a wheel or a folder), or
        None when none is installed."""
        records = list(self.venv.glob("lib/python*/site-packages/apiconform-*.dist-info/direct_url.json"))
        if not records:
            return None
        (record,) = records
        url: str = json.loads(record.read_text(encoding="utf-8"))["url"]
        return url

    def pip(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        result = _run(
            [self.venv / "bin" / "python", "-m", "pip", *args], cwd=self.empty, env=self.env, timeout=INSTALL_TIMEOUT
        )
        assert result.returncode == 0, _explain(result)
        return result


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> WheelVenv:
    """Built and installed once for every test of this module (their group keeps them on one worker): the
    dependencies' install is most of its half a minute."""
    tmp_path = tmp_path_factory.mktemp("wheel")
    checkout = _checkout(tmp_path)
    dist = tmp_path / "dist"
    build = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", dist, checkout],
        cwd=tmp_path,
        env=_environment(Path(sys.prefix)),
        timeout=BUILD_TIMEOUT,
    )
    assert build.returncode == 0, _explain(build)
    (wheel,) = dist.glob("apiconform-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        packaged = {name for name in archive.namelist() if name.startswith("apiconform/specs/")}
    specs = checkout / "specs"
    contracts = ["*/*.openapi.yaml", "*/requirements.yaml", "*/sources/*", "schemas/*"]
    needed = {
        f"apiconform/specs/{path.relative_to(specs).as_posix()}"
        for pattern in contracts
        for path in specs.glob(pattern)
        if path.is_file()
    }

    venv = _fresh_venv(tmp_path / "venv")
    env = _environment(venv)
    install = _run(
        [venv / "bin" / "python", "-m", "pip", "install", "--constraint", checkout / "constraints.txt", wheel],
        cwd=tmp_path,
        env=env,
        timeout=INSTALL_TIMEOUT,
    )
    assert install.returncode == 0, _explain(install)
    shutil.rmtree(checkout)  # nothing of the source tree is left to fall back on
    empty = tmp_path / "empty"
    empty.mkdir()
    return WheelVenv(wheel, venv, env, empty, frozenset(packaged), frozenset(needed))


@pytest.fixture
def installed_wheel(wheel_venv: WheelVenv) -> WheelVenv:
    """The shared venv with the wheel's apiconform in it (put back if a CI job's test installed its own)."""
    if wheel_venv.installed_from() != wheel_venv.wheel.as_uri():
        wheel_venv.pip("install", "--no-deps", "--force-reinstall", wheel_venv.wheel)
    assert wheel_venv.installed_from() == wheel_venv.wheel.as_uri()
    return wheel_venv


@pytest.mark.packaging
@pytest.mark.xdist_group("installed-wheel")
def test_the_wheel_installs_and_runs_from_an_empty_folder(installed_wheel: WheelVenv, tmp_path: Path) -> None:
    assert len(installed_wheel.needed) >= 8, installed_wheel.needed
    assert installed_wheel.needed <= installed_wheel.packaged
    venv, env, empty = installed_wheel.venv, installed_wheel.env, installed_wheel.empty
    where = _run(
        [venv / "bin" / "python", "-c", "from apiconform.contract import specs_dir; print(specs_dir())"],
        cwd=empty,
        env=env,
        timeout=RUN_TIMEOUT,
    )
    assert where.returncode == 0, _explain(where)
    assert Path(where.stdout.strip()).is_relative_to(venv), "the installed package reads its own copy of the specs"

    version = _run(["apiconform", "--version"], cwd=empty, env=env, timeout=RUN_TIMEOUT)
    assert version.returncode == 0, _explain(version)
    assert version.stdout.startswith(
        f"apiconform {tomllib.loads((ROOT / 'pyproject.toml').read_text())['project']['version']} ("
    )
    shown = _run(["apiconform", "--help"], cwd=empty, env=env, timeout=RUN_TIMEOUT)
    assert shown.returncode == 0, _explain(shown)
    assert all(
        re.search(rf"^  {int(code)} +{re.escape(meaning)}$", shown.stdout, re.MULTILINE)
        for code, meaning in MEANINGS.items()
    ), shown.stdout

    # Completion, from the installed command line: its script, and bash completing with it once.
    script = _run(["apiconform", "completion", "bash"], cwd=empty, env=env, timeout=RUN_TIMEOUT)
    assert script.returncode == 0, _explain(script)
    completing = tmp_path / "completing"
    completing.mkdir()
    apis, commands = bash_completions(
        script.stdout, [["apiconform", "run", "--api", ""], ["apiconform", "r"]], completing
    )
    assert apis == {*contract.api_names(), "all"} and commands == {"report", "run"}

    catalog = _run(["apiconform", "catalog"], cwd=empty, env=env, timeout=RUN_TIMEOUT)
    assert catalog.returncode == 0, _explain(catalog)
    assert "[bitgo-oes]" in catalog.stdout and "[brm-adjust-balance]" in catalog.stdout

    report_dir = tmp_path / "report"
    run = _run(
        ["apiconform", "run", "--api", "all", *_SMALL_PLAN, "--report-dir", report_dir],
        cwd=empty,
        env=env,
        timeout=RUN_TIMEOUT,
    )
    assert run.returncode == 0, _explain(run)
    _assert_passing_report(report_dir)


@pytest.mark.packaging
@pytest.mark.xdist_group("installed-wheel")
def test_the_installed_suite_runs_under_plain_pytest_by_module_name(installed_wheel: WheelVenv, tmp_path: Path) -> None:
    """README's plain-pytest command, from an installed wheel: the suite named with --pyargs runs and passes;
    named by a checkout's path, which an installation has not, it fails closed (no report, latest untouched)."""
    venv, env = installed_wheel.venv, installed_wheel.env
    pytest_command: list[str | Path] = [venv / "bin" / "python", "-m", "pytest", "-p", "apiconform.engine.plugin"]
    pytest_command += ["-p", "no:cacheprovider", "--api", "brm-adjust-balance", *_SMALL_PLAN]
    workspace = tmp_path / "workspace"
    (workspace / "reports" / "previous").mkdir(parents=True)
    os.symlink("previous", workspace / "reports" / "latest")

    by_path = _run([*pytest_command, "src/apiconform/engine/suite.py"], cwd=workspace, env=env, timeout=RUN_TIMEOUT)
    assert by_path.returncode in (2, 4), _explain(by_path)
    assert "name the suite as --pyargs apiconform.engine.suite" in by_path.stdout, _explain(by_path)
    assert sorted(path.name for path in (workspace / "reports").iterdir()) == ["latest", "previous"]
    assert os.readlink(workspace / "reports" / "latest") == "previous"

    by_module = _run(
        [*pytest_command, "--pyargs", "apiconform.engine.suite"], cwd=workspace, env=env, timeout=RUN_TIMEOUT
    )
    assert by_module.returncode == 0, _explain(by_module)
    assert "verdict: partial (exit 0)" in by_module.stdout, _explain(by_module)
    _assert_passing_report(workspace / "reports" / "latest")


def _run_step(command: str, *, workspace: Path, env: dict[str, str]) -> None:
    """One step of a CI job: an `apiconform run` against the embedded server, anything else through bash."""
    if command.lstrip().startswith("apiconform run"):
        # On a small plan, as the wheel's run: what the job proves is that its commands install and gate.
        argv: list[str] = [*_against_embedded_server(command), *_SMALL_PLAN]
        timeout = RUN_TIMEOUT
    else:
        argv = ["bash", "-euo", "pipefail", "-c", command]
        timeout = INSTALL_TIMEOUT
    result = _run(argv, cwd=workspace, env=env, timeout=timeout)
    assert result.returncode == 0, _explain(result)


def _prepare_gate(commands: list[str], workspace: Path) -> Path:
    """Write the job's --waivers file (no waiver: the embedded server conforms); the job's report folder."""
    (gate,) = [command for command in commands if command.lstrip().startswith("apiconform run")]
    argv = _against_embedded_server(gate)
    if "--waivers" in argv:
        path = workspace / argv[argv.index("--waivers") + 1]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("[]\n", encoding="utf-8")
    return workspace / argv[argv.index("--report-dir") + 1]


def _without_apiconform(wheel_venv: WheelVenv) -> Path:
    """The shared venv with apiconform uninstalled, standing in for a CI's Python: a job's commands must
    install apiconform themselves, or its `apiconform run` is not found. The dependencies are left in place
    (the wheel's own install into a fresh venv proves that they install): the job's install checks them
    against its constraints and builds and installs apiconform."""
    if wheel_venv.installed_from() is not None:
        wheel_venv.pip("uninstall", "--yes", "apiconform")
    assert wheel_venv.installed_from() is None
    assert not (wheel_venv.venv / "bin" / "apiconform").exists()
    return wheel_venv.venv


# A job installs the versions the tests ran with: without the constraints a verdict moves when a library
# releases. The test sets no PIP_CONSTRAINT of its own, so the job's command is what holds the versions.
CONSTRAINED_INSTALL = "python -m pip install --constraint constraints.txt ."


@pytest.mark.packaging
@pytest.mark.xdist_group("installed-wheel")
def test_the_readme_ci_jobs_install_and_gate(wheel_venv: WheelVenv, tmp_path: Path) -> None:
    """Both jobs' commands, in order, each in a Python without apiconform (`_without_apiconform`)."""
    venv = _without_apiconform(wheel_venv)

    github: dict[str, Any] = yaml.safe_load(GITHUB_JOB.read_text(encoding="utf-8"))
    (job,) = github["jobs"].values()
    steps: list[dict[str, Any]] = job["steps"]
    commands = [step["run"] for step in steps if "run" in step]
    assert any(command.startswith(CONSTRAINED_INSTALL) for command in commands), commands
    workspace = _checkout(tmp_path, "github-workspace")
    summary = tmp_path / "github-step-summary.md"
    env = _environment(venv, GITHUB_STEP_SUMMARY=str(summary))
    report_dir = _prepare_gate(commands, workspace)
    for command in commands:
        _run_step(command, workspace=workspace, env=env)
    _assert_passing_report(report_dir)
    assert summary.read_text(encoding="utf-8").strip(), "the job summary step wrote nothing"
    uses = {step["uses"].split("@")[0]: step.get("with", {}) for step in steps if "uses" in step}
    assert (workspace / uses["actions/upload-artifact"]["path"]).is_dir()
    assert (workspace / uses["mikepenz/action-junit-report"]["report_paths"]).is_file()

    gitlab: dict[str, Any] = yaml.safe_load(GITLAB_JOB.read_text(encoding="utf-8"))
    (job,) = gitlab.values()
    venv = _without_apiconform(wheel_venv)
    commands = list(job["script"])
    assert any(command.startswith(CONSTRAINED_INSTALL) for command in commands), commands
    workspace = _checkout(tmp_path, "gitlab-workspace")
    env = _environment(venv)
    report_dir = _prepare_gate(commands, workspace)
    for command in commands:
        _run_step(command, workspace=workspace, env=env)
    _assert_passing_report(report_dir)
    assert all((workspace / path).exists() for path in job["artifacts"]["paths"])
    assert (workspace / job["artifacts"]["reports"]["junit"]).is_file()
