"""Fixtures shared by the engine tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.engine.scripted import Scripted


@pytest.fixture
def scripted() -> Iterator[Any]:
    servers: list[Scripted] = []

    def make(answer: Any) -> Scripted:
        servers.append(Scripted(answer))
        return servers[-1]

    yield make
    for server in servers:
        server.close()
