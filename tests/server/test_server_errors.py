"""Auth, refusals and error envelopes like the vendors', the contracts' invalid and tolerated inputs, and no 5xx."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests

from apiconform import contract
from apiconform.engine.model.exchange import encode_query
from apiconform.server import ReferenceServer
from tests.server.reference_client import Client

BITGO_TYPE = "application/json; charset=utf-8"
BRM_TYPE = "application/json;charset=utf-8"


@pytest.fixture
def client(reference_server: ReferenceServer) -> Client:
    return Client(reference_server)


def assert_bitgo_error(response: requests.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == BITGO_TYPE
    body = response.json()
    assert isinstance(body, dict) and isinstance(body["error"], str) and body["error"]


def assert_brm_error(response: requests.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == BRM_TYPE
    body = response.json()
    assert isinstance(body["code"], str) and isinstance(body["reason"], str) and body["status"] == str(status)
    contract.load("brm-adjust-balance").schema_validator({"$ref": "#/components/schemas/Error"}).validate(body)


# --- auth ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_a_missing_or_wrong_token_is_refused_with_401(client: Client, token: str | None) -> None:
    bitgo = client.allocations(token=token)
    assert_bitgo_error(bitgo, 401)
    assert bitgo.headers["WWW-Authenticate"] == "Bearer"
    assert_brm_error(client.adjustments(token=token), 401)
    assert_bitgo_error(client.get(client.connections_url, token=token), 401)


def test_the_token_must_come_as_a_bearer_credential(client: Client) -> None:
    basic = requests.get(client.allocations_url, headers={"Authorization": f"Basic {client.server.token}"}, timeout=10)
    assert_bitgo_error(basic, 401)
    lower = requests.get(client.adjustments_url, headers={"Authorization": f"bearer {client.server.token}"}, timeout=10)
    assert lower.status_code == 200


def test_brm_auth_can_be_switched_off(make_reference_server: Any) -> None:
    client = Client(make_reference_server(brm_auth=False))
    assert client.adjustments(token=None).status_code == 200
    assert client.adjustments(token="anything").status_code == 200
    assert_bitgo_error(client.allocations(token=None), 401)


def test_an_unknown_enterprise_is_refused_with_404(client: Client) -> None:
    for enterprise in ("5f0c9a8b7e6d5c4b3a291807", "x", client.server.enterprise_id.upper()):
        url = client.enterprise_url(enterprise) + "/partners/allocations"
        assert_bitgo_error(client.get(url), 404)
    assert_bitgo_error(client.get(client.enterprise_url("x") + "/partners/connections"), 404)


# --- methods and paths --------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_other_methods_get_405_with_allow(client: Client, method: str) -> None:
    bitgo = client.allocations(method=method)
    assert_bitgo_error(bitgo, 405)
    assert bitgo.headers["Allow"] == "GET"
    brm = client.adjustments(method=method)
    assert_brm_error(brm, 405)
    assert brm.headers["Allow"] == "GET"


def test_head_is_get_without_a_body(client: Client) -> None:
    response = client.adjustments(method="HEAD")
    assert response.status_code == 200 and response.content == b""
    assert int(response.headers["X-Total-Count"]) > 0


@pytest.mark.parametrize(
    "path",
    ["/", "/api/network/v1/enterprises", "/brm/prepayBalanceManagement/v4/adjustBalance/", "/brm/other", "/%ff"],
)
def test_unknown_paths_are_404_in_the_prefixs_envelope(client: Client, path: str) -> None:
    response = client.get(client.server.base_url + path)
    if path.startswith("/brm/"):
        assert_brm_error(response, 404)
    else:
        assert_bitgo_error(response, 404)


def test_a_trailing_slash_is_not_redirected(client: Client) -> None:
    response = client.get(client.allocations_url + "/", token="")
    assert response.history == []
    assert_bitgo_error(response, 404)


# --- invalid and tolerated inputs, from the contracts -------------------------------------------------


def _url(client: Client, api: str) -> str:
    urls = {
        "bitgo-oes": client.allocations_url,
        "bitgo-connections": client.connections_url,
        "brm-adjust-balance": client.adjustments_url,
    }
    return urls[api]


def _records(api: str, body: Any) -> Any:
    pointer = contract.load(api).semantics.records_pointer
    return body[pointer.strip("/")] if pointer else body


def _invalid_cases() -> list[tuple[str, dict[str, str]]]:
    return [
        (api, dict(item.query)) for api in contract.api_names() for item in contract.load(api).semantics.invalid_inputs
    ]


@pytest.mark.parametrize("api, query", _invalid_cases(), ids=lambda value: str(value))
def test_the_contracts_invalid_inputs_are_rejected_with_400(client: Client, api: str, query: dict[str, str]) -> None:
    # Written as the engine writes it: literal commas (`currencies=a,,b` holds an empty item; `a%2C%2Cb` not).
    response = client.get(_url(client, api), encode_query(query))
    if api.startswith("bitgo-"):
        assert_bitgo_error(response, 400)
    else:
        assert_brm_error(response, 400)


def _tolerated_cases() -> list[tuple[str, dict[str, str], tuple[str, ...]]]:
    return [
        (api, dict(item.query), item.accept)
        for api in contract.api_names()
        for item in contract.load(api).semantics.tolerated_inputs
    ]


@pytest.mark.parametrize("api, query, accept", _tolerated_cases(), ids=lambda value: str(value))
def test_the_contracts_tolerated_inputs_get_an_accepted_answer(
    client: Client, api: str, query: dict[str, str], accept: tuple[str, ...]
) -> None:
    url = _url(client, api)
    response = client.get(url, query)
    if response.status_code == 400:
        assert "rejected" in accept, response.text
        return
    assert response.status_code == 200, response.text
    body = response.json()
    records = _records(api, body)
    if records == [] and "empty" in accept:
        pass
    elif "answered" not in accept:
        assert "ignored" in accept
        assert response.content == client.get(url).content
    if api == "brm-adjust-balance":
        assert int(response.headers["X-Result-Count"]) == len(records)


@pytest.mark.parametrize(
    "query",
    [
        {"types": "allocation,"},
        {"statuses": "Cleared"},
        "currencies=ofcbtc,,BTC",
        "types=%2C",
        {"sortField": "quantity ", "pageSize": "1"},
        {"sortDirection": "desc"},
        {"pageSize": "+5"},
        {"pageNumber": "1e3"},
        {"pageSize": "٣"},
        "pageNumber=1&pageNumber=2",
        "sortField=id&sortField=quantity",
    ],
    ids=str,
)
def test_other_bitgo_values_outside_the_schema_are_400(client: Client, query: Any) -> None:
    assert_bitgo_error(client.allocations(query), 400)


@pytest.mark.parametrize(
    "query",
    [
        {"limit": "1.0"},
        {"limit": "true"},
        {"offset": " 1"},
        {"@type": "adjustbalance"},
        {"requestedDate.gt": "2020-01-01T12:00:27.000Z\n"},
        {"requestedDate.lt": "2020-02-30T00:00:00Z"},
        {"requestedDate": "2020-01-01T12:00:60+05:30"},
        "limit=1&limit=2",
        "status=created&status=completed",
    ],
    ids=str,
)
def test_other_brm_values_outside_the_schema_are_400(client: Client, query: Any) -> None:
    assert_brm_error(client.adjustments(query), 400)


# --- never a server error ------------------------------------------------------------------------------

NASTY_QUERIES = [
    "pageSize=" + "9" * 5000,
    "pageNumber=" + "9" * 5000 + "&pageSize=" + "9" * 5000,
    "limit=" + "9" * 5000 + "&offset=" + "9" * 5000,
    "allocationIds=" + ",".join(str(uuid.UUID(int=i)) for i in range(2000)),
    "currencies=%00&statuses=%ff%fe&types=%zz",
    "requestedDate=%F0%9F%92%A5&id=%ED%A0%80",
    "fields=" + ",".join(["amount"] * 3000),
    "partyAccount.id=" + "%2B" * 2000,
    "sortField=%27%3B%20DROP%20TABLE%20allocations%3B--",
    "=&&&=x&%=%&a[]=1&b[x]=2",
    "@type=" + "A" * 10000,
]


@pytest.mark.parametrize("query", NASTY_QUERIES, ids=lambda q: q[:40])
def test_no_query_string_gets_a_server_error(client: Client, query: str) -> None:
    for url in (client.allocations_url, client.adjustments_url, client.connections_url):
        response = client.get(url, query)
        assert response.status_code < 500, (url, response.text[:300])
        assert response.headers["Content-Type"] in (BITGO_TYPE, BRM_TYPE)
        assert isinstance(response.json(), list | dict)
