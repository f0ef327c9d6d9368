"""Top-level pytest configuration: the project's own tests (tests/) share the reference-server fixtures,
and are sorted into tiers and scheduled here.

Tiers. `make check` runs `-m "not e2e and not packaging and not browser"` (seconds); `make test` runs
everything (what CI runs).
- `e2e`: runs the whole engine or the CLI against a server (a second to half a minute each). A test
  is marked where it is defined (`@pytest.mark.e2e`, or `pytestmark` for a module); a test that uses
  one of E2E_FIXTURES is marked here.
- `packaging` and `browser`: marked in their modules.

Scheduling, for `pytest -n N --dist loadgroup` (`make test`): tests that read one expensive shared
fixture share one `xdist_group` (SHARED_FIXTURES, or marked in their module), so that one worker builds
it instead of each; and the slow tiers are collected first, so that the workers end together instead
of one of them working through a long run alone at the end. No test relies on either: without xdist
the same tests pass in any order, only slower.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from apiconform.engine import ast_guard

pytest_plugins = ["apiconform.server.testing"]

# On some CPython releases (this machine's 3.11.7 among them) two overlapping `ast.parse` calls (threads,
# or a finalizer run by the garbage collector) make one raise SystemError; raised while pytest formats a
# failure, it kills an xdist worker with an INTERNALERROR (engine/ast_guard.py). Guarded for this process.
ast_guard.install()

# Fixtures that run the engine or the CLI against a server: whoever uses one is end to end.
E2E_FIXTURES = frozenset({"engine_run", "embedded_run", "run_cli", "run_through"})
# Expensive shared fixtures (session or module scope) and the xdist group of the tests that read them.
SHARED_FIXTURES = {"embedded_run": "embedded-run"}
# Collection order, slowest tier first; tests keep their order within a tier.
TIER_ORDER = ("packaging", "e2e", "browser")


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the xdist_group marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & E2E_FIXTURES:
            item.add_marker(pytest.mark.e2e)
        if item.get_closest_marker("xdist_group") is None:
            for fixture, group in SHARED_FIXTURES.items():
                if fixture in fixtures:
                    item.add_marker(pytest.mark.xdist_group(group))
                    break

    def tier(item: pytest.Item) -> int:
        marked = [index for index, name in enumerate(TIER_ORDER) if item.get_closest_marker(name)]
        return marked[0] if marked else len(TIER_ORDER)

    items.sort(key=tier)


class _GroupsIntoNodeIds:
    """pytest-xdist 3.8 tells `--dist loadgroup` a test's group by appending `@group` to `item._nodeid`,
    a field pytest 9.2 no longer reads (its node ids are structured), so every test is scheduled alone
    (pytest-dev/pytest-xdist#1386). Until xdist is fixed, carry the suffix over into the node id."""

    @pytest.hookimpl(trylast=True)  # after pytest-xdist wrote `_nodeid`
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        try:
            from _pytest.nodeid import NodeId
        except ImportError:  # an older pytest reads `_nodeid` itself
            return
        for item in items:
            grouped = item.__dict__.get("_nodeid")
            if isinstance(grouped, str) and grouped != item.nodeid:
                item._id = NodeId.parse(grouped)


def pytest_configure(config: pytest.Config) -> None:
    if getattr(config.option, "loadgroup", False):  # set on xdist's workers
        config.pluginmanager.register(_GroupsIntoNodeIds(), "groups-into-node-ids")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    """Keep each phase's report on the item (`item.rep_call`, ...), for fixtures that judge after the test."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
