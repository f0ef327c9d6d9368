"""One API under test: its contract, where it lives, how to talk to it, and what was observed.

`ApiRun` is what the cross-request checks receive. It sends requests through the run's guarded session
and has every answer validated by schemathesis (`case.validate_response`), which runs the built-in
response checks and apiconform's per-response checks alike; an `after_validate` hook turns their
results into observations. Cross-request checks therefore get schema, status, header and record checks
on every page they fetch, through the same code path as the property tests.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import math
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import requests
import schemathesis
from requests.structures import CaseInsensitiveDict
from schemathesis.config import SchemathesisConfig
from schemathesis.core import NOT_SET
from schemathesis.core.failures import FailureGroup
from schemathesis.schemas import APIOperation, BaseSchema

from apiconform.contract import Contract
from apiconform.engine.control import RunControl, StopKind
from apiconform.engine.discovery import Discovery
from apiconform.engine.http import BudgetExhausted, GuardedSession, RefusedRequest
from apiconform.engine.records import MISSING, pointer_get
from apiconform.engine.redaction import Redactor
from apiconform.engine.verdicts import Cause, Evidence, Ledger, Observation, Outcome

# A bearer value that no server issues; sent where a check needs a wrong token.
INVALID_TOKEN = "apiconform-invalid-token"
BODY_EXCERPT = 600
# Requests that do not depend on each other go out this many at a time at most (ApiRun.get_many).
IN_FLIGHT = 4


@dataclass(frozen=True)
class Exchange:
    """One request and its reply as the checks see them, or the reason there was no reply (`error`).

    Built once per reply: by `ApiRun.get` for the cross-request checks, and by the per-response checks'
    adapter (`apiconform.engine.checks.base`) from what schemathesis validated."""

    query: Mapping[str, str]
    status: int | None
    headers: CaseInsensitiveDict[str]
    body: Any  # parsed JSON, or MISSING when the body is not strict JSON
    evidence: Evidence
    error: str | None = None
    content: bytes = b""  # the body as received, for the per-response checks (strict_json reads it)
    # Query parameters whose value the spec rules out (all of them for schemathesis' negative data).
    invalid_params: frozenset[str] = frozenset()

    def records(self, pointer: str) -> list[Any] | None:
        """The record list at `pointer` in a 2xx JSON body, or None when there is none.

        Any 2xx is read, not only a 200: a reply that breaks one rule (a 206 where 200 is documented, a
        wrong content type) is still judged by every other rule it can be judged by, so that one defect
        does not hide others (the status is judged by the status requirement)."""
        if self.status is None or not 200 <= self.status < 300:
            return None
        value = pointer_get(self.body, pointer)
        return value if isinstance(value, list) else None

    def present(self, param: str, value_format: str | None = None) -> str | None:
        """The parameter's value when it was sent, non-empty, valid and in its documented form; else None.

        Empty values (DECISIONS.md D-GEN-2), values the schema rules out (D-GEN-11) and values outside a
        filter's documented form (D-OES-3) are judged by the requirements about such inputs instead."""
        value = self.query.get(param)
        if value is None or value == "" or param in self.invalid_params:
            return None
        if value_format == "uuid" and not all(_UUID.fullmatch(part) for part in value.split(",")):
            return None
        return value


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


# What the property tests' requests are counted under in a RequestPlan.
PROPERTY_ACTIVITY = "property tests"
# What repeating a failure on fresh requests costs is counted under this (its change probes included):
# it comes out of the budget beyond the plan, never out of the plan's shares (README, "Rate limits").
CONFIRMING = "confirming failures"


@dataclass
class RequestPlan:
    """How one API's requests are spent: the planned total, each check's share of it, and what a plan
    smaller than the full one gave up.

    The cross-request checks run first, each with its number of examples (times `scale`, below 1 when
    the user lowered the plan), within three quarters of the plan; the property tests get what is left,
    never less than a quarter, and the cases past their share are not sent (`property_cases_skipped`)."""

    total: int
    scale: float = 1.0
    # Requests by what sent them: a check's name, "preflight", "discovery", "change probes", PROPERTY_ACTIVITY.
    spent: dict[str, int] = field(default_factory=dict)
    gave_up: list[str] = field(default_factory=list)
    property_cases_skipped: int = 0

    def examples(self, check: str, full: int) -> int:
        """The examples `check` gets under this plan (`full` under the full plan); a cut is noted."""
        planned = max(1, math.floor(full * self.scale))
        if planned < full:
            self.gave_up.append(f"{check}: {planned} of {full} examples")
        return planned

    def planned(self, sent: int) -> int:
        """Of the API's `sent` requests, those the plan counts: not the ones that confirmed failures."""
        return sent - self.spent.get(CONFIRMING, 0)

    def relations_have_room(self, sent: int) -> bool:
        """Whether the cross-request checks may send more, `sent` being the API's requests so far: they
        keep a quarter of the plan for the property tests, which run after them."""
        return self.planned(sent) - self.spent.get(PROPERTY_ACTIVITY, 0) < self.total - self.total // 4

    def note_relation_cut(self, check: str) -> None:
        note = f"{check}: the examples past the cross-request checks' share"
        if note not in self.gave_up:
            self.gave_up.append(note)

    def property_share(self, sent: int) -> int:
        """The requests the property tests may send, `sent` being the API's requests so far."""
        mine = self.spent.get(PROPERTY_ACTIVITY, 0)
        return max(self.total - (self.planned(sent) - mine), self.total // 4)

    def note_property_cut(self) -> None:
        # Under the full plan the property tests are meant to stop at their share (the cases left are
        # the last fuzzing examples); under a plan the user made smaller, they are something given up.
        if not self.property_cases_skipped and self.scale < 1:
            self.gave_up.append(f"{PROPERTY_ACTIVITY}: the cases past the plan's share")
        self.property_cases_skipped += 1


class UnsendableQuery(ValueError):
    """A query value no URL can carry: text with a lone surrogate (a JSON string may hold one, and
    UTF-8 has no encoding for it). The check that drew it draws another value instead."""


class RepeatedKeys(str):
    """A list sent as its parameter repeated once per item (`p=a&p=b`, OpenAPI's form style with explode
    true). Its text is the items joined with commas, which is how the checks read every list; only the
    URL differs (DECISIONS.md D-CONN-2)."""

    __slots__ = ()


def query_pairs(query: Mapping[str, str]) -> list[tuple[str, str]]:
    """The query's (name, value) pairs as they go on the wire: a list in repeated keys once per item."""
    return [
        (name, item)
        for name, value in query.items()
        for item in (value.split(",") if isinstance(value, RepeatedKeys) else (value,))
    ]


def encode_query(query: Mapping[str, str]) -> str:
    # Commas stay literal (the list separator BitGo documents) and colons too (date-times read well);
    # everything else is percent-encoded, so '+' in an id travels as %2B (DECISIONS.md D-BRM-8).
    try:
        return urlencode(query_pairs(query), quote_via=quote, safe=",:")
    except UnicodeEncodeError as exc:
        raise UnsendableQuery(f"a query value cannot be written in a URL: {exc.reason} in {exc.object!r}") from None


def wire_query(url: str) -> dict[str, str]:
    """The query parameters as the server receives them; a name given several times is a list in repeated
    keys, read as its values joined with commas (as the checks read every list)."""
    values: dict[str, list[str]] = {}
    for name, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        values.setdefault(name, []).append(value)
    return {name: given[0] if len(given) == 1 else RepeatedKeys(",".join(given)) for name, given in values.items()}


# Python converts integers of at most this many digits from text (sys.get_int_max_str_digits(), a guard
# against quadratic conversion); JSON sets no limit, so longer ones are read as `LargeInt`.
_INT_DIGITS = 4300
# What a LargeInt is as an int: the largest number Python writes as text (4300 nines), of its sign.
_LARGE_INT_STAND_IN = 10**_INT_DIGITS - 1
_DIGITS_REVERSED = str.maketrans("0123456789", "9876543210")


class LargeInt(int):
    """A JSON integer longer than Python reads from text, kept as its text and never converted: Python's
    conversion is quadratic (20,000 digits cost 12 ms of CPU, a body of them seconds, past --max-time).

    As an int it stands in for its value: the largest number Python writes as text (4300 nines), of its
    sign, beyond every bound a schema can state, so types, minimum and maximum are judged as they would
    be on the number itself, and json.dumps still writes something. Equality, hashing and order between
    LargeInts go by the text, exactly (JSON writes an integer one way); no plain number equals one.
    Shown by its own text, shortened."""

    text: str

    def __new__(cls, text: str) -> LargeInt:
        number = super().__new__(cls, -_LARGE_INT_STAND_IN if text.startswith("-") else _LARGE_INT_STAND_IN)
        number.text = text
        return number

    def _order(self) -> tuple[int, int, str]:
        """Sorts as the numbers do: the sign, then (for a negative number, reversed) length and digits."""
        digits = self.text.lstrip("+-")
        if self.text.startswith("-"):
            return (-1, -len(digits), digits.translate(_DIGITS_REVERSED))
        return (1, len(digits), digits)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LargeInt):
            return self.text == other.text
        return False if isinstance(other, (int, float)) else NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash(("LargeInt", self.text))

    def __lt__(self, other: object) -> bool:
        if isinstance(other, LargeInt):
            return self._order() < other._order()
        return int.__lt__(self, other)  # type: ignore[operator]

    def __le__(self, other: object) -> bool:
        if isinstance(other, LargeInt):
            return self._order() <= other._order()
        return int.__le__(self, other)  # type: ignore[operator]

    def __gt__(self, other: object) -> bool:
        if isinstance(other, LargeInt):
            return self._order() > other._order()
        return int.__gt__(self, other)  # type: ignore[operator]

    def __ge__(self, other: object) -> bool:
        if isinstance(other, LargeInt):
            return self._order() >= other._order()
        return int.__ge__(self, other)  # type: ignore[operator]

    def __repr__(self) -> str:
        digits = len(self.text.lstrip("+-"))
        return f"{self.text[:24]}...({digits} digits)"

    __str__ = __repr__


def _number_role(code: int) -> bytes:
    character = chr(code)
    if "0" <= character <= "9":
        return b"9"
    if character in "eE":
        return b"e"
    if character in "+-":
        return b"+"
    if character == ".":
        return b"."
    if character in ":,[ \t\r\n":
        return b"|"  # where a JSON value, a number among them, may start
    return b"x"


# Each byte of a body mapped to its part in a JSON number, so that one C-speed pass (bytes.translate)
# and a search on few symbols find the numbers Python cannot read as they are: a run of more digits
# than it converts, or an exponent of three or more digits (where a number may lie beyond a float's
# range). Ids such as "5e123a" inside strings follow a quote or a letter, not a value's start.
_NUMBER_ROLES = b"".join(_number_role(code) for code in range(256))
_LONG_DIGIT_RUN = b"9" * (_INT_DIGITS + 1)
_LONG_EXPONENT = re.compile(rb"\|\+?9+(?:\.9+)?e\+?999")


def _has_long_number(content: bytes) -> bool:
    """Whether the body may hold a number `readable` must read itself (a cheap test: a match inside a
    string only costs the slower reading)."""
    roles = b"|" + content.translate(_NUMBER_ROLES)
    return (len(content) > _INT_DIGITS and _LONG_DIGIT_RUN in roles) or _LONG_EXPONENT.search(roles) is not None


def _parse_int(text: str) -> int:
    return int(text) if len(text) <= _INT_DIGITS else LargeInt(text)


def parse_count(text: str) -> int | None:
    """A count the target wrote in a header (X-Total-Count), or None when it is none a list can have: only
    ASCII digits (`isdigit` takes any script's), and no more than Python converts (int() would raise)."""
    if not (text.isascii() and text.isdigit()) or len(text) > _INT_DIGITS:
        return None
    return int(text)


def _parse_float(text: str) -> float:
    """A JSON number with a fraction or exponent. One beyond a float's range (`1e999999`) is still a number:
    the largest float of its sign stands in for it (beyond every bound a schema states), never infinity,
    which JSON has not and schema validators read as null."""
    value = float(text)
    if math.isinf(value):
        return -sys.float_info.max if value < 0 else sys.float_info.max
    return value


class AmbiguousJson(ValueError):
    """A body Python's json module reads, but that is not JSON as RFC 8259 defines it (NaN, Infinity)."""


class _RepeatedKey(ValueError):
    """An object with a name twice: still JSON (RFC 8259 says names SHOULD be unique), read the second way."""


def _refuse_constant(name: str) -> Any:
    raise AmbiguousJson(f"{name} is not a JSON value (RFC 8259 has no NaN or Infinity)")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        raise _RepeatedKey
    return value


def _loads(content: bytes, object_pairs_hook: Any) -> Any:
    return json.loads(
        content,
        parse_constant=_refuse_constant,
        object_pairs_hook=object_pairs_hook,
        parse_int=_parse_int,
        parse_float=_parse_float,
    )


def loads_strict(content: bytes) -> Any:
    """`content` parsed as strict JSON: ValueError for anything that is not JSON, AmbiguousJson for NaN or
    Infinity (which the json module would accept). A name repeated in one object is read as most parsers
    read it (JavaScript's, Python's, Jackson's by default): the last value counts (`repeated_key` tells)."""
    try:
        return _loads(content, _unique_keys)
    except _RepeatedKey:
        return _loads(content, dict)


def json_problem(content: bytes) -> str | None:
    """Why a body that the json module accepts is still not strict JSON; None when it is strict, or no JSON at all."""
    try:
        loads_strict(content)
    except AmbiguousJson as exc:
        return str(exc)
    except (ValueError, RecursionError):
        return None
    return None


def repeated_key(content: bytes) -> tuple[str, bool] | None:
    """The first name a JSON body repeats in one object, and whether its values differ (parsers then disagree
    which one counts); None when no object repeats a name, or the body is no strict JSON."""
    found: list[tuple[str, bool]] = []

    def collecting(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        value = dict(pairs)
        if len(value) != len(pairs) and len(found) < 1:
            first: dict[str, Any] = {}
            for key, item in pairs:
                if key in first:
                    found.append((key, first[key] != item or type(first[key]) is not type(item)))
                    break
                first[key] = item
        return value

    try:
        _loads(content, _unique_keys)
        return None
    except _RepeatedKey:
        pass
    except (ValueError, RecursionError):
        return None
    try:
        _loads(content, collecting)
    except (ValueError, RecursionError):
        return None
    return found[0] if found else None


def parse_body(content: bytes) -> Any:
    """The JSON value of a body, or MISSING when it is not strict JSON (invalid, invalid UTF-8, NaN): such a body
    is not judged; the strict_json check reports it. A repeated name counts with its last value."""
    if not content:
        return MISSING
    try:
        return loads_strict(content)
    except (ValueError, RecursionError):
        return MISSING


def readable(response: Any) -> Any:
    """The reply as schemathesis' checks take it, with its JSON read the way apiconform reads it: an
    integer past Python's digit limit, or an exponent past a float's range, is a number to judge, not a
    body that fails to deserialize or a null."""
    from schemathesis.core.transport import Response as CheckedResponse

    checked = CheckedResponse.from_any(response)
    # Most bodies hold no such number: they are left to schemathesis as they are (read once, not copied).
    content = checked.content or b""
    if checked._deserialized is NOT_SET and _has_long_number(content):
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


def make_evidence(
    secrets: Redactor,
    method: str,
    url: str,
    request_headers: Mapping[str, str],
    status: int | None = None,
    response_headers: Mapping[str, str] | None = None,
    content: bytes = b"",
) -> Evidence:
    """Evidence for one exchange, with every secret replaced by $APICONFORM_TOKEN (in the response headers'
    names as in their values: the names are the one place in a report where a key is the target's text)."""
    authorization = request_headers.get("Authorization") or request_headers.get("authorization")
    auth = f' -H "Authorization: {authorization}"' if authorization else ""
    curl = f"curl -X {method}{auth} '{url}'"
    # Redacted before it is cut (and after: the prefix of a secret a cut leaves is masked too).
    text = secrets.redact(content[: BODY_EXCERPT * 4].decode("utf-8", errors="replace"))
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
        headers=_redacted_headers(secrets, kept),
    )


def _redacted_headers(secrets: Redactor, headers: Mapping[str, str]) -> dict[str, str]:
    """`headers` with every secret masked in names and values; two names masked alike keep both values."""
    redacted: dict[str, str] = {}
    for name, value in headers.items():
        key, shown = secrets.redact(name), secrets.redact(value)
        redacted[key] = f"{redacted[key]}, {shown}" if key in redacted else shown
    return redacted


class ApiRun:
    """The state of one API's conformance run."""

    def __init__(
        self,
        contract: Contract,
        *,
        base_url: str,
        token: str | None,
        path_values: Mapping[str, str],
        session: GuardedSession,
        seed: int,
        secrets: Redactor,
        schemathesis_config: SchemathesisConfig,
        plan: RequestPlan,
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
        self.session = session
        # Why this API's testing stopped, if it did: every stop is reported there (its guarded session
        # reports its own), and every reader asks there (engine/control.py).
        self.control: RunControl = session.control
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
        # The schemathesis checks every reply is validated with, and the names of every per-response check
        # they run (the catalog cites these); set by apiconform.engine.checks.attach().
        self.response_checks: list[Any] = []
        self.response_check_names: tuple[str, ...] = ()
        self.responses = 0
        self.successes = 0
        self.transport_errors: list[str] = []
        # The cross-request checks already run (several requirements cite the same one; each runs once).
        self.scenarios_done: set[str] = set()
        # How many requests had been sent when the first failure was seen (benchmarks report it).
        self.first_failure_after: int | None = None
        # --fail-fast: the requirements whose failure decides the gate (MUST, no current waiver). Once one
        # has failed, no further example or check starts for this API (`control` says why); the one under
        # way finishes. What ran before is exactly what a full run does first.
        self.stops_at = stops_at
        # Values learnt from the target (apiconform.engine.discovery), shared by the checks.
        self.discovery = Discovery()
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
        start = self.session.traffic.sent
        self._nested_spending.append(0)
        self._activities.append(activity)
        try:
            yield
        finally:
            self._activities.pop()
            nested = self._nested_spending.pop()
            sent = self.session.traffic.sent - start
            self.plan.spent[activity] = self.plan.spent.get(activity, 0) + sent - nested
            if self._nested_spending:
                self._nested_spending[-1] += sent

    def may_run_relation_example(self, check: str) -> bool:
        """Whether one more example of `check` may start: nothing stopped the testing, and the cross-request
        checks' share of the plan has room for it."""
        if not self.control.may_start:
            return False
        if self.plan.relations_have_room(self.session.traffic.sent):
            return True
        self.plan.note_relation_cut(check)
        return False

    def may_send_property_case(self) -> bool:
        """Whether one more property case may be sent: nothing stopped the testing, and the property tests'
        share of the plan has room for it."""
        if not self.control.may_start:
            return False
        if self.plan.spent.get(PROPERTY_ACTIVITY, 0) < self.plan.property_share(self.session.traffic.sent):
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
            response: requests.Response | requests.RequestException = self.session.request(method, url, headers=headers)
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
                answers[only] = self.session.request("GET", urls[only], headers=headers)
            except requests.RequestException as exc:
                answers[only] = exc
        elif sending:
            with ThreadPoolExecutor(min(IN_FLIGHT, len(sending))) as pool:
                futures = {i: pool.submit(self.session.request, "GET", urls[i], headers=headers) for i in sending}
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
        """The Exchange for one answer (or the transport error in its place), inspected and remembered."""
        if isinstance(response, requests.RequestException):
            message = self.secrets.redact(f"{method} {url}: {response}")
            self.transport_errors.append(message)
            evidence = make_evidence(self.secrets, method, url, headers)
            return Exchange(dict(query), None, CaseInsensitiveDict(), MISSING, evidence, error=message)
        self.count(response.status_code)
        reply = Exchange(
            dict(query),
            response.status_code,
            CaseInsensitiveDict(response.headers),
            parse_body(response.content),
            make_evidence(self.secrets, method, url, headers, response.status_code, response.headers, response.content),
        )
        if (operation_id or self.semantics.operation_id) == self.semantics.operation_id and method == "GET":
            self.inspect(response, query, path_parameters, headers)
        if remembered:
            self.replies[url] = reply
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
        try:
            with contextlib.suppress(FailureGroup):
                case.validate_response(readable(response), checks=self.response_checks)
        except Exception as exc:  # the suite's failure (the checks guard themselves; this is the rest)
            cited = [rid for name in self.response_check_names for rid in self.citing(name)]
            self.crashed("validating a reply", exc, cited)

    # --- observations ----------------------------------------------------------------------------

    def observe(self, observation: Observation) -> None:
        if observation.outcome is Outcome.FAIL and self.first_failure_after is None:
            self.first_failure_after = self.session.traffic.sent
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
                f"--fail-fast: {observation.requirement} (a MUST) failed at request {self.session.traffic.sent}",
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
                response = self.session.request("GET", self.url(query), headers=self.auth_headers())
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
