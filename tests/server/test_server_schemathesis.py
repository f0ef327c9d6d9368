"""Schemathesis finds nothing against the correct reference server: no 5xx, and every built-in check passes.

Positive and negative data, coverage and fuzzing phases, a fixed seed. Three exemptions, all from
specs/DECISIONS.md: no undeclared-method probes (D-GEN-8: the 405s are not in the BitGo spec), no
demand that a request sent with an empty query value be rejected (D-GEN-1: `types=` is the empty array,
which the server may ignore), and no demand that a schema-valid value be accepted where the contract's
tolerated inputs allow a rejection for that parameter (BitGo's page parameters are plain strings that
io-ts still decodes as integers; BRM's @type and dates are plain strings the server may reject).
"""

from __future__ import annotations

import inspect
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from apiconform import contract
from apiconform.engine.model.exchange import wire_query
from apiconform.server import ReferenceServer
from apiconform.server.data import enterprise_id

# schemathesis' whole engine against a running server: seconds per test, so outside `make check`.
pytestmark = pytest.mark.e2e

SEED = 20260801
DATA_SEED = 0
UNREACHABLE = "http://127.0.0.1:9"
MAX_EXAMPLES = 60
TOKEN = "schemathesis-run-token"
# Each schemathesis test must have sent at least this many requests that were answered 200, and as many
# answered 400, to each operation it tested: fewer, and the test proved little.
AT_LEAST = 20


def builtin_checks() -> list[Callable[..., Any]]:
    """Every check function schemathesis ships (custom checks other modules register are left out)."""
    return [
        check
        for check in CHECKS.get_all()
        if inspect.isfunction(check) and check.__module__.startswith("schemathesis.")
    ]


def load_schema(api: str) -> BaseSchema:
    """The API's spec with the run's settings (the server's port is only known later: each call names it)."""
    config = SchemathesisConfig()  # explicit: no schemathesis.toml is read
    config.update(seed=SEED, max_failures=None)
    project = config.projects.default
    project.update(
        # Calls pass the real base URL; anything that did not would hit the discard port, never the vendor.
        base_url=UNREACHABLE + urllib.parse.urlsplit(contract.load(api).server_url).path,
        headers={"Authorization": f"Bearer {TOKEN}"},
        request_timeout=30,
        parameters={"enterpriseId": enterprise_id(DATA_SEED)},
    )
    project.generation.update(modes=list(GenerationMode), max_examples=MAX_EXAMPLES, database="none")
    project.phases.examples.enabled = False
    project.phases.stateful.enabled = False
    project.phases.coverage.enabled = True
    project.phases.fuzzing.enabled = True
    project.phases.coverage.unexpected_methods = set()
    return schemathesis.openapi.from_path(contract.load(api).spec_path, config=config)


@pytest.fixture(scope="module")
def server(make_reference_server: Any) -> ReferenceServer:
    server: ReferenceServer = make_reference_server(seed=DATA_SEED, token=TOKEN)
    assert server.enterprise_id == enterprise_id(DATA_SEED)
    return server


@pytest.fixture(scope="module")
def session() -> requests.Session:
    return requests.Session()


@pytest.fixture(scope="module")
def answered() -> Counter[tuple[str, int]]:
    """(operation, status) -> how many requests the schemathesis tests of this module got that answer."""
    return Counter()


@pytest.fixture(autouse=True)
def not_vacuous(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each schemathesis test that passed: what that test itself sent was not vacuous.

    It counts only the answers recorded while the test ran, so no test depends on another having run
    (Hypothesis forbids a function-scoped fixture as a test argument; an autouse one is allowed)."""
    if "answered" not in request.fixturenames:
        yield
        return
    answered: Counter[tuple[str, int]] = request.getfixturevalue("answered")
    before = Counter(answered)
    yield
    call = getattr(request.node, "rep_call", None)  # kept by the top-level conftest.py
    if call is None or not call.passed:
        return  # the test's own failure says what went wrong
    sent = answered - before
    operations = {operation for operation, _ in sent}
    assert operations, f"{request.node.name} sent nothing"
    for operation in operations:
        assert sent[(operation, 200)] >= AT_LEAST and sent[(operation, 400)] >= AT_LEAST, sent
    assert not any(status >= 500 for _, status in sent), sent


def rejectable_parameters(api: str) -> frozenset[str]:
    """The query parameters for which the contract accepts a 400 to some value its schema allows."""
    return frozenset(
        name
        for item in contract.load(api).semantics.tolerated_inputs
        if "rejected" in item.accept
        for name in item.query
    )


def call_and_validate(
    case: Any, api: str, server: ReferenceServer, session: requests.Session, answered: Counter[tuple[str, int]]
) -> None:
    checks = builtin_checks()
    response = case.call(base_url=server.api_base_url(api), session=session)
    # The URL sent decides: an empty string, object or array all go out as `name=`.
    sent = wire_query(response.request.url or "")
    if "" in sent.values():
        checks.remove(negative_data_rejection)
    if response.status_code == 400 and set(sent) & rejectable_parameters(api):
        checks.remove(positive_data_acceptance)
    try:
        case.validate_response(response, checks=checks)
    except FailureGroup as failures:  # a BaseExceptionGroup: turn it into a test failure Hypothesis can shrink
        raise AssertionError(str(failures)) from failures
    answered[(case.operation.label, response.status_code)] += 1


bitgo = load_schema("bitgo-oes")
bitgo_connections = load_schema("bitgo-connections")
brm = load_schema("brm-adjust-balance")


@bitgo.parametrize()
def test_bitgo_passes_every_schemathesis_check(
    case: Any, server: ReferenceServer, session: requests.Session, answered: Counter[tuple[str, int]]
) -> None:
    call_and_validate(case, "bitgo-oes", server, session, answered)


@bitgo_connections.parametrize()
def test_bitgo_connections_passes_every_schemathesis_check(
    case: Any, server: ReferenceServer, session: requests.Session, answered: Counter[tuple[str, int]]
) -> None:
    call_and_validate(case, "bitgo-connections", server, session, answered)


@brm.parametrize()
def test_brm_passes_every_schemathesis_check(
    case: Any, server: ReferenceServer, session: requests.Session, answered: Counter[tuple[str, int]]
) -> None:
    call_and_validate(case, "brm-adjust-balance", server, session, answered)


def test_the_builtin_checks_include_the_ones_this_module_relies_on() -> None:
    names = {check.__name__ for check in builtin_checks()}
    assert {"not_a_server_error", "negative_data_rejection", "positive_data_acceptance", "ignored_auth",
            "response_schema_conformance", "response_headers_conformance"} <= names  # fmt: skip
