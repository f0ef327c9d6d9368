"""A small HTTP client for the reference server's tests: every API, with or without the token."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import requests

from apiconform.server import ReferenceServer

Query = Mapping[str, str] | str | None


class Client:
    """Requests to one reference server, authorised with its token unless asked otherwise."""

    def __init__(self, server: ReferenceServer) -> None:
        self.server = server
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {server.token}"

    @property
    def allocations_url(self) -> str:
        return self.enterprise_url(self.server.enterprise_id) + "/partners/allocations"

    def enterprise_url(self, enterprise_id: str) -> str:
        return f"{self.server.api_base_url('bitgo-oes')}/enterprises/{enterprise_id}"

    @property
    def connections_url(self) -> str:
        return self.enterprise_url(self.server.enterprise_id) + "/partners/connections"

    @property
    def adjustments_url(self) -> str:
        return self.server.api_base_url("brm-adjust-balance") + "/adjustBalance"

    def get(self, url: str, query: Query = None, *, token: str | None = "", method: str = "GET") -> requests.Response:
        """A request; a str query is sent as written (already encoded); token "" = the server's, None = no token."""
        headers: dict[str, str | None] = {}
        if token is None:
            headers["Authorization"] = None  # requests drops a session header set to None
        elif token:
            headers["Authorization"] = f"Bearer {token}"
        if isinstance(query, str):
            url = f"{url}?{query}"
            query = None
        return self.session.request(method, url, params=query, headers=headers, timeout=30)

    # --- BitGo ----------------------------------------------------------------------------------

    def allocations(self, query: Query = None, **kwargs: Any) -> requests.Response:
        return self.get(self.allocations_url, query, **kwargs)

    def allocation_records(self, query: Query = None) -> list[dict[str, Any]]:
        response = self.allocations(query)
        assert response.status_code == 200, response.text
        records: list[dict[str, Any]] = response.json()["allocations"]
        return records

    def all_allocations(self, query: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        """Every record the query matches, in order, read in pages of 500."""
        records: list[dict[str, Any]] = []
        for page_number in range(10_000):
            page = self.allocation_records({**(query or {}), "pageSize": "500", "pageNumber": str(page_number)})
            records.extend(page)
            if len(page) < 500:
                return records
        raise AssertionError("too many pages")

    def connections(self) -> list[dict[str, Any]]:
        response = self.get(self.connections_url, {"pageSize": "500"})
        assert response.status_code == 200, response.text
        connections: list[dict[str, Any]] = response.json()["connections"]
        return connections

    def connection_list(self, query: Query = None, **kwargs: Any) -> requests.Response:
        """A request to the connections route (the bitgo-connections API)."""
        return self.get(self.connections_url, query, **kwargs)

    def connection_records(self, query: Query = None) -> list[dict[str, Any]]:
        response = self.connection_list(query)
        assert response.status_code == 200, response.text
        records: list[dict[str, Any]] = response.json()["connections"]
        return records

    # --- BRM ------------------------------------------------------------------------------------

    def adjustments(self, query: Query = None, **kwargs: Any) -> requests.Response:
        return self.get(self.adjustments_url, query, **kwargs)

    def adjustment_records(self, query: Query = None) -> list[dict[str, Any]]:
        response = self.adjustments(query)
        assert response.status_code == 200, response.text
        records: list[dict[str, Any]] = response.json()
        return records

    def all_adjustments(self, query: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        """Every adjustment the query matches, in order, read in windows of 1000."""
        records: list[dict[str, Any]] = []
        while True:
            page = self.adjustment_records({**(query or {}), "limit": "1000", "offset": str(len(records))})
            records.extend(page)
            if len(page) < 1000:
                return records


Record = dict[str, Any]
Probe = Callable[[Client, Client], None]


class Probes(dict[str, Probe]):
    """Probes by the name of what they show (a fault, a variant): `@probes.register(name)` adds one."""

    def register(self, name: str) -> Callable[[Probe], Probe]:
        def add(function: Probe) -> Probe:
            assert name not in self, name
            self[name] = function
            return function

        return add


def ids(records: list[Record]) -> list[str]:
    return [record["id"] for record in records]


def page(client: Client, query: Any = None) -> list[Record]:
    return client.allocation_records(query)


def connections(client: Client, query: Any = None) -> list[Record]:
    """The connections a query returns (one page)."""
    return client.connection_records(query)


def adjustments(client: Client, query: Any = None, **kwargs: Any) -> list[Record]:
    """The adjustments a query returns, with hrefs relative to the server (each server has its own address)."""
    response = client.adjustments(query, **kwargs)
    assert response.status_code == 200, response.text
    records: list[Record] = json.loads(response.text.replace(client.server.base_url, ""))
    return records
