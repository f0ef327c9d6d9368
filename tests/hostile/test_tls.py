"""TLS: verified by default, against --ca-bundle when given, skipped only with --insecure, which every report shows.

The target is a loopback HTTPS server with a self-signed certificate made for the test session.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from apiconform.server import ReferenceServer

from .conftest import BRM, TIGHT, Certificate, HostileFactory, Outcome, no_traceback, run_argv
from .server import HostileServer

# A small budget: the TLS path is tested, not the API judged (a smoke run: partial, exit 0).
BUDGET = ("--max-requests", "60", "--allow-partial")


@pytest.fixture
def server(hostile: HostileFactory, certificate: Certificate) -> HostileServer:
    """A hostile server in pass-through mode, serving HTTPS with the session's self-signed certificate."""
    return hostile("proxy", tls=certificate.server_context())


def test_an_unverifiable_certificate_makes_the_target_untestable(
    server: HostileServer,
    upstream: ReferenceServer,
    run_cli: Callable[..., Outcome],
    tmp_path: Path,
) -> None:
    assert server.origin.startswith("https://")
    outcome = run_cli(run_argv(server, upstream, BRM, tmp_path / "r", *TIGHT, *BUDGET), token=upstream.token)
    no_traceback(outcome)
    assert outcome.code == 3
    reason = outcome.api(BRM)["untestable_reason"]
    assert "TLS certificate verification failed (self-signed certificate)" in reason
    assert "--ca-bundle" in reason and "--ca-bundle" in outcome.terminal
    # The handshake failed before any request could be read.
    assert server.requests() == []
    assert outcome.report()["settings"]["insecure"] is False


def test_the_ca_bundle_verifies_the_target(
    server: HostileServer,
    upstream: ReferenceServer,
    certificate: Certificate,
    run_cli: Callable[..., Outcome],
    tmp_path: Path,
) -> None:
    argv = run_argv(server, upstream, BRM, tmp_path / "r", *TIGHT, *BUDGET, "--ca-bundle", str(certificate.cert))
    outcome = run_cli(argv, token=upstream.token)
    no_traceback(outcome)
    assert outcome.code == 0, outcome.terminal
    # Property tests and relations alike went over the verified connection.
    assert len(server.requests()) == 60
    report = outcome.report()
    assert report["settings"]["ca_bundle"] == str(certificate.cert.resolve())
    assert report["settings"]["insecure"] is False
    assert "NOT verified" not in outcome.text("report.md") + outcome.text("report.html") + outcome.terminal


def test_insecure_works_and_every_report_says_so(
    server: HostileServer,
    upstream: ReferenceServer,
    run_cli: Callable[..., Outcome],
    tmp_path: Path,
) -> None:
    # --verbose: pytest's own output, warnings summary included, reaches the terminal.
    argv = run_argv(server, upstream, BRM, tmp_path / "r", *TIGHT, *BUDGET, "--insecure", "--verbose")
    outcome = run_cli(argv, token=upstream.token)
    no_traceback(outcome)
    assert outcome.code == 0, outcome.terminal
    assert len(server.requests()) == 60
    assert "InsecureRequestWarning" not in outcome.terminal  # said once, in the summary, not per request
    assert outcome.report()["settings"]["insecure"] is True
    assert "TLS NOT VERIFIED (--insecure)" in outcome.terminal
    assert "TLS certificates were NOT verified (--insecure)" in outcome.text("report.md")
    assert "TLS certificates were NOT verified (--insecure)" in outcome.text("report.html")
    junit = ET.fromstring(outcome.text("junit.xml"))
    properties = {item.get("name"): item.get("value") for item in junit.iter("property")}
    assert properties["tls_verification"] == "off (--insecure)"
    assert "NOT verified" in "".join(element.text or "" for element in junit.iter("system-err"))
