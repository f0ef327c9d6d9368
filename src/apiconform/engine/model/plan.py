"""How one API's requests are spent: `RequestPlan`, and the activities it counts them under."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

# What the property tests' requests are counted under in a RequestPlan.
PROPERTY_ACTIVITY = "property tests"
# What repeating a failure on fresh requests costs is counted under this (its change probes included):
# it comes out of the budget beyond the plan, never out of the plan's shares (README, "Rate limits").
CONFIRMING = "confirming failures"


@dataclass
class RequestPlan:
    """How one API's requests are spent: the planned total, each check's share of it, and what a plan
    smaller than the full one gave up.

    The relations run first, each with its number of examples (times `scale`, below 1 when
    the user lowered the plan), within three quarters of the plan; the property tests get what is left,
    never less than a quarter, and the cases past their share are not sent (`property_cases_skipped`)."""

    total: int
    scale: float = 1.0
    # Requests by what sent them: a check's name, "preflight", "discovery", "change probes", PROPERTY_ACTIVITY.
    spent: dict[str, int] = field(default_factory=dict)
    gave_up: list[str] = field(default_factory=list)
    property_cases_skipped: int = 0

    def examples(self, check: str, full: int) -> int:
        """The examples `check` gets under this plan (`full` under the full plan); a cut is noted."""
        planned = max(1, math.floor(full * self.scale))
        if planned < full:
            self.gave_up.append(f"{check}: {planned} of {full} examples")
        return planned

    def planned(self, sent: int) -> int:
        """Of the API's `sent` requests, those the plan counts: not the ones that confirmed failures."""
        return sent - self.spent.get(CONFIRMING, 0)

    def relations_have_room(self, sent: int) -> bool:
        """Whether the relations may send more, `sent` being the API's requests so far: they
        keep a quarter of the plan for the property tests, which run after them."""
        return self.planned(sent) - self.spent.get(PROPERTY_ACTIVITY, 0) < self.total - self.total // 4

    def note_relation_cut(self, check: str) -> None:
        note = f"{check}: the examples past the relations' share"
        if note not in self.gave_up:
            self.gave_up.append(note)

    def property_share(self, sent: int) -> int:
        """The requests the property tests may send, `sent` being the API's requests so far."""
        mine = self.spent.get(PROPERTY_ACTIVITY, 0)
        return max(self.total - (self.planned(sent) - mine), self.total // 4)

    def note_property_cut(self) -> None:
        # Under the full plan the property tests are meant to stop at their share (the cases left are
        # the last fuzzing examples); under a plan the user made smaller, they are something given up.
        if not self.property_cases_skipped and self.scale < 1:
            self.gave_up.append(f"{PROPERTY_ACTIVITY}: the cases past the plan's share")
        self.property_cases_skipped += 1
