"""The reference server's storage: one in-memory SQLite database holding both APIs' records.

Each record is kept as its rendered JSON next to the columns that filters and sorts use, so a page is
one indexed SQL query with LIMIT/OFFSET; Python never sorts a result set. Quantities (up to 30+
digits, past what SQLite integers hold) sort through a fixed-width text key; timestamps are epoch
integers.

Every index below serves a query the handlers send: the default BitGo order (createdAt, id), each
sortField in each direction with the ascending createdAt/id tiebreak, connection filters, and BRM's
newest-first order within a usage type, a status or an account. BitGo's order indexes also carry the
filtered columns (connection, status, type, currency), so a filtered page is read from the index in
order, and a table row is read only for the records the page returns.

The JSON is stored deflated with a preset dictionary of typical records (`DocCodec`): records of one
API share most of their text (keys, nulls), so a 1 kB BRM record takes about 70 bytes and 100,000
records per API fit the memory budget; inflating a page of them costs microseconds.

The store belongs to the event-loop thread that serves requests; a lock still guards it so that a
caller in another thread (a test calling reset) cannot interleave with a query.
"""

from __future__ import annotations

import copy
import itertools
import json
import sqlite3
import threading
import zlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from apiconform.server.data import (
    AdjustmentRow,
    AllocationRow,
    BitGoData,
    BrmData,
    Connection,
    quantity_sort_key,
)

SQL_MAX_INTEGER = 2**63 - 1
_COUNT_CACHE_LIMIT = 4096
_CODEC_SAMPLES = 64
_RowT = TypeVar("_RowT")

_SCHEMA = """
CREATE TABLE connections (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL,
    partner_id TEXT NOT NULL,
    partners_client_id TEXT,
    partners_connection_id TEXT,
    active INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE TABLE allocations (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    conn INTEGER NOT NULL,  -- the connection's seq: a small key that order indexes can carry
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    currency TEXT NOT NULL,
    coin TEXT NOT NULL,
    quantity TEXT NOT NULL,
    quantity_key TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    doc BLOB NOT NULL
);
CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    number TEXT NOT NULL UNIQUE
);
CREATE TABLE adjustments (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    adjustment_no TEXT NOT NULL,
    account_id TEXT NOT NULL,
    status TEXT,
    status_fold TEXT,
    usage_type TEXT NOT NULL,
    usage_fold TEXT NOT NULL,
    requested_s INTEGER NOT NULL,
    requested_text TEXT NOT NULL,
    doc BLOB NOT NULL,
    ext BLOB NOT NULL
);
"""

_INDEXES = """
CREATE INDEX allocations_id ON allocations (id, conn, status, type, currency);
CREATE INDEX allocations_created ON allocations (created_ms, id, conn, status, type, currency);
CREATE INDEX allocations_updated ON allocations (updated_ms, created_ms, id, conn, status, type, currency);
CREATE INDEX allocations_updated_desc ON allocations (updated_ms DESC, created_ms, id, conn, status, type, currency);
CREATE INDEX allocations_quantity ON allocations (quantity_key, created_ms, id, conn, status, type, currency);
CREATE INDEX allocations_quantity_desc ON allocations (quantity_key DESC, created_ms, id, conn, status, type, currency);
CREATE INDEX allocations_connection ON allocations (conn, created_ms, id);
CREATE INDEX connections_partner ON connections (partner_id);
CREATE INDEX connections_client ON connections (client_id);
CREATE UNIQUE INDEX adjustments_id ON adjustments (id);
CREATE INDEX adjustments_number ON adjustments (adjustment_no);
CREATE INDEX adjustments_requested ON adjustments (requested_s, id);
CREATE INDEX adjustments_usage ON adjustments (usage_fold, requested_s, id);
CREATE INDEX adjustments_usage_status ON adjustments (usage_fold, status_fold, requested_s, id);
CREATE INDEX adjustments_account ON adjustments (account_id, requested_s, id);
"""

_INSERT_ALLOCATION = (
    "INSERT INTO allocations (id, conn, type, status, currency, coin, quantity, quantity_key, created_ms,"
    " updated_ms, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_ADJUSTMENT = (
    "INSERT INTO adjustments (id, adjustment_no, account_id, status, status_fold, usage_type, usage_fold,"
    " requested_s, requested_text, doc, ext) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


_COMPACT = json.JSONEncoder(separators=(",", ":"))  # one encoder: json.dumps would build one per call


def compact_json(value: Any) -> str:
    """JSON without spaces, keys in insertion order (the byte-for-byte rendering of a record)."""
    return _COMPACT.encode(value)


def member_first(doc: str, member: str) -> str:
    """A JSON object's text with `member` (a `"name":value` text) written at its start: when the object has
    that name too, it is there twice, as an encoder that writes a field before the object's own writes it."""
    return "{" + member + "," + doc[1:]


class DocCodec:
    """Deflate for many small, similar JSON texts: a preset dictionary made of sample texts does most of the work."""

    # A 16 kB window: nearly the ratio of the full 32 kB at a fraction of the cost of priming each compressor.
    WINDOW_BITS = 14

    def __init__(self, samples: Iterable[str]) -> None:
        self.dictionary = "".join(samples).encode()[-(1 << self.WINDOW_BITS) :]
        # Copying a compressor primed with the dictionary is far cheaper than priming a new one per text.
        self._primed = zlib.compressobj(
            6, zlib.DEFLATED, -self.WINDOW_BITS, 7, zlib.Z_DEFAULT_STRATEGY, self.dictionary
        )

    def pack(self, text: str) -> bytes:
        """The deflated text."""
        compressor = self._primed.copy()
        return compressor.compress(text.encode()) + compressor.flush()

    def unpack(self, blob: bytes) -> str:
        """The text `pack` was given."""
        inflater = zlib.decompressobj(-self.WINDOW_BITS, self.dictionary)
        return (inflater.decompress(blob) + inflater.flush()).decode()


def _with_samples(rows: Iterator[_RowT], size: int) -> tuple[list[_RowT], Iterator[_RowT]]:
    """The first `size` rows, and an iterator over all of them (the first ones included)."""
    head = list(itertools.islice(rows, size))
    return head, itertools.chain(head, rows)


class Store:
    """Both APIs' records for one seed, with the queries the handlers need."""

    def __init__(self, seed: int, records: int) -> None:
        bitgo = BitGoData(seed, records)
        brm = BrmData(seed, records)
        db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None, cached_statements=512)
        db.executescript(_SCHEMA)
        allocation_samples, allocations = _with_samples(bitgo.allocations(), _CODEC_SAMPLES)
        adjustment_samples, adjustments = _with_samples(brm.adjustments(), _CODEC_SAMPLES)
        self._adopt(
            db,
            bitgo,
            brm,
            DocCodec(compact_json(row.record) for row in allocation_samples),
            DocCodec(compact_json(row.record) for row in adjustment_samples),
            DocCodec(compact_json(row.extension) for row in adjustment_samples),
        )
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO connections (seq, id, client_id, partner_id, partners_client_id, partners_connection_id,"
            " active, created_ms, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    self._connection_seq[c.id],
                    c.id,
                    c.client_id,
                    c.partner_id,
                    c.partners_client_id,
                    c.partners_connection_id,
                    int(c.active),
                    c.created_ms,
                    compact_json(c.as_record()),
                )
                for c in (*bitgo.connections, *bitgo.pending_connections)
            ),
        )
        db.executemany("INSERT INTO accounts (id, number) VALUES (?, ?)", ((a.id, a.number) for a in brm.accounts))
        db.executemany(_INSERT_ALLOCATION, map(self._allocation_values, allocations))
        db.executemany(_INSERT_ADJUSTMENT, map(self._adjustment_values, adjustments))
        db.execute("COMMIT")
        db.executescript(_INDEXES)
        db.execute("ANALYZE")
        self._seeded_allocations = self._max_seq("allocations")
        self._seeded_adjustments = self._max_seq("adjustments")

    def _adopt(
        self,
        db: sqlite3.Connection,
        bitgo: BitGoData,
        brm: BrmData,
        allocation_codec: DocCodec,
        adjustment_codec: DocCodec,
        extension_codec: DocCodec,
    ) -> None:
        self._db = db
        self._lock = threading.RLock()
        self._counts: dict[tuple[str, tuple[Any, ...]], int] = {}
        self.bitgo = bitgo
        self.brm = brm
        self.allocation_codec = allocation_codec
        self.adjustment_codec = adjustment_codec
        self.extension_codec = extension_codec
        self.enterprise_id = bitgo.enterprise_id
        self.connections: tuple[Connection, ...] = (*bitgo.connections, *bitgo.pending_connections)
        self._connection_seq = {connection.id: seq for seq, connection in enumerate(self.connections, start=1)}
        # An account may be named by its POID id or by its account number.
        self.account_ids = {account.number: account.id for account in brm.accounts}

    def copy(self) -> Store:
        """An independent store with the same records and the same churn sequence (SQLite's backup, no regeneration)."""
        db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None, cached_statements=512)
        with self._lock:
            self._db.backup(db)
            clone = Store.__new__(Store)
            clone._adopt(
                db,
                copy.deepcopy(self.bitgo),
                copy.deepcopy(self.brm),
                self.allocation_codec,
                self.adjustment_codec,
                self.extension_codec,
            )
            clone._seeded_allocations = self._seeded_allocations
            clone._seeded_adjustments = self._seeded_adjustments
        return clone

    def _allocation_values(self, row: AllocationRow) -> tuple[Any, ...]:
        return (
            row.id,
            self._connection_seq[row.connection_id],
            row.type,
            row.status,
            row.currency,
            row.coin,
            row.quantity,
            quantity_sort_key(row.quantity),
            row.created_ms,
            row.updated_ms,
            self.allocation_codec.pack(compact_json(row.record)),
        )

    def _adjustment_values(self, row: AdjustmentRow) -> tuple[Any, ...]:
        return (
            row.id,
            row.adjustment_no,
            row.account_id,
            row.status,
            row.status.lower() if row.status is not None else None,
            row.usage_type,
            row.usage_type.lower(),
            row.requested_s,
            row.requested_text,
            self.adjustment_codec.pack(compact_json(row.record)),
            self.extension_codec.pack(compact_json(row.extension)),
        )

    def _max_seq(self, table: str) -> int:
        return int(self._db.execute(f"SELECT COALESCE(MAX(seq), 0) FROM {table}").fetchone()[0])

    def rows(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """The rows of one SELECT (the handlers build the SQL from fixed fragments; values are bound)."""
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def count(self, sql: str, params: Sequence[Any]) -> int:
        """A COUNT(*) query's value, cached until the data changes (totals are asked for on every BRM page)."""
        key = (sql, tuple(params))
        with self._lock:
            cached = self._counts.get(key)
            if cached is None:
                if len(self._counts) >= _COUNT_CACHE_LIMIT:
                    self._counts.clear()
                cached = int(self._db.execute(sql, params).fetchone()[0])
                self._counts[key] = cached
            return cached

    def add_fresh_records(self, count: int, now_ms: int) -> None:
        """Insert `count` new records per API written now, as a live vendor's traffic does (churn)."""
        with self._lock:
            allocations = [self.bitgo.allocation(now_ms, fresh=True) for _ in range(count)]
            adjustments = [self.brm.adjustment(now_ms // 1000) for _ in range(count)]
            self._db.execute("BEGIN")
            self._db.executemany(_INSERT_ALLOCATION, map(self._allocation_values, allocations))
            self._db.executemany(_INSERT_ADJUSTMENT, map(self._adjustment_values, adjustments))
            self._db.execute("COMMIT")
            self._counts.clear()

    def reset(self) -> None:
        """Drop every record added since seeding (churn only inserts, so this restores the seeded data)."""
        with self._lock:
            self._db.execute("DELETE FROM allocations WHERE seq > ?", (self._seeded_allocations,))
            self._db.execute("DELETE FROM adjustments WHERE seq > ?", (self._seeded_adjustments,))
            self._counts.clear()

    def record_counts(self) -> tuple[int, int]:
        """How many allocations and adjustments are stored now (test support: the churn and reset tests
        count with it; the server itself never needs the totals)."""
        with self._lock:
            allocations = self._db.execute("SELECT COUNT(*) FROM allocations").fetchone()[0]
            adjustments = self._db.execute("SELECT COUNT(*) FROM adjustments").fetchone()[0]
            return int(allocations), int(adjustments)

    def query_plan(self, sql: str, params: Sequence[Any]) -> list[str]:
        """SQLite's plan for a query (tests use it to show that a page is read in index order)."""
        with self._lock:
            return [str(row[-1]) for row in self._db.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()]
