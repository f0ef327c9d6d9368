"""The typed contract: the dataclasses a spec's `x-apiconform` block and its catalog become, the pagers, and
`from_raw`, which makes each from its YAML as the schemas in `specs/schemas/` describe it."""

from __future__ import annotations

import dataclasses
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from types import NoneType, UnionType
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar, Union, get_args, get_origin, get_type_hints
from urllib.parse import parse_qsl, urlsplit

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


Compare = Literal["text", "instant", "decimal"]
Direction = Literal["asc", "desc"]
Level = Literal["MUST", "SHOULD"]
Basis = Literal["stated", "inferred"]

# In a class's `raw_names` (see `from_raw`): the field is the key its block has in the mapping that holds it.
ENTRY_KEY = "<entry key>"


class ContractError(Exception):
    """A spec or catalog is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class Document:
    key: str
    title: str
    url: str | None
    local: Path | None


@dataclass(frozen=True)
class RestsOn:
    """One demand a requirement's checks make (a status, a field, an order, ...) and the words of the
    vendor's document it rests on: words from the requirement's quote, or from `source` when the demand
    rests on another document of the catalog."""

    demand: str
    words: str
    source: Document


@dataclass(frozen=True)
class Requirement:
    id: str
    level: Level
    family: str
    title: str
    quote: str
    source: Document
    checks: tuple[str, ...]
    # `stated`: the quoted sentence states the rule, or the rule follows from it with no further
    # assumption; `inferred`: a reasonable reading, explained in `basis_note`. MUST only for stated.
    basis: Basis
    note: str | None = None
    basis_note: str | None = None
    # Per demand its checks make, the words it rests on (catalog `rests-on`; every shipped MUST has it).
    rests_on: tuple[RestsOn, ...] = ()


@dataclass(frozen=True)
class OrderKey:
    """One term of an ordering: the record field, how its values compare, and which way."""

    field: str
    compare: Compare
    direction: Direction


@dataclass(frozen=True)
class SortKey:
    field: str
    compare: Compare
    requirement: str | None = None  # a requirement about this key's comparison (e.g. numeric order)


@dataclass(frozen=True)
class SortAsked:
    """The order a query asks for through the sort parameters: the key (a value of `Sort.keys`), the
    direction, and whether the query names the direction (else the default direction applies)."""

    key: str
    direction: Direction
    explicit: bool


@dataclass(frozen=True)
class Sort:
    """The query parameters that choose the order, in one of three spellings (the schema's `order.sort`):
    - a field parameter and a direction parameter (`sort=name&order=desc`); without the direction,
      `default-direction` applies;
    - a field parameter whose value a prefix marks descending (`ordering=name`, `ordering=-name`);
    - one parameter per direction, whose value is the key (`_sort=name`, `_sort_desc=name`).
    A check asks for an order with `query` and reads what a query asks for with `asked`, so that none
    knows the spelling."""

    keys: Mapping[str, SortKey]
    field_param: str | None = None
    direction_param: str | None = None
    default_direction: str | None = None
    directions: Mapping[str, Direction] = dataclass_field(default_factory=dict)
    descending_prefix: str | None = None
    direction_params: Mapping[str, Direction] = dataclass_field(default_factory=dict)

    @property
    def params(self) -> tuple[str, ...]:
        """Every query parameter of the spelling."""
        named = (self.field_param, self.direction_param, *self.direction_params)
        return tuple(name for name in named if name is not None)

    @property
    def ways(self) -> Mapping[str, Direction]:
        """Each way a query can name a direction, and the direction it names: the direction parameter's
        values, the per-direction parameters, or `asc` (no prefix) and `desc` (the prefix)."""
        if self.direction_params:
            return self.direction_params
        if self.descending_prefix is not None:
            return {"asc": "asc", "desc": "desc"}
        return self.directions

    def query(self, key: str, way: str | None = None) -> dict[str, str]:
        """The query parameters that sort by `key` the `way` named (one of `ways`); with no `way`, the
        field parameter alone (the default direction: the field-and-direction spelling only)."""
        if self.direction_params:
            if way is None or way not in self.direction_params:
                raise ValueError(f"{way!r} is no direction parameter of this sort ({', '.join(self.direction_params)})")
            return {way: key}
        if self.field_param is None:
            raise ValueError("a sort without direction-params names a field-param (the schema requires it)")
        if self.descending_prefix is not None:
            return {self.field_param: f"{self.descending_prefix}{key}" if way == "desc" else key}
        if way is None or self.direction_param is None:
            return {self.field_param: key}
        return {self.field_param: key, self.direction_param: way}

    def mentioned(self, query: Mapping[str, str]) -> bool:
        """The query gives a sort parameter (so the default order, if any, is not what it asks for)."""
        return any(name in query for name in self.params)

    def asked(self, query: Mapping[str, str]) -> SortAsked | None:
        """The key and direction a query asks for; None when it asks for none, or for one the spec does not
        document (an unknown key or direction, a direction without a key, two keys at once)."""
        if self.direction_params:
            given = [(self.direction_params[name], query[name]) for name in self.direction_params if name in query]
            if len(given) != 1 or given[0][1] not in self.keys:
                return None
            return SortAsked(given[0][1], given[0][0], explicit=True)
        value = query.get(self.field_param or "")
        if value is None:
            return None
        if self.descending_prefix is not None:
            if value in self.keys:
                return SortAsked(value, "asc", explicit=True)
            key = value.removeprefix(self.descending_prefix)
            if self.descending_prefix and value.startswith(self.descending_prefix) and key in self.keys:
                return SortAsked(key, "desc", explicit=True)
            return None
        way = query.get(self.direction_param or "")
        direction = self.directions.get(way if way is not None else self.default_direction or "")
        if value not in self.keys or direction is None:
            return None
        return SortAsked(value, direction, explicit=way is not None)


@dataclass(frozen=True)
class Ordering:
    requirements: Mapping[str, str]
    default: tuple[OrderKey, ...] = ()
    tiebreak: tuple[OrderKey, ...] = ()
    sort: Sort | None = None


@dataclass(frozen=True)
class Paging(ABC):
    """How pages are asked for: one subclass per paging style of `x-apiconform.paging`.

    `page` names the page at a position, `after` the page that follows a reply. Walks that go page after
    page step with `after`, so that a style which can only name the next page (a cursor read from each
    reply) needs no change to them; the relations that ask for pages by position apply only where
    `random_access` holds."""

    style: ClassVar[str]  # the spec's word for the style
    # Any page can be asked for by its position (a cursor style could ask only for the first and the next).
    random_access: ClassVar[bool] = True
    # A page can start at any record, not only at a multiple of the page size (e.g. offset=total).
    record_positions: ClassVar[bool] = False

    position_param: str
    size_param: str
    requirements: Mapping[str, str]
    # The status a page past the last answers instead of a 200 with no records (DRF's 404 "Invalid page.").
    past_end_status: int | None = None
    # `when-given`: a query without a paging parameter is not paged, but answered every record (json-server).
    applies: Literal["always", "when-given"] = "always"

    @abstractmethod
    def page(self, index: int, size: int) -> dict[str, str]:
        """The query of the `index`-th page of `size` records (index counts from 0 whatever the style)."""

    def position(self, query: Mapping[str, str]) -> int | None:
        """The record position the page a query asks for starts at, when the query names it (and its size,
        where the position depends on it) in integers; else None (a cursor names no position)."""
        return None

    @abstractmethod
    def after(
        self, query: Mapping[str, str], returned: int, body: Any = None, headers: Mapping[str, str] | None = None
    ) -> dict[str, str] | None:
        """The query of the page that follows the reply to `query`, which held `returned` records: `query`
        with its position moved on, every other parameter (an absent size too) kept as it was, in the same
        order. `body` is that reply's parsed JSON and `headers` its headers (looked up case-insensitively,
        a header sent on several lines as one value joined with ", ", RFC 9110 section 5.3), where a cursor
        style finds the next page.

        None when there is no page to step to: for the positional styles, when the position in `query` is
        not an integer; for a cursor style, when the reply names no next page."""


@dataclass(frozen=True)
class PageNumberPaging(Paging):
    """`page-number`: the position is a page number counted from `first_page`, the size a page size.

    `after` steps from the query alone: neither `body` nor `headers` is read."""

    style = "page-number"
    raw_names: ClassVar[Mapping[str, str]] = {"position_param": "page-param"}
    first_page: int = 0

    def page(self, index: int, size: int) -> dict[str, str]:
        return {self.position_param: str(self.first_page + index), self.size_param: str(size)}

    def position(self, query: Mapping[str, str]) -> int | None:
        number = _integer(query.get(self.position_param, ""))
        size = _integer(query.get(self.size_param, ""))
        return None if number is None or size is None else (number - self.first_page) * size

    def after(
        self, query: Mapping[str, str], returned: int, body: Any = None, headers: Mapping[str, str] | None = None
    ) -> dict[str, str] | None:
        number = _integer(query.get(self.position_param, str(self.first_page)))
        return None if number is None else {**query, self.position_param: str(number + 1)}


@dataclass(frozen=True)
class OffsetLimitPaging(Paging):
    """`offset-limit`: the position is the number of records skipped, the size the most a page holds.

    `after` steps from the query alone: neither `body` nor `headers` is read."""

    style = "offset-limit"
    raw_names: ClassVar[Mapping[str, str]] = {"position_param": "offset-param", "size_param": "limit-param"}
    record_positions = True

    def page(self, index: int, size: int) -> dict[str, str]:
        return {self.position_param: str(index * size), self.size_param: str(size)}

    def position(self, query: Mapping[str, str]) -> int | None:
        return _integer(query.get(self.position_param, ""))

    def after(
        self, query: Mapping[str, str], returned: int, body: Any = None, headers: Mapping[str, str] | None = None
    ) -> dict[str, str] | None:
        offset = _integer(query.get(self.position_param, "0"))
        return None if offset is None else {**query, self.position_param: str(offset + returned)}


@dataclass(frozen=True)
class NextPage:
    """Where a reply names the page after it; exactly one is set (the schema says so). `body_token`: a JSON
    pointer into the body to an opaque cursor; `body_url`: a pointer to the next page's URL; `header_token`:
    a header holding the cursor; `link`: the relation type of an RFC 8288 Link header's next page."""

    body_token: str | None = None
    body_url: str | None = None
    header_token: str | None = None
    link: str | None = None


@dataclass(frozen=True)
class CursorPaging(Paging):
    """`cursor`: the first page is asked for with no cursor, and each reply names the next page (`next`):
    a cursor to send in `position_param`, or a URL whose query is the next page's query (only its query:
    its scheme, host and path are never followed, so a run sends nothing to another host). A last page
    names none. No page can be asked for by its position."""

    style = "cursor"
    random_access = False
    raw_names: ClassVar[Mapping[str, str]] = {"position_param": "cursor-param", "next_page": "next"}
    next_page: NextPage = dataclass_field(default_factory=NextPage)

    def page(self, index: int, size: int) -> dict[str, str]:
        if index:
            raise ValueError("a cursor pager names the first page only; the next ones come from `after`")
        return {self.size_param: str(size)}

    def after(
        self, query: Mapping[str, str], returned: int, body: Any = None, headers: Mapping[str, str] | None = None
    ) -> dict[str, str] | None:
        named = self.next_page
        if named.body_token is not None or named.body_url is not None:
            value = _pointed(body, named.body_token if named.body_token is not None else named.body_url or "")
        elif named.header_token is not None:
            value = (headers or {}).get(named.header_token)
            value = value.strip() if isinstance(value, str) else None
        else:
            value = link_target((headers or {}).get("Link") or "", named.link or "next")
        if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
            return None  # null, absent or empty: the last page (a number is taken as its digits)
        if named.body_token is not None or named.header_token is not None:
            return {**query, self.position_param: str(value)}
        return url_query(str(value))


def _pointed(document: Any, pointer: str) -> Any:
    """The value a JSON pointer (RFC 6901) names in `document`, or None where it names nothing."""
    target = document
    for escaped in pointer.split("/")[1:] if pointer else ():
        part = escaped.replace("~1", "/").replace("~0", "~")
        if isinstance(target, dict) and part in target:
            target = target[part]
        elif isinstance(target, list) and part.isascii() and part.isdigit() and int(part) < len(target):
            target = target[int(part)]
        else:
            return None
    return target


def url_query(url: str) -> dict[str, str]:
    """The query of a URL as query parameters, in order (a name given several times: its values joined with
    commas, as the engine reads every list). Its scheme, host and path are not read."""
    values: dict[str, list[str]] = {}
    for name, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        values.setdefault(name, []).append(value)
    return {name: ",".join(given) for name, given in values.items()}


# RFC 8288 section 3: `<target>` then parameters, each `; name` or `; name=token` or `; name="quoted"`.
_LINK_TARGET = re.compile(r"[\s,]*<([^>]*)>")  # empty list elements (", ,") are allowed
_LINK_PARAM = re.compile(r'\s*;\s*([^\s;,=]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^\s;,]*))?')
_LINK_SEPARATOR = re.compile(r"\s*(?:,|$)")


def links(value: str) -> list[tuple[str, dict[str, str]]]:
    """The links of a Link header value (its lines joined with ", "): each target with its parameters (names
    in lower case, quoted values unquoted; a parameter given twice keeps its first value, section 3.3). A
    malformed part ends the reading: the links before it are kept."""
    found: list[tuple[str, dict[str, str]]] = []
    position = 0
    while position < len(value):
        target = _LINK_TARGET.match(value, position)
        if target is None:
            break
        params: dict[str, str] = {}
        position = target.end()
        while (param := _LINK_PARAM.match(value, position)) is not None and param.end() > position:
            raw = param.group(2) or ""
            text = re.sub(r"\\(.)", r"\1", raw[1:-1]) if raw.startswith('"') else raw
            params.setdefault(param.group(1).lower(), text)
            position = param.end()
        found.append((target.group(1), params))
        separator = _LINK_SEPARATOR.match(value, position)
        if separator is None:
            break
        position = separator.end()
    return found


def link_target(value: str, relation: str) -> str | None:
    """The target of the first link of a Link header value whose `rel` lists `relation` (relation types are
    compared case-insensitively; `rel` may list several, separated by spaces), or None."""
    wanted = relation.lower()
    for target, params in links(value):
        if wanted in params.get("rel", "").lower().split():
            return target
    return None


def _integer(text: str) -> int | None:
    """The integer `text` spells in ASCII digits after an optional minus sign, else None (`int` alone would
    also take spaces, underscores, a plus sign and other scripts' digits)."""
    digits = text.removeprefix("-")
    return int(text) if digits and digits.isascii() and digits.isdigit() else None


@dataclass(frozen=True)
class Alternate:
    """Another key a filter finds records by (an adjustment number besides the id): the record `field` that
    carries it, when one does, under `query` (the representation that shows it), and its requirement."""

    name: str
    requirement: str
    field: str | None = None
    query: Mapping[str, str] = dataclass_field(default_factory=dict)


@dataclass(frozen=True)
class Filter:
    raw_names: ClassVar[Mapping[str, str]] = {"param": ENTRY_KEY}

    param: str
    match: str
    # How a list travels: comma (`p=a,b`), repeated (`p=a&p=b`), both (each form judged by its own
    # requirement), or single (one value).
    list: Literal["comma", "single", "repeated", "both"]
    requirement: str
    field: str | None = None
    join: str | None = None
    join_field: str | None = None
    narrowing: bool = False
    default: str | None = None
    default_requirement: str | None = None
    documented_values: tuple[str, ...] = ()
    value_format: str | None = None
    # `lower`: only lower-case query values are judged by `requirement` (the case the document writes);
    # other spellings are judged by `case_variants_requirement` (DECISIONS.md D-BRM-1).
    query_case: Literal["lower"] | None = None
    case_variants_requirement: str | None = None
    # With one of these parameters in the query the default may or may not apply (D-BRM-11).
    default_optional_with: tuple[str, ...] = ()
    # Exact matching tells letter case apart: a value in the other case is probed as a near miss.
    case_sensitive: bool = False
    # The document admits a space after each comma of a list (`a, b`): lists are also sent that way.
    spaced_lists: bool = False
    # Other keys the filter finds the same records by (DECISIONS.md D-BRM-40).
    alternates: tuple[Alternate, ...] = ()
    # With match `mapped`: the record field within whose values one naming of the values holds (D-OES-20).
    mapped_within: str | None = None

    def query_spelling(self, value: str) -> str:
        """The value as the filter's requirement judges it: in lower case when the document writes it so."""
        return value.lower() if self.query_case == "lower" else value

    @property
    def one_value_only(self) -> bool:
        """A range takes one bound, and a list for `not-equal` would mean "none of them" (not the union the
        list relations judge): such a filter takes no list (DECISIONS.md D-GEN-78)."""
        return self.match == "not-equal" or self.match.endswith(("-gt", "-gte", "-lt", "-lte"))


@dataclass(frozen=True)
class Join:
    raw_names: ClassVar[Mapping[str, str]] = {"name": ENTRY_KEY}

    name: str
    operation: str
    records: str
    key: str
    record_field: str


@dataclass(frozen=True)
class RecordRule:
    raw_names: ClassVar[Mapping[str, str]] = {
        "when_field": "when/field",
        "when_equals": "when/equals",
        "then_field": "then/field",
        "then_is_null": "then/is-null",
    }

    when_field: str
    when_equals: str
    then_field: str
    then_is_null: bool
    requirement: str


@dataclass(frozen=True)
class QueryExpectation:
    """A query and what it must be answered with: `rejected` (400), `empty` (200, no records), `ignored`
    (200, the records of the same query without it), or `answered` (400 or any 200: the input is not judged)."""

    query: Mapping[str, str]
    requirement: str
    accept: tuple[str, ...] = ("rejected",)


@dataclass(frozen=True)
class Count:
    """One count a reply gives: in a header, or at a JSON pointer into the whole body; and its requirement."""

    requirement: str
    header: str | None = None
    pointer: str | None = None

    @property
    def where(self) -> str:
        """The count's place as messages name it: the header (`X-Total-Count`), or the body pointer (`/count`)."""
        return self.header if self.header is not None else str(self.pointer)


@dataclass(frozen=True)
class Counts:
    """Where a reply counts its records (`result`) and the query's matches in all pages (`total`), each in a
    header or at a body pointer, each optional (the schema asks for one at least, and a requirement with
    each)."""

    result_header: str | None = None
    result_pointer: str | None = None
    result_requirement: str | None = None
    total_header: str | None = None
    total_pointer: str | None = None
    total_requirement: str | None = None

    @property
    def result(self) -> Count | None:
        """The count of the records in this reply, where one is declared."""
        return _count(self.result_requirement, self.result_header, self.result_pointer)

    @property
    def total(self) -> Count | None:
        """The count of the records the query matches in all pages, where one is declared."""
        return _count(self.total_requirement, self.total_header, self.total_pointer)

    @property
    def declared(self) -> tuple[Count, ...]:
        """The counts declared, the result's first."""
        return tuple(count for count in (self.result, self.total) if count is not None)


def _count(requirement: str | None, header: str | None, pointer: str | None) -> Count | None:
    if requirement is None or (header is None and pointer is None):
        return None
    return Count(requirement, header, pointer)


@dataclass(frozen=True)
class Projection:
    """Attribute selection: `param=a,b` keeps attributes a and b (and the always-allowed ones).

    `unlisted` says what may become of an attribute not asked for: `absent`, and/or `null` (kept as null)."""

    param: str
    always_allowed: tuple[str, ...]
    requirement: str
    unlisted: tuple[str, ...] = ("absent",)


@dataclass(frozen=True)
class Representations:
    """A parameter choosing a base or an extended representation of the same records; with
    `marker_field`, records of the extended one carry its name there (judged by `marker_requirement`)."""

    param: str
    base: str
    extended: str
    requirement: str
    marker_field: str | None = None
    marker_requirement: str | None = None


@dataclass(frozen=True)
class UnknownPathParameter:
    """A path parameter whose unknown values must be refused with one of `accept_statuses`."""

    name: str
    accept_statuses: tuple[int, ...]
    requirement: str


@dataclass(frozen=True)
class Auth:
    enforced: Literal["always", "when-configured"]
    requirement: str


@dataclass(frozen=True)
class UnsafeMethods:
    """Undeclared methods the API documents an answer for (sent only when the run allows them)."""

    methods: tuple[str, ...]
    requirement: str


@dataclass(frozen=True)
class ErrorAdvice:
    """What the vendor's error convention carries for one status, as a JSON Schema."""

    status: int
    schema: Mapping[str, Any]
    requirement: str


@dataclass(frozen=True)
class Errors:
    requirement: str
    advice: tuple[ErrorAdvice, ...] = ()


@dataclass(frozen=True)
class StrictJson:
    """The requirements strict JSON bodies serve: `requirement` for every body, `error_requirement` (when
    named) for the bodies of error answers (status 400 and above), and `unique_keys_requirement` (when
    named) for a name repeated in one object with different values, which RFC 8259 advises against."""

    requirement: str
    error_requirement: str | None = None
    unique_keys_requirement: str | None = None

    def for_status(self, status: int) -> str:
        return self.error_requirement if status >= 400 and self.error_requirement else self.requirement


@dataclass(frozen=True)
class RateLimit:
    """The vendor's documented rate limit for the token a run uses: `requests` per `per_seconds` window."""

    requests: int
    per_seconds: float
    source: str

    @property
    def per_second(self) -> float:
        return self.requests / self.per_seconds


@dataclass(frozen=True)
class Semantics:
    """The `x-apiconform` block of a spec, typed."""

    raw_names: ClassVar[Mapping[str, str]] = {
        "operation_id": "list/operation",
        "records_pointer": "list/records",
        "id_pointer": "list/id",
        "ordering": "order",
    }

    api: str
    title: str
    operation_id: str
    records_pointer: str
    id_pointer: str
    paging: Paging
    ordering: Ordering
    path_parameters: Mapping[str, str] = dataclass_field(default_factory=dict)
    filters: Mapping[str, Filter] = dataclass_field(default_factory=dict)
    filter_requirements: Mapping[str, str] = dataclass_field(default_factory=dict)
    joins: Mapping[str, Join] = dataclass_field(default_factory=dict)
    record_rules: tuple[RecordRule, ...] = ()
    invalid_inputs: tuple[QueryExpectation, ...] = ()
    tolerated_inputs: tuple[QueryExpectation, ...] = ()
    # Each probe's query, and the header whose value tells a change apart (None: the page's records).
    change_probes: tuple[tuple[Mapping[str, str], str | None], ...] = ()
    counts: Counts | None = None
    projection: Projection | None = None
    representations: Representations | None = None
    unknown_path_parameter: UnknownPathParameter | None = None
    auth: Auth | None = None
    unsafe_methods: UnsafeMethods | None = None
    errors: Errors | None = None
    strict_json: StrictJson | None = None
    rate_limit: RateLimit | None = None

    def requirement_ids(self) -> Iterator[str]:
        """Every requirement ID the semantics name."""
        yield from self.paging.requirements.values()
        yield from self.ordering.requirements.values()
        if self.ordering.sort:
            yield from (key.requirement for key in self.ordering.sort.keys.values() if key.requirement)
        yield from self.filter_requirements.values()
        for flt in self.filters.values():
            yield flt.requirement
            if flt.default_requirement:
                yield flt.default_requirement
            if flt.case_variants_requirement:
                yield flt.case_variants_requirement
            yield from (alternate.requirement for alternate in flt.alternates)
        yield from (rule.requirement for rule in self.record_rules)
        yield from (item.requirement for item in (*self.invalid_inputs, *self.tolerated_inputs))
        for block in (
            self.projection,
            self.representations,
            self.unknown_path_parameter,
            self.auth,
            self.unsafe_methods,
        ):
            if block:
                yield block.requirement
        if self.representations and self.representations.marker_requirement:
            yield self.representations.marker_requirement
        if self.counts:
            yield from (count.requirement for count in self.counts.declared)
        if self.errors:
            yield self.errors.requirement
            yield from (advice.requirement for advice in self.errors.advice)
        if self.strict_json:
            yield self.strict_json.requirement
            if self.strict_json.error_requirement:
                yield self.strict_json.error_requirement
            if self.strict_json.unique_keys_requirement:
                yield self.strict_json.unique_keys_requirement


Built = TypeVar("Built", bound="DataclassInstance")


def from_raw(cls: type[Built], raw: Mapping[str, Any], entry_key: str | None = None, **given: Any) -> Built:
    """The dataclass `cls` made from its block of YAML, which its JSON Schema has validated (so the shape is
    not checked again here): a field not `given` is read from the key that is its name in kebab-case, or
    from the path of keys `cls.raw_names` gives it ("list/operation"; the blocks on the way are required),
    and takes its type (a block its class, a list a tuple, a YAML number an int or float as declared). A
    field whose key is absent keeps the dataclass default: the defaults live in the dataclasses alone."""
    hints = get_type_hints(cls)
    names: Mapping[str, str] = getattr(cls, "raw_names", {})
    values = dict(given)
    for field in dataclasses.fields(cls):
        if not field.init or field.name in values:
            continue
        path = names.get(field.name, field.name.replace("_", "-"))
        if path == ENTRY_KEY:
            values[field.name] = entry_key
            continue
        *blocks, key = path.split("/")
        block = raw
        for name in blocks:
            block = block[name]
        if key in block:
            values[field.name] = _typed(hints[field.name], block[key])
    return cls(**values)


def _typed(hint: Any, value: Any, entry_key: str | None = None) -> Any:
    """A YAML value as the type `hint` declares (see `from_raw`)."""
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, UnionType):  # `X | None`: the value is there, so it is an X
        return _typed(next(arg for arg in args if arg is not NoneType), value, entry_key)
    if origin is tuple:
        return tuple(_typed(args[0], item) for item in value)
    if origin is Mapping:
        return {name: _typed(args[1], item, name) for name, item in value.items()}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return from_raw(hint, value, entry_key)
    return hint(value) if hint in (int, float) else value


@dataclass(frozen=True)
class Release:
    """One vendor release a spec judges (`x-apiconform.releases`): its name, what it is, the vendor's
    version numbers it covers, and whether it is the spec's default."""

    name: str
    title: str
    versions: tuple[str, ...]
    default: bool


PAGING_STYLES: Mapping[str, type[Paging]] = {
    pager.style: pager for pager in (PageNumberPaging, OffsetLimitPaging, CursorPaging)
}
