"""The one redaction every writer uses: reports, recordings, the terminal, curl lines, error messages.

A secret (the token, a `--secret-header` value) is masked in every spelling it can travel in: as it
is, JSON-escaped (`\\/` for `/`, as PHP writes it), percent-encoded and form-encoded (either case of
hex digits). A run of 6 or more of a spelling's first characters is masked too where a cut left it:
at the end of the text, before an ellipsis (`...`, `…`) or before the quote that closes a serialized
string. Schemathesis' shortened values and its recordings' size cap cut texts before they reach us;
the suite's own cuts come after redaction. Elsewhere such a run is ordinary text and stays.
"""

from __future__ import annotations

import json
import threading
from urllib.parse import quote, quote_plus

# What the token is replaced with: the variable a reader would set it in.
TOKEN_PLACEHOLDER = "$APICONFORM_TOKEN"
# A cut secret is masked from this many leading characters on; fewer could be ordinary words.
MIN_PREFIX = 6


def spellings(secret: str) -> set[str]:
    """The forms `secret` may take in a text: as it is, JSON-escaped, percent- and form-encoded, and each
    of those JSON-escaped once more (a body quoted inside a recording or a report is escaped again)."""
    forms = {secret}
    for encoded in (quote(secret, safe=""), quote_plus(secret, safe="")):
        forms |= {encoded, _lower_hex(encoded)}
    for _ in range(2):
        forms |= {escaped for form in forms for escaped in _json_escaped(form)}
    return {form for form in forms if form}


def _json_escaped(text: str) -> set[str]:
    plain = json.dumps(text, ensure_ascii=False)[1:-1]
    return {plain, plain.replace("/", "\\/"), json.dumps(text)[1:-1]}


def _lower_hex(text: str) -> str:
    parts = text.split("%")
    return parts[0] + "".join("%" + part[:2].lower() + part[2:] for part in parts[1:])


# What follows the part of a secret that a cut left: the end of the text, an ellipsis, or the quote
# closing a serialized string (a recording's body cut at its size cap).
_CUT_MARKS = ("...", " ...", "…", '"')


def _at_cut(text: str, end: int) -> bool:
    return end == len(text) or text.startswith(_CUT_MARKS, end)


class Redactor:
    """Masks registered secrets in text. Thread-safe: secrets may be added while output is written."""

    def __init__(self, secrets: tuple[str, ...] | list[str] = (), *, mask: str = TOKEN_PLACEHOLDER) -> None:
        self._masks: dict[str, str] = {}
        self._lock = threading.Lock()
        for secret in secrets:
            self.add(secret, mask=mask)

    def add(self, secret: str | None, *, mask: str = TOKEN_PLACEHOLDER) -> None:
        """Mask `secret` (every spelling, every cut of 6+ leading characters) with `mask` from now on."""
        if not secret or len(secret) < MIN_PREFIX:
            return
        with self._lock:
            for form in spellings(secret):
                self._masks.setdefault(form, mask)

    @property
    def secrets(self) -> list[str]:
        with self._lock:
            return list(self._masks)

    def __call__(self, text: str) -> str:
        return self.redact(text)

    def redact(self, text: str) -> str:
        """`text` with every spelling of every secret, and every 6+ character leading cut of one, masked."""
        with self._lock:
            masks = dict(self._masks)
        if not masks or not text:
            return text
        spans: list[tuple[int, int, str]] = []
        for form, mask in masks.items():
            head = form[:MIN_PREFIX]
            start = text.find(head)
            while start >= 0:
                end = start + MIN_PREFIX
                while end - start < len(form) and end < len(text) and text[end] == form[end - start]:
                    end += 1
                if end - start == len(form) or _at_cut(text, end):
                    spans.append((start, end, mask))
                start = text.find(head, start + 1)
        if not spans:
            return text
        # Longest first at each position; overlapping spans merge into one masked stretch.
        spans.sort(key=lambda span: (span[0], -span[1]))
        pieces: list[str] = []
        position = 0
        current: tuple[int, int, str] | None = None
        for span in spans:
            if current is not None and span[0] <= current[1]:
                current = (current[0], max(current[1], span[1]), current[2])
                continue
            if current is not None:
                pieces += [text[position : current[0]], current[2]]
                position = current[1]
            current = span
        assert current is not None
        pieces += [text[position : current[0]], current[2], text[current[1] :]]
        return "".join(pieces)
