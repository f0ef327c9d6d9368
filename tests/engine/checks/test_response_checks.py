"""Data-driven tests of the per-response checks, in the manner of JSON-Schema-Test-Suite.

`cases/<family>.yaml` holds, per check, replies (query, status, headers, body) and the observations
the check must make on each: requirement, outcome, `judging: false` for a pass that only corroborates
(one a defect of the rule would have passed too) and, for a failure another requirement may be blamed
for, the alternatives. A group may give what discovery learnt: `joins`, the honoured `page-size`, and
the `inventory`'s records. Each case calls the check directly with a `Context` and an `Exchange`: no
HTTP, milliseconds. Every check has cases that fail and cases that pass on an observation that judges
its rule, so each case can fail."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from apiconform import contract
from apiconform.engine.checks import CHECKS, ResponseCheck
from apiconform.engine.checks.base import Context
from apiconform.engine.model.discovery import Discovery, Inventory, Partition
from apiconform.engine.model.exchange import Exchange, encode_query, invalid_parameters
from apiconform.engine.transport.redaction import Redactor

CASES = Path(__file__).parent / "cases"


def _groups() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(CASES.glob("*.yaml")):
        for group in yaml.safe_load(path.read_text(encoding="utf-8")):
            yield path.stem, group


def _cases() -> Iterator[Any]:
    for family, group in _groups():
        for case in group["cases"]:
            yield pytest.param(group, case, id=f"{family}:{group['check']}:{group['api']}:{case['description']}")


def exchange(loaded: contract.Contract, case: dict[str, Any]) -> Exchange:
    """The reply a case describes, as the per-response checks receive it."""
    query = {name: str(value) for name, value in (case.get("query") or {}).items()}
    headers = {"Content-Type": "application/json", **(case.get("headers") or {})}
    content = case["raw"].encode() if "raw" in case else json.dumps(case.get("body")).encode()
    return Exchange.of(
        Redactor([]),
        "GET",
        f"http://127.0.0.1/test?{encode_query(query)}",
        {},
        query,
        status=case.get("status", 200),
        headers={name: [value] for name, value in headers.items()},
        content=content,
        invalid_params=invalid_parameters(loaded, query),
    )


def context(loaded: contract.Contract, group: dict[str, Any]) -> Context:
    size = group.get("page-size")
    records = group.get("inventory")
    inventory = Inventory((Partition({}, tuple(records), True),), size or 100) if records is not None else None
    return Context(loaded, Discovery(page_size=size, inventory=inventory, joins=dict(group.get("joins") or {})))


@pytest.mark.parametrize(("group", "case"), list(_cases()))
def test_response_check(group: dict[str, Any], case: dict[str, Any]) -> None:
    loaded = contract.load(group["api"])
    check = CHECKS[group["check"]]
    assert isinstance(check, ResponseCheck)
    observed = []
    if check.applies(loaded.semantics):
        for observation in check.judge(context(loaded, group), exchange(loaded, case)):
            entry: dict[str, Any] = {"requirement": observation.requirement, "outcome": observation.outcome.value}
            if observation.alternatives:
                entry["alternatives"] = list(observation.alternatives)
            if observation.outcome.value == "pass" and not observation.judging:
                entry["judging"] = False
            if observation.outcome.value == "fail":
                assert observation.evidence and observation.message, "a failure shows its reply and says why"
            observed.append(entry)
    assert observed == case["expect"]


# Checks whose passes only ever corroborate (they judge soundness on one page; a rule's judging observation
# comes from a relation designed for it): they need a failing case and a corroborating one.
CORROBORATE_ONLY = {"records_match_filters", "total_count_present"}


def test_every_response_check_has_passing_and_failing_cases() -> None:
    outcomes: dict[str, set[str]] = {}
    for _, group in _groups():
        for case in group["cases"]:
            seen = outcomes.setdefault(group["check"], set())
            seen.update(
                "corroborated" if expected.get("judging") is False else expected["outcome"]
                for expected in case["expect"]
            )
    response_checks = {name for name, check in CHECKS.items() if isinstance(check, ResponseCheck)}
    assert set(outcomes) == response_checks
    for name, seen in outcomes.items():
        if name in CORROBORATE_ONLY:
            assert {"corroborated", "fail"} <= seen and "pass" not in seen, name
        else:
            assert {"pass", "fail"} <= seen, f"{name} needs a failing case and one that passes on a judging observation"


def test_a_wire_value_is_read_by_each_alternative_of_an_any_of() -> None:
    """Datasette's `_size` is `anyOf: [{type: integer, minimum: 0, maximum: 1000}, {const: max}]`: the text
    "5" is the integer 5, not a string that no alternative takes. Read as text, every `_size` was invalid and
    page_size_bound never judged a page (DSET-PAGE-SIZE-BOUND not-exercised on a correct server)."""
    spec = Path(__file__).resolve().parents[3] / "examples" / "datasette" / "datasette-table.openapi.yaml"
    loaded = contract.load_spec(spec)
    assert invalid_parameters(loaded, {"_size": "5", "_sort": "price"}) == frozenset()
    assert invalid_parameters(loaded, {"_size": "max"}) == frozenset()
    assert invalid_parameters(loaded, {"_size": "ten"}) == {"_size"}
    assert invalid_parameters(loaded, {"_size": "1001"}) == {"_size"}
