"""ReferenceServer: the reference server on a loopback port, served by uvicorn in a background thread."""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import math
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from types import TracebackType

import uvicorn
from starlette.types import ASGIApp

from apiconform.server.app import BITGO_PREFIX, BRM_PREFIX, ROUTE_TEMPLATES, Latency, Throttle, build_app
from apiconform.server.faults import FaultSet
from apiconform.server.store import Store
from apiconform.server.variants import VariantSet

API_PREFIXES = {"bitgo-oes": BITGO_PREFIX, "bitgo-connections": BITGO_PREFIX, "brm-adjust-balance": BRM_PREFIX}
STARTUP_TIMEOUT_SECONDS = 120.0
MAX_RECORDS = 1_000_000
MAX_REQUEST_HEAD_BYTES = 1024 * 1024


class _Uvicorn(uvicorn.Server):
    """uvicorn's server, telling a waiting thread when startup has finished (or failed)."""

    def __init__(self, config: uvicorn.Config, ready: threading.Event) -> None:
        super().__init__(config)
        self.ready = ready
        self.loop: asyncio.AbstractEventLoop | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self.loop = asyncio.get_running_loop()
        try:
            await super().startup(sockets=sockets)
        finally:
            self.ready.set()


def _url_host(host: str) -> str:
    try:
        return f"[{host}]" if ipaddress.ip_address(host).version == 6 else host
    except ValueError:
        return host


# Up to this many records per API, a process keeps each seed's generated data to copy for every server
# it starts (the test suite and the benchmarks start many; `apiconform serve` and a run start one).
SHARED_DATA_RECORDS = 10_000


@functools.lru_cache(maxsize=4)
def _generated(seed: int, records: int) -> Store:
    """One seed's data, generated and indexed once: that is most of a server's start-up (about half a
    second for 2,000 records per API), while a copy (SQLite's backup) takes milliseconds. Never served
    itself: each server gets its own copy, which churn may change."""
    return Store(seed, records)


class ReferenceServer:
    """Both APIs served from seeded data, with optional faults and variants; a context manager or start()/stop().

    `token=None` generates a token (`token_generated` tells which). `store` serves an existing Store
    instead of a copy of the seed's generated data (see `_generated`).
    `variants` switches on legitimate behaviours (server/variants.py); a variant with a fault that changes the
    same behaviour raises IncompatibleVariantError, an unknown name UnknownVariantError (both ValueErrors).
    `latency_ms` makes every answer arrive that many milliseconds late (a distant vendor); concurrent
    requests wait concurrently.
    `throttle=(requests, seconds)` serves each client (bearer token, else address) at most `requests` requests
    per fixed window of `seconds` from its first one, and answers the rest 429 with a Retry-After, as BitGo
    documents (server/app.py's Throttle); `throttled` counts those 429s. `throttle_clock` is the throttle's
    monotonic clock (tests pass a fake one to end a window without waiting).
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        records: int = 2000,
        token: str | None = None,
        faults: Iterable[str] = (),
        variants: Iterable[str] = (),
        churn: float = 0.0,
        brm_auth: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
        store: Store | None = None,
        latency_ms: float = 0,
        throttle: tuple[int, float] | None = None,
        throttle_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0 <= records <= MAX_RECORDS:
            raise ValueError(f"records must be between 0 and {MAX_RECORDS}, got {records}")
        if churn < 0:
            raise ValueError(f"churn must be zero or more records per second, got {churn}")
        if not (math.isfinite(latency_ms) and latency_ms >= 0):
            raise ValueError(f"latency_ms must be a finite number of milliseconds, zero or more, got {latency_ms}")
        if throttle is not None and not _valid_throttle(throttle):
            raise ValueError(
                "throttle must be (requests, seconds): a whole number of requests, 1 or more, per a finite number"
                f" of seconds, more than zero, got {throttle!r}"
            )
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be between 0 and 65535, got {port}")
        if token is not None and (not token or not token.isprintable() or " " in token):
            raise ValueError("token must be a non-empty printable string without spaces")
        self.seed = seed
        self.records = records
        self.faults = FaultSet(faults)  # raises UnknownFaultError (a ValueError) for a name not in FAULTS
        self.variants = VariantSet(variants, self.faults.names)
        self.churn = churn
        self.brm_auth = brm_auth
        self.latency_ms = float(latency_ms)
        self.throttle = None if throttle is None else (int(throttle[0]), float(throttle[1]))
        self.throttle_clock = throttle_clock
        self.host = host
        self.requested_port = port
        self.token_generated = token is None
        self._token = token if token is not None else secrets.token_urlsafe(24)
        self._store = store
        self._server: _Uvicorn | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._port: int | None = None
        self._throttle: Throttle | None = None

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> ReferenceServer:
        """Generate the data, bind the port and serve; returns once the server accepts connections."""
        if self._server is not None:
            raise RuntimeError("the reference server is already started")
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # proto must say TCP: asyncio sets TCP_NODELAY on accepted connections only then, and without it small
        # responses on a kept-alive connection wait 40 ms for the client's delayed ACK.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.requested_port))
            sock.listen(2048)
        except OSError:
            sock.close()
            raise
        self._socket = sock
        self._port = int(sock.getsockname()[1])
        if self._store is None:
            small = self.records <= SHARED_DATA_RECORDS
            self._store = _generated(self.seed, self.records).copy() if small else Store(self.seed, self.records)
        app = build_app(
            store=self._store,
            faults=self.faults,
            token=self._token,
            brm_auth=self.brm_auth,
            base_url=self.base_url,
            churn_rate=self.churn,
            variants=self.variants,
        )
        served: ASGIApp = app
        if self.throttle is not None:
            self._throttle = Throttle(served, *self.throttle, clock=self.throttle_clock)
            served = self._throttle
        if self.latency_ms:
            # Outside the throttle: a distant vendor's 429 arrives as late as its other answers.
            served = Latency(served, self.latency_ms / 1000)
        config = uvicorn.Config(
            served,
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=2,
            # uvicorn closes a connection idle for 5 s by default; on a loaded machine a client may pause that
            # long between two requests and send the next just as the close arrives (a reset). Proxies in
            # front of vendors keep idle connections 60 s or more (nginx 75 s, AWS ALB 60 s).
            timeout_keep_alive=60,
            # Long id lists make long query strings; h11's default (16 kB) would drop the connection instead.
            h11_max_incomplete_event_size=MAX_REQUEST_HEAD_BYTES,
        )
        ready = threading.Event()
        self._server = _Uvicorn(config, ready)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name=f"apiconform-server-{self._port}", daemon=True
        )
        self._thread.start()
        ready.wait(STARTUP_TIMEOUT_SECONDS)
        if not self._server.started:
            self.stop()
            raise RuntimeError("the reference server did not start (see the log above)")
        return self

    def signal_stop(self) -> None:
        """Ask the server to stop without waiting (stop several servers at once, then join them)."""
        if self._server is not None:
            self._server.should_exit = True

    def stop(self) -> None:
        """Stop serving and release the port."""
        self.signal_stop()
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self._socket is not None:
            self._socket.close()
        self._server = None
        self._thread = None
        self._socket = None

    def __enter__(self) -> ReferenceServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    # --- what a client needs --------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the server is serving."""
        return self._server is not None and self._server.started and not self._server.should_exit

    @property
    def throttled(self) -> int:
        """How many requests the throttle answered 429 since the server last started (0 without a throttle)."""
        return self._throttle.throttled if self._throttle is not None else 0

    @property
    def port(self) -> int:
        """The bound port."""
        if self._port is None:
            raise RuntimeError("the reference server is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT`."""
        return f"http://{_url_host(self.host)}:{self.port}"

    def api_base_url(self, api: str) -> str:
        """The base URL an API's paths are relative to (its spec's server URL, on this server)."""
        try:
            return self.base_url + API_PREFIXES[api]
        except KeyError:
            raise ValueError(f"unknown API {api!r}; expected one of {', '.join(API_PREFIXES)}") from None

    @staticmethod
    def serves(path: str) -> bool:
        """Whether a route of this server answers `path` (known before it starts), a path template such as
        `/api/network/v1/enterprises/{enterpriseId}/partners/allocations` (placeholder names may differ)."""
        wanted = re.sub(r"\{[^}]*\}", "{}", path.rstrip("/"))
        return any(re.sub(r"\{[^}]*\}", "{}", template) == wanted for template in ROUTE_TEMPLATES)

    @property
    def path_parameters(self) -> dict[str, str]:
        """The value of each path parameter the served routes take, by name."""
        return {"enterpriseId": self.store.enterprise_id}

    @property
    def store(self) -> Store:
        """The server's records."""
        if self._store is None:
            raise RuntimeError("the reference server is not started")
        return self._store

    @property
    def enterprise_id(self) -> str:
        """The BitGo partner enterprise whose allocations are served."""
        return self.store.enterprise_id

    @property
    def token(self) -> str:
        """The bearer token both APIs require (BRM only when brm_auth is on)."""
        return self._token

    def reset(self) -> None:
        """Restore the seeded data, dropping what churn inserted."""
        self.store.reset()


def _valid_throttle(throttle: tuple[int, float]) -> bool:
    try:
        requests, seconds = throttle
    except (TypeError, ValueError):
        return False
    whole = isinstance(requests, int) and not isinstance(requests, bool)
    finite = isinstance(seconds, int | float) and not isinstance(seconds, bool) and math.isfinite(seconds)
    return whole and requests >= 1 and finite and seconds > 0


def stop_all(servers: Sequence[ReferenceServer]) -> None:
    """Stop several servers concurrently (each takes a few tenths of a second to wind down)."""
    for server in servers:
        server.signal_stop()
    for server in servers:
        server.stop()
