"""The output boundary both doors share (engine/boundary.py, issue 22, items 1 and 6): pytest's reports and
terminal pass the run's redaction and the same neutralisation of vendor text."""

from __future__ import annotations

import dataclasses
import io
import sys
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, cast

import pytest

from apiconform.engine.boundary import CleanRepr, LateRedaction, OutputBoundary, terminal_streams
from apiconform.engine.transport.redaction import Redactor

TOKEN = "SeCrEtToKeN-abc123/XYZ+q=="
VENDOR = "\x1b]52;c;cHduZWQ=\x07\n::error title=x::all good"


@dataclasses.dataclass
class Crash:
    """The shape of pytest's crash line (ReprFileLocation)."""

    path: str
    lineno: int
    message: str


class Failure:
    """The shape of a failure's representation as pytest makes it (a traceback that quotes the case)."""

    reprcrash = Crash("suite.py", 83, f"AssertionError: sent Bearer {TOKEN}")

    def __str__(self) -> str:
        return f"case = Case(headers={{'Authorization': 'Bearer {TOKEN}'}})\nE   {VENDOR}"


def _report(longrepr: Any) -> pytest.TestReport:
    sections = [("Captured stdout call", f"echo {TOKEN.lower()}")]
    return cast(pytest.TestReport, SimpleNamespace(longrepr=longrepr, sections=sections, wasxfail=f"x {TOKEN}"))


def test_a_failure_its_crash_line_captured_output_and_reasons_leave_pytest_redacted_and_printable() -> None:
    boundary = OutputBoundary(Redactor([TOKEN]).redact)
    failed = _report(Failure())
    boundary._rewrite(failed)
    cleaned: Any = failed.longrepr
    shown = str(cleaned)
    assert shown.startswith("case = Case(headers={'Authorization': 'Bearer $APICONFORM_TOKEN'})")
    assert "\\x1b]52;c;cHduZWQ=\\x07\n\\x3a:error title=x::all good" in shown
    assert isinstance(cleaned, CleanRepr) and cleaned.reprcrash is not None
    assert cleaned.reprcrash.message == "AssertionError: sent Bearer $APICONFORM_TOKEN"
    assert Failure.reprcrash.message.endswith(TOKEN), "pytest's own crash line is left as it was"
    assert failed.sections == [("Captured stdout call", "echo $APICONFORM_TOKEN")]
    assert failed.wasxfail == "x $APICONFORM_TOKEN"
    lines: list[str] = []
    cleaned.toterminal(SimpleNamespace(line=lines.append))
    assert lines == [shown]
    skipped = _report(("suite.py", 9, f"Skipped: {VENDOR} {TOKEN}"))
    boundary._rewrite(skipped)
    assert skipped.longrepr == (
        "suite.py",
        9,
        "Skipped: \\x1b]52;c;cHduZWQ=\\x07\n\\x3a:error title=x::all good $APICONFORM_TOKEN",
    )


def test_the_plain_doors_terminal_writes_through_the_run_s_redaction_without_colour(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    cleanups: list[Callable[[], None]] = []
    config = SimpleNamespace(option=SimpleNamespace(color="yes"), add_cleanup=cleanups.append)
    redaction = LateRedaction()
    terminal_streams(cast(pytest.Config, config), redaction)
    assert config.option.color == "no" and not sys.stdout.isatty()
    sys.stdout.write(f"before the run: {VENDOR}\n")
    redaction.follow(Redactor([TOKEN]).redact)  # the run exists: its secrets are known
    sys.stdout.write(f"case = Case(headers={{'Authorization': 'Bearer {TOKEN}'}})")
    sys.stderr.write(f"{TOKEN.upper()}\n")
    for cleanup in cleanups:
        cleanup()
    assert (sys.stdout, sys.stderr) == (out, err)
    assert out.getvalue() == (
        "before the run: \\x1b]52;c;cHduZWQ=\\x07\n\\x3a:error title=x::all good\n"
        "case = Case(headers={'Authorization': 'Bearer $APICONFORM_TOKEN'})"
    )
    assert err.getvalue() == "$APICONFORM_TOKEN\n"
