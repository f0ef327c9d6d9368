"""ReferenceServer's lifecycle, its properties, churn, reset and the pytest fixtures."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from apiconform.server import ReferenceServer, UnknownFaultError
from apiconform.server.runner import stop_all
from tests.server.reference_client import Client


def totals(client: Client) -> tuple[int, int]:
    """How many records each API holds now (BitGo: counted through pageSize 500 pages; BRM: both usage types)."""
    bitgo = len(client.all_allocations())
    brm = sum(int(client.adjustments({"usageType": kind, "limit": "0"}).headers["X-Total-Count"])
              for kind in ("monetary", "other"))  # fmt: skip
    return bitgo, brm


def test_properties_of_a_started_server(reference_server: ReferenceServer) -> None:
    assert reference_server.base_url == f"http://127.0.0.1:{reference_server.port}"
    assert reference_server.api_base_url("bitgo-oes") == reference_server.base_url + "/api/network/v1"
    assert reference_server.api_base_url("bitgo-connections") == reference_server.base_url + "/api/network/v1"
    assert reference_server.api_base_url("brm-adjust-balance") == (
        reference_server.base_url + "/brm/prepayBalanceManagement/v4"
    )
    with pytest.raises(ValueError, match="unknown API"):
        reference_server.api_base_url("stripe")
    assert len(reference_server.enterprise_id) == 24
    assert reference_server.token_generated and len(reference_server.token) >= 24
    assert reference_server.running


def test_context_manager_serves_then_releases_the_port() -> None:
    with ReferenceServer(records=50, token="fixed-token") as server:
        port = server.port
        assert server.token == "fixed-token" and not server.token_generated
        assert Client(server).allocations().status_code == 200
    assert not server.running
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/", timeout=5)


def test_a_taken_port_is_an_error() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        server = ReferenceServer(records=10, port=taken.getsockname()[1])
        with pytest.raises(OSError):
            server.start()
        assert not server.running


@pytest.mark.parametrize(
    "config, error",
    [
        ({"faults": ["oes-nonsense"]}, UnknownFaultError),
        ({"records": -1}, ValueError),
        ({"churn": -1.0}, ValueError),
        ({"port": 70000}, ValueError),
        ({"token": "has space"}, ValueError),
        ({"token": ""}, ValueError),
    ],
)
def test_bad_configuration_is_refused_before_starting(config: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        ReferenceServer(**config)


def test_properties_need_a_started_server() -> None:
    with pytest.raises(RuntimeError, match="not started"):
        _ = ReferenceServer().enterprise_id


def test_churn_inserts_records_now_and_reset_drops_them() -> None:
    started = datetime.now(UTC)
    with ReferenceServer(records=300, churn=200.0) as server:
        client = Client(server)
        deadline = time.monotonic() + 20
        # Poll the server itself (no sleeping): churn inserts about 10 records per API every 50 ms.
        current = totals(client)
        while min(current) <= 320:
            assert time.monotonic() < deadline, f"churn inserted too little: {current}"
            current = totals(client)
        newest = client.allocation_records({"sortField": "updatedAt", "sortDirection": "DESC", "pageSize": "5"})
        for record in newest:
            created = datetime.fromisoformat(record["createdAt"].replace("Z", "+00:00"))
            assert record["createdAt"] == record["updatedAt"] and abs((created - started).total_seconds()) < 20
        latest = client.adjustment_records({"limit": "1"})[0]
        assert abs((datetime.fromisoformat(latest["requestedDate"]) - started).total_seconds()) < 20
    server.reset()  # stopped: nothing inserts any more
    assert server.store.record_counts() == (300, 300)


def test_reset_restores_the_seeded_data(reference_server: ReferenceServer) -> None:
    client = Client(reference_server)
    before = client.allocations({"sortField": "updatedAt", "sortDirection": "DESC"}).content
    reference_server.store.add_fresh_records(7, int(time.time() * 1000))
    assert reference_server.store.record_counts() == (2007, 2007)
    assert client.allocations({"sortField": "updatedAt", "sortDirection": "DESC"}).content != before
    reference_server.reset()
    assert reference_server.store.record_counts() == (2000, 2000)
    assert client.allocations({"sortField": "updatedAt", "sortDirection": "DESC"}).content == before


def test_the_factory_caches_servers_by_configuration(make_reference_server: Any) -> None:
    default = make_reference_server()
    assert make_reference_server() is default
    assert make_reference_server(faults=["oes-desc-ignored"]) is make_reference_server(faults=("oes-desc-ignored",))
    assert make_reference_server(faults=["oes-desc-ignored"]) is not default
    other = make_reference_server(seed=1, records=100)
    assert other.enterprise_id != default.enterprise_id


def test_stop_all_stops_servers_together() -> None:
    servers = [ReferenceServer(records=5).start() for _ in range(3)]
    stop_all(servers)
    assert not any(server.running for server in servers)
