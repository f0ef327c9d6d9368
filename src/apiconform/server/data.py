"""Deterministic, realistic records for both APIs, generated from a seed.

The same seed and record count give the same records byte for byte (`random.Random` seeded with a
string is stable across runs and machines). Records are yielded one at a time so that 100,000 of
them never sit in memory as Python objects.

The data is shaped to exercise every requirement in the catalogs:

BitGo: three partners with their own currency naming ("ofcbtc", "BTC", "btc"), clients connected to
one to three partners each, allocations in every status and type, quantities from "1" to 30-digit
base-unit strings (and decimal strings for the one partner configured for them), createdAt values in
batches that share a millisecond (a batch always straddles the page boundaries at multiples of 5 up
to 200, so common page sizes split ties), updatedAt values shared by a whole settlement run, round
amounts that tie on quantity, and optional fields on some records only.

BRM: accounts in five UTC offsets with a few to dozens of adjustments each; monetary adjustments
(status COMPLETED or CREATED) and non-monetary ones (status null, a bucket, usually a validFor),
shaped like Oracle's examples; adjustments made in one batch share an instant but are written in
their accounts' offsets, so equal instants come in different texts.
"""

from __future__ import annotations

import itertools
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from apiconform.server.instants import epoch_seconds, render_utc_millis, render_with_offset

QUANTITY_INT_WIDTH = 40
QUANTITY_FRACTION_WIDTH = 12

# Page boundaries a tie on createdAt always straddles in the default order (seeded data only).
TIED_BOUNDARIES = frozenset([*range(5, 201, 5), 250, 300, 400, 500, 1000])

BITGO_START_MS = epoch_seconds(2025, 6, 1) * 1000
BITGO_SPAN_MS = 180 * 86_400_000
BRM_START_S = epoch_seconds(2024, 1, 1)
BRM_SPAN_S = 365 * 86_400
BATCH_MEAN = 2.4  # records sharing one timestamp, on average (see _group_sizes): spreads N records over the span

# BitGo's internal coin codes and their base-unit decimals.
COIN_DECIMALS = {"ofcbtc": 8, "ofceth": 18, "ofcusdt": 6, "ofcusdc": 6, "ofcsol": 9, "ofcshib": 18}
# Round amounts people allocate (in whole coins): drawn often, so quantities tie.
ROUND_AMOUNTS = {
    "ofcbtc": ("0.001", "0.01", "0.05", "0.1", "0.25", "0.5", "1", "2", "5", "10", "25"),
    "ofceth": ("0.01", "0.1", "0.5", "1", "2", "5", "10", "32", "100", "250", "1000", "5000"),
    "ofcusdt": ("10", "100", "250", "500", "1000", "5000", "10000", "50000", "100000", "1000000"),
    "ofcusdc": ("10", "100", "250", "500", "1000", "5000", "10000", "50000", "100000", "1000000"),
    "ofcsol": ("1", "5", "10", "50", "100", "1000", "10000"),
    "ofcshib": ("1000000", "10000000", "100000000", "500000000", "1000000000", "100000000000", "999999999999"),
}
# Digits of a random (non-round) base-unit quantity: (fewest, most).
RANDOM_DIGITS = {
    "ofcbtc": (4, 11),
    "ofceth": (14, 22),
    "ofcusdt": (6, 12),
    "ofcusdc": (6, 12),
    "ofcsol": (7, 13),
    "ofcshib": (19, 30),
}
DUST_QUANTITIES = ("1", "2", "5", "10", "100", "546")


@dataclass(frozen=True)
class Partner:
    """An OES partner: its id, the currency names it uses for BitGo's coins, and its quantity format."""

    id: str
    name: str
    currencies: dict[str, str]  # BitGo coin code -> the partner's name for it
    decimal_quantities: bool


@dataclass(frozen=True)
class Connection:
    """A client's connection to a partner (what BitGo's connections route lists).

    The fields after `partners_client_id` are filled in by `_described` from an RNG of their own, so the
    allocations (which draw from the main RNG) are the same as before those fields existed."""

    id: str
    client_id: str
    partner_id: str
    partners_connection_id: str | None
    partners_client_id: str | None
    name: str = ""
    network_account_id: str = ""
    created_ms: int = 0
    updated_ms: int = 0
    active: bool = True
    proof: str = ""
    nonce: str = ""
    evaluation_id: str | None = None
    policy_result: str | None = None
    # Not yet initialized by the partner: both partner-side ids are null (api.yaml: "Will be null if the
    # connection hasn't been initialized by the partner").
    initialized: bool = True

    def as_record(self) -> dict[str, Any]:
        """The connection as the connections route renders it (BitGo's V1ConnectionsGetOkPayload item)."""
        record: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "clientId": self.client_id,
            "partnerId": self.partner_id,
            "networkAccountId": self.network_account_id,
            "createdAt": render_utc_millis(self.created_ms),
            "updatedAt": render_utc_millis(self.updated_ms),
            "active": self.active,
            "proof": self.proof,
            "nonce": self.nonce,
        }
        if self.evaluation_id is not None:
            record["evaluationId"] = self.evaluation_id
        if self.policy_result is not None:
            record["policyResult"] = self.policy_result
        record["partnersConnectionId"] = self.partners_connection_id
        record["partnersClientId"] = self.partners_client_id
        record["initialized"] = self.initialized
        return record


@dataclass(frozen=True)
class AllocationRow:
    """One allocation or deallocation: the columns the store filters and sorts on, and the record itself."""

    id: str
    connection_id: str
    type: str
    status: str
    currency: str
    coin: str
    quantity: str
    created_ms: int
    updated_ms: int
    record: dict[str, Any]


@dataclass(frozen=True)
class Account:
    """A BRM account: POID id, account number, holder, the UTC offset its dates are written in."""

    id: str
    number: str
    name: str
    status: str | None
    offset_minutes: int
    currency: str
    balance_group_id: str
    bill_unit_id: str


@dataclass(frozen=True)
class AdjustmentRow:
    """One BRM adjustment: filter columns, the base record, and the AdjustBalanceOracle extension attributes."""

    id: str
    adjustment_no: str
    account_id: str
    status: str | None
    usage_type: str
    requested_s: int
    requested_text: str
    record: dict[str, Any]
    extension: dict[str, Any]


def quantity_sort_key(quantity: str) -> str:
    """A fixed-width text that sorts like the decimal number `quantity` (digits, optional fraction)."""
    whole, _, fraction = quantity.partition(".")
    whole = whole.lstrip("0") or "0"
    if len(whole) > QUANTITY_INT_WIDTH or len(fraction) > QUANTITY_FRACTION_WIDTH:
        raise ValueError(f"quantity out of the sortable range: {quantity!r}")
    return whole.zfill(QUANTITY_INT_WIDTH) + "." + fraction.ljust(QUANTITY_FRACTION_WIDTH, "0")


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _object_id(rng: random.Random) -> str:
    """A 24-hex-digit id, the shape of BitGo's enterprise and user ids."""
    return f"{rng.getrandbits(96):024x}"


def enterprise_id(seed: int) -> str:
    """The partner enterprise's id for a seed (it depends on nothing else, so a client can know it in advance)."""
    return _object_id(random.Random(f"apiconform-enterprise-{seed}"))


def _group_sizes(rng: random.Random, total: int) -> Iterator[int]:
    """Sizes of batches sharing one timestamp, in time order; no batch ends on a TIED_BOUNDARIES position."""
    position = 0
    while position < total:
        roll = rng.random()
        if roll < 0.45:
            size = 1
        elif roll < 0.70:
            size = 2
        elif roll < 0.90:
            size = rng.randint(3, 5)
        else:
            size = rng.randint(6, 12)
        while position + size in TIED_BOUNDARIES and position + size < total:
            size += 1
        size = min(size, total - position)
        position += size
        yield size


CONNECTION_LABELS = ("Main trading", "Treasury", "Market making", "Settlement", "Desk 2", "Arbitrage", "OTC")
# Connections are made before the first allocation: clients onboard over the five months before it.
CONNECTIONS_START_MS = BITGO_START_MS - 150 * 86_400_000
CONNECTIONS_SPAN_MS = 140 * 86_400_000
SAME_ONBOARDING = 0.6  # chance that a client's next connection is made in the same request (same millisecond)


def _described(connections: list[Connection], partners: list[Partner], rng: random.Random) -> list[Connection]:
    """The connections with the fields the connections route lists: name, account, times, state, proof.

    A client's connections are made at its onboarding, often several in one request (they tie on
    createdAt, so an order on createdAt alone is not total); some are deactivated after the allocation
    span (updatedAt then), some carry a policy evaluation."""
    names = {partner.id: partner.name.split()[0] for partner in partners}
    described = []
    clock = CONNECTIONS_START_MS
    gap = 2 * CONNECTIONS_SPAN_MS // max(1, len(connections))  # twice the mean: the last lands before the span ends
    previous_client = None
    for connection in connections:
        if connection.client_id != previous_client or rng.random() >= SAME_ONBOARDING:
            clock += rng.randint(1, gap)
        previous_client = connection.client_id
        active = rng.random() >= 0.2
        if active:
            updated = clock if rng.random() < 0.5 else clock + rng.randint(1_000, 86_400_000)
        else:
            updated = BITGO_START_MS + BITGO_SPAN_MS + rng.randint(86_400_000, 30 * 86_400_000)
        evaluated = rng.random() < 0.3
        described.append(
            replace(
                connection,
                name=f"{rng.choice(CONNECTION_LABELS)} - {names[connection.partner_id]}",
                network_account_id=_uuid(rng),
                created_ms=clock,
                updated_ms=updated,
                active=active,
                proof=f"{rng.getrandbits(512):0128x}",
                nonce=f"{rng.getrandbits(128):032x}",
                evaluation_id=_object_id(rng) if evaluated else None,
                policy_result="approved" if evaluated else None,
            )
        )
    return described


PENDING_CONNECTIONS = 3


def _pending(connections: list[Connection], partners: list[Partner], rng: random.Random) -> list[Connection]:
    """Connections clients made after the others that their partner has not initialized: no partner-side
    ids yet (null), `initialized` false."""
    names = {partner.id: partner.name.split()[0] for partner in partners}
    clients = sorted({connection.client_id for connection in connections})
    # A client connects to a partner once: only pairs without a connection yet.
    taken = {(connection.client_id, connection.partner_id) for connection in connections}
    free = [(client, partner) for client in clients for partner in partners if (client, partner.id) not in taken]
    clock = CONNECTIONS_START_MS + CONNECTIONS_SPAN_MS
    pending = []
    for client_id, partner in rng.sample(free, min(PENDING_CONNECTIONS, len(free))):
        clock += rng.randint(60_000, 86_400_000)
        pending.append(
            Connection(
                id=_uuid(rng),
                client_id=client_id,
                partner_id=partner.id,
                partners_connection_id=None,
                partners_client_id=None,
                name=f"{rng.choice(CONNECTION_LABELS)} - {names[partner.id]}",
                network_account_id=_uuid(rng),
                created_ms=clock,
                updated_ms=clock,
                proof=f"{rng.getrandbits(512):0128x}",
                nonce=f"{rng.getrandbits(128):032x}",
                initialized=False,
            )
        )
    return pending


PARTNER_SPECS = (
    ("Clearloop Exchange", {coin: coin for coin in ("ofcbtc", "ofceth", "ofcusdt", "ofcusdc", "ofcsol")}, False),
    ("Northwind Markets", {"ofcbtc": "BTC", "ofceth": "ETH", "ofcusdt": "USDT", "ofcusdc": "USDC", "ofcshib": "SHIB"},
     False),
    ("Kestrel Prime", {"ofcbtc": "btc", "ofceth": "eth", "ofcusdt": "usdt-erc20", "ofcsol": "sol"}, True),
)  # fmt: skip
RELEASE_REASONS = ("insufficient balance", "rejected by partner", "connection suspended", "policy rejected")
RESERVE_REASONS = ("awaiting partner confirmation", "pending approval", "awaiting settlement window")
NOTES = ("monthly rebalance", "top-up for trading", "return to custody", "margin call", "weekend liquidity")


class BitGoData:
    """The partner enterprise's connections and allocations for one seed."""

    def __init__(self, seed: int, records: int) -> None:
        self.records = records
        self.rng = random.Random(f"apiconform-bitgo-{seed}")
        rng = self.rng
        self.enterprise_id = enterprise_id(seed)
        self.partners = [
            Partner(_uuid(rng), name, dict(currencies), decimal) for name, currencies, decimal in PARTNER_SPECS
        ]
        self.users = [_object_id(rng) for _ in range(12)]
        client_count = min(40, max(4, records // 200))
        self.connections: list[Connection] = []
        for client_number in range(client_count):
            client_id = _uuid(rng)
            partners = rng.sample(self.partners, rng.choice((1, 1, 2, 2, 3)))
            for partner in partners:
                self.connections.append(
                    Connection(
                        id=_uuid(rng),
                        client_id=client_id,
                        partner_id=partner.id,
                        partners_connection_id=f"{partner.name.split()[0].lower()}-conn-{rng.randint(10**5, 10**6)}",
                        partners_client_id=f"{partner.name.split()[0].lower()}-client-{client_number:04d}",
                    )
                )
        self._connection_weights = list(itertools.accumulate(rng.paretovariate(1.5) for _ in self.connections))
        self.connections = _described(self.connections, self.partners, random.Random(f"apiconform-connections-{seed}"))
        # Connections the partner has not initialized yet hold no allocations, so they are listed by the
        # connections route only (the allocations above are drawn from `connections` alone).
        self.pending_connections = _pending(
            self.connections, self.partners, random.Random(f"apiconform-pending-{seed}")
        )
        self._partners_by_id = {partner.id: partner for partner in self.partners}
        self._mean_gap_ms = BITGO_SPAN_MS * BATCH_MEAN / max(records, 1)
        # Cleared and released records are updated by settlement runs that each cover about four batches, so a
        # run's records tie on updatedAt while their createdAt differ.
        self._settlement_run_ms = max(60_000, int(self._mean_gap_ms * 4) // 60_000 * 60_000)

    def allocations(self) -> Iterator[AllocationRow]:
        """The seeded records, in createdAt order."""
        rng = self.rng
        clock = BITGO_START_MS
        for size in _group_sizes(rng, self.records):
            # Strictly increasing, so a batch keeps its positions in the createdAt order.
            clock += int(rng.expovariate(1 / self._mean_gap_ms)) + 1
            for _ in range(size):
                yield self.allocation(clock)

    def allocation(self, created_ms: int, *, fresh: bool = False) -> AllocationRow:
        """One record created at `created_ms`; a fresh one (churn) has not been updated since."""
        rng = self.rng
        connection = rng.choices(self.connections, cum_weights=self._connection_weights)[0]
        partner = self._partners_by_id[connection.partner_id]
        coin = rng.choice(tuple(partner.currencies))
        quantity = self._quantity(coin, partner)
        kind = "allocation" if rng.random() < 0.62 else "deallocation"
        roll = rng.random()
        status = "cleared" if roll < 0.68 else "released" if roll < 0.80 else "reserved"
        if status == "reserved" or fresh:
            updated_ms = created_ms
        elif rng.random() < 0.25:
            updated_ms = created_ms + rng.randint(40, 900)  # cleared at once by the partner's API
        else:
            settled = created_ms + rng.randint(1_000, 7_200_000)
            updated_ms = (settled // self._settlement_run_ms + 1) * self._settlement_run_ms + 250
        record: dict[str, Any] = {
            "id": _uuid(rng),
            "amount": {"currency": partner.currencies[coin], "quantity": quantity},
            "connectionId": connection.id,
            "clientExternalId": f"cx-{rng.getrandbits(48):012x}",
        }
        if status != "reserved" and rng.random() < 0.7:
            record["partnerExternalId"] = f"{partner.name.split()[0].upper()}-{rng.randint(10**7, 10**8 - 1)}"
        record["initiatedBy"] = rng.choice(self.users)
        if rng.random() < 0.25:
            record["notes"] = rng.choice(NOTES)
        record["createdAt"] = render_utc_millis(created_ms)
        record["updatedAt"] = render_utc_millis(updated_ms)
        record["retriable"] = status == "reserved" or (status == "released" and rng.random() < 0.5)
        if rng.random() < 0.3:
            record["evaluationId"] = _object_id(rng)
            if status == "reserved" and rng.random() < 0.5:
                record["pendingApprovalId"] = _object_id(rng)
            else:
                record["policyResult"] = "rejected" if status == "released" and rng.random() < 0.5 else "approved"
        if status == "cleared":
            record["reason"] = None
        else:
            record["reason"] = rng.choice(RELEASE_REASONS if status == "released" else RESERVE_REASONS)
        record["status"] = status
        record["type"] = kind
        return AllocationRow(
            id=record["id"],
            connection_id=connection.id,
            type=kind,
            status=status,
            currency=partner.currencies[coin],
            coin=coin,
            quantity=quantity,
            created_ms=created_ms,
            updated_ms=updated_ms,
            record=record,
        )

    def _quantity(self, coin: str, partner: Partner) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.05:
            return rng.choice(DUST_QUANTITIES)
        if roll < 0.60:
            whole_coins = Decimal(rng.choice(ROUND_AMOUNTS[coin]))
            return str(int(whole_coins.scaleb(COIN_DECIMALS[coin])))
        fewest, most = RANDOM_DIGITS[coin]
        digits = rng.randint(fewest, most)
        quantity = str(rng.randint(10 ** (digits - 1), 10**digits - 1))
        if partner.decimal_quantities and rng.random() < 0.5:
            fraction = str(rng.randint(1, 999_999)).rstrip("0")
            quantity = f"{quantity}.{fraction}"
        return quantity


FIRST_NAMES = ("Daniel", "Danielle", "Priya", "Arjun", "Maya", "Liam", "Sofia", "Noah", "Aisha", "Kenji", "Elena",
               "Omar", "Grace", "Ravi", "Lucia", "Tomas", "Mei", "Jonas", "Amara", "Felix")  # fmt: skip
LAST_NAMES = ("Rao", "R", "Smith", "Iyer", "Okafor", "Novak", "Garcia", "Chen", "Muller", "Haddad", "Kowalski",
              "Nakamura", "Silva", "acc01", "Brown", "Patel")  # fmt: skip
# (UTC offset in minutes, currency, weight): -08:00, +05:30 and Z are Oracle's own examples.
ACCOUNT_ZONES = ((-480, "USD", 3), (330, "INR", 3), (0, "GBP", 3), (-300, "USD", 1), (60, "EUR", 1))
MONETARY_AMOUNTS = (-1.0, -3.0, -5.0, -10.0, -25.0, -0.99, -12.5, 2.5, 5.0, 10.0, 15.75, 20.0, 49.99, 100.0)
MONETARY_DESCRIPTIONS = ("", "", "", "Goodwill credit", "Late fee reversal", "Service outage credit",
                         "Billing correction", "Loyalty credit")  # fmt: skip
NONCURRENCY_UNITS = ("Free Game", "Free Minutes", "Free SMS", "Loyalty Points", "Bonus MB")
NONCURRENCY_DESCRIPTIONS = ("My Noncurrency Adjustment", "Retention bonus", "Promotional grant", "Compensation")
REASON_CODES = ("1", "1", "1", "2", "3", "5", "7")
REQUESTORS = ("Billing Care", "Billing Care", "Billing Care", "brm-rest-services-manager", "Customer Center")
BRM_PATH = "/brm/prepayBalanceManagement/v4"


def _null_ref(**values: Any) -> dict[str, Any]:
    """A TMF reference object written as Oracle writes it: every attribute present, absent ones null."""
    return {"id": None, "href": None, "name": None, "role": None, "@baseType": None, "@schemaLocation": None,
            "@type": None, "@referredType": None, **values}  # fmt: skip


class BrmData:
    """BRM accounts and their balance adjustments for one seed."""

    def __init__(self, seed: int, records: int) -> None:
        self.records = records
        self.rng = random.Random(f"apiconform-brm-{seed}")
        rng = self.rng
        account_count = max(3, records // 25)
        poids = rng.sample(range(10_000, 999_999), account_count)
        self.accounts: list[Account] = []
        for poid in poids:
            offset, currency, _ = rng.choices(ACCOUNT_ZONES, [zone[2] for zone in ACCOUNT_ZONES])[0]
            self.accounts.append(
                Account(
                    id=f"0.0.0.1+-account+{poid}",
                    number=f"0.0.0.1-{poid}",
                    name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                    status="active" if rng.random() < 0.5 else None,
                    offset_minutes=offset,
                    currency=currency,
                    balance_group_id=f"0.0.0.1+-balance_group+{poid + rng.randint(1, 400)}",
                    bill_unit_id=f"0.0.0.1+-billinfo+{poid + rng.randint(1, 400)}",
                )
            )
        # A few accounts hold dozens of adjustments, most hold a few.
        self._account_weights = list(itertools.accumulate(min(rng.paretovariate(1.1), 40.0) for _ in self.accounts))
        self._next_item_poid = rng.randint(100_000, 200_000)
        self._next_event_poid = rng.randint(20_000, 40_000)
        self._next_related_poid = rng.randint(500_000, 600_000)

    def adjustments(self) -> Iterator[AdjustmentRow]:
        """The seeded adjustments, in requestedDate order."""
        rng = self.rng
        mean_gap = BRM_SPAN_S * BATCH_MEAN / max(self.records, 1)
        clock = BRM_START_S
        for size in _group_sizes(rng, self.records):
            clock += int(rng.expovariate(1 / mean_gap)) + 1
            for _ in range(size):
                yield self.adjustment(clock)

    def adjustment(self, requested_s: int) -> AdjustmentRow:
        """One adjustment requested at `requested_s`, on a randomly chosen account."""
        rng = self.rng
        account = rng.choices(self.accounts, cum_weights=self._account_weights)[0]
        monetary = rng.random() < 0.78
        requested_text = render_with_offset(requested_s, account.offset_minutes)
        if monetary:
            poid = self._next_item_poid
            self._next_item_poid += rng.randint(1, 29)
            adjustment_id = f"0.0.0.1+-item-adjustment+{poid}"
            status: str | None = "COMPLETED" if rng.random() < 0.85 else "CREATED"
            confirmation = requested_text if status == "COMPLETED" else None
            amount = {"amount": rng.choice(MONETARY_AMOUNTS), "units": account.currency}
            description = rng.choice(MONETARY_DESCRIPTIONS)
            bucket = None
            valid_for = None
        else:
            poid = self._next_event_poid
            self._next_event_poid += rng.randint(1, 29)
            adjustment_id = f"0.0.0.1+-event-billing-debit+{poid}"
            status = None
            confirmation = requested_text
            amount = {"amount": float(rng.choice((1, 1, 2, 5, 10, 100))), "units": rng.choice(NONCURRENCY_UNITS)}
            description = rng.choice(NONCURRENCY_DESCRIPTIONS)
            bucket = {
                "id": account.balance_group_id,
                "href": f"{BRM_PATH}/bucket/{account.balance_group_id}",
                "name": None,
                "@baseType": "Bucket",
                "@schemaLocation": None,
                "@type": "Bucket",
                "@referredType": None,
            }
            valid_for = self._valid_for(requested_s, account.offset_minutes)
        party_account = {"id": account.id, "href": None, "description": None, "name": account.name,
                         "status": account.status, "@baseType": None, "@schemaLocation": None, "@type": None,
                         "@referredType": None}  # fmt: skip
        record: dict[str, Any] = {
            "id": adjustment_id,
            "href": f"{BRM_PATH}/adjustBalance/{adjustment_id}",
            "confirmationDate": confirmation,
            "description": description,
            "reason": rng.choice(REASON_CODES),
            "requestedDate": requested_text,
            "adjustType": None,
            "amount": {**amount, "@baseType": None, "@schemaLocation": None, "@type": None},
            "bucket": bucket,
            "channel": None,
            "logicalResource": None,
            "partyAccount": party_account,
            "product": None,
            "relatedParty": None,
            "requestor": _null_ref(name=rng.choice(REQUESTORS) if monetary else "brm-rest-services-manager"),
            "status": status,
            "usageType": "MONETARY" if monetary else "OTHER",
            "validFor": valid_for,
            "@baseType": "AdjustBalance",
            "@schemaLocation": None,
            "@type": "AdjustBalance",
        }
        adjustment_no = f"ADJ-{poid}"
        return AdjustmentRow(
            id=adjustment_id,
            adjustment_no=adjustment_no,
            account_id=account.id,
            status=status,
            usage_type=record["usageType"],
            requested_s=requested_s,
            requested_text=requested_text,
            record=record,
            extension=self._extension(monetary, adjustment_no, account),
        )

    def _valid_for(self, requested_s: int, offset_minutes: int) -> dict[str, Any] | None:
        rng = self.rng
        roll = rng.random()
        if roll < 0.3:
            return None
        start = requested_s + rng.randint(0, 30) * 86_400 + rng.randint(0, 86_399)
        end = start + rng.choice((30, 90, 365, 730)) * 86_400
        return {
            "endDateTime": render_with_offset(end, offset_minutes),
            # A deadline only (no start) is one of TMF's TimePeriod forms.
            "startDateTime": None if roll < 0.4 else render_with_offset(start, offset_minutes),
        }

    def _extension(self, monetary: bool, adjustment_no: str, account: Account) -> dict[str, Any]:
        """The AdjustBalanceOracle attributes (Oracle 16.26.0 GET-by-id schema)."""
        rng = self.rng
        related = self._next_related_poid
        self._next_related_poid += rng.randint(1, 50)
        action = rng.choices(("ITEM", "BILL", "ACCOUNT"), (6, 3, 1))[0] if monetary else "EVENT"
        bie_kinds = {"ITEM": ("item-cycle_forward", "Item"), "BILL": ("bill", "Bill"),
                     "EVENT": ("event-session", "Event")}  # fmt: skip
        bie: list[dict[str, Any]] = []
        if action in bie_kinds:
            kind, referred = bie_kinds[action]
            bie.append({"id": f"0.0.0.1+-{kind}+{related}", "href": None, "@referredType": referred})
        billing_cycle = None
        if monetary:
            billing_cycle = {
                "id": account.bill_unit_id,
                "href": None,
                "name": "Bill Unit(1)",
                "@referredType": "BillingCycleSpecificationOracle",
            }
        return {
            "actionType": action,
            "adjustmentNo": adjustment_no,
            "bieId": bie,
            "billingCycleSpecification": billing_cycle,
        }
