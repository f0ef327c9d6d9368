"""BitGo Go Network, partner side: GET /api/network/v1/enterprises/{enterpriseId}/partners/connections.

An API of its own (bitgo-connections, specs/bitgo-connections) and the route the allocations API reads to
map each connection to its client and partner (DECISIONS D-OES-8). Behaviour is BitGo's api.yaml plus
specs/DECISIONS.md (D-CONN-*); where those leave the choice to the server:

- Order: createdAt ascending, then id ascending (no order is documented; D-CONN-3). A client's
  connections made in one request tie on createdAt, so the id is what makes the order total.
- pageSize defaults to 100 and is clamped to 500 (D-GEN-4; 50 for both under small-pages); the skip is
  pageSize * pageNumber in the size asked for, as on the allocations route; pageSize=0 is 200 with no
  connections (D-GEN-3); a skip past any record is an empty page. Page parameters are digits only, as
  on the allocations route (D-OES-6).
- Filters (D-CONN-1): connectionIds -> id, clientIds -> clientId, partnerIds -> partnerId,
  partnersClientIds -> partnersClientId, partnersConnectionIds -> partnersConnectionId, each a list of
  values split at literal or encoded commas (repeated keys add values, D-CONN-2); active=true|false.
  Several parameters are ANDed. A non-UUID id matches nothing (D-CONN-4); an empty value is ignored as
  if absent (D-GEN-2).
- 400 for: active other than `true`/`false`, an empty item between literal commas in a partners...Ids
  list (`minLength: 1`), a page parameter that is not digits only, a single-valued parameter given twice.
- Check order: method (405), token (401), enterprise (404), then the query (400), as on the allocations
  route, in BitGo's error envelope.

The switches that change this route are the `conn-*` faults and variants (server/faults.py,
server/variants.py), empty-value-literal and small-pages; oes-connections-forbidden (an allocations
variant) answers it 404, and oes-enterprise-400 applies here too.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from apiconform.server.bitgo import CONNECTIONS, UUID, BitGoApi
from apiconform.server.faults import SimulatedCrash
from apiconform.server.params import (
    BadRequest,
    Query,
    json_list,
    parse_count,
    parse_int_from_string,
    parse_int_like_javascript,
    pieces,
    shown,
)
from apiconform.server.store import SQL_MAX_INTEGER, compact_json, member_first

DEFAULT_PAGE_SIZE = 100
ORDER = "created_ms, id"
NEWEST_FIRST = "created_ms DESC, id"  # the conn-newest-first variant
ID_COLUMNS = {"connectionIds": "id", "clientIds": "client_id", "partnerIds": "partner_id"}
PARTNER_COLUMNS = {"partnersClientIds": "partners_client_id", "partnersConnectionIds": "partners_connection_id"}
IN_LIST = "IN (SELECT value FROM json_each(?))"
BOOLEANS = {"true": True, "false": False}  # what io-ts BooleanFromString decodes


@dataclass
class _Page:
    where: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)
    order_by: str = ORDER
    number: int = 0
    offset: int = 0
    limit: int = DEFAULT_PAGE_SIZE
    size_given: bool = False
    empty: bool = False  # known to hold no record without asking the store


class ConnectionsRoute:
    """The connections route's handler, sharing the allocations route's helpers (envelope, token, enterprise)."""

    def __init__(self, bitgo: BitGoApi) -> None:
        self.bitgo = bitgo
        self.store = bitgo.store
        self.faults = bitgo.faults
        self.variants = bitgo.variants
        self.max_page_size = bitgo.max_page_size
        self.default_page_size = min(DEFAULT_PAGE_SIZE, self.max_page_size)
        self._shuffle = random.Random(1)  # tie orders for conn-order-unstable

    async def __call__(self, request: Request) -> Response:
        bitgo = self.bitgo
        if request.method not in ("GET", "HEAD"):
            return bitgo.method_not_allowed(request.method, CONNECTIONS)
        refusal = bitgo.refusal(request, CONNECTIONS)
        if refusal is not None:
            return refusal
        if "oes-connections-forbidden" in self.variants:
            # The allocations API's variant: a token that may not read this route (its envelope is the allocations').
            return bitgo.error(404, "NotFound", "no route for this caller")
        try:
            page = self._page(Query.of(request))
        except BadRequest as exc:
            return bitgo.error(400, "InvalidQueryParameter", bitgo.decode_message(exc, CONNECTIONS), route=CONNECTIONS)
        except SimulatedCrash:
            message = "Python int too large to convert to SQLite INTEGER"
            return bitgo.error(500, "InternalError", message, route=CONNECTIONS)
        docs = self._fetch(page)
        if "conn-proof-omitted" in self.faults:
            docs = [_without_proof(doc) for doc in docs]
        if "conn-proposed-id-before-initialization" in self.faults:
            docs = [_with_proposed_id(doc) for doc in docs]
        if "conn-record-active-twice" in self.faults:
            # Built on a template whose active comes first; the connection's own value follows it.
            docs = [member_first(doc, '"active":true') for doc in docs]
        return bitgo.ok('{"connections":[' + ",".join(docs) + "]}", not docs, CONNECTIONS)

    # --- query reading --------------------------------------------------------------------------

    def _page(self, query: Query) -> _Page:
        page = _Page(limit=self.default_page_size)
        self._read_filters(query, page)
        self._read_paging(query, page)
        self._read_order(page)
        return page

    def _read_paging(self, query: Query, page: _Page) -> None:
        number_text, size_text = query.value("pageNumber"), query.value("pageSize")

        def read(name: str, text: str) -> int:
            if "conn-bad-page-accepted" in self.faults:
                return parse_int_like_javascript(text)
            if "conn-int-from-string-pages" in self.variants:
                return parse_int_from_string(name, text)
            return parse_count(name, text)

        size = self.default_page_size
        if size_text is not None:
            size = read("pageSize", size_text)
            page.size_given = True
            if size == 0 and "conn-page-size-zero-uses-default" in self.faults:
                size = self.default_page_size
        if number_text is None:
            number = 1 if "conn-default-page-number-one" in self.faults else 0
        else:
            number = read("pageNumber", number_text)
        if size_text is None and "conn-default-size-ignores-page-number" in self.faults:
            number = 0
        page.number = number
        page.limit = min(size, self.max_page_size)
        page.offset = number * size
        if page.offset > SQL_MAX_INTEGER:
            if "conn-500-on-page-overflow" in self.faults:
                raise SimulatedCrash(html=False)
            page.empty = True
        if page.limit == 0:
            page.empty = True

    def _read_order(self, page: _Page) -> None:
        if "conn-newest-first" in self.variants:
            page.order_by = NEWEST_FIRST
        if "conn-order-unstable" in self.faults:
            # No tiebreak: connections made in one request come in whatever order the engine produces this time.
            page.order_by = f"created_ms, (seq * {self._shuffle.randrange(1, 10**6, 2)}) % 1000003"
        if page.number > 0 and "conn-later-pages-in-id-order" in self.faults:
            page.order_by = "id"

    def _read_filters(self, query: Query, page: _Page) -> None:
        clauses: list[tuple[str, list[Any]]] = []
        for name in (*ID_COLUMNS, *PARTNER_COLUMNS):
            if query.present_but_empty(name):
                if "empty-value-literal" in self.variants:
                    clauses.append(("0", []))  # a literal match on "": no connection has an empty id
                continue
            items = query.items(name, first_key_only="conn-repeated-keys-first-only" in self.faults)
            if items is None:
                continue
            clause = self._filter_clause(name, items)
            if clause is not None:
                clauses.append(clause)
        joiner = " OR " if "conn-filters-ored" in self.faults else " AND "
        if clauses:
            page.where.append("(" + joiner.join(sql for sql, _ in clauses) + ")")
            page.params.extend(param for _, params in clauses for param in params)
        active = self._active_clause(query)
        if active is not None:  # ANDed with the id lists even under conn-filters-ored
            page.where.append(active[0])
            page.params.extend(active[1])

    def _active_clause(self, query: Query) -> tuple[str, list[Any]] | None:
        text = query.raw("active")
        if text is None:
            return None
        if text == "":
            if "conn-empty-active-means-false" in self.faults:
                return "active = 0", []
            if "empty-value-literal" in self.variants:
                return "0", []
            return None
        if "conn-bad-active-accepted" in self.faults:
            active = text != "false"
        elif text in BOOLEANS:
            active = BOOLEANS[text]
        else:
            raise BadRequest(f"active must be true or false, got {shown(text)}", "active", text)
        if not active and "conn-active-false-dropped" in self.faults:
            return None  # `if (active)` after decoding: false reads as "no filter"
        if "conn-active-inverted" in self.faults:
            active = not active  # the flag is bound as "deactivated", the column holds "active"
        return "active = ?", [int(active)]

    def _filter_clause(self, name: str, raw_items: list[str]) -> tuple[str, list[Any]] | None:
        # An empty item between literal commas (`a,,b`) breaks the partner ids' minLength; other empty pieces
        # come from encoded commas and are no value at all.
        if name in PARTNER_COLUMNS and "" in raw_items:
            raise BadRequest(f"{name} must not hold an empty value", name, "")
        items = [item for item in pieces(raw_items) if item]
        if name in ID_COLUMNS and "conn-non-uuid-ids-dropped" in self.faults:
            items = [item for item in items if UUID.fullmatch(item)]
            if not items:
                return None
        if name == "clientIds" and "conn-client-ids-first-value-only" in self.faults:
            items = items[:1]
        values = json_list(items)
        if name == "connectionIds" and "conn-connection-ids-use-partners-id" in self.faults:
            return f"partners_connection_id {IN_LIST}", [values]
        if name == "clientIds" and "conn-client-filter-uses-partner" in self.faults:
            return f"partner_id {IN_LIST}", [values]
        if name == "partnerIds" and "conn-partner-filter-ignored" in self.faults:
            invalid = [item for item in items if not UUID.fullmatch(item)]
            if invalid:
                raise BadRequest(f"partnerIds must be UUIDs, got {shown(invalid[0])}", name, invalid[0])
            return None
        if name == "partnersClientIds" and "conn-partners-client-ids-use-connection-id" in self.faults:
            return f"partners_connection_id {IN_LIST}", [values]
        if name == "partnersConnectionIds" and "conn-partners-connection-ids-ignored" in self.faults:
            return None
        column = ID_COLUMNS.get(name) or PARTNER_COLUMNS[name]
        return f"{column} {IN_LIST}", [values]

    # --- reading the store ----------------------------------------------------------------------

    def _select(self, page: _Page, limit: int, offset: int) -> list[str]:
        where = " WHERE " + " AND ".join(page.where) if page.where else ""
        sql = f"SELECT doc FROM connections{where} ORDER BY {page.order_by} LIMIT ? OFFSET ?"
        return [row[0] for row in self.store.rows(sql, [*page.params, limit, offset])]

    def _fetch(self, page: _Page) -> list[str]:
        if page.empty:
            return []
        limit = page.limit + 1 if page.size_given and "conn-page-size-plus-one" in self.faults else page.limit
        docs = self._select(page, limit, page.offset)
        if not docs and page.offset > 0 and "conn-past-end-repeats-last-page" in self.faults:
            where = " WHERE " + " AND ".join(page.where) if page.where else ""
            total = self.store.count(f"SELECT COUNT(*) FROM connections{where}", page.params)
            if total:
                docs = self._select(page, limit, (total - 1) // page.limit * page.limit)
        return docs


def _without_proof(doc: str) -> str:
    record = json.loads(doc)
    record.pop("proof", None)
    record.pop("nonce", None)
    return compact_json(record)


def _with_proposed_id(doc: str) -> str:
    """A connection the partner has not initialized, shown with the id the client proposed (the column's
    default) as its partnersConnectionId instead of null."""
    record = json.loads(doc)
    if record.get("initialized") is False:
        record["partnersConnectionId"] = f"proposed-{record['id'][:8]}"
    return compact_json(record)
