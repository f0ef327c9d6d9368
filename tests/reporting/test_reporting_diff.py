"""`apiconform diff` and `apiconform report`: what they print and how they exit, on good and unreadable input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from apiconform.cli import main
from apiconform.reporting.diff import diff_reports

from .conftest import make_report, requirement


def _save(path: Path, report: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report), encoding="utf-8")
    return path


def _pair() -> tuple[dict[str, Any], dict[str, Any]]:
    old = make_report(
        [
            requirement("OES-PASS-TO-FAIL", "pass"),
            requirement("OES-WARN-TO-FAIL", "warn", level="SHOULD"),
            requirement("OES-NOTEX-TO-FAIL", "not-exercised"),
            requirement("OES-WAIVED-TO-FAIL", "waived"),
            requirement("OES-MUST-PASS-TO-NOTEX", "pass"),
            requirement("OES-MUST-PASS-TO-INCONC", "pass"),
            requirement("OES-MUST-PASS-TO-WAIVED", "pass"),
            requirement("OES-MUST-PASS-TO-SHOULD-WARN", "pass"),
            requirement("OES-MUST-PASS-GONE", "pass"),
            requirement("OES-FAIL-TO-PASS", "fail"),
            requirement("OES-FAIL-TO-WAIVED", "fail"),
            requirement("OES-SHOULD-PASS-TO-WARN", "pass", level="SHOULD"),
            requirement("OES-SHOULD-PASS-TO-NOTEX", "pass", level="SHOULD"),
            requirement("OES-NOTEX-TO-INCONC", "not-exercised"),
            requirement("OES-LEVEL", "pass", level="SHOULD"),
            requirement("OES-SAME", "pass"),
            requirement("OES-SHOULD-GONE", "pass", level="SHOULD"),
        ]
    )
    new = make_report(
        [
            requirement("OES-PASS-TO-FAIL", "fail"),
            requirement("OES-WARN-TO-FAIL", "fail"),
            requirement("OES-NOTEX-TO-FAIL", "fail"),
            requirement("OES-WAIVED-TO-FAIL", "fail"),
            requirement("OES-MUST-PASS-TO-NOTEX", "not-exercised"),
            requirement("OES-MUST-PASS-TO-INCONC", "inconclusive"),
            requirement("OES-MUST-PASS-TO-WAIVED", "waived"),
            requirement("OES-MUST-PASS-TO-SHOULD-WARN", "warn", level="SHOULD"),
            requirement("OES-FAIL-TO-PASS", "pass"),
            requirement("OES-FAIL-TO-WAIVED", "waived"),
            requirement("OES-SHOULD-PASS-TO-WARN", "warn", level="SHOULD"),
            requirement("OES-SHOULD-PASS-TO-NOTEX", "not-exercised", level="SHOULD"),
            requirement("OES-NOTEX-TO-INCONC", "inconclusive"),
            requirement("OES-LEVEL", "pass", level="MUST"),
            requirement("OES-SAME", "pass"),
            requirement("OES-NEW", "fail"),
        ]
    )
    return old, new


def test_diff_classifies_every_change() -> None:
    result = diff_reports(*_pair())
    names = {
        kind: [change.requirement for change in getattr(result, kind)]
        for kind in ("regressed", "recovered", "changed", "added", "removed")
    }
    assert names == {
        "regressed": [
            "OES-PASS-TO-FAIL",
            "OES-WARN-TO-FAIL",
            "OES-NOTEX-TO-FAIL",
            "OES-WAIVED-TO-FAIL",
            # A MUST that passed and passes no longer, however it ends now.
            "OES-MUST-PASS-TO-NOTEX",
            "OES-MUST-PASS-TO-INCONC",
            "OES-MUST-PASS-TO-WAIVED",
            "OES-MUST-PASS-TO-SHOULD-WARN",
            "OES-MUST-PASS-GONE",
        ],
        "recovered": ["OES-FAIL-TO-PASS"],
        "changed": [
            "OES-FAIL-TO-WAIVED",
            "OES-SHOULD-PASS-TO-WARN",
            "OES-SHOULD-PASS-TO-NOTEX",
            "OES-NOTEX-TO-INCONC",
            "OES-LEVEL",
        ],
        "added": ["OES-NEW"],
        "removed": ["OES-SHOULD-GONE"],
    }
    assert result.unchanged == 1 and result.has_regressions


@pytest.mark.parametrize("now", ["not-exercised", "inconclusive", "waived", "absent"])
def test_a_must_that_passed_and_passes_no_longer_is_the_only_regression(now: str) -> None:
    """Each way a MUST can stop passing fails the comparison on its own, and says how it ended."""
    old = make_report([requirement("OES-A", "pass"), requirement("OES-B", "pass")])
    new = make_report([requirement("OES-A", "pass")] + ([] if now == "absent" else [requirement("OES-B", now)]))
    result = diff_reports(old, new)
    assert [change.describe() for change in result.regressed] == [f"OES-B [bitgo-oes]: pass -> {now} (title of OES-B)"]
    assert result.has_regressions and not result.removed and not result.changed


def test_diff_command_exits_1_on_a_regression_and_0_without(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = _pair()
    old_path, new_path = _save(tmp_path / "old.json", old), _save(tmp_path / "new.json", new)
    assert main(["diff", str(old_path), str(new_path)]) == 1
    out = capsys.readouterr().out
    assert "regressed (9):\n  OES-PASS-TO-FAIL [bitgo-oes]: pass -> fail" in out
    assert "  OES-MUST-PASS-TO-NOTEX [bitgo-oes]: pass -> not-exercised" in out
    assert "  OES-MUST-PASS-GONE [bitgo-oes]: pass -> absent" in out
    assert "  OES-LEVEL [bitgo-oes]: pass -> pass; level SHOULD -> MUST" in out
    assert out.rstrip().endswith("REGRESSION: 9 regressed, 1 recovered, 5 changed, 1 added, 1 removed, 1 unchanged")
    assert main(["diff", str(new_path), str(new_path)]) == 0
    assert (
        capsys.readouterr()
        .out.rstrip()
        .endswith("no regression: 0 regressed, 0 recovered, 0 changed, 0 added, 0 removed, 16 unchanged")
    )
    # A failure that went away is a recovery, not a regression.
    _, fixed = _pair()
    fixed["requirements"][0] = requirement("OES-PASS-TO-FAIL", "pass")
    assert main(["diff", str(new_path), str(_save(tmp_path / "fixed.json", fixed))]) == 0
    assert "recovered (1):\n  OES-PASS-TO-FAIL [bitgo-oes]: fail -> pass" in capsys.readouterr().out


def test_diff_notes_a_changed_spec(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = make_report()
    new = make_report()
    new["apis"][0]["spec"]["sha256"] = "c" * 64
    assert main(["diff", str(_save(tmp_path / "a.json", old)), str(_save(tmp_path / "b.json", new))]) == 0
    assert (
        "note: bitgo-oes: the spec changed between the runs (aaaaaaaaaaaa -> cccccccccccc)" in capsys.readouterr().out
    )


def test_diff_accepts_report_directories(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = _pair()
    _save(tmp_path / "release" / "report.json", old)
    _save(tmp_path / "candidate" / "report.json", new)
    assert main(["diff", str(tmp_path / "release"), str(tmp_path / "candidate")]) == 1


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "no such file"),
        ("{not json", "not JSON: Expecting property name enclosed in double quotes at line 1 column 2"),
        ('{"verdict": "pass"}', "not an apiconform report: at (top level): 'requirements' is a required property"),
        (
            '{"requirements": [{"id": "X"}]}',
            "not an apiconform report: at requirements/0: 'level' is a required property",
        ),
        (b"\xff\xfe", "not UTF-8 text"),
    ],
)
@pytest.mark.parametrize("command", ["diff", "report"])
def test_unreadable_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | bytes | None, message: str, command: str
) -> None:
    bad = tmp_path / "bad.json"
    if isinstance(content, bytes):
        bad.write_bytes(content)
    elif content is not None:
        bad.write_text(content, encoding="utf-8")
    good = _save(tmp_path / "good.json", make_report())
    argv = ["diff", str(good), str(bad)] if command == "diff" else ["report", str(bad), "--format", "md"]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    if command == "report" and message.startswith("not an apiconform report"):
        message = "not an apiconform report: at (top level):"
    assert captured.err.startswith(f"apiconform: error: {bad}: ") and message in captured.err
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err


@pytest.mark.parametrize(
    "format_name, marker", [("html", "<!DOCTYPE html>"), ("md", "## apiconform"), ("junit", "<?xml")]
)
def test_report_command_re_renders_a_stored_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], format_name: str, marker: str
) -> None:
    stored = _save(tmp_path / "run" / "report.json", make_report())
    assert main(["report", str(stored), "--format", format_name]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(marker) and "OES-A-FAIL" in printed
    output = tmp_path / f"again.{format_name}"
    assert main(["report", str(tmp_path / "run"), "--format", format_name, "--output", str(output)]) == 0
    assert output.read_text(encoding="utf-8") == printed


def test_report_command_rejects_an_unwritable_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stored = _save(tmp_path / "report.json", make_report())
    assert main(["report", str(stored), "--format", "md", "--output", str(tmp_path / "missing" / "x.md")]) == 2
    assert capsys.readouterr().err.startswith(
        f"apiconform: error: --output: cannot write {tmp_path / 'missing' / 'x.md'}"
    )
