"""Every variant exists and changes behaviour the described way (direct HTTP probes, as for the faults).

Each probe asks the same question of the default server (`ok`) and of a server with only that variant
(`var`, same seed, so the same records) and asserts the difference. That the engine accepts each
variant (no failure, no warning) is measured by `bench/soak.py --variants`, not here.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from apiconform import contract
from apiconform.server import FAULTS, VARIANTS, IncompatibleVariantError, ReferenceServer, UnknownVariantError
from apiconform.server.instants import parse_instant
from apiconform.server.params import OVERFLOW, BadRequest, parse_count_leniently, parse_int_from_string
from apiconform.server.variants import _VARIANT_LIST, ALREADY_DEFAULT
from tests.server.reference_client import Client, Probes, Record, adjustments, connections, ids, page

PROBES = Probes()
probe = PROBES.register
OTHER_ENTERPRISE = "5f0c9a8b7e6d5c4b3a291807"  # well-formed, not the partner's
PREFIXES = {"bitgo-oes": "oes-", "bitgo-connections": "conn-", "brm-adjust-balance": "brm-"}


def all_adjustments(client: Client, query: Any = None) -> list[Record]:
    """Every adjustment a query matches, hrefs relative to the server."""
    records: list[Record] = json.loads(json.dumps(client.all_adjustments(query)).replace(client.server.base_url, ""))
    return records


# --- the registry -------------------------------------------------------------------------------------


def test_variant_names_are_unique_described_and_prefixed_by_their_api() -> None:
    assert len(VARIANTS) == len(_VARIANT_LIST)
    for name, variant in VARIANTS.items():
        assert name == variant.name
        assert set(variant.apis) <= set(contract.api_names()) and variant.apis
        if len(variant.apis) == 1:
            assert name.startswith(PREFIXES[variant.apis[0]])
        else:
            assert not name.startswith(tuple(PREFIXES.values()))
        for text in (variant.description, variant.basis):
            assert text and "\n" not in text
        assert name not in FAULTS and name not in ALREADY_DEFAULT


def test_variant_conflicts_name_faults_of_the_variants_apis() -> None:
    for variant in VARIANTS.values():
        for fault in variant.conflicts:
            assert FAULTS[fault].api in variant.apis, (variant.name, fault)


def test_every_variant_has_a_probe() -> None:
    assert set(PROBES) == set(VARIANTS)


def test_unknown_variants_are_refused() -> None:
    with pytest.raises(UnknownVariantError, match="oes-nonsense"):
        ReferenceServer(variants=["oes-nonsense"])


@pytest.mark.parametrize("variant, fault", sorted((v.name, fault) for v in VARIANTS.values() for fault in v.conflicts))
def test_a_variant_and_a_fault_on_the_same_behaviour_are_refused(variant: str, fault: str) -> None:
    with pytest.raises(IncompatibleVariantError, match=f"variant '{variant}' with fault '{fault}'"):
        ReferenceServer(variants=[variant], faults=[fault])


def test_variants_combine_with_each_other_and_with_other_faults(make_reference_server: Any) -> None:
    ok = Client(make_reference_server())
    every = Client(make_reference_server(variants=sorted(VARIANTS), faults=["oes-page-size-plus-one"]))
    assert len(page(every, {"pageSize": "100"})) == 51  # clamped to 50, then the fault's one too many
    assert ok.allocations({"types": "transfer"}).status_code == 400
    assert isinstance(every.allocations({"types": "transfer"}).json(), list)
    assert {r["usageType"] for r in adjustments(every, {"limit": "100"})} == {"monetary"}
    assert len(adjustments(every, {"limit": "100"})) == 50
    assert adjustments(every, {"status": ""}) == []


def _schema(api: str, status: str) -> dict[str, Any]:
    loaded = contract.load(api)
    response = loaded.resolve(loaded.operation()["responses"][status])
    return dict(response["content"]["application/json"]["schema"])


def test_every_variant_at_once_answers_within_the_specs_schemas(make_reference_server: Any) -> None:
    every = Client(make_reference_server(variants=sorted(VARIANTS)))
    # A variant one vendor release documents is judged as that release (all of them at once: one release).
    (brm_release,) = {variant.release for variant in VARIANTS.values() if "brm-adjust-balance" in variant.apis} - {None}
    bitgo, brm = contract.load("bitgo-oes"), contract.load("brm-adjust-balance", brm_release)
    page_schema = bitgo.schema_validator(_schema("bitgo-oes", "200"))
    for query in ({"pageSize": "50"}, {"pageSize": "1e2", "pageNumber": "+3"}, {"statuses": ""}):
        page_schema.validate(every.allocations(query).json())
    bitgo.schema_validator(_schema("bitgo-oes", "400")).validate(every.allocations({"types": "x"}).json())
    records = brm.schema_validator(_schema("brm-adjust-balance", "200"))
    for brm_query in (
        {"usageType": "monetary"},
        {"usageType": "other"},
        {"@type": "AdjustBalanceOracle"},
        {"fields": "amount,requestedDate"},
        {"@type": "AdjustBalanceFancy"},
        {"requestedDate.gte": "2024-06-01", "limit": "2.5"},
    ):
        records.validate(every.adjustment_records(brm_query))


@pytest.mark.parametrize(
    "text, expected",
    [("+1", 1), ("1.0", 1), ("1e2", 100), (" 7\n", 7), ("0x10", 16), ("-0", 0), (".5e1", 5), ("1e20", OVERFLOW)]
    + [(bad, None) for bad in ("1.5", "two", "-1", "Infinity", "1e400", "0x", "1_000", "\u0663", "0x" + "f" * 300)],
)
def test_page_counts_read_like_io_ts_int_from_string(text: str, expected: int | None) -> None:
    if expected is None:
        with pytest.raises(BadRequest) as raised:
            parse_int_from_string("pageSize", text)
        assert (raised.value.parameter, raised.value.value) == ("pageSize", text)
    else:
        assert parse_int_from_string("pageSize", text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [("-1", 0), ("2.5", 2), ("+3", 3), (".9", 0), ("-0.5", 0), ("9" * 40, OVERFLOW)]
    + [(bad, None) for bad in ("ten", "1e2", "0x10", "", "2.5.1", " 1")],
)
def test_brm_counts_read_leniently(text: str, expected: int | None) -> None:
    if expected is None:
        with pytest.raises(BadRequest):
            parse_count_leniently("limit", text)
    else:
        assert parse_count_leniently("limit", text) == expected


@pytest.mark.parametrize(
    "text, seconds",
    [
        ("2020-01-01", 1577836800),
        ("2020-01-01T12:00:27", 1577880027),
        ("2020-01-01T12:00:27.250", 1577880027),
        ("2020-01-01T12:00:27+01:00", 1577876427),
        ("yesterday", None),
        ("2020-02-30", None),
        ("2020-01-01T", None),
        ("2020-01-01 12:00:27", None),
        ("12:00:27", None),
    ],
)
def test_lenient_dates_take_a_date_or_a_local_time_as_utc(text: str, seconds: int | None) -> None:
    instant = parse_instant(text, lenient=True)
    assert (instant.seconds if instant else None) == seconds
    if "T" not in text or text.count(":") == 2:
        assert parse_instant(text) is None  # the strict reading refuses every one of them


# --- BRM ----------------------------------------------------------------------------------------------


def _lower(record: Record) -> Record:
    lowered = dict(record)
    for key in ("status", "usageType"):
        if isinstance(lowered[key], str):
            lowered[key] = lowered[key].lower()
    return lowered


@probe("brm-lowercase-data")
def _(ok: Client, var: Client) -> None:
    for usage in ("monetary", "other"):
        correct = all_adjustments(ok, {"usageType": usage})
        assert all_adjustments(var, {"usageType": usage}) == [_lower(r) for r in correct]
        assert {r["usageType"] for r in correct} == {usage.upper()}
        assert var.all_adjustments({"usageType": usage.upper()}) == []
    assert {r["status"] for r in var.all_adjustments()} == {"completed", "created"}
    for status in ("completed", "created"):
        assert ids(var.all_adjustments({"status": status})) == ids(ok.all_adjustments({"status": status})) != []
        assert var.adjustments({"status": status.upper()}).json() == []
    assert var.adjustments({"status": "COMPLETED"}).headers["X-Total-Count"] == "0"


@probe("brm-unknown-type-empty")
def _(ok: Client, var: Client) -> None:
    assert ok.adjustments({"@type": "AdjustBalanceFancy"}).status_code == 400
    response = var.adjustments({"@type": "AdjustBalanceFancy"})
    assert response.status_code == 200 and response.json() == []
    assert response.headers["X-Total-Count"] == response.headers["X-Result-Count"] == "0"
    for kind in ("AdjustBalance", "AdjustBalanceOracle"):
        assert adjustments(var, {"@type": kind}) == adjustments(ok, {"@type": kind}) != []


@probe("brm-lenient-dates")
def _(ok: Client, var: Client) -> None:
    for lenient, strict in (
        ({"requestedDate.gte": "2024-06-01"}, {"requestedDate.gte": "2024-06-01T00:00:00Z"}),
        ({"requestedDate.lt": "2024-06-01T12:00:27"}, {"requestedDate.lt": "2024-06-01T12:00:27Z"}),
        ({"requestedDate.lte": "2024-03-01T08:30:00.5"}, {"requestedDate.lte": "2024-03-01T08:30:00.5Z"}),
    ):
        assert ok.adjustments(lenient).status_code == 400
        correct = all_adjustments(ok, strict)
        assert correct and all_adjustments(var, lenient) == correct
    assert var.adjustments({"requestedDate": "yesterday"}).status_code == 400
    assert var.adjustments({"requestedDate.gt": "2024-13-01"}).status_code == 400


@probe("brm-fields-null-keys")
def _(ok: Client, var: Client) -> None:
    full, projected = adjustments(ok), adjustments(var, {"fields": "amount"})
    kept = {"id", "href", "amount", "@baseType", "@schemaLocation", "@type"}
    assert set(adjustments(ok, {"fields": "amount"})[0]) == kept
    assert [list(r) for r in projected] == [list(r) for r in full]  # every attribute, in the same order
    for record, projection in zip(full, projected, strict=True):
        assert projection == {key: value if key in kept else None for key, value in record.items()}
    assert any(r["status"] is not None for r in full)


@probe("brm-fields-omits-nulls")
def _(ok: Client, var: Client) -> None:
    for usage in ("monetary", "other"):
        query = {"fields": "amount,status,bucket", "usageType": usage}
        good, projected = adjustments(ok, query), adjustments(var, query)
        assert projected == [{key: value for key, value in r.items() if value is not None} for r in good] != good
    assert any(record["status"] is None for record in adjustments(ok, {"fields": "status", "usageType": "other"}))
    assert adjustments(var) == adjustments(ok)  # without fields the records keep their nulls


@probe("brm-fields-mandatory")
def _(ok: Client, var: Client) -> None:
    full, projected = adjustments(ok, {"usageType": "other"}), adjustments(var, {"fields": "amount"})
    assert "status" not in adjustments(ok, {"fields": "amount"})[0]
    assert [set(r) for r in projected] == [{*r, "status"} for r in adjustments(ok, {"fields": "amount"})]
    assert [r["status"] for r in projected] == [r["status"] for r in adjustments(ok)]
    assert {r["status"] for r in adjustments(var, {"fields": "status", "usageType": "other"})} == {None}
    assert len(full) > 0


@probe("brm-release-15-shape")
def _(ok: Client, var: Client) -> None:
    for usage in ("monetary", "other"):
        plain, shaped = adjustments(ok, {"usageType": usage}), adjustments(var, {"usageType": usage})
        assert ids(plain) == ids(shaped) and plain
        assert {(r["logicalResource"], r["product"]) for r in plain} == {(None, None)}
        assert all(isinstance(r["logicalResource"], list) and isinstance(r["product"], list) for r in shaped)
        named = "product" if usage == "monetary" else "logicalResource"
        assert all(len(r[named]) == 1 and r[named][0]["id"] for r in shaped)
        assert [{k: v for k, v in r.items() if k not in ("logicalResource", "product")} for r in shaped] == [
            {k: v for k, v in r.items() if k not in ("logicalResource", "product")} for r in plain
        ]
    assert set(adjustments(var, {"fields": "product"})[0]) >= {"product"}


@probe("brm-id-lookup-any-usage-type")
def _(ok: Client, var: Client) -> None:
    other = adjustments(ok, {"usageType": "other", "limit": "1"})
    assert other, "the data holds non-currency adjustments"
    lookup = {"id": other[0]["id"]}
    assert adjustments(ok, lookup) == []  # the default usageType=monetary hides it
    assert ids(adjustments(var, lookup)) == [other[0]["id"]]
    assert adjustments(var, {"limit": "5"}) == adjustments(ok, {"limit": "5"})  # other queries keep the default


@probe("brm-lenient-integers")
def _(ok: Client, var: Client) -> None:
    for lenient, strict in (
        ({"offset": "-1"}, {"offset": "0"}),
        ({"limit": "2.5"}, {"limit": "2"}),
        ({"limit": "-3"}, {"limit": "0"}),
        ({"offset": "+4", "limit": "3.99"}, {"offset": "4", "limit": "3"}),
    ):
        assert ok.adjustments(lenient).status_code == 400
        assert adjustments(var, lenient) == adjustments(ok, strict)
    for bad in ({"limit": "ten"}, {"offset": "1e2"}, {"limit": "0x10"}):
        assert var.adjustments(bad).status_code == 400


@probe("brm-gateway-refusals")
def _(ok: Client, var: Client) -> None:
    for token in (None, "wrong"):
        assert ok.adjustments(token=token).status_code == 401
        response = var.adjustments(token=token)
        assert response.status_code == 403 and isinstance(response.json()["reason"], str)
    assert adjustments(var) == adjustments(ok) != []
    for method in ("PUT", "PATCH", "DELETE"):
        assert ok.adjustments(method=method).headers["Allow"] == "GET"
        response = var.adjustments(method=method)
        assert response.status_code == 405 and "Allow" not in response.headers
        assert isinstance(response.json()["reason"], str)


# --- BitGo --------------------------------------------------------------------------------------------


@probe("oes-400-array-body")
def _(ok: Client, var: Client) -> None:
    for query, value in (({"types": "transfer"}, "transfer"), ({"pageSize": "two"}, "two")):
        assert isinstance(ok.allocations(query).json()["error"], str)
        response = var.allocations(query)
        assert response.status_code == 400
        body = response.json()
        assert isinstance(body, list) and all(isinstance(item, str) for item in body)
        assert body[0].startswith(f'Invalid value "{value}" supplied to ')
    assert var.allocations(token=None).json() == ok.allocations(token=None).json()  # not a 400: still an object


@probe("oes-default-sort-updated-desc")
def _(ok: Client, var: Client) -> None:
    newest_first = ok.all_allocations({"sortField": "updatedAt", "sortDirection": "DESC"})
    assert var.all_allocations() == newest_first != ok.all_allocations()
    assert var.all_allocations({"sortDirection": "ASC"}) == newest_first
    for query in ({"sortField": "quantity"}, {"sortField": "updatedAt"}, {"sortField": "id", "sortDirection": "DESC"}):
        assert var.all_allocations(query) == ok.all_allocations(query)


@probe("oes-connections-forbidden")
def _(ok: Client, var: Client) -> None:
    assert ok.get(ok.connections_url).status_code == 200
    response = var.get(var.connections_url)
    assert response.status_code == 404 and isinstance(response.json()["error"], str)
    assert var.get(var.connections_url, token=None).status_code == 401
    client_id = ok.connections()[0]["clientId"]
    assert page(var, {"clientIds": client_id}) == page(ok, {"clientIds": client_id}) != []


@probe("oes-enterprise-400")
def _(ok: Client, var: Client) -> None:
    for malformed in ("apiconform-0123abcd", OTHER_ENTERPRISE.upper(), OTHER_ENTERPRISE[:-1]):
        url = ok.enterprise_url(malformed) + "/partners/allocations"
        assert ok.get(url).status_code == 404
        response = var.get(var.enterprise_url(malformed) + "/partners/allocations")
        assert response.status_code == 400 and response.json()["error"] == "invalid enterpriseId format"
        assert var.get(var.enterprise_url(malformed) + "/partners/allocations", token=None).status_code == 401
    assert var.get(var.enterprise_url(OTHER_ENTERPRISE) + "/partners/allocations").status_code == 404
    assert var.get(var.enterprise_url("not-an-id") + "/partners/connections").status_code == 400
    assert page(var) == page(ok)


@probe("oes-int-from-string-pages")
def _(ok: Client, var: Client) -> None:
    for lenient, strict in (
        ({"pageNumber": "+1", "pageSize": "10"}, {"pageNumber": "1", "pageSize": "10"}),
        ({"pageNumber": "1.0", "pageSize": "1e1"}, {"pageNumber": "1", "pageSize": "10"}),
        ({"pageSize": "1e2"}, {"pageSize": "100"}),
        ({"pageSize": " 7 "}, {"pageSize": "7"}),
        ({"pageNumber": "-0"}, {"pageNumber": "0"}),
    ):
        assert ok.allocations(lenient).status_code == 400
        assert page(var, lenient) == page(ok, strict)
    for bad in ("1.5", "two", "-1", "Infinity", "1e400"):
        assert var.allocations({"pageNumber": bad}).status_code == 400
        assert var.allocations({"pageSize": bad}).status_code == 400


@probe("oes-currency-as-internal-code")
def _(ok: Client, var: Client) -> None:
    codes = {"ofcbtc", "ofceth", "ofcusdt", "ofcusdc", "ofcsol", "ofcshib"}
    assert {r["amount"]["currency"] for r in page(var, {"pageSize": "200"})} <= codes
    # The filter takes the partner's name: BTC finds Northwind's records, now shown as ofcbtc.
    northwind = var.all_allocations({"currencies": "BTC"})
    assert northwind and {r["amount"]["currency"] for r in northwind} == {"ofcbtc"}
    assert ids(northwind) == ids(ok.all_allocations({"currencies": "BTC"}))
    # ofcbtc finds only the partner that names it so (Clearloop), not every record shown as ofcbtc.
    assert ids(var.all_allocations({"currencies": "ofcbtc"})) == ids(ok.all_allocations({"currencies": "ofcbtc"}))


@probe("oes-record-type-twice")
def _(ok: Client, var: Client) -> None:
    records: list[list[tuple[str, Any]]] = []
    json.loads(var.allocations({"pageSize": "20"}).content, object_pairs_hook=lambda pairs: records.append(pairs))
    listed = [pairs for pairs in records if any(name == "type" for name, _ in pairs)]
    assert len(listed) == 20
    for pairs in listed:
        types = [value for name, value in pairs if name == "type"]
        assert len(types) == 2 and types[0] == types[1] and pairs[0][0] == "type"
    assert page(var, {"pageSize": "20"}) == page(ok, {"pageSize": "20"})


# --- BitGo connections ---------------------------------------------------------------------------------


@probe("conn-400-array-body")
def _(ok: Client, var: Client) -> None:
    for query, value in (({"active": "maybe"}, "maybe"), ({"pageSize": "two"}, "two")):
        assert isinstance(ok.connection_list(query).json()["error"], str)
        response = var.connection_list(query)
        assert response.status_code == 400
        body = response.json()
        assert isinstance(body, list) and all(isinstance(item, str) for item in body)
        assert body[0].startswith(f'Invalid value "{value}" supplied to ')
    assert var.connection_list(token=None).json() == ok.connection_list(token=None).json()  # still an object
    assert isinstance(var.allocations({"types": "x"}).json(), dict)  # the allocations route is not affected


@probe("conn-enterprise-400")
def _(ok: Client, var: Client) -> None:
    for malformed in ("apiconform-0123abcd", OTHER_ENTERPRISE.upper(), OTHER_ENTERPRISE[:-1]):
        assert ok.get(ok.enterprise_url(malformed) + "/partners/connections").status_code == 404
        response = var.get(var.enterprise_url(malformed) + "/partners/connections")
        assert response.status_code == 400 and response.json()["error"] == "invalid enterpriseId format"
        assert var.get(var.enterprise_url(malformed) + "/partners/connections", token=None).status_code == 401
        assert var.get(var.enterprise_url(malformed) + "/partners/allocations").status_code == 404
    assert var.get(var.enterprise_url(OTHER_ENTERPRISE) + "/partners/connections").status_code == 404
    assert connections(var) == connections(ok)


@probe("conn-int-from-string-pages")
def _(ok: Client, var: Client) -> None:
    for lenient, strict in (
        ({"pageNumber": "+1", "pageSize": "5"}, {"pageNumber": "1", "pageSize": "5"}),
        ({"pageNumber": "1.0", "pageSize": "5e0"}, {"pageNumber": "1", "pageSize": "5"}),
        ({"pageSize": " 7 "}, {"pageSize": "7"}),
    ):
        assert ok.connection_list(lenient).status_code == 400
        assert connections(var, lenient) == connections(ok, strict)
    for bad in ("1.5", "two", "-1"):
        assert var.connection_list({"pageNumber": bad}).status_code == 400
    assert var.allocations({"pageNumber": "+1"}).status_code == 400  # the allocations route is not affected


@probe("conn-newest-first")
def _(ok: Client, var: Client) -> None:
    correct = connections(ok, {"pageSize": "500"})
    newest = connections(var, {"pageSize": "500"})
    expected = sorted(sorted(correct, key=lambda r: r["id"]), key=lambda r: r["createdAt"], reverse=True)
    assert newest == expected != correct
    assert connections(var, {"pageSize": "4", "pageNumber": "1"}) == expected[4:8]


# --- every API ----------------------------------------------------------------------------------------


@probe("empty-value-literal")
def _(ok: Client, var: Client) -> None:
    for name in ("allocationIds", "types", "statuses", "currencies", "connectionIds", "partnerIds", "clientIds"):
        assert page(ok, {name: ""}) == page(ok) != []
        assert page(var, {name: ""}) == []
    assert page(var, {"statuses": "reserved"}) == page(ok, {"statuses": "reserved"}) != []
    for name in ("status", "partyAccount.id", "id", "usageType"):
        assert adjustments(ok, {name: ""}) == adjustments(ok) != []
        response = var.adjustments({name: ""})
        assert response.json() == [] and response.headers["X-Total-Count"] == "0"
    assert adjustments(var, {"status": "created"}) == adjustments(ok, {"status": "created"}) != []
    for name in ("active", "connectionIds", "clientIds", "partnerIds", "partnersClientIds", "partnersConnectionIds"):
        assert connections(ok, {name: ""}) == connections(ok) != []
        assert connections(var, {name: ""}) == []
    assert connections(var, {"active": "true"}) == connections(ok, {"active": "true"}) != []


@probe("small-pages")
def _(ok: Client, var: Client) -> None:
    assert len(page(var)) == len(page(ok)) == 25
    assert page(var, {"pageSize": "500"}) == page(ok, {"pageSize": "50"})
    # The skip is pageSize * pageNumber as asked (100), the page holds the clamped 50.
    assert page(var, {"pageSize": "100", "pageNumber": "1"}) == page(ok, {"pageSize": "50", "pageNumber": "2"})
    assert page(var, {"pageSize": "30"}) == page(ok, {"pageSize": "30"})
    assert len(adjustments(var)) == 25
    response = var.adjustments({"limit": "1000"})
    assert len(response.json()) == 50 == int(response.headers["X-Result-Count"])
    assert response.headers["X-Total-Count"] == ok.adjustments().headers["X-Total-Count"]
    assert adjustments(var, {"limit": "100", "offset": "50"}) == adjustments(ok, {"limit": "50", "offset": "50"})
    # The connections route: default and maximum 50 (the seeded connections fit in one page either way).
    assert connections(var) == connections(ok)
    assert connections(var, {"pageSize": "60", "pageNumber": "1"}) == connections(
        ok, {"pageSize": "50", "pageNumber": "1"}
    )


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variant_changes_behaviour(make_reference_server: Any, name: str) -> None:
    ok = Client(make_reference_server())
    var = Client(make_reference_server(variants=[name]))
    PROBES[name](ok, var)
