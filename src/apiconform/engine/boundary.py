"""The output boundary of a run, the same through both doors (`apiconform run` and plain pytest).

Whatever the suite or pytest writes reaches a terminal, a CI log or one of pytest's own files only through
the run's redaction (engine/transport/redaction.py) and one neutralisation of vendor text (`printable` in
reporting/document.py: control characters shown as escapes, no line a CI workflow command):

- `RedactingStream`: a text stream that writes whole lines, redacted and printable. `apiconform run`
  points sys.stdout and sys.stderr at two while pytest runs (`redacted_std_streams`); under plain pytest
  the plugin gives pytest's terminal reporter one (`terminal_streams`).
- `OutputBoundary`: a pytest plugin that rewrites each test and collection report as pytest makes it (a
  failure's traceback with its locals, its crash line, captured output, a skip's or an xfail's reason),
  before any reporter reads it: the terminal, `--junitxml`, a report log. A failing property test shows
  `case = Case(headers={'Authorization': 'Bearer $APICONFORM_TOKEN'}, ...)`.

What pytest prints through these is plain text: pytest's own colours and in-place rewrites are escape
sequences and carriage returns too, which the neutralisation cannot tell from a vendor's, so the plain
door runs without them (as `apiconform run --verbose` runs pytest with --color=no).
"""

from __future__ import annotations

import copy
import io
import sys
import threading
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

import pytest

from apiconform.reporting.document import printable

Redact = Callable[[str], str]


class RedactingStream(io.TextIOBase):
    """A text stream that writes whole lines to `target` after redacting them and making them printable.

    Lines are held until they end, so a secret is never split over two writes and missed. What pytest
    prints quotes vendor text, so control characters are shown as escapes and no line starts a CI
    workflow command. It is no terminal to whoever asks (`isatty`): what is written here is shown as
    plain lines, so pytest neither colours them nor redraws a line in place with a carriage return.
    """

    def __init__(self, target: TextIO, redact: Redact) -> None:
        super().__init__()
        self.target = target
        self.redact = redact
        self._pending = ""
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            self._pending += text
            if "\n" in self._pending:
                complete, self._pending = self._pending.rsplit("\n", 1)
                self.target.write(printable(self.redact(complete)) + "\n")
        return len(text)

    def flush(self) -> None:
        self.target.flush()

    def drain(self) -> None:
        """Write out a last unfinished line."""
        with self._lock:
            if self._pending:
                self.target.write(printable(self.redact(self._pending)))
                self._pending = ""
        self.target.flush()

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self.target.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.target, "encoding", "utf-8")


@contextmanager
def redacted_std_streams(redact: Redact) -> Iterator[None]:
    """Route sys.stdout and sys.stderr through the redaction while pytest runs (its -v output, warnings).

    Both go to standard error: standard output carries the run's result only (the summary, the
    verdict line, where the reports are), so that `apiconform run > result.txt` holds just that."""
    saved = sys.stdout, sys.stderr
    wrapped = RedactingStream(sys.stderr, redact), RedactingStream(sys.stderr, redact)
    sys.stdout, sys.stderr = wrapped
    try:
        yield
    finally:
        for stream in wrapped:
            stream.drain()
        sys.stdout, sys.stderr = saved


class LateRedaction:
    """The redaction of a run that does not exist yet: text passes unchanged until `follow` names the
    run's redaction (pytest's terminal is set up before the run is, and the run adds secrets as it goes)."""

    def __init__(self) -> None:
        self._redact: Redact | None = None

    def follow(self, redact: Redact) -> None:
        self._redact = redact

    def __call__(self, text: str) -> str:
        return self._redact(text) if self._redact is not None else text


def terminal_streams(config: pytest.Config, redact: Redact) -> None:
    """Under plain pytest: pytest's terminal reporter (made a moment later, on sys.stdout) and whatever
    else writes to sys.stdout or sys.stderr outside a test write through a RedactingStream, without colour.

    Called before pytest configures its plugins; the streams are drained and put back when pytest is done."""
    config.option.color = "no"
    saved = sys.stdout, sys.stderr
    wrapped = RedactingStream(sys.stdout, redact), RedactingStream(sys.stderr, redact)
    sys.stdout, sys.stderr = wrapped

    def restore() -> None:
        for stream in wrapped:
            stream.drain()
        # pytest's output capture, which began before this, puts its own start's streams back after each
        # test: past the first test only the terminal reporter, which keeps its stream, writes through these.
        if sys.stdout is wrapped[0]:
            sys.stdout = saved[0]
        if sys.stderr is wrapped[1]:
            sys.stderr = saved[1]

    config.add_cleanup(restore)


class OutputBoundary:
    """A pytest plugin: every test and collection report leaves pytest's hands redacted and printable."""

    NAME = "apiconform-output-boundary"

    def __init__(self, redact: Redact) -> None:
        self.redact = redact

    def clean(self, text: str) -> str:
        return printable(self.redact(text))

    # tryfirst: the outermost wrapper, so it sees each report last, after pytest's own (skipping, xfail).
    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[Any, Any, None]:
        outcome = yield
        self._rewrite(outcome.get_result())

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_make_collect_report(self, collector: pytest.Collector) -> Generator[Any, Any, None]:
        outcome = yield
        self._rewrite(outcome.get_result())

    def _rewrite(self, report: pytest.TestReport | pytest.CollectReport) -> None:
        longrepr = report.longrepr
        if isinstance(longrepr, str):
            report.longrepr = self.clean(longrepr)
        elif isinstance(longrepr, tuple):
            path, line, reason = longrepr  # a skip: where, and why
            report.longrepr = (path, line, self.clean(reason))
        elif longrepr is not None:
            report.longrepr = CleanRepr(longrepr, self.clean)  # type: ignore[assignment]
        report.sections = [(title, self.clean(content)) for title, content in report.sections]
        if isinstance(getattr(report, "wasxfail", None), str):
            report.wasxfail = self.clean(report.wasxfail)  # type: ignore[union-attr]


class CleanRepr:
    """A failure as pytest shows and writes it, made once and cleaned: its whole text (the traceback with
    its source and locals, Hypothesis' falsifying example) and its crash line, which pytest's short
    summary and junit's `message` quote."""

    def __init__(self, original: Any, clean: Redact) -> None:
        self.text = clean(str(original))
        # A copy: pytest keeps the original with the exception's other representations.
        crash: Any = copy.copy(getattr(original, "reprcrash", None))
        if crash is not None:
            crash.path, crash.message = clean(str(crash.path)), clean(str(crash.message))
        self.reprcrash = crash

    def toterminal(self, out: Any) -> None:
        out.line(self.text)

    def __str__(self) -> str:
        return self.text
