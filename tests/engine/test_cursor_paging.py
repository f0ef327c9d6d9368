"""Cursor paging (`paging.style: cursor`) against scripted loopback servers: the next page named by a token
in the body, a URL in the body, a header or a Link header. A correct server passes each paging relation
(judged, not only corroborated), also with short pages that still name a next page and full last pages
that name none; faulty ones fail the requirement their defect breaks. The relations are called on the
run directly (no property tests), so each test costs a few dozen loopback requests."""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jsonschema
import pytest
import yaml

from apiconform import contract
from apiconform.contract import NextPage, OrderKey
from apiconform.engine.checks import ordering, relations
from apiconform.engine.checks import paging as paging_checks
from apiconform.engine.config import RunConfig
from apiconform.engine.model import discovery
from apiconform.engine.model.apirun import ApiRun
from apiconform.engine.model.exchange import Exchange
from apiconform.engine.model.verdicts import Outcome, Verdict
from apiconform.engine.session import ConformanceSession
from apiconform.engine.transport.redaction import Redactor
from tests.engine.scripted import TEST_SERVER_RATE, Scripted

SPEC = Path(__file__).resolve().parents[1] / "data" / "cursor-list" / "cursor-list.openapi.yaml"
API = "cursor-list"
SIZE_BOUND, SKIP, PAST_END = "CL-PAGE-LIMIT", "CL-PAGE-CURSOR", "CL-PAGE-PAST-END"
NEXT = {
    "body-token": NextPage(body_token="/next"),
    "body-url": NextPage(body_url="/next"),
    "header-token": NextPage(header_token="X-Next-Cursor"),
    "link": NextPage(link="next"),
}


class CursorServer:
    """`GET /v1/items?limit=N&cursor=C`: items 1..`count` in id order, `limit` (default 10, at most 100) a
    page, the cursor `c<position>`; the next page named where `where` says, or `fault` breaks it."""

    def __init__(self, where: str, count: int = 30, fault: str | None = None) -> None:
        self.where, self.count, self.fault = where, count, fault

    def answer(self, path: str) -> tuple[int, list[tuple[str, str]], bytes]:
        query = dict(parse_qsl(urlsplit(path).query))
        limit = min(int(query.get("limit", "10")), 100)
        cursor = query.get("cursor", "c0")
        position = int(cursor[1:].split("-")[0])
        held = limit - 1 if self.fault == "short" and limit > 1 else limit  # short pages that go on: correct
        items = [{"id": n} for n in range(position + 1, min(position + held, self.count) + 1)]
        after = position + len(items)
        following: str | None = f"c{after}" if after < self.count else None
        if self.fault == "drop" and following:
            following = f"c{after + 1}"  # one record skipped at each page end
        elif self.fault == "repeat" and position:
            following = cursor  # the same page again
        elif self.fault == "cycle" and after >= 2 * limit:
            following = "c0"  # back to the start
        elif self.fault == "echo" and position:
            following = f"{cursor}-again"  # a new cursor, the same page
        return self.reply(items, following, limit, query)

    def reply(
        self, items: list[Any], following: str | None, limit: int, query: dict[str, str]
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        headers = [("Content-Type", "application/json")]
        body: dict[str, Any] = {"items": items}
        size = f"limit={query['limit']}&" if "limit" in query else ""
        if self.where == "body-token":
            body["next"] = following
        elif self.where == "body-url":
            # Another host and path: only the query is used, nothing is sent there.
            body["next"] = following and f"https://elsewhere.example/other/items?{size}cursor={following}"
        elif self.where == "header-token" and following:
            headers.append(("X-Next-Cursor", following))
        elif self.where == "link":
            headers.append(("Link", f'<https://items.example.com/v1/items?{size}>; rel="first"'))
            if following:  # on a line of its own, among other relation types, rel in upper case
                headers.append(("Link", f'<https://elsewhere.example/items?{size}cursor={following}>; rel="last NEXT"'))
        return 200, headers, json.dumps(body).encode()


@pytest.fixture(scope="module")
def cursor_contract() -> contract.Contract:
    return contract.load_spec(SPEC)


@pytest.fixture
def run_at(cursor_contract: contract.Contract) -> Iterator[Any]:
    servers: list[Scripted] = []

    def make(where: str, **options: Any) -> tuple[ApiRun, Scripted]:
        server = CursorServer(where, **options)
        scripted = Scripted(server.answer)
        servers.append(scripted)
        cursor = cursor_contract.semantics.paging
        assert isinstance(cursor, contract.CursorPaging)
        paging = dataclasses.replace(cursor, next_page=NEXT[where])
        semantics = dataclasses.replace(cursor_contract.semantics, paging=paging)
        config = RunConfig.checked(
            apis=[API],
            base_urls={API: scripted.url("/v1")},
            contracts={API: dataclasses.replace(cursor_contract, semantics=semantics)},
            rate_limit=TEST_SERVER_RATE,
        )
        return ConformanceSession(config).runs[0], scripted

    yield make
    for server in servers:
        server.close()


def verdict(run: ApiRun, requirement: str) -> Verdict:
    return run.ledger[requirement].verdict


def judge_paging(run: ApiRun) -> None:
    paging_checks.pages_tile_one_large_page(run)
    paging_checks.walk_ends_cleanly(run)


@pytest.mark.parametrize("where", sorted(NEXT))
def test_a_correct_cursor_server_passes_skip_past_end_and_the_size_bound(run_at: Any, where: str) -> None:
    run, server = run_at(where)
    judge_paging(run)
    paging_checks.default_page_size_is_prefix(run)
    assert not run.ledger.errors, run.ledger.errors
    for requirement in (SIZE_BOUND, SKIP, PAST_END):
        record = run.ledger[requirement]
        assert record.verdict is Verdict.PASS and record.judging_passes, (requirement, record.reasons())
    assert all(path.startswith("/v1/items") for path in server.seen), "a next URL's host or path was followed"


def test_short_pages_that_name_a_next_page_pass(run_at: Any) -> None:
    """A cursor page may hold fewer than asked and still name a next one (a full page that is the last, as
    30 items in pages of 5, 10 or 3, is the correct servers' above)."""
    run, _ = run_at("body-token", count=29, fault="short")
    judge_paging(run)
    assert (verdict(run, SKIP), verdict(run, PAST_END)) == (Verdict.PASS, Verdict.PASS), run.ledger[SKIP].reasons()


@pytest.mark.parametrize(
    ("where", "fault", "failing", "says"),
    [
        ("body-token", "drop", SKIP, "where the walk by 100 holds"),
        ("link", "drop", SKIP, "where the walk by 100 holds"),
        ("header-token", "repeat", PAST_END, "names a next page already asked for"),
        ("body-url", "cycle", PAST_END, "names a next page already asked for"),
        ("body-token", "echo", PAST_END, "repeats the page before it"),
    ],
)
def test_a_faulty_cursor_fails_the_requirement_it_breaks(
    run_at: Any, where: str, fault: str, failing: str, says: str
) -> None:
    run, _ = run_at(where, fault=fault)
    if failing == SKIP or fault == "repeat":
        paging_checks.pages_tile_one_large_page(run)
    if failing == PAST_END:
        paging_checks.walk_ends_cleanly(run)
    assert not run.ledger.errors, run.ledger.errors
    record = run.ledger[failing]
    assert record.verdict is Verdict.FAIL, record.reasons()
    assert any(says in failure.message for failure in record.failures), [f.message for f in record.failures]
    if fault == "repeat":  # the walk stopped before asking for the same page again: no record seen twice
        assert verdict(run, SKIP) is Verdict.PASS


def test_a_cursor_walk_ends_on_a_cursor_leading_back_incomplete(run_at: Any) -> None:
    run, server = run_at("body-token", fault="repeat")
    (walk,) = discovery.walks(run, [{}], 20, size=5)
    assert (walk.complete, walk.ended, walk.loops_back_to) == (False, False, 1)
    assert len(server.seen) == 2, server.seen  # pages 1 and 2 only: page 2 names itself


# --- past-end-status: a page past the last answers a status, not 200 with no records ---------------------

TYPED_SPEC = Path(__file__).resolve().parents[1] / "data" / "typed-list" / "typed-list.openapi.yaml"
TYPED_PAST_END = "TL-PAGE-PAST-END"


def offset_answer(count: int, past_end: str) -> Any:
    """`GET /v1/things?offset=O&limit=L` over things 1..count; past the last: `past_end` says how
    (`404`: 404 "Invalid page."; `empty`: 200 []; `records`: 200 with the last thing again, to small
    pages; `soon`: 404 already at the last page's start; `unpaged`: every thing to a query without paging,
    else the first page of 10 as any query)."""

    def answer(path: str) -> tuple[int, dict[str, str], bytes]:
        query = dict(parse_qsl(urlsplit(path).query))
        offset, limit = int(query.get("offset", "0")), min(int(query.get("limit", "10")), 100)
        things = [{"id": n} for n in range(offset + 1, min(offset + limit, count) + 1)]
        headers = {"Content-Type": "application/json"}
        if (offset >= count and past_end == "404") or (past_end == "soon" and offset and offset + limit >= count):
            return 404, headers, b'{"detail": "Invalid page."}'
        if past_end == "unpaged" and not {"offset", "limit"} & set(query):
            things = [{"id": n} for n in range(1, count + 1)]
        if offset >= count and past_end == "records" and limit <= 25:  # not the honoured-size probe
            things = [{"id": count}]
        return 200, headers, json.dumps(things).encode()

    return answer


@pytest.fixture
def typed_run_at(scripted: Any) -> Any:
    typed = contract.load_spec(TYPED_SPEC)

    def make(answer: Any, status: int | None, **changes: Any) -> tuple[ApiRun, Any]:
        server = scripted(answer)
        paging = dataclasses.replace(typed.semantics.paging, past_end_status=status, **changes)
        loaded = dataclasses.replace(typed, semantics=dataclasses.replace(typed.semantics, paging=paging))
        config = RunConfig.checked(
            apis=["typed-list"],
            base_urls={"typed-list": server.url("/v1")},
            contracts={"typed-list": loaded},
            rate_limit=TEST_SERVER_RATE,
        )
        return ConformanceSession(config).runs[0], server

    return make


def test_a_walk_ends_at_the_past_end_status_complete(typed_run_at: Any) -> None:
    """40 things in pages of 20: the third page answers 404. With past-end-status 404 the walk is complete;
    without it the walk stops unanswered (as before)."""
    for status, complete in ((404, True), (None, False)):
        run, _ = typed_run_at(offset_answer(40, "404"), status)
        (walk,) = discovery.walks(run, [{}], size=20)
        assert (walk.complete, len(walk.records), len(walk.replies)) == (complete, 40, 3), status
        assert (walk.unanswered is None) == complete


@pytest.mark.parametrize(
    ("past_end", "expected"),
    [("404", Verdict.PASS), ("empty", Verdict.PASS), ("records", Verdict.FAIL), ("soon", Verdict.FAIL)],
)
def test_walk_ends_cleanly_judges_the_page_past_the_end_by_the_declared_status(
    typed_run_at: Any, past_end: str, expected: Verdict
) -> None:
    """A 404 past the last page passes when the spec declares it, and so does a 200 with no records
    (DECISIONS.md D-GEN-71); records there fail, and so does the status where records still lie."""
    run, _ = typed_run_at(offset_answer(40, past_end), 404)
    paging_checks.walk_ends_cleanly(run)
    record = run.ledger[TYPED_PAST_END]
    assert record.verdict is expected, (record.reasons(), [f.message for f in record.failures])
    if past_end == "soon":
        assert "the status past the last page" in record.failures[0].message


# --- applies: when-given ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("past_end", "expected"), [("unpaged", Verdict.PASS), ("empty", Verdict.FAIL)])
def test_a_query_without_paging_parameters_is_answered_every_record(
    typed_run_at: Any, past_end: str, expected: Verdict
) -> None:
    """150 things, at most 100 a page: the unpaged answer holds all 150 (more than any page could), or
    (a server that pages by default) its first 10 fail."""
    requirements = {**contract.load_spec(TYPED_SPEC).semantics.paging.requirements, "unpaged": "TL-PAGE-OFFSET"}
    run, _ = typed_run_at(offset_answer(150, past_end), None, applies="when-given", requirements=requirements)
    paging_checks.omitted_page_is_first_page(run)
    record = run.ledger["TL-PAGE-OFFSET"]
    assert record.verdict is expected and record.checks == {"omitted_page_is_first_page"}, record.reasons()
    if expected is Verdict.PASS:
        assert record.judging_passes


def test_with_when_given_the_omitted_page_is_judged_as_unpaged_and_the_default_size_not_at_all() -> None:
    semantics = contract.load_spec(TYPED_SPEC).semantics
    paging = dataclasses.replace(semantics.paging, applies="when-given", requirements={"default-size": "X"})
    given = dataclasses.replace(semantics, paging=paging)
    unpaged = dataclasses.replace(semantics, paging=dataclasses.replace(paging, requirements={"unpaged": "X"}))
    registered = relations()
    assert registered["omitted_page_is_first_page"].applies(semantics)
    assert not registered["omitted_page_is_first_page"].applies(given)  # when-given, and no unpaged requirement
    assert registered["omitted_page_is_first_page"].applies(unpaged)
    assert not registered["default_page_size_is_prefix"].applies(given)


@functools.cache
def _block_validator() -> tuple[dict[str, Any], Any]:
    """The typed-list spec's x-apiconform block and a validator of the x-apiconform schema (read once)."""
    schema = yaml.safe_load((contract.specs_dir() / "schemas" / "x-apiconform.schema.yaml").read_text())
    return yaml.safe_load(TYPED_SPEC.read_text())["x-apiconform"], jsonschema.Draft202012Validator(schema)


def _paging_errors(paging: dict[str, Any]) -> list[str]:
    block, validator = _block_validator()
    return [error.message for error in validator.iter_errors({**block, "paging": paging})]


@pytest.mark.parametrize(
    ("paging", "valid"),
    [
        ({"applies": "when-given", "requirements": {"size-bound": "A-B", "skip": "A-B", "past-end": "A-B"}}, False),
        (
            {
                "applies": "when-given",
                "requirements": {"size-bound": "A-B", "skip": "A-B", "past-end": "A-B", "unpaged": "A-B"},
            },
            True,
        ),
        ({"requirements": {"size-bound": "A-B", "skip": "A-B", "past-end": "A-B"}}, False),
        ({"past-end-status": 404}, True),
        ({"past-end-status": 200}, False),
    ],
)
def test_the_schema_asks_for_the_requirements_each_paging_applies_by(paging: dict[str, Any], valid: bool) -> None:
    base = {
        "style": "offset-limit",
        "offset-param": "offset",
        "limit-param": "limit",
        "requirements": {"size-bound": "A-B", "skip": "A-B", "first-page-default": "A-B", "past-end": "A-B"},
    }
    assert (not _paging_errors({**base, **paging})) == valid


@pytest.mark.parametrize(
    ("next_page", "valid"),
    [({"body-url": "/next"}, True), ({}, False), ({"body-token": "/a", "link": "next"}, False), ({"url": "/a"}, False)],
)
def test_a_cursor_paging_names_exactly_one_next_location(next_page: dict[str, str], valid: bool) -> None:
    paging = {
        "style": "cursor",
        "cursor-param": "cursor",
        "size-param": "limit",
        "next": next_page,
        "requirements": {"size-bound": "A-B", "skip": "A-B", "past-end": "A-B"},
    }
    assert (not _paging_errors(paging)) == valid


def test_a_sorted_page_boundary_on_a_cursor_api_names_the_second_page_by_the_query_sent(
    cursor_contract: contract.Contract,
) -> None:
    """sorted_by_each_key judges the last record of a sorted first page against the first of the page it
    names; the words for that page came from `Paging.page(1, size)`, which a cursor pager refuses (a
    ValueError ended Datasette's run in the suite's own error)."""
    semantics = dataclasses.replace(
        cursor_contract.semantics,
        ordering=dataclasses.replace(
            cursor_contract.semantics.ordering,
            requirements={"field": "CL-ORDER-STABLE", "default-order": "CL-ORDER-STABLE"},
        ),
    )
    secrets = Redactor()

    def reply(query: dict[str, str], ids: list[int]) -> Exchange:
        content = json.dumps({"items": [{"id": n} for n in ids]}).encode()
        headers = {"Content-Type": ["application/json"]}
        return Exchange.of(
            secrets, "GET", "http://127.0.0.1/v1/items", {}, query, status=200, headers=headers, content=content
        )

    first = reply({"limit": "2", "sort": "id"}, [1, 2])
    second = reply({"limit": "2", "sort": "id", "cursor": "c2"}, [3, 4])
    keys = [OrderKey("/id", "decimal", "asc")]
    observation = ordering.boundary(semantics, {"sort": "id"}, keys, {"id": 2}, {"id": 3}, (first, second), 2)
    assert observation.outcome is Outcome.PASS, observation
    assert "the first of limit=2&cursor=c2 are in order" in observation.message
    backwards = ordering.boundary(semantics, {"sort": "id"}, keys, {"id": 3}, {"id": 2}, (first, second), 2)
    assert backwards.outcome is Outcome.FAIL and "limit=2&cursor=c2 are out of order" in backwards.message
