"""The `apiconform` command line."""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

from apiconform import contract
from apiconform.exitcodes import MEANINGS, ExitCode


class UsageError(Exception):
    """Bad input from the user: reported in one line, exit code 2."""


def _apis(choice: str) -> list[str]:
    return list(contract.api_names()) if choice == "all" else [choice]


def _table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(len(header))]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def cmd_catalog(args: argparse.Namespace) -> int:
    """Validate the specs and print the requirement catalog.

    A spec's strings are shown as one printable line each (a spec may come from anyone: its title must
    neither drive the terminal nor add a line, nor start a CI workflow command)."""
    from apiconform.engine.checknames import refuse_unknown_checks
    from apiconform.reporting.document import printable_line as shown

    release = getattr(args, "release", None)
    try:
        if args.spec:
            every = [contract.load_spec(Path(args.spec).resolve(), release)]
        else:
            apis = _apis(args.api)
            if release is not None and args.api == "all":
                # A release names one spec's release; the other specs are shown as they are.
                apis = [api for api in apis if contract.load(api).releases] or apis
            every = [contract.load(api, release) for api in apis]
        for loaded in every:
            refuse_unknown_checks(loaded)
    except contract.ContractError as exc:
        raise UsageError(str(exc)) from exc
    for loaded in every:
        rows = [tuple(map(shown, (r.id, r.level, r.family, r.title, ", ".join(r.checks)))) for r in loaded.requirements]
        print(f"{shown(loaded.semantics.title)}  [{shown(loaded.api)}]")
        print(f"spec {shown(loaded.spec_path.name)} (sha256 {loaded.spec_sha256[:12]}), {len(rows)} requirements")
        if loaded.release is not None:
            listed = "; ".join(
                f"{shown(each.name)} ({shown(', '.join(each.versions))}{', default' if each.default else ''}): "
                f"{shown(each.title)}"
                for each in loaded.releases
            )
            print(f"release {shown(loaded.release.name)} shown (--release picks another); releases: {listed}")
        print(_table(rows, ("ID", "LEVEL", "FAMILY", "REQUIREMENT", "CHECKS")))
        resting = [r for r in loaded.requirements if r.rests_on]
        if resting:
            # One line per demand a requirement's checks make, and the vendor's words it rests on.
            print("\nWhat each demand rests on (the words are in the quote, or in the [document] named):")
            for requirement in resting:
                for item in requirement.rests_on:
                    elsewhere = f" [{shown(item.source.key)}]" if item.source != requirement.source else ""
                    print(f'  {shown(requirement.id)}: {shown(item.demand)} <- "{shown(item.words)}"{elsewhere}')
        print()
    return ExitCode.PASS


def cmd_checks(args: argparse.Namespace) -> int:
    """List every check a catalog's `checks:` may cite: its kind, the `x-apiconform` keys it needs, what a
    requirement citing it must quote, and what it judges, from the registry (engine/checks) and the
    descriptions of schemathesis' own checks (checks/validation.py)."""
    import json
    import textwrap

    from apiconform.engine.checks import BUILTIN_CHECK_DESCRIPTIONS, CHECKS

    kinds = {"response": "per reply", "relation": "relation"}
    # (name, kind, what it judges, the keys it needs, what a citing quote must say), registry order.
    listed = [(c.name, kinds[c.kind], _first_paragraph(c.doc), c.needs, c.quote) for c in CHECKS.values()]
    listed += [(b.name, "schemathesis", b.doc, b.needs, b.quote) for b in BUILTIN_CHECK_DESCRIPTIONS]
    if args.format == "json":
        fields = ("name", "kind", "judges", "needs", "quote")
        print(
            json.dumps(
                [dict(zip(fields, (*each[:3], list(each[3]), each[4]), strict=True)) for each in listed], indent=2
            )
        )
        return ExitCode.PASS
    rows = [(name, kind, "; ".join(needs) or "-") for name, kind, _, needs, _ in listed]
    print(f"{len(rows)} checks a requirement's `checks:` may cite (`--format json` for a program)")
    print(_table(rows, ("CHECK", "KIND", "NEEDS (x-apiconform keys; OpenAPI parts)")))
    print("\nWhat each check judges, and what the quote of a requirement that cites it must say:")
    for name, _, judges, _, quote in listed:
        print(f"  {name}")
        print(textwrap.fill(judges, 116, initial_indent="    judges: ", subsequent_indent=" " * 12))
        print(textwrap.fill(quote, 116, initial_indent="    quote:  ", subsequent_indent=" " * 12))
    return ExitCode.PASS


def _first_paragraph(doc: str) -> str:
    """A docstring's first paragraph, on one line."""
    return " ".join(doc.split("\n\n", 1)[0].split())


def cmd_run(args: argparse.Namespace) -> int:
    """Run the conformance suite against a target (or the embedded reference server).

    Every option and file is checked here, before the first request (engine/config.py, shared with the
    pytest plugin): a problem is one line and exit code 2."""
    # --max-time counts from start-up: importing pytest and schemathesis and starting a server take time too.
    started_at = getattr(args, "started_at", None) or time.monotonic()
    from apiconform.engine import config, driver
    from apiconform.reporting.browser import BrowserError

    artefacts = driver.Artefacts(har=args.har, cassette=args.cassette, screenshot=args.screenshot)
    try:
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always", config.ConfigurationWarning)
            run_config = config.run_config(vars(args), started_at=started_at)
        for warning in said:
            print(_one_line(f"apiconform: warning: {warning.message}", args), file=sys.stderr)
        driver.check_artefacts(artefacts)
        return driver.run(run_config, quiet=args.quiet, verbose=args.verbose, artefacts=artefacts, colour=args.color)
    except config.ConfigurationError as exc:
        raise UsageError(str(exc)) from exc
    except BrowserError as exc:
        raise UsageError(f"--screenshot: {exc}") from exc


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
        return ExitCode.PASS
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--output: cannot write {args.output}: {exc.strerror or exc}") from exc
    return ExitCode.PASS


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
    return ExitCode.NONCONFORMANT if result.has_regressions else ExitCode.PASS


def cmd_trend(args: argparse.Namespace) -> int:
    """Chart the pass, fail and warn counts of earlier runs as one HTML page."""
    from apiconform.reporting.trend import collect, render_trend

    entries, skipped = collect(args.reports)
    for warning in skipped:
        print(_one_line(f"apiconform: warning: {warning}", args), file=sys.stderr)
    if not entries:
        raise UsageError(f"no readable report among {', '.join(args.reports)}")
    text = render_trend(entries)
    if args.output is None:
        sys.stdout.write(text)
        return ExitCode.PASS
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--output: cannot write {args.output}: {exc.strerror or exc}") from exc
    return ExitCode.PASS


def _catalog_options(catalog: argparse.ArgumentParser) -> None:
    catalog.add_argument("--api", choices=[*contract.api_names(), "all"], default="all")
    catalog.add_argument("--spec", metavar="FILE", help="validate and print this spec's catalog instead")
    catalog.add_argument(
        "--release", metavar="RELEASE", help="the catalog as this vendor release documents it (default: the spec's)"
    )
    catalog.set_defaults(handler=cmd_catalog)


def _checks_options(checks: argparse.ArgumentParser) -> None:
    checks.add_argument("--format", choices=["table", "json"], default="table", help="the output format")
    checks.set_defaults(handler=cmd_checks)


def cmd_init(args: argparse.Namespace) -> int:
    """Write a starting spec folder (spec, catalog, sources) from the owner's OpenAPI document."""
    from apiconform import init

    output = Path(args.output) if args.output else None
    try:
        spec_path, draft = init.write(Path(args.openapi), output, args.operation, args.force)
    except init.InitError as exc:
        raise UsageError(str(exc)) from exc
    stated = sum(requirement["level"] == "MUST" for requirement in draft.requirements)
    print(f"wrote {spec_path}, its catalog and sources: {len(draft.requirements)} requirements, {stated} quoting")
    print("the document's own sentences; the others are SHOULDs marked TODO in the catalog.")
    for todo in draft.todos:
        print(f"  TODO {todo}")
    print(f"next: apiconform catalog --spec {spec_path}")
    print(f"then: apiconform run --spec {spec_path} --base-url URL")
    return ExitCode.PASS


def _init_options(init: argparse.ArgumentParser) -> None:
    init.add_argument("openapi", metavar="OPENAPI_FILE", help="your OpenAPI 3.x document (JSON or YAML)")
    init.add_argument("--operation", metavar="ID", help="the list operation's operationId (when there are several)")
    init.add_argument("--output", "-o", metavar="DIR", help="the folder to write (default: one named after the API)")
    init.add_argument("--force", action="store_true", help="write into an existing folder")
    init.set_defaults(handler=cmd_init)


def _run_options(run: argparse.ArgumentParser, spec: str | None = None) -> None:
    # The options shared with `pytest -p apiconform.engine.plugin`: one table, one set of defaults; with the
    # shorthands the spec `--spec` names declares. They come after `run`'s own, so that a shorthand that
    # clashes with any of them is the one refused.
    from apiconform.engine import options
    from apiconform.reporting.terminal import COLOUR_CHOICES

    run.add_argument("--har", action="store_true", help="also record the property tests' traffic as a HAR file")
    run.add_argument(
        "--cassette", action="store_true", help="also record the property tests' traffic as a VCR cassette"
    )
    run.add_argument(
        "--screenshot", action="store_true", help="also save report.png: report.html rendered by headless Chromium"
    )
    noise = run.add_mutually_exclusive_group()
    noise.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="no progress and no summary: only the verdict line (and why an API could not be tested) and errors",
    )
    noise.add_argument("--verbose", "-v", action="store_true", help="show every test as pytest runs it")
    run.add_argument(
        "--color",
        choices=COLOUR_CHOICES,
        default="auto",
        help="colour in the progress and the summary: auto (a terminal, unless NO_COLOR is set; FORCE_COLOR "
        "forces it), always or never (default: auto)",
    )
    options.add_options(run.add_argument, spec)
    run.set_defaults(handler=cmd_run)


def _report_options(report: argparse.ArgumentParser) -> None:
    report.add_argument("report", metavar="REPORT.json", help="a report.json, or a report directory")
    report.add_argument("--format", required=True, choices=["html", "md", "junit"], help="the output format")
    report.add_argument("--output", "-o", metavar="PATH", help="write here instead of to standard output")
    report.set_defaults(handler=cmd_report)


def _diff_options(diff: argparse.ArgumentParser) -> None:
    diff.add_argument("old", metavar="OLD.json", help="the earlier report.json (or a report directory)")
    diff.add_argument("new", metavar="NEW.json", help="the later report.json (or a report directory)")
    diff.set_defaults(handler=cmd_diff)


def _trend_options(trend: argparse.ArgumentParser) -> None:
    trend.add_argument(
        "reports",
        metavar="REPORT",
        nargs="+",
        help="a report.json, a run's report folder, or a folder of them (such as reports/)",
    )
    trend.add_argument("--output", "-o", metavar="PATH", help="write the page here instead of to standard output")
    trend.set_defaults(handler=cmd_trend)


def _serve_options(serve: argparse.ArgumentParser) -> None:
    # The reference server's command line imports the server itself (uvicorn, starlette): only for `serve`.
    from apiconform.server import cli as server_cli

    server_cli.add_arguments(serve)
    serve.set_defaults(handler=server_cli.serve)


# Each command: its help, and what declares its options and handler on its subparser.
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None]]] = {
    "catalog": ("validate the specs and print the requirement catalog", _catalog_options),
    "checks": ("list the checks a catalog may cite: what each judges, needs and must quote", _checks_options),
    "init": ("write a starting spec, catalog and sources from your OpenAPI document", _init_options),
    "run": ("test an API's conformance and write reports", _run_options),
    "report": ("re-render a stored report.json as html, md or junit", _report_options),
    "diff": ("compare two reports; exit 1 when a requirement regressed (fails now, did not before)", _diff_options),
    "trend": ("chart the pass, fail and warn counts of earlier runs as one HTML page", _trend_options),
    "serve": ("run the reference server (both APIs) on loopback", _serve_options),
}


def build_parser(command: str | None = None, spec: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser. Given the `command` about to run, only that command's options are
    declared, so only its modules are imported (`report`, `diff` and `catalog` import neither the engine's
    transport nor the reference server); every command keeps its name and help for `apiconform --help`.
    `spec` is the file `run --spec` names: `run` also takes the shorthands it declares."""
    parser = argparse.ArgumentParser(
        prog="apiconform",
        description=__doc__,
        epilog=_help_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version",
        action=_VersionAction,
        help="show apiconform's version and those of schemathesis, hypothesis and Python, and exit",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (summary, declare) in COMMANDS.items():
        subparser = commands.add_parser(name, help=summary)
        if name == "run" and command == name:
            _run_options(subparser, spec)
        elif command is None or command == name:
            declare(subparser)
    return parser


# The environment variables apiconform reads, for `apiconform --help`.
ENVIRONMENT = {
    "APICONFORM_TOKEN": "the bearer token, when neither --token nor --token-file gives one",
    "APICONFORM_SPECS": "a folder laid out like specs/ to read the shipped APIs' contracts from",
    "APICONFORM_CHROMIUM": "the Chromium that `run --screenshot` renders report.html with (else found on PATH)",
    "NO_COLOR": "set and not empty: no colour on a terminal (run --color always overrides it)",
    "FORCE_COLOR": "set and not empty: colour where standard output is no terminal, such as a CI log",
}


def _help_epilog() -> str:
    """Exit codes and environment variables, after the commands in `apiconform --help`."""
    codes = "\n".join(f"  {int(code):<4} {meaning}" for code, meaning in MEANINGS.items())
    width = max(len(name) for name in ENVIRONMENT)
    variables = "\n".join(f"  {name:<{width}}  {meaning}" for name, meaning in ENVIRONMENT.items())
    return (
        f"exit codes:\n{codes}\n\nenvironment variables:\n{variables}\n\n"
        "`apiconform COMMAND --help` gives a command's options."
    )


class _VersionAction(argparse.Action):
    """argparse's `version` action, with the line made only when --version is given: it reads three
    packages' metadata, which every other command would pay for at start-up."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, help: str | None = None) -> None:
        super().__init__(option_strings, dest=dest, default=argparse.SUPPRESS, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        print(_version_line())
        parser.exit()


def _version_line() -> str:
    """apiconform's version and those of the libraries a verdict depends on: the same version of apiconform
    judges differently under another schemathesis or hypothesis (their generation and checks are part of
    every run), so a report's reader and a bug report need all three."""
    from importlib.metadata import PackageNotFoundError, version

    def installed(distribution: str) -> str:
        try:
            return version(distribution)
        except PackageNotFoundError:
            return "not installed"

    libraries = ", ".join(f"{name} {installed(name)}" for name in ("schemathesis", "hypothesis"))
    return f"apiconform {installed('apiconform')} ({libraries}; Python {platform.python_version()})"


def _command(argv: Sequence[str]) -> str:
    """The command `argv` names: its first word, as the top-level parser has no options but --help ("" when
    there is none; the parser then says what is missing)."""
    return argv[0] if argv and not argv[0].startswith("-") else ""


def _first_look(words: Sequence[str]) -> dict[str, str | None]:
    """What `apiconform run` names before its command line is parsed: the spec file (the path parameters'
    shorthands that spec declares, `--shop-id`, are options only once it is known), and the token options,
    so that an error about that spec is masked by them as every later one is. Anything this first look
    cannot read is left to the full parse, which says what is wrong."""
    if _command(words) != "run":
        return {}
    first_look = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    for option in ("--spec", "--token", "--token-file"):
        first_look.add_argument(option)
    try:
        named, _ = first_look.parse_known_args(words[1:])
    except argparse.ArgumentError:
        return {}
    return vars(named)


def _process_started_at() -> float:
    """The time.monotonic() value at which this process started (from /proc on Linux), or now."""
    now = time.monotonic()
    try:
        fields = Path("/proc/self/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
        uptime = float(Path("/proc/uptime").read_text(encoding="ascii").split()[0])
        age = uptime - int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22, the start time in clock ticks
    except (OSError, ValueError, IndexError):
        return now
    return now - age if 0 <= age < 60 else now


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    named = _first_look(words)
    try:
        parser = build_parser(_command(words), named.get("spec"))
    except contract.ContractError as exc:
        print(_one_line(f"apiconform: error: {exc}", argparse.Namespace(**named)), file=sys.stderr)
        return ExitCode.USAGE
    args = parser.parse_args(words)
    # --max-time counts from start-up: the process's own start when this is the command line itself.
    args.started_at = _process_started_at() if argv is None else time.monotonic()
    try:
        code: int = args.handler(args)
        # Flushed here rather than at exit, so that a closed pipe is met below and not as a traceback.
        sys.stdout.flush()
    except (UsageError, contract.ContractError) as exc:
        print(_one_line(f"apiconform: error: {exc}", args), file=sys.stderr)
        return ExitCode.USAGE
    except KeyboardInterrupt:
        print("apiconform: interrupted", file=sys.stderr)
        return ExitCode.SIGINT
    except BrokenPipeError:
        # The reader of standard output went away (`apiconform catalog | head -2`): not an error of
        # ours, and nothing left to say; the shell's convention for a closed pipe is 128 + SIGPIPE.
        from apiconform.engine.streams import silence

        silence(sys.stdout)
        return ExitCode.CLOSED_STDOUT
    return code


def _one_line(message: str, args: argparse.Namespace | None) -> str:
    """A message as one printable line, with the token masked: it may quote a spec, a waivers file or a
    report (hostile keys and values, a path), which must neither drive the terminal nor add a line that a
    CI runner reads as a command; and the spec loads before the token is checked and masked in what the
    run writes, so the message is masked here by every token the command line names."""
    from apiconform.engine.config import masked
    from apiconform.reporting.document import printable_line

    return printable_line(masked(message, vars(args) if args else {}))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
