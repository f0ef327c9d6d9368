"""The one redaction: every spelling of a secret, and any cut of 6+ leading characters, is masked."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, quote_plus

import pytest

from apiconform.engine.transport.redaction import TOKEN_PLACEHOLDER, Redactor

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


def _all_escaped(text: str, digits: str = "{:04x}") -> str:
    return "".join("\\u" + digits.format(ord(char)) for char in text)


def _b64(text: str, *, urlsafe: bool = False, padded: bool = True) -> str:
    encoded = (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(text.encode()).decode()
    return encoded if padded else encoded.rstrip("=")


# Round three (issue 22, items 2 and 5): escapes in any mix, HTML references, base64, the suite's case variants.
@pytest.mark.parametrize(
    "spelled",
    [
        TOKEN.replace("=", "\\u003d"),  # Gson
        TOKEN.replace("+", "\\u002B"),  # .NET
        _all_escaped(TOKEN),
        _all_escaped(TOKEN, "{:04X}"),
        TOKEN[:10] + _all_escaped(TOKEN[10:14]) + TOKEN[14:20] + quote(TOKEN[20:], safe=""),
        TOKEN.replace("/", "\\\\u002f"),  # escaped once more, inside a recording
        TOKEN.replace("/", "&#x2f;"),
        TOKEN.replace("/", "&#X2F;"),
        TOKEN.replace("/", "&#47;").replace("+", "&#43"),
        TOKEN.replace("/", "&sol;").replace("+", "&plus;").replace("=", "&equals;"),
        "".join(f"&#{ord(char)};" for char in TOKEN),
        quote(TOKEN),  # `/` left as it is
        _b64(TOKEN),
        _b64(TOKEN, padded=False),
        _b64(TOKEN, urlsafe=True),
        _b64(f"Bearer {TOKEN}"),
        _b64(f"Bearer {TOKEN}", urlsafe=True, padded=False),
        TOKEN.lower(),
        TOKEN.upper(),
        TOKEN.swapcase(),
        quote(TOKEN.lower(), safe=""),
    ],
    ids=[
        "gson",
        "dotnet",
        "all-u-escapes",
        "all-u-escapes-upper-hex",
        "mixed",
        "u-escape-escaped-again",
        "html-hex",
        "html-hex-upper-x",
        "html-decimal",
        "html-named",
        "html-all-decimal",
        "percent-slash-kept",
        "base64",
        "base64-unpadded",
        "base64-urlsafe",
        "base64-bearer",
        "base64-bearer-urlsafe-unpadded",
        "lower",
        "upper",
        "swapped",
        "lower-percent-encoded",
    ],
)
def test_every_escaped_encoded_or_case_changed_spelling_is_masked_as_one_stretch(spelled):
    text = f'{{"echo": "{spelled}", "next": 1}}'
    assert Redactor([TOKEN]).redact(text) == f'{{"echo": "{TOKEN_PLACEHOLDER}", "next": 1}}'


def test_the_token_inside_a_longer_base64_text_is_masked_at_every_offset():
    for before in ("", "x", "xy", '{"auth": "Bearer '):
        encoded = _b64(before + TOKEN + '"}')
        redacted = Redactor([TOKEN]).redact(encoded)
        assert TOKEN_PLACEHOLDER in redacted
        # What stays is what the text around the token made (and at most one character mixing both).
        assert len(redacted) - len(TOKEN_PLACEHOLDER) <= len(_b64(before)) + len(_b64('"}')) + 2, redacted


def test_a_cut_case_variant_or_escaped_spelling_is_masked_from_six_characters():
    redactor = Redactor([TOKEN])
    assert redactor.redact("status=" + TOKEN.lower()[:9] + "...") == "status=" + TOKEN_PLACEHOLDER + "..."
    assert redactor.redact("x " + _all_escaped(TOKEN[:7])) == "x " + TOKEN_PLACEHOLDER
    # A cut inside an escape, at the end or before a cut's mark: what is left of the escape says nothing.
    assert redactor.redact("x " + TOKEN[:8] + "\\u00") == "x " + TOKEN_PLACEHOLDER + "\\u00"
    cut = "".join(f"&#{ord(char)};" for char in TOKEN[:9]) + "&#1 // Output truncated..."
    assert redactor.redact(cut) == TOKEN_PLACEHOLDER + "&#1 // Output truncated..."


def test_a_secret_holding_escape_characters_is_found_as_it_is_and_encoded():
    secret = "a b c%41&x\\yz"
    redactor = Redactor([secret])
    for spelled in (secret, quote_plus(secret), json.dumps(secret)[1:-1]):
        assert redactor.redact(f"v={spelled} end") == f"v={TOKEN_PLACEHOLDER} end", spelled


@pytest.mark.parametrize("cut", [6, 7, 15, len(TOKEN) - 1])
def test_a_token_cut_short_is_masked_from_six_characters(cut):
    text = "body: ..." + TOKEN[:cut] + "..."
    assert Redactor([TOKEN]).redact(text) == "body: ..." + TOKEN_PLACEHOLDER + "..."


@pytest.mark.parametrize("edge", ["", "...", " ...", "…", '", "next": 1', " // Output truncated..."])
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
    from apiconform.engine import reportjson as engine_report
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
    from apiconform.engine.model.exchange import make_evidence

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
    # One API is enough: the report's keys (`embedded_reference_server`, `requirements`) are the same for any.
    api = "bitgo-connections"
    argv = [sys.executable, "-m", "apiconform", "run", "--api", api, "-q", "--report-dir", str(tmp_path / "r")]
    completed = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr[-3000:]
    assert "Traceback" not in completed.stderr
    report = load_report(tmp_path / "r")
    assert report["verdict"] == "pass" and report["target"]["embedded_reference_server"] is True
    for path in (tmp_path / "r").iterdir():
        assert token not in path.read_text(encoding="utf-8"), path.name
