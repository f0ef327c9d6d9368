"""Issue 10, items 3-6: every reply judged on its own view, no vacuous pass, no hidden crash, same seed
same requests. Small tests that call the engine directly against the reference server (or a tiny
scripted server on 127.0.0.1) rather than whole runs, except where a whole run is what is judged."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import pytest

from apiconform.engine import checks
from apiconform.engine.model.apirun import ApiRun
from apiconform.engine.model.exchange import wire_query
from apiconform.engine.session import ConformanceSession, RunConfig
from tests.engine.scripted import BRM, OES, brm_base, session_for


@pytest.fixture
def brm_run(reference_server: Any) -> Iterator[ApiRun]:
    session = session_for(reference_server, BRM)
    yield session.runs[0]
    session.finalize()


# --- item 5: each reply judged on its own view ------------------------------------------------------------


def test_each_short_lived_reply_is_judged_on_its_own_view(brm_run):
    """Replies of different page sizes pass through the per-response checks one after another, each freed
    once judged (CPython then reuses its address): every check call must see its own reply."""
    from schemathesis.core.transport import Response

    paging = brm_run.semantics.paging
    sent = []
    for size in range(1, 31):
        url = brm_run.url(paging.page(0, size))
        sent.append(brm_run.http.request("GET", url, headers=brm_run.auth_headers()))
    case = brm_run.operation().Case(query={}, path_parameters=brm_run.path_parameters())
    (judge,) = (
        check for check in brm_run.judge.property_checks(brm_run) if check.__name__ == "apiconform_response_checks"
    )
    wrong = []
    for raw in sent * 3:
        response = Response.from_requests(raw, verify=True)
        exchange = checks.validation.exchange_of(brm_run, response, case)
        if exchange.query != wire_query(raw.url):
            wrong.append((wire_query(raw.url), dict(exchange.query)))
        judge(None, response, case)
        del response
    assert not wrong, f"{len(wrong)} of {3 * len(sent)} replies were judged with another reply's view: {wrong[:3]}"
    # And page_size_bound judged each page by its own size: 30 distinct sizes, none failing.
    record = brm_run.ledger[brm_run.semantics.paging.requirements["size-bound"]]
    assert record.failure_count == 0


def test_a_repeated_count_header_reaches_a_relation_and_the_per_response_checks_in_one_form(scripted, monkeypatch):
    """One reply, one Exchange: the relation that asked gets the very Exchange the per-response checks judge,
    and a header sent twice is its first value in both (as schemathesis' header check reads it), not the
    two values joined: the body of two records is counted right by both, with no failure."""
    from apiconform.engine.checks.paging import total_matches

    body = b'[{"id": "a"}, {"id": "b"}]'
    counts = [("X-Result-Count", "2"), ("X-Result-Count", "9"), ("X-Total-Count", "2"), ("X-Total-Count", "7")]
    server = scripted(lambda path: (200, [("Content-Type", "application/json"), *counts], body))
    run = ConformanceSession(RunConfig(apis=[BRM], base_urls={BRM: brm_base(server)})).runs[0]
    judged: list[Any] = []
    real_judge = run.judge.judge
    monkeypatch.setattr(run.judge, "judge", lambda run, exchange: judged.append(exchange) or real_judge(run, exchange))
    reply = run.get(run.semantics.paging.page(0, 10))
    assert judged == [reply] and judged[0] is reply
    assert (reply.headers["X-Result-Count"], reply.headers["X-Total-Count"]) == ("2", "2")
    semantics = run.semantics
    assert semantics.counts is not None
    assert not run.ledger.errors, run.ledger.errors
    result = run.ledger[semantics.counts.result_requirement]
    assert result.failure_count == 0 and "result_count_header" in result.checks
    assert semantics.counts.total is not None
    (walked,) = total_matches(semantics.counts.total, 2, [reply], semantics.records_pointer)
    assert walked.outcome.value == "pass", walked.message


def test_a_reply_is_read_once_and_shown_once(scripted, monkeypatch):
    """The strict reader reads a body once (the per-response checks, the JSON-UNIQUE-KEYS judgement and
    schemathesis' results use that reading), and the evidence of a reply is made once."""
    from apiconform.engine.model import exchange, jsonbody

    calls = {"read": 0, "evidence": 0}

    def counting(name: str, real: Any) -> Any:
        def counted(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return real(*args, **kwargs)

        return counted

    monkeypatch.setattr(exchange, "read_json", counting("read", jsonbody.read_json))
    monkeypatch.setattr(jsonbody, "read_json", counting("read", jsonbody.read_json))
    monkeypatch.setattr(exchange, "make_evidence", counting("evidence", exchange.make_evidence))
    body = b'[{"id": "a", "id": "b"}]'  # a name twice with two values: a SHOULD failure, read from the one reading
    headers = {"Content-Type": "application/json", "X-Result-Count": "1", "X-Total-Count": "1"}
    server = scripted(lambda path: (200, headers, body))
    run = ConformanceSession(RunConfig(apis=[BRM], base_urls={BRM: brm_base(server)})).runs[0]
    run.get(run.semantics.paging.page(0, 10))
    assert calls == {"read": 1, "evidence": 1}
    named = run.semantics.strict_json
    assert named is not None and named.unique_keys_requirement
    assert run.ledger[named.unique_keys_requirement].failure_count == 1
    assert not run.ledger.errors, run.ledger.errors


# --- item 4: no hidden crash -----------------------------------------------------------------------------------


def test_a_crash_inside_a_check_is_inconclusive_and_the_run_ends_error(reference_server, monkeypatch):
    from apiconform.engine import reportjson
    from apiconform.reporting import validate_report

    session = session_for(reference_server, BRM)
    run = session.runs[0]

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug in the filter code")

    monkeypatch.setattr(checks.filtering, "record_matches", broken)
    run.get({**run.semantics.paging.page(0, 20), "status": "completed"})
    session.finalize()
    cited = run.citing("records_match_filters")
    assert cited
    for rid in cited:
        record = run.ledger[rid]
        assert record.verdict.value == "inconclusive", rid
        assert any("RuntimeError: a bug in the filter code" in reason for reason in record.reasons())
    built = reportjson.build(session)
    validate_report(built)
    assert built["verdict"] == "error" and built["exit_code"] == 4
    assert built["apis"][0]["verdict"] == "error"
    assert "RuntimeError: a bug in the filter code" in built["apis"][0]["suite_errors"][0]
    # The other checks kept judging that reply.
    assert run.ledger[run.semantics.paging.requirements["size-bound"]].passes
    # Every report format shows the verdict and the error.
    from apiconform.reporting import FORMATS, render
    from apiconform.reporting.terminal import render_summary

    for name in FORMATS:
        assert "a bug in the filter code" in render(built, name), name
    summary = render_summary(built, None, [], colour=False)
    assert "the suite itself failed, exit 4" in summary and "a bug in the filter code" in summary


def test_a_hypothesis_error_inside_a_relation_is_a_crash_not_a_pass(reference_server, monkeypatch):
    from hypothesis.errors import FlakyStrategyDefinition

    from apiconform.engine.checks import CHECKS

    session = session_for(reference_server, BRM)
    run = session.runs[0]
    name = "pages_tile_one_large_page"
    original = CHECKS[name]

    def flaky(run: ApiRun) -> None:
        run.observe_all([])  # whatever it saw before breaking
        raise FlakyStrategyDefinition("Inconsistent data generation!")

    monkeypatch.setitem(CHECKS, name, dataclasses.replace(original, run=flaky))
    session.ensure_relation(run, name)
    session.finalize()
    for rid in run.citing(name):
        record = run.ledger[rid]
        assert record.verdict.value in ("inconclusive", "fail"), rid
    assert any("FlakyStrategyDefinition" in error for error in run.ledger.errors)
    from apiconform.engine import reportjson

    assert reportjson.build(session)["exit_code"] == 4


def test_exit_codes_put_a_finding_before_a_crash_and_a_crash_before_untestable():
    from apiconform.engine.reportjson import exit_code

    fail = {"verdict": "fail"}
    passing = {"verdict": "pass"}
    broken = {"verdict": "error", "suite_errors": ["the suite itself failed in check x: KeyError: 'a'"]}
    untestable = {"verdict": "untestable", "suite_errors": []}
    assert exit_code({"requirements": [fail], "apis": [broken]}) == 1
    assert exit_code({"requirements": [passing], "apis": [broken, untestable]}) == 4
    assert exit_code({"requirements": [passing], "apis": [untestable]}) == 3
    assert exit_code({"requirements": [passing], "apis": [{"verdict": "pass"}]}) == 0
    # A run that did not look at every MUST never passes; one the user asked to be partial does.
    assert exit_code({"requirements": [passing], "apis": [{"verdict": "incomplete"}, {"verdict": "pass"}]}) == 3
    assert exit_code({"requirements": [passing], "apis": [{"verdict": "partial"}, {"verdict": "pass"}]}) == 0
    assert exit_code({"requirements": [passing], "apis": [{"verdict": "incomplete"}, broken]}) == 4


def test_dates_beyond_pythons_range_are_data():
    from apiconform.contract import OrderKey
    from apiconform.engine.model.records import order_violation, parse_instant, value_matches

    late = parse_instant("9999-12-31T23:59:59-01:00")  # year 10000 in UTC
    early = parse_instant("0001-01-01T00:30:00+01:00")  # year 0 in UTC
    assert late is not None and early is not None
    assert early < parse_instant("2020-01-01T00:00:00Z") < late
    assert value_matches("9999-12-31T23:59:59-01:00", "9999-12-31T23:59:59Z", "instant-gt") is True
    assert value_matches("9999-12-31T23:59:59-01:00", "9999-12-31T23:59:59-02:00", "instant-lt") is True
    records = [{"d": "2020-01-01T00:00:00Z"}, {"d": "9999-12-31T23:59:59-01:00"}]
    assert order_violation(records, [OrderKey("/d", "instant", "asc")]) is None
    assert order_violation(records, [OrderKey("/d", "instant", "desc")]) is not None


def test_an_instant_filter_value_drawn_from_a_date_at_the_end_of_the_range_does_not_crash(brm_run):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from apiconform.engine.checks.filtering import record_value

    instant_filters = [flt for flt in brm_run.semantics.filters.values() if flt.match.startswith("instant")]
    assert instant_filters
    records = [{flt.field.lstrip("/"): "9999-12-31T23:59:59-01:00" for flt in instant_filters if flt.field}]

    # No deadline and no speed health check: a busy machine makes the first example slow, and speed is
    # not what this test asks.
    @settings(
        max_examples=30, database=None, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    @given(st.data())
    def draws(data: st.DataObject) -> None:
        for flt in instant_filters:
            for spelling in (False, True):
                assert isinstance(record_value(brm_run, data, flt, records, spelling=spelling), str)

    draws()


def test_a_lone_surrogate_in_a_filter_value_is_skipped_not_a_crash(brm_run):
    from hypothesis import strategies as st

    from apiconform.engine.checks.base import explore
    from apiconform.engine.model.exchange import UnsendableQuery, encode_query

    with pytest.raises(UnsendableQuery):
        encode_query({"id": "a\ud800b"})
    drawn = []

    def plan(data: st.DataObject) -> Any:
        drawn.append(data.draw(st.integers(0, 9)))

        def attempt() -> list[Any]:
            brm_run.get({"id": "a\ud800b"})
            return []

        return attempt

    explore(brm_run, "surrogate", 5, plan)  # raises nothing
    assert len(drawn) == 5
    assert not brm_run.ledger.errors
    # Should one reach a report, it is written as its escape (UTF-8 has no form for it).
    from apiconform.engine.reportjson import _redacted

    assert _redacted({"message": "id=a\ud800b"}, lambda text: text) == {"message": "id=a\\ud800b"}


@pytest.mark.parametrize(
    ("body", "long"),
    [
        (b"1e999", True),
        (b"[1e999, 2]", True),
        (b'{"a": -1.5E+308}', True),
        (b'{"a":12.5e-300}', True),
        (b'{"a": ' + b"9" * 4301 + b"}", True),
        (b'{"a": ' + b"9" * 4300 + b"}", False),
        (b'{"id":"5e123ab","n":1e30}', False),  # a hex id in a string, a short exponent
        (b'{"id":"a5e123"}', False),
    ],
)
def test_the_bodies_read_specially_are_those_with_a_number_python_cannot_read(body, long):
    from apiconform.engine.model.jsonbody import has_long_number

    assert has_long_number(body) is long


def test_integers_past_pythons_digit_limit_are_judged_as_numbers(scripted, reference_server):
    from apiconform.engine.model.jsonbody import LargeInt, parse_body

    huge = "9" * 5000
    value = parse_body(f'{{"n": {huge}, "m": -{huge}}}'.encode())
    assert isinstance(value["n"], LargeInt) and value["n"] > 2**64 and value["m"] < -(2**64)
    assert "5000 digits" in repr(value["n"]) and "5000 digits" in f"{value['m']}"
    # A whole reply whose first record carries a 5000-digit number where the schema wants a string id:
    # the schema check says so (a finding about the vendor's data), and nothing crashes.
    import requests

    served = requests.get(
        reference_server_url(reference_server) + "?offset=0&limit=5",
        headers={"Authorization": f"Bearer {reference_server.token}"},
        timeout=10,
    )
    records = served.json()
    records[0]["id"] = "HUGE"
    body = json.dumps(records).replace('"HUGE"', huge).encode()
    headers = {"Content-Type": "application/json", "X-Result-Count": "5", "X-Total-Count": "5"}
    server = scripted(lambda path: (200, headers, body))
    session = ConformanceSession(RunConfig.checked(apis=[BRM], base_urls={BRM: brm_base(server)}))
    run = session.runs[0]
    run.get(run.semantics.paging.page(0, 10))
    assert not run.ledger.errors, run.ledger.errors
    failures = [o for record in run.ledger for o in record.failures]
    assert any("is not of type" in o.message for o in failures), [o.message for o in failures]
    assert not any("deserializ" in o.message.lower() for o in failures), [o.message for o in failures]


def reference_server_url(server: Any) -> str:
    from apiconform import contract

    path = contract.load(BRM).operation_path(contract.load(BRM).semantics.operation_id)
    return server.api_base_url(BRM) + path


# --- item 3: no vacuous pass ----------------------------------------------------------------------------------


def test_both_count_headers_are_judged_on_an_empty_result(scripted):
    headers = {"Content-Type": "application/json"}
    server = scripted(lambda path: (200, headers, b"[]"))
    session = ConformanceSession(RunConfig.checked(apis=[BRM], base_urls={BRM: brm_base(server)}))
    run = session.runs[0]
    run.get({**run.semantics.paging.page(0, 10), "id": "nobody"})
    counts = run.semantics.counts
    assert counts is not None
    for requirement in (counts.result_requirement, counts.total_requirement):
        assert run.ledger[requirement].failure_count, f"{requirement}: both headers missing is its failure too"


def test_a_total_count_missing_on_empty_results_fails_the_total_count(make_reference_server):
    server = make_reference_server(faults=["brm-total-count-missing-when-empty"])
    session = session_for(server, BRM)
    run = session.runs[0]
    counts = run.semantics.counts
    run.get({**run.semantics.paging.page(0, 10)})
    assert run.ledger[counts.total_requirement].passes and not run.ledger[counts.total_requirement].failure_count
    run.get({**run.semantics.paging.page(0, 10), "id": "nobody"})
    assert run.ledger[counts.total_requirement].failure_count
    assert not run.ledger[counts.result_requirement].failure_count


def test_an_untestable_target_leaves_every_requirement_inconclusive(scripted):
    from apiconform.engine import reportjson

    body = b'{"code": "401", "reason": "Unauthorized", "message": "no token"}'
    server = scripted(lambda path: (401, {"Content-Type": "application/json"}, body))
    session = ConformanceSession(RunConfig.checked(apis=[BRM], base_urls={BRM: brm_base(server)}))
    session.preflight()
    run = session.runs[0]
    assert "401" in run.untestable
    for record in run.ledger:
        # The preflight's own reply (a valid 401) is no evidence that the API conforms.
        assert record.verdict.value == "inconclusive", (record.requirement.id, record.verdict)
        assert not record.passes
    session.finalize()
    built = reportjson.build(session)
    assert {item["verdict"] for item in built["requirements"]} == {"inconclusive"}
    assert built["exit_code"] == 3


@pytest.mark.e2e
def test_the_pytest_route_fails_on_an_untestable_target_with_the_reason(scripted, tmp_path):
    """README's pytest command against a target that answers 401 to everything: nothing PASSED, exit non-zero."""
    import os
    import subprocess
    import sys

    from apiconform.engine import driver

    server = scripted(lambda path: (401, {"Content-Type": "application/json"}, b'{"code": "401", "reason": "no"}'))
    command = [
        sys.executable, "-m", "pytest", "-p", "apiconform.engine.plugin", "--api", BRM, "--base-url", brm_base(server),
        "--report-dir", str(tmp_path / "report"), "-p", "no:cacheprovider", "-p", "no:xdist", "-rA", "--noconftest",
        "-c", os.devnull, "--rootdir", str(tmp_path), str(driver.SUITE),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path, env=os.environ.copy())
    out = done.stdout + done.stderr
    assert done.returncode != 0, out
    assert "PASSED" not in out, out
    assert "the target could not be tested" in out and "401" in out, out


def test_a_broken_narrowing_filter_leaves_its_siblings_judged_on_the_partition(make_reference_server):
    # partyAccount.id returns [] for every account (each id holds a '+'): the bases it narrows to are empty.
    # That is its own failure, blamed on it once; the other filters are judged on the partition's first
    # pages instead, never passed on an empty base, and never left unjudged because of it.
    server = make_reference_server(faults=["brm-account-plus-as-space"], records=300)
    session = session_for(server, BRM)
    run = session.runs[0]
    session.ensure_relation(run, "filters_select_matching_records")
    assert run.ledger["BRM-FILTER-PARTY-ACCOUNT"].failure_count, "the empty base is the narrowing filter's failure"
    for rid in ("BRM-FILTER-ID", "BRM-FILTER-STATUS"):
        record = run.ledger[rid]
        assert record.verdict.value == "pass", (rid, record.reasons())
        strongest = record.strongest_pass
        assert strongest is not None and "partyAccount.id" not in strongest.message, (rid, strongest)
        assert strongest.records, "it passed comparing records, not on an empty base"


def test_a_sibling_broken_like_the_narrowing_filter_fails_on_its_own_requirement(make_reference_server):
    # Both id filters form-decode '+' into a space (the first case): with the narrowing filter's
    # bases empty, the id filter used to be judged only by a UUID matching nothing, and passed.
    server = make_reference_server(faults=["brm-account-plus-as-space", "brm-id-plus-as-space"], records=300)
    session = session_for(server, BRM)
    run = session.runs[0]
    session.ensure_relation(run, "filters_select_matching_records")
    assert run.ledger["BRM-FILTER-PARTY-ACCOUNT"].failure_count
    assert run.ledger["BRM-FILTER-ID"].verdict.value == "fail", run.ledger["BRM-FILTER-ID"].reasons()


def test_a_bitgo_filter_that_needs_an_unreadable_join_is_still_judged_by_an_unknown_id(make_reference_server):
    ignored = make_reference_server(variants=["oes-connections-forbidden"], faults=["oes-client-ids-ignored"])
    session = session_for(ignored, OES)
    run = session.runs[0]
    for check in ("filters_select_matching_records", "unknown_filter_value_matches_nothing"):
        session.ensure_relation(run, check)
    assert run.discovery.joins["connections"] is None, "the connections list answered 404"
    for rid in ("OES-FILTER-CLIENT-IDS",):
        assert run.ledger[rid].failure_count, f"{rid}: a server ignoring clientIds must fail"
    # The same variant without the fault: both join filters pass on that relation (not on nothing).
    honest = make_reference_server(variants=["oes-connections-forbidden"])
    session = session_for(honest, OES)
    run = session.runs[0]
    session.ensure_relation(run, "unknown_filter_value_matches_nothing")
    for rid in ("OES-FILTER-CLIENT-IDS", "OES-FILTER-PARTNER-IDS"):
        assert run.ledger[rid].passes and not run.ledger[rid].failure_count, rid


# --- item 6: the same seed gives the same requests -------------------------------------------------------------

_RECORD_RUN = """
import json, re, sys, tempfile
from apiconform.engine.transport import http
from apiconform.engine import driver
from apiconform.engine.session import RunConfig

sent = []
real = http.GuardedSession.request

def request(self, method, url, *args, **kwargs):
    case_id = (kwargs.get("headers") or {}).get("X-Schemathesis-TestCaseId")
    sent.append(f"{method} {re.sub(r'127[.]0[.]0[.]1:[0-9]+', 'HOST', str(url))} {case_id}")
    return real(self, method, url, *args, **kwargs)

http.GuardedSession.request = request
with tempfile.TemporaryDirectory() as directory:
    config = RunConfig.checked(
        apis=[sys.argv[1]], seed=3, report_dir=directory, max_requests=150, planned_requests=150, allow_partial=True
    )
    code = driver.run(config, quiet=True)
    report = json.load(open(directory + "/report.json"))
examples = {item["id"]: [item["verdict"], item["examples"]] for item in report["requirements"]}
json.dump({"code": code, "sent": sent, "examples": examples}, sys.stdout)
"""


@pytest.mark.e2e
def test_the_same_seed_sends_the_same_requests_and_counts_the_same_examples():
    """Two runs of `apiconform run --api brm-adjust-balance --seed 3`, in two processes with different hash
    seeds (set and dict orders differ between them): the same requests, the property tests' in the same
    order, case ids included (the relations send some together, which may start in either order), and
    the same verdict and number of examples for every requirement."""
    import os
    import subprocess
    import sys

    outcomes = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [sys.executable, "-c", _RECORD_RUN, BRM], capture_output=True, text=True, timeout=600, env=env
        )
        assert done.returncode == 0, done.stderr[-3000:]
        outcomes.append(json.loads(done.stdout.strip().splitlines()[-1]))
    first, second = outcomes
    assert first["code"] == second["code"] == 0
    assert len(first["sent"]) > 100
    cases = [[line for line in outcome["sent"] if not line.endswith(" None")] for outcome in outcomes]
    differing = [(a, b) for a, b in zip(*cases, strict=False) if a != b]
    assert cases[0] == cases[1], f"{len(differing)} property-test requests differ, first: {differing[:3]}"
    assert sorted(first["sent"]) == sorted(second["sent"])
    changed = {
        rid: (v, second["examples"][rid]) for rid, v in first["examples"].items() if second["examples"][rid] != v
    }
    assert not changed, changed


def test_a_budget_running_out_inside_an_example_ends_the_exploration_quietly(brm_run):
    from hypothesis import strategies as st

    from apiconform.engine.checks.base import explore

    drawn = []

    def plan(data: st.DataObject) -> Any:
        drawn.append(data.draw(st.integers(0, 100), label="n"))

        def attempt() -> list[Any]:
            if len(drawn) >= 3:
                # The budget runs out at this request: the guarded session stops and raises BudgetExhausted.
                brm_run.http.politeness.max_requests = brm_run.http.traffic.sent
                brm_run.get(brm_run.semantics.paging.page(0, 1))
            return []

        return attempt

    explore(brm_run, "budget", 10, plan)  # neither BudgetExhausted nor Hypothesis' Flaky escapes
    assert brm_run.control.exhausted
    assert len(drawn) == 3
    assert not brm_run.ledger.errors


@pytest.mark.e2e
def test_a_crash_inside_the_property_tests_ends_the_run_in_error(tmp_path, monkeypatch):
    from apiconform.engine import driver
    from apiconform.engine.model import apirun

    calls = {"n": 0}
    real = apirun.readable

    def sometimes_broken(response: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyError("a bug in the suite")
        return real(response)

    monkeypatch.setattr(apirun, "readable", sometimes_broken)
    config = RunConfig.checked(apis=[BRM], seed=1, max_examples=3, embedded_records=100, report_dir=str(tmp_path))
    code = driver.run(config, quiet=True)
    report = json.loads((tmp_path / "report.json").read_text())
    assert code == report["exit_code"] == 4, report["apis"][0].get("suite_errors")
    assert report["verdict"] == "error"
    assert any("KeyError" in error for error in report["apis"][0]["suite_errors"])
    touched = [item for item in report["requirements"] if any("KeyError" in r for r in item["reasons"])]
    assert touched and all(item["verdict"] == "inconclusive" for item in touched)


def test_only_assertion_errors_are_findings():
    from hypothesis.errors import FlakyFailure, FlakyStrategyDefinition

    from apiconform.engine.plugin import _is_finding

    assert _is_finding(AssertionError("x"))
    assert _is_finding(ExceptionGroup("two", [AssertionError("a"), AssertionError("b")]))
    assert _is_finding(FlakyFailure("flaky", [AssertionError("a")]))
    assert not _is_finding(FlakyStrategyDefinition("Inconsistent data generation!"))
    assert not _is_finding(ExceptionGroup("two", [AssertionError("a"), OverflowError("b")]))
    assert not _is_finding(UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"))


def test_an_empty_page_is_no_evidence_for_the_page_size_bound(scripted):
    headers = {"Content-Type": "application/json", "X-Result-Count": "0", "X-Total-Count": "0"}
    server = scripted(lambda path: (200, headers, b"[]"))
    session = ConformanceSession(RunConfig.checked(apis=[BRM], base_urls={BRM: brm_base(server)}))
    run = session.runs[0]
    run.get(run.semantics.paging.page(0, 5))
    bound = run.ledger[run.semantics.paging.requirements["size-bound"]]
    assert not bound.passes and not bound.failure_count
    # The count headers are judged on it all the same: both say 0, rightly.
    counts = run.semantics.counts
    assert counts is not None
    assert run.ledger[counts.result_requirement].passes and run.ledger[counts.total_requirement].passes
