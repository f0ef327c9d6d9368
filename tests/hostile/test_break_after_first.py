"""The break-after-first hostile target, seen by a plain HTTP client: one good answer, then every exchange
broken in turn (a body cut short, a status line without a code, a TCP reset). What a run makes of such a
target is the engine's tests' business; this shows the target breaks the way they rely on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from apiconform.server import ReferenceServer

from .conftest import BRM, TIGHT, HostileFactory, Outcome, no_traceback, run_argv
from .server import BREAKAGES

# What requests raises for each breakage: the exception and a word of its message.
SEEN_AS = {
    "truncated-body": (requests.exceptions.ChunkedEncodingError, "IncompleteRead"),
    "bad-status-line": (requests.exceptions.ConnectionError, "BadStatusLine"),
    "reset": (requests.exceptions.ConnectionError, "reset by peer"),
}


def test_the_first_answer_is_good_and_every_later_exchange_breaks_in_turn(
    hostile: HostileFactory, upstream: ReferenceServer
) -> None:
    assert set(SEEN_AS) == set(BREAKAGES)
    server = hostile("break-after-first")
    url = server.api_base_url(BRM) + "/adjustBalance"
    headers = {"Authorization": f"Bearer {upstream.token}"}
    first = requests.get(url, headers=headers, timeout=10)
    direct = requests.get(upstream.api_base_url(BRM) + "/adjustBalance", headers=headers, timeout=10)
    assert first.status_code == 200 and first.headers["X-Total-Count"] == direct.headers["X-Total-Count"]
    assert len(first.json()) == len(direct.json()) == 25
    for _ in range(2):  # the rotation starts over
        for breakage in BREAKAGES:
            error, words = SEEN_AS[breakage]
            with pytest.raises(error, match=words):
                requests.get(url, headers=headers, timeout=10)
    assert len(server.requests()) == 1 + 2 * len(BREAKAGES)


def test_skip_passes_requests_on_before_the_first_answer(hostile: HostileFactory, upstream: ReferenceServer) -> None:
    server = hostile("break-after-first", skip=2)
    url = server.api_base_url(BRM) + "/adjustBalance"
    headers = {"Authorization": f"Bearer {upstream.token}"}
    for _ in range(3):  # two passed on by `skip`, then the behaviour's own first answer
        assert requests.get(url, headers=headers, timeout=10).status_code == 200
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(url, headers=headers, timeout=10)


def test_a_run_against_a_target_that_breaks_after_its_first_answer_is_incomplete_not_conformant(
    hostile: HostileFactory, upstream: ReferenceServer, run_cli: Callable[..., Outcome], tmp_path: Path
) -> None:
    """The preflight gets its answer; every later exchange breaks. Nothing after it could be judged, so the
    run says incomplete (exit 3), names the MUST requirements it did not judge and how many requests got no
    usable answer; it never says conformant (it used to: `pass`, exit 0, 180 of 189 requests unanswered)."""
    server = hostile("break-after-first")
    outcome = run_cli(run_argv(server, upstream, BRM, tmp_path / "report", *TIGHT), token=upstream.token)
    no_traceback(outcome)
    report = outcome.report()
    api = outcome.api(BRM)
    assert outcome.code == report["exit_code"] == 3, (outcome.terminal, api)
    assert report["verdict"] == api["verdict"] == "incomplete"
    assert api["unusable_exchanges"] == api["requests"] - 1 > 0, "every request but the first got no usable answer"
    assert api["unjudged"], "the MUST requirements left unjudged are named"
    assert f"{api['unusable_exchanges']} of {api['requests']} requests got no usable answer" in api["incomplete_reason"]
    assert "verdict: incomplete" in outcome.out
    assert not [item["id"] for item in report["requirements"] if item["verdict"] == "pass" and not item["judged"]]
