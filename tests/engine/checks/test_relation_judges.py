"""The judging halves of the relations, called without HTTP: answers in, observations out.

Each relation fetches its pages and hands them to a pure function (`repeated_record`, `boundary`,
`projection_kept`, ...); these cases give those functions exchanges built from data, one family after
another, with cases that pass and cases that fail."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from requests.structures import CaseInsensitiveDict

from apiconform import contract
from apiconform.contract import OrderKey, QueryExpectation
from apiconform.engine.checks import access, errors, filtering, ordering, paging, representation
from apiconform.engine.checks.base import Context, Judge, query_words
from apiconform.engine.model.discovery import Discovery, Walk
from apiconform.engine.model.exchange import Exchange, RepeatedKeys, encode_query, wire_query
from apiconform.engine.model.jsonbody import parse_body
from apiconform.engine.model.verdicts import Evidence, Observation

BRM = contract.load("brm-adjust-balance")
OES = contract.load("bitgo-oes")
JUDGE = Judge("a_check", "REQ-A")


def reply(
    body: Any,
    status: int = 200,
    headers: dict[str, str] | None = None,
    url: str = "http://t/x",
    query: dict[str, str] | None = None,
) -> Exchange:
    content = json.dumps(body).encode()
    evidence = Evidence("GET", url, status, "application/json", content.decode(), f"curl {url}")
    return Exchange(
        query or {}, status, CaseInsensitiveDict(headers or {}), parse_body(content), evidence, content=content
    )


def brm_page(*ids: str, **headers: str) -> Exchange:
    return reply([{"id": i} for i in ids], headers=headers, url=f"http://t/{'-'.join(ids) or 'empty'}")


def brm_page_at(index: int, size: int, ids: list[str]) -> tuple[int, Exchange]:
    """The `index`-th BRM page of `size`, holding `ids`, with the position it starts at."""
    query = {"offset": str(index * size), "limit": str(size)}
    url = f"http://t/?offset={index * size}&limit={size}"
    return index * size, reply([{"id": i} for i in ids], url=url, query=query)


def outcome(observation: Observation | None) -> str | None:
    return None if observation is None else observation.outcome.value


# --- paging -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pages", "expected"),
    [
        ([(0, ["a", "b"]), (1, ["c", "d"])], None),
        ([(0, ["a", "b"]), (1, ["b", "c"])], "fail"),  # the second page repeats b
        ([(0, ["a"]), (1, ["b"]), (2, ["a"])], "fail"),
        ([(0, ["a", "b"]), (4, ["i", "a"])], "fail"),  # pages apart share a record too
        ([(0, ["a", "b"]), (4, ["i", "j"])], None),
    ],
)
def test_a_small_page_repeating_a_record_fails(pages: list[tuple[int, list[str]]], expected: str | None) -> None:
    exchanges = [brm_page_at(index, 2, ids) for index, ids in pages]
    wanted = [chr(ord("a") + i) for i in range(10)]
    failure = paging.repeated_record(BRM.semantics, exchanges, wanted, JUDGE)
    assert outcome(failure) == expected
    if failure is not None:
        assert failure.evidence[-1].url == exchanges[-1][1].evidence.url, "the repeating page is shown"
        assert "offset=" in failure.message, "the pages are named in the API's own words"


@pytest.mark.parametrize(
    ("pages", "large", "expected"),
    [
        ([(0, ["a", "b"]), (1, ["c", "d"])], ["a", "b", "c", "d"], None),
        ([(0, ["a", "b"]), (1, ["d"])], ["a", "b", "c", "d"], "fail"),  # c skipped
        ([(0, ["a", "b"]), (1, ["c"])], ["a", "b", "c"], None),
        ([(0, ["a", "b"]), (3, ["g", "h"])], list("abcdefgh"), None),  # pages apart, each in place
        ([(0, ["a", "b"]), (3, ["h", "i"])], list("abcdefgh"), "fail"),  # shifted by one far in
        ([(0, ["a", "b"]), (3, ["g"])], list("abcdefgh"), "fail"),  # ends short of the large page
        ([(0, ["a", "b"]), (1, [])], ["a", "b", "c"], "fail"),  # the last record is never served
        ([(0, ["a", "b"]), (1, ["c", "x"])], ["a", "b", "c"], None),  # past the large page: not judged here
    ],
)
def test_small_pages_departing_from_the_large_page_fail(pages: Any, large: list[str], expected: str | None) -> None:
    exchanges = [brm_page_at(index, 2, ids) for index, ids in pages]
    failure = paging.sequence_departs(BRM.semantics, exchanges, large, [brm_page(*large)], 100, JUDGE)
    assert outcome(failure) == expected
    if failure is not None:
        assert failure.evidence[-1].url == brm_page(*large).evidence.url, "the large page is the reference, last"


def test_pages_of_different_sizes_may_share_a_record_at_the_same_position_only() -> None:
    wanted = list("abcdefghij")
    fives = brm_page_at(1, 5, list("fghij"))  # positions 5..9
    sevens_right = brm_page_at(1, 7, list("hij"))  # positions 7..9: h, i, j where the fives hold them too
    assert paging.repeated_record(BRM.semantics, [fives, sevens_right], wanted, JUDGE) is None
    sevens_shifted = brm_page_at(1, 7, list("ghi"))  # g at position 7, where the fives hold it at 6
    assert outcome(paging.repeated_record(BRM.semantics, [fives, sevens_shifted], wanted, JUDGE)) == "fail"


def test_a_page_straddling_two_reference_pages_is_judged_against_both() -> None:
    # A server that switches to a seek path from record 4 on serves the reference's second page one late
    # (e, f missing from its start): a page of 3 from record 3 (an offset below the switch) shows it.
    references = [brm_page_at(0, 4, ["a", "b", "c", "d"])[1], brm_page_at(1, 4, ["f", "g", "h", "i"])[1]]
    wanted = ["a", "b", "c", "d", "f", "g", "h", "i"]
    straddling = brm_page_at(1, 3, ["d", "e", "f"])
    failure = paging.sequence_departs(BRM.semantics, [straddling], wanted, references, 4, JUDGE)
    assert outcome(failure) == "fail"
    assert failure is not None and "position 4" in failure.message
    assert failure.evidence[-1].url == references[1].evidence.url, "the reference page holding the position is shown"
    right = brm_page_at(1, 3, ["d", "f", "g"])
    assert paging.sequence_departs(BRM.semantics, [right], wanted, references, 4, JUDGE) is None


@pytest.mark.parametrize(
    ("records", "small", "pages"),
    [
        (1, 1, [(0, 1)]),
        (4, 1, [(0, 1), (1, 1), (2, 1), (3, 1)]),
        # Past one reference page of 100: a page of 7 across its boundary (98..104) besides the ends.
        (200, 25, [(0, 25), (1, 25), (14, 7), (6, 25), (7, 25)]),
        # Pages of 1 cannot straddle: a page of 7 does.
        (300, 1, [(0, 1), (1, 1), (14, 7), (28, 7), (298, 1), (299, 1)]),
        (11, 5, [(0, 5), (1, 5), (2, 5)]),
    ],
)
def test_a_tiling_walk_fetches_the_ends_and_a_page_across_each_reference_boundary(
    records: int, small: int, pages: list[tuple[int, int]]
) -> None:
    assert paging.tile_pages(records, small, 100) == sorted(pages, key=lambda page: (page[0] * page[1], page[1]))


@pytest.mark.parametrize(
    ("matched", "index", "ids", "expected"),
    [(5, 2, ["e"], None), (5, 3, [], None), (5, 3, ["e"], "fail"), (4, 2, ["d"], "fail")],
)
def test_a_page_past_the_end_holds_nothing(matched: int, index: int, ids: list[str], expected: str | None) -> None:
    failure = paging.past_the_end(BRM.semantics, matched, 2, index, [brm_page(*ids)], JUDGE)
    assert outcome(failure) == expected


@pytest.mark.parametrize(
    ("totals", "expected"),
    [(["5", "5"], ["pass"]), (["5", "6"], ["fail"]), ([None], []), (["5 "], ["pass"])],
)
def test_the_total_count_equals_the_matches_a_walk_found(totals: list[str | None], expected: list[str]) -> None:
    counts = BRM.semantics.counts
    assert counts is not None
    assert counts.total_header is not None
    header = counts.total_header
    replies = [brm_page("a", **({header: total} if total else {})) for total in totals]
    assert counts.total is not None
    observed = paging.total_matches(counts.total, 5, replies, BRM.semantics.records_pointer)
    assert [o.outcome.value for o in observed] == expected
    assert all(o.requirement == counts.total_requirement for o in observed)


# --- ordering -----------------------------------------------------------------------------------------


def oes(id_: str, updated: str = "2024-01-01T00:00:00Z", created: str = "2024-01-01T00:00:00Z") -> dict[str, str]:
    return {"id": id_, "updatedAt": updated, "createdAt": created}


ASC = [OrderKey("/updatedAt", "instant", "asc"), *OES.semantics.ordering.tiebreak]
QUERY = {"sortField": "updatedAt", "sortDirection": "ASC"}


@pytest.mark.parametrize(
    ("last", "first", "expected", "requirement"),
    [
        (oes("a", "2024-01-01T00:00:00Z"), oes("b", "2024-01-02T00:00:00Z"), "pass", "OES-SORT-FIELD"),
        (oes("a", "2024-01-02T00:00:00Z"), oes("b", "2024-01-01T00:00:00Z"), "fail", "OES-SORT-FIELD"),
        (oes("b"), oes("a"), "fail", "OES-SORT-TIEBREAK"),  # equal instants: the id decides
        (oes("a", "never"), oes("b"), "not-exercised", "OES-SORT-FIELD"),
    ],
)
def test_the_order_carries_across_a_page_boundary(last: Any, first: Any, expected: str, requirement: str) -> None:
    observation = ordering.boundary(OES.semantics, QUERY, ASC, last, first, (brm_page("x"), brm_page("y")), 2)
    assert (observation.outcome.value, observation.requirement) == (expected, requirement)


def test_a_page_sorted_the_other_way_round_blames_the_direction() -> None:
    records = [oes(c, f"2024-01-0{9 - n}T00:00:00Z") for n, c in enumerate("abcdef")]
    assert ordering.order_requirement(OES.semantics, QUERY, records, ASC, 0) == ("OES-SORT-DIRECTION", ())
    few = records[:2]  # too few distinct values to tell the direction from chance
    assert ordering.order_requirement(OES.semantics, QUERY, few, ASC, 0) == (
        "OES-SORT-FIELD",
        ("OES-SORT-DIRECTION",),
    )


@pytest.mark.parametrize(("orders", "expected"), [([["a", "b"], ["a", "b"]], None), ([["a", "b"], ["b", "a"]], "fail")])
def test_the_same_query_comes_back_in_the_same_order(orders: list[list[str]], expected: str | None) -> None:
    replies = [brm_page(*ids) for ids in orders]
    assert outcome(ordering.same_order(BRM.semantics, replies, "moved", JUDGE)) == expected


# --- filtering ----------------------------------------------------------------------------------------

PARTNER = "11111111-1111-4111-8111-111111111111"
OES_CONTEXT = Context(OES, Discovery(joins={"connections": {"c1": {"id": "c1", "partnerId": PARTNER}}}))
BRM_CONTEXT = Context(BRM, Discovery())


def brm_alone(records: list[Any]) -> Exchange:
    """The filter asked for on its own: a first page of 100 (a short one is its whole answer)."""
    return reply({"allocations": records}, query={"statuses": "cleared", "pageNumber": "0", "pageSize": "100"})


@pytest.mark.parametrize(
    ("param", "value", "records", "expected"),
    [
        ("statuses", "cleared", [{"id": "a", "status": "cleared"}, {"id": "b", "status": "reserved"}], ["a"]),
        (
            "statuses",
            "cleared,reserved",
            [{"id": "a", "status": "cleared"}, {"id": "b", "status": "reserved"}],
            ["a", "b"],
        ),
        ("partnerIds", PARTNER, [{"id": "a", "connectionId": "c1"}, {"id": "b", "connectionId": "c2"}], None),
        ("partnerIds", PARTNER, [{"id": "a", "connectionId": "c1"}], ["a"]),
        ("statuses", "cleared", [{"id": "a"}], None),  # the field is absent: the record cannot be judged
    ],
)
def test_matching_selects_the_records_a_filter_keeps(param: str, value: str, records: Any, expected: Any) -> None:
    selected = filtering.matching(OES_CONTEXT, records, OES.semantics.filters[param], value)
    assert (None if selected is None else [r["id"] for r in selected]) == expected


def alloc(id_: str, status: str = "cleared", type_: str = "allocation") -> dict[str, str]:
    return {"id": id_, "status": status, "type": type_, "connectionId": "c1"}


def walk(*records: dict[str, str], complete: bool = True, status: int = 200) -> Walk:
    page = reply({"allocations": list(records)} if status == 200 else {"error": "bad"}, status=status)
    why = None if status == 200 else f"a page was answered {status}"
    return Walk(tuple(records) if status == 200 else (), complete, (page,), why)


BASE = (alloc("a"), alloc("b", "reserved"), alloc("c", "released"))
NARROWED = {"connectionIds": "c1"}


def selection(got: Walk, value: str = "cleared", *, base: tuple[Any, ...] = BASE, whole: bool = True) -> Any:
    flt = OES.semantics.filters["statuses"]
    query = {**NARROWED, "statuses": value}
    return filtering.Selection(NARROWED, walk(*base), whole, ((flt, value),), query, got)


@pytest.mark.parametrize(
    ("got", "value", "whole", "expected"),
    [
        # The filter kept exactly the base's record with the value: it judges, and the AND of the
        # narrowing value and the filter with it.
        (walk(alloc("a")), "cleared", True, [("OES-FILTER-STATUSES", "pass", True), ("OES-FILTER-AND", "pass", True)]),
        # Nothing to select: a filter that matches nothing would answer the same, so it only corroborates.
        (walk(), "pending", True, [("OES-FILTER-STATUSES", "pass", False)]),
        # Against first pages, more matching records may exist: still a judging pass when all they show came.
        (
            walk(alloc("a"), alloc("z")),
            "cleared",
            False,
            [("OES-FILTER-STATUSES", "pass", True), ("OES-FILTER-AND", "pass", True)],
        ),
        # An answer too long to walk is judged on what it showed: no evidence of completeness, and it says so.
        (
            walk(alloc("a"), complete=False),
            "cleared",
            False,
            [("OES-FILTER-STATUSES", "pass", False), ("OES-FILTER-STATUSES", "not-exercised", True)],
        ),
        # A value the records have answered 400: the filter refused a value it must take.
        (walk(status=400), "cleared", True, [("OES-FILTER-STATUSES", "fail", True)]),
        # A 500 is the server-error requirement's finding; this example judged nothing, for the run's cause.
        (walk(status=500), "cleared", True, [("OES-FILTER-STATUSES", "not-exercised", True)]),
    ],
)
def test_a_selection_is_judged_against_its_base(got: Walk, value: str, whole: bool, expected: list[Any]) -> None:
    judged = filtering.selection_judged(
        OES_CONTEXT, selection(got, value, whole=whole), Judge("c", "OES-FILTER-STATUSES")
    )
    assert not isinstance(judged, filtering.Mismatch)
    assert [(o.requirement, o.outcome.value, o.judging) for o in judged] == expected
    if expected[0][1] == "pass" and expected[0][2]:
        assert judged[0].records == len(BASE) and judged[0].evidence, "a judging pass keeps its evidence"


@pytest.mark.parametrize(
    ("got", "extra", "missing"),
    [
        (walk(), [], ["a"]),  # matches nothing
        (walk(*BASE), ["b", "c"], []),  # ignored
        (walk(alloc("a"), alloc("x")), ["x"], []),  # a record outside the whole base
    ],
)
def test_a_selection_that_departs_from_its_base_is_a_mismatch(got: Walk, extra: list[str], missing: list[str]) -> None:
    mismatch = filtering.selection_judged(OES_CONTEXT, selection(got), JUDGE)
    assert isinstance(mismatch, filtering.Mismatch)
    assert (mismatch.extra, mismatch.missing) == (extra, missing)


@pytest.mark.parametrize(
    ("got", "alone", "blamed", "alternatives"),
    [
        # The filter on its own returns a record without its value: its own fault.
        (walk(*BASE), brm_alone([alloc("a"), alloc("b", "reserved")]), "OES-FILTER-STATUSES", ()),
        # On its own it is right and its whole answer says so: the filters were combined wrongly (D-GEN-12).
        (walk(*BASE), brm_alone([alloc("a"), alloc("q")]), "OES-FILTER-AND", ()),
        # Records from outside the base came back and the filter is sound on its own: ORed.
        (walk(*BASE, alloc("x")), brm_alone([alloc(f"s{i}") for i in range(100)]), "OES-FILTER-AND", ()),
        # The base came back, nothing from outside it, and the filter's own first page is sound but not its
        # whole answer: nothing clears the filter (a bound kept inclusive on a base of a few records looks so).
        (walk(*BASE), brm_alone([alloc(f"s{i}") for i in range(100)]), "OES-FILTER-STATUSES", ()),
        # On its own it misses the record too, and its page is its whole answer: its fault.
        (walk(), brm_alone([]), "OES-FILTER-STATUSES", ()),
        # Without an answer on its own nothing clears it: the filter is blamed.
        (walk(), None, "OES-FILTER-STATUSES", ()),
    ],
)
def test_a_mismatch_is_blamed_on_the_filter_unless_its_own_answer_clears_it(
    got: Walk, alone: Exchange | None, blamed: str, alternatives: tuple[str, ...]
) -> None:
    mismatch = filtering.selection_judged(OES_CONTEXT, selection(got), JUDGE)
    assert isinstance(mismatch, filtering.Mismatch)
    failure = filtering.blame(OES_CONTEXT, mismatch, [alone] if alone else [], JUDGE)
    assert (failure.outcome.value, failure.requirement, failure.alternatives) == ("fail", blamed, alternatives)


def coin(id_: str, currency: str, connection: str = "c1") -> dict[str, Any]:
    return {"id": id_, "amount": {"currency": currency, "quantity": "1"}, "connectionId": connection}


# Connection c1 shows three currencies (in BitGo's codes), c2 one: the filter's values are partner names.
COINS = (coin("a", "ofcbtc"), coin("b", "ofceth"), coin("c", "ofcbtc"), coin("d", "ofcsol"), coin("e", "ofcbtc", "c2"))


def currencies(got: Walk, value: str = "BTC", *, whole: bool = True, base: tuple[Any, ...] = COINS) -> Any:
    flt = OES.semantics.filters["currencies"]
    return filtering.Selection({}, walk(*base), whole, ((flt, value),), {"currencies": value}, got)


@pytest.mark.parametrize(
    ("got", "value", "whole", "expected"),
    [
        # One currency of each connection, all from the base, where c1 holds three: earned (an ignored filter
        # would have returned c1 whole). The value is spelt otherwise than the records: no matter (D-OES-20).
        (walk(coin("a", "ofcbtc"), coin("c", "ofcbtc"), coin("e", "ofcbtc", "c2")), "BTC", True, [("pass", True)]),
        # The filter ignored: c1 comes back with its three currencies for one value.
        (walk(*COINS), "BTC", True, [("fail", True)]),
        # Two values, three currencies in c1: still more than asked for.
        (walk(*COINS), "BTC,ETH", True, [("fail", True)]),
        # Two values allow two currencies per connection.
        (walk(coin("a", "ofcbtc"), coin("b", "ofceth")), "BTC,ETH", True, [("pass", True)]),
        # No record: the partner's name may name none in the records' naming (or the filter matches nothing).
        (walk(), "ofcbtc", True, [("pass", False)]),
        # Against first pages, a whole answer still holds what an ignored filter would have shown of c1.
        (walk(coin("a", "ofcbtc")), "BTC", False, [("pass", True)]),
        # An answer too long to walk whole: an ignored filter would have shown the base's first record, which
        # holds one currency of c1 only, so it might look the same.
        (walk(coin("a", "ofcbtc"), complete=False), "BTC", False, [("pass", False), ("not-exercised", True)]),
        # In place of three records, an ignored filter would have shown c1's ofcbtc and ofceth: earned.
        (
            walk(coin("a", "ofcbtc"), coin("c", "ofcbtc"), coin("e", "ofcbtc", "c2"), complete=False),
            "BTC",
            False,
            [("pass", True)],
        ),
        # Three values, and no connection of the base has more than three currencies: an ignored filter passes.
        (walk(coin("a", "ofcbtc")), "BTC,ETH,SOL", True, [("pass", False), ("not-exercised", True)]),
    ],
)
def test_a_mapped_filter_keeps_at_most_as_many_values_per_connection_as_it_was_given(
    got: Walk, value: str, whole: bool, expected: list[Any]
) -> None:
    judged = filtering.selection_judged(OES_CONTEXT, currencies(got, value, whole=whole), JUDGE)
    assert not isinstance(judged, filtering.Mismatch)
    assert [(o.outcome.value, o.judging) for o in judged] == expected


def test_a_mapped_filter_returning_records_outside_its_base_is_a_mismatch() -> None:
    mismatch = filtering.selection_judged(
        OES_CONTEXT, currencies(walk(coin("a", "ofcbtc"), coin("x", "ofcbtc"))), JUDGE
    )
    assert isinstance(mismatch, filtering.Mismatch) and mismatch.extra == ["x"]


def test_a_mapped_filters_records_are_never_judged_one_by_one() -> None:
    flt = OES.semantics.filters["currencies"]
    assert filtering.matching(OES_CONTEXT, [coin("a", "ofcbtc")], flt, "BTC") is None
    page = reply({"allocations": [coin("a", "ofcbtc")]}, query={"currencies": "BTC"})
    assert list(filtering.records_match_filters(OES_CONTEXT, page)) == []


def test_a_long_list_that_leaves_records_out_is_the_lists_fault_unless_the_filter_fails_alone() -> None:
    flt = OES.semantics.filters["statuses"]
    query = {**NARROWED, "statuses": "cleared,reserved"}
    listed = filtering.Selection(NARROWED, walk(*BASE), True, ((flt, "cleared,reserved"),), query, walk(alloc("a")))
    mismatch = filtering.selection_judged(OES_CONTEXT, listed, JUDGE)
    assert isinstance(mismatch, filtering.Mismatch) and mismatch.missing == ["b"]
    failure = filtering.blame(OES_CONTEXT, mismatch, [], JUDGE)
    assert (failure.requirement, failure.alternatives) == ("OES-FILTER-COMMA-LIST", ("OES-FILTER-STATUSES",))


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        ("0.0.0.1+-item-adjustment+221100", "string", ["a proper prefix", "one character more", "surrounding spaces"]),
        ("5", "integer", ["the number below", "the number above"]),
        ("true", "boolean", []),
    ],
)
def test_near_misses_take_the_parameters_form(value: str, kind: str, expected: list[str]) -> None:
    flt = BRM.semantics.filters["id"]
    assert [name for name, _ in filtering.near_misses(flt, value, kind)] == expected
    uuid_filter = OES.semantics.filters["allocationIds"]
    (only,) = filtering.near_misses(uuid_filter, "3f2b6c1e-0000-4000-8000-00000000000a", "string")
    assert only == ("the UUID one digit away", "3f2b6c1e-0000-4000-8000-00000000000b")


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ([], ("pass", False)),  # exact matching selects nothing: right, and a filter matching nothing agrees
        ([{"id": "0.0.0.1+-item-adjustment+221101"}, {"id": "0.0.0.1+-item-adjustment+221102"}], ("fail", True)),
    ],
)
def test_a_near_miss_selects_what_exact_matching_selects(answer: list[Any], expected: tuple[str, bool]) -> None:
    flt = BRM.semantics.filters["id"]
    real = "0.0.0.1+-item-adjustment+22110"
    page = reply(answer, query={"id": real, "offset": "0", "limit": "100"})
    (observation,) = filtering.near_miss_judged(BRM_CONTEXT, flt, real + "0", "a proper prefix", real, [], page, JUDGE)
    assert (observation.outcome.value, observation.judging) == expected


def test_surrounding_spaces_may_be_read_away() -> None:
    flt = BRM.semantics.filters["id"]
    real = "0.0.0.1+-item-adjustment+221100"
    trimmed = reply([{"id": real}], query={"limit": "100"})
    (observation,) = filtering.near_miss_judged(
        BRM_CONTEXT, flt, real, "surrounding spaces", f" {real} ", [], trimmed, JUDGE
    )
    assert observation.outcome.value == "pass"


# --- representation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("projected", "expected"),
    [
        ([{"id": "a", "description": "x"}], "pass"),
        ([{"id": "a"}], "fail"),  # description dropped
        ([{"id": "a", "description": "y"}], "fail"),  # description changed
        ([{"id": "b", "description": "x"}], "fail"),  # another record
    ],
)
def test_a_projection_keeps_the_values_of_the_full_record(projected: Any, expected: str) -> None:
    full = [{"id": "a", "description": "x", "reason": None}]
    replies = [brm_page("a"), brm_page("a")]
    observation = representation.projection_kept(
        BRM.semantics, full, projected, ["description"], "description,id", replies, JUDGE
    )
    assert observation.outcome.value == expected


@pytest.mark.parametrize(
    ("projected", "expected"),
    [
        ([{"id": "a", "amount": {"amount": 1}}], "pass"),  # a listed attribute that is null, left out
        ([{"id": "a", "reason": None, "amount": {"amount": 1}}], "pass"),
        ([{"id": "a", "reason": None, "amount": {"amount": 1, "units": None}}], "pass"),  # null member written
        ([{"id": "a", "reason": None}], "fail"),  # amount (not null) dropped
        ([{"id": "a", "reason": None, "amount": {"units": None}}], "fail"),  # its non-null member dropped
    ],
)
def test_a_projection_may_leave_out_what_is_null(projected: Any, expected: str) -> None:
    # BRM's spec takes null for absent (`unlisted: [absent, "null"]`): for listed attributes and their
    # members too (DECISIONS.md D-BRM-2, issue 23, item 6).
    full = [{"id": "a", "reason": None, "amount": {"amount": 1}}]
    replies = [brm_page("a"), brm_page("a")]
    observation = representation.projection_kept(
        BRM.semantics, full, projected, ["reason", "amount"], "reason,amount,id", replies, JUDGE
    )
    assert observation.outcome.value == expected


@pytest.mark.parametrize(
    ("types", "expected"),
    [(["AdjustBalanceOracle", "AdjustBalanceOracle"], "pass"), (["AdjustBalanceOracle", "AdjustBalance"], "fail")],
)
def test_extended_records_carry_the_extended_marker(types: list[str], expected: str) -> None:
    representations = BRM.semantics.representations
    assert representations is not None and representations.marker_field == "/@type"
    records = [{"id": str(n), "@type": name} for n, name in enumerate(types)]
    observation = representation.marked(representations, records, [brm_page("0")], JUDGE)
    assert observation.outcome.value == expected


# --- errors -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "unfiltered", "expected"),
    [
        (reply({"code": "400"}, status=400), ["a", "b"], {"rejected"}),
        (brm_page(), ["a", "b"], {"empty"}),
        (brm_page("a", "b"), ["a", "b"], {"ignored"}),
        (brm_page("a"), ["a", "b"], set()),  # filtered: neither of the accepted readings
        (reply({"code": "500"}, status=500), ["a", "b"], set()),
        (brm_page(), [], {"empty", "ignored"}),  # nothing there either way: the readings look alike
    ],
)
def test_an_ambiguous_input_is_answered_in_one_accepted_way(
    answer: Exchange, unfiltered: list[str], expected: set[str]
) -> None:
    assert errors.answer_kind(BRM.semantics, answer, unfiltered) == expected


@pytest.mark.parametrize(
    ("accept", "answer", "expected"),
    [
        (("rejected", "empty"), brm_page(), ["pass"]),
        (("rejected", "empty"), brm_page("a", "b"), ["fail"]),
        (("answered",), brm_page("a"), ["pass"]),  # a pass that could not have failed: it only corroborates
        (("answered",), reply({"code": "400"}, status=400), ["pass"]),  # a documented 400 is an answer too
        # A 5xx is the server-error requirement's finding: this one is not judged by it.
        (("rejected",), reply({"code": "500"}, status=500), ["not-exercised"]),
    ],
)
def test_a_tolerated_input_is_judged_against_the_same_page_without_it(
    accept: tuple[str, ...], answer: Exchange, expected: list[str]
) -> None:
    item = QueryExpectation({"limit": "0"}, "BRM-PAGE-LIMIT-ZERO", accept)
    observed = errors.tolerated_answer(BRM, item, answer, brm_page("a", "b"), JUDGE)
    assert [o.outcome.value for o in observed] == expected


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (("rejected", "empty"), ["not-exercised"]),
        (("rejected", "empty", "ignored"), ["pass"]),
        (("rejected",), ["fail"]),
    ],
)
def test_an_empty_answer_on_an_empty_target_is_no_evidence_against_either_reading(
    accept: tuple[str, ...], expected: list[str]
) -> None:
    """A correct target with no records must not fail `accept: [rejected, empty]` (it may have matched nothing)."""
    item = QueryExpectation({"limit": "0"}, "BRM-PAGE-LIMIT-ZERO", accept)
    observed = errors.tolerated_answer(BRM, item, brm_page(), brm_page(), JUDGE)
    assert [o.outcome.value for o in observed] == expected


# --- access -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [(401, ["pass"]), (403, ["pass"]), (200, ["fail"]), (404, ["fail"]), (None, ["not-exercised"])],
)
def test_a_request_without_valid_credentials_is_refused(status: int | None, expected: list[str]) -> None:
    answer = (
        reply({}, status=status) if status else Exchange({}, None, CaseInsensitiveDict(), None, brm_page().evidence)
    )
    observed = access.refused(answer, [401, 403], "a request without a token", JUDGE)
    assert [o.outcome.value for o in observed] == expected


@pytest.mark.parametrize("value", ["", "3f2b6c1e-0000-4000-8000-000000000000", "ACC-0042", "7"])
def test_a_lookalike_value_has_the_same_shape_and_differs(value: str) -> None:
    other = access.lookalike(value, random.Random(0))
    assert other != value
    if value:
        assert len(other) in (len(value), len(value) + 1)
        assert [c.isdigit() for c in other[: len(value)]] == [c.isdigit() for c in value]


# --- lists in repeated keys (D-CONN-2) ----------------------------------------------------------------

CONN = contract.load("bitgo-connections")
CONN_CONTEXT = Context(CONN, Discovery())
P1, P2 = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"


def connections(*pairs: tuple[str, str], status: int = 200) -> tuple[list[Any] | None, list[Exchange]]:
    """A complete answer of connections (id, partnerId), or a refusal of `status` (no records)."""
    records = [{"id": id_, "partnerId": partner} for id_, partner in pairs]
    if status != 200:
        return None, [reply({"error": "bad"}, status=status)]
    return records, [reply({"connections": records})]


def test_a_list_in_repeated_keys_travels_once_per_item_and_reads_back_as_the_same_list() -> None:
    listed = RepeatedKeys(f"{P1},{P2}")
    encoded = encode_query({"partnerIds": listed, "pageSize": "5"})
    assert encoded == f"partnerIds={P1}&partnerIds={P2}&pageSize=5"
    assert encode_query({"partnerIds": f"{P1},{P2}"}) == f"partnerIds={P1},{P2}"
    read = wire_query(f"http://t/x?{encoded}")
    assert read == {"partnerIds": f"{P1},{P2}", "pageSize": "5"} and isinstance(read["partnerIds"], RepeatedKeys)
    assert query_words({"partnerIds": listed}) == f"partnerIds={P1}&partnerIds={P2}"


@pytest.mark.parametrize(
    ("listed", "expected"),
    [
        (connections(("a", P1), ("b", P2)), "pass"),
        (connections(("a", P1)), "fail"),  # the first repeated value only
        (connections(status=400), "fail"),  # the document's own form refused
    ],
)
def test_a_list_in_repeated_keys_is_the_union_of_its_values(listed: Any, expected: str) -> None:
    flt = CONN.semantics.filters["partnerIds"]
    answers = [listed, connections(("a", P1)), connections(("b", P2))]
    (observed,) = filtering.union_judged(CONN_CONTEXT, flt, [P1, P2], answers, JUDGE, repeated=True)
    assert observed.outcome.value == expected
    assert f"partnerIds={P1}&partnerIds={P2}" in observed.message


def test_a_comma_list_refused_is_not_judged_by_the_union() -> None:
    # A 400 to `a,b` may be a server that reads it as one value that is no UUID (D-CONN-4): not judged.
    flt = CONN.semantics.filters["partnerIds"]
    answers = [connections(status=400), connections(("a", P1)), connections(("b", P2))]
    (observed,) = filtering.union_judged(CONN_CONTEXT, flt, [P1, P2], answers, JUDGE)
    assert observed.outcome.value == "not-exercised"


# --- alternate keys (D-BRM-40) ------------------------------------------------------------------------

ADJUSTMENT = "0.0.0.1+-item-adjustment+216265"


@pytest.mark.parametrize(
    ("found", "expected"),
    [
        ([ADJUSTMENT], "pass"),
        ([], "fail"),  # the number matches nothing: only the ID is compared
        ([ADJUSTMENT, "0.0.0.1+-item-adjustment+216266"], "fail"),
    ],
)
def test_an_adjustment_number_finds_what_the_id_finds(found: list[str], expected: str) -> None:
    flt = BRM.semantics.filters["id"]
    (alternate,) = flt.alternates
    by_key = (brm_page(ADJUSTMENT), [{"id": ADJUSTMENT}])
    by_number = reply([{"id": i} for i in found], query={"id": "ADJ-216265"})
    observed = filtering.alternate_judged(
        BRM_CONTEXT, flt, alternate, ADJUSTMENT, by_key, (by_number, [{"id": i} for i in found]), JUDGE
    )
    assert [o.outcome.value for o in observed] == [expected]
    assert "id=ADJ-216265" in observed[0].message


def test_an_alternate_no_record_carries_is_named_with_its_cause() -> None:
    (alternate,) = BRM.semantics.filters["partyAccount.id"].alternates
    assert alternate.field is None and alternate.requirement == "BRM-FILTER-PARTY-ACCOUNT-NUMBER"
