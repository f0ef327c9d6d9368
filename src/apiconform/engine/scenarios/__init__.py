"""Scenario checks: invariants that span several requests (metamorphic relations).

Each scenario check draws its inputs with Hypothesis from what the target returned (see
`apiconform.engine.discovery`) and compares answers that must agree: pages against one large page,
a filtered result against the matching part of a complete set, ASC against the default direction.
Before a failing comparison is recorded it is repeated between two change probes; if the data moved,
the verdict is inconclusive instead (DECISIONS.md D-GEN-6).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Flaky

from apiconform.contract import Paging, Semantics
from apiconform.engine.http import BudgetExhausted
from apiconform.engine.target import ApiRun, Reply, UnsendableQuery
from apiconform.engine.verdicts import Observation, Outcome

Attempt = Callable[[], list[Observation]]
Plan = Callable[[st.DataObject], Attempt | None]


@dataclass(frozen=True)
class ScenarioCheck:
    name: str
    run: Callable[[ApiRun], None]
    applies: Callable[[Semantics], bool]
    doc: str


SCENARIO_CHECKS: dict[str, ScenarioCheck] = {}


def scenario(
    applies: Callable[[Semantics], bool] = lambda semantics: True,
) -> Callable[[Callable[[ApiRun], None]], Callable[[ApiRun], None]]:
    """Register a scenario check under its function name."""

    def register(func: Callable[[ApiRun], None]) -> Callable[[ApiRun], None]:
        if func.__name__ in SCENARIO_CHECKS:
            raise ValueError(f"scenario check {func.__name__} registered twice")
        SCENARIO_CHECKS[func.__name__] = ScenarioCheck(func.__name__, func, applies, (func.__doc__ or "").strip())
        return func

    return register


def flip(data: st.DataObject, label: str) -> bool:
    """A drawn yes/no (a function, so that type inference does not borrow the caller's context)."""
    return data.draw(st.booleans(), label=label)


def check_seed(run: ApiRun, check: str) -> int:
    """A seed per API and check, stable across processes (unlike hash())."""
    return zlib.crc32(f"{run.seed}:{run.contract.api}:{check}".encode())


def explore(run: ApiRun, check: str, examples: int, plan: Plan) -> None:
    """Run `plan` for up to `examples` drawn examples; each planned attempt's observations are confirmed."""

    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
    )
    @seed(check_seed(run, check))
    @given(st.data())
    def example(data: st.DataObject) -> None:
        if run.budget_exhausted:
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
            # Not a failing example: raised to Hypothesis it would be replayed, return at once (the
            # budget is spent) and be reported as flaky. The remaining examples return at once too.
            run.budget_exhausted = True
            return

    try:
        example()
    except BudgetExhausted:
        run.budget_exhausted = True
    except Flaky:
        # Once the budget is spent every example returns before drawing, so Hypothesis sees a choice
        # sequence it ran before draw less and calls the test flaky: the budget's doing, not a crash.
        # Any other Hypothesis error is the suite's failure (the session records it as one).
        if not run.budget_exhausted:
            raise


def confirmed(run: ApiRun, attempt: Attempt) -> list[Observation]:
    """The attempt's observations, with each failure repeated with the data standing still before it counts."""
    before = run.probe()
    first = attempt()
    if not any(observation.outcome is Outcome.FAIL for observation in first):
        return first
    second = attempt()
    after = run.probe()
    if after != before:
        return [
            replace(
                observation,
                outcome=Outcome.INCONCLUSIVE,
                message=f"the target's data changed while this was checked ({observation.message})",
            )
            if observation.outcome is Outcome.FAIL
            else observation
            for observation in first
        ]
    if any(observation.outcome is Outcome.FAIL for observation in second):
        return second
    return [
        replace(observation, message=f"{observation.message} (not repeated on a second try, data unchanged)")
        if observation.outcome is Outcome.FAIL
        else observation
        for observation in first
    ]


def ids(run: ApiRun, records: Iterable[object]) -> list[str]:
    from apiconform.engine.records import pointer_get

    return [str(pointer_get(record, run.semantics.id_pointer)) for record in records]


def failed(
    requirement: str,
    check: str,
    message: str,
    replies: Sequence[Reply],
    received: str | None = None,
    expected: str | None = None,
) -> Observation:
    """A failure, with the (last three) replies that show it as evidence.

    The first of them is the headline (the curl line a summary shows): pass the smallest set of
    requests that shows the failure, the most telling first, and a reference reply (one large page,
    an unfiltered result) after them."""
    evidence = tuple(reply.evidence for reply in replies[-3:])
    return Observation(requirement, Outcome.FAIL, check, message, received, expected, evidence)


def page_words(paging: Paging, index: int, size: int) -> str:
    """The `index`-th page of `size` records in the API's own words, i.e. the query that asks for it:
    `offset=74&limit=2` for an offset API, `pageNumber=37&pageSize=2` for a page-number one."""
    return "&".join(f"{name}={value}" for name, value in paging.query(index, size).items())


def describe_ids(values: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def load_all() -> None:
    """Import the modules that register scenario checks."""
    from apiconform.engine.scenarios import access, filtering, ordering, paging, representation  # noqa: F401
