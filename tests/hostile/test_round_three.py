"""A hostile vendor, round three (issue 22): one output boundary for both doors.

The plain-pytest door (`pytest -p apiconform.engine.plugin ... --pyargs apiconform.engine.suite`) writes
what `apiconform run` writes only through the run's redaction and the same neutralisation of vendor text:
a failing property test shows its case with the token masked, and no spelling of the token and no
terminal or CI-runner control reaches stdout, stderr, pytest's own junit or any file the run wrote.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from apiconform.server import ReferenceServer
from tests.engine.scripted import TEST_SERVER_RATE

from .conftest import BRM
from .server import Behaviour, HostileServer, token_spellings

TOKEN = "SeCrEtToKeN-abc123/XYZ+q=="
# What a terminal or a CI log would act on (reporting/document.py's `printable` shows each as an escape).
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# What GitHub's runner takes for a workflow command: `::name ...::` starting a line, `##[name]` anywhere.
WORKFLOW_COMMAND = re.compile(r"^\s*::.*::|##\[", re.MULTILINE)


@pytest.fixture(scope="module")
def known_token_upstream(make_reference_server: Callable[..., ReferenceServer]) -> ReferenceServer:
    """A small reference server that accepts the known token (so that what the run wrote can be searched)."""
    # Few records: the scenario checks spend little walking them, and the property tests get to send cases.
    return make_reference_server(records=30, token=TOKEN)


def token_windows() -> set[str]:
    """Every 6 consecutive characters of the token, in every spelling of `token_spellings`: each character
    spelt alone (escapes, percent, HTML, letter case), and in base64 the characters those 6 bytes make
    whole (at the offset they have in the token's and in `Bearer <token>`'s encoding). Left out: a stretch
    of a case variant that is letters and `-` alone (`secret`, `token-`): words of the suite's own
    (`secret_headers`, `--token-file`), which no check can tell from a leak."""
    windows = set()
    for start in range(len(TOKEN) - 5):
        stretch = TOKEN[start : start + 6]
        for name, spelt in token_spellings(stretch).items():
            if name.startswith("base64") or (name in ("lower", "upper") and re.fullmatch("[A-Za-z-]{6}", spelt)):
                continue
            windows.add(spelt)
        for prefix in (b"", b"Bearer "):
            for encode in (base64.b64encode, base64.urlsafe_b64encode):
                encoded = encode(prefix + TOKEN.encode()).decode()
                first = len(prefix) + start
                windows.add(encoded[-(-first * 8 // 6) : (first + 6) * 8 // 6])
    return windows


def leaks(text: str) -> list[str]:
    return sorted(window for window in token_windows() if window in text)


@pytest.mark.e2e
def test_the_pytest_door_writes_no_spelling_of_the_token_and_no_vendor_control(
    known_token_upstream: ReferenceServer, tmp_path: Path
) -> None:
    """Once: `case = Case(headers={'Authorization': 'Bearer SeCrEtToKeN-abc123/XYZ+q=='})` on stdout and in
    pytest's --junitxml, escaped spellings in the reports, vendor escapes and `::error` lines on the terminal."""
    junit = tmp_path / "pytest-junit.xml"
    with HostileServer(known_token_upstream, Behaviour("echo-spellings")) as server:
        command = [sys.executable, "-m", "pytest", "-p", "apiconform.engine.plugin", "--api", BRM]
        command += ["--base-url", server.api_base_url(BRM), "--token", TOKEN, "--rate-limit", str(TEST_SERVER_RATE)]
        command += ["--seed", "1", "--request-timeout", "1", "--max-examples", "3"]
        command += ["--report-dir", str(tmp_path / "reports"), "--junitxml", str(junit)]
        command += ["--pyargs", "apiconform.engine.suite"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path, env=dict(os.environ))
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    # The property test failed and showed its case, with the token masked.
    assert "case = Case(headers={'Authorization': 'Bearer $APICONFORM_TOKEN'}" in done.stdout, done.stdout[-5000:]
    written = {str(path.relative_to(tmp_path)): path for path in tmp_path.rglob("*") if path.is_file()}
    assert {"pytest-junit.xml", "reports/report.json", "reports/junit.xml", "reports/report.md"} <= set(written)
    texts = {name: path.read_bytes().decode("utf-8", "replace") for name, path in written.items()}
    texts |= {"stdout": done.stdout, "stderr": done.stderr}
    found = {name: leaks(text) for name, text in texts.items() if leaks(text)}
    assert not found, found
    # What the vendor sent is shown, as escapes: no control character and no workflow command gets through.
    for name in ("stdout", "stderr", "pytest-junit.xml"):
        assert not RAW_CONTROL.search(texts[name]), (name, RAW_CONTROL.findall(texts[name]))
        assert not WORKFLOW_COMMAND.search(texts[name]), (name, WORKFLOW_COMMAND.findall(texts[name]))
    assert "\\x1b]0;pwned\\x07" in done.stdout


# --- 12: a --secret-header value is masked in everything the run writes ----------------------------------


def test_a_secret_header_value_is_masked_from_the_first_answer_that_carries_it() -> None:
    """Once, the HAR, the cassette and --verbose stderr kept `--secret-header` values a vendor also echoed
    in its bodies: only report.json masked them (it collects them by name as it is built)."""
    from apiconform.engine.config import RunConfig
    from apiconform.engine.session import ConformanceSession
    from tests.engine.scripted import Scripted, brm_base

    secret = "vendor-session-9f8e7d6c"
    server = Scripted(lambda path: (200, {"Content-Type": "application/json", "X-Vendor-Key": secret}, b"[]"))
    try:
        config = RunConfig(
            apis=[BRM],
            base_urls={BRM: brm_base(server)},
            token=TOKEN,
            secret_headers=("x-vendor-key",),
            rate_limit=TEST_SERVER_RATE,
        )
        session = ConformanceSession(config)
        echoed = f'[{{"session": "{secret}", "also": "{secret.upper()}"}}]'
        assert session.secrets.redact(echoed) == echoed, "nothing is known before the vendor sent it"
        session.runs[0].session.get(brm_base(server))
    finally:
        server.close()
    # What the HAR, the cassette, the terminal and the reports are written through.
    assert session.secrets.redact(echoed) == '[{"session": "[Filtered]", "also": "[Filtered]"}]'
