"""Issue 25's proof by fault: a list server behind the fault-injecting proxy (tests/independent/faultproxy.py)
fails the requirement each generic list defect breaks, and passes through the proxy with no fault.

One table (ROWS): a server, a fault, the requirement a run must fail, or warn on where it is a SHOULD (None:
the run passes with no failure and no warning). A server is an entry of SERVERS: how to start it, where its
replies keep the records, counts and cursors (the proxy's ListShape), and the `apiconform run` arguments
naming its API. Adding a server is one entry there and its rows here.

Each row is one run of `apiconform run` through the proxy, kept short (a few fuzzing examples; the relations
run in full). Not --fail-fast: a defect may break another MUST first (a dropped record breaks the filters'
completeness too), and the run must still reach the requirement the row names."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from apiconform.cli import main
from tests.engine.scripted import BRM, TEST_SERVER_RATE
from tests.independent import datasette_app
from tests.independent.faultproxy import FAULTS, FaultProxy, ListShape

pytestmark = pytest.mark.e2e

REPOSITORY = Path(__file__).resolve().parents[2]
DATASETTE = "datasette-table"
# A smaller table than test_datasette.py's: the faults need only a few pages, and each reply costs the run
# in proportion to its rows.
DATASETTE_ROWS = 40
DATASETTE_SPEC = REPOSITORY / "examples" / "datasette" / "datasette-table.openapi.yaml"

# Few fuzzing examples: the faults are list defects, found by the relations (which run whole), not by fuzzing.
MAX_EXAMPLES = "3"


@dataclass(frozen=True)
class Upstream:
    """A running server: its origin, the base path of the API's routes there (its spec's server path), the
    `apiconform run` arguments that name the API and its path parameters, and its bearer token if any."""

    origin: str
    base_path: str
    args: tuple[str, ...]
    token: str | None = None


@dataclass(frozen=True)
class Server:
    """A server the proxy can stand in front of: `serve(request)` starts it (or hands back a running one) for
    the test's `request`, and `shape` is where its list replies keep what the faults touch."""

    shape: ListShape
    serve: Callable[[pytest.FixtureRequest], AbstractContextManager[Upstream]]


def reference(api: str) -> Callable[[pytest.FixtureRequest], AbstractContextManager[Upstream]]:
    """The embedded reference server (the session's shared one, its data restored) serving `api`."""

    @contextmanager
    def serve(request: pytest.FixtureRequest) -> Iterator[Upstream]:
        server = request.getfixturevalue("reference_server")
        path_params = [f"--path-param={name}={value}" for name, value in server.path_parameters.items()]
        yield Upstream(
            server.base_url, urlsplit(server.api_base_url(api)).path, ("--api", api, *path_params), server.token
        )

    return serve


DRF_EXAMPLES = REPOSITORY / "examples" / "drf"


@pytest.fixture(scope="module")
def datasette_origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Datasette 1.0a41 serving tests/independent/datasette_app.py's table, once for this module's rows."""
    with datasette_app.served(tmp_path_factory.mktemp("datasette"), DATASETTE_ROWS) as origin:
        yield origin


def drf(api: str) -> Callable[[pytest.FixtureRequest], AbstractContextManager[Upstream]]:
    """The DRF app, run by its spec examples/drf/<api>.openapi.yaml (served at the origin's root)."""

    @contextmanager
    def serve(request: pytest.FixtureRequest) -> Iterator[Upstream]:
        spec = DRF_EXAMPLES / f"{api}.openapi.yaml"
        yield Upstream(request.getfixturevalue("drf_origin"), "", ("--spec", str(spec)))

    return serve


DRF_PAGE_NUMBER = "drf-page-number"
DRF_LIMIT_OFFSET = "drf-limit-offset"
DRF_CURSOR = "drf-cursor"


@contextmanager
def datasette(request: pytest.FixtureRequest) -> Iterator[Upstream]:
    """The module's Datasette, run by its spec (examples/datasette) with the table's path parameters."""
    table = ("--database", datasette_app.DATABASE_NAME, "--table", datasette_app.TABLE_NAME)
    yield Upstream(request.getfixturevalue("datasette_origin"), "", ("--spec", str(DATASETTE_SPEC), *table))


SERVERS = {
    # Offset-limit paging and count headers.
    BRM: Server(
        ListShape(
            records="",
            total_header="X-Total-Count",
            size_param="limit",
            position_param="offset",
            first_position="0",
            filter_param="id",
        ),
        reference(BRM),
    ),
    # DRF's PageNumberPagination: the total in the body. Prices tie in pairs (ids 180 apart, drf_app/seed.py),
    # never between neighbouring ids: reversed ties break the tiebreak where ordering=price, and the order
    # asked for where a tied pair are neighbours in another order too (ordering=-name: "delta golf 201", 21).
    DRF_PAGE_NUMBER: Server(
        ListShape(
            records="/results",
            sort_key="/price",
            total_pointer="/count",
            size_param="page_size",
            position_param="page",
            first_position="1",
            filter_param="category",
        ),
        drf(DRF_PAGE_NUMBER),
    ),
    # DRF's LimitOffsetPagination.
    DRF_LIMIT_OFFSET: Server(
        ListShape(
            records="/results",
            total_pointer="/count",
            size_param="limit",
            position_param="offset",
            first_position="0",
        ),
        drf(DRF_LIMIT_OFFSET),
    ),
    # DRF's CursorPagination: the next page's URL in the body; any page asked with a cursor is a later one.
    DRF_CURSOR: Server(
        ListShape(records="/results", next_url="/next", size_param="page_size", position_param="cursor"),
        drf(DRF_CURSOR),
    ),
    # Cursor paging (a `next` token sent back as `_next`), rows as objects, price ties under `_sort=price`.
    DATASETTE: Server(
        ListShape(
            records="/rows",
            sort_key="/price",
            next_token="/next",
            size_param="_size",
            position_param="_next",
            filter_param="category__exact",
        ),
        datasette,
    ),
}

# (server, fault, the requirement a run must fail, or warn on if a SHOULD; None: the run passes, no failure
# and no warning).
# The reference server has one row: it proves the proxy path in front of our own server (its bearer token
# passed on, a count header spoiled: the one row whose count is a header). Its other list defects are the
# embedded server's own faults, each found by its requirement in tests/engine/test_conformance_runs.py
# (test_fault_is_found_by_its_requirement) and by the mutation bench: a dropped record at a page's end is
# oes-oversize-page-skips-clamped (OES-PAGE-SKIP) and brm-offset-seek-past-100 (BRM-PAGE-OFFSET), reversed
# ties oes-tiebreak-reversed-under-desc (OES-SORT-TIEBREAK), an ignored filter oes-statuses-ignored
# (OES-FILTER-STATUSES); a correct reference server passes in test_correct_server_passes; and each of the
# proxy's faults is played in front of a server nobody here wrote below.
ROWS: list[tuple[str, str, str | None]] = [
    (BRM, "count-off-by-one", "BRM-HDR-TOTAL-COUNT"),
    (DRF_PAGE_NUMBER, "none", None),
    (DRF_PAGE_NUMBER, "count-off-by-one", "DRF-COUNT"),
    (DRF_LIMIT_OFFSET, "drop-at-page-end", "DRF-LO-OFFSET"),
    (DRF_PAGE_NUMBER, "filter-ignored", "DRF-FILTER-EXACT"),
    (DRF_CURSOR, "cursor-repeats", "DRF-CUR-END"),
    (DRF_PAGE_NUMBER, "ties-reordered", "DRF-ORDER-TIEBREAK"),
    (DATASETTE, "none", None),
    (DATASETTE, "drop-at-page-end", "DSET-PAGE-NEXT"),
    (DATASETTE, "filter-ignored", "DSET-FILTER-EXACT"),
    (DATASETTE, "cursor-repeats", "DSET-PAGE-LAST"),
    (DATASETTE, "ties-reordered", "DSET-SORT"),
]


def test_the_table_names_known_servers_and_faults():
    assert {server for server, _, _ in ROWS} <= set(SERVERS)
    assert {fault for _, fault, _ in ROWS} <= set(FAULTS)


def run_through(
    proxy: FaultProxy, upstream: Upstream, report_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    """`apiconform run` of the upstream's API at the proxy; its report.json."""
    if upstream.token is not None:
        monkeypatch.setenv("APICONFORM_TOKEN", upstream.token)
    argv = ["run", *upstream.args, "--base-url", proxy.url(upstream.base_path), "--seed", "0", "--quiet"]
    argv += ["--max-examples", MAX_EXAMPLES, "--rate-limit", str(TEST_SERVER_RATE), "--report-dir", str(report_dir)]
    main(argv)
    report: dict[str, Any] = json.loads((report_dir / "report.json").read_text())
    return report


@pytest.mark.parametrize(("server", "fault", "breaks"), ROWS, ids=[f"{server}-{fault}" for server, fault, _ in ROWS])
def test_a_fault_fails_the_requirement_it_breaks(server, fault, breaks, request, tmp_path, monkeypatch, capfd):
    target = SERVERS[server]
    with target.serve(request) as upstream, FaultProxy(upstream.origin, target.shape, fault) as proxy:
        report = run_through(proxy, upstream, tmp_path / "report", monkeypatch)
        injected = list(proxy.injected)
    verdicts = {item["id"]: item for item in report["requirements"]}
    findings = {rid: item["verdict"] for rid, item in verdicts.items() if item["verdict"] in ("fail", "warn")}
    if breaks is None:
        assert not injected, injected[:3]
        assert [section["verdict"] for section in report["apis"]] == ["pass"], findings
        assert not findings
        return
    # The fault was played (a test that never spoiled a reply would show nothing), and it was seen: a MUST
    # broken fails, a SHOULD broken warns.
    assert injected, f"{fault} never fired"
    seen = "fail" if verdicts[breaks]["level"] == "MUST" else "warn"
    assert verdicts[breaks]["verdict"] == seen, (
        f"{breaks} is {verdicts[breaks]['verdict']} ({verdicts[breaks]['cause']}); the run found {findings}"
    )
    # The API fails on a MUST failed; a SHOULD's warning alone leaves it passing.
    must_failed = "fail" in findings.values()
    assert [section["verdict"] for section in report["apis"]] == ["fail" if must_failed else "pass"]
