"""The `apiconform` command line."""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from apiconform import contract

EXIT_OK = 0
EXIT_NONCONFORMANT = 1
EXIT_USAGE = 2
EXIT_UNTESTABLE = 3


class UsageError(Exception):
    """Bad input from the user: reported in one line, exit code 2."""


def _apis(choice: str) -> list[str]:
    return list(contract.API_NAMES) if choice == "all" else [choice]


def _table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(len(header))]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def cmd_catalog(args: argparse.Namespace) -> int:
    """Validate the specs and print the requirement catalog."""
    for api in _apis(args.api):
        loaded = contract.load(api)
        rows = [(r.id, r.level, r.family, r.title, ", ".join(r.checks)) for r in loaded.requirements]
        print(f"{loaded.semantics.title}  [{api}]")
        print(f"spec {loaded.spec_path.name} (sha256 {loaded.spec_sha256[:12]}), {len(rows)} requirements")
        print(_table(rows, ("ID", "LEVEL", "FAMILY", "REQUIREMENT", "CHECKS")))
        print()
    return EXIT_OK


def _read_token(args: argparse.Namespace) -> str | None:
    """The token from --token, --token-file or $APICONFORM_TOKEN (in that order)."""
    if args.token:
        return _checked_token(str(args.token), "--token")
    if args.token_file:
        try:
            token = Path(args.token_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UsageError(f"--token-file: cannot read {args.token_file}: {exc.strerror}") from exc
        except UnicodeDecodeError:
            raise UsageError(f"--token-file: {args.token_file} is not UTF-8 text") from None
        if not token:
            raise UsageError(f"--token-file: {args.token_file} is empty")
        return _checked_token(token, "--token-file")
    return _checked_token(os.environ.get("APICONFORM_TOKEN") or None, "$APICONFORM_TOKEN")


def cmd_run(args: argparse.Namespace) -> int:
    """Run the conformance suite against a target (or the embedded reference server)."""
    from apiconform.engine import plugin, runner
    from apiconform.engine.session import ConfigurationError, RunConfig
    from apiconform.reporting.browser import BrowserError
    from apiconform.reporting.waivers import WaiverError, load_waivers

    apis = _apis(args.api)
    _check_limits(args)
    artefacts = runner.Artefacts(har=args.har, cassette=args.cassette, screenshot=args.screenshot)
    try:
        config = RunConfig(
            apis=apis,
            base_urls=plugin.resolve_base_urls(apis, args.base_url),
            token=_read_token(args),
            enterprise_id=args.enterprise_id,
            seed=args.seed,
            rate_limit=args.rate_limit,
            max_time=args.max_time,
            timeout=args.request_timeout,
            allow_unsafe_methods=args.allow_unsafe_methods,
            ca_bundle=plugin.ca_bundle_path(args.ca_bundle, args.insecure),
            insecure=args.insecure,
            max_response_bytes=int(args.max_response_size * 1024 * 1024),
            report_dir=args.report_dir,
            waivers=load_waivers(args.waivers) if args.waivers else (),
            secret_headers=_secret_headers(args.secret_header),
            embedded_faults=tuple(args.reference_fault),
            embedded_variants=_reference_variants(args),
            embedded_churn=args.reference_churn,
        )
        if args.max_examples is not None:
            config.max_examples = args.max_examples
        if args.max_requests is not None:
            config.max_requests = args.max_requests
        plugin.validate(config)
        runner.check_artefacts(artefacts)
    except (ConfigurationError, WaiverError) as exc:
        raise UsageError(str(exc)) from exc
    except BrowserError as exc:
        raise UsageError(f"--screenshot: {exc}") from exc
    return runner.run(config, quiet=args.quiet, verbose=args.verbose, artefacts=artefacts)


def _reference_variants(args: argparse.Namespace) -> tuple[str, ...]:
    """The --reference-variant names, checked against the server's variants and the faults asked for."""
    from apiconform.server.variants import VARIANTS, IncompatibleVariantError, conflicts

    if not args.reference_variant:
        return ()
    if args.base_url:
        raise UsageError("--reference-variant applies to the embedded server, not a --base-url")
    unknown = sorted(set(args.reference_variant) - set(VARIANTS))
    if unknown:
        raise UsageError(f"unknown reference variant(s) {', '.join(unknown)}; see apiconform serve --list-variants")
    clashes = conflicts(args.reference_variant, args.reference_fault)
    if clashes:
        raise UsageError(str(IncompatibleVariantError(clashes)))
    return tuple(args.reference_variant)


def _check_limits(args: argparse.Namespace) -> None:
    """Every numeric limit of `run` must be a finite positive number (argparse takes "nan" and "inf" as floats)."""
    for option, value in (
        ("--rate-limit", args.rate_limit),
        ("--max-time", args.max_time),
        ("--request-timeout", args.request_timeout),
        ("--max-response-size", args.max_response_size),
    ):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise UsageError(f"{option} must be a positive number of {_UNITS[option]}, got {value}")
    if args.max_response_size * 1024 * 1024 < 1024:
        raise UsageError("--max-response-size must be at least 0.001 MiB (1 KiB)")


_UNITS = {
    "--rate-limit": "requests per second",
    "--max-time": "seconds",
    "--request-timeout": "seconds",
    "--max-response-size": "MiB",
}


# A bearer token as RFC 6750 writes it (b64token), so it can travel in a header as it is and never
# needs quoting or escaping in an error message (an escaped secret would slip past the redaction).
_BEARER_TOKEN = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")


# Every occurrence of the token is replaced in what the run writes; a shorter one would also match the
# reports' own words ("test" in "untestable") and could not be told apart from them.
MIN_TOKEN_LENGTH = 8


def _checked_token(token: str | None, source: str) -> str | None:
    # Never show the value: it is a secret, however malformed.
    if token is not None and not _BEARER_TOKEN.match(token):
        raise UsageError(f"{source}: the token holds characters a bearer token cannot (spaces, control or non-ASCII)")
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        raise UsageError(
            f"{source}: a token shorter than {MIN_TOKEN_LENGTH} characters cannot be kept out of the reports "
            "(it would match their own text); a server that accepts any token can be tested without one"
        )
    return token


# An HTTP header name (an RFC 9110 token).
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")


def _secret_headers(names: Sequence[str]) -> tuple[str, ...]:
    for name in names:
        if not _HEADER_NAME.match(name):
            raise UsageError(f"--secret-header {name!r}: not an HTTP header name")
    return tuple(dict.fromkeys(names))


def cmd_report(args: argparse.Namespace) -> int:
    """Re-render a stored report.json as HTML, Markdown or JUnit XML."""
    from apiconform.reporting import ReportError, load_report, render

    try:
        report = load_report(args.report)
    except ReportError as exc:
        raise UsageError(str(exc)) from exc
    text = render(report, args.format)
    if args.output is None:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--output: cannot write {args.output}: {exc.strerror or exc}") from exc
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    """Compare two reports: exit 1 when a requirement fails now that did not before."""
    from apiconform.reporting import ReportError
    from apiconform.reporting.diff import diff_reports, load_diffable, render_diff

    try:
        old, new = load_diffable(args.old), load_diffable(args.new)
    except ReportError as exc:
        raise UsageError(str(exc)) from exc
    result = diff_reports(old, new)
    sys.stdout.write(render_diff(result, args.old, args.new))
    return EXIT_NONCONFORMANT if result.has_regressions else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="apiconform", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    catalog = commands.add_parser("catalog", help="validate the specs and print the requirement catalog")
    catalog.add_argument("--api", choices=[*contract.API_NAMES, "all"], default="all")
    catalog.set_defaults(handler=cmd_catalog)

    run = commands.add_parser("run", help="test an API's conformance and write reports")
    run.add_argument("--api", choices=[*contract.API_NAMES, "all"], default="all")
    run.add_argument(
        "--base-url",
        action="append",
        default=[],
        metavar="[API=]URL",
        help="the API's base URL (with --api all: the root both APIs hang off, or API=URL per API); "
        "omit to test the embedded reference server",
    )
    run.add_argument(
        "--token", help="bearer token (prefer $APICONFORM_TOKEN or --token-file: argv is visible to others)"
    )
    run.add_argument("--token-file", metavar="FILE", help="read the bearer token from FILE")
    run.add_argument("--enterprise-id", help="BitGo enterprise id (the partner's enterprise)")
    run.add_argument("--report-dir", metavar="DIR", help="write the reports here (default reports/<api>-<timestamp>/)")
    run.add_argument("--seed", type=int, default=0, help="seed for every generated value (default 0)")
    run.add_argument("--max-examples", type=int, metavar="N", help="fuzzing examples per operation")
    run.add_argument(
        "--rate-limit",
        type=float,
        metavar="RPS",
        help="requests per second (default: unpaced on loopback, 10 elsewhere)",
    )
    run.add_argument("--max-requests", type=int, metavar="N", help="request budget per API (default 4000)")
    run.add_argument(
        "--max-time",
        type=float,
        metavar="SECONDS",
        help="time budget of the run: no request is sent or waited for after it (the reports follow within seconds)",
    )
    run.add_argument(
        "--request-timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="the longest one request may take, connection, headers and body together (default 30)",
    )
    run.add_argument(
        "--max-response-size",
        type=float,
        default=8.0,
        metavar="MiB",
        help="read at most this much of a response body, after decompression (default 8); "
        "a larger body is a transport error",
    )
    run.add_argument(
        "--ca-bundle",
        metavar="FILE",
        help="verify the target's TLS certificate against the CA certificates in FILE (PEM) instead of the system's",
    )
    run.add_argument(
        "--insecure",
        action="store_true",
        help="do not verify the target's TLS certificate (every report says so)",
    )
    run.add_argument(
        "--allow-unsafe-methods",
        action="store_true",
        help="also send PUT, PATCH and DELETE to check for 405 (never POST)",
    )
    run.add_argument(
        "--reference-fault",
        action="append",
        default=[],
        metavar="NAME",
        help="embedded reference server only: switch on a fault (list them with: apiconform serve --list-faults)",
    )
    run.add_argument(
        "--reference-variant",
        action="append",
        default=[],
        metavar="NAME",
        help="embedded reference server only: switch on a legitimate behaviour the documents allow "
        "(list them with: apiconform serve --list-variants)",
    )
    run.add_argument(
        "--reference-churn",
        type=float,
        default=0.0,
        metavar="RATE",
        help="embedded reference server only: insert RATE new records per second while the run goes on",
    )
    run.add_argument(
        "--waivers",
        metavar="FILE",
        help="YAML list of accepted deviations (requirement, reason, ticket, expires): a waived failure "
        "does not fail the run until its waiver expires",
    )
    run.add_argument(
        "--secret-header",
        action="append",
        default=[],
        metavar="NAME",
        help="mask this header's value in every report, recording and output (repeatable; Authorization always is)",
    )
    run.add_argument("--har", action="store_true", help="also record the property tests' traffic as a HAR file")
    run.add_argument(
        "--cassette", action="store_true", help="also record the property tests' traffic as a VCR cassette"
    )
    run.add_argument(
        "--screenshot", action="store_true", help="also save report.png: report.html rendered by headless Chromium"
    )
    noise = run.add_mutually_exclusive_group()
    noise.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    noise.add_argument("--verbose", "-v", action="store_true", help="show every test as pytest runs it")
    run.set_defaults(handler=cmd_run)

    report = commands.add_parser("report", help="re-render a stored report.json as html, md or junit")
    report.add_argument("report", metavar="REPORT.json", help="a report.json, or a report directory")
    report.add_argument("--format", required=True, choices=["html", "md", "junit"], help="the output format")
    report.add_argument("--output", "-o", metavar="PATH", help="write here instead of to standard output")
    report.set_defaults(handler=cmd_report)

    diff = commands.add_parser(
        "diff", help="compare two reports; exit 1 when a requirement regressed (fails now, did not before)"
    )
    diff.add_argument("old", metavar="OLD.json", help="the earlier report.json (or a report directory)")
    diff.add_argument("new", metavar="NEW.json", help="the later report.json (or a report directory)")
    diff.set_defaults(handler=cmd_diff)

    from apiconform.server import cli as server_cli

    serve = commands.add_parser("serve", help="run the reference server (both APIs) on loopback")
    server_cli.add_arguments(serve)
    serve.set_defaults(handler=server_cli.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.handler(args)
    except (UsageError, contract.ContractError) as exc:
        print(f"apiconform: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("apiconform: interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
