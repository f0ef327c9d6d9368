"""The conformance suite pytest collects under the apiconform plugin (engine/plugin.py).

Three kinds of tests, in this order:

- `test_scenario[<api>:<check>]`: one per cross-request check the API's catalog cites. They come first:
  they find most faults, and with few requests (the run's request plan, `RequestPlan`).
- `test_properties__<api>[GET /path]`: schemathesis property tests of the list operation (examples,
  coverage and fuzzing phases, positive and negative data), with schemathesis' response checks and
  apiconform's per-response checks; failures shrink. They send what the plan has left, at least a
  quarter of it. The plugin collects one per API in place of `test_properties` below.
- `test_requirement[<api>:<REQUIREMENT-ID>]`: one per catalog requirement. It runs the scenario checks
  the catalog cites (each once per API) and turns the requirement's verdict into the test outcome:
  fail (MUST) fails, warn (SHOULD) passes with a warning, not-exercised and inconclusive skip; but a
  requirement of an API that could not be tested, or one the suite itself failed on (an exception in
  a check, a scenario or discovery), fails with the reason, so that such a run never exits 0.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

import pytest
import requests
from schemathesis.core.failures import FailureGroup
from schemathesis.core.transport import Response
from schemathesis.generation.case import Case
from schemathesis.specs.openapi.checks import negative_data_rejection

from apiconform.engine.exchange import wire_query
from apiconform.engine.http import BudgetExhausted, RefusedRequest
from apiconform.engine.plan import PROPERTY_ACTIVITY
from apiconform.engine.plugin import SESSION_KEY
from apiconform.engine.session import ConformanceSession
from apiconform.engine.target import ApiRun, readable
from apiconform.engine.verdicts import Verdict
from apiconform.reporting.waivers import in_force


def _sent_an_empty_value(response: Response) -> bool:
    # An empty value is ignored or rejected, both accepted (DECISIONS.md D-GEN-1, D-GEN-2). The URL that
    # was sent decides, not the generated value: an empty object or list is sent as `offset=` too.
    return "" in wire_query(response.request.url or "").values()


def property_test(run: ApiRun) -> Callable[..., None]:
    """The schemathesis property test of one API's list operation."""
    schema = run.schema.include(operation_id=run.semantics.operation_id)
    checks = [*run.judge.property_checks(run), negative_data_rejection]
    unsupported = _unsupported_method_check()
    if run.allow_unsafe_methods:
        checks.append(unsupported)

    @schema.parametrize()
    def test(case: Case) -> None:
        if run.untestable is not None:
            pytest.skip(f"the target could not be tested: {run.untestable}")
        if run.budget_exhausted or not run.may_send_property_case():
            return
        try:
            with run.spending(PROPERTY_ACTIVITY):
                response = case.call(session=run.session)
        except BudgetExhausted:
            run.budget_exhausted = True
            return
        except RefusedRequest:
            return
        except requests.RequestException as exc:
            run.transport_errors.append(run.secrets.redact(f"{case.method} {case.formatted_path}: {exc}"))
            return
        run.count(response.status_code)
        response = readable(response)
        excluded: list[Any] = [negative_data_rejection] if _sent_an_empty_value(response) else []
        try:
            case.validate_response(response, checks=checks, excluded_checks=excluded)
        except FailureGroup as exc:
            failure = run.secrets.redact(str(exc))
        else:
            return
        # A FailureGroup is a BaseExceptionGroup, which Hypothesis does not shrink; an AssertionError it
        # does. Hypothesis keeps each failing example's exception, and with it this frame: drop the
        # response first, or every failing example's body stays in memory for the rest of the run.
        del response
        raise AssertionError(failure)

    return test


def _unsupported_method_check() -> Any:
    """Schemathesis' `unsupported_method` without its RFC 9110 demand for an `Allow` header on a 405: the
    vendors' documents say which status an unsupported method gets, not which headers go with it
    (DECISIONS.md D-BRM-20). A wrong status still fails it."""
    from schemathesis.openapi.checks import UnsupportedMethodResponse
    from schemathesis.specs.openapi.checks import unsupported_method

    @functools.wraps(unsupported_method)
    def status_only(ctx: Any, response: Response, case: Case) -> bool | None:
        try:
            result: bool | None = unsupported_method(ctx, response, case)
        except UnsupportedMethodResponse as failure:
            if failure.failure_reason == "missing_allow_header":
                return None  # the 405 itself is what the document demands
            raise
        return result

    return status_only


@pytest.fixture
def conformance(request: pytest.FixtureRequest) -> ConformanceSession:
    """The run's session, which the plugin put into pytest's stash."""
    return request.config.stash[SESSION_KEY]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    name = metafunc.function.__name__
    session = metafunc.config.stash[SESSION_KEY]
    if name == "test_scenario":
        pairs = [(run.contract.api, check) for run in session.runs for check in session.scenarios_for(run)]
        metafunc.parametrize(("api", "check"), pairs, ids=[f"{api}:{check}" for api, check in pairs])
    elif name == "test_requirement":
        pairs = [(run.contract.api, requirement.id) for run, requirement in session.iter_requirements()]
        metafunc.parametrize(("api", "requirement_id"), pairs, ids=[f"{api}:{rid}" for api, rid in pairs])


def test_scenario(conformance: ConformanceSession, api: str, check: str) -> None:
    """Run one scenario check; its findings are judged per requirement below."""
    run = conformance.run(api)
    if run.untestable is not None:
        pytest.skip(f"the target could not be tested: {run.untestable}")
    conformance.ensure_scenario(run, check)


def test_properties() -> None:
    """Stands in for the property tests: the plugin collects `test_properties__<api>` in its place."""
    raise AssertionError("collected only under the apiconform plugin, which replaces it")


def test_requirement(conformance: ConformanceSession, api: str, requirement_id: str) -> None:
    run = conformance.run(api)
    run.ledger.settle()  # every check has run by now (scenario and property tests come first)
    requirement = run.contract.requirement(requirement_id)
    record = run.ledger[requirement_id]
    verdict = record.verdict
    if run.untestable is not None:
        reason = run.untestable
        pytest.fail(f"{requirement_id}: {verdict.value}: the target could not be tested: {reason}", pytrace=False)
    crashes = [reason for reason in record.reasons() if reason in run.ledger.errors]
    if verdict is Verdict.INCONCLUSIVE and crashes:
        pytest.fail(f"{requirement_id}: {verdict.value}: {'; '.join(crashes)}", pytrace=False)
    waiver = in_force(conformance.config.waivers, conformance.started.date()).get(requirement_id)
    if verdict in (Verdict.FAIL, Verdict.WARN) and waiver:
        pytest.xfail(f"waived until {waiver.expires} ({waiver.ticket}): {waiver.reason}")
    if verdict is Verdict.FAIL:
        first = record.failures[0] if record.failures else None
        detail = first.message if first else ""
        if first and first.evidence:
            detail += "\n" + first.evidence[0].curl
        pytest.fail(f"{requirement_id} ({requirement.level}): {requirement.title}\n{detail}", pytrace=False)
    if verdict is Verdict.WARN:
        first = record.failures[0]
        warnings.warn(f"{requirement_id} (SHOULD): {first.message}", stacklevel=1)
    if verdict in (Verdict.NOT_EXERCISED, Verdict.INCONCLUSIVE):
        pytest.skip(f"{verdict.value}: {'; '.join(record.reasons()) or 'nothing observed'}")
