"""`apiconform run`: build the session, drive pytest with the conformance plugin, show progress, summarise.

One path: a checked `RunConfig` -> `ConformanceSession` (contracts loaded, embedded server started) ->
`pytest.main` with a `ConformancePlugin` holding that session -> the report it wrote -> the summary and
the exit code. A configuration the session cannot start with raises ConfigurationError before pytest.
The progress lines listen to the session's events (engine/progress.py).

Besides the reports the plugin writes (report.json, junit.xml, report.md, report.html), a run can keep
schemathesis' own recordings of the property-test traffic (a HAR file, a VCR cassette;
engine/properties.py) and a screenshot of report.html. Everything that reaches the terminal or a file
passes through the run's redaction, so the token never leaves the process; secret headers are masked in
reports and recordings.
"""

from __future__ import annotations

import os
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import pytest

from apiconform.engine import ast_guard
from apiconform.engine.boundary import redacted_std_streams
from apiconform.engine.config import RunConfig
from apiconform.engine.interruption import Interruption
from apiconform.engine.plugin import ConformancePlugin
from apiconform.engine.progress import Progress
from apiconform.engine.properties import CASSETTE_FILE, HAR_FILE, TrafficArchive
from apiconform.engine.session import ConformanceSession
from apiconform.engine.streams import beside_capture, say, write_result
from apiconform.exitcodes import ExitCode
from apiconform.reporting import browser
from apiconform.reporting.terminal import render_summary, wants_colour

# What `apiconform run` and a caller of `run` use; the recordings' names are properties.py's.
__all__ = ["CASSETTE_FILE", "HAR_FILE", "SCREENSHOT_FILE", "Artefacts", "check_artefacts", "hypothesis_cache", "run"]

SUITE = Path(__file__).with_name("suite.py")
SCREENSHOT_FILE = "report.png"


@dataclass(frozen=True)
class Artefacts:
    """Optional files a run writes next to its reports."""

    har: bool = False
    cassette: bool = False
    screenshot: bool = False


def check_artefacts(artefacts: Artefacts) -> None:
    """Fail before anything is sent when a requested artefact cannot be made (Chromium missing)."""
    if artefacts.screenshot:
        browser.require_chromium()


def hypothesis_cache() -> Path:
    """Where Hypothesis may keep its derived data: $XDG_CACHE_HOME/apiconform/hypothesis (or ~/.cache)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "apiconform" / "hypothesis"


def run(
    config: RunConfig,
    *,
    quiet: bool = False,
    verbose: bool = False,
    stream: TextIO | None = None,
    artefacts: Artefacts = Artefacts(),
    colour: str = "auto",
    out: TextIO | None = None,
) -> int:
    """Run the conformance suite; returns the exit code (0 pass, 1 fail, 3 untestable, 4 the suite itself failed).

    Progress and diagnostics go to `stream` (standard error); the summary, the report path and the
    verdict line to `out` (standard output), the verdict line and any untestable reason even when quiet."""
    stream = stream or sys.stderr
    out = out or sys.stdout
    out_colour = wants_colour(out, colour)
    stream_colour = wants_colour(stream, colour)
    # Progress lines are redrawn in place only on a terminal, and not while pytest prints its own (-v).
    live = bool(getattr(stream, "isatty", lambda: False)()) and not verbose
    interruption = Interruption()
    with ExitStack() as cleanup:
        # SIGINT, SIGTERM, SIGHUP and a closed stdout end the run as interrupted, with reports (engine/interruption.py).
        if interruption.install():
            cleanup.callback(interruption.uninstall)
        # The embedded server's thread may parse source (a traceback's carets) while Hypothesis or pytest
        # does here; some CPython releases cannot take overlapping `ast.parse` calls (engine/ast_guard.py).
        cleanup.callback(ast_guard.install())
        progress_stream = cleanup.enter_context(beside_capture(stream)) if live else stream
        try:
            session = ConformanceSession(config)
            cleanup.callback(session.stop_server)
            progress = Progress(
                progress_stream,
                [run.contract.api for run in session.runs],
                quiet=quiet,
                live=live,
                colour=stream_colour,
                planned={run.contract.api: run.plan.total for run in session.runs},
            )
            session.add_listener(progress.handle)
            conformance = ConformancePlugin(session, interruption)
            return _run(
                conformance,
                stream,
                quiet=quiet,
                verbose=verbose,
                artefacts=artefacts,
                colour=out_colour,
                out=out,
            )
        except KeyboardInterrupt:
            # Stopped before pytest took over (pytest itself ends an interrupted session with reports).
            name, code = interruption.cause or ("SIGINT", ExitCode.SIGINT)
            say(stream, f"apiconform: interrupted ({name}) before the first request: no reports written\n")
            return code


def _run(
    conformance: ConformancePlugin,
    stream: TextIO,
    *,
    quiet: bool,
    verbose: bool,
    artefacts: Artefacts,
    colour: bool,
    out: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    config = conformance.session.config
    redactor = conformance.session.secrets
    # The property tests' traffic, recorded from schemathesis' hooks while pytest runs (engine/properties.py).
    archive = TrafficArchive(config) if artefacts.har or artefacts.cassette else None
    with tempfile.TemporaryDirectory(prefix="apiconform-") as scratch:
        ini = Path(scratch, "pytest.ini")
        ini.write_text("[pytest]\n", encoding="utf-8")
        args = [
            str(SUITE),
            "-c",
            str(ini),
            "--rootdir",
            scratch,
            "-p",
            "no:cacheprovider",
            "--noconftest",
            # pytest's watch for exceptions raised in finalizers collects garbage twice per session
            # (a third of a second) to turn them into warnings a run would ignore; without it, Python's
            # default hook writes them to standard error (captured during a test, else redacted).
            "-p",
            "no:unraisableexception",
            # The engine raises its own AssertionErrors with their messages; rewriting the asserts of
            # every module pytest imports (schemathesis' among them) only costs seconds of start-up.
            "--assert=plain",
        ]
        if verbose:
            # Vendor text in pytest's lines is shown as printable escapes; no escape is pytest's own.
            args += ["-v", "--tb=short", "--color=no"]
        else:
            args += ["-p", "no:terminal"]
        # Hypothesis keeps derived data (its unicode tables) here even without an example database;
        # a persistent cache spares every run the seconds it takes to build them, and keeps the
        # user's working directory clean.
        os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(hypothesis_cache()))
        if archive is not None:
            archive.attach(conformance.session.runs)
        try:
            with redacted_std_streams(redactor):
                code = pytest.main(args, plugins=[conformance])
        finally:
            if archive is not None:
                archive.detach()
    # From here on a signal or a closed stdout no longer interrupts: the run is over, its reports written.
    conformance.interruption.settle()
    if conformance.write_error is not None:
        say(stream, f"apiconform: error: {conformance.write_error}\n")
        return ExitCode.SUITE_ERROR
    written = conformance.written
    cause = conformance.interruption.cause
    broken = (pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.NO_TESTS_COLLECTED)
    if cause is None and (code in broken or conformance.not_run is not None):
        # The suite itself broke before judging anything (the plugin then writes no report, and pytest's own
        # stop on a collection error is no interruption): it must not pass the gate.
        stream.write(
            f"apiconform: error: the conformance suite did not run (pytest exit {int(code)}); "
            "run again with --verbose to see why\n"
        )
        return ExitCode.SUITE_ERROR
    if cause is not None or code == pytest.ExitCode.INTERRUPTED:
        name, interrupted_code = cause or ("SIGINT", ExitCode.SIGINT)
        where = f"; reports (verdict interrupted) in {written.path.parent}/" if written is not None else ""
        say(stream, redactor(f"apiconform: interrupted ({name}): stopped sending{where}\n"))
        return interrupted_code
    if written is None:
        stream.write(
            f"apiconform: the run stopped before writing its report (pytest exit {int(code)}); "
            "run again with --verbose to see why\n"
        )
        return ExitCode.SUITE_ERROR
    directory = written.path.parent
    if archive is not None:
        try:
            archive.write(directory, har=artefacts.har, cassette=artefacts.cassette, redact=redactor)
        except OSError as exc:
            say(stream, f"apiconform: error: cannot write the recordings to {directory}/: {exc.strerror or exc}\n")
            return ExitCode.SUITE_ERROR
    if artefacts.screenshot:
        try:
            browser.screenshot(directory / "report.html", directory / SCREENSHOT_FILE)
        except browser.BrowserError as exc:
            stream.write(f"apiconform: error: --screenshot: {exc}\n")
    files = sorted(path for path in directory.iterdir() if path.is_file())
    summary = render_summary(written.document, directory, files, colour=colour, verbose=verbose, quiet=quiet)
    write_result(out, redactor(summary))
    return int(written.document["exit_code"])
