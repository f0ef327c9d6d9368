"""A hostile target for the suite: a loopback HTTP(S) server that misbehaves one way at a time.

It serves the documented paths of both APIs by passing requests on to a reference server (so the
answers it does not spoil are valid), and spoils them as its `behaviour` says: too slow, reset,
5xx bursts, broken or ambiguous JSON, invalid UTF-8, huge, endless or gzip-bomb bodies, redirects to
another host, 429 forever, bad count headers, 200 to everything, or one good answer and then every
exchange broken. It records every request it
receives (arrival time, method, target, headers) for the tests to inspect.

It is a test fixture, not a product: threads per connection, no keep-alive subtleties beyond HTTP/1.1
with Content-Length, and errors from clients that hang up are ignored.
"""

from __future__ import annotations

import base64
import gzip
import http.client
import json
import re
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

from apiconform.server import ReferenceServer
from tests.loopback import InThread

BEHAVIOURS = (
    "proxy",  # pass everything on unchanged
    "slow",  # answer after `delay` seconds (longer than the run's request timeout)
    "trickle",  # send the headers, then the body one byte every `interval` seconds, for ever
    "reset",  # reset the connection (TCP RST) instead of answering
    "burst-5xx",  # 503 for `burst` requests out of every `period`, valid answers otherwise
    "invalid-json",  # 200, application/json, a body that is not JSON
    "nan",  # valid answers whose records carry a NaN
    "duplicate-keys",  # valid answers whose records repeat a key
    "invalid-utf8",  # valid answers with a byte sequence that is not UTF-8 inside a string
    "huge",  # a 50 MB JSON body (Content-Length declared); options={"bytes": N} for another size
    "endless",  # a chunked JSON body that never ends, arriving quickly
    "gzip-bomb",  # Content-Encoding: gzip, about 1 MB on the wire, 1 GiB decompressed
    "redirect",  # 302 to the same path on `redirect_to` (another host); options={"huge": True}: with a 50 MB body
    "429",  # 429 Too Many Requests with Retry-After `retry_after`, for ever
    "bad-counts",  # valid answers with negative or non-numeric X-Total-Count / X-Result-Count
    "yes",  # 200 with valid-looking records to everything: invalid input, no token, any method
    "echo",  # valid answers that carry the request's Authorization header back, in a header and in the body
    # Every answer's records broken (a numeric id), carrying the request's token back in every spelling of
    # `token_spellings` (one header each, and all of them in the body) and terminal and CI-runner controls.
    "echo-spellings",
    # The first request passed on, then every exchange broken, in turn as BREAKAGES lists them.
    "break-after-first",
    # 401 unless options["require"](Seen) holds; else passed on with the upstream's own token (the query
    # parameter options.get("strip") taken off), every credential received echoed in an X-Echo header.
    "auth",
)
# How break-after-first breaks the exchanges after its first: a body shorter than its Content-Length (then
# the connection closes), a status line without a status code, a TCP reset instead of an answer.
BREAKAGES = ("truncated-body", "bad-status-line", "reset")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "date", "server", "content-encoding"}
HUGE_BYTES = 50 * 1024 * 1024
BOMB_MEMBERS = 1024  # gzip members of 1 MiB each when decompressed
# What a terminal or a CI runner would act on: a window title (OSC), a screen clear, a NUL, a bidi override,
# GitHub workflow commands on lines of their own.
CONTROLS = "\x1b]0;pwned\x07\x1b[2J\x00\u202eevil\n::error title=Spoofed::Vendor says all good\n::stop-commands::x"


def token_spellings(token: str) -> dict[str, str]:
    """The spellings a vendor may echo a token in (issue 22): as it is; JSON-escaped the PHP way; \\u-escaped
    in part (Gson's `=`, .NET's `+`), in full and in a mix; HTML character references; percent- and
    form-encoded (either case of hex digit); base64 of the token and of `Bearer <token>`; the case variants
    the suite makes of a case-insensitive filter's value."""
    escaped = "".join(f"\\u{ord(char):04x}" for char in token)
    lower_hex = re.sub("%[0-9A-F]{2}", lambda match: match.group().lower(), quote(token, safe=""))
    bearer = f"Bearer {token}".encode()
    return {
        "plain": token,
        "php": token.replace("/", "\\/"),
        "gson": token.replace("=", "\\u003d"),
        "dotnet": token.replace("+", "\\u002B"),
        "all-u": escaped,
        "mixed": token[:8] + escaped[6 * 8 : 6 * 14] + token[14:].replace("/", "&#x2f;"),
        "html-hex": token.replace("/", "&#x2f;").replace("+", "&#X2B;"),
        "html-decimal": "".join(f"&#{ord(char)};" for char in token),
        "percent": quote(token, safe=""),
        "percent-lower": lower_hex,
        "form": quote_plus(token, safe=""),
        "base64": base64.b64encode(token.encode()).decode(),
        "base64-urlsafe": base64.urlsafe_b64encode(token.encode()).decode().rstrip("="),
        "base64-bearer": base64.b64encode(bearer).decode(),
        "base64-bearer-urlsafe": base64.urlsafe_b64encode(bearer).decode(),
        "lower": token.lower(),
        "upper": token.upper(),
    }


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    at: float  # time.monotonic() on arrival
    method: str
    target: str  # path and query
    headers: dict[str, str]
    client: str  # the client's address


@dataclass
class Behaviour:
    """What the server does, from which request on."""

    name: str = "proxy"
    skip: int = 0  # the first `skip` requests are passed on unspoiled (past preflight and discovery)
    delay: float = 5.0
    interval: float = 0.2
    burst: int = 4
    period: int = 8
    retry_after: str | None = "0.05"
    redirect_to: str = ""  # scheme://host:port of the other host
    options: dict[str, Any] = field(default_factory=dict)


class _Hangup(Exception):
    """The handler dropped the connection on purpose; nothing more is written."""


@cache
def bomb() -> bytes:
    """A gzip stream of 1 GiB of JSON whitespace after '[': one 1 MiB member compressed once, repeated."""
    member = gzip.compress(b" " * (1024 * 1024), compresslevel=9)
    return gzip.compress(b"[", compresslevel=9) + member * BOMB_MEMBERS


class HostileServer:
    """A threaded loopback server in front of a reference server; use as a context manager."""

    def __init__(
        self,
        upstream: ReferenceServer | None,
        behaviour: Behaviour | None = None,
        *,
        host: str = "127.0.0.1",
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.upstream = upstream
        self.behaviour = behaviour or Behaviour()
        self.host = host
        self.tls = tls
        self.seen: list[Seen] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._count = 0
        self._served: InThread | None = None

    # --- lifecycle --------------------------------------------------------------------------------

    def __enter__(self) -> HostileServer:
        owner = self

        class Handler(_Handler):
            server_owner = owner

        httpd = _Server((self.host, 0), Handler)
        if self.tls is not None:
            # The handshake happens in the connection's own thread, on first read.
            httpd.socket = self.tls.wrap_socket(httpd.socket, server_side=True, do_handshake_on_connect=False)
        self._served = InThread(httpd)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        if self._served is not None:
            self._served.stop()

    # --- what a test needs -----------------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._served is not None
        return self._served.port

    @property
    def origin(self) -> str:
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://{self.host}:{self.port}"

    def api_base_url(self, api: str) -> str:
        """Where an API lives on this server: the reference server's path under this server's origin."""
        assert self.upstream is not None
        return self.origin + urlsplit(self.upstream.api_base_url(api)).path

    def requests(self) -> list[Seen]:
        with self._lock:
            return list(self.seen)

    def _arrived(self, seen: Seen) -> int:
        with self._lock:
            self.seen.append(seen)
            self._count += 1
            return self._count - 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer (the suite giving up on a slow or huge one) is expected.
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, each answer waits for a delayed ACK.
    disable_nagle_algorithm = True
    server_owner: HostileServer
    spoiled_index = 0  # this request's number among the spoiled ones (0: the first request after `skip`)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve()

    do_PUT = do_PATCH = do_DELETE = do_POST = do_HEAD = do_OPTIONS = do_GET

    # --- dispatch ---------------------------------------------------------------------------------

    def _serve(self) -> None:
        owner = self.server_owner
        number = owner._arrived(
            Seen(time.monotonic(), self.command, self.path, dict(self.headers.items()), self.client_address[0])
        )
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        behaviour = owner.behaviour
        spoiled = number >= behaviour.skip
        self.spoiled_index = number - behaviour.skip
        if behaviour.name == "burst-5xx":
            spoiled = spoiled and (number - behaviour.skip) % behaviour.period < behaviour.burst
        action: Callable[[], None] = (
            getattr(self, "_" + behaviour.name.replace("-", "_")) if spoiled else self._proxy_unchanged
        )
        try:
            action()
        except (_Hangup, BrokenPipeError, ConnectionResetError, ssl.SSLError, TimeoutError):
            self.close_connection = True

    # --- building blocks --------------------------------------------------------------------------

    def _upstream(self, method: str | None = None, target: str | None = None, *, own_token: bool = False) -> Any:
        """The reference server's answer to this request (or to `method target`): status, headers, body."""
        upstream = self.server_owner.upstream
        assert upstream is not None
        connection = http.client.HTTPConnection("127.0.0.1", upstream.port, timeout=30)
        headers = {"Accept": "application/json"}
        if own_token:
            headers["Authorization"] = f"Bearer {upstream.token}"
        elif self.headers.get("Authorization"):
            headers["Authorization"] = self.headers["Authorization"]
        try:
            connection.request(method or self.command, target or self.path, headers=headers)
            response = connection.getresponse()
            body = response.read()
            kept = [(name, value) for name, value in response.getheaders() if name.lower() not in HOP_BY_HOP]
            return response.status, kept, body
        finally:
            connection.close()

    def _answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, value: Any, extra: tuple[tuple[str, str], ...] = ()) -> None:
        self._answer(status, [("Content-Type", "application/json"), *extra], json.dumps(value).encode())

    def _proxy_unchanged(self) -> None:
        self._answer(*self._upstream())

    def _spoil_body(self, spoil: Callable[[Any], bytes]) -> None:
        status, headers, body = self._upstream()
        if status == 200:
            body = spoil(json.loads(body))
        self._answer(status, headers, body)

    # --- behaviours -------------------------------------------------------------------------------

    def _proxy(self) -> None:
        self._proxy_unchanged()

    def _slow(self) -> None:
        # The server is slow on purpose; `stopping` lets it give up when the test ends.
        if self.server_owner.stopping.wait(self.server_owner.behaviour.delay):
            raise _Hangup
        self._proxy_unchanged()

    def _trickle(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(1024 * 1024))
        self.end_headers()
        self.wfile.write(b"[")
        while not self.server_owner.stopping.wait(self.server_owner.behaviour.interval):
            self.wfile.write(b" ")
            self.wfile.flush()
        raise _Hangup

    def _reset(self) -> None:
        # SO_LINGER with a zero timeout turns close() into a TCP RST.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        raise _Hangup

    def _burst_5xx(self) -> None:
        self._json(503, {"error": "overloaded", "code": 503, "reason": "Service Unavailable"})

    def _invalid_json(self) -> None:
        self._answer(200, [("Content-Type", "application/json")], b'{"allocations": [{"id": "trunc')

    def _nan(self) -> None:
        def spoil(value: Any) -> bytes:
            # An extra attribute (extra attributes are accepted), with a value JSON does not have.
            return json.dumps(_each_record(value, lambda record: {**record, "weight": float("nan")})).encode()

        self._spoil_body(spoil)

    def _duplicate_keys(self) -> None:
        def spoil(value: Any) -> bytes:
            text = json.dumps(value)
            # Every record's first key written twice, the first time with another value.
            return text.replace('{"id": ', '{"id": "not-this-one", "id": ').encode()

        self._spoil_body(spoil)

    def _invalid_utf8(self) -> None:
        self._spoil_body(lambda value: json.dumps(value).encode().replace(b'"id": "', b'"id": "\xff\xfe', 1))

    def _huge(self, status: int = 200, headers: tuple[tuple[str, str], ...] = ()) -> None:
        # `[`, whitespace, `]`: valid JSON (an empty list), so a body under the cap is judged like any other.
        size = int(self.server_owner.behaviour.options.get("bytes", HUGE_BYTES))
        self.send_response(status)
        for name, value in (("Content-Type", "application/json"), *headers):
            self.send_header(name, value)
        self.send_header("Content-Length", str(size))
        self.end_headers()
        self.wfile.write(b"[")
        remaining = size - 2
        block = b" " * (1024 * 1024)
        while remaining > 0:
            self.wfile.write(block[:remaining])
            remaining -= len(block)
        self.wfile.write(b"]")

    def _endless(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b'{"id": "x"}, ' * 4096
        frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        self.wfile.write(b"1\r\n[\r\n")
        while not self.server_owner.stopping.is_set():
            self.wfile.write(frame)
        raise _Hangup

    def _gzip_bomb(self) -> None:
        body = bomb()
        self._answer(200, [("Content-Type", "application/json"), ("Content-Encoding", "gzip")], body)

    def _redirect(self) -> None:
        location = self.server_owner.behaviour.redirect_to + self.path
        if self.server_owner.behaviour.options.get("huge"):
            # requests reads a redirect's whole body before it even decides not to follow it.
            self._huge(302, (("Location", location),))
        else:
            self._answer(302, [("Location", location), ("Content-Type", "application/json")], b"{}")

    def _429(self) -> None:
        retry_after = self.server_owner.behaviour.retry_after
        extra = (("Retry-After", retry_after),) if retry_after is not None else ()
        self._json(429, {"error": "slow down", "code": 429, "reason": "Too Many Requests"}, extra)

    def _bad_counts(self) -> None:
        status, headers, body = self._upstream()
        kept = [(name, value) for name, value in headers if name.lower() not in ("x-total-count", "x-result-count")]
        number = self.server_owner._count
        total, result = ("-5", "abc") if number % 2 else ("ten", "-1")
        self._answer(status, [*kept, ("X-Total-Count", total), ("X-Result-Count", result)], body)

    def _echo(self) -> None:
        # A target that reflects what it was sent: the token must still appear nowhere the run writes.
        authorization = self.headers.get("Authorization", "")
        status, headers, body = self._upstream()
        if status == 200:
            body = json.dumps(_echoed(json.loads(body), authorization)).encode()
        else:
            body = json.dumps({"code": str(status), "reason": f"rejected {authorization}"}).encode()
        self._answer(status, [*headers, ("X-Echo", authorization)], body)

    def _echo_spellings(self) -> None:
        authorization = self.headers.get("Authorization", "")
        spelt = token_spellings(authorization.removeprefix("Bearer "))
        status, headers, body = self._upstream()
        records = json.loads(body) if status == 200 else []
        echoed = [
            {**record, "id": 7, "echo": " ".join(spelt.values()), "note": CONTROLS}
            for record in (records if isinstance(records, list) else [])
        ] or [{"id": 7, "echo": " ".join(spelt.values()), "note": CONTROLS}]
        extra = [(f"X-Echo-{name}", value) for name, value in spelt.items()]
        self._answer(status, [*headers, *extra, ("X-Vendor", "\x1b[31mred\x07")], json.dumps(echoed[:3]).encode())

    def _break_after_first(self) -> None:
        if self.spoiled_index == 0:
            self._proxy_unchanged()
            return
        breakage = BREAKAGES[(self.spoiled_index - 1) % len(BREAKAGES)]
        if breakage == "reset":
            self._reset()
        if breakage == "bad-status-line":
            # No status code: http.client raises BadStatusLine.
            self.wfile.write(b"HTTP/1.1 OK\r\nContent-Type: application/json\r\n\r\n[]")
            raise _Hangup
        status, headers, body = self._upstream()
        declared = max(len(body), 2)
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(declared))
        self.end_headers()
        self.wfile.write(body[: declared // 2])  # half of what Content-Length promises, then the connection closes
        raise _Hangup

    def _yes(self) -> None:
        # Whatever was asked, by whoever: the first page of the plain list, with the server's own token.
        path = urlsplit(self.path).path
        status, headers, body = self._upstream("GET", path, own_token=True)
        self._answer(200, headers, body)

    def _auth(self) -> None:
        behaviour = self.server_owner.behaviour
        seen = Seen(time.monotonic(), self.command, self.path, dict(self.headers.items()), self.client_address[0])
        if not behaviour.options["require"](seen):
            self._json(401, {"code": "401", "reason": "Unauthorized"}, (("WWW-Authenticate", "Basic"),))
            return
        parts = urlsplit(self.path)
        strip = behaviour.options.get("strip")
        kept = [piece for piece in parts.query.split("&") if piece and not piece.startswith(f"{strip}=")]
        target = parts.path + (f"?{'&'.join(kept)}" if kept else "")
        status, headers, body = self._upstream(target=target, own_token=True)
        # A target that reflects the credentials it got: none of them may appear in what the run writes.
        echo = " ".join([self.path, *(f"{name}={value}" for name, value in self.headers.items())])
        self._answer(status, [*headers, ("X-Echo", echo)], body)


def _echoed(value: Any, authorization: str) -> Any:
    return _each_record(value, lambda record: {**record, "description": f"you sent {authorization}"})


def _each_record(value: Any, change: Callable[[dict[str, Any]], dict[str, Any]]) -> Any:
    """`value` with `change` applied to every record (a list body, or the first list in an object body)."""
    if isinstance(value, list):
        return [change(item) if isinstance(item, dict) else item for item in value]
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, list):
                return {**value, key: _each_record(item, change)}
    return value
