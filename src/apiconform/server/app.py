"""The ASGI application: every API's routes, vendor-shaped errors for everything else, and the churn task.

Any method reaches the handlers (they answer 405 themselves, in their vendor's envelope), unknown
paths get a 404 in the envelope of the API whose prefix they share, a trailing slash is not
redirected, and an unexpected exception becomes a JSON 500, never a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from apiconform.server.bitgo import JSON_TYPE as BITGO_JSON_TYPE
from apiconform.server.bitgo import BitGoApi
from apiconform.server.brm import JSON_TYPE as BRM_JSON_TYPE
from apiconform.server.brm import BrmApi
from apiconform.server.connections import ConnectionsRoute
from apiconform.server.faults import FaultSet
from apiconform.server.store import Store, compact_json
from apiconform.server.variants import VariantSet

BITGO_PREFIX = "/api/network/v1"
BRM_PREFIX = "/brm/prepayBalanceManagement/v4"
ALLOCATIONS_PATH = BITGO_PREFIX + "/enterprises/{enterpriseId}/partners/allocations"
CONNECTIONS_PATH = BITGO_PREFIX + "/enterprises/{enterpriseId}/partners/connections"
ADJUST_BALANCE_PATH = BRM_PREFIX + "/adjustBalance"
ROUTE_TEMPLATES = (ALLOCATIONS_PATH, CONNECTIONS_PATH, ADJUST_BALANCE_PATH)
# Churn inserts at most this often; a higher rate inserts several records per tick.
CHURN_TICK_SECONDS = 0.05
# Past this many clients' windows the throttle forgets the ended ones (a client sending many tokens grows no further).
THROTTLE_WINDOWS_KEPT = 10_000

logger = logging.getLogger(__name__)

Handler = Callable[[Request], Awaitable[Response]]


class Latency:
    """ASGI wrapper answering every HTTP request `seconds` late, as a distant vendor would.

    The wait is an asyncio sleep just before the response starts, so requests in flight on other
    connections overlap: latency costs a client round trips, not the server's throughput. Lifespan
    and other scopes pass through untouched.
    """

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.seconds <= 0:
            await self.app(scope, receive, send)
            return

        async def late_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                await asyncio.sleep(self.seconds)
            await send(message)

        await self.app(scope, receive, late_send)


@dataclass
class _Window:
    """One client's fixed rate window: when it ends (on the throttle's clock) and the requests counted in it."""

    ends: float
    requests: int = 0


class Throttle:
    """ASGI wrapper answering 429 Too Many Requests past `requests` requests per `seconds`, as BitGo documents.

    A fixed window per client: each Authorization header value (a bearer token) has its own, and a request
    without one counts for its client address. A window starts at the client's first request and serves the
    first `requests` requests in it; the rest get a 429 in the envelope of the API whose prefix the path has,
    with a Retry-After of the whole seconds left in the window (at least 1). The first request after the window
    ends starts a new one. Every HTTP request counts, whatever its path, method or answer; lifespan and other
    scopes pass through. `throttled` counts the 429s answered. `clock` gives monotonic seconds (tests pass a
    fake one to end a window without waiting).
    """

    def __init__(
        self, app: ASGIApp, requests: int, seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.app = app
        self.requests = requests
        self.seconds = seconds
        self.clock = clock
        self.throttled = 0
        self._windows: dict[str, _Window] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        now = self.clock()
        client = _client_key(scope)
        window = self._windows.get(client)
        if window is None or now >= window.ends:
            if window is None and len(self._windows) >= THROTTLE_WINDOWS_KEPT:
                self._windows = {key: kept for key, kept in self._windows.items() if now < kept.ends}
            window = self._windows[client] = _Window(ends=now + self.seconds)
        window.requests += 1
        if window.requests <= self.requests:
            await self.app(scope, receive, send)
            return
        self.throttled += 1
        retry_after = max(1, math.ceil(window.ends - now))
        await self._too_many_requests(scope["path"], retry_after)(scope, receive, send)

    def _too_many_requests(self, path: str, retry_after: int) -> Response:
        message = f"rate limit of {self.requests} requests per {self.seconds:g} s exceeded; retry in {retry_after} s"
        headers = {"Retry-After": str(retry_after)}
        if path.startswith("/brm/"):
            tmf_error = {
                "code": "TOO_MANY_REQUESTS",
                "reason": "Too Many Requests",
                "message": message,
                "status": "429",
                "@type": "Error",
            }
            return Response(compact_json(tmf_error), 429, headers=headers, media_type=BRM_JSON_TYPE)
        bitgo_error = {"error": message, "name": "TooManyRequests"}
        return Response(compact_json(bitgo_error), 429, headers=headers, media_type=BITGO_JSON_TYPE)


def _client_key(scope: Scope) -> str:
    """Who a request counts for: its Authorization header (BitGo counts per user), else its client address."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            return "authorization " + value.decode("latin-1")
    client = scope.get("client")
    return f"address {client[0] if client else 'unknown'}"


class _AnyMethod:
    """An ASGI endpoint for every method: Starlette would answer other methods with its own plain-text 405."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.handler(Request(scope, receive))
        await response(scope, receive, send)


async def churn(store: Store, records_per_second: float) -> None:
    """Insert `records_per_second` new records per API while serving, timestamped now."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    inserted = 0
    while True:
        await asyncio.sleep(max(CHURN_TICK_SECONDS, 1 / records_per_second))
        due = int((loop.time() - started) * records_per_second) - inserted
        if due > 0:
            store.add_fresh_records(due, time.time_ns() // 1_000_000)
            inserted += due


def build_app(
    *,
    store: Store,
    faults: FaultSet,
    token: str,
    brm_auth: bool,
    base_url: str,
    churn_rate: float = 0.0,
    variants: VariantSet | None = None,
) -> Starlette:
    """The reference server's ASGI app for one store, one set of faults and variants, and one token."""
    bitgo = BitGoApi(store, faults, token, variants)
    brm = BrmApi(store, faults, token if brm_auth else None, base_url, variants)

    def not_found_response(path: str) -> Response:
        if path.startswith("/brm/"):
            return brm.error(404, "NOT_FOUND", "Not Found", f"no resource at {path[:200]}")
        return bitgo.error(404, "NotFound", f"no route {path[:200]}")

    async def not_found(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await not_found_response(scope["path"])(scope, receive, send)

    async def server_error(request: Request, exc: Exception) -> Response:
        logger.exception("unexpected error serving %s", request.url.path, exc_info=exc)
        if request.url.path.startswith("/brm/"):
            return brm.error(500, "INTERNAL_ERROR", "Internal Server Error", "unexpected server error")
        return bitgo.error(500, "InternalError", "unexpected server error")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(churn(store, churn_rate)) if churn_rate > 0 else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    handlers: tuple[Handler, ...] = (bitgo.allocations, ConnectionsRoute(bitgo), brm.adjust_balance)
    app = Starlette(
        routes=[
            Route(template, _AnyMethod(handler)) for template, handler in zip(ROUTE_TEMPLATES, handlers, strict=True)
        ],
        exception_handlers={Exception: server_error},
        lifespan=lifespan,
    )
    # Neither vendor redirects `/allocations/` to `/allocations`: it is just an unknown path.
    app.router.redirect_slashes = False
    app.router.default = not_found
    return app
