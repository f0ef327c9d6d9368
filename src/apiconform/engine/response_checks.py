"""Checks that judge one response on its own, registered as schemathesis checks.

They run inside the property-based loop (so schemathesis shrinks what they find) and on every reply a
scenario check fetches. Each reads the semantics from the spec's `x-apiconform` block and reports
observations against the requirement the semantics name; it raises `AssertionError` so schemathesis
and Hypothesis treat a violation as a failing example.

`attach(run)` binds an `ApiRun` to its schemathesis schema and registers the `after_validate` hook
that turns schemathesis' own check results (schema, status, content type, headers, negative data,
5xx) into observations against the catalog.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

import jsonschema
import schemathesis
from requests.structures import CaseInsensitiveDict
from schemathesis.checks import CheckContext
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.transport import Response
from schemathesis.generation.case import Case

from apiconform.contract import Filter, OrderKey
from apiconform.engine.records import (
    MISSING,
    comparable,
    order_violation,
    pointer_get,
    record_matches,
    render,
)
from apiconform.engine.target import ApiRun, json_problem, make_evidence, parse_body, wire_query
from apiconform.engine.verdicts import Evidence, Observation, Outcome
from apiconform.reporting.document import plural

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# The run each schemathesis schema belongs to, by the schema's id (attach/detach keep it current).
_RUNS: dict[int, ApiRun] = {}
# schemathesis calls every check with the same response in turn: the view is built once per response.
# The response itself is kept and compared by identity: an id() alone is reused by CPython as soon as
# the response is freed, and the next reply would be judged with this one's view.
_LAST_VIEW: list[tuple[Response, View]] = []


@dataclass(frozen=True)
class View:
    """One response as the per-response checks see it."""

    query: Mapping[str, str]
    status: int
    headers: CaseInsensitiveDict[str]
    body: Any
    evidence: Evidence
    invalid_params: frozenset[str]  # query parameters whose value the spec rules out
    content: bytes = b""  # the body as received (strict_json reads it)

    def records(self, run: ApiRun) -> list[Any] | None:
        if self.status != 200:
            return None
        value = pointer_get(self.body, run.semantics.records_pointer)
        return value if isinstance(value, list) else None

    def present(self, param: str, value_format: str | None = None) -> str | None:
        """The parameter's value when it was sent, non-empty, valid and in its documented form; else None.

        Empty values (DECISIONS.md D-GEN-2), values the schema rules out (D-GEN-11) and values outside a
        filter's documented form (D-OES-3) are judged by the requirements about such inputs instead."""
        value = self.query.get(param)
        if value is None or value == "" or param in self.invalid_params:
            return None
        if value_format == "uuid" and not all(_UUID.match(part) for part in value.split(",")):
            return None
        return value


ResponseCheck = Callable[[ApiRun, View], Iterator[Observation]]
RESPONSE_CHECKS: dict[str, ResponseCheck] = {}


def _view(run: ApiRun, response: Response, case: Case) -> View:
    if _LAST_VIEW and _LAST_VIEW[0][0] is response:
        return _LAST_VIEW[0][1]
    view = _build_view(run, response, case)
    _LAST_VIEW[:] = [(response, view)]
    return view


def _build_view(run: ApiRun, response: Response, case: Case) -> View:
    request = response.request
    url = str(request.url)
    query = wire_query(url)
    headers = CaseInsensitiveDict({name: values[0] for name, values in response.headers.items() if values})
    evidence = make_evidence(
        run.secrets, str(request.method), url, dict(request.headers), response.status_code, headers, response.content
    )
    negative = bool(case.meta is not None and case.meta.generation.mode.is_negative)
    invalid = frozenset(query) if negative else invalid_parameters(run, query)
    content = response.content
    return View(query, response.status_code, headers, parse_body(content), evidence, invalid, content)


def invalid_parameters(run: ApiRun, query: Mapping[str, str]) -> frozenset[str]:
    """The parameters whose (non-empty) value falls outside the parameter's schema."""
    invalid = set()
    declared = run.contract.query_parameters()
    for name, value in query.items():
        if value == "" or name not in declared:
            continue
        schema = run.contract.resolve(declared[name].get("schema", {}))
        if not _wire_value_valid(run, schema, value):
            invalid.add(name)
    return frozenset(invalid)


def _wire_value_valid(run: ApiRun, schema: Mapping[str, Any], value: str) -> bool:
    kind = schema.get("type")
    if kind == "array":
        items = run.contract.resolve(schema.get("items", {}))
        return all(_wire_value_valid(run, items, part) for part in value.split(","))
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
    validator = run.contract.schema_validator(schema)
    return validator.is_valid(instance)


def response_check(func: ResponseCheck) -> Callable[..., bool | None]:
    """Register a per-response check with apiconform and with schemathesis (under the same name)."""
    RESPONSE_CHECKS[func.__name__] = func

    @functools.wraps(func)
    def check(ctx: CheckContext, response: Response, case: Case) -> bool | None:
        run = _RUNS.get(id(case.operation.schema))
        if run is None or case.operation.label != run.list_operation_label:
            return True  # not an apiconform run (or not the list operation): skipped
        failures = []
        try:
            view = _view(run, response, case)
            for observation in func(run, view):
                run.observe(observation)
                if observation.outcome is Outcome.FAIL:
                    failures.append(observation)
        except Exception as exc:  # a crash of the check is the suite's failure, never a pass
            run.crashed(func.__name__, exc)
            return True  # judged nothing: not counted as a success either
        if failures:
            raise AssertionError("; ".join(f"[{o.requirement}] {o.message}" for o in failures))
        return None

    return schemathesis.check(check)


def _fail(
    requirement: str, check: str, view: View, message: str, received: str | None = None, expected: str | None = None
) -> Observation:
    return Observation(requirement, Outcome.FAIL, check, message, received, expected, (view.evidence,))


def _pass(requirement: str, check: str) -> Observation:
    return Observation(requirement, Outcome.PASS, check)


# --- paging -------------------------------------------------------------------------------------


@response_check
def page_size_bound(run: ApiRun, view: View) -> Iterator[Observation]:
    paging = run.semantics.paging
    records = view.records(run)
    size = view.present(paging.size_param)
    if records is None or size is None or not size.isdigit() or int(size) == 0:
        # A size of 0 is a tolerated input with its own requirement (DECISIONS.md D-GEN-3).
        return
    requirement = paging.requirements["size-bound"]
    if len(records) > int(size):
        yield _fail(
            requirement,
            "page_size_bound",
            view,
            f"{plural(len(records), 'record')} for {paging.size_param}={size}",
            received=plural(len(records), "record"),
            expected=f"at most {size}",
        )
    elif records:
        # An empty page is within any bound: it shows nothing about the bound (no vacuous pass).
        yield _pass(requirement, "page_size_bound")


# --- counts -------------------------------------------------------------------------------------


@response_check
def result_count_header(run: ApiRun, view: View) -> Iterator[Observation]:
    counts = run.semantics.count_headers
    records = view.records(run)
    if counts is None or records is None:
        return
    header, requirement = counts["result-header"], counts["result-requirement"]
    value = view.headers.get(header)
    if value is None:
        yield _fail(requirement, "result_count_header", view, f"{header} is missing", expected=str(len(records)))
    elif value.strip() != str(len(records)):
        yield _fail(
            requirement,
            "result_count_header",
            view,
            f"{header}: {value} for a body of {plural(len(records), 'record')}",
            received=value,
            expected=str(len(records)),
        )
    else:
        yield _pass(requirement, "result_count_header")


# --- filters ------------------------------------------------------------------------------------


def join_value(run: ApiRun, record: Any, join_name: str, join_field: str) -> Any:
    """A field of the record's joined row (e.g. the partner of its connection), or MISSING if unknown."""
    join = run.semantics.joins[join_name]
    rows: Mapping[str, Any] | None = run.cache.get(f"join:{join_name}")
    if rows is None:
        return MISSING
    row = rows.get(str(pointer_get(record, join.record_field)))
    return MISSING if row is None else pointer_get(row, join_field)


@response_check
def records_match_filters(run: ApiRun, view: View) -> Iterator[Observation]:
    records = view.records(run)
    if records is None:
        return
    active: list[tuple[Filter, str, str]] = []  # (filter, value, requirement)
    for param, flt in run.semantics.filters.items():
        value = view.present(param, flt.value_format)
        if value is not None:
            active.append((flt, value, flt.requirement))
        elif flt.default is not None and param not in view.query and not _default_optional(flt, view.query):
            active.append((flt, flt.default, flt.default_requirement or flt.requirement))
    and_requirement = run.semantics.filter_requirements.get("and")
    hidden = _projected_out(run, view.query)
    for flt, value, requirement in active:
        if flt.field and hidden(flt.field):
            continue  # the projection left the field out (absent or null): nothing to judge on this page
        judged = False
        for index, record in enumerate(records):
            verdict = _matches(run, record, flt, value)
            if verdict is None:
                continue
            judged = True
            if verdict is False:
                shown = render(record, flt.field) if flt.field else repr(_joined(run, record, flt))
                failure = _fail(
                    requirement,
                    "records_match_filters",
                    view,
                    f"record {index} ({render(record, run.semantics.id_pointer)}) has {shown}, "
                    f"which does not satisfy {flt.param}={value}",
                    received=shown,
                    expected=f"{flt.param}={value}",
                )
                if and_requirement and len(active) > 1:
                    # With several filters this could be the combination's fault (D-GEN-12).
                    failure = replace(failure, alternatives=(and_requirement,))
                yield failure
                break
        else:
            if judged:
                yield _pass(requirement, "records_match_filters")


def _projected_out(run: ApiRun, query: Mapping[str, str]) -> Callable[[str], bool]:
    """Whether the query's attribute selection leaves out the first-level attribute a JSON pointer
    starts with (never, without a selection)."""
    projection = run.semantics.projection
    selection = query.get(projection["param"]) if projection else None
    if not projection or not selection:
        return lambda pointer: False
    kept = {name.strip() for name in selection.split(",")} | set(projection["always-allowed"])
    return lambda pointer: pointer.split("/")[1] not in kept


def _default_optional(flt: Filter, query: Mapping[str, str]) -> bool:
    """The query holds a parameter with which the filter's default may or may not apply (D-BRM-11)."""
    return any(query.get(param) for param in flt.default_optional_with)


def _joined(run: ApiRun, record: Any, flt: Filter) -> Any:
    return join_value(run, record, flt.join, flt.join_field) if flt.join and flt.join_field else MISSING


def _matches(run: ApiRun, record: Any, flt: Filter, value: str) -> bool | None:
    return record_matches(record, flt, value, _joined(run, record, flt))


@response_check
def records_follow_rules(run: ApiRun, view: View) -> Iterator[Observation]:
    records = view.records(run)
    if records is None:
        return
    hidden = _projected_out(run, view.query)
    for rule in run.semantics.record_rules:
        if hidden(rule.when_field) or hidden(rule.then_field):
            continue
        applicable = [r for r in records if pointer_get(r, rule.when_field) == rule.when_equals]
        broken = [r for r in applicable if (pointer_get(r, rule.then_field) is None) != rule.then_is_null]
        if broken:
            record = broken[0]
            yield _fail(
                rule.requirement,
                "records_follow_rules",
                view,
                f"record {render(record, run.semantics.id_pointer)} has {rule.when_field.lstrip('/')}="
                f"{rule.when_equals} and {rule.then_field.lstrip('/')}={render(record, rule.then_field)}",
                received=render(record, rule.then_field),
                expected="null" if rule.then_is_null else "a value",
            )
        elif applicable:
            yield _pass(rule.requirement, "records_follow_rules")


# --- order --------------------------------------------------------------------------------------


def expected_order(run: ApiRun, query: Mapping[str, str]) -> tuple[str, list[OrderKey]] | None:
    """The requirement and the order a query's records must be in, or None when the spec fixes none."""
    ordering = run.semantics.ordering
    sort = ordering.sort
    if sort is None:
        return None
    field_name = query.get(sort.field_param)
    direction_name = query.get(sort.direction_param)
    if field_name is None:
        if direction_name is not None or not ordering.default:
            return None  # a direction without a field: the order is undocumented (DECISIONS.md D-OES-1)
        return ordering.requirements["default-order"], list(ordering.default)
    key = sort.keys.get(field_name)
    direction = sort.directions.get(direction_name or sort.default_direction)
    if key is None or direction is None:
        return None
    return ordering.requirements["field"], [OrderKey(key.field, key.compare, direction), *ordering.tiebreak]


def _sorted_by(records: list[Any], key: OrderKey) -> bool:
    return order_violation(records, [key]) is None


# A page with fewer distinct values than this is reverse-sorted (or text-sorted) by chance too often
# to say on its own why it is out of order.
DISTINCT_VALUES_TO_DIAGNOSE = 5


def order_requirement(
    run: ApiRun, query: Mapping[str, str], records: list[Any], keys: list[OrderKey], position: int
) -> tuple[str, tuple[str, ...]]:
    """The requirement an order violation breaks (tiebreak, direction, numeric comparison or the sort
    field), and, for a page too small to tell, the requirements it may break instead."""
    ordering = run.semantics.ordering
    sort = ordering.sort
    if sort is None or query.get(sort.field_param) is None:
        return ordering.requirements["default-order"], ()
    if position > 0:
        return ordering.requirements["tiebreak"], ()
    primary = keys[0]
    direction = ordering.requirements["direction"]
    if query.get(sort.direction_param) is None:
        direction = ordering.requirements.get("default-direction", direction)
    reverse = OrderKey(primary.field, primary.compare, "desc" if primary.direction == "asc" else "asc")
    sort_key = sort.keys[query[sort.field_param]]
    as_text = OrderKey(primary.field, "text", primary.direction)
    suspects = []
    if sort_key.requirement and primary.compare == "decimal" and _sorted_by(records, as_text):
        suspects.append(sort_key.requirement)
    if _sorted_by(records, reverse):
        suspects.append(direction)
    distinct = {comparable(pointer_get(record, primary.field), primary.compare) for record in records}
    if len(suspects) == 1 and len(distinct) >= DISTINCT_VALUES_TO_DIAGNOSE:
        return suspects[0], ()
    return ordering.requirements["field"], tuple(suspects)


@response_check
def records_in_order(run: ApiRun, view: View) -> Iterator[Observation]:
    records = view.records(run)
    if records is None or len(records) < 2:
        return
    sort = run.semantics.ordering.sort
    if sort and (sort.field_param in view.invalid_params or sort.direction_param in view.invalid_params):
        return
    expected = expected_order(run, view.query)
    if expected is None:
        return
    requirement, keys = expected
    if any(comparable(pointer_get(record, key.field), key.compare) is None for record in records for key in keys):
        return  # a value that cannot be compared is a schema violation, reported as one
    violation = order_violation(records, keys)
    if violation is None:
        yield _pass(requirement, "records_in_order")
        if requirement == run.semantics.ordering.requirements.get("field"):
            yield from _sorted_page_passes(run, view.query, records, keys[0])
        return
    blamed, alternatives = order_requirement(run, view.query, records, keys, violation.key)
    left, right = records[violation.index], records[violation.index + 1]
    id_pointer = run.semantics.id_pointer
    failure = _fail(
        blamed,
        "records_in_order",
        view,
        f"records {violation.index} ({render(left, id_pointer)}) and {violation.index + 1} "
        f"({render(right, id_pointer)}) are out of order: {violation.reason}",
        received=violation.reason,
        expected=" then ".join(f"{k.field} {k.direction}" for k in keys),
    )
    yield replace(failure, alternatives=alternatives)


def _sorted_page_passes(
    run: ApiRun, query: Mapping[str, str], records: list[Any], primary: OrderKey
) -> Iterator[Observation]:
    """What a correctly sorted page also shows, when its data could have shown otherwise."""
    ordering = run.semantics.ordering
    assert ordering.sort is not None
    values = [comparable(pointer_get(record, primary.field), primary.compare) for record in records]
    if len(set(values)) > 1 and "direction" in ordering.requirements:
        requirement = ordering.requirements["direction"]
        if query.get(ordering.sort.direction_param) is None:
            requirement = ordering.requirements.get("default-direction", requirement)
        yield _pass(requirement, "records_in_order")
    if "tiebreak" in ordering.requirements and _has_tie(records, primary):
        yield _pass(ordering.requirements["tiebreak"], "records_in_order")
    key = ordering.sort.keys.get(query.get(ordering.sort.field_param, ""))
    as_text = OrderKey(primary.field, "text", primary.direction)
    if key and key.requirement and primary.compare != "text" and order_violation(records, [as_text]) is not None:
        yield _pass(key.requirement, "records_in_order")


def _has_tie(records: list[Any], key: OrderKey) -> bool:
    values = [comparable(pointer_get(record, key.field), key.compare) for record in records]
    return any(a is not None and a == b for a, b in zip(values, values[1:], strict=False))


# --- representation -----------------------------------------------------------------------------


@response_check
def projection_fields(run: ApiRun, view: View) -> Iterator[Observation]:
    projection = run.semantics.projection
    records = view.records(run)
    if projection is None or records is None:
        return
    value = view.present(projection["param"])
    if value is None:
        return
    allowed = {name.strip() for name in value.split(",")} | set(projection["always-allowed"])
    # Left out means absent, or also present as null where the spec accepts that (D-BRM-2).
    null_is_absent = "null" in projection.get("unlisted", ("absent",))
    for index, record in enumerate(records):
        extra = (
            sorted(key for key, item in record.items() if key not in allowed and not (null_is_absent and item is None))
            if isinstance(record, dict)
            else []
        )
        if extra:
            yield _fail(
                projection["requirement"],
                "projection_fields",
                view,
                f"record {index} carries attributes not asked for with {projection['param']}={value}: "
                f"{', '.join(extra)}",
                received=", ".join(sorted(record)),
                expected=", ".join(sorted(allowed)),
            )
            return
    if records:
        yield _pass(projection["requirement"], "projection_fields")


# --- errors -------------------------------------------------------------------------------------


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";")[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


@response_check
def error_envelope(run: ApiRun, view: View) -> Iterator[Observation]:
    errors = run.semantics.errors
    if view.status < 400 or not errors:
        return
    requirement = errors["requirement"]
    responses = run.contract.operation().get("responses", {})
    documented = responses.get(str(view.status))
    if not _is_json(view.headers.get("Content-Type")) or view.body is MISSING:
        yield _fail(
            requirement,
            "error_envelope",
            view,
            f"{view.status} answered with {view.headers.get('Content-Type') or 'no content type'} "
            "and a body that is not JSON",
            received=view.evidence.body_excerpt[:120],
            expected="a JSON error body",
        )
        return
    if documented is not None:
        schema = run.contract.resolve(documented)["content"]["application/json"]["schema"]
        error = _schema_error(run, schema, view.body)
        if error is not None:
            yield _fail(
                requirement,
                "error_envelope",
                view,
                f"{view.status} body does not match the error envelope: {error.message}",
                received=view.evidence.body_excerpt[:200],
                expected=str(schema),
            )
            return
    yield _pass(requirement, "error_envelope")
    for advice in errors.get("advice", ()):
        if advice["status"] != view.status:
            continue
        error = _schema_error(run, advice["schema"], view.body)
        if error is not None:
            yield _fail(
                advice["requirement"],
                "error_envelope",
                view,
                f"{view.status} body lacks what the vendor's error convention carries: {error.message}",
                received=view.evidence.body_excerpt[:200],
                expected=str(advice["schema"]),
            )
        else:
            yield _pass(advice["requirement"], "error_envelope")


def _schema_error(run: ApiRun, schema: Mapping[str, Any], body: Any) -> jsonschema.ValidationError | None:
    """The most telling reason `body` does not match `schema`, or None when it does."""
    return jsonschema.exceptions.best_match(run.contract.schema_validator(schema).iter_errors(body))


# --- strict JSON --------------------------------------------------------------------------------


@response_check
def strict_json(run: ApiRun, view: View) -> Iterator[Observation]:
    """A JSON body is one JSON text with one meaning: no NaN or Infinity, no key twice in one object.

    Python's json module (and so schemathesis) reads both; other parsers reject them or pick another
    value for a repeated key, so the records could not be judged the way the vendor meant them.
    Bodies that are not JSON at all are judged by the schema and error-envelope checks."""
    if not view.content or not _is_json(view.headers.get("Content-Type")):
        return
    errors = run.semantics.errors
    citing = [requirement.id for requirement in run.contract.requirements if "strict_json" in requirement.checks]
    error_requirement = errors["requirement"] if errors and errors["requirement"] in citing else None
    requirement = error_requirement if view.status >= 400 and error_requirement else None
    requirement = requirement or next((rid for rid in citing if rid != error_requirement), None)
    if requirement is None:
        return
    if view.body is not MISSING:
        yield _pass(requirement, "strict_json")
        return
    problem = json_problem(view.content)
    if problem is not None:
        yield _fail(
            requirement,
            "strict_json",
            view,
            f"the {view.status} body is not strict JSON: {problem}",
            received=view.evidence.body_excerpt[:200],
            expected="JSON as RFC 8259 defines it",
        )


# --- schemathesis' own checks -------------------------------------------------------------------

# Schemathesis checks whose results become observations (the others are not run by apiconform).
BUILTIN_RESPONSE_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)
BUILTIN_CHECKS = (*BUILTIN_RESPONSE_CHECKS, "negative_data_rejection", "unsupported_method")


def builtin_requirements(run: ApiRun, name: str, case: Case, response: Response, failure: Any) -> list[str]:
    """The catalog requirements a schemathesis check result speaks to (empty: none of this API).

    The count headers are judged on every reply, an empty result included: a reply with both headers
    right passes both requirements, and a missing or malformed header fails its own requirement (both,
    when both headers are named)."""
    citing = [requirement.id for requirement in run.contract.requirements if name in requirement.checks]
    if name == "response_schema_conformance" and response.status_code >= 400 and run.semantics.errors:
        return [str(run.semantics.errors["requirement"])]
    if name == "response_headers_conformance" and run.semantics.count_headers:
        counts = run.semantics.count_headers
        both = [str(counts["result-requirement"]), str(counts["total-requirement"])]
        if failure is None:
            # Only a 200 carries the counts; another status passing the header check shows nothing.
            return both if response.status_code == 200 else []
        # The failure names the header: missing ones in `missing_headers`, malformed ones in its text.
        missing = " ".join(getattr(failure, "missing_headers", None) or ())
        named = (missing or f"{failure.title} {failure.message}").lower()
        blamed = [
            requirement
            for header, requirement in zip((counts["result-header"], counts["total-header"]), both, strict=True)
            if header.lower() in named
        ]
        return blamed or both[:1]
    if name == "negative_data_rejection":
        parameter = _negated_parameter(case)
        attributed = run.contract.invalid_value_requirements()
        if parameter in attributed:
            return [attributed[parameter]]
    return citing[:1]


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


def attach(run: ApiRun) -> None:
    """Bind the run to its schemathesis schema and record schemathesis' check results as observations."""
    _RUNS[id(run.schema)] = run
    import schemathesis.checks as builtin_checks
    import schemathesis.specs.openapi.checks as openapi_checks

    builtins = {
        name: getattr(builtin_checks, name, None) or getattr(openapi_checks, name) for name in BUILTIN_RESPONSE_CHECKS
    }
    run.response_checks = [*(_guarded(check) for check in builtins.values()), *map(_registered, RESPONSE_CHECKS)]

    @run.schema.hook
    def after_validate(ctx: Any, case: Case, response: Response, results: list[Any]) -> None:
        try:
            _record_builtin_results(run, case, response, results)
        except Exception as exc:  # the suite's failure: the results are not counted as passes
            run.crashed("recording schemathesis' check results", exc, [r.id for r in run.contract.requirements])


def _record_builtin_results(run: ApiRun, case: Case, response: Response, results: list[Any]) -> None:
    for result in results:
        if result.name not in BUILTIN_CHECKS:
            continue
        requirements = builtin_requirements(run, result.name, case, response, result.failure)
        if not requirements:
            continue
        if result.failure is None:
            for requirement in requirements:
                run.ledger.passed(requirement, result.name)
            continue
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
        message = f"{result.failure.title}: {result.failure.message}".strip().rstrip(":")
        for requirement in requirements:
            run.observe(
                Observation(requirement, Outcome.FAIL, result.name, run.secrets.redact(message), evidence=(evidence,))
            )


def _guarded(check: Any) -> Any:
    """A schemathesis check that, when it raises anything but a finding, records the crash instead
    (its requirements inconclusive, the run's verdict `error`) rather than ending the validation."""

    @functools.wraps(check)
    def guarded(ctx: CheckContext, response: Response, case: Case) -> bool | None:
        try:
            result: bool | None = check(ctx, response, case)
        except (AssertionError, Failure, FailureGroup):
            raise
        except Exception as exc:  # see the docstring
            run = _RUNS.get(id(case.operation.schema))
            if run is None:
                raise
            run.crashed(check.__name__, exc)
            return True
        return result

    return guarded


def detach(run: ApiRun) -> None:
    """Forget a finished run (a process may run many: tests, benchmarks)."""
    _RUNS.pop(id(run.schema), None)


def _registered(name: str) -> Any:
    from schemathesis.checks import CHECKS

    return CHECKS.get_one(name)
