"""How replies reach the per-response checks: through schemathesis' validation of each reply.

`attach(run)` gives the run the schemathesis checks it validates every reply of the list operation
with (the property tests' and the relations' alike): schemathesis' own response checks, each guarded
so that a crash is recorded rather than ending the validation, and one adapter bound to the run that
builds the reply's `Exchange` once and hands it, with the run's `Context`, to every per-response check
in the registry. An `after_validate` hook turns schemathesis' own check results (schema, status,
content type, headers, negative data, undeclared methods, 5xx) into observations against the catalog.
Nothing is registered in schemathesis' global check registry.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from typing import Any

from requests.structures import CaseInsensitiveDict
from schemathesis.checks import CheckContext
from schemathesis.core.failures import CustomFailure, Failure, FailureGroup
from schemathesis.core.transport import Response
from schemathesis.generation.case import Case

from apiconform.contract import Contract
from apiconform.engine.checks.base import Context, response_checks
from apiconform.engine.records import pointer_get
from apiconform.engine.target import ApiRun, Exchange, make_evidence, parse_body, wire_query
from apiconform.engine.verdicts import Evidence, Observation, Outcome

# Schemathesis checks whose results become observations (the others are not run by apiconform).
BUILTIN_RESPONSE_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)
BUILTIN_CHECKS = (*BUILTIN_RESPONSE_CHECKS, "negative_data_rejection", "unsupported_method")


def attach(run: ApiRun) -> None:
    """Give the run its response checks, and record schemathesis' check results as observations."""
    import schemathesis.checks as builtin_checks
    import schemathesis.specs.openapi.checks as openapi_checks

    builtins = [
        getattr(builtin_checks, name, None) or getattr(openapi_checks, name) for name in BUILTIN_RESPONSE_CHECKS
    ]
    run.response_checks = [*(_guarded(run, check) for check in builtins), _judge_replies(run)]
    run.response_check_names = (*BUILTIN_RESPONSE_CHECKS, *response_checks())

    @run.schema.hook
    def after_validate(ctx: Any, case: Case, response: Response, results: list[Any]) -> None:
        try:
            _record_builtin_results(run, case, response, results)
        except Exception as exc:  # the suite's failure: the results are not counted as passes
            run.crashed("recording schemathesis' check results", exc, [r.id for r in run.contract.requirements])


def _judge_replies(run: ApiRun) -> Callable[..., bool | None]:
    """The schemathesis check that runs every applicable per-response check on one reply."""
    context = Context.of(run)
    checks = [check for check in response_checks().values() if check.applies(run.semantics)]

    def apiconform_response_checks(ctx: CheckContext, response: Response, case: Case) -> bool | None:
        if case.operation.label != run.list_operation_label:
            return True  # another operation (a joined list): not judged
        try:
            exchange = exchange_of(run, response, case)
        except Exception as exc:  # the suite's failure: each check judged nothing
            for check in checks:
                run.crashed(check.name, exc)
            return True
        failures: list[Failure] = []
        for check in checks:
            failed: list[Observation] = []
            try:
                for observation in check.judge(context, exchange):
                    run.observe(observation)
                    if observation.outcome is Outcome.FAIL:
                        failed.append(observation)
            except Exception as exc:  # a crash of the check is the suite's failure, never a pass
                run.crashed(check.name, exc)
                continue
            if failed:
                message = "; ".join(f"[{o.requirement}] {o.message}" for o in failed)
                failures.append(
                    CustomFailure(
                        operation=case.operation.label,
                        title=f"Custom check failed: `{check.name}`",
                        message=message,
                        exception=AssertionError(message),
                    )
                )
        if failures:
            raise FailureGroup(failures)
        return None

    return apiconform_response_checks


def exchange_of(run: ApiRun, response: Response, case: Case) -> Exchange:
    """The exchange the per-response checks judge: the query as the server received it, the first value
    of each header, and which parameters hold values the spec rules out."""
    request = response.request
    url = str(request.url)
    query = wire_query(url)
    headers = CaseInsensitiveDict({name: values[0] for name, values in response.headers.items() if values})
    evidence = make_evidence(
        run.secrets, str(request.method), url, dict(request.headers), response.status_code, headers, response.content
    )
    negative = bool(case.meta is not None and case.meta.generation.mode.is_negative)
    invalid = frozenset(query) if negative else invalid_parameters(run.contract, query)
    content = response.content
    return Exchange(
        query, response.status_code, headers, parse_body(content), evidence, content=content, invalid_params=invalid
    )


def invalid_parameters(contract: Contract, query: Mapping[str, str]) -> frozenset[str]:
    """The parameters whose (non-empty) value falls outside the parameter's schema."""
    invalid = set()
    declared = contract.query_parameters()
    for name, value in query.items():
        if value == "" or name not in declared:
            continue
        schema = contract.resolve(declared[name].get("schema", {}))
        if not _wire_value_valid(contract, schema, value):
            invalid.add(name)
    return frozenset(invalid)


def _wire_value_valid(contract: Contract, schema: Mapping[str, Any], value: str) -> bool:
    kind = schema.get("type")
    if kind == "array":
        items = contract.resolve(schema.get("items", {}))
        return all(_wire_value_valid(contract, items, part) for part in value.split(","))
    instance: Any = value
    if kind == "integer":
        try:
            instance = int(value)
        except ValueError:
            return False
    elif kind == "number":
        # The wire form of a JSON number: an integer, else a finite decimal ("2.5"); never "NaN" or "inf".
        try:
            instance = int(value)
        except ValueError:
            try:
                instance = float(value)
            except ValueError:
                return False
            if not math.isfinite(instance):
                return False
    validator = contract.schema_validator(schema)
    return validator.is_valid(instance)


# --- schemathesis' own checks -------------------------------------------------------------------------


def builtin_requirements(run: ApiRun, name: str, case: Case, response: Response, failure: Any) -> list[str]:
    """The catalog requirements a schemathesis check result speaks to (empty: none of this API).

    The count headers are judged on every reply, an empty result included: a reply with both headers
    right passes both requirements, and a missing or malformed header fails its own requirement (both,
    when both headers are named)."""
    citing = run.citing(name)
    errors, counts = run.semantics.errors, run.semantics.count_headers
    if name == "response_schema_conformance" and response.status_code >= 400 and errors:
        return [errors.requirement]
    if name == "response_headers_conformance" and counts:
        both = [counts.result_requirement, counts.total_requirement]
        if failure is None:
            # Only a 2xx carries the counts; another status passing the header check shows nothing.
            return both if 200 <= response.status_code < 300 else []
        # The failure names the header: missing ones in `missing_headers`, malformed ones in its text.
        missing = " ".join(getattr(failure, "missing_headers", None) or ())
        named = (missing or f"{failure.title} {failure.message}").lower()
        blamed = [
            requirement
            for header, requirement in zip((counts.result_header, counts.total_header), both, strict=True)
            if header.lower() in named
        ]
        return blamed or both[:1]
    if name == "negative_data_rejection":
        parameter = _negated_parameter(case)
        attributed = run.contract.invalid_value_requirements()
        if parameter in attributed:
            return [attributed[parameter]]
        if parameter in run.contract.query_parameters():
            # A query parameter whose bad values no requirement demands rejected (no invalid-inputs example:
            # the spec's schema may hold more than a sentence states, such as `minLength: 1` items of a list
            # whose serialization is inferred) charges nothing, rather than the first requirement citing
            # the check (DECISIONS.md D-GEN-55).
            return []
    return citing[:1]


def builtin_pass_judges(run: ApiRun, name: str, case: Case, response: Response) -> bool | None:
    """Whether a schemathesis check that passed on this reply judged its rule: True when a defect of the rule
    would have failed it here, False when it only corroborates, None when it looked at nothing (it passes
    every reply it does not apply to, and such a pass must not count at all)."""
    negative = bool(case.meta is not None and case.meta.generation.mode.is_negative)
    if name == "negative_data_rejection":
        # Positive data passes it whatever the server does; a rejected negative case is the observation.
        return True if negative and 400 <= response.status_code < 500 else None
    if name == "unsupported_method":
        return True if str(response.request.method).upper() != "GET" else None
    if name == "response_headers_conformance":
        return False  # the headers are there and well formed; their values are judged by apiconform's checks
    if name == "response_schema_conformance" and 200 <= response.status_code < 300:
        # An empty list is valid whatever shape the server gives its records.
        records = pointer_get(parse_body(response.content or b""), run.semantics.records_pointer)
        return isinstance(records, list) and bool(records)
    return True


def _negated_parameter(case: Case) -> str | None:
    if case.meta is None:
        return None
    data = case.meta.phase.data
    parameter = getattr(data, "parameter", None)
    if parameter:
        return str(parameter)
    for mutation in getattr(data, "mutations", ()) or ():
        if getattr(mutation, "parameter", None):
            return str(mutation.parameter)
    return None


def _record_builtin_results(run: ApiRun, case: Case, response: Response, results: list[Any]) -> None:
    evidence: Evidence | None = None

    def shown() -> Evidence:
        nonlocal evidence
        if evidence is None:
            request = response.request
            headers = CaseInsensitiveDict({n: v[0] for n, v in response.headers.items() if v})
            evidence = make_evidence(
                run.secrets,
                str(request.method),
                str(request.url),
                dict(request.headers),
                response.status_code,
                headers,
                response.content,
            )
        return evidence

    for result in results:
        if result.name not in BUILTIN_CHECKS:
            continue
        requirements = builtin_requirements(run, result.name, case, response, result.failure)
        if not requirements:
            continue
        if result.failure is None:
            judging = builtin_pass_judges(run, result.name, case, response)
            if judging is None:
                continue
            method, status = response.request.method, response.status_code
            compared = f"schemathesis' {result.name} held on a {status} reply to {method}"
            for requirement in requirements:
                kept = judging and run.ledger.wants_evidence(requirement)
                run.ledger.record(
                    Observation(
                        requirement,
                        Outcome.PASS,
                        result.name,
                        compared,
                        evidence=(shown(),) if kept else (),
                        judging=judging,
                    )
                )
            continue
        message = f"{result.failure.title}: {result.failure.message}".strip().rstrip(":")
        for requirement in requirements:
            run.observe(
                Observation(requirement, Outcome.FAIL, result.name, run.secrets.redact(message), evidence=(shown(),))
            )


def _guarded(run: ApiRun, check: Any) -> Any:
    """A schemathesis check that, when it raises anything but a finding, records the crash instead
    (its requirements inconclusive, the run's verdict `error`) rather than ending the validation."""

    @functools.wraps(check)
    def guarded(ctx: CheckContext, response: Response, case: Case) -> bool | None:
        try:
            result: bool | None = check(ctx, response, case)
        except (AssertionError, Failure, FailureGroup):
            raise
        except Exception as exc:  # see the docstring
            run.crashed(check.__name__, exc)
            return True
        return result

    return guarded
