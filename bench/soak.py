"""False-alarm soak: the default run against the correct reference server, over many seeds and under churn.

A conformance suite must never fail a correct server. This runs the default `apiconform run --api all`
against the embedded reference server for each seed (different data, different draws), then again
with the server inserting records while it is tested (churn), and counts failures (must be 0),
inconclusive and not-exercised verdicts, run time and requests.

    .venv/bin/python bench/soak.py [--seeds 30] [--churn-seeds 10] [--churn 10] [--jobs 2] [--write]

With `--variants`, it soaks the reference server's variants instead (`apiconform serve --list-variants`:
behaviours the documents allow): each variant alone on the APIs it changes, then every variant at once
on every API, for `--variant-seeds` seeds each, next to the default server as a baseline. Every failure or
warning there is a false alarm; the per-variant table names the requirements flagged.

    .venv/bin/python bench/soak.py --variants [--variant-seeds 3] [--variant NAME ...] [--jobs 2] [--write]
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

from apiconform import contract


def _every_api(task: tuple[int, float]) -> dict[str, Any]:
    seed, churn = task
    reports = [apiconform_in_process(api, seed, churn=churn) for api in contract.api_names()]
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
        "api_verdicts": dict(Counter(api["verdict"] for report in reports for api in report["apis"])),
        "flagged": sorted(flagged),
        "seconds": sum(report["bench_seconds"] for report in reports),
        "requests": sum(int(report["requests"]) for report in reports),
    }


ALL_VARIANTS = "all variants"
BASELINE = "none (default server)"
ALARMS = (": fail", ": warn", ": error")


def _variant_task(task: tuple[str, tuple[str, ...], tuple[str, ...], int]) -> dict[str, Any]:
    label, apis, variants, seed = task
    reports = [apiconform_in_process(api, seed, variants=variants) for api in apis]
    flagged: Counter[str] = Counter()
    verdicts: Counter[str] = Counter()
    for report in reports:
        for item in report["requirements"]:
            verdicts[item["verdict"]] += 1
            if item["verdict"] not in ("pass", "waived"):
                flagged[f"{item['id']}: {item['verdict']}"] += 1
    return {
        "label": label,
        "apis": apis,
        "seed": seed,
        "verdicts": dict(verdicts),
        "api_verdicts": dict(Counter(api["verdict"] for report in reports for api in report["apis"])),
        "flagged": dict(flagged),
        "seconds": sum(report["bench_seconds"] for report in reports),
    }


def variant_tasks(names: list[str], seeds: int) -> list[tuple[str, tuple[str, ...], tuple[str, ...], int]]:
    """Each variant alone on the APIs it changes, all of them at once (they all combine), and the baseline."""
    from apiconform.server import VARIANTS

    every = tuple(sorted(contract.api_names()))
    groups: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [(BASELINE, every, ())]
    groups += [(name, VARIANTS[name].apis, (name,)) for name in names]
    # All at once, but a variant that leaves an API nothing to test (a forbidden route) runs alone.
    combinable = tuple(name for name in names if not VARIANTS[name].untestable)
    if len(combinable) > 1:
        groups.append((ALL_VARIANTS, every, combinable))
    return [(label, apis, variants, seed) for label, apis, variants in groups for seed in range(seeds)]


def variant_table(rows: list[dict[str, Any]]) -> tuple[list[str], int]:
    """The per-variant table and the number of false alarms (failed or warned requirements, runs counted)."""
    from apiconform.server import VARIANTS

    lines = [
        "| variant | APIs | runs | fail | warn | inconclusive | not-exercised | failed, warned or error (runs) "
        "| inconclusive or not exercised (runs) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    false_alarms = 0
    labels = list(dict.fromkeys(row["label"] for row in rows))
    for label in labels:
        group = [row for row in rows if row["label"] == label]
        totals: Counter[str] = Counter()
        flags: Counter[str] = Counter()
        for row in group:
            totals.update(row["verdicts"])
            flags.update(dict.fromkeys(row["flagged"], 1))
        # A crash (verdict `error`) is no conformance verdict either: it counts with the false alarms.
        false_alarms += totals["fail"] + totals["warn"] + totals["error"]
        alarms = sorted(flag for flag in flags if flag.endswith(ALARMS))
        other = sorted(flag for flag in flags if not flag.endswith(ALARMS))
        apis = "all" if len(group[0]["apis"]) > 1 else group[0]["apis"][0]
        name = f"`{label}`" if label in VARIANTS else label
        lines.append(
            f"| {name} | {apis} | {len(group)} | {totals['fail']} | {totals['warn']} | {totals['inconclusive']} "
            f"| {totals['not-exercised']} | {', '.join(f'{flag} ({flags[flag]})' for flag in alarms) or '-'} "
            f"| {', '.join(f'{flag} ({flags[flag]})' for flag in other) or '-'} |"
        )
    return lines, false_alarms


def not_passing(rows: list[dict[str, Any]]) -> Counter[str]:
    """The API verdicts other than pass over `rows`: on a correct server (a variant included) each is the
    gate wrong in the other direction, an API it would not let through (an incomplete look, a crash)."""
    found: Counter[str] = Counter()
    for row in rows:
        found.update({verdict: count for verdict, count in row["api_verdicts"].items() if verdict != "pass"})
    return found


def soak_variants(args: argparse.Namespace) -> int:
    from apiconform.server import VARIANTS

    names = args.variant or list(VARIANTS)
    unknown = sorted(set(names) - set(VARIANTS))
    if unknown:
        sys.stderr.write(f"unknown variant(s): {', '.join(unknown)}\n")
        return 2
    started = time.monotonic()
    tasks = variant_tasks(names, args.variant_seeds)
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        rows = list(pool.map(_variant_task, tasks))
    table, false_alarms = variant_table(rows)
    runs = sum(len(row["apis"]) for row in rows)
    stopped = not_passing(rows)
    output = [
        f"Runs of `apiconform run` (default settings) against the embedded reference server with each variant "
        f"switched on alone (on the APIs it changes), then every variant that combines with the others at once "
        f"(every API; one that forbids an API's route runs alone), "
        f"seeds 0..{args.variant_seeds - 1}; the default server is the baseline. {runs} API runs, "
        f"{time.monotonic() - started:.0f} s in all, {environment()}.",
        "",
        f"**False alarms: {false_alarms}** (failed or warned requirements, summed over runs, on servers that "
        "differ from the correct one only in behaviours the documents allow).",
        f"**APIs the gate did not pass: {sum(stopped.values())}** of {runs}"
        + (f" ({', '.join(f'{verdict}: {count}' for verdict, count in stopped.items())})" if stopped else "")
        + " (every MUST judged, or excused by the data or the configuration, on each of the others).",
        "",
        *table,
    ]
    print("\n".join(output))
    if args.write:
        selection = "".join(f" --variant {name}" for name in args.variant)
        command = (
            f"    .venv/bin/python bench/soak.py --variants --variant-seeds {args.variant_seeds}{selection} "
            f"--jobs {args.jobs} --write"
        )
        replace_section("False-alarm soak over variants", ["Command:", "", command, "", *output])
    return 1 if false_alarms or stopped else 0


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
    parser.add_argument("--variants", action="store_true", help="soak the server's variants instead (see above)")
    parser.add_argument("--variant-seeds", type=int, default=3, help="seeds per variant (with --variants)")
    parser.add_argument(
        "--variant", action="append", default=[], metavar="NAME", help="with --variants: only these (repeatable)"
    )
    args = parser.parse_args()
    if args.variants:
        return soak_variants(args)
    started = time.monotonic()
    tasks = [(seed, 0.0) for seed in range(args.seeds)] + [(seed, args.churn) for seed in range(args.churn_seeds)]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        rows = list(pool.map(_every_api, tasks))
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
    # Without churn a correct server must pass; with it, a MUST whose failing example could not be repeated
    # with the data standing still is unjudged, and the gate says incomplete (never fail).
    stopped, stopped_moving = not_passing(still), not_passing(moving)
    output = [
        f"Runs of `apiconform run --api all` (every API, default settings), seeds 0..{args.seeds - 1} without "
        f"churn and 0..{args.churn_seeds - 1} with churn; {time.monotonic() - started:.0f} s in all, {environment()}.",
        "",
        f"**False alarms: {false_alarms}** (failed or warned requirements on a correct server).",
        f"**APIs the gate did not pass: {sum(stopped.values())}** of {len(still) * len(contract.api_names())} "
        f"without churn{' (' + ', '.join(f'{v}: {n}' for v, n in stopped.items()) + ')' if stopped else ''}; "
        f"under churn {sum(stopped_moving.values())} of {len(moving) * len(contract.api_names())}"
        f"{' (' + ', '.join(f'{v}: {n}' for v, n in stopped_moving.items()) + ')' if stopped_moving else ''}.",
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
    return 1 if false_alarms or stopped else 0


if __name__ == "__main__":
    sys.exit(main())
