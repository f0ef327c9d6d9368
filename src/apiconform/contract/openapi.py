"""`Contract`, one API: its OpenAPI document with the operation lookup, `$ref` resolution and schema validators
the checks use; and `check_references`, which keeps a spec's references inside the document before
anything follows them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jsonschema

from apiconform import datafiles
from apiconform.contract.model import ContractError, Release, Requirement, Semantics


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
        # OpenAPI: without `servers`, or with none listed, the server is "/" (DRF's generateschema lists none).
        server = (self.openapi.get("servers") or [{"url": "/"}])[0]
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
        target = reference_target(document, reference)
        if not isinstance(target, dict):
            what = "nothing" if target is _NOWHERE else f"no object (a {type(target).__name__})"
            raise ContractError(f"{spec_path}: {place}: {datafiles.excerpt(reference, 80)} names {what} in the spec")
        node = target
    return node


_NOWHERE = object()  # what a reference to no value of the document names


def unescaped(part: str) -> str:
    """One part of a JSON pointer as the key it names (RFC 6901: `~1` is `/`, `~0` is `~`)."""
    return part.replace("~1", "/").replace("~0", "~")


def reference_target(document: Mapping[str, Any], reference: str) -> Any:
    """The value a local reference (`#/a/b~1c`, percent-encoded as a URI fragment) names, or _NOWHERE (the
    loader's reading of a `$ref`; `apiconform init` follows references with it too)."""
    target: Any = document
    if reference == "#":
        return target
    for escaped in unquote(reference.removeprefix("#/")).split("/"):
        part = unescaped(escaped)
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
