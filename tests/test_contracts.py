"""The specs and catalogs are valid, faithful to the vendors' documents, and not vacuous."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from types import NoneType, UnionType
from typing import Any, ClassVar, Union, get_args, get_origin, get_type_hints

import jsonschema
import pytest
import yaml
from openapi_spec_validator import validate as validate_openapi

from apiconform import contract
from apiconform.contract.loading import _schema
from apiconform.contract.model import ENTRY_KEY, PAGING_STYLES, from_raw

BRM_SEED = "oracle-brm-op-adjustbalance-get.txt"


# The APIs this project ships, whose catalogs are complete; an API a user adds under specs/ (README,
# "Testing your own list endpoint") is checked by every test here but this size floor.
SHIPPED_APIS = ("bitgo-connections", "bitgo-oes", "brm-adjust-balance")


def response_schema(loaded: contract.Contract, status: str = "200") -> dict[str, Any]:
    response = loaded.resolve(loaded.operation()["responses"][status])
    return dict(response["content"]["application/json"]["schema"])


def seed_examples() -> list[dict[str, Any]]:
    """The example records in Oracle's document: the JSON arrays that follow each "Example of the Response Body"."""
    text = (contract.specs_dir() / "brm-tmf654" / "sources" / BRM_SEED).read_text(encoding="utf-8")
    decoder = json.JSONDecoder()
    records: list[dict[str, Any]] = []
    for heading in re.finditer(r"Example of the Response Body[^\n]*\n[^\n]*\n", text):
        array, _ = decoder.raw_decode(text[heading.end() :])
        records.extend(array)
    return records


@pytest.mark.parametrize("api", contract.api_names())
def test_spec_is_valid_openapi(api):
    validate_openapi(yaml.safe_load(contract.load(api).spec_path.read_text()))


@pytest.mark.parametrize("api", contract.api_names())
def test_contract_loads_and_names_only_catalog_requirements(api):
    loaded = contract.load(api)
    catalog_ids = {requirement.id for requirement in loaded.requirements}
    assert set(loaded.semantics.requirement_ids()) <= catalog_ids
    assert len(catalog_ids) == len(loaded.requirements)


def test_oracle_examples_validate_verbatim():
    loaded = contract.load("brm-adjust-balance")
    records = seed_examples()
    assert len(records) == 3
    assert {record["status"] for record in records} == {"COMPLETED", None}
    assert {record["usageType"] for record in records} == {"MONETARY", "OTHER"}
    loaded.schema_validator(response_schema(loaded)).validate(records)


def test_projection_of_oracle_examples_validates():
    loaded = contract.load("brm-adjust-balance")
    projected = [{key: record[key] for key in ("description", "amount")} for record in seed_examples()]
    loaded.schema_validator(response_schema(loaded)).validate(projected)


def bitgo_record() -> dict[str, Any]:
    """BitGo's published example record, with the fixes the research notes give (date-times, null reason)."""
    return {
        "id": "4f0a6a8e-3c1b-4c47-9d2e-2b7f3f9f1a10",
        "amount": {"currency": "ofcbtc", "quantity": "150000000"},
        "connectionId": "9b2d4c1e-7a6f-4e0b-8c3d-5e1f2a3b4c5d",
        "clientExternalId": "client-ref-1",
        "partnerExternalId": "partner-ref-1",
        "initiatedBy": "62f3a1b2c3d4e5f60718293a",
        "notes": "first allocation",
        "createdAt": "2026-03-01T10:15:00.000Z",
        "updatedAt": "2026-03-01T10:16:30.250Z",
        "retriable": False,
        "reason": None,
        "status": "cleared",
        "type": "allocation",
    }


def test_bitgo_record_validates():
    loaded = contract.load("bitgo-oes")
    loaded.schema_validator(response_schema(loaded)).validate({"allocations": [bitgo_record()]})


def _without(record: dict[str, Any], key: str) -> dict[str, Any]:
    changed = copy.deepcopy(record)
    del changed[key]
    return changed


def _with(record: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(record)
    *parents, last = path.split("/")
    target = changed
    for part in parents:
        target = target[part]
    target[last] = value
    return changed


BITGO_INVALID = {
    "required id missing": lambda r: _without(r, "id"),
    "required reason missing": lambda r: _without(r, "reason"),
    "amount without quantity": lambda r: _with(r, "amount", {"currency": "ofcbtc"}),
    "quantity as a JSON number": lambda r: _with(r, "amount/quantity", 150000000),
    "retriable as a string": lambda r: _with(r, "retriable", "false"),
    "unknown status": lambda r: _with(r, "status", "pending"),
    "unknown type": lambda r: _with(r, "type", "transfer"),
    "createdAt not a date-time": lambda r: _with(r, "createdAt", "yesterday"),
    "empty reason string": lambda r: _with(r, "reason", ""),
}


@pytest.mark.parametrize("mutation", BITGO_INVALID, ids=str)
def test_bitgo_schema_rejects_invalid_record(mutation):
    loaded = contract.load("bitgo-oes")
    body = {"allocations": [BITGO_INVALID[mutation](bitgo_record())]}
    with pytest.raises(jsonschema.ValidationError):
        loaded.schema_validator(response_schema(loaded)).validate(body)


BRM_INVALID = {
    "partyAccount without its required id": lambda r: _with(r, "partyAccount", {"name": "Daniel R"}),
    "requestor without @referredType": lambda r: _without(r, "requestor") | {"requestor": {"id": None}},
    "amount.amount as a string": lambda r: _with(r, "amount/amount", "-1.0"),
    "status as a number": lambda r: _with(r, "status", 1),
    "requestedDate not a date-time": lambda r: _with(r, "requestedDate", "08/01/2020"),
    "impactedBucket without items": lambda r: _with(r, "impactedBucket", [{"name": "b"}]),
    "record that is not an object": lambda r: "0.0.0.1+-item-adjustment+221139",
}


@pytest.mark.parametrize("mutation", BRM_INVALID, ids=str)
def test_brm_schema_rejects_invalid_record(mutation):
    loaded = contract.load("brm-adjust-balance")
    body = [BRM_INVALID[mutation](seed_examples()[0])]
    with pytest.raises(jsonschema.ValidationError):
        loaded.schema_validator(response_schema(loaded)).validate(body)


# Values the documents do not rule out: a schema that rejected them would fail a conformant server
# (schemathesis' response checks), as the issue-10 false alarms did.
BITGO_VALID = {
    "quantity with an exponent (BitGo declares a plain string)": lambda r: _with(r, "amount/quantity", "1.5e8"),
    "quantity with a decimal fraction": lambda r: _with(r, "amount/quantity", "0.00012"),
}
BRM_VALID = {
    "status in lower case (TMF654's spelling)": lambda r: _with(r, "status", "completed"),
    "status outside TMF654's list (Oracle says string)": lambda r: _with(r, "status", "PENDING"),
    "usageType in mixed case (Oracle says string)": lambda r: _with(r, "usageType", "Monetary"),
    "status null (Oracle's own example)": lambda r: _with(r, "status", None),
    # Typed by no vendored document (issue 23, item 4; D-BRM-3): any JSON value.
    "validFor as text (Oracle 12.0 shows it, describes no type)": lambda r: _with(r, "validFor", "2024"),
    "validFor with other members": lambda r: _with(r, "validFor", {"startDateTime": "2024-01-01"}),
    "actionType as a number": lambda r: _with(r, "actionType", 7),
    "adjustmentNo as a number": lambda r: _with(r, "adjustmentNo", 221100),
    "bieId as one string": lambda r: _with(r, "bieId", "0.0.0.1 /item/misc 221100"),
    "billingCycleSpecification as an array": lambda r: _with(r, "billingCycleSpecification", []),
}


@pytest.mark.parametrize("change", BITGO_VALID, ids=str)
def test_bitgo_schema_accepts_what_bitgo_does_not_rule_out(change):
    loaded = contract.load("bitgo-oes")
    body = {"allocations": [BITGO_VALID[change](bitgo_record())]}
    loaded.schema_validator(response_schema(loaded)).validate(body)


@pytest.mark.parametrize("change", BRM_VALID, ids=str)
def test_brm_schema_accepts_what_oracle_does_not_rule_out(change):
    loaded = contract.load("brm-adjust-balance")
    body = [BRM_VALID[change](seed_examples()[0])]
    loaded.schema_validator(response_schema(loaded)).validate(body)


@pytest.mark.parametrize(
    ("api", "status", "body", "valid"),
    [
        ("bitgo-oes", "401", {"error": "unauthorized"}, True),
        ("bitgo-oes", "404", {"message": "not found"}, False),
        ("bitgo-oes", "400", {"anything": ["goes"]}, True),
        # BitGo's api-ts router answers a failed decode with io-ts messages (D-OES-7).
        ("bitgo-oes", "400", ['Invalid value "two" supplied to : pageNumber'], True),
        ("bitgo-oes", "400", [{"message": "not a string"}], False),
        ("bitgo-oes", "400", "decode failed", False),
        ("brm-adjust-balance", "400", {"code": "400", "reason": "Invalid limit"}, True),
        ("brm-adjust-balance", "404", {"code": "404"}, False),
    ],
)
def test_error_envelopes(api, status, body, valid):
    loaded = contract.load(api)
    errors = list(loaded.schema_validator(response_schema(loaded, status)).iter_errors(body))
    assert (not errors) is valid


def _words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("api", contract.api_names())
def test_quotes_are_verbatim_in_the_vendored_documents(api):
    """Every quote appears word for word in its document's copy under specs/<api>/sources/ (a document
    with no copy cannot be quoted); ' ... ' separates excerpts that follow each other there."""
    loaded = contract.load(api)
    sources = loaded.spec_path.parent / "sources"
    for requirement in loaded.requirements:
        local = requirement.source.local
        assert local is not None, f"{requirement.id}: {requirement.source.key} has no vendored copy"
        assert local.parent == sources and local.is_file(), f"{requirement.id}: {local} is not under {sources}"
        text = _words(local.read_text(encoding="utf-8"))
        position = 0
        for excerpt in requirement.quote.split(" ... "):
            found = text.find(_words(excerpt), position)
            assert found >= 0, f"{requirement.id}: {excerpt!r} is not in {local.name}"
            position = found + len(_words(excerpt))
    if api in SHIPPED_APIS:
        assert len(loaded.requirements) >= 20


@pytest.mark.parametrize("api", contract.api_names())
def test_every_document_is_vendored_with_its_origin(api):
    """Each document the catalog lists has a copy under sources/ that says where and when it was read."""
    loaded = contract.load(api)
    catalog_name = yaml.safe_load(loaded.spec_path.read_text())["x-apiconform"]["catalog"]
    catalog = yaml.safe_load((loaded.spec_path.parent / catalog_name).read_text())
    for key, document in catalog["documents"].items():
        copy_path = loaded.spec_path.parent / document["local"]
        assert copy_path.is_file(), f"{key}: {copy_path} is missing"
        head = copy_path.read_text(encoding="utf-8")[:1500]
        assert "Origin:" in head and "Read:" in head, f"{key}: {copy_path.name} does not say where and when"
        assert document.get("url", "") in head, f"{key}: {copy_path.name} names another origin than the catalog"


@pytest.mark.parametrize("api", contract.api_names())
def test_every_must_is_stated_by_the_vendor(api):
    """The rule for levels: MUST only where the quoted sentence states the rule (basis: stated); an
    inferred rule is a SHOULD and says why it is a reasonable reading."""
    requirements = contract.load(api).requirements
    not_stated = [r.id for r in requirements if r.level == "MUST" and r.basis != "stated"]
    assert not_stated == []
    unexplained = [r.id for r in requirements if r.basis == "inferred" and not (r.basis_note or "").strip()]
    assert unexplained == []
    assert {r.basis for r in requirements} <= {"stated", "inferred"}


@pytest.mark.parametrize("api", contract.api_names())
def test_every_must_names_the_words_each_demand_rests_on(api):
    """Issue 23: a reviewer reads one line per demand a MUST's checks make, and finds its words in the
    quote (or, for a demand another document carries, in that document's copy)."""
    for requirement in contract.load(api).requirements:
        if requirement.level != "MUST":
            continue
        assert requirement.rests_on, f"{requirement.id} names no words its demands rest on"
        for item in requirement.rests_on:
            if item.source == requirement.source:
                assert _words(item.words) in _words(requirement.quote), (requirement.id, item.demand)
            else:
                assert item.source.local is not None, (requirement.id, item.demand)
                assert _words(item.words) in _words(item.source.local.read_text(encoding="utf-8")), requirement.id


def test_words_a_demand_rests_on_must_be_in_the_quote(tmp_path: Path, monkeypatch):
    """The loader refuses a demand whose words are not in its requirement's quote, or not in the copy of
    the other document it names."""
    source = contract.specs_dir() / "bitgo-oes"
    catalog = yaml.safe_load((source / "requirements.yaml").read_text())
    bound = next(entry for entry in catalog["requirements"] if entry["id"] == "OES-PAGE-SIZE-BOUND")
    for rests_on, problem in (
        ([{"demand": "a page is sorted", "words": "The field to sort results on."}], "not in its quote"),
        (
            [{"demand": "a 400", "words": "400Bad RequestThe client request is wrong", "source": "bitgo-overview"}],
            "not in bitgo-api-overview.txt",
        ),
        ([{"demand": "a 400", "words": "anything", "source": "bitgo-nowhere"}], "unknown document 'bitgo-nowhere'"),
    ):
        bound["rests-on"] = rests_on
        specs = tmp_path / problem.replace(" ", "-").replace("'", "")
        shutil.copytree(contract.specs_dir() / "schemas", specs / "schemas")
        shutil.copytree(source, specs / "bitgo-oes")
        (specs / "bitgo-oes" / "requirements.yaml").write_text(yaml.safe_dump(catalog, sort_keys=False))
        monkeypatch.setenv("APICONFORM_SPECS", str(specs))
        contract.load_spec.cache_clear()
        try:
            with pytest.raises(contract.ContractError, match=re.escape(problem)):
                contract.load("bitgo-oes")
        finally:
            contract.load_spec.cache_clear()


def test_inferred_rules_stay_shoulds_for_the_issue_10_readings():
    """The readings issue 10 found beyond the documents are inferred, so they warn rather than fail."""
    levels = {r.id: (r.level, r.basis) for api in contract.api_names() for r in contract.load(api).requirements}
    for rid in (
        "BRM-TYPE-INVALID",
        "BRM-FILTER-DATE-INVALID",
        "BRM-FILTER-CASE-VARIANTS",
        "BRM-FILTER-AND",
        "OES-UNKNOWN-ENTERPRISE",
    ):
        assert levels[rid] == ("SHOULD", "inferred"), rid


def test_documents_are_not_constrained_beyond_their_words():
    """Schemathesis demands a 4xx for any value outside a parameter's schema: the specs constrain only
    what the documents rule out (issue 10, items 1, 2, 8, 9, 12; DECISIONS.md D-GEN-1)."""
    brm = contract.load("brm-adjust-balance")
    brm_params = brm.query_parameters()
    assert "enum" not in brm_params["@type"]["schema"]
    for name in ("requestedDate", "requestedDate.gt", "requestedDate.gte", "requestedDate.lt", "requestedDate.lte"):
        assert "format" not in brm_params[name]["schema"], name
    for name in ("limit", "offset"):
        assert "minimum" not in brm_params[name]["schema"] and brm_params[name]["schema"]["type"] == "number"
    bitgo = contract.load("bitgo-oes")
    bitgo_params = bitgo.query_parameters()
    assert bitgo_params["pageNumber"]["schema"] == {"type": "string", "format": "integer"}
    assert bitgo_params["pageSize"]["schema"] == {"type": "string"}
    amount = bitgo.resolve({"$ref": "#/components/schemas/AllocationAmount"})
    assert "pattern" not in amount["properties"]["quantity"]
    invalid = {
        value
        for item in (*brm.semantics.invalid_inputs, *bitgo.semantics.invalid_inputs)
        for value in item.query.values()
    }
    assert not invalid & {"-1", "1.5", "2.5", "2020-01-01", "2020-01-01T12:00:27", "AdjustBalanceFancy"}


def test_projection_allows_tmf654_mandatory_attributes():
    """TMF654 v4 marks attributes of AdjustBalance required; a projection that keeps them is not at fault."""
    text = (contract.specs_dir() / "brm-tmf654" / "sources" / "tmf654-v4-swagger-adjustbalance.txt").read_text()
    definition = text[text.index("definitions.AdjustBalance") :]
    required = json.loads(definition[definition.index('"required"') :].split("]", 1)[0].split(":", 1)[1] + "]")
    projection = contract.load("brm-adjust-balance").semantics.projection
    assert projection is not None
    assert required == ["status"]
    assert set(required) <= set(projection.always_allowed)
    assert "null" in projection.unlisted


def test_bitgo_400_advice_does_not_judge_an_array_body():
    loaded = contract.load("bitgo-oes")
    assert loaded.semantics.errors is not None
    (advice,) = loaded.semantics.errors.advice
    validator = loaded.schema_validator(advice.schema)
    assert validator.is_valid(['Invalid value "x" supplied to : pageNumber'])
    assert validator.is_valid({"error": "invalid pageNumber", "name": "InvalidPage"})
    assert not validator.is_valid({"name": "InvalidPage"})


def test_catalog_schema_is_not_vacuous(tmp_path: Path):
    catalog = yaml.safe_load((contract.specs_dir() / "bitgo-oes" / "requirements.yaml").read_text())
    validator = jsonschema.Draft202012Validator(_schema("catalog.schema.yaml"))
    assert not list(validator.iter_errors(catalog))
    broken = copy.deepcopy(catalog)
    broken["requirements"][0]["level"] = "MAY"
    del broken["requirements"][1]["quote"]
    broken["requirements"][2]["checks"] = []
    broken["requirements"][3]["basis"] = "inferred"  # a MUST that is inferred, and without its basis-note
    broken["requirements"][3].pop("basis-note", None)
    del broken["requirements"][4]["basis"]
    del broken["documents"]["bitgo-ref"]["local"]
    broken["requirements"][5]["rests-on"] = [{"demand": "a page holds at most pageSize records"}]  # no words
    assert len(list(validator.iter_errors(broken))) == 8


def test_semantics_schema_is_not_vacuous():
    document = yaml.safe_load(contract.load("brm-adjust-balance").spec_path.read_text())
    validator = jsonschema.Draft202012Validator(_schema("x-apiconform.schema.yaml"))
    semantics = document["x-apiconform"]
    assert not list(validator.iter_errors(semantics))
    broken = copy.deepcopy(semantics)
    broken["paging"]["style"] = "cursor"
    broken["filters"]["status"]["match"] = "fuzzy"
    broken["filters"]["status"]["query-case"] = "upper"
    broken["projection"]["unlisted"] = ["omitted"]
    broken["tolerated-inputs"][0]["accept"] = ["shrugged"]
    assert len(list(validator.iter_errors(broken))) == 5


def _schema_at(schema: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    """`node` with its local `$ref`s (`#/$defs/...`) followed."""
    while "$ref" in node:
        node = schema["$defs"][node["$ref"].removeprefix("#/$defs/")]
    return node


def _read_fields(
    cls: type,
    node: Mapping[str, Any],
    schema: Mapping[str, Any],
    read: dict[str, bool],
    given: frozenset[str] = frozenset(),
) -> dict[str, bool]:
    """For each field of the dataclass `cls`, and of the dataclasses inside it, whether `from_raw`
    finds a property for it in `node` (the schema of its block), added to what `read` says from other
    places the class is read from. `given` fields are not read by from_raw."""
    hints = get_type_hints(cls)
    names = getattr(cls, "raw_names", {})
    for field in dataclasses.fields(cls):
        path = names.get(field.name, field.name.replace("_", "-"))
        if not field.init or field.name in given or path == ENTRY_KEY:
            continue
        place: Mapping[str, Any] | None = node
        for part in path.split("/"):
            place = _schema_at(schema, place).get("properties", {}).get(part) if place is not None else None
        label = f"{cls.__name__}.{field.name} ({path})"
        read[label] = read.get(label, False) or place is not None
        hint = hints[field.name]
        while place is not None and get_origin(hint) in (Union, UnionType, tuple, Mapping):
            place = _schema_at(schema, place)
            if get_origin(hint) is tuple:
                hint, place = get_args(hint)[0], place.get("items")
            elif get_origin(hint) is Mapping:
                hint, place = get_args(hint)[1], place.get("additionalProperties")
            else:
                hint = next(arg for arg in get_args(hint) if arg is not NoneType)
        if place is not None and isinstance(hint, type) and dataclasses.is_dataclass(hint):
            _read_fields(hint, _schema_at(schema, place), schema, read)
    return read


def test_every_field_read_from_a_spec_or_catalog_is_a_property_of_its_schema():
    """The schemas are the one description of the YAML: each field `from_raw` reads is named there, in one
    place at least that its class is read from (a typo in a `raw_names` path, or a field added without
    its property, would keep the field's default for ever)."""
    semantics = _schema("x-apiconform.schema.yaml")
    read = _read_fields(contract.Semantics, semantics, semantics, {}, given=frozenset({"paging", "change_probes"}))
    for style, pager in PAGING_STYLES.items():
        branch = next(item for item in semantics["properties"]["paging"]["oneOf"] if style in str(item))
        _read_fields(pager, branch, semantics, read)
    catalog = _schema("catalog.schema.yaml")
    entry = catalog["properties"]["requirements"]["items"]
    _read_fields(contract.Requirement, entry, catalog, read, given=frozenset({"quote", "source", "rests_on"}))
    assert len(read) > 80 and [label for label, found in read.items() if not found] == []

    @dataclasses.dataclass(frozen=True)
    class Misread:
        raw_names: ClassVar[Mapping[str, str]] = {"tiebreak": "tie-break"}
        requirements: Mapping[str, str]
        default: tuple[contract.RecordRule, ...]  # order keys, not record rules
        tiebreak: tuple[contract.OrderKey, ...]

    misread = _read_fields(Misread, semantics["properties"]["order"], semantics, {})
    assert {label for label, found in misread.items() if not found} == {
        "Misread.tiebreak (tie-break)",
        *(f"RecordRule.{name}" for name in ("when_field (when/field)", "when_equals (when/equals)")),
        *(f"RecordRule.{name}" for name in ("then_field (then/field)", "then_is_null (then/is-null)")),
        "RecordRule.requirement (requirement)",
    }


def test_from_raw_keeps_the_dataclass_defaults_and_the_declared_number_types():
    ordering = from_raw(contract.Ordering, {"requirements": {"field": "R"}})
    assert ordering == contract.Ordering({"field": "R"}, default=(), tiebreak=(), sort=None)
    # JSON Schema's `integer` admits 5.0, and a YAML `60` is an int: each takes its field's type.
    rate = from_raw(contract.RateLimit, {"requests": 5.0, "per-seconds": 60, "source": "s"})
    assert (type(rate.requests), type(rate.per_seconds)) == (int, float)


def test_contract_error_names_the_problem(tmp_path: Path, monkeypatch):
    specs = tmp_path / "specs"
    (specs / "schemas").mkdir(parents=True)
    for name in ("catalog.schema.yaml", "x-apiconform.schema.yaml"):
        (specs / "schemas" / name).write_text((contract.specs_dir() / "schemas" / name).read_text())
    api_dir = specs / "bitgo-oes"
    api_dir.mkdir()
    source = contract.specs_dir() / "bitgo-oes"
    spec = yaml.safe_load((source / "partner-allocations.openapi.yaml").read_text())
    spec["x-apiconform"]["filters"]["types"]["requirement"] = "OES-NOT-IN-CATALOG"
    (api_dir / "partner-allocations.openapi.yaml").write_text(yaml.safe_dump(spec))
    (api_dir / "requirements.yaml").write_text((source / "requirements.yaml").read_text())
    monkeypatch.setenv("APICONFORM_SPECS", str(specs))
    contract.load_spec.cache_clear()
    _schema.cache_clear()
    try:
        with pytest.raises(contract.ContractError, match="OES-NOT-IN-CATALOG"):
            contract.load("bitgo-oes")
    finally:
        contract.load_spec.cache_clear()
        _schema.cache_clear()


@pytest.mark.parametrize("api", contract.api_names())
def test_spec_loads_in_schemathesis_without_warnings(api):
    import warnings

    import schemathesis
    from schemathesis.config import SchemathesisConfig

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        schema = schemathesis.openapi.from_path(str(contract.load(api).spec_path), config=SchemathesisConfig())
        schema.validate()
        operations = list(schema.get_all_operations())
        schema_warnings = list(schema.iter_schema_warnings())
    assert operations and all(result.ok() for result in operations)
    assert [f"{w.kind}: {w.message}" for w in schema_warnings] == []
    assert [str(w.message) for w in caught] == []


def test_catalog_command_lists_what_each_demand_rests_on(capsys):
    from apiconform.cli import main

    assert main(["catalog", "--api", "bitgo-oes"]) == 0
    out = capsys.readouterr().out
    overview = '"400Bad RequestThe client request is invalid" [bitgo-overview]'
    assert f"OES-PAGE-INVALID: the rejection is a 400 <- {overview}" in out
    assert 'OES-PAGE-SIZE-BOUND: no page holds more than pageSize records <- "the API will return at most' in out
