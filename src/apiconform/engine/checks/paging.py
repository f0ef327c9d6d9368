"""Paging and counts: a page holds at most the size asked for, pages tile one large page, the first page
is the default, walks end cleanly, and count headers agree with the records."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st

from apiconform.contract import Counts, Semantics
from apiconform.engine import discovery
from apiconform.engine.checks.base import (
    SMALL_SIZES,
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
    relation,
    response_check,
)
from apiconform.engine.target import ApiRun, Exchange
from apiconform.engine.verdicts import Observation
from apiconform.reporting.document import plural

# --- per response -------------------------------------------------------------------------------------


@response_check()
def page_size_bound(ctx: Context, exchange: Exchange) -> Iterator[Observation]:
    """A page holds at most the page size asked for."""
    paging = ctx.semantics.paging
    records = ctx.records(exchange)
    size = exchange.present(paging.size_param)
    if records is None or size is None or not size.isdigit() or int(size) == 0:
        # A size of 0 is a tolerated input with its own requirement (DECISIONS.md D-GEN-3).
        return
    judge = Judge("page_size_bound", paging.requirements["size-bound"])
    if len(records) > int(size):
        yield judge.failed(
            f"{plural(len(records), 'record')} for {paging.size_param}={size}",
            [exchange],
            received=plural(len(records), "record"),
            expected=f"at most {size}",
        )
    elif records:
        # An empty page is within any bound: it shows nothing about the bound (no vacuous pass).
        yield judge.passed()


def _has_counts(semantics: Semantics) -> bool:
    return semantics.count_headers is not None


@response_check(applies=_has_counts)
def result_count_header(ctx: Context, exchange: Exchange) -> Iterator[Observation]:
    """The result-count header equals the number of records in the body."""
    counts = ctx.semantics.count_headers
    records = ctx.records(exchange)
    if counts is None or records is None:
        return
    header = counts.result_header
    judge = Judge("result_count_header", counts.result_requirement)
    value = exchange.headers.get(header)
    if value is None:
        yield judge.failed(f"{header} is missing", [exchange], expected=str(len(records)))
    elif value.strip() != str(len(records)):
        yield judge.failed(
            f"{header}: {value} for a body of {plural(len(records), 'record')}",
            [exchange],
            received=value,
            expected=str(len(records)),
        )
    else:
        yield judge.passed()


# --- across requests: judging -------------------------------------------------------------------------


def repeated_record(
    semantics: Semantics, pages: list[tuple[int, Exchange]], wanted: list[str], small: int, judge: Judge
) -> Observation | None:
    """A failure when the last of the small `pages` (index and reply, in walking order) repeats a record
    of an earlier one."""
    index, last = pages[-1]
    page_ids = ids(semantics, last.records(semantics.records_pointer) or [])
    for earlier, page in pages[:-1]:
        repeated = sorted(set(page_ids) & set(ids(semantics, page.records(semantics.records_pointer) or [])))
        if repeated:
            # The two small pages that share a record show the fault on their own; the large page shows
            # nothing wrong and is left out.
            return judge.failed(
                f"{page_words(semantics.paging, index, small)} repeats {describe_ids(repeated)} from "
                f"{page_words(semantics.paging, earlier, small)}",
                [page, last],
                received=describe_ids(page_ids),
                expected=describe_ids(wanted[index * small : (index + 1) * small]),
            )
    return None


def sequence_departs(
    semantics: Semantics,
    pages: list[tuple[int, Exchange]],
    wanted: list[str],
    large: Exchange,
    small: int,
    large_size: int,
    judge: Judge,
) -> Observation | None:
    """A failure when a small page (index and reply) departs from the records one large page holds at its
    positions (`wanted`, the large page's ids): another record there, or fewer records than the large
    page has there. Records past the large page's end are not judged here."""
    for shown_index, (index, page) in enumerate(pages):
        got = ids(semantics, page.records(semantics.records_pointer) or [])
        expected = wanted[index * small : (index + 1) * small]
        offset = next((i for i, (a, b) in enumerate(zip(got, expected, strict=False)) if a != b), None)
        if offset is None and len(got) >= len(expected):
            continue
        position = index * small + (offset if offset is not None else len(got))
        # The page that breaks the sequence and the one walked before it come first; the large page,
        # which shows what belongs there, is the reference after them.
        shown = [reply for _, reply in pages[max(0, shown_index - 1) : shown_index + 1]] + [large]
        where = f"{page_words(semantics.paging, 0, large_size)} holds {wanted[position]} at position {position}"
        if offset is None:
            message = (
                f"{page_words(semantics.paging, index, small)} ends after {plural(len(got), 'record')} where {where}"
            )
            received = "no record"
        else:
            message = (
                f"{page_words(semantics.paging, index, small)} holds {got[offset]} at position {offset} where {where}"
            )
            received = got[offset]
        return judge.failed(message, shown, received=received, expected=wanted[position])
    return None


def past_the_end(
    semantics: Semantics, matched: int, size: int, index: int, replies: list[Exchange], judge: Judge
) -> Observation | None:
    """The `index`-th page of `size` (the last of `replies`) holds no more records than lie that far in a
    result of `matched`: a failure, else None."""
    records = replies[-1].records(semantics.records_pointer) or []
    expected = max(0, matched - index * size)
    if len(records) <= expected:
        return None
    return judge.failed(
        f"{page_words(semantics.paging, index, size)} holds {plural(len(records), 'record')}, but only "
        f"{expected} of the {plural(matched, 'match', 'matches')} "
        f"{'lies' if expected == 1 else 'lie'} that far",
        replies,
        received=describe_ids(ids(semantics, records)),
        expected=plural(expected, "record"),
    )


def total_matches(counts: Counts, matched: int, replies: list[Exchange]) -> list[Observation]:
    """The total-count header of each 200 reply equals the number of matches a walk found."""
    header = counts.total_header
    judge = Judge("walk_ends_cleanly", counts.total_requirement)
    judged = False
    for reply in replies:
        value = reply.headers.get(header)
        if value is None or reply.status != 200:
            continue  # a missing header is the per-response checks' finding
        judged = True
        if value.strip() != str(matched):
            return [
                judge.failed(
                    f"{header} says {value} but walking the pages found {plural(matched, 'record')}",
                    [reply],
                    received=value,
                    expected=str(matched),
                )
            ]
    return [judge.passed()] if judged else []


# --- across requests ----------------------------------------------------------------------------------


# The pages a tiling walk fetches: the first few (most paging faults show at the first boundaries) and
# the last two within the large page (faults that grow with the position show there), not every one.
TILE_FIRST_PAGES = 3


def tile_indices(records: int, small: int) -> list[int]:
    """The indices of the small pages a tiling walk over `records` records fetches, in order."""
    count = -(-records // small)
    return sorted({i for i in (*range(TILE_FIRST_PAGES), count - 2, count - 1) if 0 <= i < count})


def _random_access(semantics: Semantics) -> bool:
    """Pages can be asked for by position, not only the first and then the next."""
    return semantics.paging.random_access


@relation(applies=_random_access)
def pages_tile_one_large_page(run: ApiRun) -> None:
    """Small pages hold what one large page holds at their positions: no record on two pages, none skipped."""
    judge = Judge("pages_tile_one_large_page", run.semantics.paging.requirements["skip"])
    large_size = discovery.honoured_size(run)

    def plan(data: st.DataObject) -> Attempt | None:
        query = draw_query(run, data)
        small = data.draw(st.sampled_from(SMALL_SIZES), label="page size")

        def attempt() -> list[Observation]:
            large_reply, large = fetch(run, query, 0, large_size, reuse=True)
            if large is None or len(large) < 2:
                return [judge.not_exercised("too few records to page through")]
            wanted = ids(run, large)
            indices = tile_indices(len(large), small)
            paging = run.semantics.paging
            replies = run.get_many([{**query, **paging.page(index, small)} for index in indices])
            pages: list[tuple[int, Exchange]] = []  # the small pages walked, with their indices
            for index, reply in zip(indices, replies, strict=True):
                if reply.records(run.semantics.records_pointer) is None:
                    return []  # not a 200: judged by the per-response checks
                pages.append((index, reply))
                repeated = repeated_record(run.semantics, pages, wanted, small, judge)
                if repeated is not None:
                    return [repeated]
            failure = sequence_departs(run.semantics, pages, wanted, large_reply, small, large_size, judge)
            return [failure or judge.passed()]

        return attempt

    explore(run, judge.check, 5, plan)


@relation(applies=_random_access)
def omitted_page_is_first_page(run: ApiRun) -> None:
    """A query without the page position returns the first page."""
    paging = run.semantics.paging
    judge = Judge("omitted_page_is_first_page", paging.requirements["first-page-default"])

    def plan(data: st.DataObject) -> Attempt | None:
        query = draw_query(run, data)
        size = data.draw(st.sampled_from(SMALL_SIZES[2:]), label="page size")

        def attempt() -> list[Observation]:
            explicit_reply, explicit, stable = fetch_twice(run, query, 0, size)
            if not stable:
                return [judge.inconclusive(UNSTABLE)]
            omitted_reply = run.get({**query, paging.size_param: str(size)})
            omitted = omitted_reply.records(run.semantics.records_pointer)
            if explicit is None or omitted is None:
                return []
            if not explicit:
                return [judge.not_exercised("the query matched no records")]
            if ids(run, explicit) != ids(run, omitted):
                return [
                    judge.failed(
                        f"without {paging.position_param} the page differs from the first page",
                        [explicit_reply, omitted_reply],
                        received=describe_ids(ids(run, omitted)),
                        expected=describe_ids(ids(run, explicit)),
                    )
                ]
            return [judge.passed()]

        return attempt

    explore(run, judge.check, 3, plan)


@relation(applies=lambda semantics: "default-size" in semantics.paging.requirements)
def default_page_size_is_prefix(run: ApiRun) -> None:
    """Without a page size the server's own size applies: a prefix of the order, and the next page continues it."""
    paging = run.semantics.paging
    judge = Judge("default_page_size_is_prefix", paging.requirements["default-size"])
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
                return [judge.not_exercised("the query matched no records")]
            if default_size * 2 > large_size:
                return [judge.not_exercised(f"the default page ({default_size}) is too large to compare two of")]
            large_reply, large, stable = fetch_twice(run, query, 0, large_size)
            if not stable:
                return [judge.inconclusive(UNSTABLE)]
            second_query = paging.after(query, default_size, first_reply.body)
            if second_query is None:
                return [judge.not_exercised("the default page names no page after it")]
            second_reply = run.get(second_query)
            second = second_reply.records(run.semantics.records_pointer)
            if large is None or second is None:
                return []
            wanted = ids(run, large)
            got_first, got_second = ids(run, first), ids(run, second)
            if got_first != wanted[:default_size]:
                return [
                    judge.failed(
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
                    judge.failed(
                        f"the next page without a page size does not continue after record {default_size}",
                        [first_reply, second_reply, large_reply],
                        received=describe_ids(got_second),
                        expected=describe_ids(wanted[default_size : 2 * default_size]),
                    )
                ]
            return [judge.passed()]

        return attempt

    explore(run, judge.check, 2, plan)


def _narrow_query(run: ApiRun, data: st.DataObject) -> dict[str, str] | None:
    """A query whose whole result is a few pages: a narrowing filter value, or the whole collection if small."""
    inventory = discovery.inventory(run)
    partition = data.draw(st.sampled_from(inventory.partitions), label="partition")
    if partition.complete:
        return dict(partition.query)
    narrowing = narrowing_filter(run.semantics)
    if narrowing is None:
        return None
    values = inventory.values(narrowing.field or "", partition)
    if not values:
        return None
    return {**partition.query, narrowing.param: str(data.draw(st.sampled_from(values), label="narrowed to"))}


@relation(applies=_random_access)
def walk_ends_cleanly(run: ApiRun) -> None:
    """Walking a small result page by page ends with a short page; the page after it is empty."""
    judge = Judge("walk_ends_cleanly", run.semantics.paging.requirements["past-end"])

    def plan(data: st.DataObject) -> Attempt | None:
        query = _narrow_query(run, data)
        if query is None:
            run.not_exercised([judge.requirement], judge.check, "no query narrows the collection to a few pages")
            return None
        size = data.draw(st.sampled_from(SMALL_SIZES[1:6]), label="page size")

        def attempt() -> list[Observation]:
            everything, _ = discovery.fetch_complete(run, query, reuse=True)
            if everything is None:
                return [judge.not_exercised("the narrowed result is too large to walk")]
            matched = len(everything)
            if not matched:
                # Two empty pages of an empty result say nothing about where a walk ends.
                return [judge.not_exercised("the narrowed result is empty")]
            last = matched // size  # the short (or empty) page
            replies: list[Exchange] = []
            for index in (last, last + 1):
                reply, records = fetch(run, query, index, size)
                replies.append(reply)
                if records is None:
                    return []  # not a 200: judged by the per-response checks
                failure = past_the_end(run.semantics, matched, size, index, replies, judge)
                if failure is not None:
                    return [failure]
            observations = [judge.passed()]
            if run.semantics.count_headers:
                observations.extend(total_matches(run.semantics.count_headers, matched, replies))
            return observations

        return attempt

    explore(run, judge.check, 4, plan)


def _counts_at_record_positions(semantics: Semantics) -> bool:
    """Count headers, and pages asked for at any record position (offset=total, offset=total-1)."""
    paging = semantics.paging
    return semantics.count_headers is not None and paging.random_access and paging.record_positions


@relation(applies=_counts_at_record_positions)
def total_count_invariant(run: ApiRun) -> None:
    """The total count is the same whatever the page, and past-the-end positions return nothing."""
    counts = run.semantics.count_headers
    assert counts is not None
    paging = run.semantics.paging
    header = counts.total_header
    judge = Judge("total_count_invariant", counts.total_requirement)
    past_end = judge.on(paging.requirements["past-end"])

    def plan(data: st.DataObject) -> Attempt | None:
        query = draw_query(run, data, with_sort=False)
        size = data.draw(st.sampled_from(SMALL_SIZES), label="page size")
        index = data.draw(st.integers(0, 5), label="page")

        def attempt() -> list[Observation]:
            first = run.get({**query, **paging.page(0, size)})
            later = run.get({**query, **paging.page(index, size + 1)})
            totals = [reply.headers.get(header) for reply in (first, later) if reply.status == 200]
            if len(totals) < 2 or None in totals:
                return []  # a missing header is the per-response checks' finding
            if totals[0] != totals[1]:
                return [
                    judge.failed(
                        f"{header} differs between pages: {totals[0]} and {totals[1]}",
                        [first, later],
                        received=str(totals[1]),
                        expected=str(totals[0]),
                    )
                ]
            total = int(str(totals[0])) if str(totals[0]).isdigit() else None
            if total is None:
                return [judge.failed(f"{header} is not a count: {totals[0]!r}", [first])]
            observations = [judge.passed()]
            position = paging.position_param
            end = run.get({**query, position: str(total), paging.size_param: str(size)})
            records = end.records(run.semantics.records_pointer)
            if end.status != 200:
                observations.append(
                    past_end.failed(
                        f"{position}={total} (the total) answered {end.status}",
                        [end],
                        received=str(end.status),
                        expected="200 with []",
                    )
                )
            elif records:
                observations.append(
                    past_end.failed(
                        f"{position}={total} (the total) returned {plural(len(records), 'record')}",
                        [end],
                        received=describe_ids(ids(run, records)),
                        expected="[]",
                    )
                )
            elif total > 0:
                last = run.get({**query, position: str(total - 1), paging.size_param: str(size)})
                last_records: list[Any] | None = last.records(run.semantics.records_pointer)
                if last_records is not None and len(last_records) != 1:
                    observations.append(
                        judge.failed(
                            f"{position}={total - 1} (the total - 1) returned {plural(len(last_records), 'record')}, "
                            f"so {header}={total} is not the number of matches",
                            [last],
                            received=str(len(last_records)),
                            expected="1",
                        )
                    )
                else:
                    observations.append(past_end.passed())
            return observations

        return attempt

    explore(run, judge.check, 4, plan)
