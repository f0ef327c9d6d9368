"""Every fault exists and changes behaviour the documented way (one direct HTTP probe per fault).

Each probe asks the same question of the correct server (`ok`) and of a server with only that fault
(`bad`, same seed, so the same records) and asserts the difference. That the engine detects each
fault is tested with the engine, not here.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from apiconform import contract
from apiconform.server import FAULTS
from apiconform.server.faults import _FAULT_LIST, UnknownFaultError
from tests.server.reference_client import Client, Probe, Probes, Record, adjustments, connections, ids, page

PROBES = Probes()
probe = PROBES.register
PREFIXES = {"bitgo-oes": "oes-", "bitgo-connections": "conn-", "brm-adjust-balance": "brm-"}


def unknown_uuid() -> str:
    return str(uuid.UUID(int=12345, version=4))


def repeated_names(content: bytes) -> list[tuple[str, list[Any]]]:
    """Each name an object of a JSON body holds twice, with its values in order."""
    found: list[tuple[str, list[Any]]] = []

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        names = [name for name, _ in pairs]
        found.extend(
            (name, [v for n, v in pairs if n == name]) for name in dict.fromkeys(names) if names.count(name) > 1
        )
        return dict(pairs)

    json.loads(content, object_pairs_hook=hook)
    return found


# --- the registry -------------------------------------------------------------------------------------


def test_fault_names_are_unique_and_prefixed_by_their_api() -> None:
    assert len(FAULTS) == len(_FAULT_LIST)
    for name, fault in FAULTS.items():
        assert name == fault.name
        assert name.startswith(PREFIXES[fault.api])
        assert fault.description and "\n" not in fault.description


def test_every_fault_breaks_a_requirement_of_its_apis_catalog() -> None:
    for fault in FAULTS.values():
        catalog = {requirement.id for requirement in contract.load(fault.api).requirements}
        assert fault.requirement in catalog, fault.name


def test_every_requirement_has_a_fault() -> None:
    broken = {fault.requirement for fault in FAULTS.values()}
    for api in contract.api_names():
        loaded = contract.load(api)
        # An alternate key no record carries cannot be learnt, so no run judges it and no fault can show it
        # (it is reported not exercised, saying why: DECISIONS.md D-BRM-40).
        unlearnable = {
            alternate.requirement
            for flt in loaded.semantics.filters.values()
            for alternate in flt.alternates
            if alternate.field is None
        }
        missing = [r.id for r in loaded.requirements if r.id not in broken | unlearnable]
        assert missing == [], api


def test_every_fault_has_a_probe() -> None:
    assert set(PROBES) == set(FAULTS)


def test_unknown_faults_are_refused(make_reference_server: Any) -> None:
    with pytest.raises(UnknownFaultError, match="oes-nonsense"):
        make_reference_server(faults=["oes-nonsense"])


# --- BitGo: paging ------------------------------------------------------------------------------------


@probe("oes-page-repeats-on-tie")
def _(ok: Client, bad: Client) -> None:
    first, second = page(ok, {"pageSize": "10"}), page(ok, {"pageSize": "10", "pageNumber": "1"})
    assert first[-1]["createdAt"] == second[0]["createdAt"]  # the seeded data ties across this boundary
    faulty = page(bad, {"pageSize": "10", "pageNumber": "1"})
    assert faulty[0] == first[-1] and ids(faulty[1:]) == ids(second[:9])


@probe("oes-page-size-plus-one")
def _(ok: Client, bad: Client) -> None:
    assert len(page(ok, {"pageSize": "10"})) == 10
    assert ids(page(bad, {"pageSize": "10"})) == ids(page(ok, {"pageSize": "11"}))


@probe("oes-default-page-number-one")
def _(ok: Client, bad: Client) -> None:
    assert page(bad, {"pageSize": "10"}) == page(ok, {"pageSize": "10", "pageNumber": "1"})
    assert page(bad, {"pageSize": "10", "pageNumber": "0"}) == page(ok, {"pageSize": "10"})


@probe("oes-past-end-repeats-last-page")
def _(ok: Client, bad: Client) -> None:
    assert page(ok, {"pageSize": "300", "pageNumber": "9"}) == []
    assert page(bad, {"pageSize": "300", "pageNumber": "9"}) == page(ok, {"pageSize": "300", "pageNumber": "6"})


@probe("oes-default-size-ignores-page-number")
def _(ok: Client, bad: Client) -> None:
    assert page(bad, {"pageNumber": "2"}) == page(ok)
    assert page(ok, {"pageNumber": "2"}) == page(ok, {"pageSize": "25", "pageNumber": "2"}) != page(ok)


@probe("oes-page-size-zero-uses-default")
def _(ok: Client, bad: Client) -> None:
    assert page(ok, {"pageSize": "0"}) == []
    assert page(bad, {"pageSize": "0"}) == page(ok)


@probe("oes-bad-page-accepted")
def _(ok: Client, bad: Client) -> None:
    for value in ("two", "-1", "1.5"):
        assert ok.allocations({"pageNumber": value}).status_code == 400
        assert bad.allocations({"pageNumber": value}).status_code == 200
    assert page(bad, {"pageNumber": "1.5", "pageSize": "5"}) == page(ok, {"pageNumber": "1", "pageSize": "5"})


@probe("oes-deep-pages-repeat-last")
def _(ok: Client, bad: Client) -> None:
    first_500 = page(ok, {"pageSize": "500"})
    assert page(bad, {"pageSize": "20", "pageNumber": "4"}) == first_500[80:100]  # starts at 80: right
    assert page(ok, {"pageSize": "20", "pageNumber": "5"}) == first_500[100:120]
    assert page(bad, {"pageSize": "20", "pageNumber": "5"}) == first_500[99:119]  # repeats record 99
    assert page(bad, {"pageSize": "50", "pageNumber": "3"}) == first_500[149:199]
    total = len(ok.all_allocations())
    assert page(ok, {"pageSize": str(total // 2), "pageNumber": "2"}) == []
    assert ids(page(bad, {"pageSize": str(total // 2), "pageNumber": "2"})) == ids(ok.all_allocations()[-1:])


@probe("oes-oversize-page-skips-clamped")
def _(ok: Client, bad: Client) -> None:
    everything = ok.all_allocations()
    assert ids(page(ok, {"pageSize": "600", "pageNumber": "1"})) == ids(everything[600:1100])
    assert ids(page(bad, {"pageSize": "600", "pageNumber": "1"})) == ids(everything[500:1000])
    assert page(bad, {"pageSize": "600"}) == page(ok, {"pageSize": "600"}) == page(ok, {"pageSize": "500"})
    assert page(bad, {"pageSize": "500", "pageNumber": "1"}) == page(ok, {"pageSize": "500", "pageNumber": "1"})


# --- BitGo: order -------------------------------------------------------------------------------------


def _tie_orders(records: list[Record], key: str) -> list[list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for record in records:
        groups[record[key]].append(record["id"])
    return [group for group in groups.values() if len(group) > 1]


@probe("oes-tiebreak-reversed-under-desc")
def _(ok: Client, bad: Client) -> None:
    query = {"sortField": "updatedAt", "sortDirection": "DESC"}
    correct, faulty = ok.all_allocations(query), bad.all_allocations(query)
    assert [r["updatedAt"] for r in faulty] == [r["updatedAt"] for r in correct]
    ties = _tie_orders(faulty, "updatedAt")
    assert ties and ties == [group[::-1] for group in _tie_orders(correct, "updatedAt")]


@probe("oes-quantity-sorted-as-text")
def _(ok: Client, bad: Client) -> None:
    quantities = [Decimal(r["amount"]["quantity"]) for r in bad.all_allocations({"sortField": "quantity"})]
    assert quantities != sorted(quantities)
    texts = [r["amount"]["quantity"] for r in bad.all_allocations({"sortField": "quantity"})]
    assert texts == sorted(texts)
    correct = [Decimal(r["amount"]["quantity"]) for r in ok.all_allocations({"sortField": "quantity"})]
    assert correct == sorted(correct)


@probe("oes-default-order-unstable")
def _(ok: Client, bad: Client) -> None:
    correct = page(ok, {"pageSize": "500"})
    first, second = page(bad, {"pageSize": "500"}), page(bad, {"pageSize": "500"})
    assert [r["createdAt"] for r in first] == [r["createdAt"] for r in correct]
    assert ids(first) != ids(correct) and ids(first) != ids(second)
    assert page(ok, {"pageSize": "500"}) == correct


@probe("oes-wrong-sort-key")
def _(ok: Client, bad: Client) -> None:
    faulty = page(bad, {"sortField": "updatedAt", "pageSize": "500"})
    assert faulty == page(ok, {"pageSize": "500"})
    assert faulty != page(ok, {"sortField": "updatedAt", "pageSize": "500"})


@probe("oes-desc-ignored")
def _(ok: Client, bad: Client) -> None:
    query = {"sortField": "quantity", "pageSize": "100"}
    assert page(bad, {**query, "sortDirection": "DESC"}) == page(ok, query)
    assert page(ok, {**query, "sortDirection": "DESC"}) != page(ok, query)


@probe("oes-default-direction-desc")
def _(ok: Client, bad: Client) -> None:
    query = {"sortField": "quantity", "pageSize": "100"}
    assert page(bad, query) == page(ok, {**query, "sortDirection": "DESC"})
    assert page(bad, {**query, "sortDirection": "ASC"}) == page(ok, query)


@probe("oes-bad-sort-accepted")
def _(ok: Client, bad: Client) -> None:
    for query in ({"sortField": "createdAt"}, {"sortDirection": "SIDEWAYS"}):
        assert ok.allocations(query).status_code == 400
        assert page(bad, query) == page(ok)


# --- BitGo: filters -----------------------------------------------------------------------------------


@probe("oes-unknown-allocation-id-matches-all")
def _(ok: Client, bad: Client) -> None:
    assert page(ok, {"allocationIds": unknown_uuid()}) == []
    assert page(bad, {"allocationIds": unknown_uuid()}) == page(ok)
    known = page(ok)[3]
    assert page(bad, {"allocationIds": known["id"]}) == [known]


@probe("oes-allocation-ids-first-ten")
def _(ok: Client, bad: Client) -> None:
    twelve = page(ok, {"pageSize": "12"})
    query = {"allocationIds": ",".join(ids(twelve))}
    assert page(ok, query) == twelve
    assert page(bad, query) == twelve[:10]
    ten = {"allocationIds": ",".join(ids(twelve[2:]))}
    assert page(bad, ten) == page(ok, ten) == twelve[2:]


@probe("oes-types-substring-match")
def _(ok: Client, bad: Client) -> None:
    assert {r["type"] for r in ok.all_allocations({"types": "allocation"})} == {"allocation"}
    assert {r["type"] for r in bad.all_allocations({"types": "allocation"})} == {"allocation", "deallocation"}


@probe("oes-statuses-ignored")
def _(ok: Client, bad: Client) -> None:
    assert {r["status"] for r in page(ok, {"statuses": "reserved"})} == {"reserved"}
    assert page(bad, {"statuses": "reserved"}) == page(ok)


@probe("oes-currencies-ignored-when-mapped")
def _(ok: Client, bad: Client) -> None:
    assert {r["amount"]["currency"] for r in ok.all_allocations({"currencies": "ofcbtc"})} == {"ofcbtc"}
    # Clearloop names coins by BitGo's code: filtered. Northwind and Kestrel map them: every record comes back.
    shown = {r["amount"]["currency"] for r in bad.all_allocations({"currencies": "ofcbtc"})}
    assert "ofcbtc" in shown and {"BTC", "ETH", "btc", "eth"} <= shown and "ofceth" not in shown


@probe("oes-connection-filter-widened-to-client")
def _(ok: Client, bad: Client) -> None:
    # Connections the partner has not initialized hold no allocations.
    connections = [c for c in ok.connections() if c["initialized"]]
    per_client = Counter(c["clientId"] for c in connections)
    shared = next(c for c in connections if per_client[c["clientId"]] > 1)
    correct = ok.all_allocations({"connectionIds": shared["id"]})
    assert correct and {r["connectionId"] for r in correct} == {shared["id"]}
    siblings = {c["id"] for c in connections if c["clientId"] == shared["clientId"]}
    assert {r["connectionId"] for r in bad.all_allocations({"connectionIds": shared["id"]})} == siblings


@probe("oes-partner-filter-ignored")
def _(ok: Client, bad: Client) -> None:
    partner = ok.connections()[0]["partnerId"]
    assert len(ok.all_allocations({"partnerIds": partner})) < 2000
    assert len(bad.all_allocations({"partnerIds": partner})) == 2000


@probe("oes-client-filter-uses-partner")
def _(ok: Client, bad: Client) -> None:
    client_id = ok.connections()[0]["clientId"]
    assert page(ok, {"clientIds": client_id}) != []
    assert page(bad, {"clientIds": client_id}) == []


@probe("oes-client-ids-ignored")
def _(ok: Client, bad: Client) -> None:
    client_id = ok.connections()[0]["clientId"]
    assert 0 < len(ok.all_allocations({"clientIds": client_id})) < 2000
    assert page(bad, {"clientIds": client_id}) == page(ok)
    assert page(ok, {"clientIds": unknown_uuid()}) == []
    assert page(bad, {"clientIds": unknown_uuid()}) == page(ok)


@probe("oes-types-first-value-only")
def _(ok: Client, bad: Client) -> None:
    query = {"types": "deallocation,allocation"}
    assert {r["type"] for r in ok.all_allocations(query)} == {"allocation", "deallocation"}
    assert ids(bad.all_allocations(query)) == ids(ok.all_allocations({"types": "deallocation"}))


@probe("oes-filters-ored")
def _(ok: Client, bad: Client) -> None:
    query = {"statuses": "reserved", "types": "deallocation"}
    assert {(r["status"], r["type"]) for r in ok.all_allocations(query)} == {("reserved", "deallocation")}
    assert len({(r["status"], r["type"]) for r in bad.all_allocations(query)}) == 4


@probe("oes-enum-not-validated")
def _(ok: Client, bad: Client) -> None:
    for query in ({"types": "transfer"}, {"statuses": "pending"}):
        assert ok.allocations(query).status_code == 400
        assert page(bad, query) == []


@probe("oes-currencies-empty-item-dropped")
def _(ok: Client, bad: Client) -> None:
    currency = page(ok)[0]["amount"]["currency"]
    query = f"currencies={currency},,{currency}"  # literal commas, as the engine sends them
    assert ok.allocations(query).status_code == 400
    assert page(bad, query) == page(ok, {"currencies": currency})


@probe("oes-non-uuid-ids-dropped")
def _(ok: Client, bad: Client) -> None:
    for name in ("allocationIds", "connectionIds"):
        assert page(ok, {name: "not-a-uuid"}) == []
        assert page(bad, {name: "not-a-uuid"}) == page(ok)


@probe("oes-empty-statuses-means-reserved")
def _(ok: Client, bad: Client) -> None:
    assert page(ok, {"statuses": ""}) == page(ok)
    assert page(bad, {"statuses": ""}) == page(ok, {"statuses": "reserved"}) != page(ok)
    assert page(bad, {"currencies": ""}) == page(ok)


# --- BitGo: records, errors, access -------------------------------------------------------------------


@probe("oes-quantity-as-number")
def _(ok: Client, bad: Client) -> None:
    quantities = [r["amount"]["quantity"] for r in page(bad, {"pageSize": "200"})]
    assert any(isinstance(q, int) for q in quantities) and any(isinstance(q, str) for q in quantities)
    assert all(isinstance(r["amount"]["quantity"], str) for r in page(ok, {"pageSize": "200"}))


@probe("oes-json-as-text-plain")
def _(ok: Client, bad: Client) -> None:
    assert bad.allocations().headers["Content-Type"].startswith("text/plain")
    assert bad.allocations().json() == ok.allocations().json()


@probe("oes-204-when-empty")
def _(ok: Client, bad: Client) -> None:
    assert ok.allocations({"currencies": "DOGE"}).json() == {"allocations": []}
    response = bad.allocations({"currencies": "DOGE"})
    assert response.status_code == 204 and response.content == b""


@probe("oes-reason-on-cleared")
def _(ok: Client, bad: Client) -> None:
    assert {r["reason"] for r in ok.all_allocations({"statuses": "cleared"})} == {None}
    reasons = Counter(r["reason"] for r in bad.all_allocations({"statuses": "cleared"}))
    assert reasons[None] > reasons["awaiting partner confirmation"] > 0


@probe("oes-record-status-twice")
def _(ok: Client, bad: Client) -> None:
    assert repeated_names(ok.allocations({"pageSize": "50"}).content) == []
    repeated = repeated_names(bad.allocations({"pageSize": "50"}).content)
    assert {name for name, _ in repeated} == {"status"} and any(len(set(v)) == 2 for _, v in repeated)
    assert page(bad, {"pageSize": "50"}) == page(ok, {"pageSize": "50"})  # read with the last value


@probe("oes-500-on-page-overflow")
def _(ok: Client, bad: Client) -> None:
    query = {"pageNumber": "9" * 20, "pageSize": "10"}
    assert page(ok, query) == []
    response = bad.allocations(query)
    assert response.status_code == 500 and isinstance(response.json()["error"], str)


@probe("oes-html-500-on-bad-sort")
def _(ok: Client, bad: Client) -> None:
    assert ok.allocations({"sortField": "createdAt"}).status_code == 400
    response = bad.allocations({"sortField": "createdAt"})
    assert response.status_code == 500 and response.headers["Content-Type"].startswith("text/html")


@probe("oes-error-key-renamed")
def _(ok: Client, bad: Client) -> None:
    assert "error" in ok.allocations(token=None).json()
    body = bad.allocations(token=None).json()
    assert "error" not in body and isinstance(body["message"], str)
    assert "error" in bad.allocations({"types": "x"}).json()  # 400 bodies keep their error string


@probe("oes-400-without-error")
def _(ok: Client, bad: Client) -> None:
    assert isinstance(ok.allocations({"types": "transfer"}).json()["error"], str)
    response = bad.allocations({"types": "transfer"})
    assert response.status_code == 400 and isinstance(response.json(), dict) and "error" not in response.json()


@probe("oes-auth-ignored")
def _(ok: Client, bad: Client) -> None:
    assert ok.allocations(token=None).status_code == 401
    assert bad.allocations(token=None).json() == ok.allocations().json()
    assert bad.allocations(token="wrong").status_code == 200


@probe("oes-unknown-enterprise-served")
def _(ok: Client, bad: Client) -> None:
    other = "5f0c9a8b7e6d5c4b3a291807"
    assert ok.get(ok.enterprise_url(other) + "/partners/allocations").status_code == 404
    response = bad.get(bad.enterprise_url(other) + "/partners/allocations")
    assert response.status_code == 200 and response.json() == ok.allocations().json()


# --- BitGo connections ---------------------------------------------------------------------------------


def every_connection(client: Client) -> list[Record]:
    return connections(client, {"pageSize": "500"})


@probe("conn-page-size-plus-one")
def _(ok: Client, bad: Client) -> None:
    assert len(connections(ok, {"pageSize": "5"})) == 5
    assert connections(bad, {"pageSize": "5"}) == connections(ok, {"pageSize": "6"})
    assert connections(bad) == connections(ok)  # without pageSize the default page is right


@probe("conn-later-pages-in-id-order")
def _(ok: Client, bad: Client) -> None:
    assert connections(bad, {"pageSize": "5"}) == connections(ok, {"pageSize": "5"})
    by_id = sorted(every_connection(ok), key=lambda r: r["id"])
    assert connections(bad, {"pageSize": "5", "pageNumber": "1"}) == by_id[5:10]
    assert by_id[5:10] != connections(ok, {"pageSize": "5", "pageNumber": "1"})


@probe("conn-default-page-number-one")
def _(ok: Client, bad: Client) -> None:
    assert connections(bad, {"pageSize": "5"}) == connections(ok, {"pageSize": "5", "pageNumber": "1"})
    assert connections(bad, {"pageSize": "5", "pageNumber": "0"}) == connections(ok, {"pageSize": "5"})


@probe("conn-past-end-repeats-last-page")
def _(ok: Client, bad: Client) -> None:
    total = len(every_connection(ok))
    assert connections(ok, {"pageSize": "5", "pageNumber": "9"}) == []
    last = connections(ok, {"pageSize": "5", "pageNumber": str((total - 1) // 5)})
    assert last and connections(bad, {"pageSize": "5", "pageNumber": "9"}) == last


@probe("conn-default-size-ignores-page-number")
def _(ok: Client, bad: Client) -> None:
    assert connections(ok, {"pageNumber": "1"}) == []
    assert connections(bad, {"pageNumber": "1"}) == connections(ok) != []
    assert connections(bad, {"pageNumber": "1", "pageSize": "5"}) == connections(
        ok, {"pageNumber": "1", "pageSize": "5"}
    )


@probe("conn-page-size-zero-uses-default")
def _(ok: Client, bad: Client) -> None:
    assert connections(ok, {"pageSize": "0"}) == []
    assert connections(bad, {"pageSize": "0"}) == connections(ok) != []


@probe("conn-bad-page-accepted")
def _(ok: Client, bad: Client) -> None:
    for value in ("two", "-1", "1.5"):
        assert ok.connection_list({"pageNumber": value}).status_code == 400
        assert bad.connection_list({"pageNumber": value}).status_code == 200
    assert connections(bad, {"pageNumber": "1.5", "pageSize": "5"}) == connections(
        ok, {"pageNumber": "1", "pageSize": "5"}
    )


@probe("conn-order-unstable")
def _(ok: Client, bad: Client) -> None:
    correct = every_connection(ok)
    orders = [ids(every_connection(bad)) for _ in range(5)]
    assert all(sorted(order) == sorted(ids(correct)) for order in orders)
    assert len({tuple(order) for order in orders}) > 1
    assert [r["createdAt"] for r in every_connection(bad)] == [r["createdAt"] for r in correct]


@probe("conn-connection-ids-use-partners-id")
def _(ok: Client, bad: Client) -> None:
    first = every_connection(ok)[0]
    assert connections(ok, {"connectionIds": first["id"]}) == [first]
    assert connections(bad, {"connectionIds": first["id"]}) == []
    assert connections(bad, {"connectionIds": first["partnersConnectionId"]}) == [first]


@probe("conn-client-filter-uses-partner")
def _(ok: Client, bad: Client) -> None:
    first = every_connection(ok)[0]
    assert connections(ok, {"clientIds": first["clientId"]}) != []
    assert connections(bad, {"clientIds": first["clientId"]}) == []
    assert connections(bad, {"clientIds": first["partnerId"]}) == connections(ok, {"partnerIds": first["partnerId"]})


@probe("conn-partner-filter-ignored")
def _(ok: Client, bad: Client) -> None:
    partner = every_connection(ok)[0]["partnerId"]
    assert 0 < len(connections(ok, {"partnerIds": partner})) < len(every_connection(ok))
    assert connections(bad, {"partnerIds": partner}) == connections(ok)
    assert connections(ok, {"partnerIds": "not-a-uuid"}) == []
    assert bad.connection_list({"partnerIds": "not-a-uuid"}).status_code == 400


@probe("conn-partners-client-ids-use-connection-id")
def _(ok: Client, bad: Client) -> None:
    first = every_connection(ok)[0]
    assert first in connections(ok, {"partnersClientIds": first["partnersClientId"]})
    assert connections(bad, {"partnersClientIds": first["partnersClientId"]}) == []
    assert connections(bad, {"partnersClientIds": first["partnersConnectionId"]}) == [first]


@probe("conn-partners-connection-ids-ignored")
def _(ok: Client, bad: Client) -> None:
    first = every_connection(ok)[0]
    assert connections(ok, {"partnersConnectionIds": first["partnersConnectionId"]}) == [first]
    assert connections(bad, {"partnersConnectionIds": first["partnersConnectionId"]}) == connections(ok)


@probe("conn-client-ids-first-value-only")
def _(ok: Client, bad: Client) -> None:
    clients = sorted({r["clientId"] for r in every_connection(ok)})[:2]
    both = connections(ok, {"clientIds": ",".join(clients)})
    assert {r["clientId"] for r in both} == set(clients)
    assert connections(bad, {"clientIds": ",".join(clients)}) == connections(ok, {"clientIds": clients[0]})
    assert connections(bad, {"partnerIds": ",".join(sorted({r["partnerId"] for r in both}))}) != []


@probe("conn-repeated-keys-first-only")
def _(ok: Client, bad: Client) -> None:
    every = every_connection(ok)
    first, second = sorted({r["partnerId"] for r in every})[:2]
    union = [r for r in every if r["partnerId"] in (first, second)]
    repeated = f"partnerIds={first}&partnerIds={second}"
    assert ok.connection_records(repeated) == union
    assert bad.connection_records(repeated) == [r for r in every if r["partnerId"] == first] != union
    assert bad.connection_records({"partnerIds": f"{first},{second}"}) == union


@probe("conn-filters-ored")
def _(ok: Client, bad: Client) -> None:
    first = every_connection(ok)[0]
    query = {"partnerIds": first["partnerId"], "clientIds": first["clientId"]}
    assert connections(ok, query) == [first]
    either = [
        r for r in every_connection(ok) if r["partnerId"] == first["partnerId"] or r["clientId"] == first["clientId"]
    ]
    assert connections(bad, query) == either != [first]


@probe("conn-non-uuid-ids-dropped")
def _(ok: Client, bad: Client) -> None:
    for name in ("connectionIds", "clientIds", "partnerIds"):
        assert connections(ok, {name: "not-a-uuid"}) == []
        assert connections(bad, {name: "not-a-uuid"}) == connections(ok)


@probe("conn-empty-active-means-false")
def _(ok: Client, bad: Client) -> None:
    assert connections(ok, {"active": ""}) == connections(ok)
    assert connections(bad, {"active": ""}) == connections(ok, {"active": "false"}) != []
    assert connections(bad, {"clientIds": ""}) == connections(ok)


@probe("conn-bad-active-accepted")
def _(ok: Client, bad: Client) -> None:
    assert ok.connection_list({"active": "maybe"}).status_code == 400
    assert connections(bad, {"active": "maybe"}) == connections(ok, {"active": "true"})
    assert connections(bad, {"active": "false"}) == connections(ok, {"active": "false"})


@probe("conn-active-false-dropped")
def _(ok: Client, bad: Client) -> None:
    every = every_connection(ok)
    deactivated = [r for r in every if r["active"] is False]
    assert deactivated and connections(ok, {"active": "false"}) == deactivated
    assert connections(bad, {"active": "false"}) == every
    assert connections(bad, {"active": "true"}) == connections(ok, {"active": "true"})


@probe("conn-active-inverted")
def _(ok: Client, bad: Client) -> None:
    every = every_connection(ok)
    active = [r for r in every if r["active"] is True]
    deactivated = [r for r in every if r["active"] is False]
    assert active and deactivated and len(active) + len(deactivated) == len(every)
    assert connections(ok, {"active": "true"}) == active and connections(ok, {"active": "false"}) == deactivated
    assert connections(bad, {"active": "true"}) == deactivated and connections(bad, {"active": "false"}) == active
    assert connections(bad) == connections(ok)


@probe("conn-proof-omitted")
def _(ok: Client, bad: Client) -> None:
    correct = connections(ok)
    assert all("proof" in r and "nonce" in r for r in correct)
    assert connections(bad) == [{k: v for k, v in r.items() if k not in ("proof", "nonce")} for r in correct]


@probe("conn-proposed-id-before-initialization")
def _(ok: Client, bad: Client) -> None:
    correct, shown = connections(ok), connections(bad)
    pending = [i for i, r in enumerate(correct) if r["initialized"] is False]
    assert pending and all(correct[i]["partnersConnectionId"] is None for i in pending)
    assert all(shown[i]["partnersConnectionId"] == f"proposed-{correct[i]['id'][:8]}" for i in pending)
    assert [r for i, r in enumerate(shown) if i not in pending] == [
        r for i, r in enumerate(correct) if i not in pending
    ]


@probe("conn-json-as-text-plain")
def _(ok: Client, bad: Client) -> None:
    assert ok.connection_list().headers["Content-Type"] == "application/json; charset=utf-8"
    assert bad.connection_list().headers["Content-Type"].startswith("text/plain")
    assert bad.connection_list().json() == ok.connection_list().json()


@probe("conn-204-when-empty")
def _(ok: Client, bad: Client) -> None:
    assert ok.connection_list({"clientIds": unknown_uuid()}).json() == {"connections": []}
    response = bad.connection_list({"clientIds": unknown_uuid()})
    assert response.status_code == 204 and response.content == b""


@probe("conn-record-active-twice")
def _(ok: Client, bad: Client) -> None:
    assert repeated_names(ok.connection_list().content) == []
    repeated = repeated_names(bad.connection_list().content)
    assert {name for name, _ in repeated} == {"active"} and [True, False] in [v for _, v in repeated]
    assert connections(bad) == connections(ok)


@probe("conn-500-on-page-overflow")
def _(ok: Client, bad: Client) -> None:
    query = {"pageNumber": "9" * 20, "pageSize": "10"}
    assert connections(ok, query) == []
    response = bad.connection_list(query)
    assert response.status_code == 500 and isinstance(response.json()["error"], str)


@probe("conn-error-key-renamed")
def _(ok: Client, bad: Client) -> None:
    assert "error" in ok.connection_list(token=None).json()
    body = bad.connection_list(token=None).json()
    assert "error" not in body and isinstance(body["message"], str)
    assert "error" in bad.connection_list({"active": "x"}).json()  # 400 bodies keep their error string
    assert "error" in bad.allocations(token=None).json()  # the allocations route is not affected


@probe("conn-400-without-error")
def _(ok: Client, bad: Client) -> None:
    assert isinstance(ok.connection_list({"active": "x"}).json()["error"], str)
    response = bad.connection_list({"active": "x"})
    assert response.status_code == 400 and isinstance(response.json(), dict) and "error" not in response.json()
    assert "error" in bad.allocations({"types": "x"}).json()


@probe("conn-auth-ignored")
def _(ok: Client, bad: Client) -> None:
    assert ok.connection_list(token=None).status_code == 401
    assert bad.connection_list(token=None).json() == ok.connection_list().json()
    assert bad.connection_list(token="wrong").status_code == 200
    assert bad.allocations(token=None).status_code == 401


@probe("conn-unknown-enterprise-served")
def _(ok: Client, bad: Client) -> None:
    other = "5f0c9a8b7e6d5c4b3a291807"
    assert ok.get(ok.enterprise_url(other) + "/partners/connections").status_code == 404
    response = bad.get(bad.enterprise_url(other) + "/partners/connections")
    assert response.status_code == 200 and response.json() == ok.connection_list().json()
    assert bad.get(bad.enterprise_url(other) + "/partners/allocations").status_code == 404


# --- BRM ----------------------------------------------------------------------------------------------


@probe("brm-limit-plus-one")
def _(ok: Client, bad: Client) -> None:
    response = bad.adjustments({"limit": "10"})
    assert len(response.json()) == 11 == int(response.headers["X-Result-Count"])
    assert len(adjustments(ok, {"limit": "10"})) == 10


@probe("brm-offset-off-by-one")
def _(ok: Client, bad: Client) -> None:
    assert adjustments(bad, {"offset": "10", "limit": "5"}) == adjustments(ok, {"offset": "9", "limit": "5"})
    assert adjustments(bad, {"limit": "5"}) == adjustments(ok, {"limit": "5"})


@probe("brm-offset-seek-past-100")
def _(ok: Client, bad: Client) -> None:
    window = adjustments(ok, {"limit": "300"})
    assert adjustments(bad, {"offset": "99", "limit": "5"}) == window[99:104]  # below 100: right
    assert adjustments(ok, {"offset": "100", "limit": "5"}) == window[100:105]
    assert adjustments(bad, {"offset": "100", "limit": "5"}) == window[101:106]
    assert adjustments(bad, {"offset": "250", "limit": "10"}) == window[251:261]
    response = bad.adjustments({"offset": "100", "limit": "5"})
    assert response.headers["X-Result-Count"] == "5" and response.headers["X-Total-Count"] == "1573"


@probe("brm-oversize-limit-ignores-offset")
def _(ok: Client, bad: Client) -> None:
    everything = ok.all_adjustments()
    assert ids(adjustments(ok, {"limit": "1500", "offset": "200"})) == ids(everything[200:1200])
    assert ids(adjustments(bad, {"limit": "1500", "offset": "200"})) == ids(everything[:1000])
    assert adjustments(ok, {"limit": "1001", "offset": "5000"}) == []
    assert ids(adjustments(bad, {"limit": "1001", "offset": "5000"})) == ids(everything[:1000])
    at_maximum = {"limit": "1000", "offset": "200"}
    assert adjustments(bad, at_maximum) == adjustments(ok, at_maximum)


@probe("brm-past-end-404")
def _(ok: Client, bad: Client) -> None:
    assert adjustments(ok, {"offset": "5000"}) == []
    assert bad.adjustments({"offset": "5000"}).status_code == 404
    assert adjustments(bad, {"offset": "5"}) == adjustments(ok, {"offset": "5"})


@probe("brm-limit-zero-uses-default")
def _(ok: Client, bad: Client) -> None:
    assert adjustments(ok, {"limit": "0"}) == []
    assert adjustments(bad, {"limit": "0"}) == adjustments(ok)


@probe("brm-bad-limit-accepted")
def _(ok: Client, bad: Client) -> None:
    for query in ({"limit": "ten"}, {"offset": "-1"}, {"offset": "2.5"}):
        assert ok.adjustments(query).status_code == 400
        assert adjustments(bad, query) == adjustments(ok)


@probe("brm-order-unstable")
def _(ok: Client, bad: Client) -> None:
    query = {"limit": "1000", "usageType": "other"}  # the whole result, so that no tie is cut by the window
    correct = adjustments(ok, query)
    first, second = adjustments(bad, query), adjustments(bad, query)
    assert sorted(ids(first)) == sorted(ids(correct))
    assert ids(first) != ids(second)
    assert adjustments(ok, query) == correct


@probe("brm-result-count-missing")
def _(ok: Client, bad: Client) -> None:
    assert "X-Result-Count" in ok.adjustments().headers
    assert "X-Result-Count" not in bad.adjustments().headers and "X-Total-Count" in bad.adjustments().headers


@probe("brm-result-count-says-limit")
def _(ok: Client, bad: Client) -> None:
    correct, faulty = ok.adjustments({"limit": "1500"}), bad.adjustments({"limit": "1500"})
    assert len(correct.json()) == len(faulty.json()) == 1000 == int(correct.headers["X-Result-Count"])
    assert faulty.headers["X-Result-Count"] == "1500"
    near_end = bad.adjustments({"limit": "1200", "offset": "1500"})
    assert len(near_end.json()) == 73 and near_end.headers["X-Result-Count"] == "1200"
    for query in ({"limit": "1000"}, {"limit": "7", "offset": "3"}, {"limit": "1000", "offset": "1500"}):
        assert bad.adjustments(query).headers["X-Result-Count"] == ok.adjustments(query).headers["X-Result-Count"]


@probe("brm-total-count-ignores-filters")
def _(ok: Client, bad: Client) -> None:
    query = {"status": "created"}
    assert int(ok.adjustments(query).headers["X-Total-Count"]) == len(ok.all_adjustments(query))
    assert int(bad.adjustments(query).headers["X-Total-Count"]) == 2000


@probe("brm-total-count-missing-when-empty")
def _(ok: Client, bad: Client) -> None:
    empty = {"status": "nonexistent"}
    assert ok.adjustments(empty).headers["X-Total-Count"] == "0"
    response = bad.adjustments(empty)
    assert response.json() == [] and "X-Total-Count" not in response.headers
    assert response.headers["X-Result-Count"] == "0"
    assert bad.adjustments().headers["X-Total-Count"] == ok.adjustments().headers["X-Total-Count"] != "0"


def _total(client: Client, query: Any) -> int:
    response = client.adjustments(query)
    assert response.status_code == 200, response.text
    return int(response.headers["X-Total-Count"])


@probe("brm-total-count-first-filter-only")
def _(ok: Client, bad: Client) -> None:
    account = adjustments(ok)[0]["partyAccount"]["id"]
    status_first = {"limit": "5", "status": "completed", "partyAccount.id": account}  # limit is no filter
    account_first = {"partyAccount.id": account, "fields": "status", "status": "completed"}
    both = _total(ok, status_first)
    assert both == len(ok.all_adjustments(status_first)) == _total(ok, account_first)
    assert _total(bad, status_first) == _total(ok, {"status": "completed"}) != both
    assert _total(bad, account_first) == _total(ok, {"partyAccount.id": account}) != both
    assert adjustments(bad, status_first) == adjustments(ok, status_first)
    for one in ({"status": "completed"}, {"partyAccount.id": account}, {"limit": "5"}):
        assert _total(bad, one) == _total(ok, one)
    # usageType is a filter too; when it is not the first, the count keeps the monetary default.
    assert _total(bad, {"usageType": "other", "status": "completed"}) == _total(ok, {"usageType": "other"})
    assert _total(bad, {"status": "created", "usageType": "other"}) == _total(ok, {"status": "created"})


def _encoded_query(name: str, value: str) -> str:
    return f"{name}={value.replace('+', '%2B')}"


@probe("brm-id-plus-as-space")
def _(ok: Client, bad: Client) -> None:
    wanted = adjustments(ok)[7]
    assert adjustments(ok, _encoded_query("id", wanted["id"])) == [wanted]
    assert adjustments(bad, _encoded_query("id", wanted["id"])) == []


@probe("brm-id-filter-matches-nothing")
def _(ok: Client, bad: Client) -> None:
    wanted = adjustments(ok)[7]
    assert adjustments(ok, _encoded_query("id", wanted["id"])) == [wanted]
    response = bad.adjustments(_encoded_query("id", wanted["id"]))
    assert response.json() == []
    assert response.headers["X-Total-Count"] == response.headers["X-Result-Count"] == "0"
    assert adjustments(bad) == adjustments(ok)


@probe("brm-id-prefix-match")
def _(ok: Client, bad: Client) -> None:
    records = ok.all_adjustments()
    by_prefix: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        by_prefix[record["id"][:-1]].append(record)
    prefix = max(by_prefix, key=lambda cut: len(by_prefix[cut]))  # an id without its last digit
    starting = [record for record in records if record["id"].startswith(prefix)]
    assert len(starting) > 1
    assert adjustments(ok, _encoded_query("id", prefix)) == []
    assert ids(bad.all_adjustments({"id": prefix})) == ids(starting)
    wanted = starting[0]["id"]
    assert ids(adjustments(ok, _encoded_query("id", wanted))) == [wanted]
    assert wanted in ids(adjustments(bad, _encoded_query("id", wanted)))


@probe("brm-id-ignores-adjustment-number")
def _(ok: Client, bad: Client) -> None:
    extended = ok.adjustments({"@type": "AdjustBalanceOracle", "limit": "1"}).json()[0]
    number, adjustment = extended["adjustmentNo"], extended["id"]
    assert [r["id"] for r in ok.adjustments({"id": number}).json()] == [adjustment]
    assert [r["id"] for r in bad.adjustments({"id": adjustment}).json()] == [adjustment]
    assert bad.adjustments({"id": number}).json() == []


@probe("brm-account-plus-as-space")
def _(ok: Client, bad: Client) -> None:
    account = adjustments(ok)[0]["partyAccount"]["id"]
    assert adjustments(ok, _encoded_query("partyAccount.id", account)) != []
    assert adjustments(bad, _encoded_query("partyAccount.id", account)) == []


@probe("brm-status-case-sensitive")
def _(ok: Client, bad: Client) -> None:
    assert adjustments(ok, {"status": "completed"}) == adjustments(ok, {"status": "COMPLETED"}) != []
    assert adjustments(bad, {"status": "completed"}) == []
    assert adjustments(bad, {"status": "COMPLETED"}) == adjustments(ok, {"status": "COMPLETED"})


@probe("brm-usage-type-case-sensitive")
def _(ok: Client, bad: Client) -> None:
    assert adjustments(ok, {"usageType": "other"}) != []
    assert adjustments(bad, {"usageType": "other"}) == []
    assert adjustments(bad) == adjustments(ok)


@probe("brm-usage-type-filter-matches-nothing")
def _(ok: Client, bad: Client) -> None:
    for value in ("monetary", "other", "MONETARY", "OTHER"):
        assert adjustments(ok, {"usageType": value}) != []
        assert adjustments(bad, {"usageType": value}) == []
    assert adjustments(bad) == adjustments(ok) != []


@probe("brm-upper-case-query-matches-nothing")
def _(ok: Client, bad: Client) -> None:
    for name, upper in (("status", "COMPLETED"), ("usageType", "MONETARY"), ("usageType", "OTHER")):
        assert adjustments(ok, {name: upper}) == adjustments(ok, {name: upper.lower()}) != []
        assert adjustments(bad, {name: upper}) == []
        assert adjustments(bad, {name: upper.lower()}) == adjustments(ok, {name: upper.lower()})


@probe("brm-default-usage-type-all")
def _(ok: Client, bad: Client) -> None:
    assert {r["usageType"] for r in ok.all_adjustments()} == {"MONETARY"}
    assert {r["usageType"] for r in bad.all_adjustments()} == {"MONETARY", "OTHER"}


def _tie_in_several_offsets(client: Client) -> list[Record]:
    """The monetary adjustments of one instant that is written in several UTC offsets."""
    by_instant: dict[datetime, list[Record]] = defaultdict(list)
    for record in client.all_adjustments():
        by_instant[datetime.fromisoformat(record["requestedDate"].replace("Z", "+00:00"))].append(record)
    tied = max(by_instant.values(), key=lambda records: len({r["requestedDate"] for r in records}))
    assert len({r["requestedDate"] for r in tied}) > 1
    return tied


@probe("brm-date-eq-compared-as-text")
def _(ok: Client, bad: Client) -> None:
    tied = _tie_in_several_offsets(ok)
    text = tied[0]["requestedDate"]
    faulty = bad.all_adjustments({"requestedDate": text})
    assert faulty and {r["requestedDate"] for r in faulty} == {text}
    assert len(faulty) < len(tied)


def _bound_probe(operator: str, includes_bound_when_correct: bool) -> Probe:
    def check(ok: Client, bad: Client) -> None:
        tied = _tie_in_several_offsets(ok)
        at_bound = {r["id"] for r in tied}
        bound = {f"requestedDate.{operator}": tied[-1]["requestedDate"]}
        correct = {r["id"] for r in ok.all_adjustments(bound)}
        faulty = {r["id"] for r in bad.all_adjustments(bound)}
        if includes_bound_when_correct:
            assert at_bound <= correct
        else:
            assert not at_bound & correct
        assert faulty ^ correct == at_bound  # the fault moves exactly the records at the bound

    return check


PROBES["brm-date-gt-inclusive"] = _bound_probe("gt", False)
PROBES["brm-date-gte-exclusive"] = _bound_probe("gte", True)
PROBES["brm-date-lt-inclusive"] = _bound_probe("lt", False)
PROBES["brm-date-lte-exclusive"] = _bound_probe("lte", True)


@probe("brm-filters-ored")
def _(ok: Client, bad: Client) -> None:
    account = adjustments(ok)[0]["partyAccount"]["id"]
    query = {"status": "created", "partyAccount.id": account}
    correct, faulty = ok.all_adjustments(query), bad.all_adjustments(query)
    assert all(r["status"] == "CREATED" and r["partyAccount"]["id"] == account for r in correct)
    assert len(faulty) > len(correct)
    assert any(r["status"] != "CREATED" for r in faulty) and any(r["partyAccount"]["id"] != account for r in faulty)


@probe("brm-bad-date-accepted")
def _(ok: Client, bad: Client) -> None:
    for name in ("requestedDate", "requestedDate.gt"):
        assert ok.adjustments({name: "yesterday"}).status_code == 400
        assert adjustments(bad, {name: "yesterday"}) == adjustments(ok)


@probe("brm-empty-status-means-created")
def _(ok: Client, bad: Client) -> None:
    assert adjustments(ok, {"status": ""}) == adjustments(ok)
    assert adjustments(bad, {"status": ""}) == adjustments(ok, {"status": "created"}) != adjustments(ok)
    assert adjustments(bad, {"partyAccount.id": ""}) == adjustments(ok)


DATE_FILTERS = ("requestedDate", "requestedDate.gt", "requestedDate.gte", "requestedDate.lt", "requestedDate.lte")


@probe("brm-date-filters-match-nothing")
def _(ok: Client, bad: Client) -> None:
    bound = adjustments(ok)[20]["requestedDate"]
    for name in DATE_FILTERS:
        assert adjustments(ok, {name: bound}) != [], name
        response = bad.adjustments({name: bound})
        assert response.status_code == 200 and response.json() == [], name
        assert response.headers["X-Total-Count"] == response.headers["X-Result-Count"] == "0"
    assert bad.adjustments({"requestedDate.gt": "yesterday"}).status_code == 400
    assert adjustments(bad, {"status": "created"}) == adjustments(ok, {"status": "created"})


def _with_zero_fraction(text: str) -> str:
    """The same instant in UTC, written with a .000 fraction as Oracle's example is (2020-01-01T12:00:27.000Z)."""
    instant = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    return instant.strftime("%Y-%m-%dT%H:%M:%S.000Z")


@probe("brm-date-fraction-rejected")
def _(ok: Client, bad: Client) -> None:
    plain = adjustments(ok)[20]["requestedDate"]
    fraction = _with_zero_fraction(plain)
    tmf_error_keys = ok.adjustments({"requestedDate": "yesterday"}).json().keys()
    for name in DATE_FILTERS:
        assert adjustments(ok, {name: fraction}) == adjustments(ok, {name: plain}) != [], name
        response = bad.adjustments({name: fraction})
        assert response.status_code == 400 and response.json().keys() == tmf_error_keys, name
        assert adjustments(bad, {name: plain}) == adjustments(ok, {name: plain}), name
    assert ok.adjustments({"requestedDate": "2020-01-01T12:00:27.000Z"}).status_code == 200
    assert bad.adjustments({"requestedDate": "2020-01-01T12:00:27.000Z"}).status_code == 400


@probe("brm-fields-ignored")
def _(ok: Client, bad: Client) -> None:
    assert set(adjustments(ok, {"fields": "amount"})[0]) == {"id", "href", "amount", "@baseType", "@schemaLocation",
                                                             "@type"}  # fmt: skip
    assert adjustments(bad, {"fields": "amount"}) == adjustments(ok)


@probe("brm-fields-first-name-only")
def _(ok: Client, bad: Client) -> None:
    query = {"fields": "amount,description", "limit": "5"}
    assert all({"amount", "description"} <= set(record) for record in adjustments(ok, query))
    broken = adjustments(bad, query)
    assert broken and all("amount" in record and "description" not in record for record in broken)
    assert adjustments(bad, {"fields": "amount"}) == adjustments(ok, {"fields": "amount"})


@probe("brm-fields-ignored-with-oracle-type")
def _(ok: Client, bad: Client) -> None:
    oracle = {"@type": "AdjustBalanceOracle"}
    projected = {"fields": "status", **oracle}
    extended = adjustments(ok, oracle)
    assert adjustments(ok, projected) != extended
    assert {key for r in adjustments(ok, projected) for key in r} <= {
        "id",
        "href",
        "@type",
        "@baseType",
        "@schemaLocation",
        "status",
    }
    assert adjustments(bad, projected) == extended
    for query in ({"fields": "status"}, {"fields": "status", "@type": "AdjustBalance"}):
        assert adjustments(bad, query) == adjustments(ok, query)


@probe("brm-nan-amount")
def _(ok: Client, bad: Client) -> None:
    assert "NaN" not in ok.adjustments({"limit": "1000"}).text
    broken = bad.adjustments({"limit": "1000"}).text
    assert '"amount":NaN' in broken
    with pytest.raises(ValueError):
        json.loads(broken, parse_constant=_refuse)


def _refuse(token: str) -> None:
    raise ValueError(token)


@probe("brm-oracle-type-rejected")
def _(ok: Client, bad: Client) -> None:
    assert ok.adjustments({"@type": "AdjustBalanceOracle"}).status_code == 200
    assert bad.adjustments({"@type": "AdjustBalanceOracle"}).status_code == 400


@probe("brm-oracle-type-not-marked")
def _(ok: Client, bad: Client) -> None:
    assert {r["@type"] for r in adjustments(ok, {"@type": "AdjustBalanceOracle"})} == {"AdjustBalanceOracle"}
    assert adjustments(bad, {"@type": "AdjustBalanceOracle"}) == adjustments(ok)


@probe("brm-unknown-type-accepted")
def _(ok: Client, bad: Client) -> None:
    assert ok.adjustments({"@type": "AdjustBalanceFancy"}).status_code == 400
    assert adjustments(bad, {"@type": "AdjustBalanceFancy"}) == adjustments(ok)


@probe("brm-amount-as-string")
def _(ok: Client, bad: Client) -> None:
    assert all(isinstance(r["amount"]["amount"], float) for r in adjustments(ok))
    faulty = adjustments(bad)
    assert all(isinstance(r["amount"]["amount"], str) for r in faulty)
    assert [float(r["amount"]["amount"]) for r in faulty] == [r["amount"]["amount"] for r in adjustments(ok)]


@probe("brm-content-type-text-plain")
def _(ok: Client, bad: Client) -> None:
    assert ok.adjustments().headers["Content-Type"] == "application/json;charset=utf-8"
    assert bad.adjustments().headers["Content-Type"].startswith("text/plain")


@probe("brm-206-on-partial-page")
def _(ok: Client, bad: Client) -> None:
    assert ok.adjustments({"limit": "5"}).status_code == 200
    assert bad.adjustments({"limit": "5"}).status_code == 206
    assert bad.adjustments({"limit": "1000", "usageType": "other"}).status_code == 200  # the whole result


@probe("brm-500-on-huge-offset")
def _(ok: Client, bad: Client) -> None:
    query = {"offset": "9" * 20}
    assert adjustments(ok, query) == []
    response = bad.adjustments(query)
    assert response.status_code == 500 and "code" in response.json()


@probe("brm-html-500-on-bad-date")
def _(ok: Client, bad: Client) -> None:
    assert ok.adjustments({"requestedDate": "yesterday"}).status_code == 400
    response = bad.adjustments({"requestedDate": "yesterday"})
    assert response.status_code == 500 and response.headers["Content-Type"].startswith("text/html")


@probe("brm-error-without-reason")
def _(ok: Client, bad: Client) -> None:
    assert "reason" in ok.adjustments({"limit": "ten"}).json()
    body = bad.adjustments({"limit": "ten"}).json()
    assert "reason" not in body and isinstance(body["code"], str)
    assert "reason" not in bad.adjustments(token=None).json()


@probe("brm-error-status-twice")
def _(ok: Client, bad: Client) -> None:
    assert repeated_names(ok.adjustments({"limit": "ten"}).content) == []
    assert repeated_names(bad.adjustments({"limit": "ten"}).content) == [("status", [400, "400"])]
    assert repeated_names(bad.adjustments(token=None).content) == [("status", [401, "401"])]


@probe("brm-auth-ignored")
def _(ok: Client, bad: Client) -> None:
    assert ok.adjustments(token=None).status_code == 401
    assert adjustments(bad) == adjustments(bad, token=None) == adjustments(bad, token="wrong") == adjustments(ok)


@probe("brm-method-not-allowed-404")
def _(ok: Client, bad: Client) -> None:
    for method in ("PUT", "PATCH", "DELETE"):
        assert ok.adjustments(method=method).status_code == 405
        assert bad.adjustments(method=method).status_code == 404


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_fault_changes_behaviour(make_reference_server: Any, name: str) -> None:
    ok = Client(make_reference_server())
    bad = Client(make_reference_server(faults=[name]))
    PROBES[name](ok, bad)
