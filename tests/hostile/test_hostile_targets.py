"""`apiconform run` against a target that misbehaves one way at a time.

For each behaviour: the run ends within its time bound, the exit code is the contract's (1 a finding,
3 the target could not be tested), the report names what happened (a failed requirement with its
evidence, or the reason the API could not be tested), and nothing on the terminal is a traceback.
Bodies that could exhaust memory are measured in a subprocess (test_memory.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from apiconform.server import ReferenceServer

from .conftest import BRM, OES, TIGHT, HostileFactory, Outcome, no_traceback, run_argv

# In-process runs start in well under a second; the rest of each bound is the behaviour's own cost
# (a 1 s request timeout, a few hundred requests to the loopback reference server), with room for a busy
# machine (one such run took 10.4 s at a load of 10 on 2 cores). What the bounds catch is a run held by
# its target: the slow and trickling behaviours would hold it for 30 s and more.
OVERHEAD = 20.0


@dataclass(frozen=True)
class Case:
    """One hostile behaviour and what the run must make of it."""

    behaviour: str
    code: int
    bound: float  # seconds the run may take
    options: dict[str, object] = field(default_factory=dict)
    api: str = BRM
    extra: tuple[str, ...] = ("--max-requests", "60", "--allow-partial")


def _failed(outcome: Outcome, rid: str, *, status: int | None = None, says: str = "") -> None:
    requirement = outcome.requirement(rid)
    assert requirement["verdict"] == "fail", requirement
    failure = requirement["failures"][0]
    assert failure["evidence"], "a finding carries the exchange that shows it"
    if status is not None:
        assert any(item["evidence"][0]["status"] == status for item in requirement["failures"]), requirement
    assert says in " ".join(item["message"] for item in requirement["failures"]), requirement["failures"]
    assert f"FAIL   {rid}" in outcome.terminal


def _warned(outcome: Outcome, rid: str, *, not_failed: str) -> None:
    requirement = outcome.requirement(rid)
    assert requirement["verdict"] == "warn" and requirement["failures"][0]["evidence"], requirement
    assert outcome.requirement(not_failed)["verdict"] != "fail"


def _untestable(outcome: Outcome, says: str, api: str = BRM) -> None:
    entry = outcome.api(api)
    assert entry["verdict"] == "untestable"
    assert says in (entry["untestable_reason"] or ""), entry["untestable_reason"]
    # Every requirement says why it has no verdict, and the terminal tells the same story.
    assert {item["verdict"] for item in outcome.report()["requirements"]} <= {"inconclusive", "fail"}
    assert says in outcome.terminal


CASES: dict[str, tuple[Case, Callable[[Outcome], None]]] = {
    "slower than the timeout": (
        Case("slow", 3, 1 + OVERHEAD, {"delay": 30}),
        lambda o: _untestable(o, "no complete answer within 1 s"),
    ),
    "connection reset": (
        Case("reset", 3, OVERHEAD),
        lambda o: _untestable(o, "the target reset the connection"),
    ),
    "5xx in bursts": (
        Case("burst-5xx", 1, OVERHEAD, {"skip": 3, "burst": 3, "period": 6}),
        lambda o: _failed(o, "BRM-NO-SERVER-ERROR", status=503),
    ),
    "invalid JSON with a JSON content type": (
        Case("invalid-json", 1, OVERHEAD),
        lambda o: _failed(o, "BRM-RESP-SCHEMA", status=200, says="JSON"),
    ),
    "JSON with NaN": (
        Case("nan", 1, OVERHEAD),
        lambda o: _failed(o, "BRM-RESP-SCHEMA", status=200, says="NaN is not a JSON value"),
    ),
    "JSON with duplicate keys": (
        # The last value is read, as most parsers read it; the differing first one is a SHOULD's warning
        # (RFC 8259's "SHOULD be unique", D-GEN-41), not a MUST failure.
        Case("duplicate-keys", 0, OVERHEAD, api=OES),
        lambda o: _warned(o, "OES-JSON-UNIQUE-KEYS", not_failed="OES-RESP-SCHEMA"),
    ),
    "invalid UTF-8": (
        Case("invalid-utf8", 1, OVERHEAD),
        lambda o: _failed(o, "BRM-RESP-SCHEMA", status=200, says="utf-8"),
    ),
    "a body that trickles in for ever": (
        Case("trickle", 3, 1 + OVERHEAD, {"interval": 0.1}),
        lambda o: _untestable(o, "no complete answer within 1 s"),
    ),
    "429 for ever": (
        Case("429", 3, OVERHEAD, {"retry_after": "0.1"}),
        lambda o: _untestable(o, "kept answering 429 Too Many Requests"),
    ),
    "negative and non-numeric count headers": (
        Case("bad-counts", 1, OVERHEAD),
        lambda o: _failed(o, "BRM-HDR-RESULT-COUNT"),
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_hostile_behaviour_ends_in_time_with_a_clear_verdict(
    name: str, hostile: HostileFactory, upstream: ReferenceServer, run_cli: Callable[..., Outcome], tmp_path: Path
) -> None:
    case, verify = CASES[name]
    server = hostile(case.behaviour, **case.options)
    outcome = run_cli(
        run_argv(server, upstream, case.api, tmp_path / "report", *TIGHT, *case.extra), token=upstream.token
    )
    no_traceback(outcome)
    assert outcome.code == case.code, (outcome.terminal, outcome.report()["apis"])
    assert outcome.report()["exit_code"] == case.code
    assert outcome.elapsed < case.bound, f"{name} took {outcome.elapsed:.1f} s"
    verify(outcome)


def test_429_for_ever_is_retried_within_the_bound_then_left_alone(
    hostile: HostileFactory, upstream: ReferenceServer, run_cli: Callable[..., Outcome], tmp_path: Path
) -> None:
    server = hostile("429", retry_after="0.2")
    outcome = run_cli(run_argv(server, upstream, BRM, tmp_path / "report", *TIGHT), token=upstream.token)
    no_traceback(outcome)
    assert outcome.code == 3
    api = outcome.api(BRM)
    # One request, retried three times after the pause it asked for; then nothing more is sent.
    assert len(server.requests()) == 4 == api["requests"]
    assert api["retries_on_429"] == 3
    assert api["waited_on_429_seconds"] == pytest.approx(0.6)
    assert "kept answering 429" in api["stopped_reason"]
    assert "429 Too Many Requests; the run waited 0.6 s over 3 retries" in outcome.text("report.md")


def test_a_retry_after_longer_than_the_run_waits_stops_at_once(
    hostile: HostileFactory, upstream: ReferenceServer, run_cli: Callable[..., Outcome], tmp_path: Path
) -> None:
    server = hostile("429", retry_after="Wed, 21 Oct 2099 07:28:00 GMT")
    outcome = run_cli(run_argv(server, upstream, BRM, tmp_path / "report", *TIGHT), token=upstream.token)
    no_traceback(outcome)
    assert outcome.code == 3
    assert len(server.requests()) == 1
    assert "is longer than the 30 s the run waits" in outcome.api(BRM)["untestable_reason"]


def test_a_target_that_answers_200_to_everything_fails_on_input_and_auth(
    hostile: HostileFactory, upstream: ReferenceServer, run_cli: Callable[..., Outcome], tmp_path: Path
) -> None:
    server = hostile("yes")
    argv = run_argv(server, upstream, BRM, tmp_path / "report", *TIGHT, "--max-requests", "400")
    outcome = run_cli(argv, token=upstream.token)
    no_traceback(outcome)
    assert outcome.code == 1
    _failed(outcome, "BRM-PAGE-INVALID", status=200)  # offset=-1 accepted
    _failed(outcome, "BRM-AUTH-REQUIRED", says="without a token was answered 200")
    assert outcome.elapsed < OVERHEAD


def test_a_redirect_to_another_host_is_a_finding_and_the_token_stays_home(
    hostile: HostileFactory, upstream: ReferenceServer, run_cli: Callable[..., Outcome], tmp_path: Path
) -> None:
    elsewhere = hostile("proxy", host="127.0.0.2")
    server = hostile("redirect", redirect_to=elsewhere.origin, skip=2)
    canary = upstream.token
    outcome = run_cli(run_argv(server, upstream, BRM, tmp_path / "report", *TIGHT), token=canary)
    no_traceback(outcome)
    # Nothing reached the other host: no request, so no token either.
    assert elsewhere.requests() == []
    assert all(seen.client == "127.0.0.1" for seen in server.requests())
    assert outcome.code == 1
    _failed(outcome, "BRM-RESP-STATUS", status=302, says="302")
    api = outcome.api(BRM)
    assert api["redirects_not_followed"] == api["offsite_redirect_count"] == len(server.requests()) - 2
    assert api["offsite_redirects"][0].startswith(f"302 -> {elsewhere.origin}/")
    for name in ("report.md", "report.html", "junit.xml"):
        assert "were not followed" in outcome.text(name), name
    assert "were not followed" in outcome.terminal
    evidence = outcome.requirement("BRM-RESP-STATUS")["failures"][0]["evidence"][0]
    location = {name.lower(): value for name, value in evidence["headers"].items()}.get("location", "")
    assert location.startswith(elsewhere.origin)
    for name in ("report.json", "report.md", "report.html", "junit.xml"):
        assert canary not in outcome.text(name)


def test_a_redirect_answering_the_first_request_makes_the_api_untestable(
    hostile: HostileFactory, upstream: ReferenceServer, run_cli: Callable[..., Outcome], tmp_path: Path
) -> None:
    elsewhere = hostile("proxy", host="127.0.0.2")
    server = hostile("redirect", redirect_to=elsewhere.origin)
    outcome = run_cli(
        run_argv(server, upstream, BRM, tmp_path / "report", "--request-timeout", "1"), token=upstream.token
    )
    no_traceback(outcome)
    assert elsewhere.requests() == []
    # The API could not be tested beyond the 302: every requirement is inconclusive (exit 3), none judged
    # on the one answer that was no answer to the question asked.
    assert outcome.code == 3
    api = outcome.api(BRM)
    assert api["verdict"] == "untestable"
    assert f"a redirect to {elsewhere.origin}" in api["untestable_reason"]
    assert "not followed" in outcome.terminal
