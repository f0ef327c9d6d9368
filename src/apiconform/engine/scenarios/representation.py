"""Representation: attribute selection keeps values, and alternative representations hold the same records."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from apiconform.engine import discovery
from apiconform.engine.records import pointer_get
from apiconform.engine.scenarios import Attempt, describe_ids, explore, ids, scenario
from apiconform.engine.scenarios.paging import UNSTABLE, draw_query, fetch, fetch_twice
from apiconform.engine.target import ApiRun
from apiconform.engine.verdicts import Observation, Outcome


@scenario(applies=lambda semantics: semantics.projection is not None)
def projection_keeps_values(run: ApiRun) -> None:
    """`fields=a,b` returns, for each record, attributes a and b with the values the full record has."""
    projection = run.semantics.projection
    assert projection is not None
    param, requirement = projection["param"], projection["requirement"]
    id_name = run.semantics.id_pointer.lstrip("/")
    check = "projection_keeps_values"
    inventory = discovery.inventory(run)
    attributes = sorted(
        {key for _, record in inventory.records() if isinstance(record, dict) for key in record} - {id_name}
    )

    def plan(data: st.DataObject) -> Attempt | None:
        if not attributes:
            run.not_exercised([requirement], check, "no records to select attributes of")
            return None
        query = draw_query(run, data, with_sort=False)
        chosen = data.draw(st.lists(st.sampled_from(attributes), min_size=1, max_size=3, unique=True), label=param)
        size = data.draw(st.sampled_from((5, 10, 25)), label="page size")
        # The id is asked for too, so records can be matched whatever the order.
        selection = ",".join([*chosen, id_name])

        def attempt() -> list[Observation]:
            full_reply, full, stable = fetch_twice(run, query, 0, size)
            if not stable:
                return [Observation(requirement, Outcome.INCONCLUSIVE, check, UNSTABLE)]
            projected_reply, projected = fetch(run, {**query, param: selection}, 0, size)
            if full is None or projected is None:
                return []
            if not full:
                return [Observation(requirement, Outcome.NOT_EXERCISED, check, "the query matched no records")]
            by_id = {str(pointer_get(record, run.semantics.id_pointer)): record for record in full}
            for record in projected:
                if not isinstance(record, dict):
                    continue
                original = by_id.get(str(record.get(id_name)))
                if original is None:
                    continue
                for name in chosen:
                    if name in original and name not in record:
                        return [
                            _fail(
                                requirement,
                                check,
                                f"{param}={selection} dropped {name} from record {record.get(id_name)}",
                                full_reply,
                                projected_reply,
                                name,
                                "absent",
                            )
                        ]
                    if name in record and record[name] != original.get(name):
                        return [
                            _fail(
                                requirement,
                                check,
                                f"{param}={selection} changed {name} of record {record.get(id_name)}",
                                full_reply,
                                projected_reply,
                                repr(original.get(name)),
                                repr(record[name]),
                            )
                        ]
            if sorted(ids(run, projected)) != sorted(by_id):
                return [
                    _fail(
                        requirement,
                        check,
                        f"{param}={selection} returned other records than the same query without it",
                        full_reply,
                        projected_reply,
                        describe_ids(sorted(by_id)),
                        describe_ids(sorted(ids(run, projected))),
                    )
                ]
            return [Observation(requirement, Outcome.PASS, check)]

        return attempt

    explore(run, check, 4, plan)


def _fail(
    requirement: str, check: str, message: str, first: Any, second: Any, expected: str, received: str
) -> Observation:
    return Observation(requirement, Outcome.FAIL, check, message, received, expected, (first.evidence, second.evidence))


@scenario(applies=lambda semantics: semantics.representations is not None)
def representation_same_records(run: ApiRun) -> None:
    """The base and the extended representation are accepted and hold the same records; extended ones say so."""
    representations = run.semantics.representations
    assert representations is not None
    param, requirement = representations["param"], representations["requirement"]
    extended_requirement = next(
        (r.id for r in run.contract.requirements if "representation_same_records" in r.checks and r.level == "SHOULD"),
        None,
    )
    check = "representation_same_records"
    size = discovery.honoured_size(run)

    def plan(data: st.DataObject) -> Attempt | None:
        query = draw_query(run, data, with_sort=False)

        def attempt() -> list[Observation]:
            plain_reply, plain, stable = fetch_twice(run, query, 0, size)
            if not stable:
                return [Observation(requirement, Outcome.INCONCLUSIVE, check, UNSTABLE)]
            observations: list[Observation] = []
            for name in (representations["base"], representations["extended"]):
                reply, records = fetch(run, {**query, param: name}, 0, size)
                if plain is None:
                    return []
                if records is None:
                    observations.append(
                        _fail(
                            requirement,
                            check,
                            f"{param}={name} was not accepted: {reply.status}",
                            plain_reply,
                            reply,
                            "200",
                            str(reply.status),
                        )
                    )
                    continue
                if sorted(ids(run, records)) != sorted(ids(run, plain)):
                    observations.append(
                        _fail(
                            requirement,
                            check,
                            f"{param}={name} returned other records than the same query without it",
                            plain_reply,
                            reply,
                            describe_ids(sorted(ids(run, plain))),
                            describe_ids(sorted(ids(run, records))),
                        )
                    )
                    continue
                observations.append(Observation(requirement, Outcome.PASS, check))
                if name == representations["extended"] and extended_requirement and records:
                    unmarked = [r for r in records if pointer_get(r, "/@type") != name]
                    if unmarked:
                        observations.append(
                            _fail(
                                extended_requirement,
                                check,
                                f"with {param}={name}, {len(unmarked)} records are not marked @type {name}",
                                plain_reply,
                                reply,
                                name,
                                repr(pointer_get(unmarked[0], "/@type")),
                            )
                        )
                    else:
                        observations.append(Observation(extended_requirement, Outcome.PASS, check))
            return observations

        return attempt

    explore(run, check, 3, plan)
