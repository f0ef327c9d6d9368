"""One request and its reply as the checks see them (`Exchange`), and what travels with it: the query as
it goes on the wire and as the server reads it back, which of its values the spec rules out, and the
evidence a report shows for it, with every secret masked.

`Exchange.of` is the one way an Exchange of a reply is made: for the replies the run's own requests got
(`ApiRun`), for the property tests' replies and for schemathesis' check results on them
(`checks.validation`), so that every check judges a reply in the same form.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from requests.structures import CaseInsensitiveDict

from apiconform.contract import Contract
from apiconform.engine.model.jsonbody import read_json
from apiconform.engine.model.records import pointer_get
from apiconform.engine.model.verdicts import Evidence
from apiconform.engine.transport.redaction import Redactor

BODY_EXCERPT = 600
# Response headers evidence shows besides the x- ones (counts, cursors).
_SHOWN = ("location", "link")


@dataclass(frozen=True)
class Exchange:
    """One request and its reply as the checks see them, or the reason there was no reply (`error`).

    Made by `Exchange.of`, once per reply: the relation that sent the request and every
    per-response check judge the same one."""

    query: Mapping[str, str]  # as the server received it (`wire_query`)
    status: int | None
    headers: CaseInsensitiveDict[str]  # each header's first value
    body: Any  # parsed JSON, or MISSING when the body is not strict JSON
    evidence: Evidence
    error: str | None = None
    content: bytes = b""  # the body as received
    # Query parameters whose value the spec rules out (all of them for schemathesis' negative data).
    invalid_params: frozenset[str] = frozenset()
    # From the one strict reading of `content` (jsonbody.read_json): why a body the json module accepts is
    # not strict JSON, and the first name an object repeats with whether its values differ.
    json_problem: str | None = None
    repeated_key: tuple[str, bool] | None = None
    # Each header's values joined with ", " (RFC 9110 section 5.3), where a paging style reads its next page:
    # a Link header may come on several lines.
    joined_headers: CaseInsensitiveDict[str] = dataclasses.field(default_factory=CaseInsensitiveDict)

    @staticmethod
    def of(
        secrets: Redactor,
        method: str,
        url: str,
        request_headers: Mapping[str, str],
        query: Mapping[str, str],
        *,
        status: int | None = None,
        headers: Mapping[str, Sequence[str]] | None = None,
        content: bytes = b"",
        invalid_params: frozenset[str] = frozenset(),
        error: str | None = None,
        curl_options: str = "",
    ) -> Exchange:
        """The Exchange of one request to `url` and its reply: `query` as the server received it, each header
        given by its values in the order received (the first counts: a count header sent twice is read
        as schemathesis' header check reads it), the body read once, the evidence made once; or, with
        `error` and no status, the transport error that took the reply's place. `curl_options`: what the
        curl line needs besides the bearer token (the run's other credentials, as placeholders)."""
        first = CaseInsensitiveDict({name: values[0] for name, values in (headers or {}).items() if values})
        joined = CaseInsensitiveDict({name: ", ".join(values) for name, values in (headers or {}).items() if values})
        reading = read_json(content)
        return Exchange(  # the one construction in src/ (tests/test_architecture.py)
            query,
            status,
            first,
            reading.value,
            make_evidence(secrets, method, url, request_headers, status, first, content, curl_options),
            error=error,
            content=content,
            invalid_params=invalid_params,
            json_problem=reading.problem,
            repeated_key=reading.repeated_key,
            joined_headers=joined,
        )

    def without_content(self) -> Exchange:
        """This reply without its raw bytes, as the reuse cache keeps it: only the per-response checks read
        `content`, and they have judged the reply by the time it is kept; up to the size cap each, the bytes
        of every kept reply would stay in memory for the rest of the run (tests/hostile/test_memory.py)."""
        return dataclasses.replace(self, content=b"")

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
    if kind is None and ("anyOf" in schema or "oneOf" in schema):
        # Each alternative reads the text its own way (`anyOf: [{type: integer}, {const: max}]`: "5" is the
        # integer 5); the text itself matches no `type: integer` alternative.
        fits = [_wire_value_valid(contract, contract.resolve(part), value) for part in schema.get("anyOf", ())]
        ones = [_wire_value_valid(contract, contract.resolve(part), value) for part in schema.get("oneOf", ())]
        return (any(fits) or "anyOf" not in schema) and (sum(ones) == 1 or "oneOf" not in schema)
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


def make_evidence(
    secrets: Redactor,
    method: str,
    url: str,
    request_headers: Mapping[str, str],
    status: int | None = None,
    response_headers: Mapping[str, str] | None = None,
    content: bytes = b"",
    curl_options: str = "",
) -> Evidence:
    """Evidence for one exchange, with every secret replaced by its placeholder ($APICONFORM_TOKEN, ...; in
    the response headers' names as in their values: the names are the one place in a report where a key is
    the target's text). The curl line has the bearer token's Authorization (the run's other credentials,
    which the session adds, come as `curl_options`, written with placeholders)."""
    authorization = request_headers.get("Authorization") or request_headers.get("authorization")
    bearer = authorization is not None and authorization.startswith("Bearer ")
    auth = f' -H "Authorization: {authorization}"' if bearer else ""
    more = f" {curl_options}" if curl_options else ""
    curl = f"curl -X {method}{auth}{more} '{url}'"
    # Redacted before it is cut (and after: the prefix of a secret a cut leaves is masked too).
    text = secrets.redact(content[: BODY_EXCERPT * 4].decode("utf-8", errors="replace"))
    excerpt = text if len(text) <= BODY_EXCERPT else text[:BODY_EXCERPT] + "..."
    headers = response_headers or {}
    # The count headers, where a redirect pointed (it is never followed; the evidence shows where to), and
    # the Link header a cursor style may read its next page from.
    kept = {name: value for name, value in headers.items() if name.lower().startswith("x-") or name.lower() in _SHOWN}
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
