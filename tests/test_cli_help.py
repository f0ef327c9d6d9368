"""`apiconform --version` and `apiconform --help`: what a user reads before a first run."""

from __future__ import annotations

import platform
import re
from importlib.metadata import version
from pathlib import Path

import pytest

from apiconform import cli
from apiconform.exitcodes import MEANINGS, ExitCode

SRC = Path(cli.__file__).resolve().parent


def _stdout_of(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as stopped:
        cli.main(argv)
    assert stopped.value.code == 0
    return capsys.readouterr().out


def test_version_names_apiconform_and_the_libraries_a_verdict_depends_on(capsys: pytest.CaptureFixture[str]) -> None:
    expected = (
        f"apiconform {version('apiconform')} (schemathesis {version('schemathesis')}, "
        f"hypothesis {version('hypothesis')}; Python {platform.python_version()})"
    )
    assert _stdout_of(["--version"], capsys).strip() == expected


def test_help_lists_every_exit_code_and_environment_variable(capsys: pytest.CaptureFixture[str]) -> None:
    shown = _stdout_of(["--help"], capsys)
    assert set(MEANINGS) == set(ExitCode)
    for code, meaning in MEANINGS.items():
        assert re.search(rf"^  {int(code)} +{re.escape(meaning)}$", shown, re.MULTILINE), (code, shown)
    for name, meaning in cli.ENVIRONMENT.items():
        assert re.search(rf"^  {name} +{re.escape(meaning)}$", shown, re.MULTILINE), (name, shown)


def test_every_apiconform_variable_the_code_reads_is_in_the_help() -> None:
    """The help's list cannot fall behind: each APICONFORM_* name in the package's source is in it."""
    named = {
        match
        for module in SRC.rglob("*.py")
        for match in re.findall(r"\bAPICONFORM_[A-Z_]+\b", module.read_text(encoding="utf-8"))
    }
    assert named and named <= set(cli.ENVIRONMENT)


def test_run_takes_a_colour_choice_and_refuses_another(capsys: pytest.CaptureFixture[str]) -> None:
    parser = cli.build_parser("run")
    assert parser.parse_args(["run", "--api", "bitgo-oes"]).color == "auto"
    assert parser.parse_args(["run", "--api", "bitgo-oes", "--color", "always"]).color == "always"
    with pytest.raises(SystemExit) as stopped:
        parser.parse_args(["run", "--api", "bitgo-oes", "--color", "sometimes"])
    assert stopped.value.code == ExitCode.USAGE
    assert "invalid choice: 'sometimes'" in capsys.readouterr().err


def test_every_run_option_is_in_one_help_group() -> None:
    from apiconform.engine import options

    grouped = [flag for _, flags in options.HELP_GROUPS for flag in flags]
    table = [options.api_option()[0], *(flag for flag, _ in options.RUN_OPTIONS)]
    assert sorted(grouped) == sorted(table)


def test_run_help_shows_its_options_in_groups_then_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    from apiconform.engine import options

    shown = _stdout_of(["run", "--help"], capsys)
    titles = [title for title, _ in options.HELP_GROUPS] + ["config file and targets", "output"]
    positions = [shown.index(f"\n{title}:\n") for title in titles]
    assert positions == sorted(positions)
    # Each option under its own group's title: after it, and before the next group's.
    for title, flags in options.HELP_GROUPS:
        start = shown.index(f"\n{title}:\n")
        end = min((place for place in positions if place > start), default=len(shown))
        assert all(f"  {flag} " in shown[start:end] or f"  {flag}\n" in shown[start:end] for flag in flags), title
    assert shown.index("exit codes:") > max(positions)
    assert "  2    " in shown and "APICONFORM_TOKEN" in shown
