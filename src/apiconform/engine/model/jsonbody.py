"""The strict JSON reader: a reply's body read the way every check reads it, once.

JSON as RFC 8259 defines it: NaN and Infinity (which Python's json module accepts) are refused, an integer
longer than Python converts from text is a `LargeInt`, a number beyond a float's range is the largest
float of its sign, and a name repeated in one object is read with its last value and noted (the
JSON-UNIQUE-KEYS requirements judge it). Imports nothing of schemathesis: `target.readable` hands what it
reads to schemathesis' checks.
"""

from __future__ import annotations

import json
import math
import re
import sys
from dataclasses import dataclass
from typing import Any

from apiconform.engine.model.records import MISSING

# Python converts integers of at most this many digits from text (sys.get_int_max_str_digits(), a guard
# against quadratic conversion); JSON sets no limit, so longer ones are read as `LargeInt`.
_INT_DIGITS = 4300
# What a LargeInt is as an int: the largest number Python writes as text (4300 nines), of its sign.
_LARGE_INT_STAND_IN = 10**_INT_DIGITS - 1
_DIGITS_REVERSED = str.maketrans("0123456789", "9876543210")


class LargeInt(int):
    """A JSON integer longer than Python reads from text, kept as its text and never converted: Python's
    conversion is quadratic (20,000 digits cost 12 ms of CPU, a body of them seconds, past --max-time).

    As an int it stands in for its value: the largest number Python writes as text (4300 nines), of its
    sign, beyond every bound a schema can state, so types, minimum and maximum are judged as they would
    be on the number itself, and json.dumps still writes something. Equality, hashing and order between
    LargeInts go by the text, exactly (JSON writes an integer one way); no plain number equals one.
    Shown by its own text, shortened."""

    text: str

    def __new__(cls, text: str) -> LargeInt:
        number = super().__new__(cls, -_LARGE_INT_STAND_IN if text.startswith("-") else _LARGE_INT_STAND_IN)
        number.text = text
        return number

    def _order(self) -> tuple[int, int, str]:
        """Sorts as the numbers do: the sign, then (for a negative number, reversed) length and digits."""
        digits = self.text.lstrip("+-")
        if self.text.startswith("-"):
            return (-1, -len(digits), digits.translate(_DIGITS_REVERSED))
        return (1, len(digits), digits)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LargeInt):
            return self.text == other.text
        return False if isinstance(other, (int, float)) else NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash(("LargeInt", self.text))

    def __lt__(self, other: object) -> bool:
        if isinstance(other, LargeInt):
            return self._order() < other._order()
        return int.__lt__(self, other)  # type: ignore[operator]

    def __le__(self, other: object) -> bool:
        if isinstance(other, LargeInt):
            return self._order() <= other._order()
        return int.__le__(self, other)  # type: ignore[operator]

    def __gt__(self, other: object) -> bool:
        if isinstance(other, LargeInt):
            return self._order() > other._order()
        return int.__gt__(self, other)  # type: ignore[operator]

    def __ge__(self, other: object) -> bool:
        if isinstance(other, LargeInt):
            return self._order() >= other._order()
        return int.__ge__(self, other)  # type: ignore[operator]

    def __repr__(self) -> str:
        digits = len(self.text.lstrip("+-"))
        return f"{self.text[:24]}...({digits} digits)"

    __str__ = __repr__


def _number_role(code: int) -> bytes:
    character = chr(code)
    if "0" <= character <= "9":
        return b"9"
    if character in "eE":
        return b"e"
    if character in "+-":
        return b"+"
    if character == ".":
        return b"."
    if character in ":,[ \t\r\n":
        return b"|"  # where a JSON value, a number among them, may start
    return b"x"


# Each byte of a body mapped to its part in a JSON number, so that one C-speed pass (bytes.translate)
# and a search on few symbols find the numbers Python cannot read as they are: a run of more digits
# than it converts, or an exponent of three or more digits (where a number may lie beyond a float's
# range). Ids such as "5e123a" inside strings follow a quote or a letter, not a value's start.
_NUMBER_ROLES = b"".join(_number_role(code) for code in range(256))
_LONG_DIGIT_RUN = b"9" * (_INT_DIGITS + 1)
_LONG_EXPONENT = re.compile(rb"\|\+?9+(?:\.9+)?e\+?999")


def has_long_number(content: bytes) -> bool:
    """Whether the body may hold a number `target.readable` must read itself (a cheap test: a match inside a
    string only costs the slower reading)."""
    roles = b"|" + content.translate(_NUMBER_ROLES)
    return (len(content) > _INT_DIGITS and _LONG_DIGIT_RUN in roles) or _LONG_EXPONENT.search(roles) is not None


def _parse_int(text: str) -> int:
    return int(text) if len(text) <= _INT_DIGITS else LargeInt(text)


def parse_count(text: str) -> int | None:
    """A count the target wrote in a header (X-Total-Count), or None when it is none a list can have: only
    ASCII digits (`isdigit` takes any script's), and no more than Python converts (int() would raise)."""
    if not (text.isascii() and text.isdigit()) or len(text) > _INT_DIGITS:
        return None
    return int(text)


def _parse_float(text: str) -> float:
    """A JSON number with a fraction or exponent. One beyond a float's range (`1e999999`) is still a number:
    the largest float of its sign stands in for it (beyond every bound a schema states), never infinity,
    which JSON has not and schema validators read as null."""
    value = float(text)
    if math.isinf(value):
        return -sys.float_info.max if value < 0 else sys.float_info.max
    return value


class AmbiguousJson(ValueError):
    """A body Python's json module reads, but that is not JSON as RFC 8259 defines it (NaN, Infinity)."""


def _refuse_constant(name: str) -> Any:
    raise AmbiguousJson(f"{name} is not a JSON value (RFC 8259 has no NaN or Infinity)")


@dataclass(frozen=True)
class JsonBody:
    """What one strict reading of a body found."""

    # The JSON value, or MISSING when the body is empty or not strict JSON (invalid, invalid UTF-8, NaN):
    # such a body is not judged; the strict_json check reports it.
    value: Any
    # Why a body that the json module accepts is still not strict JSON (NaN, Infinity); None when it is
    # strict, or no JSON at all.
    problem: str | None = None
    # The first name an object of the body repeats, and whether its values differ (parsers then disagree
    # which one counts); None when no object repeats a name, or the body is no strict JSON.
    repeated_key: tuple[str, bool] | None = None


def read_json(content: bytes) -> JsonBody:
    """`content` read as strict JSON, in one pass. A name repeated in one object is read as most parsers read
    it (JavaScript's, Python's, Jackson's by default): the last value counts, and the first such name is
    noted."""
    if not content:
        return JsonBody(MISSING)
    found: list[tuple[str, bool]] = []

    def noting_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        value = dict(pairs)
        if len(value) != len(pairs) and not found:
            first: dict[str, Any] = {}
            for key, item in pairs:
                if key in first:
                    found.append((key, first[key] != item or type(first[key]) is not type(item)))
                    break
                first[key] = item
        return value

    try:
        value = json.loads(
            content,
            parse_constant=_refuse_constant,
            object_pairs_hook=noting_repeats,
            parse_int=_parse_int,
            parse_float=_parse_float,
        )
    except AmbiguousJson as exc:
        return JsonBody(MISSING, problem=str(exc))
    except (ValueError, RecursionError):
        return JsonBody(MISSING)
    return JsonBody(value, repeated_key=found[0] if found else None)


def parse_body(content: bytes) -> Any:
    """The JSON value of a body, or MISSING when it is not strict JSON (see `read_json`)."""
    return read_json(content).value
