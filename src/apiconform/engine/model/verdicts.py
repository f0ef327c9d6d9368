"""Observations and verdicts: what each check saw, folded into one verdict per requirement.

A check reports `Observation`s against requirement IDs. The `Ledger` keeps them (bounded: passes are
counted, only the first few failures keep their evidence) and decides each requirement's verdict:

    fail (MUST) / warn (SHOULD)  some observation failed
    inconclusive                 none failed, but one could not be decided (the data moved, or the
                                 suite itself failed while judging it: see `Ledger.crashed`)
    pass                         at least one *judging* observation passed and none of the above
    not-exercised                nothing that could have failed was checked (with the reasons)

A pass is judging when a plausible defect of the requirement's rule would have failed it: a filter
example whose expected records are not empty, a walk over two full pages, an error body checked against
the envelope. A pass that could not have failed (a value nobody has matched nothing; an empty page is
within any size bound) corroborates: it is counted, but on its own it leaves the requirement
not-exercised (DECISIONS.md D-GEN-22). Each reason for not judging carries its `Cause`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from apiconform.contract import Requirement


class Outcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"
    NOT_EXERCISED = "not-exercised"


class Cause(StrEnum):
    """Why a requirement was not judged. A run may pass without judging a MUST requirement only for a
    cause in the target's data or the run's documented configuration (DECISIONS.md D-GEN-23)."""

    DATA = "data"  # the target's data offered nothing to judge (no ties, no records with a value)
    CONFIGURATION = "configuration"  # the run's documented configuration (no token, unsafe methods off)
    RUN = "run"  # transport failures, 429s, a budget, the time limit, an interruption, a crash
    UNEXPLAINED = "unexplained"  # no observation that could have failed, for no documented reason


# When a requirement's reasons have several causes, the one that weighs most for the gate decides.
CAUSE_WEIGHT = (Cause.RUN, Cause.UNEXPLAINED, Cause.CONFIGURATION, Cause.DATA)


class Verdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    INCONCLUSIVE = "inconclusive"
    NOT_EXERCISED = "not-exercised"


@dataclass(frozen=True)
class Evidence:
    """One HTTP exchange shown as evidence: enough to read what happened and to replay it."""

    method: str
    url: str
    status: int | None
    content_type: str | None
    body_excerpt: str
    curl: str
    headers: Mapping[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "url": self.url,
            "status": self.status,
            "content_type": self.content_type,
            "headers": dict(self.headers),
            "body_excerpt": self.body_excerpt,
            "curl": self.curl,
        }


@dataclass(frozen=True)
class Observation:
    requirement: str
    outcome: Outcome
    check: str
    message: str = ""
    received: str | None = None
    expected: str | None = None
    evidence: tuple[Evidence, ...] = ()
    # Requirements whose fault this failure could as well be: it is blamed on the first of them that
    # fails by its own checks, else on `requirement` (see Ledger.settle).
    alternatives: tuple[str, ...] = ()
    # A pass: whether a plausible defect of the rule would have failed it (else it only corroborates),
    # and how many records the comparison covered (`message` says what was compared).
    judging: bool = True
    records: int | None = None
    # Not exercised or inconclusive: why.
    cause: Cause = Cause.DATA
    # A failure: the activity that found it (a relation's name, or the property tests).
    found_in: str | None = None


# Enough failures to see a pattern; more would only bloat the report.
MAX_FAILURES_KEPT = 5
# An error message is cut to this length (an exception's text can quote a whole body).
MAX_ERROR_TEXT = 300


def describe_error(exc: BaseException) -> str:
    """An exception as one line: its type and message (cut short), e.g. `OverflowError: date value out of range`."""
    try:
        text = str(exc)
    except Exception:  # an exception whose text cannot be made is still an error to report
        text = ""
    text = " ".join(text.split())
    if len(text) > MAX_ERROR_TEXT:
        text = text[:MAX_ERROR_TEXT] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@dataclass
class RequirementRecord:
    requirement: Requirement
    passes: int = 0  # every pass, judging or not
    judging_passes: int = 0
    # The judging pass that covered the most records (the first of equals): a pass's evidence.
    strongest_pass: Observation | None = None
    # Checks whose passes only corroborated (a pass that could not have failed).
    corroborating_checks: set[str] = field(default_factory=set)
    failures: list[Observation] = field(default_factory=list)
    failure_count: int = 0
    inconclusive: list[Observation] = field(default_factory=list)
    not_exercised: list[Observation] = field(default_factory=list)
    checks: set[str] = field(default_factory=set)
    failed_checks: set[str] = field(default_factory=set)

    @property
    def verdict(self) -> Verdict:
        if self.failure_count:
            return Verdict.FAIL if self.requirement.level == "MUST" else Verdict.WARN
        if self.inconclusive:
            return Verdict.INCONCLUSIVE
        if self.judging_passes:
            return Verdict.PASS
        return Verdict.NOT_EXERCISED

    @property
    def judged(self) -> bool:
        """Failed, warned, or passed on an observation that could have failed."""
        return self.verdict in (Verdict.FAIL, Verdict.WARN, Verdict.PASS)

    @property
    def observed(self) -> bool:
        """Something was recorded about the requirement (it has a verdict or a reason)."""
        return bool(self.passes or self.failure_count or self.inconclusive or self.not_exercised)

    @property
    def examples(self) -> int:
        return self.passes + self.failure_count + len(self.inconclusive)

    def reasons(self) -> list[str]:
        """Why the requirement ended inconclusive or not exercised (distinct messages, in order seen)."""
        pool = self.inconclusive if self.verdict is Verdict.INCONCLUSIVE else self.not_exercised
        found = list(dict.fromkeys(observation.message for observation in pool))
        if self.verdict is Verdict.NOT_EXERCISED and self.corroborating_checks:
            found.append(
                "what was observed could not have shown a defect of this rule "
                f"({', '.join(sorted(self.corroborating_checks))})"
            )
        return found

    def cause(self) -> Cause | None:
        """Why the requirement was not judged (None when it was)."""
        if self.judged:
            return None
        pool = self.inconclusive if self.verdict is Verdict.INCONCLUSIVE else self.not_exercised
        causes = {observation.cause for observation in pool}
        return next((cause for cause in CAUSE_WEIGHT if cause in causes), Cause.UNEXPLAINED)


class Ledger:
    """Per-requirement observations for one API run."""

    def __init__(
        self, requirements: Iterable[Requirement], *, on_observed: Callable[[str], None] | None = None
    ) -> None:
        self._records = {requirement.id: RequirementRecord(requirement) for requirement in requirements}
        self._lock = threading.Lock()
        # Called with a requirement's id the first time anything is recorded about it (after `clear`, again).
        self._on_observed = on_observed
        self._ambiguous: list[Observation] = []
        # The suite's own failures (an exception in a check, a relation or discovery), in order seen:
        # the run they happen in cannot end `pass` (its verdict is `error`, exit code 4).
        self.errors: list[str] = []

    def __getitem__(self, requirement_id: str) -> RequirementRecord:
        return self._records[requirement_id]

    def __iter__(self) -> Iterator[RequirementRecord]:
        return iter(self._records.values())

    def record(self, observation: Observation) -> None:
        if observation.outcome is Outcome.FAIL and observation.alternatives:
            with self._lock:
                self._ambiguous.append(observation)
            return
        with self._lock:
            entry = self._records.get(observation.requirement)
            if entry is None:
                raise KeyError(f"observation for a requirement not in the catalog: {observation.requirement}")
            first = not entry.observed
            _add(entry, observation)
        if first and self._on_observed is not None:
            self._on_observed(observation.requirement)

    def settle(self) -> None:
        """Blame each ambiguous failure: on an alternative that failed on its own, else as recorded.

        A record that breaks one filter of a query with several could be that filter's fault or the
        combination's (DECISIONS.md D-GEN-12); the combination's own relation check decides."""
        with self._lock:
            pending, self._ambiguous = self._ambiguous, []
            failing = {rid for rid, record in self._records.items() if record.failure_count}
        for observation in pending:
            blamed = next((rid for rid in observation.alternatives if rid in failing), observation.requirement)
            self.record(replace(observation, requirement=blamed, alternatives=()))

    def crashed(self, requirements: Iterable[str], where: str, exc: BaseException) -> str:
        """The suite failed in `where`: each of `requirements` is inconclusive with the error, and the run
        keeps the error (the report's verdict becomes `error`). Returns the message recorded."""
        message = f"the suite itself failed in {where}: {describe_error(exc)}"
        with self._lock:
            if message not in self.errors:
                self.errors.append(message)
        for requirement in dict.fromkeys(requirements):
            if requirement in self._records:
                self.record(Observation(requirement, Outcome.INCONCLUSIVE, where, message, cause=Cause.RUN))
        return message

    def clear(self) -> None:
        """Forget every observation (the suite's own errors stay)."""
        with self._lock:
            self._records = {rid: RequirementRecord(record.requirement) for rid, record in self._records.items()}
            self._ambiguous = []

    def wants_evidence(self, requirement: str) -> bool:
        """Whether a judging pass of `requirement` would be kept as its evidence (none is kept yet): making
        evidence for every pass of every reply would cost more than it shows."""
        with self._lock:
            return self._records[requirement].strongest_pass is None


def _add(entry: RequirementRecord, observation: Observation) -> None:
    """Count one observation into its requirement's record."""
    entry.checks.add(observation.check)
    if observation.outcome is Outcome.PASS:
        entry.passes += 1
        if not observation.judging:
            entry.corroborating_checks.add(observation.check)
            return
        entry.judging_passes += 1
        strongest = entry.strongest_pass
        if strongest is None or (observation.records or 0) > (strongest.records or 0):
            entry.strongest_pass = observation
    elif observation.outcome is Outcome.FAIL:
        entry.failure_count += 1
        entry.failed_checks.add(observation.check)
        if len(entry.failures) < MAX_FAILURES_KEPT and not any(
            kept.message == observation.message for kept in entry.failures
        ):
            entry.failures.append(observation)
    elif observation.outcome is Outcome.INCONCLUSIVE:
        entry.inconclusive.append(observation)
    else:
        entry.not_exercised.append(observation)
