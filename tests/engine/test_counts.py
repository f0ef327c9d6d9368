"""Counts where a list API puts them: each optional, in a header or at a pointer into the body (issue 25).

A scripted loopback server answers the typed-list contract (tests/data/typed-list) in an envelope
`{"results": [...], "count": total, "meta": {"n": result}}` and sends X-Total-Count and X-Result-Count
too. The spec declares some of those places; the server writes the right count at the declared ones
(or one off) and a wrong count (two off) at every place not declared, so a check that read the wrong
place would fail the correct server and pass the broken one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from apiconform import contract
from apiconform.engine.checks.paging import total_matches
from apiconform.engine.config import RunConfig
from apiconform.engine.session import ConformanceSession
from tests.engine.scripted import TEST_SERVER_RATE

TYPED_LIST = Path(__file__).resolve().parents[1] / "data" / "typed-list"
RECORDS = [{"id": n, "active": True, "score": 1.0, "name": f"thing {n}"} for n in range(7)]
TOTAL_SENTENCE = "count is the number of things the query matches."
RESULT_SENTENCE = "The result count is the number of things in the reply."
# Each count's places: its spec key and the place in the server's reply.
PLACES = {
    "total-header": ("total", "header", "X-Total-Count"),
    "total-pointer": ("total", "body", "/count"),
    "result-header": ("result", "header", "X-Result-Count"),
    "result-pointer": ("result", "body", "/meta/n"),
}


def counted_spec(tmp_path: Path, counts: dict[str, str]) -> Path:
    """The typed-list contract with its records in an envelope and `counts` as given (each location with its
    requirement, TL-COUNT-TOTAL or TL-COUNT-RESULT, which quote sentences added to its source)."""
    folder = tmp_path / "counted-list"
    shutil.copytree(TYPED_LIST, folder)
    spec_path = folder / "typed-list.openapi.yaml"
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    spec["paths"]["/things"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] = {
        "type": "object",
        "required": ["results"],
        "properties": {"results": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}}},
    }
    block = spec["x-apiconform"]
    block["list"]["records"] = "/results"
    block["counts"] = {
        **counts,
        **{f"{PLACES[key][0]}-requirement": f"TL-COUNT-{PLACES[key][0].upper()}" for key in counts},
    }
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    catalog_path = folder / "requirements.yaml"
    catalog = yaml.safe_load(catalog_path.read_text(encoding="utf-8"))
    catalog["requirements"] += [
        {
            "id": "TL-COUNT-TOTAL",
            "level": "MUST",
            "basis": "stated",
            "family": "counts",
            "title": "The total count is the number of things the query matches",
            "quote": TOTAL_SENTENCE,
            "source": "things",
            "checks": ["total_count_present", "total_count_on_first_page", "total_count_invariant"],
        },
        {
            "id": "TL-COUNT-RESULT",
            "level": "MUST",
            "basis": "stated",
            "family": "counts",
            "title": "The result count is the number of things in the reply",
            "quote": RESULT_SENTENCE,
            "source": "things",
            "checks": ["result_count_header"],
        },
    ]
    catalog_path.write_text(yaml.safe_dump(catalog, sort_keys=False), encoding="utf-8")
    source = folder / "sources" / "things.txt"
    source.write_text(source.read_text(encoding="utf-8") + f"\nCounts\n{TOTAL_SENTENCE} {RESULT_SENTENCE}\n")
    return spec_path


def counting_server(declared: set[str], off: int = 0, body_count: Any = None) -> Any:
    """The answer of a server of RECORDS paged by offset and limit: the counts at the `declared` places off by
    `off` (with `body_count`, that value at the declared body places instead), two off at the others."""

    def counted(key: str, right: int) -> Any:
        if key not in declared:
            return right + 2
        if body_count is not None and PLACES[key][1] == "body":
            return body_count
        return right + off

    def answer(path: str) -> tuple[int, dict[str, str], bytes]:
        query = {name: values[0] for name, values in parse_qs(urlsplit(path).query).items()}
        start, size = int(query.get("offset", 0)), int(query.get("limit", 10))
        page = RECORDS[start : start + size]
        right = {"total": len(RECORDS), "result": len(page)}
        body = {
            "results": page,
            "count": counted("total-pointer", right["total"]),
            "meta": {"n": counted("result-pointer", right["result"])},
        }
        headers = {
            "Content-Type": "application/json",
            "X-Total-Count": str(counted("total-header", right["total"])),
            "X-Result-Count": str(counted("result-header", right["result"])),
        }
        return 200, headers, json.dumps(body).encode()

    return answer


def counted_session(scripted: Any, tmp_path: Path, counts: dict[str, str], **server: Any) -> ConformanceSession:
    loaded = contract.load_spec(counted_spec(tmp_path, counts))
    target = scripted(counting_server(set(counts), **server))
    config = RunConfig(
        apis=[loaded.api],
        base_urls={loaded.api: target.url(loaded.server_path)},
        contracts={loaded.api: loaded},
        rate_limit=TEST_SERVER_RATE,
    )
    session = ConformanceSession(config)
    session.runs[0].discovery.page_size = 100  # what discovery would learn: this server honours up to 100
    return session


def counted_run(scripted: Any, tmp_path: Path, counts: dict[str, str], **server: Any) -> Any:
    return counted_session(scripted, tmp_path, counts, **server).runs[0]


LAYOUTS = {
    "total in the body only": {"total-pointer": "/count"},
    "total header only": {"total-header": "X-Total-Count"},
    "result header only": {"result-header": "X-Result-Count"},
    "both in the body": {"total-pointer": "/count", "result-pointer": "/meta/n"},
}


@pytest.mark.parametrize("counts", LAYOUTS.values(), ids=LAYOUTS.keys())
@pytest.mark.parametrize("off", [0, 1], ids=["correct", "off by one"])
def test_each_declared_count_is_judged_where_it_is(scripted, tmp_path, counts, off):
    run = counted_run(scripted, tmp_path, counts, off=off)
    reply = run.get(run.semantics.paging.page(0, 10))  # a short first page: the whole result of 7
    judged = run.semantics.counts
    assert judged is not None and {count.where for count in judged.declared} == set(counts.values())
    if judged.total is not None:
        for observation in total_matches(judged.total, len(RECORDS), [reply], run.semantics.records_pointer):
            run.ledger.record(observation)
    for count in judged.declared:
        record = run.ledger[count.requirement]
        if off:
            assert record.failure_count and not record.judging_passes, (count, record.failures)
            assert all(failure.message.startswith(count.where) for failure in record.failures), record.failures
        else:
            assert record.judging_passes and not record.failure_count, (count, record.failures)
    undeclared = {"TL-COUNT-TOTAL", "TL-COUNT-RESULT"} - {count.requirement for count in judged.declared}
    for requirement in undeclared:
        assert not run.ledger[requirement].checks, f"{requirement} has no count declared, so nothing judged it"


def test_a_walk_names_the_body_pointer_it_read(scripted, tmp_path):
    run = counted_run(scripted, tmp_path, {"total-pointer": "/count"}, off=1)
    reply = run.get(run.semantics.paging.page(0, 10))
    assert run.semantics.counts is not None and run.semantics.counts.total is not None
    (walked,) = total_matches(run.semantics.counts.total, len(RECORDS), [reply], run.semantics.records_pointer)
    assert walked.outcome.value == "fail"
    assert walked.message == "/count says 8 but walking the pages found 7 records"


@pytest.mark.parametrize("written", ["7", 7.0, True, -1], ids=["a string", "a float", "a boolean", "negative"])
def test_a_body_count_is_an_integer_json_number(scripted, tmp_path, written):
    """`"7"` is not a count (D-GEN-75): both counts fail, the total's presence check saying why."""
    counts = {"total-pointer": "/count", "result-pointer": "/meta/n"}
    run = counted_run(scripted, tmp_path, counts, body_count=written)
    run.get(run.semantics.paging.page(0, 10))
    for requirement in ("TL-COUNT-TOTAL", "TL-COUNT-RESULT"):
        assert run.ledger[requirement].failure_count and not run.ledger[requirement].judging_passes
    assert any("is not a count" in failure.message for failure in run.ledger["TL-COUNT-TOTAL"].failures)


def test_a_missing_body_count_fails_and_an_error_reply_is_not_counted(scripted, tmp_path):
    loaded = contract.load_spec(counted_spec(tmp_path, {"total-pointer": "/count", "result-pointer": "/meta/n"}))
    replies = {
        "/things?offset=0&limit=10": (200, {"Content-Type": "application/json"}, b'{"results": [{"id": 1}]}'),
    }
    error = (400, {"Content-Type": "application/json"}, b'{"error": "bad", "count": "many"}')
    target = scripted(lambda path: replies.get(path.removeprefix(loaded.server_path), error))
    config = RunConfig(
        apis=[loaded.api],
        base_urls={loaded.api: target.url(loaded.server_path)},
        contracts={loaded.api: loaded},
        rate_limit=TEST_SERVER_RATE,
    )
    run = ConformanceSession(config).runs[0]
    run.get({"limit": "ten"})
    assert not run.ledger["TL-COUNT-TOTAL"].checks and not run.ledger["TL-COUNT-RESULT"].checks
    run.get(run.semantics.paging.page(0, 10))
    for requirement, where in (("TL-COUNT-TOTAL", "/count"), ("TL-COUNT-RESULT", "/meta/n")):
        assert [failure.message for failure in run.ledger[requirement].failures] == [f"{where} is missing"]


@pytest.mark.parametrize(
    ("counts", "says"),
    [
        ({}, "needs one of 'total-header', 'total-pointer', 'result-header', 'result-pointer'"),
        ({"total-header": "X-Total-Count"}, "'total-header' needs 'total-requirement'"),
        ({"total-requirement": "TL-COUNT-TOTAL"}, "needs one of 'total-header', 'total-pointer'"),
        (
            {"total-header": "X-Total-Count", "total-pointer": "/count", "total-requirement": "TL-COUNT-TOTAL"},
            "must not have both 'total-header' and 'total-pointer'",
        ),
        ({"total-pointer": "", "total-requirement": "TL-COUNT-TOTAL"}, "total-pointer"),
    ],
    ids=["no location", "a location without its requirement", "a requirement without a location", "two", "empty"],
)
def test_a_counts_block_that_cannot_be_judged_is_one_line(tmp_path, counts, says):
    spec_path = counted_spec(tmp_path, {"total-pointer": "/count"})
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    spec["x-apiconform"]["counts"] = counts
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    with pytest.raises(contract.ContractError) as refused:
        contract.load_spec(spec_path)
    message = str(refused.value)
    assert "\n" not in message and "counts" in message and says in message, message


@pytest.mark.parametrize("off", [0, 1], ids=["correct", "off by one"])
def test_a_body_total_is_judged_by_the_record_at_its_position(scripted, tmp_path, off):
    """total_count_invariant reads the total where the spec says: the page at offset total - 1 holds one record."""
    session = counted_session(scripted, tmp_path, {"total-pointer": "/count"}, off=off)
    run = session.runs[0]
    session.ensure_relation(run, "total_count_invariant")
    record = run.ledger["TL-COUNT-TOTAL"]
    if off:
        assert record.failure_count and not record.judging_passes
        assert "(the total - 1) returned 0 records, so /count=8 is not the number of matches" in str(record.failures)
    else:
        assert record.judging_passes and not record.failure_count, record.failures
