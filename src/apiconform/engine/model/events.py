"""What a run tells its listeners as it goes: typed, frozen events, and what the suite's tests are about.

A `ConformanceSession` keeps a list of listeners (callables taking one event, the way Hypothesis'
`add_observability_callback` delivers its observations) and calls each with every event, from the
thread that caused it. The progress lines are one such listener (engine/progress.py); a listener
needs neither pytest nor an `ApiRun`, only these values.

- `RequirementsCollected(api, count)`: pytest collected `count` requirement tests of the API.
- `PhaseStarted(api, phase)`: the API's tests entered another phase (relations, property tests,
  verdicts), in the order pytest runs them.
- `RequirementObserved(api, requirement)`: something was recorded about a requirement for the first
  time (a pass, a failure, or a reason it stayed unjudged); checks record as they go.
- `RequirementJudged(api, requirement)`: the requirement's own test has its outcome.
- `RequestSent(api)`: a request to the API went out (paced, inside the budget).
- `ApiStopped(api, reason)`: testing the API ended before it was done, and why (sent when the run is
  finalized, once per API that stopped early).

`SuiteItem` is what one collected test of the suite is about; the plugin tags each item with it once,
and everything that needs to know reads the tag, never the test's name or node id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class Phase(StrEnum):
    """The phases of an API's tests, as the progress line names them (pytest runs them in this order)."""

    RELATIONS = "relations"
    PROPERTIES = "property tests"
    VERDICTS = "verdicts"


@dataclass(frozen=True)
class SuiteItem:
    """One test of the suite: its API, its phase, and what it runs (the relation's name, the
    operation id the property tests generate cases for, or the requirement's id)."""

    api: str
    kind: Phase
    name: str


@dataclass(frozen=True)
class RequirementsCollected:
    api: str
    count: int


@dataclass(frozen=True)
class PhaseStarted:
    api: str
    phase: Phase


@dataclass(frozen=True)
class RequirementObserved:
    api: str
    requirement: str


@dataclass(frozen=True)
class RequirementJudged:
    api: str
    requirement: str


@dataclass(frozen=True)
class RequestSent:
    api: str


@dataclass(frozen=True)
class ApiStopped:
    api: str
    reason: str


Event = RequirementsCollected | PhaseStarted | RequirementObserved | RequirementJudged | RequestSent | ApiStopped
Listener = Callable[[Event], None]
