"""Representation: what a record looks like. Attribute selection returns the attributes asked for with
the values the full record has, record rules hold (a field null exactly when another says so), and
alternative representations hold the same records, marked as the spec says."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st

from apiconform.contract import Representations, Semantics
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
    flip,
    ids,
    projected_out,
    relation,
    response_check,
)
from apiconform.engine.model import discovery
from apiconform.engine.model.apirun import ApiRun
from apiconform.engine.model.exchange import Exchange
from apiconform.engine.model.records import equals_typed, pointer_get, render, spelled
from apiconform.engine.model.verdicts import Observation
from apiconform.reporting.document import plural

# --- per response -------------------------------------------------------------------------------------


def _has_projection(semantics: Semantics) -> bool:
    return semantics.projection is not None


@response_check(
    applies=_has_projection,
    needs=("projection",),
    quote="that the field selection returns only the fields asked for",
)
def projection_fields(ctx: Context, exchange: Exchange) -> Iterator[Observation]:
    """With an attribute selection, a record carries no attribute that was not asked for."""
    projection = ctx.semantics.projection
    records = ctx.records(exchange)
    if projection is None or records is None:
        return
    value = exchange.present(projection.param)
    if value is None:
        return
    judge = Judge("projection_fields", projection.requirement)
    listed = {name.strip() for name in value.split(",")}
    inventory = ctx.discovery.inventory
    known = (
        {key for _, record in inventory.records() if isinstance(record, dict) for key in record} if inventory else set()
    )
    if known and not listed & known:
        # No attribute the records have is listed: a server may ignore an unknown name, which leaves no
        # selection at all, and any answer is a reading of that (DECISIONS.md D-BRM-2).
        return
    allowed = listed | set(projection.always_allowed)
    # Left out means absent, or also present as null where the spec accepts that (D-BRM-2).
    null_is_absent = "null" in projection.unlisted
    for index, record in enumerate(records):
        extra = (
            sorted(key for key, item in record.items() if key not in allowed and not (null_is_absent and item is None))
            if isinstance(record, dict)
            else []
        )
        if extra:
            yield judge.failed(
                f"record {index} carries attributes not asked for with {projection.param}={value}: {', '.join(extra)}",
                [exchange],
                received=", ".join(sorted(record)),
                expected=", ".join(sorted(allowed)),
            )
            return
    if not records:
        return
    compared = f"{plural(len(records), 'record')} carried only what {projection.param}={value} asked for"
    # Judging when the records have attributes the selection leaves out (so that a projection ignored
    # would have shown them): the inventory's records say which attributes there are.
    if known - allowed:
        yield judge.passed(compared, [exchange], len(records))
    else:
        yield judge.corroborated(compared)


def _has_rules(semantics: Semantics) -> bool:
    return bool(semantics.record_rules)


@response_check(
    applies=_has_rules,
    needs=("record-rules",),
    quote="the rule: where a field has a given value, another field is null (or is not)",
)
def records_follow_rules(ctx: Context, exchange: Exchange) -> Iterator[Observation]:
    """Each record rule holds: where a field has a given value, another field is null (or is not)."""
    records = ctx.records(exchange)
    if records is None:
        return
    hidden = projected_out(ctx.semantics, exchange.query)
    for rule in ctx.semantics.record_rules:
        if hidden(rule.when_field) or hidden(rule.then_field):
            continue
        judge = Judge("records_follow_rules", rule.requirement)
        # The value is compared by the record value's JSON type: "false" finds the boolean false (D-GEN-24).
        applicable = [r for r in records if equals_typed(pointer_get(r, rule.when_field), rule.when_equals)]
        broken = [r for r in applicable if (pointer_get(r, rule.then_field) is None) != rule.then_is_null]
        if broken:
            record = broken[0]
            yield judge.failed(
                f"record {render(record, ctx.semantics.id_pointer)} has {rule.when_field.lstrip('/')}="
                f"{rule.when_equals} and {rule.then_field.lstrip('/')}={render(record, rule.then_field)}",
                [exchange],
                received=render(record, rule.then_field),
                expected="null" if rule.then_is_null else "a value",
            )
        elif applicable:
            yield judge.passed(
                f"{plural(len(applicable), 'record')} with {rule.when_field.lstrip('/')}={rule.when_equals} "
                f"had {rule.then_field.lstrip('/')} {'null' if rule.then_is_null else 'set'}",
                [exchange],
                len(applicable),
            )


# --- across requests: judging -------------------------------------------------------------------------


def projection_kept(
    semantics: Semantics,
    full: list[Any],
    projected: list[Any],
    chosen: list[str],
    selection: str,
    replies: list[Exchange],
    judge: Judge,
) -> Observation:
    """The projected records hold each chosen attribute with the full record's value, and the same records.

    Where the spec lets null stand for absent (`unlisted: null`), a null attribute or member left out is
    the same value (DECISIONS.md D-BRM-2)."""
    projection = semantics.projection
    param = projection.param if projection else ""
    null_is_absent = projection is not None and "null" in projection.unlisted
    same = _same_ignoring_nulls if null_is_absent else _same
    id_name = semantics.id_pointer.lstrip("/")
    by_id = {spelled(pointer_get(record, semantics.id_pointer)): record for record in full}
    for record in projected:
        if not isinstance(record, dict):
            continue
        original = by_id.get(spelled(record.get(id_name)))
        if original is None:
            continue
        for name in chosen:
            if name in original and name not in record and not (null_is_absent and original[name] is None):
                return judge.failed(
                    f"{param}={selection} dropped {name} from record {record.get(id_name)}",
                    replies,
                    received="absent",
                    expected=name,
                )
            if name in record and not same(record[name], original.get(name)):
                return judge.failed(
                    f"{param}={selection} changed {name} of record {record.get(id_name)}",
                    replies,
                    received=render(record, "/" + name),
                    expected=render(original, "/" + name),
                )
    if sorted(ids(semantics, projected)) != sorted(by_id):
        return judge.failed(
            f"{param}={selection} returned other records than the same query without it",
            replies,
            received=describe_ids(sorted(ids(semantics, projected))),
            expected=describe_ids(sorted(by_id)),
        )
    held = [name for name in chosen if any(isinstance(r, dict) and name in r for r in full)]
    compared = f"{param}={selection} kept the full records' values of {', '.join(held) or 'nothing'}"
    if not projected or not held:
        # Nothing selected was there to keep: a projection that drops values passes this too.
        return judge.corroborated(compared)
    return judge.passed(compared, replies[::-1], len(projected))


def _same(value: Any, other: Any) -> bool:
    return bool(value == other)


def _same_ignoring_nulls(value: Any, other: Any) -> bool:
    """Equal once every null member (at any depth) is taken for an absent one."""
    return bool(_nulls_dropped(value) == _nulls_dropped(other))


def _nulls_dropped(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _nulls_dropped(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_nulls_dropped(item) for item in value]
    return value


def marked(representations: Representations, records: list[Any], replies: list[Exchange], judge: Judge) -> Observation:
    """Each record of the extended representation carries its name at the marker field."""
    field, name, param = representations.marker_field or "", representations.extended, representations.param
    unmarked = [r for r in records if pointer_get(r, field) != name]
    if not unmarked:
        return judge.passed(f"with {param}={name}, every record was marked {name}", replies[1:], len(records))
    return judge.failed(
        f"with {param}={name}, {plural(len(unmarked), 'record is', 'records are')} "
        f"not marked {field.lstrip('/')} {name}",
        replies,
        received=render(unmarked[0], field),
        expected=name,
    )


# --- across requests ----------------------------------------------------------------------------------


@relation(
    applies=_has_projection,
    needs=("projection",),
    quote="that a selected field carries the value the full record has",
)
def projection_keeps_values(run: ApiRun) -> None:
    """`fields=a,b` returns, for each record, attributes a and b with the values the full record has."""
    projection = run.semantics.projection
    assert projection is not None
    param = projection.param
    judge = Judge("projection_keeps_values", projection.requirement)
    id_name = run.semantics.id_pointer.lstrip("/")
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
            run.not_exercised([judge.requirement], judge.check, "no records to select attributes of")
            return None
        query = draw_query(run, data, with_sort=False)
        representations = run.semantics.representations
        if representations is not None and flip(data, "extended representation?"):
            # A projection combined with the other representation: its records go through other code.
            query[representations.param] = representations.extended
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
                return [judge.inconclusive(UNSTABLE)]
            projected_reply, projected = fetch(run, {**query, param: selection}, 0, size)
            if full is None or projected is None:
                return judge.unanswered(run.semantics.records_pointer, full_reply, projected_reply)
            if not full:
                return [judge.not_exercised("the query matched no records")]
            replies = [full_reply, projected_reply]
            return [projection_kept(run.semantics, full, projected, chosen, selection, replies, judge)]

        return attempt

    explore(run, judge.check, 5, plan)


def _holds_null(value: object) -> bool:
    return isinstance(value, dict) and None in value.values()


@relation(
    applies=lambda semantics: semantics.representations is not None,
    needs=("representations",),
    quote="that the base and the extended representation list the same records",
)
def representation_same_records(run: ApiRun) -> None:
    """The base and the extended representation are accepted and hold the same records; where the spec
    names a marker field, extended records say so there."""
    representations = run.semantics.representations
    assert representations is not None
    param = representations.param
    judge = Judge("representation_same_records", representations.requirement)
    marker = judge.on(representations.marker_requirement) if representations.marker_requirement else None
    size = discovery.honoured_size(run)

    def plan(data: st.DataObject) -> Attempt | None:
        query = draw_query(run, data, with_sort=False)

        def attempt() -> list[Observation]:
            plain_reply, plain, stable = fetch_twice(run, query, 0, size)
            if not stable:
                return [judge.inconclusive(UNSTABLE)]
            observations: list[Observation] = []
            for name in (representations.base, representations.extended):
                reply, records = fetch(run, {**query, param: name}, 0, size)
                if plain is None:
                    return judge.unanswered(run.semantics.records_pointer, plain_reply)
                if records is None:
                    observations.append(
                        judge.failed(
                            f"{param}={name} was not accepted: {reply.status}",
                            [plain_reply, reply],
                            received=str(reply.status),
                            expected="200",
                        )
                    )
                    continue
                if sorted(ids(run, records)) != sorted(ids(run, plain)):
                    observations.append(
                        judge.failed(
                            f"{param}={name} returned other records than the same query without it",
                            [plain_reply, reply],
                            received=describe_ids(sorted(ids(run, records))),
                            expected=describe_ids(sorted(ids(run, plain))),
                        )
                    )
                    continue
                if records:
                    compared = f"{param}={name} returned the same {plural(len(records), 'record')} as without it"
                    observations.append(judge.passed(compared, [reply, plain_reply], len(records)))
                else:
                    observations.append(judge.not_exercised("the query matched no records"))
                if name == representations.extended and marker is not None and records:
                    observations.append(marked(representations, records, [plain_reply, reply], marker))
            return observations

        return attempt

    explore(run, judge.check, 3, plan)
