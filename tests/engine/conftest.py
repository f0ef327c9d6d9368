"""Fixtures shared by the engine tests."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from tests.engine.scripted import Scripted
from tests.engine.typed_server import TypedServer


@pytest.fixture
def scripted() -> Iterator[Any]:
    servers: list[Scripted] = []

    def make(answer: Any) -> Scripted:
        servers.append(Scripted(answer))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


@pytest.fixture
def make_typed_server() -> Iterator[Callable[..., TypedServer]]:
    """`make_typed_server(faults=["id-as-text-prefix"])` -> a started typed-list server on a free loopback
    port (tests/engine/typed_server.py; its contract is typed_server.SPEC); all stop after the test."""
    with ExitStack() as stack:

        def make(faults: Iterable[str] = ()) -> TypedServer:
            return stack.enter_context(TypedServer(faults))

        yield make


@pytest.fixture
def typed_server(make_typed_server: Callable[..., TypedServer]) -> str:
    """The base URL (`--base-url`) of a correct typed-list server."""
    return make_typed_server().base_url
