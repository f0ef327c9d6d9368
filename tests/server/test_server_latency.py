"""`latency_ms`: every answer arrives late, and requests in flight together wait together."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from apiconform.server import ReferenceServer
from tests.server.reference_client import Client


def _timed(client: Client, url: str, *, token: str | None = "") -> tuple[int, float]:
    started = time.monotonic()
    status = client.get(url, token=token).status_code
    return status, time.monotonic() - started


def test_every_answer_arrives_at_least_the_latency_late() -> None:
    with ReferenceServer(records=50, latency_ms=200) as server:
        client = Client(server)
        assert server.latency_ms == 200
        # A lower bound only: the answer, an error and an unknown path all wait the latency.
        for url, token, expected in [
            (client.allocations_url, "", 200),
            (client.adjustments_url, "", 200),
            (client.allocations_url, None, 401),
            (server.base_url + "/nowhere", "", 404),
        ]:
            status, seconds = _timed(client, url, token=token)
            assert status == expected and seconds >= 0.2


def test_concurrent_requests_wait_concurrently() -> None:
    latency = 1.0  # long enough that a busy machine's scheduling delays stay small beside it
    with ReferenceServer(records=50, latency_ms=latency * 1000) as server:
        clients = [Client(server) for _ in range(4)]  # a session (connection) each
        _timed(clients[0], clients[0].allocations_url)  # warm up: first-request costs are not latency
        with ThreadPoolExecutor(max_workers=4) as pool:
            started = time.monotonic()
            results = list(pool.map(lambda client: _timed(client, client.allocations_url), clients))
            elapsed = time.monotonic() - started
    assert [status for status, _ in results] == [200] * 4
    assert all(seconds >= latency for _, seconds in results)
    # Served one after the other they would take 4 x 1 s; 3 x 1 s is generous and still proves overlap.
    assert elapsed < 3 * latency


def test_no_latency_by_default() -> None:
    assert ReferenceServer().latency_ms == 0


@pytest.mark.parametrize("latency_ms", [-1.0, float("nan"), float("inf")])
def test_a_bad_latency_is_refused(latency_ms: float) -> None:
    with pytest.raises(ValueError, match="latency_ms must be a finite number"):
        ReferenceServer(latency_ms=latency_ms)
