"""The request plan: what a smaller plan gives up, the property tests' share, reused replies, and how a
failure is confirmed on fresh requests (DECISIONS.md D-GEN-21)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from apiconform.engine.checks.base import Judge, confirmed
from apiconform.engine.model.plan import CONFIRMING, PROPERTY_ACTIVITY, RequestPlan
from apiconform.engine.model.verdicts import Observation
from tests.engine.scripted import BRM, session_for

JUDGE = Judge("a_check", "REQ-A")

# --- the plan -----------------------------------------------------------------------------------------


def test_the_full_plan_gives_every_check_its_examples() -> None:
    plan = RequestPlan(360)
    assert plan.examples("a_check", 6) == 6
    assert plan.gave_up == []


def test_a_smaller_plan_scales_the_examples_and_says_so() -> None:
    plan = RequestPlan(180, scale=0.5)
    assert plan.examples("a_check", 6) == 3
    assert plan.examples("one_example", 1) == 1, "a check keeps at least one example"
    assert plan.gave_up == ["a_check: 3 of 6 examples"]


def test_the_property_tests_get_what_is_left_and_at_least_a_quarter() -> None:
    plan = RequestPlan(360)
    assert plan.property_share(sent=200) == 160
    plan.spent[PROPERTY_ACTIVITY] = 100
    assert plan.property_share(sent=300) == 160, "their own requests do not shrink their share"
    assert plan.property_share(sent=400) == 90, "relations that spent everything leave them a quarter"


def test_requests_that_confirm_failures_come_out_of_the_budget_not_the_plans_shares() -> None:
    """A faulty target costs the requests that confirm and blame its failures; the plan is what a correct
    one costs, so those must not crowd out the checks still to run (they would leave MUSTs unjudged)."""
    plan = RequestPlan(360)
    assert not plan.relations_have_room(sent=270)
    plan.spent[CONFIRMING] = 100
    assert plan.relations_have_room(sent=270) and plan.planned(270) == 170
    assert plan.property_share(sent=270) == 190


@pytest.mark.parametrize(
    ("scale", "given_up"), [(1.0, []), (0.5, [f"{PROPERTY_ACTIVITY}: the cases past the plan's share"])]
)
def test_property_cases_past_their_share_are_given_up_only_under_a_smaller_plan(scale, given_up) -> None:
    plan = RequestPlan(360, scale=scale)
    plan.note_property_cut()
    plan.note_property_cut()
    assert plan.property_cases_skipped == 2
    assert plan.gave_up == given_up


# --- confirming a failure -----------------------------------------------------------------------------


@dataclass
class FakeRun:
    """What `confirmed` uses of an ApiRun: the change probes (each returns the next fingerprint) and the
    reuse switch an attempt sees."""

    fingerprints: list[str]
    failed_already: set[str] = field(default_factory=set)
    last_probe: str | None = None
    reusing: bool = False
    reused: int = 0
    tries: list[bool] = field(default_factory=list)  # whether each try ran with reuse allowed
    activities: list[str] = field(default_factory=list)  # what each probe and fresh try was counted as

    def probe(self, activity: str = "change probes") -> str:
        self.activities.append(activity)
        self.last_probe = self.fingerprints.pop(0)
        return self.last_probe

    @contextlib.contextmanager
    def spending(self, activity: str) -> Iterator[None]:
        self.activities.append(f"within {activity}")
        yield

    @property
    def ledger(self) -> dict[str, SimpleNamespace]:
        return {"REQ-A": SimpleNamespace(failure_count=int("REQ-A" in self.failed_already))}


def attempt_of(run: FakeRun, outcomes: list[str], reuses: bool) -> Callable[[], list[Observation]]:
    """An attempt that passes or fails as `outcomes` says, try by try; `reuses`: its first try takes a reply
    the run already held."""

    def attempt() -> list[Observation]:
        run.tries.append(run.reusing)
        if run.reusing and reuses:
            run.reused += 1
        outcome = outcomes[len(run.tries) - 1]
        return [JUDGE.failed("broken") if outcome == "fail" else JUDGE.passed()]

    return attempt


def verdicts(observations: list[Observation]) -> list[str]:
    return [observation.outcome.value for observation in observations]


def test_a_passing_first_try_costs_no_probe_and_may_reuse() -> None:
    run = FakeRun(["s0"], last_probe="s0")
    assert verdicts(confirmed(run, attempt_of(run, ["pass"], reuses=True))) == ["pass"]  # type: ignore[arg-type]
    assert run.tries == [True] and run.fingerprints == ["s0"], "no probe was sent"


@pytest.mark.parametrize(
    ("reuses", "outcomes", "fingerprints", "expected"),
    [
        (True, ["fail", "fail"], ["s0", "s0"], "fail"),  # holds on fresh requests, data still
        (True, ["fail", "pass"], ["s0", "s0"], "pass"),  # the reused (older) reply explained it
        (False, ["fail", "pass"], ["s0", "s0"], "fail"),  # failed on its own requests: not repeated, counts
        (False, ["fail", "pass"], ["s1", "s1"], "inconclusive"),  # the data moved since the last probe
        (True, ["fail", "fail"], ["s0", "s1"], "inconclusive"),  # the data moved during the fresh try
        (True, ["fail", "pass"], ["s0", "s1"], "pass"),  # the fresh try held, data moving or not
        (False, ["fail", "pass"], ["s0", "s1"], "inconclusive"),  # its own failure, with the data moving
    ],
    ids=[
        "confirmed",
        "explained-by-reuse",
        "not-repeated",
        "moved-before",
        "moved-during",
        "explained-while-moving",
        "own-while-moving",
    ],
)
def test_a_failure_is_judged_on_a_fresh_try_between_two_probes(reuses, outcomes, fingerprints, expected) -> None:
    run = FakeRun(list(fingerprints), last_probe="s0")
    observations = confirmed(run, attempt_of(run, outcomes, reuses))  # type: ignore[arg-type]
    assert verdicts(observations) == [expected]
    assert run.tries == [True, False], "the second try never reuses a reply"
    assert run.reusing is False
    assert run.activities[-3:] == [f"within {CONFIRMING}", CONFIRMING, CONFIRMING], "counted as confirming"


def test_a_failure_of_a_requirement_that_failed_already_is_not_confirmed_again() -> None:
    run = FakeRun([], failed_already={"REQ-A"}, last_probe="s0")
    assert verdicts(confirmed(run, attempt_of(run, ["fail"], reuses=True))) == ["fail"]  # type: ignore[arg-type]
    assert run.tries == [True], "no second try and no probe: the verdict is fail already"


def test_an_attempt_whose_identical_requests_disagreed_is_tried_again_fresh() -> None:
    """Records written between two identical requests leave an example unjudged (inconclusive): it is tried
    again, fresh, for a moment when the data holds still, and a settled try stands."""
    run = FakeRun(["s0"])
    tries = iter([[JUDGE.inconclusive("moved")], [JUDGE.inconclusive("moved")], [JUDGE.passed()]])

    def attempt() -> list[Observation]:
        run.tries.append(run.reusing)
        return next(tries)

    assert verdicts(confirmed(run, attempt)) == ["pass"]  # type: ignore[arg-type]
    assert run.tries == [True, False, False]
    restless = FakeRun(["s0"])
    assert verdicts(confirmed(restless, lambda: [JUDGE.inconclusive("moved")])) == ["inconclusive"]  # type: ignore[arg-type]


def test_the_first_confirmation_takes_a_probe_before_anything_is_tried() -> None:
    run = FakeRun(["s0", "s0", "s0"])
    confirmed(run, attempt_of(run, ["fail", "pass"], reuses=False))  # type: ignore[arg-type]
    assert run.fingerprints == [], "one probe before the first try, two around the second"


# --- reused replies -----------------------------------------------------------------------------------


def test_a_reply_is_reused_only_while_a_first_try_runs_and_only_when_asked(make_reference_server) -> None:
    server = make_reference_server()
    session = session_for(server, BRM)
    run = session.runs[0]
    try:
        query = {"limit": "3"}
        sent = run.http.traffic.sent
        first = run.get(query)
        run.get(query, reuse=True)
        assert run.http.traffic.sent == sent + 2, "outside a first try every request goes out"
        run.reusing = True
        again = run.get(query, reuse=True)
        assert again is run.replies[run.url(query)] and run.http.traffic.sent == sent + 2
        run.get(query)
        assert run.http.traffic.sent == sent + 3, "a request that does not ask for reuse goes out"
        run.get(query, credentials=None, reuse=True)
        assert run.http.traffic.sent == sent + 4, "only replies to the configured credentials are reused"
        assert first.status == again.status == 200
    finally:
        run.reusing = False
        session.finalize()


def test_requests_sent_together_are_answered_in_the_order_asked(make_reference_server) -> None:
    server = make_reference_server()
    session = session_for(server, BRM)
    run = session.runs[0]
    try:
        queries = [{"offset": str(offset), "limit": "2"} for offset in (6, 0, 4, 2, 8)]
        one_by_one = [run.get(query).body for query in queries]
        sent = run.http.traffic.sent
        together = run.get_many(queries)
        assert [reply.body for reply in together] == one_by_one
        assert [reply.query for reply in together] == queries
        assert run.http.traffic.sent == sent + len(queries)
        run.reusing = True
        run.get_many(queries, reuse=True)
        assert run.http.traffic.sent == sent + len(queries), "held replies stand in during a first try"
    finally:
        run.reusing = False
        session.finalize()


def test_a_spent_budget_stops_requests_sent_together(make_reference_server) -> None:
    from apiconform.engine.transport.http import BudgetExhausted

    server = make_reference_server()
    session = session_for(server, BRM, max_requests=3)
    run = session.runs[0]
    try:
        with pytest.raises(BudgetExhausted):
            run.get_many([{"offset": str(offset), "limit": "1"} for offset in range(5)])
        assert run.control.exhausted and run.http.traffic.sent == 3
    finally:
        session.finalize()
