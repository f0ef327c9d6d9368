"""`apiconform init`: a starting spec folder written from the owner's OpenAPI document.

From the document alone it finds the list operation (a GET whose 200 reply is an array, or an object holding
one), recognises its paging, sort and filter parameters by their names and schema types, and writes what it
recognised as an `x-apiconform` block in the vocabulary the schema accepts, a requirement catalog and a
sources folder. The sources folder holds the document's own description texts, so that every quote is the
document's words: a rule a description states (a sentence found by the words such a sentence uses) is a MUST
quoting that sentence; a rule no sentence states is an inferred SHOULD whose note says, as a TODO, what the
owner should quote. The written spec is then loaded like any other (`contract.load_spec`), so what `init`
leaves runs (`apiconform catalog --spec`).

Only the contract and the guarded file reading are used here (no engine), so `init --help` stays light.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from apiconform import contract, datafiles

# Query parameter names by the part they play (the conventions of common list APIs: page-number paging,
# offset/limit, json-server's `_page`/`_limit`/`_start`, `_sort`/`_order`, Datasette's `_next`/`_size`).
PAGE_NUMBER_NAMES = ("page", "pageNumber", "page_number", "_page")
PAGE_SIZE_NAMES = ("page_size", "pageSize", "per_page", "perPage", "size", "limit", "_limit", "_size")
OFFSET_NAMES = ("offset", "_start", "start")
LIMIT_NAMES = ("limit", "_limit", "page_size", "pageSize")
# Cursor paging: a string query parameter carrying the cursor, and a string property at the root of the 200
# reply naming the next page (a URL when its format is `uri`, as Django REST framework's `next`, else a token),
# or, with no such property, a declared `Link` response header (its `next` link).
CURSOR_NAMES = ("cursor", "page_token", "pageToken", "_next")
NEXT_NAMES = ("next", "next_cursor", "nextCursor", "next_page_token", "nextPageToken")
SORT_FIELD_NAMES = ("sort", "sortField", "sort_by", "sortBy", "_sort")
SORT_DIRECTION_NAMES = ("order", "_order", "sortOrder", "sort_order", "direction", "dir")
# A single sort parameter whose `-` prefix asks for descending order (Django REST framework's OrderingFilter:
# `ordering=-price`): order.sort.descending-prefix, when its description or example shows the prefix.
PREFIXED_SORT_NAMES = ("ordering", "sort", "order_by", "orderBy")
# One sort parameter per direction, the descending one named with this suffix (Datasette: `_sort=price`,
# `_sort_desc=price`): order.sort.direction-params.
DESCENDING_PARAM_SUFFIX = "_desc"
# Filter names with an operator, by the lookup the operator asks for (D-GEN-90): django-filter's lookups after
# `__` (`price__gte`, `name__icontains`, `category__in`; Datasette spells its filters so too, and `color__not`),
# json-server's after `_` (`price_gte`, `id_ne`, `title_like`, a regular expression), and django-filter's
# `exclude=True` filters named `exclude_<field>`. A range becomes decimal-*, instant-* or text-* by the record
# field's schema; `in` is exact matching of a list.
DOUBLE_UNDERSCORE_LOOKUPS = {
    "exact": "exact",
    "gt": "range-gt",
    "gte": "range-gte",
    "lt": "range-lt",
    "lte": "range-lte",
    "in": "in",
    "not": "not-equal",
    "contains": "contains",
    "icontains": "icontains",
    "startswith": "starts-with",
    "regex": "regex",
}
SINGLE_UNDERSCORE_LOOKUPS = {"gte": "range-gte", "lte": "range-lte", "ne": "not-equal", "like": "regex"}
EXCLUDE_PREFIX = "exclude_"
# Lookups that compare text only (a substring or a regular expression of a number field is left to the owner).
TEXT_LOOKUPS = ("contains", "icontains", "starts-with", "regex")
# How each match kind selects, for the requirement's title.
MATCH_PHRASES = {
    "exact": "equals the value",
    "not-equal": "differs from the value",
    "gt": "is above the value",
    "gte": "is at or above the value",
    "lt": "is below the value",
    "lte": "is at or below the value",
    "contains": "contains the value",
    "icontains": "contains the value, whatever the letter case",
    "starts-with": "starts with the value",
    "regex": "matches the value as a regular expression",
}
# Counts: an integer property beside the records array in the 200 reply (Django REST framework's `count`), or
# a declared response header (json-server's and many others' X-Total-Count); compared case-insensitively.
TOTAL_PROPERTY_NAMES = ("count", "total", "totalCount", "total_count", "totalResults", "total_results")
TOTAL_HEADER_NAMES = ("x-total-count", "x-total", "total-count", "x-total-results")
LINK_HEADER = "link"
NUMBER_TYPES = ("integer", "number")
ASCENDING_WORDS = ("asc", "ascending", "up")
DESCENDING_WORDS = ("desc", "descending", "down")

# The words a sentence stating each rule uses (lower-case, matched as words or word starts).
RULE_WORDS = {
    "size-bound": ("at most", "maximum", "max", "up to", "no more than", "number of"),
    "skip": ("skip", "offset", "page number", "which page", "start", "page of"),
    "first-page-default": ("default", "first page", "without", "omitted", "not given"),
    "past-end": ("empty", "past the", "beyond", "no more", "last page"),
    "cursor": ("next page", "every record", "each record once", "no record twice"),
    "cursor-end": ("last page", "no next", "null", "no more"),
    "stable": ("same order", "stable", "consistent order", "deterministic"),
    "sort-field": ("sort", "order"),
    "sort-direction": ("asc", "desc", "direction", "prefix", "reverse"),
    "total": ("total", "count", "number of", "how many"),
    "filter": ("return", "match", "only", "filter", "equal", "select"),
    "and": ("combined", "all of", "and-ed", "each of", "both"),
    "invalid": ("400", "invalid", "rejected", "bad request", "error"),
}

# The rules a sentence of the operation's own description may state; a parameter's rule is looked for in
# that parameter's description only (the operation's "Returns the widgets." states no filter).
OPERATION_RULES = ("past-end", "cursor-end", "stable", "and")

SOURCE_KEY = "openapi"
SOURCE_FILE = "sources/openapi-descriptions.txt"
CATALOG_FILE = "requirements.yaml"
PREFIX = "LIST"


class InitError(Exception):
    """Bad input to `init`: reported in one line, exit code 2."""


@dataclass
class Draft:
    """What `init` writes: the x-apiconform block, the catalog's requirements, and the TODOs for the owner."""

    semantics: dict[str, Any] = field(default_factory=dict)
    requirements: list[dict[str, Any]] = field(default_factory=list)
    todos: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Texts:
    """The document's description texts as the sources file holds them, and the operation's heading line
    (the quote of a requirement no sentence states)."""

    heading: str
    operation: tuple[str, ...]
    parameters: Mapping[str, tuple[str, ...]]
    # The 200 reply's descriptions init quotes (a count's header or property), under their heading line in
    # the sources file ("Reply header X-Total-Count"); filled as they are recognised.
    replies: dict[str, tuple[str, ...]] = field(default_factory=dict)


def read_document(path: Path) -> dict[str, Any]:
    """The OpenAPI 3.x document at `path` (JSON or YAML), read the guarded way, its references local."""
    try:
        if path.suffix.lower() == ".json":
            text = datafiles.read_text(path)
            try:
                document = json.loads(text)
            except json.JSONDecodeError as exc:
                raise InitError(f"{path}: not JSON at line {exc.lineno}: {exc.msg}") from None
        else:
            document = datafiles.read_yaml(path)
    except datafiles.DataFileError as exc:
        raise InitError(str(exc)) from None
    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3."):
        raise InitError(f"{path}: not an OpenAPI 3.x document (no `openapi: 3.x` at its top)")
    if not isinstance(document.get("paths"), dict):
        raise InitError(f"{path}: an OpenAPI document without `paths`")
    try:
        contract.check_references(document, path)
    except contract.ContractError as exc:
        raise InitError(str(exc)) from None
    return document


def _resolve(document: Mapping[str, Any], node: Any) -> Any:
    """`node` with its local `$ref`s followed, as the loader reads them (check_references has made sure
    they end, each at an object)."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        node = contract.reference_target(document, node["$ref"])
    return node


def _pointer(name: str) -> str:
    return "/" + name.replace("~", "~0").replace("/", "~1")


def list_operations(document: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """The GET operations whose 200 JSON reply is an array or an object holding one: operationId ->
    (path, records pointer)."""
    found = {}
    for path, item in document["paths"].items():
        operation = _resolve(document, item).get("get") if isinstance(item, dict) else None
        if not isinstance(operation, dict) or not isinstance(operation.get("operationId"), str):
            continue
        records = _records_pointer(document, operation)
        if records is not None:
            found[operation["operationId"]] = (str(path), records)
    return found


def _reply_schema(document: Mapping[str, Any], operation: Mapping[str, Any]) -> Any:
    responses = {str(status): reply for status, reply in (operation.get("responses") or {}).items()}
    content = _resolve(document, responses.get("200", {})).get("content") or {}
    for media_type, body in content.items():
        if "json" in str(media_type):
            return _resolve(document, (body or {}).get("schema", {}))
    return {}


def _reply_headers(document: Mapping[str, Any], operation: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The headers the 200 reply declares, by their name as the document spells it."""
    responses = {str(status): reply for status, reply in (operation.get("responses") or {}).items()}
    headers = _resolve(document, responses.get("200", {})).get("headers") or {}
    found: dict[str, Mapping[str, Any]] = {}
    for name, header in headers.items() if isinstance(headers, dict) else ():
        resolved = _resolve(document, header)
        found[str(name)] = resolved if isinstance(resolved, dict) else {}
    return found


def _types(schema: Any) -> set[str]:
    """The JSON types a schema allows (OpenAPI 3.1's type lists and 3.0's `nullable` alike); empty: any."""
    if not isinstance(schema, dict):
        return set()
    kind = schema.get("type")
    types = {str(each) for each in kind} if isinstance(kind, list) else ({str(kind)} if kind else set())
    return types | ({"null"} if schema.get("nullable") is True else set())


def _records_pointer(document: Mapping[str, Any], operation: Mapping[str, Any]) -> str | None:
    schema = _reply_schema(document, operation)
    if not isinstance(schema, dict):
        return None
    if schema.get("type") == "array":
        return ""
    for name, property_schema in (schema.get("properties") or {}).items():
        if _resolve(document, property_schema).get("type") == "array":
            return _pointer(str(name))
    return None


def _record_properties(document: Mapping[str, Any], operation: Mapping[str, Any], records: str) -> dict[str, Any]:
    schema = _reply_schema(document, operation)
    array = schema if records == "" else _resolve(document, schema["properties"][contract.unescaped(records[1:])])
    item = _resolve(document, array.get("items", {}))
    properties = item.get("properties") if isinstance(item, dict) else None
    return {str(name): _resolve(document, value) for name, value in (properties or {}).items()}


def _sentences(text: Any) -> tuple[str, ...]:
    """A description's sentences, whitespace runs as one space (as quotes are checked)."""
    if not isinstance(text, str):
        return ()
    return tuple(part for part in re.split(r"(?<=[.!?])\s+", " ".join(text.split())) if part)


def _stating(sentences: Iterable[str], rule: str) -> str | None:
    """The first sentence using the words a sentence stating `rule` uses."""
    for sentence in sentences:
        lowered = sentence.lower()
        if any(re.search(r"(?<![a-z0-9])" + re.escape(word), lowered) for word in RULE_WORDS[rule]):
            return sentence
    return None


def _slug(text: Any, fallback: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or fallback


def choose_operation(document: Mapping[str, Any], wanted: str | None, path: Path) -> tuple[str, str, str]:
    """(operationId, path, records pointer) of the list operation `wanted` names, or of the only one."""
    found = list_operations(document)
    listed = ", ".join(found) or "none"
    if wanted is not None:
        if wanted not in found:
            raise InitError(
                f"{path}: --operation {datafiles.excerpt(wanted)} is not a list operation; they are: {listed}"
            )
        return (wanted, *found[wanted])
    if not found:
        raise InitError(
            f"{path}: no list operation (a GET with an operationId whose 200 JSON reply is an array, or an "
            "object holding one)"
        )
    if len(found) > 1:
        raise InitError(f"{path}: {len(found)} list operations; choose one with --operation: {listed}")
    operation_id = next(iter(found))
    return (operation_id, *found[operation_id])


class _Writer:
    """Builds the Draft for one list operation."""

    def __init__(self, document: Mapping[str, Any], operation_id: str, path: str, records: str) -> None:
        self.document = document
        self.operation_id = operation_id
        item = _resolve(document, document["paths"][path])
        self.operation = item["get"]
        self.parameters: dict[str, Mapping[str, Any]] = {}
        for declared in [*item.get("parameters", ()), *self.operation.get("parameters", ())]:
            parameter = _resolve(document, declared)
            if (
                isinstance(parameter, dict)
                and parameter.get("in") == "query"
                and isinstance(parameter.get("name"), str)
            ):
                self.parameters[parameter["name"]] = parameter
        self.records = records
        self.fields = _record_properties(document, self.operation, records)
        self.draft = Draft()
        self.heading = f"GET {path} (operationId {operation_id})"
        self.texts = Texts(
            self.heading,
            _sentences(self.operation.get("summary")) + _sentences(self.operation.get("description")),
            {name: _sentences(parameter.get("description")) for name, parameter in self.parameters.items()},
        )

    def schema(self, name: str) -> Mapping[str, Any]:
        resolved = _resolve(self.document, self.parameters[name].get("schema", {}))
        return resolved if isinstance(resolved, dict) else {}

    def requirement(self, rid: str, family: str, title: str, rule: str, checks: list[str], where: Iterable[str]) -> str:
        """Add requirement `rid`: a MUST quoting the first sentence of the parameters `where` names (then,
        for OPERATION_RULES, the operation's) stating `rule`, or an inferred SHOULD with a TODO."""
        sentences = [
            s for name in where for s in (*self.texts.parameters.get(name, ()), *self.texts.replies.get(name, ()))
        ]
        if rule in OPERATION_RULES:
            sentences += self.texts.operation
        stated = _stating(sentences, rule)
        entry: dict[str, Any] = {"id": rid, "level": "MUST", "basis": "stated", "family": family, "title": title}
        if stated is None:
            todo = (
                f"TODO: no description in the document states this rule; quote the sentence that does (add it "
                f"to the document and to {SOURCE_FILE}) and make it a MUST, or keep it as this SHOULD"
            )
            entry.update(level="SHOULD", basis="inferred", **{"basis-note": todo})
            self.draft.todos.append(f"{rid}: {title}: no sentence states it")
        entry.update(quote=stated or self.heading, source=SOURCE_KEY, checks=checks)
        self.draft.requirements.append(entry)
        return rid

    def first(self, names: Iterable[str], types: tuple[str, ...] = NUMBER_TYPES) -> str | None:
        for name in names:
            if name in self.parameters and self.schema(name).get("type", types[0]) in types:
                return name
        return None

    def paging(self) -> set[str]:
        page, size = self.first(PAGE_NUMBER_NAMES), self.first(PAGE_SIZE_NAMES)
        offset, limit = self.first(OFFSET_NAMES), self.first(LIMIT_NAMES)
        if page and size:
            style: dict[str, Any]
            position, style = page, {"style": "page-number", "page-param": page, "size-param": size}
            minimum = self.schema(page).get("minimum", self.schema(page).get("default"))
            style["first-page"] = minimum if minimum in (0, 1) else 1
            if minimum not in (0, 1):
                self.draft.todos.append(f"paging.first-page: 1 assumed (the schema of {page} says neither 0 nor 1)")
        elif offset and limit:
            position, size = offset, limit
            style = {"style": "offset-limit", "offset-param": offset, "limit-param": limit}
        elif (cursor := self.cursor()) is not None:
            position, size, style = cursor
        else:
            raise InitError(
                f"{self.operation_id}: no paging parameters apiconform recognises (a page number and a size, "
                f"such as page and page_size, or an offset and a limit, of integer type, or a string cursor "
                f"and a size with a next property or a Link header in the 200 reply)"
            )
        if style["style"] == "cursor":
            self.draft.semantics["paging"] = {**style, "requirements": self.cursor_requirements(position, size)}
            return {position, size}
        skip = "page" if "page-param" in style else "offset"
        requirements = {
            "size-bound": self.size_bound_requirement(size),
            "skip": self.requirement(
                f"{PREFIX}-PAGE-POSITION",
                "paging",
                f"{position} chooses the {skip}: pages tile the list",
                "skip",
                ["pages_tile_one_large_page", "oversize_pages_keep_their_position"],
                [position],
            ),
            "first-page-default": self.requirement(
                f"{PREFIX}-PAGE-FIRST",
                "paging",
                f"Without {position} the first page is answered",
                "first-page-default",
                ["omitted_page_is_first_page"],
                [position],
            ),
            "past-end": self.requirement(
                f"{PREFIX}-PAGE-END",
                "paging",
                "Past the last record the list is empty",
                "past-end",
                ["walk_ends_cleanly"],
                [position, size],
            ),
        }
        self.draft.semantics["paging"] = {**style, "requirements": requirements}
        return {name for name in (page, size, offset, limit) if name}

    def cursor(self) -> tuple[str, str, dict[str, Any]] | None:
        """(cursor parameter, size parameter, paging block) for cursor paging, when the document has a string
        cursor parameter, a size and a string property at the root of the 200 reply that names the next page."""
        cursor, size = self.first(CURSOR_NAMES, ("string",)), self.first(PAGE_SIZE_NAMES)
        reply = _reply_schema(self.document, self.operation)
        properties = (reply.get("properties") or {}) if isinstance(reply, dict) else {}
        named = next((name for name in NEXT_NAMES if name in properties), None)
        if cursor is None or size is None:
            return None
        if named is None:
            # No next page in the body: a declared RFC 8288 Link header names it (GitHub's, and many more).
            if LINK_HEADER not in {name.lower() for name in _reply_headers(self.document, self.operation)}:
                return None
            return (
                cursor,
                size,
                {"style": "cursor", "cursor-param": cursor, "size-param": size, "next": {"link": "next"}},
            )
        schema = _resolve(self.document, properties[named])
        if "string" not in _types(schema):
            return None
        location = "body-url" if schema.get("format") in ("uri", "uri-reference", "url") else "body-token"
        return (
            cursor,
            size,
            {"style": "cursor", "cursor-param": cursor, "size-param": size, "next": {location: _pointer(named)}},
        )

    def size_bound_requirement(self, size: str) -> str:
        """The size bound, the same for every paging style."""
        return self.requirement(
            f"{PREFIX}-PAGE-SIZE",
            "paging",
            f"A page holds at most {size} records",
            "size-bound",
            ["page_size_bound"],
            [size],
        )

    def cursor_requirements(self, cursor: str, size: str) -> dict[str, str]:
        """The cursor paging rules: the size bound, a walk in small pages tiles one in large pages, a walk ends."""
        return {
            "size-bound": self.size_bound_requirement(size),
            "skip": self.requirement(
                f"{PREFIX}-PAGE-CURSOR",
                "paging",
                f"Following {cursor} from page to page returns every record once, in order",
                "cursor",
                ["pages_tile_one_large_page"],
                [cursor],
            ),
            "past-end": self.requirement(
                f"{PREFIX}-PAGE-END",
                "paging",
                "The last page names no next page",
                "cursor-end",
                ["walk_ends_cleanly"],
                [cursor, size],
            ),
        }

    def order(self) -> set[str]:
        requirements = {
            "stable": self.requirement(
                f"{PREFIX}-ORDER-STABLE",
                "sort",
                "The same query returns the records in the same order",
                "stable",
                ["order_is_stable"],
                [],
            )
        }
        order: dict[str, Any] = {"requirements": requirements}
        used: set[str] = set()
        sort_param = self.first(SORT_FIELD_NAMES, ("string",))
        direction_param = self.first(SORT_DIRECTION_NAMES, ("string",))
        if (spelt := self.one_parameter_sort() or self.direction_params_sort()) is not None:
            names, sort, field_words, direction_words = spelt
            used |= names
            if sort is not None:
                order["sort"] = sort
                requirements["field"] = self.requirement(
                    f"{PREFIX}-SORT-FIELD",
                    "sort",
                    field_words,
                    "sort-field",
                    ["records_in_order", "sorted_by_each_key"],
                    sorted(names),
                )
                requirements["direction"] = self.requirement(
                    f"{PREFIX}-SORT-DIRECTION",
                    "sort",
                    direction_words,
                    "sort-direction",
                    ["records_in_order", "sorted_by_each_key"],
                    sorted(names),
                )
        elif sort_param and direction_param:
            used |= {sort_param, direction_param}
            sort = self.sort(sort_param, direction_param)
            if sort is not None:
                order["sort"] = sort
                requirements["field"] = self.requirement(
                    f"{PREFIX}-SORT-FIELD",
                    "sort",
                    f"{sort_param} orders the records by that field",
                    "sort-field",
                    ["records_in_order", "sorted_by_each_key"],
                    [sort_param],
                )
                requirements["direction"] = self.requirement(
                    f"{PREFIX}-SORT-DIRECTION",
                    "sort",
                    f"{direction_param} chooses ascending or descending order",
                    "sort-direction",
                    ["records_in_order", "sorted_by_each_key"],
                    [direction_param],
                )
        elif sort_param or direction_param:
            used.add(sort_param or direction_param or "")
            self.draft.todos.append(
                f"{sort_param or direction_param}: a sort parameter without its partner, not described"
            )
        for name in PREFIXED_SORT_NAMES:
            if name in self.parameters and name not in used and name not in (sort_param, direction_param):
                used.add(name)
                self.draft.todos.append(
                    f"{name}: a sort parameter whose description and example show no `-` prefix; if `-field` "
                    "sorts descending (Django REST framework's OrderingFilter), add order.sort with "
                    "descending-prefix and its keys"
                )
        self.draft.semantics["order"] = order
        return used

    def sort_keys(self, values: Iterable[Any]) -> dict[str, Any]:
        """order.sort.keys: each value (a `-` prefix left off) that is a record field, compared by its schema."""
        keys = {}
        for value in values:
            name = str(value).strip().lstrip("-")
            if name in self.fields and name not in keys:
                keys[name] = {"field": _pointer(name), "compare": _compare(self.fields[name])}
        return keys

    def one_parameter_sort(self) -> tuple[set[str], dict[str, Any] | None, str, str] | None:
        """(the parameter, order.sort or None with a TODO, the two requirements' titles) for a single sort
        parameter whose description or example shows a `-` prefix (`ordering=-price`); None when none does."""
        for name in PREFIXED_SORT_NAMES:
            if name not in self.parameters or "string" not in (_types(self.schema(name)) or {"string"}):
                continue
            shown = _examples(self.parameters[name], self.schema(name))
            description = str(self.parameters[name].get("description") or "")
            prefixed = re.findall(r"(?<![\w-])-([A-Za-z_][\w.]*)", description)
            written = re.findall(r"[`'\"=]-?([A-Za-z_][\w.]*)", description)
            if not prefixed and not any(part.strip().startswith("-") for value in shown for part in value.split(",")):
                continue
            candidates = [
                *(self.schema(name).get("enum") or ()),
                *(part for value in shown for part in value.split(",")),
                *prefixed,
                *written,
            ]
            keys = self.sort_keys(candidates)
            if not keys:
                self.draft.todos.append(
                    f"{name}: sorts descending with a `-` prefix, but names no record field it sorts by (an enum, "
                    "an example or the description); add order.sort with its keys by hand"
                )
                return ({name}, None, "", "")
            sort = {"field-param": name, "descending-prefix": "-", "keys": keys}
            return (
                {name},
                sort,
                f"{name} orders the records by that field",
                f"A `-` before the field in {name} reverses the order",
            )
        return None

    def direction_params_sort(self) -> tuple[set[str], dict[str, Any] | None, str, str] | None:
        """(the two parameters, order.sort or None with a TODO, the requirements' titles) for one sort
        parameter per direction (`_sort` and `_sort_desc`, Datasette); None when the document has no pair."""
        for name in SORT_FIELD_NAMES:
            descending = name + DESCENDING_PARAM_SUFFIX
            if name not in self.parameters or descending not in self.parameters:
                continue
            keys = self.sort_keys(
                [*(self.schema(name).get("enum") or ()), *(self.schema(descending).get("enum") or ())]
            )
            if not keys:
                self.draft.todos.append(
                    f"{name}/{descending}: order.sort needs the sort keys as enums of their schemas (keys that are "
                    "record fields); add order.sort with direction-params by hand"
                )
                return ({name, descending}, None, "", "")
            sort = {"direction-params": {name: "asc", descending: "desc"}, "keys": keys}
            return (
                {name, descending},
                sort,
                f"{name} and {descending} order the records by that field",
                f"{name} sorts ascending, {descending} descending",
            )
        return None

    def sort(self, sort_param: str, direction_param: str) -> dict[str, Any] | None:
        """order.sort from the enums of the two parameters; None (with a TODO) when they list no values."""
        directions = {}
        for value in self.schema(direction_param).get("enum") or ():
            word = str(value).lower()
            if word in ASCENDING_WORDS or word in DESCENDING_WORDS:
                directions[str(value)] = "asc" if word in ASCENDING_WORDS else "desc"
        keys = {}
        for value in self.schema(sort_param).get("enum") or ():
            found = self.fields.get(str(value))
            if found is not None:
                keys[str(value)] = {"field": _pointer(str(value)), "compare": _compare(found)}
        if len(directions) < 2 or not keys:
            self.draft.todos.append(
                f"{sort_param}/{direction_param}: order.sort needs the sort keys and directions as enums of "
                "their schemas (keys that are record fields); add order.sort by hand"
            )
            return None
        default = self.schema(direction_param).get("default")
        if str(default) not in directions:
            default = (
                next(value for value, way in directions.items() if way == "asc")
                if "asc" in directions.values()
                else next(iter(directions))
            )
            self.draft.todos.append(f"order.sort.default-direction: {default} assumed (the document gives no default)")
        return {
            "field-param": sort_param,
            "direction-param": direction_param,
            "default-direction": str(default),
            "directions": directions,
            "keys": keys,
        }

    def filters(self, used: set[str]) -> None:
        filters = {}
        for name in self.parameters:
            if name in used:
                continue
            entry = self.filter(name)
            if entry is None:
                continue
            match = entry["match"]
            checks = ["records_match_filters", "filters_select_matching_records"]
            if match == "exact":  # a value no record has selects none (not so for not-equal; D-GEN-90)
                checks.append("unknown_filter_value_matches_nothing")
            field_name = contract.unescaped(entry["field"][1:])
            entry["requirement"] = self.requirement(
                f"{PREFIX}-FILTER-{_slug(name, 'X').upper()}",
                "filter",
                f"{name} returns the records whose {field_name} "
                + ("equals one of the values" if entry["list"] != "single" else _match_phrase(match)),
                "filter",
                checks,
                [name],
            )
            filters[name] = entry
        if not filters:
            return
        lists = {entry["list"] for entry in filters.values()}
        combined = {
            "and": self.requirement(
                f"{PREFIX}-FILTER-AND",
                "filter",
                "Several filters select the records matching all of them",
                "and",
                ["records_match_filters", "filters_select_matching_records"],
                [],
            )
        }
        for form, key, check in (
            ("comma", "comma-list", "comma_list_is_union"),
            ("repeated", "repeated-list", "repeated_list_is_union"),
        ):
            if form in lists:
                combined[key] = self.requirement(
                    f"{PREFIX}-FILTER-{form.upper()}-LIST",
                    "filter",
                    f"A {form} list selects the records of each value",
                    "filter",
                    [check],
                    [name for name, entry in filters.items() if entry["list"] == form],
                )
        self.draft.semantics["filters"] = filters
        self.draft.semantics["filter-requirements"] = combined

    def filter(self, name: str) -> dict[str, Any] | None:
        """The filter entry (without its requirement) a parameter's name and schema make it, or None with a
        TODO: a record field's own name is exact matching; a name with an operator (DOUBLE_UNDERSCORE_LOOKUPS,
        SINGLE_UNDERSCORE_LOOKUPS, EXCLUDE_PREFIX) on a record field is that lookup, when the field's type
        admits it."""
        schema = self.schema(name)
        is_array = schema.get("type") == "array"
        items = _resolve(self.document, schema.get("items", {})) if is_array else schema
        found = _lookup(name, self.fields)
        if (
            found is None
            or not isinstance(items, dict)
            or items.get("type", "string") not in ("string", *NUMBER_TYPES, "boolean")
        ):
            self.draft.todos.append(
                f"{name}: a query parameter not recognised as a filter (no record field of that name, nor a "
                "field with an operator apiconform knows)"
            )
            return None
        field_name, lookup = found
        field_schema = self.fields[field_name]
        field_types = _types(field_schema) - {"null"}
        match: str | None = lookup
        if lookup.startswith("range-"):
            bound = lookup.removeprefix("range-")
            if field_types and field_types <= set(NUMBER_TYPES):
                match = f"decimal-{bound}"
            elif field_types == {"string"}:
                match = f"{_compare(field_schema)}-{bound}"
            else:
                match = None
        elif lookup in TEXT_LOOKUPS and field_types != {"string"}:
            match = None
        if match is None:
            self.draft.todos.append(
                f"{name}: {lookup.removeprefix('range-')} on {field_name}, a field of type "
                f"{'/'.join(sorted(field_types)) or 'unknown'}: no match kind for it; describe it by hand"
            )
            return None
        form = _list_form(self.parameters[name], is_array)
        single_only = lookup.startswith("range-") or lookup == "not-equal"
        if single_only and form != "single":
            self.draft.todos.append(f"{name}: a {match} filter takes one value, but the document lists several")
            return None
        if lookup == "in":
            match = "exact"
            if form == "single":
                form = "comma"
                self.draft.todos.append(
                    f"{name}: `in` with no list form in its schema or description; comma assumed (django-filter's "
                    "and Datasette's form)"
                )
        return {"field": _pointer(field_name), "match": match, "list": form}

    def counts(self) -> None:
        """counts.total-pointer or counts.total-header from the 200 reply: an integer property beside the
        records array, or a declared total count header (D-GEN-91)."""
        location: dict[str, str] = {}
        reply = _reply_schema(self.document, self.operation)
        properties = (reply.get("properties") or {}) if isinstance(reply, dict) and self.records else {}
        named = next((name for name in TOTAL_PROPERTY_NAMES if name in properties), None)
        described = label = ""
        if named is not None and _types(_resolve(self.document, properties[named])) - {"null"} == {"integer"}:
            location = {"total-pointer": _pointer(named)}
            described, label = f"Reply property {named}", f"{named} in the reply"
            self.texts.replies[described] = _sentences(_resolve(self.document, properties[named]).get("description"))
        else:
            headers = _reply_headers(self.document, self.operation)
            by_lower = {name.lower(): name for name in headers}
            header = next((by_lower[name] for name in TOTAL_HEADER_NAMES if name in by_lower), None)
            if header is not None:
                location = {"total-header": header}
                described, label = f"Reply header {header}", f"The {header} header"
                self.texts.replies[described] = _sentences(headers[header].get("description"))
        if not location:
            return
        self.draft.semantics["counts"] = {
            **location,
            "total-requirement": self.requirement(
                f"{PREFIX}-COUNT-TOTAL",
                "counts",
                f"{label} is the number of records the query matches in all pages",
                "total",
                ["total_count_present", "total_count_on_first_page", "total_count_invariant"],
                [described],
            ),
        }

    def rejected_values(self) -> None:
        """Where the document declares a 400 reply, each constrained parameter's ruled-out value: rejected
        (a MUST) where its description says so, else tolerated as rejected or answered (a SHOULD, TODO)."""
        responses = {str(status) for status in (self.operation.get("responses") or {})}
        if not responses & {"400", "4XX"}:
            return
        invalid, tolerated = [], []
        for name in self.parameters:
            value = _ruled_out_value(self.schema(name), _resolve(self.document, self.schema(name).get("items", {})))
            if value is None:
                continue
            stated = _stating(self.texts.parameters.get(name, ()), "invalid")
            if stated:
                rid = self.requirement(
                    f"{PREFIX}-INVALID-{_slug(name, 'X').upper()}",
                    "errors",
                    f"An invalid {name} is answered 400",
                    "invalid",
                    ["invalid_inputs_rejected", "negative_data_rejection"],
                    [name],
                )
                invalid.append({"query": {name: value}, "requirement": rid})
            else:
                tolerated.append({"query": {name: value}, "accept": ["rejected", "answered"]})
        if tolerated:
            rid = f"{PREFIX}-INVALID-TOLERATED"
            self.draft.requirements.append(
                {
                    "id": rid,
                    "level": "SHOULD",
                    "basis": "inferred",
                    "basis-note": (
                        "TODO: the document declares a 400 reply but says of these values only what their schema "
                        "rules out; where it says they are refused, move them to invalid-inputs under a MUST "
                        "quoting that sentence"
                    ),
                    "family": "errors",
                    "title": "A value the schema rules out is refused or answered, never a 5xx",
                    "quote": self.heading,
                    "source": SOURCE_KEY,
                    "checks": ["tolerated_inputs_answered"],
                }
            )
            self.draft.todos.append(f"{rid}: values the schema rules out are tolerated (rejected or answered)")
            for each in tolerated:
                each["requirement"] = rid
            self.draft.semantics["tolerated-inputs"] = tolerated
        if invalid:
            self.draft.semantics["invalid-inputs"] = invalid


def _lookup(name: str, fields: Mapping[str, Any]) -> tuple[str, str] | None:
    """(record field, lookup) a filter parameter's name spells, or None. A field's own name wins (a field
    `name` is exact matching on `name`, never `_ne` on `na`), then `__<lookup>`, `_<lookup>`, `exclude_`."""
    if name in fields:
        return (name, "exact")
    if name.startswith(EXCLUDE_PREFIX) and name.removeprefix(EXCLUDE_PREFIX) in fields:
        return (name.removeprefix(EXCLUDE_PREFIX), "not-equal")
    for separator, lookups in (("__", DOUBLE_UNDERSCORE_LOOKUPS), ("_", SINGLE_UNDERSCORE_LOOKUPS)):
        base, _, operator = name.rpartition(separator)
        if base in fields and operator in lookups:
            return (base, lookups[operator])
    return None


def _match_phrase(match: str) -> str:
    """How a match kind selects, in words (a range's words whatever it compares: `decimal-gt` as `gt`)."""
    kind, _, bound = match.partition("-")
    return MATCH_PHRASES[bound if kind in ("decimal", "text", "instant") else match]


def _list_form(parameter: Mapping[str, Any], is_array: bool) -> str:
    """How a parameter's list of values travels: an array schema says it (explode: repeated, else comma), a
    description saying "comma" says comma; otherwise one value."""
    if is_array:
        return "repeated" if parameter.get("explode", True) else "comma"
    return "comma" if re.search(r"\bcomma", str(parameter.get("description") or ""), re.IGNORECASE) else "single"


def _examples(parameter: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """The example values a parameter declares (its own, its examples', its schema's), as text."""
    values = [parameter.get("example"), schema.get("example")]
    examples = parameter.get("examples")
    if isinstance(examples, dict):
        values += [each.get("value") for each in examples.values() if isinstance(each, dict)]
    if isinstance(schema.get("examples"), list):
        values += schema["examples"]
    return [str(value) for value in values if isinstance(value, (str, int, float)) and not isinstance(value, bool)]


def _compare(schema: Mapping[str, Any]) -> str:
    if schema.get("type") in NUMBER_TYPES:
        return "decimal"
    return "instant" if schema.get("format") == "date-time" else "text"


def _ruled_out_value(schema: Mapping[str, Any], items: Any) -> str | None:
    """A value the parameter's schema rules out (the rule contract.Contract.constrained_parameters uses),
    or None when it rules none out."""
    for node in (schema, items if isinstance(items, dict) else {}):
        if node.get("type") in NUMBER_TYPES:
            return "ten"
        if "enum" in node:
            return "no-such-value"
        if "format" in node:
            return f"not-a-{node['format']}"
        if "pattern" in node:
            return "no-such-value"
        if isinstance(node.get("minimum"), (int, float)):
            return str(node["minimum"] - 1)
    return None


def draft_for(document: Mapping[str, Any], operation_id: str, path: str, records: str) -> tuple[Draft, Texts, str]:
    """The Draft for the list operation, the description texts, and the API's name."""
    writer = _Writer(document, operation_id, path, records)
    info = _info(document)
    api = _slug(info.get("title"), "my-api")
    identifier = next((name for name in writer.fields if name == "id"), None) or next(
        (name for name in writer.fields if name.lower().endswith("id")), None
    )
    if identifier != "id":
        writer.draft.todos.append(f"list.id: {_pointer(identifier or 'id')} assumed as the records' unique id")
    used = writer.paging() | writer.order()
    writer.counts()
    writer.filters(used)
    writer.rejected_values()
    writer.draft.semantics = {
        "api": api,
        "title": f"{info.get('title', api)} - {operation_id}",
        "catalog": CATALOG_FILE,
        "list": {"operation": operation_id, "records": records, "id": _pointer(identifier or "id")},
        **writer.draft.semantics,
    }
    return writer.draft, writer.texts, api


def _sources_text(document: Mapping[str, Any], texts: Texts, source: Path) -> str:
    info = _info(document)
    lines = [
        f"The description texts of {info.get('title', 'the API')} {info.get('version', '')} ({source.name}), "
        "copied by apiconform init so that the catalog's quotes are the document's own words.",
        "",
        texts.heading,
        *texts.operation,
    ]
    for name, sentences in texts.parameters.items():
        lines += ["", f"Query parameter {name}", *sentences]
    for heading, sentences in texts.replies.items():
        lines += ["", heading, *sentences]
    return "\n".join(lines) + "\n"


def _info(document: Mapping[str, Any]) -> Mapping[str, Any]:
    info = document.get("info")
    return info if isinstance(info, dict) else {}


def _dump(value: Any) -> str:
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, width=110)


def write(source: Path, output: Path | None, wanted: str | None, force: bool) -> tuple[Path, Draft]:
    """Write the spec folder for `source`'s list operation; return the spec's path and what was drafted."""
    document = read_document(source)
    operation_id, path, records = choose_operation(document, wanted, source)
    draft, texts, api = draft_for(document, operation_id, path, records)
    folder = output if output is not None else Path(api)
    if folder.exists() and not force:
        raise InitError(f"{folder}: already exists (--force writes over the files init writes there)")
    spec = copy.deepcopy(dict(document))
    spec["x-apiconform"] = draft.semantics
    catalog: dict[str, Any] = {
        "api": api,
        "spec": f"{api}.openapi.yaml",
        "documents": {
            SOURCE_KEY: {
                "title": f"{_info(document).get('title', api)}: the OpenAPI document's descriptions",
                "local": SOURCE_FILE,
            }
        },
        "requirements": draft.requirements,
    }
    todo_lines = "".join(f"#   {todo}\n" for todo in draft.todos) or "#   none\n"
    header = f"# Written by `apiconform init {source.name}`; review it before you rely on it. TODO:\n{todo_lines}"
    try:
        (folder / "sources").mkdir(parents=True, exist_ok=True)
        (folder / SOURCE_FILE).write_text(_sources_text(document, texts, source), encoding="utf-8")
        (folder / CATALOG_FILE).write_text(header + _dump(catalog), encoding="utf-8")
        spec_path = folder / catalog["spec"]
        spec_path.write_text(header + _dump(spec), encoding="utf-8")
    except OSError as exc:
        raise InitError(f"{folder}: cannot write: {exc.strerror or exc}") from None
    try:
        contract.load_spec(spec_path.resolve())
    except contract.ContractError as exc:
        raise InitError(f"the written spec does not load ({exc}); please report this with the document") from None
    return spec_path, draft
