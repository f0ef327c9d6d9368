"""Access: requests without valid credentials, or for someone else's (or nobody's) resources, are refused."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence

from hypothesis import strategies as st

from apiconform.contract import UnknownPathParameter
from apiconform.engine.checks.base import Attempt, Judge, explore, relation
from apiconform.engine.model.apirun import INVALID_TOKEN, ApiRun
from apiconform.engine.model.exchange import Exchange
from apiconform.engine.model.verdicts import Cause, Observation
from apiconform.engine.transport.http import RefusedRequest

# --- judging ------------------------------------------------------------------------------------------


def refused(reply: Exchange, accepted: Sequence[int], message: str, judge: Judge) -> list[Observation]:
    """A pass when the reply's status is one of `accepted`; a failure for any other answer; nothing
    when there was no answer (a transport error)."""
    if reply.status in accepted:
        return [judge.passed(f"{message} was answered {reply.status}", [reply])]
    if reply.status is None:
        return [judge.not_exercised(f"not judged: {reply.error}", Cause.RUN)]
    return [
        judge.failed(
            f"{message} was answered {reply.status}",
            [reply],
            str(reply.status),
            " or ".join(map(str, accepted)),
        )
    ]


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


# --- across requests ----------------------------------------------------------------------------------


@relation(
    applies=lambda semantics: semantics.auth is not None,
    needs=("auth",),
    quote="that a request needs a valid token",
)
def auth_enforced(run: ApiRun) -> None:
    """A request without credentials, or with a wrong token, is refused."""
    auth = run.semantics.auth
    assert auth is not None
    judge = Judge("auth_enforced", auth.requirement)
    if run.token is None:
        reason = (
            "no token is configured: the target is taken for a test system without authentication"
            if auth.enforced == "when-configured"
            else "no token is configured"
        )
        run.not_exercised([judge.requirement], judge.check, reason, Cause.CONFIGURATION)
        return
    # 401 and 403 both refuse a request whose credentials are missing or wrong: BitGo declares both for
    # the route, Oracle's status table describes 403 as "The user can't be authenticated" (D-BRM-5).
    accepted = [401, 403]
    for credentials, label in ((None, "without a token"), (INVALID_TOKEN, "with a wrong token")):
        reply = run.get({}, credentials=credentials)
        run.observe_all(refused(reply, accepted, f"a request {label}", judge))


@relation(
    applies=lambda semantics: semantics.unknown_path_parameter is not None,
    needs=("unknown-path-parameter",),
    quote="how a path naming someone else's (or no) resource is answered",
)
def unknown_path_parameter_refused(run: ApiRun) -> None:
    """A path identifying someone else's (or nobody's) resource is refused, never answered with data."""
    spec: UnknownPathParameter | None = run.semantics.unknown_path_parameter
    assert spec is not None
    judge = Judge("unknown_path_parameter_refused", spec.requirement)

    try:
        known = run.path_parameters().get(spec.name, "")
    except RefusedRequest:  # no value configured: the request itself will say so
        known = ""

    def plan(data: st.DataObject) -> Attempt | None:
        # Shaped like the configured value, so a server that checks the format first still has to
        # decide about the resource itself (a 400 for a malformed one is accepted where the spec says so).
        value = lookalike(known, data.draw(st.randoms(use_true_random=False), label=spec.name))

        def attempt() -> list[Observation]:
            reply = run.get({}, path_parameters={spec.name: value})
            return refused(reply, spec.accept_statuses, f"{spec.name}={value} (unknown)", judge)

        return attempt

    explore(run, judge.check, 2, plan)
