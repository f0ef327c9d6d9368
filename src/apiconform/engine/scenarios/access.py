"""Inputs and access: invalid values are rejected, ambiguous ones answered one of the accepted ways,
requests without valid credentials or for someone else's resources are refused."""

from __future__ import annotations

import functools
import random
import uuid

from hypothesis import strategies as st

from apiconform.contract import QueryExpectation
from apiconform.engine import discovery
from apiconform.engine.http import RefusedRequest
from apiconform.engine.scenarios import Attempt, confirmed, describe_ids, explore, failed, ids, scenario
from apiconform.engine.scenarios.paging import UNSTABLE
from apiconform.engine.target import INVALID_TOKEN, ApiRun, Reply
from apiconform.engine.verdicts import Observation, Outcome


@scenario(applies=lambda semantics: bool(semantics.invalid_inputs))
def invalid_inputs_rejected(run: ApiRun) -> None:
    """Every value the documents rule out is answered 400 (its envelope is judged by `error_envelope`)."""
    check = "invalid_inputs_rejected"
    for item in run.semantics.invalid_inputs:
        reply = run.get(item.query)
        shown = "&".join(f"{k}={v}" for k, v in item.query.items())
        if reply.status == 400:
            run.observe(Observation(item.requirement, Outcome.PASS, check))
        elif reply.status is not None:
            run.observe(
                failed(
                    item.requirement,
                    check,
                    f"{shown} was answered {reply.status}, not 400",
                    [reply],
                    str(reply.status),
                    "400",
                )
            )


def _answer_kind(run: ApiRun, reply: Reply, unfiltered: list[str] | None) -> str | None:
    """How the target answered an ambiguous input: rejected, empty, ignored, or None for none of those."""
    if reply.status == 400:
        return "rejected"
    records = reply.records(run.semantics.records_pointer)
    if records is None:
        return None
    if unfiltered is not None and sorted(ids(run, records)) == sorted(unfiltered):
        return "ignored"
    return "empty" if not records else None


@scenario(applies=lambda semantics: bool(semantics.tolerated_inputs))
def tolerated_inputs_answered(run: ApiRun) -> None:
    """Inputs the documents leave open are answered in one of the ways DECISIONS.md accepts."""
    check = "tolerated_inputs_answered"
    size = str(discovery.honoured_size(run))
    paging = run.semantics.paging
    for item in run.semantics.tolerated_inputs:
        # "Ignored" compares two answers: confirmed between change probes like every relation (D-GEN-6).
        run.observe_all(confirmed(run, functools.partial(_tolerated, run, item, check, size, paging.size_param)))


def _tolerated(run: ApiRun, item: QueryExpectation, check: str, size: str, size_param: str) -> list[Observation]:
    # Compare with the same page without the parameter, so "ignored" can be told apart from "filtered".
    page = {} if size_param in item.query else {size_param: size}
    reply = run.get({**page, **item.query})
    if reply.status is None:
        return []
    baseline_reply = run.get(page)
    baseline = baseline_reply.records(run.semantics.records_pointer)
    again = run.get(page).records(run.semantics.records_pointer)
    if baseline is not None and again is not None and sorted(ids(run, baseline)) != sorted(ids(run, again)):
        return [Observation(item.requirement, Outcome.INCONCLUSIVE, check, UNSTABLE)]
    documented = run.contract.operation().get("responses", {})
    if str(reply.status) not in documented or reply.status >= 500:
        return []  # an undocumented status or a 5xx is the status and server-error checks' finding
    kind = _answer_kind(run, reply, ids(run, baseline) if baseline is not None else None)
    shown = "&".join(f"{k}={v}" for k, v in item.query.items())
    records = reply.records(run.semantics.records_pointer)
    # `answered`: the documents leave the reading open, so any well-formed 200 will do (its body is
    # judged by the schema checks like every other).
    if kind in item.accept or ("answered" in item.accept and records is not None):
        return [Observation(item.requirement, Outcome.PASS, check)]
    received = f"{reply.status}" + (f" with {describe_ids(ids(run, records))}" if records else "")
    return [
        failed(
            item.requirement,
            check,
            f"{shown} was answered {received}; accepted: {', '.join(item.accept)}",
            [reply, baseline_reply],
            received,
            " or ".join(item.accept),
        )
    ]


@scenario(applies=lambda semantics: semantics.auth is not None)
def auth_enforced(run: ApiRun) -> None:
    """A request without credentials, or with a wrong token, is refused."""
    auth = run.semantics.auth
    assert auth is not None
    requirement = auth["requirement"]
    check = "auth_enforced"
    if run.token is None:
        reason = (
            "no token is configured: the target is taken for a test system without authentication"
            if auth["enforced"] == "when-configured"
            else "no token is configured"
        )
        run.not_exercised([requirement], check, reason)
        return
    accepted = {401, 403} if auth["enforced"] == "always" else {401}
    for credentials, label in ((None, "without a token"), (INVALID_TOKEN, "with a wrong token")):
        reply = run.get({}, credentials=credentials)
        if reply.status in accepted:
            run.observe(Observation(requirement, Outcome.PASS, check))
        elif reply.status is not None:
            run.observe(
                failed(
                    requirement,
                    check,
                    f"a request {label} was answered {reply.status}",
                    [reply],
                    str(reply.status),
                    " or ".join(map(str, sorted(accepted))),
                )
            )


_CLASSES = ("0123456789", "abcdef", "ABCDEF", "ghijklmnopqrstuvwxyz", "GHIJKLMNOPQRSTUVWXYZ")


def lookalike(value: str, rng: random.Random) -> str:
    """Another value of the same shape: each digit, hex letter and letter replaced by one of its class.

    Without a value to imitate, a UUID (the most common identifier shape)."""
    if not value:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    for _ in range(8):
        other = "".join(rng.choice(next((chars for chars in _CLASSES if char in chars), char)) for char in value)
        if other != value:
            return other
    return value + "0"


@scenario(applies=lambda semantics: semantics.unknown_path_parameter is not None)
def unknown_path_parameter_refused(run: ApiRun) -> None:
    """A path identifying someone else's (or nobody's) resource is refused, never answered with data."""
    spec = run.semantics.unknown_path_parameter
    assert spec is not None
    check = "unknown_path_parameter_refused"

    try:
        known = run.path_parameters().get(spec["name"], "")
    except RefusedRequest:  # no value configured: the request itself will say so
        known = ""

    def plan(data: st.DataObject) -> Attempt | None:
        # Shaped like the configured value, so a server that checks the format first still has to
        # decide about the resource itself (a 400 for a malformed one is accepted where the spec says so).
        value = lookalike(known, data.draw(st.randoms(use_true_random=False), label=spec["name"]))

        def attempt() -> list[Observation]:
            reply = run.get({}, path_parameters={spec["name"]: value})
            if reply.status in spec["accept-statuses"]:
                return [Observation(spec["requirement"], Outcome.PASS, check)]
            if reply.status is None:
                return []
            return [
                failed(
                    spec["requirement"],
                    check,
                    f"{spec['name']}={value} (unknown) was answered {reply.status}",
                    [reply],
                    str(reply.status),
                    " or ".join(map(str, spec["accept-statuses"])),
                )
            ]

        return attempt

    explore(run, check, 2, plan)
