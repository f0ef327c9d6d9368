"""BitGo partner connections on the correct reference server: paging, order, filters, errors, as the spec and
DECISIONS D-CONN-* say; and the generic ReferenceServer members the engine uses (serves, path_parameters)."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import pytest
import requests

from apiconform import contract
from apiconform.server import ReferenceServer
from tests.server.reference_client import Client, Record, ids

JSON_TYPE = "application/json; charset=utf-8"
TEMPLATE = "/api/network/v1/enterprises/{enterpriseId}/partners/connections"


@pytest.fixture
def client(reference_server: ReferenceServer) -> Client:
    return Client(reference_server)


@pytest.fixture(scope="module")
def everything(make_reference_server: Any) -> list[Record]:
    """Every connection in the server's order (one page of 500 holds them all)."""
    records = Client(make_reference_server()).connection_records({"pageSize": "500"})
    assert 15 <= len(records) < 500
    return records


def assert_error(response: requests.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == JSON_TYPE
    body = response.json()
    assert isinstance(body, dict) and isinstance(body["error"], str) and body["error"]


# --- the records ----------------------------------------------------------------------------------


def test_pages_validate_against_the_spec(client: Client, everything: list[Record]) -> None:
    loaded = contract.load("bitgo-connections")
    operation = loaded.operation()
    schema = loaded.resolve(operation["responses"]["200"])["content"]["application/json"]["schema"]
    loaded.schema_validator(schema).validate({"connections": everything})
    loaded.schema_validator(schema).validate(client.connection_list({"pageSize": "3"}).json())


def test_the_data_holds_what_the_checks_need(everything: list[Record]) -> None:
    assert len({r["partnerId"] for r in everything}) == 3
    per_client = Counter(r["clientId"] for r in everything)
    assert max(per_client.values()) >= 2 and len(per_client) >= 4
    assert {r["active"] for r in everything} == {True, False}
    created = Counter(r["createdAt"] for r in everything)
    assert max(created.values()) >= 2  # connections made in one request tie on createdAt
    assert len({r["id"] for r in everything}) == len(everything)
    assert all(r["updatedAt"] >= r["createdAt"] for r in everything)


def test_the_allocations_route_sees_the_same_connections(client: Client, everything: list[Record]) -> None:
    assert client.connections() == everything
    assert {r["connectionId"] for r in client.all_allocations()} <= {r["id"] for r in everything}


# --- paging and order -----------------------------------------------------------------------------


def test_default_order_is_created_at_then_id(everything: list[Record]) -> None:
    assert ids(everything) == ids(sorted(everything, key=lambda r: (r["createdAt"], r["id"])))


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7])
def test_pages_tile_the_order(client: Client, everything: list[Record], size: int) -> None:
    walked: list[Record] = []
    for number in range(len(everything) // size + 2):
        page = client.connection_records({"pageSize": str(size), "pageNumber": str(number)})
        assert len(page) <= size
        walked += page
    assert walked == everything


def test_omitted_page_number_is_page_zero_and_default_size_is_100(client: Client, everything: list[Record]) -> None:
    assert client.connection_records() == everything
    assert client.connection_records({"pageSize": "4"}) == client.connection_records(
        {"pageSize": "4", "pageNumber": "0"}
    )
    assert client.connection_records({"pageNumber": "1"}) == []


def test_past_the_end_is_empty(client: Client, everything: list[Record]) -> None:
    assert client.connection_records({"pageSize": "5", "pageNumber": str(len(everything) // 5 + 1)}) == []
    assert client.connection_records({"pageSize": "5", "pageNumber": "9" * 400}) == []
    assert client.connection_records({"pageSize": "100", "pageNumber": "1" + "0" * 20}) == []


def test_page_size_zero_is_empty_and_large_sizes_are_clamped(client: Client, everything: list[Record]) -> None:
    assert client.connection_records({"pageSize": "0"}) == []
    assert client.connection_records({"pageSize": "9" * 30}) == everything


def test_the_same_query_gives_the_same_order(client: Client) -> None:
    assert client.connection_list({"pageSize": "500"}).content == client.connection_list({"pageSize": "500"}).content


# --- filters --------------------------------------------------------------------------------------

FIELDS = {
    "connectionIds": "id",
    "clientIds": "clientId",
    "partnerIds": "partnerId",
    "partnersClientIds": "partnersClientId",
    "partnersConnectionIds": "partnersConnectionId",
}


@pytest.mark.parametrize("name", FIELDS)
def test_each_filter_returns_exactly_the_matching_connections(
    client: Client, everything: list[Record], name: str
) -> None:
    key = FIELDS[name]
    # A connection not yet initialized has null partner-side ids: no query value names null.
    for value in {record[key] for record in everything} - {None}:
        expected = [record for record in everything if record[key] == value]
        assert client.connection_records({name: value}) == expected


@pytest.mark.parametrize("name", FIELDS)
def test_a_comma_list_is_the_union_of_its_values(client: Client, everything: list[Record], name: str) -> None:
    key = FIELDS[name]
    values = sorted({record[key] for record in everything} - {None})[:2]
    union = [record for record in everything if record[key] in values]
    assert client.connection_records({name: ",".join(values)}) == union
    assert client.connection_records(f"{name}={values[0]}%2C{values[1]}") == union
    assert client.connection_records(f"{name}={values[0]}&{name}={values[1]}") == union


def test_connections_not_yet_initialized_have_null_partner_ids(everything: list[Record]) -> None:
    pending = [record for record in everything if record["initialized"] is False]
    assert pending, "the seeded connections include some the partner has not initialized"
    assert all(r["partnersConnectionId"] is None and r["partnersClientId"] is None for r in pending)
    assert all(r["partnersConnectionId"] and r["partnersClientId"] for r in everything if r["initialized"])


@pytest.mark.parametrize("value", ["true", "false"])
def test_active_selects_by_state(client: Client, everything: list[Record], value: str) -> None:
    expected = [record for record in everything if record["active"] is (value == "true")]
    assert expected and client.connection_records({"active": value}) == expected


def test_filters_on_several_parameters_intersect(client: Client, everything: list[Record]) -> None:
    partner = everything[0]["partnerId"]
    client_id = next(r["clientId"] for r in everything if r["partnerId"] != partner)
    both = client.connection_records({"partnerIds": partner, "clientIds": client_id})
    assert both == [r for r in everything if r["partnerId"] == partner and r["clientId"] == client_id]
    active = client.connection_records({"partnerIds": partner, "active": "true"})
    assert active == [r for r in everything if r["partnerId"] == partner and r["active"]]


@pytest.mark.parametrize(
    "query",
    [
        {"connectionIds": str(uuid.UUID(int=1))},
        {"clientIds": str(uuid.UUID(int=2))},
        {"partnerIds": str(uuid.UUID(int=3))},
        {"partnersClientIds": "nobody-client-0000"},
        {"partnersConnectionIds": str(uuid.UUID(int=4))},
        {"connectionIds": "not-a-uuid"},
        {"clientIds": "not-a-uuid"},
        {"partnerIds": "not-a-uuid"},
    ],
    ids=str,
)
def test_unknown_values_match_nothing(client: Client, query: dict[str, str]) -> None:
    assert client.connection_records(query) == []


@pytest.mark.parametrize("name", [*FIELDS, "active"])
def test_an_empty_value_is_ignored(client: Client, everything: list[Record], name: str) -> None:
    assert client.connection_records({name: ""}) == everything


# --- errors and access ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {"active": "maybe"},
        {"active": "TRUE"},
        {"active": "1"},
        "active=true&active=false",
        {"pageNumber": "two"},
        {"pageSize": "ten"},
        {"pageSize": "-1"},
        {"pageNumber": "1.5"},
        "partnersClientIds=a,,b",
        "partnersConnectionIds=a,",
        "pageSize=1&pageSize=2",
    ],
    ids=str,
)
def test_values_outside_the_schema_are_400(client: Client, query: Any) -> None:
    assert_error(client.connection_list(query), 400)


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_a_missing_or_wrong_token_is_401(client: Client, token: str | None) -> None:
    response = client.connection_list(token=token)
    assert_error(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_an_unknown_enterprise_is_404(client: Client) -> None:
    for enterprise in ("5f0c9a8b7e6d5c4b3a291807", "x", client.server.enterprise_id.upper()):
        assert_error(client.get(client.enterprise_url(enterprise) + "/partners/connections"), 404)
    # The token is checked first.
    assert_error(client.get(client.enterprise_url("x") + "/partners/connections", token=None), 401)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_other_methods_get_405_with_allow(client: Client, method: str) -> None:
    response = client.connection_list(method=method)
    assert_error(response, 405)
    assert response.headers["Allow"] == "GET"


def test_a_trailing_slash_and_a_sub_path_are_404(client: Client) -> None:
    assert_error(client.get(client.connections_url + "/"), 404)
    assert_error(client.get(client.connections_url + "/extra/segments"), 404)


# --- what the engine asks of the server -----------------------------------------------------------


def test_serves_names_the_routes_whatever_the_placeholder_names(reference_server: ReferenceServer) -> None:
    assert reference_server.serves(TEMPLATE)
    assert reference_server.serves("/api/network/v1/enterprises/{id}/partners/connections")
    assert reference_server.serves("/api/network/v1/enterprises/{enterpriseId}/partners/allocations")
    assert reference_server.serves("/brm/prepayBalanceManagement/v4/adjustBalance")
    assert not reference_server.serves("/api/network/v1/enterprises/{enterpriseId}/partners/balances")
    assert not reference_server.serves("/api/network/v1/enterprises/{enterpriseId}/partners/connections/{id}")
    assert not reference_server.serves("/api/network/v1/enterprises/x/partners/connections")


def test_serves_every_list_operation_of_every_spec(reference_server: ReferenceServer) -> None:
    for api in contract.api_names():
        loaded = contract.load(api)
        assert reference_server.serves(loaded.server_path + loaded.list_path), api
        assert reference_server.api_base_url(api).endswith(loaded.server_path), api


def test_path_parameters_give_a_served_path(client: Client, reference_server: ReferenceServer) -> None:
    values = reference_server.path_parameters
    assert values == {"enterpriseId": reference_server.enterprise_id}
    url = reference_server.api_base_url("bitgo-connections") + "/enterprises/{enterpriseId}/partners/connections"
    assert client.get(url.format(**values)).status_code == 200


def test_small_pages_clamp_the_connections_route_to_50(make_reference_server: Any) -> None:
    ok = Client(make_reference_server(records=10_000))
    var = Client(make_reference_server(records=10_000, variants=["small-pages"]))
    everything = ok.connection_records({"pageSize": "500"})
    assert len(everything) > 60 and len(ok.connection_records()) == len(everything)  # default 100
    assert var.connection_records() == everything[:50]
    # The page holds the clamped 50; the skip is pageSize * pageNumber as asked (60).
    assert var.connection_records({"pageSize": "60", "pageNumber": "1"}) == everything[60:110]
