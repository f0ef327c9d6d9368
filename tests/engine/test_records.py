"""The record primitives: pointers, typed comparison, order violations and filter matching."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from apiconform.contract import Filter, OrderKey
from apiconform.engine.model.records import (
    MISSING,
    order_violation,
    parse_decimal,
    parse_instant,
    pointer_get,
    record_matches,
)


def test_pointer_reads_nested_values_and_tells_missing_from_null():
    record = {"amount": {"quantity": "10"}, "reason": None, "a/b": 1, "items": [{"id": "x"}]}
    assert pointer_get(record, "/amount/quantity") == "10"
    assert pointer_get(record, "/reason") is None
    assert pointer_get(record, "/nope") is MISSING
    assert pointer_get(record, "/a~1b") == 1
    assert pointer_get(record, "/items/0/id") == "x"
    assert pointer_get(record, "") is record


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-01-08T07:35:58-08:00", datetime(2020, 1, 8, 15, 35, 58, tzinfo=UTC)),
        ("2020-01-08T21:05:58+05:30", datetime(2020, 1, 8, 15, 35, 58, tzinfo=UTC)),
        ("2020-01-08t15:35:58.250z", datetime(2020, 1, 8, 15, 35, 58, 250000, tzinfo=UTC)),
        ("2016-12-31T23:59:60Z", datetime(2017, 1, 1, tzinfo=UTC)),
    ],
)
def test_instants_compare_across_offsets(text, expected):
    assert parse_instant(text) == expected


@pytest.mark.parametrize("text", ["2020-01-08", "2020-01-08T07:35:58", "yesterday", "", None, 5])
def test_non_instants_are_refused(text):
    assert parse_instant(text) is None


def test_decimals_hold_values_past_64_bits():
    big = "1" + "0" * 29
    assert parse_decimal(big) > parse_decimal("9" * 20)
    assert parse_decimal("1.5") == parse_decimal("1.50")
    assert parse_decimal("1e5") is None
    assert parse_decimal(5) is None


QUANTITY_DESC = OrderKey("/q", "decimal", "desc")
TIEBREAK = (OrderKey("/createdAt", "instant", "asc"), OrderKey("/id", "text", "asc"))


def rec(q, created, rid):
    return {"q": q, "createdAt": created, "id": rid}


def test_numeric_order_with_a_fixed_ascending_tiebreak_under_desc():
    records = [
        rec("100000000000000000000", "2024-01-01T00:00:00Z", "b"),
        rec("9", "2024-01-01T00:00:00Z", "a"),
        rec("9", "2024-01-01T00:00:00Z", "c"),
        rec("9", "2024-01-02T00:00:00Z", "a"),
    ]
    assert order_violation(records, [QUANTITY_DESC, *TIEBREAK]) is None


def test_a_reversed_tiebreak_is_found_at_the_tiebreak_position():
    records = [rec("9", "2024-01-01T00:00:00Z", "c"), rec("9", "2024-01-01T00:00:00Z", "a")]
    violation = order_violation(records, [QUANTITY_DESC, *TIEBREAK])
    assert violation is not None
    assert (violation.index, violation.key) == (0, 2)


def test_text_order_of_amounts_is_a_violation_of_numeric_order():
    records = [rec("10", "2024-01-01T00:00:00Z", "a"), rec("9", "2024-01-01T00:00:00Z", "b")]
    assert order_violation(records, [OrderKey("/q", "decimal", "asc")]) is not None
    assert order_violation(records, [OrderKey("/q", "text", "asc")]) is None


def test_ties_written_in_different_offsets_are_ties():
    records = [rec("1", "2024-01-01T08:00:00+08:00", "a"), rec("1", "2024-01-01T00:00:00Z", "b")]
    assert order_violation(records, list(TIEBREAK)) is None


def test_comma_lists_match_any_value_and_single_values_match_whole():
    listed = Filter("types", "exact", "comma", "R", field="/type")
    single = Filter("id", "exact", "single", "R", field="/id")
    assert record_matches({"type": "deallocation"}, listed, "allocation,deallocation") is True
    assert record_matches({"type": "deallocation"}, listed, "allocation") is False
    assert record_matches({"id": "a,b"}, single, "a,b") is True


def test_case_insensitive_matching_and_null_values():
    status = Filter("status", "case-insensitive", "single", "R", field="/status")
    assert record_matches({"status": "COMPLETED"}, status, "completed") is True
    assert record_matches({"status": None}, status, "completed") is False
    assert record_matches({"other": 1}, status, "completed") is None


@pytest.mark.parametrize(
    ("match", "bound", "expected"),
    [
        ("instant-eq", "2020-01-08T15:35:58Z", True),
        ("instant-gt", "2020-01-08T15:35:58Z", False),
        ("instant-gte", "2020-01-08T21:05:58+05:30", True),
        ("instant-lt", "2020-01-08T15:35:59Z", True),
        ("instant-lte", "2020-01-08T07:35:57-08:00", False),
    ],
)
def test_date_operators_compare_instants(match, bound, expected):
    flt = Filter("requestedDate", match, "single", "R", field="/requestedDate")
    assert record_matches({"requestedDate": "2020-01-08T07:35:58-08:00"}, flt, bound) is expected
