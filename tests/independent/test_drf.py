"""Issue 25's proof on an independent server: Django REST framework 3.18.3 with django-filter 26.2, the three
list endpoints of tests/independent/drf_app (one per DRF pagination class), each described by a spec in
examples/drf/ and run against the real packages (the `servers` extra).

The e2e tests serve the app once per module and run `apiconform run --spec` on each spec in process. The
fast tests only load the specs (`catalog --spec`) and start from DRF's own OpenAPI document of the app
(`init`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from apiconform import cli, contract
from tests.engine.scripted import TEST_SERVER_RATE

REPOSITORY = Path(__file__).resolve().parents[2]
EXAMPLES = REPOSITORY / "examples" / "drf"
DRF_DOCUMENT = EXAMPLES / "sources" / "drf-app.openapi.json"


@dataclass(frozen=True)
class DrfSpec:
    api: str
    # Requirements the app gives a run something to judge: each must pass, not merely stay unjudged.
    supported: frozenset[str]

    @property
    def path(self) -> Path:
        return EXAMPLES / f"{self.api}.openapi.yaml"


def _judged(prefix: str, *names: str) -> frozenset[str]:
    return frozenset(f"{prefix}-{name}" for name in names)


FILTERS = ("FILTER-EXACT", "FILTER-LOOKUP", "FILTER-IN", "FILTER-EXCLUDE", "FILTER-AND", "INPUT-LENIENT")
ORDER = ("ORDER-FIELD", "ORDER-REVERSE", "ORDER-DEFAULT", "ORDER-TIEBREAK")
SPECS = (
    DrfSpec(
        "drf-page-number",
        _judged("DRF", "PAGE-SIZE", "PAGE-POSITION", "PAGE-FIRST", "PAGE-PAST-END", "COUNT", *ORDER, *FILTERS),
    ),
    DrfSpec(
        "drf-limit-offset",
        _judged("DRF-LO", "LIMIT", "OFFSET", "FIRST", "PAST-END", "COUNT", *ORDER, *FILTERS),
    ),
    DrfSpec("drf-cursor", _judged("DRF-CUR", "SIZE", "WALK", "END", "ORDER", *FILTERS)),
)


@pytest.mark.e2e
@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.api)
def test_drf_passes_its_spec(spec: DrfSpec, drf_origin: str, tmp_path: Path) -> None:
    report_dir = tmp_path / "report"
    code = cli.main(
        ["run", "--spec", str(spec.path), "--base-url", drf_origin, "--seed", "0", "--report-dir", str(report_dir)]
        + ["--rate-limit", str(TEST_SERVER_RATE)]
    )
    report = json.loads((report_dir / "report.json").read_text())
    verdicts = {item["id"]: item["verdict"] for item in report["requirements"]}
    assert {rid: v for rid, v in verdicts.items() if v in ("fail", "warn")} == {}
    assert code == 0 and report["verdict"] == "pass"
    assert set(verdicts) == spec.supported
    assert {rid: verdicts[rid] for rid in spec.supported} == dict.fromkeys(spec.supported, "pass")


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.api)
def test_the_drf_spec_loads(spec: DrfSpec) -> None:
    assert cli.main(["catalog", "--spec", str(spec.path)]) == 0


@pytest.mark.parametrize(
    ("operation", "paging"),
    [("listPageNumberItems", "page-number"), ("listLimitOffsetItems", "offset-limit"), ("listCursorItems", "cursor")],
)
def test_init_on_drfs_own_document_gives_a_spec_that_loads(operation: str, paging: str, tmp_path: Path) -> None:
    """`init` on the document `manage.py generateschema` wrote for the app: each list operation gives a
    starting spec that `catalog` loads, paged in DRF's style (the cursor's next page: the body's `next` URL)."""
    folder = tmp_path / operation
    assert cli.main(["init", str(DRF_DOCUMENT), "--operation", operation, "--output", str(folder)]) == 0
    (spec,) = folder.glob("*.openapi.yaml")
    assert cli.main(["catalog", "--spec", str(spec)]) == 0
    loaded = contract.load_spec(spec)
    # The document names no `servers` (OpenAPI's default is "/"): a run asks the --base-url's own paths.
    assert loaded.server_path == ""
    assert loaded.semantics.paging.style == paging
    if isinstance(loaded.semantics.paging, contract.CursorPaging):
        assert loaded.semantics.paging.next_page == contract.NextPage(body_url="/next")
