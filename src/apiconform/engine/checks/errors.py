"""Inputs and errors: values the documents rule out are rejected, inputs they leave open are answered
one of the accepted ways, error bodies carry the documented envelope, and every JSON body is strict JSON."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from typing import Any

import jsonschema

from apiconform.contract import Contract, QueryExpectation, Semantics
from apiconform.engine.checks.base import (
    UNSTABLE,
    Context,
    Judge,
    confirmed,
    describe_ids,
    ids,
    relation,
    response_check,
)
from apiconform.engine.model import discovery
from apiconform.engine.model.apirun import ApiRun
from apiconform.engine.model.exchange import Exchange
from apiconform.engine.model.records import MISSING
from apiconform.engine.model.verdicts import Cause, Observation

# --- per response -------------------------------------------------------------------------------------


def is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";")[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def _has_errors(semantics: Semantics) -> bool:
    return semantics.errors is not None


def enveloped(contract: Contract, status: int | None) -> bool:
    """Whether the documents give an answer of this status an error envelope: a 4xx the operation
    declares. An undocumented status is the status requirement's finding and a 5xx the server-error
    requirement's; a proxy's HTML 502 is not charged to the envelope as well (DECISIONS.md D-GEN-40)."""
    if status is None or not 400 <= status < 500:
        return False
    return str(status) in contract.operation().get("responses", {})


@response_check(
    applies=_has_errors,
    needs=("errors",),
    quote="the error envelope (its fields) of the documented 4xx answers",
)
def error_envelope(ctx: Context, exchange: Exchange) -> Iterator[Observation]:
    """An error answer of a documented 4xx status is JSON in the documented envelope, carrying what the
    vendor's convention advises."""
    errors = ctx.semantics.errors
    if errors is None or not enveloped(ctx.contract, exchange.status):
        return
    judge = Judge("error_envelope", errors.requirement)
    documented = ctx.contract.operation().get("responses", {}).get(str(exchange.status))
    if not is_json(exchange.headers.get("Content-Type")) or exchange.body is MISSING:
        yield judge.failed(
            f"{exchange.status} answered with {exchange.headers.get('Content-Type') or 'no content type'} "
            "and a body that is not JSON",
            [exchange],
            received=exchange.evidence.body_excerpt[:120],
            expected="a JSON error body",
        )
        return
    if documented is not None:
        schema = ctx.contract.resolve(documented)["content"]["application/json"]["schema"]
        error = schema_error(ctx.contract, schema, exchange.body)
        if error is not None:
            yield judge.failed(
                f"{exchange.status} body does not match the error envelope: {error.message}",
                [exchange],
                received=exchange.evidence.body_excerpt[:200],
                expected=str(schema),
            )
            return
    yield judge.passed(f"the {exchange.status} body is JSON in the documented envelope", [exchange])
    for advice in errors.advice:
        if advice.status != exchange.status:
            continue
        advised = judge.on(advice.requirement)
        error = schema_error(ctx.contract, advice.schema, exchange.body)
        if error is not None:
            yield advised.failed(
                f"{exchange.status} body lacks what the vendor's error convention carries: {error.message}",
                [exchange],
                received=exchange.evidence.body_excerpt[:200],
                expected=str(advice.schema),
            )
        else:
            yield advised.passed(f"the {exchange.status} body carries what the vendor's convention advises", [exchange])


def schema_error(contract: Contract, schema: Mapping[str, Any], body: Any) -> jsonschema.ValidationError | None:
    """The most telling reason `body` does not match `schema`, or None when it does."""
    return jsonschema.exceptions.best_match(contract.schema_validator(schema).iter_errors(body))


def _names_strict_json(semantics: Semantics) -> bool:
    return semantics.strict_json is not None


@response_check(
    applies=_names_strict_json,
    needs=("strict-json",),
    quote="that bodies are JSON as RFC 8259 defines it (or the response schema that says so)",
)
def strict_json(ctx: Context, exchange: Exchange) -> Iterator[Observation]:
    """A JSON body is JSON as RFC 8259 defines it: no NaN or Infinity (the response schema's or the envelope's
    requirement); and, where the spec names one, no name twice in one object with different values (RFC 8259
    says names SHOULD be unique: a SHOULD of its own, DECISIONS.md D-GEN-41).

    Python's json module (and so schemathesis) reads both; other parsers reject NaN, and pick one value or
    the other for a repeated name. A name repeated with the same value reads the same everywhere it reads
    at all. Bodies that are not JSON at all are judged by the schema and error-envelope checks."""
    named = ctx.semantics.strict_json
    if named is None or exchange.status is None or not exchange.content:
        return
    if not is_json(exchange.headers.get("Content-Type")):
        return
    if exchange.status >= 400 and not enveloped(ctx.contract, exchange.status):
        return  # no envelope is documented for it: the status and server-error requirements judge it
    judge = Judge("strict_json", named.for_status(exchange.status))
    if exchange.body is not MISSING:
        yield judge.passed(f"the {exchange.status} body is strict JSON", [exchange])
        if named.unique_keys_requirement:
            yield _names_unique(judge.on(named.unique_keys_requirement), exchange)
        return
    problem = exchange.json_problem
    if problem is not None:
        yield judge.failed(
            f"the {exchange.status} body is not strict JSON: {problem}",
            [exchange],
            received=exchange.evidence.body_excerpt[:200],
            expected="JSON as RFC 8259 defines it",
        )


def _names_unique(judge: Judge, exchange: Exchange) -> Observation:
    repeated = exchange.repeated_key
    if repeated is not None and repeated[1]:
        return judge.failed(
            f"the {exchange.status} body has the name {json.dumps(repeated[0])} twice in one object, with "
            "different values (parsers disagree which one counts; this suite reads the last)",
            [exchange],
            received=exchange.evidence.body_excerpt[:200],
            expected="each name once per object (RFC 8259: names SHOULD be unique)",
        )
    return judge.passed(f"no name of the {exchange.status} body has two values in one object", [exchange])


# --- across requests: judging -------------------------------------------------------------------------


def answer_kind(semantics: Semantics, reply: Exchange, unfiltered: list[str] | None) -> frozenset[str]:
    """How the target answered an ambiguous input: rejected, empty, ignored, or none of those (an empty set).

    An empty answer where the same page without the input is empty too is both `empty` and `ignored`:
    nothing tells the two readings apart."""
    if reply.status == 400:
        return frozenset({"rejected"})
    records = reply.records(semantics.records_pointer)
    if records is None:
        return frozenset()
    kinds = set()
    if unfiltered is not None and sorted(ids(semantics, records)) == sorted(unfiltered):
        kinds.add("ignored")
    if not records:
        kinds.add("empty")
    return frozenset(kinds)


def tolerated_answer(
    contract: Contract, item: QueryExpectation, reply: Exchange, baseline: Exchange, judge: Judge
) -> list[Observation]:
    """The answer to a tolerated input (`reply`) judged against the same page without it (`baseline`)."""
    semantics = contract.semantics
    documented = contract.operation().get("responses", {})
    readable = reply.status is not None and 200 <= reply.status < 300
    if reply.status is None or reply.status >= 500 or (str(reply.status) not in documented and not readable):
        # An undocumented status or a 5xx is the status and server-error requirements' finding; an
        # undocumented 2xx (a 206) is that too, and its records are still judged here.
        return [judge.not_exercised(f"not judged: {reply.error or f'answered {reply.status}'}", Cause.RUN)]
    unfiltered = baseline.records(semantics.records_pointer)
    if 200 <= reply.status < 300 and reply.records(semantics.records_pointer) is None:
        # A 2xx whose body holds no readable record list (not strict JSON, say) is the schema requirement's
        # finding: what it answered cannot be told.
        return [judge.not_exercised(f"not judged: the {reply.status} body held no readable record list", Cause.RUN)]
    kinds = answer_kind(semantics, reply, ids(semantics, unfiltered) if unfiltered is not None else None)
    shown = "&".join(f"{k}={v}" for k, v in item.query.items())
    records = reply.records(semantics.records_pointer)
    # `answered`: the documents leave the reading open, so any well-formed 200 will do (its body is
    # judged by the schema checks like every other).
    if kinds and kinds <= set(item.accept):
        return [judge.passed(f"{shown} was answered as {' and '.join(sorted(kinds))}, as accepted", [reply])]
    if "answered" in item.accept:
        # Any documented answer will do, a 400 or a 200 with records (a 5xx, an undocumented status and a 2xx
        # without records were sent away above): it corroborates only.
        return [judge.corroborated(f"{shown} was answered {reply.status}")]
    if kinds & set(item.accept):
        # Empty with and without the input: accepted if it matched nothing, not if it was ignored.
        return [judge.not_exercised(f"{shown}: the page without it is empty too, so empty and ignored look alike")]
    received = f"{reply.status}" + (f" with {describe_ids(ids(semantics, records))}" if records else "")
    return [
        judge.failed(
            f"{shown} was answered {received}; accepted: {', '.join(item.accept)}",
            [reply, baseline],
            received,
            " or ".join(item.accept),
        )
    ]


# --- across requests ----------------------------------------------------------------------------------


@relation(
    applies=lambda semantics: bool(semantics.invalid_inputs),
    needs=("invalid-inputs",),
    quote="that each listed value is ruled out (answered 400)",
)
def invalid_inputs_rejected(run: ApiRun) -> None:
    """Every value the documents rule out is answered 400 (its envelope is judged by `error_envelope`)."""
    for item in run.semantics.invalid_inputs:
        judge = Judge("invalid_inputs_rejected", item.requirement)
        reply = run.get(item.query)
        shown = "&".join(f"{k}={v}" for k, v in item.query.items())
        if reply.status == 400:
            run.observe(judge.passed(f"{shown} was answered 400", [reply]))
        elif reply.status is not None:
            run.observe(
                judge.failed(f"{shown} was answered {reply.status}, not 400", [reply], str(reply.status), "400")
            )
        else:
            run.observe(judge.not_exercised(f"not judged: {reply.error}", Cause.RUN))


@relation(
    applies=lambda semantics: bool(semantics.tolerated_inputs),
    needs=("tolerated-inputs",),
    quote="what each listed input is, where the document leaves its answer open",
)
def tolerated_inputs_answered(run: ApiRun) -> None:
    """Inputs the documents leave open are answered in one of the ways DECISIONS.md accepts."""
    size = str(discovery.honoured_size(run))
    for item in run.semantics.tolerated_inputs:
        # "Ignored" compares two answers: confirmed between change probes like every relation (D-GEN-6).
        run.observe_all(confirmed(run, functools.partial(_tolerated, run, item, size)))


def _tolerated(run: ApiRun, item: QueryExpectation, size: str) -> list[Observation]:
    judge = Judge("tolerated_inputs_answered", item.requirement)
    size_param = run.semantics.paging.size_param
    # Compare with the same page without the parameter, so "ignored" can be told apart from "filtered".
    page = {} if size_param in item.query else {size_param: size}
    reply = run.get({**page, **item.query})
    if reply.status is None:
        return [judge.not_exercised(f"not judged: {reply.error}", Cause.RUN)]
    # Every input is compared with the same baseline page: taken once, and fetched again each time to
    # see that it holds still.
    baseline_reply = run.get(page, reuse=True)
    baseline = baseline_reply.records(run.semantics.records_pointer)
    again = run.get(page).records(run.semantics.records_pointer)
    if baseline is not None and again is not None and sorted(ids(run, baseline)) != sorted(ids(run, again)):
        return [judge.inconclusive(UNSTABLE)]
    return tolerated_answer(run.contract, item, reply, baseline_reply, judge)
