"""What the engine learns from the target before judging it: a bounded inventory of its records.

Checks never assume data. They draw filter values, ids, dates and page sizes from what the target
returned here, and build complete result sets (small enough to fetch whole) to compare against.
Every walk is bounded, so a huge collection costs a few pages, not a crawl.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from apiconform.engine.model.records import MISSING, pointer_get

if TYPE_CHECKING:  # the run holds a Discovery: at run time this module needs nothing from target
    from apiconform.engine.model.apirun import ApiRun
    from apiconform.engine.model.exchange import Exchange

# The page size the engine asks for when it wants many records at once.
LARGE_PAGE = 100
INVENTORY_PAGES = 3
# A complete result set is walked to its end within this many pages, or given up on.
COMPLETE_SET_PAGES = 4


@dataclass(frozen=True)
class Partition:
    """A slice of the collection reached by one query, e.g. BRM's default (monetary) records or usageType=other.

    `unanswered` says why its pages could not be read (`answered 500`, a transport error), else None: a
    partition without records for that reason is the run's problem, not the target's data."""

    query: Mapping[str, str]
    records: tuple[Any, ...]
    complete: bool
    unanswered: str | None = None


@dataclass(frozen=True)
class Inventory:
    partitions: tuple[Partition, ...]
    page_size: int  # the page size the target honours when asked for LARGE_PAGE

    def records(self) -> list[tuple[Partition, Any]]:
        return [(partition, record) for partition in self.partitions for record in partition.records]

    def unanswered(self) -> str | None:
        """Why no partition could be read (the first reason), when none holds records for that reason."""
        if any(partition.records for partition in self.partitions):
            return None
        return next((partition.unanswered for partition in self.partitions if partition.unanswered), None)

    def values(self, pointer: str, partition: Partition | None = None) -> list[Any]:
        """Distinct scalar values at `pointer` (text, numbers, booleans), in the order first seen."""
        seen: dict[Any, None] = {}
        for part in (partition,) if partition else self.partitions:
            for record in part.records:
                value = pointer_get(record, pointer)
                if isinstance(value, (str, int, float, bool)):
                    seen.setdefault(value, None)
        return list(seen)


@dataclass
class Discovery:
    """What one run learnt from its target, shared by the checks: for choosing inputs, never for judging."""

    page_size: int | None = None  # see honoured_size
    inventory: Inventory | None = None
    # Complete result sets by their query (sorted items); None: the set could not be had.
    complete_sets: dict[tuple[tuple[str, str], ...], list[Any] | None] = field(default_factory=dict)
    # Each joined list's rows by key (None: it could not be read, and join_errors says why).
    joins: dict[str, Mapping[str, Any] | None] = field(default_factory=dict)
    join_errors: dict[str, str] = field(default_factory=dict)
    # (parameter, value) pairs sent as a filter's alternate key (an adjustment number for `id`): the records
    # of other representations do not carry that key, so only the alternate's own relation judges them.
    alternate_keys: set[tuple[str, str]] = field(default_factory=set)

    def join_value(self, join: str, key: str, join_field: str) -> Any:
        """A field of the joined row with that key (e.g. the partner of a connection), or MISSING if unknown."""
        rows = self.joins.get(join)
        if rows is None:
            return MISSING
        row = rows.get(key)
        return MISSING if row is None else pointer_get(row, join_field)


def page(run: ApiRun, query: Mapping[str, str], index: int, size: int) -> list[Any] | None:
    """Records of the `index`-th page of `size` (None when the target did not answer 200 with records)."""
    reply = run.get({**query, **run.semantics.paging.page(index, size)})
    return reply.records(run.semantics.records_pointer)


def honoured_size(run: ApiRun, query: Mapping[str, str] | None = None) -> int:
    """The page size the target really serves when asked for LARGE_PAGE (it may clamp to a maximum)."""
    if run.discovery.page_size is None:
        paging = run.semantics.paging
        with run.spending("discovery"):
            asked = {**(query or {}), **paging.page(0, LARGE_PAGE)}
            reply = run.get(asked)
            first = reply.records(run.semantics.records_pointer) or []
            size = LARGE_PAGE
            if 0 < len(first) < LARGE_PAGE:
                if paging.random_access:
                    more = page(run, query or {}, 1, len(first))
                else:  # a cursor page that names a next page was cut to the server's maximum
                    more = [None] if page_after(run, asked, reply, first, LARGE_PAGE) is not None else []
                if more:
                    size = len(first)
        run.discovery.page_size = size
    return run.discovery.page_size


CompleteSet = tuple[list[Any] | None, list["Exchange"]]


@dataclass(frozen=True)
class Walk:
    """What a query returned, walked page by page: its records (every one of them when `complete`), the
    replies, and why the walk stopped short (`unanswered`: a page without a record list) if it did."""

    records: tuple[Any, ...]
    complete: bool
    replies: tuple[Exchange, ...]
    unanswered: str | None = None
    # The walk reached its end (whether or not it met a record twice), and, when the last reply named a next
    # page whose query the walk had asked for already (a cursor leading back), which reply asked for it.
    ended: bool = False
    loops_back_to: int | None = None


def unanswered(reply: Exchange, pointer: str) -> str | None:
    """Why a reply holds no record list, in words (`the page was answered 404`), or None when it holds one."""
    if reply.records(pointer) is not None:
        return None
    if reply.error is not None:
        return f"a page got no usable answer ({reply.error})"
    if reply.status is not None and 200 <= reply.status < 300:
        return f"a {reply.status} page held no record list"
    return f"a page was answered {reply.status}"


def walks(
    run: ApiRun,
    queries: Sequence[Mapping[str, str]],
    max_pages: int = COMPLETE_SET_PAGES,
    *,
    reuse: bool = False,
    size: int | None = None,
) -> list[Walk]:
    """Each query's records, page by page, up to `max_pages` pages (and one more to see the end); their
    first pages are asked for together (most results are one page). A walk is complete when it ended (see
    `ends`) and met no record twice (else the order moved under it). A page after the first answered the
    paging's `past_end_status` is the end, past the last page. A next page whose query was asked before
    in the walk (a cursor leading back) ends it incomplete, never in a loop. `size`: the page size asked
    for (by default the largest the server honours)."""
    size = size or honoured_size(run)
    pointer = run.semantics.records_pointer
    first_queries = [{**query, **run.semantics.paging.page(0, size)} for query in queries]
    firsts = run.get_many(first_queries, reuse=reuse)
    results = []
    for asked, first in zip(first_queries, firsts, strict=True):
        records: list[Any] = []
        replies: list[Exchange] = []
        reply, ended, why, loops_back_to = first, False, None, None
        seen = [query_key(asked)]
        for index in range(max_pages + 1):
            if index:
                reply = run.get(asked, reuse=reuse)
            replies.append(reply)
            if index and past_the_last(run, reply):
                ended = True
                break
            batch = reply.records(pointer)
            if batch is None:
                why = unanswered(reply, pointer)
                break
            records.extend(batch)
            ended, following = ends(run, asked, reply, batch, size)
            if ended or following is None:
                break
            if query_key(following) in seen:
                loops_back_to = seen.index(query_key(following))
                break
            seen.append(query_key(following))
            asked = following
        complete = ended and walked_cleanly(run, records)
        results.append(Walk(tuple(records), complete, tuple(replies), why, ended, loops_back_to))
    return results


def fetch_complete(
    run: ApiRun, query: Mapping[str, str], max_pages: int = COMPLETE_SET_PAGES, *, reuse: bool = False
) -> CompleteSet:
    """Every record the query matches, fetched page by page, with the replies as evidence (`reuse`: a
    reference set, which a relation's first try may take from earlier identical requests).

    None when the result is larger than `max_pages` pages, when a page is not a 200 with records, or
    when the walk met a record twice (the order moved under it)."""
    return fetch_completes(run, [query], max_pages, reuse=reuse)[0]


def fetch_completes(
    run: ApiRun, queries: Sequence[Mapping[str, str]], max_pages: int = COMPLETE_SET_PAGES, *, reuse: bool = False
) -> list[CompleteSet]:
    """`fetch_complete` for each query; their first pages are asked for together (most sets are one page)."""
    return [
        (list(walk.records) if walk.complete else None, list(walk.replies))
        for walk in walks(run, queries, max_pages, reuse=reuse)
    ]


def page_after(
    run: ApiRun, asked: Mapping[str, str], reply: Exchange, batch: Sequence[Any], size: int
) -> dict[str, str] | None:
    """The query of the page after `reply`, the answer to `asked` (a page of `size`) holding `batch`.

    The walk steps over no more than `size` records, even when the page held more (a size-bound fault,
    which the per-response checks judge), so that it keeps to the positions it asked for."""
    return run.semantics.paging.after(asked, min(len(batch), size), reply.body, reply.joined_headers)


def ends(
    run: ApiRun, asked: Mapping[str, str], reply: Exchange, batch: Sequence[Any], size: int
) -> tuple[bool, dict[str, str] | None]:
    """Whether the walk ends with `reply` (the answer to `asked`, a page of `size` holding `batch`), and
    else the query of the next page (None: there is none to step to). A positional walk ends with a short
    page; a cursor walk when the reply names no next page (a cursor page may be short and have a next, or
    full and be the last)."""
    following = page_after(run, asked, reply, batch, size)
    if run.semantics.paging.random_access:
        return len(batch) < size, following
    return following is None, following


def past_the_last(run: ApiRun, reply: Exchange) -> bool:
    """The reply is the paging's `past_end_status`: the page asked for lies past the last one."""
    status = run.semantics.paging.past_end_status
    return status is not None and reply.status == status


def query_key(query: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """A query as a key, whatever the order of its parameters."""
    return tuple(sorted(query.items()))


def complete_set(run: ApiRun, query: Mapping[str, str]) -> list[Any] | None:
    """`fetch_complete`, remembered for the run: for choosing inputs, never for judging (data moves)."""
    key = tuple(sorted(query.items()))
    if key not in run.discovery.complete_sets:
        run.discovery.complete_sets[key] = fetch_complete(run, query)[0]
    return run.discovery.complete_sets[key]


def walked_cleanly(run: ApiRun, records: list[Any]) -> bool:
    """No record came back twice while walking the pages (else the walk is no complete set: the order
    moved under it, which the order and paging checks judge, not the checks that need the set)."""
    seen = [str(pointer_get(record, run.semantics.id_pointer)) for record in records]
    return len(seen) == len(set(seen))


def default_partitions(run: ApiRun) -> list[dict[str, str]]:
    """The queries that together reach the collection: the default view, plus each documented
    value of a filter that has a default (BRM's usageType=other is invisible without it)."""
    queries: list[dict[str, str]] = [{}]
    for param, flt in run.semantics.filters.items():
        if flt.default is None:
            continue
        for value in flt.documented_values:
            if value.casefold() != flt.default.casefold():
                queries.append({param: value})
    return queries


def inventory(run: ApiRun) -> Inventory:
    """The first pages of each partition (cached for the run)."""
    if run.discovery.inventory is not None:
        return run.discovery.inventory
    with run.spending("discovery"):
        return _take_inventory(run)


def _take_inventory(run: ApiRun) -> Inventory:
    size = honoured_size(run)
    partitions = []
    pointer = run.semantics.records_pointer
    for query in default_partitions(run):
        records: list[Any] = []
        complete = False
        why = None
        asked = {**query, **run.semantics.paging.page(0, size)}
        seen = {query_key(asked)}
        for index in range(INVENTORY_PAGES):
            reply = run.get(asked)
            if index and past_the_last(run, reply):
                complete = True
                break
            batch = reply.records(pointer)
            if not batch:
                complete = batch is not None
                why = unanswered(reply, pointer)
                break
            records.extend(batch)
            ended, following = ends(run, asked, reply, batch, size)
            if ended:
                complete = True
                break
            if following is None or query_key(following) in seen:
                break
            seen.add(query_key(following))
            asked = following
        partitions.append(Partition(query, tuple(records), complete, why))
    result = Inventory(tuple(partitions), size)
    run.discovery.inventory = result
    load_joins(run)
    return result


def load_joins(run: ApiRun) -> None:
    """Read each joined list (e.g. BitGo's connections) once, keyed by its key field."""
    for name, join in run.semantics.joins.items():
        reply = run.get({}, operation_id=join.operation)
        rows = reply.records(join.records) if reply.status == 200 else None
        if rows is None:
            run.discovery.joins[name] = None
            run.discovery.join_errors[name] = f"{join.operation} answered {reply.status or reply.error}"
            continue
        run.discovery.joins[name] = {str(pointer_get(row, join.key)): row for row in rows if isinstance(row, dict)}
