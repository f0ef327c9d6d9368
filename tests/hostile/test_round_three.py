"""A hostile vendor, round three (issue 22): one output boundary for both doors.

The plain-pytest door (`pytest -p apiconform.engine.plugin ... --pyargs apiconform.engine.suite`) writes
what `apiconform run` writes only through the run's redaction and the same neutralisation of vendor text:
a failing property test shows its case with the token masked, and no spelling of the token and no
terminal or CI-runner control reaches stdout, stderr, pytest's own junit or any file the run wrote.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
        # The property tests first, within a small budget: the relations, deselected, run inside the
        # requirement tests after them (first, confirming the target's many failures would spend it all).
        command += ["--max-requests", "80", "--allow-partial", "-k", "not test_relation"]
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
    # (The run's own reports too: a CI job may print them.)
    for name in (
        "stdout",
        "stderr",
        "pytest-junit.xml",
        "reports/report.md",
        "reports/junit.xml",
        "reports/report.html",
    ):
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
        config = RunConfig.checked(
            apis=[BRM],
            base_urls={BRM: brm_base(server)},
            token=TOKEN,
            secret_headers=("x-vendor-key",),
            rate_limit=TEST_SERVER_RATE,
        )
        session = ConformanceSession(config)
        echoed = f'[{{"session": "{secret}", "also": "{secret.upper()}"}}]'
        assert session.secrets.redact(echoed) == echoed, "nothing is known before the vendor sent it"
        session.runs[0].http.get(brm_base(server))
    finally:
        server.close()
    # What the HAR, the cassette, the terminal and the reports are written through.
    assert session.secrets.redact(echoed) == '[{"session": "[Filtered]", "also": "[Filtered]"}]'


# --- 10, 11, 14: spec and vendor text printed by catalog, diff and report -----------------------------------

# A hostile title: a hyperlink and a clipboard write (OSC 8, OSC 52), a screen clear, workflow commands,
# and a line that would make a fake passed requirement of report.md.
HOSTILE_TITLE = (
    "Offset \x1b]8;;https://evil.example\x07works\x1b]8;;\x07\x1b]52;c;cHduZWQ=\x07\x1b[2J"
    "\n- ✅ **BRM-FAKE** (MUST, pass): all good\n::error title=x::spoofed ##[warning]y"
)


def _shown_safely(text: str) -> None:
    """Nothing in `text` drives a terminal or a CI runner, and the fake list item is no line of its own."""
    assert not RAW_CONTROL.search(text), RAW_CONTROL.findall(text)
    assert not WORKFLOW_COMMAND.search(text), WORKFLOW_COMMAND.findall(text)
    assert not [line for line in text.splitlines() if line.lstrip().startswith("- ✅ **BRM-FAKE**")]


def _hostile_spec(tmp_path: Path, change: Callable[[dict[str, Any]], None] | None = None) -> Path:
    """The shipped BRM spec, copied, with hostile titles (and `change` made to it)."""
    import shutil

    import yaml

    from apiconform import contract

    folder = tmp_path / "hostile"
    shutil.copytree(contract.specs_dir() / "brm-tmf654", folder)
    (spec_path,) = folder.glob("*.openapi.yaml")
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    spec["x-apiconform"]["api"] = "hostile-balances"
    spec["x-apiconform"]["title"] = HOSTILE_TITLE.replace("\n", " ")
    if change is not None:
        change(spec)
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    catalog_path = folder / spec["x-apiconform"]["catalog"]
    catalog = yaml.safe_load(catalog_path.read_text(encoding="utf-8"))
    catalog["api"] = "hostile-balances"
    catalog["requirements"][0]["title"] = HOSTILE_TITLE[:110]
    catalog_path.write_text(yaml.safe_dump(catalog, sort_keys=False), encoding="utf-8")
    return spec_path


def test_catalog_shows_a_hostile_spec_s_titles_as_printable_single_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Once: OSC 8 and 52, a screen clear and `::error` lines reached the terminal as they were."""
    from apiconform.cli import main

    assert main(["catalog", "--spec", str(_hostile_spec(tmp_path))]) == 0
    out = capsys.readouterr().out
    _shown_safely(out)
    assert "Offset \\x1b]8;;https://evil.example\\x07works" in out, "the title is shown, as escapes"
    first_row = next(line for line in out.splitlines() if line.startswith("BRM-"))
    assert "- ✅ **BRM-FAKE**" in first_row, "the title stays on its requirement's row"


def test_a_hostile_key_in_a_spec_s_validation_error_is_one_printable_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from apiconform.cli import main

    def hostile_key(spec: dict[str, Any]) -> None:
        # The error names where it is, key by key: `filters/<key>: must be of type object`.
        spec["x-apiconform"]["filters"]["\x1b]52;c;cHduZWQ=\x07\n::error title=x::spoofed"] = 5

    assert main(["catalog", "--spec", str(_hostile_spec(tmp_path, hostile_key))]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("apiconform: error: "), err
    _shown_safely(err)
    escaped_key = "\\x1b]52;c;cHduZWQ=\\x07\\n::error title=x::spoofed"
    assert f"filters/{escaped_key}: must be of type object" in err, "the key, as escapes"


def _hostile_report(title: str = HOSTILE_TITLE) -> dict[str, Any]:
    from tests.reporting.conftest import make_report, requirement

    vendor = "\x1b[31mred\x07\x9b2J\u202eevil\n::error title=x::spoofed\n##[warning]y"
    failed = requirement("BRM-PAGE-OFFSET", "fail", api=BRM, title=title, message=vendor, body=vendor)
    failed["failures"][0]["evidence"][0]["headers"] = {f"x-{vendor}": vendor}
    return make_report([failed, requirement("BRM-PAGE-LIMIT", "pass", api=BRM)])


@pytest.mark.parametrize("format_name", ["md", "junit", "html"])
def test_report_renders_vendor_and_spec_text_printable_to_stdout_and_files(
    format_name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Once: report.md and `apiconform report --format md|junit|html` carried ESC, CSI, bidi overrides and
    `::error` lines, and a title's line break added a fake `- ✅ **BRM-FAKE** ... passed` item to report.md."""
    from apiconform.cli import main
    from apiconform.reporting import write_reports

    write_reports(_hostile_report(), tmp_path)
    assert main(["report", str(tmp_path), "--format", format_name]) == 0
    shown = capsys.readouterr().out
    _shown_safely(shown)
    assert "\\x1b[31mred\\x07" in shown, "the vendor's text is there, as escapes"
    for name in ("report.md", "junit.xml", "report.html"):
        _shown_safely((tmp_path / name).read_text(encoding="utf-8"))
    written = (tmp_path / "report.json").read_text(encoding="utf-8")
    assert not RAW_CONTROL.search(written) and "##[" not in written
    assert json.loads(written)["requirements"][0]["title"] == HOSTILE_TITLE, "report.json keeps the same values"


def test_diff_shows_hostile_titles_and_names_as_printable_single_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from apiconform.cli import main

    old, new = _hostile_report(), _hostile_report()
    old["requirements"][0]["verdict"] = "pass"
    old["requirements"][0]["failures"] = []
    old["requirements"][0]["failure_count"] = 0
    for name, report in (("old.json", old), ("new.json", new)):
        (tmp_path / name).write_text(json.dumps(report), encoding="utf-8")
    assert main(["diff", str(tmp_path / "old.json"), str(tmp_path / "new.json")]) == 1
    out = capsys.readouterr().out
    _shown_safely(out)
    assert [line for line in out.splitlines() if line.startswith("  BRM-PAGE-OFFSET")], out


def test_the_recordings_keep_their_values_with_vendor_controls_written_as_escapes() -> None:
    """The HAR (JSON) and the cassette (vendor text in JSON strings and double-quoted YAML strings, as
    schemathesis writes them) go through `json_printable`: a bidi override, DEL, a C1 control and `##[`
    are escapes, and each file still reads back to the same values."""
    import io

    import yaml
    from schemathesis.reporting.vcr import write_double_quoted

    from apiconform.reporting.document import json_printable

    vendor = "\u202eevil ##[error]x \x7f \x9b2J"
    stream = io.StringIO()
    stream.write("body: ")
    write_double_quoted(stream, vendor)
    stream.write(f"\nheader: {json.dumps(vendor)}\n")
    cassette = stream.getvalue()
    har = json.dumps({"text": vendor}, ensure_ascii=False)
    for written, read in ((cassette, yaml.safe_load), (har, json.loads)):
        assert RAW_CONTROL.search(written) and "##[" in written, "as schemathesis or json.dumps writes it"
        shown = json_printable(written)
        assert not RAW_CONTROL.search(shown) and "##[" not in shown, shown
        assert read(shown) == read(written)
