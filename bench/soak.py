"""False-alarm soak: the default run against the correct reference server, over many seeds and under churn.

A conformance suite must never fail a correct server. This runs the default `apiconform run --api all`
against the embedded reference server for each seed (different data, different draws), then again
with the server inserting records while it is tested (churn), and counts failures (must be 0),
inconclusive and not-exercised verdicts, run time and requests.

    .venv/bin/python bench/soak.py [--seeds 30] [--churn-seeds 10] [--churn 10] [--jobs 2] [--write]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_results import replace_section
from harness import apiconform_in_process, environment


def _both_apis(task: tuple[int, float]) -> dict[str, Any]:
    seed, churn = task
    reports = [apiconform_in_process(api, seed, churn=churn) for api in ("bitgo-oes", "brm-adjust-balance")]
    verdicts = Counter(item["verdict"] for report in reports for item in report["requirements"])
    flagged = {
        f"{item['id']}: {item['verdict']}"
        for report in reports
        for item in report["requirements"]
        if item["verdict"] in ("fail", "warn", "inconclusive", "not-exercised")
    }
    return {
        "seed": seed,
        "churn": churn,
        "verdicts": dict(verdicts),
        "flagged": sorted(flagged),
        "seconds": sum(report["bench_seconds"] for report in reports),
        "requests": sum(int(report["requests"]) for report in reports),
    }


def summarise(label: str, rows: list[dict[str, Any]]) -> list[str]:
    totals: Counter[str] = Counter()
    for row in rows:
        totals.update(row["verdicts"])
    seconds = [row["seconds"] for row in rows]
    requests = [row["requests"] for row in rows]
    failing = sorted({flag for row in rows for flag in row["flagged"] if flag.endswith(("fail", "warn"))})
    other = Counter(flag for row in rows for flag in row["flagged"] if not flag.endswith(("fail", "warn")))
    lines = [
        f"| {label} | {len(rows)} | {totals['fail']} | {totals['warn']} | {totals['inconclusive']} "
        f"| {totals['not-exercised']} | {statistics.median(seconds):.1f} / {max(seconds):.1f} "
        f"| {int(statistics.median(requests))} / {max(requests)} |"
    ]
    notes = []
    if failing:
        notes.append(f"- {label}: FALSE ALARMS: {', '.join(failing)}")
    if other:
        notes.append(
            f"- {label}, inconclusive or not exercised (runs): "
            + ", ".join(f"{flag} ({count})" for flag, count in other.most_common())
        )
    return lines + notes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--churn-seeds", type=int, default=10)
    parser.add_argument("--churn", type=float, default=10.0, help="records inserted per second per API")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()
    started = time.monotonic()
    tasks = [(seed, 0.0) for seed in range(args.seeds)] + [(seed, args.churn) for seed in range(args.churn_seeds)]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        rows = list(pool.map(_both_apis, tasks))
    still, moving = [row for row in rows if not row["churn"]], [row for row in rows if row["churn"]]
    table = [
        "| target | runs | fail | warn | inconclusive | not-exercised | seconds per run (median / max) "
        "| requests per run (median / max) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    body = summarise("correct server", still)
    churn_body = summarise(f"correct server, churn {args.churn:g}/s", moving) if moving else []
    rows_only = [line for line in (*body, *churn_body) if line.startswith("|")]
    notes = [line for line in (*body, *churn_body) if not line.startswith("|")]
    false_alarms = sum(row["verdicts"].get("fail", 0) + row["verdicts"].get("warn", 0) for row in rows)
    output = [
        f"Runs of `apiconform run --api all` (both APIs, default settings), seeds 0..{args.seeds - 1} without "
        f"churn and 0..{args.churn_seeds - 1} with churn; {time.monotonic() - started:.0f} s in all, {environment()}.",
        "",
        f"**False alarms: {false_alarms}** (failed or warned requirements on a correct server).",
        "",
        *table,
        *rows_only,
        "",
        *notes,
    ]
    print("\n".join(output))
    if args.write:
        command = (
            f"    .venv/bin/python bench/soak.py --seeds {args.seeds} --churn-seeds {args.churn_seeds} "
            f"--churn {args.churn:g} --jobs {args.jobs} --write"
        )
        replace_section("False-alarm soak", ["Command:", "", command, "", *output])
    return 1 if false_alarms else 0


if __name__ == "__main__":
    sys.exit(main())
