"""The one redaction every writer uses: reports, recordings, the terminal, curl lines, error messages.

A secret (the token, a `--secret-header` value) is masked in every spelling it can travel in, each of its
characters spelt as it is or escaped, in any mix: JSON's `\\uXXXX` (either case of hex digit; Gson's
`\\u003d`, .NET's `\\u002B`, all-`\\uXXXX`) and PHP's `\\/`, behind any number of backslashes (a body
quoted in a recording is escaped again); percent- and form-encoding (either case); HTML character
references (`&#x2f;`, `&#X2F;`, `&#47;`, `&sol;`). A mixed spelling is masked as one stretch. Letter case
does not matter, so the case variants the suite itself sends (a case-insensitive filter is probed in lower
and upper case) and a vendor's lower-case echo are masked too. So are base64 of the secret and of `Bearer
<secret>` (standard or URL-safe alphabet, with or without padding) and the stretch a secret makes inside a
longer base64 text.

A run of 6 or more of a spelling's first characters is masked too where a cut left it (perhaps in the
middle of an escape): at the end of the text, before an ellipsis (`...`, `…`) or schemathesis' `// Output
truncated`, or before the quote that closes a serialized string. Schemathesis' shortened values and its
recordings' size cap cut texts before they reach us; the suite's own cuts come after redaction. Elsewhere
such a run is ordinary text and stays.
"""

from __future__ import annotations

import base64
import html.entities
import re
import threading
from dataclasses import dataclass
from functools import cache
from urllib.parse import unquote

# What the token is replaced with: the variable a reader would set it in.
TOKEN_PLACEHOLDER = "$APICONFORM_TOKEN"
# What a `--secret-header` value is replaced with (schemathesis' own mask in its recordings).
HEADER_MASK = "[Filtered]"
# A cut secret is masked from this many leading characters on; fewer could be ordinary words.
MIN_PREFIX = 6

# What follows the part of a secret that a cut left: the end of the text, an ellipsis, schemathesis' mark
# on a response body it shortened, or the quote closing a serialized string (a recording's body cut at its
# size cap). An escape the cut left unfinished may come first.
_CUT_MARKS = ("...", " ...", "…", " // Output truncated", '"')
_UNFINISHED_ESCAPE = re.compile(r"\\+(?:u[0-9a-fA-F]{0,3})?|%[0-9a-fA-F]?|&#?[xX]?[0-9a-fA-F]*|&[A-Za-z0-9]*")
# JSON's `\uXXXX` behind any number of backslashes, for the quick look (`_searched`).
_JSON_UNICODE = re.compile(r"\\+u([0-9a-fA-F]{4})")
# What starts an escape the quick look decodes.
_ESCAPE_STARTS = ("\\", "%", "&")
# HTML's character references (html.unescape would call back for every `&` of a query string as well).
_HTML_REFERENCE = re.compile(r"&#[xX]?[0-9a-fA-F]{1,7};?|&[A-Za-z][A-Za-z0-9]{1,31};")


def spellings(secret: str) -> list[tuple[str, int]]:
    """The texts `secret` is looked for as, each with how many of its characters make it whole: the secret
    itself, and base64 of it and of `Bearer <secret>` (whole once the padding is reached), and the stretch
    of the secret's own bits inside a longer base64 text (at each of the three byte offsets it may start
    at). Each character may then be spelt in either letter case or escaped (`_spelt`)."""
    raw = secret.encode("utf-8")
    forms = [(secret, len(secret))]
    for payload in (b"Bearer " + raw, raw):
        encoded = base64.b64encode(payload).decode("ascii")
        forms.append((encoded, len(encoded.rstrip("="))))
    for offset in (1, 2):
        encoded = base64.b64encode(b"\0" * offset + raw).decode("ascii")
        inner = encoded[-(-offset * 8 // 6) : (offset + len(raw)) * 8 // 6]
        forms.append((inner, len(inner)))
    return [(form, whole) for form, whole in forms if whole >= MIN_PREFIX]


@cache
def _named_references() -> dict[str, list[str]]:
    """HTML's named character references for each character one stands for alone (`/`: `&sol;`)."""
    names: dict[str, list[str]] = {}
    for name, char in html.entities.html5.items():
        if name.endswith(";") and len(char) == 1:
            names.setdefault(char, []).append("&" + name)
    return names


def _hex(number: int, digits: int) -> str:
    """A pattern for `number` in hexadecimal with at least `digits` digits, either case of letter."""
    return "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in f"{number:0{digits}x}")


def _spelt(char: str) -> str:
    """A pattern for one character of a secret as a text may carry it: either letter case (ASCII letters);
    JSON's `\\uXXXX` (either case of hex digit) and `\\/`, `\\"`, `\\\\` behind any number of backslashes
    (a body quoted in a recording is escaped again); percent-encoded (its UTF-8 bytes, either case); HTML's
    numeric and named character references (browsers also read a numeric one without its `;`); and, for a
    base64 character, its URL-safe counterpart. Every alternative starts with a literal character, so that
    the regular expression engine skips to the places where one can start."""
    variants = [char, *((char.lower(), char.upper()) if char.isascii() else ())]
    variants.append(_urlsafe(char))
    alternatives: list[str] = []
    for variant in dict.fromkeys(variants):
        code = ord(variant)
        if code <= 0xFFFF:
            alternatives.append(rf"\\\\*u{_hex(code, 4)}")
        alternatives.append("".join(f"%{_hex(byte, 2)}" for byte in variant.encode("utf-8")))
        alternatives += [rf"&#[xX]0*{_hex(code, 1)};?", rf"&#0*{code};?"]
        alternatives += [re.escape(name) for name in _named_references().get(variant, ())]
        if variant in '/"':
            alternatives.append(rf"\\\\*{re.escape(variant)}")
        elif variant == "\\":
            alternatives.append(r"\\\\+")
        elif variant == " ":
            alternatives.append(r"\+")  # form encoding
    # The character as it is comes last: `%` or `\\` in a secret is tried as the start of its escape first.
    alternatives += [re.escape(variant) for variant in dict.fromkeys(variants)]
    return "(?:" + "|".join(alternatives) + ")"


def _searched(text: str) -> str:
    """`text` as the quick look reads it: JSON escapes, percent-encoding and HTML character references
    decoded, letters in lower case. A secret's spelling, however escaped, is there as the secret."""
    if "\\" in text:
        if "\\u" in text:
            text = _JSON_UNICODE.sub(lambda match: chr(int(match.group(1), 16)), text)
        # str.replace, many times faster than a regular expression's substitution on a long text.
        while "\\\\" in text:
            text = text.replace("\\\\", "\\")
        text = text.replace("\\/", "/").replace('\\"', '"')
    if "%" in text:
        text = unquote(text)
    if "&" in text:
        text = _HTML_REFERENCE.sub(lambda match: html.unescape(match.group()), text)
    return text.lower()


@dataclass(frozen=True)
class _Spelling:
    """One form of a secret as a pattern: at least MIN_PREFIX of its characters, as many more as follow;
    the group `whole` matched when the form is there whole."""

    pattern: re.Pattern[str]
    mask: str

    @classmethod
    def of(cls, form: str, whole: int, mask: str) -> _Spelling:
        units = [_spelt(char) for char in form]
        tail = ""
        for index in range(len(units) - 1, MIN_PREFIX - 1, -1):
            unit = f"(?P<whole>{units[index]}" if index == whole - 1 else f"(?:{units[index]}"
            tail = f"{unit}{tail})?"
        if whole == MIN_PREFIX:
            units[MIN_PREFIX - 1] = f"(?P<whole>{units[MIN_PREFIX - 1]})"
        return cls(re.compile("".join(units[:MIN_PREFIX]) + tail), mask)

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """Where this form stands whole in `text`, or cut (6+ leading characters at a cut)."""
        found = []
        match = self.pattern.search(text)
        while match is not None:
            if match.group("whole") is not None or _at_cut(text, match.end()):
                found.append((match.start(), match.end(), self.mask))
                match = self.pattern.search(text, match.end())
            else:
                # Not this form here; another may start inside what was matched.
                match = self.pattern.search(text, match.start() + 1)
        return found


def _at_cut(text: str, end: int) -> bool:
    unfinished = _UNFINISHED_ESCAPE.match(text, end)
    if unfinished is not None:
        end = unfinished.end()
    return end == len(text) or text.startswith(_CUT_MARKS, end)


class Redactor:
    """Masks registered secrets in text. Thread-safe: secrets may be added while output is written.

    A text is first looked at quickly: decoded and in lower case (`_searched`), does it hold the first
    MIN_PREFIX characters of any form of a secret? Only then are the forms' patterns run over the text
    itself, to find where each spelling stands. Most texts hold none, and cost a few string searches."""

    def __init__(self, secrets: tuple[str, ...] | list[str] = (), *, mask: str = TOKEN_PLACEHOLDER) -> None:
        self._spellings: dict[str, _Spelling] = {}
        self._heads: set[str] = set()
        self._lock = threading.Lock()
        for secret in secrets:
            self.add(secret, mask=mask)

    def add(self, secret: str | None, *, mask: str = TOKEN_PLACEHOLDER) -> None:
        """Mask `secret` (every spelling, every cut of 6+ leading characters) with `mask` from now on."""
        if not secret or len(secret) < MIN_PREFIX:
            return
        with self._lock:
            known = set(self._spellings)
        made = {form: _Spelling.of(form, whole, mask) for form, whole in spellings(secret) if form not in known}
        # Each form's start as the quick look reads it: in lower case, as it is (a secret's own `%`, `&` or
        # `\` stays one: it is matched as it is in the text, and as the quick look decodes its escapes).
        heads = {head[:MIN_PREFIX].lower() for form in made for head in (form, _urlsafe(form), form.replace(" ", "+"))}
        with self._lock:
            for form, spelling in made.items():
                self._spellings.setdefault(form, spelling)
            self._heads |= heads

    @property
    def secrets(self) -> list[str]:
        with self._lock:
            return list(self._spellings)

    def __call__(self, text: str) -> str:
        return self.redact(text)

    def redact(self, text: str) -> str:
        """`text` with every spelling of every secret, and every 6+ character leading cut of one, masked."""
        with self._lock:
            heads = list(self._heads)
            spellings = list(self._spellings.values())
        if not spellings or len(text) < MIN_PREFIX:
            return text
        searched = _searched(text)
        if not any(head in searched for head in heads):
            # A secret holding `%`, `&` or `\\` itself is there as it is, not decoded.
            literal = [head for head in heads if any(start in head for start in _ESCAPE_STARTS)]
            lowered = text.lower() if literal else ""
            if not any(head in lowered for head in literal):
                return text
        spans = [span for spelling in spellings for span in spelling.spans(text)]
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


def _urlsafe(form: str) -> str:
    return form.replace("+", "-").replace("/", "_")
