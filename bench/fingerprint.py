"""Behaviour fingerprint: the reports of the mutation bench's and both soaks' runs, kept to compare two trees.

A refactor must leave every verdict, every report and every request count as it was. This runs the
runs the benches make, in this tree, and writes each run's report.json with what legitimately differs
between two runs of the same seed taken out (times, the embedded server's port); `--compare` then
lists every field that differs between two such files.

    .venv/bin/python bench/fingerprint.py --out before.json [--seeds 3] [--jobs 2]
    .venv/bin/python bench/fingerprint.py --compare before.json after.json [--write]

`--write` replaces the "Behaviour fingerprint" section of bench/RESULTS.md with the comparison.

The runs: each shipped API on seeds 0..N-1 (the soak without churn; churn inserts records by the clock,
so two churned runs differ by design), every fault of the reference server on seed 0 (the mutation
bench), and every variant group of the variant soak on seeds 0 and 1.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

# Fields that record when or how fast a run went, not what it found.
# The request timeline (report.html's chart) is when each request went and how long it took.
VOLATILE = frozenset(
    {"started", "finished", "duration_seconds", "bench_seconds", "waited_on_429_seconds", "run_port", "timeline"}
)
# The embedded server's port is the system's choice, in URLs and in the replay note.
LOOPBACK_PORT = re.compile(r"(127\.0\.0\.1:|localhost:|\[::1\]:|temporary port )\d+")

# Faults that shuffle ties with one random stream per server: which request draws which order depends on
# the order concurrent requests arrive, so two runs of one tree differ in these runs' failure evidence.
SHUFFLING = ("fault brm-order-unstable", "fault conn-order-unstable", "fault oes-default-order-unstable")

Task = tuple[str, str, tuple[str, ...], tuple[str, ...], int]


def tasks(seeds: int) -> list[Task]:
    """(label, api, faults, variants, seed) for every run the fingerprint holds."""
    # Imported here: comparing two files needs neither the suite nor a checkout's specs.
    from soak import variant_tasks

    from apiconform import contract
    from apiconform.server import FAULTS, VARIANTS

    runs: list[Task] = [
        (f"plain {api} seed {seed}", api, (), (), seed) for api in contract.api_names() for seed in range(seeds)
    ]
    runs += [(f"fault {name}", fault.api, (name,), (), 0) for name, fault in FAULTS.items()]
    for label, apis, variants, seed in variant_tasks(list(VARIANTS), 2):
        runs += [(f"variants {label} {api} seed {seed}", api, (), variants, seed) for api in apis]
    return runs


def normalised(value: Any) -> Any:
    """The report without its times and with every loopback port replaced by the same text."""
    if isinstance(value, dict):
        return {key: normalised(item) for key, item in value.items() if key not in VOLATILE}
    if isinstance(value, list):
        return [normalised(item) for item in value]
    if isinstance(value, str):
        return LOOPBACK_PORT.sub(r"\1PORT", value)
    return value


def _one(task: Task) -> tuple[str, Any]:
    from harness import apiconform_in_process

    label, api, faults, variants, seed = task
    report = apiconform_in_process(api, seed, faults=faults, variants=variants)
    print(f"  {label}: {report['verdict']}, {report['requests']} requests", file=sys.stderr, flush=True)
    return label, normalised(report)


def differences(before: Any, after: Any, path: str = "") -> Iterator[str]:
    """Every place where two normalised reports differ, as `path: before -> after`."""
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after)):
            yield from differences(before.get(key), after.get(key), f"{path}/{key}")
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for index, (old, new) in enumerate(zip(before, after, strict=True)):
            name = old.get("id") or old.get("api") if isinstance(old, dict) else None
            yield from differences(old, new, f"{path}/{name or index}")
    elif before != after:
        yield f"{path}: {json.dumps(before)[:300]} -> {json.dumps(after)[:300]}"


def _verdicts(report: Any) -> Any:
    """The run's verdict and each requirement's, or None when there is no such run."""
    if report is None:
        return None
    return report["verdict"], [(item["id"], item["verdict"]) for item in report["requirements"]]


def compare(before_file: Path, after_file: Path, write: bool = False) -> int:
    before, after = json.loads(before_file.read_text()), json.loads(after_file.read_text())
    changed = []
    for label in sorted(set(before) | set(after)):
        found = list(differences(before.get(label), after.get(label)))
        if found:
            note = " (shuffles ties: differs between two runs of one tree too)" if label in SHUFFLING else ""
            judged = "the same" if _verdicts(before.get(label)) == _verdicts(after.get(label)) else "changed"
            changed.append(f"{label}: {len(found)} field(s){note}; verdicts {judged}")
            print(f"{label}: {len(found)} difference(s)")
            for line in found[:20]:
                print(f"    {line}")
    summary = f"{len(before)} runs before, {len(after)} after, {len(changed)} differ"
    print(summary)
    if write:
        from bench_results import replace_section

        replace_section(
            "Behaviour fingerprint",
            [
                "Command:",
                "",
                f"    .venv/bin/python bench/fingerprint.py --compare {before_file.name} {after_file.name} --write",
                "",
                "Each file holds the normalised report.json of every run below, made by "
                "`bench/fingerprint.py --out FILE --seeds 3` in one tree: each shipped API on seeds 0-2, every "
                "fault on seed 0 (the mutation bench's runs), every variant group of the variant soak on seeds "
                "0 and 1. Times and the embedded server's port are taken out; everything else (verdicts, "
                "evidence, reasons, request counts by activity) is compared field by field.",
                "",
                f"- {summary}.",
                *[f"- {line}" for line in changed],
            ],
        )
    return 1 if changed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, help="write the fingerprint here")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per API for the plain runs")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", help="only runs whose label contains this text")
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    parser.add_argument("--write", action="store_true", help="with --compare: update bench/RESULTS.md")
    args = parser.parse_args()
    if args.compare:
        before, after = args.compare
        return compare(before, after, write=args.write)
    if not args.out:
        parser.error("give --out FILE or --compare BEFORE AFTER")
    chosen = [task for task in tasks(args.seeds) if not args.only or args.only in task[0]]
    print(f"{len(chosen)} runs", file=sys.stderr)
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        found = dict(pool.map(_one, chosen))
    args.out.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
