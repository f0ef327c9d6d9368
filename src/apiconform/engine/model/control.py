"""Why an API stopped: one owner for every stop of its testing, and one place that decides what is said.

Each `ApiRun` has a `RunControl` (its guarded session holds the same one). Whatever stops the testing
calls `stop(kind, reason)`: the preflight (untestable), the guarded session (the request budget, the time
limit during or before a request, the target's 429s), the plugin (the time limit between two tests),
--fail-fast (a gate requirement failed) and the session (a signal or a closed stdout). Whatever asks
reads it here: the guarded session before each request (`may_send`), the checks and the property tests
before they start (`may_start`), and after the run `finalize` and report.json (`why_unjudged`,
`stopped_reason`, `untestable`, `exhausted`, `cut_by_target`).

What is said, when several stops meet (tests/engine/test_stop_state.py pins it on whole runs):

- the requirements left unjudged (`why_unjudged`, and `kind`): untestable, else interrupted, else
  --fail-fast, else the first limit met (requests, time, the target's 429s);
- report.json's `stopped_reason`: --fail-fast, else the first stop of sending (the reason every later
  request is refused with, an interruption included);
- `exhausted` (report.json's `budget_exhausted`): a limit ran out; `cut_by_target`: the first stop of
  sending was the target's (the run is then incomplete, never partial).

A leaf: it imports nothing of apiconform's, so the transport (transport/http.py) may report to it.
"""

from __future__ import annotations

import enum
import threading

# Said by the guarded session before a request and by the plugin between two tests.
TIME_LIMIT_REACHED = "the run's time limit (--max-time) was reached"


class StopKind(enum.Enum):
    """Every way the testing of an API stops."""

    UNTESTABLE = "untestable"  # the preflight found the target unusable: nothing else starts
    INTERRUPTED = "interrupted"  # SIGINT, SIGTERM, SIGHUP or a closed stdout (engine/interruption.py)
    FAIL_FAST = "fail-fast"  # a gate requirement failed under --fail-fast: nothing else starts
    TIME = "time"  # --max-time was reached
    BUDGET = "budget"  # the request budget (--max-requests) was used up
    THROTTLED = "throttled"  # the target kept answering 429: the target cut the run


# After these nothing more is sent: the guarded session refuses every request with the first one's reason.
SENDING_STOPS = frozenset({StopKind.INTERRUPTED, StopKind.TIME, StopKind.BUDGET, StopKind.THROTTLED})
# The limits that can run out: a budget the user set (requests, time), or the target's patience.
LIMITS = frozenset({StopKind.TIME, StopKind.BUDGET, StopKind.THROTTLED})
# Which stop speaks for the requirements left unjudged, before the limits (of which the first met speaks).
PRECEDENCE = (StopKind.UNTESTABLE, StopKind.INTERRUPTED, StopKind.FAIL_FAST)


class RunControl:
    """The stops of one API's testing: the first reason of each kind, in the order the kinds came."""

    def __init__(self) -> None:
        # Replaced whole on each new kind, never changed in place: a sending thread, the signal handler and
        # the main thread read it without a lock.
        self._stops: tuple[tuple[StopKind, str], ...] = ()
        # Reentrant: a signal handler may stop the run while the main thread is inside `stop`.
        self._lock = threading.RLock()

    def stop(self, kind: StopKind, reason: str) -> None:
        """Record that `kind` stopped the testing, and why; a kind that came already keeps its first reason."""
        with self._lock:
            if all(seen is not kind for seen, _ in self._stops):
                self._stops = (*self._stops, (kind, reason))

    def reason(self, kind: StopKind) -> str | None:
        """Why `kind` stopped the testing (its first reason), or None when it did not."""
        return next((reason for seen, reason in self._stops if seen is kind), None)

    @property
    def may_send(self) -> bool:
        """Whether a request may still be sent (no interruption and no limit ran out)."""
        return self._first_sending_stop() is None

    @property
    def may_start(self) -> bool:
        """Whether a new example, property case or check may start (nothing stopped the testing)."""
        return not self._stops

    @property
    def sending_stopped(self) -> str | None:
        """Why nothing more is sent: the first stop of sending's reason (None while requests may be sent)."""
        first = self._first_sending_stop()
        return first[1] if first is not None else None

    @property
    def cut_by_target(self) -> bool:
        """The target stopped the sending (it kept answering 429) before anything else did."""
        first = self._first_sending_stop()
        return first is not None and first[0] is StopKind.THROTTLED

    @property
    def exhausted(self) -> bool:
        """A limit ran out: the request budget, the time limit, or the target's patience with its 429s."""
        return any(kind in LIMITS for kind, _ in self._stops)

    @property
    def untestable(self) -> str | None:
        """Why the target cannot be tested at all (the preflight's finding), or None."""
        return self.reason(StopKind.UNTESTABLE)

    @property
    def kind(self) -> StopKind | None:
        """The stop that speaks for what was left unjudged (see PRECEDENCE), or None when nothing stopped."""
        stops = self._stops
        first = next((kind for kind in PRECEDENCE if any(seen is kind for seen, _ in stops)), None)
        return first or next((kind for kind, _ in stops if kind in LIMITS), None)

    @property
    def why_unjudged(self) -> str | None:
        """What a requirement left unjudged is told, for `kind`'s sake (None when nothing stopped)."""
        kind = self.kind
        reason = self.reason(kind) if kind is not None else None
        if kind is None or reason is None:
            return None
        if kind is StopKind.UNTESTABLE:
            return f"the target could not be tested: {reason}"
        if kind is StopKind.INTERRUPTED:
            return f"{reason} before this was judged"
        if kind is StopKind.FAIL_FAST:
            return f"not judged: testing stopped ({reason})"
        return f"no more requests were sent: {reason}"

    @property
    def stopped_reason(self) -> str | None:
        """Why the API stopped sending before it was done, as report.json says it: --fail-fast's reason, else
        the first stop of sending's."""
        return self.reason(StopKind.FAIL_FAST) or self.sending_stopped

    def _first_sending_stop(self) -> tuple[StopKind, str] | None:
        return next((stop for stop in self._stops if stop[0] in SENDING_STOPS), None)
