"""Bodies that would exhaust memory: the run reads at most the size cap, in a subprocess whose peak RSS is measured.

The bound is relative to the same run against a target that resets every connection (the interpreter,
schemathesis and the reports, but no body): a 50 MB body read whole would add about 100 MB (chunks and
their join), a gzip bomb or an endless body far more; reading up to the 8 MiB cap adds a fraction of that.
The runs are started together (each in its own process, so their peaks do not mix) to save wall time.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

import pytest

from apiconform.engine.transport.http import GuardedSession, Politeness, ResponseTooLarge
from apiconform.server import ReferenceServer

from .conftest import BRM, TIGHT, HostileFactory, Outcome, no_traceback, run_argv, run_subprocess
from .server import Behaviour, HostileServer

# What reading up to the 8 MiB cap may add to the baseline (the chunks, the exception, the allocator's slack).
ALLOWED_GROWTH_MB = 50
ABSOLUTE_LIMIT_MB = 300
# Seconds: interpreter start and imports (a few seconds, more with five runs sharing the cores), the reports.
TIME_BOUND = 45
LARGE_VALID = "a 5 MB valid body on every answer"
# Five runs share the cores with the rest of the suite: reading 8 MiB can take longer than TIGHT's 1 s
# timeout there, and these runs are about memory, so they wait longer.
SETTINGS = (*TIGHT, "--request-timeout", "10")

# name -> (behaviour, options, extra arguments, what the report must say)
RUNS: dict[str, tuple[str, dict[str, Any], tuple[str, ...], str]] = {
    "baseline": ("reset", {}, (), "the target reset the connection"),
    "a 50 MB body": ("huge", {}, (), "exceeded the 8 MiB cap"),
    "a body that never ends": ("endless", {}, (), "exceeded the 8 MiB cap"),
    "a gzip bomb (1 MB on the wire, 1 GiB inflated)": (
        "gzip-bomb",
        {},
        (),
        "exceeded the 8 MiB cap (--max-response-size) after decompression",
    ),
    # Each answer fails the schema checks (no count headers); 30 of them held at once would be 150 MB.
    LARGE_VALID: ("huge", {"options": {"bytes": 5 * 1024 * 1024}}, ("--max-requests", "30"), ""),
}


@pytest.fixture(scope="module")
def runs(
    make_reference_server: Callable[..., ReferenceServer], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[Outcome, HostileServer]]:
    """Every run of RUNS, each in its own subprocess, started together."""
    upstream = make_reference_server(records=300)
    with ExitStack() as stack, ThreadPoolExecutor(len(RUNS)) as pool:
        started = {}
        for name, (behaviour, options, extra, _) in RUNS.items():
            server = stack.enter_context(HostileServer(upstream, Behaviour(behaviour, **options)))
            directory = tmp_path_factory.mktemp("memory")
            argv = run_argv(server, upstream, BRM, directory / "report", *SETTINGS, *extra)
            started[name] = (pool.submit(run_subprocess, argv, directory, token=upstream.token), server)
        return {name: (future.result(), server) for name, (future, server) in started.items()}


def _bound(runs: dict[str, tuple[Outcome, HostileServer]]) -> float:
    baseline = runs["baseline"][0]
    assert baseline.code == 3 and baseline.peak_rss_mb is not None, baseline.terminal
    return min(baseline.peak_rss_mb + ALLOWED_GROWTH_MB, ABSOLUTE_LIMIT_MB)


@pytest.mark.parametrize("name", [name for name in RUNS if name not in ("baseline", LARGE_VALID)])
@pytest.mark.e2e
@pytest.mark.xdist_group("memory-runs")  # one worker makes the runs, not each worker
def test_memory_stays_bounded(name: str, runs: dict[str, tuple[Outcome, HostileServer]]) -> None:
    outcome, _ = runs[name]
    says = RUNS[name][3]
    no_traceback(outcome)
    assert outcome.code == 3, outcome.terminal
    api = outcome.api(BRM)
    assert says in api["untestable_reason"], api["untestable_reason"]
    assert says in outcome.terminal
    assert outcome.elapsed < TIME_BOUND
    assert outcome.peak_rss_mb is not None
    assert outcome.peak_rss_mb < _bound(runs), (outcome.peak_rss_mb, runs["baseline"][0].peak_rss_mb)


@pytest.mark.e2e
@pytest.mark.xdist_group("memory-runs")  # one worker makes the runs, not each worker
def test_memory_stays_bounded_when_every_answer_is_large_but_under_the_cap(
    runs: dict[str, tuple[Outcome, HostileServer]],
) -> None:
    outcome, server = runs[LARGE_VALID]
    no_traceback(outcome)
    assert outcome.code == 1, outcome.terminal
    assert len(server.requests()) == 30
    assert outcome.peak_rss_mb is not None
    assert outcome.peak_rss_mb < _bound(runs), (outcome.peak_rss_mb, runs["baseline"][0].peak_rss_mb)


def test_a_redirect_body_is_capped_too(hostile: HostileFactory) -> None:
    # requests reads a redirect's whole body to prepare the next hop, even when it will not follow it.
    server = hostile("redirect", options={"huge": True}, redirect_to="http://127.0.0.2:9")
    session = GuardedSession(server.api_base_url(BRM), Politeness(max_body=1024 * 1024))
    tracemalloc.start()
    try:
        with pytest.raises(ResponseTooLarge):
            session.get(f"{server.api_base_url(BRM)}/adjustBalance")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 10 * 1024 * 1024, f"{peak / 1024 / 1024:.0f} MB allocated for a 1 MiB cap"
