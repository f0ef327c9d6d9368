"""BitGo Go Network, partner side: list allocations, and the helpers both BitGo routes share (the error
envelope, the token and enterprise checks). The connections route is server/connections.py.

Behaviour is BitGo's document plus specs/DECISIONS.md; where those leave the choice to the server:

- pageSize defaults to 25 and is clamped to 500 (D-GEN-4); the skip is pageSize * pageNumber in the size
  asked for, as BitGo's document says ("the API will skip pageSize * pageNumber records"), so page 1 of
  pageSize=600 starts at record 600 and holds 500. pageSize=0 is answered 200 with no records (D-GEN-3).
  A pageNumber whose skip reaches past any record (however many digits) is an empty page.
- No sortField: createdAt ascending, id ascending (D-OES-1); a sortDirection without a sortField is
  ignored, since that order has no primary key to reverse.
- An empty value (`statuses=`) is ignored as if absent (D-GEN-2); repeated keys of a list parameter
  add items; a non-UUID id matches no record (D-OES-3); unknown parameters are ignored.
- 400 for: a types/statuses item outside the enum, an empty currencies item (`currencies=a,,b`), a
  sortField/sortDirection outside its enum, a page parameter that is not digits only, a single-valued
  parameter given twice. Every error body is `{"error": ..., "name": ...}` (BitGo's convention).
- Check order: method (405), token (401), enterprise (404), then the query (400).

Each route answers to its own API's faults and variants in the shared helpers (`RouteSwitches`): `oes-*`
switches change the allocations route, `conn-*` switches the connections route.

Variants (server/variants.py) switch on other readings the documents allow: oes-400-array-body,
oes-default-sort-updated-desc, oes-connections-forbidden, oes-enterprise-400,
oes-int-from-string-pages, oes-record-type-twice, oes-currency-as-internal-code, empty-value-literal and
small-pages.
"""

from __future__ import annotations

import hmac
import json
import random
import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from apiconform.server.data import PARTNER_SPECS
from apiconform.server.faults import FaultSet, SimulatedCrash
from apiconform.server.params import (
    DIGITS,
    BadRequest,
    Query,
    json_list,
    parse_count,
    parse_int_from_string,
    parse_int_like_javascript,
    pieces,
    shown,
)
from apiconform.server.store import SQL_MAX_INTEGER, Store, compact_json, member_first
from apiconform.server.variants import VariantSet

JSON_TYPE = "application/json; charset=utf-8"
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 500
SMALL_MAX_PAGE_SIZE = 50  # the small-pages variant's maximum
OBJECT_ID = re.compile(r"[0-9a-f]{24}")  # the shape of a BitGo enterprise id (oes-enterprise-400)
UPDATED_DESC = "updated_ms DESC, created_ms, id"  # the oes-default-sort-updated-desc default order
TYPES = ("allocation", "deallocation")
RECORD_TYPE = re.compile(r'"type":"[a-z]+"')  # an allocation record's own type (oes-record-type-twice)
STATUSES = ("cleared", "released", "reserved")
SORT_FIELDS = ("id", "updatedAt", "quantity")
# Each partner's name for a coin -> BitGo's internal code (oes-currency-as-internal-code); no two partners
# share a name, so one table serves them all.
INTERNAL_CODES = MappingProxyType({name: coin for _, names, _ in PARTNER_SPECS for coin, name in names.items()})
DIRECTIONS = ("ASC", "DESC")
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
HTML_500 = "<html><head><title>500 Internal Server Error</title></head><body>Internal Server Error</body></html>"
SEEK_FROM_RECORD = 100  # oes-deep-pages-repeat-last: pages starting here or later come from the seek path
ALLOCATION_ID_BATCH = 10  # oes-allocation-ids-first-ten: the look-up's batch size

# ORDER BY for (sortField, descending). The createdAt ASC, id ASC tiebreak stays ascending under DESC.
ORDER_BY = {
    (None, False): "created_ms, id",
    (None, True): "created_ms, id",
    ("id", False): "id",
    ("id", True): "id DESC",
    ("updatedAt", False): "updated_ms, created_ms, id",
    ("updatedAt", True): "updated_ms DESC, created_ms, id",
    ("quantity", False): "quantity_key, created_ms, id",
    ("quantity", True): "quantity_key DESC, created_ms, id",
}
IN_LIST = "IN (SELECT value FROM json_each(?))"


@dataclass(frozen=True)
class RouteSwitches:
    """The faults and variants that change what the shared helpers do on one route (each route answers to
    its own API's switches)."""

    array_400: str  # variant: 400 bodies as io-ts PathReporter strings
    no_error_400: str  # fault: 400 bodies without an error string
    error_key_renamed: str  # fault: other error bodies say `message`
    json_as_text: str  # fault: 200 labelled text/plain
    no_content_when_empty: str  # fault: 204 for an empty result
    auth_ignored: str  # fault
    unknown_enterprise_served: str  # fault
    enterprise_400: tuple[str, ...]  # variants: 400 for an enterpriseId that is not 24 hex digits


ALLOCATIONS = RouteSwitches(
    "oes-400-array-body",
    "oes-400-without-error",
    "oes-error-key-renamed",
    "oes-json-as-text-plain",
    "oes-204-when-empty",
    "oes-auth-ignored",
    "oes-unknown-enterprise-served",
    ("oes-enterprise-400",),
)
CONNECTIONS = RouteSwitches(
    "conn-400-array-body",
    "conn-400-without-error",
    "conn-error-key-renamed",
    "conn-json-as-text-plain",
    "conn-204-when-empty",
    "conn-auth-ignored",
    "conn-unknown-enterprise-served",
    # BitGo checks the enterprise the same way on every partner route (oes-enterprise-400 predates this API).
    ("oes-enterprise-400", "conn-enterprise-400"),
)


@dataclass
class _Page:
    where: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)
    order_by: str = ORDER_BY[(None, False)]
    offset: int = 0
    limit: int = DEFAULT_PAGE_SIZE
    size_given: bool = False
    empty: bool = False  # known to hold no record without asking the store


class BitGoApi:
    """The allocations route and the helpers both BitGo routes share, for one store, token and set of switches."""

    def __init__(self, store: Store, faults: FaultSet, token: str, variants: VariantSet | None = None) -> None:
        self.store = store
        self.faults = faults
        self.variants = variants if variants is not None else VariantSet()
        self.max_page_size = SMALL_MAX_PAGE_SIZE if "small-pages" in self.variants else MAX_PAGE_SIZE
        self._token = token.encode()
        self._shuffle = random.Random(0)  # tie orders for oes-default-order-unstable

    # --- responses ------------------------------------------------------------------------------

    def error(
        self,
        status: int,
        name: str,
        message: str,
        headers: dict[str, str] | None = None,
        route: RouteSwitches = ALLOCATIONS,
    ) -> Response:
        """An error in BitGo's envelope: {"error": message, "name": name}."""
        body: dict[str, Any] | list[str]
        if status == 400 and route.array_400 in self.variants:
            body = [message]
        elif status == 400 and route.no_error_400 in self.faults:
            body = {"name": name, "errors": [message]}
        elif status != 400 and route.error_key_renamed in self.faults:
            body = {"message": message, "name": name}
        else:
            body = {"error": message, "name": name}
        return Response(compact_json(body), status, headers=headers, media_type=JSON_TYPE)

    def ok(self, body: str, empty: bool, route: RouteSwitches = ALLOCATIONS) -> Response:
        """A 200 with a JSON body (`empty`: the list in it holds no record)."""
        if empty and route.no_content_when_empty in self.faults:
            return Response(status_code=204)
        media_type = "text/plain; charset=utf-8" if route.json_as_text in self.faults else JSON_TYPE
        return Response(body, 200, media_type=media_type)

    def method_not_allowed(self, method: str, route: RouteSwitches = ALLOCATIONS) -> Response:
        """405 for every method but GET (and HEAD, which HTTP derives from GET)."""
        return self.error(405, "MethodNotAllowed", f"method {method} is not allowed here", {"Allow": "GET"}, route)

    def refusal(self, request: Request, route: RouteSwitches = ALLOCATIONS) -> Response | None:
        """401 without a valid bearer token, 404 for an enterprise other than the partner's own."""
        if route.auth_ignored not in self.faults:
            scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
            presented = credentials.strip().encode("latin-1")
            if scheme.lower() != "bearer" or not hmac.compare_digest(presented, self._token):
                return self.error(
                    401,
                    "Unauthorized",
                    "a valid bearer access token is required",
                    {"WWW-Authenticate": "Bearer"},
                    route,
                )
        enterprise = request.path_params.get("enterpriseId", "")
        malformed = OBJECT_ID.fullmatch(enterprise) is None
        if malformed and any(variant in self.variants for variant in route.enterprise_400):
            return self.error(400, "InvalidEnterpriseId", "invalid enterpriseId format", route=route)
        if enterprise != self.store.enterprise_id and route.unknown_enterprise_served not in self.faults:
            return self.error(404, "EnterpriseNotFound", f"enterprise {shown(enterprise)} not found", route=route)
        return None

    # --- routes ---------------------------------------------------------------------------------

    async def allocations(self, request: Request) -> Response:
        """GET /api/network/v1/enterprises/{enterpriseId}/partners/allocations."""
        if request.method not in ("GET", "HEAD"):
            return self.method_not_allowed(request.method)
        refusal = self.refusal(request)
        if refusal is not None:
            return refusal
        try:
            page = self._allocations_page(Query.of(request))
        except BadRequest as exc:
            return self.error(400, "InvalidQueryParameter", self.decode_message(exc))
        except SimulatedCrash as crash:
            if crash.html:
                return Response(HTML_500, 500, media_type="text/html; charset=utf-8")
            return self.error(500, "InternalError", "Python int too large to convert to SQLite INTEGER")
        docs = self._fetch(page)
        if "oes-quantity-as-number" in self.faults or "oes-reason-on-cleared" in self.faults:
            docs = [self._distort(doc) for doc in docs]
        if "oes-currency-as-internal-code" in self.variants:
            # The record shows BitGo's own code; the filter still takes the partner's name (D-OES-20).
            docs = [_internal_currency(doc) for doc in docs]
        if "oes-record-type-twice" in self.variants:
            # The encoder writes the discriminator, then the record's own field of that name (D-GEN-41).
            docs = [member_first(doc, found.group(0)) if (found := RECORD_TYPE.search(doc)) else doc for doc in docs]
        if "oes-record-status-twice" in self.faults:
            # Built from a cached reservation: its status first, the record's current one after it.
            docs = [member_first(doc, '"status":"reserved"') for doc in docs]
        return self.ok('{"allocations":[' + ",".join(docs) + "]}", not docs)

    def decode_message(self, exc: BadRequest, route: RouteSwitches = ALLOCATIONS) -> str:
        """The 400 message: as io-ts' PathReporter words a decode failure under the route's array-body variant."""
        if route.array_400 in self.variants and exc.parameter is not None and exc.value is not None:
            return f"Invalid value {json.dumps(exc.value[:80])} supplied to : query/{exc.parameter}"
        return exc.message

    # --- query reading --------------------------------------------------------------------------

    def _allocations_page(self, query: Query) -> _Page:
        page = _Page()
        self._read_filters(query, page)
        self._read_sort(query, page)
        self._read_paging(query, page)
        return page

    def _read_paging(self, query: Query, page: _Page) -> None:
        number_text, size_text = query.value("pageNumber"), query.value("pageSize")
        count = parse_int_like_javascript if "oes-bad-page-accepted" in self.faults else None
        strict = parse_int_from_string if "oes-int-from-string-pages" in self.variants else parse_count

        def read(name: str, text: str) -> int:
            return count(text) if count is not None else strict(name, text)

        if size_text is None:
            size = DEFAULT_PAGE_SIZE
        else:
            size = read("pageSize", size_text)
            page.size_given = True
            if size == 0 and "oes-page-size-zero-uses-default" in self.faults:
                size = DEFAULT_PAGE_SIZE
        if number_text is None:
            number = 1 if "oes-default-page-number-one" in self.faults else 0
        else:
            number = read("pageNumber", number_text)
        if size_text is None and "oes-default-size-ignores-page-number" in self.faults:
            number = 0
        page.limit = min(size, self.max_page_size)
        # oes-oversize-page-skips-clamped: the skip is computed from the size after clamping, not the one asked for.
        page.offset = number * (page.limit if "oes-oversize-page-skips-clamped" in self.faults else size)
        if page.offset > SQL_MAX_INTEGER:
            if "oes-500-on-page-overflow" in self.faults:
                raise SimulatedCrash(html=False)
            page.empty = True
        if page.limit == 0:
            page.empty = True

    def _read_sort(self, query: Query, page: _Page) -> None:
        sort_field, direction = query.value("sortField"), query.value("sortDirection")
        lenient = "oes-bad-sort-accepted" in self.faults
        if sort_field is not None and sort_field not in SORT_FIELDS:
            if "oes-html-500-on-bad-sort" in self.faults:
                raise SimulatedCrash(html=True)
            if not lenient:
                raise BadRequest(
                    f"sortField must be one of {', '.join(SORT_FIELDS)}, got {shown(sort_field)}",
                    "sortField",
                    sort_field,
                )
            sort_field = None
        if direction is not None and direction not in DIRECTIONS:
            if not lenient:
                raise BadRequest(
                    f"sortDirection must be ASC or DESC, got {shown(direction)}", "sortDirection", direction
                )
            direction = None
        descending = direction == "DESC"
        if sort_field is not None and direction is None and "oes-default-direction-desc" in self.faults:
            descending = True
        if "oes-desc-ignored" in self.faults:
            descending = False
        page.order_by = self._order_by(sort_field, descending)

    def _order_by(self, sort_field: str | None, descending: bool) -> str:
        if sort_field == "updatedAt" and "oes-wrong-sort-key" in self.faults:
            return "created_ms DESC, id" if descending else "created_ms, id"
        order = ORDER_BY[(sort_field, descending)]
        if sort_field is None and "oes-default-sort-updated-desc" in self.variants:
            order = UPDATED_DESC
        if sort_field == "quantity" and "oes-quantity-sorted-as-text" in self.faults:
            order = order.replace("quantity_key", "quantity")
        if descending and sort_field is not None and "oes-tiebreak-reversed-under-desc" in self.faults:
            order = order.replace("created_ms, id", "created_ms DESC, id DESC")
        if sort_field is None and "oes-default-order-unstable" in self.faults:
            # No tiebreak: ties come in whatever order the engine happens to produce this time.
            order = f"created_ms, (seq * {self._shuffle.randrange(1, 10**6, 2)}) % 1000003"
        return order

    def _read_filters(self, query: Query, page: _Page) -> None:
        clauses: list[tuple[str, list[Any]]] = []
        for name in ("allocationIds", "types", "statuses", "currencies", "connectionIds", "partnerIds", "clientIds"):
            if (
                name == "statuses"
                and query.present_but_empty(name)
                and "oes-empty-statuses-means-reserved" in self.faults
            ):
                clauses.append(("status = 'reserved'", []))
                continue
            if query.present_but_empty(name) and "empty-value-literal" in self.variants:
                # A literal match on "": no record has an empty id, type, status or currency.
                clauses.append(("0", []))
                continue
            items = query.items(name)
            if items is None:
                continue
            clause = self._filter_clause(name, items)
            if clause is not None:
                clauses.append(clause)
        joiner = " OR " if "oes-filters-ored" in self.faults else " AND "
        if clauses:
            page.where.append("(" + joiner.join(sql for sql, _ in clauses) + ")")
            page.params.extend(param for _, params in clauses for param in params)

    def _filter_clause(self, name: str, raw_items: list[str]) -> tuple[str, list[Any]] | None:
        items = pieces(raw_items)
        if name in ("types", "statuses"):
            allowed = TYPES if name == "types" else STATUSES
            invalid = [item for item in items if item not in allowed]
            if invalid and "oes-enum-not-validated" not in self.faults:
                raise BadRequest(
                    f"{name} values must be among {', '.join(allowed)}, got {shown(invalid[0])}", name, invalid[0]
                )
        else:
            # An empty item between literal commas (`a,,b`) breaks currencies' minLength; other empty pieces
            # come from encoded commas and are no value at all.
            if name == "currencies" and "" in raw_items and "oes-currencies-empty-item-dropped" not in self.faults:
                raise BadRequest("currencies must not hold an empty value", name, "")
            items = [item for item in items if item]
        if name in ("allocationIds", "connectionIds") and "oes-non-uuid-ids-dropped" in self.faults:
            items = [item for item in items if UUID.fullmatch(item)]
            if not items:
                return None
        if name == "allocationIds" and "oes-allocation-ids-first-ten" in self.faults:
            items = items[:ALLOCATION_ID_BATCH]  # only the first batch of the look-up is used
        values = json_list(items)
        if name == "allocationIds":
            if (
                "oes-unknown-allocation-id-matches-all" in self.faults
                and all(UUID.fullmatch(item) for item in items)
                and not self.store.rows(f"SELECT 1 FROM allocations WHERE id {IN_LIST} LIMIT 1", [values])
            ):
                return None
            return f"id {IN_LIST}", [values]
        if name == "types":
            if "oes-types-first-value-only" in self.faults:
                values = json_list(items[:1])
            if "oes-types-substring-match" in self.faults:
                # json_each has a column named `type` too.
                return "EXISTS (SELECT 1 FROM json_each(?) WHERE instr(allocations.type, value) > 0)", [values]
            return f"type {IN_LIST}", [values]
        if name == "statuses":
            return None if "oes-statuses-ignored" in self.faults else (f"status {IN_LIST}", [values])
        if name == "currencies":
            if "oes-currencies-ignored-when-mapped" in self.faults:
                return f"(currency {IN_LIST} OR currency != coin)", [values]
            return f"currency {IN_LIST}", [values]
        if name == "connectionIds":
            if "oes-connection-filter-widened-to-client" in self.faults:
                return (
                    "conn IN (SELECT seq FROM connections WHERE client_id IN"
                    f" (SELECT client_id FROM connections WHERE id {IN_LIST}))",
                    [values],
                )
            return f"conn IN (SELECT seq FROM connections WHERE id {IN_LIST})", [values]
        if name == "partnerIds":
            if "oes-partner-filter-ignored" in self.faults:
                return None
            return f"conn IN (SELECT seq FROM connections WHERE partner_id {IN_LIST})", [values]
        if "oes-client-ids-ignored" in self.faults:
            return None
        column = "partner_id" if "oes-client-filter-uses-partner" in self.faults else "client_id"
        return f"conn IN (SELECT seq FROM connections WHERE {column} {IN_LIST})", [values]

    # --- reading the store ----------------------------------------------------------------------

    def _select(self, page: _Page, limit: int, offset: int) -> list[tuple[Any, ...]]:
        where = " WHERE " + " AND ".join(page.where) if page.where else ""
        sql = f"SELECT doc, created_ms FROM allocations{where} ORDER BY {page.order_by} LIMIT ? OFFSET ?"
        return self.store.rows(sql, [*page.params, limit, offset])

    def _fetch(self, page: _Page) -> list[str]:
        if page.empty:
            return []
        limit = page.limit + 1 if page.size_given and "oes-page-size-plus-one" in self.faults else page.limit
        if "oes-page-repeats-on-tie" in self.faults and page.offset > 0:
            rows = self._select(page, limit + 1, page.offset - 1)
            # Keyset-style bug: the page starts at ">= the previous page's last createdAt".
            rows = rows[:limit] if len(rows) > 1 and rows[0][1] == rows[1][1] else rows[1:]
        elif "oes-deep-pages-repeat-last" in self.faults and page.offset >= SEEK_FROM_RECORD:
            # Keyset-style bug: a deep page is read from ">= the previous page's last record", so it starts there.
            rows = self._select(page, limit, page.offset - 1)
        else:
            rows = self._select(page, limit, page.offset)
        if not rows and page.offset > 0 and "oes-past-end-repeats-last-page" in self.faults:
            where = " WHERE " + " AND ".join(page.where) if page.where else ""
            total = self.store.count(f"SELECT COUNT(*) FROM allocations{where}", page.params)
            if total:
                rows = self._select(page, limit, (total - 1) // page.limit * page.limit)
        unpack = self.store.allocation_codec.unpack
        return [unpack(row[0]) for row in rows]

    def _distort(self, doc: str) -> str:
        record = json.loads(doc)
        if "oes-quantity-as-number" in self.faults:
            quantity = record["amount"]["quantity"]
            if DIGITS.fullmatch(quantity) and int(quantity) < 2**53:
                record["amount"]["quantity"] = int(quantity)
        if "oes-reason-on-cleared" in self.faults and record["status"] == "cleared" and record["id"][-1] in "0123":
            record["reason"] = "awaiting partner confirmation"
        return compact_json(record)


def _internal_currency(doc: str) -> str:
    """The record with `amount.currency` written as BitGo's internal code instead of its partner's name."""
    record = json.loads(doc)
    record["amount"]["currency"] = INTERNAL_CODES[record["amount"]["currency"]]
    return compact_json(record)
