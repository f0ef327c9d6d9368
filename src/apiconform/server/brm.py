"""Oracle BRM TMF654: GET /brm/prepayBalanceManagement/v4/adjustBalance.

Behaviour is Oracle's document plus specs/DECISIONS.md; where those leave the choice to the server:

- Order: newest first, requestedDate descending (as instants) then id descending, under every filter
  (Oracle's own example lists the later adjustment first). Stable between requests (D-BRM-4).
- limit defaults to 25 and is clamped to 1000 (D-GEN-4); limit=0 is answered 200 [] with
  X-Result-Count 0 and the X-Total-Count of the query (D-GEN-3); an offset past the end is 200 []
  (D-BRM-7). Both counts are sent on every 200.
- No usageType means usageType=monetary; status and usageType compare case-insensitively (D-BRM-1).
- `id` matches the adjustment id or its adjustment number, `partyAccount.id` the account id or its
  account number (Oracle: "ID or adjustment number", "ID or account number"); ids hold `+`, so they
  must be sent as %2B (D-BRM-8).
- requestedDate operators compare instants, whatever the UTC offset, to the fraction of a second.
- `fields` keeps the listed first-level attributes plus id, href, @type, @baseType and
  @schemaLocation; unknown names are ignored (D-BRM-2). `@type=AdjustBalanceOracle` adds Oracle's
  extension attributes (actionType, adjustmentNo, bieId, billingCycleSpecification).
- An empty value is ignored as if absent (D-GEN-2); a parameter given twice is rejected.
- 400 for: @type other than AdjustBalance/AdjustBalanceOracle, limit/offset that are not digits
  only, a requestedDate value that is not an RFC 3339 date-time. Errors are TMF Error objects.
- Methods other than GET get 405 with `Allow: GET` (POST, which creates an adjustment at Oracle,
  is not implemented here). The token is required unless the server runs with BRM auth off.
- Check order: method (405), token (401), then the query (400).

Variants (server/variants.py) switch on other readings the documents allow: brm-lowercase-data,
brm-unknown-type-empty, brm-lenient-dates, brm-fields-null-keys, brm-fields-mandatory,
brm-fields-omits-nulls, brm-lenient-integers, brm-gateway-refusals, empty-value-literal and small-pages;
brm-release-15-shape writes the records as Oracle 15.0 and 15.1 document them (logicalResource and product
are arrays).
"""

from __future__ import annotations

import hmac
import json
import random
import re
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from apiconform.server.faults import FaultSet, SimulatedCrash
from apiconform.server.instants import parse_instant
from apiconform.server.params import DIGITS, BadRequest, Query, parse_count, parse_count_leniently, shown
from apiconform.server.store import SQL_MAX_INTEGER, Store, compact_json, member_first
from apiconform.server.variants import VariantSet

JSON_TYPE = "application/json;charset=utf-8"
DEFAULT_LIMIT = 25
MAX_LIMIT = 1000
RESOURCE_IDS = {"monetary": "840", "other": "1000009"}  # brm-usage-type-filter-matches-nothing
SMALL_MAX_LIMIT = 50  # the small-pages variant's maximum
MANDATORY = frozenset(("status",))  # TMF654 v4: the one required attribute of AdjustBalance (brm-fields-mandatory)
# The brm-lowercase-data variant: the stored upper-case values as a server that keeps TMF's lower case writes them.
LOWER_CASE = (
    ('"status":"COMPLETED"', '"status":"completed"'),
    ('"status":"CREATED"', '"status":"created"'),
    ('"usageType":"MONETARY"', '"usageType":"monetary"'),
    ('"usageType":"OTHER"', '"usageType":"other"'),
)
BASE_TYPE = "AdjustBalance"
ORACLE_TYPE = "AdjustBalanceOracle"
ALWAYS_KEPT = frozenset(("id", "href", "@type", "@baseType", "@schemaLocation"))
ORDER_BY = "requested_s DESC, id DESC"
HTML_500 = "<html><head><title>Error 500--Internal Server Error</title></head><body>Internal Error</body></html>"
# How every stored record ends, and how its AdjustBalanceOracle form ends.
BASE_SUFFIX = ',"@baseType":"AdjustBalance","@schemaLocation":null,"@type":"AdjustBalance"}'
ORACLE_SUFFIX = ',"@baseType":"AdjustBalance","@schemaLocation":null,"@type":"AdjustBalanceOracle"}'
DATE_PARAMS = ("requestedDate", "requestedDate.gt", "requestedDate.gte", "requestedDate.lt", "requestedDate.lte")
DATE_OPERATORS = dict(zip(DATE_PARAMS, ("=", ">", ">=", "<", "<="), strict=True))
# The query parameters that filter (paging, fields and @type do not): brm-total-count-first-filter-only.
FILTER_PARAMS = ("status", "partyAccount.id", "id", "usageType", *DATE_PARAMS)
SEEK_FROM_OFFSET = 100  # brm-offset-seek-past-100: the offset from which windows come from the keyset path
# A date-time written with a fraction of a second (brm-date-fraction-rejected), whatever its value (.000 too).
WRITTEN_FRACTION = re.compile(r"[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}\.")
# brm-date-filters-match-nothing: the stored instant as the legacy DD-MM-YYYY text, which julianday() cannot read.
LEGACY_DATE = "julianday(strftime('%d-%m-%Y %H:%M:%S', requested_s, 'unixepoch'))"


@dataclass
class _Plan:
    usage: list[str] = field(default_factory=list)  # the usage-type scope, always ANDed
    filters: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)
    order_by: str = ORDER_BY
    limit: int = DEFAULT_LIMIT
    oversize_limit: int | None = None  # the limit asked for, when it was above the maximum
    offset: int = 0
    past_any_record: bool = False
    oracle: bool = False
    fields: frozenset[str] | None = None
    count: _Plan | None = None  # the plan X-Total-Count counts, when not this one (brm-total-count-first-filter-only)


class BrmApi:
    """The handler of GET /adjustBalance for one store and one set of faults."""

    def __init__(
        self, store: Store, faults: FaultSet, token: str | None, base_url: str, variants: VariantSet | None = None
    ) -> None:
        self.store = store
        self.faults = faults
        self.variants = variants if variants is not None else VariantSet()
        self._token = token.encode() if token is not None else None
        self._href_prefix = '"href":' + json.dumps(base_url + "/brm/")[:-1]
        self._shuffle = random.Random(0)  # tie orders for brm-order-unstable

    # --- responses ------------------------------------------------------------------------------

    def error(
        self, status: int, code: str, reason: str, message: str, headers: dict[str, str] | None = None
    ) -> Response:
        """An error as a TMF Error object (code and reason required; Oracle's status code extension as text)."""
        body: dict[str, Any] = {
            "code": code,
            "reason": reason,
            "message": message,
            "status": str(status),
            "referenceError": None,
            "@baseType": None,
            "@schemaLocation": None,
            "@type": "Error",
        }
        if "brm-error-without-reason" in self.faults:
            del body["reason"]
        text = compact_json(body)
        if "brm-error-status-twice" in self.faults:
            # The HTTP status as a number from the base class, then Oracle's text extension of the same name.
            text = member_first(text, f'"status":{status}')
        return Response(text, status, headers=headers, media_type=JSON_TYPE)

    def method_not_allowed(self, method: str) -> Response:
        """405 for every method but GET (and HEAD)."""
        if method in ("PUT", "PATCH", "DELETE") and "brm-method-not-allowed-404" in self.faults:
            return self.error(404, "NOT_FOUND", "Not Found", "no resource at this path")
        # brm-gateway-refusals: Oracle's status table says 405, nothing of an Allow header (D-BRM-20).
        allow = None if "brm-gateway-refusals" in self.variants else {"Allow": "GET"}
        return self.error(405, "METHOD_NOT_ALLOWED", "Method Not Allowed", f"method {method} is not supported", allow)

    def _authorized(self, request: Request) -> bool:
        if self._token is None or "brm-auth-ignored" in self.faults:
            return True
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(credentials.strip().encode("latin-1"), self._token)

    # --- the route ------------------------------------------------------------------------------

    async def adjust_balance(self, request: Request) -> Response:
        """GET /adjustBalance."""
        if request.method not in ("GET", "HEAD"):
            return self.method_not_allowed(request.method)
        if not self._authorized(request):
            if "brm-gateway-refusals" in self.variants:
                # Oracle's 403: "The user can't be authenticated" (D-BRM-5).
                return self.error(403, "FORBIDDEN", "Forbidden", "the user can't be authenticated")
            return self.error(
                401, "UNAUTHORIZED", "Unauthorized", "a valid OAuth 2.0 access token is required",
                {"WWW-Authenticate": "Bearer"},
            )  # fmt: skip
        try:
            plan = self._plan(Query.of(request))
        except BadRequest as exc:
            return self.error(400, "INVALID_QUERY_PARAMETER", "Invalid query parameter", exc.message)
        except SimulatedCrash as crash:
            if crash.html:
                return Response(HTML_500, 500, media_type="text/html; charset=utf-8")
            return self.error(500, "INTERNAL_ERROR", "Internal Server Error", "Python int too large to convert")
        return self._answer(plan)

    def _where(self, plan: _Plan) -> str:
        where_filters = plan.filters
        if len(where_filters) > 1 and "brm-filters-ored" in self.faults:
            where_filters = ["(" + " OR ".join(where_filters) + ")"]
        conditions = plan.usage + where_filters
        return " WHERE " + " AND ".join(conditions) if conditions else ""

    def _answer(self, plan: _Plan) -> Response:
        where = self._where(plan)
        counted = plan if plan.count is None else plan.count
        if "brm-total-count-ignores-filters" in self.faults:
            total = self.store.count("SELECT COUNT(*) FROM adjustments", ())
        else:
            total = self.store.count(f"SELECT COUNT(*) FROM adjustments{self._where(counted)}", counted.params)
        if plan.offset and (plan.past_any_record or plan.offset >= total) and "brm-past-end-404" in self.faults:
            return self.error(404, "NOT_FOUND", "Not Found", "no adjustments at this offset")
        rows: list[tuple[Any, ...]] = []
        if plan.limit and not plan.past_any_record:
            sql = f"SELECT doc, ext FROM adjustments{where} ORDER BY {plan.order_by} LIMIT ? OFFSET ?"
            rows = self.store.rows(sql, [*plan.params, plan.limit, plan.offset])
        body = self._render(rows, plan)
        headers = {"X-Total-Count": str(total)}
        if total == 0 and "brm-total-count-missing-when-empty" in self.faults:
            del headers["X-Total-Count"]
        if "brm-result-count-missing" not in self.faults:
            result_count = len(rows)
            if plan.oversize_limit is not None and "brm-result-count-says-limit" in self.faults:
                result_count = plan.oversize_limit  # the header is written from the request, not from the rows
            headers["X-Result-Count"] = str(result_count)
        status = 206 if len(rows) < total and "brm-206-on-partial-page" in self.faults else 200
        media_type = "text/plain;charset=utf-8" if "brm-content-type-text-plain" in self.faults else JSON_TYPE
        return Response(body, status, headers=headers, media_type=media_type)

    def _render(self, rows: list[tuple[Any, ...]], plan: _Plan) -> str:
        unpack = self.store.adjustment_codec.unpack
        amount_as_string = "brm-amount-as-string" in self.faults
        nan_amounts = "brm-nan-amount" in self.faults
        release_15 = "brm-release-15-shape" in self.variants
        if plan.fields is None and not amount_as_string and not nan_amounts and not release_15:
            docs = [unpack(row[0]) for row in rows]
            if plan.oracle:
                unpack_extension = self.store.extension_codec.unpack
                docs = [self._extended_text(doc, unpack_extension(row[1])) for doc, row in zip(docs, rows, strict=True)]
        else:
            docs = []
            for doc, ext in rows:
                record = json.loads(unpack(doc))
                if plan.oracle:
                    record = self._extended(record, json.loads(self.store.extension_codec.unpack(ext)))
                if release_15:
                    record = _release_15_shape(record)
                if plan.fields is not None:
                    if "brm-fields-null-keys" in self.variants:
                        record = {key: value if key in plan.fields else None for key, value in record.items()}
                    else:
                        record = {key: value for key, value in record.items() if key in plan.fields}
                    if "brm-fields-omits-nulls" in self.variants:
                        record = {key: value for key, value in record.items() if value is not None}
                if amount_as_string and isinstance(record.get("amount"), dict):
                    record["amount"]["amount"] = str(record["amount"]["amount"])
                amount = record.get("amount")
                value = amount.get("amount") if isinstance(amount, dict) else None
                if nan_amounts and isinstance(amount, dict) and isinstance(value, float) and abs(value) < 1:
                    # json.dumps writes a float NaN as the bare token NaN, which is not JSON (RFC 8259).
                    amount["amount"] = float("nan")
                docs.append(compact_json(record))
        # Stored hrefs are paths; the server writes them as URLs on its own base.
        body = ("[" + ",".join(docs) + "]").replace('"href":"/brm/', self._href_prefix)
        if "brm-lowercase-data" in self.variants:
            for upper, lower in LOWER_CASE:
                body = body.replace(upper, lower)
        return body

    @staticmethod
    def _extended_text(doc: str, extension: str) -> str:
        """The AdjustBalanceOracle form of a stored record, spliced as text (no JSON round trip)."""
        if not doc.endswith(BASE_SUFFIX):  # every stored record ends so; anything else goes the slow way
            return compact_json(BrmApi._extended(json.loads(doc), json.loads(extension)))
        return doc[: -len(BASE_SUFFIX)] + "," + extension[1:-1] + ORACLE_SUFFIX

    @staticmethod
    def _extended(record: dict[str, Any], extension: dict[str, Any]) -> dict[str, Any]:
        """The AdjustBalanceOracle form: the extension attributes before the @-attributes, @type marked."""
        trailing = ("@baseType", "@schemaLocation", "@type")
        extended = {key: value for key, value in record.items() if key not in trailing}
        extended.update(extension)
        extended.update({"@baseType": BASE_TYPE, "@schemaLocation": record["@schemaLocation"], "@type": ORACLE_TYPE})
        return extended

    # --- query reading --------------------------------------------------------------------------

    def _plan(self, query: Query) -> _Plan:
        plan = _Plan()
        self._read_type(query, plan)
        fields = query.value("fields")
        # brm-fields-ignored-with-oracle-type: the extended representation is rendered by a path without projection.
        projected = "brm-fields-ignored" not in self.faults and not (
            plan.oracle and "brm-fields-ignored-with-oracle-type" in self.faults
        )
        if fields is not None and projected:
            names = fields.split(",")[:1] if "brm-fields-first-name-only" in self.faults else fields.split(",")
            plan.fields = ALWAYS_KEPT | {name.strip() for name in names}
            if "brm-fields-mandatory" in self.variants:
                plan.fields |= MANDATORY
        self._read_paging(query, plan)
        self._read_usage(query, plan)
        self._read_filters(query, plan)
        if "brm-total-count-first-filter-only" in self.faults:
            # The count is a query of its own, built from the first filter parameter only.
            first = query.first_of(FILTER_PARAMS)
            counted = query.only(() if first is None else (first,))
            plan.count = _Plan()
            self._read_usage(counted, plan.count)
            self._read_filters(counted, plan.count)
        if "brm-order-unstable" in self.faults:
            # No tiebreak: adjustments made in the same second come in whatever order this request produces.
            plan.order_by = f"requested_s DESC, (seq * {self._shuffle.randrange(1, 10**6, 2)}) % 1000003"
        return plan

    def _read_type(self, query: Query, plan: _Plan) -> None:
        kind = query.value("@type")
        if kind is None or kind == BASE_TYPE:
            return
        if kind == ORACLE_TYPE:
            if "brm-oracle-type-rejected" in self.faults:
                raise BadRequest(f"@type {ORACLE_TYPE} is not supported")
            plan.oracle = "brm-oracle-type-not-marked" not in self.faults
            return
        if "brm-unknown-type-empty" in self.variants:
            plan.filters.append("0")  # no adjustment is of that type
        elif "brm-unknown-type-accepted" not in self.faults:
            raise BadRequest(f"@type must be {BASE_TYPE} or {ORACLE_TYPE}, got {shown(kind)}")

    def _read_paging(self, query: Query, plan: _Plan) -> None:
        lenient = "brm-bad-limit-accepted" in self.faults
        parse = parse_count_leniently if "brm-lenient-integers" in self.variants else parse_count
        values: dict[str, int | None] = {}
        for name in ("limit", "offset"):
            text = query.value(name)
            if text is not None and lenient and DIGITS.fullmatch(text) is None:
                text = None
            values[name] = parse(name, text) if text is not None else None
        limit, offset = values["limit"], values["offset"]
        huge = any(value is not None and value > SQL_MAX_INTEGER for value in values.values())
        if huge and "brm-500-on-huge-offset" in self.faults:
            raise SimulatedCrash(html=False)
        if limit is None or (limit == 0 and "brm-limit-zero-uses-default" in self.faults):
            limit = DEFAULT_LIMIT
        max_limit = SMALL_MAX_LIMIT if "small-pages" in self.variants else MAX_LIMIT
        if limit > max_limit:
            plan.oversize_limit = limit
            if "brm-oversize-limit-ignores-offset" in self.faults:
                offset = None  # the clamping path builds a fresh window and forgets the offset
        plan.limit = min(limit, max_limit)
        if offset is not None and offset > 0 and "brm-offset-off-by-one" in self.faults:
            offset -= 1
        if offset is not None and offset >= SEEK_FROM_OFFSET and "brm-offset-seek-past-100" in self.faults:
            offset += 1  # the seek starts after the key of the record at position n instead of at it
        plan.offset = offset or 0
        if "brm-limit-plus-one" in self.faults and plan.limit:
            plan.limit += 1
        plan.past_any_record = plan.offset > SQL_MAX_INTEGER

    def _read_usage(self, query: Query, plan: _Plan) -> None:
        usage = query.value("usageType")
        if usage is None and "empty-value-literal" in self.variants and query.present_but_empty("usageType"):
            plan.usage.append("usage_fold = ''")  # a literal match on the empty string: nothing
        elif usage is None:
            # brm-id-lookup-any-usage-type: an id names one adjustment, so the default scope is not applied.
            id_lookup = "brm-id-lookup-any-usage-type" in self.variants and query.value("id") is not None
            if "brm-default-usage-type-all" not in self.faults and not id_lookup:
                plan.usage.append("usage_fold = 'monetary'")
        elif "brm-usage-type-filter-matches-nothing" in self.faults:
            # Translated to BRM's resource id (monetary -> 840) and then compared with the stored type name.
            plan.usage.append("usage_fold = ?")
            plan.params.append(RESOURCE_IDS.get(usage.lower(), usage))
        elif "brm-usage-type-case-sensitive" in self.faults:
            plan.usage.append("usage_type = ?")
            plan.params.append(usage)
        elif "brm-lowercase-data" in self.variants or "brm-upper-case-query-matches-nothing" in self.faults:
            plan.usage.append("usage_fold = ?")  # the stored values are lower case; the query's case counts
            plan.params.append(usage)
        else:
            plan.usage.append("usage_fold = ?")
            plan.params.append(usage.lower())

    def _read_filters(self, query: Query, plan: _Plan) -> None:
        if "brm-empty-status-means-created" in self.faults and query.present_but_empty("status"):
            plan.filters.append("status_fold = 'created'")
        if "empty-value-literal" in self.variants:
            # A literal match on "": no adjustment has an empty status, account or id.
            for name in ("status", "partyAccount.id", "id"):
                if query.present_but_empty(name):
                    plan.filters.append("0")
        status = query.value("status")
        if status is not None:
            if "brm-status-case-sensitive" in self.faults:
                self._add(plan, "status = ?", status)
            elif "brm-lowercase-data" in self.variants or "brm-upper-case-query-matches-nothing" in self.faults:
                self._add(plan, "status_fold = ?", status)  # the stored values are lower case
            else:
                self._add(plan, "status_fold = ?", status.lower())
        account = query.value("partyAccount.id")
        if account is not None:
            if "brm-account-plus-as-space" in self.faults:
                account = account.replace("+", " ")
            account_ids = [account]
            if account in self.store.account_ids:
                account_ids.append(self.store.account_ids[account])
            self._add(plan, f"account_id IN ({', '.join('?' * len(account_ids))})", *account_ids)
        adjustment = query.value("id")
        if adjustment is not None:
            if "brm-id-plus-as-space" in self.faults:
                adjustment = adjustment.replace("+", " ")
            if "brm-id-filter-matches-nothing" in self.faults:
                adjustment = adjustment.rpartition("+")[2]  # the POID number, compared with the whole stored id
            if "brm-id-prefix-match" in self.faults:
                self._add(plan, "(id LIKE ? OR adjustment_no LIKE ?)", adjustment + "%", adjustment + "%")
            elif "brm-id-ignores-adjustment-number" in self.faults:
                self._add(plan, "id = ?", adjustment)
            else:
                self._add(plan, "(id = ? OR adjustment_no = ?)", adjustment, adjustment)
        for name in DATE_PARAMS:
            text = query.value(name)
            if text is not None:
                self._read_date(plan, name, text)

    def _read_date(self, plan: _Plan, name: str, text: str) -> None:
        instant = parse_instant(text, lenient="brm-lenient-dates" in self.variants)
        if instant is None:
            if "brm-html-500-on-bad-date" in self.faults:
                raise SimulatedCrash(html=True)
            if "brm-bad-date-accepted" in self.faults:
                return
            raise BadRequest(f"{name} must be an RFC 3339 date-time (2020-01-01T12:00:27.000Z), got {shown(text)}")
        if "brm-date-fraction-rejected" in self.faults and WRITTEN_FRACTION.search(text):
            # Parsed with a pattern that has no fraction of a second, as a Java SimpleDateFormat might be.
            raise BadRequest(f"{name} must match yyyy-MM-dd'T'HH:mm:ssXXX, got {shown(text)}")
        if "brm-date-filters-match-nothing" in self.faults:
            self._add(plan, f"{LEGACY_DATE} {DATE_OPERATORS[name]} julianday(?)", text)
            return
        seconds, fraction = instant.seconds, instant.has_fraction
        # Stored instants are whole seconds; a bound with a fraction falls strictly between two of them.
        if name == "requestedDate":
            if "brm-date-eq-compared-as-text" in self.faults:
                self._add(plan, "requested_text = ?", text)
            elif fraction:
                self._add(plan, "0")
            else:
                self._add(plan, "requested_s = ?", seconds)
        elif name == "requestedDate.gt":
            inclusive = "brm-date-gt-inclusive" in self.faults
            self._add(plan, "requested_s >= ?" if inclusive else "requested_s > ?", seconds)
        elif name == "requestedDate.gte":
            exclusive = fraction or "brm-date-gte-exclusive" in self.faults
            self._add(plan, "requested_s > ?" if exclusive else "requested_s >= ?", seconds)
        elif name == "requestedDate.lt":
            inclusive = fraction or "brm-date-lt-inclusive" in self.faults
            self._add(plan, "requested_s <= ?" if inclusive else "requested_s < ?", seconds)
        else:
            exclusive = "brm-date-lte-exclusive" in self.faults
            self._add(plan, "requested_s < ?" if exclusive else "requested_s <= ?", seconds)

    @staticmethod
    def _add(plan: _Plan, clause: str, *params: Any) -> None:
        plan.filters.append(clause)
        plan.params.extend(params)


def _release_15_shape(record: dict[str, Any]) -> dict[str, Any]:
    """A record as Oracle 15.0 and 15.1 document it (TMF654's January 2020 draft): logicalResource and product
    are arrays of references, not single objects. A currency adjustment names the account's product, a
    non-currency one the logical resource of its balance group; the other array is empty."""
    shaped = dict(record)
    account = (record.get("partyAccount") or {}).get("id") or ""
    bucket = (record.get("bucket") or {}).get("id")
    reference = {"href": None, "@baseType": None, "@schemaLocation": None, "@type": None}
    shaped["product"] = [] if bucket else [
        {"id": account.replace("-account+", "-purchased_product+"), "name": "Standard Plan",
         "@referredType": "Product", **reference}
    ]  # fmt: skip
    shaped["logicalResource"] = [
        {"id": bucket.replace("-balance_group+", "-device+"), "name": None, "value": None,
         "@referredType": "LogicalResource", **reference}
    ] if bucket else []  # fmt: skip
    return shaped
