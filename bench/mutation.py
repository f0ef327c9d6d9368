"""Mutation score: does the default `apiconform run` detect each known fault of the reference server?

For every fault (`apiconform serve --list-faults`) and several seeds, run the default conformance run
against the embedded server with that fault switched on, and record whether the fault's requirement
failed (or warned, for a SHOULD), whether a check designed for its rule found it (a relation,
or the per-response checks on the pages one fetched: `found_in`) rather than only a property-test case
(fuzzing volume, which a smaller plan or another seed may not reach), which other requirements failed,
how many requests it took to the first failure and how long the run took. Then run plain
`schemathesis run` (all its checks, the same specs, about the same number of requests) against the
same faulty servers, and count a fault as found by schemathesis when it reports a kind of failure it
does not report against the correct server.

    .venv/bin/python bench/mutation.py [--seeds 10] [--jobs 2] [--fault NAME ...] [--write]

`--write` replaces the "Mutation score" section of bench/RESULTS.md with the table.

With `--variant NAME` (repeatable) every fault runs on a server with those variants switched on
(behaviours the documents allow, `apiconform serve --list-variants`): a fault must be found whatever
legitimate choices the server makes around it. Faults that change the same behaviour as a chosen
variant are skipped; schemathesis is not run; `--write` fills "Mutation score under variants".
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_results import replace_section
from harness import (
    apiconform_in_process,
    apiconform_run,
    environment,
    failing_requirements,
    first_failure_after,
    found_by_design,
    reference_server,
    schemathesis_failures,
    schemathesis_run,
)

from apiconform.server import FAULTS, VARIANTS
from apiconform.server.variants import conflicts


@dataclass
class FaultResult:
    fault: str
    api: str
    requirement: str
    detected_seeds: list[int] = field(default_factory=list)
    missed_seeds: list[int] = field(default_factory=list)
    # Seeds on which a check designed for the requirement's rule found it (not only the property tests).
    designed_seeds: list[int] = field(default_factory=list)
    first_failure: list[int] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    also_failed: set[str] = field(default_factory=set)
    schemathesis_found: set[str] = field(default_factory=set)
    schemathesis_requests: int = 0


def _one_run(task: tuple[str, str, int, tuple[str, ...]]) -> tuple[str, int, dict[str, Any]]:
    name, api, seed, variants = task
    return name, seed, apiconform_in_process(api, seed, faults=[name], variants=variants)


def run_apiconform(
    results: dict[str, FaultResult], seeds: Iterable[int], jobs: int, variants: tuple[str, ...] = ()
) -> None:
    """Every fault with every seed, in `jobs` worker processes that each run many (warm) runs."""
    tasks = [(name, results[name].api, seed, variants) for name in results for seed in seeds]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for name, seed, report in pool.map(_one_run, tasks):
            result = results[name]
            failing = failing_requirements(report)
            (result.detected_seeds if result.requirement in failing else result.missed_seeds).append(seed)
            if found_by_design(report, result.requirement):
                result.designed_seeds.append(seed)
            result.also_failed |= set(failing) - {result.requirement}
            after = first_failure_after(report)
            if after is not None:
                result.first_failure.append(after)
            result.requests.append(int(report["requests"]))
            result.seconds.append(float(report["bench_seconds"]))
            state = "detected" if result.requirement in failing else "MISSED"
            print(
                f"  {name} seed {seed}: {state} ({report['requests']} requests, {report['bench_seconds']:.1f} s)",
                file=sys.stderr,
                flush=True,
            )


def schemathesis_budget(api: str, target_requests: int) -> int:
    """The --max-examples that makes schemathesis send about `target_requests` requests for this API."""
    with reference_server() as server:
        probe = schemathesis_run(api, server, seed=0, max_examples=1)
    return max(1, target_requests - probe.requests + 1)


def run_schemathesis(results: dict[str, FaultResult], budgets: dict[str, int], jobs: int) -> dict[str, set[str]]:
    baselines = {}
    for api in budgets:
        with reference_server() as server:
            baselines[api] = schemathesis_failures(schemathesis_run(api, server, seed=0, max_examples=budgets[api]))

    def one(result: FaultResult) -> None:
        with reference_server(faults=[result.fault]) as server:
            run = schemathesis_run(result.api, server, seed=0, max_examples=budgets[result.api])
        result.schemathesis_found = schemathesis_failures(run) - baselines[result.api]
        result.schemathesis_requests = run.requests

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(one, results.values()))
    return baselines


def first_failure_median(results: dict[str, FaultResult]) -> int | str:
    """The median over faults of each fault's median requests to its first failure ("-" when none failed)."""
    medians = [statistics.median(result.first_failure) for result in results.values() if result.first_failure]
    return int(statistics.median(medians)) if medians else "-"


def table(results: dict[str, FaultResult], seeds: list[int]) -> list[str]:
    lines = [
        "| fault | requirement | apiconform detected | by a check designed for it | requests to 1st failure "
        "(median) | also failed | schemathesis detected | schemathesis requests |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for result in results.values():
        median = int(statistics.median(result.first_failure)) if result.first_failure else "-"
        lines.append(
            f"| {result.fault} | {result.requirement} | {len(result.detected_seeds)}/{len(seeds)} "
            f"| {len(result.designed_seeds)}/{len(seeds)} | {median} "
            f"| {', '.join(sorted(result.also_failed)) or '-'} "
            f"| {'yes: ' + '; '.join(sorted(result.schemathesis_found)) if result.schemathesis_found else 'no'} "
            f"| {result.schemathesis_requests} |"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=10, help="seeds per fault (0..N-1)")
    parser.add_argument("--jobs", type=int, default=2, help="runs in parallel")
    parser.add_argument("--fault", action="append", default=[], help="only these faults")
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    parser.add_argument("--variant", action="append", default=[], help="run every fault with these variants on")
    args = parser.parse_args()
    unknown = set(args.fault) - set(FAULTS)
    if unknown:
        parser.error(f"unknown faults: {', '.join(sorted(unknown))}")
    unknown = set(args.variant) - set(VARIANTS)
    if unknown:
        parser.error(f"unknown variants: {', '.join(sorted(unknown))}")
    names = args.fault or sorted(FAULTS, key=lambda name: (FAULTS[name].api, name))
    skipped = sorted({fault for _, fault in conflicts(args.variant, names)})
    names = [name for name in names if name not in skipped]
    results = {name: FaultResult(name, FAULTS[name].api, FAULTS[name].requirement) for name in names}
    seeds = list(range(args.seeds))
    started = time.monotonic()
    print(f"apiconform: {len(results)} faults x {len(seeds)} seeds", file=sys.stderr)
    run_apiconform(results, seeds, args.jobs, tuple(args.variant))
    if args.variant:
        return _under_variants(args, results, seeds, skipped, time.monotonic() - started)
    apis = sorted({result.api for result in results.values()})
    budgets = {}
    for api in apis:
        correct = apiconform_run(api, seed=0)
        budgets[api] = schemathesis_budget(api, correct.requests)
        print(
            f"schemathesis budget for {api}: --max-examples {budgets[api]} (apiconform sent {correct.requests})",
            file=sys.stderr,
        )
    baselines = run_schemathesis(results, budgets, args.jobs)
    runs = len(results) * len(seeds)
    detected_all = sum(1 for r in results.values() if len(r.detected_seeds) == len(seeds))
    detected_most = sum(1 for r in results.values() if len(r.detected_seeds) >= 0.9 * len(seeds))
    designed_all = sum(1 for r in results.values() if len(r.designed_seeds) == len(seeds))
    found_by_st = sum(1 for r in results.values() if r.schemathesis_found)
    summary = [
        f"Faults: {len(results)}; seeds per fault: {len(seeds)} ({runs} apiconform runs, "
        f"{time.monotonic() - started:.0f} s in all, {environment()}).",
        "",
        f"- apiconform mutation score: **{detected_most}/{len(results)}** faults detected on at least 90% of the "
        f"{len(seeds)} seeds ({100 * detected_most / len(results):.1f}%); {detected_all}/{len(results)} on every seed.",
        f"- found by a check designed for the fault's rule on every seed (not only by a property-test case): "
        f"**{designed_all}/{len(results)}**.",
        "- requests to the first failure, the median over faults of each fault's median: "
        f"{first_failure_median(results)}.",
        f"- schemathesis alone: **{found_by_st}/{len(results)}** ({100 * found_by_st / len(results):.1f}%), "
        "counting a fault as found when schemathesis reports a kind of failure it does not report against "
        "the correct server.",
        "- schemathesis against the correct server (false alarms it raises there, per API): "
        + "; ".join(f"{api}: {', '.join(sorted(found)) or 'none'}" for api, found in baselines.items()),
        "- schemathesis budget (--max-examples, chosen to match apiconform's request count): "
        + ", ".join(f"{api} {budget}" for api, budget in budgets.items()),
    ]
    missed = [f"{r.fault} (seeds {r.missed_seeds})" for r in results.values() if r.missed_seeds]
    if missed:
        summary.append(f"- missed on some seeds: {'; '.join(missed)}")
    output = [*summary, "", *table(results, seeds)]
    print("\n".join(output))
    if args.write:
        command = f"    .venv/bin/python bench/mutation.py --seeds {args.seeds} --jobs {args.jobs} --write"
        replace_section("Mutation score", ["Command:", "", command, "", *output])
    return 0


def _under_variants(
    args: argparse.Namespace, results: dict[str, FaultResult], seeds: list[int], skipped: list[str], seconds: float
) -> int:
    """The apiconform part of the mutation score on a server with variants on (no schemathesis comparison)."""
    detected_most = sum(1 for r in results.values() if len(r.detected_seeds) >= 0.9 * len(seeds))
    variants = ", ".join(f"`{name}`" for name in args.variant)
    summary = [
        f"Faults: {len(results)} with the variants {variants} switched on; seeds per fault: {len(seeds)} "
        f"({len(results) * len(seeds)} apiconform runs, {seconds:.0f} s in all, {environment()}).",
        "",
        f"- apiconform mutation score: **{detected_most}/{len(results)}** faults detected on at least 90% of the "
        f"{len(seeds)} seeds.",
        f"- skipped (they change the same behaviour as a variant): {', '.join(skipped) or 'none'}",
    ]
    missed = [f"{r.fault} (seeds {r.missed_seeds})" for r in results.values() if r.missed_seeds]
    if missed:
        summary.append(f"- missed on some seeds: {'; '.join(missed)}")
    lines = [
        "| fault | requirement | apiconform detected | by a check designed for it | also failed |",
        "|---|---|---|---|---|",
    ]
    for r in results.values():
        also = ", ".join(sorted(r.also_failed)) or "-"
        lines.append(
            f"| {r.fault} | {r.requirement} | {len(r.detected_seeds)}/{len(seeds)} "
            f"| {len(r.designed_seeds)}/{len(seeds)} | {also} |"
        )
    output = [*summary, "", *lines]
    print("\n".join(output))
    if args.write:
        chosen = "".join(f" --variant {name}" for name in args.variant)
        command = f"    .venv/bin/python bench/mutation.py --seeds {args.seeds} --jobs {args.jobs}{chosen} --write"
        replace_section("Mutation score under variants", ["Command:", "", command, "", *output])
    return 0


if __name__ == "__main__":
    sys.exit(main())
