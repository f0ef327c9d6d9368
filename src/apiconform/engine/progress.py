"""The progress lines of `apiconform run`: one per API, its phase, requirements judged, requests sent, and
how long its planned requests may still take.

`Progress` is a listener of the session's events (engine/model/events.py): it draws from what the events
told it, and needs neither pytest nor the run's objects.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TextIO

from apiconform.engine.model.events import (
    Event,
    PhaseStarted,
    RequestSent,
    RequirementJudged,
    RequirementObserved,
    RequirementsCollected,
)
from apiconform.reporting.document import plural
from apiconform.reporting.terminal import Painter

# A live progress line is redrawn at most this often; more would only flicker.
REDRAW_INTERVAL = 0.1
# How long an API must have been sending before its pace says anything about the time left.
ESTIMATE_AFTER = 2.0


def time_left(seconds: float) -> str:
    """A duration as a progress line says it: whole seconds under 100 s, else minutes (rounded up)."""
    if seconds < 100:
        return f"{math.ceil(seconds)} s"
    return f"{math.ceil(seconds / 60)} min"


class Progress:
    """Reports a run as it goes, from the session's events.

    On a terminal the lines (one per API, in `apis` order) are redrawn in place; elsewhere (a CI log) a
    line is written when an API enters a new phase and when it is done. Events may come from any thread.
    """

    def __init__(
        self,
        stream: TextIO,
        apis: Sequence[str],
        *,
        quiet: bool,
        live: bool,
        colour: bool,
        planned: Mapping[str, int] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        # Each API's planned requests: with its pace so far, an upper bound of the time it still takes (a run
        # may stop short of its plan, and never sends more but to confirm a failure).
        self.planned = dict(planned or {})
        self.first_sent: dict[str, float] = {}
        # The redraw clock is the listener's own, so a test can drive it without touching the process's.
        self.clock = clock
        self.quiet = quiet
        self.live = live
        self.painter = Painter(colour)
        self.apis = list(apis)
        self.total: dict[str, int] = {}
        self.phase: dict[str, str] = {}
        self.sent: dict[str, int] = {}
        # Requirements something recorded an observation about, and those whose own test has an outcome.
        self.observed: dict[str, set[str]] = {}
        self.judged: dict[str, set[str]] = {}
        self._drawn = 0
        self._last_draw = 0.0
        self._lock = threading.Lock()

    def handle(self, event: Event) -> None:
        """Take one event of the run, and redraw what it changed."""
        with self._lock:
            if isinstance(event, RequirementsCollected):
                self.total[event.api] = event.count
            elif isinstance(event, PhaseStarted):
                self.phase[event.api] = event.phase.value
                self._show(event.api, force=True)
            elif isinstance(event, RequirementObserved):
                self.observed.setdefault(event.api, set()).add(event.requirement)
            elif isinstance(event, RequirementJudged):
                judged = self.judged.setdefault(event.api, set())
                judged.add(event.requirement)
                done = len(judged) == self.total.get(event.api)
                if done:
                    self.phase[event.api] = "done"
                self._show(event.api, force=done)
            elif isinstance(event, RequestSent):
                self.sent[event.api] = self.sent.get(event.api, 0) + 1
                self.first_sent.setdefault(event.api, self.clock())
                if self.live:
                    self._show(None, force=False)

    def judged_so_far(self, api: str) -> int:
        """Requirements of `api` that something has judged: an observation recorded (the property tests and
        relations record them as they go), or their own test finished."""
        observed = len(self.observed.get(api, ()))
        return min(self.total.get(api, 0), max(observed, len(self.judged.get(api, ()))))

    def line(self, api: str) -> str:
        """The progress line of one API."""
        phase = self.phase.get(api, "waiting")
        shown = self.painter.bold(phase) if phase != "done" else self.painter.verdict("done", "pass")
        left = self.time_left(api) if phase != "done" else None
        return (
            f"[{api}] {shown}: requirements {self.judged_so_far(api)}/{self.total.get(api, 0)} judged, "
            f"{plural(self.sent.get(api, 0), 'request')} sent" + (f", at most {left} left" if left else "")
        )

    def time_left(self, api: str) -> str | None:
        """How long `api`'s planned requests not yet sent take at its pace so far; None before the pace
        means anything, without a plan, or with the plan spent."""
        started, sent, planned = self.first_sent.get(api), self.sent.get(api, 0), self.planned.get(api)
        if started is None or planned is None or sent >= planned:
            return None
        elapsed = self.clock() - started
        if elapsed < ESTIMATE_AFTER:
            return None
        return time_left((planned - sent) * elapsed / sent)

    def _show(self, api: str | None, *, force: bool) -> None:
        if self.quiet:
            return
        now = self.clock()
        if self.live:
            if not force and now - self._last_draw < REDRAW_INTERVAL:
                return
            self._last_draw = now
            # Move up over the block drawn last time and draw it again, one line per API.
            up = f"\033[{self._drawn}F" if self._drawn else ""
            block = "".join(f"\033[2K{self.line(name)}\n" for name in self.apis)
            self.stream.write(up + block)
            self._drawn = len(self.apis)
        elif api is not None and force:
            self.stream.write(self.line(api) + "\n")
        self.stream.flush()
