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
