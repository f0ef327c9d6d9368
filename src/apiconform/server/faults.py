"""Named faults: switches that make the reference server break exactly one catalog requirement each.

A fault is meant to look like a real vendor bug (an off-by-one, a forgotten tiebreak, a double
decode), not like a crash, so that each conformance check is proven to fire on the subtle case.
Where a requirement cannot be broken alone (a page with one record too many also overlaps the next
page), `requirement` names the one the fault is about; the description says what else it touches.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

BITGO = "bitgo-oes"
CONNECTIONS = "bitgo-connections"
BRM = "brm-adjust-balance"


@dataclass(frozen=True)
class Fault:
    """One switchable defect: its name, the API it affects, the requirement it breaks, and what it does."""

    name: str
    api: str
    requirement: str
    description: str


_FAULT_LIST = (
    # --- BitGo: paging -------------------------------------------------------------------------
    Fault("oes-page-repeats-on-tie", BITGO, "OES-PAGE-SKIP",
          "page n starts with the last record of page n-1 when createdAt ties across the boundary"),
    Fault("oes-page-size-plus-one", BITGO, "OES-PAGE-SIZE-BOUND",
          "with pageSize the page holds pageSize+1 records (the has-more probe row is not trimmed)"),
    Fault("oes-default-page-number-one", BITGO, "OES-PAGE-ZERO-BASED",
          "an omitted pageNumber means page 1, so the first page is skipped"),
    Fault("oes-past-end-repeats-last-page", BITGO, "OES-PAGE-PAST-END",
          "a pageNumber past the end returns the last page again instead of []"),
    Fault("oes-default-size-ignores-page-number", BITGO, "OES-PAGE-DEFAULT-SIZE",
          "without pageSize the pageNumber is ignored and page 0 is always returned"),
    Fault("oes-page-size-zero-uses-default", BITGO, "OES-PAGE-SIZE-ZERO",
          "pageSize=0 is taken as 'not given' and returns a default-size page"),
    Fault("oes-bad-page-accepted", BITGO, "OES-PAGE-INVALID",
          "pageNumber/pageSize are read like JavaScript parseInt: 'two' -> 0, '-1' -> 0, '1.5' -> 1"),
    Fault("oes-deep-pages-repeat-last", BITGO, "OES-PAGE-SKIP",
          "a page that starts at record 100 or later (pageNumber * pageSize >= 100) is read by a seek from the "
          "previous page's last record, inclusive: it holds pageSize records from position pageNumber * pageSize - 1 "
          "(it repeats that record and leaves its own last one to the next page; a page starting exactly at the "
          "end holds the last record instead of none)"),
    Fault("oes-oversize-page-skips-clamped", BITGO, "OES-PAGE-SKIP",
          "a pageSize above the maximum (500) is clamped before the skip is computed: pageNumber=1&pageSize=600 "
          "skips 500 records, not 600 (the page itself holds at most 500, as it should)"),
    # --- BitGo: order --------------------------------------------------------------------------
    Fault("oes-tiebreak-reversed-under-desc", BITGO, "OES-SORT-TIEBREAK",
          "under DESC the createdAt/id tiebreak is reversed too (ORDER BY key DESC, createdAt DESC, id DESC)"),
    Fault("oes-quantity-sorted-as-text", BITGO, "OES-SORT-QUANTITY-NUMERIC",
          "sortField=quantity compares the strings, so '9' sorts after '10'"),
    Fault("oes-default-order-unstable", BITGO, "OES-SORT-DEFAULT-ORDER",
          "without sortField records tied on createdAt come in an order that changes from request to request"),
    Fault("oes-wrong-sort-key", BITGO, "OES-SORT-FIELD",
          "sortField=updatedAt sorts by createdAt"),
    Fault("oes-desc-ignored", BITGO, "OES-SORT-DIRECTION",
          "sortDirection=DESC is ignored (always ascending)"),
    Fault("oes-default-direction-desc", BITGO, "OES-SORT-DEFAULT-DIRECTION",
          "a sortField without sortDirection sorts descending"),
    Fault("oes-bad-sort-accepted", BITGO, "OES-SORT-INVALID",
          "an unknown sortField or sortDirection is ignored (200 in the default order) instead of 400"),
    # --- BitGo: filters ------------------------------------------------------------------------
    Fault("oes-unknown-allocation-id-matches-all", BITGO, "OES-FILTER-ALLOCATION-IDS",
          "allocationIds naming only UUIDs that do not exist is dropped, so every record is returned"),
    Fault("oes-allocation-ids-first-ten", BITGO, "OES-FILTER-COMMA-LIST",
          "allocationIds are looked up in batches of ten and only the first batch's answer is used: ids past the "
          "tenth are dropped (a list of 12 existing ids returns the records of the first 10)"),
    Fault("oes-types-substring-match", BITGO, "OES-FILTER-TYPES",
          "types matches by substring, so types=allocation also returns deallocations"),
    Fault("oes-statuses-ignored", BITGO, "OES-FILTER-STATUSES",
          "the statuses filter is ignored"),
    Fault("oes-currencies-ignored-when-mapped", BITGO, "OES-FILTER-CURRENCIES",
          "currencies is ignored for the records of partners that name a coin otherwise than BitGo's internal "
          "code (Northwind's BTC, Kestrel's btc): every record of their connections comes back"),
    Fault("oes-connection-filter-widened-to-client", BITGO, "OES-FILTER-CONNECTION-IDS",
          "connectionIds also returns the records of the other connections of the same client"),
    Fault("oes-partner-filter-ignored", BITGO, "OES-FILTER-PARTNER-IDS",
          "the partnerIds filter is ignored"),
    Fault("oes-client-filter-uses-partner", BITGO, "OES-FILTER-CLIENT-IDS",
          "clientIds is compared with the connection's partnerId instead of its clientId"),
    Fault("oes-client-ids-ignored", BITGO, "OES-FILTER-CLIENT-IDS",
          "the clientIds filter is ignored, so every record comes back"),
    Fault("oes-types-first-value-only", BITGO, "OES-FILTER-COMMA-LIST",
          "a comma-separated types list keeps only its first value"),
    Fault("oes-filters-ored", BITGO, "OES-FILTER-AND",
          "several filter parameters are combined with OR instead of AND"),
    Fault("oes-enum-not-validated", BITGO, "OES-FILTER-ENUM-INVALID",
          "types/statuses values outside the enum are not rejected (200 with no records)"),
    Fault("oes-currencies-empty-item-dropped", BITGO, "OES-FILTER-CURRENCIES-EMPTY-ITEM",
          "an empty item of a currencies list (btc,,eth) is dropped instead of rejected (a lenient split)"),
    Fault("oes-non-uuid-ids-dropped", BITGO, "OES-FILTER-ID-NOT-UUID",
          "non-UUID allocationIds/connectionIds values are dropped; a list left empty filters nothing"),
    Fault("oes-empty-statuses-means-reserved", BITGO, "OES-FILTER-EMPTY-VALUE",
          "an empty statuses value is taken as the first status of the lifecycle: statuses= returns reserved "
          "records only (neither ignored, nor rejected, nor a literal match on \"\")"),
    # --- BitGo: records, errors and access -----------------------------------------------------
    Fault("oes-quantity-as-number", BITGO, "OES-RESP-SCHEMA",
          "quantities that fit a double are written as JSON numbers, not strings"),
    Fault("oes-json-as-text-plain", BITGO, "OES-RESP-CONTENT-TYPE",
          "200 responses are labelled text/plain (the body is still JSON)"),
    Fault("oes-204-when-empty", BITGO, "OES-RESP-STATUS",
          "a query that matches nothing is answered 204 No Content"),
    Fault("oes-reason-on-cleared", BITGO, "OES-REASON-NULL-WHEN-CLEARED",
          "about a quarter of cleared records keep their stale 'awaiting partner confirmation' reason"),
    Fault("oes-record-status-twice", BITGO, "OES-JSON-UNIQUE-KEYS",
          "each record starts with a stale \"status\":\"reserved\" (from the cached reservation it was built "
          "from) and writes its current status after it: cleared and released records hold the name twice with "
          "two values"),
    Fault("oes-500-on-page-overflow", BITGO, "OES-NO-SERVER-ERROR",
          "pageNumber x pageSize beyond 64 bits is answered 500 (the skip overflows the database integer)"),
    Fault("oes-html-500-on-bad-sort", BITGO, "OES-NO-SERVER-ERROR",
          "an unknown sortField crashes with an HTML 500 page (also not a 400, not JSON)"),
    Fault("oes-error-key-renamed", BITGO, "OES-ERROR-ENVELOPE",
          "401/403/404/500 bodies carry 'message' instead of 'error'"),
    Fault("oes-400-without-error", BITGO, "OES-ERROR-400-BODY",
          "400 bodies are {name, errors[]} without an 'error' string"),
    Fault("oes-auth-ignored", BITGO, "OES-AUTH-REQUIRED",
          "requests without a token or with a wrong one are served"),
    Fault("oes-unknown-enterprise-served", BITGO, "OES-UNKNOWN-ENTERPRISE",
          "any enterpriseId is served the partner's records"),
    # --- BitGo connections: paging -------------------------------------------------------------
    Fault("conn-page-size-plus-one", CONNECTIONS, "CONN-PAGE-SIZE-BOUND",
          "with pageSize the page holds pageSize+1 records (the has-more probe row is not trimmed; pages overlap too)"),
    Fault("conn-later-pages-in-id-order", CONNECTIONS, "CONN-PAGE-SKIP",
          "page 0 comes from a cache in creation order, later pages from the database in id order, so pages "
          "repeat and skip connections"),
    Fault("conn-default-page-number-one", CONNECTIONS, "CONN-PAGE-ZERO-BASED",
          "an omitted pageNumber means page 1, so the first page is skipped (with fewer connections than one "
          "page, every query without pageNumber comes back empty)"),
    Fault("conn-past-end-repeats-last-page", CONNECTIONS, "CONN-PAGE-PAST-END",
          "a pageNumber past the end returns the last page again instead of [] (also the page after a default "
          "page that holds every connection)"),
    Fault("conn-default-size-ignores-page-number", CONNECTIONS, "CONN-PAGE-DEFAULT-SIZE",
          "without pageSize the pageNumber is ignored and page 0 is always returned"),
    Fault("conn-page-size-zero-uses-default", CONNECTIONS, "CONN-PAGE-SIZE-ZERO",
          "pageSize=0 is taken as 'not given' and returns a default-size page"),
    Fault("conn-bad-page-accepted", CONNECTIONS, "CONN-PAGE-INVALID",
          "pageNumber/pageSize are read like JavaScript parseInt: 'two' -> 0, '-1' -> 0, '1.5' -> 1"),
    # --- BitGo connections: order --------------------------------------------------------------
    Fault("conn-order-unstable", CONNECTIONS, "CONN-ORDER-STABLE",
          "connections made in one request (tied on createdAt) come in an order that changes from request to "
          "request (pages cut through such a tie may repeat or skip one as well)"),
    # --- BitGo connections: filters ------------------------------------------------------------
    Fault("conn-connection-ids-use-partners-id", CONNECTIONS, "CONN-FILTER-CONNECTION-IDS",
          "connectionIds is compared with the partner's id for the connection (partnersConnectionId), so "
          "BitGo's connection id matches nothing"),
    Fault("conn-client-filter-uses-partner", CONNECTIONS, "CONN-FILTER-CLIENT-IDS",
          "clientIds is compared with the connection's partnerId instead of its clientId"),
    Fault("conn-partner-filter-ignored", CONNECTIONS, "CONN-FILTER-PARTNER-IDS",
          "partnerIds is validated (a value that is not a UUID is 400) but then left out of the query"),
    Fault("conn-partners-client-ids-use-connection-id", CONNECTIONS, "CONN-FILTER-PARTNERS-CLIENT-IDS",
          "partnersClientIds is compared with the partner's connection id, so a partner's client id matches nothing"),
    Fault("conn-partners-connection-ids-ignored", CONNECTIONS, "CONN-FILTER-PARTNERS-CONNECTION-IDS",
          "the partnersConnectionIds filter is ignored"),
    Fault("conn-client-ids-first-value-only", CONNECTIONS, "CONN-FILTER-COMMA-LIST",
          "a comma-separated clientIds list keeps only its first value"),
    Fault("conn-repeated-keys-first-only", CONNECTIONS, "CONN-FILTER-REPEATED-LIST",
          "a list parameter given as repeated keys (partnerIds=a&partnerIds=b) keeps its first value only (the "
          "framework's single-value getter); comma lists still work"),
    Fault("conn-filters-ored", CONNECTIONS, "CONN-FILTER-AND",
          "the id-list filter parameters are combined with OR instead of AND (active still narrows the result)"),
    Fault("conn-non-uuid-ids-dropped", CONNECTIONS, "CONN-FILTER-ID-NOT-UUID",
          "non-UUID connectionIds/clientIds/partnerIds values are dropped; a list left empty filters nothing"),
    Fault("conn-empty-active-means-false", CONNECTIONS, "CONN-FILTER-EMPTY-VALUE",
          "an empty active value is coerced like JavaScript's Boolean(''): active= returns the deactivated "
          "connections only (neither ignored, nor rejected, nor a literal match on \"\")"),
    Fault("conn-bad-active-accepted", CONNECTIONS, "CONN-FILTER-ACTIVE-INVALID",
          "active is read by JavaScript truthiness: any value but 'false' means true, so active=maybe is served"),
    Fault("conn-active-inverted", CONNECTIONS, "CONN-FILTER-ACTIVE",
          "active=true returns the deactivated connections and active=false the active ones (the boolean is "
          "stored inverted in the query builder)"),
    Fault("conn-active-false-dropped", CONNECTIONS, "CONN-FILTER-ACTIVE",
          "active=false is decoded to the boolean and then tested for truth before the clause is added, so it "
          "filters nothing: every connection comes back (active=true works)"),
    # --- BitGo connections: records, errors and access -----------------------------------------
    Fault("conn-proposed-id-before-initialization", CONNECTIONS, "CONN-NULL-UNTIL-INITIALIZED",
          "a connection the partner has not initialized (initialized: false) shows the id the client proposed as "
          "its partnersConnectionId instead of null (the partnersConnectionIds filter does not find it by that id)"),
    Fault("conn-proof-omitted", CONNECTIONS, "CONN-RESP-SCHEMA",
          "the list leaves out each connection's required proof and nonce (only the single-connection view has them)"),
    Fault("conn-json-as-text-plain", CONNECTIONS, "CONN-RESP-CONTENT-TYPE",
          "200 responses are labelled text/plain (the body is still JSON)"),
    Fault("conn-204-when-empty", CONNECTIONS, "CONN-RESP-STATUS",
          "a query that matches nothing is answered 204 No Content"),
    Fault("conn-record-active-twice", CONNECTIONS, "CONN-JSON-UNIQUE-KEYS",
          "each connection starts with \"active\":true (from the template it is written on) and writes its own "
          "active after it: a deactivated connection holds the name twice with two values"),
    Fault("conn-500-on-page-overflow", CONNECTIONS, "CONN-NO-SERVER-ERROR",
          "pageNumber x pageSize beyond 64 bits is answered 500 (the skip overflows the database integer)"),
    Fault("conn-error-key-renamed", CONNECTIONS, "CONN-ERROR-ENVELOPE",
          "401/403/404/500 bodies carry 'message' instead of 'error'"),
    Fault("conn-400-without-error", CONNECTIONS, "CONN-ERROR-400-BODY",
          "400 bodies are {name, errors[]} without an 'error' string"),
    Fault("conn-auth-ignored", CONNECTIONS, "CONN-AUTH-REQUIRED",
          "requests without a token or with a wrong one are served"),
    Fault("conn-unknown-enterprise-served", CONNECTIONS, "CONN-UNKNOWN-ENTERPRISE",
          "any enterpriseId is served the partner's connections"),
    # --- BRM: paging ---------------------------------------------------------------------------
    Fault("brm-limit-plus-one", BRM, "BRM-PAGE-LIMIT",
          "a response holds limit+1 records (X-Result-Count says so; windows overlap by one)"),
    Fault("brm-offset-off-by-one", BRM, "BRM-PAGE-OFFSET",
          "offset=n skips n-1 records (offset read as a 1-based position)"),
    Fault("brm-offset-seek-past-100", BRM, "BRM-PAGE-OFFSET",
          "from offset 100 on, windows come from a keyset (seek) path that starts one record late: offset=n "
          "(n >= 100) returns from position n+1, so the record at position n is never served at that offset; "
          "offsets below 100 are right (a walk through the windows misses one record per window from 100 on, "
          "so it also falls short of X-Total-Count)"),
    Fault("brm-oversize-limit-ignores-offset", BRM, "BRM-PAGE-OFFSET",
          "a limit above the server's maximum (1000; 50 under small-pages) is served from the first record "
          "whatever the offset (the clamping code path drops the offset; an offset past the end returns the "
          "first window too)"),
    Fault("brm-past-end-404", BRM, "BRM-PAGE-PAST-END",
          "an offset at or past the total is answered 404 instead of 200 []"),
    Fault("brm-limit-zero-uses-default", BRM, "BRM-PAGE-LIMIT-ZERO",
          "limit=0 is taken as 'not given' and returns a default-size page"),
    Fault("brm-bad-limit-accepted", BRM, "BRM-PAGE-INVALID",
          "a limit/offset that is not a non-negative integer is ignored instead of rejected"),
    Fault("brm-order-unstable", BRM, "BRM-ORDER-STABLE",
          "records tied on requestedDate come in an order that changes from request to request"),
    # --- BRM: counts ---------------------------------------------------------------------------
    Fault("brm-result-count-missing", BRM, "BRM-HDR-RESULT-COUNT",
          "the X-Result-Count header is not sent"),
    Fault("brm-result-count-says-limit", BRM, "BRM-HDR-RESULT-COUNT",
          "with a limit above the server's maximum, X-Result-Count repeats the limit asked for (limit=1500 -> "
          "1500) although the body holds only the clamped number of records; below the maximum it is right"),
    Fault("brm-total-count-ignores-filters", BRM, "BRM-HDR-TOTAL-COUNT",
          "X-Total-Count counts the whole collection, whatever the filters"),
    Fault("brm-total-count-missing-when-empty", BRM, "BRM-HDR-TOTAL-COUNT",
          "X-Total-Count is omitted whenever the total is 0 (the header is only set from a non-zero count)"),
    Fault("brm-total-count-first-filter-only", BRM, "BRM-HDR-TOTAL-COUNT",
          "X-Total-Count comes from a separate count query that applies only the URL's first filter parameter "
          "(status, partyAccount.id, id, usageType or a requestedDate one, in query-string order; the monetary "
          "default still applies unless usageType is that first one): with two or more filters it counts the "
          "first one's matches"),
    # --- BRM: filters --------------------------------------------------------------------------
    Fault("brm-id-plus-as-space", BRM, "BRM-FILTER-ID",
          "the id value is form-decoded twice, so %2B ends up as a space and nothing matches"),
    Fault("brm-id-filter-matches-nothing", BRM, "BRM-FILTER-ID",
          "the id value is cut to its POID number (...+221100 -> 221100) before it is compared with stored ids, "
          "so an existing id returns [] with both counts 0"),
    Fault("brm-id-prefix-match", BRM, "BRM-FILTER-ID",
          "the id filter is a LIKE 'value%' look-up: it returns every adjustment whose id (or adjustment number) "
          "starts with the value, so an id cut short by a digit returns its neighbours"),
    Fault("brm-id-ignores-adjustment-number", BRM, "BRM-FILTER-ID-NUMBER",
          "id is compared with the adjustment's POID id only, so its adjustment number (adjustmentNo, ADJ-216265) "
          "matches nothing"),
    Fault("brm-account-plus-as-space", BRM, "BRM-FILTER-PARTY-ACCOUNT",
          "the partyAccount.id value is form-decoded twice, so %2B ends up as a space and nothing matches"),
    Fault("brm-status-case-sensitive", BRM, "BRM-FILTER-STATUS",
          "status is compared case-sensitively, so the documented status=completed matches nothing"),
    Fault("brm-usage-type-case-sensitive", BRM, "BRM-FILTER-USAGE-TYPE",
          "usageType is compared case-sensitively, so usageType=other matches nothing"),
    Fault("brm-usage-type-filter-matches-nothing", BRM, "BRM-FILTER-USAGE-TYPE",
          "an explicit usageType is translated to BRM's resource id (monetary -> 840) before it is compared with "
          "the stored type, so every value returns [] (the default monetary scope still works)"),
    Fault("brm-upper-case-query-matches-nothing", BRM, "BRM-FILTER-CASE-VARIANTS",
          "stored status/usageType values are folded to lower case but query values are not, so the spelling the "
          "server returns (status=COMPLETED, usageType=MONETARY) matches nothing"),
    Fault("brm-default-usage-type-all", BRM, "BRM-DEFAULT-USAGE-TYPE",
          "without usageType every adjustment is returned, not only monetary ones"),
    Fault("brm-date-eq-compared-as-text", BRM, "BRM-FILTER-DATE-EQ",
          "requestedDate= compares the text, so the same instant written in another UTC offset is missed"),
    Fault("brm-date-gt-inclusive", BRM, "BRM-FILTER-DATE-GT",
          "requestedDate.gt includes the bound"),
    Fault("brm-date-gte-exclusive", BRM, "BRM-FILTER-DATE-GTE",
          "requestedDate.gte excludes the bound"),
    Fault("brm-date-lt-inclusive", BRM, "BRM-FILTER-DATE-LT",
          "requestedDate.lt includes the bound"),
    Fault("brm-date-lte-exclusive", BRM, "BRM-FILTER-DATE-LTE",
          "requestedDate.lte excludes the bound"),
    Fault("brm-date-filters-match-nothing", BRM, "BRM-FILTER-DATE-GT",
          "requestedDate bounds are compared through julianday() with the stored date rendered as DD-MM-YYYY text, "
          "which julianday cannot read (NULL), so all five requestedDate filters (=, .gt, .gte, .lt, .lte) return "
          "[] (200, both counts 0)"),
    Fault("brm-date-fraction-rejected", BRM, "BRM-FILTER-DATE-EQ",
          "a requestedDate value written with fractional seconds, as the document's own example "
          "2020-01-01T12:00:27.000Z is, is answered 400 in all five date filters; without a fraction they work"),
    Fault("brm-filters-ored", BRM, "BRM-FILTER-AND",
          "id, partyAccount.id, status and requestedDate filters are combined with OR instead of AND"),
    Fault("brm-bad-date-accepted", BRM, "BRM-FILTER-DATE-INVALID",
          "a requestedDate value that is not a date-time is ignored instead of rejected"),
    Fault("brm-empty-status-means-created", BRM, "BRM-FILTER-EMPTY-VALUE",
          "an empty status value is taken as the first status of the lifecycle: status= returns CREATED "
          "adjustments only (neither ignored, nor rejected, nor a literal match on \"\")"),
    # --- BRM: representation -------------------------------------------------------------------
    Fault("brm-fields-ignored", BRM, "BRM-FIELDS",
          "the fields projection is ignored (full records)"),
    Fault("brm-fields-first-name-only", BRM, "BRM-FIELDS",
          "fields keeps only the first attribute it lists (the list is read up to its first comma): "
          "fields=amount,status returns amount and the identifiers, not status"),
    Fault("brm-fields-ignored-with-oracle-type", BRM, "BRM-FIELDS",
          "with @type=AdjustBalanceOracle the fields projection is ignored (full extended records); without "
          "@type or with AdjustBalance it works"),
    Fault("brm-oracle-type-rejected", BRM, "BRM-TYPE-ORACLE",
          "@type=AdjustBalanceOracle is rejected with 400"),
    Fault("brm-oracle-type-not-marked", BRM, "BRM-TYPE-ORACLE-EXTENDED",
          "@type=AdjustBalanceOracle returns base AdjustBalance objects"),
    Fault("brm-unknown-type-accepted", BRM, "BRM-TYPE-INVALID",
          "an unknown @type is served as AdjustBalance instead of rejected"),
    # --- BRM: records, errors and access -------------------------------------------------------
    Fault("brm-amount-as-string", BRM, "BRM-RESP-SCHEMA",
          "amount.amount is written as a string ('-1.0')"),
    Fault("brm-nan-amount", BRM, "BRM-RESP-SCHEMA",
          "amounts under one unit come out as the bare token NaN (a failed decimal conversion), which is not JSON"),
    Fault("brm-content-type-text-plain", BRM, "BRM-RESP-CONTENT-TYPE",
          "200 responses are labelled text/plain (the body is still JSON)"),
    Fault("brm-206-on-partial-page", BRM, "BRM-RESP-STATUS",
          "a page that holds fewer records than the total is answered 206 Partial Content"),
    Fault("brm-500-on-huge-offset", BRM, "BRM-NO-SERVER-ERROR",
          "an offset or limit beyond 64 bits is answered 500 (the value overflows the database integer)"),
    Fault("brm-html-500-on-bad-date", BRM, "BRM-NO-SERVER-ERROR",
          "an unparsable requestedDate crashes with an HTML 500 page (also not a 400, not JSON)"),
    Fault("brm-error-without-reason", BRM, "BRM-ERROR-ENVELOPE",
          "error bodies carry code and message but no reason"),
    Fault("brm-error-status-twice", BRM, "BRM-JSON-UNIQUE-KEYS",
          "error bodies write status twice: the HTTP status as a number, then Oracle's text extension "
          "(\"status\":400 ... \"status\":\"400\")"),
    Fault("brm-auth-ignored", BRM, "BRM-AUTH-REQUIRED",
          "requests without a token or with a wrong one are served although a token is configured"),
    Fault("brm-method-not-allowed-404", BRM, "BRM-METHOD-NOT-ALLOWED",
          "PUT, PATCH and DELETE on /adjustBalance are answered 404 instead of 405"),
)  # fmt: skip

FAULTS: dict[str, Fault] = {fault.name: fault for fault in _FAULT_LIST}


class UnknownSwitchError(ValueError):
    """Names that are not among the switches of their kind (faults, variants)."""

    kind = "switch"
    known: Mapping[str, object] = {}

    def __init__(self, names: Iterable[str]) -> None:
        self.names = sorted(names)
        listed = ", ".join(repr(name) for name in self.names)
        noun = self.kind if len(self.names) == 1 else f"{self.kind}s"
        super().__init__(f"unknown {noun} {listed}; valid {self.kind}s: {', '.join(self.known)}")


class UnknownFaultError(UnknownSwitchError):
    """A fault name that is not in FAULTS."""

    kind = "fault"
    known = FAULTS


class SimulatedCrash(Exception):
    """Raised where a 500 fault makes the server fail; the handler answers it with a 500 (HTML or JSON)."""

    def __init__(self, html: bool) -> None:
        super().__init__("simulated crash")
        self.html = html


class Switches:
    """The names of one kind (`known`) switched on for one server; asking about a name that is not of
    that kind is a bug, so it raises."""

    unknown_error: type[UnknownSwitchError] = UnknownSwitchError

    def __init__(self, names: Iterable[str] = ()) -> None:
        wanted = frozenset(names)
        unknown = wanted - self.unknown_error.known.keys()
        if unknown:
            raise self.unknown_error(unknown)
        self.names = wanted

    def __contains__(self, name: object) -> bool:
        if name not in self.unknown_error.known:
            raise KeyError(f"not a {self.unknown_error.kind}: {name!r}")
        return name in self.names

    def __bool__(self) -> bool:
        return bool(self.names)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({sorted(self.names)!r})"


class FaultSet(Switches):
    """The faults switched on for one server."""

    unknown_error = UnknownFaultError
