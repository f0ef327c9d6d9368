"""Order invariants: every sort key in both directions, the default direction, the default order, stability.

The order of each fetched page is judged by the per-response check `records_in_order`; these
scenarios make sure the queries that exercise it are sent, and say when the data offered nothing to
check (no ties, no amounts whose text and numeric order differ).
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from apiconform.contract import OrderKey
from apiconform.engine import discovery
from apiconform.engine.records import comparable, order_violation, pointer_get
from apiconform.engine.response_checks import order_requirement
from apiconform.engine.scenarios import Attempt, describe_ids, explore, ids, page_words, scenario
from apiconform.engine.scenarios.paging import UNSTABLE, draw_query, fetch, fetch_twice
from apiconform.engine.target import ApiRun, Reply
from apiconform.engine.verdicts import Observation, Outcome


def _has_sort(semantics: object) -> bool:
    return getattr(getattr(semantics, "ordering", None), "sort", None) is not None


@scenario(applies=_has_sort)
def sorted_by_each_key(run: ApiRun) -> None:
    """Every sort key in every direction, on the whole collection and on a narrowed part of it; the order
    must also carry on from one page to the next (each page's own order is judged per response)."""
    sort = run.semantics.ordering.sort
    assert sort is not None
    requirements = run.semantics.ordering.requirements
    check = "sorted_by_each_key"
    size = discovery.honoured_size(run)
    inventory = discovery.inventory(run)
    narrowing = [flt for flt in run.semantics.filters.values() if flt.narrowing and flt.field]
    bases: list[dict[str, str]] = [dict(partition.query) for partition in inventory.partitions]
    if narrowing:
        values = inventory.values(narrowing[0].field or "")
        bases.extend({narrowing[0].param: str(value)} for value in values[:2])
    tie_seen = False
    for name, key in sort.keys.items():
        numeric_differs = False
        for direction_name, direction in sort.directions.items():
            keys = [OrderKey(key.field, key.compare, direction), *run.semantics.ordering.tiebreak]
            for base in bases:
                query = {**base, sort.field_param: name, sort.direction_param: direction_name}
                first_reply, first = fetch(run, query, 0, size)
                second_reply, second = fetch(run, query, 1, size)
                for records in (first, second):
                    if records:
                        tie_seen = tie_seen or _has_tie(records, keys[0])
                        numeric_differs = numeric_differs or _numeric_differs(records, keys[0])
                if not first or not second or len(first) < size or set(ids(run, first)) & set(ids(run, second)):
                    # A short first page is the last one, and pages that overlap are a paging fault:
                    # both are judged by the paging checks, not as an order across the boundary.
                    continue
                run.observe(_boundary(run, query, keys, first[-1], second[0], (first_reply, second_reply), size))
        if key.requirement and key.compare == "decimal" and not numeric_differs:
            run.not_exercised(
                [key.requirement], check, f"no page sorted by {name} held amounts whose text and numeric orders differ"
            )
    if not tie_seen and "tiebreak" in requirements:
        run.not_exercised([requirements["tiebreak"]], check, "no sorted page held two equal sort values")


def _numeric_differs(records: list[Any], key: OrderKey) -> bool:
    """The page is in numeric order, and text order would have put it otherwise."""
    if key.compare != "decimal":
        return False
    as_text = OrderKey(key.field, "text", key.direction)
    return order_violation(records, [key]) is None and order_violation(records, [as_text]) is not None


def _boundary(
    run: ApiRun,
    query: dict[str, str],
    keys: list[OrderKey],
    last: Any,
    first: Any,
    replies: tuple[Reply, Reply],
    size: int,
) -> Observation:
    """The last record of one page and the first of the next are in order too."""
    check = "sorted_by_each_key"
    if any(comparable(pointer_get(r, k.field), k.compare) is None for r in (last, first) for k in keys):
        return Observation(
            run.semantics.ordering.requirements["field"],
            Outcome.NOT_EXERCISED,
            check,
            "a sort value cannot be compared (a schema violation)",
        )
    violation = order_violation([last, first], keys)
    requirement, alternatives = order_requirement(run, query, [last, first], keys, violation.key if violation else 0)
    if violation is None:
        return Observation(run.semantics.ordering.requirements["field"], Outcome.PASS, check)
    return Observation(
        requirement,
        Outcome.FAIL,
        check,
        f"the last record of {page_words(run.semantics.paging, 0, size)} and the first of "
        f"{page_words(run.semantics.paging, 1, size)} are out of order: {violation.reason}",
        violation.reason,
        " then ".join(f"{k.field} {k.direction}" for k in keys),
        tuple(reply.evidence for reply in replies),
        alternatives,
    )


def _has_tie(records: list[object], key: OrderKey) -> bool:
    values = [comparable(pointer_get(record, key.field), key.compare) for record in records]
    return any(a is not None and a == b for a, b in zip(values, values[1:], strict=False))


@scenario(applies=_has_sort)
def default_direction_is_asc(run: ApiRun) -> None:
    """A sort field without a direction orders like the documented default direction."""
    sort = run.semantics.ordering.sort
    assert sort is not None
    requirement = run.semantics.ordering.requirements["default-direction"]
    check = "default_direction_is_asc"
    size = discovery.honoured_size(run)

    def plan(data: st.DataObject) -> Attempt | None:
        name = data.draw(st.sampled_from(sorted(sort.keys)), label="sortField")
        query = draw_query(run, data, with_sort=False)

        def attempt() -> list[Observation]:
            implicit_reply, implicit = fetch(run, {**query, sort.field_param: name}, 0, size)
            explicit_reply, explicit, stable = fetch_twice(
                run, {**query, sort.field_param: name, sort.direction_param: sort.default_direction}, 0, size
            )
            if not stable:
                return [Observation(requirement, Outcome.INCONCLUSIVE, check, UNSTABLE)]
            if implicit is None or explicit is None:
                return []
            if len(implicit) < 2:
                return [Observation(requirement, Outcome.NOT_EXERCISED, check, "fewer than two records to order")]
            if ids(run, implicit) != ids(run, explicit):
                return [
                    Observation(
                        requirement,
                        Outcome.FAIL,
                        check,
                        f"{sort.field_param}={name} without {sort.direction_param} differs from "
                        f"{sort.direction_param}={sort.default_direction}",
                        describe_ids(ids(run, implicit)),
                        describe_ids(ids(run, explicit)),
                        (implicit_reply.evidence, explicit_reply.evidence),
                    )
                ]
            return [Observation(requirement, Outcome.PASS, check)]

        return attempt

    explore(run, check, len(sort.keys), plan)


@scenario(applies=lambda semantics: "default-order" in semantics.ordering.requirements)
def default_order_holds(run: ApiRun) -> None:
    """Without a sort field the same page comes back in the same order; where the spec names a default
    order, each page's order is judged against it by `records_in_order`."""
    requirement = run.semantics.ordering.requirements["default-order"]
    check = "default_order_holds"

    def plan(data: st.DataObject) -> Attempt | None:
        query = draw_query(run, data, with_sort=False)
        # Large pages: the more records, the likelier a tie whose order can change between requests.
        size = data.draw(st.sampled_from((10, 25, 50, 100)), label="page size")
        index = data.draw(st.integers(0, 2), label="page")

        def attempt() -> list[Observation]:
            # The per-response check judges each page's order; two requests of the same page must agree.
            first_reply, first = fetch(run, query, index, size)
            second_reply, second = fetch(run, query, index, size)
            if first is None or second is None or not first:
                return []
            if ids(run, first) != ids(run, second):
                return [
                    Observation(
                        requirement,
                        Outcome.FAIL,
                        check,
                        "the same page came back in a different order",
                        describe_ids(ids(run, second)),
                        describe_ids(ids(run, first)),
                        (first_reply.evidence, second_reply.evidence),
                    )
                ]
            return [Observation(requirement, Outcome.PASS, check)]

        return attempt

    explore(run, check, 5, plan)


@scenario(applies=lambda semantics: "stable" in semantics.ordering.requirements)
def order_is_stable(run: ApiRun) -> None:
    """With no documented order, the same query returns the same order every time."""
    requirement = run.semantics.ordering.requirements["stable"]
    check = "order_is_stable"
    size = discovery.honoured_size(run)

    def plan(data: st.DataObject) -> Attempt | None:
        query = draw_query(run, data, with_sort=False)

        def attempt() -> list[Observation]:
            replies = [fetch(run, query, 0, size) for _ in range(3)]
            orders = [ids(run, records) for _, records in replies if records is not None]
            if len(orders) < 3:
                return []
            if len(orders[0]) < 2:
                return [Observation(requirement, Outcome.NOT_EXERCISED, check, "fewer than two records to order")]
            for other, (reply, _) in zip(orders[1:], replies[1:], strict=True):
                if other != orders[0]:
                    return [
                        Observation(
                            requirement,
                            Outcome.FAIL,
                            check,
                            "the same query returned the same records in a different order",
                            describe_ids(other),
                            describe_ids(orders[0]),
                            (replies[0][0].evidence, reply.evidence),
                        )
                    ]
            return [Observation(requirement, Outcome.PASS, check)]

        return attempt

    explore(run, check, 4, plan)
