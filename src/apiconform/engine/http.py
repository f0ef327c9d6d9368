"""The one HTTP session every request of a run goes through, schemathesis' included.

It keeps a run polite and safe against a live vendor: requests go only to the target's origin
(scheme, host, port) and never follow redirects, so the token cannot leave it; only the methods a
run allows are sent; requests are paced to a rate and counted against a budget; a 429's Retry-After
is honoured within a bound; every request has a timeout; and bodies are read up to a size cap
(after decompression, so a gzip bomb stops at the cap too).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_BODY = 8 * 1024 * 1024
# The longest Retry-After the run waits out; a longer one ends the run's attempts at that request.
MAX_RETRY_AFTER = 30.0
MAX_RETRIES_ON_429 = 3


class TargetError(requests.RequestException):
    """The target could not be used for this request; the message says why (reported, never a traceback)."""


class BudgetExhausted(TargetError):
    """The run has sent as many requests as it may (`--max-requests`) or ran out of time (`--max-time`)."""


class RefusedRequest(TargetError):
    """The run refused to send a request (another origin, or a method it may not send)."""


class ResponseTooLarge(TargetError):
    """The body exceeded the size cap."""


@dataclass
class Politeness:
    """How hard a run may push the target."""

    rate_limit: float | None = None  # requests per second; None = unpaced
    max_requests: int | None = None
    deadline: float | None = None  # time.monotonic() value after which no request is sent
    timeout: float = DEFAULT_TIMEOUT
    max_body: int = DEFAULT_MAX_BODY
    allowed_methods: Collection[str] = ("GET",)


@dataclass
class Traffic:
    """What the session has done, for the report."""

    sent: int = 0
    by_method: dict[str, int] = field(default_factory=dict)
    waited_on_429: float = 0.0
    retries_on_429: int = 0
    refused: list[str] = field(default_factory=list)


def origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


class GuardedSession(requests.Session):
    """A requests session pinned to one origin, paced, budgeted and size-capped."""

    def __init__(self, base_url: str, politeness: Politeness, *, on_send: Callable[[str, str], None] | None = None):
        super().__init__()
        self.origin = origin(base_url)
        self.politeness = politeness
        self.traffic = Traffic()
        self.on_send = on_send
        self._lock = threading.Lock()
        self._next_slot = 0.0
        # Never pick up proxies or credentials from the environment or ~/.netrc: the target gets
        # exactly the headers the run sets.
        self.trust_env = False

    def _admit(self, method: str, url: str) -> None:
        if origin(url) != self.origin:
            self.traffic.refused.append(f"{method} {url}: not the target's origin")
            raise RefusedRequest(f"refused to send {method} to {url}: only {self._origin_text()} is the target")
        if method.upper() not in self.politeness.allowed_methods:
            self.traffic.refused.append(f"{method} {url}: method not allowed in this run")
            raise RefusedRequest(
                f"refused to send {method}: this run sends only {sorted(self.politeness.allowed_methods)}"
            )
        with self._lock:
            if self.politeness.max_requests is not None and self.traffic.sent >= self.politeness.max_requests:
                raise BudgetExhausted(f"request budget of {self.politeness.max_requests} used up")
            now = time.monotonic()
            if self.politeness.deadline is not None and now >= self.politeness.deadline:
                raise BudgetExhausted("the run's time limit (--max-time) was reached")
            wait = 0.0
            if self.politeness.rate_limit:
                wait = max(0.0, self._next_slot - now)
                self._next_slot = max(now, self._next_slot) + 1.0 / self.politeness.rate_limit
            self.traffic.sent += 1
            self.traffic.by_method[method.upper()] = self.traffic.by_method.get(method.upper(), 0) + 1
        if wait:
            # Pacing, not synchronisation: the rate limit is the point.
            time.sleep(wait)
        if self.on_send is not None:
            self.on_send(method.upper(), url)

    def _origin_text(self) -> str:
        scheme, host, port = self.origin
        return f"{scheme}://{host}:{port}"

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        method_text = method.decode() if isinstance(method, bytes) else method
        url_text = url.decode() if isinstance(url, bytes) else url
        kwargs["allow_redirects"] = False
        kwargs.setdefault("timeout", self.politeness.timeout)
        if kwargs["timeout"] is None:
            kwargs["timeout"] = self.politeness.timeout
        kwargs["stream"] = True
        for attempt in range(MAX_RETRIES_ON_429 + 1):
            self._admit(method_text, url_text)
            response = super().request(method_text, url_text, *args, **kwargs)
            self._read_capped(response)
            if response.status_code != 429 or attempt == MAX_RETRIES_ON_429:
                return response
            delay = _retry_after(response.headers.get("Retry-After"))
            if delay is None or delay > MAX_RETRY_AFTER:
                return response
            self.traffic.retries_on_429 += 1
            self.traffic.waited_on_429 += delay
            time.sleep(delay)  # the target asked for this pause
        return response  # pragma: no cover - the loop always returns

    def _read_capped(self, response: requests.Response) -> None:
        """Read the whole body into the response, within the size cap and the request's time limit."""
        cap = self.politeness.max_body
        deadline = time.monotonic() + self.politeness.timeout
        chunks: list[bytes] = []
        size = 0
        try:
            while chunk := response.raw.read(64 * 1024, decode_content=True):
                chunks.append(chunk)
                size += len(chunk)
                if size > cap:
                    raise ResponseTooLarge(f"response body larger than the {cap}-byte cap")
                if time.monotonic() > deadline:
                    raise TargetError(f"response body still arriving after {self.politeness.timeout:g} s")
        except TargetError:
            raise
        except Exception as exc:  # urllib3 raises several kinds for broken or undecodable streams
            raise TargetError(f"reading the response body failed: {exc}") from exc
        finally:
            response.close()
        response._content = b"".join(chunks)
        response._content_consumed = True  # type: ignore[attr-defined]


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
