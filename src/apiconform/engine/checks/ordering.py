"""Order: each page in the order asked for (or the default order), every sort key in both directions,
the default direction, the order carried across page boundaries, and the same order every time.

The order of each page is judged per response (`records_in_order`); the relations make sure the
queries that exercise it are sent, judge the boundary between pages, and say when the data offered
nothing to check (no ties, no amounts whose text and numeric order differ).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from hypothesis import strategies as st

from apiconform.contract import OrderKey, Semantics
from apiconform.engine.checks.base import (
    UNSTABLE,
    Attempt,
    Context,
    Judge,
    describe_ids,
    draw_query,
    explore,
    fetch,
    fetch_twice,
    ids,
    narrowing_filter,
    page_words,
    query_words,
    relation,
    response_check,
)
from apiconform.engine.model import discovery
from apiconform.engine.model.apirun import ApiRun
from apiconform.engine.model.exchange import Exchange
from apiconform.engine.model.records import comparable, order_violation, pointer_get, render
from apiconform.engine.model.verdicts import Observation
from apiconform.reporting.document import plural

# A page with fewer distinct values than this is reverse-sorted (or text-sorted) by chance too often
# to say on its own why it is out of order.
DISTINCT_VALUES_TO_DIAGNOSE = 5


# --- what order a query asks for ----------------------------------------------------------------------


def expected_order(semantics: Semantics, query: Mapping[str, str]) -> tuple[str, list[OrderKey]] | None:
    """The requirement and the order a query's records must be in, or None when the spec fixes none."""
    ordering = semantics.ordering
    sort = ordering.sort
    if sort is None:
        return None
    if not sort.mentioned(query):
        if not ordering.default:
            return None
        return ordering.requirements["default-order"], list(ordering.default)
    # None for a sort the spec does not document, e.g. a direction without a field (DECISIONS.md D-OES-1).
    asked = sort.asked(query)
    if asked is None:
        return None
    key = sort.keys[asked.key]
    return ordering.requirements["field"], [OrderKey(key.field, key.compare, asked.direction), *ordering.tiebreak]


def sorted_by(records: list[Any], key: OrderKey) -> bool:
    return order_violation(records, [key]) is None


def has_tie(records: list[Any], key: OrderKey) -> bool:
    """Two neighbouring records share the key's value (where a tiebreak decides)."""
    values = [comparable(pointer_get(record, key.field), key.compare) for record in records]
    return any(a is not None and a == b for a, b in zip(values, values[1:], strict=False))


def text_order_differs(records: list[Any], key: OrderKey) -> bool:
    """The key's values are written as text (numbers in strings, instants), and text order would put the
    records otherwise. JSON numbers have no text order to confuse theirs with."""
    if not all(isinstance(pointer_get(record, key.field), str) for record in records):
        return False
    return order_violation(records, [OrderKey(key.field, "text", key.direction)]) is not None


def numeric_differs(records: list[Any], key: OrderKey) -> bool:
    """The page is in numeric order, and text order would have put it otherwise."""
    if key.compare != "decimal":
        return False
    return order_violation(records, [key]) is None and text_order_differs(records, key)


def order_requirement(
    semantics: Semantics, query: Mapping[str, str], records: list[Any], keys: list[OrderKey], position: int
) -> tuple[str, tuple[str, ...]]:
    """The requirement an order violation breaks (tiebreak, direction, numeric comparison or the sort
    field), and, for a page too small to tell, the requirements it may break instead."""
    ordering = semantics.ordering
    asked = ordering.sort.asked(query) if ordering.sort else None
    if ordering.sort is None or asked is None:
        return ordering.requirements["default-order"], ()
    if position > 0:
        return ordering.requirements["tiebreak"], ()
    primary = keys[0]
    direction = ordering.requirements["direction"]
    if not asked.explicit:
        direction = ordering.requirements.get("default-direction", direction)
    reverse = OrderKey(primary.field, primary.compare, "desc" if primary.direction == "asc" else "asc")
    sort_key = ordering.sort.keys[asked.key]
    as_text = OrderKey(primary.field, "text", primary.direction)
    suspects = []
    if sort_key.requirement and primary.compare == "decimal" and sorted_by(records, as_text):
        suspects.append(sort_key.requirement)
    if sorted_by(records, reverse):
        suspects.append(direction)
    distinct = {comparable(pointer_get(record, primary.field), primary.compare) for record in records}
    if len(suspects) == 1 and len(distinct) >= DISTINCT_VALUES_TO_DIAGNOSE:
        return suspects[0], ()
    return ordering.requirements["field"], tuple(suspects)


# --- per response -------------------------------------------------------------------------------------


def _has_sort(semantics: Semantics) -> bool:
    return semantics.ordering.sort is not None


@response_check(
    applies=_has_sort,
    needs=("order.sort",),
    quote="the order a sort field and direction give (or the documented default order)",
)
def records_in_order(ctx: Context, exchange: Exchange) -> Iterator[Observation]:
    """A page's records are in the order its query asks for (or the documented default order)."""
    records = ctx.records(exchange)
    if records is None or len(records) < 2:
        return
    semantics = ctx.semantics
    sort = semantics.ordering.sort
    if sort and any(name in exchange.invalid_params for name in sort.params):
        return
    expected = expected_order(semantics, exchange.query)
    if expected is None:
        return
    requirement, keys = expected
    judge = Judge("records_in_order", requirement)
    if any(comparable(pointer_get(record, key.field), key.compare) is None for record in records for key in keys):
        return  # a value that cannot be compared is a schema violation, reported as one
    violation = order_violation(records, keys)
    if violation is None:
        values = {comparable(pointer_get(record, keys[0].field), keys[0].compare) for record in records}
        compared = (
            f"{plural(len(records), 'record')} in order ({' then '.join(f'{k.field} {k.direction}' for k in keys)})"
        )
        if len(values) > 1:
            yield judge.passed(compared, [exchange], len(records))
        else:
            # Every record shares the first key: any order of the field (or none) puts them so.
            yield judge.corroborated(compared)
        if requirement == semantics.ordering.requirements.get("field"):
            yield from _sorted_page_passes(semantics, exchange.query, records, keys[0])
        return
    blamed, alternatives = order_requirement(semantics, exchange.query, records, keys, violation.key)
    left, right = records[violation.index], records[violation.index + 1]
    id_pointer = semantics.id_pointer
    yield judge.on(blamed).failed(
        f"records {violation.index} ({render(left, id_pointer)}) and {violation.index + 1} "
        f"({render(right, id_pointer)}) are out of order: {violation.reason}",
        [exchange],
        received=violation.reason,
        expected=" then ".join(f"{k.field} {k.direction}" for k in keys),
        alternatives=alternatives,
    )


def _sorted_page_passes(
    semantics: Semantics, query: Mapping[str, str], records: list[Any], primary: OrderKey
) -> Iterator[Observation]:
    """What a correctly sorted page also shows, when its data could have shown otherwise."""
    ordering = semantics.ordering
    asked = ordering.sort.asked(query) if ordering.sort else None
    if ordering.sort is None or asked is None:
        return  # the default order, judged under a requirement that also serves the sort field
    judge = Judge("records_in_order", ordering.requirements.get("field", ""))
    values = [comparable(pointer_get(record, primary.field), primary.compare) for record in records]
    if len(set(values)) > 1 and "direction" in ordering.requirements:
        requirement = ordering.requirements["direction"]
        if not asked.explicit:
            requirement = ordering.requirements.get("default-direction", requirement)
        yield judge.on(requirement).passed(f"{primary.field} {primary.direction} over {len(set(values))} values")
    if "tiebreak" in ordering.requirements and has_tie(records, primary):
        yield judge.on(ordering.requirements["tiebreak"]).passed(f"records tied on {primary.field} in tiebreak order")
    key = ordering.sort.keys[asked.key]
    if key.requirement and primary.compare != "text" and text_order_differs(records, primary):
        yield judge.on(key.requirement).passed(
            f"{primary.field} in {primary.compare} order, which text order would break"
        )


# --- across requests ----------------------------------------------------------------------------------


def boundary(
    semantics: Semantics,
    query: Mapping[str, str],
    keys: list[OrderKey],
    last: Any,
    first: Any,
    replies: tuple[Exchange, Exchange],
    size: int,
) -> Observation:
    """The last record of one page and the first of the next are in order too."""
    judge = Judge("sorted_by_each_key", semantics.ordering.requirements["field"])
    if any(comparable(pointer_get(r, k.field), k.compare) is None for r in (last, first) for k in keys):
        return judge.not_exercised("a sort value cannot be compared (a schema violation)")
    # A cursor pager cannot name its second page by position: it is the page the first named, its paging
    # parameters as sent.
    paging = semantics.paging
    sent = replies[1].query
    second = (
        page_words(paging, 1, size)
        if paging.random_access
        else query_words({name: sent[name] for name in (paging.size_param, paging.position_param) if name in sent})
    )
    violation = order_violation([last, first], keys)
    if violation is None:
        return judge.passed(
            f"the last record of {page_words(semantics.paging, 0, size)} and the first of {second} are in order",
            replies,
        )
    requirement, alternatives = order_requirement(semantics, query, [last, first], keys, violation.key)
    return judge.on(requirement).failed(
        f"the last record of {page_words(semantics.paging, 0, size)} and the first of {second} are out of "
        f"order: {violation.reason}",
        replies,
        violation.reason,
        " then ".join(f"{k.field} {k.direction}" for k in keys),
        alternatives,
    )


@relation(
    applies=_has_sort,
    needs=("order.sort",),
    quote="the sortable fields and the directions",
)
def sorted_by_each_key(run: ApiRun) -> None:
    """Every sort key in every direction, on the whole collection and on a narrowed part of it; the order
    must also carry on from one page to the next (each page's own order is judged per response)."""
    sort = run.semantics.ordering.sort
    assert sort is not None
    requirements = run.semantics.ordering.requirements
    check = "sorted_by_each_key"
    size = discovery.honoured_size(run)
    inventory = discovery.inventory(run)
    narrowing = narrowing_filter(run.semantics)
    bases: list[dict[str, str]] = [dict(partition.query) for partition in inventory.partitions]
    if narrowing is not None:
        values = inventory.values(narrowing.field or "")
        bases.extend({narrowing.param: str(value)} for value in values[:1])
    tie_seen = False
    paging = run.semantics.paging
    for name, key in sort.keys.items():
        differs = False
        asked = [
            ({**base, **sort.query(name, way)}, direction) for way, direction in sort.ways.items() for base in bases
        ]
        first_queries = [{**query, **paging.page(0, size)} for query, _ in asked]
        firsts = run.get_many(first_queries)
        second_queries: dict[int, dict[str, str]] = {}
        for i, (first_query, reply) in enumerate(zip(first_queries, firsts, strict=True)):
            batch = reply.records(run.semantics.records_pointer) or []
            if len(batch) < size:
                continue  # a short first page is the last one: there is no boundary to judge after it
            following = discovery.page_after(run, first_query, reply, batch, size)
            if following is not None:
                second_queries[i] = following
        seconds = dict(zip(second_queries, run.get_many(list(second_queries.values())), strict=True))
        for i, ((query, direction), first_reply) in enumerate(zip(asked, firsts, strict=True)):
            keys = [OrderKey(key.field, key.compare, direction), *run.semantics.ordering.tiebreak]
            second_reply = seconds.get(i)
            first = first_reply.records(run.semantics.records_pointer)
            second = second_reply.records(run.semantics.records_pointer) if second_reply else None
            for records in (first, second):
                if records:
                    tie_seen = tie_seen or has_tie(records, keys[0])
                    differs = differs or numeric_differs(records, keys[0])
            if not first or not second or second_reply is None or set(ids(run, first)) & set(ids(run, second)):
                # Pages that overlap are a paging fault, judged by the paging checks, not as an order
                # across the boundary.
                continue
            run.observe(boundary(run.semantics, query, keys, first[-1], second[0], (first_reply, second_reply), size))
        if key.requirement and key.compare == "decimal" and not differs:
            run.not_exercised(
                [key.requirement], check, f"no page sorted by {name} held amounts whose text and numeric orders differ"
            )
    if not tie_seen and "tiebreak" in requirements:
        run.not_exercised([requirements["tiebreak"]], check, "no sorted page held two equal sort values")


def _has_default_direction(semantics: Semantics) -> bool:
    """A sort field may come without its direction (the spelling with a direction parameter); a prefix or
    a parameter per direction names the direction in every sorted query, so there is none to judge."""
    sort = semantics.ordering.sort
    return sort is not None and sort.default_direction is not None


@relation(
    applies=_has_default_direction,
    needs=("order.sort.default-direction", "order.requirements.default-direction"),
    quote="the direction used when a sort field comes without one",
)
def default_direction_is_asc(run: ApiRun) -> None:
    """A sort field without a direction orders like the documented default direction."""
    sort = run.semantics.ordering.sort
    assert sort is not None and sort.default_direction is not None
    judge = Judge("default_direction_is_asc", run.semantics.ordering.requirements["default-direction"])
    size = discovery.honoured_size(run)

    def plan(data: st.DataObject) -> Attempt | None:
        name = data.draw(st.sampled_from(sorted(sort.keys)), label="sortField")
        query = draw_query(run, data, with_sort=False)

        def attempt() -> list[Observation]:
            implicit_reply, implicit = fetch(run, {**query, **sort.query(name)}, 0, size)
            explicit_reply, explicit, stable = fetch_twice(
                run, {**query, **sort.query(name, sort.default_direction)}, 0, size
            )
            if not stable:
                return [judge.inconclusive(UNSTABLE)]
            if implicit is None or explicit is None:
                return judge.unanswered(run.semantics.records_pointer, implicit_reply, explicit_reply)
            if len(implicit) < 2:
                return [judge.not_exercised("fewer than two records to order")]
            if ids(run, implicit) != ids(run, explicit):
                return [
                    judge.failed(
                        f"{sort.field_param}={name} without {sort.direction_param} differs from "
                        f"{sort.direction_param}={sort.default_direction}",
                        [implicit_reply, explicit_reply],
                        describe_ids(ids(run, implicit)),
                        describe_ids(ids(run, explicit)),
                    )
                ]
            field = sort.keys[name]
            distinct = {comparable(pointer_get(record, field.field), field.compare) for record in implicit}
            compared = (
                f"{sort.field_param}={name} without {sort.direction_param} gave the order of "
                f"{sort.direction_param}={sort.default_direction} ({plural(len(implicit), 'record')})"
            )
            if len(distinct) < 2:
                return [judge.corroborated(compared)]  # one value: both directions give the same order
            return [judge.passed(compared, [implicit_reply, explicit_reply], len(implicit))]

        return attempt

    explore(run, judge.check, len(sort.keys), plan)


def same_order(semantics: Semantics, replies: list[Exchange], message: str, judge: Judge) -> Observation | None:
    """A failure when a later reply of the same query holds its records in another order than the first."""
    orders = [ids(semantics, reply.records(semantics.records_pointer) or []) for reply in replies]
    for other, reply in zip(orders[1:], replies[1:], strict=True):
        if other != orders[0]:
            return judge.failed(message, [replies[0], reply], describe_ids(other), describe_ids(orders[0]))
    return None


def _default_order_by_position(semantics: Semantics) -> bool:
    """A default order to judge, on pages asked for by position (the first three)."""
    return semantics.paging.random_access and "default-order" in semantics.ordering.requirements


@relation(
    applies=_default_order_by_position,
    needs=("order.default", "order.requirements.default-order", "paging"),
    quote="the order records come in without a sort field",
)
def default_order_holds(run: ApiRun) -> None:
    """Without a sort field the same page comes back in the same order; where the spec names a default
    order, each page's order is judged against it by `records_in_order`."""
    judge = Judge("default_order_holds", run.semantics.ordering.requirements["default-order"])

    def plan(data: st.DataObject) -> Attempt | None:
        query = draw_query(run, data, with_sort=False)
        # Large pages: the more records, the likelier a tie whose order can change between requests.
        size = data.draw(st.sampled_from((10, 25, 50, 100)), label="page size")
        index = data.draw(st.integers(0, 2), label="page")

        def attempt() -> list[Observation]:
            # The per-response check judges each page's order; two requests of the same page must agree.
            first_reply, first = fetch(run, query, index, size)
            second_reply, second = fetch(run, query, index, size)
            if first is None or second is None:
                return judge.unanswered(run.semantics.records_pointer, first_reply, second_reply)
            if len(first) < 2:
                return [judge.not_exercised("fewer than two records to order")]
            failure = same_order(
                run.semantics, [first_reply, second_reply], "the same page came back in a different order", judge
            )
            compared = f"the same page of {plural(len(first), 'record')} came back in the same order twice"
            return [failure or judge.passed(compared, [first_reply], len(first))]

        return attempt

    explore(run, judge.check, 5, plan)


@relation(
    applies=lambda semantics: "stable" in semantics.ordering.requirements,
    needs=("order.stable", "order.requirements.stable"),
    quote="what the stable order rests on (e.g. paging by position)",
)
def order_is_stable(run: ApiRun) -> None:
    """With no documented order, the same query returns the same order every time."""
    judge = Judge("order_is_stable", run.semantics.ordering.requirements["stable"])
    size = discovery.honoured_size(run)

    def plan(data: st.DataObject) -> Attempt | None:
        query = draw_query(run, data, with_sort=False)

        def attempt() -> list[Observation]:
            replies = run.get_many([{**query, **run.semantics.paging.page(0, size)}] * 3)
            fetched = [reply.records(run.semantics.records_pointer) for reply in replies]
            if any(records is None for records in fetched):
                return judge.unanswered(run.semantics.records_pointer, *replies)
            if len(fetched[0] or []) < 2:
                return [judge.not_exercised("fewer than two records to order")]
            message = "the same query returned the same records in a different order"
            compared = f"three requests of the same page of {plural(len(fetched[0] or []), 'record')} agreed"
            return [
                same_order(run.semantics, replies, message, judge)
                or judge.passed(compared, replies[:1], len(fetched[0] or []))
            ]

        return attempt

    explore(run, judge.check, 4, plan)
