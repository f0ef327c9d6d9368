"""The contracts apiconform verifies: an OpenAPI spec, its `x-apiconform` semantics and its requirement catalog.

Everything the engine and the reference server know about an API comes from here; neither holds
API-specific rules of its own. Loading validates both files against the schemas in `specs/schemas/`
and cross-checks them, so a broken contract is reported as a `ContractError`, not met mid-run.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import os
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from functools import cache
from pathlib import Path
from types import NoneType, UnionType
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar, Union, get_args, get_origin, get_type_hints
from urllib.parse import unquote, urlsplit

import jsonschema

from apiconform import datafiles

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

Compare = Literal["text", "instant", "decimal"]
Level = Literal["MUST", "SHOULD"]
Basis = Literal["stated", "inferred"]

# In a class's `raw_names` (see `from_raw`): the field is the key its block has in the mapping that holds it.
ENTRY_KEY = "<entry key>"


class ContractError(Exception):
    """A spec or catalog is missing, malformed or inconsistent."""


def specs_dir() -> Path:
    """The folder that holds the specs: $APICONFORM_SPECS if set; else the copy installed inside the package
    (`apiconform/specs`, which a wheel build copies from the repository's `specs/`, see setup.py); else
    `specs/` at the top of the source tree, which an editable install or a checkout reads directly."""
    import importlib.resources  # here, not at the top: only this function needs it

    configured = os.environ.get("APICONFORM_SPECS")
    if configured:
        path = Path(configured)
        if not path.is_dir():
            raise ContractError(f"specs folder not found: {path} (from APICONFORM_SPECS)")
        return path
    packaged = importlib.resources.files(__package__ or "apiconform") / "specs"
    source = Path(__file__).resolve().parents[2] / "specs"
    for candidate in (packaged, source):
        if isinstance(candidate, Path) and candidate.is_dir():
            return candidate
    raise ContractError(f"specs folder not found at {packaged} or {source} (set APICONFORM_SPECS to the specs folder)")


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
    direction: Literal["asc", "desc"]


@dataclass(frozen=True)
class SortKey:
    field: str
    compare: Compare
    requirement: str | None = None  # a requirement about this key's comparison (e.g. numeric order)


@dataclass(frozen=True)
class Sort:
    field_param: str
    direction_param: str
    default_direction: str
    directions: Mapping[str, Literal["asc", "desc"]]
    keys: Mapping[str, SortKey]


@dataclass(frozen=True)
class Ordering:
    requirements: Mapping[str, str]
    stable: bool = True
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


@dataclass(frozen=True)
class Contract:
    """One API: its OpenAPI document, the semantics and the requirement catalog (as the release judged
    documents them, when the spec declares releases)."""

    api: str
    spec_path: Path
    openapi: Mapping[str, Any]
    semantics: Semantics
    requirements: tuple[Requirement, ...]
    release: Release | None = None
    # Every release the spec declares (empty for a spec without a `releases` block).
    releases: tuple[Release, ...] = ()
    # The validators schema_validator made: id(schema) -> (schema, validator), the schema kept so that its
    # id is not reused while cached. They live as long as this contract (no cache outlives a run's specs).
    _validators: dict[int, tuple[Mapping[str, Any], jsonschema.protocols.Validator]] = dataclass_field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def spec_sha256(self) -> str:
        return hashlib.sha256(self.spec_path.read_bytes()).hexdigest()

    @property
    def server_url(self) -> str:
        server = self.openapi["servers"][0]
        url: str = server["url"]
        for name, variable in server.get("variables", {}).items():
            url = url.replace("{" + name + "}", variable["default"])
        return url

    @property
    def server_path(self) -> str:
        """The path of the server URL (no trailing slash): where a --base-url for this API ends."""
        return urlsplit(self.server_url).path.rstrip("/")

    @property
    def list_path(self) -> str:
        """The path template of the list operation, relative to the server URL."""
        return self.operation_path(self.semantics.operation_id)

    def operation_path(self, operation_id: str) -> str:
        for path, item in self.openapi["paths"].items():
            for operation in item.values():
                if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                    return str(path)
        raise ContractError(f"{self.api}: no operation {operation_id!r} in {self.spec_path.name}")

    def operation(self, operation_id: str | None = None) -> Mapping[str, Any]:
        """The OpenAPI operation object (the list operation by default)."""
        wanted = operation_id or self.semantics.operation_id
        path = self.operation_path(wanted)
        for operation in self.openapi["paths"][path].values():
            if isinstance(operation, dict) and operation.get("operationId") == wanted:
                return operation
        raise ContractError(f"{self.api}: no operation {wanted!r}")  # pragma: no cover - operation_path found it

    def query_parameters(self, operation_id: str | None = None) -> dict[str, Mapping[str, Any]]:
        """The operation's query parameters by name, with `$ref`s resolved."""
        parameters = {}
        for parameter in self.operation(operation_id).get("parameters", ()):
            resolved = self.resolve(parameter)
            if resolved["in"] == "query":
                parameters[resolved["name"]] = resolved
        return parameters

    def parameter_example(self, name: str) -> str | None:
        """The document's own example value of a query parameter (its `example`, or its schema's), as text."""
        parameter = self.query_parameters().get(name)
        if parameter is None:
            return None
        schema = self.resolve(parameter.get("schema", {}))
        example = parameter.get("example", schema.get("example"))
        if example is None or isinstance(example, (dict, list)):
            return None
        return example if isinstance(example, str) else json.dumps(example)

    def constrained_parameters(self) -> list[str]:
        """Query parameters whose schema rules values out (enum, pattern, format, number bounds)."""
        constrained = []
        for name, parameter in self.query_parameters().items():
            schema = self.resolve(parameter.get("schema", {}))
            items = self.resolve(schema.get("items", {}))
            if any(key in node for node in (schema, items) for key in ("enum", "pattern", "format", "minimum")) or (
                schema.get("type") in ("integer", "number")
            ):
                constrained.append(name)
        return constrained

    def invalid_value_requirements(self) -> dict[str, str]:
        """For each query parameter with an invalid-inputs example, the requirement that rejects its bad values."""
        return {param: item.requirement for item in self.semantics.invalid_inputs for param in item.query}

    def resolve(self, node: Mapping[str, Any]) -> Mapping[str, Any]:
        """Follow a local `$ref` (`#/components/...`) to the object it names (load_spec has checked that
        every reference names an object of the document and that no chain of them comes back)."""
        return _follow(self.openapi, node, self.spec_path)

    def schema_validator(self, schema: Mapping[str, Any]) -> jsonschema.protocols.Validator:
        """A JSON Schema validator for `schema`, whose `$ref`s resolve against this spec's components.

        Validators are cached by the schema object: checks ask for the same few schemas per response."""
        key = id(schema)
        cached = self._validators.get(key)
        if cached is None or cached[0] is not schema:
            root = {**schema, "components": self.openapi.get("components", {})}
            validator = jsonschema.Draft202012Validator(
                root, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
            )
            cached = self._validators[key] = (schema, validator)
        return cached[1]

    def requirement(self, requirement_id: str) -> Requirement:
        for requirement in self.requirements:
            if requirement.id == requirement_id:
                return requirement
        raise KeyError(requirement_id)


def _read_yaml(path: Path, *, inside: Path | None = None) -> Any:
    """A YAML file read within the limits every data file has (apiconform.datafiles); with `inside`, the
    file must be in that folder."""
    try:
        return datafiles.read_yaml(path, inside=inside)
    except datafiles.DataFileError as exc:
        raise ContractError(str(exc)) from None


@cache
def _schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = _read_yaml(specs_dir() / "schemas" / name)
    return schema


def _validate(instance: Any, schema_name: str, where: Path) -> None:
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(_schema(schema_name)).iter_errors(instance)
    )
    if error is not None:
        # Not jsonschema's message: it quotes the value, which may be a foreign file's text.
        raise ContractError(f"{where}: {datafiles.schema_complaint(error)}")


PAGING_STYLES: Mapping[str, type[Paging]] = {pager.style: pager for pager in (PageNumberPaging, OffsetLimitPaging)}


def _semantics(raw: Mapping[str, Any]) -> Semantics:
    """The `x-apiconform` block, typed: the pager its paging style names, and each change probe a pair."""
    probes = tuple((dict(probe["query"]), probe.get("header")) for probe in raw.get("change-probes", ()))
    paging = from_raw(PAGING_STYLES[raw["paging"]["style"]], raw["paging"])
    return from_raw(Semantics, raw, paging=paging, change_probes=probes)


def _documents(catalog: Mapping[str, Any], folder: Path) -> dict[str, Document]:
    return {
        key: Document(key, doc["title"], doc.get("url"), folder / doc["local"] if "local" in doc else None)
        for key, doc in catalog["documents"].items()
    }


def _released_catalog(catalog: dict[str, Any], release: Mapping[str, Any], catalog_path: Path) -> dict[str, Any]:
    """The catalog as a release documents it: without the requirements it leaves out, and each one it words
    differently (`quotes`) with those fields replaced; checked against the catalog schema again."""
    left_out, reworded = set(release.get("without", ())), release.get("quotes", {})
    unknown = sorted((left_out | set(reworded)) - {entry["id"] for entry in catalog["requirements"]})
    if unknown:
        raise ContractError(f"{catalog_path}: a release names requirements the catalog lacks: {unknown}")
    entries = [
        {**entry, **reworded.get(entry["id"], {})} for entry in catalog["requirements"] if entry["id"] not in left_out
    ]
    released = {**catalog, "requirements": entries}
    _validate(released, "catalog.schema.yaml", catalog_path)
    return released


def _requirements(catalog: dict[str, Any], folder: Path) -> tuple[Requirement, ...]:
    documents = _documents(catalog, folder)
    requirements = []
    for entry in catalog["requirements"]:
        cited = [entry["source"], *(item["source"] for item in entry.get("rests-on", ()) if "source" in item)]
        unknown = next((key for key in cited if key not in documents), None)
        if unknown is not None:
            raise ContractError(f"{folder.name}: {entry['id']} cites unknown document {unknown!r}")
        rests_on = tuple(
            RestsOn(item["demand"], " ".join(item["words"].split()), documents[item.get("source", entry["source"])])
            for item in entry.get("rests-on", ())
        )
        quote, source = " ".join(entry["quote"].split()), documents[entry["source"]]
        requirements.append(from_raw(Requirement, entry, quote=quote, source=source, rests_on=rests_on))
    return tuple(requirements)


def api_names() -> tuple[str, ...]:
    """The APIs in the specs folder: every `*/*.openapi.yaml` that declares `x-apiconform.api`, by name."""
    return tuple(sorted(_spec_files(specs_dir())))


def path_parameter_options() -> dict[str, set[str]]:
    """The shorthand options the specs folder's specs declare for path parameters: option -> parameter names.

    Read from the raw `x-apiconform.path-parameters` blocks (the command line is built before any
    contract is validated; a broken spec is reported when it is loaded)."""
    options: dict[str, set[str]] = {}
    for path in _spec_files(specs_dir()).values():
        declared = _read_yaml(path)["x-apiconform"].get("path-parameters")
        for name, option in (declared or {}).items() if isinstance(declared, dict) else ():
            if isinstance(option, str) and option:
                options.setdefault(option, set()).add(str(name))
    return options


@cache
def _spec_files(folder: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted(folder.glob("*/*.openapi.yaml")):
        name = _api_name(path)
        if name is None:
            continue
        if name in found:
            raise ContractError(f"{path}: x-apiconform.api {name!r} is also declared by {found[name]}")
        found[name] = path
    return found


def _api_name(path: Path) -> str | None:
    document = _read_yaml(path)
    name = document.get("x-apiconform", {}).get("api") if isinstance(document, dict) else None
    return name if isinstance(name, str) else None


def load(api: str, release: str | None = None) -> Contract:
    """Load, validate and cross-check one API's contract from the specs folder (as `release` documents it,
    or the spec's default release)."""
    spec_path = _spec_files(specs_dir()).get(api)
    if spec_path is None:
        raise ContractError(f"no spec declares x-apiconform.api = {api!r} under {specs_dir()}")
    return load_spec(spec_path, release)


@cache
def load_spec(spec_path: Path, release: str | None = None) -> Contract:
    """Load, validate and cross-check the contract of one spec file (and the catalog it names), wherever it is.

    A spec that declares vendor releases (`x-apiconform.releases`) is loaded as `release` documents it
    (a release's name, one of its versions, or a major number only one release has), by default as its
    default release: the release's `changes` are made to a copy of the document and its `quotes` and
    `without` to the catalog, and the result is checked like any spec. A spec without releases takes no
    `release`.

    The spec is data that reaches nothing outside itself: its catalog and sources must be files in its own
    folder, and its references stay inside the document (`check_references`)."""
    openapi = _read_yaml(spec_path)
    if not isinstance(openapi, dict) or not isinstance(openapi.get("x-apiconform"), dict):
        raise ContractError(f"{spec_path}: not an OpenAPI document with an x-apiconform block")
    check_references(openapi, spec_path)
    _validate(openapi["x-apiconform"], "x-apiconform.schema.yaml", spec_path)
    declared = openapi["x-apiconform"].get("releases")
    chosen: Release | None = None
    releases: tuple[Release, ...] = ()
    release_raw: Mapping[str, Any] | None = None
    if declared is not None:
        releases = _releases(declared)
        chosen = _chosen_release(releases, release, spec_path)
        release_raw = declared["list"][chosen.name]
        openapi = _with_changes(openapi, release_raw.get("changes", ()), chosen, spec_path)
        check_references(openapi, spec_path)
        _validate(openapi["x-apiconform"], "x-apiconform.schema.yaml", spec_path)
    elif release is not None:
        raise ContractError(f"{spec_path}: --release {datafiles.excerpt(release)}: the spec declares no releases")
    raw = openapi["x-apiconform"]
    api = raw["api"]
    folder = spec_path.parent
    catalog_path = folder / raw["catalog"]
    catalog = _read_yaml(catalog_path, inside=folder)
    _validate(catalog, "catalog.schema.yaml", catalog_path)
    if catalog["api"] != api:
        raise ContractError(
            f"{catalog_path}: catalog is for {datafiles.excerpt(catalog['api'])}, the spec for {datafiles.excerpt(api)}"
        )
    if release_raw is not None:
        catalog = _released_catalog(catalog, release_raw, catalog_path)
    contract = Contract(api, spec_path, openapi, _semantics(raw), _requirements(catalog, folder), chosen, releases)
    try:
        if release_raw is not None:
            _check_release(release_raw, catalog, catalog_path, folder)
        _cross_check(contract, catalog_path)
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        # An OpenAPI document the checks cannot walk (a `parameters` that is no list, an operation that is
        # no object): the document's fault, said in one line.
        said = datafiles.excerpt(exc, 80)
        raise ContractError(
            f"{spec_path}: not an OpenAPI document apiconform can read ({type(exc).__name__} {said})"
        ) from None
    return contract


def _releases(declared: Mapping[str, Any]) -> tuple[Release, ...]:
    return tuple(
        Release(name, entry["title"], tuple(entry["versions"]), name == declared["default"])
        for name, entry in declared["list"].items()
    )


def release_matches(release: Release, wanted: str) -> bool:
    """`wanted` names `release`: its name, one of its versions, or their major number (`15` for 15.0)."""
    return (
        wanted == release.name
        or wanted in release.versions
        or any(version.startswith(wanted + ".") for version in (release.name, *release.versions))
    )


def _chosen_release(releases: tuple[Release, ...], wanted: str | None, spec_path: Path) -> Release:
    """The release `wanted` names (the default one for None); a name that fits none or several is refused."""
    listed = ", ".join(f"{release.name} ({', '.join(release.versions)})" for release in releases)
    if not any(release.default for release in releases):
        raise ContractError(f"{spec_path}: x-apiconform.releases.default names no release of its list")
    if wanted is None:
        return next(release for release in releases if release.default)
    fitting = [release for release in releases if wanted in (release.name, *release.versions)]
    fitting = fitting or [release for release in releases if release_matches(release, wanted)]
    if len(fitting) != 1:
        what = "no release" if not fitting else "more than one release"
        raise ContractError(
            f"--release {datafiles.excerpt(wanted)}: {what} of {spec_path.name} is named so; its releases: {listed}"
        )
    return fitting[0]


def _with_changes(openapi: Mapping[str, Any], changes: Any, release: Release, spec_path: Path) -> dict[str, Any]:
    """A copy of the document with a release's changes made, in order: each sets the value at its JSON
    pointer `at` (its parent must exist) or, with `remove`, takes it away. The releases block itself is
    not a place a change may reach."""
    changed: dict[str, Any] = copy.deepcopy(dict(openapi))
    for change in changes:
        at = change["at"]
        parts = [_unescaped(part) for part in at.split("/")[1:]]
        where = f"{spec_path}: release {datafiles.excerpt(release.name)}: change at {datafiles.excerpt(at, 80)}"
        if parts[:2] == ["x-apiconform", "releases"]:
            raise ContractError(f"{where}: a release cannot change the releases")
        parent: Any = changed
        for part in parts[:-1]:
            parent = parent.get(part) if isinstance(parent, dict) else None
        if not isinstance(parent, dict) or (change.get("remove") and parts[-1] not in parent):
            raise ContractError(f"{where} names nothing in the spec")
        if change.get("remove"):
            del parent[parts[-1]]
        else:
            parent[parts[-1]] = copy.deepcopy(change["value"])
    return changed


def _check_release(
    release_raw: Mapping[str, Any], catalog: Mapping[str, Any], catalog_path: Path, folder: Path
) -> None:
    """A release's changes each quote the sentence of a vendored document they rest on, as requirements do."""
    documents = _documents(catalog, folder)
    for change in release_raw.get("changes", ()):
        source = documents.get(change["source"])
        if source is None:
            raise ContractError(f"{catalog_path}: a release change at {change['at']} cites unknown document")
        label = f"release change at {change['at']}"
        _check_quote(label, " ".join(change["quote"].split()), source, catalog_path, folder, {})


def _cross_check(contract: Contract, catalog_path: Path) -> None:
    """The spec's semantics, its catalog and its OpenAPI document agree; the inputs the property tests
    generate are within bounds."""
    spec_path, folder = contract.spec_path, contract.spec_path.parent
    ids = [requirement.id for requirement in contract.requirements]
    duplicates = sorted({rid for rid in ids if ids.count(rid) > 1})
    if duplicates:
        raise ContractError(f"{catalog_path}: duplicate requirement IDs {duplicates}")
    unknown = sorted(set(contract.semantics.requirement_ids()) - set(ids))
    if unknown:
        raise ContractError(f"{spec_path}: x-apiconform names requirements missing from the catalog: {unknown}")
    _check_quotes(contract.requirements, catalog_path, folder)
    # Each list form a filter is sent in is judged by its own requirement.
    forms = {"comma": ("comma-list",), "repeated": ("repeated-list",), "both": ("comma-list", "repeated-list")}
    for flt in contract.semantics.filters.values():
        missing = [key for key in forms.get(flt.list, ()) if key not in contract.semantics.filter_requirements]
        if missing:
            raise ContractError(
                f"{spec_path}: filter {flt.param} (list: {flt.list}) needs filter-requirements {missing}"
            )
    for join in contract.semantics.joins.values():
        contract.operation_path(join.operation)
    undeclared = sorted(set(_parameters_named(contract.semantics)) - set(contract.query_parameters()))
    if undeclared:
        raise ContractError(
            f"{spec_path}: x-apiconform uses query parameters the operation does not declare: {undeclared}"
        )
    unattributed = sorted(set(contract.constrained_parameters()) - set(contract.invalid_value_requirements()))
    if unattributed:
        raise ContractError(
            f"{spec_path}: constrained query parameters without an invalid-inputs example: {unattributed}"
        )
    _check_generated_inputs(contract)


# The most schema objects (with their $refs followed) in a parameter or request body of the list operation,
# which the property tests generate values for. schemathesis' coverage phase works through nested objects'
# properties combinatorially while pytest collects, before the first request and outside --max-time: a
# query parameter of 1,100 objects cost it 23 s, one of 1,000 values in an enum nothing. A query
# parameter's schema is a handful of objects.
MAX_GENERATED_OBJECTS = 200


def _check_generated_inputs(contract: Contract) -> None:
    """Refuse a list operation whose parameters or request body schemathesis could not generate values for
    in bounded time: a schema there that refers back to itself (recursion, which schemathesis unrolls
    combinatorially: 30 properties of the schema's own kind ran for minutes), or one of more than
    MAX_GENERATED_OBJECTS objects. Recursive schemas elsewhere (a response's tree of records) are fine:
    replies are only validated against them."""
    operation = contract.operation()
    item = contract.openapi["paths"][contract.list_path]
    inputs = [*item.get("parameters", ()), *operation.get("parameters", ())]
    if "requestBody" in operation:
        inputs.append(operation["requestBody"])
    for declared in inputs:
        name = contract.resolve(declared).get("name")
        label = "request body" if name is None else f"parameter {datafiles.excerpt(name)}"
        _GeneratedInput(contract, label).visit(declared)


class _GeneratedInput:
    """One parameter or request body of the list operation, walked with its $refs followed (see
    `_check_generated_inputs`)."""

    def __init__(self, contract: Contract, label: str) -> None:
        self.contract = contract
        self.label = label
        self.objects = 0
        self.inside: list[int] = []  # the objects the walk is in, by identity

    def visit(self, node: Any) -> None:
        if isinstance(node, list):
            for child in node:
                self.visit(child)
        if not isinstance(node, dict):
            return
        where = f"{self.contract.spec_path}: the list operation's {self.label}"
        if id(node) in self.inside:
            raise ContractError(
                f"{where} has a schema that refers back to itself (the property tests generate its values, "
                "which must be finite)"
            )
        self.objects += 1
        if self.objects > MAX_GENERATED_OBJECTS:
            raise ContractError(
                f"{where} has more than {MAX_GENERATED_OBJECTS} schema objects with its $refs followed (the "
                "property tests generate its values)"
            )
        self.inside.append(id(node))
        for child in node.values():
            self.visit(child)
        if "$ref" in node:
            self.visit(self.contract.resolve(node))
        self.inside.pop()


# Keys whose string value names another document to fetch or changes what a reference means: refused.
# schemathesis fetches an `externalValue` and any non-local reference (see check_references); `$id` moves
# the base a reference below it resolves against, `$dynamicRef` and `$recursiveRef` are references too.
_FOREIGN_KEYS = ("externalValue", "$id", "$dynamicRef", "$recursiveRef")
# Keys whose value is a reference: each must be a local JSON pointer (`#/...`) to an object of the document.
_REFERENCE_KEYS = ("$ref", "operationRef")


def check_references(document: Mapping[str, Any], spec_path: Path) -> None:
    """Refuse a spec that reaches outside itself, or whose references could not be followed to an end.

    schemathesis follows any reference it is given: to another host with plain `requests` (through the
    proxy settings, with ~/.netrc credentials), to `file://` URLs, to paths relative to the working folder,
    even inside an `enum` value; it fetches an example's `externalValue`. So every `$ref` (and a link's
    `operationRef`), wherever it is, must be a local `#/...` pointer that names an object of this document,
    no chain of references may come back to where it started without reaching that object, and the
    document with its references followed must stay within the limits a YAML file has (datafiles.MAX_DEPTH
    levels, MAX_NODES values). A schema that refers to itself through a property (a tree of nodes) is not
    a cycle: it is a recursive schema, which schemathesis generates and validates to a bounded depth, and
    is measured here up to where it first comes back."""
    stack: list[tuple[Any, tuple[str, ...]]] = [(document, ())]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            for key in _FOREIGN_KEYS:
                if isinstance(node.get(key), str):
                    raise ContractError(f"{spec_path}: {_pointer(where)}: {key} is not allowed in a spec {_REACH}")
            for key in _REFERENCE_KEYS:
                if key in node:
                    _follow(document, {"$ref": node[key]}, spec_path, where=(*where, key))
            stack.extend((value, (*where, str(name))) for name, value in node.items() if isinstance(value, dict | list))
        else:
            stack.extend(
                (value, (*where, str(index))) for index, value in enumerate(node) if isinstance(value, dict | list)
            )
    _extent(document, 1, _Extent(document, spec_path))


_REACH = "(a spec may refer only to its own parts, by local references such as '#/components/schemas/Name')"


def _pointer(where: tuple[str, ...]) -> str:
    """A place in the document as a JSON pointer (each part cut to an excerpt when long or unprintable)."""
    parts = [part.replace("~", "~0").replace("/", "~1") for part in where]
    return "#/" + "/".join(
        part if len(part) <= 60 and part.isprintable() else datafiles.excerpt(part) for part in parts
    )


def _follow(
    document: Mapping[str, Any], node: Mapping[str, Any], spec_path: Path, where: tuple[str, ...] = ()
) -> Mapping[str, Any]:
    """The object a chain of local `$ref`s starting at `node` ends at (`node` itself when it is no reference).

    Raises ContractError for a reference that is not local, names nothing or no object, or comes back."""
    seen: list[str] = []
    while "$ref" in node:
        reference = node["$ref"]
        place = _pointer(where) if where else f"$ref {datafiles.excerpt(reference)}"
        if not isinstance(reference, str) or not (reference == "#" or reference.startswith("#/")):
            shown = datafiles.excerpt(reference, 80)
            raise ContractError(f"{spec_path}: {place}: {shown} refers outside the spec {_REACH}")
        if reference in seen:
            chain = " -> ".join(datafiles.excerpt(item, 80) for item in [*seen, reference])
            raise ContractError(f"{spec_path}: {place}: a cycle of $refs that never reaches a value: {chain}")
        seen.append(reference)
        target = _pointer_target(document, reference)
        if not isinstance(target, dict):
            what = "nothing" if target is _NOWHERE else f"no object (a {type(target).__name__})"
            raise ContractError(f"{spec_path}: {place}: {datafiles.excerpt(reference, 80)} names {what} in the spec")
        node = target
    return node


_NOWHERE = object()  # what a reference to no value of the document names


def _unescaped(part: str) -> str:
    """One part of a JSON pointer as the key it names (RFC 6901: `~1` is `/`, `~0` is `~`)."""
    return part.replace("~1", "/").replace("~0", "~")


def _pointer_target(document: Mapping[str, Any], reference: str) -> Any:
    """The value a local reference (`#/a/b~1c`, percent-encoded as a URI fragment) names, or _NOWHERE."""
    target: Any = document
    if reference == "#":
        return target
    for escaped in unquote(reference.removeprefix("#/")).split("/"):
        part = _unescaped(escaped)
        if isinstance(target, dict) and part in target:
            target = target[part]
        elif isinstance(target, list) and part.isascii() and part.isdigit() and int(part) < len(target):
            target = target[int(part)]
        else:
            return _NOWHERE
    return target


class _Extent:
    """The measuring of a document with its references followed (see `_extent`)."""

    def __init__(self, document: Mapping[str, Any], spec_path: Path) -> None:
        self.document = document
        self.spec_path = spec_path
        # (levels, values) of each object and list measured, by identity: shared parts are measured once.
        self.measured: dict[int, tuple[int, int]] = {}
        # The objects and lists the walk is inside of: a reference back to one of them is a recursion.
        self.open_nodes: set[int] = set()

    def too_deep(self) -> ContractError:
        return ContractError(
            f"{self.spec_path}: nested deeper than {datafiles.MAX_DEPTH} levels with its $refs followed"
        )


def _extent(node: Any, level: int, walk: _Extent) -> tuple[int, int]:
    """(levels, values) of `node`, which stands `level` levels deep, with its `$ref`s followed: a reference
    counts as the object it names, in its place; a reference back to an object it is inside of (a recursive
    schema) counts nothing more. Raises ContractError past datafiles.MAX_DEPTH levels or MAX_NODES values."""
    if not isinstance(node, dict | list):
        return 0, 1
    key = id(node)
    if key in walk.open_nodes:
        return 0, 0
    if level > datafiles.MAX_DEPTH:
        raise walk.too_deep()
    if key not in walk.measured:
        walk.open_nodes.add(key)
        children = list(node.values()) if isinstance(node, dict) else node
        below = [_extent(child, level + 1, walk) for child in children]
        levels = 1 + max((child_levels for child_levels, _ in below), default=0)
        values = 1 + sum(child_values for _, child_values in below)
        if isinstance(node, dict) and "$ref" in node:
            # check_references has followed every chain already: this one ends at an object.
            named = _extent(_follow(walk.document, node, walk.spec_path), level, walk)
            levels, values = max(levels, named[0]), values + named[1]
        walk.open_nodes.discard(key)
        walk.measured[key] = (levels, values)
    levels, values = walk.measured[key]
    if level + levels - 1 > datafiles.MAX_DEPTH:
        raise walk.too_deep()
    if values > datafiles.MAX_NODES:
        raise ContractError(f"{walk.spec_path}: more than {datafiles.MAX_NODES:,} values with its $refs followed")
    return levels, values


def _check_quotes(requirements: tuple[Requirement, ...], catalog_path: Path, folder: Path) -> None:
    """Every quote is in its document's vendored copy, word for word (whitespace aside); " ... " separates
    excerpts that follow each other there. A requirement must rest on the vendor's words, not a paraphrase."""
    texts: dict[Path, str] = {}
    for requirement in requirements:
        _check_quote(requirement.id, requirement.quote, requirement.source, catalog_path, folder, texts)
        _check_rests_on(requirement, catalog_path, folder, texts)


def _vendored_text(label: str, source: Document, catalog_path: Path, folder: Path, texts: dict[Path, str]) -> str:
    """The text of `source`'s vendored copy, whitespace runs as one space; `texts` keeps the copies read."""
    local = source.local
    if local is None:
        raise ContractError(f"{catalog_path}: {label} quotes {source.key}, which has no copy")
    if local not in texts:
        try:
            texts[local] = " ".join(datafiles.read_text(local, inside=folder).split())
        except datafiles.DataFileError as exc:
            raise ContractError(f"{catalog_path}: {label}: {exc}") from None
    return texts[local]


def _check_quote(
    label: str, quote: str, source: Document, catalog_path: Path, folder: Path, texts: dict[Path, str]
) -> None:
    """`quote` is in `source`'s vendored copy (see _check_quotes); `texts` keeps the copies read."""
    text = _vendored_text(label, source, catalog_path, folder, texts)
    position = 0
    for excerpt in quote.split(" ... "):
        found = text.find(" ".join(excerpt.split()), position)
        if found < 0:
            name = source.local.name if source.local else source.key
            raise ContractError(f"{catalog_path}: {label}: {excerpt[:80]!r} is not in {name}")
        position = found + len(" ".join(excerpt.split()))


def _check_rests_on(requirement: Requirement, catalog_path: Path, folder: Path, texts: dict[Path, str]) -> None:
    """Each demand's words are in the requirement's quote, or, for a demand resting on another document,
    in that document's vendored copy (whitespace aside): a demand rests on words a reviewer can find."""
    for item in requirement.rests_on:
        if item.source == requirement.source:
            where, text = "its quote", " ".join(requirement.quote.split())
        else:
            text = _vendored_text(requirement.id, item.source, catalog_path, folder, texts)
            where = item.source.local.name if item.source.local else item.source.key
        if item.words not in text:
            raise ContractError(
                f"{catalog_path}: {requirement.id}: the words {item.demand!r} rests on, {item.words[:80]!r}, "
                f"are not in {where}"
            )


def _parameters_named(semantics: Semantics) -> Iterator[str]:
    """Every query parameter the semantics use."""
    yield semantics.paging.position_param
    yield semantics.paging.size_param
    yield from semantics.filters
    for flt in semantics.filters.values():
        for alternate in flt.alternates:
            yield from alternate.query
    if semantics.ordering.sort:
        yield semantics.ordering.sort.field_param
        yield semantics.ordering.sort.direction_param
    for block in (semantics.projection, semantics.representations):
        if block:
            yield block.param
    for expectation in (*semantics.invalid_inputs, *semantics.tolerated_inputs):
        yield from expectation.query
    for query, _ in semantics.change_probes:
        yield from query


def load_all() -> list[Contract]:
    """Every API's contract in the specs folder (test and benchmark support: a run loads only the APIs it
    tests, through engine/config.py)."""
    return [load(api) for api in api_names()]
