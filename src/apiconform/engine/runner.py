"""`apiconform run`: build the session, drive pytest with the conformance plugin, show progress, summarise.

One path: a checked `RunConfig` -> `ConformanceSession` (contracts loaded, embedded server started) ->
`pytest.main` with a `ConformancePlugin` holding that session -> the report it wrote -> the summary and
the exit code. A configuration the session cannot start with raises ConfigurationError before pytest.

Besides the reports the plugin writes (report.json, junit.xml, report.md, report.html), a run can keep
schemathesis' own recordings of the property-test traffic (a HAR file, a VCR cassette) and a
screenshot of report.html. Everything that reaches the terminal or a file passes through the run's
redaction, so the token never leaves the process; secret headers are masked in reports and recordings.
"""

from __future__ import annotations

import io
import os
import shlex
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import pytest

from apiconform.engine import ast_guard
from apiconform.engine.boundary import redacted_std_streams
from apiconform.engine.config import RunConfig
from apiconform.engine.interruption import Interruption
from apiconform.engine.plugin import ConformancePlugin
from apiconform.engine.session import ConformanceSession
from apiconform.exitcodes import ExitCode
from apiconform.reporting import browser
from apiconform.reporting.document import json_printable, plural
from apiconform.reporting.terminal import Painter, render_summary, wants_colour
from apiconform.reporting.writer import atomic_write_text

SUITE = Path(__file__).with_name("suite.py")
# A live progress line is redrawn at most this often; more would only flicker.
REDRAW_INTERVAL = 0.1
HAR_FILE = "property-tests.har"
CASSETTE_FILE = "property-tests-cassette.yaml"
SCREENSHOT_FILE = "report.png"


@dataclass(frozen=True)
class Artefacts:
    """Optional files a run writes next to its reports."""

    har: bool = False
    cassette: bool = False
    screenshot: bool = False


class TrafficArchive:
    """Records the property tests' requests and responses with schemathesis' recorder, for a HAR file or cassette.

    The recorder listens to the schema's `after_call` and `after_validate` hooks. Headers named in
    schemathesis' sanitization list (Authorization among them) and the run's secret headers are
    masked by schemathesis' writers; the token is replaced in the written text as well.

    schemathesis' own pytest reporting (`config.reports`) is not used: its recorder asserts that every
    `after_validate` follows an `after_call` of the same case, and the scenario checks validate
    replies they fetched themselves, so every scenario check would fail.
    """

    def __init__(self, config: RunConfig) -> None:
        from schemathesis.config import OutputConfig, SanitizationConfig

        self.config = config
        defaults = SanitizationConfig().keys_to_sanitize
        keys = tuple(dict.fromkeys([*defaults, *(name.lower() for name in config.secret_headers)]))
        self.output = OutputConfig(sanitization=SanitizationConfig(keys_to_sanitize=keys))
        self.recorders: list[Any] = []
        self._hooks: list[tuple[Any, Any]] = []

    def attach(self, session: ConformanceSession) -> None:
        """Start recording every API's property tests."""
        from schemathesis.engine.recorder import ScenarioRecorder

        for run in session.runs:
            recorder = ScenarioRecorder(label=f"{run.contract.api} property tests", config=self.output)
            self.recorders.append(recorder)
            hooks = run.schema.hooks
            for name, hook in _recording_hooks(recorder).items():
                hooks.register_hook_with_name(hook, name)
                self._hooks.append((hooks, hook))

    def detach(self) -> None:
        """Stop recording."""
        for hooks, hook in self._hooks:
            hooks.unregister(hook)
        self._hooks.clear()

    def write(self, directory: Path, artefacts: Artefacts, redact: Callable[[str], str]) -> list[Path]:
        """Write the HAR file and/or cassette into `directory`, secrets replaced; return their paths."""
        written = []
        if artefacts.har:
            from schemathesis.reporting.har import HarWriter

            path = directory / HAR_FILE
            with HarWriter(path, self.output) as har:
                har.open(seed=self.config.seed)
                for recorder in self.recorders:
                    har.write(recorder)
            written.append(path)
        if artefacts.cassette:
            from schemathesis.reporting.vcr import VcrWriter

            path = directory / CASSETTE_FILE
            # The cassette records a command line; this one names no secret (no token options).
            command = shlex.join(
                ["apiconform", "run", "--api", _api_choice(self.config), "--seed", str(self.config.seed)]
            )
            with VcrWriter(path, self.output) as cassette:
                cassette.open(seed=self.config.seed, command=command)
                for recorder in self.recorders:
                    cassette.write(recorder)
            written.append(path)
        for path in written:
            # What a terminal or a CI runner would act on is written as JSON escapes: the HAR is JSON, and the
            # cassette holds vendor text only in JSON strings (header values) and double-quoted YAML strings
            # (bodies), where `\uXXXX` is an escape too. Each file holds the same values.
            atomic_write_text(path, json_printable(redact(path.read_text(encoding="utf-8"))))
        return written


def _recording_hooks(recorder: Any) -> dict[str, Callable[..., None]]:
    """schemathesis hooks that feed one recorder (schemathesis checks each hook's exact signature)."""
    from schemathesis.engine import Status

    def after_call(context: Any, case: Any, response: Any) -> None:
        recorder.record_case(case=case)
        recorder.record_response(case_id=case.id, response=response)

    def after_network_error(context: Any, case: Any, request: Any) -> None:
        recorder.record_case(case=case)
        recorder.record_request(case_id=case.id, request=request)

    def after_validate(context: Any, case: Any, response: Any, results: list[Any]) -> None:
        # Scenario checks validate replies too, without a call of their own; only recorded cases count.
        if case.id not in recorder.interactions:
            return
        for result in results:
            if result.status == Status.FAILURE and result.failure is not None:
                recorder.record_check_failure(name=result.name, case_id=case.id, code_sample="", failure=result.failure)
            else:
                recorder.record_check_success(name=result.name, case_id=case.id)

    return {"after_call": after_call, "after_network_error": after_network_error, "after_validate": after_validate}


class Progress:
    """A pytest plugin that reports a run as it goes: per API, its phase, requirements judged, requests sent.

    On a terminal the lines (one per API) are redrawn in place; elsewhere (a CI log) a line is written
    when an API enters a new phase and when it is done.
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        quiet: bool,
        live: bool,
        colour: bool,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        # The redraw clock is the plugin's own, so a test can drive it without touching the process's.
        self.clock = clock
        self.quiet = quiet
        self.live = live
        self.painter = Painter(colour)
        self.apis: list[str] = []
        self.judged: dict[str, int] = {}
        self.total: dict[str, int] = {}
        self.phase: dict[str, str] = {}
        self.session: ConformanceSession | None = None
        self.archive: TrafficArchive | None = None
        self._drawn = 0
        self._last_draw = 0.0
        self._lock = threading.Lock()

    # --- pytest hooks ---------------------------------------------------------------------------

    def follow(self, session: ConformanceSession) -> None:
        """Follow this session (built with `on_send=progress.on_send`, so the line moves as requests go out)."""
        self.session = session
        self.apis = [run.contract.api for run in session.runs]

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Count each API's requirements and start recording its traffic, if asked."""
        for item in items:
            api = _api_of_nodeid(item.nodeid)
            if api and _is_requirement(item.nodeid):
                self.total[api] = self.total.get(api, 0) + 1
        if self.archive is not None and self.session is not None:
            self.archive.attach(self.session)

    def pytest_runtest_logstart(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        """Show an API entering a new phase."""
        api = _api_of_nodeid(nodeid)
        if api and self.phase.get(api) != _phase_of(nodeid):
            self.phase[api] = _phase_of(nodeid)
            self._show(api, force=True)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Count a requirement as judged once its test has an outcome."""
        if report.when != "call" and not (report.when == "setup" and report.skipped):
            return
        api = _api_of_nodeid(report.nodeid)
        if not api or not _is_requirement(report.nodeid):
            return
        self.judged[api] = self.judged.get(api, 0) + 1
        if self.judged[api] == self.total.get(api):
            self.phase[api] = "done"
        self._show(api, force=self.judged[api] == self.total.get(api))

    def pytest_sessionfinish(self) -> None:
        """Stop recording the traffic."""
        if self.archive is not None:
            self.archive.detach()

    # --- drawing --------------------------------------------------------------------------------

    def on_send(self, method: str, url: str) -> None:
        """Called as each request goes out: redraw the live line (at most every REDRAW_INTERVAL)."""
        if self.session is not None and self.live:
            self._show(None, force=False)

    def judged_so_far(self, api: str) -> int:
        """Requirements of `api` that something has judged: an observation in the ledger (the property
        tests and scenario checks record them as they go), or their own test finished."""
        observed = 0
        if self.session is not None:
            for record in getattr(self.session.run(api), "ledger", ()):
                if record.observed:
                    observed += 1
        return min(self.total.get(api, 0), max(observed, self.judged.get(api, 0)))

    def line(self, api: str) -> str:
        """The progress line of one API."""
        sent = self.session.run(api).session.traffic.sent if self.session else 0
        phase = self.phase.get(api, "waiting")
        shown = self.painter.bold(phase) if phase != "done" else self.painter.verdict("done", "pass")
        return (
            f"[{api}] {shown}: requirements {self.judged_so_far(api)}/{self.total.get(api, 0)} judged, "
            f"{plural(sent, 'request')} sent"
        )

    def _show(self, api: str | None, *, force: bool) -> None:
        if self.quiet:
            return
        with self._lock:
            now = self.clock()
            if self.live:
                if not force and now - self._last_draw < REDRAW_INTERVAL:
                    return
                self._last_draw = now
                # Move up over the block drawn last time and draw it again, one line per API.
                up = f"\033[{self._drawn}F" if self._drawn else ""
                block = "".join(f"\033[2K{self.line(name)}\n" for name in self.apis)
                self.stream.write(up + block)
                self._drawn = len(self.apis)
            elif api is not None and force:
                self.stream.write(self.line(api) + "\n")
            self.stream.flush()


def _api_of_nodeid(nodeid: str) -> str | None:
    if "test_properties__" in nodeid:
        return nodeid.split("test_properties__", 1)[1].split("[", 1)[0].replace("_", "-")
    if "[" in nodeid and ":" in nodeid.split("[", 1)[1]:
        return nodeid.split("[", 1)[1].split(":", 1)[0]
    return None


def _is_requirement(nodeid: str) -> bool:
    return "test_requirement[" in nodeid


def _phase_of(nodeid: str) -> str:
    if "test_properties__" in nodeid:
        return "property tests"
    if "test_scenario" in nodeid:
        return "scenario checks"
    return "verdicts"


def _api_choice(config: RunConfig) -> str:
    return config.apis[0] if len(config.apis) == 1 else "all"


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
    colour: bool | None = None,
    out: TextIO | None = None,
) -> int:
    """Run the conformance suite; returns the exit code (0 pass, 1 fail, 3 untestable, 4 the suite itself failed).

    Progress and diagnostics go to `stream` (standard error); the summary, the report path and the
    verdict line to `out` (standard output), the verdict line and any untestable reason even when quiet."""
    stream = stream or sys.stderr
    out = out or sys.stdout
    out_colour = wants_colour(out) if colour is None else colour
    colour = wants_colour(stream) if colour is None else colour
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
        progress_stream = cleanup.enter_context(_beside_capture(stream)) if live else stream
        progress = Progress(progress_stream, quiet=quiet, live=live, colour=colour)
        try:
            session = ConformanceSession(config, on_send=progress.on_send)
            cleanup.callback(session.stop_server)
            progress.follow(session)
            conformance = ConformancePlugin(session, interruption)
            return _run(
                conformance,
                progress,
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
            _say(stream, f"apiconform: interrupted ({name}) before the first request: no reports written\n")
            return code


@contextmanager
def _beside_capture(stream: TextIO) -> Iterator[TextIO]:
    """A second handle on the terminal behind `stream`, which pytest's output capture does not redirect.

    pytest points file descriptors 1 and 2 at temporary files while a test runs; progress drawn during
    the long property tests would vanish into them. A duplicate of the descriptor keeps the terminal.
    """
    try:
        descriptor = os.dup(stream.fileno())
    except (AttributeError, OSError, io.UnsupportedOperation):
        yield stream
        return
    duplicate = os.fdopen(descriptor, "w", encoding=getattr(stream, "encoding", None) or "utf-8", errors="replace")
    try:
        yield duplicate
    finally:
        duplicate.close()


def _run(
    conformance: ConformancePlugin,
    progress: Progress,
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
    if artefacts.har or artefacts.cassette:
        progress.archive = TrafficArchive(config)
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
        with redacted_std_streams(redactor):
            code = pytest.main(args, plugins=[progress, conformance])
    # From here on a signal or a closed stdout no longer interrupts: the run is over, its reports written.
    conformance.interruption.settle()
    if conformance.write_error is not None:
        _say(stream, f"apiconform: error: {conformance.write_error}\n")
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
        _say(stream, redactor(f"apiconform: interrupted ({name}): stopped sending{where}\n"))
        return interrupted_code
    if written is None:
        stream.write(
            f"apiconform: the run stopped before writing its report (pytest exit {int(code)}); "
            "run again with --verbose to see why\n"
        )
        return ExitCode.SUITE_ERROR
    directory = written.path.parent
    if progress.archive is not None:
        try:
            progress.archive.write(directory, artefacts, redactor)
        except OSError as exc:
            _say(stream, f"apiconform: error: cannot write the recordings to {directory}/: {exc.strerror or exc}\n")
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


def _say(stream: TextIO, line: str) -> None:
    """Write one diagnostic line; a closed standard error is no reason for a traceback."""
    try:
        stream.write(line)
        stream.flush()
    except (BrokenPipeError, ValueError):
        pass


def write_result(out: TextIO, text: str) -> None:
    """Write the run's result to `out`; a reader that went away (`| head -3`) only means nobody reads it."""
    try:
        out.write(text)
        out.flush()
    except BrokenPipeError:
        silence(out)


def silence(out: TextIO) -> None:
    """Point a stream whose reader has gone at /dev/null, so that what is still buffered for it (flushed
    when the interpreter exits) raises no BrokenPipeError traceback either."""
    try:
        descriptor = out.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, descriptor)
    finally:
        os.close(devnull)
