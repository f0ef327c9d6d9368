"""A tiny list server for the typed-list contract (tests/data/typed-list): filters compared by type.

GET {base}/things serves 40 records `{"id": int, "active": bool, "score": number, "name": str}` in id
order, with offset/limit paging (limit default 10, at most 100; both digits only, else 400) and the
filters `id` (integer equality), `active` (`true`/`false`, the JSON booleans), `score` (numeric
equality: 5 finds 5.0) and `name` (exact text), ANDed. A value not of its parameter's type is 400
`{"error": ...}`; a parameter given twice is 400; unknown parameters are ignored.

`faults` switch on one defect each (FAULTS says what each does), for tests that the engine tells a typed
comparison from a textual one. A `http.server` in a thread: binding the port happens before
`TypedServer.__enter__` returns, so a request made after it is served (no sleep, no polling).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.loopback import InThread

SPEC = Path(__file__).resolve().parents[1] / "data" / "typed-list" / "typed-list.openapi.yaml"
BASE_PATH = "/v1"  # the spec's server path
RECORD_COUNT = 40
DEFAULT_LIMIT = 10
MAX_LIMIT = 100
NAMES = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta")
FAULTS = {
    "id-as-text-prefix": "id is compared as text, by prefix: id=1 also returns the things 10 to 19",
    "active-ignored": "the active filter is validated but then left out, so every thing comes back",
    "score-as-text": "score is compared with the text the record's score is written as: score=5 misses 5.0",
}
INTEGER = re.compile(r"-?[0-9]+")
COUNT = re.compile(r"[0-9]+")
NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")  # a JSON number
BOOLEANS = {"true": True, "false": False}


def things() -> list[dict[str, Any]]:
    """The 40 records: ids 1-40; every third inactive; scores 0.0 to 5.0 by halves, each on three or four
    things (integral ones such as 5.0 and fractional ones such as 2.5); names cycling through eight."""
    return [
        {"id": n, "active": n % 3 != 0, "score": (n * 7 % 11) / 2, "name": NAMES[n % len(NAMES)]}
        for n in range(1, RECORD_COUNT + 1)
    ]


class BadQuery(Exception):
    """A query value the document rules out: answered 400."""


@dataclass(frozen=True)
class _Filter:
    name: str
    value: Any
    text: str  # as sent


class TypedServer:
    """The typed-list API on a loopback port; a context manager. `base_url` is what `--base-url` takes."""

    def __init__(self, faults: Iterable[str] = ()) -> None:
        self.faults = frozenset(faults)
        unknown = self.faults - FAULTS.keys()
        if unknown:
            raise ValueError(f"unknown typed-server faults {sorted(unknown)}; valid: {', '.join(FAULTS)}")
        self.records = things()
        self._served: InThread | None = None

    def __enter__(self) -> TypedServer:
        owner = self

        class Handler(_Handler):
            server_owner = owner

        self._served = InThread(ThreadingHTTPServer(("127.0.0.1", 0), Handler))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._served is not None:
            self._served.stop()

    @property
    def base_url(self) -> str:
        assert self._served is not None
        return f"http://127.0.0.1:{self._served.port}{BASE_PATH}"

    # --- the list -----------------------------------------------------------------------------------

    def answer(self, target: str) -> tuple[int, Any]:
        """Status and JSON body for a GET of `target` (path and query)."""
        split = urlsplit(target)
        if split.path != BASE_PATH + "/things":
            return 404, {"error": f"no route {split.path}"}
        try:
            values = parse_qs(split.query, keep_blank_values=True)
            repeated = [name for name, given in values.items() if len(given) > 1]
            if repeated:
                raise BadQuery(f"{repeated[0]} may be given only once")
            query = {name: given[0] for name, given in values.items()}
            offset = _count(query, "offset", 0)
            limit = min(_count(query, "limit", DEFAULT_LIMIT), MAX_LIMIT)
            filters = [_read_filter(name, query[name]) for name in ("id", "active", "score", "name") if name in query]
        except BadQuery as exc:
            return 400, {"error": str(exc)}
        matching = [record for record in self.records if all(self._matches(record, flt) for flt in filters)]
        return 200, matching[offset : offset + limit]

    def _matches(self, record: dict[str, Any], flt: _Filter) -> bool:
        if flt.name == "id" and "id-as-text-prefix" in self.faults:
            return str(record["id"]).startswith(flt.text)
        if flt.name == "active" and "active-ignored" in self.faults:
            return True
        if flt.name == "score" and "score-as-text" in self.faults:
            return json.dumps(record["score"]) == flt.text
        # Python compares by value across int and float (5 == 5.0), and never a JSON boolean with a number here.
        return bool(record[flt.name] == flt.value)


def _count(query: dict[str, str], name: str, default: int) -> int:
    text = query.get(name)
    if text is None:
        return default
    if COUNT.fullmatch(text) is None:
        raise BadQuery(f"{name} must be a whole number of zero or more, got {text!r}")
    return int(text)


def _read_filter(name: str, text: str) -> _Filter:
    """A filter value read by its parameter's type (400 when it is not of it)."""
    if name == "id":
        if INTEGER.fullmatch(text) is None:
            raise BadQuery(f"id must be an integer, got {text!r}")
        return _Filter(name, int(text), text)
    if name == "active":
        if text not in BOOLEANS:
            raise BadQuery(f"active must be true or false, got {text!r}")
        return _Filter(name, BOOLEANS[text], text)
    if name == "score":
        if NUMBER.fullmatch(text) is None:
            raise BadQuery(f"score must be a number, got {text!r}")
        return _Filter(name, float(text), text)
    return _Filter(name, text, text)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, each answer waits for a delayed ACK (40 ms).
    disable_nagle_algorithm = True
    server_owner: TypedServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        status, body = self.server_owner.answer(self.path)
        encoded = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(encoded)))
        self.end_headers()
        self.wfile.write(encoded)
