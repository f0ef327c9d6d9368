"""One API under test: its contract, where it lives, how to talk to it, and what was observed.

`ApiRun` is what the relations receive. It sends requests through the run's guarded session
and makes each reply's `Exchange` once (`Exchange.of`). A reply of the list operation goes to the run's
reply judge (`checks.validation`, given when the run is built): apiconform's per-response checks judge
that Exchange, and schemathesis validates the reply with its own response checks, whose results the
judge records through an `after_validate` hook. Relations therefore get schema, status,
header and record checks on every page they fetch, through the same judge as the property tests.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any, Protocol
from urllib.parse import quote

import requests
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.core import NOT_SET
from schemathesis.schemas import APIOperation, BaseSchema

from apiconform.contract import Contract
from apiconform.engine.model.control import RunControl, StopKind
from apiconform.engine.model.discovery import Discovery
from apiconform.engine.model.exchange import Exchange, encode_query, invalid_parameters, wire_query
from apiconform.engine.model.jsonbody import LargeInt, has_long_number, parse_body
from apiconform.engine.model.plan import PROPERTY_ACTIVITY, RequestPlan
from apiconform.engine.model.records import MISSING, pointer_get
from apiconform.engine.model.verdicts import Cause, Ledger, Observation, Outcome
from apiconform.engine.transport.http import BudgetExhausted, GuardedSession, RefusedRequest
from apiconform.engine.transport.redaction import Redactor

# A bearer value that no server issues; sent where a check needs a wrong token.
INVALID_TOKEN = "apiconform-invalid-token"
# Requests that do not depend on each other go out this many at a time at most (ApiRun.get_many).
IN_FLIGHT = 4


def readable(response: Any) -> Any:
    """The reply as schemathesis' checks take it, with its JSON read the way apiconform reads it: an
    integer past Python's digit limit, or an exponent past a float's range, is a number to judge, not a
    body that fails to deserialize or a null."""
    from schemathesis.core.transport import Response as CheckedResponse

    checked = CheckedResponse.from_any(response)
    # Most bodies hold no such number: they are left to schemathesis as they are (read once, not copied).
    content = checked.content or b""
    if checked._deserialized is NOT_SET and has_long_number(content):
        body = parse_body(content)
        if body is not MISSING:
            checked._deserialized = _large_ints_as_floats(body)
    return checked


def _large_ints_as_floats(value: Any) -> Any:
    """The value with each LargeInt replaced by the largest float of its sign: schemathesis' validator
    (jsonschema_rs) takes only exact ints and floats, and reads an int it cannot hold as null. The stand-in
    is integral and beyond every bound a schema states, so types, minimum and maximum are judged as
    they would be on the number itself."""
    if isinstance(value, LargeInt):
        return -sys.float_info.max if value < 0 else sys.float_info.max
    if isinstance(value, list):
        return [_large_ints_as_floats(item) for item in value]
    if isinstance(value, dict):
        return {key: _large_ints_as_floats(item) for key, item in value.items()}
    return value


class ReplyJudge(Protocol):
    """What judges each reply of a run's list operation beyond the relation that asked for it (the one
    there is: apiconform.engine.checks.validation.ReplyJudge, built with the run)."""

    # Every per-response check the catalog may cite, schemathesis' own included: a crash while judging a
    # reply makes the requirements citing them inconclusive.
    check_names: tuple[str, ...]

    def validate(self, run: ApiRun, case: Any, checked: Any, reply: Exchange) -> None:
        """Judge `reply` with the per-response checks, then have schemathesis validate `checked`, the same
        reply as its checks take it, with its own response checks."""

    def results_hook(self, run: ApiRun) -> Callable[..., None]:
        """The schemathesis `after_validate` hook that records its own checks' results as observations."""

    def property_checks(self, run: ApiRun) -> list[Any]:
        """The schemathesis checks the property tests validate each reply with."""


def _header_values(response: requests.Response) -> dict[str, list[str]]:
    """Each header of a reply with its values in the order received, as schemathesis' Response reads them
    (requests' own `headers` joins a repeated header's values with commas)."""
    if response.raw is None:
        return {name: [value] for name, value in response.headers.items()}
    received = response.raw.headers
    return {name: received.getlist(name) for name in received}


class ApiRun:
    """The state of one API's conformance run."""

    def __init__(
        self,
        contract: Contract,
        *,
        base_url: str,
        token: str | None,
        path_values: Mapping[str, str],
        http: GuardedSession,
        seed: int,
        secrets: Redactor,
        schemathesis_config: SchemathesisConfig,
        plan: RequestPlan,
        discovery: Discovery,
        judge: ReplyJudge,
        allow_unsafe_methods: bool = False,
        stops_at: frozenset[str] = frozenset(),
        on_observed: Callable[[str], None] | None = None,
    ) -> None:
        self.contract = contract
        self.semantics = contract.semantics
        self.base_url = base_url.rstrip("/")
        self.token = token
        # The configured value of each path parameter, by name (a run never sends a path without them).
        self.path_values = dict(path_values)
        self.http = http
        # Why this API's testing stopped, if it did: every stop is reported there (its guarded session
        # reports its own), and every reader asks there (engine/model/control.py).
        self.control: RunControl = http.control
        self.seed = seed
        self.secrets = secrets
        self.allow_unsafe_methods = allow_unsafe_methods
        self.plan = plan
        # The requests the activities inside the current one sent (see `spending`), innermost last.
        self._nested_spending: list[int] = []
        # The activities under way, outermost first: a failure says which one found it (a relation designed
        # for its rule, or the property tests' generated cases).
        self._activities: list[str] = []
        # `on_observed` hears of each requirement the first time anything is recorded about it (progress).
        self.ledger = Ledger(contract.requirements, on_observed=on_observed)
        self.schema: BaseSchema = schemathesis.openapi.from_dict(dict(contract.openapi), config=schemathesis_config)
        # Judges every reply of the list operation, the relations' and the property tests' alike.
        self.judge = judge
        self.schema.hook(judge.results_hook(self))
        self.responses = 0
        self.successes = 0
        self.transport_errors: list[str] = []
        # The relations already run (several requirements cite the same one; each runs once).
        self.relations_done: set[str] = set()
        # How many requests had been sent when the first failure was seen (benchmarks report it).
        self.first_failure_after: int | None = None
        # --fail-fast: the requirements whose failure decides the gate (MUST, no current waiver). Once one
        # has failed, no further example or check starts for this API (`control` says why); the one under
        # way finishes. What ran before is exactly what a full run does first.
        self.stops_at = stops_at
        # Values learnt from the target (apiconform.engine.model.discovery), shared by the checks (and the judge).
        self.discovery = discovery
        # The latest reply to each URL asked with the configured credentials. A relation's first try may
        # reuse them (`get(..., reuse=True)` while `reusing`); a failure is then confirmed on fresh
        # requests only (DECISIONS.md D-GEN-21), so reuse saves requests, never decides a verdict.
        self.replies: dict[str, Exchange] = {}
        self.reusing = False
        self.reused = 0
        # The fingerprint of the latest change probe, and whether one was taken (see checks.base.confirmed).
        self.last_probe: str | None = None

    # --- stopping -------------------------------------------------------------------------------

    def stop(self, kind: StopKind, reason: str) -> None:
        """Stop this API's testing for `kind`'s sake (the first reason of each kind is kept)."""
        self.control.stop(kind, reason)

    @property
    def untestable(self) -> str | None:
        """Why the target cannot be tested at all (the preflight's finding), or None."""
        return self.control.untestable

    # --- requests -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def spending(self, activity: str) -> Iterator[None]:
        """Count the requests sent inside as `activity`'s (less those of activities nested in it)."""
        start = self.http.traffic.sent
        self._nested_spending.append(0)
        self._activities.append(activity)
        try:
            yield
        finally:
            self._activities.pop()
            nested = self._nested_spending.pop()
            sent = self.http.traffic.sent - start
            self.plan.spent[activity] = self.plan.spent.get(activity, 0) + sent - nested
            if self._nested_spending:
                self._nested_spending[-1] += sent

    def may_run_relation_example(self, check: str) -> bool:
        """Whether one more example of `check` may start: nothing stopped the testing, and the cross-request
        checks' share of the plan has room for it."""
        if not self.control.may_start:
            return False
        if self.plan.relations_have_room(self.http.traffic.sent):
            return True
        self.plan.note_relation_cut(check)
        return False

    def may_send_property_case(self) -> bool:
        """Whether one more property case may be sent: nothing stopped the testing, and the property tests'
        share of the plan has room for it."""
        if not self.control.may_start:
            return False
        if self.plan.spent.get(PROPERTY_ACTIVITY, 0) < self.plan.property_share(self.http.traffic.sent):
            return True
        self.plan.note_property_cut()
        return False

    def path_parameters(self) -> dict[str, str]:
        resolved = {}
        for name, option in self.semantics.path_parameters.items():
            value = self.path_values.get(name)
            if value is None:
                raise RefusedRequest(f"the {self.contract.api} path needs --{option} (or --path-param {name}=VALUE)")
            resolved[name] = value
        return resolved

    def url(
        self,
        query: Mapping[str, str],
        *,
        operation_id: str | None = None,
        path_parameters: Mapping[str, str] | None = None,
    ) -> str:
        template = self.contract.operation_path(operation_id or self.semantics.operation_id)
        parameters = {**self.path_parameters(), **(path_parameters or {})}
        path = re.sub(r"\{([^}]+)\}", lambda m: quote(parameters[m.group(1)], safe=""), template)
        encoded = encode_query(query)
        return f"{self.base_url}{path}" + (f"?{encoded}" if encoded else "")

    def auth_headers(self, credentials: str | None = "configured") -> dict[str, str]:
        """Headers for `credentials`: the configured token, none (None), or a given bearer value."""
        if credentials == "configured":
            return {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if credentials is None:
            return {}
        return {"Authorization": f"Bearer {credentials}"}

    def get(
        self,
        query: Mapping[str, str],
        *,
        operation_id: str | None = None,
        path_parameters: Mapping[str, str] | None = None,
        credentials: str | None = "configured",
        method: str = "GET",
        reuse: bool = False,
    ) -> Exchange:
        """Send one request and have the reply inspected. Raises only when the run must stop (a stop of sending,
        which `control` knows of, or a refusal).

        `reuse`: while a relation's first try runs (`reusing`), the latest reply to the same URL stands in."""
        url = self.url(query, operation_id=operation_id, path_parameters=path_parameters)
        remembered = method == "GET" and credentials == "configured"
        if reuse and self.reusing and remembered and url in self.replies:
            self.reused += 1
            return self.replies[url]
        headers = self.auth_headers(credentials)
        try:
            response: requests.Response | requests.RequestException = self.http.request(method, url, headers=headers)
        except (BudgetExhausted, RefusedRequest) as exc:
            raise exc from None
        except requests.RequestException as exc:
            response = exc
        return self._received(query, url, headers, response, operation_id, path_parameters, method, remembered)

    def get_many(self, queries: Sequence[Mapping[str, str]], *, reuse: bool = False) -> list[Exchange]:
        """GETs of the list operation that do not depend on each other, with the configured credentials:
        up to IN_FLIGHT of them in flight at once (within the pace: a distant target costs pace, not round
        trips), their replies inspected one by one in the order asked. `reuse` as for `get`."""
        urls = [self.url(query) for query in queries]
        headers = self.auth_headers()
        reused = {i for i, url in enumerate(urls) if reuse and self.reusing and url in self.replies}
        sending = [i for i in range(len(urls)) if i not in reused]
        answers: dict[int, requests.Response | BaseException] = {}
        if len(sending) == 1:
            only = sending[0]
            try:
                answers[only] = self.http.request("GET", urls[only], headers=headers)
            except requests.RequestException as exc:
                answers[only] = exc
        elif sending:
            with ThreadPoolExecutor(min(IN_FLIGHT, len(sending))) as pool:
                futures = {i: pool.submit(self.http.request, "GET", urls[i], headers=headers) for i in sending}
            for i, future in futures.items():
                error = future.exception()
                answers[i] = error if error is not None else future.result()
        replies = []
        for i, (query, url) in enumerate(zip(queries, urls, strict=True)):
            if i in reused:
                self.reused += 1
                replies.append(self.replies[url])
                continue
            answer = answers[i]
            if isinstance(answer, (BudgetExhausted, RefusedRequest)):
                raise answer
            if isinstance(answer, BaseException) and not isinstance(answer, requests.RequestException):
                raise answer  # the suite's own failure, in a sending thread
            replies.append(self._received(query, url, headers, answer, None, None, "GET", True))
        return replies

    def _received(
        self,
        query: Mapping[str, str],
        url: str,
        headers: Mapping[str, str],
        response: requests.Response | requests.RequestException,
        operation_id: str | None,
        path_parameters: Mapping[str, str] | None,
        method: str,
        remembered: bool,
    ) -> Exchange:
        """The Exchange for one answer (or the transport error in its place), judged and remembered."""
        received = wire_query(url)
        if isinstance(response, requests.RequestException):
            message = self.secrets.redact(f"{method} {url}: {response}")
            self.transport_errors.append(message)
            curl = self.http.target_auth.curl_options
            return Exchange.of(self.secrets, method, url, headers, received, error=message, curl_options=curl)
        self.count(response.status_code)
        judged = (operation_id or self.semantics.operation_id) == self.semantics.operation_id and method == "GET"
        reply = Exchange.of(
            self.secrets,
            method,
            url,
            headers,
            received,
            status=response.status_code,
            headers=_header_values(response),
            content=response.content,
            invalid_params=invalid_parameters(self.contract, received) if judged else frozenset(),
            curl_options=self.http.target_auth.curl_options,
        )
        if judged:
            self.inspect(response, reply, query, path_parameters, headers)
        if remembered:
            self.replies[url] = reply.without_content()
        return reply

    def count(self, status: int) -> None:
        self.responses += 1
        if 200 <= status < 300:
            self.successes += 1

    @functools.cached_property
    def list_operation_label(self) -> str:
        return str(self.operation().label)

    def operation(self, operation_id: str | None = None) -> APIOperation:
        return self.schema.find_operation_by_id(operation_id or self.semantics.operation_id)  # type: ignore[attr-defined]

    def inspect(
        self,
        response: requests.Response,
        reply: Exchange,
        query: Mapping[str, str],
        path_parameters: Mapping[str, str] | None,
        headers: Mapping[str, str],
    ) -> None:
        """Judge a reply of the list operation: the per-response checks on `reply`, its Exchange, and
        schemathesis' validation with its own response checks. Every outcome is recorded by the judge."""
        case = self.operation().Case(
            query=dict(query),
            path_parameters={**self.path_parameters(), **(path_parameters or {})},
            headers=dict(headers),
        )
        try:
            self.judge.validate(self, case, readable(response), reply)
        except Exception as exc:  # the suite's failure (the checks guard themselves; this is the rest)
            cited = [rid for name in self.judge.check_names for rid in self.citing(name)]
            self.crashed("validating a reply", exc, cited)

    # --- observations ----------------------------------------------------------------------------

    def observe(self, observation: Observation) -> None:
        if observation.outcome is Outcome.FAIL and self.first_failure_after is None:
            self.first_failure_after = self.http.traffic.sent
        if observation.outcome is Outcome.FAIL and self._activities and observation.found_in is None:
            observation = replace(observation, found_in=self._activities[0])
        self.ledger.record(observation)
        if (
            observation.outcome is Outcome.FAIL
            and not observation.alternatives
            and observation.requirement in self.stops_at
        ):
            self.stop(
                StopKind.FAIL_FAST,
                f"--fail-fast: {observation.requirement} (a MUST) failed at request {self.http.traffic.sent}",
            )

    def observe_all(self, observations: Iterable[Observation]) -> None:
        for observation in observations:
            self.observe(observation)

    def citing(self, check: str) -> list[str]:
        """The requirements whose catalog entry cites `check`."""
        return [requirement.id for requirement in self.contract.requirements if check in requirement.checks]

    def crashed(self, check: str, exc: BaseException, requirements: Iterable[str] | None = None) -> str:
        """`check` raised: the requirements it serves (by default those citing it) are inconclusive with the
        error, and the run cannot end `pass` (a crash is never conformance). Returns the message."""
        where = f"{check}" if " " in check else f"check {check}"
        return self.ledger.crashed(self.citing(check) if requirements is None else requirements, where, exc)

    def not_exercised(self, requirements: Iterable[str], check: str, reason: str, cause: Cause = Cause.DATA) -> None:
        for requirement in requirements:
            self.ledger.record(Observation(requirement, Outcome.NOT_EXERCISED, check, reason, cause=cause))

    # --- change probes ---------------------------------------------------------------------------

    def probe(self, activity: str = "change probes") -> str:
        """A fingerprint of the target's data that moves whenever records are written (DECISIONS.md D-GEN-6);
        its requests are counted as `activity`'s."""
        with self.spending(activity):
            return self._probe()

    def _probe(self) -> str:
        digest = hashlib.sha256()
        for query, header in self.semantics.change_probes:
            try:
                response = self.http.request("GET", self.url(query), headers=self.auth_headers())
            except BudgetExhausted:
                raise  # a stop of sending (`control` knows of it), not a reply that went missing
            except requests.RequestException as exc:
                # No usable answer: counted with the others (the share of them decides incomplete).
                self.transport_errors.append(self.secrets.redact(f"GET {self.url(query)}: {exc}"))
                digest.update(f"error:{exc.__class__.__name__}".encode())
                continue
            digest.update(str(response.status_code).encode())
            digest.update(response.headers.get(header, "").encode() if header else self._contents(response.content))
        self.last_probe = digest.hexdigest()
        return self.last_probe

    def _contents(self, content: bytes) -> bytes:
        """What a probe page holds, whatever the order: its records, each in one canonical form, sorted. An
        order that changes from request to request is a finding of the order checks, not data moving."""
        records = pointer_get(parse_body(content), self.semantics.records_pointer)
        if not isinstance(records, list):
            return content
        return "\n".join(sorted(json.dumps(record, sort_keys=True, default=str) for record in records)).encode()
