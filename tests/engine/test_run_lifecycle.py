"""A run ends cleanly however it ends (issue 12, items 2 and 3).

- Every argument and file is checked before the first request: exit 2 and one line.
- SIGINT, SIGTERM, SIGHUP and a closed stdout stop sending and write reports whose verdict is
  `interrupted` (exit 130, 143, 129, 141), remove the temporary folders and leave reports/latest alone.
- Reports are written atomically; a failed write is one line and exit 4.
- Default report folders never collide; a reused --report-dir is emptied of apiconform's own files only.
- --max-time counts from start-up: no request is under way after it, and the run ends soon after.
- A target that is not the API (404, a body that is not JSON) or wants a token is untestable, and says why.

The subprocess tests wait on conditions (a line on stderr, the process ending) with deadlines, never
on sleeps; everything is on loopback.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from xml.etree import ElementTree

import pytest

from apiconform.cli import main
from apiconform.engine import reportjson as engine_report
from apiconform.engine.session import ConformanceSession, RunConfig
from apiconform.reporting import validate_report
from apiconform.reporting.writer import OWN_FILES, atomic_write_text
from tests.engine.scripted import brm_base

BRM = "brm-adjust-balance"
OES = "bitgo-oes"
# Generous: the machine may be busy. The tests wait on conditions and use these only as the limit.
DEADLINE = 120.0


def _ok(path: str) -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": "application/json"}, b"[]"


# --- checked before the first request ------------------------------------------------------------------


def _waivers(tmp_path: Path, requirement: str) -> str:
    path = tmp_path / "waivers.yaml"
    path.write_text(
        f"- requirement: {requirement}\n  reason: vendor fix due\n  ticket: T-1\n  expires: 2099-01-01\n",
        encoding="utf-8",
    )
    return str(path)


@pytest.mark.parametrize(
    ("case", "says"),
    [
        ("report-dir-in-proc", "--report-dir /proc/"),
        ("report-dir-is-a-file", "it is a file"),
        ("report-dir-under-a-file", "is a file"),
        ("waiver-for-no-requirement", "BRM-NOPE is not a requirement of any catalog"),
        ("fault-of-another-api", "oes-auth-ignored (bitgo-oes) belongs to an API this run does not test"),
        ("variant-of-another-api", "which this run does not test"),
        ("variant-forbidding-a-tested-api", "leaves nothing of bitgo-connections to test"),
        ("base-url-with-query", "has a query"),
        ("base-url-with-fragment", "has a fragment"),
        ("base-url-with-user-info", "user info"),
        ("base-url-with-trailing-space", "spaces around it"),
        ("base-url-with-leading-space", "spaces around it"),
    ],
)
def test_a_mistake_is_one_line_and_exit_2_before_anything_is_sent(case, says, tmp_path, scripted, capsys):
    server = scripted(_ok)
    base = brm_base(server)
    regular = tmp_path / "a-file"
    regular.write_text("not a folder\n", encoding="utf-8")
    args = {
        "report-dir-in-proc": ["--base-url", base, "--report-dir", "/proc/apiconform-x"],
        "report-dir-is-a-file": ["--base-url", base, "--report-dir", str(regular)],
        "report-dir-under-a-file": ["--base-url", base, "--report-dir", str(regular / "sub")],
        "waiver-for-no-requirement": ["--base-url", base, "--waivers", _waivers(tmp_path, "BRM-NOPE")],
        "fault-of-another-api": ["--reference-fault", "oes-auth-ignored"],
        "variant-of-another-api": ["--reference-variant", "oes-400-body-as-array"],
        "variant-forbidding-a-tested-api": ["--reference-variant", "oes-connections-forbidden"],
        "base-url-with-query": ["--base-url", base + "?tenant=1"],
        "base-url-with-fragment": ["--base-url", base + "#top"],
        "base-url-with-user-info": ["--base-url", base.replace("://", "://user:secret@")],
        "base-url-with-trailing-space": ["--base-url", base + " "],
        "base-url-with-leading-space": ["--base-url", " " + base],
    }[case]
    if case == "variant-of-another-api":
        from apiconform.server.variants import VARIANTS

        bitgo_only = next(name for name, variant in VARIANTS.items() if variant.apis == (OES,))
        args = ["--reference-variant", bitgo_only]
    api = "all" if case == "variant-forbidding-a-tested-api" else BRM
    code = main(["run", "--api", api, "--report-dir", str(tmp_path / "r"), *args, "-q"])
    captured = capsys.readouterr()
    assert code == 2, captured
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("apiconform: error: "), captured.err
    assert says in lines[0], lines[0]
    assert "secret" not in captured.err
    assert server.seen == [], "a request was sent before the arguments were checked"
    assert not (tmp_path / "r").exists()


def test_a_waiver_for_a_requirement_of_another_api_is_accepted(tmp_path, scripted):
    """A shared waivers file may name requirements of an API this run does not test."""
    from apiconform.engine import config as engine_config

    values = {"api": BRM, "waivers": _waivers(tmp_path, "OES-FILTER-STATUSES"), "report_dir": str(tmp_path / "r")}
    config = engine_config.run_config(values)
    assert [waiver.requirement for waiver in config.waivers] == ["OES-FILTER-STATUSES"]


# --- told right: untestable, with the reason -----------------------------------------------------------


def _preflight(base_urls: dict[str, str], **options: Any) -> ConformanceSession:
    session = ConformanceSession(RunConfig.checked(apis=[BRM], base_urls=base_urls, **options))
    session.preflight()
    return session


def test_a_base_url_that_answers_404_is_untestable_and_asks_about_the_base_url(scripted, tmp_path):
    """`--base-url` at `python -m http.server`: nothing there, so the API was never reached (exit 3, not 1)."""
    server = scripted(lambda path: (404, {"Content-Type": "text/html"}, b"<html>Not Found</html>"))
    session = _preflight({BRM: server.url("")})
    reason = session.runs[0].untestable
    assert "is --base-url right? it should end with /brm/prepayBalanceManagement/v4" in reason, reason
    session.finalize()
    built = engine_report.build(session)
    assert built["exit_code"] == 3 and built["apis"][0]["verdict"] == "untestable"
    assert {item["verdict"] for item in built["requirements"]} == {"inconclusive"}


def test_a_body_that_is_not_json_is_untestable_not_nonconformant(scripted):
    """A directory listing or a login page answered 200: not the API, whatever it is."""
    server = scripted(lambda path: (200, {"Content-Type": "text/html"}, b"<html><body>Directory listing</body></html>"))
    session = _preflight({BRM: brm_base(server)})
    reason = session.runs[0].untestable
    assert "a body that is not JSON (text/html)" in reason and "is --base-url right?" in reason, reason
    session.finalize()
    assert engine_report.build(session)["exit_code"] == 3


def test_a_401_without_a_token_says_none_was_given_and_where_it_was_looked_for(scripted, monkeypatch):
    monkeypatch.delenv("APICONFORM_TOKEN", raising=False)
    body = b'{"code": "401", "reason": "Unauthorized", "message": "no token"}'
    server = scripted(lambda path: (401, {"Content-Type": "application/json"}, body))
    reason = _preflight({BRM: brm_base(server)}).runs[0].untestable
    assert "configured credentials" not in reason, reason
    assert "without a token" in reason, reason
    for source in ("--token", "--token-file", "$APICONFORM_TOKEN"):
        assert source in reason, reason


def test_a_401_with_a_token_names_where_the_token_came_from(scripted, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("APICONFORM_TOKEN", "wrong-token-1234")
    server = scripted(lambda path: (403, {"Content-Type": "application/json"}, b'{"code": "403", "reason": "no"}'))
    code = main(["run", "--api", BRM, "--base-url", brm_base(server), "--report-dir", str(tmp_path / "r")])
    assert code == 3
    report = json.loads((tmp_path / "r" / "report.json").read_text(encoding="utf-8"))
    reason = report["apis"][0]["untestable_reason"]
    assert "with the token from $APICONFORM_TOKEN" in reason, reason
    assert "wrong-token-1234" not in json.dumps(report) + str(capsys.readouterr())


# --- reports: atomic, never colliding, a reused folder emptied of our files only ---------------------------


def test_a_report_file_is_whole_or_absent_when_the_disk_fills(tmp_path, monkeypatch):
    target = tmp_path / "report.html"
    target.write_text("the previous run's complete report\n", encoding="utf-8")

    class FullDisk:
        def __init__(self, handle: Any) -> None:
            self.handle = handle

        def __enter__(self) -> FullDisk:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()

        def write(self, text: str) -> int:
            self.handle.write(text[:16384])
            raise OSError(28, "No space left on device")

    real_fdopen = os.fdopen
    monkeypatch.setattr("apiconform.reporting.writer.os.fdopen", lambda *a, **k: FullDisk(real_fdopen(*a, **k)))
    with pytest.raises(OSError):
        atomic_write_text(target, "x" * 100_000)
    assert target.read_text(encoding="utf-8") == "the previous run's complete report\n"
    assert [path.name for path in tmp_path.iterdir()] == ["report.html"], "a temporary file was left behind"


@pytest.mark.e2e
def test_a_failed_report_write_is_one_line_and_exit_4(tmp_path, monkeypatch, capsys):
    def no_space(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("apiconform.reporting.writer.os.replace", no_space)
    code = main(["run", "--api", BRM, "--max-examples", "2", "--report-dir", str(tmp_path / "r"), "-q"])
    captured = capsys.readouterr()
    assert code == 4, captured
    errors = [line for line in captured.err.splitlines() if line.startswith("apiconform:")]
    assert errors == [f"apiconform: error: cannot write the reports to {tmp_path / 'r'}/: No space left on device"], (
        captured.err
    )
    assert "Traceback" not in captured.err + captured.out
    assert not (tmp_path / "r" / "report.json").exists()


# --- the suite's own failure: verdict error, exit 4, with a report ----------------------------------------

CRASH_TOKEN = "crash-token-12345"
REPORT_FILES = ["junit.xml", "report.html", "report.json", "report.md"]


def _crashed_report(directory: Path, files: list[str]) -> dict[str, Any]:
    """The report a run whose report could not be built wrote: schema-valid, verdict error, no secret."""
    assert sorted(path.name for path in directory.iterdir()) == files
    for path in directory.iterdir():
        assert CRASH_TOKEN not in path.read_text(encoding="utf-8"), path.name
    report = json.loads((directory / "report.json").read_text(encoding="utf-8"))
    validate_report(report)
    assert (report["verdict"], report["exit_code"]) == ("error", 4)
    assert [api["verdict"] for api in report["apis"]] == ["error"]
    return report


@pytest.mark.e2e
def test_a_report_that_cannot_be_built_is_an_error_report_and_exit_4(tmp_path, monkeypatch, capsys):
    """`report.build` raising (as a redaction that renamed a field once did) is the suite's failure: a
    minimal report says `error` and names the exception in one redacted line; exit 4, no traceback."""

    def broken(session: ConformanceSession) -> dict[str, Any]:
        raise RuntimeError(f"boom with {CRASH_TOKEN}\non two lines")

    monkeypatch.setattr(engine_report, "build", broken)
    monkeypatch.setenv("APICONFORM_TOKEN", CRASH_TOKEN)
    code = main(["run", "--api", BRM, "--max-examples", "2", "--report-dir", str(tmp_path / "r")])
    captured = capsys.readouterr()
    assert code == 4, captured
    assert "Traceback" not in captured.err + captured.out
    report = _crashed_report(tmp_path / "r", REPORT_FILES)
    failure = "the report could not be built: RuntimeError: boom with $APICONFORM_TOKEN on two lines"
    assert report["apis"][0]["suite_errors"] == [failure]
    assert f"{BRM}: {failure}" in captured.out
    assert captured.out.splitlines()[-1].startswith("verdict: error (the suite itself failed, exit 4); ")


@pytest.mark.e2e
def test_a_renderer_that_raises_leaves_an_error_report_without_that_format(tmp_path, monkeypatch, capsys):
    from apiconform.reporting.writer import FORMATS

    def broken(report: Any) -> str:
        raise KeyError("embedded_reference_server")

    monkeypatch.setitem(FORMATS, "html", ("report.html", broken))
    code = main(["run", "--api", BRM, "--max-examples", "2", "--report-dir", str(tmp_path / "r"), "-q"])
    captured = capsys.readouterr()
    assert code == 4, captured
    report = _crashed_report(tmp_path / "r", [name for name in REPORT_FILES if name != "report.html"])
    assert report["apis"][0]["suite_errors"] == ["the report could not be built: KeyError: 'embedded_reference_server'"]


@pytest.mark.e2e
def test_a_run_whose_error_report_cannot_be_made_either_is_one_line_and_exit_4(tmp_path, monkeypatch, capsys):
    def broken(*args: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(engine_report, "build", broken)
    monkeypatch.setattr(engine_report, "crash_report", broken)
    code = main(["run", "--api", BRM, "--max-examples", "2", "--report-dir", str(tmp_path / "r"), "-q"])
    captured = capsys.readouterr()
    assert code == 4, captured
    assert captured.err.strip().splitlines() == [
        "apiconform: error: the reports could not be built (RuntimeError: boom; then RuntimeError: boom)"
    ]
    assert not (tmp_path / "r" / "report.json").exists()


@pytest.mark.e2e
def test_the_pytest_door_exits_4_with_an_error_report_when_the_report_cannot_be_built(tmp_path):
    (tmp_path / "break_the_report.py").write_text(
        "from apiconform.engine import reportjson\n\n\n"
        "def broken(session):\n    raise RuntimeError('boom')\n\n\n"
        "reportjson.build = broken\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "APICONFORM_TOKEN": CRASH_TOKEN}
    command = [sys.executable, "-m", "pytest", "-p", "break_the_report", "-p", "apiconform.engine.plugin"]
    command += ["-p", "no:cacheprovider", "--api", BRM, "--max-examples", "2", "--report-dir", str(tmp_path / "r")]
    command += ["--pyargs", "apiconform.engine.suite"]
    completed = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=DEADLINE)
    assert completed.returncode == 4, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert "verdict: error (exit 4)" in completed.stdout
    _crashed_report(tmp_path / "r", REPORT_FILES)


def _session_stub(api: str, started: datetime) -> Any:
    return SimpleNamespace(runs=[SimpleNamespace(contract=SimpleNamespace(api=api))], started=started)


def test_default_report_folders_of_runs_started_in_the_same_second_differ(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    started = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    made = {engine_report._new_default_dir(_session_stub(BRM, started)) for _ in range(20)}
    assert len(made) == 20
    for directory in made:
        assert directory.is_dir() and directory.name.startswith(f"{BRM}-20260102T030405Z-"), directory


@pytest.mark.e2e
def test_a_reused_report_dir_is_emptied_of_our_files_only(tmp_path):
    directory = tmp_path / "r"
    directory.mkdir()
    for name in OWN_FILES:
        (directory / name).write_text("from an earlier run\n", encoding="utf-8")
    (directory / "notes.txt").write_text("the user's own\n", encoding="utf-8")
    (directory / "sub").mkdir()
    code = main(["run", "--api", BRM, "--max-examples", "2", "--report-dir", str(directory), "-q"])
    assert code == 0
    names = sorted(path.name for path in directory.iterdir())
    assert names == sorted(["junit.xml", "notes.txt", "report.html", "report.json", "report.md", "sub"]), names
    assert (directory / "notes.txt").read_text(encoding="utf-8") == "the user's own\n"
    for name in ("junit.xml", "report.html", "report.json", "report.md"):
        assert "from an earlier run" not in (directory / name).read_text(encoding="utf-8")


# --- interrupted runs --------------------------------------------------------------------------------------


class Child:
    """`apiconform run` in a subprocess, its stderr read line by line as it comes."""

    def __init__(self, args: list[str], cwd: Path, *, stdout: int | None = subprocess.DEVNULL) -> None:
        env = {**os.environ, "TMPDIR": str(cwd / "tmp"), "PYTHONUNBUFFERED": "1"}
        env.pop("APICONFORM_TOKEN", None)
        (cwd / "tmp").mkdir(exist_ok=True)
        command = [sys.executable, "-m", "apiconform.cli", "run", *args]
        self.process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=stdout, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)

    def wait_for(self, text: str) -> None:
        end = time.monotonic() + DEADLINE
        while not any(text in line for line in self.lines):
            if self.process.poll() is not None or time.monotonic() > end:
                self._reader.join(timeout=5)
                raise AssertionError(f"never printed {text!r}: {''.join(self.lines)}")
            threading.Event().wait(0.05)

    def finish(self) -> int:
        try:
            code = self.process.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        self._reader.join(timeout=10)
        return code

    def stderr(self) -> str:
        return "".join(self.lines)


def _start_paced_run(tmp_path: Path, **popen: Any) -> Child:
    """A run of the embedded server paced so slowly that it cannot finish before it is stopped."""
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "previous").mkdir()
    os.symlink("previous", reports / "latest")
    return Child(["--api", BRM, "--rate-limit", "20", "--max-examples", "50"], tmp_path, **popen)


def _check_interrupted(tmp_path: Path, cause: str, code: int) -> dict[str, Any]:
    reports = tmp_path / "reports"
    folders = [path for path in reports.iterdir() if path.name not in ("previous", "latest")]
    assert len(folders) == 1, folders
    report = json.loads((folders[0] / "report.json").read_text(encoding="utf-8"))
    validate_report(report)
    assert report["verdict"] == "interrupted" and report["exit_code"] == code, (report["verdict"], report["exit_code"])
    assert report["interrupted"] == cause
    # No API of an interrupted run says pass, in report.json or in anything rendered from it.
    assert {api["verdict"] for api in report["apis"]} <= {"interrupted", "fail", "error"}, report["apis"]
    suites = ElementTree.parse(folders[0] / "junit.xml").getroot().iter("testsuite")
    for suite in suites:
        verdict = next(p.get("value") for p in suite.find("properties") or () if p.get("name") == "verdict")
        assert verdict in ("interrupted", "fail", "error"), suite.get("name")
    assert report["requests"] > 0
    judged = {item["verdict"] for item in report["requirements"]}
    assert "not-exercised" in judged
    assert any("the run was interrupted" in " ".join(item["reasons"]) for item in report["requirements"])
    assert os.readlink(reports / "latest") == "previous", "an interrupted run moved reports/latest"
    assert not [path.name for path in (tmp_path / "tmp").iterdir() if path.name.startswith("apiconform-")]
    assert not list(folders[0].glob(".apiconform-*")), "a temporary report file was left behind"
    return report


@pytest.mark.e2e
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_signal_stops_the_run_and_its_reports_say_interrupted(signum, code, tmp_path):
    child = _start_paced_run(tmp_path)
    child.wait_for("relations")  # the first phase: most requirements are still to be judged
    child.process.send_signal(signum)
    assert child.finish() == code, child.stderr()
    assert f"apiconform: interrupted ({signum.name})" in child.stderr(), child.stderr()
    assert "Traceback" not in child.stderr()
    _check_interrupted(tmp_path, signum.name, code)


@pytest.mark.e2e
def test_a_closed_stdout_stops_the_run_and_its_reports_say_interrupted(tmp_path):
    """`apiconform run | reader` whose reader goes away: exit 141, as a shell reports SIGPIPE."""
    child = _start_paced_run(tmp_path, stdout=subprocess.PIPE)
    child.wait_for("relations")  # the first phase: most requirements are still to be judged
    assert child.process.stdout is not None
    child.process.stdout.close()
    assert child.finish() == 141, child.stderr()
    assert "apiconform: interrupted (closed stdout)" in child.stderr(), child.stderr()
    assert "Traceback" not in child.stderr()
    _check_interrupted(tmp_path, "closed stdout", 141)


# --- --max-time ----------------------------------------------------------------------------------------


@pytest.mark.e2e
def test_max_time_stops_sending_at_the_deadline_counted_from_start_up_and_the_run_then_ends(tmp_path):
    """A run paced so slowly that it would take over a minute (345 requests at 5 a second), given
    --max-time 10: no request of it is still under way 10 s after the process started, the report says
    the time limit stopped it, and the process ends soon after.

    The wall-clock bound is gross on purpose: the verdicts and reports after the deadline take about a
    second of CPU, which a busy CI machine can stretch several-fold; it still fails a run that ignores
    --max-time by far. The deadline itself is judged from the run's own timeline, which no load moves."""
    limit = 10.0
    started = time.monotonic()
    child = Child(
        ["--api", BRM, "--rate-limit", "5", "--max-examples", "50", "--max-time", str(limit)]
        + ["--report-dir", str(tmp_path / "r")],
        tmp_path,
    )
    # The process exists by now, so its deadline is at most this plus the limit.
    latest_deadline = time.time() + limit
    code = child.finish()
    elapsed = time.monotonic() - started
    report = json.loads((tmp_path / "r" / "report.json").read_text(encoding="utf-8"))
    assert code == report["exit_code"] == 3, child.stderr()
    (api,) = report["apis"]
    # Reached between requests, or "... during a request" when one was in flight: both are the limit.
    assert api["stopped_reason"].startswith("the run's time limit (--max-time) was reached"), api["stopped_reason"]
    points = api["timeline"]["points"]
    assert points and api["timeline"]["sampled_every"] == 1, "nothing was sent within the time limit"
    # The timeline counts from the run's start (report.json's `started`), in ms; 0.05 s covers the rounding
    # and the 10 ms ticks in which Linux gives a process's start.
    last_end = datetime.fromisoformat(report["started"]).timestamp() + max(
        since + milliseconds / 1000 for since, milliseconds, _status in points
    )
    assert last_end <= latest_deadline + 0.05, f"a request ended {last_end - latest_deadline:.2f} s past the deadline"
    assert elapsed <= limit + 15.0, f"--max-time {limit:g} took {elapsed:.1f} s"


# --- a run that did not look at every MUST ----------------------------------------------------------------


@pytest.mark.e2e
def test_a_budget_that_leaves_musts_unjudged_is_incomplete_and_allow_partial_makes_it_partial(tmp_path, capsys):
    """`--max-requests 40` cannot judge every MUST of an API: the gate says so (exit 3), never conformant;
    a user who wants such a smoke run says --allow-partial and gets `partial`, exit 0, in every output."""
    base = ["run", "--api", BRM, "--max-requests", "40", "--max-examples", "2"]
    code = main([*base, "--report-dir", str(tmp_path / "strict")])
    out = capsys.readouterr().out
    report = json.loads((tmp_path / "strict" / "report.json").read_text(encoding="utf-8"))
    assert code == report["exit_code"] == 3, out
    assert report["verdict"] == report["apis"][0]["verdict"] == "incomplete"
    api = report["apis"][0]
    assert api["unjudged"] and all(item["cause"] in ("run", "unexplained") for item in api["unjudged"])
    assert (
        "--max-requests" in api["incomplete_reason"] and "MUST requirements were not judged" in api["incomplete_reason"]
    )
    assert "verdict: incomplete" in out
    code = main([*base, "--allow-partial", "--report-dir", str(tmp_path / "smoke")])
    out = capsys.readouterr().out
    report = json.loads((tmp_path / "smoke" / "report.json").read_text(encoding="utf-8"))
    assert code == report["exit_code"] == 0, out
    assert report["verdict"] == report["apis"][0]["verdict"] == "partial"
    assert report["settings"]["allow_partial"] is True
    assert "verdict: partial" in out


@pytest.mark.e2e
def test_a_time_limit_against_a_faulty_target_never_ends_conformant(tmp_path):
    """`--max-time 2` against a fault the first seconds do not reach: fail if it was found, else incomplete."""
    directory = tmp_path / "r"
    code = main(
        [
            "run",
            "--api",
            BRM,
            "--reference-fault",
            "brm-order-unstable",
            "--max-time",
            "2",
            "--report-dir",
            str(directory),
        ]
    )
    report = json.loads((directory / "report.json").read_text(encoding="utf-8"))
    assert code == report["exit_code"] and code in (1, 3), report["apis"][0]["incomplete_reason"]
    assert report["verdict"] in ("fail", "incomplete")
