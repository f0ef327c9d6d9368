"""`apiconform serve`: run the reference server in the foreground until Ctrl+C (or SIGTERM).

With --throttle, the last lines it prints when it stops include
`throttle answered N requests with 429 Too Many Requests` (bench/throttled.py reads N).
"""

from __future__ import annotations

import argparse
import ipaddress
import math
import re
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any

from apiconform.exitcodes import ExitCode
from apiconform.server.faults import FAULTS, UnknownFaultError
from apiconform.server.runner import MAX_RECORDS, ReferenceServer
from apiconform.server.variants import (
    ALREADY_DEFAULT,
    VARIANTS,
    IncompatibleVariantError,
    UnknownVariantError,
    conflicts,
)

DEFAULT_PORT = 8000
_THROTTLE = re.compile(r"([0-9]+)/([^/]+)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the `serve` options on its subparser."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, loopback)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT}; 0 = any free)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated data (default: 0)")
    parser.add_argument("--records", type=int, default=2000, help="records per API (default: 2000)")
    parser.add_argument("--token", help="bearer token to require (default: a random one, printed once)")
    parser.add_argument(
        "--fault", action="append", default=[], metavar="NAME", help="switch on a fault (repeatable; see --list-faults)"
    )
    parser.add_argument("--list-faults", action="store_true", help="list the faults and the requirement each breaks")
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME",
        help="switch on a legitimate behaviour the documents allow (repeatable; see --list-variants)",
    )
    parser.add_argument(
        "--list-variants", action="store_true", help="list the variants, the APIs each changes and why it is allowed"
    )
    parser.add_argument("--churn", type=float, default=0.0, metavar="N", help="insert N new records per second per API")
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        metavar="MS",
        help="answer every request MS milliseconds late, as a distant vendor would (default: 0)",
    )
    parser.add_argument(
        "--throttle",
        metavar="REQUESTS/SECONDS",
        help="serve each bearer token (or client, without one) REQUESTS requests per fixed window of SECONDS"
        " and answer 429 with a Retry-After past them (BitGo documents 360/60; default: no throttle)",
    )
    parser.add_argument(
        "--no-brm-auth", dest="brm_auth", action="store_false", help="serve BRM without a token (an Oracle test system)"
    )


def _write(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _fail(message: str) -> int:
    sys.stderr.write(f"apiconform serve: error: {message}\n")
    return ExitCode.USAGE


def parse_throttle(text: str) -> tuple[int, float] | None:
    """`--throttle`'s REQUESTS/SECONDS as (requests, seconds); None unless 1 or more requests per a finite,
    positive number of seconds."""
    match = _THROTTLE.fullmatch(text.strip())
    if match is None:
        return None
    requests = int(match.group(1))
    try:
        seconds = float(match.group(2))
    except ValueError:
        return None
    if requests < 1 or not (math.isfinite(seconds) and seconds > 0):
        return None
    return requests, seconds


def throttle_text(throttle: tuple[int, float] | None) -> str:
    """A throttle as the start-up line says it: `360 requests per 60 s`, or `none`."""
    return "none" if throttle is None else f"{throttle[0]} requests per {throttle[1]:g} s"


def fault_table() -> str:
    """The faults as a text table: name, API, requirement, description."""
    header = ("NAME", "API", "REQUIREMENT", "DESCRIPTION")
    rows = [(f.name, f.api, f.requirement, f.description) for f in FAULTS.values()]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(3)]
    lines = []
    for row in (header, tuple("-" * len(cell) for cell in header), *rows):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)) + "  " + row[3])
    return "\n".join(lines)


def variant_table() -> str:
    """The variants as a text table: name, API(s), description, and the basis on a second line."""
    header = ("NAME", "API", "DESCRIPTION")
    rows = [(v.name, ",".join(v.apis), v.description) for v in VARIANTS.values()]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(2)]
    lines = []
    for row in (header, tuple("-" * len(cell) for cell in header), *rows):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row[:2], widths, strict=True)) + "  " + row[2])
    indent = " " * (sum(widths) + 4)
    out = lines[:2]
    for line, variant in zip(lines[2:], VARIANTS.values(), strict=True):
        out.append(line)
        out.append(f"{indent}basis: {variant.basis}")
        if variant.conflicts:
            out.append(f"{indent}not with faults: {', '.join(variant.conflicts)}")
        if variant.release:
            out.append(f"{indent}judge it as: apiconform run --release {variant.release}")
    out.append("")
    out += [f"already the server's default, so not a variant: {name} ({why})" for name, why in ALREADY_DEFAULT.items()]
    out.append("Variants combine with each other; a variant and a fault that change the same behaviour are refused.")
    return "\n".join(out)


def _usage_problem(args: argparse.Namespace) -> str | None:
    if not 0 <= args.port <= 65535:
        return f"--port must be between 0 and 65535, got {args.port}"
    if not 0 <= args.records <= MAX_RECORDS:
        return f"--records must be between 0 and {MAX_RECORDS}, got {args.records}"
    if not args.churn >= 0 or args.churn == float("inf"):
        return f"--churn must be a finite number of records per second, got {args.churn}"
    if not (math.isfinite(args.latency_ms) and args.latency_ms >= 0):
        return f"--latency-ms must be a finite number of milliseconds, zero or more, got {args.latency_ms:g}"
    if args.throttle is not None and parse_throttle(args.throttle) is None:
        return (
            "--throttle must be REQUESTS/SECONDS, a whole number of requests, 1 or more, per a finite number of"
            f" seconds, more than zero, got {args.throttle!r}"
        )
    if args.token is not None and (not args.token or not args.token.isprintable() or " " in args.token):
        return "--token must be a non-empty printable string without spaces"
    unknown = [name for name in args.fault if name not in FAULTS]
    if unknown:
        return str(UnknownFaultError(unknown))
    unknown = [name for name in args.variant if name not in VARIANTS]
    if unknown:
        return str(UnknownVariantError(unknown))
    clashes = conflicts(args.variant, args.fault)
    if clashes:
        return str(IncompatibleVariantError(clashes))
    return None


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _ready_message(server: ReferenceServer, args: argparse.Namespace) -> list[str]:
    allocations = f"{server.api_base_url('bitgo-oes')}/enterprises/{server.enterprise_id}/partners/allocations"
    connections = f"{server.api_base_url('bitgo-connections')}/enterprises/{server.enterprise_id}/partners/connections"
    token_line = f"generated for this run: {server.token}" if server.token_generated else "from --token (not shown)"
    faults = ", ".join(sorted(args.fault)) or "none"
    variants = ", ".join(sorted(args.variant)) or "none"
    return [
        f"apiconform reference server ready: seed {args.seed}, {args.records} records per API,"
        f" churn {args.churn:g}/s per API, latency {args.latency_ms:g} ms, throttle {throttle_text(server.throttle)},"
        f" faults: {faults}, variants: {variants}",
        f"  bitgo-oes           {server.api_base_url('bitgo-oes')}",
        f"    allocations       {allocations}",
        f"  bitgo-connections   {server.api_base_url('bitgo-connections')}",
        f"    connections       {connections}",
        f"  brm-adjust-balance  {server.api_base_url('brm-adjust-balance')}",
        f"    adjustBalance     {server.api_base_url('brm-adjust-balance')}/adjustBalance",
        f"  enterprise id       {server.enterprise_id}",
        f"  bearer token        {token_line}",
        f"  BRM auth            {'required' if server.brm_auth else 'off (--no-brm-auth)'}",
        "Press Ctrl+C to stop.",
    ]


def serve(args: argparse.Namespace) -> int:
    """Serve until interrupted; 0 on a clean stop, 2 for a usage error (bad option, port in use)."""
    if args.list_faults:
        _write(fault_table())
        return ExitCode.PASS
    if args.list_variants:
        _write(variant_table())
        return ExitCode.PASS
    problem = _usage_problem(args)
    if problem is not None:
        return _fail(problem)
    server = ReferenceServer(
        seed=args.seed,
        records=args.records,
        token=args.token,
        faults=args.fault,
        variants=args.variant,
        churn=args.churn,
        brm_auth=args.brm_auth,
        latency_ms=args.latency_ms,
        throttle=None if args.throttle is None else parse_throttle(args.throttle),
        host=args.host,
        port=args.port,
    )
    if not _is_loopback(args.host):
        sys.stderr.write(f"apiconform serve: warning: listening on {args.host}, not only on loopback\n")
    try:
        server.start()
    except OSError as exc:
        return _fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
    stop = threading.Event()
    previous = _on_signals((signal.SIGINT, signal.SIGTERM), stop)
    try:
        for line in _ready_message(server, args):
            _write(line)
        stop.wait()
    finally:
        _restore_signals(previous)
        server.stop()
    if server.throttle is not None:
        # The count a benchmark reads: how hard a client ran into the limit.
        _write(f"throttle answered {server.throttled} requests with 429 Too Many Requests")
    _write("apiconform reference server stopped")
    return ExitCode.PASS


_Handler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


def _on_signals(signals: Sequence[signal.Signals], stop: threading.Event) -> dict[signal.Signals, _Handler]:
    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous: dict[signal.Signals, _Handler] = {}
    for signum in signals:
        previous[signum] = signal.signal(signum, handle)
    return previous


def _restore_signals(previous: dict[signal.Signals, _Handler]) -> None:
    for signum, handler in previous.items():
        # None means a handler not installed from Python; the default is the closest thing to restore.
        signal.signal(signum, signal.SIG_DFL if handler is None else handler)
