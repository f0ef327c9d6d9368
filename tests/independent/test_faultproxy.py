"""The fault-injecting proxy (tests/independent/faultproxy.py): each fault on sample replies, one table, and
the proxy on a loopback port in front of a scripted list server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests

from tests.engine.scripted import Scripted
from tests.independent.faultproxy import FAULTS, FaultProxy, ListShape, Origins, Reply, forwarded_path, spoiled

UPSTREAM = "http://127.0.0.1:1111"
PROXY = "http://127.0.0.1:2222"
ORIGINS = Origins(UPSTREAM, PROXY)
JSON = ("Content-Type", "application/json")

# The shapes of the usual list replies: a bare array with count headers and offset paging; an envelope with
# a count and a next URL (Django REST framework); rows with a next token (Datasette); a next-cursor header;
# a Link header with page-number paging (json-server).
ARRAY = ListShape(
    records="",
    sort_key="/k",
    total_header="X-Total-Count",
    size_param="limit",
    position_param="offset",
    first_position="0",
    filter_param="color",
)
ENVELOPE = ListShape(
    records="/results", sort_key="/k", total_pointer="/count", next_url="/next", position_param="cursor"
)
TOKEN = ListShape(records="/rows", sort_key="/k", next_token="/next", position_param="_next", size_param="_size")
HEADER = ListShape(records="", next_header="X-Next-Cursor", position_param="cursor")
LINK = ListShape(records="", next_link="next", position_param="_page", first_position="1", size_param="_limit")


def records(*keys: int) -> list[dict[str, Any]]:
    """Records with ids r0, r1, ... and the sort keys given."""
    return [{"id": f"r{index}", "k": key} for index, key in enumerate(keys)]


def ids(body: Any, pointer: str = "") -> list[str]:
    rows = body if not pointer else body[pointer.strip("/")]
    return [row["id"] for row in rows]


def reply(body: Any, *headers: tuple[str, str], status: int = 200) -> Reply:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Reply(status, (JSON, *headers), raw)


@dataclass(frozen=True)
class Case:
    """A reply to `path` spoiled by `fault`: `body` what the client gets (an object compared as JSON; bytes
    compared byte for byte: the reply's own), `headers` the values it must carry, `injected` whether the fault
    says it did something."""

    name: str
    shape: ListShape
    fault: str
    path: str
    upstream: Reply
    body: Any
    headers: tuple[tuple[str, str], ...] = ()
    injected: bool = True


THREE = records(1, 2, 3)
TIES = records(1, 2, 2, 2, 3, 3)
# The ties of TIES, each run reversed: r0, then r3 r2 r1 (k=2), then r5 r4 (k=3).
TIES_REVERSED = [TIES[0], TIES[3], TIES[2], TIES[1], TIES[5], TIES[4]]
NEXT = f"{UPSTREAM}/items?cursor=c2"
CASES = [
    # none: URLs the upstream names move to the proxy; anything else goes out as it came.
    Case(
        "none moves a body's next URL to the proxy",
        ENVELOPE,
        "none",
        "/items",
        reply({"count": 3, "next": NEXT, "results": THREE}),
        {"count": 3, "next": f"{PROXY}/items?cursor=c2", "results": THREE},
        injected=False,
    ),
    Case(
        "none moves Link targets and leaves a body without URLs byte for byte",
        LINK,
        "none",
        "/items?_page=1",
        reply(b'[ {"id": "r0",  "k": 1.50} ]', ("Link", f'<{UPSTREAM}/items?_page=2>; rel="next"')),
        b'[ {"id": "r0",  "k": 1.50} ]',
        (("Link", f'<{PROXY}/items?_page=2>; rel="next"'),),
        injected=False,
    ),
    Case(
        "none leaves a non-JSON body alone, URLs and all",
        ENVELOPE,
        "none",
        "/items",
        Reply(200, (("Content-Type", "text/html"),), f"<a href='{UPSTREAM}/x'>".encode()),
        f"<a href='{UPSTREAM}/x'>".encode(),
        injected=False,
    ),
    Case(
        "none leaves a look-alike origin alone",
        ENVELOPE,
        "none",
        "/items",
        reply({"next": UPSTREAM + "1/items", "results": []}),
        {"next": UPSTREAM + "1/items", "results": []},
        injected=False,
    ),
    # drop-at-page-end
    Case(
        "drop-at-page-end drops the last record of a full page",
        ARRAY,
        "drop-at-page-end",
        "/items?offset=3&limit=3",
        reply(THREE),
        THREE[:2],
    ),
    Case(
        "drop-at-page-end leaves a short page whole",
        ARRAY,
        "drop-at-page-end",
        "/items?offset=3&limit=4",
        reply(THREE),
        THREE,
        injected=False,
    ),
    Case(
        "drop-at-page-end: without a size in the query a page naming a next one is full",
        ENVELOPE,
        "drop-at-page-end",
        "/items",
        reply({"next": NEXT, "results": THREE}),
        {"next": f"{PROXY}/items?cursor=c2", "results": THREE[:2]},
    ),
    Case(
        "drop-at-page-end: the last page names none and stays whole",
        ENVELOPE,
        "drop-at-page-end",
        "/items?cursor=c9",
        reply({"next": None, "results": THREE}),
        {"next": None, "results": THREE},
        injected=False,
    ),
    Case(
        "drop-at-page-end: a Link naming a next page (in any case) marks a page full",
        LINK,
        "drop-at-page-end",
        "/items?_page=2",
        reply(THREE, ("Link", f"<{UPSTREAM}/items?_page=3>; rel=Next")),
        THREE[:2],
        (("Link", f"<{PROXY}/items?_page=3>; rel=Next"),),
    ),
    Case(
        "drop-at-page-end leaves an error reply alone",
        ARRAY,
        "drop-at-page-end",
        "/items?limit=3",
        reply(THREE, status=400),
        THREE,
        injected=False,
    ),
    # ties-reordered
    Case(
        "ties-reordered leaves the first page in order",
        ARRAY,
        "ties-reordered",
        "/items?offset=0&limit=6",
        reply(TIES),
        TIES,
        injected=False,
    ),
    Case(
        "ties-reordered: a page without a position is the first",
        TOKEN,
        "ties-reordered",
        "/items",
        reply({"rows": TIES, "next": "t2"}),
        {"rows": TIES, "next": "t2"},
        injected=False,
    ),
    Case(
        "ties-reordered reverses each run of ties on a later page",
        ARRAY,
        "ties-reordered",
        "/items?offset=6&limit=6",
        reply(TIES),
        TIES_REVERSED,
    ),
    Case(
        "ties-reordered: a cursor marks a later page",
        TOKEN,
        "ties-reordered",
        "/items?_next=t2",
        reply({"rows": TIES, "next": "t3"}),
        {"rows": TIES_REVERSED, "next": "t3"},
    ),
    Case(
        "ties-reordered: a record without the key ties with none",
        ARRAY,
        "ties-reordered",
        "/items?offset=6",
        reply([{"id": "a"}, {"id": "b"}]),
        [{"id": "a"}, {"id": "b"}],
        injected=False,
    ),
    # count-off-by-one
    Case(
        "count-off-by-one adds one to the total header",
        ARRAY,
        "count-off-by-one",
        "/items",
        reply(THREE, ("X-Total-Count", "7")),
        THREE,
        (("X-Total-Count", "8"),),
    ),
    Case(
        "count-off-by-one adds one to the body's total",
        ENVELOPE,
        "count-off-by-one",
        "/items",
        reply({"count": 7, "next": None, "results": THREE}),
        {"count": 8, "next": None, "results": THREE},
    ),
    Case(
        "count-off-by-one leaves an error reply's count alone",
        ARRAY,
        "count-off-by-one",
        "/items",
        reply([], ("X-Total-Count", "0"), status=404),
        b"[]",
        (("X-Total-Count", "0"),),
        injected=False,
    ),
    # cursor-repeats
    Case(
        "cursor-repeats leaves the first page's next token",
        TOKEN,
        "cursor-repeats",
        "/items",
        reply({"rows": THREE, "next": "t2"}),
        {"rows": THREE, "next": "t2"},
        injected=False,
    ),
    Case(
        "cursor-repeats names a later page's own token as the next",
        TOKEN,
        "cursor-repeats",
        "/items?_next=t2",
        reply({"rows": THREE, "next": "t3"}),
        {"rows": THREE, "next": "t2"},
    ),
    Case(
        "cursor-repeats names a later page's own URL, on the proxy, as the next",
        ENVELOPE,
        "cursor-repeats",
        "/items?cursor=c2",
        reply({"count": 9, "next": f"{UPSTREAM}/items?cursor=c3", "results": THREE}),
        {"count": 9, "next": f"{PROXY}/items?cursor=c2", "results": THREE},
    ),
    Case(
        "cursor-repeats names a later page's own cursor in the header",
        HEADER,
        "cursor-repeats",
        "/items?cursor=c2",
        reply(THREE, ("X-Next-Cursor", "c3")),
        THREE,
        (("X-Next-Cursor", "c2"),),
    ),
    Case(
        "cursor-repeats: the last page names itself too",
        HEADER,
        "cursor-repeats",
        "/items?cursor=c9",
        reply(THREE),
        THREE,
        (("X-Next-Cursor", "c9"),),
    ),
    Case(
        "cursor-repeats names a later page's own URL in the Link header, the other relations moved",
        LINK,
        "cursor-repeats",
        "/items?_page=2",
        reply(THREE, ("Link", f'<{UPSTREAM}/items?_page=3>; rel="next", <{UPSTREAM}/items?_page=1>; rel=prev')),
        THREE,
        (("Link", f'<{PROXY}/items?_page=2>; rel="next", <{PROXY}/items?_page=1>; rel=prev'),),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_each_fault_on_sample_replies(case):
    result = spoiled(case.shape, case.fault, case.path, case.upstream, ORIGINS)
    if isinstance(case.body, bytes):
        assert result.reply.body == case.body
    else:
        assert json.loads(result.reply.body) == case.body
    for name, value in case.headers:
        assert result.reply.header(name) == value
    assert result.reply.status == case.upstream.status
    assert bool(result.injected) == case.injected, result.injected


@pytest.mark.parametrize(
    ("fault", "path", "sent"),
    [
        ("filter-ignored", "/items?color=red&size=2", "/items?size=2"),
        # Every spelling of the name goes; the others keep their bytes (an escape, a repeated key).
        ("filter-ignored", "/items?a=%2C&colo%72=red&color=blue&a=b", "/items?a=%2C&a=b"),
        ("filter-ignored", "/items?color=red", "/items"),
        ("filter-ignored", "/items?colour=red", "/items?colour=red"),
        ("none", "/items?color=red", "/items?color=red"),
    ],
)
def test_filter_ignored_drops_only_the_filter_parameter(fault, path, sent):
    assert forwarded_path(ARRAY, fault, path) == sent


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: ListShape(records="", next_token="/n", next_header="X-Next"), "at most one of next_token"),
        (lambda: ListShape(records="", total_header="X-Total", total_pointer="/n"), "at most one of total_header"),
        (lambda: FaultProxy(UPSTREAM, ListShape(records=""), "filter-ignored"), "needs filter_param"),
        (lambda: FaultProxy(UPSTREAM, ListShape(records=""), "ties-reordered"), "needs sort_key and position_param"),
        (lambda: FaultProxy(UPSTREAM, ListShape(records=""), "cursor-repeats"), "needs a next-page location"),
        (lambda: FaultProxy(UPSTREAM, ListShape(records=""), "page-sideways"), "unknown fault 'page-sideways'"),
    ],
)
def test_a_shape_that_cannot_play_its_fault_is_refused_in_one_line(make, message):
    with pytest.raises(ValueError, match=message) as raised:
        make()
    assert "\n" not in str(raised.value)


def test_every_fault_has_a_sample():
    assert {case.fault for case in CASES} | {"filter-ignored"} == set(FAULTS)


# --- through the proxy on a loopback port --------------------------------------------------------------

# Seven records, paged three at a time by an offset cursor; each page names the next by its URL.
ROWS = records(1, 1, 2, 3, 3, 3, 4)


@pytest.fixture
def cursor_server() -> Iterator[Scripted]:
    holder: list[Scripted] = []

    def answer(path: str) -> tuple[int, list[tuple[str, str]], bytes]:
        if path == "/text":
            return 200, [("Content-Type", "text/plain"), ("X-Twice", "a"), ("X-Twice", "b")], b"plain, untouched"
        query = dict(parse_qsl(urlsplit(path).query))
        offset, size = int(query.get("cursor", "0")), int(query.get("page_size", "3"))
        after = offset + size
        nxt = holder[0].url("/items?" + urlencode({"cursor": after, "page_size": size})) if after < len(ROWS) else None
        body = json.dumps({"count": len(ROWS), "next": nxt, "results": ROWS[offset:after]}).encode()
        return 200, [JSON], body

    holder.append(Scripted(answer))
    yield holder[0]
    holder[0].close()


def walk(start: str, pages: int = 10) -> tuple[list[str], list[requests.Response]]:
    """Follow next URLs from `start` for at most `pages` pages: the ids seen, and each reply."""
    seen: list[str] = []
    replies: list[requests.Response] = []
    url: str | None = start
    while url is not None and len(replies) < pages:
        answer = requests.get(url, timeout=10)
        replies.append(answer)
        seen += ids(answer.json()["results"])
        url = answer.json()["next"]
    return seen, replies


def test_the_proxy_in_front_of_a_cursor_paged_server(cursor_server):
    shape = ListShape(
        records="/results", sort_key="/k", total_pointer="/count", next_url="/next", position_param="cursor"
    )
    upstream = cursor_server.url()
    with FaultProxy(upstream, shape) as proxy:
        seen, replies = walk(proxy.url("/items?page_size=3"))
        text = requests.get(proxy.url("/text"), timeout=10)
        assert not proxy.injected
    # Every record once, in order; every next URL on the proxy; each length the body's own.
    assert seen == ids(ROWS)
    assert all(answer.json()["next"] is None or answer.json()["next"].startswith(proxy.origin) for answer in replies)
    assert all(int(answer.headers["Content-Length"]) == len(answer.content) for answer in [*replies, text])
    assert text.content == b"plain, untouched"
    assert text.raw.headers.getlist("X-Twice") == ["a", "b"]

    with FaultProxy(upstream, shape, "drop-at-page-end") as proxy:
        seen, _ = walk(proxy.url("/items?page_size=3"))
        assert len(proxy.injected) == 2
    # Both full pages lost their last record; the short last page is whole.
    assert seen == ["r0", "r1", "r3", "r4", "r6"]

    with FaultProxy(upstream, shape, "cursor-repeats") as proxy:
        seen, replies = walk(proxy.url("/items?page_size=3"), pages=4)
    # The second page names itself as the next one: the walk goes no further.
    assert [answer.url for answer in replies[1:]] == [replies[1].url] * 3
    assert replies[1].json()["next"] == replies[1].url
    assert seen == ids(ROWS[:3]) + ids(ROWS[3:6]) * 3
