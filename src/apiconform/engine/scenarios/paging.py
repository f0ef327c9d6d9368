"""Paging invariants: pages tile one large page, the first page is the default, walks end cleanly, counts agree."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

from apiconform.engine import discovery
from apiconform.engine.scenarios import Attempt, describe_ids, explore, failed, flip, ids, page_words, scenario
from apiconform.engine.target import ApiRun, Reply
from apiconform.engine.verdicts import Observation, Outcome
from apiconform.reporting.document import plural

SMALL_SIZES = (1, 2, 3, 5, 7, 10, 13, 25)


def draw_query(run: ApiRun, data: st.DataObject, *, with_sort: bool = True) -> dict[str, str]:
    """A realistic list query: a partition (e.g. usageType=other), maybe a sort, maybe a narrowing filter value."""
    inventory = discovery.inventory(run)
    partition = data.draw(st.sampled_from(inventory.partitions), label="partition")
    query = dict(partition.query)
    sort = run.semantics.ordering.sort
    if with_sort and sort is not None and flip(data, "sorted"):
        query[sort.field_param] = data.draw(st.sampled_from(sorted(sort.keys)), label="sortField")
        query[sort.direction_param] = data.draw(st.sampled_from(sorted(sort.directions)), label="sortDirection")
    narrowing = [flt for flt in run.semantics.filters.values() if flt.narrowing and flt.field]
    if narrowing and partition.records and flip(data, "narrowed"):
        flt = narrowing[0]
        values = inventory.values(flt.field or "", partition)
        if values:
            query[flt.param] = str(data.draw(st.sampled_from(values), label=flt.param))
    return query


def _pass(requirement: str, check: str) -> Observation:
    return Observation(requirement, Outcome.PASS, check)


def fetch(run: ApiRun, query: Mapping[str, str], index: int, size: int) -> tuple[Reply, list[Any] | None]:
    reply = run.get({**query, **run.semantics.paging.query(index, size)})
    return reply, reply.records(run.semantics.records_pointer)


UNSTABLE = (
    "identical requests returned different records, so this relation cannot be judged "
    "(the order requirements judge that instability)"
)


def fetch_twice(run: ApiRun, query: Mapping[str, str], index: int, size: int) -> tuple[Reply, list[Any] | None, bool]:
    """A page fetched twice: the reply, its records, and whether both fetches agreed.

    Relations that compare two pages assume the target answers the same request the same way; when it
    does not, a difference says nothing about the relation itself."""
    reply, records = fetch(run, query, index, size)
    _, again = fetch(run, query, index, size)
    stable = records is None or again is None or ids(run, records) == ids(run, again)
    return reply, records, stable


@scenario()
def pages_tile_one_large_page(run: ApiRun) -> None:
    """Small pages, concatenated, equal one large page: no record on two pages, none skipped."""
    paging = run.semantics.paging
    requirement = paging.requirements["skip"]
    check = "pages_tile_one_large_page"
    large_size = discovery.honoured_size(run)

    def plan(data: st.DataObject) -> Attempt | None:
        query = draw_query(run, data)
        small = data.draw(st.sampled_from(SMALL_SIZES), label="page size")

        def attempt() -> list[Observation]:
            large_reply, large = fetch(run, query, 0, large_size)
            if large is None or len(large) < 2:
                return [Observation(requirement, Outcome.NOT_EXERCISED, check, "too few records to page through")]
            wanted = ids(run, large)
            pages_needed = -(-len(large) // small)
            walked: list[str] = []
            first_page_of: dict[str, int] = {}
            pages: list[Reply] = []  # the small pages, by index
            for index in range(pages_needed):
                reply, records = fetch(run, query, index, small)
                pages.append(reply)
                if records is None:
                    return []  # not a 200: judged by the per-response checks
                page_ids = ids(run, records)
                repeated = sorted(set(page_ids) & set(walked))
                if repeated:
                    # The two small pages that share a record show the fault on their own; the large
                    # page shows nothing wrong and is left out.
                    earlier = min(first_page_of[record] for record in repeated)
                    return [
                        failed(
                            requirement,
                            check,
                            f"{page_words(paging, index, small)} repeats {describe_ids(repeated)} from "
                            f"{page_words(paging, earlier, small)}",
                            [pages[earlier], reply],
                            received=describe_ids(page_ids),
                            expected=describe_ids(wanted[index * small : (index + 1) * small]),
                        )
                    ]
                for record in page_ids:
                    first_page_of.setdefault(record, index)
                walked.extend(page_ids)
            if walked[: len(wanted)] != wanted[: len(walked)]:
                position = next(i for i, (a, b) in enumerate(zip(walked, wanted, strict=False)) if a != b)
                page_index = position // small
                # The page that breaks the sequence and the one before it (where the gap opens) come first;
                # the large page, which shows what belongs there, is the reference after them.
                shown = [*pages[max(0, page_index - 1) : page_index + 1], large_reply]
                return [
                    failed(
                        requirement,
                        check,
                        f"{page_words(paging, page_index, small)} holds {walked[position]} at position "
                        f"{position % small} where {page_words(paging, 0, large_size)} holds {wanted[position]} "
                        f"at position {position}",
                        shown,
                        received=walked[position],
                        expected=wanted[position],
                    )
                ]
            return [_pass(requirement, check)]

        return attempt

    explore(run, check, 6, plan)


@scenario()
def omitted_page_is_first_page(run: ApiRun) -> None:
    """A query without the page position returns the first page."""
    paging = run.semantics.paging
    requirement = paging.requirements["first-page-default"]
    check = "omitted_page_is_first_page"

    def plan(data: st.DataObject) -> Attempt | None:
        query = draw_query(run, data)
        size = data.draw(st.sampled_from(SMALL_SIZES[2:]), label="page size")

        def attempt() -> list[Observation]:
            explicit_reply, explicit, stable = fetch_twice(run, query, 0, size)
            if not stable:
                return [Observation(requirement, Outcome.INCONCLUSIVE, check, UNSTABLE)]
            omitted_reply = run.get({**query, paging.size_param: str(size)})
            omitted = omitted_reply.records(run.semantics.records_pointer)
            if explicit is None or omitted is None:
                return []
            if not explicit:
                return [Observation(requirement, Outcome.NOT_EXERCISED, check, "the query matched no records")]
            if ids(run, explicit) != ids(run, omitted):
                return [
                    failed(
                        requirement,
                        check,
                        f"without {paging.position_param} the page differs from the first page",
                        [explicit_reply, omitted_reply],
                        received=describe_ids(ids(run, omitted)),
                        expected=describe_ids(ids(run, explicit)),
                    )
                ]
            return [_pass(requirement, check)]

        return attempt

    explore(run, check, 3, plan)


@scenario(applies=lambda semantics: "default-size" in semantics.paging.requirements)
def default_page_size_is_prefix(run: ApiRun) -> None:
    """Without a page size the server's own size applies: a prefix of the order, and the next page continues it."""
    paging = run.semantics.paging
    requirement = paging.requirements["default-size"]
    check = "default_page_size_is_prefix"
    large_size = discovery.honoured_size(run)

    def plan(data: st.DataObject) -> Attempt | None:
        query = draw_query(run, data)

        def attempt() -> list[Observation]:
            first_reply = run.get(query)
            first = first_reply.records(run.semantics.records_pointer)
            if first is None:
                return []
            default_size = len(first)
            if default_size == 0:
                return [Observation(requirement, Outcome.NOT_EXERCISED, check, "the query matched no records")]
            if default_size * 2 > large_size:
                return [
                    Observation(
                        requirement,
                        Outcome.NOT_EXERCISED,
                        check,
                        f"the default page ({default_size}) is too large to compare two of",
                    )
                ]
            large_reply, large, stable = fetch_twice(run, query, 0, large_size)
            if not stable:
                return [Observation(requirement, Outcome.INCONCLUSIVE, check, UNSTABLE)]
            second_reply = run.get(
                {
                    **query,
                    paging.position_param: str(paging.query(1, 1)[paging.position_param])
                    if paging.style == "page-number"
                    else str(default_size),
                }
            )
            second = second_reply.records(run.semantics.records_pointer)
            if large is None or second is None:
                return []
            wanted = ids(run, large)
            got_first, got_second = ids(run, first), ids(run, second)
            if got_first != wanted[:default_size]:
                return [
                    failed(
                        requirement,
                        check,
                        f"the default page of {default_size} is not the start of the order",
                        [first_reply, large_reply],
                        received=describe_ids(got_first),
                        expected=describe_ids(wanted[:default_size]),
                    )
                ]
            if got_second != wanted[default_size : default_size + len(got_second)] or (
                len(wanted) > default_size and not got_second
            ):
                return [
                    failed(
                        requirement,
                        check,
                        f"the next page without a page size does not continue after record {default_size}",
                        [first_reply, second_reply, large_reply],
                        received=describe_ids(got_second),
                        expected=describe_ids(wanted[default_size : 2 * default_size]),
                    )
                ]
            return [_pass(requirement, check)]

        return attempt

    explore(run, check, 2, plan)


def _narrow_query(run: ApiRun, data: st.DataObject) -> dict[str, str] | None:
    """A query whose whole result is a few pages: a narrowing filter value, or the whole collection if small."""
    inventory = discovery.inventory(run)
    partition = data.draw(st.sampled_from(inventory.partitions), label="partition")
    if partition.complete:
        return dict(partition.query)
    narrowing = [flt for flt in run.semantics.filters.values() if flt.narrowing and flt.field]
    if not narrowing:
        return None
    values = inventory.values(narrowing[0].field or "", partition)
    if not values:
        return None
    return {**partition.query, narrowing[0].param: str(data.draw(st.sampled_from(values), label="narrowed to"))}


@scenario()
def walk_ends_cleanly(run: ApiRun) -> None:
    """Walking a small result page by page ends with a short page; the page after it is empty."""
    paging = run.semantics.paging
    requirement = paging.requirements["past-end"]
    check = "walk_ends_cleanly"

    def plan(data: st.DataObject) -> Attempt | None:
        query = _narrow_query(run, data)
        if query is None:
            run.not_exercised([requirement], check, "no query narrows the collection to a few pages")
            return None
        size = data.draw(st.sampled_from(SMALL_SIZES[1:6]), label="page size")

        def attempt() -> list[Observation]:
            everything, _ = discovery.fetch_complete(run, query)
            if everything is None:
                return [
                    Observation(requirement, Outcome.NOT_EXERCISED, check, "the narrowed result is too large to walk")
                ]
            matched = len(everything)
            if not matched:
                # Two empty pages of an empty result say nothing about where a walk ends.
                return [Observation(requirement, Outcome.NOT_EXERCISED, check, "the narrowed result is empty")]
            last = matched // size  # the short (or empty) page
            replies = []
            for index in (last, last + 1):
                reply, records = fetch(run, query, index, size)
                replies.append(reply)
                if records is None:
                    return []  # not a 200: judged by the per-response checks
                expected = max(0, matched - index * size)
                if len(records) > expected:
                    return [
                        failed(
                            requirement,
                            check,
                            f"{page_words(paging, index, size)} holds {plural(len(records), 'record')}, but only "
                            f"{expected} of the {plural(matched, 'match', 'matches')} "
                            f"{'lies' if expected == 1 else 'lie'} that far",
                            replies,
                            received=describe_ids(ids(run, records)),
                            expected=plural(expected, "record"),
                        )
                    ]
            observations = [_pass(requirement, check)]
            if run.semantics.count_headers:
                observations.extend(_total_matches(run, matched, replies))
            return observations

        return attempt

    explore(run, check, 4, plan)


def _total_matches(run: ApiRun, matched: int, replies: list[Reply]) -> list[Observation]:
    counts = run.semantics.count_headers
    assert counts is not None
    header, requirement = counts["total-header"], counts["total-requirement"]
    judged = False
    for reply in replies:
        value = reply.headers.get(header)
        if value is None or reply.status != 200:
            continue  # a missing header is the per-response checks' finding
        judged = True
        if value.strip() != str(matched):
            return [
                failed(
                    requirement,
                    "walk_ends_cleanly",
                    f"{header} says {value} but walking the pages found {plural(matched, 'record')}",
                    [reply],
                    received=value,
                    expected=str(matched),
                )
            ]
    return [_pass(requirement, "walk_ends_cleanly")] if judged else []


@scenario(applies=lambda semantics: semantics.count_headers is not None and semantics.paging.style == "offset-limit")
def total_count_invariant(run: ApiRun) -> None:
    """The total count is the same whatever the page, and past-the-end positions return nothing."""
    counts = run.semantics.count_headers
    assert counts is not None
    header, requirement = counts["total-header"], counts["total-requirement"]
    past_end = run.semantics.paging.requirements["past-end"]
    check = "total_count_invariant"

    def plan(data: st.DataObject) -> Attempt | None:
        query = draw_query(run, data, with_sort=False)
        size = data.draw(st.sampled_from(SMALL_SIZES), label="page size")
        index = data.draw(st.integers(0, 5), label="page")

        def attempt() -> list[Observation]:
            first = run.get({**query, **run.semantics.paging.query(0, size)})
            later = run.get({**query, **run.semantics.paging.query(index, size + 1)})
            totals = [reply.headers.get(header) for reply in (first, later) if reply.status == 200]
            if len(totals) < 2 or None in totals:
                return []  # a missing header is the per-response checks' finding
            if totals[0] != totals[1]:
                return [
                    failed(
                        requirement,
                        check,
                        f"{header} differs between pages: {totals[0]} and {totals[1]}",
                        [first, later],
                        received=str(totals[1]),
                        expected=str(totals[0]),
                    )
                ]
            total = int(str(totals[0])) if str(totals[0]).isdigit() else None
            if total is None:
                return [failed(requirement, check, f"{header} is not a count: {totals[0]!r}", [first])]
            observations = [_pass(requirement, check)]
            position = run.semantics.paging.position_param
            end = run.get({**query, position: str(total), run.semantics.paging.size_param: str(size)})
            records = end.records(run.semantics.records_pointer)
            if end.status != 200:
                observations.append(
                    failed(
                        past_end,
                        check,
                        f"{position}={total} (the total) answered {end.status}",
                        [end],
                        received=str(end.status),
                        expected="200 with []",
                    )
                )
            elif records:
                observations.append(
                    failed(
                        past_end,
                        check,
                        f"{position}={total} (the total) returned {plural(len(records), 'record')}",
                        [end],
                        received=describe_ids(ids(run, records)),
                        expected="[]",
                    )
                )
            elif total > 0:
                last = run.get({**query, position: str(total - 1), run.semantics.paging.size_param: str(size)})
                last_records = last.records(run.semantics.records_pointer)
                if last_records is not None and len(last_records) != 1:
                    observations.append(
                        failed(
                            requirement,
                            check,
                            f"{position}={total - 1} (the total - 1) returned {plural(len(last_records), 'record')}, "
                            f"so {header}={total} is not the number of matches",
                            [last],
                            received=str(len(last_records)),
                            expected="1",
                        )
                    )
                else:
                    observations.append(_pass(past_end, check))
            return observations

        return attempt

    explore(run, check, 4, plan)
