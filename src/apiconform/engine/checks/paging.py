"""Paging and counts: a page holds at most the size asked for, pages tile one large page, the first page
is the default, walks end cleanly, and the counts (in headers or the body) agree with the records."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from apiconform.contract import Count, Semantics
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
from apiconform.engine.model import discovery
from apiconform.engine.model.apirun import ApiRun
from apiconform.engine.model.exchange import Exchange
from apiconform.engine.model.jsonbody import parse_count
from apiconform.engine.model.records import MISSING, pointer_get, render
from apiconform.engine.model.verdicts import Observation
from apiconform.reporting.document import plural

# --- per response -------------------------------------------------------------------------------------


@response_check(
    needs=("paging.requirements.size-bound",),
    quote="that a page holds at most the page size asked for",
)
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
    elif len(records) == int(size):
        # A full page: a server that adds one record more (an untrimmed has-more probe row) shows it here.
        yield judge.passed(
            f"{paging.size_param}={size} returned {plural(len(records), 'record')}", [exchange], len(records)
        )
    elif records:
        # A short page is within the bound whatever the server does with it; an empty one says nothing at all.
        yield judge.corroborated(f"{paging.size_param}={size} returned {plural(len(records), 'record')}")


@dataclass(frozen=True)
class CountReading:
    """What a reply says where a count is: `shown`, as the reply writes it (None: nothing there), and
    `value`, the count it is (None: none a list can have)."""

    shown: str | None
    value: int | None

    def says(self, records: int) -> bool:
        """Whether it counts `records`, written as a count is (`12`; not `012`, `"12"` or `12.0`)."""
        return self.value == records and self.shown == str(records)


# How much of a value found where a count belongs a message shows (an object there may be any size).
SHOWN_VALUE_CHARS = 60


def read_count(count: Count, exchange: Exchange) -> CountReading:
    """The count `count` locates in `exchange`: a header's text (ASCII digits are a count), or the value at a
    body pointer, a count only as an integer JSON number, 0 or more (a string "12", a float 12.0 or true
    is none: DECISIONS.md D-GEN-75)."""
    if count.header is not None:
        text = exchange.headers.get(count.header)
        if text is None:
            return CountReading(None, None)
        return CountReading(text.strip(), parse_count(text.strip()))
    found = pointer_get(exchange.body, str(count.pointer))
    if found is MISSING:
        return CountReading(None, None)
    if type(found) is int and found >= 0:  # not bool, not a LargeInt (more digits than any list holds)
        return CountReading(str(found), found)
    shown = render({"value": found}, "/value")
    if len(shown) > SHOWN_VALUE_CHARS:
        shown = shown[: SHOWN_VALUE_CHARS - 1] + "…"
    return CountReading(shown, None)


def _has_result_count(semantics: Semantics) -> bool:
    return semantics.counts is not None and semantics.counts.result is not None


def _has_total_count(semantics: Semantics) -> bool:
    return semantics.counts is not None and semantics.counts.total is not None


@response_check(
    applies=_has_result_count,
    needs=("counts.result-header or counts.result-pointer",),
    quote="that the result count gives the number of records in the reply",
)
def result_count_header(ctx: Context, exchange: Exchange) -> Iterator[Observation]:
    """The result count (a header, or a body pointer) equals the number of records in the body."""
    count = ctx.semantics.counts.result if ctx.semantics.counts else None
    records = ctx.records(exchange)
    if count is None or records is None:
        return  # a reply of no records (an error) has no counts to judge
    where = count.where
    judge = Judge("result_count_header", count.requirement)
    reading = read_count(count, exchange)
    if reading.shown is None:
        yield judge.failed(f"{where} is missing", [exchange], expected=str(len(records)))
    elif not reading.says(len(records)):
        yield judge.failed(
            f"{where}: {reading.shown} for a body of {plural(len(records), 'record')}",
            [exchange],
            received=reading.shown,
            expected=str(len(records)),
        )
    elif records:
        yield judge.passed(
            f"{where}: {reading.shown} for a body of {plural(len(records), 'record')}", [exchange], len(records)
        )
    else:
        # A count of 0 for an empty page: a count of something else may say 0 here too.
        yield judge.corroborated(f"{where}: {reading.shown} for an empty body")


@response_check(
    applies=_has_total_count,
    needs=("counts.total-header or counts.total-pointer",),
    quote="that the total count is given with the records",
)
def total_count_present(ctx: Context, exchange: Exchange) -> Iterator[Observation]:
    """Every reply of records gives the total count where the spec says, as a count (a body count is an
    integer JSON number). Being there shows nothing of its value: the total's other checks judge that."""
    count = ctx.semantics.counts.total if ctx.semantics.counts else None
    if count is None or ctx.records(exchange) is None:
        return  # a reply of no records (an error) has no counts to judge
    judge = Judge("total_count_present", count.requirement)
    reading = read_count(count, exchange)
    if reading.shown is None:
        yield judge.failed(f"{count.where} is missing", [exchange], expected="the total count")
    elif reading.value is None:
        yield judge.failed(
            f"{count.where} is not a count: {reading.shown}", [exchange], received=reading.shown, expected="a count"
        )
    else:
        yield judge.corroborated(f"{count.where}: {reading.shown}")


def _counts_by_position(semantics: Semantics) -> bool:
    return _has_total_count(semantics) and semantics.paging.random_access


@response_check(
    applies=_counts_by_position,
    needs=("counts.total-header or counts.total-pointer", "paging"),
    quote="that the total count gives how many records the query matches",
)
def total_count_on_first_page(ctx: Context, exchange: Exchange) -> Iterator[Observation]:
    """A first page asked for with a size the server honours holds min(size, total) records: one that holds
    fewer than the size shows the whole result, so the total count is its number of records; a full one
    shows that the total is at least the size. Judged on every first page, whatever filters it carries
    (a count built by other code than the page is wrong where filters combine)."""
    count = ctx.semantics.counts.total if ctx.semantics.counts else None
    records = ctx.records(exchange)
    honoured = ctx.discovery.page_size
    paging = ctx.semantics.paging
    if count is None or records is None or honoured is None or paging.position(exchange.query) != 0:
        return
    size = exchange.present(paging.size_param)
    reading = read_count(count, exchange)
    total, value = reading.value, reading.shown
    if size is None or not size.isdigit() or not 0 < int(size) <= honoured or total is None:
        return  # no size, or one the server may clamp; a missing or malformed count is total_count_present's
    if len(records) > int(size):
        return  # the size bound's finding
    judge = Judge("total_count_on_first_page", count.requirement)
    held = len(records)
    header = count.where
    if held < int(size) and total != held:
        yield judge.failed(
            f"{header}: {value}, but the first page of {size} holds the whole result: {plural(held, 'record')}",
            [exchange],
            received=value,
            expected=str(held),
        )
    elif held == int(size) and total < held:
        yield judge.failed(
            f"{header}: {value}, but the first page alone holds {plural(held, 'record')}",
            [exchange],
            received=value,
            expected=f"at least {held}",
        )
    elif held < int(size):
        yield judge.passed(
            f"{header}: {value} for a first page of {size} that holds the whole result", [exchange], held
        )
    else:
        yield judge.corroborated(f"{header}: {value}, at least the {held} records of a full first page")


# --- across requests: judging -------------------------------------------------------------------------


def paged(semantics: Semantics, reply: Exchange) -> str:
    """The page a reply answers in the API's own words, the paging part of its query (`offset=74&limit=2`)."""
    paging = semantics.paging
    return "&".join(
        f"{name}={reply.query[name]}" for name in (paging.position_param, paging.size_param) if name in reply.query
    )


def repeated_record(
    semantics: Semantics, pages: Sequence[tuple[int, Exchange]], wanted: Sequence[str], judge: Judge
) -> Observation | None:
    """A failure when the last of `pages` (start position and reply, in walking order) holds a record that an
    earlier one holds at another position (pages of different sizes may overlap: at the same position the
    same record is right)."""
    start, last = pages[-1]
    page_ids = ids(semantics, last.records(semantics.records_pointer) or [])
    here = {record: start + offset for offset, record in enumerate(page_ids)}
    for earlier_start, page in pages[:-1]:
        earlier = ids(semantics, page.records(semantics.records_pointer) or [])
        repeated = sorted(
            record
            for offset, record in enumerate(earlier)
            if here.get(record, earlier_start + offset) != earlier_start + offset
        )
        if repeated:
            # The two pages that share a record show the fault on their own; the reference is left out.
            return judge.failed(
                f"{paged(semantics, last)} repeats {describe_ids(repeated)} from {paged(semantics, page)}",
                [page, last],
                received=describe_ids(page_ids),
                expected=describe_ids(list(wanted[start : start + len(page_ids)])),
            )
    return None


def sequence_departs(
    semantics: Semantics,
    pages: Sequence[tuple[int, Exchange]],
    wanted: Sequence[str],
    references: Sequence[Exchange],
    reference_size: int,
    judge: Judge,
) -> Observation | None:
    """A failure when a page (start position and reply) departs from what the reference pages (consecutive
    pages of `reference_size`, whose ids are `wanted`) hold at its positions: another record there, or
    fewer records than they have there. Positions past the reference's end are not judged here."""
    size_param = semantics.paging.size_param
    for shown_index, (start, page) in enumerate(pages):
        got = ids(semantics, page.records(semantics.records_pointer) or [])
        size = int(page.query.get(size_param, len(got)) or len(got))
        expected = wanted[start : start + size]
        offset = next((i for i, (a, b) in enumerate(zip(got, expected, strict=False)) if a != b), None)
        if offset is None and len(got) >= len(expected):
            continue
        position = start + (offset if offset is not None else len(got))
        reference = references[min(position // reference_size, len(references) - 1)]
        # The page that breaks the sequence and the one walked before it come first; the reference page,
        # which shows what belongs there, after them.
        shown = [reply for _, reply in pages[max(0, shown_index - 1) : shown_index + 1]] + [reference]
        where = f"{paged(semantics, reference)} holds {wanted[position]} there"
        if offset is None:
            ends = f"ends after {plural(len(got), 'record')}"
            message = f"{paged(semantics, page)} {ends} at position {position}, where {where}"
            received = "no record"
        else:
            message = f"{paged(semantics, page)} holds {got[offset]} at position {position}, where {where}"
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


def past_end_status_too_soon(
    semantics: Semantics, matched: int, size: int, index: int, reply: Exchange, judge: Judge
) -> Observation:
    """The `index`-th page of `size` answered the past-the-end status although records of a result of
    `matched` lie there."""
    held = matched - index * size
    return judge.failed(
        f"{page_words(semantics.paging, index, size)} answered {reply.status}, the status past the last page, "
        f"but {plural(min(held, size), 'record')} of the {plural(matched, 'match', 'matches')} lie there",
        [reply],
        received=str(reply.status),
        expected=plural(min(held, size), "record"),
    )


def cursor_tiling_judged(
    semantics: Semantics,
    walk: discovery.Walk,
    wanted: Sequence[str],
    references: Sequence[Exchange],
    reference_ended: bool,
    judge: Judge,
) -> Observation:
    """A walk in small cursor pages against the records of a walk in large pages (`wanted`, from
    `references`): the same records in the same order, none twice, none skipped; where the small walk ended
    (its last page named no next page) it holds all of them, and where the large walk ended no more."""
    pointer = semantics.records_pointer
    pages = [reply for reply in walk.replies if reply.records(pointer) is not None]
    got: list[str] = []
    page_of: list[int] = []
    for number, reply in enumerate(pages):
        held = ids(semantics, reply.records(pointer) or [])
        got.extend(held)
        page_of.extend([number] * len(held))
    reference_of = [number for number, reply in enumerate(references) for _ in reply.records(pointer) or []]
    size = pages[0].query.get(semantics.paging.size_param, "?") if pages else "?"
    large = references[0].query.get(semantics.paging.size_param, "?") if references else "?"
    first_at: dict[str, int] = {}
    for position, record in enumerate(got):
        if record in first_at:
            earlier, later = pages[page_of[first_at[record]]], pages[page_of[position]]
            return judge.failed(
                f"page {page_of[position] + 1} of a walk by {size} ({paged(semantics, later)}) repeats {record} "
                f"from page {page_of[first_at[record]] + 1}",
                [earlier, later] if earlier is not later else [later],
                received=describe_ids(ids(semantics, later.records(pointer) or [])),
                expected=describe_ids(list(wanted[position : position + 3])) if position < len(wanted) else None,
            )
        first_at[record] = position
    for position, record in enumerate(got[: len(wanted)]):
        if record != wanted[position]:
            number = page_of[position]
            shown = [*pages[max(0, number - 1) : number + 1], references[reference_of[position]]]
            return judge.failed(
                f"page {number + 1} of a walk by {size} ({paged(semantics, pages[number])}) holds {record} at "
                f"position {position}, where the walk by {large} holds {wanted[position]}",
                shown,
                received=record,
                expected=wanted[position],
            )
    if walk.ended and len(got) < len(wanted):
        return judge.failed(
            f"a walk by {size} ended after {plural(len(got), 'record')} (its last page names no next page), "
            f"where the walk by {large} holds {wanted[len(got)]} at position {len(got)}",
            [pages[-1], references[reference_of[len(got)]]] if pages else [references[reference_of[len(got)]]],
            received="no next page",
            expected=wanted[len(got)],
        )
    if reference_ended and len(got) > len(wanted):
        return judge.failed(
            f"page {page_of[len(wanted)] + 1} of a walk by {size} holds {got[len(wanted)]} at position "
            f"{len(wanted)}, past the {plural(len(wanted), 'record')} the walk by {large} ended with",
            [pages[page_of[len(wanted)]], references[-1]],
            received=got[len(wanted)],
            expected="no record",
        )
    compared = min(len(got), len(wanted))
    if len(pages) < 2 or compared < 2:
        return judge.not_exercised(f"a walk by {size} held {plural(compared, 'record')} on one page: no boundary")
    return judge.passed(
        f"a walk of {plural(len(pages), 'page')} by {size} held positions 0 to {compared - 1} of the walk by "
        f"{large}, in order",
        [pages[-1], references[-1]],
        compared,
    )


def cursor_walk_ended(semantics: Semantics, walk: discovery.Walk, matched: int, judge: Judge) -> Observation:
    """A cursor walk over a result of `matched` records ended: no next page leads back to a query it asked
    for already, no page repeats the page before it, and it did not go on past the records."""
    pointer = semantics.records_pointer
    replies = walk.replies
    size = replies[0].query.get(semantics.paging.size_param, "?")
    if walk.loops_back_to is not None:
        earlier = replies[walk.loops_back_to]
        return judge.failed(
            f"page {len(replies)} of a walk by {size} names a next page already asked for, page "
            f"{walk.loops_back_to + 1} ({paged(semantics, earlier)}): the walk would never end",
            [earlier, replies[-1]],
            received=f"page {walk.loops_back_to + 1} again",
            expected="no next page, or a new one",
        )
    for number in range(1, len(replies)):
        before, here = (ids(semantics, reply.records(pointer) or []) for reply in replies[number - 1 : number + 1])
        if here and here == before:
            return judge.failed(
                f"page {number + 1} of a walk by {size} ({paged(semantics, replies[number])}) repeats the page "
                f"before it, {describe_ids(here)}",
                [replies[number - 1], replies[number]],
                received=describe_ids(here),
                expected="the next records, or no next page",
            )
    if not walk.ended:
        last = replies[-1].records(pointer)
        if last == [] or len(walk.records) > matched:
            past = "holds no record" if last == [] else f"goes past the {plural(matched, 'record')} of the result"
            return judge.failed(
                f"a walk by {size} did not end within {plural(len(replies), 'page')}: page {len(replies)} {past} "
                "and names a next page",
                replies[-2:],
                received="a next page",
                expected="no next page",
            )
        return judge.not_exercised(f"a walk by {size} did not end within {plural(len(replies), 'page')}")
    if len(replies) < 2:
        return judge.not_exercised(f"the {plural(matched, 'record')} fit on one page of {size}")
    return judge.passed(
        f"a walk by {size} over {plural(matched, 'record')} ended: page {len(replies)} names no next page",
        replies[-2:],
        matched,
    )


def total_matches(count: Count, matched: int, replies: list[Exchange], pointer: str) -> list[Observation]:
    """The total count (a header, or a body pointer) of each reply of records equals the number of matches a
    walk found."""
    where = count.where
    judge = Judge("walk_ends_cleanly", count.requirement)
    judged = False
    for reply in replies:
        reading = read_count(count, reply)
        if reading.shown is None or reply.records(pointer) is None:
            continue  # a missing count is total_count_present's finding; only a page of records has counts
        judged = True
        if not reading.says(matched):
            return [
                judge.failed(
                    f"{where} says {reading.shown} but walking the pages found {plural(matched, 'record')}",
                    [reply],
                    received=reading.shown,
                    expected=str(matched),
                )
            ]
    walked = f"{where} agreed with the {plural(matched, 'record')} a walk found"
    return [judge.passed(walked, replies[:1], matched)] if judged else []


# --- across requests ----------------------------------------------------------------------------------


# The pages a tiling walk fetches: the first two and the last two within the reference (faults that grow
# with the position show at its end), and one that straddles each boundary between reference pages
# (servers switch paths at such depths: a seek query, a second cache).
TILE_FIRST_PAGES = 2
# The reference: this many consecutive pages of the honoured size, from the start (the inventory's own).
TILE_REFERENCE_PAGES = discovery.INVENTORY_PAGES
# Sizes for a straddling page: one of them does not divide a boundary, so a page starts before it and ends after.
STRADDLING_SIZES = (7, 13, 3)


def tile_pages(records: int, small: int, reference_size: int) -> list[tuple[int, int]]:
    """The pages (index, size) a tiling walk over `records` reference records fetches, by start position."""
    count = -(-records // small)
    pages = {(i, small) for i in (*range(TILE_FIRST_PAGES), count - 2, count - 1) if 0 <= i < count}
    for boundary in range(reference_size, records, reference_size):
        size = next(s for s in STRADDLING_SIZES if boundary % s)
        pages.add((boundary // size, size))
    return sorted(pages, key=lambda page: (page[0] * page[1], page[1]))


def tiling_judged(
    semantics: Semantics,
    pages: Sequence[tuple[int, Exchange]],
    wanted: Sequence[str],
    references: Sequence[Exchange],
    reference_size: int,
    small: int,
    judge: Judge,
) -> Observation:
    """Pages (start position and reply, by position) against the reference pages' records (`wanted`): no
    record on two pages at different positions, and each page holding what the reference holds there. A
    pass judges only when there was a boundary to overlap or skip across (two pages, more records than one)."""
    for end in range(2, len(pages) + 1):
        repeated = repeated_record(semantics, pages[:end], wanted, judge)
        if repeated is not None:
            return repeated
    failure = sequence_departs(semantics, pages, wanted, references, reference_size, judge)
    if failure is not None:
        return failure
    if len(pages) < 2 or len(wanted) <= small:
        # One page holds every record: there is no boundary for a page to overlap or skip across.
        return judge.corroborated(f"{plural(len(wanted), 'record')} fit on one page of {small}")
    compared = (
        f"{plural(len(pages), 'page')} of {small} and straddling pages agreed with "
        f"{plural(len(references), 'reference page')} of {reference_size}, positions 0 to {len(wanted) - 1}"
    )
    return judge.passed(compared, [pages[-1][1], references[-1]], len(wanted))


def _random_access(semantics: Semantics) -> bool:
    """Pages can be asked for by position, not only the first and then the next."""
    return semantics.paging.random_access


@relation(
    needs=("paging.requirements.skip",),
    quote="that the page position (offset, page number or cursor) skips that many records or pages",
)
def pages_tile_one_large_page(run: ApiRun) -> None:
    """Pages hold what the reference pages (consecutive pages of the largest size the server honours, walked
    from the start, deep into the collection) hold at their positions: no record on two pages, none
    skipped, and the reference walk itself repeats no record. For cursor paging, a walk in small pages
    holds, in order, what the walk in large pages holds."""
    judge = Judge("pages_tile_one_large_page", run.semantics.paging.requirements["skip"])
    large_size = discovery.honoured_size(run)
    pointer = run.semantics.records_pointer
    if not run.semantics.paging.random_access:
        explore(run, judge.check, 5, _cursor_tiling_plan(run, judge, large_size))
        return

    def plan(data: st.DataObject) -> Attempt | None:
        query = draw_query(run, data)
        small = data.draw(st.sampled_from(SMALL_SIZES), label="page size")

        def attempt() -> list[Observation]:
            (reference,) = discovery.walks(run, [query], TILE_REFERENCE_PAGES - 1, reuse=True)
            references = [reply for reply in reference.replies if reply.records(pointer) is not None]
            walked = [(index * large_size, reply) for index, reply in enumerate(references)]
            repeated = next(
                (
                    found
                    for end in range(2, len(walked) + 1)
                    if (found := repeated_record(run.semantics, walked[:end], [], judge))
                ),
                None,
            )
            if repeated is not None:
                return [repeated]  # the reference walk itself repeats a record (a deep page from another path)
            wanted = ids(run, [record for reply in references for record in reply.records(pointer) or []])
            if len(wanted) < 2:
                if not references:
                    return judge.unanswered(pointer, *reference.replies)
                return [judge.not_exercised("too few records to page through")]
            chosen = tile_pages(len(wanted), small, large_size)
            replies = run.get_many([{**query, **run.semantics.paging.page(index, size)} for index, size in chosen])
            if any(reply.records(pointer) is None for reply in replies):
                return judge.unanswered(pointer, *replies)
            pages = [(index * size, reply) for (index, size), reply in zip(chosen, replies, strict=True)]
            return [tiling_judged(run.semantics, pages, wanted, references, large_size, small, judge)]

        return attempt

    explore(run, judge.check, 5, plan)


# A page size larger than servers serve: the first page asked with it shows the server's maximum.
OVERSIZE_PROBE = 1001


@relation(
    applies=_random_access,
    needs=("paging.requirements.skip",),
    quote="that the page position skips that many records or pages, whatever the page size",
)
def oversize_pages_keep_their_position(run: ApiRun) -> None:
    """A page size one past the server's maximum (which it may clamp: D-GEN-4) still places the page where
    that size places it: the second page of `size` starts at record `size`, not at the maximum."""
    paging = run.semantics.paging
    judge = Judge("oversize_pages_keep_their_position", paging.requirements["skip"])
    pointer = run.semantics.records_pointer

    def plan(data: st.DataObject) -> Attempt | None:
        def attempt() -> list[Observation]:
            probe_reply, probe = fetch(run, {}, 0, OVERSIZE_PROBE, reuse=True)
            if probe is None:
                return judge.unanswered(pointer, probe_reply)
            if len(probe) >= OVERSIZE_PROBE:
                return [judge.not_exercised(f"the target served all {OVERSIZE_PROBE} records asked for on one page")]
            size = len(probe) + 1
            oversize, reference = run.get_many([paging.page(1, size), paging.page(size, 1)])
            got, wanted = oversize.records(pointer), reference.records(pointer)
            if got is None or wanted is None:
                return judge.unanswered(pointer, oversize, reference)
            if not wanted:
                return [judge.not_exercised(f"the collection ends before a second page of {size} records")]
            if not got or ids(run, got[:1]) != ids(run, wanted):
                first = ids(run, got[:1])[0] if got else "no record"
                return [
                    judge.failed(
                        f"{paged(run.semantics, oversize)} (one past the {len(probe)} a page holds at most) starts "
                        f"with {first}, but the record at position {size} is {ids(run, wanted)[0]}",
                        [oversize, reference, probe_reply],
                        received=first,
                        expected=ids(run, wanted)[0],
                    )
                ]
            compared = f"{paged(run.semantics, oversize)} (past the maximum of {len(probe)}) starts at position {size}"
            return [judge.passed(compared, [oversize, reference], len(got))]

        return attempt

    explore(run, judge.check, 1, plan)


def _omitted_page_judged(semantics: Semantics) -> bool:
    """Pages by position and a query without the position paged too, or (`applies: when-given`) an `unpaged`
    requirement for a query without paging parameters."""
    paging = semantics.paging
    if paging.applies == "when-given":
        return "unpaged" in paging.requirements
    return paging.random_access


@relation(
    applies=_omitted_page_judged,
    needs=("paging.requirements.first-page-default", "or paging.applies: when-given and paging.requirements.unpaged"),
    quote=(
        "that a request without the page position gets the first page (with paging only when given: that a "
        "request without paging parameters gets every record)"
    ),
)
def omitted_page_is_first_page(run: ApiRun) -> None:
    """A query without the page position returns the first page; where paging applies only when given, a
    query without paging parameters returns every record."""
    paging = run.semantics.paging
    if paging.applies == "when-given":
        _unpaged_query_answers_everything(run)
        return
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
                return judge.unanswered(run.semantics.records_pointer, explicit_reply, omitted_reply)
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
            compared = (
                f"without {paging.position_param}, the page held the first page's {plural(len(explicit), 'record')}"
            )
            return [judge.passed(compared, [omitted_reply, explicit_reply], len(explicit))]

        return attempt

    explore(run, judge.check, 3, plan)


@relation(
    applies=lambda semantics: "default-size" in semantics.paging.requirements and semantics.paging.applies == "always",
    needs=("paging.requirements.default-size",),
    quote="the page size the server uses when none is asked for",
)
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
                return judge.unanswered(run.semantics.records_pointer, first_reply)
            default_size = len(first)
            if default_size == 0:
                return [judge.not_exercised("the query matched no records")]
            if default_size * 2 > large_size:
                return [judge.not_exercised(f"the default page ({default_size}) is too large to compare two of")]
            large_reply, large, stable = fetch_twice(run, query, 0, large_size)
            if not stable:
                return [judge.inconclusive(UNSTABLE)]
            second_query = paging.after(query, default_size, first_reply.body, first_reply.joined_headers)
            if second_query is None:
                return [judge.not_exercised("the default page names no page after it")]
            second_reply = run.get(second_query)
            second = second_reply.records(run.semantics.records_pointer)
            if large is None or second is None:
                return judge.unanswered(run.semantics.records_pointer, large_reply, second_reply)
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
            compared = f"the default page of {default_size} and the next one continued the order of one large page"
            return [judge.passed(compared, [first_reply, second_reply], default_size + len(got_second))]

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


@relation(
    needs=("paging.requirements.past-end", "filters.<param>.narrowing (a collection over 3 pages)"),
    quote="that a page past the last record is empty (for cursor paging: that the last page names no next page)",
)
def walk_ends_cleanly(run: ApiRun) -> None:
    """Walking a small result page by page ends with a short page; the page after it is empty (or answers
    `past-end-status`). For cursor paging: the walk ends, its last page naming no next page, and no cursor
    leads back to a page already asked for."""
    judge = Judge("walk_ends_cleanly", run.semantics.paging.requirements["past-end"])
    if not run.semantics.paging.random_access:
        explore(run, judge.check, 4, _cursor_end_plan(run, judge))
        return

    def plan(data: st.DataObject) -> Attempt | None:
        query = _narrow_query(run, data)
        if query is None:
            run.not_exercised([judge.requirement], judge.check, "no query narrows the collection to a few pages")
            return None
        size = data.draw(st.sampled_from(SMALL_SIZES[1:6]), label="page size")

        def attempt() -> list[Observation]:
            (walk,) = discovery.walks(run, [query], reuse=True)
            if walk.unanswered is not None:
                return judge.unanswered(run.semantics.records_pointer, walk.replies[-1])
            if not walk.complete:
                return [judge.not_exercised("the narrowed result is too large to walk")]
            everything = walk.records
            matched = len(everything)
            if not matched:
                # Two empty pages of an empty result say nothing about where a walk ends.
                return [judge.not_exercised("the narrowed result is empty")]
            last = matched // size  # the short (or empty) page
            replies: list[Exchange] = []
            for index in (last, last + 1):
                reply, records = fetch(run, query, index, size)
                replies.append(reply)
                if records is None and discovery.past_the_last(run, reply):
                    if matched > index * size:
                        return [past_end_status_too_soon(run.semantics, matched, size, index, reply, judge)]
                    continue  # the page past the last answers the status the spec declares for it
                if records is None:
                    return judge.unanswered(run.semantics.records_pointer, reply)
                failure = past_the_end(run.semantics, matched, size, index, replies, judge)
                if failure is not None:
                    return [failure]
            ending = "an empty one" if replies[-1].status == 200 else f"one answered {replies[-1].status}"
            compared = f"a walk by {size} over {plural(matched, 'record')} ended with a short page and {ending}"
            observations = [judge.passed(compared, replies, matched)]
            total = run.semantics.counts.total if run.semantics.counts else None
            if total is not None:
                observations.extend(total_matches(total, matched, replies, run.semantics.records_pointer))
            return observations

        return attempt

    explore(run, judge.check, 4, plan)


def _counts_at_record_positions(semantics: Semantics) -> bool:
    """A total count, and pages asked for at any record position (offset=total, offset=total-1)."""
    paging = semantics.paging
    return _has_total_count(semantics) and paging.random_access and paging.record_positions


@relation(
    applies=_counts_at_record_positions,
    needs=("counts", "paging.requirements.past-end", "paging.style: offset-limit"),
    quote="that the total count is how many records the query matches, whatever the page",
)
def total_count_invariant(run: ApiRun) -> None:
    """The total count is the same whatever the page, and past-the-end positions return nothing."""
    count = run.semantics.counts.total if run.semantics.counts else None
    assert count is not None
    paging = run.semantics.paging
    header = count.where
    judge = Judge("total_count_invariant", count.requirement)
    past_end = judge.on(paging.requirements["past-end"])

    def plan(data: st.DataObject) -> Attempt | None:
        query = draw_query(run, data, with_sort=False)
        size = data.draw(st.sampled_from(SMALL_SIZES), label="page size")
        index = data.draw(st.integers(0, 5), label="page")

        def attempt() -> list[Observation]:
            first = run.get({**query, **paging.page(0, size)})
            later = run.get({**query, **paging.page(index, size + 1)})
            pointer = run.semantics.records_pointer
            if first.records(pointer) is None or later.records(pointer) is None:
                return judge.unanswered(pointer, first, later)
            totals = [read_count(count, reply).shown for reply in (first, later)]
            if None in totals:
                return []  # a missing count is total_count_present's finding
            if totals[0] != totals[1]:
                return [
                    judge.failed(
                        f"{header} differs between pages: {totals[0]} and {totals[1]}",
                        [first, later],
                        received=str(totals[1]),
                        expected=str(totals[0]),
                    )
                ]
            total = read_count(count, first).value
            if total is None:
                return [judge.failed(f"{header} is not a count: {totals[0]!r}", [first])]
            # The same total on two pages: a total computed per page would differ; on its own it corroborates.
            observations = [judge.corroborated(f"{header}: {total} on two pages")]
            position = paging.position_param
            end = run.get({**query, position: str(total), paging.size_param: str(size)})
            records = end.records(run.semantics.records_pointer)
            if records is None and discovery.past_the_last(run, end):
                observations.append(
                    past_end.passed(f"{position}={total} (the total) answered {end.status}", [end], total)
                )
            elif records is None:
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
                elif last_records is not None:
                    observations.append(
                        judge.passed(f"{position}={total - 1} (the total - 1) held exactly one record", [last], total)
                    )
                    observations.append(past_end.passed(f"{position}={total} (the total) held no record", [end], total))
            return observations

        return attempt

    explore(run, judge.check, 3, plan)


# A cursor walk in small pages goes at most this many pages deep (and one more to see the end).
CURSOR_WALK_PAGES = 8


def _cursor_tiling_plan(run: ApiRun, judge: Judge, large_size: int) -> Callable[[st.DataObject], Attempt | None]:
    """`pages_tile_one_large_page` for cursor paging: the reference is a walk in large pages (the inventory's
    depth), the walk in small pages goes up to CURSOR_WALK_PAGES deep."""
    pointer = run.semantics.records_pointer

    def plan(data: st.DataObject) -> Attempt | None:
        query = draw_query(run, data)
        small = data.draw(st.sampled_from(SMALL_SIZES), label="page size")

        def attempt() -> list[Observation]:
            (reference,) = discovery.walks(run, [query], TILE_REFERENCE_PAGES - 1, reuse=True)
            references = [reply for reply in reference.replies if reply.records(pointer) is not None]
            wanted = ids(run, [record for reply in references for record in reply.records(pointer) or []])
            if len(wanted) < 2:
                if not references:
                    return judge.unanswered(pointer, *reference.replies)
                return [judge.not_exercised("too few records to page through")]
            if len(set(wanted)) < len(wanted):
                return [cursor_tiling_judged(run.semantics, reference, [], references, False, judge)]
            depth = min(CURSOR_WALK_PAGES, -(-len(wanted) // small))
            (walk,) = discovery.walks(run, [query], depth, size=small)
            if walk.unanswered is not None:
                return judge.unanswered(pointer, walk.replies[-1])
            return [cursor_tiling_judged(run.semantics, walk, wanted, references, reference.ended, judge)]

        return attempt

    return plan


def _cursor_end_plan(run: ApiRun, judge: Judge) -> Callable[[st.DataObject], Attempt | None]:
    """`walk_ends_cleanly` for cursor paging: a narrowed result walked in small pages to its end."""
    pointer = run.semantics.records_pointer

    def plan(data: st.DataObject) -> Attempt | None:
        query = _narrow_query(run, data)
        if query is None:
            run.not_exercised([judge.requirement], judge.check, "no query narrows the collection to a few pages")
            return None
        drawn = data.draw(st.sampled_from(SMALL_SIZES[1:6]), label="page size")

        def attempt() -> list[Observation]:
            (reference,) = discovery.walks(run, [query], reuse=True)
            if reference.unanswered is not None:
                return judge.unanswered(pointer, reference.replies[-1])
            matched = len(reference.records)
            if not reference.ended:
                if reference.loops_back_to is not None or reference.records:
                    return [cursor_walk_ended(run.semantics, reference, matched, judge)]
                return [judge.not_exercised("the narrowed result is too large to walk")]
            if not matched:
                return [judge.not_exercised("the narrowed result is empty")]
            # The smallest of the drawn size and the sizes after it that walks the result within the depth.
            size = next((s for s in SMALL_SIZES if s >= drawn and -(-matched // s) < CURSOR_WALK_PAGES), None)
            if size is None:
                return [cursor_walk_ended(run.semantics, reference, matched, judge)]
            (walk,) = discovery.walks(run, [query], CURSOR_WALK_PAGES, size=size)
            if walk.unanswered is not None:
                return judge.unanswered(pointer, walk.replies[-1])
            observations = [cursor_walk_ended(run.semantics, walk, matched, judge)]
            total = run.semantics.counts.total if run.semantics.counts else None
            if walk.ended and total is not None:
                observations.extend(total_matches(total, matched, list(walk.replies), pointer))
            return observations

        return attempt

    return plan


def _unpaged_query_answers_everything(run: ApiRun) -> None:
    """`omitted_page_is_first_page` under `applies: when-given`: a query with no paging parameter is answered
    every record it matches, the records of a complete walk (D-GEN-72). The pass judges only where the
    records outnumber the largest page the server serves (a server that pages by default could not answer
    them all); a smaller result only corroborates."""
    judge = Judge("omitted_page_is_first_page", run.semantics.paging.requirements["unpaged"])
    pointer = run.semantics.records_pointer
    large_size = discovery.honoured_size(run)

    def plan(data: st.DataObject) -> Attempt | None:
        query = draw_query(run, data)

        def attempt() -> list[Observation]:
            (walk,) = discovery.walks(run, [query], reuse=True)
            unpaged = run.get(query)
            if walk.unanswered is not None:
                return judge.unanswered(pointer, walk.replies[-1])
            got = unpaged.records(pointer)
            if got is None:
                return judge.unanswered(pointer, unpaged)
            if not walk.complete:
                return [judge.not_exercised("the result is too large to walk whole")]
            wanted, held = ids(run, walk.records), ids(run, got)
            if sorted(held) != sorted(wanted):  # in any order: the order requirements judge the order
                missing = [record for record in wanted if record not in set(held)]
                return [
                    judge.failed(
                        f"a query without paging parameters held {plural(len(held), 'record')}, where a walk of "
                        f"its pages found {plural(len(wanted), 'record')}"
                        + (f" (missing {describe_ids(missing)})" if missing else ""),
                        [unpaged, *walk.replies[-1:]],
                        received=describe_ids(held),
                        expected=describe_ids(wanted),
                    )
                ]
            if len(held) <= large_size:
                return [judge.corroborated(f"{plural(len(held), 'record')}, no more than a page holds")]
            return [
                judge.passed(
                    f"a query without paging parameters held the {plural(len(held), 'record')} of a walk of "
                    f"{plural(len(walk.replies), 'page')} of {large_size}",
                    [unpaged, walk.replies[-1]],
                    len(held),
                )
            ]

        return attempt

    explore(run, judge.check, 2, plan)
