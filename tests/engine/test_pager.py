"""The pagers of `contract.Paging`, without HTTP: queries in, queries out.

`page` asks for a page by its position, `after` for the page that follows a reply; walking `after` from
the first page must ask for exactly the pages `page` names, so that the walks that step with `after`
send the same requests as before. The cursor pager can only step, by what each reply names (a token or a
URL in the body, a header, a Link header), and the relations which need pages by position switch
themselves off for it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest
from requests.structures import CaseInsensitiveDict

from apiconform import contract
from apiconform.contract import CursorPaging, NextPage, OffsetLimitPaging, PageNumberPaging, Paging, link_target, links
from apiconform.engine.checks import relations

PAGE_NUMBER = PageNumberPaging("pageNumber", "pageSize", {})
PAGE_NUMBER_FROM_ONE = PageNumberPaging("page", "per_page", {}, first_page=1)
OFFSET = OffsetLimitPaging("offset", "limit", {})
PAGERS = [PAGE_NUMBER, PAGE_NUMBER_FROM_ONE, OFFSET]


def ordered(query: Mapping[str, str] | None) -> list[tuple[str, str]] | None:
    """The query's parameters in their order: the order the URL sends them in."""
    return None if query is None else list(query.items())


# (pager, index, size, the query of that page)
PAGES = [
    (PAGE_NUMBER, 0, 10, {"pageNumber": "0", "pageSize": "10"}),
    (PAGE_NUMBER, 3, 2, {"pageNumber": "3", "pageSize": "2"}),
    (PAGE_NUMBER_FROM_ONE, 0, 10, {"page": "1", "per_page": "10"}),
    (PAGE_NUMBER_FROM_ONE, 4, 25, {"page": "5", "per_page": "25"}),
    (OFFSET, 0, 10, {"offset": "0", "limit": "10"}),
    (OFFSET, 3, 2, {"offset": "6", "limit": "2"}),
    (OFFSET, 37, 2, {"offset": "74", "limit": "2"}),
]


@pytest.mark.parametrize(("pager", "index", "size", "expected"), PAGES)
def test_page_names_the_page_at_a_position(pager: Paging, index: int, size: int, expected: dict[str, str]) -> None:
    assert ordered(pager.page(index, size)) == ordered(expected)


# (pager, the query of a reply, the records it held, the query of the page after it; None: no such page)
AFTER = [
    # From the first page, a full page steps to the second.
    (PAGE_NUMBER, {"pageNumber": "0", "pageSize": "5"}, 5, {"pageNumber": "1", "pageSize": "5"}),
    (PAGE_NUMBER_FROM_ONE, {"page": "1", "per_page": "5"}, 5, {"page": "2", "per_page": "5"}),
    (OFFSET, {"offset": "0", "limit": "5"}, 5, {"offset": "5", "limit": "5"}),
    # An absent size stays absent (the server's default size applies to the next page too).
    (PAGE_NUMBER, {"pageNumber": "2"}, 20, {"pageNumber": "3"}),
    (OFFSET, {"offset": "40"}, 20, {"offset": "60"}),
    # A missing position is the first page's; the position is added after the other parameters.
    (PAGE_NUMBER, {"status": "open"}, 20, {"status": "open", "pageNumber": "1"}),
    (PAGE_NUMBER_FROM_ONE, {"per_page": "3"}, 3, {"per_page": "3", "page": "2"}),
    (OFFSET, {"limit": "3", "status": "open"}, 3, {"limit": "3", "status": "open", "offset": "3"}),
    (OFFSET, {}, 7, {"offset": "7"}),
    # Every other parameter is kept where it was.
    (
        PAGE_NUMBER,
        {"sort": "id", "pageNumber": "4", "state": "a,b", "pageSize": "2"},
        2,
        {"sort": "id", "pageNumber": "5", "state": "a,b", "pageSize": "2"},
    ),
    # A page number moves on by one page whatever the page held; an offset by the records it held.
    (PAGE_NUMBER, {"pageNumber": "0", "pageSize": "5"}, 2, {"pageNumber": "1", "pageSize": "5"}),
    (OFFSET, {"offset": "10", "limit": "5"}, 2, {"offset": "12", "limit": "5"}),
    # A position that is not an integer has no page after it.
    *(
        (pager, {pager.position_param: text, pager.size_param: "5"}, 5, None)
        for pager in (PAGE_NUMBER, OFFSET)
        for text in ("two", "1.5", "", " 1", "+1", "1_0", "\u0661", "-")
    ),
]


@pytest.mark.parametrize(("pager", "query", "returned", "expected"), AFTER)
def test_after_names_the_page_that_follows(
    pager: Paging, query: dict[str, str], returned: int, expected: dict[str, str] | None
) -> None:
    before = dict(query)
    assert ordered(pager.after(query, returned)) == ordered(expected)
    assert query == before, "the query asked with is not changed"


@pytest.mark.parametrize("pager", PAGERS, ids=lambda pager: f"{pager.style}-{pager.position_param}")
def test_positional_pagers_read_no_body(pager: Paging) -> None:
    query = pager.page(2, 5)
    assert pager.after(query, 5, {"next": "elsewhere", "links": {"next": "/x"}}) == pager.after(query, 5)


@pytest.mark.parametrize("pager", PAGERS, ids=lambda pager: f"{pager.style}-{pager.position_param}")
@pytest.mark.parametrize("size", [1, 3, 25])
def test_walking_full_pages_with_after_asks_for_the_pages_page_names(pager: Paging, size: int) -> None:
    query: dict[str, str] | None = pager.page(0, size)
    for steps in range(6):
        assert ordered(query) == ordered(pager.page(steps, size)), f"after {steps} steps"
        assert query is not None
        query = pager.after(query, size)


# (api, the pager class its spec's paging parses to, position parameter, size parameter, first page)
SPEC_PAGERS = [
    ("bitgo-oes", PageNumberPaging, "pageNumber", "pageSize", 0),
    ("bitgo-connections", PageNumberPaging, "pageNumber", "pageSize", 0),
    ("brm-adjust-balance", OffsetLimitPaging, "offset", "limit", None),
]


@pytest.mark.parametrize(("api", "kind", "position", "size", "first_page"), SPEC_PAGERS)
def test_a_spec_paging_parses_to_the_pager_of_its_style(
    api: str, kind: type[Paging], position: str, size: str, first_page: int | None
) -> None:
    paging = contract.load(api).semantics.paging
    assert type(paging) is kind
    assert (paging.position_param, paging.size_param) == (position, size)
    assert getattr(paging, "first_page", None) == first_page
    assert set(paging.requirements) >= {"size-bound", "skip", "first-page-default", "past-end"}


def test_the_shipped_specs_use_every_style() -> None:
    assert {type(contract.load(api).semantics.paging) for api in contract.api_names()} == {
        PageNumberPaging,
        OffsetLimitPaging,
    }


# (pager class, its style word in the spec, pages by position, pages at any record)
STYLES = [
    (PageNumberPaging, "page-number", True, False),
    (OffsetLimitPaging, "offset-limit", True, True),
    (CursorPaging, "cursor", False, False),
]


@pytest.mark.parametrize(("kind", "style", "random_access", "record_positions"), STYLES)
def test_each_pager_says_what_its_style_can_ask_for(
    kind: type[Paging], style: str, random_access: bool, record_positions: bool
) -> None:
    assert (kind.style, kind.random_access, kind.record_positions) == (style, random_access, record_positions)


# --- the cursor style ---------------------------------------------------------------------------------

CURSOR = CursorPaging("cursor", "limit", {}, next_page=NextPage(body_token="/nextCursor"))

# The relations that ask for pages by position (a page index past the first, or a record position); the
# tiling and past-the-end relations judge a cursor style by walks instead.
NEEDS_POSITIONS = {
    "oversize_pages_keep_their_position",
    "omitted_page_is_first_page",
    "total_count_invariant",
    "default_order_holds",
}


def test_a_cursor_pager_names_only_the_first_page() -> None:
    assert CURSOR.page(0, 5) == {"limit": "5"}
    with pytest.raises(ValueError, match="first page only"):
        CURSOR.page(1, 5)
    assert (CURSOR.random_access, CURSOR.position({"cursor": "c2"})) == (False, None)


@pytest.mark.parametrize(
    ("query", "body", "expected"),
    [
        ({"limit": "2"}, {"items": [1, 2], "nextCursor": "c2"}, {"limit": "2", "cursor": "c2"}),
        ({"limit": "2", "cursor": "c2"}, {"items": [3, 4], "nextCursor": "c3"}, {"limit": "2", "cursor": "c3"}),
        ({"limit": "2", "cursor": "c2"}, {"nextCursor": 17}, {"limit": "2", "cursor": "17"}),
        # The last page: no cursor, null, empty, or not a cursor at all.
        ({"limit": "2", "cursor": "c3"}, {"items": [5]}, None),
        ({"limit": "2"}, {"nextCursor": None}, None),
        ({"limit": "2"}, {"nextCursor": ""}, None),
        ({"limit": "2"}, {"nextCursor": True}, None),
        ({"limit": "2"}, {"nextCursor": {"a": 1}}, None),
        ({"limit": "2"}, None, None),
    ],
)
def test_a_cursor_pager_steps_by_the_cursor_each_reply_names(
    query: dict[str, str], body: Any, expected: dict[str, str] | None
) -> None:
    assert ordered(CURSOR.after(query, 2, body)) == ordered(expected)


def test_a_next_url_gives_its_query_only() -> None:
    """Scheme, host and path of a next URL are not read: the run stays on the list operation's URL."""
    pager = CursorPaging("cursor", "limit", {}, next_page=NextPage(body_url="/links/next"))
    body = {"links": {"next": "https://elsewhere.example/x/y?cursor=abc%3D&limit=5&id=1&id=2&empty="}}
    assert ordered(pager.after({"limit": "5", "sort": "id"}, 5, body)) == [
        ("cursor", "abc="),
        ("limit", "5"),
        ("id", "1,2"),
        ("empty", ""),
    ]
    assert pager.after({}, 5, {"links": {"next": None}}) is None
    assert ordered(pager.after({}, 5, {"links": {"next": "?page=2"}})) == [("page", "2")]


def test_a_header_cursor_is_read_from_the_reply_headers() -> None:
    pager = CursorPaging("after", "size", {}, next_page=NextPage(header_token="X-Next-Cursor"))
    headers = CaseInsensitiveDict({"x-next-cursor": " t2 "})
    assert pager.after({"size": "3"}, 3, {"ignored": 1}, headers) == {"size": "3", "after": "t2"}
    assert pager.after({"size": "3"}, 3, None, CaseInsensitiveDict({"X-Next-Cursor": ""})) is None
    assert pager.after({"size": "3"}, 3, None, None) is None


LINK = CursorPaging("cursor", "limit", {}, next_page=NextPage(link="next"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('<https://a.example/items?cursor=c2&limit=2>; rel="next"', "c2"),
        ("<https://a.example/items?cursor=c2>; rel=next", "c2"),
        # Several links, on lines joined with ", "; several relation types in one rel; case-insensitive.
        ('<?cursor=c0>; rel="first", <?cursor=c9>; rel="last NEXT"', "c9"),
        ('<?cursor=p>; rel="prev"; title="a, b; <c>", <?cursor=n>; rel="next"', "n"),
        ('<?cursor=a,b>; rel="next"', "a,b"),  # a comma inside the target
        ('<?cursor=x>; title="next"; rel="previous"', None),  # "next" elsewhere than in rel
        ('<?cursor=x>; rel="nextpage"', None),
        ('<?cursor=x>; rel="prev", garbage, <?cursor=y>; rel="next"', None),  # malformed: read up to it
        ("", None),
    ],
)
def test_a_link_header_names_the_next_page_by_its_relation_type(value: str, expected: str | None) -> None:
    found = LINK.after({"limit": "2"}, 2, None, CaseInsensitiveDict({"Link": value}) if value else None)
    assert (found or {}).get("cursor") == expected


def test_a_link_header_is_parsed_into_targets_and_parameters() -> None:
    value = '<https://a.example/1>; rel="next last"; title="x \\"y\\"", <https://a.example/2>;REL=prev;rel=up'
    assert links(value) == [
        ("https://a.example/1", {"rel": "next last", "title": 'x "y"'}),
        ("https://a.example/2", {"rel": "prev"}),  # a parameter given twice keeps its first value
    ]
    assert link_target(value, "LAST") == "https://a.example/1"


@pytest.mark.parametrize("api", contract.api_names())
def test_only_the_relations_that_need_positions_switch_off_for_a_cursor_style(api: str) -> None:
    semantics = contract.load(api).semantics
    paging = semantics.paging
    cursor = replace(semantics, paging=CursorPaging(paging.position_param, paging.size_param, paging.requirements))
    registered = relations()
    assert set(registered) >= NEEDS_POSITIONS
    for name, check in registered.items():
        if name in NEEDS_POSITIONS:
            assert not check.applies(cursor), f"{name} asks for pages by position but applies to a cursor style"
        else:
            assert check.applies(cursor) == check.applies(semantics), name
