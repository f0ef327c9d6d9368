"""The pytest plugin that makes pytest the conformance engine.

    pytest -p apiconform.engine.plugin --api all [--base-url URL] [--token T] ... src/apiconform/engine/suite.py

With `--api` given, the plugin builds a `ConformanceSession` before collection (starting the embedded
reference server when no base URL is given), the suite module collects one property test per API
and one test per requirement, and at the end the plugin writes the reports. Without `--api` the
plugin does nothing, so it is harmless in other test runs.
"""

from __future__ import annotations

import _thread
import os
import select
import signal
import stat
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from apiconform import contract
from apiconform.engine import options
from apiconform.engine.options import ca_bundle_path, resolve_base_urls, validate
from apiconform.engine.session import ConfigurationError, ConformanceSession, RunConfig

__all__ = ["ca_bundle_path", "resolve_base_urls", "validate"]

# time.monotonic() when pytest's command line was read (or this module imported): --max-time counts from it.
STARTED_AT = time.monotonic()

_ACTIVE: ConformanceSession | None = None


def active_session() -> ConformanceSession:
    """The session of the current pytest run (the suite module reads it at import)."""
    if _ACTIVE is None:
        raise RuntimeError("apiconform.engine.suite runs only under the apiconform plugin with --api")
    return _ACTIVE


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("apiconform", "apiconform conformance run")
    group.addoption("--api", choices=[*contract.API_NAMES, "all"], help="API(s) to test")
    # The same options, defaults and checks as `apiconform run` (engine/options.py): one engine, two doors.
    options.add_options(group.addoption)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """Note when this pytest run started: under plain pytest, as near to start-up as a plugin gets."""
    global STARTED_AT
    STARTED_AT = time.monotonic()


def config_from_options(config: pytest.Config) -> RunConfig:
    """The run configuration: the one `apiconform run` prepared, or one built from the pytest options."""
    if PRESET is not None:
        return PRESET
    choice = config.getoption("--api")
    apis = list(contract.API_NAMES) if choice == "all" else [choice]
    values = {options.dest(flag): config.getoption(flag) for flag, _ in options.RUN_OPTIONS}
    return options.run_config(values, apis, started_at=STARTED_AT)


PRESET: RunConfig | None = None
LAST_REPORT: Path | None = None
SESSION_KEY = pytest.StashKey[ConformanceSession]()


# Set by `apiconform run` before it starts pytest; the report path is read back after.
# WRITE_ERROR is the one line saying why the reports could not be written (exit code 4).
WRITE_ERROR: str | None = None
EXIT_WRITE_FAILED = 4


class Interruption:
    """Turns SIGINT, SIGTERM and a closed stdout into one KeyboardInterrupt in the main thread.

    What stopped the run is kept (`cause`: a name and the exit code it gives: 130 for SIGINT, 143 for
    SIGTERM, 141 for a closed stdout, as a shell reports SIGPIPE). At once every API stops sending;
    pytest then ends the session, and the plugin writes reports whose verdict is `interrupted`.
    A second signal while the reports are written is ignored, so they are not cut short.
    """

    def __init__(self) -> None:
        self.cause: tuple[str, int] | None = None
        self.installed = False
        self._raised = False
        self._settled = False
        self._saved: dict[int, Any] = {}
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self._stdout: int | None = None

    def install(self, *, watch_stdout: bool = True) -> bool:
        """Install the handlers (main thread only); False when they were already installed or cannot be."""
        if self.installed or threading.current_thread() is not threading.main_thread():
            return False
        self.cause, self._raised, self._settled = None, False, False
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._saved[signum] = signal.signal(signum, self._on_signal)
        self.installed = True
        if watch_stdout:
            self._watch_stdout()
        return True

    def uninstall(self) -> None:
        if not self.installed:
            return
        self.settle()
        if self._stdout is not None:
            os.close(self._stdout)
            self._stdout = None
        for signum, handler in self._saved.items():
            signal.signal(signum, handler)
        self._saved.clear()
        self.installed = False

    def settle(self) -> None:
        """The run is over (its reports written): stop watching stdout; later signals change nothing."""
        self._settled = True
        self._stop.set()
        if self._watcher is not None and self._watcher is not threading.current_thread():
            self._watcher.join(timeout=2)
            self._watcher = None

    def stop(self, cause: tuple[str, int]) -> None:
        """Record why the run stops (the first cause wins) and stop every API of the active run sending."""
        if self.cause is None:
            self.cause = cause
        session = _ACTIVE
        if session is not None:
            session.interrupted = session.interrupted or self.cause
            for run in session.runs:
                if run.session.traffic.stopped is None:
                    run.session.traffic.stopped = f"the run was interrupted ({self.cause[0]})"

    def _on_signal(self, signum: int, frame: object) -> None:
        if self._settled:
            return
        self.stop((signal.Signals(signum).name, 128 + signum))
        if not self._raised:
            self._raised = True
            raise KeyboardInterrupt

    def _watch_stdout(self) -> None:
        """Watch standard output, when it is a pipe or a socket, for its reader going away (`| head`)."""
        try:
            mode = os.fstat(1).st_mode
        except OSError:
            return
        if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)) or not hasattr(select, "poll"):
            return
        self._stdout = os.dup(1)
        self._stop.clear()
        poller = select.poll()
        # No events asked for: poll still reports POLLERR/POLLHUP, which is all that is wanted.
        poller.register(self._stdout, 0)

        def watch() -> None:
            while not self._stop.is_set():
                if poller.poll(200) and not self._stop.is_set() and not self._settled:
                    self.stop(("closed stdout", EXIT_CLOSED_STDOUT))
                    _thread.interrupt_main(signal.SIGINT)
                    return

        self._watcher = threading.Thread(target=watch, name="apiconform-stdout-watch", daemon=True)
        self._watcher.start()


EXIT_CLOSED_STDOUT = 141
INTERRUPTION = Interruption()
_INSTALLED_HERE = pytest.StashKey[bool]()


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    global _ACTIVE, LAST_REPORT, WRITE_ERROR
    if not config.getoption("--api", default=None):
        return
    LAST_REPORT = WRITE_ERROR = None
    try:
        run_config = config_from_options(config)
    except ConfigurationError as exc:
        raise pytest.UsageError(f"apiconform: {exc}") from None
    # Under plain pytest the plugin installs the signal handlers itself (`apiconform run` already has).
    config.stash[_INSTALLED_HERE] = INTERRUPTION.install(watch_stdout=False)
    session = ConformanceSession(run_config)
    config.stash[SESSION_KEY] = session
    _ACTIVE = session
    if INTERRUPTION.cause is not None:
        INTERRUPTION.stop(INTERRUPTION.cause)
    session.preflight()
    # The suite module reads the session when it is imported; a second run in the same process
    # (tests, benchmarks) must import it afresh.
    sys.modules.pop("apiconform.engine.suite", None)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Past --max-time, the property tests and scenario checks are skipped before they start: they could
    send nothing, and generating examples alone can take seconds. The run ends within seconds of its limit."""
    conformance = item.config.stash.get(SESSION_KEY, None)
    if conformance is None or conformance.deadline is None or "test_requirement" in item.name:
        return
    if time.monotonic() >= conformance.deadline:
        for run in conformance.runs:
            run.budget_exhausted = True
            if run.session.traffic.stopped is None:
                run.session.traffic.stopped = "the run's time limit (--max-time) was reached"
        pytest.skip("the run's time limit (--max-time) was reached")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    """A property test that raised anything but a finding is the suite's failure, never a pass: its
    API's per-response requirements turn inconclusive with the error and the run's verdict is `error`.
    (Hypothesis' own errors, FlakyStrategyDefinition among them, count the same way.)"""
    outcome = yield
    conformance = item.config.stash.get(SESSION_KEY, None)
    if conformance is None or call.when != "call" or call.excinfo is None or "test_properties__" not in item.name:
        return outcome
    if _is_finding(call.excinfo.value):
        return outcome
    api = item.name.split("test_properties__", 1)[1].split("[", 1)[0].replace("_", "-")
    run = next((run for run in conformance.runs if run.contract.api == api), None)
    if run is not None:
        cited = [rid for check in run.response_checks for rid in run.citing(check.__name__)]
        cited += run.citing("negative_data_rejection") + run.citing("unsupported_method")
        run.crashed(f"the property tests ({item.name})", call.excinfo.value, cited)
    return outcome


def _is_finding(exc: BaseException) -> bool:
    """A failing example (an AssertionError, or a group of them), or pytest's own skip/fail/xfail."""
    if isinstance(exc, BaseExceptionGroup):
        return all(_is_finding(inner) for inner in exc.exceptions)
    outcomes = (pytest.skip.Exception, pytest.fail.Exception, pytest.xfail.Exception, KeyboardInterrupt)
    return isinstance(exc, (AssertionError, *outcomes))


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    conformance = session.config.stash.get(SESSION_KEY, None)
    if conformance is None:
        return
    if exitstatus == pytest.ExitCode.INTERRUPTED and conformance.interrupted is None:
        # A KeyboardInterrupt that came by another way than our handlers (pytest's own, a test's).
        INTERRUPTION.stop(INTERRUPTION.cause or ("SIGINT", 130))
    code = _write_reports(conformance)
    if code is not None and PRESET is None:
        # Both doors exit alike: pytest's exit status becomes the run's (0, 1, 3, 4, 130, 141, 143).
        session.exitstatus = code


def _write_reports(conformance: ConformanceSession) -> int | None:
    """Finalize the session and write its reports; the run's exit code, or None when nothing was written."""
    global LAST_REPORT, WRITE_ERROR
    from apiconform.engine import report

    if LAST_REPORT is not None or WRITE_ERROR is not None:
        return None
    conformance.finalize()
    try:
        LAST_REPORT = report.write(conformance)
    except report.ReportWriteError as exc:
        WRITE_ERROR = str(exc)
        return EXIT_WRITE_FAILED
    return conformance.interrupted[1] if conformance.interrupted else report.last_exit_code(LAST_REPORT)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Under plain pytest: say the run's verdict, why an API could not be tested, and where the reports went."""
    conformance = config.stash.get(SESSION_KEY, None)
    if conformance is None or PRESET is not None:
        return
    write = terminalreporter.write_line
    terminalreporter.section("apiconform")
    if WRITE_ERROR is not None:
        write(f"apiconform: error: {WRITE_ERROR}")
        return
    if LAST_REPORT is None:
        return
    import json

    report = json.loads(LAST_REPORT.read_text(encoding="utf-8"))
    for api in report["apis"]:
        if api["verdict"] == "untestable":
            write(f"{api['api']} could not be tested: {api['untestable_reason']}")
    write(f"verdict: {report['verdict']} (exit {report['exit_code']})")
    write(f"reports: {LAST_REPORT.parent}/")


def pytest_unconfigure(config: pytest.Config) -> None:
    global _ACTIVE
    session = config.stash.get(SESSION_KEY, None)
    if session is not None:
        if session.interrupted is not None and LAST_REPORT is None and WRITE_ERROR is None:
            # Interrupted before the tests began (during the preflight): the reports are written all the same.
            _write_reports(session)
        session.stop_server()
    if config.stash.get(_INSTALLED_HERE, False):
        INTERRUPTION.uninstall()
    _ACTIVE = None
