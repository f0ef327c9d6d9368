"""Speed on a distant vendor: apiconform and plain schemathesis side by side, in one run.

For each API, against `apiconform serve --latency-ms MS` (a separate process on loopback, every
answer MS late, as from a distant vendor):

  (a) `apiconform run --api API --base-url URL --token T --enterprise-id ID` at its default pace
      (or at --rate-limit), then
  (b) plain `schemathesis run SPEC --url URL -H "Authorization: Bearer T"` (all checks, one worker)
      on the API's list operation, at the same pace and with --max-examples chosen so that it sends
      as many requests as (a) did. The number is found by running schemathesis first against a second,
      latency-free reference server, unpaced (its request count does not depend on either).

Each run is a fresh process under bench/_peak.py: wall time (start-up included), requests sent, peak
RSS and exit code, as a user would see them.

The pace (b) gets is the one (a) ran at: --rate-limit when given; otherwise the rate apiconform's
report.json states it applied to the API (`apis[].rate_limit`, requests per second). No pacing
figure is written here, so the comparison follows apiconform's defaults as they change.

    .venv/bin/python bench/speed.py [--latency-ms 150] [--rate-limit RPS] [--apis bitgo-oes,...] [--write]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_results import replace_section
from harness import APICONFORM, ROOT, SCHEMATHESIS, SPECS, TOKEN, environment, measured, reference_server

SECTION = "Speed: side by side with schemathesis"
CALIBRATION_ROUNDS = 4


@dataclass(frozen=True)
class Server:
    """A running `apiconform serve`: base URL per API and the enterprise id."""

    base_urls: dict[str, str]
    enterprise_id: str


@dataclass(frozen=True)
class Measured:
    """One run of one tool on one API."""

    api: str
    tool: str
    exit_code: int
    seconds: float
    requests: int
    peak_rss_mb: float
    rate: float | None  # requests per second it was paced at; None = unpaced
    note: str = ""


def _log(message: str) -> None:
    sys.stderr.write(f"[speed] {message}\n")
    sys.stderr.flush()


@contextmanager
def serve(latency_ms: float, seed: int) -> Iterator[Server]:
    """`apiconform serve --latency-ms` on a free loopback port, stopped with SIGINT afterwards."""
    with reference_server(seed=seed, latency_ms=latency_ms) as found:
        yield Server({api: found[api] for api in SPECS}, found["enterprise-id"])


def _spec(api: str) -> Path:
    return ROOT / SPECS[api][0]


def _takes_enterprise_id(api: str) -> bool:
    return "{enterpriseId}" in _spec(api).read_text(encoding="utf-8")


def applied_rate(report: dict[str, Any], api: str) -> float | None:
    """The pace apiconform's report says it applied to `api`, in requests per second (None: unpaced / not stated).

    The per-API figure (`apis[].rate_limit`) is the one applied; `settings.rate_limit` is the user's
    --rate-limit, which applies to every API."""
    for entry in report.get("apis", []):
        if entry.get("api") == api and entry.get("rate_limit") is not None:
            return float(entry["rate_limit"])
    stated = report.get("settings", {}).get("rate_limit")
    return None if stated is None else float(stated)


def schemathesis_rate(rps: float) -> tuple[str, float]:
    """`--rate-limit` for schemathesis (`<int>/<s|m|h>`): the shortest window holding a whole number of requests
    (per second keeps its bursts as small as apiconform's pace allows), and the rate that string means."""
    for unit, seconds in (("s", 1), ("m", 60), ("h", 3600)):
        count = rps * seconds
        if count >= 1 and math.isclose(count, round(count), rel_tol=1e-9, abs_tol=1e-9):
            return f"{round(count)}/{unit}", round(count) / seconds
    count = max(1, round(rps * 3600))
    return f"{count}/h", count / 3600


def run_apiconform(api: str, server: Server, *, seed: int, rate_limit: float | None) -> tuple[Measured, dict[str, Any]]:
    """`apiconform run` against one API of a running server, at its default pace unless `rate_limit` is given."""
    with tempfile.TemporaryDirectory(prefix="apiconform-speed-") as scratch:
        report_dir = Path(scratch, "report")
        command = [
            *APICONFORM, "run", "--api", api, "--base-url", server.base_urls[api], "--token", TOKEN,
            "--seed", str(seed), "--report-dir", str(report_dir), "--quiet",
        ]  # fmt: skip
        if _takes_enterprise_id(api):
            command += ["--enterprise-id", server.enterprise_id]
        if rate_limit is not None:
            command += ["--rate-limit", f"{rate_limit:g}"]
        completed, seconds, peak = measured(command, cwd=scratch)
        report_path = report_dir / "report.json"
        if not report_path.exists():
            raise RuntimeError(f"apiconform wrote no report (exit {completed.returncode}):\n{completed.stderr}")
        report: dict[str, Any] = json.loads(report_path.read_text(encoding="utf-8"))
    verdict = completed.stdout.strip().splitlines()[-1] if completed.stdout.strip() else ""
    rate = applied_rate(report, api) if rate_limit is None else rate_limit
    result = Measured(api, "apiconform", completed.returncode, seconds, int(report["requests"]), peak, rate, verdict)
    return result, report


def run_schemathesis(
    api: str,
    server: Server,
    *,
    seed: int,
    max_examples: int,
    rate_limit: str | None,
    request_timeout: float | None,
) -> tuple[int, float, int, float]:
    """Plain `schemathesis run` (all checks, one worker) on one API's list operation: exit code, seconds,
    requests (its HAR's entries), peak RSS in MB."""
    _, operation = SPECS[api]
    with tempfile.TemporaryDirectory(prefix="apiconform-speed-st-") as scratch:
        config = Path(scratch, "schemathesis.toml")
        config.write_text(f'[parameters]\n"path.enterpriseId" = "{server.enterprise_id}"\n', encoding="utf-8")
        reports = Path(scratch, "reports")
        command = [
            *SCHEMATHESIS, "--config-file", str(config), "run", str(_spec(api)), "--url", server.base_urls[api],
            "-H", f"Authorization: Bearer {TOKEN}", "--checks", "all", "--seed", str(seed),
            "--max-examples", str(max_examples), "--include-operation-id", operation, "--continue-on-failure",
            "--report", "har", "--report-dir", str(reports), "--no-color", "--workers", "1",
            "--generation-database", "none",
        ]  # fmt: skip
        if rate_limit is not None:
            command += ["--rate-limit", rate_limit]
        if request_timeout is not None:
            command += ["--request-timeout", f"{request_timeout:g}"]
        completed, seconds, peak = measured(command, cwd=scratch)
        hars = list(reports.glob("har-*.json"))
        if not hars:
            raise RuntimeError(f"schemathesis wrote no HAR (exit {completed.returncode}):\n{completed.stdout[-2000:]}")
        requests = len(json.loads(hars[0].read_text(encoding="utf-8"))["log"]["entries"])
    return completed.returncode, seconds, requests, peak


def calibrate(api: str, server: Server, budget: int, *, seed: int) -> tuple[int, int]:
    """The --max-examples that makes schemathesis send closest to `budget` requests (found unpaced, on a
    latency-free server), and the requests it sends with it.

    Its coverage phase sends a fixed number of requests whatever --max-examples says; fuzzing adds
    about one per example. So: measure at 1, step by the slope, keep the closest."""

    def requests_at(n: int) -> int:
        count = run_schemathesis(api, server, seed=seed, max_examples=n, rate_limit=None, request_timeout=None)[2]
        _log(f"  calibrating schemathesis on {api}: --max-examples {n} -> {count} requests (budget {budget})")
        return count

    tried = {1: requests_at(1)}
    if tried[1] >= budget:
        return 1, tried[1]
    n = budget - tried[1] + 1
    for _ in range(CALIBRATION_ROUNDS):
        if n in tried:
            break
        tried[n] = requests_at(n)
        if tried[n] == budget:
            break
        # Secant step through the two nearest tries on either side of the budget (or the last two tries).
        below = max((k for k, v in tried.items() if v < budget), default=1)
        above = min((k for k, v in tried.items() if v > budget), default=None)
        low, high = (below, above) if above is not None else sorted(tried, key=lambda k: tried[k])[-2:]
        slope = Fraction(tried[high] - tried[low], high - low) if high != low else Fraction(1)
        if slope <= 0:
            break
        n = max(1, low + round((budget - tried[low]) / slope))
    best = min(tried, key=lambda k: (abs(tried[k] - budget), k))
    return best, tried[best]


def _pace(rate: float | None, flag: str | None = None) -> str:
    if rate is None:
        return "unpaced"
    return f"{rate:g}/s" + (f" (`--rate-limit {flag}`)" if flag else "")


def table(results: Sequence[Measured]) -> list[str]:
    rows = [
        "| API | tool | pace | wall time | requests | requests / s | peak RSS | exit code |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        pace = _pace(r.rate, schemathesis_rate(r.rate)[0] if r.tool == "schemathesis" and r.rate else None)
        rows.append(
            f"| {r.api} | {r.tool} | {pace} | {r.seconds:.1f} s | {r.requests} | {r.requests / r.seconds:.2f} "
            f"| {r.peak_rss_mb:.0f} MB | {r.exit_code} |"
        )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency-ms", type=float, default=150.0, help="the reference server's latency (default 150)")
    parser.add_argument(
        "--rate-limit",
        type=float,
        metavar="RPS",
        help="requests per second for both tools (default: apiconform's own default pace, matched for schemathesis)",
    )
    parser.add_argument("--apis", default=",".join(SPECS), help=f"comma-separated (default {','.join(SPECS)})")
    parser.add_argument("--seed", type=int, default=0, help="seed of both tools (default 0)")
    parser.add_argument("--write", action="store_true", help=f'update the section "{SECTION}" of bench/RESULTS.md')
    args = parser.parse_args(argv)
    apis = [api.strip() for api in args.apis.split(",") if api.strip()]
    unknown = [api for api in apis if api not in SPECS]
    if unknown or not apis:
        parser.error(f"--apis: expected some of {', '.join(SPECS)}, got {args.apis!r}")
    if not (math.isfinite(args.latency_ms) and args.latency_ms >= 0):
        parser.error("--latency-ms must be a finite number, zero or more")
    if args.rate_limit is not None and not (math.isfinite(args.rate_limit) and args.rate_limit > 0):
        parser.error("--rate-limit must be a positive number of requests per second")

    results: list[Measured] = []
    notes: list[str] = []
    with ExitStack() as stack:
        distant = stack.enter_context(serve(args.latency_ms, args.seed))
        near = stack.enter_context(serve(0, args.seed))
        for api in apis:
            _log(f"{api}: apiconform run against the server {args.latency_ms:g} ms away")
            ours, report = run_apiconform(api, distant, seed=args.seed, rate_limit=args.rate_limit)
            _log(f"  {ours.requests} requests in {ours.seconds:.1f} s, exit {ours.exit_code}, pace {_pace(ours.rate)}")
            results.append(ours)
            if ours.note:
                notes.append(f"- {api}, apiconform: `{ours.note}`")
            if args.rate_limit is None and ours.rate is None:
                notes.append(
                    f"- {api}: apiconform's report.json states no rate for this API, so schemathesis ran unpaced."
                )
            n, expected = calibrate(api, near, ours.requests, seed=args.seed)
            rate = schemathesis_rate(ours.rate) if ours.rate is not None else None
            _log(f"{api}: schemathesis run --max-examples {n} at {rate[0] if rate else 'no rate limit'}")
            code, seconds, sent, peak = run_schemathesis(
                api,
                distant,
                seed=args.seed,
                max_examples=n,
                rate_limit=rate[0] if rate else None,
                request_timeout=report.get("settings", {}).get("request_timeout"),
            )
            _log(f"  {sent} requests in {seconds:.1f} s, exit {code}")
            theirs = Measured(api, "schemathesis", code, seconds, sent, peak, rate[1] if rate else None)
            results.append(theirs)
            notes.append(
                f"- {api}, schemathesis: `--max-examples {n}` (calibrated latency-free to {expected} requests "
                f"for apiconform's {ours.requests})."
            )

    output = [
        f"Both tools against `apiconform serve --latency-ms {args.latency_ms:g}` (a separate process on loopback), "
        f"one run after the other, seed {args.seed}, {environment()}. Each run is a new process under "
        "bench/_peak.py: wall time includes start-up; requests are those apiconform's report and schemathesis' "
        "HAR count. schemathesis: all checks, one worker, the list operation only, at the pace apiconform "
        + ("was given." if args.rate_limit is not None else "applied by default.")
        + " apiconform exits 0 for pass; schemathesis exits 1 when any check failed.",
        "",
        *table(results),
        "",
        *notes,
    ]
    print("\n".join(output))
    if args.write:
        command = f"    .venv/bin/python bench/speed.py --latency-ms {args.latency_ms:g}"
        if args.rate_limit is not None:
            command += f" --rate-limit {args.rate_limit:g}"
        if apis != list(SPECS):
            command += f" --apis {','.join(apis)}"
        replace_section(SECTION, ["Command:", "", command + " --write", "", *output])
    return 0


if __name__ == "__main__":
    sys.exit(main())
