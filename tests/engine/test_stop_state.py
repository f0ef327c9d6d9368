"""Why an API stopped, as report.json and the unjudged requirements say it, when several stops meet.

Each case sends its stops through the code that makes them in a run (the guarded session's budget, time
limit and 429 cut, the plugin's time limit between tests, the preflight, an interruption, a --fail-fast
failure), in the order given, and reads what the run's readers say: the API's verdict, its
`untestable_reason`, `incomplete_reason`, `stopped_reason` and `budget_exhausted`, the run's verdict, and
the reason given to every requirement left unjudged for the run's sake. The texts are the ones the
readers gave before the stop state had one owner (engine/control.py), pinned so that it changes none.
In-process, on a scripted loopback target that answers only 429 (with a day's Retry-After) or 401.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from apiconform.engine import reportjson
from apiconform.engine.config import RunConfig
from apiconform.engine.interruption import Interruption
from apiconform.engine.model.control import RunControl, StopKind
from apiconform.engine.model.events import Phase, SuiteItem
from apiconform.engine.model.verdicts import Observation, Outcome
from apiconform.engine.plugin import SUITE_ITEM, ConformancePlugin
from apiconform.engine.session import ConformanceSession
from apiconform.engine.transport.http import BudgetExhausted
from tests.engine.scripted import BRM, Scripted, brm_base

BUDGET = "the request budget of 0 (--max-requests) was used up"
TIME = "the run's time limit (--max-time) was reached"
THROTTLED = (
    "the target kept answering 429 Too Many Requests (Retry-After '3600' is longer than the 30 s the run "
    "waits); no more requests were sent to it"
)
INTERRUPTED = "the run was interrupted (SIGTERM)"
REJECTED = (
    "the list operation answered 401 to a plain request with the token from the configuration: is it valid for "
    "this API?"
)
# The first gate requirement of the API's catalog, failed before any request was sent.
FAILED = "--fail-fast: BRM-AUTH-REQUIRED (a MUST) failed at request 0"
NO_OBSERVATION = "no observation in this run could have shown a defect of it"


def _sent_out(reason: str) -> str:
    return f"no more requests were sent: {reason}"


def _untestable(reason: str) -> str:
    return f"the target could not be tested: {reason}"


CUT_SHORT = f"{INTERRUPTED} before this was judged"
FAST_STOP = f"not judged: testing stopped ({FAILED})"


# events -> the API's verdict, untestable_reason, why it is incomplete (after "...): "), stopped_reason,
# budget_exhausted, the run's verdict, and the reasons of the requirements left unjudged for the run.
CASES: list[tuple[tuple[str, ...], str, str | None, str | None, str | None, bool, str, list[str]]] = [
    ((), "incomplete", None, NO_OBSERVATION, None, False, "incomplete", []),
    (("budget",), "incomplete", None, BUDGET, BUDGET, True, "incomplete", [_sent_out(BUDGET)]),
    (("time",), "incomplete", None, TIME, TIME, True, "incomplete", [_sent_out(TIME)]),
    (("deadline",), "incomplete", None, TIME, TIME, True, "incomplete", [_sent_out(TIME)]),
    (("429",), "incomplete", None, THROTTLED, THROTTLED, True, "incomplete", [_sent_out(THROTTLED)]),
    # Two limits: the first one met is the one every reader names.
    (("budget", "time"), "incomplete", None, BUDGET, BUDGET, True, "incomplete", [_sent_out(BUDGET)]),
    (("time", "budget"), "incomplete", None, TIME, TIME, True, "incomplete", [_sent_out(TIME)]),
    (("budget", "deadline"), "incomplete", None, BUDGET, BUDGET, True, "incomplete", [_sent_out(BUDGET)]),
    (("429", "budget"), "incomplete", None, THROTTLED, THROTTLED, True, "incomplete", [_sent_out(THROTTLED)]),
    (("budget", "429"), "incomplete", None, BUDGET, BUDGET, True, "incomplete", [_sent_out(BUDGET)]),
    (("deadline", "429"), "incomplete", None, TIME, TIME, True, "incomplete", [_sent_out(TIME)]),
    # Untestable decides the API's verdict, whatever came with it or after.
    (("untestable",), "untestable", REJECTED, None, None, False, "untestable", [_untestable(REJECTED)]),
    (
        ("untestable", "interrupted"),
        "untestable",
        REJECTED,
        None,
        INTERRUPTED,
        False,
        "interrupted",
        [_untestable(REJECTED)],
    ),
    (("429", "untestable"), "untestable", THROTTLED, None, THROTTLED, True, "untestable", [_untestable(THROTTLED)]),
    # --fail-fast names the stop in report.json; an interruption names it for what was left unjudged.
    (("fail-fast",), "fail", None, None, FAILED, False, "fail", [FAST_STOP]),
    (("fail-fast", "budget"), "fail", None, None, FAILED, True, "fail", [FAST_STOP]),
    (("budget", "fail-fast"), "fail", None, None, FAILED, True, "fail", [FAST_STOP]),
    (("fail-fast", "interrupted"), "fail", None, None, FAILED, False, "interrupted", [CUT_SHORT]),
    (("interrupted",), "interrupted", None, None, INTERRUPTED, False, "interrupted", [CUT_SHORT]),
    (("budget", "interrupted"), "interrupted", None, None, BUDGET, True, "interrupted", [CUT_SHORT]),
    (("429", "interrupted"), "interrupted", None, None, THROTTLED, True, "interrupted", [CUT_SHORT]),
    (("deadline", "interrupted"), "interrupted", None, None, TIME, True, "interrupted", [CUT_SHORT]),
]


@pytest.fixture(scope="module")
def target() -> Iterator[tuple[Scripted, dict[str, int]]]:
    answering = {"status": 429}

    def answer(path: str) -> tuple[int, dict[str, str], bytes]:
        if answering["status"] == 429:
            return 429, {"Retry-After": "3600"}, b""
        return 401, {"Content-Type": "application/json"}, b'{"code": "401", "reason": "Unauthorized", "message": "no"}'

    server = Scripted(answer)
    yield server, answering
    server.close()


def _stop(session: ConformanceSession, event: str, answering: dict[str, int]) -> None:
    """Make one stop happen the way a run makes it."""
    run = session.runs[0]
    first_page = run.semantics.paging.page(0, 1)
    if event in ("budget", "time", "429"):
        if event == "budget":
            run.http.politeness.max_requests = run.http.traffic.sent
        elif event == "time":
            run.http.politeness.deadline = time.monotonic() - 1
        answering["status"] = 429
        with contextlib.suppress(BudgetExhausted):
            run.get(first_page)
    elif event == "deadline":  # --max-time passed between two tests: the plugin skips the next one
        session.deadline = time.monotonic() - 1
        plugin = ConformancePlugin(session, Interruption())
        with pytest.raises(pytest.skip.Exception, match="time limit"):
            # A relation's test, tagged the way the plugin tags what it collects.
            item = SimpleNamespace(stash=pytest.Stash())
            item.stash[SUITE_ITEM] = SuiteItem(BRM, Phase.RELATIONS, "a_check")
            plugin.pytest_runtest_setup(item)  # type: ignore[arg-type]
    elif event == "untestable":
        answering["status"] = 401
        session.preflight()
    elif event == "interrupted":
        session.interrupt(("SIGTERM", 143))
    elif event == "fail-fast":
        gate = sorted(run.stops_at)[0]
        run.observe(Observation(gate, Outcome.FAIL, "a_check", "broken"))
    else:
        raise AssertionError(event)


@pytest.mark.parametrize("allow_partial", [False, True], ids=["", "allow-partial"])
@pytest.mark.parametrize(
    ("events", "verdict", "untestable", "incomplete", "stopped", "exhausted", "run_verdict", "unjudged"),
    CASES,
    ids=["+".join(case[0]) or "none" for case in CASES],
)
def test_the_readers_name_one_stop_in_one_precedence(
    target: tuple[Scripted, dict[str, int]],
    allow_partial: bool,
    events: tuple[str, ...],
    verdict: str,
    untestable: str | None,
    incomplete: str | None,
    stopped: str | None,
    exhausted: bool,
    run_verdict: str,
    unjudged: list[str],
) -> None:
    server, answering = target
    config = RunConfig(
        apis=[BRM],
        base_urls={BRM: brm_base(server)},
        token="not-a-secret",
        rate_limit=1000.0,
        fail_fast=True,
        allow_partial=allow_partial,
    )
    session = ConformanceSession(config)
    for event in events:
        _stop(session, event, answering)
    session.finalize()
    built = reportjson.build(session)
    api: dict[str, Any] = built["apis"][0]
    # A budget the user set leaves the API partial with --allow-partial; the target's 429s never do.
    by_user = verdict == "incomplete" and incomplete in (BUDGET, TIME)
    expected_verdict = "partial" if allow_partial and by_user else verdict
    assert api["verdict"] == expected_verdict
    assert api["untestable_reason"] == untestable
    said = api["incomplete_reason"]
    assert (said.split("): ", 1)[1].removesuffix(" (--allow-partial)") if said else None) == incomplete
    assert api["stopped_reason"] == stopped
    assert api["budget_exhausted"] is exhausted
    assert built["verdict"] == (expected_verdict if run_verdict == verdict else run_verdict)
    reasons = {reason for item in built["requirements"] if item["cause"] == "run" for reason in item["reasons"]}
    assert sorted(reasons) == unjudged


# --- the precedence table, on the control alone -----------------------------------------------------------

UN, IN, FF, TI, BU, TH = (
    StopKind.UNTESTABLE,
    StopKind.INTERRUPTED,
    StopKind.FAIL_FAST,
    StopKind.TIME,
    StopKind.BUDGET,
    StopKind.THROTTLED,
)
# stops (each with its kind's value as reason) -> may_send, may_start, whose reason every later request is
# refused with, cut_by_target, exhausted, the kind that speaks for what was left unjudged, and whose reason
# is report.json's stopped_reason.
TABLE: list[tuple[tuple[StopKind, ...], bool, bool, StopKind | None, bool, bool, StopKind | None, StopKind | None]] = [
    ((), True, True, None, False, False, None, None),
    ((UN,), True, False, None, False, False, UN, None),
    ((FF,), True, False, None, False, False, FF, FF),
    ((IN,), False, False, IN, False, False, IN, IN),
    ((TI,), False, False, TI, False, True, TI, TI),
    ((BU,), False, False, BU, False, True, BU, BU),
    ((TH,), False, False, TH, True, True, TH, TH),
    ((BU, TH), False, False, BU, False, True, BU, BU),
    ((TH, BU), False, False, TH, True, True, TH, TH),
    ((TI, BU), False, False, TI, False, True, TI, TI),
    ((BU, IN), False, False, BU, False, True, IN, BU),
    ((IN, TI), False, False, IN, False, True, IN, IN),
    ((IN, TH), False, False, IN, False, True, IN, IN),
    ((FF, IN), False, False, IN, False, False, IN, FF),
    ((TI, FF), False, False, TI, False, True, FF, FF),
    ((FF, BU, IN), False, False, BU, False, True, IN, FF),
    ((UN, IN), False, False, IN, False, False, UN, IN),
    ((IN, UN), False, False, IN, False, False, UN, IN),
    ((TH, UN), False, False, TH, True, True, UN, TH),
    ((FF, UN), True, False, None, False, False, UN, FF),
]


@pytest.mark.parametrize(
    ("stops", "may_send", "may_start", "refused_with", "cut", "exhausted", "speaks", "stopped"),
    TABLE,
    ids=["+".join(kind.value for kind in case[0]) or "none" for case in TABLE],
)
def test_one_precedence_decides_what_is_said(
    stops: tuple[StopKind, ...],
    may_send: bool,
    may_start: bool,
    refused_with: StopKind | None,
    cut: bool,
    exhausted: bool,
    speaks: StopKind | None,
    stopped: StopKind | None,
) -> None:
    control = RunControl()
    for kind in stops:
        control.stop(kind, kind.value)
        control.stop(kind, f"{kind.value} again")  # a kind keeps its first reason
    assert (control.may_send, control.may_start) == (may_send, may_start)
    assert control.sending_stopped == (refused_with.value if refused_with else None)
    assert (control.cut_by_target, control.exhausted) == (cut, exhausted)
    assert control.kind is speaks
    assert control.stopped_reason == (stopped.value if stopped else None)
    assert control.untestable == ("untestable" if UN in stops else None)
    said = {
        None: None,
        UN: "the target could not be tested: untestable",
        IN: "interrupted before this was judged",
        FF: "not judged: testing stopped (fail-fast)",
    }
    assert control.why_unjudged == said.get(speaks, f"no more requests were sent: {speaks and speaks.value}")
