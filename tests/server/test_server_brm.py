"""BRM adjustBalance on the correct reference server: paging, counts, filters, fields and @type."""

from __future__ import annotations

import urllib.parse
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from apiconform.server import ReferenceServer
from tests.server.reference_client import Client

Record = dict[str, Any]


@pytest.fixture
def client(reference_server: ReferenceServer) -> Client:
    return Client(reference_server)


@pytest.fixture(scope="module")
def monetary(make_reference_server: Any) -> list[Record]:
    return Client(make_reference_server()).all_adjustments({"usageType": "monetary"})


@pytest.fixture(scope="module")
def everything(make_reference_server: Any) -> list[Record]:
    client = Client(make_reference_server())
    return client.all_adjustments({"usageType": "monetary"}) + client.all_adjustments({"usageType": "other"})


def ids(records: list[Record]) -> list[str]:
    return [record["id"] for record in records]


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def newest_first(records: list[Record]) -> list[str]:
    return ids(sorted(records, key=lambda r: (instant(r["requestedDate"]), r["id"]), reverse=True))


def counts(response: Any) -> tuple[int, int]:
    return int(response.headers["X-Result-Count"]), int(response.headers["X-Total-Count"])


# --- order, paging and counts -------------------------------------------------------------------------


def test_order_is_newest_first_then_id(monetary: list[Record]) -> None:
    assert ids(monetary) == newest_first(monetary)


def test_without_usage_type_only_monetary_adjustments(client: Client, monetary: list[Record]) -> None:
    records = client.all_adjustments()
    assert ids(records) == ids(monetary)
    assert {record["usageType"] for record in records} == {"MONETARY"}


@pytest.mark.parametrize("value, usage", [("monetary", "MONETARY"), ("MONETARY", "MONETARY"), ("Other", "OTHER")])
def test_usage_type_is_case_insensitive(client: Client, everything: list[Record], value: str, usage: str) -> None:
    records = client.all_adjustments({"usageType": value})
    assert ids(records) == ids([r for r in everything if r["usageType"] == usage])


def test_default_limit_is_25_and_offsets_tile(client: Client, monetary: list[Record]) -> None:
    assert ids(client.adjustment_records()) == ids(monetary[:25])
    walked: list[Record] = []
    for offset in range(0, 100, 9):
        walked += client.adjustment_records({"offset": str(offset), "limit": "9"})
    assert ids(walked) == ids(monetary[: len(walked)])


def test_counts_on_every_page(client: Client, monetary: list[Record]) -> None:
    for query in ({}, {"offset": "30", "limit": "7"}, {"offset": str(len(monetary) - 3)}, {"offset": "99999"}):
        response = client.adjustments(query)
        body = response.json()
        assert counts(response) == (len(body), len(monetary)), query


def test_limit_zero_is_empty_with_the_total(client: Client, monetary: list[Record]) -> None:
    response = client.adjustments({"limit": "0"})
    assert response.status_code == 200 and response.json() == []
    assert counts(response) == (0, len(monetary))


def test_a_large_limit_is_clamped_to_1000_and_never_exceeded(client: Client, monetary: list[Record]) -> None:
    assert ids(client.adjustment_records({"limit": "5000"})) == ids(monetary[:1000])
    assert len(client.adjustment_records({"limit": "9" * 50})) == 1000
    assert client.adjustment_records({"offset": "9" * 50}) == []


def test_the_same_query_gives_the_same_bytes(client: Client) -> None:
    query = {"limit": "300", "offset": "100", "usageType": "other"}
    assert client.adjustments(query).content == client.adjustments(query).content


# --- filters ------------------------------------------------------------------------------------------


def test_status_is_case_insensitive(client: Client, monetary: list[Record]) -> None:
    completed = [r for r in monetary if r["status"] == "COMPLETED"]
    created = [r for r in monetary if r["status"] == "CREATED"]
    assert completed and created
    assert ids(client.all_adjustments({"status": "completed"})) == ids(completed)
    assert ids(client.all_adjustments({"status": "COMPLETED"})) == ids(completed)
    assert ids(client.all_adjustments({"status": "Created"})) == ids(created)
    assert client.all_adjustments({"status": "completed", "usageType": "other"}) == []
    assert client.all_adjustments({"status": "failed"}) == []


def test_id_with_plus_found_when_percent_encoded(client: Client, everything: list[Record]) -> None:
    wanted = everything[-1]  # non-monetary: found once usageType allows it
    encoded = urllib.parse.quote(wanted["id"], safe="")
    assert "%2B" in encoded
    assert client.adjustment_records(f"id={encoded}&usageType=other") == [wanted]
    # A raw '+' is a space under form encoding: no such id.
    assert client.adjustment_records(f"id={wanted['id']}&usageType=other") == []


def test_id_filter_matches_the_adjustment_number(client: Client, monetary: list[Record]) -> None:
    wanted = monetary[10]
    number = "ADJ-" + wanted["id"].rsplit("+", 1)[1]
    assert ids(client.adjustment_records({"id": number})) == [wanted["id"]]
    extended = client.adjustment_records({"id": wanted["id"], "@type": "AdjustBalanceOracle"})
    assert extended[0]["adjustmentNo"] == number


def test_party_account_by_id_or_account_number(client: Client, everything: list[Record]) -> None:
    by_account: dict[str, list[Record]] = defaultdict(list)
    for record in everything:
        by_account[record["partyAccount"]["id"]].append(record)
    account, records = max(by_account.items(), key=lambda item: len(item[1]))
    expected = newest_first([r for r in records if r["usageType"] == "MONETARY"])
    assert ids(client.all_adjustments({"partyAccount.id": account})) == expected
    number = account.replace("+-account+", "-")
    assert ids(client.all_adjustments({"partyAccount.id": number})) == expected
    assert client.all_adjustments({"partyAccount.id": account.replace("+", " ")}) == []


def test_filters_intersect(client: Client, monetary: list[Record]) -> None:
    account = monetary[0]["partyAccount"]["id"]
    expected = [r for r in monetary if r["partyAccount"]["id"] == account and r["status"] == "COMPLETED"]
    query = {"partyAccount.id": account, "status": "completed", "requestedDate.lte": monetary[0]["requestedDate"]}
    assert ids(client.all_adjustments(query)) == ids(expected)


def _tie_written_in_several_offsets(records: list[Record]) -> list[Record]:
    by_instant: dict[datetime, list[Record]] = defaultdict(list)
    for record in records:
        by_instant[instant(record["requestedDate"])].append(record)
    return max(by_instant.values(), key=lambda tied: (len({r["requestedDate"] for r in tied}), len(tied)))


def test_requested_date_equality_is_on_the_instant_in_any_offset(client: Client, monetary: list[Record]) -> None:
    tied = _tie_written_in_several_offsets(monetary)
    assert len({r["requestedDate"] for r in tied}) >= 2
    expected = newest_first(tied)
    moment = instant(tied[0]["requestedDate"])
    renderings = {r["requestedDate"] for r in tied} | {
        moment.astimezone(datetime.now().astimezone().tzinfo).isoformat(),
        moment.astimezone(UTC).strftime("%Y-%m-%dt%H:%M:%S.000z"),
    }
    for text in renderings:
        assert ids(client.all_adjustments({"requestedDate": text})) == expected, text
    with_fraction = moment.strftime("%Y-%m-%dT%H:%M:%S.5Z")
    assert client.all_adjustments({"requestedDate": with_fraction}) == []


@pytest.mark.parametrize(
    "operator, keep",
    [
        ("gt", lambda t, b: t > b),
        ("gte", lambda t, b: t >= b),
        ("lt", lambda t, b: t < b),
        ("lte", lambda t, b: t <= b),
    ],
)
@pytest.mark.parametrize("fraction", [False, True])
def test_requested_date_operators_compare_instants(
    client: Client, monetary: list[Record], operator: str, keep: Any, fraction: bool
) -> None:
    tied = _tie_written_in_several_offsets(monetary)
    bound = instant(tied[0]["requestedDate"]) + (timedelta(milliseconds=250) if fraction else timedelta())
    text = tied[-1]["requestedDate"] if not fraction else bound.isoformat()
    expected = [r for r in monetary if keep(instant(r["requestedDate"]), bound)]
    assert expected and len(expected) < len(monetary)
    assert ids(client.all_adjustments({f"requestedDate.{operator}": text})) == ids(expected)


def test_a_date_range(client: Client, monetary: list[Record]) -> None:
    low, high = monetary[300]["requestedDate"], monetary[100]["requestedDate"]
    expected = [r for r in monetary if instant(low) <= instant(r["requestedDate"]) < instant(high)]
    query = {"requestedDate.gte": low, "requestedDate.lt": high}
    assert ids(client.all_adjustments(query)) == ids(expected)


def test_a_leap_second_is_a_valid_bound(client: Client) -> None:
    assert client.adjustments({"requestedDate.gt": "2016-12-31T23:59:60Z", "limit": "1"}).status_code == 200


@pytest.mark.parametrize("name", ["status", "partyAccount.id", "id", "usageType", "fields", "@type", "requestedDate"])
def test_an_empty_value_is_ignored(client: Client, monetary: list[Record], name: str) -> None:
    response = client.adjustments({name: "", "limit": "30"})
    assert ids(response.json()) == ids(monetary[:30])
    assert counts(response) == (30, len(monetary))


# --- representation -----------------------------------------------------------------------------------


def test_fields_keeps_the_listed_attributes_and_identifiers(client: Client, monetary: list[Record]) -> None:
    projected = client.adjustment_records({"fields": "description,amount,noSuchField", "limit": "50"})
    for full, record in zip(monetary, projected, strict=False):
        assert list(record) == ["id", "href", "description", "amount", "@baseType", "@schemaLocation", "@type"]
        assert {key: full[key] for key in record} == record
    assert len(projected) == 50


def test_fields_with_extension_attributes(client: Client) -> None:
    query = {"fields": "adjustmentNo,actionType", "@type": "AdjustBalanceOracle", "limit": "5"}
    for record in client.adjustment_records(query):
        assert set(record) == {"id", "href", "adjustmentNo", "actionType", "@baseType", "@schemaLocation", "@type"}
    base = client.adjustment_records({"fields": "adjustmentNo", "limit": "5"})
    assert all("adjustmentNo" not in record for record in base)


def test_oracle_type_returns_the_same_adjustments_extended(client: Client, monetary: list[Record]) -> None:
    extended = client.all_adjustments({"@type": "AdjustBalanceOracle"})
    assert ids(extended) == ids(monetary)
    for base, record in zip(monetary, extended, strict=True):
        assert record["@type"] == "AdjustBalanceOracle" and record["@baseType"] == "AdjustBalance"
        assert {"actionType", "adjustmentNo", "bieId", "billingCycleSpecification"} <= set(record)
        assert {key: record[key] for key in base if key != "@type"} == {k: v for k, v in base.items() if k != "@type"}
    assert client.adjustment_records({"@type": "AdjustBalance", "limit": "40"}) == monetary[:40]
