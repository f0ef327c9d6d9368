"""250 deterministic records: a few categories and colours repeat, quantities and prices repeat (ties for
the sort keys), each creation time is shared by two records, and every seventh colour is null (in every category:
seven and five are coprime, so no category is all null)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

RECORD_COUNT = 250
CATEGORIES = ("tools", "garden", "kitchen", "toys", "books")
COLORS = ("red", "Green", "blue", "Black")
WORDS = ("Alpha", "bravo", "Charlie", "delta", "Echo", "foxtrot", "Golf", "hotel", "India")
FIRST_CREATED = datetime(2025, 1, 1, tzinfo=UTC)


def rows() -> list[dict[str, object]]:
    return [
        {
            "id": number,
            "name": f"{WORDS[number % len(WORDS)]} {WORDS[(number * 5) % len(WORDS)].lower()} {number}",
            "category": CATEGORIES[(number * 3) % len(CATEGORIES)],
            "quantity": (number * 17) % 40,
            "price": Decimal((number * 29) % 90) + Decimal("0.25") * (number % 4),
            # 7919 is coprime with 125: records n and n + 125 share an hour, in an order unlike the ids'.
            "created": FIRST_CREATED + timedelta(hours=(number * 7919) % (RECORD_COUNT // 2)),
            "color": None if number % 7 == 0 else COLORS[number % len(COLORS)],
        }
        for number in range(1, RECORD_COUNT + 1)
    ]
