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
    if len(args.targets) > 1:
        from apiconform import configfile, targets

        try:
            return targets.run_many(args, _checked_target_config)
        except configfile.ConfigFileError as exc:
            raise UsageError(str(exc)) from exc
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
    """Re-render a stored report.json as HTML, Markdown or JUnit XML; or merge several (--merge)."""
    from apiconform.reporting import ReportError, load_report, render

    if args.merge:
        return _merge_reports(args)
    if len(args.report) > 1:
        raise UsageError("several reports are joined with --merge --output DIR")
    if args.format is None:
        raise UsageError("--format html, md or junit is needed (or --merge)")
    try:
        report = load_report(args.report[0])
    except ReportError as exc:
        raise UsageError(str(exc)) from exc
    return _written(render(report, args.format), args.output)


def _written(text: str, output: str | None) -> int:
    """Write a rendered page to --output, or to standard output without one."""
    if output is None:
        sys.stdout.write(text)
        return ExitCode.PASS
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--output: cannot write {output}: {exc.strerror or exc}") from exc
    return ExitCode.PASS


def _merge_reports(args: argparse.Namespace) -> int:
    """`report --merge`: the reports of several targets (or CI shards) as one, written in every format into
    --output DIR; its summary on standard output and its exit code, so that a matrix's last job can gate."""
    from apiconform.reporting import ReportError, load_report, write_reports
    from apiconform.reporting.document import report_path
    from apiconform.reporting.merge import merge, target_report
    from apiconform.reporting.terminal import render_summary

    if args.format is not None:
        raise UsageError("--merge writes every format into --output DIR: leave --format out")
    if not args.output:
        raise UsageError("--merge writes a report folder: name it with --output DIR")
    folder = Path(args.output)
    try:
        parts = []
        for each in args.report:
            report, path = load_report(each), report_path(each)
            name = report["target"].get("name") or path.parent.resolve().name
            parts.append(target_report(name, report, os.path.relpath(path, folder)))
        combined = merge(parts)
    except ReportError as exc:
        raise UsageError(str(exc)) from exc
    try:
        written = write_reports(combined, folder)
    except OSError as exc:
        raise UsageError(f"--output: cannot write {folder}: {exc.strerror or exc}") from exc
    sys.stdout.write(render_summary(combined, folder, written))
    return int(combined["exit_code"])


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


def cmd_publish(args: argparse.Namespace) -> int:
    """Show a stored report where the CI shows things: GitHub's job summary, annotations and step outputs, or
    GitLab's Code Quality report and job log (reporting/ci.py says what and why). Exit 0 once written: the
    gate is `apiconform run`'s exit code."""
    from apiconform.reporting import ReportError, ci, load_report

    try:
        report = load_report(args.report)
        report_url = ci.checked_report_url(args.report_url)
        if args.to == "github":
            if args.output is not None:
                raise UsageError(
                    "--output is for --to gitlab (GitHub names its files in $GITHUB_STEP_SUMMARY and $GITHUB_OUTPUT)"
                )
            shown = ci.publish_github(
                report, args.report, os.environ, max_annotations=args.max_annotations, report_url=report_url
            )
        else:
            shown = ci.publish_gitlab(
                report, args.report, output=args.output, max_annotations=args.max_annotations, report_url=report_url
            )
    except (ReportError, ci.PublishError) as exc:
        raise UsageError(str(exc)) from exc
    sys.stdout.write(shown)
    return ExitCode.PASS


def cmd_trend(args: argparse.Namespace) -> int:
    """Chart the pass, fail and warn counts of earlier runs as one HTML page."""
    from apiconform.reporting.trend import collect, render_trend

    entries, skipped = collect(args.reports)
    for warning in skipped:
        print(_one_line(f"apiconform: warning: {warning}", args), file=sys.stderr)
    if not entries:
        raise UsageError(f"no readable report among {', '.join(args.reports)}")
    return _written(render_trend(entries), args.output)


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
    # clashes with any of them is the one refused. `--help` shows them in groups (options.HELP_GROUPS).
    from apiconform.engine import options
    from apiconform.reporting.terminal import COLOUR_CHOICES

    groups = {title: run.add_argument_group(title) for title, _ in options.HELP_GROUPS}
    targets = run.add_argument_group("config file and targets")
    output = run.add_argument_group("output")
    _config_file_options(targets)
    reports = groups["reports"]
    reports.add_argument("--har", action="store_true", help="also record the property tests' traffic as a HAR file")
    reports.add_argument(
        "--cassette", action="store_true", help="also record the property tests' traffic as a VCR cassette"
    )
    reports.add_argument(
        "--screenshot", action="store_true", help="also save report.png: report.html rendered by headless Chromium"
    )
    noise = output.add_mutually_exclusive_group()
    noise.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="no progress and no summary: only the verdict line (and why an API could not be tested) and errors",
    )
    noise.add_argument("--verbose", "-v", action="store_true", help="show every test as pytest runs it")
    output.add_argument(
        "--color",
        choices=COLOUR_CHOICES,
        default="auto",
        help="colour in the progress and the summary: auto (a terminal, unless NO_COLOR is set; FORCE_COLOR "
        "forces it), always or never (default: auto)",
    )
    group_of = {flag: groups[title] for title, flags in options.HELP_GROUPS for flag in flags}
    first = groups[options.HELP_GROUPS[0][0]]
    options.add_options(lambda flag, **keywords: group_of.get(flag, first).add_argument(flag, **keywords), spec)
    run.epilog = _help_epilog(with_commands=False)
    run.formatter_class = argparse.RawDescriptionHelpFormatter
    run.set_defaults(handler=cmd_run)


def _config_file_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """The options that choose a config file and its targets (`run` and `config`; not the pytest door's)."""
    from apiconform.configfile import CONFIG_FILE, shard

    parser.add_argument(
        "--config",
        metavar="FILE",
        help=f"read options and targets from FILE (default: ./{CONFIG_FILE}, or the [tool.apiconform] table of "
        "./pyproject.toml); the command line wins over it",
    )
    parser.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="NAME",
        help="run the config file's target NAME (repeatable), or all of them; several targets run at once, "
        "each at its own pace, into one combined report",
    )
    parser.add_argument(
        "--shard",
        type=shard,
        metavar="K/N",
        help="of the targets --target names, run only the K-th of N shares (one CI matrix job each; "
        "`apiconform report --merge` joins their reports)",
    )


def _report_options(report: argparse.ArgumentParser) -> None:
    report.add_argument(
        "report", metavar="REPORT.json", nargs="+", help="a report.json, or a report directory (several with --merge)"
    )
    report.add_argument("--format", choices=["html", "md", "junit"], help="the output format")
    report.add_argument(
        "--output", "-o", metavar="PATH", help="write here instead of to standard output (--merge: the folder)"
    )
    report.add_argument(
        "--merge",
        action="store_true",
        help="join the reports of several targets or shards into one report folder (--output DIR), every "
        "format, and exit with the combined verdict's code",
    )
    report.set_defaults(handler=cmd_report)


def _publish_options(publish: argparse.ArgumentParser) -> None:
    from apiconform.reporting.ci import CI_SYSTEMS, CODE_QUALITY_FILE, DEFAULT_MAX_ANNOTATIONS

    publish.add_argument("report", metavar="REPORT.json", help="a report.json, or a report directory")
    publish.add_argument(
        "--to",
        required=True,
        choices=CI_SYSTEMS,
        help="github: job summary, annotations and step outputs ($GITHUB_STEP_SUMMARY, $GITHUB_OUTPUT); "
        "gitlab: a Code Quality report and a summary in the job log",
    )
    publish.add_argument(
        "--max-annotations",
        type=_count,
        default=DEFAULT_MAX_ANNOTATIONS,
        metavar="N",
        help="findings shown one by one (annotations, job log lines), failures first; the rest are counted "
        f"in one line (default: {DEFAULT_MAX_ANNOTATIONS})",
    )
    publish.add_argument("--report-url", metavar="URL", help="link the summary to the full report here")
    publish.add_argument(
        "--output",
        "-o",
        metavar="PATH",
        help=f"gitlab: write the Code Quality report here (default: {CODE_QUALITY_FILE} beside report.json)",
    )
    publish.set_defaults(handler=cmd_publish)


def _count(value: str) -> int:
    """A whole number >= 0, for argparse."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more: {number}")
    return number


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


def _read_config_file(args: argparse.Namespace, words: Sequence[str], spec: str | None) -> None:
    """Read the config file (--config, ./apiconform.toml or pyproject.toml's [tool.apiconform]) into `args`:
    the targets --target and --shard choose, what the command line gave, and for one run (no target or one)
    the file's settings wherever the command line gave none. Several targets are `run_many`'s to set up."""
    from apiconform import configfile

    try:
        path = configfile.find(args.config, Path.cwd())
        args.config_file = configfile.load(path) if path else None
        if args.shard and not args.target:
            raise UsageError("--shard K/N shares out the targets --target names: give --target all too")
        args.targets = configfile.selected_targets(args.config_file, args.target, args.shard) if args.target else []
        args.target_name = args.targets[0] if len(args.targets) == 1 else None
        # What the command line gave is worth a second parse only when a file could be overridden.
        args.given = configfile.given_on_command_line(list(words[1:]), spec) if args.config_file else set()
        if args.config_file is not None:
            configfile.apply(args, configfile.settings(args.config_file, args.target_name), args.given)
    except configfile.ConfigFileError as exc:
        raise UsageError(str(exc)) from exc
    file = args.config_file
    if args.command == "run" and file is not None and file.targets and not args.targets:
        print(
            f"apiconform: note: {file.path.name} defines targets ({', '.join(file.targets)}); this run takes only "
            "its top-level settings (--target NAME or --target all runs them)",
            file=sys.stderr,
        )


def _checked_target_config(args: argparse.Namespace) -> object:
    """A target's run configuration, checked as a run of it alone checks it (usage error: one line, exit 2)."""
    from apiconform.engine import config

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", config.ConfigurationWarning)  # the target's own process says them
            return config.run_config(vars(args))
    except config.ConfigurationError as exc:
        raise UsageError(f"target {args.target_name}: {exc}") from exc


def cmd_config(args: argparse.Namespace) -> int:
    """Print the effective settings of a run (or of each target --target names): every run option, its
    value and where it came from (the command line, the target's table, the file's top level, the default),
    secrets masked; or, with --schema, the config file's JSON Schema."""
    import json

    from apiconform import configfile

    if args.schema:
        print(json.dumps(configfile.schema(), indent=2))
        return ExitCode.PASS
    file = args.config_file
    print(f"# config file: {file.path}" if file else "# no config file: apiconform.toml, pyproject.toml or --config")
    if file is not None and file.targets:
        print(f"# targets: {', '.join(file.targets)}")
    for name in args.targets or [None]:
        try:
            view = configfile.for_target(args, name) if name and len(args.targets) > 1 else args
            found = configfile.settings(file, name) if file else {}
        except configfile.ConfigFileError as exc:
            raise UsageError(str(exc)) from exc
        for line in configfile.shown(file, name, vars(view), args.given, found):
            print(_one_line(line, view))
    return ExitCode.PASS


def _config_options(config: argparse.ArgumentParser) -> None:
    from apiconform.engine import options

    config.add_argument("--schema", action="store_true", help="print the config file's JSON Schema instead")
    _config_file_options(config)
    options.add_options(config.add_argument)
    config.set_defaults(handler=cmd_config)


def cmd_completion(args: argparse.Namespace) -> int:
    """Print the shell's completion script, made from every command's parser as this installation builds it:
    each command, option and choice, the path-parameter shorthands the specs folder declares included."""
    from apiconform import completion

    sys.stdout.write(completion.script(args.shell, build_parser()))
    return ExitCode.PASS


def _completion_options(completion: argparse.ArgumentParser) -> None:
    from apiconform.completion import SHELLS

    completion.add_argument("shell", choices=SHELLS, help="the shell to complete apiconform's command line in")
    completion.set_defaults(handler=cmd_completion)


# Each command: its help, and what declares its options and handler on its subparser.
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None]]] = {
    "catalog": ("validate the specs and print the requirement catalog", _catalog_options),
    "checks": ("list the checks a catalog may cite: what each judges, needs and must quote", _checks_options),
    "init": ("write a starting spec, catalog and sources from your OpenAPI document", _init_options),
    "run": ("test an API's conformance and write reports", _run_options),
    "config": (
        "print a run's or a target's effective settings, secrets masked (--schema: the file's)",
        _config_options,
    ),
    "report": ("re-render a stored report.json as html, md or junit; or merge reports (--merge)", _report_options),
    "diff": ("compare two reports; exit 1 when a requirement regressed (fails now, did not before)", _diff_options),
    "publish": (
        "show a report in the CI: GitHub job summary, annotations and outputs, or GitLab Code Quality",
        _publish_options,
    ),
    "trend": ("chart the pass, fail and warn counts of earlier runs as one HTML page", _trend_options),
    "serve": ("run the reference server (both APIs) on loopback", _serve_options),
    "completion": ("print the completion script of bash, zsh or fish (README: Shell completion)", _completion_options),
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
    "APICONFORM_BASIC_PASSWORD": "the password of --basic-user, when neither --basic-password nor "
    "--basic-password-file gives one",
    "APICONFORM_API_KEY": "the key of --api-key-header or --api-key-query, when neither --api-key nor "
    "--api-key-file gives one",
    "APICONFORM_SPECS": "a folder laid out like specs/ to read the shipped APIs' contracts from",
    "APICONFORM_CHROMIUM": "the Chromium that `run --screenshot` renders report.html with (else found on PATH)",
    "NO_COLOR": "set and not empty: no colour on a terminal (run --color always overrides it)",
    "FORCE_COLOR": "set and not empty: colour where standard output is no terminal, such as a CI log",
    "GITHUB_STEP_SUMMARY": "publish --to github: the job summary file it appends to (GitHub Actions sets it)",
    "GITHUB_OUTPUT": "publish --to github: the step outputs file it appends to (GitHub Actions sets it)",
}


def _help_epilog(*, with_commands: bool = True) -> str:
    """Exit codes and environment variables, after the commands in `apiconform --help` (and after the
    options in `apiconform run --help`)."""
    codes = "\n".join(f"  {int(code):<4} {meaning}" for code, meaning in MEANINGS.items())
    width = max(len(name) for name in ENVIRONMENT)
    variables = "\n".join(f"  {name:<{width}}  {meaning}" for name, meaning in ENVIRONMENT.items())
    more = "\n\n`apiconform COMMAND --help` gives a command's options." if with_commands else ""
    return f"exit codes:\n{codes}\n\nenvironment variables:\n{variables}{more}"


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
        if args.command in ("run", "config"):
            _read_config_file(args, words, named.get("spec"))
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
