"""Issue 12, item 4: output fits a shell and a CI log.

The result (summary table, report path, verdict line) goes to standard output and everything else
(progress, diagnostics) to standard error; `--quiet` keeps the verdict line and any untestable reason;
a closed pipe ends quietly; the progress counter moves while requirements are judged; messages use each
API's own paging words and correct plurals. The run itself is stood in for (pytest.main is replaced by
one that leaves a written report behind), so these tests take no time and send nothing.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from apiconform import contract
from apiconform.engine import driver
from apiconform.engine.model.events import (
    Phase,
    PhaseStarted,
    RequestSent,
    RequirementJudged,
    RequirementObserved,
    RequirementsCollected,
)
from apiconform.engine.plugin import ConformancePlugin
from apiconform.engine.progress import Progress
from apiconform.engine.reportjson import WrittenReport
from apiconform.engine.session import RunConfig
from apiconform.reporting import write_reports
from apiconform.reporting.document import safety_notes
from apiconform.reporting.terminal import render_summary

from .conftest import make_report

BRM = "brm-adjust-balance"
OES = "bitgo-oes"


def _fake_suite(report: dict[str, Any], directory: Path) -> Callable[..., int]:
    """A pytest.main that writes `report` into `directory` as the plugin would, and prints a progress-ish line."""

    def main(args: list[str], plugins: list[Any]) -> int:
        written = write_reports(report, directory)
        (conformance,) = [plugin for plugin in plugins if isinstance(plugin, ConformancePlugin)]
        conformance.written = WrittenReport(next(path for path in written if path.name == "report.json"), report)
        sys.stdout.write("a line pytest printed while the suite ran\n")
        return 1 if report["exit_code"] else 0  # pytest's own codes: some test failed, or none

    return main


def _untestable_report() -> dict[str, Any]:
    report = make_report()
    report["apis"][0]["verdict"] = "untestable"
    report["apis"][0]["untestable_reason"] = "the connection was refused"
    report["requirements"] = [item for item in report["requirements"] if item["verdict"] != "fail"]
    report.update(verdict="untestable", exit_code=3)
    return report


@pytest.fixture
def fake_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., tuple[int, str, str]]:
    def go(report: dict[str, Any], *, quiet: bool = False, colour: str = "never") -> tuple[int, str, str]:
        monkeypatch.setattr(driver.pytest, "main", _fake_suite(report, tmp_path / "reports"))
        out, err = io.StringIO(), io.StringIO()
        config = RunConfig.checked(apis=[OES], report_dir=str(tmp_path / "reports"))
        code = driver.run(config, quiet=quiet, stream=err, out=out, colour=colour)
        return code, out.getvalue(), err.getvalue()

    return go


def test_the_result_goes_to_stdout_and_nothing_else_does(fake_run: Callable[..., tuple[int, str, str]]) -> None:
    """`apiconform run > out.txt` captures the summary, the report path and the verdict line."""
    code, out, err = fake_run(make_report())
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("API ") and "verdict" in lines[0], "the summary table opens standard output"
    assert any(line.startswith("reports: ") for line in lines)
    assert lines[-1].startswith("verdict: fail (nonconformant, exit 1); 100 requests")
    assert "verdict:" not in err and "reports:" not in err


def test_the_default_streams_are_stdout_for_the_result_and_stderr_for_the_rest(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(driver.pytest, "main", _fake_suite(make_report(), tmp_path / "reports"))
    driver.run(RunConfig.checked(apis=[OES], report_dir=str(tmp_path / "reports")), colour="never")
    captured = capsys.readouterr()
    assert "verdict: fail (nonconformant, exit 1)" in captured.out
    assert "verdict:" not in captured.err
    # What pytest prints while the suite runs (-v lines, warnings) is a diagnostic: standard error.
    assert "a line pytest printed" in captured.err and "a line pytest printed" not in captured.out


def test_quiet_still_prints_the_verdict_line(fake_run: Callable[..., tuple[int, str, str]]) -> None:
    code, out, err = fake_run(make_report(), quiet=True)
    assert code == 1
    assert out == "verdict: fail (nonconformant, exit 1); 100 requests\n"
    assert err == ""


def test_quiet_still_says_why_an_api_could_not_be_tested(fake_run: Callable[..., tuple[int, str, str]]) -> None:
    code, out, _ = fake_run(_untestable_report(), quiet=True)
    assert code == 3
    assert out.splitlines() == [
        "  bitgo-oes could not be tested: the connection was refused",
        "verdict: untestable (could not be tested, exit 3); 100 requests",
    ]


def test_a_reader_that_went_away_does_not_break_the_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`apiconform run ... | head -3`: the summary meets a closed pipe; the gate's exit code stands."""
    monkeypatch.setattr(driver.pytest, "main", _fake_suite(make_report(), tmp_path / "reports"))
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before anything is written: every write meets EPIPE
    out = os.fdopen(write_end, "w")
    try:
        code = driver.run(
            RunConfig.checked(apis=[OES], report_dir=str(tmp_path / "reports")),
            stream=io.StringIO(),
            out=out,
            colour="never",
        )
        out.write("more, flushed at close\n")
    finally:
        out.close()  # would raise BrokenPipeError if the descriptor still led to the closed pipe
    assert code == 1


def _closed_pipe_run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, "-m", "apiconform", *argv],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)


@pytest.mark.parametrize("argv", [["catalog"], ["serve", "--list-faults"]])
def test_a_closed_pipe_ends_quietly(argv: list[str]) -> None:
    """`apiconform catalog | head -2`: no BrokenPipeError traceback, the shell's exit code for a closed pipe."""
    done = _closed_pipe_run(argv)
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr, done.stderr
    assert done.stderr == ""
    assert done.returncode == 141


def _progress_with_observations(judged_by_checks: int) -> Progress:
    progress = Progress(io.StringIO(), [BRM], quiet=False, live=False, colour=False)
    progress.handle(RequirementsCollected(BRM, 32))
    for _ in range(5):
        progress.handle(RequestSent(BRM))
    # A requirement something has recorded anything about counts as judged so far (the ledger tells the
    # session, the session its listeners).
    for index in range(judged_by_checks):
        progress.handle(RequirementObserved(BRM, f"BRM-{index}"))
    return progress


def test_the_progress_counter_moves_as_checks_judge_requirements() -> None:
    """The property tests and relations judge requirements long before each requirement's own test
    runs at the end; the counter follows their observations, not only those last tests."""
    progress = _progress_with_observations(0)
    progress.handle(PhaseStarted(BRM, Phase.PROPERTIES))
    assert progress.line(BRM) == "[brm-adjust-balance] property tests: requirements 0/32 judged, 5 requests sent"
    progress = _progress_with_observations(11)
    progress.handle(RequirementObserved(BRM, "BRM-0"))  # told again after a `clear`: still one requirement
    progress.handle(PhaseStarted(BRM, Phase.RELATIONS))
    assert progress.line(BRM) == "[brm-adjust-balance] relations: requirements 11/32 judged, 5 requests sent"
    for index in range(32):
        progress.handle(RequirementJudged(BRM, f"BRM-{index}"))
    assert progress.line(BRM) == "[brm-adjust-balance] done: requirements 32/32 judged, 5 requests sent"
    one = Progress(io.StringIO(), [BRM], quiet=False, live=False, colour=False)
    one.handle(RequestSent(BRM))
    assert one.line(BRM).endswith("1 request sent")


def test_paging_is_told_in_each_apis_own_words() -> None:
    from apiconform.engine.checks.base import page_words

    brm, oes = contract.load(BRM).semantics.paging, contract.load(OES).semantics.paging
    assert page_words(brm, 37, 2) == "offset=74&limit=2"
    assert page_words(oes, 37, 2) == "pageNumber=37&pageSize=2"


def test_counts_are_written_with_correct_plurals() -> None:
    from apiconform.reporting.document import plural

    assert [plural(n, "request") for n in (0, 1, 2)] == ["0 requests", "1 request", "2 requests"]
    report = make_report(requests=1)
    report["apis"][0].update(
        retries_on_429=1, waited_on_429_seconds=2.0, transport_error_count=1, redirects_not_followed=1
    )
    summary = render_summary(report, colour=False)
    assert summary.splitlines()[-1] == "verdict: fail (nonconformant, exit 1); 1 request"
    notes = " ".join(safety_notes(report))
    assert "over 1 retry" in notes
    assert "1 request got no usable answer" in notes
    assert "1 redirect was answered" in notes
    assert "(s)" not in notes and "1 requests" not in summary


@pytest.mark.parametrize(
    ("colour", "force_color", "coloured"),
    [("always", "", True), ("never", "1", False), ("auto", "1", True), ("auto", "", False)],
)
def test_the_colour_choice_reaches_the_summary(
    fake_run: Callable[..., tuple[int, str, str]],
    monkeypatch: pytest.MonkeyPatch,
    colour: str,
    force_color: str,
    coloured: bool,
) -> None:
    """`--color` and FORCE_COLOR reach what a run prints to streams that are no terminal (a CI log)."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", force_color)
    code, out, _ = fake_run(make_report(), colour=colour)
    assert code == 1
    assert ("\x1b[" in out) is coloured
