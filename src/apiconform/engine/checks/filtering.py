"""Filters: every record of a filtered page satisfies the filters (per response), and, on complete result
sets small enough to fetch whole, the filter relations.

The base set B is everything one narrowing value matches (e.g. one account). Within it:

- `filters_select_matching_records`: B with one more filter equals the records of B that satisfy it
  (soundness, completeness and AND in one relation); the narrowing filter finds every record the
  inventory saw with that value; a filter's default equals asking for the default explicitly.
- `comma_list_is_union`: `p=a,b` equals `p=a` united with `p=b`.
- `unknown_filter_value_matches_nothing`: a value no record has matches no record.
- `case_variants_agree`: a case-insensitive filter finds the same records however the value is spelt.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from apiconform.contract import Filter
from apiconform.engine import discovery
from apiconform.engine.checks.base import (
    Attempt,
    Context,
    Judge,
    Plan,
    describe_ids,
    explore,
    failed,
    flip,
    ids,
    narrowing_filter,
    projected_out,
    relation,
    response_check,
)
from apiconform.engine.records import MISSING, parse_instant, pointer_get, record_matches, render
from apiconform.engine.target import ApiRun, Exchange
from apiconform.engine.verdicts import Observation
from apiconform.reporting.document import plural


def joined(source: ApiRun | Context, record: Any, flt: Filter) -> Any:
    """The filter's field of the record's joined row (e.g. the owner of its account), or MISSING if unknown."""
    if not flt.join or not flt.join_field:
        return MISSING
    join = source.semantics.joins[flt.join]
    return source.discovery.join_value(flt.join, str(pointer_get(record, join.record_field)), flt.join_field)


# --- per response -------------------------------------------------------------------------------------


@response_check()
def records_match_filters(ctx: Context, exchange: Exchange) -> Iterator[Observation]:
    """Every record of a page satisfies each filter the query sets (and each filter's default)."""
    records = ctx.records(exchange)
    if records is None:
        return
    semantics = ctx.semantics
    active: list[tuple[Filter, str, str]] = []  # (filter, value, requirement)
    for param, flt in semantics.filters.items():
        value = exchange.present(param, flt.value_format)
        if value is not None:
            active.append((flt, value, flt.requirement))
        elif flt.default is not None and param not in exchange.query and not _default_optional(flt, exchange.query):
            active.append((flt, flt.default, flt.default_requirement or flt.requirement))
    and_requirement = semantics.filter_requirements.get("and")
    hidden = projected_out(semantics, exchange.query)
    for flt, value, requirement in active:
        if flt.field and hidden(flt.field):
            continue  # the projection left the field out (absent or null): nothing to judge on this page
        judge = Judge("records_match_filters", requirement)
        judged = False
        for index, record in enumerate(records):
            verdict = record_matches(record, flt, value, joined(ctx, record, flt))
            if verdict is None:
                continue
            judged = True
            if verdict is False:
                shown = render(record, flt.field) if flt.field else repr(joined(ctx, record, flt))
                yield judge.failed(
                    f"record {index} ({render(record, semantics.id_pointer)}) has {shown}, "
                    f"which does not satisfy {flt.param}={value}",
                    [exchange],
                    received=shown,
                    expected=f"{flt.param}={value}",
                    # With several filters this could be the combination's fault (D-GEN-12).
                    alternatives=(and_requirement,) if and_requirement and len(active) > 1 else (),
                )
                break
        else:
            if judged:
                yield judge.passed()


def _default_optional(flt: Filter, query: Mapping[str, str]) -> bool:
    """The query holds a parameter with which the filter's default may or may not apply (D-BRM-11)."""
    return any(query.get(param) for param in flt.default_optional_with)


# --- across requests ----------------------------------------------------------------------------------


def _holding(run: ApiRun, replies: list[Exchange], wanted: list[str]) -> Exchange:
    """The first of `replies` whose records include one of `wanted` (ids), else the first reply."""
    for reply in replies:
        records = reply.records(run.semantics.records_pointer)
        if records and set(ids(run, records)) & set(wanted):
            return reply
    return replies[0]


# Written in offsets other than the records' own, to catch text comparison of date-times.
OFFSETS = (UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8)))


def enum_values(run: ApiRun, param: str) -> list[str]:
    """The values a parameter's schema allows, when it is an enum (or a list of enum items)."""
    schema = run.contract.resolve(run.contract.query_parameters()[param].get("schema", {}))
    items = run.contract.resolve(schema.get("items", {})) if schema.get("type") == "array" else schema
    return [str(value) for value in items.get("enum", ())]


def matching(source: ApiRun | Context, records: list[Any], flt: Filter, value: str) -> list[Any] | None:
    """The records that satisfy `flt=value`, or None when some record cannot be judged."""
    selected = []
    for record in records:
        verdict = record_matches(record, flt, value, joined(source, record, flt))
        if verdict is None:
            return None
        if verdict:
            selected.append(record)
    return selected


def value_pool(run: ApiRun, data: st.DataObject, flt: Filter, records: list[Any]) -> list[str]:
    """The filter's values the records have, as text: their own field, or for a joined filter mostly
    their own joined rows' values (so the filter has something to keep), now and then every row's."""
    if flt.join and flt.join_field:
        mine = {str(v) for v in (joined(run, r, flt) for r in records) if v is not MISSING}
        rows = run.discovery.joins.get(flt.join) or {}
        every = {str(v) for v in (pointer_get(row, flt.join_field) for row in rows.values()) if v is not MISSING}
        own = data.draw(st.integers(0, 4), label="own joined value?") > 0
        return sorted(mine if mine and own else every)
    return sorted({v for v in (pointer_get(r, flt.field or "") for r in records) if isinstance(v, str)})


def draw_value(run: ApiRun, data: st.DataObject, flt: Filter, records: list[Any]) -> str:
    """A value for the filter: one the records have (written as a client may write it), or one nobody has.

    The draw leans to the cases that find bugs: the document's own spelling of a value (BRM's
    `status=completed` against records that say COMPLETED) and a bound equal to a record's instant."""
    enum = enum_values(run, flt.param)
    if enum:
        return str(data.draw(st.sampled_from(enum), label=flt.param))
    pool = value_pool(run, data, flt, records)
    # One draw in eight takes a value nobody has; never the first example (Hypothesis starts from the
    # smallest draws), so that one example already judges a value records have.
    if not pool or data.draw(st.integers(0, 7), label="nobody's value?") == 7:
        if flt.match.startswith("instant"):
            return str(data.draw(st.sampled_from(["2099-01-01T00:00:00Z", "1970-01-02T00:00:00Z"]), label="far"))
        # A UUID matches no record and is well formed for every id-like filter (BitGo's are UUIDs).
        return str(data.draw(st.uuids(), label="unmatched"))
    if flt.documented_values and flip(data, "documented spelling?"):
        return str(data.draw(st.sampled_from(flt.documented_values), label=flt.param))
    value = str(data.draw(st.sampled_from(pool), label=flt.param))
    if flt.match == "case-insensitive":
        if flt.query_case == "lower":
            # Other spellings are judged by `case_variants_agree` against the filter's own SHOULD (D-BRM-1).
            return value.lower()
        return str(data.draw(st.sampled_from([value.lower(), value.upper(), value]), label="case"))
    if flt.match.startswith("instant"):
        instant = parse_instant(value)
        if instant is None:
            return value
        offset = data.draw(st.sampled_from(OFFSETS), label="offset")
        # Mostly the record's own instant: a bound that equals a record is where .gt and .gte differ.
        shift = data.draw(st.sampled_from([0, 0, 0, 0, 1, -1]), label="shift")
        try:
            text = (instant + timedelta(seconds=shift)).astimezone(offset).isoformat()
        except OverflowError:  # an instant at the end of datetime's range: the record's own text is a bound
            return value
        return text.replace("+00:00", "Z")
    return value


def draw_base(run: ApiRun, data: st.DataObject) -> tuple[dict[str, str], list[Any]] | None:
    """A partition narrowed to one value, with its complete records (None when it cannot be had).

    The value is one a record of the partition has, so an empty base is the narrowing filter's own
    failure: the relations built on it judge nothing on it (expected [] equals got [] says nothing)."""
    narrowing = narrowing_filter(run.semantics)
    inventory = discovery.inventory(run)
    partitions = [p for p in inventory.partitions if p.records]
    if narrowing is None or not partitions:
        return None
    partition = data.draw(st.sampled_from(partitions), label="partition")
    values = inventory.values(narrowing.field or "", partition)
    if not values:
        return None
    value = str(data.draw(st.sampled_from(values), label=narrowing.param))
    query = {**partition.query, narrowing.param: value}
    records = discovery.complete_set(run, query)
    return (query, records) if records is not None else None


EXAMPLES_PER_FILTER = 5


@relation(applies=lambda semantics: any(flt.narrowing for flt in semantics.filters.values()))
def filters_select_matching_records(run: ApiRun) -> None:
    """Adding a filter to a complete base set returns exactly the base records that satisfy it."""
    check = "filters_select_matching_records"
    narrowing = narrowing_filter(run.semantics)
    assert narrowing is not None
    others = [flt for flt in run.semantics.filters.values() if flt is not narrowing and flt.default is None]
    for flt in others:
        explore(run, f"{check}:{flt.param}", EXAMPLES_PER_FILTER, _filter_plan(run, narrowing, flt))


def _filter_plan(run: ApiRun, narrowing: Filter, flt: Filter) -> Plan:
    check = "filters_select_matching_records"
    and_requirement = run.semantics.filter_requirements.get("and")
    defaults = [other for other in run.semantics.filters.values() if other.default is not None]
    inventory = discovery.inventory(run)

    def plan(data: st.DataObject) -> Attempt | None:
        base = draw_base(run, data)
        if base is None:
            run.not_exercised([narrowing.requirement], check, "no narrowing value gives a result small enough to fetch")
            return None
        base_query, base_records = base
        value = draw_value(run, data, flt, base_records)
        query = {**base_query, flt.param: value}

        def attempt() -> list[Observation]:
            observations: list[Observation] = []
            now_base, base_replies = discovery.fetch_complete(run, base_query, reuse=True)
            if now_base is None:
                return []
            observations.extend(_narrowing_complete(run, narrowing, base_query, now_base, base_replies, inventory))
            if not now_base:
                # Nothing for the filter to keep or remove: a pass here would be vacuous.
                reason = f"the base set {base_query} came back empty, so {flt.param} had nothing to select from"
                return [*observations, Judge(check, flt.requirement).not_exercised(reason)]
            observations.extend(_defaults_explicit(run, defaults, base_query, now_base, base_replies))
            expected = matching(run, now_base, flt, value)
            if expected is None:
                reason = (
                    flt.join and run.discovery.join_errors.get(flt.join)
                ) or "the records do not show the filtered value"
                return [*observations, Judge(check, flt.requirement).not_exercised(str(reason))]
            # The filtered set is walked no further than the base set could fill: a correct answer is no larger.
            pages = len(now_base) // discovery.honoured_size(run) + 1
            got, replies = discovery.fetch_complete(run, query, max_pages=pages)
            larger_than_base = got is None
            if got is None:
                # Larger than the base (or not walked cleanly): the records it did return may still show
                # records the filter should have removed; what it left out cannot be told.
                walked = [reply.records(run.semantics.records_pointer) for reply in replies]
                if any(records is None for records in walked):
                    return observations  # not a 200: judged by the per-response checks
                got = [record for records in walked for record in records or []]
                if not [i for i in ids(run, got) if i not in set(ids(run, expected))]:
                    return observations
            wanted, received = ids(run, expected), ids(run, got)
            missing = [i for i in wanted if i not in set(received)] if len(replies) <= pages else []
            extra = [i for i in received if i not in set(wanted)]
            if not missing and not extra:
                observations.append(Judge(check, flt.requirement).passed())
                if and_requirement:
                    observations.append(Judge(check, and_requirement).passed())
                return observations
            blamed = flt.requirement
            alone: list[Exchange] = []
            whole_base = larger_than_base or set(ids(run, now_base)) <= set(received)
            # The whole base came back (or more than it holds): the filter is ignored, or ORed with the base
            # filter. If the filter on its own returns only matching records, it is the combination.
            if whole_base and and_requirement:
                alone = [run.get({**{k: v for k, v in base_query.items() if k != narrowing.param}, flt.param: value})]
                if _sound(run, alone[0], flt, value):
                    blamed = and_requirement
            detail = []
            if missing:
                detail.append(f"missing {describe_ids(missing)}")
            if extra:
                detail.append(f"unexpected {describe_ids(extra)}")
            observations.append(
                failed(
                    blamed,
                    check,
                    f"{flt.param}={value} within {base_query} returned {plural(len(received), 'record')} where "
                    f"{len(wanted)} of the base's {len(now_base)} match: " + "; ".join(detail),
                    # The filtered page that holds a wrong record (or the first), then the base page that
                    # holds a left-out one; the filter on its own only when it moved the blame.
                    [
                        _holding(run, replies, extra),
                        _holding(run, base_replies, missing),
                        *(alone if blamed != flt.requirement else []),
                    ],
                    received=describe_ids(received),
                    expected=describe_ids(wanted),
                )
            )
            return observations

        return attempt

    return plan


def _sound(run: ApiRun, reply: Exchange, flt: Filter, value: str) -> bool:
    """Every record of the reply satisfies `flt=value` (an empty 200 counts as sound)."""
    records = reply.records(run.semantics.records_pointer)
    if records is None:
        return False
    selected = matching(run, records, flt, value)
    return selected is not None and len(selected) == len(records)


def _narrowing_complete(
    run: ApiRun,
    narrowing: Filter,
    base_query: Mapping[str, str],
    base: list[Any],
    replies: list[Exchange],
    inventory: discovery.Inventory,
) -> list[Observation]:
    """Every record the inventory saw with the narrowing value (in the same partition) is in the base set."""
    partition = next(
        (
            p
            for p in inventory.partitions
            if dict(p.query) == {k: v for k, v in base_query.items() if k != narrowing.param}
        ),
        None,
    )
    if partition is None:
        return []
    value = base_query[narrowing.param]
    seen = [r for r in partition.records if str(pointer_get(r, narrowing.field or "")) == value]
    found = set(ids(run, base))
    missing = [i for i in ids(run, seen) if i not in found]
    if missing:
        return [
            failed(
                narrowing.requirement,
                "filters_select_matching_records",
                f"{narrowing.param}={value} leaves out {describe_ids(missing)}, which the unfiltered pages show "
                "with that value",
                replies[:1],
                received=describe_ids(sorted(found)),
                expected=describe_ids(ids(run, seen)),
            )
        ]
    return [Judge("filters_select_matching_records", narrowing.requirement).passed()] if seen else []


def _defaults_explicit(
    run: ApiRun, defaults: list[Filter], base_query: Mapping[str, str], base: list[Any], replies: list[Exchange]
) -> list[Observation]:
    """Leaving a defaulted filter out gives the same records as asking for its default."""
    observations = []
    for flt in defaults:
        if flt.param in base_query or flt.default is None or any(base_query.get(p) for p in flt.default_optional_with):
            continue
        explicit, explicit_replies = discovery.fetch_complete(run, {**base_query, flt.param: flt.default}, reuse=True)
        if explicit is None:
            continue
        if sorted(ids(run, explicit)) == sorted(ids(run, base)):
            observations.append(
                Judge("filters_select_matching_records", flt.default_requirement or flt.requirement).passed()
            )
            continue
        # Records outside the default in the base break the default; otherwise the explicit filter is short.
        unsound = matching(run, base, flt, flt.default)
        blamed = flt.default_requirement or flt.requirement
        if unsound is not None and len(unsound) == len(base):
            blamed = flt.requirement
        observations.append(
            failed(
                blamed,
                "filters_select_matching_records",
                f"without {flt.param} the result differs from {flt.param}={flt.default}",
                [replies[0], explicit_replies[0]],
                received=describe_ids(ids(run, explicit)),
                expected=describe_ids(ids(run, base)),
            )
        )
    return observations


@relation(applies=lambda semantics: any(flt.list == "comma" for flt in semantics.filters.values()))
def comma_list_is_union(run: ApiRun) -> None:
    """A comma-separated list returns the union of what its values return one by one."""
    check = "comma_list_is_union"
    requirement = run.semantics.filter_requirements["comma-list"]
    listed = [flt for flt in run.semantics.filters.values() if flt.list == "comma"]
    for flt in listed:
        explore(run, f"{check}:{flt.param}", EXAMPLES_PER_LIST, _union_plan(run, flt, requirement))


EXAMPLES_PER_LIST = 2


def _union_plan(run: ApiRun, flt: Filter, requirement: str) -> Plan:
    check = "comma_list_is_union"
    narrowing = narrowing_filter(run.semantics)
    inventory = discovery.inventory(run)

    def plan(data: st.DataObject) -> Attempt | None:
        enum = enum_values(run, flt.param)
        if flt is narrowing or enum:
            base_query: dict[str, str] = {}
            if enum and flt is not narrowing:
                base = draw_base(run, data)
                if base is None:
                    return None
                base_query = base[0]
            pool = enum or [str(v) for v in inventory.values(flt.field or "")][:12]
            if len(pool) < 2:
                return None
            first, second = data.draw(st.lists(st.sampled_from(pool), min_size=2, max_size=2, unique=True))
        else:
            base = draw_base(run, data)
            if base is None:
                return None
            base_query, records = base
            # Two values the base's records have: a union of what matches nothing judges nothing.
            values = value_pool(run, data, flt, records)
            if len(values) < 2:
                return None
            first, second = data.draw(st.lists(st.sampled_from(values), min_size=2, max_size=2, unique=True))

        def attempt() -> list[Observation]:
            asked = [{**base_query, flt.param: value} for value in (f"{first},{second}", first, second)]
            (both, both_replies), (one, one_replies), (two, two_replies) = discovery.fetch_completes(
                run, asked, reuse=True
            )
            if both is None or one is None or two is None:
                return []
            for single, records in ((first, one), (second, two)):
                kept = matching(run, records, flt, single)
                if kept is None or len(kept) != len(records):
                    # The single value is not honoured: that is the filter's own failure, found elsewhere.
                    reason = f"{flt.param}={single} on its own returns records without that value"
                    return [Judge(check, requirement).not_exercised(reason)]
            union = set(ids(run, one)) | set(ids(run, two))
            got = set(ids(run, both))
            if got != union:
                missing, extra = sorted(union - got), sorted(got - union)
                detail = "; ".join(
                    part
                    for part in (
                        f"missing {describe_ids(missing)}" if missing else "",
                        f"unexpected {describe_ids(extra)}" if extra else "",
                    )
                    if part
                )
                return [
                    failed(
                        requirement,
                        check,
                        f"{flt.param}={first},{second} is not the union of {flt.param}={first} "
                        f"({plural(len(one), 'record')}) and {flt.param}={second} ({len(two)}): {detail}",
                        [both_replies[0], one_replies[0], two_replies[0]],
                        received=describe_ids(sorted(got)),
                        expected=describe_ids(sorted(union)),
                    )
                ]
            if not union:
                return [Judge(check, requirement).not_exercised("both values matched nothing")]
            return [Judge(check, requirement).passed()]

        return attempt

    return plan


@relation()
def unknown_filter_value_matches_nothing(run: ApiRun) -> None:
    """A filter value no record has returns no records (or is rejected), never the unfiltered list."""
    check = "unknown_filter_value_matches_nothing"
    candidates = [
        flt
        for flt in run.semantics.filters.values()
        if flt.match in ("exact", "case-insensitive") and not enum_values(run, flt.param)
    ]
    # Only partitions with records: on an empty one an ignored filter returns [] as well.
    partitions = [partition for partition in discovery.inventory(run).partitions if partition.records]
    if not partitions:
        reason = "the target returned no records, so an ignored filter could not be told from a working one"
        run.not_exercised([flt.requirement for flt in candidates], check, reason)
        return

    def plan_for(flt: Filter) -> Plan:
        return lambda data: _unknown_value_plan(run, flt, partitions, data)

    # Every filter gets its own examples: one drawn at random among them could be left out (and a filter
    # whose other relations cannot run, such as a join nobody may read, would pass or fail on nothing).
    for flt in candidates:
        explore(run, f"{check}:{flt.param}", 2, plan_for(flt))


def _unknown_value_plan(run: ApiRun, flt: Filter, partitions: list[Any], data: st.DataObject) -> Attempt | None:
    check = "unknown_filter_value_matches_nothing"
    partition = data.draw(st.sampled_from(partitions), label="partition")
    value = str(data.draw(st.uuids(), label="unknown value"))

    def attempt() -> list[Observation]:
        reply = run.get({**partition.query, flt.param: value})
        records = reply.records(run.semantics.records_pointer)
        if records is None:
            if reply.status == 400:
                return [Judge(check, flt.requirement).passed()]
            return []
        if records:
            return [
                failed(
                    flt.requirement,
                    check,
                    f"{flt.param}={value} (a value no record has) returned {plural(len(records), 'record')}",
                    [reply],
                    received=describe_ids(ids(run, records)),
                    expected="[]",
                )
            ]
        return [Judge(check, flt.requirement).passed()]

    return attempt


@relation(applies=lambda semantics: any(flt.match == "case-insensitive" for flt in semantics.filters.values()))
def case_variants_agree(run: ApiRun) -> None:
    """A case-insensitive filter gives the same records for a value in lower, upper and as-returned case.

    With `query-case: lower` the lower-case spelling (the one the document writes) is the reference: a
    record another spelling finds and it misses fails the filter's requirement; a record it finds and
    another spelling misses fails only `case-variants-requirement` (a SHOULD: D-BRM-1)."""
    check = "case_variants_agree"
    filters = [flt for flt in run.semantics.filters.values() if flt.match == "case-insensitive"]
    inventory = discovery.inventory(run)
    narrowing = narrowing_filter(run.semantics)

    def plan(data: st.DataObject) -> Attempt | None:
        flt = data.draw(st.sampled_from(filters), label="filter")
        returned = {str(v) for v in inventory.values(flt.field or "")}
        if flt.query_case == "lower":
            # Compared: the document's lower-case spelling and the spelling the target itself returns.
            pool = sorted(v for v in returned if v != v.lower())
            if not pool:
                run.not_exercised(
                    [flt.case_variants_requirement or flt.requirement],
                    check,
                    f"every {flt.param} value the target returns is in lower case, the spelling the document uses",
                )
                return None
        else:
            pool = sorted(set(flt.documented_values) | returned)
        if not pool:
            return None
        value = str(data.draw(st.sampled_from(pool), label=flt.param))
        base: dict[str, str] = {}
        if narrowing is not None and narrowing is not flt and flip(data, "narrowed"):
            values = inventory.values(narrowing.field or "")
            if values:
                base = {narrowing.param: str(data.draw(st.sampled_from(values), label=narrowing.param))}
        reference = flt.query_spelling(value)
        if flt.query_case == "lower":
            variants = [reference, value]
        else:
            variants = list(dict.fromkeys((value, value.lower(), value.upper())))

        def attempt() -> list[Observation]:
            results = []
            asked = [{**base, flt.param: variant} for variant in variants]
            for variant, (records, replies) in zip(
                variants, discovery.fetch_completes(run, asked, reuse=True), strict=True
            ):
                if records is None:
                    return []
                results.append((variant, ids(run, records), replies[0]))
            _, reference_ids, reference_reply = results[0]
            if not any(found for _, found, _ in results):
                return [Judge(check, flt.requirement).not_exercised(f"no record has {flt.param}={value}")]
            observations = []
            for variant, found, reply in results[1:]:
                missed = [i for i in found if i not in set(reference_ids)]
                if not missed and sorted(found) == sorted(reference_ids):
                    continue
                # The reference spelling leaving out what another spelling finds is the filter's fault;
                # another spelling finding less is the case variants' (a SHOULD where the spec names it).
                blamed = flt.requirement if missed else (flt.case_variants_requirement or flt.requirement)
                among = f", among them {describe_ids(missed)}" if missed else ""
                short, full = (reference_ids, found) if missed else (found, reference_ids)
                observations.append(
                    failed(
                        blamed,
                        check,
                        f"{flt.param}={reference} returned {plural(len(reference_ids), 'record')}, "
                        f"{flt.param}={variant} "
                        f"{len(found)}{among}",
                        [reference_reply, reply],
                        received=describe_ids(sorted(short)),
                        expected=describe_ids(sorted(full)),
                    )
                )
            if observations:
                return observations
            passed = [flt.requirement]
            if flt.case_variants_requirement and len(results) > 1:
                passed.append(flt.case_variants_requirement)
            return [Judge(check, requirement).passed() for requirement in passed]

        return attempt

    explore(run, check, 3 * len(filters), plan)
