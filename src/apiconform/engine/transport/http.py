"""The one HTTP session every request of a run goes through, schemathesis' included.

It keeps a run polite and safe against a live vendor:

- requests go only to the target's origin (scheme, host, port) and never follow redirects, so the
  token cannot leave it; a redirect is returned as the answer and noted (`Traffic.offsite_redirects`
  when it points elsewhere);
- only the methods a run allows are sent, and never POST;
- requests are paced to a rate and counted against a budget and the run's deadline (`--max-time`);
  each of its stops (the budget, the deadline, the target's 429s) is reported to the run's
  `RunControl` (engine/model/control.py), and nothing is sent once any stop of sending is there;
- a 429's Retry-After is honoured within a bound; a target that keeps answering 429 is left alone;
- every request has a total time limit (connect, headers and body), enforced by a watchdog that cuts
  the connection, so neither a silent nor a trickling target can hold the run;
- bodies are read up to a size cap counted after decompression, so a gzip bomb stops at the cap too;
- TLS is verified (against a given CA bundle if any) unless the run is explicitly insecure;
- the run's other credentials (headers, an API key, a client certificate) and its proxy (`TargetAuth`,
  transport/auth.py) go with every request, and nothing is taken from the environment.

Every failure surfaces as a `requests.RequestException` whose message says what happened in one line.
"""

from __future__ import annotations

import contextlib
import heapq
import http.client
import itertools
import re
import socket
import ssl
import threading
import time
import warnings
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import InsecureRequestWarning

from apiconform.engine.model.control import TIME_LIMIT_REACHED, RunControl, StopKind
from apiconform.engine.options import DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_REQUEST_TIMEOUT
from apiconform.engine.transport.auth import TargetAuth

# The longest Retry-After the run waits out where the spec documents no rate window; a longer one ends
# the run's requests to that target.
MAX_RETRY_AFTER = 30.0
# The longest Retry-After waited out whatever the spec documents (BitGo's window is 60 s): a daily quota
# would otherwise have the run wait hours, three times over. --max-time lowers it to the time left.
RETRY_AFTER_CEILING = 60.0
MAX_RETRIES_ON_429 = 3
# The pause before retrying a 429 that names no Retry-After (doubling each time).
DEFAULT_429_PAUSE = 1.0
# Methods the suite never sends, whatever a spec or option says: POST creates records at the vendor.
NEVER_SENT = frozenset({"POST", "CONNECT"})
# Redirects kept for the report; the count says how many there were.
MAX_REDIRECTS_KEPT = 10
READ_CHUNK = 64 * 1024
# The request timeline's bounds (report.json's apis[].timeline): points over the whole run, and 429 waits.
MAX_TIMELINE_POINTS = 2000
MAX_TIMELINE_WAITS = 200


class TargetError(requests.RequestException):
    """The target could not be used for this request; the message says why (reported, never a traceback)."""


class BudgetExhausted(TargetError):
    """The run may send no more requests: `--max-requests` used up, `--max-time` reached, or the target said stop."""


class RateLimited(BudgetExhausted):
    """The target kept answering 429 Too Many Requests after the run waited as asked; it is left alone."""


class RefusedRequest(TargetError):
    """The run refused to send a request (another origin, or a method it may not send)."""


class ResponseTooLarge(TargetError):
    """The body exceeded the size cap."""


class TimedOut(TargetError):
    """No complete answer within the request's time limit."""


class TlsFailure(TargetError):
    """The TLS handshake failed (an unverifiable certificate, most often)."""


class ConnectionFailed(requests.ConnectionError, TargetError):
    """The connection failed (refused, reset, closed early). Keeps the original exception's arguments.

    schemathesis resends a request whose kept-alive connection dropped before the answer, judging by
    the original arguments; only the message (`str`) is made readable.
    """

    def __init__(self, message: str, original: requests.RequestException) -> None:
        super().__init__(*original.args, request=original.request, response=original.response)
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass
class Politeness:
    """How hard a run may push the target, and how it talks to it."""

    rate_limit: float | None = None  # requests per second; None = unpaced
    max_requests: int | None = None
    deadline: float | None = None  # time.monotonic() value after which no request is sent or waited for
    timeout: float = DEFAULT_REQUEST_TIMEOUT  # seconds per request: connect, headers and body together
    max_body: int = DEFAULT_MAX_RESPONSE_BYTES  # bytes, after decompression
    allowed_methods: Collection[str] = ("GET",)
    verify: bool | str = True  # requests' `verify`: True, False (--insecure) or a CA bundle file
    # The longest Retry-After waited out: the vendor's documented rate window, or MAX_RETRY_AFTER; never
    # more than RETRY_AFTER_CEILING, nor than the time left before `deadline`.
    max_retry_after: float = MAX_RETRY_AFTER


class Timeline:
    """When each request went out (time.monotonic()), how long its exchange took, and what came back (the
    status, or an `outcome` word for no usable answer), and the 429 waits: the data of report.html's
    request timeline. Numbers and a closed vocabulary only, no URL: nothing in it can hold a secret.

    Bounded over any run: once MAX_TIMELINE_POINTS are kept, every second one is dropped and from then on
    only every `every`-th request is kept, so the points still span the whole run at an even sampling."""

    def __init__(self) -> None:
        self.points: list[tuple[float, float, int | str]] = []
        self.waits: list[tuple[float, float]] = []
        self.every = 1
        self._seen = 0

    def add(self, started: float, finished: float, outcome: int | str) -> None:
        seen, self._seen = self._seen, self._seen + 1
        if seen % self.every:
            return
        self.points.append((started, finished - started, outcome))
        if len(self.points) >= MAX_TIMELINE_POINTS:
            del self.points[1::2]
            self.every *= 2

    def wait(self, started: float, seconds: float) -> None:
        if len(self.waits) < MAX_TIMELINE_WAITS:
            self.waits.append((started, started + seconds))


def outcome(error: requests.RequestException) -> str:
    """A request without a usable answer, in the timeline's words."""
    if isinstance(error, TimedOut | BudgetExhausted):
        return "timeout"
    if isinstance(error, ResponseTooLarge):
        return "too-large"
    if isinstance(error, TlsFailure):
        return "tls"
    if isinstance(error, ConnectionFailed):
        return "connection"
    return "error"


@dataclass
class Traffic:
    """What the session has done, for the report."""

    sent: int = 0
    by_method: dict[str, int] = field(default_factory=dict)
    waited_on_429: float = 0.0
    retries_on_429: int = 0
    refused: list[str] = field(default_factory=list)
    redirects: int = 0  # 3xx answers with a Location, none of them followed
    offsite_redirect_count: int = 0  # of those, the ones whose Location is off the target's origin
    offsite_redirects: list[str] = field(default_factory=list)  # the first of them, "302 -> URL"
    timeline: Timeline = field(default_factory=Timeline)


class Pacer:
    """Spaces the starts of requests at least 1/rate seconds apart.

    One pacer serves every session that talks to the same origin, so testing two APIs of one host
    does not double the rate the host sees."""

    def __init__(self, rate: float | None) -> None:
        self.rate = rate
        self._lock = threading.Lock()
        self._next = 0.0

    def reserve(self, deadline: float | None) -> float | None:
        """Seconds to wait before sending the next request, or None when its turn would come after `deadline`."""
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next) if self.rate else now
            if deadline is not None and slot >= deadline:
                return None
            if self.rate:
                self._next = slot + 1.0 / self.rate
            return slot - now


def origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a URL, the port filled in from the scheme."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:  # a malformed host or port (a target's Location, say) names no origin the run could mean
        return "", url, -1
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def origin_text(url: str) -> str:
    """`scheme://host:port` of a URL."""
    scheme, host, port = origin(url)
    return f"{scheme}://{host}:{port}"


def url_problem(url: str) -> str | None:
    """Why the run may not send to `url`, in words that follow "the URL" (None when it may).

    The origin part (`scheme://host:port`) decides where a request goes and what requests takes from
    it: it must be http or https, printable ASCII, hold no user info (requests would send it as Basic
    credentials, and `http://target@elsewhere/` is elsewhere), and be read alike by urllib's parser
    (the origin pin) and urllib3's (the connection). The URL is never quoted: user info may be a password.
    """
    scheme, separator, rest = url.partition("://")
    if not separator or scheme.lower() not in ("http", "https"):
        return "is not an http(s) URL"
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if not authority:
        return "has no host"
    if not all("!" <= char <= "~" for char in authority):
        return "has a space, a control character or a non-ASCII character in its host or port"
    if "@" in authority:
        return "holds user info (user@ or user:password@)"
    try:
        parts = urlsplit(url)
        pinned = (parts.scheme.lower(), parts.hostname, parts.port)
        connected = urllib3.util.parse_url(url)
    except ValueError as exc:  # a port that is no number; urllib3's LocationParseError is a ValueError too
        return f"is not a valid URL ({exc})"
    if "\\" in authority or pinned != (connected.scheme, (connected.host or "").strip("[]").lower(), connected.port):
        return "is read differently by different URL parsers; write it plainly"
    if not parts.hostname:
        return "has no host"
    return None


def composed_url_problem(url: str, named: str) -> str | None:
    """Why the run may not send to `url`, made from the URL the user `named` and a path from a spec (None
    when it may): it must be a URL the run may send to, on the origin the user named."""
    problem = url_problem(url)
    if problem is None and origin(url) != origin(named):
        problem = f"is on {origin_text(url)}, not on {origin_text(named)}"
    return problem


# --- the watchdog: a total time limit per request ------------------------------------------------


class _Watch:
    """One request in flight: when it must be done, and the connections it is using."""

    def __init__(self, end: float) -> None:
        self.end = end
        self.connections: list[HTTPConnection] = []
        self.fired = False

    def cut(self) -> None:
        self.fired = True
        for connection in self.connections:
            sock = connection.sock
            if sock is None:
                continue
            # shutdown, not close: it wakes a recv blocked in the requesting thread, and the descriptor
            # stays owned by that thread (closing it here could close a reused descriptor number).
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Watchdog:
    """One daemon thread per process that cuts requests off at their end time."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._heap: list[tuple[float, int, _Watch]] = []
        self._armed: set[int] = set()
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, watch: _Watch) -> int:
        with self._condition:
            ident = next(self._ids)
            heapq.heappush(self._heap, (watch.end, ident, watch))
            self._armed.add(ident)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="apiconform-request-watchdog", daemon=True)
                self._thread.start()
            self._condition.notify()
            return ident

    def disarm(self, ident: int) -> None:
        with self._condition:
            self._armed.discard(ident)

    def _loop(self) -> None:
        while True:
            with self._condition:
                while self._heap and self._heap[0][1] not in self._armed:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._condition.wait()
                    continue
                end, ident, watch = self._heap[0]
                remaining = end - time.monotonic()
                if remaining > 0:
                    self._condition.wait(remaining)
                    continue
                heapq.heappop(self._heap)
                self._armed.discard(ident)
                watch.cut()


_WATCHDOG = _Watchdog()
_CURRENT = threading.local()  # .watch: the _Watch of the request this thread is sending


def _enlist(connection: HTTPConnection) -> None:
    watch: _Watch | None = getattr(_CURRENT, "watch", None)
    if watch is not None:
        watch.connections.append(connection)


class _FinalResponse(http.client.HTTPResponse):
    """A response that skips every interim (1xx) answer, not only `100 Continue` as http.client does:
    a `103 Early Hints` before the 200 is a hint, not the reply (RFC 9110 15.2). `101 Switching
    Protocols` is final; this client never asks for it."""

    def _read_status(self) -> tuple[str, int, str]:
        while True:
            version, status, reason = super()._read_status()  # type: ignore[misc]
            if not 102 <= status < 200:
                return version, status, reason
            http.client.parse_headers(self.fp)  # the interim answer's headers, discarded


class _WatchedHTTPConnection(HTTPConnection):
    response_class = _FinalResponse

    def request(self, *args: Any, **kwargs: Any) -> None:
        _enlist(self)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    response_class = _FinalResponse

    def request(self, *args: Any, **kwargs: Any) -> None:
        _enlist(self)
        super().request(*args, **kwargs)


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _WatchedAdapter(HTTPAdapter):
    """requests' adapter, with connections the watchdog can cut (through a --proxy too)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}
        return manager


# --- the session ---------------------------------------------------------------------------------


class GuardedSession(requests.Session):
    """A requests session pinned to one origin, paced, budgeted, time-limited and size-capped."""

    def __init__(
        self,
        base_url: str,
        politeness: Politeness,
        *,
        on_send: Callable[[str, str], None] | None = None,
        pacer: Pacer | None = None,
        control: RunControl | None = None,
        auth: TargetAuth | None = None,
    ):
        super().__init__()
        problem = url_problem(base_url)
        if problem is not None:  # the configuration checks every base URL first: this is a bug of ours
            raise ValueError(f"a GuardedSession's base URL {problem}")
        self.origin = origin(base_url)
        self.politeness = politeness
        self.traffic = Traffic()
        # Why sending stopped, once it has: the session's own stops (budget, time limit, the target's 429s)
        # are reported there, and it sends nothing once any stop of sending is (an interruption too).
        self.control = control if control is not None else RunControl()
        self.on_send = on_send
        self.pacer = pacer or Pacer(politeness.rate_limit)
        self._lock = threading.Lock()
        # Never pick up proxies, CA bundles or credentials from the environment or ~/.netrc: the target
        # gets exactly the headers the run sets, over the TLS settings the run shows in its report.
        self.trust_env = False
        self.verify = politeness.verify
        # Sent on every request, schemathesis' included; a request may override one (an explicit header).
        # (Not `self.auth`: that is requests' own, called on every request.)
        self.target_auth = auth or TargetAuth()
        self.headers.update(dict(self.target_auth.headers))
        if politeness.verify is False:
            # The run's reports say the target was not verified; a warning per request adds nothing. Set
            # once for the process: a filter set around each request would race between sending threads.
            warnings.filterwarnings("ignore", category=InsecureRequestWarning)
        adapter = _WatchedAdapter()
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        """None: redirects are never followed.

        Also keeps requests from preparing the next hop, which reads the redirect's whole body first,
        past the size cap and the time limit."""
        return None

    def _origin_text(self) -> str:
        scheme, host, port = self.origin
        return f"{scheme}://{host}:{port}"

    def _stop(self, kind: StopKind, error: BudgetExhausted) -> BudgetExhausted:
        """Send nothing more; every later request is refused with the first stop's reason."""
        self.control.stop(kind, str(error))
        return error

    def _admit(self, method: str, url: str) -> None:
        problem = url_problem(url)
        if problem is not None:
            self.traffic.refused.append(f"{method} to a URL that {problem}")
            raise RefusedRequest(f"refused to send {method}: the URL {problem}")
        if origin(url) != self.origin:
            self.traffic.refused.append(f"{method} {url}: not the target's origin")
            raise RefusedRequest(
                f"refused to send {method} to {origin_text(url)}: only {self._origin_text()} is the target"
            )
        if method.upper() in NEVER_SENT or method.upper() not in self.politeness.allowed_methods:
            self.traffic.refused.append(f"{method} {url}: method not allowed in this run")
            raise RefusedRequest(
                f"refused to send {method}: this run sends only {', '.join(sorted(self.politeness.allowed_methods))}"
            )
        with self._lock:
            budget = self.politeness.max_requests
            if self.control.may_send and budget is not None and self.traffic.sent >= budget:
                self.control.stop(StopKind.BUDGET, f"the request budget of {budget} (--max-requests) was used up")
            wait = self.pacer.reserve(self.politeness.deadline) if self.control.may_send else None
            if wait is None:
                if self.control.may_send:
                    self.control.stop(StopKind.TIME, TIME_LIMIT_REACHED)
                raise BudgetExhausted(self.control.sending_stopped or TIME_LIMIT_REACHED)
            self.traffic.sent += 1
            self.traffic.by_method[method.upper()] = self.traffic.by_method.get(method.upper(), 0) + 1
        if wait:
            # Pacing, not synchronisation: the rate limit is the point.
            time.sleep(wait)
        if self.on_send is not None:
            self.on_send(method.upper(), url)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        method_text = method.decode() if isinstance(method, bytes) else method
        url_text = url.decode() if isinstance(url, bytes) else url
        # The session decides these, whatever the caller (schemathesis) asks for.
        kwargs["allow_redirects"] = False
        kwargs["stream"] = True
        kwargs["verify"] = self.politeness.verify
        kwargs.pop("timeout", None)
        kwargs["proxies"] = self.target_auth.proxies
        kwargs["cert"] = self.target_auth.cert
        pause = DEFAULT_429_PAUSE
        for attempt in range(MAX_RETRIES_ON_429 + 1):
            self._admit(method_text, url_text)
            sent_at = time.monotonic()
            try:
                response = self._send(method_text, self.target_auth.keyed(url_text), args, kwargs)
            except requests.RequestException as exc:
                self.target_auth.take_key_off(exc)
                with self._lock:
                    self.traffic.timeline.add(sent_at, time.monotonic(), outcome(exc))
                raise
            self.target_auth.take_key_off(response)
            with self._lock:
                self.traffic.timeline.add(sent_at, time.monotonic(), response.status_code)
            if response.status_code != 429:
                self._note_redirect(url_text, response)
                return response
            asked = _retry_after(response.headers.get("Retry-After"))
            delay = pause if asked is None else asked
            pause *= 2
            longest, bound = self._longest_wait()
            if attempt == MAX_RETRIES_ON_429 or delay > longest:
                break
            with self._lock:
                self.traffic.retries_on_429 += 1
                self.traffic.waited_on_429 += delay
                self.traffic.timeline.wait(time.monotonic(), delay)
            time.sleep(delay)  # the target asked for this pause
        asked_text = response.headers.get("Retry-After")
        if attempt == MAX_RETRIES_ON_429:
            why = f"after {attempt} retries"
        elif asked is not None:
            why = f"Retry-After {asked_text!r} is longer than the {longest:.3g} s the run waits{bound}"
        else:
            why = f"the next pause of {delay:g} s is longer than the {longest:.3g} s the run waits{bound}"
        raise self._stop(
            StopKind.THROTTLED,
            RateLimited(f"the target kept answering 429 Too Many Requests ({why}); no more requests were sent to it"),
        )

    def _longest_wait(self) -> tuple[float, str]:
        """The longest 429 pause the run takes now, and what bounds it when that is --max-time: the
        documented window up to RETRY_AFTER_CEILING, and never past the deadline. A longer one is not
        waited: the target's 429s end the testing of the API (incomplete, not the user's budget)."""
        longest = min(self.politeness.max_retry_after, RETRY_AFTER_CEILING)
        deadline = self.politeness.deadline
        if deadline is not None and deadline - time.monotonic() < longest:
            return max(0.0, deadline - time.monotonic()), " before its time limit (--max-time)"
        return longest, ""

    def _send(self, method: str, url: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> requests.Response:
        """One request, answered and read within the time limit, or a TargetError saying why not."""
        limit = self.politeness.timeout
        started = time.monotonic()
        end = started + limit
        deadline = self.politeness.deadline
        by_deadline = False
        if deadline is not None and deadline < end:
            end, by_deadline = deadline, True
        # connect within what is left; each read within the limit; the watchdog bounds the whole exchange.
        kwargs["timeout"] = (max(0.01, end - started), limit)
        watch = _Watch(end)
        ident = _WATCHDOG.arm(watch)
        _CURRENT.watch = watch
        try:
            response = super().request(method, url, *args, **kwargs)
            self._read_capped(response, watch)
            return response
        except ResponseTooLarge:
            raise
        except Exception as exc:  # whatever requests or urllib3 raise for a broken exchange
            # Past the end, whatever broke (the watchdog's cut looks like a reset) broke because time ran out.
            if watch.fired or time.monotonic() >= end:
                raise self._late(limit, by_deadline) from exc
            if isinstance(exc, TargetError):
                raise
            if isinstance(exc, requests.RequestException):
                raise _translate(exc, limit) from exc
            raise TargetError(f"the exchange failed: {_root_message(exc)}") from exc
        finally:
            _CURRENT.watch = None
            _WATCHDOG.disarm(ident)

    def _late(self, limit: float, by_deadline: bool) -> TargetError:
        if by_deadline:
            return self._stop(StopKind.TIME, BudgetExhausted(f"{TIME_LIMIT_REACHED} during a request"))
        return TimedOut(f"no complete answer within {limit:g} s (--request-timeout)")

    def _read_capped(self, response: requests.Response, watch: _Watch) -> None:
        """Read the whole body into the response, within the size cap and the request's time limit."""
        cap = self.politeness.max_body
        chunks: list[bytes] = []
        size = 0
        try:
            # read1 returns what has arrived: a body trickling in cannot hold a read past the time limit.
            while chunk := response.raw.read1(READ_CHUNK, decode_content=True):
                chunks.append(chunk)
                size += len(chunk)
                if size > cap:
                    raise ResponseTooLarge(
                        f"the response body exceeded the {_size_text(cap)} cap (--max-response-size)"
                        + (" after decompression" if response.headers.get("Content-Encoding") else "")
                    )
                if time.monotonic() > watch.end:
                    raise TimedOut(f"the body was still arriving after {self.politeness.timeout:g} s")
        except TargetError:
            raise
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise TimedOut(f"the body stopped arriving for {self.politeness.timeout:g} s") from exc
        except Exception as exc:  # urllib3 raises several kinds for broken or undecodable streams
            raise TargetError(f"reading the response body failed: {_root_message(exc)}") from exc
        finally:
            response.close()
        if watch.fired:
            # The watchdog's cut can look like the end of a body that has no declared length.
            raise TimedOut(f"the body was still arriving after {self.politeness.timeout:g} s")
        response._content = b"".join(chunks)
        response._content_consumed = True  # type: ignore[attr-defined]

    def _note_redirect(self, url: str, response: requests.Response) -> None:
        location = response.headers.get("Location")
        if not (300 <= response.status_code < 400 and location):
            return
        try:
            target = urljoin(url, location)
        except ValueError:  # not a URL at all; it is still not the target
            target = location
        with self._lock:
            self.traffic.redirects += 1
            if origin(target) != self.origin:
                self.traffic.offsite_redirect_count += 1
                if len(self.traffic.offsite_redirects) < MAX_REDIRECTS_KEPT:
                    self.traffic.offsite_redirects.append(f"{response.status_code} -> {target}")


def _size_text(size: int) -> str:
    return f"{size / (1024 * 1024):g} MiB" if size >= 1024 * 1024 else f"{size} bytes"


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or an HTTP date); None when unreadable."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and what it wraps (urllib3 hides the socket error under a pool error under requests')."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        reason = getattr(current, "reason", None)
        nested = [reason, *current.args, current.__cause__, current.__context__]
        pending.extend(item for item in nested if isinstance(item, BaseException))


def _root_message(exc: BaseException) -> str:
    """The innermost error's own words (the outer layers repeat the URL and the pool's internals)."""
    chain = list(_causes(exc))
    for item in reversed(chain):
        text = str(item).strip()
        if text and "Max retries exceeded" not in text:
            return f"{type(item).__name__}: {text}" if len(text) < 200 else f"{type(item).__name__}: {text[:200]}..."
    return type(exc).__name__


def _translate(exc: requests.RequestException, limit: float) -> TargetError:
    """A requests/urllib3 error as a TargetError whose message a person can read."""
    chain = list(_causes(exc))
    if isinstance(exc, requests.exceptions.SSLError) or any(isinstance(item, ssl.SSLError) for item in chain):
        verification = next((item for item in chain if isinstance(item, ssl.SSLCertVerificationError)), None)
        if verification is not None:
            detail = verification.verify_message or str(verification)
            return TlsFailure(
                f"TLS certificate verification failed ({detail}); give the target's CA with --ca-bundle FILE, "
                "or accept any certificate with --insecure"
            )
        return TlsFailure(f"the TLS handshake failed: {_root_message(exc)}")
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return TimedOut(f"no connection within {limit:g} s")
    if isinstance(exc, requests.exceptions.Timeout):
        return TimedOut(f"no answer within {limit:g} s (--request-timeout)")
    if isinstance(exc, requests.ConnectionError):
        if any(isinstance(item, ConnectionRefusedError) for item in chain):
            message = "the connection was refused"
        elif any(isinstance(item, socket.gaierror) for item in chain):
            message = "the host name could not be resolved"
        elif any(isinstance(item, ConnectionResetError) for item in chain):
            message = "the target reset the connection"
        elif any(isinstance(item, http.client.RemoteDisconnected) for item in chain):
            message = "the target closed the connection without answering"
        else:
            message = f"the connection failed: {_root_message(exc)}"
        return ConnectionFailed(message, exc)
    return TargetError(f"the exchange failed: {_root_message(exc)}")
