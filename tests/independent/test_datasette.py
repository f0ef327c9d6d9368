"""Issue 25's proof on an independent server: Datasette 1.0a41's table JSON, described by
examples/datasette/ in the x-apiconform vocabulary and run against the real package (the `servers` extra).

The e2e test serves a deterministic table (datasette_app.py) once per module and runs `apiconform run
--spec` on it in process. The fast test only loads the spec (`catalog --spec`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from apiconform import cli
from tests.engine.scripted import TEST_SERVER_RATE
from tests.independent import datasette_app

REPOSITORY = Path(__file__).resolve().parents[2]
SPEC = REPOSITORY / "examples" / "datasette" / "datasette-table.openapi.yaml"
# Requirements this table and Datasette give the run something to judge; each must pass, not only stay
# unjudged. (DSET-ARGS-TOLERATED, DSET-NO-SERVER-ERROR and DSET-RESP-STATUS judge the answers to
# unusable values: see D-DSET-5 and D-DSET-12. DSET-PAGE-DEFAULT-SIZE stays unjudged: two default pages of
# 100 are more than the check compares.)
SUPPORTED = {
    "DSET-PAGE-SIZE-BOUND",
    "DSET-PAGE-NEXT",
    "DSET-PAGE-LAST",
    "DSET-ORDER-DEFAULT",
    "DSET-SORT",
    "DSET-SORT-TIES",
    "DSET-FILTER-EXACT",
    "DSET-FILTER-NOT",
    "DSET-FILTER-IN",
    "DSET-FILTER-CONTAINS",
    "DSET-FILTER-STARTSWITH",
    "DSET-FILTER-RANGE",
    "DSET-FILTER-AND",
    "DSET-RESP-SCHEMA",
    "DSET-ERROR-FORMAT",
    "DSET-EXTRA-UNKNOWN",
}


@pytest.fixture(scope="module")
def datasette_origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with datasette_app.served(tmp_path_factory.mktemp("datasette")) as origin:
        yield origin


def _path(origin: str, query: str = "") -> str:
    return f"{origin}/{datasette_app.DATABASE_NAME}/{datasette_app.TABLE_NAME}.json{query}"


@pytest.mark.e2e
def test_the_table_json_is_what_the_documents_describe(datasette_origin: str) -> None:
    """The served table answers as docs/json_api.rst says, so a run judges Datasette, not the fixture: `ok`,
    rows as objects, pages of _size with a `next` token and `next_url`, both null on the last page, primary
    key order by default, and the standard error format for an unknown `_extra`."""
    first = requests.get(_path(datasette_origin, "?_size=100"), timeout=30).json()
    assert first["ok"] is True and first["truncated"] is False
    assert list(first["rows"][0]) == ["id", "name", "category", "price", "added", "note"]
    assert [row["id"] for row in first["rows"]] == list(range(1, 101))
    assert "count" not in first  # only with ?_extra=count (D-DSET-10)
    assert first["next"] == "100" and first["next_url"].endswith("?_size=100&_next=100")
    last = requests.get(_path(datasette_origin, "?_size=100&_next=200"), timeout=30).json()
    assert [row["id"] for row in last["rows"]] == list(range(201, datasette_app.ROWS + 1))
    assert last["next"] is None and last["next_url"] is None
    unknown = requests.get(_path(datasette_origin, "?_extra=nope"), timeout=30)
    assert unknown.status_code == 400
    message = "Unknown _extra: nope"
    assert unknown.json() == {"ok": False, "error": message, "errors": [message], "status": 400}
    # The data gives every kind of filter something to find: ties, a few categories, nulls.
    prices = [row["price"] for row in first["rows"]]
    assert len(set(prices)) < len(prices) / 4
    assert {row["category"] for row in first["rows"]} == set(datasette_app.CATEGORIES)
    assert any(row["note"] is None for row in first["rows"])


@pytest.mark.e2e
def test_datasette_passes_its_spec(datasette_origin: str, tmp_path: Path) -> None:
    report_dir = tmp_path / "report"
    code = cli.main(
        [
            "run",
            "--spec", str(SPEC),
            "--base-url", datasette_origin,
            "--database", datasette_app.DATABASE_NAME,
            "--table", datasette_app.TABLE_NAME,
            "--seed", "0",
            "--rate-limit", str(TEST_SERVER_RATE),
            "--report-dir", str(report_dir),
        ]
    )  # fmt: skip
    report = json.loads((report_dir / "report.json").read_text())
    verdicts = {item["id"]: item["verdict"] for item in report["requirements"]}
    assert {rid: v for rid, v in verdicts.items() if v in ("fail", "warn")} == {}
    assert code == 0 and report["verdict"] == "pass"
    assert {rid: verdicts[rid] for rid in SUPPORTED} == dict.fromkeys(SUPPORTED, "pass")


def test_the_datasette_spec_loads() -> None:
    assert cli.main(["catalog", "--spec", str(SPEC)]) == 0
