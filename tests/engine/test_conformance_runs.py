"""The engine end to end against the reference server.

Every fault of the reference server is found by the requirement it breaks, with the default settings
and a fixed seed; every check is shown firing on some fault; the correct server passes with five seeds
and while records are being inserted (churn), with no failure and no warning.

Runs are shared where sharing proves the same thing. A fault or a variant switches the behaviour of
one API's endpoint and every API's requirements are judged apart, so faults (and variants) of
different APIs cannot interfere: one run switches on at most one fault per API (`pack`), and each
fault is judged on its own API's part of the report. A fault's run stops each API at its first failed
MUST requirement (--fail-fast): what it sent until then is what a default run sends first, so a fault
found there is found by the default run; when an API stopped on another requirement (a fault may break
several), the default run of that fault alone decides (`fault_report`). A test asks the `engine_run` fixture for the run
it needs; each run is made once per session and worker, and the tests that read the same run carry
the same `xdist_group`, so that `--dist loadgroup` sends them to one worker.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from apiconform import contract
from apiconform.engine import driver
from apiconform.engine.checks import BUILTIN_CHECKS, CHECKS
from apiconform.engine.options import PLANNED_REQUESTS
from apiconform.engine.session import RunConfig
from apiconform.engine.transport import http
from apiconform.reporting.waivers import Waiver
from apiconform.server import FAULTS, VARIANTS

# For each check, a fault on which it must fire (record a failure against the fault's requirement).
FIRES_ON = {
    "page_size_bound": "oes-page-size-plus-one",
    "pages_tile_one_large_page": "oes-page-repeats-on-tie",
    "oversize_pages_keep_their_position": "oes-oversize-page-skips-clamped",
    "total_count_on_first_page": "brm-total-count-first-filter-only",
    "omitted_page_is_first_page": "oes-default-page-number-one",
    "default_page_size_is_prefix": "oes-default-size-ignores-page-number",
    "walk_ends_cleanly": "oes-past-end-repeats-last-page",
    "total_count_invariant": "brm-past-end-404",
    "tolerated_inputs_answered": "oes-page-size-zero-uses-default",
    "invalid_inputs_rejected": "oes-bad-sort-accepted",
    "negative_data_rejection": "brm-bad-limit-accepted",
    "records_in_order": "oes-tiebreak-reversed-under-desc",
    "sorted_by_each_key": "oes-desc-ignored",
    "default_direction_is_asc": "oes-default-direction-desc",
    "default_order_holds": "oes-default-order-unstable",
    "order_is_stable": "brm-order-unstable",
    "records_match_filters": "oes-statuses-ignored",
    "filters_select_matching_records": "oes-client-filter-uses-partner",
    "comma_list_is_union": "oes-types-first-value-only",
    "repeated_list_is_union": "conn-repeated-keys-first-only",
    "alternate_keys_find_the_same_records": "brm-id-ignores-adjustment-number",
    "unknown_filter_value_matches_nothing": "oes-unknown-allocation-id-matches-all",
    "case_variants_agree": "brm-usage-type-case-sensitive",
    "records_follow_rules": "oes-reason-on-cleared",
    "result_count_header": "brm-result-count-missing",
    "total_count_present": "brm-total-count-missing-when-empty",
    "response_headers_conformance": "brm-result-count-missing",
    "projection_fields": "brm-fields-ignored",
    "projection_keeps_values": "brm-fields-first-name-only",
    "representation_same_records": "brm-oracle-type-rejected",
    "error_envelope": "oes-error-key-renamed",
    "auth_enforced": "oes-auth-ignored",
    "unknown_path_parameter_refused": "oes-unknown-enterprise-served",
    "not_a_server_error": "brm-500-on-huge-offset",
    "status_code_conformance": "brm-206-on-partial-page",
    "content_type_conformance": "oes-json-as-text-plain",
    "response_schema_conformance": "oes-quantity-as-number",
    "strict_json": "brm-nan-amount",
    "unsupported_method": "brm-method-not-allowed-404",
}
# The correct server passes each API with each of these seeds, within the default plan of requests (one
# BitGo rate window) and giving nothing up; the first seeds' BRM runs also serve as examples of
# schemathesis sending an empty value (the last test). bench/soak.py runs more seeds and the variants.
CORRECT_SEEDS = range(5)
# SHOULD faults whose defect keeps MUST requirements from being judged: BRM combining its filters with OR
# leaves no query but one filter alone, and a date range alone on a partition too large to walk whole
# cannot be judged for completeness (the run is incomplete rather than conformant).
HIDES_MUSTS = {"brm-filters-ored"}
EMPTY_VALUE_SEEDS = range(8)
BRM = "brm-adjust-balance"


def pack(touches: Mapping[str, Collection[str]]) -> list[tuple[str, ...]]:
    """Names (each with the APIs it touches) packed into runs, first fit in name order, so that no two
    names in a run touch the same API: as many runs as the most names any one API has."""
    runs: list[tuple[list[str], set[str]]] = []
    for name in sorted(touches):
        apis = set(touches[name])
        fitting = next((run for run in runs if not run[1] & apis), None)
        if fitting is None:
            runs.append(([name], apis))
        else:
            fitting[0].append(name)
            fitting[1].update(apis)
    return [tuple(names) for names, _ in runs]


@dataclass(frozen=True)
class Run:
    """One engine run against the embedded reference server: what it tests and what is switched on."""

    apis: tuple[str, ...]
    faults: tuple[str, ...] = ()
    variants: tuple[str, ...] = ()
    seed: int = 0
    churn: float = 0.0
    har: bool = False
    fail_fast: bool = False
    # (API, vendor release) pairs: the release each API is judged as (--release), where not the default.
    releases: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Done:
    """A finished run: its report folder and exit code."""

    directory: Path
    code: int

    @property
    def report(self) -> dict[str, Any]:
        """A fresh copy of report.json, so that no test sees what another did to it."""
        report: dict[str, Any] = json.loads((self.directory / "report.json").read_text())
        return report


@pytest.fixture(scope="session")
def engine_run(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Run], Done]:
    """`engine_run(Run(...))`: the run made the first time it is asked for in this session (per xdist
    worker), then handed back to every test that asks for the same run."""
    done: dict[Run, Done] = {}

    def run(wanted: Run) -> Done:
        if wanted not in done:
            directory = tmp_path_factory.mktemp("engine-run")
            config = RunConfig.checked(
                apis=list(wanted.apis),
                embedded_faults=wanted.faults,
                embedded_variants=wanted.variants,
                seed=wanted.seed,
                embedded_churn=wanted.churn,
                fail_fast=wanted.fail_fast,
                releases=dict(wanted.releases),
                report_dir=str(directory),
            )
            code = driver.run(config, quiet=True, artefacts=driver.Artefacts(har=wanted.har))
            done[wanted] = Done(directory, code)
            assert done[wanted].report["exit_code"] == code
        return done[wanted]

    return run


def all_apis() -> tuple[str, ...]:
    return tuple(sorted(contract.api_names()))


FAULT_RUNS = pack({name: (fault.api,) for name, fault in FAULTS.items()})
# A variant that leaves an API untestable (a route it forbids) never shares a run with that API.
VARIANT_RUNS = pack({name: (*variant.apis, *variant.untestable) for name, variant in VARIANTS.items()})


def fault_run(name: str) -> Run:
    (faults,) = [faults for faults in FAULT_RUNS if name in faults]
    return Run(apis=tuple(sorted({FAULTS[fault].api for fault in faults})), faults=faults, fail_fast=True)


def fault_report(
    engine_run: Callable[[Run], Done], fault: str, shows: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """The report of the fault's pack run (--fail-fast) if it `shows` what the test looks for, else that
    of the default run of the fault alone (its API stopped on another requirement first)."""
    report = engine_run(fault_run(fault)).report
    if shows(report):
        return report
    return engine_run(Run(apis=(FAULTS[fault].api,), faults=(fault,))).report


def variant_run(name: str) -> Run:
    (variants,) = [variants for variants in VARIANT_RUNS if name in variants]
    apis = {api for variant in variants for api in VARIANTS[variant].apis}
    return Run(apis=tuple(sorted(apis)), variants=variants, seed=1, releases=releases_of(variants))


def releases_of(variants: Collection[str]) -> tuple[tuple[str, str], ...]:
    """The release each variant's APIs are judged as: the one whose documents allow the variant."""
    pairs = {(api, release) for name in variants if (release := VARIANTS[name].release) for api in VARIANTS[name].apis}
    return tuple(sorted(pairs))


def correct_run(seed: int, api: str) -> Run:
    return Run(apis=(api,), seed=seed, har=True)


def in_group(value: Any, group: str) -> Any:
    return pytest.param(value, marks=pytest.mark.xdist_group(group))


def fault_group(fault: str) -> str:
    (index,) = [index for index, faults in enumerate(FAULT_RUNS) if fault in faults]
    return f"fault-run-{index}"


def variant_group(variant: str) -> str:
    (index,) = [index for index, variants in enumerate(VARIANT_RUNS) if variant in variants]
    return f"variant-run-{index}"


def requirement(report: dict[str, Any], api: str, rid: str) -> dict[str, Any]:
    (item,) = [item for item in report["requirements"] if item["api"] == api and item["id"] == rid]
    return item


def section(report: dict[str, Any], api: str) -> dict[str, Any]:
    (item,) = [item for item in report["apis"] if item["api"] == api]
    return item


def findings(report: dict[str, Any], apis: Collection[str] | None = None) -> str:
    return ", ".join(
        f"{item['id']}={item['verdict']}"
        for item in report["requirements"]
        if item["verdict"] not in ("pass", "not-exercised") and (apis is None or item["api"] in apis)
    )


def assert_no_false_alarm(report: dict[str, Any], apis: Collection[str]) -> None:
    """Each of `apis` passes, with no failure and no warning."""
    for api in apis:
        assert section(report, api)["verdict"] == "pass", findings(report, apis)
    assert not [
        item for item in report["requirements"] if item["api"] in apis and item["verdict"] in ("fail", "warn")
    ], findings(report, apis)


def test_every_check_has_a_fault_to_fire_on():
    assert set(FIRES_ON) == {*CHECKS, *BUILTIN_CHECKS}
    assert set(FIRES_ON.values()) <= set(FAULTS)


def test_faults_are_packed_one_per_api_per_run():
    assert sorted(fault for faults in FAULT_RUNS for fault in faults) == sorted(FAULTS)
    for faults in FAULT_RUNS:
        apis = [FAULTS[fault].api for fault in faults]
        assert len(apis) == len(set(apis)), faults
    per_api = Counter(fault.api for fault in FAULTS.values())
    assert len(FAULT_RUNS) == max(per_api.values()), "as many runs as the API with the most faults has faults"
    for variants in VARIANT_RUNS:
        apis = [api for variant in variants for api in VARIANTS[variant].apis]
        assert len(apis) == len(set(apis)), variants


@pytest.mark.parametrize("fault", [in_group(fault, fault_group(fault)) for fault in sorted(FAULTS)])
def test_fault_is_found_by_its_requirement(fault, engine_run):
    spec = FAULTS[fault]

    def found_by_its_requirement(report: dict[str, Any]) -> bool:
        return requirement(report, spec.api, spec.requirement)["verdict"] in ("fail", "warn")

    report = fault_report(engine_run, fault, found_by_its_requirement)
    found = requirement(report, spec.api, spec.requirement)
    expected = "fail" if found["level"] == "MUST" else "warn"
    assert found["verdict"] == expected, findings(report, [spec.api])
    assert found["failures"] and found["failures"][0]["evidence"], "a finding carries its evidence"
    # The fault's API fails the gate on a MUST and passes on a SHOULD (a warning), as a run of it alone would,
    # unless the SHOULD's defect keeps MUSTs from being judged: then it is incomplete, and says which.
    verdict = section(report, spec.api)["verdict"]
    if expected == "warn" and fault in HIDES_MUSTS:
        assert verdict == "incomplete" and section(report, spec.api)["unjudged"], findings(report)
    else:
        assert verdict == ("fail" if expected == "fail" else "pass"), findings(report)
    assert report["exit_code"] == (1 if any(api["verdict"] == "fail" for api in report["apis"]) else 0)


@pytest.mark.parametrize("check", [in_group(check, fault_group(FIRES_ON[check])) for check in sorted(FIRES_ON)])
def test_check_fires_on_its_fault(check, engine_run):
    spec = FAULTS[FIRES_ON[check]]

    def fired(report: dict[str, Any]) -> bool:
        return check in requirement(report, spec.api, spec.requirement)["checks_failed"]

    found = requirement(fault_report(engine_run, spec.name, fired), spec.api, spec.requirement)
    assert check in found["checks_failed"], f"{check} did not fire: {found['checks_failed']}"


def correct_param(seed: int, api: str) -> Any:
    # The correct server's BRM runs of the first seeds are also the empty-value examples (the last test).
    group = "correct-server-brm" if api == BRM and seed in EMPTY_VALUE_SEEDS else f"correct-server-{api}-{seed}"
    return pytest.param(seed, api, marks=pytest.mark.xdist_group(group), id=f"{api}-{seed}")


@pytest.mark.parametrize(("seed", "api"), [correct_param(seed, api) for seed in CORRECT_SEEDS for api in all_apis()])
def test_correct_server_passes(seed, api, engine_run):
    done = engine_run(correct_run(seed, api))
    report = done.report
    assert done.code == 0, findings(report)
    assert_no_false_alarm(report, [api])
    assert report["requests"] <= PLANNED_REQUESTS, report["apis"][0]["plan"]
    assert report["apis"][0]["plan"]["gave_up"] == []


@pytest.mark.parametrize("variant", [in_group(variant, variant_group(variant)) for variant in sorted(VARIANTS)])
def test_a_legitimate_variant_raises_no_false_alarm(variant, engine_run):
    # A variant is a reading the documents allow: any failure or warning on it is a false alarm.
    report = engine_run(variant_run(variant)).report
    assert_no_false_alarm(report, VARIANTS[variant].apis)


def test_every_legitimate_variant_at_once_raises_no_false_alarm(engine_run):
    """All variants together, but those that leave a tested API nothing to test (each has its own run)."""
    combinable = tuple(sorted(name for name, variant in VARIANTS.items() if not variant.untestable))
    report = engine_run(Run(apis=all_apis(), variants=combinable, seed=2, releases=releases_of(combinable))).report
    assert report["exit_code"] == 0, findings(report)
    assert_no_false_alarm(report, all_apis())


def test_a_release_is_judged_by_its_own_documents_only_where_they_differ(engine_run):
    """Records shaped as Oracle 15.0 and 15.1 document them pass when judged as release 15 (the variant's own
    run, above) and fail the default release 12.0 on BRM-RESP-SCHEMA alone, for logicalResource and product
    only: the one place the releases' documents differ in shape (D-BRM-30)."""
    report = engine_run(Run(apis=(BRM,), variants=("brm-release-15-shape",), seed=1)).report
    assert section(report, BRM)["spec"]["release"]["name"] == "12.0"
    assert findings(report) == "BRM-RESP-SCHEMA=fail"
    failures = requirement(report, BRM, "BRM-RESP-SCHEMA")["failures"]
    assert failures
    assert all("LogicalResourceRef" in item["message"] or "ProductRef" in item["message"] for item in failures)
    judged_as_15 = engine_run(variant_run("brm-release-15-shape")).report
    assert section(judged_as_15, BRM)["spec"]["release"]["name"] == "15.0"


def test_correct_server_under_churn_raises_no_false_alarm(engine_run):
    """Records inserted while the run goes on: no failure and no warning. A check whose failing example
    could not be repeated with the data standing still is inconclusive; a MUST left so is not judged, and
    the gate says incomplete (exit 3) rather than conformant, for the data moving and nothing else."""
    report = engine_run(Run(apis=all_apis(), churn=20.0)).report
    assert not [item for item in report["requirements"] if item["verdict"] in ("fail", "warn")], findings(report)
    assert report["exit_code"] in (0, 3), findings(report)
    reasons = {item["id"]: " ".join(item["reasons"]) for item in report["requirements"]}
    for api in report["apis"]:
        assert api["verdict"] in ("pass", "incomplete"), api["verdict"]
        for unjudged in api["unjudged"]:
            moved = "changed while" in reasons[unjudged["id"]] or "different records" in reasons[unjudged["id"]]
            assert unjudged["cause"] == "run" and moved, unjudged


@pytest.mark.xdist_group("correct-server-brm")
def test_an_empty_value_from_a_negated_parameter_need_not_be_rejected(engine_run):
    # Schemathesis negates `offset` and `limit` into empty objects now and then, which go out as `offset=`
    # or `limit=`; a server may ignore an empty value (DECISIONS.md D-GEN-1), so BRM-PAGE-INVALID must not
    # fail on it (bench/soak.py found this false alarm). Which seed draws one moves with the specs and the
    # engine, so the first of a few seeds that sends one is the example; the runs are the correct server's.
    for seed in EMPTY_VALUE_SEEDS:
        done = engine_run(correct_run(seed, BRM))
        report = done.report
        assert requirement(report, BRM, "BRM-PAGE-INVALID")["verdict"] == "pass", findings(report)
        assert done.code == 0, findings(report)
        har = json.loads((done.directory / driver.HAR_FILE).read_text())
        urls = [entry["request"]["url"] for entry in har["log"]["entries"]]
        if any(url.endswith(("?offset=", "&offset=", "?limit=", "&limit=")) for url in urls):
            return
    pytest.fail("no seed of 0..7 sent an empty offset or limit: the test has no example to judge")


def recorded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, wanted: Run) -> tuple[Done, Counter[str]]:
    """A fresh run of `wanted` (not shared) and every request it sent, as `METHOD path?query`."""
    sent: Counter[str] = Counter()
    real = http.GuardedSession.request

    def request(self: http.GuardedSession, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        parts = urlsplit(str(url))
        sent[f"{method} {parts.path}?{parts.query}"] += 1
        return real(self, method, url, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(http.GuardedSession, "request", request)
        directory = tmp_path / ("fail-fast" if wanted.fail_fast else "full")
        config = RunConfig.checked(
            apis=list(wanted.apis), embedded_faults=wanted.faults, fail_fast=wanted.fail_fast, report_dir=str(directory)
        )
        code = driver.run(config, quiet=True)
    return Done(directory, code), sent


@pytest.mark.e2e
def test_fail_fast_stops_at_the_first_failed_must_after_sending_what_a_full_run_sends_first(monkeypatch, tmp_path):
    fault = FAULTS["oes-bad-sort-accepted"]  # found by a relation, with checks left to run after it
    full, full_sent = recorded(monkeypatch, tmp_path, Run(apis=(fault.api,), faults=(fault.name,)))
    fast, fast_sent = recorded(monkeypatch, tmp_path, Run(apis=(fault.api,), faults=(fault.name,), fail_fast=True))
    assert fast.code == full.code == 1
    report = fast.report
    assert requirement(report, fault.api, fault.requirement)["verdict"] == "fail"
    stopped = section(report, fault.api)["stopped_reason"]
    assert stopped.startswith(f"--fail-fast: {fault.requirement} (a MUST) failed"), stopped
    assert sum(fast_sent.values()) < sum(full_sent.values()) / 2
    assert not fast_sent - full_sent, f"requests the full run does not send: {list(fast_sent - full_sent)[:3]}"
    unjudged = [item for item in report["requirements"] if item["verdict"] == "not-exercised"]
    assert unjudged, "nothing was left unjudged: the run did not stop"
    # Each says the run stopped (besides what else its checks saw before it did), for the run's cause.
    assert all(f"not judged: testing stopped ({stopped})" in item["reasons"] for item in unjudged), unjudged
    assert all(item["cause"] == "run" for item in unjudged), unjudged


@pytest.mark.e2e
def test_fail_fast_changes_nothing_on_a_conformant_target(monkeypatch, tmp_path):
    full, full_sent = recorded(monkeypatch, tmp_path, Run(apis=("bitgo-oes",)))
    fast, fast_sent = recorded(monkeypatch, tmp_path, Run(apis=("bitgo-oes",), fail_fast=True))
    assert fast.code == full.code == 0
    assert section(fast.report, "bitgo-oes")["stopped_reason"] is None
    assert fast_sent == full_sent
    assert sum(full_sent.values()) > 100


@pytest.mark.e2e
def test_fail_fast_does_not_stop_at_a_waived_failure(tmp_path):
    # A waived failure does not fail the gate: stopping there would end a run that may pass before it was judged.
    fault = FAULTS["oes-bad-sort-accepted"]
    waiver = Waiver(fault.requirement, "known, fix scheduled", "T-1", date.today() + timedelta(days=30))
    config = RunConfig.checked(
        apis=[fault.api], embedded_faults=(fault.name,), fail_fast=True, waivers=(waiver,), report_dir=str(tmp_path)
    )
    done = Done(tmp_path, driver.run(config, quiet=True))
    report = done.report
    assert done.code == 0, findings(report)
    assert requirement(report, fault.api, fault.requirement)["verdict"] == "waived"
    assert section(report, fault.api)["stopped_reason"] is None
    assert not [item for item in report["requirements"] if "testing stopped" in " ".join(item["reasons"])]


# Defects that hid each other: each is found by its own requirement when they come together, and none
# leaves another requirement unjudged (a reply that breaks one rule is still read for the others; a broken
# narrowing filter's siblings are judged on the partition; counts are judged on single first pages).
# The third element: whether every other MUST is still judged (with the narrowing filter and the id
# look-up both broken, a defaulted filter has no small base left to be judged on: that is said, not passed).
TOGETHER = {
    "a 206 on partial pages, date filters that match nothing, a total that ignores the filters": (
        ("brm-206-on-partial-page", "brm-date-filters-match-nothing", "brm-total-count-ignores-filters"),
        {
            "BRM-RESP-STATUS",
            "BRM-HDR-TOTAL-COUNT",
            *(f"BRM-FILTER-DATE-{op}" for op in ("EQ", "GT", "GTE", "LT", "LTE")),
        },
        True,
    ),
    "a narrowing filter and a sibling both broken for values with '+'": (
        ("brm-account-plus-as-space", "brm-id-plus-as-space"),
        {"BRM-FILTER-PARTY-ACCOUNT", "BRM-FILTER-ID"},
        False,
    ),
}


@pytest.mark.parametrize("case", sorted(TOGETHER))
def test_defects_that_used_to_hide_each_other_are_each_found(case, engine_run):
    faults, broken, all_judged = TOGETHER[case]
    report = engine_run(Run(apis=(BRM,), faults=faults)).report
    verdicts = {item["id"]: item for item in report["requirements"]}
    assert {rid for rid in broken if verdicts[rid]["verdict"] != "fail"} == set(), findings(report)
    assert report["exit_code"] == 1
    unjudged = [
        (rid, item["reasons"])
        for rid, item in verdicts.items()
        if item["level"] == "MUST" and not item["judged"] and item["cause"] not in ("data", "configuration")
    ]
    assert not (all_judged and unjudged), "a defect left another MUST unjudged"
    assert all(item["reasons"] and item["cause"] for item in verdicts.values() if not item["judged"])
    assert not any("too few records" in " ".join(item["reasons"]) for item in verdicts.values())


@pytest.mark.parametrize(
    ("seed", "api"), [correct_param(seed, api) for seed in CORRECT_SEEDS[:1] for api in all_apis()]
)
def test_a_correct_run_judges_every_must_or_names_a_data_or_configuration_cause(seed, api, engine_run):
    report = engine_run(correct_run(seed, api)).report
    for item in report["requirements"]:
        if item["level"] != "MUST":
            continue
        assert item["judged"] or item["cause"] in ("data", "configuration"), (item["id"], item["reasons"])
        if item["verdict"] == "pass":
            evidence = item["pass_evidence"]
            assert evidence and evidence["check"] and evidence["message"], item["id"]
