"""Named variants: behaviours the vendors' documents allow and real servers show, switchable in the reference server.

A fault breaks a requirement; a variant must not. Each variant is a reading of the documents that a
real server takes (lower-case enum values, an unknown `@type` answered with no records, 400 bodies
as JSON arrays, a smaller maximum page size ...), so a run against the reference server with any
variants switched on must end without failures or warnings that the documents do not support.
`bench/soak.py --variants` runs exactly that.

Combination rule: variants combine with each other and with faults, except where a fault changes
the same behaviour as a variant (`conflicts`): such a combination is refused
(`IncompatibleVariantError`), because the server would have to pick one of two answers to the same
request and either choice would hide what the other one is meant to show.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from apiconform.server.faults import BITGO, BRM, CONNECTIONS, Switches, UnknownSwitchError

EVERY_API = (BITGO, CONNECTIONS, BRM)


@dataclass(frozen=True)
class Variant:
    """One legitimate behaviour: its name, the APIs it changes, what it does, why the documents allow it."""

    name: str
    apis: tuple[str, ...]
    description: str
    basis: str  # the DECISIONS.md entry or the document's wording that allows it
    conflicts: tuple[str, ...] = ()  # faults that change the same behaviour (refused together)
    # APIs the variant leaves nothing to test of (a route it forbids): never run together with it.
    untestable: tuple[str, ...] = ()
    # The vendor release whose documents allow it, where the default release's do not: a run judges the
    # variant's API as that release (`apiconform run --release`).
    release: str | None = None


_VARIANT_LIST = (
    # --- BRM ------------------------------------------------------------------------------------
    Variant("brm-lowercase-data", (BRM,),
            "status/usageType stored and returned in lower case (completed, created, monetary, other); "
            "status/usageType filters match case-sensitively (status=COMPLETED matches nothing)",
            "TMF654 lists the values in lower case and Oracle documents the query values in lower case "
            "(D-BRM-1); no document says upper-case query values must match",
            ("brm-status-case-sensitive", "brm-usage-type-case-sensitive", "brm-upper-case-query-matches-nothing")),
    Variant("brm-unknown-type-empty", (BRM,),
            "an @type other than AdjustBalance/AdjustBalanceOracle is answered 200 [] (both counts 0)",
            "Oracle: 'Use @type=AdjustBalance for a base object or @type=AdjustBalanceOracle for an extended "
            "object' names the two values and says nothing of others (issue 10, item 1)",
            ("brm-unknown-type-accepted",)),
    Variant("brm-lenient-dates", (BRM,),
            "requestedDate values that are date-only (2020-01-01 = midnight UTC) or without an offset "
            "(2020-01-01T12:00:27 = UTC) are accepted as instants; other text is still 400",
            "Oracle documents requestedDate as 'string' with an example, no format (issue 10, item 2)"),
    Variant("brm-fields-null-keys", (BRM,),
            "with fields, unlisted attributes are kept with the value null instead of being dropped",
            "TMF630 attribute selection does not say whether unselected attributes are omitted or nulled; "
            "Oracle's examples write null for absent values (D-BRM-2, issue 10, item 5)",
            ("brm-fields-ignored",)),
    Variant("brm-fields-omits-nulls", (BRM,),
            "with fields, an attribute whose value is null is left out, listed or not (the projection is written "
            "by a serialiser set to omit null attributes); members of the objects it keeps are written as they are",
            "Oracle's records write null for absent values, and the suite takes null and absent alike for listed "
            "attributes as for unlisted ones (D-BRM-2, issue 23, item 6)",
            ("brm-fields-ignored",)),
    Variant("brm-fields-mandatory", (BRM,),
            "with fields, TMF654's mandatory attribute status is returned besides the listed ones",
            "TMF654 v4's swagger declares AdjustBalance with required: [status] "
            "(specs/brm-tmf654/sources/tmf654-v4-swagger-adjustbalance.txt; issue 10, item 5)",
            ("brm-fields-ignored",)),
    Variant("brm-id-lookup-any-usage-type", (BRM,),
            "an id lookup without usageType returns the adjustment whatever its usage type (the default "
            "usageType=monetary applies to every other query)",
            "Oracle: id 'Retrieves the adjustment with the specified ID' and 'If usageType is not specified, "
            "only currency balance adjustments are retrieved' pull both ways for an id lookup (D-BRM-11)",
            ("brm-default-usage-type-all",)),
    Variant("brm-lenient-integers", (BRM,),
            "offset/limit read as numbers: a negative value counts as 0, a fraction is truncated "
            "(offset=-1 -> 0, limit=2.5 -> 2); text that is no number is still 400",
            "Oracle documents offset and limit as 'integer' only (issue 10, item 8)",
            ("brm-bad-limit-accepted",)),
    Variant("brm-gateway-refusals", (BRM,),
            "as an API gateway in front of BRM may answer: a request without a token or with a wrong one gets 403 "
            "(TMF Error, code FORBIDDEN) instead of 401, and PUT, PATCH and DELETE get 405 without an Allow header",
            "Oracle's status codes: '403 Forbidden The user can't be authenticated' (D-BRM-5); 405 for a method "
            "'not supported for this request URI', nothing of an Allow header, which is RFC 9110's (D-BRM-20); "
            "issue 23, items 2 and 3",
            ("brm-auth-ignored", "brm-method-not-allowed-404")),
    Variant("brm-release-15-shape", (BRM,),
            "records shaped as Oracle 15.0 and 15.1 document them: logicalResource and product are arrays of "
            "references (a currency adjustment's product, a non-currency one's logical resource; else [])",
            "Oracle's 15.0 and 15.1 'Get an Adjusted Balance by ID' pages: 'logicalResource Type: array', "
            "'product Type: array' (TMF654's January 2020 draft; D-BRM-30)",
            release="15.0"),
    # --- BitGo ----------------------------------------------------------------------------------
    Variant("oes-400-array-body", (BITGO,),
            "400 bodies are a JSON array of strings ['Invalid value \"x\" supplied to ...'], "
            "the api-ts router's default answer to a failed decode",
            "api-ts' typed-express-router formats a decode failure with io-ts PathReporter.failure, a string[] "
            "(specs/bitgo-oes/sources/bitgo-api-ts-errors.ts.txt; D-OES-7, issue 10, item 11)",
            ("oes-400-without-error",)),
    Variant("oes-default-sort-updated-desc", (BITGO,),
            "without sortField the records come ordered by updatedAt descending, then createdAt and id "
            "ascending (the final sort)",
            "BitGo: the final sort createdAt, id is 'always applied'; the document never says there is no "
            "default primary sort field (issue 10, item 13)",
            ("oes-default-order-unstable",)),
    Variant("oes-connections-forbidden", (BITGO,),
            "GET .../partners/connections is answered 404 (a token without that permission)",
            "the connections route is another route with its own permissions; D-OES-8 checks partner and "
            "client filters without it when it cannot be read",
            untestable=(CONNECTIONS,)),
    Variant("oes-enterprise-400", (BITGO,),
            "an enterpriseId that is not 24 hex digits is answered 400 {\"error\": \"invalid enterpriseId "
            "format\"}; a well-formed unknown one is still 404",
            "BitGo documents 400 'invalid enterpriseId format' on sibling routes (issue 10, item 10)",
            ("oes-unknown-enterprise-served",)),
    Variant("oes-int-from-string-pages", (BITGO,),
            "pageNumber/pageSize parsed like io-ts IntFromString (JavaScript Number(), then an integer check): "
            "'+1', '1.0', '1e2' are 1, 1, 100; '1.5', 'two' and negative values are 400",
            "BitGo declares the page parameters as io-ts IntFromString strings (issue 10, item 9)",
            ("oes-bad-page-accepted",)),
    Variant("oes-currency-as-internal-code", (BITGO,),
            "amount.currency is written as BitGo's internal code (ofcbtc) while the currencies filter takes "
            "each partner's own name (BTC, btc): currencies=ofcbtc finds only the partner that names it so",
            "BitGo: 'Optional array of partner mapped currencies'; nothing says amount.currency is written in "
            "the partner's mapping (D-OES-20, issue 23, item 1)"),
    Variant("oes-record-type-twice", (BITGO,),
            "each record writes its type twice, with the same value: \"type\" first (the encoder's "
            "discriminator), then the record's own field",
            "RFC 8259 says names SHOULD be unique, no document of BitGo's says more; a name repeated with the same "
            "value reads the same in every parser that reads it (D-GEN-41, issue 23, item 7)"),
    # --- BitGo connections ----------------------------------------------------------------------
    Variant("conn-400-array-body", (CONNECTIONS,),
            "400 bodies of the connections route are a JSON array of strings ['Invalid value \"x\" supplied to "
            "...'], the api-ts router's default answer to a failed decode",
            "api-ts' typed-express-router formats a decode failure with io-ts PathReporter.failure, a string[] "
            "(specs/bitgo-connections/sources/bitgo-api-ts-errors.ts.txt; D-OES-7, D-CONN-6)",
            ("conn-400-without-error",)),
    Variant("conn-enterprise-400", (CONNECTIONS,),
            "on the connections route an enterpriseId that is not 24 hex digits is answered 400 {\"error\": "
            "\"invalid enterpriseId format\"}; a well-formed unknown one is still 404",
            "the route declares 400 for 'request parameters [that] are invalid or malformed' (D-CONN-5)",
            ("conn-unknown-enterprise-served",)),
    Variant("conn-int-from-string-pages", (CONNECTIONS,),
            "on the connections route pageNumber/pageSize are parsed like io-ts IntFromString: '+1', '1.0', "
            "'1e2' are 1, 1, 100; '1.5', 'two' and negative values are 400",
            "BitGo declares the page parameters as io-ts IntFromString strings (D-OES-6, D-CONN-6)",
            ("conn-bad-page-accepted",)),
    Variant("conn-newest-first", (CONNECTIONS,),
            "connections are listed newest first (createdAt descending, then id ascending)",
            "the route documents no order, only paging through one (D-CONN-3)",
            ("conn-order-unstable",)),
    # --- every API --------------------------------------------------------------------------------
    Variant("empty-value-literal", EVERY_API,
            "an empty filter value (statuses=, currencies=, active=, clientIds=, status=, partyAccount.id=, ...) "
            "is a literal match on the empty string: 200 with no records",
            "no document says what an empty value means; a literal match is as reasonable as ignoring "
            "it or rejecting it (D-GEN-2, issue 10, item 6)",
            ("oes-empty-statuses-means-reserved", "conn-empty-active-means-false", "brm-empty-status-means-created")),
    Variant("small-pages", EVERY_API,
            "maximum page size 50 (default 25; on the connections route 50): a larger pageSize/limit is clamped "
            "to 50 (200 with 50 records; pageNumber still skips pageSize * pageNumber records as asked)",
            "the server picks its default and maximum page size and may clamp (D-GEN-4)"),
)  # fmt: skip

VARIANTS: dict[str, Variant] = {variant.name: variant for variant in _VARIANT_LIST}

# Behaviours that would have been variants but are already the reference server's default.
ALREADY_DEFAULT = {
    "total-count-zero-when-empty": "the BRM server always sends X-Total-Count, as 0 on an empty result",
}


class UnknownVariantError(UnknownSwitchError):
    """A variant name that is not in VARIANTS."""

    kind = "variant"
    known = VARIANTS


class IncompatibleVariantError(ValueError):
    """A variant switched on with a fault that changes the same behaviour."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self.pairs = sorted(pairs)
        listed = "; ".join(f"variant {variant!r} with fault {fault!r}" for variant, fault in self.pairs)
        super().__init__(f"cannot combine {listed}: both change the same behaviour")


def conflicts(variants: Iterable[str], faults: Iterable[str]) -> list[tuple[str, str]]:
    """The (variant, fault) pairs that change the same behaviour."""
    wanted = set(faults)
    return sorted((name, fault) for name in set(variants) for fault in VARIANTS[name].conflicts if fault in wanted)


class VariantSet(Switches):
    """The variants switched on for one server; one that changes what a switched-on fault changes is refused."""

    unknown_error = UnknownVariantError

    def __init__(self, names: Iterable[str] = (), faults: Iterable[str] = ()) -> None:
        super().__init__(names)
        clashes = conflicts(self.names, faults)
        if clashes:
            raise IncompatibleVariantError(clashes)
