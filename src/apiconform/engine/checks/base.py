"""The check registry, and what the checks of every family share.

Two kinds of check, in one registry (`CHECKS`), each entry declaring its name, its kind,
`applies(semantics)`, the `x-apiconform` keys it needs (`needs`) and what a requirement that cites it must
quote (`quote`); `apiconform checks` lists them, with the first line of each check's docstring:

- `response`: judges one reply on its own. It takes an explicit `Context` (the contract and what
  discovery learnt) and the reply's `Exchange`, and yields observations. Every reply of the list
  operation passes through them: the property tests' and every page a relation fetches
  (`apiconform.engine.checks.validation` binds them to schemathesis).
- `relation`: a metamorphic relation across several requests. It takes the `ApiRun`, draws its inputs
  with Hypothesis from what the target returned (`apiconform.engine.model.discovery`), sends its own
  requests and records its observations. Before a failing comparison counts it is repeated between
  two change probes; if the data moved, the verdict is inconclusive instead (DECISIONS.md D-GEN-6).

A check reports through a `Judge` (one check, one requirement), or `failed` (the same, for a check that
blames one of several requirements); only checks/validation.py builds observations itself, from
schemathesis' own checks' results.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Literal

from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Flaky

from apiconform.contract import Contract, Filter, Paging, Semantics
from apiconform.engine.model import discovery
from apiconform.engine.model.apirun import ApiRun
from apiconform.engine.model.discovery import Discovery
from apiconform.engine.model.exchange import Exchange, UnsendableQuery, query_pairs
from apiconform.engine.model.plan import CONFIRMING
from apiconform.engine.model.records import pointer_get, spelled
from apiconform.engine.model.verdicts import Cause, Observation, Outcome
from apiconform.engine.transport.http import BudgetExhausted

Kind = Literal["response", "relation"]


# --- context and judging ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What a per-response check is given besides the exchange: the API's contract (spec, semantics,
    catalog) and what discovery learnt from the target (joined lists)."""

    contract: Contract
    discovery: Discovery

    @classmethod
    def of(cls, run: ApiRun) -> Context:
        return cls(run.contract, run.discovery)

    @property
    def semantics(self) -> Semantics:
        return self.contract.semantics

    def records(self, exchange: Exchange) -> list[Any] | None:
        """The exchange's records (None unless it is a 200 with a record list)."""
        return exchange.records(self.semantics.records_pointer)


@dataclass(frozen=True)
class Judge:
    """One check's observations about one requirement."""

    check: str
    requirement: str

    def on(self, requirement: str) -> Judge:
        """The same check judging another requirement."""
        return Judge(self.check, requirement)

    def passed(self, compared: str = "", shown: Sequence[Exchange] = (), records: int | None = None) -> Observation:
        """A judging pass: an observation a plausible defect of the rule would have failed. `compared` says
        what was compared, `shown` the request(s) that show it (the first is the headline), `records` how many
        records the comparison covered (the report shows the strongest pass as the requirement's evidence)."""
        evidence = tuple(exchange.evidence for exchange in shown[:2])
        return Observation(self.requirement, Outcome.PASS, self.check, compared, evidence=evidence, records=records)

    def corroborated(self, compared: str = "") -> Observation:
        """A pass that could not have failed on a plausible defect of the rule (a value nobody has matched
        nothing; an empty page is within any bound): counted, but on its own it judges nothing."""
        return Observation(self.requirement, Outcome.PASS, self.check, compared, judging=False)

    def failed(
        self,
        message: str,
        shown: Sequence[Exchange] = (),
        received: str | None = None,
        expected: str | None = None,
        alternatives: tuple[str, ...] = (),
    ) -> Observation:
        """A failure, with the (last three) exchanges that show it as evidence.

        The first of them is the headline (the curl line a summary shows): pass the smallest set of
        requests that shows the failure, the most telling first, and a reference reply (one large page,
        an unfiltered result) after them. `alternatives`: requirements whose fault this could as well be
        (see `Ledger.settle`)."""
        evidence = tuple(exchange.evidence for exchange in shown[-3:])
        return Observation(
            self.requirement, Outcome.FAIL, self.check, message, received, expected, evidence, alternatives
        )

    def not_exercised(self, reason: str, cause: Cause = Cause.DATA) -> Observation:
        """Nothing to judge, and why: by default the target's data offered nothing (DECISIONS.md D-GEN-23)."""
        return Observation(self.requirement, Outcome.NOT_EXERCISED, self.check, reason, cause=cause)

    def unanswered(self, pointer: str, *replies: Exchange) -> list[Observation]:
        """Not exercised because one of `replies` held no record list (at `pointer`): the reason names the real
        cause (`a page was answered 404`), which is the run's, not the target's data (the status is judged on
        its own). Empty when every reply holds records."""
        for reply in replies:
            why = discovery.unanswered(reply, pointer)
            if why is not None:
                return [self.not_exercised(f"not judged: {why}", Cause.RUN)]
        return []

    def inconclusive(self, reason: str) -> Observation:
        """Not decided (the target answered identical requests differently): not judged, for a cause in the run."""
        return Observation(self.requirement, Outcome.INCONCLUSIVE, self.check, reason, cause=Cause.RUN)


# --- the registry -------------------------------------------------------------------------------------

ResponseJudging = Callable[[Context, Exchange], Iterator[Observation]]
RelationRun = Callable[[ApiRun], None]


@dataclass(frozen=True)
class Check:
    """One check: `doc` says what it judges; `needs`, the `x-apiconform` keys without which it has nothing to
    judge (`applies` reads them); `quote`, what the vendor's sentence a citing requirement quotes must say for
    the check to judge that requirement fairly."""

    name: str
    applies: Callable[[Semantics], bool]
    doc: str
    needs: tuple[str, ...]
    quote: str
    kind: ClassVar[Kind]


@dataclass(frozen=True)
class ResponseCheck(Check):
    """Judges one exchange on its own."""

    judge: ResponseJudging
    kind: ClassVar[Kind] = "response"


@dataclass(frozen=True)
class RelationCheck(Check):
    """Sends its own requests and judges how their answers relate."""

    run: RelationRun
    kind: ClassVar[Kind] = "relation"


# Every check by name, in registration order (apiconform.engine.checks imports the families in order).
CHECKS: dict[str, Check] = {}


def register(check: Check) -> None:
    if check.name in CHECKS:
        raise ValueError(f"check {check.name} registered twice")
    CHECKS[check.name] = check


def always(semantics: Semantics) -> bool:
    return True


def response_check(
    applies: Callable[[Semantics], bool] = always, *, needs: tuple[str, ...], quote: str
) -> Callable[[ResponseJudging], ResponseJudging]:
    """Register a per-response check under its function name, with the spec keys it needs and what a
    requirement citing it must quote (both required: `apiconform checks` shows them)."""

    def decorate(func: ResponseJudging) -> ResponseJudging:
        register(ResponseCheck(func.__name__, applies, (func.__doc__ or "").strip(), needs, quote, func))
        return func

    return decorate


def relation(
    applies: Callable[[Semantics], bool] = always, *, needs: tuple[str, ...], quote: str
) -> Callable[[RelationRun], RelationRun]:
    """Register a relation under its function name (`needs` and `quote` as for `response_check`)."""

    def decorate(func: RelationRun) -> RelationRun:
        register(RelationCheck(func.__name__, applies, (func.__doc__ or "").strip(), needs, quote, func))
        return func

    return decorate


def response_checks() -> dict[str, ResponseCheck]:
    return {name: check for name, check in CHECKS.items() if isinstance(check, ResponseCheck)}


def relations() -> dict[str, RelationCheck]:
    return {name: check for name, check in CHECKS.items() if isinstance(check, RelationCheck)}


# --- exploring relations ------------------------------------------------------------------------------

Attempt = Callable[[], list[Observation]]
Plan = Callable[[st.DataObject], Attempt | None]


def flip(data: st.DataObject, label: str) -> bool:
    """A drawn yes/no (a function, so that type inference does not borrow the caller's context)."""
    return data.draw(st.booleans(), label=label)


def check_seed(run: ApiRun, check: str) -> int:
    """A seed per API and check, stable across processes (unlike hash())."""
    return zlib.crc32(f"{run.seed}:{run.contract.api}:{check}".encode())


# The largest draw that marks Hypothesis' simplest example (every draw at its minimum), which `explore`
# can leave out: one example of a scheduled kind must be drawn at random, not be the same every time.
_SALT = 2**31 - 1


def explore(run: ApiRun, check: str, examples: int, plan: Plan, *, random_only: bool = False) -> None:
    """Run `plan` for up to `examples` drawn examples (fewer under a smaller plan than the full one); each
    planned attempt's observations are confirmed.

    Hypothesis draws its first example at every draw's minimum (the first partition, the first value).
    `random_only` leaves that example out (it returns before drawing anything else), so that every example
    is drawn at random: for checks that run one example of each of several kinds."""
    planned = run.plan.examples(check, examples)

    @settings(
        max_examples=planned + 1 if random_only else planned,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
    )
    @seed(check_seed(run, check))
    @given(st.data())
    def example(data: st.DataObject) -> None:
        if random_only and data.draw(st.integers(0, _SALT), label="salt") == 0:
            return  # Hypothesis' simplest example (or, rarely, a random one that drew 0: one example fewer)
        if not run.may_run_relation_example(check):
            return
        try:
            attempt = plan(data)
            if attempt is not None:
                run.observe_all(confirmed(run, attempt))
        except UnsendableQuery:
            # The target's data gave a value no URL can carry (a lone surrogate): data, not a crash;
            # this example judges nothing and the next one draws again.
            return
        except BudgetExhausted:
            # Not a failing example: raised to Hypothesis it would be replayed, return at once (sending
            # has stopped) and be reported as flaky. The remaining examples return at once too (the
            # guarded session has told `run.control` why).
            return

    try:
        example()
    except BudgetExhausted:
        pass  # as above: sending stopped, and `run.control` knows why
    except Flaky:
        # Once the budget (or the relations' share of the plan) is spent every example returns before
        # drawing, so Hypothesis sees a choice sequence it ran before draw less and calls the test flaky:
        # the budget's doing, not a crash. Any other Hypothesis error is the suite's failure (the session
        # records it as one).
        if not (run.control.exhausted or not run.plan.relations_have_room(run.http.traffic.sent)):
            raise


# How many times an attempt whose identical requests disagreed is tried again before it counts as unjudged.
UNSETTLED_RETRIES = 2


def confirmed(run: ApiRun, attempt: Attempt) -> list[Observation]:
    """The attempt's observations; a failure counts only once repeated on fresh requests with the data
    standing still (DECISIONS.md D-GEN-6, D-GEN-21).

    The first try may reuse replies the run already holds (a large reference page, a base set), and no
    probe is sent while nothing fails. On a failure: a probe, the attempt again with every request fresh,
    a probe. When the fresh try passes, a first try that reused replies is explained by them (they were
    older), so the fresh try's observations stand, even if the data moved meanwhile. Otherwise data that
    moved makes the failure inconclusive, and a failure on the fresh try counts; a first try that did not
    reuse failed on its own, and counts (`not repeated`) if the probe taken before it still matches. A
    failure of a requirement that has failed already is taken as it is."""
    if run.last_probe is None:
        run.probe()  # the data's state before any try: what a flaky first failure is compared against
    earlier = run.last_probe
    run.reusing, run.reused = True, 0
    try:
        first = attempt()
    finally:
        run.reusing = False
    reused = run.reused > 0
    failures = [observation for observation in first if observation.outcome is Outcome.FAIL]
    for _ in range(UNSETTLED_RETRIES):
        if failures or not any(observation.outcome is Outcome.INCONCLUSIVE for observation in first):
            break
        # Identical requests disagreed (records written between them): try again, fresh, for a moment when
        # the data holds still; otherwise the requirement stays unjudged (D-GEN-13).
        with run.spending(CONFIRMING):
            first = attempt()
        reused = False
        failures = [observation for observation in first if observation.outcome is Outcome.FAIL]
    if not failures:
        return first
    if all(not failure.alternatives and run.ledger[failure.requirement].failure_count for failure in failures):
        # Each requirement has failed already: one more failure changes no verdict, and confirming it would
        # spend requests (a faulty target fails example after example) that other checks need.
        return first
    with run.spending(CONFIRMING):
        before = run.probe(CONFIRMING)
        second = attempt()
        after = run.probe(CONFIRMING)
    failed_again = any(observation.outcome is Outcome.FAIL for observation in second)
    if reused and not failed_again:
        # The older replies the first try reused explain its failure: the fresh try held, on fresh requests,
        # whether or not the data moved meanwhile (a pass is no less a pass for records written around it).
        return second
    if after != before:
        return _moved(first)
    if failed_again:
        return second
    if earlier != before:
        return _moved(first)
    return [
        replace(observation, message=f"{observation.message} (not repeated on a second try, data unchanged)")
        if observation.outcome is Outcome.FAIL
        else observation
        for observation in first
    ]


def _moved(observations: list[Observation]) -> list[Observation]:
    """The failures among `observations` made inconclusive: the target's data changed meanwhile."""
    return [
        replace(
            observation,
            outcome=Outcome.INCONCLUSIVE,
            message=f"the target's data changed while this was checked ({observation.message})",
            cause=Cause.RUN,
        )
        if observation.outcome is Outcome.FAIL
        else observation
        for observation in observations
    ]


def failed(
    requirement: str,
    check: str,
    message: str,
    replies: Sequence[Exchange],
    received: str | None = None,
    expected: str | None = None,
) -> Observation:
    """`Judge(check, requirement).failed(...)`, for a check that blames one of several requirements."""
    return Judge(check, requirement).failed(message, replies, received, expected)


# --- reading answers ----------------------------------------------------------------------------------


def ids(source: ApiRun | Context | Semantics, records: Iterable[object]) -> list[str]:
    """The records' ids (as text), by the spec's id pointer."""
    semantics = source if isinstance(source, Semantics) else source.semantics
    return [spelled(pointer_get(record, semantics.id_pointer)) for record in records]


def page_words(paging: Paging, index: int, size: int) -> str:
    """The `index`-th page of `size` records in the API's own words, i.e. the query that asks for it:
    `offset=74&limit=2` for an offset API, `pageNumber=37&pageSize=2` for a page-number one."""
    return "&".join(f"{name}={value}" for name, value in paging.page(index, size).items())


def query_words(query: Mapping[str, str]) -> str:
    """A query as a URL writes it, unencoded: `partyAccount.id=0.0.0.1+-account+7&status=created`; a list in
    repeated keys once per item (`partnerIds=a&partnerIds=b`)."""
    return "&".join(f"{name}={item}" for name, item in query_pairs(query))


def describe_ids(values: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def narrowing_filter(semantics: Semantics) -> Filter | None:
    """The filter that narrows the collection to a small part (e.g. one account), if the spec names one."""
    return next((flt for flt in semantics.filters.values() if flt.narrowing and flt.field), None)


def _asked(semantics: Semantics, query: Mapping[str, str]) -> set[str] | None:
    """The first-level attributes the query's attribute selection asks for; None without a selection."""
    projection = semantics.projection
    selection = query.get(projection.param) if projection else None
    return {name.strip() for name in selection.split(",")} if selection else None


def projected_out(semantics: Semantics, query: Mapping[str, str]) -> Callable[[str], bool]:
    """Whether the query's attribute selection leaves out the first-level attribute a JSON pointer
    starts with (never, without a selection)."""
    asked = _asked(semantics, query)
    if asked is None or semantics.projection is None:
        return lambda pointer: False
    kept = asked | set(semantics.projection.always_allowed)
    return lambda pointer: pointer.split("/")[1] not in kept


def kept_unasked(semantics: Semantics, query: Mapping[str, str]) -> Callable[[str], bool]:
    """Whether the query's attribute selection leaves the first-level attribute a JSON pointer starts with
    to the server: not asked for, but always allowed (`status` in BRM), so it may be kept, left out or
    kept as null (D-BRM-2). Never, without a selection."""
    asked = _asked(semantics, query)
    if asked is None or semantics.projection is None:
        return lambda pointer: False
    allowed = set(semantics.projection.always_allowed) - asked
    return lambda pointer: pointer.split("/")[1] in allowed


# --- asking the target --------------------------------------------------------------------------------

SMALL_SIZES = (1, 2, 3, 5, 7, 10, 13, 25)

UNSTABLE = (
    "identical requests returned different records, so this relation cannot be judged "
    "(the order requirements judge that instability)"
)


def draw_query(run: ApiRun, data: st.DataObject, *, with_sort: bool = True) -> dict[str, str]:
    """A realistic list query: a partition (e.g. a filter's documented value), maybe a sort, maybe a
    narrowing filter value."""
    inventory = discovery.inventory(run)
    partition = data.draw(st.sampled_from(inventory.partitions), label="partition")
    query = dict(partition.query)
    sort = run.semantics.ordering.sort
    if with_sort and sort is not None and flip(data, "sorted"):
        key = data.draw(st.sampled_from(sorted(sort.keys)), label="sortField")
        query.update(sort.query(key, data.draw(st.sampled_from(sorted(sort.ways)), label="sortDirection")))
    narrowing = narrowing_filter(run.semantics)
    if narrowing is not None and partition.records and flip(data, "narrowed"):
        values = inventory.values(narrowing.field or "", partition)
        if values:
            query[narrowing.param] = spelled(data.draw(st.sampled_from(values), label=narrowing.param))
    return query


def fetch(
    run: ApiRun, query: Mapping[str, str], index: int, size: int, *, reuse: bool = False
) -> tuple[Exchange, list[Any] | None]:
    """The `index`-th page of `size` records of the query: the exchange and its records. `reuse`: a
    reference page, which a relation's first try may take from an earlier identical request."""
    reply = run.get({**query, **run.semantics.paging.page(index, size)}, reuse=reuse)
    return reply, reply.records(run.semantics.records_pointer)


def fetch_twice(
    run: ApiRun, query: Mapping[str, str], index: int, size: int
) -> tuple[Exchange, list[Any] | None, bool]:
    """A page fetched twice: the reply, its records, and whether both fetches agreed.

    Relations that compare two pages assume the target answers the same request the same way; when it
    does not, a difference says nothing about the relation itself. The first may be an earlier reply to
    the same request (the two then span more time: a moving target shows as unstable sooner)."""
    reply, records = fetch(run, query, index, size, reuse=True)
    _, again = fetch(run, query, index, size)
    stable = records is None or again is None or ids(run, records) == ids(run, again)
    return reply, records, stable
