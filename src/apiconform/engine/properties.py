"""The schemathesis wing: the property tests, schemathesis' configuration for a run, and its recordings.

Everything of schemathesis that is not reply validation lives here: the configuration each API's
schema is loaded with (`schemathesis_config`), the seeding of the test-case ids (`seed_case_ids`), the
property test of one API's list operation (`property_test`), and the HAR file and VCR cassette of the
property-test traffic (`TrafficArchive`). Besides this module only model/apirun.py (loading a schema,
validating a reply) and checks/validation.py (the per-response checks' adapter, schemathesis' own check
results) import schemathesis; tests/test_architecture.py holds the engine to that.

The surfaces of schemathesis the project relies on that are private, internal or undocumented, so
that an upgrade knows where to look (pinned >=4.32,<5):

- `generation.RANDOM`, the module's own `random.Random` behind the test-case ids (here, `seed_case_ids`);
- `core.transport.Response._deserialized` and `core.NOT_SET`: a body parsed apiconform's way is handed
  to the checks (model/apirun.py, `readable`);
- `case.meta.phase.data` (`parameter`, `mutations`) and `case.meta.generation.mode`: which parameter a
  negative case broke, and whether it is negative (checks/validation.py);
- a failure's `missing_headers` (checks/validation.py) and `UnsupportedMethodResponse.failure_reason`
  (here, `unsupported_method_status_only`);
- `specs.openapi.checks` for the built-in checks as functions (here and checks/validation.py);
- `schema.find_operation_by_id` (model/apirun.py) and `schema.hooks.register_hook_with_name` / `unregister`
  (here, `TrafficArchive`);
- the CLI's recorder and writers: `engine.recorder.ScenarioRecorder` (its `interactions`),
  `engine.Status`, `reporting.har.HarWriter`, `reporting.vcr.VcrWriter` (here, `TrafficArchive`).
"""

from __future__ import annotations

import functools
import shlex
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
import requests
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup
from schemathesis.core.transport import Response
from schemathesis.generation import GenerationMode
from schemathesis.generation.case import Case
from schemathesis.openapi.checks import UnsupportedMethodResponse
from schemathesis.specs.openapi.checks import negative_data_rejection, unsupported_method

from apiconform import contract
from apiconform.engine.config import RunConfig
from apiconform.engine.model.apirun import PROPERTY_ACTIVITY, ApiRun, readable, wire_query
from apiconform.engine.transport.http import BudgetExhausted, RefusedRequest
from apiconform.reporting.document import json_printable
from apiconform.reporting.writer import atomic_write_text

HAR_FILE = "property-tests.har"
CASSETTE_FILE = "property-tests-cassette.yaml"


# --- schemathesis' configuration ------------------------------------------------------------------


def seed_case_ids(seed: int) -> None:
    """Make the test-case ids schemathesis sends (the X-Schemathesis-TestCaseId header) follow the seed.

    They come from a `random.Random` of schemathesis' own, seeded from the clock: with it seeded here,
    the same seed sends the same requests, headers included."""
    from schemathesis import generation

    generation.RANDOM.seed(f"apiconform:{seed}")


def schemathesis_config(
    config: RunConfig,
    loaded: contract.Contract,
    *,
    base_url: str,
    token: str | None,
    path_values: dict[str, str],
    methods: set[str],
    tls_verify: bool | str,
) -> SchemathesisConfig:
    """The configuration one API's schema is loaded with: where and how its property tests send, and what
    they generate."""
    built = SchemathesisConfig()
    built.update(seed=config.seed, max_failures=None)
    project = built.projects.default
    parameters = {f"path.{name}": path_values[name] for name in loaded.semantics.path_parameters if name in path_values}
    project.update(
        base_url=base_url,
        headers={"Authorization": f"Bearer {token}"} if token else None,
        request_timeout=config.timeout,
        # The guarded session enforces these on every request; schemathesis is told the same so that
        # what it records (HAR, cassette) describes the transport actually used.
        tls_verify=tls_verify,
        max_redirects=0,
        parameters=parameters,
    )
    project.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=config.max_examples,
        database="none",
        allow_extra_parameters=False,
    )
    project.phases.examples.enabled = True
    project.phases.coverage.enabled = True
    project.phases.fuzzing.enabled = True
    project.phases.stateful.enabled = False
    # Schemathesis would probe every undeclared method (DELETE included); only the ones this run
    # may send, and only for an API that documents a 405 for them (DECISIONS.md D-GEN-8).
    project.phases.coverage.unexpected_methods = {method.lower() for method in methods - {"GET"}}
    return built


# --- the property tests ---------------------------------------------------------------------------


def _sent_an_empty_value(response: Response) -> bool:
    # An empty value is ignored or rejected, both accepted (DECISIONS.md D-GEN-1, D-GEN-2). The URL that
    # was sent decides, not the generated value: an empty object or list is sent as `offset=` too.
    return "" in wire_query(response.request.url or "").values()


@functools.wraps(unsupported_method)
def unsupported_method_status_only(ctx: Any, response: Response, case: Case) -> bool | None:
    """Schemathesis' `unsupported_method` without its RFC 9110 demand for an `Allow` header on a 405: the
    vendors' documents say which status an unsupported method gets, not which headers go with it
    (DECISIONS.md D-BRM-20). A wrong status still fails it."""
    try:
        result: bool | None = unsupported_method(ctx, response, case)
    except UnsupportedMethodResponse as failure:
        if failure.failure_reason == "missing_allow_header":
            return None  # the 405 itself is what the document demands
        raise
    return result


def property_test(run: ApiRun) -> Callable[..., None]:
    """The schemathesis property test of one API's list operation."""
    schema = run.schema.include(operation_id=run.semantics.operation_id)
    checks = [*run.judge.property_checks(run), negative_data_rejection]
    if run.allow_unsafe_methods:
        checks.append(unsupported_method_status_only)

    @schema.parametrize()
    def test(case: Case) -> None:
        if run.untestable is not None:
            pytest.skip(f"the target could not be tested: {run.untestable}")
        if not run.may_send_property_case():
            return
        try:
            with run.spending(PROPERTY_ACTIVITY):
                response = case.call(session=run.http)
        except BudgetExhausted:
            return  # sending stopped (`run.control` knows why): the later cases return at once
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


# --- the recordings -------------------------------------------------------------------------------


class TrafficArchive:
    """Records the property tests' requests and responses with schemathesis' recorder, for a HAR file or cassette.

    The recorder listens to the schema's `after_call`, `after_network_error` and `after_validate` hooks.
    Headers named in schemathesis' sanitization list (Authorization among them) and the run's secret
    headers are masked by schemathesis' writers; the token is replaced in the written text as well.

    schemathesis' own pytest reporting (`config.reports`) is not used: its recorder asserts that every
    `after_validate` follows an `after_call` of the same case, and the relations validate
    replies they fetched themselves, so every relation would fail.
    """

    def __init__(self, config: RunConfig) -> None:
        from schemathesis.config import OutputConfig, SanitizationConfig

        self.config = config
        defaults = SanitizationConfig().keys_to_sanitize
        keys = tuple(dict.fromkeys([*defaults, *(name.lower() for name in config.secret_headers)]))
        self.output = OutputConfig(sanitization=SanitizationConfig(keys_to_sanitize=keys))
        self.recorders: list[Any] = []
        self._hooks: list[tuple[Any, Any]] = []

    def attach(self, runs: Sequence[ApiRun]) -> None:
        """Start recording the property tests of every API in `runs`."""
        from schemathesis.engine.recorder import ScenarioRecorder

        for run in runs:
            recorder = ScenarioRecorder(label=f"{run.contract.api} property tests", config=self.output)
            self.recorders.append(recorder)
            hooks = run.schema.hooks
            for name, hook in _recording_hooks(recorder).items():
                hooks.register_hook_with_name(hook, name)
                self._hooks.append((hooks, hook))

    def detach(self) -> None:
        """Stop recording."""
        for hooks, hook in self._hooks:
            hooks.unregister(hook)
        self._hooks.clear()

    def write(self, directory: Path, *, har: bool, cassette: bool, redact: Callable[[str], str]) -> list[Path]:
        """Write the HAR file and/or cassette into `directory`, secrets replaced; return their paths."""
        written = []
        if har:
            from schemathesis.reporting.har import HarWriter

            path = directory / HAR_FILE
            with HarWriter(path, self.output) as har_file:
                har_file.open(seed=self.config.seed)
                for recorder in self.recorders:
                    har_file.write(recorder)
            written.append(path)
        if cassette:
            from schemathesis.reporting.vcr import VcrWriter

            path = directory / CASSETTE_FILE
            # The cassette records a command line; this one names no secret (no token options).
            command = shlex.join(
                ["apiconform", "run", "--api", _api_choice(self.config), "--seed", str(self.config.seed)]
            )
            with VcrWriter(path, self.output) as cassette_file:
                cassette_file.open(seed=self.config.seed, command=command)
                for recorder in self.recorders:
                    cassette_file.write(recorder)
            written.append(path)
        for path in written:
            # What a terminal or a CI runner would act on is written as JSON escapes: the HAR is JSON, and the
            # cassette holds vendor text only in JSON strings (header values) and double-quoted YAML strings
            # (bodies), where `\uXXXX` is an escape too. Each file holds the same values.
            atomic_write_text(path, json_printable(redact(path.read_text(encoding="utf-8"))))
        return written


def _recording_hooks(recorder: Any) -> dict[str, Callable[..., None]]:
    """schemathesis hooks that feed one recorder (schemathesis checks each hook's exact signature)."""
    from schemathesis.engine import Status

    def after_call(context: Any, case: Any, response: Any) -> None:
        recorder.record_case(case=case)
        recorder.record_response(case_id=case.id, response=response)

    def after_network_error(context: Any, case: Any, request: Any) -> None:
        recorder.record_case(case=case)
        recorder.record_request(case_id=case.id, request=request)

    def after_validate(context: Any, case: Any, response: Any, results: list[Any]) -> None:
        # Relations validate replies too, without a call of their own; only recorded cases count.
        if case.id not in recorder.interactions:
            return
        for result in results:
            if result.status == Status.FAILURE and result.failure is not None:
                recorder.record_check_failure(name=result.name, case_id=case.id, code_sample="", failure=result.failure)
            else:
                recorder.record_check_success(name=result.name, case_id=case.id)

    return {"after_call": after_call, "after_network_error": after_network_error, "after_validate": after_validate}


def _api_choice(config: RunConfig) -> str:
    return config.apis[0] if len(config.apis) == 1 else "all"
