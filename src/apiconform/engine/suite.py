"""The conformance suite pytest collects under the apiconform plugin (engine/plugin.py).

Three kinds of tests, in this order:

- `test_relation[<api>:<check>]`: one per relation (a check across several requests) the API's catalog
  cites. They come first: they find most faults, and with few requests (the run's request plan, `RequestPlan`).
- `test_properties__<api>[GET /path]`: schemathesis property tests of the list operation (examples,
  coverage and fuzzing phases, positive and negative data), with schemathesis' response checks and
  apiconform's per-response checks; failures shrink. They send what the plan has left, at least a
  quarter of it. The plugin collects one per API in place of `test_properties` below.
- `test_requirement[<api>:<REQUIREMENT-ID>]`: one per catalog requirement, after every check has run.
  It turns the requirement's verdict into the test outcome:
  fail (MUST) fails, warn (SHOULD) passes with a warning, not-exercised and inconclusive skip; but a
  requirement of an API that could not be tested, or one the suite itself failed on (an exception in
  a check, a relation or discovery), fails with the reason, so that such a run never exits 0.

The relation and requirement tests are parametrized with the `SuiteItem` they run (engine/model/events.py);
the plugin tags every test with one, and reads nothing from a test's name.
"""

from __future__ import annotations

import warnings

import pytest

from apiconform.engine.model.events import Phase, SuiteItem
from apiconform.engine.model.verdicts import Verdict
from apiconform.engine.plugin import SESSION_KEY, SUITE_NEEDS_A_RUN
from apiconform.engine.session import ConformanceSession
from apiconform.exitcodes import ExitCode
from apiconform.reporting.waivers import in_force


@pytest.fixture
def conformance(request: pytest.FixtureRequest) -> ConformanceSession:
    """The run's session, which the plugin put into pytest's stash."""
    return request.config.stash[SESSION_KEY]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Each relation and requirement test is parametrized with the `SuiteItem` it runs, which the plugin
    tags the test with (engine/plugin.py); its id is `<api>:<check or requirement id>`."""
    name = metafunc.function.__name__
    session = metafunc.config.stash.get(SESSION_KEY, None)
    if session is None:
        # Collected without the run the plugin builds from --api or --spec: nothing to test, and nothing
        # judged, so a usage error (exit 2) as `apiconform run` without them gives, not an empty pass.
        pytest.exit(SUITE_NEEDS_A_RUN, returncode=ExitCode.USAGE)
    if name == "test_relation":
        relations = [(run.contract.api, check) for run in session.runs for check in session.relations_for(run)]
        cases = [SuiteItem(api, Phase.RELATIONS, check) for api, check in relations]
    elif name == "test_requirement":
        cases = [SuiteItem(run.contract.api, Phase.VERDICTS, req.id) for run, req in session.iter_requirements()]
    else:
        return
    metafunc.parametrize("case", cases, ids=[f"{case.api}:{case.name}" for case in cases])


def test_relation(conformance: ConformanceSession, case: SuiteItem) -> None:
    """Run one relation; its findings are judged per requirement below."""
    run = conformance.api_run(case.api)
    if run.untestable is not None:
        pytest.skip(f"the target could not be tested: {run.untestable}")
    conformance.ensure_relation(run, case.name)


def test_properties() -> None:
    """Stands in for the property tests: the plugin collects `test_properties__<api>` in its place."""
    raise AssertionError("collected only under the apiconform plugin, which replaces it")


def test_requirement(conformance: ConformanceSession, case: SuiteItem) -> None:
    run = conformance.api_run(case.api)
    requirement_id = case.name
    run.ledger.settle()  # every check has run by now (relations and property tests come first)
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
