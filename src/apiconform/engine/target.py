"""One API under test: its contract, where it lives, how to talk to it, and what was observed.

`ApiRun` is what every check receives. It sends requests through the run's guarded session and has
every answer validated by schemathesis (`case.validate_response`), which runs the built-in response
checks and apiconform's per-response checks alike; an `after_validate` hook turns their results into
observations. Scenario checks therefore get schema, status, header and record checks on every page
they fetch, through the same code path as the property tests.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import requests
import schemathesis
from requests.structures import CaseInsensitiveDict
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup
from schemathesis.schemas import APIOperation, BaseSchema

from apiconform.contract import Contract
from apiconform.engine.http import BudgetExhausted, GuardedSession, RefusedRequest
from apiconform.engine.records import MISSING, pointer_get
from apiconform.engine.verdicts import Evidence, Ledger, Observation, Outcome

TOKEN_PLACEHOLDER = "$APICONFORM_TOKEN"
# A bearer value that no server issues; sent where a check needs a wrong token.
INVALID_TOKEN = "apiconform-invalid-token"
BODY_EXCERPT = 600


@dataclass
class Secrets:
    """Values that must never be written anywhere; `redact` replaces them with a placeholder."""

    values: list[str] = field(default_factory=list)

    def redact(self, text: str) -> str:
        for secret in self.values:
            if secret:
                text = text.replace(secret, TOKEN_PLACEHOLDER)
        return text


@dataclass(frozen=True)
class Reply:
    """An answer from the target, or the reason there was none (`error`)."""

    query: Mapping[str, str]
    status: int | None
    headers: CaseInsensitiveDict[str]
    body: Any  # parsed JSON, or MISSING when the body is not JSON
    evidence: Evidence
    error: str | None = None

    def records(self, pointer: str) -> list[Any] | None:
        """The record list at `pointer` in a 200 JSON body, or None when there is none."""
        if self.status != 200:
            return None
        value = pointer_get(self.body, pointer)
        return value if isinstance(value, list) else None


def encode_query(query: Mapping[str, str]) -> str:
    # Commas stay literal (the list separator BitGo documents) and colons too (date-times read well);
    # everything else is percent-encoded, so '+' in an id travels as %2B (DECISIONS.md D-BRM-8).
    return urlencode(list(query.items()), quote_via=quote, safe=",:")


def wire_query(url: str) -> dict[str, str]:
    """The query parameters as the server receives them (the last value wins for a repeated name)."""
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


class AmbiguousJson(ValueError):
    """A body Python's json module reads, but that is not one JSON text with a single meaning (RFC 8259)."""


def _refuse_constant(name: str) -> Any:
    raise AmbiguousJson(f"{name} is not a JSON value (RFC 8259 has no NaN or Infinity)")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise AmbiguousJson(
                    f"the key {json.dumps(key)} appears twice in one object (parsers disagree which value counts)"
                )
            seen.add(key)
    return value


def loads_strict(content: bytes) -> Any:
    """`content` parsed as strict JSON: ValueError for anything that is not JSON, AmbiguousJson for NaN,
    Infinity or a repeated key (which the json module would accept, each parser in its own way)."""
    return json.loads(content, parse_constant=_refuse_constant, object_pairs_hook=_unique_keys)


def json_problem(content: bytes) -> str | None:
    """Why a body that the json module accepts is still not strict JSON; None when it is strict, or no JSON at all."""
    try:
        loads_strict(content)
    except AmbiguousJson as exc:
        return str(exc)
    except (ValueError, RecursionError):
        return None
    return None


def parse_body(content: bytes) -> Any:
    """The JSON value of a body, or MISSING when it is not strict JSON (invalid, invalid UTF-8, NaN, a repeated
    key): a body with two readings is not judged on either; the strict_json check reports it."""
    if not content:
        return MISSING
    try:
        return loads_strict(content)
    except (ValueError, RecursionError):
        return MISSING


def make_evidence(
    secrets: Secrets,
    method: str,
    url: str,
    request_headers: Mapping[str, str],
    status: int | None = None,
    response_headers: Mapping[str, str] | None = None,
    content: bytes = b"",
) -> Evidence:
    """Evidence for one exchange, with every secret replaced by $APICONFORM_TOKEN."""
    authorization = request_headers.get("Authorization") or request_headers.get("authorization")
    auth = f' -H "Authorization: {authorization}"' if authorization else ""
    curl = f"curl -X {method}{auth} '{url}'"
    text = content[: BODY_EXCERPT * 4].decode("utf-8", errors="replace")
    excerpt = text if len(text) <= BODY_EXCERPT else text[:BODY_EXCERPT] + "..."
    headers = response_headers or {}
    # The count headers, and where a redirect pointed (it is never followed; the evidence shows where to).
    kept = {
        name: value for name, value in headers.items() if name.lower().startswith("x-") or name.lower() == "location"
    }
    content_type = next((value for name, value in headers.items() if name.lower() == "content-type"), None)
    return Evidence(
        method=method,
        url=secrets.redact(url),
        status=status,
        content_type=content_type,
        body_excerpt=secrets.redact(excerpt),
        curl=secrets.redact(curl),
        headers={name: secrets.redact(value) for name, value in kept.items()},
    )


class ApiRun:
    """The state of one API's conformance run."""

    def __init__(
        self,
        contract: Contract,
        *,
        base_url: str,
        token: str | None,
        enterprise_id: str | None,
        session: GuardedSession,
        seed: int,
        secrets: Secrets,
        schemathesis_config: SchemathesisConfig,
        allow_unsafe_methods: bool = False,
    ) -> None:
        self.contract = contract
        self.semantics = contract.semantics
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.enterprise_id = enterprise_id
        self.session = session
        self.seed = seed
        self.secrets = secrets
        self.allow_unsafe_methods = allow_unsafe_methods
        self.ledger = Ledger(contract.requirements)
        self.schema: BaseSchema = schemathesis.openapi.from_dict(dict(contract.openapi), config=schemathesis_config)
        # Per-response checks run on every reply; set by apiconform.engine.response_checks.attach().
        self.response_checks: list[Any] = []
        self.responses = 0
        self.successes = 0
        self.transport_errors: list[str] = []
        self.budget_exhausted = False
        # How many requests had been sent when the first failure was seen (benchmarks report it).
        self.first_failure_after: int | None = None
        # Values learnt from the target (apiconform.engine.discovery), shared by the checks.
        self.cache: dict[Any, Any] = {}

    # --- requests -------------------------------------------------------------------------------

    def path_parameters(self) -> dict[str, str]:
        values = {"enterprise-id": self.enterprise_id}
        resolved = {}
        for name, source in self.semantics.path_parameters.items():
            value = values.get(source)
            if value is None:
                raise RefusedRequest(f"the {self.contract.api} path needs --{source}")
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
    ) -> Reply:
        """Send one request and have the reply inspected. Raises only when the run must stop (budget, refusal)."""
        url = self.url(query, operation_id=operation_id, path_parameters=path_parameters)
        headers = self.auth_headers(credentials)
        try:
            response = self.session.request(method, url, headers=headers)
        except BudgetExhausted:
            self.budget_exhausted = True
            raise
        except RefusedRequest:
            raise
        except requests.RequestException as exc:
            message = self.secrets.redact(f"{method} {url}: {exc}")
            self.transport_errors.append(message)
            evidence = make_evidence(self.secrets, method, url, headers)
            return Reply(dict(query), None, CaseInsensitiveDict(), MISSING, evidence, error=message)
        self.count(response.status_code)
        reply = Reply(
            dict(query),
            response.status_code,
            CaseInsensitiveDict(response.headers),
            parse_body(response.content),
            make_evidence(self.secrets, method, url, headers, response.status_code, response.headers, response.content),
        )
        if (operation_id or self.semantics.operation_id) == self.semantics.operation_id and method == "GET":
            self.inspect(response, query, path_parameters, headers)
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
        query: Mapping[str, str],
        path_parameters: Mapping[str, str] | None,
        headers: Mapping[str, str],
    ) -> None:
        """Validate a reply with schemathesis: built-in response checks plus apiconform's own."""
        case = self.operation().Case(
            query=dict(query),
            path_parameters={**self.path_parameters(), **(path_parameters or {})},
            headers=dict(headers),
        )
        # Every outcome is recorded by the after_validate hook and by the checks themselves.
        with contextlib.suppress(FailureGroup):
            case.validate_response(response, checks=self.response_checks)

    # --- observations ----------------------------------------------------------------------------

    def observe(self, observation: Observation) -> None:
        if observation.outcome is Outcome.FAIL and self.first_failure_after is None:
            self.first_failure_after = self.session.traffic.sent
        self.ledger.record(observation)

    def observe_all(self, observations: Iterable[Observation]) -> None:
        for observation in observations:
            self.observe(observation)

    def not_exercised(self, requirements: Iterable[str], check: str, reason: str) -> None:
        for requirement in requirements:
            self.ledger.record(Observation(requirement, Outcome.NOT_EXERCISED, check, reason))

    # --- change probes ---------------------------------------------------------------------------

    def probe(self) -> str:
        """A fingerprint of the target's data that moves whenever records are written (DECISIONS.md D-GEN-6)."""
        digest = hashlib.sha256()
        for query, header in self.semantics.change_probes:
            try:
                response = self.session.request("GET", self.url(query), headers=self.auth_headers())
            except BudgetExhausted:
                self.budget_exhausted = True
                raise
            except requests.RequestException as exc:
                digest.update(f"error:{exc.__class__.__name__}".encode())
                continue
            digest.update(str(response.status_code).encode())
            digest.update(response.headers.get(header, "").encode() if header else response.content)
        return digest.hexdigest()
