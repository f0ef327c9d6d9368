"""A throttled target: how a default `apiconform run` fares against a vendor enforcing BitGo's documented rate limit.

Starts `apiconform serve --latency-ms 100 --throttle 360/60` (a separate process on loopback: every
answer 100 ms late, each bearer token served 360 requests per fixed 60 s window and answered 429 with
a Retry-After past them, the limit BitGo documents), then runs, under bench/_peak.py,

    apiconform run --api bitgo-oes --base-url URL --token T --enterprise-id ID --report-dir DIR --quiet

with no --rate-limit: the pace apiconform chooses by default is what is measured (--quiet only keeps
its progress off stdout). It prints the exit code, the verdict line, what report.json says of the
traffic (`requests`; of `apis[0]`: `rate_limit`, `retries_on_429`, `waited_on_429_seconds`,
`stopped_reason`), the wall time and peak RSS, and how many requests the server answered 429 (the
server prints that count when it stops; see server/cli.py).

    .venv/bin/python bench/throttled.py [--latency-ms 100] [--throttle 360/60] [--api bitgo-oes] [--write]
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_results import replace_section
from harness import SPECS, environment, reference_server
from speed import Server, run_apiconform

from apiconform.server.cli import parse_throttle, throttle_text

SECTION = "Throttled target"


def _log(message: str) -> None:
    sys.stderr.write(f"[throttled] {message}\n")
    sys.stderr.flush()


def run_default(api: str, base_url: str, enterprise_id: str) -> tuple[int, str, float, float, dict[str, Any]]:
    """A default `apiconform run` (no --rate-limit) against one API of a running server, as bench/speed.py
    runs it: exit code, verdict line, wall seconds, peak RSS in MB, and its report.json."""
    measured_run, report = run_apiconform(api, Server({api: base_url}, enterprise_id), seed=0, rate_limit=None)
    return measured_run.exit_code, measured_run.note, measured_run.seconds, measured_run.peak_rss_mb, report


def table(
    exit_code: int, verdict: str, seconds: float, peak_rss_mb: float, report: dict[str, Any], answered_429: str
) -> list[str]:
    """The figures as a Markdown table: what the run saw, and what the server answered."""
    traffic = report["apis"][0]
    rate = traffic.get("rate_limit")
    requests = int(report["requests"])
    rows = [
        ("exit code", str(exit_code)),
        ("verdict", f"`{verdict}`" if verdict else "(none printed)"),
        ("requests sent (`requests`)", str(requests)),
        ("pace applied (`apis[0].rate_limit`)", "unpaced" if rate is None else f"{float(rate):g} requests/s"),
        ("retries on 429 (`apis[0].retries_on_429`)", str(traffic.get("retries_on_429", 0))),
        ("waited on 429 (`apis[0].waited_on_429_seconds`)", f"{traffic.get('waited_on_429_seconds', 0):g} s"),
        ("stopped early (`apis[0].stopped_reason`)", traffic.get("stopped_reason") or "no"),
        ("wall time", f"{seconds:.1f} s ({requests / seconds:.2f} requests/s)"),
        ("peak RSS", f"{peak_rss_mb:.0f} MB"),
        ("429s the server answered", answered_429),
    ]
    # A "|" in a value (the verdict, a stop reason) would end its table cell.
    cells = ((name, value.replace("|", "\\|")) for name, value in rows)
    return ["| figure | result |", "| --- | --- |", *(f"| {name} | {value} |" for name, value in cells)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency-ms", type=float, default=100.0, help="the reference server's latency (default 100)")
    parser.add_argument(
        "--throttle",
        default="360/60",
        metavar="REQUESTS/SECONDS",
        help="the reference server's rate limit per token (default 360/60, BitGo's documented limit)",
    )
    parser.add_argument("--api", default="bitgo-oes", choices=sorted(SPECS), help="the API to run (default bitgo-oes)")
    parser.add_argument("--write", action="store_true", help=f'update the section "{SECTION}" of bench/RESULTS.md')
    args = parser.parse_args(argv)
    if not (math.isfinite(args.latency_ms) and args.latency_ms >= 0):
        parser.error("--latency-ms must be a finite number, zero or more")
    throttle = parse_throttle(args.throttle)
    if throttle is None:
        parser.error("--throttle must be REQUESTS/SECONDS: 1 or more requests per a finite, positive number of seconds")

    serve = f"apiconform serve --latency-ms {args.latency_ms:g} --throttle {args.throttle}"
    _log(f"{args.api}: default apiconform run against `{serve}`")
    with reference_server(latency_ms=args.latency_ms, throttle=args.throttle) as server:
        exit_code, verdict, seconds, peak, report = run_default(args.api, server[args.api], server["enterprise-id"])
        _log(f"  {report['requests']} requests in {seconds:.1f} s, exit {exit_code}")
    # The server says how many 429s it answered only as it stops, i.e. now that the block has ended.
    answered_429 = server.get("answered-429", "unknown (the server did not say)")
    output = [
        f"A default `apiconform run --api {args.api}` (no --rate-limit) against `{serve}` (a separate process on "
        f"loopback: each token served {throttle_text(throttle)}, then 429 with a "
        f"Retry-After until the window ends), {environment()}. The run is a new process under bench/_peak.py: "
        "wall time includes start-up. The 429 count is the server's own.",
        "",
        *table(exit_code, verdict, seconds, peak, report, answered_429),
    ]
    print("\n".join(output))
    if args.write:
        command = f"    .venv/bin/python bench/throttled.py --latency-ms {args.latency_ms:g} --throttle {args.throttle}"
        if args.api != "bitgo-oes":
            command += f" --api {args.api}"
        replace_section(SECTION, ["Command:", "", command + " --write", "", *output])
    return 0


if __name__ == "__main__":
    sys.exit(main())
