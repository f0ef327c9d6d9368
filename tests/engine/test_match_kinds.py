"""The match kinds of issue 25 (decimal and text ranges, not-equal, contains, icontains, starts-with, regex):
one table of what each kind says of a record value, the load-time refusal of a list for a kind that takes
one value, and the filter relation on a small parts server (tests/data/match-kinds), which passes when it
filters right and fails the right requirement for each way of filtering wrong."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml
from requests.structures import CaseInsensitiveDict

from apiconform import contract
from apiconform.contract import Filter
from apiconform.engine.checks import filtering
from apiconform.engine.checks.base import Context, Judge
from apiconform.engine.config import RunConfig
from apiconform.engine.model.discovery import Discovery, Walk
from apiconform.engine.model.exchange import Exchange
from apiconform.engine.model.jsonbody import parse_body
from apiconform.engine.model.records import EITHER, record_matches
from apiconform.engine.model.verdicts import Evidence
from apiconform.engine.session import ConformanceSession
from tests.engine.scripted import TEST_SERVER_RATE
from tests.loopback import InThread

SPEC = Path(__file__).resolve().parents[1] / "data" / "match-kinds" / "match-kinds.openapi.yaml"

MATCH, NO, BOTH, UNTOLD = True, False, EITHER, None
ABSENT = object()  # the record has no such field

# kind, the query value, the record's field, what the kind says of it.
CASES: list[tuple[str, str, Any, Any]] = [
    # Decimal ranges: by value, at the bound and beside it; numbers written as text are numbers too.
    ("decimal-gt", "9", 9, NO),  # gt excludes the bound itself
    ("decimal-gte", "9", 9, MATCH),  # gte includes it
    ("decimal-gt", "9", 10, MATCH),  # 10 > 9 (as text "10" < "9")
    ("decimal-lt", "10", 9, MATCH),
    ("decimal-lt", "10", 10, NO),
    ("decimal-lte", "10", 10.0, MATCH),
    ("decimal-gte", "1.5", "1.50", MATCH),  # "1.50" == 1.5
    ("decimal-gt", "1.50", 1.5, NO),
    ("decimal-lt", "9.1", 9, MATCH),  # just beside 9
    ("decimal-gt", "8.9", 9, MATCH),
    ("decimal-lte", "-1", -1.0, MATCH),
    ("decimal-gt", "99999999999999999998", 99999999999999999999, MATCH),  # long integers exactly
    ("decimal-gt", "5", None, NO),  # null never matches a range
    ("decimal-lt", "5", ABSENT, NO),  # nor does an absent field
    ("decimal-gt", "5", "abc", BOTH),  # not a number: engines differ (D-GEN-80)
    ("decimal-gt", "5", True, BOTH),  # a boolean is no number
    ("decimal-gt", "ten", 10, UNTOLD),  # a bound that is no number judges nothing
    # Text ranges: code point order, the bound as sent.
    ("text-gt", "beta", "beta", NO),
    ("text-gte", "beta", "beta", MATCH),
    ("text-gt", "beta", "betaa", MATCH),
    ("text-lt", "beta", "Zeta", MATCH),  # "Z" (U+005A) before "b" (U+0062)
    ("text-lte", "10", "9", NO),  # text, not numbers
    ("text-gt", "é", "z", NO),  # U+00E9 after "z" (U+007A)
    ("text-gt", "a", None, NO),
    ("text-gt", "a", 5, BOTH),  # a number at a text field
    # not-equal: by JSON type as exact; null may go either way.
    ("not-equal", "beta", "beta", NO),
    ("not-equal", "beta", "Beta", MATCH),
    ("not-equal", "5", 5.0, NO),
    ("not-equal", "5", 6, MATCH),
    ("not-equal", "beta", None, BOTH),  # SQL's != leaves it out, Django's exclude() keeps it
    ("not-equal", "beta", ABSENT, BOTH),
    # contains, icontains, starts-with.
    ("contains", "lph", "alpha", MATCH),
    ("contains", "lph", "beta", NO),
    ("contains", "LPH", "alpha", BOTH),  # case-blind LIKE (SQLite, MySQL) finds it too (D-GEN-79)
    ("contains", "lph", None, NO),
    ("contains", "lph", ABSENT, NO),
    ("contains", "5", 150, BOTH),  # a number: some engines cast it
    ("icontains", "LPH", "Alpha", MATCH),
    ("icontains", "x", "alpha", NO),
    ("icontains", "É", "é", BOTH),  # beyond ASCII only some flavours fold case
    ("starts-with", "al", "alpha", MATCH),
    ("starts-with", "lp", "alpha", NO),  # inside, not at the start
    ("starts-with", "AL", "alpha", BOTH),
    # regex: literal fragments, anchored or not, read alike by every flavour.
    ("regex", "lph", "alpha", MATCH),
    ("regex", "^al", "alpha", MATCH),
    ("regex", "^lp", "alpha", NO),
    ("regex", "ha$", "alpha", MATCH),
    ("regex", "^alpha$", "alpha", MATCH),
    ("regex", "^alp$", "alpha", NO),
    ("regex", "ha$", "alpha\n", BOTH),  # `$` before a final newline: Python and PCRE, not POSIX
    ("regex", "^be", "alpha\nbeta", BOTH),  # a line's start: multi-line flavours only
    ("regex", "^AL", "alpha", BOTH),  # MySQL's REGEXP ignores case
    ("regex", "al", None, NO),
    ("regex", "a.c", "abc", UNTOLD),  # a metacharacter: never sent, never judged
]


@pytest.mark.parametrize(("kind", "value", "field", "expected"), CASES)
def test_each_match_kind_judges_a_record_value(kind: str, value: str, field: Any, expected: Any) -> None:
    flt = Filter("p", kind, "single", "R", field="/f")
    record = {} if field is ABSENT else {"f": field}
    assert record_matches(record, flt, value) is expected


@pytest.mark.parametrize("kind", ["decimal-gt", "text-lte", "instant-gte", "not-equal"])
def test_a_filter_that_compares_one_value_refuses_a_list_at_load(tmp_path: Path, kind: str) -> None:
    folder = tmp_path / "match-kinds"
    folder.mkdir()
    for path in SPEC.parent.rglob("*"):
        if path.is_file():
            (folder / path.relative_to(SPEC.parent)).parent.mkdir(parents=True, exist_ok=True)
            (folder / path.relative_to(SPEC.parent)).write_bytes(path.read_bytes())
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    spec["x-apiconform"]["filters"]["price__gt"].update(match=kind, list="comma")
    spec["x-apiconform"]["filter-requirements"] = {"comma-list": "MK-NAME-NE", "and": "MK-NAME-NE"}
    (folder / SPEC.name).write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    with pytest.raises(contract.ContractError, match=rf"filter price__gt \(match: {kind}\) .*takes no list"):
        contract.load_spec(folder / SPEC.name)


# --- the parts server ---------------------------------------------------------------------------------

PARTS: list[dict[str, Any]] = [
    {"id": 1, "price": 9, "name": "alpha"},
    {"id": 2, "price": 10, "name": "Alphabet"},
    {"id": 3, "price": 1.5, "name": "beta"},
    {"id": 4, "price": 100, "name": "gamma ray"},
    {"id": 5, "price": 9.0, "name": "delta9"},
    {"id": 6, "price": 20, "name": "alpine"},
    {"id": 7, "price": None, "name": "epsilon"},
    {"id": 8, "price": 2.25},
    {"id": 9, "price": 10, "name": "Zeta"},
    {"id": 10, "price": 55, "name": "theta"},
    {"id": 11, "price": 9, "name": "alpha"},
    {"id": 12, "price": 0.5, "name": "eta"},
]


def _price(op: Callable[[float, float], bool]) -> Callable[[dict[str, Any], str], bool]:
    return lambda part, value: part["price"] is not None and op(part["price"], float(value))


def _name(op: Callable[[str, str], bool]) -> Callable[[dict[str, Any], str], bool]:
    return lambda part, value: "name" in part and op(part["name"], value)


# How the server filters, right; and each fault, the requirement it must fail.
RIGHT: dict[str, Callable[[dict[str, Any], str], bool]] = {
    "price__gt": _price(lambda a, b: a > b),
    "price__gte": _price(lambda a, b: a >= b),
    "price__lt": _price(lambda a, b: a < b),
    "price__lte": _price(lambda a, b: a <= b),
    "name__gt": _name(lambda a, b: a > b),
    "name__lte": _name(lambda a, b: a <= b),
    "name__ne": _name(lambda a, b: a != b),
    "name__contains": _name(lambda a, b: b in a),
    "name__icontains": _name(lambda a, b: b.lower() in a.lower()),
    "name__startswith": _name(lambda a, b: a.startswith(b)),
    "name__regex": _name(lambda a, b: re.search(b, a) is not None),
}
FAULTS: dict[str, tuple[str, Callable[[dict[str, Any], str], bool]]] = {
    "price__gt": ("MK-PRICE-GT", _price(lambda a, b: a >= b)),  # gt served as gte
    "price__gte": ("MK-PRICE-GTE", _price(lambda a, b: a > b)),  # gte served as gt
    # numbers compared as text: 10 < 9
    "price__lt": ("MK-PRICE-LT", lambda part, value: part["price"] is not None and json.dumps(part["price"]) < value),
    "name__gt": ("MK-NAME-GT", _name(lambda a, b: a >= b)),
    "name__ne": ("MK-NAME-NE", lambda part, value: True),  # not-equal ignored
    "name__contains": ("MK-NAME-CONTAINS", _name(lambda a, b: a == b)),  # contains served as exact
    "name__icontains": ("MK-NAME-ICONTAINS", _name(lambda a, b: b in a)),  # letter case not ignored
    "name__startswith": ("MK-NAME-STARTSWITH", _name(lambda a, b: b in a)),  # starts-with served as contains
    "name__regex": ("MK-NAME-REGEX", lambda part, value: True),  # regex ignored
}


@pytest.fixture
def parts_server() -> Iterator[Callable[[bool], str]]:
    """`parts_server(faulty)` -> the base URL of the parts list on a loopback port: offset/limit paging (limit
    10 by default, at most 100), the filters ANDed, each filter right or (`faulty`) as FAULTS serves it."""
    started: list[InThread] = []

    def start(faulty: bool) -> str:
        served = {**RIGHT, **{param: fault for param, (_, fault) in FAULTS.items()}} if faulty else RIGHT

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: with Nagle on, each answer waits for a delayed ACK.
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                query = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
                offset, limit = int(query.pop("offset", 0)), min(int(query.pop("limit", 10)), 100)
                kept = [
                    part for part in PARTS if all(served[p](part, v) for p, v in query.items() if p in served and v)
                ]
                body = json.dumps(kept[offset : offset + limit]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        started.append(InThread(ThreadingHTTPServer(("127.0.0.1", 0), Handler)))
        return f"http://127.0.0.1:{started[-1].port}"

    yield start
    for server in started:
        server.stop()


def judged_filters(origin: str) -> dict[str, Any]:
    """The filter relation run on the parts server at `origin`: each filter requirement's ledger record."""
    loaded = contract.load_spec(SPEC)
    config = RunConfig.checked(
        apis=[loaded.api],
        base_urls={loaded.api: origin + loaded.server_path},
        contracts={loaded.api: loaded},
        rate_limit=TEST_SERVER_RATE,
    )
    run = ConformanceSession(config).runs[0]
    filtering.filters_select_matching_records(run)
    assert not run.ledger.errors, run.ledger.errors
    return {flt.requirement: run.ledger[flt.requirement] for flt in run.semantics.filters.values()}


def test_a_server_that_filters_right_passes_every_kind_on_judging_examples(parts_server: Any) -> None:
    for requirement, record in judged_filters(parts_server(False)).items():
        assert record.failure_count == 0, (requirement, [f.message for f in record.failures])
        assert record.judging_passes, (requirement, [o.message for o in record.not_exercised])


def test_each_way_of_filtering_wrong_fails_its_own_requirement(parts_server: Any) -> None:
    records = judged_filters(parts_server(True))
    failed = {requirement for requirement, record in records.items() if record.failure_count}
    assert failed == {requirement for requirement, _ in FAULTS.values()}, {
        requirement: [f.message for f in record.failures] for requirement, record in records.items()
    }


# --- not-equal and null: either answer ----------------------------------------------------------------


def _page(records: list[dict[str, Any]]) -> Exchange:
    content = json.dumps(records).encode()
    evidence = Evidence("GET", "http://t/parts", 200, "application/json", content.decode(), "curl http://t/parts")
    return Exchange({}, 200, CaseInsensitiveDict({}), parse_body(content), evidence, content=content)


# Two named parts, one without a name and one whose name is null.
NAMED: list[dict[str, Any]] = [
    {"id": 1, "name": "alpha"},
    {"id": 2, "name": "beta"},
    {"id": 3},
    {"id": 4, "name": None},
]


@pytest.mark.parametrize(
    ("returned", "expected"),
    [
        ([2, 3, 4], "pass"),  # Django's exclude(): the records without a name kept
        ([2], "pass"),  # SQL's !=: left out
        ([2, 3], "pass"),
        ([1, 2, 3, 4], "unexpected 1"),  # the value itself came back: not-equal ignored
        ([3, 4], "missing 2"),  # a record with another value left out
    ],
)
def test_not_equal_accepts_records_without_the_field_either_way(returned: list[int], expected: str) -> None:
    loaded = contract.load_spec(SPEC)
    flt = loaded.semantics.filters["name__ne"]
    got = [record for record in NAMED if record["id"] in returned]
    base = Walk(tuple(NAMED), True, (_page(NAMED),))
    selection = filtering.Selection(
        {}, base, True, ((flt, "alpha"),), {"name__ne": "alpha"}, Walk(tuple(got), True, (_page(got),))
    )
    judged = filtering.selection_judged(Context(loaded, Discovery()), selection, Judge("c", flt.requirement))
    if expected == "pass":
        assert not isinstance(judged, filtering.Mismatch)
        assert [(o.outcome.value, o.judging) for o in judged] == [("pass", True)]
    else:
        assert isinstance(judged, filtering.Mismatch)
        assert {"unexpected": judged.extra, "missing": judged.missing}[expected.split()[0]] == [expected.split()[1]]
