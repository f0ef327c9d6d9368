"""Filters: every record of a filtered page satisfies the filters (per response), and, across requests, the
filter relations. Each relation fetches its answers and hands them to a pure judge (`selection_judged`,
`near_miss_judged`, `union_judged`, `case_variants_judged`), which the tests call without HTTP.

A filter example adds the filter to a *base*: everything one narrowing value matches (e.g. one account),
walked whole, or, where no narrowing value gives one (no narrowing filter in the spec, or the narrowing
filter itself broken), the first pages of a partition of the collection. Against a whole base the answer is
known exactly; against first pages, every record they show with the value must come back, and nothing
without it. A narrowing filter's own defect is blamed once, on its own requirement (`narrowing_complete`),
and never leaves the other filters unjudged (DECISIONS.md D-GEN-22).

- `filters_select_matching_records`: base + filter returns exactly the base records that satisfy it
  (soundness, completeness and AND in one relation); a filter's default equals asking for it. Each
  filter's examples follow a schedule that reaches the edges where implementations break, not only the
  centre: a value records have; the document's spelling of one (its example's date-time style, its
  documented values); near misses of one (a proper prefix, one character more, surrounding spaces, the
  other letter case where matching is case-sensitive), which must select what exact matching selects; a
  long list (servers batch look-ups by ten); a value with a second filter (three filters at once); the
  document's own example value, verbatim. A range, not-equal, substring or regex filter draws its values
  at its edges instead (`edge_value`, D-GEN-81): a bound at a record's value or just beside it, a proper
  substring or prefix of one, a literal fragment of one. A record such a filter may return or not (a null
  under not-equal, a match only case-blind under contains: D-GEN-79) is neither missing nor unsound.
- A `mapped` filter (values in another naming than the record's field, D-OES-20) is never compared with a
  record: within each `mapped-within` group, k values must select records of at most k distinct field
  values, all from the base (`mapped_selection_judged`); near misses and spellings do not apply to it.
- `comma_list_is_union`: `p=a,b` equals `p=a` united with `p=b`; `repeated_list_is_union` the same for
  `p=a&p=b`, the form OpenAPI gives an array parameter without a `style` (a 400 to it fails).
- `unknown_filter_value_matches_nothing`: a value no record has matches no record. It corroborates only:
  a filter that matches nothing at all passes it too.
- `case_variants_agree`: a case-insensitive filter finds the same records however the value is spelt.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from apiconform.contract import Alternate, Filter
from apiconform.engine.checks.base import (
    Attempt,
    Context,
    Judge,
    Plan,
    describe_ids,
    explore,
    fetch,
    flip,
    ids,
    kept_unasked,
    narrowing_filter,
    projected_out,
    query_words,
    relation,
    response_check,
)
from apiconform.engine.model import discovery
from apiconform.engine.model.apirun import ApiRun
from apiconform.engine.model.discovery import Walk
from apiconform.engine.model.exchange import Exchange, RepeatedKeys
from apiconform.engine.model.plan import CONFIRMING
from apiconform.engine.model.records import (
    DECIMAL_RANGES,
    EITHER,
    MISSING,
    REGEX_FRAGMENT,
    SUBSTRING_MATCHES,
    TEXT_RANGES,
    Verdict,
    as_number,
    bound_readable,
    parse_instant,
    pointer_get,
    record_matches,
    render,
    spelled,
    split_list,
)
from apiconform.engine.model.verdicts import Cause, Observation
from apiconform.reporting.document import plural

Source = ApiRun | Context


def joined(source: Source, record: Any, flt: Filter) -> Any:
    """The filter's field of the record's joined row (e.g. the owner of its account), or MISSING if unknown."""
    if not flt.join or not flt.join_field:
        return MISSING
    join = source.semantics.joins[flt.join]
    return source.discovery.join_value(flt.join, spelled(pointer_get(record, join.record_field)), flt.join_field)


def shown_value(source: Source, record: Any, flt: Filter) -> str:
    """The record's value for the filter, as a message shows it (JSON's spelling)."""
    if flt.field:
        return render(record, flt.field)
    value = joined(source, record, flt)
    return "<unknown>" if value is MISSING else render({"v": value}, "/v")


def matching(source: Source, records: Sequence[Any], flt: Filter, value: str) -> list[Any] | None:
    """The records that must satisfy `flt=value` (not those it may select or not: EITHER), or None when some
    record cannot be judged."""
    selected = []
    for record in records:
        verdict = record_matches(record, flt, value, joined(source, record, flt))
        if verdict is None:
            return None
        if verdict is True:
            selected.append(record)
    return selected


def breaking(source: Source, records: Sequence[Any], flt: Filter, value: str) -> list[Any]:
    """The records that do not satisfy `flt=value` (the ones that cannot be judged, or may go either way,
    are not among them)."""
    return [record for record in records if record_matches(record, flt, value, joined(source, record, flt)) is False]


def matching_all(source: Source, records: Sequence[Any], filters: Sequence[tuple[Filter, str]]) -> list[Any] | None:
    """The records that satisfy every `(filter, value)`, or None when some record cannot be judged."""
    selected: list[Any] | None = list(records)
    for flt, value in filters:
        selected = matching(source, selected, flt, value) if selected is not None else None
    return selected


# --- per response -------------------------------------------------------------------------------------


@response_check(
    needs=("filters",),
    quote="what the filter selects: the record field it compares and how (its match)",
)
def records_match_filters(ctx: Context, exchange: Exchange) -> Iterator[Observation]:
    """Every record of a page satisfies each filter the query sets (and each filter's default).

    A page that holds only matching records corroborates the filter: a filter that matches nothing, or
    one ignored on a page whose records happen to match, passes it too."""
    records = ctx.records(exchange)
    if records is None:
        return
    semantics = ctx.semantics
    active: list[tuple[Filter, str, str]] = []  # (filter, value, requirement)
    for param, flt in semantics.filters.items():
        value = exchange.present(param, flt.value_format)
        if value is not None and (param, value) in ctx.discovery.alternate_keys:
            continue  # an alternate key: its records need not carry it (alternate_keys_find_the_same_records)
        if value is not None:
            active.append((flt, value, flt.requirement))
        elif flt.default is not None and param not in exchange.query and not _default_optional(flt, exchange.query):
            active.append((flt, flt.default, flt.default_requirement or flt.requirement))
    and_requirement = semantics.filter_requirements.get("and")
    hidden = projected_out(semantics, exchange.query)
    unasked = kept_unasked(semantics, exchange.query)
    for flt, value, requirement in active:
        if flt.field and hidden(flt.field):
            continue  # the projection left the field out (absent or null): nothing to judge on this page
        # An attribute the projection may keep without being asked (D-BRM-2) may also come null or absent.
        optional = bool(flt.field) and unasked(flt.field or "")
        judge = Judge("records_match_filters", requirement)
        judged = False
        # A value between spaces may be read trimmed (Django's forms, Datasette's lists): both readings pass,
        # as near_miss_judged accepts them (D-GEN-24).
        readings = [value, value.strip()] if value.strip() and value.strip() != value else [value]
        for index, record in enumerate(records):
            if optional and pointer_get(record, flt.field or "") in (None, MISSING):
                continue
            verdict = _any_reading_matches(record, flt, readings, joined(ctx, record, flt))
            if verdict is None or verdict is EITHER:
                continue
            judged = True
            if verdict is False:
                shown = shown_value(ctx, record, flt)
                yield judge.failed(
                    f"record {index} ({render(record, semantics.id_pointer)}) has {shown}, "
                    f"which does not satisfy {flt.param}={value}",
                    [exchange],
                    received=shown,
                    expected=f"{flt.param}={value}",
                    # With several filters this could be the combination's fault (D-GEN-12).
                    alternatives=(and_requirement,) if and_requirement and len(active) > 1 else (),
                )
                break
        else:
            if judged:
                yield judge.corroborated(f"every record of a page with {flt.param}={value} satisfies it")


def _any_reading_matches(record: Any, flt: Filter, readings: Sequence[str], join: Any) -> Verdict:
    """`record_matches` under the most lenient of `readings`: True when one of them matches, else EITHER when
    one leaves it open, else False when one tells, else None (nothing to tell)."""
    verdicts = [record_matches(record, flt, text, join) for text in readings]
    return next((verdict for wanted in (True, EITHER, False) for verdict in verdicts if verdict is wanted), None)


def _default_optional(flt: Filter, query: Mapping[str, str]) -> bool:
    """The query holds a parameter with which the filter's default may or may not apply (D-BRM-11)."""
    return any(query.get(param) for param in flt.default_optional_with)


# --- drawing values -----------------------------------------------------------------------------------


def enum_values(source: Source, param: str) -> list[str]:
    """The values a parameter's schema allows, when it is an enum (or a list of enum items)."""
    contract = source.contract
    schema = contract.resolve(contract.query_parameters()[param].get("schema", {}))
    items = contract.resolve(schema.get("items", {})) if schema.get("type") == "array" else schema
    return [spelled(value) for value in items.get("enum", ())]


def value_pool(source: Source, records: Sequence[Any], flt: Filter, *, own: bool = True) -> list[str]:
    """The filter's values the records have, as a query writes them (`5`, `true`, text as it is): their own
    field, or for a joined filter their own joined rows' values (or, not `own`, every joined row's)."""
    if flt.join and flt.join_field:
        mine = {spelled(v) for v in (joined(source, r, flt) for r in records) if _scalar(v)}
        if mine and own:
            return sorted(mine)
        rows = source.discovery.joins.get(flt.join) or {}
        return sorted({spelled(v) for v in (pointer_get(row, flt.join_field) for row in rows.values()) if _scalar(v)})
    return sorted({spelled(v) for v in (pointer_get(r, flt.field or "") for r in records) if _scalar(v)})


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool))


# Written in offsets other than the records' own, to catch text comparison of date-times.
OFFSETS = (UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8)))
# Matched whole (`$` would match before a final newline too), in ASCII digits (`\d` takes any script's).
_DATE_TIME_STYLE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", re.ASCII)


def spelled_like(example: str | None, instant: datetime) -> str | None:
    """`instant` written in the style of the document's example date-time (its fraction digits, and `Z` or
    its offset): `2020-01-01T12:00:27.000Z` makes `2024-03-05T10:00:00.000Z`. None without such an example."""
    match = _DATE_TIME_STYLE.fullmatch(example or "")
    if match is None:
        return None
    digits, zone = match.group(1) or "", match.group(2)
    offset = UTC if zone == "Z" else datetime.fromisoformat(f"2000-01-01T00:00:00{zone}").tzinfo
    try:
        local = instant.astimezone(offset)
    except OverflowError:  # at the edge of datetime's range: no spelling of it in another zone
        return None
    fraction = f".{local.microsecond:06d}"[: len(digits) + 1].ljust(len(digits) + 1, "0") if digits else ""
    written = local.strftime("%Y-%m-%dT%H:%M:%S") + fraction
    return written + ("Z" if zone == "Z" else local.strftime("%z")[:3] + ":" + local.strftime("%z")[3:])


def instant_bound(data: st.DataObject, value: str) -> str:
    """A bound near a record's instant, written in another offset: mostly the instant itself (where .gt and
    .gte differ), sometimes a second either side."""
    instant = parse_instant(value)
    if instant is None:
        return value
    offset = data.draw(st.sampled_from(OFFSETS), label="offset")
    shift = data.draw(st.sampled_from([0, 0, 0, 0, 1, -1]), label="shift")
    try:
        text = (instant + timedelta(seconds=shift)).astimezone(offset).isoformat()
    except OverflowError:  # an instant at the end of datetime's range: the record's own text is a bound
        return value
    return text.replace("+00:00", "Z")


# Against a partition's first pages a range bound is drawn among this many of its extreme instants, so
# that the answer is short enough to be whole (and so judged for completeness).
EXTREME_INSTANTS = 3


def record_value(
    source: Source,
    data: st.DataObject,
    flt: Filter,
    records: Sequence[Any],
    *,
    spelling: bool,
    own: bool = False,
    narrow_answer: bool = False,
) -> str | None:
    """A value of the filter that the records have, written as a client may write it: with `spelling`, in
    the document's own way (its example's date-time style, its documented values); None when no record has
    one. With `narrow_answer` (the records are a partition's first pages), a range bound near the records'
    last instant (for .gt/.gte) or first (for .lt/.lte), so that the answer fits on one page."""
    enum = enum_values(source, flt.param)
    # A joined filter mostly takes the records' own joined values (so that it has records to keep); with
    # `own`, always.
    pool = value_pool(source, records, flt, own=own or data.draw(st.integers(0, 4), label="own joined value?") > 0)
    if enum:
        having = [value for value in enum if any(value.casefold() == own.casefold() for own in pool)]
        pool = having or enum
    if flt.match in EDGE_MATCHES:
        return edge_value(source, data, flt, pool, spelling=spelling, narrow_answer=narrow_answer)
    if flt.match in ("instant-gt", "instant-gte", "instant-lt", "instant-lte"):
        # A bound at the last instant (for .gt) or the first (for .lt) selects nothing, which judges nothing.
        # One value per instant (a batch shares one): a bound at the first instant's twin selects nothing too.
        timed = sorted({instant: value for value in pool if (instant := parse_instant(value)) is not None}.items())
        if len(timed) > 1:
            upper = flt.match.startswith("instant-gt")
            pool = [value for _, value in (timed[:-1] if upper else timed[1:])]
            if narrow_answer:
                pool = pool[-EXTREME_INSTANTS:] if upper else pool[:EXTREME_INSTANTS]
    if not pool:
        return None
    if spelling and flt.documented_values:
        having = [v for v in flt.documented_values if any(v.casefold() == own.casefold() for own in pool)]
        if having:
            return str(data.draw(st.sampled_from(having), label=flt.param))
    value = str(data.draw(st.sampled_from(pool), label=flt.param))
    if spelling and _parameter_type(source, flt.param) == "number":
        return other_number_spelling(value)
    if flt.match == "case-insensitive":
        if flt.query_case == "lower":
            # Other spellings are judged by `case_variants_agree` against the filter's own SHOULD (D-BRM-1).
            return value.lower()
        return str(data.draw(st.sampled_from([value.lower(), value.upper(), value]), label="case"))
    if flt.match.startswith("instant"):
        instant = parse_instant(value)
        styled = spelled_like(source.contract.parameter_example(flt.param), instant) if instant else None
        if spelling and styled is not None:
            return styled
        return instant_bound(data, value)
    return value


# The match kinds whose values `edge_value` draws (the kinds of issue 25).
EDGE_MATCHES = (*DECIMAL_RANGES, *TEXT_RANGES, "not-equal", *SUBSTRING_MATCHES, "regex")
# Characters SQL's LIKE reads as wildcards or escapes: a substring probe leaves them out, so that it
# probes what `contains` means, not how a server escapes LIKE (DECISIONS.md D-GEN-81).
_LIKE_SPECIAL = re.compile(r"[%_\\]")


def edge_value(
    source: Source, data: st.DataObject, flt: Filter, pool: Sequence[str], *, spelling: bool, narrow_answer: bool
) -> str | None:
    """A value for a range, not-equal, substring or regex filter, drawn where its rule has edges
    (DECISIONS.md D-GEN-81): a range's bound at a value the records have (where gt and gte differ), or just
    beside one; for numbers preferably a value whose text order differs from its numeric order with some
    record's (9 against 10), and with `spelling` the same number written another way (`1.5` as `1.50`); a text
    bound exactly as a record holds it. not-equal takes a value records have. contains and icontains take a
    proper substring of a record's value (icontains in another letter case), starts-with a proper prefix,
    regex a literal fragment of letters and digits, anchored or not. None when no record offers one."""
    if flt.match in DECIMAL_RANGES:
        return _decimal_bound(source, data, flt, pool, spelling=spelling, narrow_answer=narrow_answer)
    if flt.match in TEXT_RANGES:
        return _text_bound(data, flt, pool, narrow_answer=narrow_answer)
    if flt.match == "not-equal":
        return str(data.draw(st.sampled_from(pool), label=flt.param)) if pool else None
    if flt.match == "regex":
        return _regex_fragment(data, flt, pool)
    return _substring(data, flt, pool)


def _ranged(flt: Filter, ordered: Sequence[str], narrow_answer: bool) -> list[str]:
    """The bounds among `ordered` (ascending) that leave records on both sides: not the greatest for gt and
    gte (where it would select nothing or only its ties), not the least for lt and lte; against first pages
    only the extremes, so that the answer fits on a page."""
    if len(ordered) < 2:
        return list(ordered)
    upper = flt.match.endswith(("-gt", "-gte"))
    kept = list(ordered[:-1] if upper else ordered[1:])
    if narrow_answer:
        kept = kept[-EXTREME_INSTANTS:] if upper else kept[:EXTREME_INSTANTS]
    return kept


def _decimal_bound(
    source: Source, data: st.DataObject, flt: Filter, pool: Sequence[str], *, spelling: bool, narrow_answer: bool
) -> str | None:
    # One spelling per number (the records' own), in numeric order.
    numbers = sorted({number: text for text in pool if (number := as_number(text)) is not None}.items())
    bounds = _ranged(flt, [text for _, text in numbers], narrow_answer)
    if not bounds:
        return None
    # A server that compares the text of numbers is caught only by a bound whose text order disagrees with
    # its numeric order against some record's value (9 and 10).
    by_text = {text: number for number, text in numbers}
    telling = [b for b in bounds if any((n < by_text[b]) != (t < b) for n, t in numbers if n != by_text[b])]
    if telling and not narrow_answer:
        bounds = telling
    bound = str(data.draw(st.sampled_from(bounds), label=flt.param))
    where = data.draw(st.sampled_from(["at", "at", "below", "above"]), label="bound beside a value?")
    if where != "at":
        number = as_number(bound)
        assert number is not None  # drawn from the numbers
        integral = _parameter_type(source, flt.param) == "integer"
        places = max(0, -int(number.as_tuple().exponent))
        step = Decimal(1) if integral else Decimal(1).scaleb(-(places + 1))
        return format(number + step if where == "above" else number - step, "f")
    if spelling:
        return other_number_spelling(bound)
    return bound


def _text_bound(data: st.DataObject, flt: Filter, pool: Sequence[str], *, narrow_answer: bool) -> str | None:
    bounds = _ranged(flt, sorted(set(pool)), narrow_answer)
    if not bounds:
        return None
    bound = str(data.draw(st.sampled_from(bounds), label=flt.param))
    where = data.draw(st.sampled_from(["at", "at", "below", "above"]), label="bound beside a value?")
    # Just below: a proper prefix sorts before the value; just above: the value with a digit after it.
    if where == "below" and len(bound) > 1:
        return bound[:-1]
    if where == "above":
        return bound + "0"
    return bound  # exactly as the record holds it: never rewritten


def _substring(data: st.DataObject, flt: Filter, pool: Sequence[str]) -> str | None:
    """A proper substring of a record's value (for starts-with a proper prefix) without LIKE's special
    characters and without spaces at its ends (which a server may trim); for icontains in another letter
    case (of its ASCII letters, which every flavour folds)."""
    if flt.match == "starts-with":
        # The prefixes (of up to PREFIX_LENGTH characters) that end before the value does, before any LIKE
        # special character, not on a space; preferably one that another value holds further in (a server
        # that reads starts-with as contains returns it).
        prefixes = sorted(
            {
                value[:end]
                for value in pool
                if value[:1].strip()
                for end in range(1, min(len(_LIKE_SPECIAL.split(value)[0]), PREFIX_LENGTH) + 1)
                if end < len(value) and value[end - 1].strip()
            }
        )
        telling = [prefix for prefix in prefixes if any(prefix in value[1:] for value in pool)]
        return str(data.draw(st.sampled_from(telling or prefixes), label=flt.param)) if prefixes else None
    parts = [
        (value, part.strip())
        for value in pool
        for part in _LIKE_SPECIAL.split(value)
        if part.strip() and (len(part.strip()) > 1 or part.strip() != value)
    ]
    if not parts:
        return None
    value, part = data.draw(st.sampled_from(parts), label=flt.param)
    start = data.draw(st.integers(0, len(part) - 1), label="start")
    end = data.draw(st.integers(start + 1, len(part)), label="end")
    if part[start:end] == value:  # the whole value: one character less keeps it a proper substring
        end -= 1
    probe = part[start:end].strip() or part.strip()[:1]
    if flt.match == "icontains":
        # In another letter case than the record's, where it has ASCII letters.
        others = [variant for variant in (_swap_ascii(probe), probe.upper(), probe.lower()) if variant != probe]
        probe = str(data.draw(st.sampled_from(others or [probe]), label="case"))
    return probe


# A starts-with probe is at most this long: enough to tell prefixes apart, few enough to list them all.
PREFIX_LENGTH = 8


def _swap_ascii(text: str) -> str:
    return "".join(c.swapcase() if c.isascii() else c for c in text)


_ALNUM_RUN = re.compile(r"[A-Za-z0-9]+")


def _regex_fragment(data: st.DataObject, flt: Filter, pool: Sequence[str]) -> str | None:
    """Letters and digits from a record's value: anchored at the start (`^ab`) where the value starts with
    them, at the end (`yz$`) where it ends with them, at both where they are the whole value, else bare."""
    runs = [(value, match) for value in pool for match in _ALNUM_RUN.finditer(value)]
    if not runs:
        return None
    value, run = data.draw(st.sampled_from(runs), label=flt.param)
    text = run.group()
    anchor = data.draw(st.sampled_from(["none", "start", "end", "both"]), label="anchor")
    if anchor == "both" and text == value:
        return f"^{text}$"
    if anchor == "start" and run.start() == 0:
        return "^" + text[: data.draw(st.integers(1, len(text)), label="length")]
    if anchor == "end" and run.end() == len(value):
        return text[-data.draw(st.integers(1, len(text)), label="length") :] + "$"
    start = data.draw(st.integers(0, len(text) - 1), label="start")
    probe = text[start : data.draw(st.integers(start + 1, len(text)), label="end")]
    assert REGEX_FRAGMENT.fullmatch(probe)
    return probe


def _parameter_type(source: Source, param: str) -> str | None:
    """The JSON type a query parameter's schema declares (an array's items' type), if any."""
    contract = source.contract
    schema = contract.resolve(contract.query_parameters()[param].get("schema", {}))
    if schema.get("type") == "array":
        schema = contract.resolve(schema.get("items", {}))
    kind = schema.get("type")
    return kind if isinstance(kind, str) else None


def other_number_spelling(value: str) -> str:
    """The same number written another way JSON allows: `5.0` as `5`, `5` as `5.0`, `2.5` as `2.50` (a
    client writes a number as it likes; a server that compares the text misses the record)."""
    if re.fullmatch(r"-?[0-9]+\.0+", value):
        return value.split(".")[0]
    if re.fullmatch(r"-?[0-9]+", value):
        return value + ".0"
    if re.fullmatch(r"-?[0-9]+\.[0-9]+", value):
        return value + "0"
    return value


def long_list(source: Source, data: st.DataObject, flt: Filter, records: Sequence[Any]) -> str | None:
    """Up to LONG_LIST values as one comma list (spaced where the document admits it): the records' own
    values first, then others the target returned (a value no base record has selects nothing, and the
    list is still a list)."""
    own = value_pool(source, records, flt)
    inventory = source.discovery.inventory
    seen = value_pool(source, [record for _, record in inventory.records()], flt, own=False) if inventory else []
    others = [value for value in seen if value not in own]
    chosen = [
        *data.draw(st.permutations(own), label=f"{flt.param} list"),
        *data.draw(st.permutations(others), label=f"more {flt.param}"),
    ][:LONG_LIST]
    if len(chosen) < 2:
        return None
    if flt.list == "repeated":
        return RepeatedKeys(",".join(chosen))
    separator = ", " if flt.spaced_lists and flip(data, "spaced list?") else ","
    return separator.join(chosen)


# --- bases --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Base:
    """Where a filter example starts: a query, the records it was drawn from, and how far to walk it.

    `whole`: the records are every record the query matches (a narrowing value's set, a small partition);
    else they are the partition's first pages."""

    query: Mapping[str, str]
    records: tuple[Any, ...]
    whole: bool
    pages: int
    narrowed: bool = False


def draw_base(
    run: ApiRun, data: st.DataObject, flt: Filter, *, narrow: bool = False, unnarrowed: bool = False
) -> Base | Observation:
    """A base for an example of `flt`: mostly one narrowing value's whole set; a partition's first pages where
    no narrowing value gives a set (or, unless `narrow`, now and then, so that unnarrowed queries are judged
    too; with `unnarrowed`, always). Returns the reason, as a not-exercised observation, when the target offered
    no records at all."""
    check = "filters_select_matching_records"
    inventory = discovery.inventory(run)
    partitions = [partition for partition in inventory.partitions if partition.records]
    if not partitions:
        unanswered = inventory.unanswered()
        if unanswered:
            return Judge(check, flt.requirement).not_exercised(
                f"the target's pages could not be read: {unanswered}", Cause.RUN
            )
        return Judge(check, flt.requirement).not_exercised("the target returned no records")
    partition = data.draw(st.sampled_from(partitions), label="partition")
    narrowing = narrowing_filter(run.semantics)
    narrowed = not unnarrowed and (narrow or data.draw(st.integers(0, 5), label="narrowed?") > 0)
    # Once filters have failed to combine, a narrowed base would blame the combination again: the filter
    # is judged on the partition instead (one defect must not hide another).
    and_requirement = run.semantics.filter_requirements.get("and")
    combining = not (and_requirement and run.ledger[and_requirement].failure_count)
    if narrowing is not None and narrowing is not flt and narrowed and combining:
        values = value_pool(run, partition.records, narrowing)
        if values:
            value = str(data.draw(st.sampled_from(values), label=narrowing.param))
            query = {**partition.query, narrowing.param: value}
            records = discovery.complete_set(run, query)
            if records:
                return Base(query, tuple(records), True, discovery.COMPLETE_SET_PAGES, narrowed=True)
            # The narrowing value gave no set (its own requirement is judged by narrowing_complete): the
            # filter is judged on the partition instead, so that one defect does not hide another.
    pages = discovery.INVENTORY_PAGES - 1
    return Base(dict(partition.query), partition.records, partition.complete, pages)


def narrowing_complete(
    source: Source, narrowing: Filter, base_query: Mapping[str, str], base: Walk, seen: Sequence[Any]
) -> list[Observation]:
    """Every record the inventory saw with the narrowing value (`seen`, of the same partition) is in the base."""
    judge = Judge("filters_select_matching_records", narrowing.requirement)
    if not base.complete or not seen:
        return []
    value = base_query[narrowing.param]
    found = set(ids(source, base.records))
    missing = [i for i in ids(source, seen) if i not in found]
    if missing:
        return [
            judge.failed(
                f"{narrowing.param}={value} leaves out {describe_ids(missing)}, which the unfiltered pages show "
                "with that value",
                base.replies[:1],
                received=describe_ids(sorted(found)),
                expected=describe_ids(ids(source, seen)),
            )
        ]
    return [
        judge.passed(
            f"{narrowing.param}={value} returned all {plural(len(seen), 'record')} the unfiltered pages show with "
            "that value",
            base.replies[:1],
            records=len(seen),
        )
    ]


def defaults_explicit(
    source: Source, flt: Filter, base_query: Mapping[str, str], base: Walk, explicit: Walk
) -> list[Observation]:
    """Leaving a defaulted filter out (`base`) gives the same records as asking for its default (`explicit`)."""
    requirement = flt.default_requirement or flt.requirement
    judge = Judge("filters_select_matching_records", requirement)
    if not base.complete or not explicit.complete or not base.records:
        return []
    if sorted(ids(source, explicit.records)) == sorted(ids(source, base.records)):
        return [
            judge.passed(
                f"{query_words(base_query)} without {flt.param} returned the same "
                f"{plural(len(base.records), 'record')} as with {flt.param}={flt.default}",
                [base.replies[0], explicit.replies[0]],
                records=len(base.records),
            )
        ]
    # Records outside the default in the base break the default; otherwise the explicit filter is short.
    unsound = matching(source, base.records, flt, flt.default or "")
    blamed = flt.requirement if unsound is not None and len(unsound) == len(base.records) else requirement
    return [
        judge.on(blamed).failed(
            f"without {flt.param} the result differs from {flt.param}={flt.default}",
            [base.replies[0], explicit.replies[0]],
            received=describe_ids(ids(source, explicit.records)),
            expected=describe_ids(ids(source, base.records)),
        )
    ]


# --- judging a selection ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """One filter example's answers: the base walked, the filters added to it, and the filtered walk.

    `added` holds the filter under test last, after any second filter the example combined it with."""

    base_query: Mapping[str, str]
    base: Walk
    base_whole: bool
    added: tuple[tuple[Filter, str], ...]
    query: Mapping[str, str]
    got: Walk

    @property
    def flt(self) -> Filter:
        return self.added[-1][0]

    @property
    def value(self) -> str:
        return self.added[-1][1]

    def describe(self) -> str:
        return query_words(self.query)


@dataclass(frozen=True)
class Mismatch:
    """A filtered answer that differs from what the base says it must be: whose fault it is may need the
    added filters asked for alone (`blame`)."""

    selection: Selection
    extra: list[str]
    missing: list[str]
    expected: list[str]
    received: list[str]


def selection_judged(source: Source, selection: Selection, judge: Judge) -> list[Observation] | Mismatch:
    """The filtered answer against the base: with a whole base, exactly its records that satisfy the filters;
    with a base of first pages, every such record they show, and no record that breaks a filter.

    A judging pass needs records to select: an answer of none where none was expected passes a filter that
    matches nothing as well (it corroborates only)."""
    got, base = selection.got, selection.base
    if got.unanswered is not None and not got.records:
        return _unanswered_selection(selection, judge)
    if selection.flt.match == "mapped":
        return mapped_selection_judged(source, selection, judge)
    expected = matching_all(source, base.records, selection.added)
    if expected is None:
        flt = selection.flt
        reason = (
            flt.join and source.discovery.join_errors.get(flt.join)
        ) or f"the records do not show the field {selection.flt.param} filters on"
        return [judge.not_exercised(str(reason))]
    wanted, received = ids(source, expected), ids(source, got.records)
    unsound = [
        i
        for i, record in zip(received, got.records, strict=True)
        if any(record_matches(record, f, v, joined(source, record, f)) is False for f, v in selection.added)
    ]
    outside = [i for i in received if i not in set(ids(source, base.records))] if selection.base_whole else []
    extra = list(dict.fromkeys([*unsound, *outside]))
    missing = [i for i in wanted if i not in set(received)] if got.complete else []
    if extra or missing:
        return Mismatch(selection, extra, missing, wanted, received)
    return _selection_held(source, selection, judge, len(wanted), len(received))


def mapped_groups(records: Sequence[Any], flt: Filter) -> dict[str, set[str]]:
    """The distinct values of a mapped filter's field in each `mapped-within` group (e.g. each connection's
    currencies)."""
    groups: dict[str, set[str]] = {}
    for record in records:
        value = pointer_get(record, flt.field or "")
        if _scalar(value):
            groups.setdefault(render(record, flt.mapped_within or ""), set()).add(spelled(value))
    return groups


def mapped_overflow(records: Sequence[Any], flt: Filter, value: str) -> tuple[str, set[str]] | None:
    """A group whose records carry more distinct values than `value` lists (the filter was not applied to
    it), with those values; None when every group holds at most as many."""
    wanted = len(split_list(value, flt))
    return next(
        ((group, values) for group, values in mapped_groups(records, flt).items() if len(values) > wanted), None
    )


def mapped_selection_judged(source: Source, selection: Selection, judge: Judge) -> list[Observation] | Mismatch:
    """A mapped filter's answer (DECISIONS.md D-OES-20). Its values are in another naming than the record's
    field, so which records one selects cannot be told; what can: within one group (one connection), k values
    select records of at most k distinct field values, and only records of the base.

    It judges (D-GEN-22) when the answer has records and some group has more than k values in what an ignored
    filter would have returned in its place: the base, when the answer was walked whole; else the base's first
    records, as many as the answer showed (the same query, so the same order).
    Whether every record in the value's naming came back cannot be told (it is not judged)."""
    flt, value, got, base = selection.flt, selection.value, selection.got, selection.base
    asked = selection.describe()
    overflow = mapped_overflow(got.records, flt, value)
    if overflow is not None:
        group, values = overflow
        k = len(split_list(value, flt))
        held = [record for record in got.records if render(record, flt.mapped_within or "") == group]
        return [
            judge.failed(
                f"{asked} returned records of {plural(len(values), 'distinct value')} of {flt.field} "
                f"({', '.join(sorted(values))}) for {flt.mapped_within} {group}, more than the {k} asked for",
                _holding(source, got.replies, ids(source, held)),
                received=", ".join(sorted(values)),
                expected=f"at most {k} distinct value{'s' if k > 1 else ''} per {flt.mapped_within}",
            )
        ]
    if selection.base_whole:
        base_ids = set(ids(source, base.records))
        outside = [i for i in ids(source, got.records) if i not in base_ids]
        if outside:
            return Mismatch(selection, outside, [], [], ids(source, got.records))
    k = len(split_list(value, flt))
    in_its_place = base.records if got.complete else base.records[: len(got.records)]
    wider = [group for group, values in mapped_groups(in_its_place, flt).items() if len(values) > k]
    if not got.records:
        return [judge.corroborated(f"{asked} returned no record (its values may name none in the records' naming)")]
    if not wider:
        why = f"no {flt.mapped_within} of the base's first {len(in_its_place)} records has more than {k} values"
        return [
            judge.corroborated(f"{asked}: at most {k} distinct {flt.field} value(s) per {flt.mapped_within}"),
            judge.not_exercised(f"not judged: {why} (an ignored filter would pass too)", Cause.UNEXPLAINED),
        ]
    return [
        judge.passed(
            f"{asked} returned {plural(len(got.records), 'record')} of the base's {len(base.records)}, at most {k} "
            f"distinct {flt.field} value(s) per {flt.mapped_within}, where the base holds up to "
            f"{max(len(values) for values in mapped_groups(base.records, flt).values())}",
            got.replies[:1],
            records=len(base.records),
        )
    ]


def _unanswered_selection(selection: Selection, judge: Judge) -> list[Observation]:
    """A filtered query answered without a record list: a 400 refused a value the filter must take (one the
    records have, or the document's own); anything else is judged by the status requirements."""
    got = selection.got
    asked = selection.describe()
    last = got.replies[-1] if got.replies else None
    if last is not None and last.status == 400:
        return [
            judge.failed(
                f"{asked} was answered 400, but {selection.flt.param}={selection.value} is a value "
                "the records have, written as the document writes it",
                [last],
                received="400",
                expected="200",
            )
        ]
    return [judge.not_exercised(f"{asked}: {got.unanswered}", Cause.RUN)]


def _selection_held(
    source: Source, selection: Selection, judge: Judge, wanted: int, received: int
) -> list[Observation]:
    """What a filtered answer that matched its base shows: a judging pass (with the AND of the filters it
    was combined with) when it selected records and was walked whole; else it only corroborates."""
    asked, base, got = selection.describe(), selection.base, selection.got
    of = "the base's" if selection.base_whole else "the first pages'"
    if not wanted:
        return [
            judge.corroborated(f"{asked} returned none of {of} {plural(len(base.records), 'record')}, as none matches")
        ]
    if not got.complete:
        # Without a whole answer, whether it holds every matching record cannot be told.
        reason = f"{asked} was too long to walk whole against the partition's first pages"
        return [
            judge.corroborated(f"{asked}: what the walk reached satisfies the filter"),
            judge.not_exercised(reason, Cause.UNEXPLAINED),
        ]
    more = "" if selection.base_whole else f", and {received - wanted} more that match too"
    compared = f"{asked} returned the {plural(wanted, 'record')} of {of} {len(base.records)} that match{more}"
    observations = [judge.passed(compared, got.replies[:1], records=len(base.records))]
    and_requirement = source.semantics.filter_requirements.get("and")
    if and_requirement and any(k in source.semantics.filters for k in selection.base_query):
        observations.append(
            judge.on(and_requirement).passed(
                f"{asked}: the filters together returned exactly the records that satisfy all of them",
                got.replies[:1],
                records=len(base.records),
            )
        )
    return observations


def blame(source: Source, mismatch: Mismatch, alone: Sequence[Exchange], judge: Judge) -> Observation:
    """The failure a mismatch is, blamed as `blamed_requirement` decides (`alone`: the filter tested asked
    for on its own, when the example combined it with other filters)."""
    requirement, alternatives = blamed_requirement(source, mismatch, alone)
    shown = alone if requirement != mismatch.selection.flt.requirement else ()
    return mismatch_failure(source, mismatch, judge.on(requirement), shown, alternatives)


def blamed_requirement(source: Source, mismatch: Mismatch, alone: Sequence[Exchange]) -> tuple[str, tuple[str, ...]]:
    """Whose fault a mismatch is (and the requirements it could as well be: `Ledger.settle`).

    The filter tested is at fault when its own answer (`alone`: a first page of the size the server
    honours, without the base's narrowing value) holds a record without its value, or is whole (a short
    page) and leaves out a record the base expects. The combination (the AND requirement, D-GEN-12) only
    when that answer clears the filter: sound, holding every record the combination left out, and whole
    where the combination returned a record without the filter's value, or records from outside the base
    came back (the filters were ORed: a filter right on its own is then the combination's victim).
    A list that leaves records out, and nothing else, is the list's fault unless the filter fails on its
    own examples too. Otherwise, the filter tested."""
    selection = mismatch.selection
    semantics = source.semantics
    and_requirement = semantics.filter_requirements.get("and")
    combined = any(k in semantics.filters for k in selection.base_query)
    if alone and combined and and_requirement and _clears(source, mismatch, alone[0]):
        return and_requirement, ()
    form = "repeated-list" if isinstance(selection.value, RepeatedKeys) else "comma-list"
    list_requirement = semantics.filter_requirements.get(form)
    listed = len(split_list(selection.value, selection.flt)) > 1
    if listed and list_requirement and not mismatch.extra:
        # A look-up that drops the values past a batch; the filter's own examples decide (Ledger.settle).
        return list_requirement, (selection.flt.requirement,)
    return selection.flt.requirement, ()


def _clears(source: Source, mismatch: Mismatch, reply: Exchange) -> bool:
    """Whether the filter tested, asked for on its own (`reply`), is right where the combination was not."""
    selection = mismatch.selection
    flt, value = selection.flt, selection.value
    records = reply.records(source.semantics.records_pointer)
    if records is None or not _sound(source, reply, flt, value):
        return False
    asked = reply.query.get(source.semantics.paging.size_param, "")
    whole = asked.isdigit() and len(records) < int(asked)
    held = set(ids(source, records))
    if any(i not in held for i in mismatch.missing):
        return False
    by_id = dict(zip(mismatch.received, selection.got.records, strict=True))
    unsound_here = [
        i for i in mismatch.extra if record_matches(by_id[i], flt, value, joined(source, by_id[i], flt)) is False
    ]
    # Records from outside the base came back (or more than the base could fill): the base's own filter
    # did not hold, which the filter tested cannot have caused on its own.
    base_ids = set(ids(source, selection.base.records))
    beyond = not selection.got.complete or (selection.base_whole and any(i not in base_ids for i in mismatch.received))
    return whole or beyond or not unsound_here


def mismatch_failure(
    source: Source, mismatch: Mismatch, judge: Judge, shown: Sequence[Exchange] = (), alternatives: tuple[str, ...] = ()
) -> Observation:
    """A mismatch as a failure of `judge`'s requirement: the filtered page that holds a wrong record (or the
    first), then the base page that holds a left-out one, then `shown` (what moved the blame)."""
    selection = mismatch.selection
    detail = "; ".join(
        part
        for part in (
            f"missing {describe_ids(mismatch.missing)}" if mismatch.missing else "",
            f"unexpected {describe_ids(mismatch.extra)}" if mismatch.extra else "",
        )
        if part
    )
    of = "the base's" if selection.base_whole else "the first pages'"
    return judge.failed(
        f"{selection.describe()} returned {plural(len(mismatch.received), 'record')} where "
        f"{len(mismatch.expected)} of {of} {len(selection.base.records)} match: {detail}",
        [
            *_holding(source, selection.got.replies, mismatch.extra),
            *_holding(source, selection.base.replies, mismatch.missing),
            *shown,
        ],
        received=describe_ids(mismatch.received),
        expected=describe_ids(mismatch.expected),
        alternatives=alternatives,
    )


def _sound(source: Source, reply: Exchange, flt: Filter, value: str) -> bool:
    """Every record of the reply satisfies `flt=value` (an empty 2xx counts as sound)."""
    records = reply.records(source.semantics.records_pointer)
    if records is None:
        return False
    if flt.match == "mapped":
        return mapped_overflow(records, flt, value) is None
    return matching(source, records, flt, value) is not None and not breaking(source, records, flt, value)


def _holding(source: Source, replies: Sequence[Exchange], wanted: list[str]) -> list[Exchange]:
    """The first of `replies` whose records include one of `wanted` (ids), else the first reply (none when
    there are none: a base known from discovery rather than asked for)."""
    for reply in replies:
        records = reply.records(source.semantics.records_pointer)
        if records and set(ids(source, records)) & set(wanted):
            return [reply]
    return list(replies[:1])


# --- near misses --------------------------------------------------------------------------------------


def near_misses(flt: Filter, value: str, kind: str | None = "string") -> list[tuple[str, str]]:
    """Values next to a real one, each with its kind, in the form the parameter takes (`kind`, its schema's
    type): for text, a proper prefix, the value with one more character, the value between spaces, and
    the other letter case where matching is case-sensitive; for a UUID (whose other spellings are
    judged as tolerated inputs), the UUID one hex digit away; for an integer, the numbers either side.
    None for other types (a boolean's other value is a real value)."""
    if kind == "integer" and re.fullmatch(r"-?[0-9]+", value):
        number = int(value)
        return [("the number below", str(number - 1)), ("the number above", str(number + 1))]
    if kind not in (None, "string"):
        return []
    if flt.value_format == "uuid":
        last = value[-1:].lower()
        digits = "0123456789abcdef"
        other = digits[(digits.index(last) + 1) % 16] if last in digits else "0"
        return [("the UUID one digit away", value[:-1] + other)]
    found = []
    if len(value) > 1:
        found.append(("a proper prefix", value[:-1]))
    found.append(("one character more", value + value[-1:]))
    found.append(("surrounding spaces", f" {value} "))
    other = value.swapcase()
    if flt.case_sensitive and flt.match == "exact" and other != value:
        found.append(("the other letter case", other))
    return found


def near_miss_judged(
    source: Source, flt: Filter, real: str, kind: str, near: str, sample: Sequence[Any], reply: Exchange, judge: Judge
) -> list[Observation]:
    """A near miss selects what exact matching selects: no record that lacks the value (a prefix or substring
    match returns some), and, on a page that ends the answer, every record of `sample` that has it. Surrounding
    spaces may also be read away (the value trimmed): both readings pass (DECISIONS.md D-GEN-24). A 400 says
    nothing about matching. It corroborates only: a filter that matches nothing passes it too."""
    records = reply.records(source.semantics.records_pointer)
    asked = f"{flt.param}={near!r} ({kind} of {real!r})"
    if records is None:
        return []  # rejected (a 400 is one reading of a value no record has) or judged by the status checks
    readings = [near, near.strip()] if kind == "surrounding spaces" else [near]

    def accepted(record: Any) -> bool:
        return any(record_matches(record, flt, text, joined(source, record, flt)) for text in readings)

    unsound = [record for record in records if not accepted(record)]
    if unsound:
        first = unsound[0]
        return [
            judge.failed(
                f"{asked} returned {plural(len(unsound), 'record')} without that value, among them "
                f"{render(first, source.semantics.id_pointer)} with {shown_value(source, first, flt)}",
                [reply],
                received=describe_ids(ids(source, unsound)),
                expected=f"only records whose {flt.param} is {near!r}",
            )
        ]
    # A short page is the whole answer: the sample's records with the value must all be on it.
    size = reply.query.get(source.semantics.paging.size_param, "")
    if size.isdigit() and len(records) < int(size):
        having = matching(source, sample, flt, near) or []
        missing = sorted(set(ids(source, having)) - set(ids(source, records)))
        if missing:
            return [
                judge.failed(
                    f"{asked} left out {describe_ids(missing)}, which have that value",
                    [reply],
                    received=describe_ids(ids(source, records)),
                    expected=describe_ids(ids(source, having)),
                )
            ]
    return [judge.corroborated(f"{asked} selected what exact matching selects")]


# --- across requests ----------------------------------------------------------------------------------

# A long list holds this many values: servers that look values up in batches of ten drop the rest.
LONG_LIST = 12
# The kinds of example each filter gets, in the order they run (every filter's first kind before any
# filter's second, so that a smaller plan cuts the edges, not whole filters).
SCHEDULE = ("value", "near misses", "spelling", "long list", "combined", "example")


# A mapped filter's value learnt from the records may name nothing in the filter's naming (an empty answer
# judges nothing), and near misses and spellings do not apply to it: their slots draw more values instead,
# on a partition (all partners' records), not one connection's.
MAPPED_VALUE_SLOTS = ("near misses", "spelling")


def _exact_text(flt: Filter) -> bool:
    return flt.match in ("exact", "case-insensitive")


def applies_to(kind: str, source: Source, flt: Filter) -> bool:
    """Whether an example of `kind` can say something about `flt` the other kinds do not."""
    if flt.match == "mapped" and kind in MAPPED_VALUE_SLOTS:
        return True
    if kind == "near misses":
        return (
            _exact_text(flt)
            and not enum_values(source, flt.param)
            and _parameter_type(source, flt.param)
            in (
                None,
                "string",
                "integer",
            )
        )
    if kind == "spelling":
        return (
            bool(flt.documented_values)
            or _parameter_type(source, flt.param) == "number"
            or (flt.match in DECIMAL_RANGES and _parameter_type(source, flt.param) != "integer")
            or (
                flt.match.startswith("instant")
                and spelled_like(source.contract.parameter_example(flt.param), _EPOCH) is not None
            )
        )
    if kind == "long list":
        return flt.list != "single"
    if kind == "example":
        example = source.contract.parameter_example(flt.param)
        if example is None:
            return False
        # A bound the kind cannot read (a regex with metacharacters) would judge nothing.
        readable = all(bound_readable(flt.match, part) for part in split_list(example, flt))
        return flt.match not in EDGE_MATCHES or readable
    return True


_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@relation(
    needs=("filters",),
    quote="what the filter selects: the record field it compares and how (its match)",
)
def filters_select_matching_records(run: ApiRun) -> None:
    """Adding a filter to a base returns exactly the base records that satisfy it; a narrowing value returns
    every record the unfiltered pages show with it; leaving a defaulted filter out equals asking for its default."""
    check = "filters_select_matching_records"
    # A defaulted filter is judged through its default (defaults_explicit), its case variants, and on single
    # records looked up by a parameter with which its default may not apply (`_lookup_plan`).
    filters = [flt for flt in run.semantics.filters.values() if flt.default is None]
    for index, kind in enumerate(SCHEDULE):
        for flt in filters:
            if applies_to(kind, run, flt):
                plan = _filter_plan(run, flt, kind)
                explore(run, f"{check}:{flt.param}:{kind}:{index}", 1, plan, random_only=True)
    for flt in run.semantics.filters.values():
        lookup = next((run.semantics.filters[p] for p in flt.default_optional_with if p in run.semantics.filters), None)
        if flt.default is not None and lookup is not None and lookup.field:
            for own in (True, False):
                plan = _lookup_plan(run, flt, lookup, own=own)
                explore(run, f"{check}:{flt.param}:lookup:{'own' if own else 'other'}", 1, plan, random_only=True)


def _lookup_plan(run: ApiRun, flt: Filter, lookup: Filter, *, own: bool) -> Plan:
    """A defaulted filter (BRM's usageType) judged on one record the inventory saw, looked up by a parameter
    with which the default may or may not apply (BRM's id, D-BRM-11): `id=X&usageType=v` returns X exactly
    when X has v. The record is known from discovery, so the base is not asked for (an id look-up alone may
    apply the default and rightly return nothing for a record outside it). With `own` the value is the
    record's own (it must come back), else another documented value (it must not)."""
    judge = Judge("filters_select_matching_records", flt.requirement)

    def plan(data: st.DataObject) -> Attempt | None:
        if run.ledger[lookup.requirement].failure_count:
            run.observe(judge.not_exercised(f"not judged on look-ups: {lookup.requirement} failed", Cause.UNEXPLAINED))
            return None
        inventory = discovery.inventory(run)
        records = [record for _, record in inventory.records() if _scalar(pointer_get(record, lookup.field or ""))]
        if not records:
            run.observe(judge.not_exercised(f"no record to look up by {lookup.param}"))
            return None
        record = data.draw(st.sampled_from(records), label="record")
        mine = value_pool(run, [record], flt)
        others = [v for v in flt.documented_values if all(v.casefold() != m.casefold() for m in mine)]
        values = mine if own else others
        if not values:
            run.observe(judge.not_exercised(f"no other documented value of {flt.param} than the record's own"))
            return None
        value = flt.query_spelling(str(data.draw(st.sampled_from(sorted(values)), label=flt.param)))
        query = {lookup.param: spelled(pointer_get(record, lookup.field or ""))}
        known = Walk((record,), True, ())
        added = ((flt, value),)

        def attempt() -> list[Observation]:
            (got,) = discovery.walks(run, [{**query, flt.param: value}], 0)
            judged = selection_judged(
                run, Selection(query, known, True, added, {**query, flt.param: value}, got), judge
            )
            if not isinstance(judged, Mismatch):
                return judged
            if not judged.missing:
                return [mismatch_failure(run, judged, judge)]
            # The record did not come back: the filter's fault only if the look-up alone finds it (it must,
            # for a record the default covers); else the look-up's, or not to be told (D-BRM-11).
            with run.spending(CONFIRMING):
                alone = run.get(query)
            found = ids(run, alone.records(run.semantics.records_pointer) or [])
            if judged.missing[0] in found:
                return [mismatch_failure(run, judged, judge, [alone])]
            covered = any(v.casefold() == (flt.default or "").casefold() for v in mine)
            if covered:
                return [mismatch_failure(run, judged, judge.on(lookup.requirement), [alone])]
            reason = f"not judged: {query_words(query)} alone did not return the record (its default may apply)"
            return [judge.not_exercised(reason, Cause.UNEXPLAINED)]

        return attempt

    return plan


def _filter_plan(run: ApiRun, flt: Filter, kind: str) -> Plan:
    check = "filters_select_matching_records"
    # A partition spans every partner's connections: a value learnt from the records then names some of them.
    unnarrowed = flt.match == "mapped" and kind in MAPPED_VALUE_SLOTS
    if unnarrowed:
        kind = "value"
    judge = Judge(check, flt.requirement)
    narrowing = narrowing_filter(run.semantics)
    defaults = [other for other in run.semantics.filters.values() if other.default is not None]
    seconds = [
        other
        for other in run.semantics.filters.values()
        if other is not flt and other is not narrowing and other.default is None and other.field
    ]

    def plan(data: st.DataObject) -> Attempt | None:
        base = draw_base(run, data, flt, unnarrowed=unnarrowed)
        if isinstance(base, Observation):
            run.observe(base)
            return None
        if kind == "near misses":
            real = record_value(run, data, flt, base.records, spelling=False)
            return _near_miss_attempt(run, flt, base, real) if real is not None else None
        added: list[tuple[Filter, str]] = []
        if kind == "combined" and seconds:
            second = data.draw(st.sampled_from(seconds), label="second filter")
            second_value = record_value(run, data, second, base.records, spelling=False)
            if second_value is not None:
                added.append((second, second_value))
        if kind == "long list":
            value = long_list(run, data, flt, base.records)
        elif kind == "example":
            value = run.contract.parameter_example(flt.param)
        else:
            # The "value" example takes a value the base's own records have: it must have records to select.
            value = record_value(
                run,
                data,
                flt,
                base.records,
                spelling=kind == "spelling",
                own=kind == "value",
                narrow_answer=not base.whole,
            )
        if value is None:
            where = query_words(base.query) or "the collection"
            what = "two values" if kind == "long list" else "a value"
            run.observe(judge.not_exercised(f"no records of {where} have {what} for {flt.param}"))
            return None
        added.append((flt, value))
        return _selection_attempt(run, base, tuple(added), narrowing, defaults)

    return plan


def _selection_attempt(
    run: ApiRun, base: Base, added: tuple[tuple[Filter, str], ...], narrowing: Filter | None, defaults: list[Filter]
) -> Attempt:
    """The example's attempt: the base walked, then each added filter in turn on what the ones before it
    returned (a second filter is judged on the base first, so that a combined example blames the filter
    tested only once the other one is shown right on the same records)."""
    check = "filters_select_matching_records"

    def attempt() -> list[Observation]:
        (base_walk,) = discovery.walks(run, [base.query], base.pages, reuse=True)
        observations = _base_observations(run, base, base_walk, narrowing, defaults)
        if not base_walk.records:
            # Nothing for the filter to keep or remove: a pass here would be vacuous. The narrowing filter's
            # defect (if it is one) is judged above; this example judges nothing.
            reason = base_walk.unanswered or f"the base {query_words(base.query)} came back empty"
            judge = Judge(check, added[-1][0].requirement)
            return [*observations, judge.not_exercised(f"not judged: {reason}", Cause.RUN)]
        whole = base.whole and base_walk.complete
        size = discovery.honoured_size(run)
        base_query: dict[str, str] = dict(base.query)
        for flt, value in added:
            judge = Judge(check, flt.requirement)
            query = {**base_query, flt.param: value}
            # A filtered answer is walked no further than the base could fill: a correct answer is no larger.
            # Against a partition's first pages it is judged on its first page (whole if it is short).
            pages = len(base_walk.records) // size + 1 if whole else 0
            (got,) = discovery.walks(run, [query], pages)
            judged = selection_judged(run, Selection(base_query, base_walk, whole, ((flt, value),), query, got), judge)
            if isinstance(judged, Mismatch):
                partition = {k: v for k, v in base.query.items() if narrowing is None or k != narrowing.param}
                return [*observations, *_blamed_on_its_own(run, judged, partition, judge)]
            observations.extend(judged)
            if not got.records or not got.complete:
                break  # nothing left to add a second filter to, or not all of it
            base_query, base_walk = query, got
        return observations

    return attempt


def _base_observations(
    run: ApiRun, base: Base, base_walk: Walk, narrowing: Filter | None, defaults: list[Filter]
) -> list[Observation]:
    """What a narrowed base itself shows: the narrowing value returns every record the unfiltered pages show
    with it, and leaving each defaulted filter out equals asking for its default."""
    if not base.narrowed or narrowing is None:
        return []
    partition = {k: v for k, v in base.query.items() if k != narrowing.param}
    seen = [
        record
        for part in discovery.inventory(run).partitions
        if dict(part.query) == partition
        for record in matching(run, part.records, narrowing, base.query[narrowing.param]) or []
    ]
    observations = narrowing_complete(run, narrowing, base.query, base_walk, seen)
    if not (base.whole and base_walk.complete and base_walk.records):
        return observations
    for default in defaults:
        if default.param in base.query or any(base.query.get(p) for p in default.default_optional_with):
            continue
        (explicit,) = discovery.walks(run, [{**base.query, default.param: default.default or ""}], reuse=True)
        observations.extend(defaults_explicit(run, default, base.query, base_walk, explicit))
    return observations


def _blamed_on_its_own(
    run: ApiRun, mismatch: Mismatch, partition: Mapping[str, str], judge: Judge
) -> list[Observation]:
    """A mismatch blamed after asking the filter on its own (on the `partition`: a first page of the size
    the server honours, so that a short one is its whole answer): whether the fault is its own or the
    combination's. The requests a failure costs come out of the budget beyond the plan."""
    selection = mismatch.selection
    flt, value = selection.flt, selection.value
    combined = selection.query.keys() - partition.keys() - {flt.param}
    page = run.semantics.paging.page(0, discovery.honoured_size(run))
    with run.spending(CONFIRMING):
        alone = [run.get({**partition, flt.param: value, **page})] if combined else []
    blamed = blame(run, mismatch, alone, judge)
    if blamed.requirement == flt.requirement:
        return [blamed]
    # The filter was right on its own: this example could not judge it within the combination.
    why = f"not judged here: {query_words(selection.query)} broke {blamed.requirement}, not the filter alone"
    return [judge.not_exercised(why, Cause.UNEXPLAINED), blamed]


def _near_miss_attempt(run: ApiRun, flt: Filter, base: Base, real: str) -> Attempt:
    judge = Judge("filters_select_matching_records", flt.requirement)
    size = discovery.honoured_size(run)
    misses = near_misses(flt, real, _parameter_type(run, flt.param))
    paging = run.semantics.paging

    # Asked without the base's narrowing value: a near miss combined with another filter would judge the
    # combination too (a server that ORs its filters returns the base for any value).
    narrowing = narrowing_filter(run.semantics)
    partition = {k: v for k, v in base.query.items() if narrowing is None or k != narrowing.param}

    def attempt() -> list[Observation]:
        replies = run.get_many([{**partition, flt.param: near, **paging.page(0, size)} for _, near in misses])
        observations = []
        for (kind, near), reply in zip(misses, replies, strict=True):
            observations.extend(near_miss_judged(run, flt, real, kind, near, base.records, reply, judge))
        return observations

    return attempt


COMMA_FORMS = ("comma", "both")
REPEATED_FORMS = ("repeated", "both")


@relation(
    applies=lambda semantics: any(flt.list in COMMA_FORMS for flt in semantics.filters.values()),
    needs=("filters.<param>.list: comma or both", "filter-requirements.comma-list"),
    quote="that a comma-separated list selects the records of any of its values",
)
def comma_list_is_union(run: ApiRun) -> None:
    """A comma-separated list returns the union of what its values return one by one."""
    check = "comma_list_is_union"
    requirement = run.semantics.filter_requirements["comma-list"]
    for flt in [flt for flt in run.semantics.filters.values() if flt.list in COMMA_FORMS]:
        plan = _union_plan(run, flt, check, requirement, repeated=False)
        explore(run, f"{check}:{flt.param}", EXAMPLES_PER_LIST, plan, random_only=True)


@relation(
    applies=lambda semantics: any(flt.list in REPEATED_FORMS for flt in semantics.filters.values()),
    needs=("filters.<param>.list: repeated or both", "filter-requirements.repeated-list"),
    quote="that a repeated parameter (p=a&p=b) selects the records of any of its values",
)
def repeated_list_is_union(run: ApiRun) -> None:
    """A list in repeated keys (`p=a&p=b`) returns the union of what its values return one by one; a 400 to
    it refuses the form the spec declares (DECISIONS.md D-CONN-2)."""
    check = "repeated_list_is_union"
    requirement = run.semantics.filter_requirements["repeated-list"]
    for flt in [flt for flt in run.semantics.filters.values() if flt.list in REPEATED_FORMS]:
        plan = _union_plan(run, flt, check, requirement, repeated=True)
        explore(run, f"{check}:{flt.param}", EXAMPLES_PER_LIST, plan, random_only=True)


# Lists are also judged by each filter's long-list example (filters_select_matching_records).
EXAMPLES_PER_LIST = 1


def union_judged(
    source: Source,
    flt: Filter,
    values: Sequence[str],
    answers: Sequence[tuple[list[Any] | None, list[Exchange]]],
    judge: Judge,
    *,
    repeated: bool = False,
) -> list[Observation]:
    """`p=a,b` (the first answer; `p=a&p=b` when `repeated`) against `p=a` and `p=b` (the others): the
    union of the single values. A list in repeated keys is the form the spec declares, so a 400 to it
    fails where its values alone were answered."""
    listed, singles = answers[0], answers[1:]
    shown = query_words({flt.param: RepeatedKeys(",".join(values)) if repeated else ",".join(values)})
    refused = listed[1][-1] if listed[0] is None and listed[1] else None
    if repeated and refused is not None and refused.status == 400 and all(r is not None for r, _ in singles):
        return [
            judge.failed(
                f"{shown} was refused with 400 although each value alone was answered",
                [refused, *(replies[0] for _, replies in singles)],
                received="400",
                expected="200",
            )
        ]
    if listed[0] is None or any(records is None for records, _ in singles):
        unanswered = next((r[-1] for records, r in answers if records is None and r), None)
        why = discovery.unanswered(unanswered, source.semantics.records_pointer) if unanswered else None
        return [
            judge.not_exercised(
                f"a list or one of its values could not be walked whole ({why or 'too long'})", Cause.RUN
            )
        ]
    for value, (records, _) in zip(values, singles, strict=True):
        if flt.match == "mapped":
            # Its records cannot be compared with the value: each single answer is judged by the filter's
            # own examples (D-OES-20); the union is judged all the same.
            continue
        if matching(source, records or [], flt, value) is None or breaking(source, records or [], flt, value):
            # The single value is not honoured: that is the filter's own failure, found elsewhere.
            return [
                judge.not_exercised(f"{flt.param}={value} on its own returns records without that value", Cause.RUN)
            ]
    union = set().union(*(set(ids(source, records or [])) for records, _ in singles))
    got = set(ids(source, listed[0]))
    if got != union:
        missing, extra = sorted(union - got), sorted(got - union)
        detail = "; ".join(
            part
            for part in (
                f"missing {describe_ids(missing)}" if missing else "",
                f"unexpected {describe_ids(extra)}" if extra else "",
            )
            if part
        )
        counts = " and ".join(
            f"{flt.param}={value} ({plural(len(records or []), 'record')})"
            for value, (records, _) in zip(values, singles, strict=True)
        )
        return [
            judge.failed(
                f"{shown} is not the union of {counts}: {detail}",
                [listed[1][0], *(replies[0] for _, replies in singles)],
                received=describe_ids(sorted(got)),
                expected=describe_ids(sorted(union)),
            )
        ]
    if not union:
        return [judge.corroborated(f"{shown} and its values each matched nothing")]
    return [
        judge.passed(
            f"{shown} returned the union of its values' {plural(len(union), 'record')}",
            [listed[1][0]],
            records=len(union),
        )
    ]


def _union_plan(run: ApiRun, flt: Filter, check: str, requirement: str, *, repeated: bool) -> Plan:
    judge = Judge(check, requirement)

    def plan(data: st.DataObject) -> Attempt | None:
        base = draw_base(run, data, flt, narrow=True)
        if isinstance(base, Observation):
            run.observe(judge.not_exercised(base.message, base.cause))
            return None
        values = union_values(run, data, flt, base.records)
        if values is None:
            where = query_words(base.query) or "the collection"
            run.observe(judge.not_exercised(f"the records of {where} have no value of {flt.param} to list"))
            return None

        def attempt() -> list[Observation]:
            listed = RepeatedKeys(",".join(values)) if repeated else ",".join(values)
            asked = [{**base.query, flt.param: value} for value in (listed, *values)]
            answers = discovery.fetch_completes(run, asked, reuse=True)
            return union_judged(run, flt, values, answers, judge, repeated=repeated)

        return attempt

    return plan


def union_values(source: Source, data: st.DataObject, flt: Filter, records: Sequence[Any]) -> list[str] | None:
    """Two values for a list: two the records have; else one they have, after one they do not (a server
    that keeps only a list's first value then returns nothing, where the union holds the records)."""
    own = enum_values(source, flt.param) or value_pool(source, records, flt)
    if len(own) >= 2:
        return list(data.draw(st.lists(st.sampled_from(own), min_size=2, max_size=2, unique=True), label=flt.param))
    inventory = source.discovery.inventory
    seen = [record for _, record in inventory.records()] if inventory else []
    others = [value for value in value_pool(source, seen, flt, own=False) if value not in own]
    if not own or not others:
        return None
    return [str(data.draw(st.sampled_from(others), label=f"{flt.param} without records")), own[0]]


@relation(
    needs=("filters",),
    quote="what the filter selects (so that a value no record has selects none)",
)
def unknown_filter_value_matches_nothing(run: ApiRun) -> None:
    """A filter value no record has returns no records (or is rejected), never the unfiltered list. It only
    corroborates the filter: a filter that matches nothing passes it too."""
    check = "unknown_filter_value_matches_nothing"
    # Text parameters only: a UUID for a boolean or a number is a value the schema rules out, which the
    # requirements about invalid inputs judge.
    candidates = [
        flt
        for flt in run.semantics.filters.values()
        if (_exact_text(flt) or flt.match == "mapped")
        and not enum_values(run, flt.param)
        and _parameter_type(run, flt.param) in (None, "string")
    ]
    # Only partitions with records: on an empty one an ignored filter returns [] as well.
    partitions = [partition for partition in discovery.inventory(run).partitions if partition.records]
    if not partitions:
        return  # the filters' own examples say why nothing could be judged

    def plan_for(flt: Filter) -> Plan:
        return lambda data: _unknown_value_plan(run, flt, partitions, data)

    # Every filter gets its own examples: one drawn at random among them could be left out.
    for flt in candidates:
        explore(run, f"{check}:{flt.param}", 2, plan_for(flt))


def unknown_value_judged(source: Source, flt: Filter, value: str, reply: Exchange, judge: Judge) -> list[Observation]:
    records = reply.records(source.semantics.records_pointer)
    if records is None:
        if reply.status == 400:
            return [judge.corroborated(f"{flt.param}={value} (a value no record has) was rejected")]
        return []
    if records:
        return [
            judge.failed(
                f"{flt.param}={value} (a value no record has) returned {plural(len(records), 'record')}",
                [reply],
                received=describe_ids(ids(source, records)),
                expected="[]",
            )
        ]
    return [judge.corroborated(f"{flt.param}={value} (a value no record has) returned no record")]


def _unknown_value_plan(run: ApiRun, flt: Filter, partitions: list[Any], data: st.DataObject) -> Attempt | None:
    judge = Judge("unknown_filter_value_matches_nothing", flt.requirement)
    partition = data.draw(st.sampled_from(partitions), label="partition")
    value = str(data.draw(st.uuids(), label="unknown value"))

    def attempt() -> list[Observation]:
        return unknown_value_judged(run, flt, value, run.get({**partition.query, flt.param: value}), judge)

    return attempt


def case_variants_judged(
    source: Source, flt: Filter, value: str, results: Sequence[tuple[str, list[str], Exchange]], judge: Judge
) -> list[Observation]:
    """The records each spelling of a case-insensitive value found (the reference spelling first).

    The reference spelling leaving out what another spelling finds is the filter's fault; another spelling
    finding less is the case variants' (a SHOULD where the spec names it: D-BRM-1)."""
    reference, reference_ids, reference_reply = results[0]
    if not any(found for _, found, _ in results):
        return [judge.not_exercised(f"no record has {flt.param}={value}")]
    observations = []
    for variant, found, reply in results[1:]:
        missed = [i for i in found if i not in set(reference_ids)]
        if not missed and sorted(found) == sorted(reference_ids):
            continue
        blamed = flt.requirement if missed else (flt.case_variants_requirement or flt.requirement)
        among = f", among them {describe_ids(missed)}" if missed else ""
        short, full = (reference_ids, found) if missed else (found, reference_ids)
        observations.append(
            judge.on(blamed).failed(
                f"{flt.param}={reference} returned {plural(len(reference_ids), 'record')}, {flt.param}={variant} "
                f"{len(found)}{among}",
                [reference_reply, reply],
                received=describe_ids(sorted(short)),
                expected=describe_ids(sorted(full)),
            )
        )
    if observations:
        return observations
    spellings = ", ".join(f"{flt.param}={variant}" for variant, _, _ in results)
    compared = f"{spellings} each returned the same {plural(len(reference_ids), 'record')}"
    passed = [judge.on(flt.requirement).passed(compared, [reference_reply], records=len(reference_ids))]
    if flt.case_variants_requirement and len(results) > 1:
        passed.append(
            judge.on(flt.case_variants_requirement).passed(compared, [reference_reply], records=len(reference_ids))
        )
    return passed


@relation(
    applies=lambda semantics: any(flt.match == "case-insensitive" for flt in semantics.filters.values()),
    needs=("filters.<param>.match: case-insensitive",),
    quote="that the filter ignores letter case",
)
def case_variants_agree(run: ApiRun) -> None:
    """A case-insensitive filter gives the same records for a value in lower, upper and as-returned case.

    With `query-case: lower` the lower-case spelling (the one the document writes) is the reference: a
    record another spelling finds and it misses fails the filter's requirement; a record it finds and
    another spelling misses fails only `case-variants-requirement` (a SHOULD: D-BRM-1)."""
    check = "case_variants_agree"
    filters = [flt for flt in run.semantics.filters.values() if flt.match == "case-insensitive"]
    inventory = discovery.inventory(run)
    narrowing = narrowing_filter(run.semantics)

    def plan(data: st.DataObject) -> Attempt | None:
        flt = data.draw(st.sampled_from(filters), label="filter")
        judge = Judge(check, flt.requirement)
        returned = {spelled(v) for v in inventory.values(flt.field or "")}
        if flt.query_case == "lower":
            # Compared: the document's lower-case spelling and the spelling the target itself returns.
            pool = sorted(v for v in returned if v != v.lower())
            if not pool:
                run.observe(
                    judge.on(flt.case_variants_requirement or flt.requirement).not_exercised(
                        f"every {flt.param} value the target returns is in lower case, the spelling the document uses"
                    )
                )
                return None
        else:
            pool = sorted(set(flt.documented_values) | returned)
        if not pool:
            run.observe(judge.not_exercised(f"no record has a value for {flt.param}"))
            return None
        value = str(data.draw(st.sampled_from(pool), label=flt.param))
        base: dict[str, str] = {}
        if narrowing is not None and narrowing is not flt and flip(data, "narrowed"):
            values = inventory.values(narrowing.field or "")
            if values:
                base = {narrowing.param: spelled(data.draw(st.sampled_from(values), label=narrowing.param))}
        reference = flt.query_spelling(value)
        variants = (
            [reference, value]
            if flt.query_case == "lower"
            else list(dict.fromkeys((value, value.lower(), value.upper())))
        )

        def attempt() -> list[Observation]:
            asked = [{**base, flt.param: variant} for variant in variants]
            results = []
            for variant, (records, replies) in zip(
                variants, discovery.fetch_completes(run, asked, reuse=True), strict=True
            ):
                if records is None:
                    why = discovery.unanswered(replies[-1], run.semantics.records_pointer) if replies else None
                    return [
                        judge.not_exercised(
                            f"{flt.param}={variant} could not be walked whole ({why or 'too long'})", Cause.RUN
                        )
                    ]
                results.append((variant, ids(run, records), replies[0]))
            return case_variants_judged(run, flt, value, results, judge)

        return attempt

    explore(run, check, 2 * len(filters), plan)


# --- alternate keys -----------------------------------------------------------------------------------


def alternate_judged(
    source: Source,
    flt: Filter,
    alternate: Alternate,
    key: str,
    by_key: tuple[Exchange, list[Any] | None],
    by_alternate: tuple[Exchange, list[Any] | None],
    judge: Judge,
) -> list[Observation]:
    """`p=<alternate key>` (a record's adjustment number) returns the records `p=<key>` (its id) returns."""
    (key_reply, key_records), (alternate_reply, alternate_records) = by_key, by_alternate
    if key_records is None:
        return judge.unanswered(source.semantics.records_pointer, key_reply)
    if not key_records:
        # The key itself found nothing: the filter's own failure (its requirement judges it), not this one.
        return [judge.not_exercised(f"{flt.param}={key} matched no records", Cause.RUN)]
    asked = query_words({flt.param: alternate_reply.query.get(flt.param, "")})
    expected = sorted(ids(source, key_records))
    got = sorted(ids(source, alternate_records or []))
    if alternate_records is None or got != expected:
        received = f"{alternate_reply.status}" if alternate_records is None else describe_ids(got) or "no records"
        return [
            judge.failed(
                f"{asked} (the {alternate.name} of {describe_ids(expected)}) did not find what {flt.param}={key} "
                f"finds: {received}",
                [alternate_reply, key_reply],
                received=received,
                expected=describe_ids(expected),
            )
        ]
    return [
        judge.passed(
            f"{asked} (the {alternate.name}) found the {plural(len(got), 'record')} {flt.param}={key} finds",
            [alternate_reply, key_reply],
            records=len(got),
        )
    ]


@relation(
    applies=lambda semantics: any(flt.alternates for flt in semantics.filters.values()),
    needs=("filters.<param>.alternates",),
    quote="that the filter finds records by each of its keys",
)
def alternate_keys_find_the_same_records(run: ApiRun) -> None:
    """A filter that finds records by more than one key (an id or an adjustment number) finds the same
    records by each: the alternate key is learnt from the field that carries it in the target's records
    (DECISIONS.md D-BRM-40)."""
    check = "alternate_keys_find_the_same_records"
    size = discovery.honoured_size(run)
    for flt in [flt for flt in run.semantics.filters.values() if flt.alternates and flt.field]:
        for alternate in flt.alternates:
            judge = Judge(check, alternate.requirement)
            if alternate.field is None:
                reason = (
                    f"no field of the records carries the {alternate.name} {flt.param} also finds by, so none "
                    "can be learnt from the target's records"
                )
                run.observe(judge.not_exercised(reason))
                continue
            explore(run, f"{check}:{flt.param}:{alternate.name}", 2, _alternate_plan(run, flt, alternate, judge, size))


def _alternate_plan(run: ApiRun, flt: Filter, alternate: Alternate, judge: Judge, size: int) -> Plan:
    key_field, alternate_field = flt.field or "", alternate.field or ""

    def plan(data: st.DataObject) -> Attempt | None:
        reply, records = fetch(run, alternate.query, 0, size, reuse=True)
        if records is None:
            run.observe_all(judge.unanswered(run.semantics.records_pointer, reply))
            return None
        pairs = [
            (spelled(key), spelled(number))
            for record in records
            for key, number in [(pointer_get(record, key_field), pointer_get(record, alternate_field))]
            if _scalar(key) and _scalar(number) and spelled(number) and spelled(key) != spelled(number)
        ]
        if not pairs:
            where = query_words(dict(alternate.query)) or "the first page"
            reason = f"no record of {where} carries a {alternate.name} at {alternate_field}"
            run.observe(judge.not_exercised(reason))
            return None
        key, number = data.draw(st.sampled_from(pairs), label=alternate.name)
        run.discovery.alternate_keys.add((flt.param, number))

        def attempt() -> list[Observation]:
            by_key = fetch(run, {flt.param: key}, 0, size)
            by_alternate = fetch(run, {flt.param: number}, 0, size)
            return alternate_judged(run, flt, alternate, key, by_key, by_alternate, judge)

        return attempt

    return plan
