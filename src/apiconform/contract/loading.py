"""Finding and loading contracts: the specs folder and the APIs in it, YAML read within the data-file limits,
validation against the schemas in `specs/schemas/`, vendor releases, the cross-checks between a spec, its
catalog and its OpenAPI document, and the quotes checked word for word against the vendored sources."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from apiconform import datafiles
from apiconform.contract.model import (
    PAGING_STYLES,
    ContractError,
    Document,
    Release,
    Requirement,
    RestsOn,
    Semantics,
    from_raw,
)
from apiconform.contract.openapi import Contract, check_references, unescaped


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
    packaged = importlib.resources.files("apiconform") / "specs"
    source = Path(__file__).resolve().parents[3] / "specs"  # this file is src/apiconform/contract/loading.py
    for candidate in (packaged, source):
        if isinstance(candidate, Path) and candidate.is_dir():
            return candidate
    raise ContractError(f"specs folder not found at {packaged} or {source} (set APICONFORM_SPECS to the specs folder)")


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


def path_parameter_options(spec: Path | None = None) -> dict[str, set[str]]:
    """The shorthand options the specs folder's specs (and the spec file `spec`, when given: `--spec FILE`)
    declare for path parameters: option -> parameter names.

    Read from the raw `x-apiconform.path-parameters` blocks (the command line is built before any
    contract is validated; a broken spec is reported when it is loaded), keeping only the option names the
    schema admits, so a spec's junk never becomes an option of the command line."""
    declaring = list(_spec_files(specs_dir()).values())
    if spec is not None:
        declaring.append(spec)
    options: dict[str, set[str]] = {}
    for path in declaring:
        document = _read_yaml(path)
        block = document.get("x-apiconform") if isinstance(document, dict) else None
        declared = block.get("path-parameters") if isinstance(block, dict) else None
        for name, option in declared.items() if isinstance(declared, dict) else ():
            if _shorthand_schema().is_valid(option):
                options.setdefault(option, set()).add(str(name))
    return options


def _shorthand_schema() -> jsonschema.protocols.Validator:
    """What the x-apiconform schema admits as a path parameter's shorthand option."""
    schema = _schema("x-apiconform.schema.yaml")["properties"]["path-parameters"]["additionalProperties"]
    return jsonschema.Draft202012Validator(schema)


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
        parts = [unescaped(part) for part in at.split("/")[1:]]
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
        if flt.list != "single" and flt.one_value_only:
            raise ContractError(
                f"{spec_path}: filter {flt.param} (match: {flt.match}) compares one value, so it takes no list: "
                f"write list: single, not {flt.list}"
            )
        missing = [key for key in forms.get(flt.list, ()) if key not in contract.semantics.filter_requirements]
        if missing:
            raise ContractError(
                f"{spec_path}: filter {flt.param} (list: {flt.list}) needs filter-requirements {missing}"
            )
    _check_sort(contract.semantics, spec_path)
    for join in contract.semantics.joins.values():
        contract.operation_path(join.operation)
    undeclared = sorted(set(_parameters_named(contract.semantics)) - set(contract.query_parameters()))
    if undeclared:
        raise ContractError(
            f"{spec_path}: x-apiconform uses query parameters the operation does not declare: {undeclared}"
        )
    _check_rejected_values(contract)
    _check_generated_inputs(contract)


def _check_sort(semantics: Semantics, spec_path: Path) -> None:
    """The sort spelling can ask for both directions, and a default direction is judged only where a query
    may leave the direction out (DECISIONS.md D-GEN-83)."""
    sort = semantics.ordering.sort
    if sort is None:
        return
    if sort.direction_params and set(sort.direction_params.values()) != {"asc", "desc"}:
        raise ContractError(
            f"{spec_path}: x-apiconform.order.sort.direction-params needs one parameter for asc and one for desc"
        )
    if sort.default_direction is None and "default-direction" in semantics.ordering.requirements:
        raise ContractError(
            f"{spec_path}: x-apiconform.order.requirements.default-direction: this sort names the direction in "
            "every sorted query (descending-prefix or direction-params), so there is no default direction to judge"
        )


# The responses by which an operation's document says that a request with a value it rules out is refused.
REJECTION_RESPONSES = ("400", "4XX")


def _check_rejected_values(contract: Contract) -> None:
    """Where the document states that invalid values are refused (the list operation declares a 400
    response), each query parameter whose schema rules values out names the requirement that rejects
    them (an `invalid-inputs` example) or says the document leaves them open (`tolerated-inputs`), so
    that schemathesis' values outside its schema are charged where the document puts them. A lenient
    server's document declares no 400: its typed parameters need neither (DECISIONS D-GEN-57)."""
    responses = contract.operation().get("responses", {})
    stated = next((status for status in REJECTION_RESPONSES if status in responses), None)
    if stated is None:
        return
    semantics = contract.semantics
    covered = {param for item in (*semantics.invalid_inputs, *semantics.tolerated_inputs) for param in item.query}
    missing = [name for name in contract.constrained_parameters() if name not in covered]
    if not missing:
        return
    name, others = missing[0], ", ".join(datafiles.excerpt(other) for other in missing[1:])
    schema = contract.resolve(contract.query_parameters()[name].get("schema", {}))
    value = _ruled_out_value(schema, contract.resolve(schema.get("items", {})))
    rejected = _flow_yaml({"query": {name: value}, "requirement": "ID"})
    tolerated = _flow_yaml({"query": {name: value}, "accept": ["rejected", "ignored"], "requirement": "ID"})
    raise ContractError(
        f"{contract.spec_path}: {datafiles.excerpt(semantics.operation_id)} declares a {stated} response, so "
        f"its document refuses invalid values, and query parameter {datafiles.excerpt(name)} has values its "
        f"schema rules out: add to x-apiconform `invalid-inputs: [{rejected}]` (ID: the requirement quoting "
        f"the sentence that rejects them), or, where the document leaves them open, `tolerated-inputs: "
        f"[{tolerated}]` (accept: what the document allows of rejected, empty, ignored, answered)"
        + (f"; the same for {others}" if others else "")
    )


def _ruled_out_value(schema: Mapping[str, Any], items: Mapping[str, Any]) -> str:
    """A value a query parameter's schema (or its items' schema) rules out, for an example in a message."""
    for node in (schema, items):
        if node.get("type") in ("integer", "number"):
            return "ten"
        if "enum" in node:
            return "no-such-value"
        if "format" in node:
            return f"not-a-{node['format']}"
        if "minimum" in node and isinstance(node["minimum"], (int, float)):
            return str(node["minimum"] - 1)
    return "VALUE"


def _flow_yaml(value: Mapping[str, Any]) -> str:
    """`value` as one line of YAML flow style, quoted where YAML needs it (`'@type'`)."""
    return yaml.safe_dump(dict(value), default_flow_style=True, sort_keys=False, width=1_000_000).strip()


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
        yield from semantics.ordering.sort.params
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
