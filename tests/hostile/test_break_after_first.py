"""The break-after-first hostile target, seen by a plain HTTP client: one good answer, then every exchange
broken in turn (a body cut short, a status line without a code, a TCP reset). What a run makes of such a
target is the engine's tests' business; this shows the target breaks the way they rely on."""

from __future__ import annotations

import pytest
import requests

from apiconform.server import ReferenceServer

from .conftest import BRM, HostileFactory
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
