"""pytest as the conformance engine: the plugin object that carries one run, and the plain-pytest door.

    apiconform run --api all ...                      (engine/driver.py builds the session, then pytest)
    pytest -p apiconform.engine.plugin --api all ... --pyargs apiconform.engine.suite

The suite is named as a module (`--pyargs`), which works from any installation, a wheel included; a
checkout may name its file instead (src/apiconform/engine/suite.py), which an installed package has not.
Either way one `ConformancePlugin` holds the `ConformanceSession` (built before any test is collected),
collects the property tests of each API into the suite module, ends the run at its time limit, turns
a crash into an `error` verdict, and writes the reports when pytest finishes. Its `written`,
`write_error`, `not_run` and `exit_code` are what the run produced. It tags every collected test of
the suite once with what it is about (`SUITE_ITEM`, a `SuiteItem`), and tells the session's listeners
what pytest collected and runs (engine/model/events.py); nothing reads a test's name. A run whose suite did not run (its
requirement tests not collected: a wrong path, a `-k` that deselects them all, pytest's usage error)
fails closed: no report (reports/latest stays where it was), one line saying what to do, and exit 2
under plain pytest (4 when pytest itself stops on the usage error). Without `--api` or `--spec` the
module does nothing, so it is harmless in other test runs.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from apiconform import contract
from apiconform.engine import ast_guard
from apiconform.engine import config as engine_config
from apiconform.engine.boundary import LateRedaction, OutputBoundary, terminal_streams
from apiconform.engine.checks.validation import BUILTIN_CHECKS
from apiconform.engine.config import ConfigurationError
from apiconform.engine.interruption import Interruption
from apiconform.engine.model.apirun import ApiRun
from apiconform.engine.model.control import TIME_LIMIT_REACHED, StopKind
from apiconform.engine.model.events import Phase, PhaseStarted, RequirementJudged, RequirementsCollected, SuiteItem
from apiconform.engine.options import add_options, add_shorthand, dest, run_options, shorthand_options
from apiconform.engine.session import ConformanceSession
from apiconform.exitcodes import ExitCode

# Where pytest's stash holds the run's session (the plugin puts it there; the suite's tests read it).
SESSION_KEY = pytest.StashKey[ConformanceSession]()
# What each collected test of the suite is about (set once, as its collector makes it).
SUITE_ITEM = pytest.StashKey[SuiteItem]()
_STARTED_KEY = pytest.StashKey[float]()
# Under plain pytest: the shorthand options the spec --spec names declares, beyond the specs folder's.
_SPEC_SHORTHANDS_KEY = pytest.StashKey[tuple[str, ...]]()
# Under plain pytest: the redaction pytest's terminal writes through, set up before the run exists.
_TERMINAL_REDACTION_KEY = pytest.StashKey[LateRedaction]()
# The suite module's stand-in for the property tests; the plugin collects one per API in its place.
PROPERTY_TESTS = "test_properties"
# What to run instead when the suite did not run (the form that works from any installation).
SUITE_ARGUMENT = "--pyargs apiconform.engine.suite"


class ConformancePlugin:
    """One conformance run inside one pytest session.

    `interruption` is the run's signal handling; `owns_interruption` says the plugin installed it (and
    uninstalls it at the end); `sets_exit_status` makes pytest's exit status the run's (the plain door).
    """

    NAME = "apiconform-conformance"

    def __init__(
        self,
        session: ConformanceSession,
        interruption: Interruption,
        *,
        owns_interruption: bool = False,
        sets_exit_status: bool = False,
    ) -> None:
        from apiconform.engine.reportjson import WrittenReport

        self.session = session
        self.interruption = interruption
        self.owns_interruption = owns_interruption
        self.sets_exit_status = sets_exit_status
        self.written: WrittenReport | None = None
        self.write_error: str | None = None
        # Why the suite did not run, when it did not (then no report is written).
        self.not_run: str | None = None
        self.suite_collected = False
        self.tests_started = False
        # A KeyboardInterrupt that is not pytest's own stop (its collection errors raise one too).
        self.keyboard_interrupt = False
        # The phase each API's tests are in (PhaseStarted is told when it changes).
        self.phase: dict[str, Phase] = {}
        interruption.follow(session.interrupt)

    @property
    def exit_code(self) -> int | None:
        """The run's exit code once its reports are written (or could not be), else None."""
        if self.write_error is not None:
            return ExitCode.SUITE_ERROR
        if self.not_run is not None:
            return ExitCode.USAGE
        if self.written is None:
            return None
        if self.session.interrupted is not None:
            return self.session.interrupted[1]
        return int(self.written.document["exit_code"])

    # --- pytest hooks ---------------------------------------------------------------------------

    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[SESSION_KEY] = self.session
        # The run's output boundary (engine/boundary.py): pytest's reports are redacted and printable, in
        # both doors, before the terminal, --junitxml or any other reporter reads them.
        if not config.pluginmanager.has_plugin(OutputBoundary.NAME):
            config.pluginmanager.register(OutputBoundary(self.session.secrets.redact), OutputBoundary.NAME)
        self.session.preflight()

    def pytest_pycollect_makeitem(self, collector: pytest.Collector, name: str, obj: object) -> list[Any] | None:
        """In place of the suite's `test_properties`, one schemathesis property test per API, named
        `test_properties__<api>` (schemathesis' own collection hook turns each into its items)."""
        if name != PROPERTY_TESTS or not isinstance(collector, pytest.Module):
            return None
        from apiconform.engine.properties import property_test

        items: list[Any] = []
        for run in self.session.runs:
            test = property_test(run)
            made = collector.ihook.pytest_pycollect_makeitem(
                collector=collector, name=f"{PROPERTY_TESTS}__{run.contract.api.replace('-', '_')}", obj=test
            )
            for node in made if isinstance(made, list) else [made] if made is not None else []:
                # The items this collector makes are tagged from it (pytest_make_collect_report).
                node.stash[SUITE_ITEM] = SuiteItem(run.contract.api, Phase.PROPERTIES, run.semantics.operation_id)
                items.append(node)
        return items

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(
        self, collector: pytest.Collector
    ) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
        """Tag each test of the suite with what it is about, once, as its collector makes it: a property
        test from its collector's tag, the suite's other tests from the `SuiteItem` they are parametrized with."""
        report = yield
        made_by = collector.stash.get(SUITE_ITEM, None)
        for node in report.result:
            tag = made_by or _parametrized_with(node)
            if tag is not None:
                node.stash[SUITE_ITEM] = tag
        return report

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Note whether the suite's requirement tests are among what will run (after `-k`, `-m`, deselection),
        and tell the listeners how many of each API's there are."""
        requirements = [item for item in session.items if _kind(item) is Phase.VERDICTS]
        self.suite_collected = bool(requirements)
        for run in self.session.runs:
            api = run.contract.api
            count = sum(1 for item in requirements if item.stash[SUITE_ITEM].api == api)
            self.session.emit(RequirementsCollected(api, count))

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        # pytest stops on collection errors (and --maxfail) by raising its own Interrupted, a KeyboardInterrupt.
        self.keyboard_interrupt = not isinstance(excinfo.value, pytest.Session.Interrupted)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> None:
        """Tell the listeners when an API's tests enter another phase (before the test starts; pytest runs it)."""
        tag = item.stash.get(SUITE_ITEM, None)
        if tag is not None and self.phase.get(tag.api) is not tag.kind:
            self.phase[tag.api] = tag.kind
            self.session.emit(PhaseStarted(tag.api, tag.kind))

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        """Past --max-time, the property tests and relations are skipped before they start: they could
        send nothing, and generating examples alone can take seconds. The run ends within seconds of its limit."""
        self.tests_started = True
        run = self._property_test_run(item)
        if run is not None and (failed := run.control.reason(StopKind.FAIL_FAST)) is not None:
            # --fail-fast: the cases could send nothing; generating them alone takes a second or more.
            pytest.skip(f"testing stopped ({failed})")
        deadline = self.session.deadline
        if deadline is None or _kind(item) is Phase.VERDICTS or time.monotonic() < deadline:
            return
        for run in self.session.runs:
            run.stop(StopKind.TIME, TIME_LIMIT_REACHED)
        pytest.skip(TIME_LIMIT_REACHED)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """A property test that raised anything but a finding is the suite's failure, never a pass: its
        API's per-response requirements turn inconclusive with the error and the run's verdict is `error`.
        (Hypothesis' own errors, FlakyStrategyDefinition among them, count the same way.)
        A requirement test's outcome is told to the listeners (`RequirementJudged`)."""
        report = yield
        tag = item.stash.get(SUITE_ITEM, None)
        outcome_known = report.when == "call" or (report.when == "setup" and report.skipped)
        if tag is not None and tag.kind is Phase.VERDICTS and outcome_known:
            self.session.emit(RequirementJudged(tag.api, tag.name))
        if call.when != "call" or call.excinfo is None or _is_finding(call.excinfo.value):
            return report
        run = self._property_test_run(item)
        if run is not None:
            # Every check the property tests run: the per-response ones, then schemathesis' other own checks.
            checked = dict.fromkeys((*run.judge.check_names, *BUILTIN_CHECKS))
            cited = [rid for name in checked for rid in run.citing(name)]
            run.crashed(f"the property tests ({item.name})", call.excinfo.value, cited)
        return report

    def _property_test_run(self, item: pytest.Item) -> ApiRun | None:
        """The API run whose property test `item` is (None for any other item)."""
        tag = item.stash.get(SUITE_ITEM, None)
        return self.session.api_run(tag.api) if tag is not None and tag.kind is Phase.PROPERTIES else None

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        interrupted = self.session.interrupted is not None or self.interruption.cause is not None
        if not (interrupted or self.keyboard_interrupt) and not (self.suite_collected and self.tests_started):
            # Nothing was judged: a report now would pass on the preflight alone. Fail closed instead.
            self.not_run = _why_not_run(self.suite_collected, int(exitstatus))
            if self.sets_exit_status:
                session.exitstatus = ExitCode.USAGE
            return
        if exitstatus == pytest.ExitCode.INTERRUPTED and self.session.interrupted is None:
            # A KeyboardInterrupt that came by another way than our handlers (pytest's own, a test's).
            self.interruption.stop(self.interruption.cause or ("SIGINT", ExitCode.SIGINT))
        self.write_reports()
        if self.sets_exit_status and self.exit_code is not None:
            # Both doors exit alike: pytest's exit status becomes the run's (0, 1, 3, 4, 129, 130, 141, 143).
            session.exitstatus = self.exit_code

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
        """Under plain pytest: say the run's verdict, why it was not judged in full (an API that could not be
        tested, the suite's own failure, what was left unjudged, an interruption), and where the reports went."""
        if not self.sets_exit_status:
            return
        write = terminalreporter.write_line
        terminalreporter.section("apiconform")
        if self.write_error is not None:
            write(f"apiconform: error: {self.write_error}")
            return
        if self.not_run is not None:
            write(f"apiconform: error: {self.not_run}")
            return
        if self.written is None:
            return
        from apiconform.reporting.document import printable, verdict_reasons

        document = self.written.document
        for line in verdict_reasons(document):
            # A reason may quote the target (a redirect's Location, a status line): shown printable.
            write(printable(line))
        write(f"verdict: {document['verdict']} (exit {document['exit_code']})")
        write(f"reports: {self.written.path.parent}/")

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self.session.interrupted is not None:
            # Interrupted before the tests began (during the preflight): the reports are written all the same.
            self.write_reports()
        self.session.stop_server()
        if self.owns_interruption:
            self.interruption.uninstall()

    # --- the reports ----------------------------------------------------------------------------

    def write_reports(self) -> None:
        """Finalize the session and write its reports, once.

        Whatever goes wrong is the suite's failure, never a pass nor a traceback: a report that cannot be
        built or rendered (an exception in `finalize`, `reportjson.build` or a renderer) is replaced by a minimal
        one whose verdict is `error` (exit 4) and which names the exception; a folder that cannot be
        written, or a failure of that replacement too, is one line and exit 4 (`write_error`)."""
        from apiconform.engine import reportjson

        if self.written is not None or self.write_error is not None:
            return
        try:
            self.session.finalize()
            self.written = reportjson.write(self.session)
        except reportjson.ReportWriteError as exc:
            self.write_error = str(exc)
        except Exception as exc:  # the suite's own failure: reported as such below, whatever it is
            self._write_crash(exc)

    def _write_crash(self, error: Exception) -> None:
        from apiconform.engine import reportjson

        self.session.stop_server()  # finalize may have failed before it stopped the embedded server
        try:
            self.written = reportjson.write_crash(self.session, error)
        except reportjson.ReportWriteError as exc:
            self.write_error = str(exc)
        except Exception as exc:  # not even the minimal report could be made: one line, exit 4
            from apiconform.reporting.document import one_line

            name = f"{type(error).__name__}: {error}; then {type(exc).__name__}: {exc}"
            self.write_error = self.session.secrets.redact(one_line(f"the reports could not be built ({name})", 500))


def _parametrized_with(node: pytest.Item | pytest.Collector) -> SuiteItem | None:
    """The `SuiteItem` a test of the suite module is parametrized with (engine/suite.py), else None."""
    callspec = getattr(node, "callspec", None)
    if callspec is None:
        return None
    return next((value for value in callspec.params.values() if isinstance(value, SuiteItem)), None)


def _kind(item: pytest.Item) -> Phase | None:
    """Which of the suite's tests `item` is (None for a test that is not the suite's)."""
    tag = item.stash.get(SUITE_ITEM, None)
    return tag.kind if tag is not None else None


def _why_not_run(collected: bool, exitstatus: int) -> str:
    """One line: why the conformance suite did not run, that nothing was judged, and what to run instead."""
    why = (
        f"pytest stopped before the suite's tests ran (pytest exit {exitstatus})"
        if collected
        else "pytest collected none of the suite's requirement tests (a wrong path, or a -k or -m that left none)"
    )
    return (
        f"the conformance suite did not run: {why}; nothing was judged and no report was written; "
        f"name the suite as {SUITE_ARGUMENT}"
    )


def _is_finding(exc: BaseException) -> bool:
    """A failing example (an AssertionError, or a group of them), or pytest's own skip/fail/xfail."""
    if isinstance(exc, BaseExceptionGroup):
        return all(_is_finding(inner) for inner in exc.exceptions)
    outcomes = (pytest.skip.Exception, pytest.fail.Exception, pytest.xfail.Exception, KeyboardInterrupt)
    return isinstance(exc, (AssertionError, *outcomes))


# --- the plain-pytest door --------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("apiconform", "apiconform conformance run")
    # The same options, defaults and checks as `apiconform run` (engine/config.py): one engine, two doors.
    try:
        add_options(group.addoption)
    except contract.ContractError as exc:
        raise pytest.UsageError(f"apiconform: {engine_config.masked(str(exc), {})}") from None


def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser) -> None:
    """With --spec FILE, add the path parameters' shorthands that spec declares (`--shop-id`), as `apiconform
    run` does: pytest has read --spec by now (its first look at the command line) and parses the rest later.
    A spec that cannot be read adds none; pytest_configure refuses it in one line (exit 2)."""
    spec = getattr(early_config.known_args_namespace, dest("--spec"), None)
    if not spec:
        return
    try:
        folder = {flag for flag, _ in shorthand_options()}
        added = [(flag, keywords) for flag, keywords in shorthand_options(spec) if flag not in folder]
    except contract.ContractError:
        return
    group = parser.getgroup("apiconform")
    for flag, keywords in added:
        try:
            add_shorthand(group.addoption, flag, keywords)
        except contract.ContractError as exc:
            raise pytest.UsageError(f"apiconform: {engine_config.masked(str(exc), {})}") from None
    early_config.stash[_SPEC_SHORTHANDS_KEY] = tuple(flag for flag, _ in added)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """Note when this pytest run started (--max-time counts from it): as near to start-up as a plugin gets.
    With --api or --spec, put pytest's terminal behind the run's output boundary before pytest makes it."""
    config.stash[_STARTED_KEY] = time.monotonic()
    if config.getoption("--api", default=None) or config.getoption("--spec", default=None):
        redaction = LateRedaction()
        config.stash[_TERMINAL_REDACTION_KEY] = redaction
        terminal_streams(config, redaction)


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """Under plain pytest with --api or --spec: build the run and register its plugin object."""
    if not (config.getoption("--api", default=None) or config.getoption("--spec", default=None)):
        return
    if config.pluginmanager.has_plugin(ConformancePlugin.NAME):
        return
    spec_shorthands: tuple[str, ...] = config.stash.get(_SPEC_SHORTHANDS_KEY, ())
    flags = [flag for flag, _ in run_options()] + list(spec_shorthands)
    values = {dest(flag): config.getoption(flag) for flag in flags}
    interruption = Interruption()
    installed = False
    try:
        run_config = engine_config.run_config(values, started_at=config.stash.get(_STARTED_KEY, None))
        installed = interruption.install(watch_stdout=False)
        session = ConformanceSession(run_config)
    except ConfigurationError as exc:
        if installed:
            interruption.uninstall()
        # One line and exit 2, as `apiconform run` gives (a pytest UsageError would exit 4).
        pytest.exit(f"apiconform: {engine_config.masked(str(exc), values)}", returncode=ExitCode.USAGE)
    config.add_cleanup(ast_guard.install())  # as `apiconform run` does (driver.py)
    if _TERMINAL_REDACTION_KEY in config.stash:
        config.stash[_TERMINAL_REDACTION_KEY].follow(session.secrets.redact)
    plugin = ConformancePlugin(session, interruption, owns_interruption=installed, sets_exit_status=True)
    # Registered while pytest configures: pytest calls the object's own pytest_configure at once.
    config.pluginmanager.register(plugin, ConformancePlugin.NAME)


# The suite's module, by name (`--pyargs apiconform.engine.suite`) or by file.
SUITE_MODULE = "apiconform.engine.suite"
# Said when the suite is collected without the run --api or --spec builds (here, and in the suite itself
# when this plugin is not loaded).
SUITE_NEEDS_A_RUN = "apiconform: the suite needs --api NAME (or all) or --spec FILE, with -p apiconform.engine.plugin"


def _names_the_suite(arg: str, suite_file: Path | None) -> bool:
    """Whether a pytest argument names the suite module, by name or by file (a node id's file part counts)."""
    if arg == SUITE_MODULE or arg.startswith(SUITE_MODULE + "::"):
        return True
    try:
        return suite_file is not None and Path(arg.split("::")[0]).resolve() == suite_file
    except OSError:
        return False


@pytest.hookimpl(tryfirst=True)
def pytest_collection(session: pytest.Session) -> None:
    """The suite asked for without --api or --spec: one line and exit 2, as `apiconform run` without them
    gives, before collection (inside it, the error would be a collection traceback)."""
    if SESSION_KEY in session.config.stash:
        return
    spec = importlib.util.find_spec(SUITE_MODULE)
    suite_file = Path(spec.origin).resolve() if spec is not None and spec.origin is not None else None
    if any(_names_the_suite(arg, suite_file) for arg in session.config.args):
        pytest.exit(SUITE_NEEDS_A_RUN, returncode=ExitCode.USAGE)
