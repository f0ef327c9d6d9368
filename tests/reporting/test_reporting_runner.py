"""`apiconform run` around the suite: redaction of the terminal, live progress, broken suites, option errors."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest

from apiconform.cli import main
from apiconform.engine import boundary, driver, streams
from apiconform.engine.model.events import (
    ApiStopped,
    Phase,
    PhaseStarted,
    RequestSent,
    RequirementJudged,
    RequirementObserved,
    RequirementsCollected,
)
from apiconform.engine.progress import Progress
from apiconform.engine.session import RunConfig
from apiconform.engine.transport.redaction import Redactor

from .conftest import CANARY_TOKEN


def test_redacting_stream_catches_a_token_split_over_writes() -> None:
    target = io.StringIO()
    stream = boundary.RedactingStream(target, Redactor([CANARY_TOKEN]))
    stream.write("Authorization: Bearer apiconform-canary")
    assert target.getvalue() == "", "an unfinished line is held back"
    stream.write("-token-XYZ\nnext ")
    stream.write("line " + CANARY_TOKEN)
    stream.drain()
    assert target.getvalue() == "Authorization: Bearer $APICONFORM_TOKEN\nnext line $APICONFORM_TOKEN"


def test_redacting_stream_shows_vendor_control_characters_as_escapes() -> None:
    """pytest's -v lines quote vendor text: no escape sequence and no workflow command gets through."""
    target = io.StringIO()
    stream = boundary.RedactingStream(target, Redactor())
    stream.write("value \x1b]0;owned\x07 end\n::error title=Spoofed::all good\n")
    assert target.getvalue() == "value \\x1b]0;owned\\x07 end\n\\x3a:error title=Spoofed::all good\n"


def _progress(stream: io.StringIO, *, live: bool, clock: Callable[[], float] = lambda: 0.0) -> Progress:
    """A progress listener told what a run collected and sent so far, as the session's events tell it."""
    progress = Progress(stream, ["bitgo-oes", "brm-adjust-balance"], quiet=False, live=live, colour=False, clock=clock)
    for event in [RequirementsCollected("bitgo-oes", 35), RequirementsCollected("brm-adjust-balance", 32)]:
        progress.handle(event)
    # Sent before anything is drawn: off a terminal nothing is, and on one the clock says "too soon".
    for api, sent in {"bitgo-oes": 12, "brm-adjust-balance": 3}.items():
        for _ in range(sent):
            progress.handle(RequestSent(api))
    return progress


def test_live_progress_redraws_one_line_per_api_in_place() -> None:
    now = [0.0]
    stream = io.StringIO()
    progress = _progress(stream, live=True, clock=lambda: now[0])
    assert stream.getvalue() == "", "the first requests came within one redraw interval of the clock's start"
    now[0] = 100.0
    progress.handle(PhaseStarted("bitgo-oes", Phase.PROPERTIES))
    first = stream.getvalue()
    assert first == (
        "\033[2K[bitgo-oes] property tests: requirements 0/35 judged, 12 requests sent\n"
        "\033[2K[brm-adjust-balance] waiting: requirements 0/32 judged, 3 requests sent\n"
    )
    now[0] = 100.05
    progress.handle(RequestSent("bitgo-oes"))  # too soon to draw again
    assert stream.getvalue() == first
    now[0] = 100.5
    progress.handle(RequestSent("bitgo-oes"))
    assert stream.getvalue()[len(first) :] == (
        "\033[2F\033[2K[bitgo-oes] property tests: requirements 0/35 judged, 14 requests sent\n"
        "\033[2K[brm-adjust-balance] waiting: requirements 0/32 judged, 3 requests sent\n"
    )


def test_progress_off_a_terminal_writes_a_line_per_change() -> None:
    stream = io.StringIO()
    progress = _progress(stream, live=False)
    progress.handle(PhaseStarted("bitgo-oes", Phase.PROPERTIES))
    progress.handle(RequestSent("bitgo-oes"))
    progress.handle(RequirementObserved("bitgo-oes", "OES-1"))
    assert stream.getvalue() == "[bitgo-oes] property tests: requirements 0/35 judged, 12 requests sent\n"


def test_progress_says_done_when_every_requirement_test_has_its_outcome() -> None:
    stream = io.StringIO()
    progress = Progress(stream, ["brm-adjust-balance"], quiet=False, live=False, colour=False)
    progress.handle(RequirementsCollected("brm-adjust-balance", 2))
    progress.handle(PhaseStarted("brm-adjust-balance", Phase.VERDICTS))
    progress.handle(RequirementJudged("brm-adjust-balance", "BRM-1"))
    progress.handle(RequirementJudged("brm-adjust-balance", "BRM-2"))
    progress.handle(ApiStopped("brm-adjust-balance", "the run was interrupted (SIGINT) before this was judged"))
    assert stream.getvalue().splitlines() == [
        "[brm-adjust-balance] verdicts: requirements 0/2 judged, 0 requests sent",
        "[brm-adjust-balance] done: requirements 2/2 judged, 0 requests sent",
    ]


def test_the_terminal_handle_survives_output_capture() -> None:
    read_end, write_end = os.pipe()
    original = os.fdopen(write_end, "w")
    with streams.beside_capture(cast(Any, original)) as beside:
        # What pytest's capture does to the descriptor while a test runs.
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), write_end)
        beside.write("still on the terminal\n")
        beside.flush()
    original.close()
    with os.fdopen(read_end) as pipe:
        assert pipe.read() == "still on the terminal\n"


def test_a_suite_that_breaks_never_passes_the_gate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """pytest itself failing is the suite's failure (exit 4), never a verdict about the target."""
    monkeypatch.setattr(driver.pytest, "main", lambda *args, **kwargs: pytest.ExitCode.INTERNAL_ERROR)
    stream = io.StringIO()
    assert driver.run(RunConfig.checked(apis=["bitgo-oes"], report_dir=str(tmp_path)), stream=stream) == 4
    assert stream.getvalue().startswith("apiconform: error: the conformance suite did not run (pytest exit 3)")


def _refuse_to_run(*args: Any, **kwargs: Any) -> int:
    raise AssertionError("nothing may be sent when the options are wrong")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--screenshot"], "apiconform: error: --screenshot: headless Chromium is needed for this and was not found"),
        (["--secret-header", "X Bad"], "apiconform: error: --secret-header 'X Bad': not an HTTP header name"),
    ],
)
def test_run_option_errors_stop_before_the_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    monkeypatch.setenv("APICONFORM_CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setattr(driver, "run", _refuse_to_run)
    assert main(["run", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1


def test_progress_says_at_most_how_long_the_planned_requests_still_take() -> None:
    """At the pace so far, the requests of the plan not yet sent: 90 left at 5 a second is 18 s."""
    now = [10.0]
    stream = io.StringIO()
    progress = Progress(
        stream, ["bitgo-oes"], quiet=False, live=False, colour=False, planned={"bitgo-oes": 100}, clock=lambda: now[0]
    )
    progress.handle(RequirementsCollected("bitgo-oes", 35))
    progress.handle(RequestSent("bitgo-oes"))
    assert "left" not in progress.line("bitgo-oes"), "one request says nothing of the pace"
    for _ in range(9):
        progress.handle(RequestSent("bitgo-oes"))
    now[0] = 12.0  # 10 requests in 2 s
    assert progress.line("bitgo-oes").endswith("10 requests sent, at most 18 s left")
    now[0] = 110.0  # a slow vendor: 10 requests in 100 s, 90 left
    assert progress.line("bitgo-oes").endswith("10 requests sent, at most 15 min left")
    for _ in range(90):
        progress.handle(RequestSent("bitgo-oes"))
    assert progress.line("bitgo-oes").endswith("100 requests sent"), "the plan is spent: no estimate"


def test_progress_gives_no_estimate_without_a_plan_or_once_done() -> None:
    now = [0.0]
    stream = io.StringIO()
    progress = Progress(
        stream,
        ["brm-adjust-balance"],
        quiet=False,
        live=False,
        colour=False,
        planned={"brm-adjust-balance": 100},
        clock=lambda: now[0],
    )
    progress.handle(RequirementsCollected("brm-adjust-balance", 1))
    for _ in range(10):
        progress.handle(RequestSent("brm-adjust-balance"))
    now[0] = 5.0
    assert progress.line("brm-adjust-balance").endswith(", at most 45 s left")
    progress.handle(RequirementJudged("brm-adjust-balance", "BRM-1"))
    assert progress.line("brm-adjust-balance").endswith("10 requests sent")
    unplanned = Progress(stream, ["bitgo-oes"], quiet=False, live=False, colour=False, clock=lambda: now[0])
    unplanned.handle(RequestSent("bitgo-oes"))
    now[0] = 60.0
    assert unplanned.line("bitgo-oes").endswith("1 request sent")
