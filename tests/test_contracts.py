"""The specs and catalogs are valid, faithful to the vendors' documents, and not vacuous."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from openapi_spec_validator import validate as validate_openapi

from apiconform import contract

BRM_SEED = "oracle-brm-op-adjustbalance-get.txt"


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


@pytest.mark.parametrize("api", contract.API_NAMES)
def test_spec_is_valid_openapi(api):
    validate_openapi(yaml.safe_load(contract.load(api).spec_path.read_text()))


@pytest.mark.parametrize("api", contract.API_NAMES)
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
    "quantity with an exponent": lambda r: _with(r, "amount/quantity", "1.5e8"),
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
    "unknown status": lambda r: _with(r, "status", "DONE"),
    "mixed-case usageType": lambda r: _with(r, "usageType", "Monetary"),
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


@pytest.mark.parametrize(
    ("api", "status", "body", "valid"),
    [
        ("bitgo-oes", "401", {"error": "unauthorized"}, True),
        ("bitgo-oes", "404", {"message": "not found"}, False),
        ("bitgo-oes", "400", {"anything": ["goes"]}, True),
        ("bitgo-oes", "400", ["decode failed"], False),
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


@pytest.mark.parametrize("api", contract.API_NAMES)
def test_quotes_are_verbatim_in_the_vendored_documents(api):
    """A quote from a vendored document appears there word for word; ' ... ' separates excerpts in order."""
    checked = 0
    for requirement in contract.load(api).requirements:
        if requirement.source.local is None:
            assert requirement.source.url, f"{requirement.id}: its document has neither a copy nor a URL"
            continue
        text = _words(requirement.source.local.read_text(encoding="utf-8"))
        position = 0
        for excerpt in requirement.quote.split(" ... "):
            found = text.find(_words(excerpt), position)
            assert found >= 0, f"{requirement.id}: {excerpt!r} is not in {requirement.source.local.name}"
            position = found + len(excerpt)
        checked += 1
    assert checked >= 20


def test_catalog_schema_is_not_vacuous(tmp_path: Path):
    catalog = yaml.safe_load((contract.specs_dir() / "bitgo-oes" / "requirements.yaml").read_text())
    validator = jsonschema.Draft202012Validator(contract._schema("catalog.schema.yaml"))
    assert not list(validator.iter_errors(catalog))
    broken = copy.deepcopy(catalog)
    broken["requirements"][0]["level"] = "MAY"
    del broken["requirements"][1]["quote"]
    broken["requirements"][2]["checks"] = []
    assert len(list(validator.iter_errors(broken))) == 3


def test_semantics_schema_is_not_vacuous():
    document = yaml.safe_load(contract.load("brm-adjust-balance").spec_path.read_text())
    validator = jsonschema.Draft202012Validator(contract._schema("x-apiconform.schema.yaml"))
    semantics = document["x-apiconform"]
    assert not list(validator.iter_errors(semantics))
    broken = copy.deepcopy(semantics)
    broken["paging"]["style"] = "cursor"
    broken["filters"]["status"]["match"] = "fuzzy"
    assert len(list(validator.iter_errors(broken))) == 2


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
    contract.load.cache_clear()
    contract._schema.cache_clear()
    try:
        with pytest.raises(contract.ContractError, match="OES-NOT-IN-CATALOG"):
            contract.load("bitgo-oes")
    finally:
        contract.load.cache_clear()
        contract._schema.cache_clear()


@pytest.mark.parametrize("api", contract.API_NAMES)
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
