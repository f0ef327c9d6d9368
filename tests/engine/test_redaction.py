"""The one redaction: every spelling of a secret, and any cut of 6+ leading characters, is masked."""

from __future__ import annotations

import json
from urllib.parse import quote, quote_plus

import pytest

from apiconform.engine.redaction import TOKEN_PLACEHOLDER, Redactor

TOKEN = "SeCrEtToKeN-abc123/XYZ+q=="


@pytest.mark.parametrize(
    "spelled",
    [
        TOKEN,
        json.dumps(TOKEN)[1:-1].replace("/", "\\/"),  # PHP's default JSON escaping
        quote(TOKEN, safe=""),
        quote(TOKEN, safe="").replace("%2F", "%2f").replace("%2B", "%2b").replace("%3D", "%3d"),
        quote_plus(TOKEN, safe=""),
    ],
    ids=["plain", "json-escaped", "percent-encoded", "percent-lower-hex", "form-encoded"],
)
def test_every_spelling_is_masked(spelled):
    text = f'{{"echo": "{spelled}", "next": 1}}'
    redacted = Redactor([TOKEN]).redact(text)
    assert redacted == f'{{"echo": "{TOKEN_PLACEHOLDER}", "next": 1}}'


@pytest.mark.parametrize("cut", [6, 7, 15, len(TOKEN) - 1])
def test_a_token_cut_short_is_masked_from_six_characters(cut):
    text = "body: ..." + TOKEN[:cut] + "..."
    assert Redactor([TOKEN]).redact(text) == "body: ..." + TOKEN_PLACEHOLDER + "..."


@pytest.mark.parametrize("edge", ["", "...", " ...", "…", '", "next": 1'])
def test_a_cut_is_recognised_by_what_follows_it(edge):
    assert Redactor([TOKEN]).redact("x " + TOKEN[:9] + edge) == "x " + TOKEN_PLACEHOLDER + edge


def test_fewer_than_six_leading_characters_or_a_start_not_at_a_cut_are_ordinary_text():
    assert Redactor([TOKEN]).redact("SeCrE and SeCrEx") == "SeCrE and SeCrEx"
    assert Redactor(["apiconform-canary-token"]).redact("apiconform run --api all") == "apiconform run --api all"


def test_several_secrets_and_masks_and_overlaps():
    redactor = Redactor([TOKEN])
    redactor.add("header-value-42", mask="[Filtered]")
    text = f"{TOKEN}{TOKEN} x-key: header-value-42 end"
    assert redactor.redact(text) == f"{TOKEN_PLACEHOLDER} x-key: [Filtered] end"


def test_short_secrets_are_not_registered():
    redactor = Redactor(["42"])
    assert redactor.redact("42 is the answer") == "42 is the answer"


# --- redaction never changes a report's structure (issue 21, item 4) -------------------------------------


def test_the_walker_changes_values_and_leaves_keys_and_types_alone():
    from apiconform.reporting.document import each_string

    document = {"embedded_reference_server": True, "server": ["servertoken", {"x-server": "v", "n": 1, "z": None}]}
    assert each_string(document, str.upper) == {
        "embedded_reference_server": True,
        "server": ["SERVERTOKEN", {"x-server": "V", "n": 1, "z": None}],
    }
    # Keys change only when asked, with a change that leaves field names as they are (read_json, printable).
    assert each_string(document, str.upper, keys=str.upper) == {
        "EMBEDDED_REFERENCE_SERVER": True,
        "SERVER": ["SERVERTOKEN", {"X-SERVER": "V", "N": 1, "Z": None}],
    }


@pytest.mark.parametrize("token", ["servertoken123", "embeddedXYZ123", "requirementsQQ1", "untestable1"])
def test_a_token_that_starts_like_the_reports_own_words_leaves_it_valid(token):
    """A token is masked wherever it or a cut of it stands in a value; the field names, and the values the
    suite writes from its own vocabulary (verdicts, API names, IDs), stay as they were."""
    from apiconform.engine import report as engine_report
    from apiconform.reporting import validate_report
    from tests.reporting.conftest import ending_report

    original = ending_report("untestable")
    original["apis"][0]["untestable_reason"] = f"the target echoed {token} and {token[:8]}"
    redacted = engine_report._redacted(original, Redactor([token]).redact)
    engine_report._keep_vocabulary(redacted, original)
    validate_report(redacted)
    assert redacted["target"].keys() == original["target"].keys()
    assert redacted["requirements"][0].keys() == original["requirements"][0].keys()
    assert (redacted["verdict"], redacted["apis"][0]["verdict"]) == ("untestable", "untestable")
    assert redacted["apis"][0]["untestable_reason"] == f"the target echoed {TOKEN_PLACEHOLDER} and {TOKEN_PLACEHOLDER}"
    assert token not in json.dumps(redacted)


def test_evidence_masks_a_secret_in_a_response_header_name():
    from apiconform.engine.target import make_evidence

    headers = {f"X-Echo-{TOKEN}": "1", "X-Other": TOKEN, f"X-Cut-{TOKEN[:8]}": "2", "Content-Type": "text/plain"}
    evidence = make_evidence(Redactor([TOKEN]), "GET", "http://127.0.0.1:9/x", {}, 200, headers, b"")
    assert evidence.headers == {
        f"X-Echo-{TOKEN_PLACEHOLDER}": "1",
        "X-Other": TOKEN_PLACEHOLDER,
        f"X-Cut-{TOKEN_PLACEHOLDER}": "2",
    }


@pytest.mark.e2e
@pytest.mark.parametrize("token", ["servertoken123", "embeddedXYZ123", "requirementsQQ1"])
def test_a_run_whose_token_starts_like_a_report_key_exits_0_with_a_valid_report(token, tmp_path):
    """`APICONFORM_TOKEN=servertoken123 apiconform run --api all`: the redaction once masked `server` inside the
    key `embedded_reference_server`, and the run ended in a traceback, exit 1 and no report."""
    import os
    import subprocess
    import sys

    from apiconform.reporting import load_report

    env = {**os.environ, "APICONFORM_TOKEN": token, "NO_COLOR": "1"}
    argv = [sys.executable, "-m", "apiconform", "run", "--api", "all", "-q", "--report-dir", str(tmp_path / "r")]
    completed = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr[-3000:]
    assert "Traceback" not in completed.stderr
    report = load_report(tmp_path / "r")
    assert report["verdict"] == "pass" and report["target"]["embedded_reference_server"] is True
    for path in (tmp_path / "r").iterdir():
        assert token not in path.read_text(encoding="utf-8"), path.name
