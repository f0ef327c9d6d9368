"""The typed contract: the dataclasses a spec's `x-apiconform` block and its catalog become, the pagers, and
`from_raw`, which makes each from its YAML as the schemas in `specs/schemas/` describe it."""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from types import NoneType, UnionType
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

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

    @abstractmethod
    def page(self, index: int, size: int) -> dict[str, str]:
        """The query of the `index`-th page of `size` records (index counts from 0 whatever the style)."""

    def position(self, query: Mapping[str, str]) -> int | None:
        """The record position the page a query asks for starts at, when the query names it (and its size,
        where the position depends on it) in integers; else None (a cursor names no position)."""
        return None

    @abstractmethod
    def after(self, query: Mapping[str, str], returned: int, body: Any = None) -> dict[str, str] | None:
        """The query of the page that follows the reply to `query`, which held `returned` records: `query`
        with its position moved on, every other parameter (an absent size too) kept as it was, in the same
        order. `body` is that reply's parsed JSON, where a cursor style would find the next cursor.

        None when there is no page to step to: for the positional styles, when the position in `query` is
        not an integer."""


@dataclass(frozen=True)
class PageNumberPaging(Paging):
    """`page-number`: the position is a page number counted from `first_page`, the size a page size.

    `after` steps from the query alone: `body` is not read."""

    style = "page-number"
    raw_names: ClassVar[Mapping[str, str]] = {"position_param": "page-param"}
    first_page: int = 0

    def page(self, index: int, size: int) -> dict[str, str]:
        return {self.position_param: str(self.first_page + index), self.size_param: str(size)}

    def position(self, query: Mapping[str, str]) -> int | None:
        number = _integer(query.get(self.position_param, ""))
        size = _integer(query.get(self.size_param, ""))
        return None if number is None or size is None else (number - self.first_page) * size

    def after(self, query: Mapping[str, str], returned: int, body: Any = None) -> dict[str, str] | None:
        number = _integer(query.get(self.position_param, str(self.first_page)))
        return None if number is None else {**query, self.position_param: str(number + 1)}


@dataclass(frozen=True)
class OffsetLimitPaging(Paging):
    """`offset-limit`: the position is the number of records skipped, the size the most a page holds.

    `after` steps from the query alone: `body` is not read."""

    style = "offset-limit"
    raw_names: ClassVar[Mapping[str, str]] = {"position_param": "offset-param", "size_param": "limit-param"}
    record_positions = True

    def page(self, index: int, size: int) -> dict[str, str]:
        return {self.position_param: str(index * size), self.size_param: str(size)}

    def position(self, query: Mapping[str, str]) -> int | None:
        return _integer(query.get(self.position_param, ""))

    def after(self, query: Mapping[str, str], returned: int, body: Any = None) -> dict[str, str] | None:
        offset = _integer(query.get(self.position_param, "0"))
        return None if offset is None else {**query, self.position_param: str(offset + returned)}


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
class Counts:
    """Count headers: the records in this reply (`result`) and the matches in all (`total`)."""

    result_header: str
    total_header: str
    result_requirement: str
    total_requirement: str


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
        "count_headers": "counts",
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
    count_headers: Counts | None = None
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
        if self.count_headers:
            yield self.count_headers.result_requirement
            yield self.count_headers.total_requirement
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


PAGING_STYLES: Mapping[str, type[Paging]] = {pager.style: pager for pager in (PageNumberPaging, OffsetLimitPaging)}
