"""Date-times: rendering stored epoch values, and parsing query values as instants.

Parsing accepts exactly what the JSON Schema `date-time` format admits in the validator schemathesis
uses (jsonschema-rs): RFC 3339 with `T`/`t`, `Z`/`z` or a `+hh:mm`/`-hh:mm` offset, any number of
fraction digits, years 0000-9999, and second 60 only at 23:59 UTC (a leap second). Anything the
format rules out is an error, so the server can answer 400 without rejecting a valid value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DATE_TIME = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})[Tt]"
    r"(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]+))?"
    r"(?:(?P<utc>[Zz])|(?P<sign>[+-])(?P<off_hour>[0-9]{2}):(?P<off_minute>[0-9]{2}))"
)
# What a lenient server also takes (the brm-lenient-dates variant): a date, or a date-time without an offset.
_LENIENT = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"
    r"(?:[Tt](?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]+))?)?"
)
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@dataclass(frozen=True)
class Instant:
    """A query instant: whole epoch seconds plus whether a non-zero fraction of a second follows."""

    seconds: int
    has_fraction: bool


def _is_leap_year(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 in the proleptic Gregorian calendar (valid for year 0 too, unlike datetime)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def civil_from_days(days: int) -> tuple[int, int, int]:
    """The (year, month, day) of a day count since 1970-01-01."""
    days += 719468
    era = days // 146097
    day_of_era = days - era * 146097
    year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36524 - day_of_era // 146096) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    month_index = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * month_index + 2) // 5 + 1
    month = month_index + 3 if month_index < 10 else month_index - 9
    return year_of_era + era * 400 + (month <= 2), month, day


def parse_instant(text: str, *, lenient: bool = False) -> Instant | None:
    """The instant an RFC 3339 date-time names, or None if the `date-time` format rules the text out.

    `lenient` also takes a date (midnight UTC) and a date-time without an offset (UTC).
    """
    match = _DATE_TIME.fullmatch(text)
    if match is None and lenient:
        match = _LENIENT.fullmatch(text)
    if match is None:
        return None
    year, month, day = int(match["year"]), int(match["month"]), int(match["day"])
    hour, minute, second = (int(match[part] or 0) for part in ("hour", "minute", "second"))
    if not 1 <= month <= 12:
        return None
    days_in_month = 29 if month == 2 and _is_leap_year(year) else _DAYS_IN_MONTH[month - 1]
    if not 1 <= day <= days_in_month or hour > 23 or minute > 59 or second > 60:
        return None
    offset_minutes = 0
    if match.re is _DATE_TIME and match["sign"]:
        off_hour, off_minute = int(match["off_hour"]), int(match["off_minute"])
        if off_hour > 23 or off_minute > 59:
            return None
        offset_minutes = (off_hour * 60 + off_minute) * (1 if match["sign"] == "+" else -1)
    local_minutes = (days_from_civil(year, month, day) * 24 + hour) * 60 + minute
    utc_minutes = local_minutes - offset_minutes
    # A leap second is only admitted at 23:59:60 UTC; as an instant it is the next minute's start.
    if second == 60 and utc_minutes % 1440 != 1439:
        return None
    fraction = match["fraction"] or ""
    return Instant(utc_minutes * 60 + second, fraction.strip("0") != "")


def render_utc_millis(epoch_ms: int) -> str:
    """`2026-03-01T10:15:00.123Z` for an epoch in milliseconds (BitGo's rendering)."""
    seconds, millis = divmod(epoch_ms, 1000)
    return f"{_render_seconds(seconds)}.{millis:03d}Z"


def render_with_offset(epoch_s: int, offset_minutes: int) -> str:
    """`2020-01-08T07:35:58-08:00` (or `...Z` for UTC) for an epoch in seconds, written in its own offset."""
    text = _render_seconds(epoch_s + offset_minutes * 60)
    if offset_minutes == 0:
        return text + "Z"
    sign = "+" if offset_minutes > 0 else "-"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return f"{text}{sign}{hours:02d}:{minutes:02d}"


def _render_seconds(epoch_s: int) -> str:
    days, second_of_day = divmod(epoch_s, 86400)
    year, month, day = civil_from_days(days)
    hour, rest = divmod(second_of_day, 3600)
    minute, second = divmod(rest, 60)
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}"


def epoch_seconds(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    """Epoch seconds of a UTC civil time."""
    return ((days_from_civil(year, month, day) * 24 + hour) * 60 + minute) * 60 + second
