"""How a run judges each reply of its list operation: `ReplyJudge`, built with the run.

A reply's `Exchange` (made once, by `Exchange.of`) goes to every per-response check in the registry that
applies to the spec, with the run's `Context`; schemathesis validates the same reply with its own
response checks (schema, status, content type, headers), each guarded so that a crash is recorded
rather than ending the validation, and an `after_validate` hook turns their results (and those of
negative data and undeclared methods in the property tests) into observations against the catalog.

A relation's reply is judged directly (`ReplyJudge.validate`, from `ApiRun`); the property tests validate
their replies through schemathesis with an adapter check that hands the same judge an Exchange from the
same constructor. Nothing is registered in schemathesis' global check registry.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from schemathesis.checks import CheckContext
from schemathesis.core.failures import CustomFailure, Failure, FailureGroup
from schemathesis.core.transport import Response
from schemathesis.generation.case import Case

from apiconform.contract import Contract
from apiconform.engine.checks.base import Context, response_checks
from apiconform.engine.model.apirun import ApiRun
from apiconform.engine.model.discovery import Discovery
from apiconform.engine.model.exchange import Exchange, invalid_parameters, wire_query
from apiconform.engine.model.verdicts import Observation, Outcome

# Schemathesis checks whose results become observations (the others are not run by apiconform).
BUILTIN_RESPONSE_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)
# Schemathesis' checks of what was sent rather than of one reply: invalid data must be rejected, and a
# method the operation does not declare must not be served.
NEGATIVE_DATA_REJECTION = "negative_data_rejection"
UNSUPPORTED_METHOD = "unsupported_method"
BUILTIN_CHECKS = (*BUILTIN_RESPONSE_CHECKS, NEGATIVE_DATA_REJECTION, UNSUPPORTED_METHOD)


@dataclass(frozen=True)
class BuiltinCheck:
    """One of schemathesis' own checks a catalog may cite, described as the registry describes apiconform's
    (`apiconform checks`): what it judges, what it needs, what a citing requirement must quote."""

    name: str
    doc: str
    needs: tuple[str, ...]
    quote: str


# What each of BUILTIN_CHECKS judges, in apiconform's words (a test keeps both lists the same).
BUILTIN_CHECK_DESCRIPTIONS = (
    BuiltinCheck(
        "not_a_server_error",
        "No reply is a 5xx: every request the suite sends is answered, never failed on by the server.",
        (),
        "that the list operation answers (or, where the document says so, what it answers instead of failing)",
    ),
    BuiltinCheck(
        "status_code_conformance",
        "Every reply's status is one the operation documents.",
        ("the operation's responses (OpenAPI)",),
        "the statuses the operation answers with",
    ),
    BuiltinCheck(
        "content_type_conformance",
        "Every reply's content type is one its documented response declares.",
        ("the operation's response content types (OpenAPI)",),
        "the media type of the answers (e.g. application/json)",
    ),
    BuiltinCheck(
        "response_headers_conformance",
        "The headers the documented response requires are there and match their schemas.",
        ("the response's headers (OpenAPI); counts, for the count headers",),
        "the headers an answer carries (e.g. the count headers)",
    ),
    BuiltinCheck(
        "response_schema_conformance",
        "Every body matches its documented response schema (an error body the error envelope, with `errors`).",
        ("the operation's response schemas (OpenAPI)",),
        "the record fields and their types, or the envelope the answer comes in",
    ),
    BuiltinCheck(
        NEGATIVE_DATA_REJECTION,
        "A query value the operation's parameter schemas rule out is answered with a 4xx.",
        ("invalid-inputs (the parameters whose bad values the requirement covers)",),
        "that a value of the wrong type or outside the documented ones is rejected",
    ),
    BuiltinCheck(
        UNSUPPORTED_METHOD,
        "A method the operation does not declare is answered 405 (sent only with --allow-unsafe-methods).",
        ("unsafe-methods",),
        "that the endpoint serves only the methods it documents",
    ),
)


class ReplyJudge:
    """Judges every reply of one API's list operation, a relation's or a property test's alike: the
    per-response checks that apply to its spec, and schemathesis' own response checks."""

    def __init__(self, contract: Contract, discovery: Discovery) -> None:
        self.context = Context(contract, discovery)
        self.checks = tuple(check for check in response_checks().values() if check.applies(contract.semantics))
        self.check_names = (*BUILTIN_RESPONSE_CHECKS, *response_checks())
        # The reply schemathesis is validating and its Exchange, so that the after_validate hook records
        # schemathesis' results with the evidence the per-response checks used: set by whoever made the
        # Exchange (`validate`, the property tests' adapter), dropped when the hook has run. Held by
        # reference and matched by identity, never by id(): it cannot stand for another reply.
        self._validating: tuple[Response, Exchange] | None = None

    def validate(self, run: ApiRun, case: Case, checked: Response, reply: Exchange) -> None:
        """Judge a relation's reply: the per-response checks on `reply`, then schemathesis' own response
        checks on `checked`, the same reply as schemathesis takes it. Findings are observations; none raises."""
        self._validating = (checked, reply)
        try:
            self.judge(run, reply)
            with contextlib.suppress(FailureGroup):  # every finding is recorded by the after_validate hook
                case.validate_response(checked, checks=self._builtins(run))
        finally:
            self._validating = None

    def judge(self, run: ApiRun, exchange: Exchange) -> list[Failure]:
        """Run every applicable per-response check on one reply, recording its observations (a crash of a
        check makes its requirements inconclusive); the failures, one per check that failed, in
        schemathesis' form."""
        failures: list[Failure] = []
        for check in self.checks:
            failed: list[Observation] = []
            try:
                for observation in check.judge(self.context, exchange):
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
                        operation=run.list_operation_label,
                        title=f"Custom check failed: `{check.name}`",
                        message=message,
                        exception=AssertionError(message),
                    )
                )
        return failures

    def property_checks(self, run: ApiRun) -> list[Any]:
        """The schemathesis checks the property tests validate each reply with: schemathesis' own response
        checks and the adapter that runs this judge on the reply's Exchange (its failures shrink)."""

        def apiconform_response_checks(ctx: CheckContext, response: Response, case: Case) -> bool | None:
            if case.operation.label != run.list_operation_label:
                return True  # another operation (a joined list): not judged
            try:
                exchange = self._exchange(run, response, case)
            except Exception as exc:  # the suite's failure: each check judged nothing
                for check in self.checks:
                    run.crashed(check.name, exc)
                return True
            failures = self.judge(run, exchange)
            if failures:
                raise FailureGroup(failures)
            return None

        return [*self._builtins(run), apiconform_response_checks]

    def results_hook(self, run: ApiRun) -> Callable[..., None]:
        """The after_validate hook that records schemathesis' own check results on a reply as observations."""

        def after_validate(ctx: Any, case: Case, response: Response, results: list[Any]) -> None:
            try:
                _record_builtin_results(run, case, response, results, self._exchange(run, response, case))
            except Exception as exc:  # the suite's failure: the results are not counted as passes
                run.crashed("recording schemathesis' check results", exc, [r.id for r in run.contract.requirements])
            finally:
                self._validating = None

        return after_validate

    def _exchange(self, run: ApiRun, response: Response, case: Case) -> Exchange:
        """The Exchange of the reply schemathesis is validating: the one made for it already, else a new one."""
        if self._validating is not None and self._validating[0] is response:
            return self._validating[1]
        exchange = exchange_of(run, response, case)
        self._validating = (response, exchange)
        return exchange

    def _builtins(self, run: ApiRun) -> list[Any]:
        import schemathesis.checks as builtin_checks
        import schemathesis.specs.openapi.checks as openapi_checks

        return [
            _guarded(run, getattr(builtin_checks, name, None) or getattr(openapi_checks, name))
            for name in BUILTIN_RESPONSE_CHECKS
        ]


def exchange_of(run: ApiRun, response: Response, case: Case) -> Exchange:
    """The Exchange of a reply schemathesis validated: its request as sent, and which parameters hold
    values the spec rules out (all of them in negative data)."""
    request = response.request
    url = str(request.url)
    query = wire_query(url)
    negative = bool(case.meta is not None and case.meta.generation.mode.is_negative)
    return Exchange.of(
        run.secrets,
        str(request.method),
        url,
        dict(request.headers),
        query,
        status=response.status_code,
        headers=response.headers,
        content=response.content,
        invalid_params=frozenset(query) if negative else invalid_parameters(run.contract, query),
        curl_options=run.http.target_auth.curl_options,
    )


# --- schemathesis' own checks -------------------------------------------------------------------------


def builtin_requirements(run: ApiRun, name: str, case: Case, response: Response, failure: Any) -> list[str]:
    """The catalog requirements a schemathesis check result speaks to (empty: none of this API).

    The counts in headers are judged on every reply, an empty result included: a reply with them right
    passes their requirements, and a missing or malformed header fails its own requirement (the first
    one's, when none is named). Counts in the body are not headers: this check says nothing of them."""
    citing = run.citing(name)
    errors = run.semantics.errors
    in_headers = [count for count in run.semantics.counts.declared if count.header] if run.semantics.counts else []
    if name == "response_schema_conformance" and response.status_code >= 400 and errors:
        return [errors.requirement]
    if name == "response_headers_conformance" and in_headers:
        every = [count.requirement for count in in_headers]
        if failure is None:
            # Only a 2xx carries the counts; another status passing the header check shows nothing.
            return every if 200 <= response.status_code < 300 else []
        # The failure names the header: missing ones in `missing_headers`, malformed ones in its text.
        missing = " ".join(getattr(failure, "missing_headers", None) or ())
        named = (missing or f"{failure.title} {failure.message}").lower()
        blamed = [count.requirement for count in in_headers if str(count.header).lower() in named]
        return blamed or every[:1]
    if name == NEGATIVE_DATA_REJECTION:
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


def builtin_pass_judges(run: ApiRun, name: str, case: Case, response: Response, reply: Exchange) -> bool | None:
    """Whether a schemathesis check that passed on this reply judged its rule: True when a defect of the rule
    would have failed it here, False when it only corroborates, None when it looked at nothing (it passes
    every reply it does not apply to, and such a pass must not count at all)."""
    negative = bool(case.meta is not None and case.meta.generation.mode.is_negative)
    if name == NEGATIVE_DATA_REJECTION:
        # Positive data passes it whatever the server does; a rejected negative case is the observation.
        return True if negative and 400 <= response.status_code < 500 else None
    if name == UNSUPPORTED_METHOD:
        return True if str(response.request.method).upper() != "GET" else None
    if name == "response_headers_conformance":
        return False  # the headers are there and well formed; their values are judged by apiconform's checks
    if name == "response_schema_conformance" and 200 <= response.status_code < 300:
        # An empty list is valid whatever shape the server gives its records.
        return bool(reply.records(run.semantics.records_pointer))
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


def _record_builtin_results(run: ApiRun, case: Case, response: Response, results: list[Any], reply: Exchange) -> None:
    for result in results:
        if result.name not in BUILTIN_CHECKS:
            continue
        requirements = builtin_requirements(run, result.name, case, response, result.failure)
        if not requirements:
            continue
        if result.failure is None:
            judging = builtin_pass_judges(run, result.name, case, response, reply)
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
                        evidence=(reply.evidence,) if kept else (),
                        judging=judging,
                    )
                )
            continue
        message = f"{result.failure.title}: {result.failure.message}".strip().rstrip(":")
        for requirement in requirements:
            run.observe(
                Observation(
                    requirement, Outcome.FAIL, result.name, run.secrets.redact(message), evidence=(reply.evidence,)
                )
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
