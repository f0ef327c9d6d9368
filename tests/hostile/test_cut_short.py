"""A run the target cut short is `incomplete` (exit 3), never `pass`; one a budget the user set ended is
`incomplete` too when it left a MUST requirement unjudged, unless the user asked for a smoke run with
`--allow-partial`: then `partial`, exit 0, and its verdict line says why it stopped early (issues 14 and
21). The verdict line says the verdict report.json holds (`partial` is a verdict, not a suffix)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from apiconform.server import ReferenceServer

from .conftest import BRM, TIGHT, HostileFactory, Outcome, no_traceback, run_argv


def test_a_target_that_starts_throttling_mid_run_leaves_it_incomplete(
    hostile: HostileFactory, upstream: ReferenceServer, run_cli: Callable[..., Outcome], tmp_path: Path
) -> None:
    # Valid answers for the first 60 requests (preflight, discovery, the first checks), then 429 with a
    # Retry-After longer than the run waits: the target has stopped the run.
    server = hostile("429", skip=60, retry_after="3600")
    outcome = run_cli(run_argv(server, upstream, BRM, tmp_path / "report", *TIGHT), token=upstream.token)
    no_traceback(outcome)
    report = outcome.report()
    assert outcome.code == 3 == report["exit_code"], outcome.terminal[-2000:]
    assert report["verdict"] == "incomplete" and outcome.api(BRM)["verdict"] == "incomplete"
    assert "kept answering 429" in (outcome.api(BRM)["stopped_reason"] or "")
    assert "verdict: incomplete (not every MUST requirement was judged, exit 3)" in outcome.out
    assert "the target cut the run short" not in outcome.out
    unjudged = [item for item in report["requirements"] if item["verdict"] == "not-exercised"]
    assert unjudged, "the requirements it could not judge are named"


def test_a_run_the_user_budget_ended_is_incomplete_unless_partial_is_allowed(
    hostile: HostileFactory, upstream: ReferenceServer, run_cli: Callable[..., Outcome], tmp_path: Path
) -> None:
    server = hostile("proxy")
    argv = run_argv(server, upstream, BRM, tmp_path / "strict", *TIGHT, "--max-requests", "40")
    outcome = run_cli(argv, token=upstream.token)
    no_traceback(outcome)
    report = outcome.report()
    assert outcome.code == 3 and report["verdict"] == "incomplete", outcome.terminal[-2000:]
    assert "(--max-requests)" in outcome.api(BRM)["incomplete_reason"]
    argv = run_argv(server, upstream, BRM, tmp_path / "smoke", *TIGHT, "--max-requests", "40", "--allow-partial")
    outcome = run_cli(argv, token=upstream.token)
    no_traceback(outcome)
    report = outcome.report()
    assert outcome.code == 0 and report["verdict"] == "partial", outcome.terminal[-2000:]
    verdict_line = next(line for line in outcome.out.splitlines() if line.startswith("verdict: "))
    assert verdict_line.startswith("verdict: partial ("), verdict_line
    assert "; stopped early: " in verdict_line, verdict_line
