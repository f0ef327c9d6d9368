"""The request timeline the guarded session records for report.json: bounded, and what each request got."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from apiconform.engine.transport.http import (
    MAX_TIMELINE_POINTS,
    MAX_TIMELINE_WAITS,
    GuardedSession,
    Politeness,
    ResponseTooLarge,
    Timeline,
)
from tests.engine.scripted import Scripted


def test_a_long_run_keeps_at_most_the_bound_spread_evenly_over_it() -> None:
    timeline = Timeline()
    sent = 3 * MAX_TIMELINE_POINTS + 17
    for index in range(sent):
        timeline.add(float(index), index + 0.002, 200)
    assert MAX_TIMELINE_POINTS // 2 <= len(timeline.points) < MAX_TIMELINE_POINTS
    assert timeline.every == 4  # halved at 2,000 points and again at 6,000 requests
    starts = [point[0] for point in timeline.points]
    # Every `every`-th request from the first, to the end of the run: the whole run is drawn.
    assert starts == [float(index) for index in range(0, sent, timeline.every)][: len(starts)]
    assert starts[-1] >= sent - 2 * timeline.every
    assert timeline.points[0][::2] == (0.0, 200) and timeline.points[0][1] == pytest.approx(0.002)


def test_a_short_run_keeps_every_request_and_the_waits_are_bounded() -> None:
    timeline = Timeline()
    for index in range(5):
        timeline.add(index, index + 0.5, "timeout" if index == 3 else 200)
    for index in range(MAX_TIMELINE_WAITS + 5):
        timeline.wait(float(index), 2.0)
    assert [point[2] for point in timeline.points] == [200, 200, 200, "timeout", 200]
    assert timeline.every == 1
    assert len(timeline.waits) == MAX_TIMELINE_WAITS
    assert timeline.waits[1] == (1.0, 3.0)


@pytest.fixture
def target() -> Iterator[Scripted]:
    answers = iter(
        [
            (429, {"Retry-After": "0.01"}, b""),
            (200, {"Content-Type": "application/json"}, b"[]"),
            (503, {}, b""),
            (200, {}, b"x" * 500),
        ]
    )
    server = Scripted(lambda path: next(answers))
    yield server
    server.close()


def test_the_session_records_each_request_its_status_and_the_429_wait(target: Scripted) -> None:
    session = GuardedSession(target.url(), Politeness(max_body=100))
    assert session.get(target.url("/a")).status_code == 200  # after one 429 and its wait
    assert session.get(target.url("/b")).status_code == 503
    with pytest.raises(ResponseTooLarge):
        session.get(target.url("/c"))
    timeline = session.traffic.timeline
    assert [point[2] for point in timeline.points] == [429, 200, 503, "too-large"]
    assert len(timeline.points) == session.traffic.sent
    starts = [point[0] for point in timeline.points]
    assert starts == sorted(starts) and all(point[1] >= 0 for point in timeline.points)
    [(wait_start, wait_end)] = timeline.waits
    assert wait_end - wait_start == pytest.approx(0.01)
    assert starts[0] <= wait_start <= starts[1]
