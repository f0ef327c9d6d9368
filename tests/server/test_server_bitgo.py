"""BitGo partner allocations on the correct reference server: paging, order, filters, as the spec and DECISIONS say."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from apiconform.server import ReferenceServer
from tests.server.reference_client import Client

Record = dict[str, Any]


@pytest.fixture
def client(reference_server: ReferenceServer) -> Client:
    return Client(reference_server)


@pytest.fixture(scope="module")
def everything(make_reference_server: Any) -> list[Record]:
    """All records in the default order."""
    return Client(make_reference_server()).all_allocations()


def ids(records: list[Record]) -> list[str]:
    return [record["id"] for record in records]


def expected_order(records: list[Record], key: Callable[[Record], Any] | None, descending: bool) -> list[str]:
    """The order the spec defines: the key in its direction, ties by createdAt ascending then id ascending."""
    ordered = sorted(records, key=lambda r: (r["createdAt"], r["id"]))
    if key is not None:
        ordered.sort(key=key, reverse=descending)  # a stable sort keeps the tiebreak order among equal keys
    return ids(ordered)


SORT_KEYS: dict[str, Callable[[Record], Any]] = {
    "id": lambda r: r["id"],
    "updatedAt": lambda r: r["updatedAt"],  # one format in UTC, so text order is time order
    "quantity": lambda r: Decimal(r["amount"]["quantity"]),
}

# --- paging -------------------------------------------------------------------------------------------


def test_default_order_is_created_at_then_id(everything: list[Record]) -> None:
    assert ids(everything) == expected_order(everything, None, False)


def test_omitted_page_number_is_page_zero_and_default_size_is_25(client: Client, everything: list[Record]) -> None:
    first = client.allocation_records()
    assert ids(first) == ids(everything[:25])
    assert client.allocation_records({"pageNumber": "0"}) == first
    assert ids(client.allocation_records({"pageNumber": "3"})) == ids(everything[75:100])


@pytest.mark.parametrize("size", [1, 7, 10, 25])
def test_pages_tile_the_order(client: Client, everything: list[Record], size: int) -> None:
    walked: list[Record] = []
    for number in range(120 // size + 1):
        walked += client.allocation_records({"pageSize": str(size), "pageNumber": str(number)})
    assert ids(walked) == ids(everything[: len(walked)])
    assert len(walked) >= 120


def test_past_the_end_is_empty_and_the_last_page_is_short(client: Client, everything: list[Record]) -> None:
    last = client.allocation_records({"pageSize": "300", "pageNumber": "6"})
    assert ids(last) == ids(everything[1800:])
    assert client.allocation_records({"pageSize": "300", "pageNumber": "7"}) == []
    assert client.allocation_records({"pageSize": "5", "pageNumber": "9" * 400}) == []


def test_page_size_is_clamped_to_500_and_pages_skip_the_size_asked_for(
    client: Client, everything: list[Record]
) -> None:
    # BitGo: "the API will skip pageSize * pageNumber records", in the pageSize given, whatever the clamp.
    assert ids(client.allocation_records({"pageSize": "100000"})) == ids(everything[:500])
    assert ids(client.allocation_records({"pageSize": "600", "pageNumber": "1"})) == ids(everything[600:1100])
    assert client.allocation_records({"pageSize": "9" * 30, "pageNumber": "1"}) == []


def test_page_size_zero_is_an_empty_page(client: Client) -> None:
    assert client.allocation_records({"pageSize": "0"}) == []
    assert client.allocation_records({"pageSize": "000", "pageNumber": "2"}) == []


def test_page_values_with_leading_zeros_are_numbers(client: Client, everything: list[Record]) -> None:
    assert ids(client.allocation_records({"pageSize": "010", "pageNumber": "02"})) == ids(everything[20:30])


# --- order --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", SORT_KEYS)
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
def test_sort_field_and_direction_with_the_ascending_tiebreak(
    client: Client, everything: list[Record], field: str, direction: str
) -> None:
    records = client.all_allocations({"sortField": field, "sortDirection": direction})
    assert ids(records) == expected_order(everything, SORT_KEYS[field], direction == "DESC")


def test_sort_direction_defaults_to_ascending(client: Client) -> None:
    query = {"sortField": "quantity", "pageSize": "200"}
    assert client.allocation_records(query) == client.allocation_records({**query, "sortDirection": "ASC"})


def test_sort_direction_without_sort_field_keeps_the_default_order(client: Client, everything: list[Record]) -> None:
    assert ids(client.allocation_records({"sortDirection": "DESC", "pageSize": "50"})) == ids(everything[:50])


def test_quantities_past_two_to_the_64_sort_as_numbers(client: Client) -> None:
    records = client.all_allocations({"sortField": "quantity", "sortDirection": "DESC"})
    quantities = [Decimal(r["amount"]["quantity"]) for r in records]
    assert quantities == sorted(quantities, reverse=True)
    assert len(records[0]["amount"]["quantity"]) == 30
    texts = [r["amount"]["quantity"] for r in records]
    assert texts != sorted(texts, reverse=True)  # text order would differ: the check above is not vacuous


def test_tiebreak_stays_ascending_under_desc(client: Client) -> None:
    records = client.all_allocations({"sortField": "updatedAt", "sortDirection": "DESC"})
    tied_pairs = [(a, b) for a, b in zip(records, records[1:], strict=False) if a["updatedAt"] == b["updatedAt"]]
    assert len(tied_pairs) > 100
    assert all((a["createdAt"], a["id"]) < (b["createdAt"], b["id"]) for a, b in tied_pairs)
    assert any(a["createdAt"] < b["createdAt"] for a, b in tied_pairs)


def test_the_same_query_gives_the_same_order(client: Client) -> None:
    query = {"sortField": "quantity", "pageSize": "500", "pageNumber": "1"}
    assert client.allocations(query).content == client.allocations(query).content


# --- filters ------------------------------------------------------------------------------------------


FIELD_FILTERS: dict[str, Callable[[Record], str]] = {
    "types": lambda r: r["type"],
    "statuses": lambda r: r["status"],
    "currencies": lambda r: r["amount"]["currency"],
    "connectionIds": lambda r: r["connectionId"],
    "allocationIds": lambda r: r["id"],
}


@pytest.mark.parametrize("name", FIELD_FILTERS)
def test_each_filter_returns_exactly_the_matching_records(client: Client, everything: list[Record], name: str) -> None:
    value_of = FIELD_FILTERS[name]
    value = value_of(everything[123])
    expected = [record for record in everything if value_of(record) == value]
    assert ids(client.all_allocations({name: value})) == ids(expected)


@pytest.mark.parametrize("name", FIELD_FILTERS)
def test_a_comma_list_is_the_union_of_its_values(client: Client, everything: list[Record], name: str) -> None:
    value_of = FIELD_FILTERS[name]
    values = sorted({value_of(record) for record in everything[:40]})[:3]
    assert len(values) >= 2
    union = client.all_allocations({name: ",".join(values)})
    assert ids(union) == ids([record for record in everything if value_of(record) in values])


def test_repeated_keys_add_values(client: Client, everything: list[Record]) -> None:
    both = client.allocation_records("types=allocation&types=deallocation&pageSize=500")
    assert ids(both) == ids(everything[:500])
    assert client.allocation_records("types=allocation,deallocation&pageSize=500") == both


def test_list_delimiters_may_be_literal_or_encoded_commas(client: Client, everything: list[Record]) -> None:
    both = client.allocation_records("types=allocation%2Cdeallocation&pageSize=30")
    assert ids(both) == ids(everything[:30])
    # A comma inside an item is allowed by the schema (`currencies=%2C` is the one item ","): it matches nothing.
    assert client.allocation_records("currencies=%2C") == []


def test_filters_on_several_parameters_intersect(client: Client, everything: list[Record]) -> None:
    query = {"statuses": "released,reserved", "types": "deallocation", "currencies": "BTC,ofcbtc,btc"}
    expected = [
        r
        for r in everything
        if r["status"] in ("released", "reserved")
        and r["type"] == "deallocation"
        and r["amount"]["currency"] in ("BTC", "ofcbtc", "btc")
    ]
    assert expected
    assert ids(client.all_allocations(query)) == ids(expected)


@pytest.mark.parametrize("name, key", [("partnerIds", "partnerId"), ("clientIds", "clientId")])
def test_partner_and_client_filters_go_through_the_connection(
    client: Client, everything: list[Record], name: str, key: str
) -> None:
    connections = client.connections()
    owner = connections[1][key]
    own = {connection["id"] for connection in connections if connection[key] == owner}
    expected = [record for record in everything if record["connectionId"] in own]
    assert expected
    assert ids(client.all_allocations({name: owner})) == ids(expected)


def test_filters_combine_with_sorting_and_paging(client: Client, everything: list[Record]) -> None:
    matching = [r for r in everything if r["status"] == "cleared"]
    expected = expected_order(matching, SORT_KEYS["quantity"], True)
    query = {"statuses": "cleared", "sortField": "quantity", "sortDirection": "DESC", "pageSize": "50"}
    page_two = client.allocation_records({**query, "pageNumber": "2"})
    assert ids(page_two) == expected[100:150]


@pytest.mark.parametrize(
    "query",
    [
        {"allocationIds": str(uuid.UUID(int=1))},
        {"connectionIds": str(uuid.UUID(int=2))},
        {"partnerIds": str(uuid.UUID(int=3))},
        {"clientIds": str(uuid.UUID(int=4))},
        {"currencies": "DOGE"},
        {"allocationIds": "not-a-uuid"},
        {"connectionIds": "not-a-uuid"},
        {"currencies": "OFCBTC"},
    ],
)
def test_unknown_values_match_nothing(client: Client, query: dict[str, str]) -> None:
    assert client.allocation_records(query) == []


@pytest.mark.parametrize("name", ["types", "statuses", "currencies", "allocationIds", "partnerIds", "sortField"])
def test_an_empty_value_is_ignored(client: Client, everything: list[Record], name: str) -> None:
    assert ids(client.allocation_records({name: "", "pageSize": "40"})) == ids(everything[:40])


def test_id_lists_with_empty_items_still_match_their_ids(client: Client, everything: list[Record]) -> None:
    wanted = everything[5]["id"]
    assert ids(client.allocation_records({"allocationIds": f",{wanted},"})) == [wanted]


def test_many_ids_in_one_list(client: Client, everything: list[Record]) -> None:
    wanted = ids(everything[::2])
    records = client.all_allocations({"allocationIds": ",".join(wanted + [str(uuid.uuid4()) for _ in range(3000)])})
    assert ids(records) == wanted


def test_the_connections_route_pages_like_the_list(client: Client) -> None:
    everyone = client.connections()
    first = client.get(client.connections_url, {"pageSize": "3", "pageNumber": "1"}).json()["connections"]
    assert first == everyone[3:6]
    assert client.get(client.connections_url).json()["connections"] == everyone  # default page size 100
