"""The reference server's data: deterministic, valid against the specs, and shaped to exercise every requirement."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import jsonschema_rs
import pytest

from apiconform import contract
from apiconform.server import ReferenceServer
from apiconform.server.data import TIED_BOUNDARIES, quantity_sort_key
from apiconform.server.instants import parse_instant, render_utc_millis, render_with_offset
from apiconform.server.store import Store
from tests.server.reference_client import Client

UUID_LOWER = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def response_schema(api: str) -> dict[str, Any]:
    loaded = contract.load(api)
    response = loaded.resolve(loaded.operation()["responses"]["200"])
    return dict(response["content"]["application/json"]["schema"])


def oracle_examples() -> list[dict[str, Any]]:
    """The records in Oracle's document (the JSON arrays after each "Example of the Response Body")."""
    path = contract.specs_dir() / "brm-tmf654" / "sources" / "oracle-brm-op-adjustbalance-get.txt"
    text = path.read_text(encoding="utf-8")
    decoder = json.JSONDecoder()
    records: list[dict[str, Any]] = []
    for heading in re.finditer(r"Example of the Response Body[^\n]*\n[^\n]*\n", text):
        array, _ = decoder.raw_decode(text[heading.end() :])
        records.extend(array)
    return records


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- date-times -----------------------------------------------------------------------------------

DATE_TIMES = [
    "2020-01-01T12:00:27.000Z",
    "2020-01-01t12:00:27z",
    "2020-01-08T07:35:58-08:00",
    "2020-09-22T23:20:56+05:30",
    "2020-01-01T12:00:27-00:00",
    "2020-01-01T12:00:27.1234567890123Z",
    "0000-01-01T00:00:00+23:59",
    "9999-12-31T23:59:59-23:59",
    "2000-02-29T00:00:00Z",
    "2016-12-31T23:59:60Z",
    "2016-12-31T15:59:60-08:00",
    "2020-01-01 12:00:27Z",
    "1900-02-29T00:00:00Z",
    "2020-02-30T12:00:27Z",
    "2020-01-01T12:00:60+05:30",
    "2020-01-01T24:00:00Z",
    "2020-01-01T12:00:27+24:00",
    "2020-01-01T12:00:27+0530",
    "2020-01-01T12:00:27.Z",
    "2020-01-01T12:00:27Z\n",
    "٢٠٢٠-01-01T12:00:27Z",
    "yesterday",
    "2020-13-45T99:00:00Z",
    "2020-01-01",
    "12:00:27",
    "2020-01-01T12:00:27",
]


@pytest.mark.parametrize("text", DATE_TIMES)
def test_date_time_parsing_agrees_with_the_format_schemathesis_validates(text: str) -> None:
    validator = jsonschema_rs.Draft202012Validator({"type": "string", "format": "date-time"}, validate_formats=True)
    assert (parse_instant(text) is not None) == validator.is_valid(text)


@pytest.mark.parametrize(
    "text", ["2020-01-08T07:35:58-08:00", "2020-09-22T23:20:56+05:30", "2024-02-29T23:59:59Z", "1970-01-01T00:00:00Z"]
)
def test_instants_match_the_standard_library(text: str) -> None:
    parsed = parse_instant(text)
    assert parsed is not None and not parsed.has_fraction
    assert parsed.seconds == int(instant(text).timestamp())


def test_fractions_and_leap_seconds_as_instants() -> None:
    assert parse_instant("2020-01-01T12:00:27.000Z") == parse_instant("2020-01-01T12:00:27Z")
    with_fraction = parse_instant("2020-01-01T12:00:27.0001Z")
    assert with_fraction is not None and with_fraction.has_fraction
    leap = parse_instant("2016-12-31T23:59:60Z")
    next_day = parse_instant("2017-01-01T00:00:00Z")
    assert leap is not None and next_day is not None and leap.seconds == next_day.seconds


def test_rendering_matches_the_vendors_formats() -> None:
    pacific = timezone(timedelta(hours=-8))
    epoch = int(datetime(2020, 1, 8, 7, 35, 58, tzinfo=pacific).timestamp())
    assert render_with_offset(epoch, -480) == "2020-01-08T07:35:58-08:00"
    assert render_with_offset(epoch, 330) == "2020-01-08T21:05:58+05:30"
    assert render_with_offset(epoch, 0) == "2020-01-08T15:35:58Z"
    millis = int(datetime(2026, 3, 1, 10, 15, tzinfo=UTC).timestamp()) * 1000 + 123
    assert render_utc_millis(millis) == "2026-03-01T10:15:00.123Z"


def test_quantity_sort_key_orders_like_numbers() -> None:
    quantities = ["9", "10", "1", "007", "100.5", "100.05", "100", "18446744073709551616", "9" * 30, "1" + "0" * 29,
                  "0.000001", "12345678901234567890.123456"]  # fmt: skip
    assert sorted(quantities, key=quantity_sort_key) == sorted(quantities, key=Decimal)
    assert quantity_sort_key("100") == quantity_sort_key("100.000")


# --- determinism ----------------------------------------------------------------------------------


def _all_rows(store: Store) -> list[tuple[Any, ...]]:
    allocations = store.rows("SELECT * FROM allocations ORDER BY seq", ())
    adjustments = store.rows("SELECT * FROM adjustments ORDER BY seq", ())
    connections = store.rows("SELECT * FROM connections ORDER BY seq", ())
    return [*connections, *allocations, *adjustments]


def test_same_seed_gives_the_same_data_byte_for_byte() -> None:
    first, second = Store(7, 400), Store(7, 400)
    assert first.enterprise_id == second.enterprise_id
    assert _all_rows(first) == _all_rows(second)
    assert _all_rows(first.copy()) == _all_rows(first)


def test_another_seed_gives_other_data() -> None:
    assert Store(7, 50).enterprise_id != Store(8, 50).enterprise_id
    assert _all_rows(Store(7, 50)) != _all_rows(Store(8, 50))


def test_served_records_are_the_same_for_the_same_seed(make_reference_server: Any) -> None:
    one = Client(make_reference_server(seed=3, records=300))
    other = Client(ReferenceServer(seed=3, records=300).start())
    try:
        assert one.allocations({"pageSize": "500"}).content == other.allocations({"pageSize": "500"}).content
        ours, theirs = one.adjustments({"limit": "500"}).text, other.adjustments({"limit": "500"}).text
        # Only the server's own address (in each href) differs.
        assert ours.replace(one.server.base_url, "") == theirs.replace(other.server.base_url, "")
    finally:
        other.server.stop()


# --- validity and shape: BitGo --------------------------------------------------------------------


@pytest.fixture(scope="module")
def bitgo_records(make_reference_server: Any) -> list[dict[str, Any]]:
    return Client(make_reference_server()).all_allocations()


def test_bitgo_pages_validate_against_the_spec(make_reference_server: Any) -> None:
    client = Client(make_reference_server())
    validator = contract.load("bitgo-oes").schema_validator(response_schema("bitgo-oes"))
    for page_number in range(4):
        validator.validate(client.allocations({"pageSize": "500", "pageNumber": str(page_number)}).json())


def test_bitgo_records_cover_every_status_type_and_optional_field(bitgo_records: list[dict[str, Any]]) -> None:
    assert len(bitgo_records) == 2000
    assert {(r["status"], r["type"]) for r in bitgo_records} == {
        (status, kind) for status in ("cleared", "released", "reserved") for kind in ("allocation", "deallocation")
    }
    for optional in ("partnerExternalId", "notes", "evaluationId", "pendingApprovalId", "policyResult"):
        present = sum(optional in record for record in bitgo_records)
        assert 0 < present < len(bitgo_records), optional
    assert {r["policyResult"] for r in bitgo_records if "policyResult" in r} == {"approved", "rejected"}


def test_bitgo_reason_is_null_exactly_when_cleared(bitgo_records: list[dict[str, Any]]) -> None:
    for record in bitgo_records:
        assert (record["reason"] is None) == (record["status"] == "cleared"), record
        assert record["reason"] is None or record["reason"].strip()


def test_bitgo_ids_are_lower_case_uuids(bitgo_records: list[dict[str, Any]]) -> None:
    assert all(UUID_LOWER.fullmatch(r["id"]) and UUID_LOWER.fullmatch(r["connectionId"]) for r in bitgo_records)
    assert len({r["id"] for r in bitgo_records}) == len(bitgo_records)


def test_bitgo_quantities_span_one_to_thirty_digits(bitgo_records: list[dict[str, Any]]) -> None:
    quantities = [r["amount"]["quantity"] for r in bitgo_records]
    assert "1" in quantities
    assert max(len(q) for q in quantities) == 30
    assert sum(Decimal(q) > 2**64 for q in quantities) > 20
    assert any("." in q for q in quantities)
    assert sum(count - 1 for count in Counter(Decimal(q) for q in quantities).values()) > 300  # many ties


def test_bitgo_timestamps_tie_across_page_boundaries(bitgo_records: list[dict[str, Any]]) -> None:
    created = [record["createdAt"] for record in bitgo_records]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", c) for c in created)
    for boundary in sorted(TIED_BOUNDARIES):
        assert created[boundary - 1] == created[boundary], boundary
    updated_ties = Counter(record["updatedAt"] for record in bitgo_records)
    # Settlement runs update many records at one instant, across different createdAt values.
    assert max(updated_ties.values()) >= 5
    tied_update = [r for r in bitgo_records if updated_ties[r["updatedAt"]] > 1]
    assert len({r["createdAt"] for r in tied_update}) > len({r["updatedAt"] for r in tied_update})


def test_bitgo_partners_clients_and_connections(make_reference_server: Any) -> None:
    client = Client(make_reference_server())
    connections = client.connections()
    assert connections and all(set(c) >= {"id", "clientId", "partnerId"} for c in connections)
    assert len({c["partnerId"] for c in connections}) == 3
    per_client = Counter(c["clientId"] for c in connections)
    assert len(per_client) >= 4 and max(per_client.values()) >= 2
    records = client.all_allocations()
    assert {r["connectionId"] for r in records} <= {c["id"] for c in connections}
    currencies = {r["amount"]["currency"] for r in records}
    assert {"ofcbtc", "BTC", "btc"} <= currencies  # each partner names the coin its own way


# --- validity and shape: BRM ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def brm_records(make_reference_server: Any) -> list[dict[str, Any]]:
    client = Client(make_reference_server())
    return client.all_adjustments({"usageType": "monetary"}) + client.all_adjustments({"usageType": "other"})


def test_brm_pages_validate_against_the_spec(make_reference_server: Any) -> None:
    client = Client(make_reference_server())
    validator = contract.load("brm-adjust-balance").schema_validator(response_schema("brm-adjust-balance"))
    for query in ({"usageType": "monetary"}, {"usageType": "other"}, {"@type": "AdjustBalanceOracle"}):
        validator.validate(client.adjustment_records({**query, "limit": "1000"}))


def test_brm_records_have_exactly_the_shape_of_oracles_examples(
    brm_records: list[dict[str, Any]], make_reference_server: Any
) -> None:
    examples = {example["usageType"]: example for example in oracle_examples()}
    base_url = make_reference_server().base_url
    for record in brm_records:
        example = examples[record["usageType"]]
        assert list(record) == list(example), record["id"]
        assert list(record["partyAccount"]) == list(example["partyAccount"])
        assert list(record["requestor"]) == list(example["requestor"])
        assert list(record["amount"]) == list(example["amount"])
        assert record["href"] == f"{base_url}/brm/prepayBalanceManagement/v4/adjustBalance/{record['id']}"
        assert record["@type"] == record["@baseType"] == "AdjustBalance"
        if record["usageType"] == "OTHER":
            assert record["status"] is None and list(record["bucket"]) == list(example["bucket"])
        else:
            assert record["status"] in ("COMPLETED", "CREATED") and record["bucket"] is None


def test_brm_ids_offsets_and_ties(brm_records: list[dict[str, Any]]) -> None:
    assert all(re.fullmatch(r"0\.0\.0\.1\+-(item-adjustment|event-billing-debit)\+\d+", r["id"]) for r in brm_records)
    assert all(re.fullmatch(r"0\.0\.0\.1\+-account\+\d+", r["partyAccount"]["id"]) for r in brm_records)
    offsets = Counter(re.search(r"(Z|[+-]\d\d:\d\d)$", r["requestedDate"]).group(1) for r in brm_records)  # type: ignore[union-attr]
    assert {"-08:00", "+05:30", "Z"} <= set(offsets)
    texts_by_instant: dict[datetime, set[str]] = defaultdict(set)
    for record in brm_records:
        texts_by_instant[instant(record["requestedDate"])].add(record["requestedDate"])
    assert sum(len(texts) > 1 for texts in texts_by_instant.values()) > 20  # one instant, written in several offsets
    assert {r["validFor"] is None for r in brm_records if r["usageType"] == "OTHER"} == {True, False}


def test_brm_accounts_hold_a_few_to_dozens_of_adjustments(brm_records: list[dict[str, Any]]) -> None:
    per_account = Counter(record["partyAccount"]["id"] for record in brm_records)
    assert len(per_account) >= 20
    assert min(per_account.values()) <= 3
    assert max(per_account.values()) >= 24


# --- storage ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT doc FROM allocations ORDER BY created_ms, id LIMIT 25 OFFSET 50",
        "SELECT doc FROM allocations WHERE status IN ('cleared') ORDER BY updated_ms DESC, created_ms, id LIMIT 25",
        "SELECT doc FROM allocations ORDER BY quantity_key DESC, created_ms, id LIMIT 25",
        "SELECT doc FROM allocations ORDER BY quantity_key, created_ms, id LIMIT 25",
        "SELECT doc FROM adjustments WHERE usage_fold = 'monetary' ORDER BY requested_s DESC, id DESC LIMIT 25",
        "SELECT doc FROM allocations WHERE conn IN (SELECT seq FROM connections WHERE client_id IN ('c'))"
        " AND status IN ('reserved') ORDER BY updated_ms DESC, created_ms, id LIMIT 25",
        "SELECT doc FROM adjustments WHERE usage_fold = 'other' AND status_fold = 'completed'"
        " ORDER BY requested_s DESC, id DESC LIMIT 25",
        "SELECT doc FROM adjustments WHERE usage_fold = 'monetary' AND account_id IN ('a', 'b')"
        " ORDER BY requested_s DESC, id DESC LIMIT 25",
    ],
)
def test_pages_are_read_in_index_order_without_sorting(small_store: Store, sql: str) -> None:
    plan = " | ".join(small_store.query_plan(sql, ()))
    assert "USING" in plan and "TEMP B-TREE FOR ORDER BY" not in plan, plan


@pytest.fixture(scope="module")
def small_store() -> Store:
    return Store(0, 300)
