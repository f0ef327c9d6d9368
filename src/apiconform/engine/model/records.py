"""Reading records: JSON pointers, typed comparison keys, order violations and filter matching.

These are the primitives every semantic check is built from. They know nothing about a particular
API: fields, comparisons and match kinds come from the spec's `x-apiconform` block.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from apiconform.contract import Compare, Filter, OrderKey


class _Missing:
    """The value at a pointer that leads nowhere (distinct from JSON null)."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING = _Missing()


class _Either:
    """A filter's verdict on a record it may select or leave out: the document's rule, or the flavours of it
    real servers implement, allow both (DECISIONS.md D-GEN-79). Such a record is never missing from an
    answer, nor one that breaks the filter."""

    def __repr__(self) -> str:
        return "<either>"


EITHER = _Either()
# A record's verdict under one filter value: it matches, it does not, either is right, or it cannot be told.
Verdict = bool | _Either | None

_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")


@functools.lru_cache(maxsize=1024)
def _pointer_parts(pointer: str) -> tuple[str, ...]:
    # A run reads the same few pointers from every record: each is split and unescaped once.
    return tuple(raw.replace("~1", "/").replace("~0", "~") for raw in pointer.lstrip("/").split("/"))


def pointer_get(document: Any, pointer: str) -> Any:
    """The value at a JSON Pointer (RFC 6901), or MISSING."""
    if pointer == "":
        return document
    current = document
    for part in _pointer_parts(pointer):
        if type(current) is dict:  # parsed JSON: the common case, without the abstract-class check
            if part not in current:
                return MISSING
            current = current[part]
        elif isinstance(current, Mapping) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return MISSING
    return current


def parse_instant(value: Any) -> datetime | None:
    """An RFC 3339 date-time as an aware datetime (in UTC), or None if it is not one.

    An instant whose UTC time falls outside datetime's range (`9999-12-31T23:59:59-01:00` is in year
    10000 in UTC) keeps its own offset instead: aware datetimes compare by the instant they name, so it
    is still judged, in order and against filter bounds, as the valid RFC 3339 value it is."""
    if not isinstance(value, str) or len(value) < 20:
        return None
    text = value.upper()
    leap = text[17:19] == "60"
    if leap:
        # RFC 3339 admits a leap second; datetime cannot hold one, so step back and add it.
        text = text[:17] + "59" + text[19:]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    try:
        parsed = parsed.astimezone(UTC)
        return parsed + timedelta(seconds=1) if leap else parsed
    except OverflowError:
        return parsed


def parse_decimal(value: Any) -> Decimal | None:
    if not isinstance(value, str) or not _DECIMAL.fullmatch(value):
        return None
    try:
        return Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        return None


def json_number(value: Any) -> Decimal | None:
    """A JSON number (not a boolean, not a string) as its exact value, or None (a too-long integer by its
    own digits: its stand-in value would make every two equal)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    text = getattr(value, "text", None)
    if isinstance(text, str):
        return Decimal(text)
    return Decimal(value) if math.isfinite(value) else None


def comparable(value: Any, compare: Compare) -> Any:
    """The value as the spec says to compare it, or None when it cannot be (missing, null, malformed).
    `decimal` takes numbers written as text or as JSON numbers (sort keys such as integer ids)."""
    if compare == "instant":
        return parse_instant(value)
    if compare == "decimal":
        return parse_decimal(value) if isinstance(value, str) else json_number(value)
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class OrderViolation:
    """Records `index` and `index + 1` are out of order; `key` is the first order key that decides it."""

    index: int
    key: int
    reason: str


def order_violation(records: Sequence[Any], keys: Sequence[OrderKey]) -> OrderViolation | None:
    """The first adjacent pair that breaks the ordering `keys`, or None when the sequence honours it."""
    for index in range(len(records) - 1):
        left, right = records[index], records[index + 1]
        for position, key in enumerate(keys):
            a = comparable(pointer_get(left, key.field), key.compare)
            b = comparable(pointer_get(right, key.field), key.compare)
            if a is None or b is None:
                return OrderViolation(index, position, f"{key.field} cannot be compared as {key.compare}")
            if a == b:
                continue
            if (a < b) != (key.direction == "asc"):
                return OrderViolation(
                    index,
                    position,
                    f"{key.field} {render(left, key.field)} comes before {render(right, key.field)} "
                    f"({'ascending' if key.direction == 'asc' else 'descending'} {key.compare} order expected)",
                )
            break
    return None


def spelled(value: Any) -> str:
    """A record value as JSON writes it, which is also how a query writes it: `abc`, `5`, `2.5`, `true`,
    `null` (a long integer by its own digits). Never Python's spelling (`True`, `None`)."""
    if isinstance(value, str):
        return value
    text = getattr(value, "text", None)  # a LargeInt keeps the digits it was read from
    if isinstance(text, str):
        return text
    try:
        return json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return str(value)


def render(record: Any, pointer: str) -> str:
    """The value at `pointer` for a message, in JSON's spelling (`"abc"`, `5`, `true`, `null`)."""
    value = pointer_get(record, pointer)
    if value is MISSING:
        return "<missing>"
    return json.dumps(value) if isinstance(value, str) else spelled(value)


def split_list(value: str, flt: Filter) -> list[str]:
    """The values a query parameter carries: comma-separated lists split, single values kept whole."""
    return [value] if flt.list == "single" else value.split(",")


def _number(text: str) -> Decimal | None:
    """The number a query text spells in JSON's grammar, exactly (big integers too), else None."""
    if not re.fullmatch(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?", text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers Decimal reads
        return None


def equals_typed(actual: Any, wanted: str) -> bool:
    """Whether a record value is the value a query text spells, compared by the value's JSON type: text
    as text, numbers as numbers (`5` is `5.0`; long integers exactly), booleans and null by their JSON
    words (`true`, `null`)."""
    if isinstance(actual, str):
        return actual == wanted
    if actual is None or isinstance(actual, bool):
        return spelled(actual) == wanted
    if isinstance(actual, (int, float)):
        number = _number(wanted)
        if number is None:
            return False
        own = _number(spelled(actual))
        return own is not None and own == number
    return False


# The comparisons of the range kinds, by the suffix of their name (`decimal-gt`, `text-lte`, ...).
_RANGES = {
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}
DECIMAL_RANGES = tuple(f"decimal-{suffix}" for suffix in _RANGES)
TEXT_RANGES = tuple(f"text-{suffix}" for suffix in _RANGES)
SUBSTRING_MATCHES = ("contains", "icontains", "starts-with")
# The kinds whose records with a null or absent field never match (`not-equal` may keep them or not).
_NULL_NEVER_MATCHES = (*DECIMAL_RANGES, *TEXT_RANGES, *SUBSTRING_MATCHES, "regex")
# The only regex a check sends: a literal fragment of ASCII letters and digits, anchored at either end or
# not, which POSIX, SQL and Python flavours all read alike (DECISIONS.md D-GEN-81).
REGEX_FRAGMENT = re.compile(r"\^?[A-Za-z0-9]+\$?")


def as_number(value: Any) -> Decimal | None:
    """The number a record value (a JSON number, or text spelling one in JSON's grammar: `"1.50"`) or a query
    text is, exactly; None for anything else (a boolean, null, `"abc"`)."""
    if isinstance(value, bool) or value is None:
        return None
    return _number(value if isinstance(value, str) else spelled(value))


def bound_readable(match: str, value: str) -> bool:
    """Whether a query value is one the match kind can judge records by: a number for a decimal range, a
    date-time for an instant, a literal fragment for a regex; any text otherwise."""
    if match in DECIMAL_RANGES:
        return _number(value) is not None
    if match.startswith("instant"):
        return parse_instant(value) is not None
    if match == "regex":
        return REGEX_FRAGMENT.fullmatch(value) is not None
    return True


def _ascii_lower(text: str) -> str:
    """Letter case folded as SQLite's LIKE folds it: ASCII letters only."""
    return "".join(c.lower() if c.isascii() else c for c in text)


def _substring_matches(actual: str, wanted: str, match: str) -> Verdict:
    """contains, icontains, starts-with. Letter case: `contains` and `starts-with` tell it apart, but SQLite's
    LIKE (Django's `contains` on SQLite, Datasette) and MySQL's default collations do not, so a record that
    matches only case-blind is either; `icontains` folds ASCII letters as every flavour does, and a record
    that matches only under full Unicode folding is either (D-GEN-79)."""
    found = actual.startswith if match == "starts-with" else actual.__contains__
    if found(wanted):
        return True
    if match == "icontains":
        lowered = _ascii_lower(actual)
        if wanted and _ascii_lower(wanted) in lowered:
            return True
        return EITHER if wanted.casefold() in actual.casefold() else False
    folded = actual.casefold()
    blind = folded.startswith(wanted.casefold()) if match == "starts-with" else wanted.casefold() in folded
    return EITHER if blind else False


def _regex_matches(actual: str, wanted: str) -> Verdict:
    """A literal fragment, maybe anchored: a record matches where every flavour says so; one that matches
    only case-blind (MySQL's REGEXP), only at a line's start or end (a multi-line flavour), or only before a
    final newline (Python's and PCRE's `$`) is either."""
    strict = re.search(wanted.replace("$", r"\Z"), actual)
    if strict:
        return True
    return EITHER if re.search(wanted, actual, re.IGNORECASE | re.MULTILINE) else False


def value_matches(actual: Any, wanted: str, match: str) -> Verdict:
    """Does a record value satisfy one filter value? EITHER when both answers are right; None when the record
    value cannot be judged (always for a `mapped` value, written in another naming than the record's:
    D-OES-20; a bound the kind cannot read)."""
    if match == "mapped":
        return None
    if match == "exact":
        return equals_typed(actual, wanted)
    if match == "case-insensitive":
        return isinstance(actual, str) and actual.casefold() == wanted.casefold()
    if match == "not-equal":
        # SQL's `!=` leaves a null out, Django's exclude() keeps it: both are right.
        return EITHER if actual is None else not equals_typed(actual, wanted)
    if match in _NULL_NEVER_MATCHES:
        if not bound_readable(match, wanted):
            return None
        if actual is None:
            return False
        return _compared(actual, wanted, match)
    record_instant, bound = parse_instant(actual), parse_instant(wanted)
    if bound is None:
        return None
    if record_instant is None:
        return False
    return {
        "instant-eq": record_instant == bound,
        "instant-gt": record_instant > bound,
        "instant-gte": record_instant >= bound,
        "instant-lt": record_instant < bound,
        "instant-lte": record_instant <= bound,
    }[match]


def _compared(actual: Any, wanted: str, match: str) -> Verdict:
    """A range, substring or regex match of a non-null record value. A value the kind does not compare (text
    for a decimal range, a number for a text one) is either: engines differ (SQLite orders all text after
    all numbers, PostgreSQL refuses the comparison, Django leaves such rows out): D-GEN-80."""
    if match in DECIMAL_RANGES:
        number = as_number(actual)
        bound = _number(wanted)
        if number is None or bound is None:
            return EITHER
        return bool(_RANGES[match.removeprefix("decimal-")](number, bound))
    if not isinstance(actual, str):
        return EITHER
    if match in TEXT_RANGES:
        # Code point order: Python compares str so; UTF-8 bytes sort the same way.
        return bool(_RANGES[match.removeprefix("text-")](actual, wanted))
    if match == "regex":
        return _regex_matches(actual, wanted)
    return _substring_matches(actual, wanted, match)


def record_matches(record: Any, flt: Filter, value: str, join_value: Any = MISSING) -> Verdict:
    """Does the record satisfy `param=value`? None when it cannot be told (the field is projected away, a
    joined row unknown). For a range, substring or regex kind a record without the field is one whose
    field is null: it never matches (an absent field is how many servers write null)."""
    actual = pointer_get(record, flt.field) if flt.field is not None else join_value
    if actual is MISSING:
        if flt.field is None or flt.match not in (*_NULL_NEVER_MATCHES, "not-equal"):
            return None
        actual = None
    verdicts = [value_matches(actual, wanted, flt.match) for wanted in split_list(value, flt)]
    if any(v is True for v in verdicts):
        return True
    if any(v is None for v in verdicts):
        return None
    if any(v is EITHER for v in verdicts):
        return EITHER
    return False
