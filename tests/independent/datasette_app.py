"""Datasette 1.0a41 over a small deterministic SQLite database, for the e2e tier (issue 25's proof).

The database is built here with the standard library, from a seeded random generator, so every run
serves the same rows (250 unless asked for fewer): an integer primary key, a short text column with a few
repeated values, a number column with repeats (ties for sorting, bounds for ranges), a text date column and
a nullable column. `served(directory)` builds it in the test's own temporary folder and serves it from a
child process (tests/independent/launch.py), which imports this module with DATABASE_ENV set."""

from __future__ import annotations

import os
import random
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.independent.launch import asgi_process

# The child process learns where the test built its database from this variable.
DATABASE_ENV = "APICONFORM_DATASETTE_DB"
# The file's stem is Datasette's database name, the first segment of the table's path.
DATABASE_NAME = "shop"
TABLE_NAME = "products"
ROWS = 250
SEED = 25

CATEGORIES = ("books", "games", "garden", "kitchen", "music", "toys")
WORDS = ("amber", "basalt", "cedar", "delta", "ember", "fjord", "garnet", "harbor", "indigo", "juniper")
# Prices repeat (ties for `_sort=price`); several are not whole numbers, so ranges compare decimals.
PRICES = (1, 2.5, 4.99, 10, 12.5, 20, 35, 99.9)


def build_database(directory: Path, count: int = ROWS) -> Path:
    """Write `shop.db` with `count` rows under `directory` (replacing any earlier one) and return its path."""
    path = directory / f"{DATABASE_NAME}.db"
    path.unlink(missing_ok=True)
    generator = random.Random(SEED)
    with sqlite3.connect(path) as connection:
        connection.execute(
            f"create table {TABLE_NAME} ("
            " id integer primary key, name text not null, category text not null,"
            " price real not null, added text not null, note text)"
        )
        rows = []
        for number in range(1, count + 1):
            name = f"{generator.choice(WORDS)}-{generator.choice(WORDS)}"
            added = f"2024-{generator.randint(1, 12):02d}-{generator.randint(1, 28):02d}"
            # About a third of the rows have no note (null), so null handling is exercised.
            note = None if generator.random() < 0.35 else f"note {generator.choice(WORDS)}"
            rows.append((number, name, generator.choice(CATEGORIES), generator.choice(PRICES), added, note))
        connection.executemany(f"insert into {TABLE_NAME} values (?, ?, ?, ?, ?, ?)", rows)
    connection.close()
    return path


@contextmanager
def served(directory: Path, count: int = ROWS) -> Iterator[str]:
    """Datasette serving a table of `count` rows built under `directory`, until the block ends; yields its origin."""
    database = build_database(directory, count)
    repository = Path(__file__).resolve().parents[2]
    with asgi_process(f"{__name__}:app", env={DATABASE_ENV: str(database)}, cwd=str(repository)) as origin:
        yield origin


def _application() -> Any:
    # Imported here so that importing this module for `build_database` does not start Datasette.
    from datasette import handle_exception  # type: ignore[import-untyped]
    from datasette.app import Datasette  # type: ignore[import-untyped]

    # Datasette prints every error it answers (each 400 too) as a rich traceback with its local variables
    # when rich is importable, as it is here (a test dependency's). That print is a debugging aid on the
    # child's stderr, not part of the answer, and it cost 0.9 s per 400 answered (4 ms without it): most
    # of a run's time.
    handle_exception.rich = None

    # Facet suggestions are HTML conveniences the JSON API also computes on every page (several queries
    # each); the spec does not use them, and without them a page costs one query and the count.
    return Datasette([os.environ[DATABASE_ENV]], settings={"suggest_facets": False}).app()


# `asgi_process` imports this module in the child with DATABASE_ENV set; the parent imports it only for
# `build_database` and the names above, without the variable.
app = _application() if DATABASE_ENV in os.environ else None
