"""Fixtures for the hostile-target tests: an upstream reference server, hostile servers in front of it, and
`apiconform run` driven in-process (or in a subprocess, to measure its memory) with its terminal captured."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from apiconform.cli import main
from apiconform.reporting import load_report
from apiconform.server import ReferenceServer
from tests.engine.scripted import TEST_SERVER_RATE

from .server import Behaviour, HostileServer

BRM = "brm-adjust-balance"
OES = "bitgo-oes"
# Tight bounds, so that every hostile run is over in seconds.
TIGHT = ("--request-timeout", "1", "--max-examples", "3")


@dataclass(frozen=True)
class Outcome:
    """One `apiconform run`: exit code, what reached the terminal, how long it took, its report."""

    code: int
    out: str
    err: str
    elapsed: float
    directory: Path
    peak_rss_mb: float | None = None

    @property
    def terminal(self) -> str:
        return self.out + self.err

    def report(self) -> dict[str, Any]:
        return load_report(self.directory)

    def api(self, name: str) -> dict[str, Any]:
        return next(api for api in self.report()["apis"] if api["api"] == name)

    def requirement(self, rid: str) -> dict[str, Any]:
        return next(item for item in self.report()["requirements"] if item["id"] == rid)

    def text(self, name: str) -> str:
        return (self.directory / name).read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def upstream(make_reference_server: Callable[..., ReferenceServer]) -> ReferenceServer:
    """The reference server the hostile servers pass valid requests on to (small: 300 records per API)."""
    return make_reference_server(records=300)


HostileFactory = Callable[..., HostileServer]


@pytest.fixture
def hostile(upstream: ReferenceServer) -> Iterator[HostileFactory]:
    """`hostile("slow", delay=5)` -> a started HostileServer with that behaviour; all stop after the test."""
    with ExitStack() as stack:

        def make(name: str = "proxy", *, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None, **options: Any):
            return stack.enter_context(HostileServer(upstream, Behaviour(name, **options), host=host, tls=tls))

        yield make


def run_argv(server: HostileServer, upstream: ReferenceServer, api: str, report_dir: Path, *extra: str) -> list[str]:
    """`apiconform run` arguments for one API behind `server`, with the upstream's token and enterprise."""
    return [
        "run",
        "--api",
        api,
        "--base-url",
        server.api_base_url(api),
        "--enterprise-id",
        upstream.enterprise_id,
        "--report-dir",
        str(report_dir),
        # The hostile server is the test's own: a pace of the test's, unless the test sets one.
        *(() if "--rate-limit" in extra else ("--rate-limit", str(TEST_SERVER_RATE))),
        *extra,
    ]


@pytest.fixture
def run_cli(capfd: pytest.CaptureFixture[str], tmp_path: Path) -> Callable[..., Outcome]:
    """Run `apiconform` in this process with argv; the token is given through $APICONFORM_TOKEN."""
    counter = iter(range(1000))

    def run(argv: list[str], *, token: str | None = None) -> Outcome:
        directory = tmp_path / f"run-{next(counter)}"
        argv = [*argv, "--report-dir", str(directory)] if "--report-dir" not in argv else argv
        saved = os.environ.get("APICONFORM_TOKEN")
        if token is not None:
            os.environ["APICONFORM_TOKEN"] = token
        capfd.readouterr()
        started = time.monotonic()
        try:
            code = main(argv)
        finally:
            elapsed = time.monotonic() - started
            if saved is None:
                os.environ.pop("APICONFORM_TOKEN", None)
            else:
                os.environ["APICONFORM_TOKEN"] = saved
        out, err = capfd.readouterr()
        report_dir = Path(argv[argv.index("--report-dir") + 1])
        return Outcome(code, out, err, elapsed, report_dir)

    return run


# Linux charges a child's ru_maxrss with its parent's resident memory at exec time (the old address space
# counts), so a run started straight from a pytest worker would report the worker's size. The run is
# therefore the child of bench/_peak.py, a small interpreter that appends its children's peak to stderr.
PEAK_WRAPPER = Path(__file__).resolve().parents[2] / "bench" / "_peak.py"
PEAK_LINE = re.compile(r"\npeak-rss-kib (\d+)\n\Z")


def run_subprocess(argv: list[str], directory: Path, *, token: str, timeout: float = 120) -> Outcome:
    """Run `python -m apiconform` with argv in a child process; measure its wall time and peak RSS."""
    env = {**os.environ, "APICONFORM_TOKEN": token, "NO_COLOR": "1"}
    out_file, err_file = directory / "stdout.txt", directory / "stderr.txt"
    directory.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, str(PEAK_WRAPPER), sys.executable, "-m", "apiconform", *argv]
    with out_file.open("w") as out, err_file.open("w") as err:
        started = time.monotonic()
        # Its own session, so that a run outliving `timeout` is killed with its wrapper (the test then
        # fails on the exit status).
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env, start_new_session=True)
        killer = threading.Timer(timeout, os.killpg, (process.pid, signal.SIGKILL))
        killer.start()
        try:
            process.wait()
        finally:
            killer.cancel()
        elapsed = time.monotonic() - started
    report_dir = Path(argv[argv.index("--report-dir") + 1])
    terminal = err_file.read_text()
    measured = PEAK_LINE.search(terminal)
    peak = int(measured.group(1)) / 1024 if measured else None  # ru_maxrss is in KiB on Linux
    terminal = terminal[: measured.start()] if measured else terminal
    return Outcome(process.returncode, out_file.read_text(), terminal, elapsed, report_dir, peak)


@dataclass(frozen=True)
class Certificate:
    """A self-signed certificate for 127.0.0.1 and its key, as PEM files."""

    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A fresh self-signed certificate for 127.0.0.1, made with the openssl command (valid for a day)."""
    return self_signed(tmp_path_factory.mktemp("tls"), "/CN=127.0.0.1", "subjectAltName=IP:127.0.0.1")


@pytest.fixture(scope="session")
def client_certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A fresh self-signed client certificate (mutual TLS), made as `certificate` is."""
    return self_signed(tmp_path_factory.mktemp("client-tls"), "/CN=apiconform-client", "extendedKeyUsage=clientAuth")


def self_signed(directory: Path, subject: str, extension: str) -> Certificate:
    """A self-signed certificate for `subject` with `extension` and its key, made with the openssl command."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            subject,
            "-addext",
            extension,
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return Certificate(cert, key)


def no_traceback(outcome: Outcome) -> None:
    """Nothing on the terminal looks like a crash."""
    assert "Traceback" not in outcome.terminal, outcome.terminal
    assert "INTERNALERROR" not in outcome.terminal, outcome.terminal


def report_json_text(outcome: Outcome) -> str:
    return json.dumps(outcome.report())
