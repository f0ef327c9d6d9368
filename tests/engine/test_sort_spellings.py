"""The sort spellings that name the direction in every query: a field parameter whose value a prefix
marks descending (`ordering=-name`, Django REST framework's OrderingFilter) and one parameter per
direction (`_sort=name`, `_sort_desc=name`, Datasette's). A scripted loopback server sorted right passes
the sort field, both directions and the tiebreak on observations that could have failed; the same server
serving a descending query ascending (the prefix read away, `_sort_desc` taken for `_sort`) fails the
direction. Before these spellings the schema refused both specs."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from apiconform import contract
from apiconform.contract import ContractError, OrderKey
from apiconform.engine.checks import ordering
from apiconform.engine.config import RunConfig
from apiconform.engine.model.jsonbody import LargeInt
from apiconform.engine.model.records import comparable, order_violation
from apiconform.engine.model.verdicts import Verdict
from apiconform.engine.session import ConformanceSession
from tests.engine.scripted import TEST_SERVER_RATE, Scripted

FOLDER = Path(__file__).resolve().parents[1] / "data" / "sort-spellings"
API = "sort-spellings"
BASE_PATH = "/v1"
MAX_LIMIT = 10  # the server's largest page: a sort's first page is followed by a second
NAMES = ("kilo", "alpha", "juliet", "echo", "bravo", "india", "golf", "charlie", "hotel", "delta", "foxtrot", "lima")
PREFIX = {"field-param": "ordering", "descending-prefix": "-"}
DIRECTION_PARAMS = {"direction-params": {"_sort": "asc", "_sort_desc": "desc"}}
SORT_REQUIREMENTS = ("TS-SORT-FIELD", "TS-SORT-DIRECTION", "TS-SORT-TIEBREAK")


def things() -> list[dict[str, Any]]:
    """30 things: distinct names in no id order, scores 0 to 4 (six things each, ties the id breaks)."""
    return [{"id": n, "name": f"{NAMES[n % len(NAMES)]}-{n:02d}", "score": n * 7 % 5} for n in range(1, 31)]


def sorted_things(key: str, descending: bool) -> list[dict[str, Any]]:
    # Python's sort is stable, reverse=True too: ties keep id order, the spec's tiebreak.
    return sorted(things(), key=lambda thing: thing[key], reverse=descending)


def answer_for(spelling: str, fault: str | None) -> Callable[[str], tuple[int, dict[str, str], bytes]]:
    """The list on a scripted server: offset/limit paging (at most MAX_LIMIT), sorted as `spelling` asks
    (`prefix`: ordering=name, ordering=-name; `direction-params`: _sort=name, _sort_desc=name); `fault`
    `descending-served-ascending` serves every descending query ascending."""

    def answer(target: str) -> tuple[int, dict[str, str], bytes]:
        split = urlsplit(target)
        query = {name: values[0] for name, values in parse_qs(split.query, keep_blank_values=True).items()}
        if split.path != BASE_PATH + "/things":
            return 404, {"Content-Type": "application/json"}, b'{"error": "no route"}'
        key, descending = None, False
        if spelling == "prefix" and "ordering" in query:
            key, descending = query["ordering"].removeprefix("-"), query["ordering"].startswith("-")
        elif spelling == "direction-params":
            key, descending = query.get("_sort_desc", query.get("_sort")), "_sort_desc" in query
        descending = descending and fault != "descending-served-ascending"
        records = sorted_things(key, descending) if key in ("name", "score") else things()
        offset, limit = int(query.get("offset", "0")), min(int(query.get("limit", str(MAX_LIMIT))), MAX_LIMIT)
        return 200, {"Content-Type": "application/json"}, json.dumps(records[offset : offset + limit]).encode()

    return answer


def spec_with(tmp_path: Path, sort: dict[str, Any], **order_requirements: str) -> Path:
    """The test API's folder copied, its order.sort spelt as `sort` (the keys kept)."""
    target = tmp_path / "sort-spellings"
    shutil.copytree(FOLDER, target)
    spec_path = target / "sort-spellings.openapi.yaml"
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    order = spec["x-apiconform"]["order"]
    order["sort"] = {**sort, "keys": order["sort"]["keys"]}
    order["requirements"].update(order_requirements)
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return spec_path


@pytest.fixture
def verdicts(tmp_path: Path) -> Iterator[Callable[[dict[str, Any], str, str | None], dict[str, Verdict]]]:
    """`verdicts(sort, spelling, fault)`: the sort requirements' verdicts after `sorted_by_each_key` (and
    `records_in_order` on each of its replies) ran against a scripted server."""
    servers: list[Scripted] = []

    def run(sort: dict[str, Any], spelling: str, fault: str | None) -> dict[str, Verdict]:
        loaded = contract.load_spec(spec_with(tmp_path, sort))
        servers.append(Scripted(answer_for(spelling, fault)))
        where = {API: servers[-1].url(BASE_PATH)}
        config = RunConfig.checked(apis=[API], base_urls=where, contracts={API: loaded}, rate_limit=TEST_SERVER_RATE)
        session = ConformanceSession(config)
        api_run = session.api_run(API)
        session.ensure_relation(api_run, "sorted_by_each_key")
        assert not api_run.ledger.errors
        return {rid: api_run.ledger[rid].verdict for rid in SORT_REQUIREMENTS}

    yield run
    for server in servers:
        server.close()


@pytest.mark.parametrize(("sort", "spelling"), [(PREFIX, "prefix"), (DIRECTION_PARAMS, "direction-params")])
def test_a_server_sorted_as_the_spelling_says_passes_field_direction_and_tiebreak(
    verdicts: Callable[..., dict[str, Verdict]], sort: dict[str, Any], spelling: str
) -> None:
    assert verdicts(sort, spelling, None) == dict.fromkeys(SORT_REQUIREMENTS, Verdict.PASS)


@pytest.mark.parametrize(("sort", "spelling"), [(PREFIX, "prefix"), (DIRECTION_PARAMS, "direction-params")])
def test_a_descending_query_served_ascending_fails_the_direction(
    verdicts: Callable[..., dict[str, Verdict]], sort: dict[str, Any], spelling: str
) -> None:
    assert verdicts(sort, spelling, "descending-served-ascending")["TS-SORT-DIRECTION"] == Verdict.FAIL


# --- the spelling in the contract ----------------------------------------------------------------------


def test_each_spelling_asks_for_a_key_and_reads_back_what_a_query_asks_for(tmp_path: Path) -> None:
    prefix = contract.load_spec(spec_with(tmp_path / "p", PREFIX)).semantics.ordering.sort
    per_direction = contract.load_spec(spec_with(tmp_path / "d", DIRECTION_PARAMS)).semantics.ordering.sort
    assert prefix is not None and per_direction is not None
    assert [prefix.query("name", way) for way in prefix.ways] == [{"ordering": "name"}, {"ordering": "-name"}]
    per_way = [per_direction.query("name", way) for way in per_direction.ways]
    assert per_way == [{"_sort": "name"}, {"_sort_desc": "name"}]
    for sort in (prefix, per_direction):
        for way, direction in sort.ways.items():
            asked = sort.asked(sort.query("score", way))
            assert asked is not None and (asked.key, asked.direction, asked.explicit) == ("score", direction, True)
    # Not a documented order: an unknown key, the prefix doubled, both directions at once.
    for query in ({"ordering": "size"}, {"ordering": "--name"}, {"_sort": "name", "_sort_desc": "score"}):
        assert prefix.asked(query) is None and per_direction.asked(query) is None, query
        assert prefix.mentioned(query) or per_direction.mentioned(query)
    assert not per_direction.mentioned({"ordering": "name"})


@pytest.mark.parametrize(
    ("sort", "requirements", "says"),
    [
        (
            {**PREFIX, "direction-param": "order"},
            {},
            "must have the keys of exactly one of these forms: field-param, direction-param, default-direction, "
            "directions | field-param, descending-prefix | direction-params",
        ),
        ({"direction-params": {"_sort": "asc", "_sort_up": "asc"}}, {}, "needs one parameter for asc and one for desc"),
        (PREFIX, {"default-direction": "TS-SORT-DIRECTION"}, "there is no default direction to judge"),
    ],
    ids=["two-spellings", "no-descending-parameter", "default-direction-without-one"],
)
def test_a_sort_that_cannot_say_both_directions_or_mixes_spellings_is_refused_in_one_line(
    tmp_path: Path, sort: dict[str, Any], requirements: dict[str, str], says: str
) -> None:
    with pytest.raises(ContractError, match="^[^\n]*$") as refused:
        contract.load_spec(spec_with(tmp_path, sort, **requirements))
    assert says in str(refused.value)


# --- numbers as JSON numbers -----------------------------------------------------------------------------


def test_a_decimal_key_orders_json_numbers_by_value_and_never_claims_a_text_order_for_them() -> None:
    """Sort keys such as integer ids are JSON numbers on most servers: before, `decimal` read only numbers
    written as text, and every page sorted by one was set aside as a schema violation."""
    key = OrderKey("/n", "decimal", "asc")
    page = [{"n": 9}, {"n": 10}, {"n": 10.5}, {"n": LargeInt("1" + "0" * 5000)}]
    assert order_violation(page, [key]) is None
    assert order_violation(page[::-1], [key]) is not None
    assert comparable(True, "decimal") is None and comparable(float("nan"), "decimal") is None
    # "9" < "10" breaks text order; 9 < 10 has no text order, so it earns no numeric-not-text pass.
    assert ordering.numeric_differs([{"n": "9"}, {"n": "10"}], key)
    assert not ordering.numeric_differs(page, key)
