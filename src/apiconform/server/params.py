"""Reading query parameters the way both vendors' contracts define them.

Values are form-decoded once (`%2B` is `+`, a raw `+` is a space), as every HTTP framework does.
An empty value (`statuses=`) counts as absent (DECISIONS D-GEN-2 allows ignoring it), and a
single-valued parameter given twice is rejected, since neither document says which one would win.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from collections.abc import Collection, Sequence
from urllib.parse import unquote_plus

from starlette.datastructures import QueryParams
from starlette.requests import Request

DIGITS = re.compile(r"[0-9]+")
# Counts with more digits than this are beyond any page or offset the store can reach.
_MAX_COUNT_DIGITS = 19
OVERFLOW = 10**_MAX_COUNT_DIGITS


class BadRequest(Exception):
    """A query value the contract rules out: answered 400 in the API's own envelope."""

    def __init__(self, message: str, parameter: str | None = None, value: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.parameter = parameter  # the parameter and value at fault, where one is (for io-ts style messages)
        self.value = value


def shown(value: str, limit: int = 80) -> str:
    """A query value quoted for an error message, cut short so that an error never echoes a huge input."""
    return repr(value if len(value) <= limit else value[:limit] + "...")


class Query:
    """The query parameters of one request."""

    def __init__(self, params: QueryParams, raw_query: bytes) -> None:
        self._params = params
        self._raw_query = raw_query
        # Values as sent, not yet decoded: list items are split at literal commas only (see `items`).
        self._raw: dict[str, list[str]] = defaultdict(list)
        for pair in raw_query.decode("latin-1").split("&"):
            if pair:
                name, _, value = pair.partition("=")
                self._raw[unquote_plus(name)].append(value)

    @classmethod
    def of(cls, request: Request) -> Query:
        """The query of a request."""
        return cls(request.query_params, request.scope["query_string"])

    def raw(self, name: str) -> str | None:
        """The single value of a parameter as sent ("" when empty), None when absent; 400 when repeated."""
        values = self._params.getlist(name)
        if len(values) > 1:
            raise BadRequest(f"query parameter {name!r} may be given only once")
        return values[0] if values else None

    def value(self, name: str) -> str | None:
        """The single non-empty value of a parameter, or None when it is absent or empty."""
        value = self.raw(name)
        return value or None

    def items(self, name: str, *, first_key_only: bool = False) -> list[str] | None:
        """A comma-separated list's items, decoded; None when the parameter is absent or empty.

        The value is split at literal commas before decoding, as OpenAPI's form style (explode=false)
        serializes lists: `currencies=%2C` is the one item ",". Repeated keys add items (explode=true),
        unless `first_key_only` (a server that reads a repeated name as its first value).
        """
        values = [value for value in self._raw.get(name, ()) if value != ""]
        if first_key_only:
            values = values[:1]
        if not values:
            return None
        return [unquote_plus(item) for value in values for item in value.split(",")]

    def first_of(self, names: Collection[str]) -> str | None:
        """Which of `names` comes first in the query with a non-empty value (None: none of them)."""
        return next((name for name, value in self._params.multi_items() if name in names and value), None)

    def only(self, names: Collection[str]) -> Query:
        """The query with only the parameters `names`, in their order, as sent."""
        pairs = self._raw_query.decode("latin-1").split("&")
        kept = "&".join(pair for pair in pairs if unquote_plus(pair.partition("=")[0]) in names).encode("latin-1")
        return Query(QueryParams(kept), kept)

    def present_but_empty(self, name: str) -> bool:
        """Whether the parameter is sent with an empty value only."""
        values = self._params.getlist(name)
        return bool(values) and all(value == "" for value in values)


def pieces(items: list[str]) -> list[str]:
    """List items split at decoded commas too: many clients (requests, for one) send `a,b` as `a%2Cb`."""
    return [piece for item in items for piece in item.split(",")]


def parse_count(name: str, value: str) -> int:
    """A non-negative decimal integer (digits only); a number too large to matter is OVERFLOW or more."""
    if DIGITS.fullmatch(value) is None:
        raise BadRequest(f"query parameter {name!r} must be a non-negative integer, got {shown(value)}", name, value)
    significant = value.lstrip("0")
    # int() refuses more than 4300 digits; no page needs more than 19 anyway.
    if len(significant) > _MAX_COUNT_DIGITS:
        return OVERFLOW
    return int(significant or "0")


def parse_int_like_javascript(value: str) -> int:
    """What JavaScript's parseInt(value, 10) gives, with NaN and negatives as 0 (a lenient server's reading)."""
    match = re.match(r"\s*([+-]?)([0-9]+)", value)
    if match is None or match.group(1) == "-":
        return 0
    digits = match.group(2).lstrip("0")
    return OVERFLOW if len(digits) > _MAX_COUNT_DIGITS else int(digits or "0")


# JavaScript's StrWhiteSpaceChar: what Number() trims from both ends of its argument.
_JS_WHITESPACE = (
    "\t\n\v\f\r \xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_JS_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_JS_RADIX = re.compile(r"0([xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)")


def parse_int_from_string(name: str, value: str) -> int:
    """A page count read like io-ts IntFromString: JavaScript Number(value), which must be a non-negative integer.

    '+1', '1.0', '1e2', ' 7 ', '0x10' are 1, 1, 100, 7, 16; '1.5', 'two', '-1', 'Infinity', '1e400' are 400.
    A count beyond any page is OVERFLOW.
    """
    text = value.strip(_JS_WHITESPACE)
    number = math.nan
    if text == "":
        number = 0.0
    elif _JS_DECIMAL.fullmatch(text):
        number = float(text)  # the nearest double, as JavaScript rounds (1e400 is Infinity)
    elif _JS_RADIX.fullmatch(text):
        whole = int(text, 0)
        number = float(whole) if whole.bit_length() <= 1024 else math.inf
    if not math.isfinite(number) or not number.is_integer() or number < 0:
        raise BadRequest(f"query parameter {name!r} must be a non-negative integer, got {shown(value)}", name, value)
    return min(int(number), OVERFLOW)


_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def parse_count_leniently(name: str, value: str) -> int:
    """A count read as a decimal number: negative values are 0 and fractions are truncated ('-1' -> 0, '2.5' -> 2)."""
    if _NUMBER.fullmatch(value) is None:
        raise BadRequest(f"query parameter {name!r} must be a number, got {shown(value)}", name, value)
    if value.startswith("-"):
        return 0
    whole = value.lstrip("+").partition(".")[0].lstrip("0")
    return OVERFLOW if len(whole) > _MAX_COUNT_DIGITS else int(whole or "0")


def json_list(values: Sequence[str]) -> str:
    """A list as one JSON array parameter: `IN (SELECT value FROM json_each(?))` takes any number of values."""
    return json.dumps(list(values))
