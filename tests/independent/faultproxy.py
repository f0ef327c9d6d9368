"""A fault-injecting HTTP proxy for the tests: generic list defects in front of a server nobody here wrote.

`FaultProxy(upstream_origin, shape, fault)` serves on a loopback port (tests/loopback.InThread) and passes
every request on to the upstream origin with requests, and the answer back: status, headers and body. With
a fault switched on, a list reply is spoiled the way a real list server goes wrong (FAULTS), so that a run
through the proxy must fail the requirement the defect breaks. `ListShape` says where a reply keeps what a
fault touches: the records, their id and sort key, the total count, the next page's cursor or URL.

URLs the upstream writes into a JSON body or a Link or Location header (a next page's URL, built from the
request's Host) are rewritten to the proxy's origin, so that a client following them stays behind the
proxy. A body that is not JSON, and a JSON body no rewrite or fault touched, goes out byte for byte.

The spoiling is pure functions of the request and the reply (`spoiled`, `forwarded_path`), so that each
fault is tested on sample bodies without a server.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlsplit

import requests

from tests.loopback import InThread

# Each fault, and the defect it plays.
FAULTS = {
    "none": "pass-through",
    "drop-at-page-end": "a full page loses its last record; the next page starts after it (a seek paging fault)",
    "ties-reordered": "records equal on the sort key come reversed on every page but the first (a tiebreak "
    "applied on the first page only, as a cached first page does)",
    "filter-ignored": "the filter parameter is dropped before the request reaches the server",
    "count-off-by-one": "the total count is one more than the server said",
    "cursor-repeats": "from the second page on, a reply names the page it answers as the next one, so a walk "
    "never moves on",
}

# Headers that describe one connection or the body's encoding on the wire, not the reply: never passed on.
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "trailers"}
    | {"transfer-encoding", "upgrade", "content-length", "content-encoding", "host", "accept-encoding"}
)
# Statuses that carry no body (RFC 9110 section 6.4.1).
BODYLESS = frozenset({204, 304})
UPSTREAM_TIMEOUT = 60


@dataclass(frozen=True)
class ListShape:
    """Where a list reply keeps what the faults touch. Pointers marked (body) are JSON pointers into the whole
    reply body, `record_id` and `sort_key` into one record; `""` is the body itself.

    The next page is named by at most one of `next_token` (body: an opaque token), `next_url` (body: the next
    page's URL), `next_header` (a header holding the token) and `next_link` (the relation type of a Link
    header). A page is a later one when its query carries `position_param` with another value than
    `first_position` (None: any value, as a cursor is); a page is full when it holds `size_param`'s value of
    records or, without that parameter in the query, when it names a next page."""

    records: str
    record_id: str = "/id"
    sort_key: str | None = None
    total_header: str | None = None
    total_pointer: str | None = None
    next_token: str | None = None
    next_url: str | None = None
    next_header: str | None = None
    next_link: str | None = None
    size_param: str | None = None
    position_param: str | None = None
    first_position: str | None = None
    filter_param: str | None = None

    def __post_init__(self) -> None:
        nexts = [self.next_token, self.next_url, self.next_header, self.next_link]
        if sum(location is not None for location in nexts) > 1:
            raise ValueError("ListShape: at most one of next_token, next_url, next_header, next_link")
        if self.total_header is not None and self.total_pointer is not None:
            raise ValueError("ListShape: at most one of total_header, total_pointer")

    @property
    def locates_next(self) -> bool:
        """Whether the shape says where a reply names its next page."""
        return any(
            location is not None for location in (self.next_token, self.next_url, self.next_header, self.next_link)
        )

    def missing_for(self, fault: str) -> str | None:
        """What this shape lacks for `fault` to be played, or None."""
        needs = {
            "drop-at-page-end": (
                self.size_param is not None or self.locates_next,
                "size_param or a next-page location",
            ),
            "ties-reordered": (
                self.sort_key is not None and self.position_param is not None,
                "sort_key and position_param",
            ),
            "filter-ignored": (self.filter_param is not None, "filter_param"),
            "count-off-by-one": (
                self.total_header is not None or self.total_pointer is not None,
                "total_header or total_pointer",
            ),
            "cursor-repeats": (
                self.locates_next and self.position_param is not None,
                "a next-page location and position_param",
            ),
        }
        present, what = needs.get(fault, (True, ""))
        return None if present else what


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: status, headers as (name, value) pairs (a name may come twice), body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)


@dataclass(frozen=True)
class Origins:
    """The upstream's origin and the proxy's (http://127.0.0.1:PORT), for rewriting the URLs a reply names."""

    upstream: str
    proxy: str

    def rewritten(self, url: str) -> str:
        if url == self.upstream or url.startswith(self.upstream) and url[len(self.upstream)] in "/?#":
            return self.proxy + url[len(self.upstream) :]
        return url


# --- JSON pointers (RFC 6901) ---------------------------------------------------------------------------


def _tokens(pointer: str) -> list[str]:
    if not pointer:
        return []
    if not pointer.startswith("/"):
        raise ValueError(f"not a JSON pointer: {pointer!r}")
    return [token.replace("~1", "/").replace("~0", "~") for token in pointer[1:].split("/")]


_ABSENT = object()


def resolve(document: Any, pointer: str) -> Any:
    """The value at `pointer`, or `_ABSENT`."""
    for token in _tokens(pointer):
        if isinstance(document, dict) and token in document:
            document = document[token]
        elif isinstance(document, list) and token.isdigit() and int(token) < len(document):
            document = document[int(token)]
        else:
            return _ABSENT
    return document


def assign(document: Any, pointer: str, value: Any) -> bool:
    """Set the member `pointer` names in an existing object (the last token may be new); whether it was set."""
    tokens = _tokens(pointer)
    if not tokens:
        return False
    parent = resolve(document, "".join("/" + token.replace("~", "~0").replace("/", "~1") for token in tokens[:-1]))
    if not isinstance(parent, dict):
        return False
    parent[tokens[-1]] = value
    return True


# --- the request ----------------------------------------------------------------------------------------


def query_of(path: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(path).query, keep_blank_values=True)


def first_value(path: str, name: str | None) -> str | None:
    return next((value for key, value in query_of(path) if key == name), None) if name else None


def forwarded_path(shape: ListShape, fault: str, path: str) -> str:
    """The path and query sent upstream: as received, but for a `filter-ignored` filter parameter, which is
    dropped (every spelling of its name; the other parameters keep their bytes)."""
    if fault != "filter-ignored" or "?" not in path:
        return path
    base, _, query = path.partition("?")
    kept = [part for part in query.split("&") if unquote_plus(part.partition("=")[0]) != shape.filter_param]
    return base + ("?" + "&".join(kept) if kept else "")


def is_later_page(shape: ListShape, path: str) -> bool:
    position = first_value(path, shape.position_param)
    return position is not None and position != shape.first_position


# --- the reply ------------------------------------------------------------------------------------------

# One link-value of a Link header (RFC 8288): <target> and its parameters up to the next comma outside quotes.
_LINK_VALUE = re.compile(r'<(?P<target>[^>]*)>(?P<params>(?:[^,"]|"(?:[^"\\]|\\.)*")*)')
_REL = re.compile(r';\s*rel\s*=\s*(?:"(?P<quoted>[^"]*)"|(?P<bare>[^;,\s]+))', re.IGNORECASE)


def link_values(header: str) -> Iterator[re.Match[str]]:
    return _LINK_VALUE.finditer(header)


def relations(params: str) -> list[str]:
    found = _REL.search(params)
    return (found["quoted"] if found and found["quoted"] is not None else found["bare"] if found else "").split()


def has_relation(params: str, relation: str) -> bool:
    """Whether a link-value's parameters give it the relation type `relation` (compared ignoring case)."""
    return relation.lower() in (name.lower() for name in relations(params))


def link_header(header: str, origins: Origins, next_relation: str | None, next_url: str | None) -> str:
    """`header` with each target on the upstream's origin moved to the proxy's, and the target of the
    `next_relation` link (when given) replaced by `next_url`."""

    def target(link: re.Match[str]) -> str:
        url = origins.rewritten(link["target"])
        if next_url is not None and next_relation is not None and has_relation(link["params"], next_relation):
            url = next_url
        return f"<{url}>{link['params']}"

    return _LINK_VALUE.sub(target, header)


def _rewrite_urls(document: Any, origins: Origins) -> tuple[Any, bool]:
    """`document` with every string that is a URL on the upstream's origin moved to the proxy's."""
    if isinstance(document, str):
        moved = origins.rewritten(document)
        return moved, moved != document
    if isinstance(document, list):
        items = [_rewrite_urls(item, origins) for item in document]
        return [item for item, _ in items], any(changed for _, changed in items)
    if isinstance(document, dict):
        members = {key: _rewrite_urls(value, origins) for key, value in document.items()}
        return {key: value for key, (value, _) in members.items()}, any(changed for _, changed in members.values())
    return document, False


def _tie_runs_reversed(records: list[Any], sort_key: str) -> int:
    """Reverse, in place, each run of adjacent records equal on `sort_key`; how many runs were reversed."""
    reversed_runs = 0
    start = 0
    while start < len(records):
        key = resolve(records[start], sort_key)
        end = start + 1
        while key is not _ABSENT and end < len(records) and resolve(records[end], sort_key) == key:
            end += 1
        if end - start > 1:
            records[start:end] = records[start:end][::-1]
            reversed_runs += 1
        start = end
    return reversed_runs


def _names_next(shape: ListShape, body: Any, reply: Reply) -> bool:
    if shape.next_token is not None or shape.next_url is not None:
        value = resolve(body, shape.next_token or shape.next_url or "")
        return value is not _ABSENT and value not in (None, "")
    if shape.next_header is not None:
        return bool(reply.header(shape.next_header))
    if shape.next_link is not None:
        link = reply.header("Link") or ""
        return any(has_relation(value["params"], shape.next_link) for value in link_values(link))
    return False


def _is_full(shape: ListShape, path: str, records: Sequence[Any], body: Any, reply: Reply) -> bool:
    size = first_value(path, shape.size_param)
    if size is not None:
        return size.isdigit() and int(size) > 0 and len(records) >= int(size)
    return bool(records) and _names_next(shape, body, reply)


@dataclass
class Spoiled:
    """A reply on its way out, and what the fault did to it (one line per injection)."""

    reply: Reply
    injected: list[str] = field(default_factory=list)


def _headers(shape: ListShape, fault: str, path: str, reply: Reply, origins: Origins, injected: list[str]) -> Reply:
    """`reply` with its Link and Location URLs moved to the proxy's origin, and a header fault played."""
    listing = 200 <= reply.status < 300
    repeats = fault == "cursor-repeats" and listing and is_later_page(shape, path)
    own_cursor = first_value(path, shape.position_param) or ""
    own_url = origins.proxy + path
    headers: list[tuple[str, str]] = []
    for name, value in reply.headers:
        lowered = name.lower()
        if lowered == "link":
            value = link_header(value, origins, shape.next_link, own_url if repeats else None)
        elif lowered == "location":
            value = origins.rewritten(value)
        elif (
            fault == "count-off-by-one"
            and listing
            and lowered == (shape.total_header or "").lower()
            and value.strip().isdigit()
        ):
            value = str(int(value) + 1)
            injected.append(f"count-off-by-one: {name} {value} on {path}")
        headers.append((name, value))
    # The page names itself as the next one, also where the upstream named none (the last page).
    if repeats and shape.next_header is not None:
        headers = [(name, value) for name, value in headers if name.lower() != shape.next_header.lower()]
        headers.append((shape.next_header, own_cursor))
        injected.append(f"cursor-repeats: {shape.next_header} on {path}")
    if repeats and shape.next_link is not None:
        names_next = any(
            has_relation(link["params"], shape.next_link)
            for name, value in headers
            if name.lower() == "link"
            for link in link_values(value)
        )
        if not names_next:
            headers.append(("Link", f'<{own_url}>; rel="{shape.next_link}"'))
        injected.append(f"cursor-repeats: Link {shape.next_link} on {path}")
    return replace(reply, headers=tuple(headers))


def spoiled(shape: ListShape, fault: str, path: str, reply: Reply, origins: Origins) -> Spoiled:
    """The reply the proxy sends for `reply`, the upstream's answer to `path` (the path and query the client
    asked the proxy for): URLs moved to the proxy's origin, and `fault` played on a 2xx list reply."""
    injected: list[str] = []
    out = _headers(shape, fault, path, reply, origins, injected)

    content_type = (reply.header("Content-Type") or "").lower()
    if "json" not in content_type or not reply.body:
        return Spoiled(out, injected)
    try:
        body = json.loads(reply.body)
    except (ValueError, RecursionError):
        return Spoiled(out, injected)
    body, changed = _rewrite_urls(body, origins)
    records = resolve(body, shape.records)
    if 200 <= reply.status < 300 and isinstance(records, list):
        changed |= _play(shape, fault, path, origins.proxy + path, body, records, out, injected)
    if not changed:
        return Spoiled(out, injected)
    return Spoiled(replace(out, body=json.dumps(body, ensure_ascii=False).encode()), injected)


def _play(
    shape: ListShape,
    fault: str,
    path: str,
    own_url: str,
    body: Any,
    records: list[Any],
    reply: Reply,
    injected: list[str],
) -> bool:
    """Play `fault` on a parsed list body in place; whether it changed."""
    later = is_later_page(shape, path)
    if fault == "drop-at-page-end" and _is_full(shape, path, records, body, reply):
        dropped = records.pop()
        injected.append(f"drop-at-page-end: {resolve(dropped, shape.record_id)!r} on {path}")
        return True
    if fault == "ties-reordered" and later and shape.sort_key is not None:
        runs = _tie_runs_reversed(records, shape.sort_key)
        if runs:
            injected.append(f"ties-reordered: {runs} runs on {path}")
        return runs > 0
    if fault == "count-off-by-one" and shape.total_pointer is not None:
        total = resolve(body, shape.total_pointer)
        if isinstance(total, int) and not isinstance(total, bool):
            assign(body, shape.total_pointer, total + 1)
            injected.append(f"count-off-by-one: {shape.total_pointer} {total + 1}")
            return True
    if fault == "cursor-repeats" and later and (shape.next_token or shape.next_url):
        pointer = shape.next_token or shape.next_url or ""
        own = first_value(path, shape.position_param) if shape.next_token else own_url
        if assign(body, pointer, own):
            injected.append(f"cursor-repeats: {pointer} -> {own}")
            return True
    return False


# --- the server -----------------------------------------------------------------------------------------


class FaultProxy:
    """A loopback proxy in front of `upstream` (an origin, http://HOST:PORT) playing `fault` (one of FAULTS)
    on the list replies `shape` describes, until `close`. `injected` lists what the fault did, one line per
    reply it spoiled, so that a test can tell a fault that never fired from one that went unnoticed."""

    def __init__(self, upstream: str, shape: ListShape, fault: str = "none") -> None:
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; expected one of {', '.join(FAULTS)}")
        missing = shape.missing_for(fault)
        if missing is not None:
            raise ValueError(f"fault {fault!r} needs {missing} in the list shape")
        self.upstream = upstream.rstrip("/")
        self.shape = shape
        self.fault = fault
        self.injected: list[str] = []
        # One pool of upstream connections for all the proxy's threads (urllib3's pool is thread-safe).
        self.session = requests.Session()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes; with Nagle on, each answer waits for a delayed ACK.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def forward(self) -> None:
                proxy.forward(self)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = forward

        self.served = InThread(ThreadingHTTPServer(("127.0.0.1", 0), Handler))
        self.origins = Origins(self.upstream, f"http://127.0.0.1:{self.served.port}")

    @property
    def origin(self) -> str:
        return self.origins.proxy

    def url(self, path: str = "") -> str:
        return self.origin + path

    def forward(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        sent = handler.rfile.read(length) if length > 0 else None
        headers = {name: value for name, value in handler.headers.items() if name.lower() not in HOP_BY_HOP}
        # requests decodes a compressed body; asking for none keeps the upstream's bytes as they were.
        headers["Accept-Encoding"] = "identity"
        path = forwarded_path(self.shape, self.fault, handler.path)
        if path != handler.path:
            self.injected.append(f"filter-ignored: {handler.path} sent as {path}")
        try:
            answer = self.session.request(
                handler.command,
                self.upstream + path,
                headers=headers,
                data=sent,
                allow_redirects=False,
                timeout=UPSTREAM_TIMEOUT,
            )
        except requests.RequestException as error:
            reason = f"fault proxy: upstream unreachable: {type(error).__name__}".encode()
            self._send(handler, Reply(502, (("Content-Type", "text/plain"),), reason))
            return
        passed = tuple((name, value) for name, value in answer.raw.headers.items() if name.lower() not in HOP_BY_HOP)
        result = spoiled(
            self.shape, self.fault, handler.path, Reply(answer.status_code, passed, answer.content), self.origins
        )
        self.injected.extend(result.injected)
        self._send(handler, result.reply, answer.reason, answer.headers.get("Content-Length"))

    @staticmethod
    def _send(
        handler: BaseHTTPRequestHandler, reply: Reply, reason: str | None = None, head_length: str | None = None
    ) -> None:
        # send_response_only: the upstream's own Date and Server headers pass through, not the proxy's too.
        handler.send_response_only(reply.status, reason)
        for name, value in reply.headers:
            handler.send_header(name, value)
        if reply.status not in BODYLESS and reply.status >= 200:
            # A HEAD answer's length is the upstream's, of the body it did not send.
            length = head_length if handler.command == "HEAD" and head_length is not None else str(len(reply.body))
            handler.send_header("Content-Length", length)
        handler.end_headers()
        if handler.command != "HEAD" and reply.status not in BODYLESS:
            handler.wfile.write(reply.body)

    def close(self) -> None:
        self.served.stop()
        self.session.close()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
