"""Representation: attribute selection keeps values, and alternative representations hold the same records."""

from __future__ import annotations

from hypothesis import strategies as st

from apiconform.engine import discovery
from apiconform.engine.records import pointer_get
from apiconform.engine.scenarios import Attempt, describe_ids, explore, failed, flip, ids, scenario
from apiconform.engine.scenarios.paging import UNSTABLE, draw_query, fetch, fetch_twice
from apiconform.engine.target import ApiRun
from apiconform.engine.verdicts import Observation, Outcome
from apiconform.reporting.document import plural


@scenario(applies=lambda semantics: semantics.projection is not None)
def projection_keeps_values(run: ApiRun) -> None:
    """`fields=a,b` returns, for each record, attributes a and b with the values the full record has."""
    projection = run.semantics.projection
    assert projection is not None
    param, requirement = projection["param"], projection["requirement"]
    id_name = run.semantics.id_pointer.lstrip("/")
    check = "projection_keeps_values"
    inventory = discovery.inventory(run)
    records = [record for _, record in inventory.records() if isinstance(record, dict)]
    attributes = sorted({key for record in records for key in record} - {id_name})
    # Objects with null members are where projections go wrong most often: a serialiser set to omit
    # nulls (Jackson's NON_NULL, say) drops them from the selected objects only.
    holding_nulls = sorted(
        {name for record in records for name, value in record.items() if _holds_null(value)} - {id_name}
    )

    def plan(data: st.DataObject) -> Attempt | None:
        if not attributes:
            run.not_exercised([requirement], check, "no records to select attributes of")
            return None
        query = draw_query(run, data, with_sort=False)
        # Half the time every such object at once, so that one null anywhere on the page is enough.
        nulls_inside = holding_nulls if holding_nulls and flip(data, "objects holding nulls?") else []
        least = 0 if nulls_inside else 1
        more = data.draw(st.lists(st.sampled_from(attributes), min_size=least, max_size=3, unique=True), label=param)
        chosen = list(dict.fromkeys([*nulls_inside, *more]))
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
                            failed(
                                requirement,
                                check,
                                f"{param}={selection} dropped {name} from record {record.get(id_name)}",
                                [full_reply, projected_reply],
                                received="absent",
                                expected=name,
                            )
                        ]
                    if name in record and record[name] != original.get(name):
                        return [
                            failed(
                                requirement,
                                check,
                                f"{param}={selection} changed {name} of record {record.get(id_name)}",
                                [full_reply, projected_reply],
                                received=repr(record[name]),
                                expected=repr(original.get(name)),
                            )
                        ]
            if sorted(ids(run, projected)) != sorted(by_id):
                return [
                    failed(
                        requirement,
                        check,
                        f"{param}={selection} returned other records than the same query without it",
                        [full_reply, projected_reply],
                        received=describe_ids(sorted(ids(run, projected))),
                        expected=describe_ids(sorted(by_id)),
                    )
                ]
            return [Observation(requirement, Outcome.PASS, check)]

        return attempt

    explore(run, check, 6, plan)


def _holds_null(value: object) -> bool:
    return isinstance(value, dict) and None in value.values()


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
                        failed(
                            requirement,
                            check,
                            f"{param}={name} was not accepted: {reply.status}",
                            [plain_reply, reply],
                            received=str(reply.status),
                            expected="200",
                        )
                    )
                    continue
                if sorted(ids(run, records)) != sorted(ids(run, plain)):
                    observations.append(
                        failed(
                            requirement,
                            check,
                            f"{param}={name} returned other records than the same query without it",
                            [plain_reply, reply],
                            received=describe_ids(sorted(ids(run, records))),
                            expected=describe_ids(sorted(ids(run, plain))),
                        )
                    )
                    continue
                observations.append(Observation(requirement, Outcome.PASS, check))
                if name == representations["extended"] and extended_requirement and records:
                    unmarked = [r for r in records if pointer_get(r, "/@type") != name]
                    if unmarked:
                        observations.append(
                            failed(
                                extended_requirement,
                                check,
                                f"with {param}={name}, {plural(len(unmarked), 'record is', 'records are')} "
                                f"not marked @type {name}",
                                [plain_reply, reply],
                                received=repr(pointer_get(unmarked[0], "/@type")),
                                expected=name,
                            )
                        )
                    else:
                        observations.append(Observation(extended_requirement, Outcome.PASS, check))
            return observations

        return attempt

    explore(run, check, 3, plan)
