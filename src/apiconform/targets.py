"""`apiconform run --target A --target B` (or `--target all`): several targets at once, one combined report.

Each target runs as its own `apiconform run --target NAME` process, because pytest, Hypothesis and the
run's signal handling are one per process: so the targets run side by side, each paced as its own vendor
documents, and the whole takes as long as the slowest target, not the sum. Every target's options are
checked here first, so that a mistake in any is one line and exit 2 before anything is sent.

This process relays each child's standard error line by line behind the target's name, forwards SIGINT,
SIGTERM and SIGHUP once (the children run in their own sessions, so a terminal's Ctrl-C reaches them only
through here, and each then writes its `interrupted` report), and merges the reports the children wrote
in NAME/ subfolders into the folder's own report.json, junit.xml, report.md and report.html
(reporting/merge.py): the same verdict in every output, and the exit code of the combined verdict.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from apiconform import configfile
from apiconform.reporting import ReportError, load_report, write_reports
from apiconform.reporting.merge import merge, missing_target, target_report
from apiconform.reporting.terminal import render_summary, wants_colour

# The signals a CI runner or a terminal ends a run with; each child gets the one this process got.
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# The options `run` has besides the shared table that a target's process takes over as they are.
PASSED_FLAGS = ("har", "cassette", "screenshot", "quiet")


def run_many(args: argparse.Namespace, check: Callable[[argparse.Namespace], object]) -> int:
    """Run the targets `args.targets` names, each in its own process, and write the combined report; return
    its exit code. `check` raises the command's usage error for a target whose options cannot make a run."""
    for name in args.targets:
        check(configfile.for_target(args, name))
    from apiconform.engine.reportjson import new_report_folder

    directory = Path(args.report_dir) if args.report_dir else new_report_folder("targets", datetime.now(UTC))
    words = passed_on(args)
    children: dict[str, subprocess.Popen[str]] = {}
    last_lines: dict[str, str] = {}
    relays: list[threading.Thread] = []
    with _forwarding(children) as received:
        for name in args.targets:
            command = [
                sys.executable,
                "-m",
                "apiconform",
                "run",
                "--config",
                str(args.config_file.path),
                "--target",
                name,
                "--report-dir",
                str(directory / name),
                "--color",
                "never",
                *words,
            ]
            child = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                errors="replace",
                start_new_session=True,
            )
            children[name] = child
            assert child.stderr is not None  # piped above
            relay = threading.Thread(target=_relay, args=(name, child.stderr, last_lines), daemon=True)
            relay.start()
            relays.append(relay)
        for child in children.values():
            child.wait()
        for relay in relays:
            relay.join()
    codes = {name: child.returncode for name, child in children.items()}
    return _combine(args, directory, codes, last_lines, received)


def passed_on(args: argparse.Namespace) -> list[str]:
    """The command-line words of what this command line gave, for each target's process (which reads the
    file itself): the run options it wrote, but its own report folder; and `run`'s own switches."""
    words: list[str] = []
    for dest in sorted(args.given - {"report_dir"}):
        value, flag = getattr(args, dest), "--" + dest.replace("_", "-")
        if value is True:
            words.append(flag)
        elif isinstance(value, list):
            words += [part for item in value for part in (flag, str(item))]
        elif value not in (None, False):
            words += [flag, str(value)]
    return words + [f"--{flag}" for flag in PASSED_FLAGS if getattr(args, flag, False)]


def _relay(name: str, stream: IO[str], last_lines: dict[str, str]) -> None:
    """Copy a target's standard error to ours, each line behind its name (lines are whole, so two targets'
    lines never mix); remember its last line, which says why a run that wrote no report ended."""
    for line in stream:
        if line.strip():
            last_lines[name] = line.strip()
        _say(f"[{name}] {line if line.endswith(chr(10)) else line + chr(10)}")


def _say(line: str) -> None:
    try:
        sys.stderr.write(line)
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        pass


@contextmanager
def _forwarding(children: Mapping[str, subprocess.Popen[str]]) -> Iterator[list[int]]:
    """While the targets run, a signal this process gets is passed on to each running target, once; the
    signals received are listed."""
    received: list[int] = []

    def forward(signum: int, _: Any) -> None:
        received.append(signum)
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signum)

    previous = {each: signal.signal(each, forward) for each in FORWARDED}
    try:
        yield received
    finally:
        for each, handler in previous.items():
            signal.signal(each, handler)


def _combine(
    args: argparse.Namespace,
    directory: Path,
    exit_codes: Mapping[str, int],
    last_lines: Mapping[str, str],
    received: list[int],
) -> int:
    reports, missing = [], []
    for name, code in exit_codes.items():
        path = directory / name / "report.json"
        try:
            reports.append(target_report(name, load_report(path), f"{name}/report.json"))
        except ReportError:
            said = last_lines.get(name) or "nothing on standard error"
            reason = f"its run ended with exit code {code} and no report: {said}"
            if received:
                # Stopped by the signal before it could write one: interrupted, as the run is.
                stopped = signal.Signals(received[0])
                missing.append(missing_target(name, 128 + stopped, f"{stopped.name}: {reason}", "interrupted"))
            else:
                missing.append(missing_target(name, code, reason))
    # The engine's (the masking of every token the options name, reports/latest), only once the targets ran.
    from apiconform.engine.config import masked
    from apiconform.engine.reportjson import point_latest

    combined = merge(reports, missing)
    written = write_reports(combined, directory)
    if not args.report_dir and combined["verdict"] != "interrupted":
        point_latest(directory)
    summary = render_summary(
        combined, directory, written, colour=wants_colour(sys.stdout, args.color), quiet=args.quiet
    )
    try:
        sys.stdout.write(masked(summary, vars(args)))
        sys.stdout.flush()
    except BrokenPipeError:
        pass
    return int(combined["exit_code"])
