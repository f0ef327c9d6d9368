"""A run is polite to a live target: only GET, only to the target host, never faster than the rate, within its
request budget and its time limit (a request in flight and the property-test loop included)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from apiconform import contract
from apiconform.engine.config import RunConfig
from apiconform.engine.options import DEFAULT_REMOTE_RATE
from apiconform.engine.session import ConformanceSession
from apiconform.server import ReferenceServer

from .conftest import BRM, OES, TIGHT, HostileFactory, Outcome, no_traceback, run_argv

# How much later than its turn a request may arrive at the server: the client's and the server's threads
# wait for a core (25 ms seen with both cores busy). At the test's rate of 10 a second, a pacer one request
# over the rate starts 11 within 0.91 s, which this still catches.
JITTER = 0.08


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every address this test's thread connects a socket to (the servers' own threads are not counted)."""
    seen: list[Any] = []
    me = threading.get_ident()
    original = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> None:
        if threading.get_ident() == me:
            seen.append(address)
        original(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    yield seen


def test_a_default_run_sends_only_get_only_to_the_target_and_never_above_the_rate(
    hostile: HostileFactory,
    upstream: ReferenceServer,
    run_cli: Callable[..., Outcome],
    tmp_path: Path,
    connections: list[Any],
) -> None:
    rate = 10
    server = hostile("proxy")
    # Every API on one host: they share the host's rate, not one rate each.
    argv = [
        "run",
        "--api",
        "all",
        "--base-url",
        server.origin,
        "--enterprise-id",
        upstream.enterprise_id,
        "--rate-limit",
        str(rate),
        "--max-requests",
        "10",
        *TIGHT,
    ]
    outcome = run_cli(argv, token=upstream.token)
    no_traceback(outcome)
    seen = server.requests()
    assert len(seen) == 10 * len(contract.api_names()) == outcome.report()["requests"]
    assert {request.method for request in seen} == {"GET"}
    assert {request.headers["Host"] for request in seen} == {f"127.0.0.1:{server.port}"}
    assert set(connections) == {("127.0.0.1", server.port)}
    # No `rate + 1` requests ever started within one second.
    arrivals = sorted(request.at for request in seen)
    windows = [later - earlier for earlier, later in zip(arrivals, arrivals[rate:], strict=False)]
    assert min(windows) >= 1.0 - JITTER, min(windows)
    assert outcome.report()["settings"]["rate_limit"] == rate


def test_a_run_sends_no_more_than_its_request_budget(
    hostile: HostileFactory, upstream: ReferenceServer, run_cli: Callable[..., Outcome], tmp_path: Path
) -> None:
    server = hostile("proxy")
    outcome = run_cli(
        run_argv(server, upstream, OES, tmp_path / "r", *TIGHT, "--max-requests", "15"), token=upstream.token
    )
    no_traceback(outcome)
    assert len(server.requests()) == 15
    api = outcome.api(OES)
    assert api["requests"] == 15 and api["budget_exhausted"]
    assert api["stopped_reason"] == "the request budget of 15 (--max-requests) was used up"
    assert "the request budget of 15 (--max-requests) was used up" in outcome.terminal


@pytest.mark.parametrize(
    ("timeout", "max_time"),
    [
        pytest.param("20", 8.0, id="a request in flight is cut at the deadline"),
        pytest.param("1", 6.0, id="the property loop meets timeout after timeout"),
    ],
)
def test_the_run_ends_within_max_time(
    timeout: str,
    max_time: float,
    hostile: HostileFactory,
    upstream: ReferenceServer,
    run_cli: Callable[..., Outcome],
    tmp_path: Path,
) -> None:
    # Fast for the preflight and discovery, then every answer takes longer than the run may.
    server = hostile("slow", skip=4, delay=60)
    argv = run_argv(server, upstream, BRM, tmp_path / "r", "--request-timeout", timeout, "--max-time", str(max_time))
    outcome = run_cli(argv, token=upstream.token)
    no_traceback(outcome)
    # The run itself (session, verdicts, four reports) takes a second or two of CPU on top of its time
    # limit, which a busy machine stretches several-fold; a run the target held would take 60 s and more.
    assert outcome.elapsed < max_time + 15, outcome.elapsed
    first = server.requests()[0].at
    assert all(request.at - first < max_time for request in server.requests())
    api = outcome.api(BRM)
    assert "time limit (--max-time) was reached" in api["stopped_reason"]
    # A failure found before the deadline decides; else what the deadline left unjudged makes it incomplete.
    assert outcome.code in (1, 3) and outcome.report()["verdict"] in ("fail", "incomplete")


def test_every_target_but_the_embedded_server_is_paced_by_default_loopback_included() -> None:
    remote = ConformanceSession(
        RunConfig.checked(apis=[BRM], base_urls={BRM: "https://brm.example.test/brm/prepayBalanceManagement/v4"})
    )
    local = ConformanceSession(
        RunConfig.checked(apis=[BRM], base_urls={BRM: "http://127.0.0.1:9/brm/prepayBalanceManagement/v4"})
    )
    assert remote.runs[0].http.pacer.rate == DEFAULT_REMOTE_RATE == 10
    assert local.runs[0].http.pacer.rate == DEFAULT_REMOTE_RATE  # a tunnel on loopback may lead to the vendor
    assert remote.runs[0].http.politeness.allowed_methods == {"GET"}
    both = ConformanceSession(
        RunConfig.checked(
            apis=[OES, BRM],
            base_urls={OES: "https://vendor.example.test/a", BRM: "https://vendor.example.test/b"},
            path_params={"enterpriseId": "e-1"},
        )
    )
    # Two APIs on one host share its rate.
    assert both.runs[0].http.pacer is both.runs[1].http.pacer
    assert both.runs[1].http.pacer.rate == 3.0, "BitGo's documented pace holds for both APIs on its host"
