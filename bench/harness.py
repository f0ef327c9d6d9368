"""What the benchmark scripts share: running apiconform and plain schemathesis as subprocesses.

Each run is its own process, so the figures (time, memory) are those a user sees, and one run's
state cannot leak into the next.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apiconform import contract

ROOT = Path(__file__).resolve().parents[1]
APICONFORM = [sys.executable, "-m", "apiconform"]
SCHEMATHESIS = [str(Path(sys.executable).with_name("schemathesis"))]
TOKEN = "bench-token"
# Each API's spec file (relative to the checkout) and list operation, from the specs folder.
SPECS = {
    loaded.api: (str(loaded.spec_path.relative_to(ROOT)), loaded.semantics.operation_id)
    for loaded in contract.load_all()
}


@dataclass(frozen=True)
class Run:
    """One finished run: its report (apiconform) or summary (schemathesis), time, requests, peak memory."""

    exit_code: int
    seconds: float
    requests: int
    peak_rss_mb: float
    report: dict[str, Any]


def measured(command: Sequence[str], **kwargs: Any) -> tuple[subprocess.CompletedProcess[str], float, float]:
    """Run a command; return it, its wall time and its peak RSS in MB.

    The command runs under `_peak.py`, a fresh process whose only child it is, because ru_maxrss of
    RUSAGE_CHILDREN is the largest of all children a process ever had."""
    wrapper = [sys.executable, str(Path(__file__).with_name("_peak.py")), *command]
    started = time.monotonic()
    completed = subprocess.run(wrapper, capture_output=True, text=True, check=False, **kwargs)
    elapsed = time.monotonic() - started
    match = re.search(r"^peak-rss-kib (\d+)$", completed.stderr, re.MULTILINE)
    peak = int(match.group(1)) / 1024 if match else float("nan")
    return completed, elapsed, peak


def apiconform_run(
    api: str,
    *,
    seed: int = 0,
    faults: Sequence[str] = (),
    churn: float = 0.0,
    report_dir: Path | None = None,
    variants: Sequence[str] = (),
) -> Run:
    """`apiconform run` against the embedded reference server (with faults, variants or churn switched on)."""
    with tempfile.TemporaryDirectory(prefix="apiconform-bench-") as scratch:
        directory = report_dir or Path(scratch, "report")
        command = [*APICONFORM, "run", "--api", api, "--seed", str(seed), "--report-dir", str(directory), "--quiet"]
        for fault in faults:
            command += ["--reference-fault", fault]
        for variant in variants:
            command += ["--reference-variant", variant]
        if churn:
            command += ["--reference-churn", str(churn)]
        completed, seconds, peak = measured(command, cwd=scratch)
        report_path = directory / "report.json"
        if not report_path.exists():
            raise RuntimeError(f"{' '.join(command)} wrote no report (exit {completed.returncode}): {completed.stderr}")
        report = json.loads(report_path.read_text())
    return Run(completed.returncode, seconds, int(report["requests"]), peak, report)


@contextmanager
def reference_server(
    *, faults: Sequence[str] = (), seed: int = 0, latency_ms: float = 0.0, throttle: str | None = None
) -> Iterator[dict[str, str]]:
    """`apiconform serve` in the background (answering `latency_ms` late); yields its base URLs per API
    and its enterprise id.

    `throttle` ("REQUESTS/SECONDS") is its --throttle. The server prints how many requests it answered 429
    as it stops, so once the `with` block has ended the yielded dict also holds that count under
    "answered-429" (absent if the server did not say)."""
    command = [*APICONFORM, "serve", "--port", "0", "--seed", str(seed), "--token", TOKEN]
    if latency_ms:
        command += ["--latency-ms", f"{latency_ms:g}"]
    if throttle:
        command += ["--throttle", throttle]
    for fault in faults:
        command += ["--fault", fault]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    found: dict[str, str] = {}
    try:
        for line in process.stdout:
            parts = line.split()
            if len(parts) == 2 and parts[0] in SPECS:
                found[parts[0]] = parts[1]
            elif line.strip().startswith("enterprise id"):
                found["enterprise-id"] = parts[-1]
            elif line.startswith("Press Ctrl+C"):
                break
        if not {*SPECS, "enterprise-id"} <= set(found):
            raise RuntimeError(f"the reference server did not start: {found}")
        yield found
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        if throttle:
            # The process has ended, so this reads only the few lines it printed as it stopped.
            match = re.search(r"^throttle answered (\d+) requests", process.stdout.read(), re.MULTILINE)
            if match:
                found["answered-429"] = match.group(1)


def apiconform_in_process(
    api: str, seed: int, faults: Sequence[str] = (), churn: float = 0.0, variants: Sequence[str] = ()
) -> dict[str, Any]:
    """One default run in this process (warm imports and caches: many runs cost less), its report.json.

    `variants` switches on legitimate behaviours of the embedded server (RunConfig.embedded_variants)."""
    from apiconform.engine import driver
    from apiconform.engine.session import RunConfig
    from apiconform.server import VARIANTS

    # A variant a vendor release documents is judged as that release (--release), as the tests do.
    release = next(
        (VARIANTS[name].release for name in variants if api in VARIANTS[name].apis and VARIANTS[name].release), None
    )
    with tempfile.TemporaryDirectory(prefix="apiconform-bench-") as scratch:
        started = time.monotonic()
        config = RunConfig.checked(
            apis=[api],
            seed=seed,
            embedded_faults=tuple(faults),
            embedded_variants=tuple(variants),
            embedded_churn=churn,
            releases={api: release} if release else {},
            report_dir=scratch,
        )
        # The verdict line goes to stdout even when quiet; a benchmark prints its own table there.
        driver.run(config, quiet=True, out=io.StringIO())
        report: dict[str, Any] = json.loads(Path(scratch, "report.json").read_text())
        report["bench_seconds"] = time.monotonic() - started
    return report


def schemathesis_run(api: str, server: dict[str, str], *, seed: int, max_examples: int) -> Run:
    """Plain `schemathesis run` with all its checks against one API of a running reference server."""
    spec, operation = SPECS[api]
    with tempfile.TemporaryDirectory(prefix="apiconform-bench-st-") as scratch:
        config = Path(scratch, "schemathesis.toml")
        config.write_text(f'[parameters]\n"path.enterpriseId" = "{server["enterprise-id"]}"\n')
        command = [
            *SCHEMATHESIS, "--config-file", str(config), "run", str(ROOT / spec), "--url", server[api],
            "-H", f"Authorization: Bearer {TOKEN}", "--checks", "all", "--seed", str(seed),
            "--max-examples", str(max_examples), "--include-operation-id", operation, "--continue-on-failure",
            "--report", "json,har", "--report-dir", str(Path(scratch, "reports")), "--no-color",
            "--workers", "1", "--generation-database", "none",
        ]  # fmt: skip
        completed, seconds, peak = measured(command, cwd=scratch)
        reports = Path(scratch, "reports")
        summary = json.loads(next(reports.glob("json-*.json")).read_text())
        har = json.loads(next(reports.glob("har-*.json")).read_text())
    return Run(completed.returncode, seconds, len(har["log"]["entries"]), peak, summary)


def schemathesis_failures(run: Run) -> set[str]:
    """The kinds of failure a schemathesis run found (code and title)."""
    return {f"{failure['code']} {failure['title']}" for failure in run.report.get("failures", [])}


def failing_requirements(report: dict[str, Any]) -> dict[str, str]:
    """Requirement id -> verdict, for the requirements that failed or warned."""
    return {item["id"]: item["verdict"] for item in report["requirements"] if item["verdict"] in ("fail", "warn")}


def found_by_design(report: dict[str, Any], requirement: str) -> bool:
    """Whether a failure of `requirement` came from something designed for a rule (a relation,
    or the per-response checks on the pages it fetched), not only from the property tests' generated cases."""
    item = next((item for item in report["requirements"] if item["id"] == requirement), None)
    if item is None:
        return False
    return any(failure.get("found_in") not in (None, "property tests") for failure in item["failures"])


def first_failure_after(report: dict[str, Any]) -> int | None:
    values = [api.get("first_failure_after_requests") for api in report["apis"]]
    found = [value for value in values if value is not None]
    return min(found) if found else None


def environment() -> str:
    return f"Python {sys.version.split()[0]} on {os.cpu_count()} cores"
