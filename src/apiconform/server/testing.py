"""pytest fixtures for the project's own tests: reference servers on free loopback ports.

`make_reference_server(**config)` (session scope) starts a server for a configuration once and hands
the same one back for the same configuration; all of them stop when the session ends. Servers with
the same seed and record count share one generated data set (each gets its own copy), so a server
per fault costs milliseconds. `reference_server` is the default server, reset before each test.

Enable with `pytest_plugins = ["apiconform.server.testing"]` in a conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from apiconform.server.runner import ReferenceServer, stop_all

ServerFactory = Callable[..., ReferenceServer]


def _config_key(config: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    normalized = dict(config)
    normalized["faults"] = tuple(sorted(set(config.get("faults", ()))))
    normalized["variants"] = tuple(sorted(set(config.get("variants", ()))))
    return tuple(sorted(normalized.items()))


@pytest.fixture(scope="session")
def make_reference_server() -> Iterator[ServerFactory]:
    """A factory: `make_reference_server(faults=["oes-desc-ignored"], variants=[...])` -> a started server (cached)."""
    servers: dict[tuple[tuple[str, Any], ...], ReferenceServer] = {}

    def make(**config: Any) -> ReferenceServer:
        key = _config_key(config)
        if key not in servers:
            # Servers of one seed copy its data, generated once per process (server/runner.py).
            servers[key] = ReferenceServer(**config).start()
        return servers[key]

    try:
        yield make
    finally:
        stop_all(list(servers.values()))


@pytest.fixture
def reference_server(make_reference_server: ServerFactory) -> ReferenceServer:
    """The default reference server (seed 0, 2000 records per API, no faults), with its seeded data restored."""
    server: ReferenceServer = make_reference_server()
    server.reset()
    return server
