"""Issue 12, item 5: evidence a user can replay.

A failure's headline evidence is the smallest set of requests that shows it (for paging, the two
small pages that overlap, not the large reference page); an embedded run's report gives the
`apiconform serve` command that rebuilds its target (seed, faults, variants, port, where the token
comes from, never the token) and its curl lines name that port. Engine-level tests against reference
servers on loopback; no whole run.
"""

from __future__ import annotations

import json
import shlex
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from apiconform.cli import build_parser
from apiconform.engine import reportjson
from apiconform.engine.checks import paging
from apiconform.engine.model import discovery
from apiconform.engine.session import ConformanceSession, RunConfig
from apiconform.server import ReferenceServer
from apiconform.server.cli import _usage_problem
from tests.engine.scripted import BRM, OES, session_for

OVERLAP_FAULT = "brm-offset-off-by-one"  # offset=n skips n-1 records: neighbouring pages share one


def _query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def _overlap_failure(run: Any) -> Any:
    paging.pages_tile_one_large_page(run)
    record = run.ledger[run.semantics.paging.requirements["skip"]]
    assert record.failures, "the overlapping pages must fail the paging requirement"
    return record.failures[0]


def test_a_paging_overlap_is_shown_by_the_two_small_pages_that_overlap(make_reference_server: Any) -> None:
    server = make_reference_server(faults=[OVERLAP_FAULT])
    session = session_for(server, BRM)
    try:
        run = session.runs[0]
        failure = _overlap_failure(run)
        queries = [_query(evidence.url) for evidence in failure.evidence]
        # Two pages of one size, neighbours, that share a record: nothing else is needed to show it (the
        # reference pages' own walk shows it first here: its second page starts one record early).
        assert len(queries) == 2, [evidence.url for evidence in failure.evidence]
        assert queries[0]["limit"] == queries[1]["limit"]
        assert int(queries[1]["offset"]) - int(queries[0]["offset"]) == int(queries[0]["limit"])
        # The message names the pages as BRM asks for them, in its own words.
        for query in queries:
            assert f"offset={query['offset']}&limit={query['limit']}" in failure.message
        assert "page " not in failure.message and "size" not in failure.message
    finally:
        session.finalize()


def test_a_paging_gap_is_shown_by_the_pages_around_it_before_the_large_page(
    make_reference_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A target whose second and later small pages start one record late: the page before the gap and the
    page after it head the evidence; the large page that shows the skipped record comes last."""
    server = make_reference_server()
    session = session_for(server, BRM)
    run = session.runs[0]
    original = run.get_many
    large = discovery.honoured_size(run)

    def skipping(queries: Any, **options: Any) -> Any:
        # Small pages after the first are asked for one record further on than the walk means.
        late = [
            {**query, "offset": str(int(query["offset"]) + 1)}
            if query.get("limit") != str(large) and query.get("offset", "0") != "0"
            else query
            for query in queries
        ]
        return original(late, **options)

    monkeypatch.setattr(run, "get_many", skipping)
    try:
        failure = _overlap_failure(session.runs[0])
        queries = [_query(evidence.url) for evidence in failure.evidence]
        assert len(queries) == 3
        small = int(queries[0]["limit"])
        assert small < large and queries[1]["limit"] == str(small)
        assert (queries[0]["offset"], queries[1]["offset"]) == ("0", str(small + 1))
        assert queries[2] == {**queries[2], "offset": "0", "limit": str(large)}, "the large page comes last"
        # The pages are named as they were asked for (here one record late: the gap is this test's doing).
        assert f"offset={small + 1}&limit={small}" in failure.message and f"offset=0&limit={large}" in failure.message
    finally:
        session.finalize()


def test_bitgo_paging_messages_use_bitgos_words(make_reference_server: Any) -> None:
    server = make_reference_server(faults=["oes-page-repeats-on-tie"])
    session = session_for(server, OES)
    try:
        failure = _overlap_failure(session.runs[0])
        assert "pageNumber=" in failure.message and "&pageSize=" in failure.message
        assert all("pageSize=" in evidence.url for evidence in failure.evidence)
    finally:
        session.finalize()


@pytest.fixture(scope="module")
def embedded_report() -> dict[str, Any]:
    """report.json of an embedded session (a fault and a variant switched on) after one paging check."""
    config = RunConfig.checked(
        apis=[BRM], seed=5, embedded_faults=(OVERLAP_FAULT,), embedded_variants=("brm-lowercase-data",)
    )
    session = ConformanceSession(config)
    try:
        _overlap_failure(session.runs[0])
        temporary_port, token = session.server.port, session.server.token
        session.finalize()
        built = reportjson.build(session)
        # Kept beside the report for the tests below (left out where the report is looked at as a whole).
        built["_temporary_port"] = temporary_port
        built["_token"] = token
        return built
    finally:
        session.stop_server()


def test_an_embedded_report_gives_the_serve_command_that_rebuilds_its_target(embedded_report: dict[str, Any]) -> None:
    replay = embedded_report["target"]["replay"]
    assert replay["command"] == (
        "apiconform serve --port 8000 --seed 5 --fault brm-offset-off-by-one --variant brm-lowercase-data "
        '--token "$APICONFORM_TOKEN"'
    )
    assert replay["port"] == 8000 and replay["run_port"] == embedded_report["_temporary_port"]
    assert "$APICONFORM_TOKEN" in replay["token"]
    # The command is one `apiconform serve` accepts as it stands (the shell fills in the token).
    argv = shlex.split(replay["command"].replace("$APICONFORM_TOKEN", "a-token-of-mine"))
    args = build_parser().parse_args(argv[1:])
    assert _usage_problem(args) is None
    assert (args.port, args.seed, args.fault, args.variant) == (8000, 5, [OVERLAP_FAULT], ["brm-lowercase-data"])


def test_an_embedded_reports_curl_lines_name_the_replay_port_and_no_token(embedded_report: dict[str, Any]) -> None:
    temporary, token = embedded_report["_temporary_port"], embedded_report["_token"]
    text = json.dumps({key: value for key, value in embedded_report.items() if not key.startswith("_")})
    assert token not in text
    assert f"127.0.0.1:{temporary}" not in text, "the temporary port is gone once the run ends"
    curls = [
        evidence["curl"]
        for item in embedded_report["requirements"]
        for failure in item["failures"]
        for evidence in failure["evidence"]
    ]
    assert curls and all("http://127.0.0.1:8000/" in curl for curl in curls)
    assert embedded_report["target"]["base_urls"][BRM].startswith("http://127.0.0.1:8000/")


def test_the_serve_command_serves_what_the_evidence_shows(embedded_report: dict[str, Any]) -> None:
    """Started as the report says (on a free port here, 8000 may be taken), the server answers each
    evidence URL with the body the report holds."""
    args = build_parser().parse_args(
        shlex.split(embedded_report["target"]["replay"]["command"].replace("$APICONFORM_TOKEN", "replay-token-1"))[1:]
    )
    server = ReferenceServer(seed=args.seed, faults=args.fault, variants=args.variant, token=args.token, port=0)
    server.start()
    try:
        failure = next(item for item in embedded_report["requirements"] if item["failures"])["failures"][0]
        for evidence in failure["evidence"]:
            url = evidence["url"].replace("http://127.0.0.1:8000", f"http://127.0.0.1:{server.port}")
            answer = requests.get(url, headers={"Authorization": f"Bearer {args.token}"}, timeout=30)
            assert answer.status_code == evidence["status"]
            # Links in the body name the server's own port; the report names the replay port throughout.
            body = answer.text.replace(f"127.0.0.1:{server.port}", "127.0.0.1:8000")
            assert body.startswith(evidence["body_excerpt"].removesuffix("..."))
    finally:
        server.stop()
