"""`throttle`: a fixed rate window per client, 429 with Retry-After past it, as BitGo documents (360 per 60 s).

The wrapper's own tests call it directly with a fake clock; the server's go over loopback, ending
windows with a fake clock too, so no test waits for time to pass.
"""

from __future__ import annotations

import asyncio
import json
import math
import signal
from typing import Any

import pytest
import requests
from starlette.types import Message, Receive, Scope, Send

from apiconform.cli import main
from apiconform.server import ReferenceServer
from apiconform.server.app import Throttle
from apiconform.server.cli import parse_throttle
from tests.server.reference_client import Client
from tests.server.test_server_cli import _serve, _url

ALLOCATIONS = "/api/network/v1/enterprises/e1/partners/allocations"
ADJUSTMENTS = "/brm/prepayBalanceManagement/v4/adjustBalance"


class FakeClock:
    """Monotonic seconds that move only when a test says so."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Served:
    """An ASGI app answering 200 to every HTTP request, counting what reached it."""

    def __init__(self) -> None:
        self.requests = 0
        self.other_scopes: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            self.other_scopes.append(scope["type"])
            return
        self.requests += 1
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})


def call(
    app: Throttle,
    path: str = ALLOCATIONS,
    *,
    authorization: str | None = "Bearer one",
    client: tuple[str, int] | None = ("127.0.0.1", 50000),
    method: str = "GET",
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request straight into the ASGI app: status, headers (lower-case names), body."""
    headers = [] if authorization is None else [(b"authorization", authorization.encode())]
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": client,
        "server": ("127.0.0.1", 80),
    }
    messages: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        messages.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(message for message in messages if message["type"] == "http.response.start")
    body = b"".join(message.get("body", b"") for message in messages if message["type"] == "http.response.body")
    return start["status"], {name.decode(): value.decode() for name, value in start["headers"]}, body


# --- the wrapper --------------------------------------------------------------------------------


def test_the_request_past_the_limit_gets_429_with_the_seconds_left_and_a_json_body() -> None:
    clock = FakeClock()
    served = Served()
    throttle = Throttle(served, 3, 60, clock=clock)
    assert [call(throttle)[0] for _ in range(3)] == [200, 200, 200]
    clock.advance(15.5)
    status, headers, body = call(throttle)
    assert status == 429 and headers["retry-after"] == "45"  # 44.5 s left, rounded up to whole seconds
    assert headers["content-type"].startswith("application/json")
    assert json.loads(body) == {
        "error": "rate limit of 3 requests per 60 s exceeded; retry in 45 s",
        "name": "TooManyRequests",
    }
    assert served.requests == 3 and throttle.throttled == 1


def test_retry_after_is_at_least_one_second() -> None:
    clock = FakeClock()
    throttle = Throttle(Served(), 1, 60, clock=clock)
    call(throttle)
    clock.advance(59.999)
    status, headers, _ = call(throttle)
    assert status == 429 and headers["retry-after"] == "1"


def test_a_new_window_starts_at_the_first_request_after_the_last_one_ended() -> None:
    clock = FakeClock()
    served = Served()
    throttle = Throttle(served, 2, 60, clock=clock)
    assert [call(throttle)[0] for _ in range(3)] == [200, 200, 429]
    clock.advance(60)  # the window has just ended
    clock.advance(100)  # and nothing came for a while: the next window starts now, not at 60 or 120
    assert [call(throttle)[0] for _ in range(3)] == [200, 200, 429]
    clock.advance(59)
    status, headers, _ = call(throttle)
    assert status == 429 and headers["retry-after"] == "1"
    assert served.requests == 4 and throttle.throttled == 3


def test_each_token_has_its_own_window() -> None:
    clock = FakeClock()
    throttle = Throttle(Served(), 2, 60, clock=clock)
    assert [call(throttle, authorization="Bearer one")[0] for _ in range(3)] == [200, 200, 429]
    clock.advance(30)
    assert [call(throttle, authorization="Bearer two")[0] for _ in range(3)] == [200, 200, 429]
    # Each window started at its own first request: 30 s left for one, 60 for two.
    assert call(throttle, authorization="Bearer one")[1]["retry-after"] == "30"
    assert call(throttle, authorization="Bearer two")[1]["retry-after"] == "60"


def test_without_a_token_each_client_address_has_its_own_window() -> None:
    throttle = Throttle(Served(), 1, 60, clock=FakeClock())
    first, second = ("10.0.0.1", 1000), ("10.0.0.2", 1000)
    assert [call(throttle, authorization=None, client=first)[0] for _ in range(2)] == [200, 429]
    # Another connection from the same address is the same client; another address is not.
    assert call(throttle, authorization=None, client=("10.0.0.1", 2000))[0] == 429
    assert call(throttle, authorization=None, client=second)[0] == 200
    # A request with a token counts for the token, not for the address it came from.
    assert call(throttle, authorization="Bearer one", client=first)[0] == 200


def test_every_path_and_method_counts_and_brm_paths_get_a_tmf_error() -> None:
    throttle = Throttle(Served(), 3, 60, clock=FakeClock())
    assert call(throttle, "/nowhere")[0] == 200
    assert call(throttle, ADJUSTMENTS, method="DELETE")[0] == 200
    assert call(throttle, method="HEAD")[0] == 200
    status, _, body = call(throttle, ADJUSTMENTS)
    assert status == 429
    error = json.loads(body)
    assert error["@type"] == "Error" and error["status"] == "429" and error["code"] == "TOO_MANY_REQUESTS"


def test_lifespan_passes_through_uncounted() -> None:
    served = Served()
    throttle = Throttle(served, 1, 60, clock=FakeClock())

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    async def send(message: Message) -> None:
        pass

    asyncio.run(throttle({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send))
    assert served.other_scopes == ["lifespan"]
    assert call(throttle)[0] == 200


# --- the server, over loopback ------------------------------------------------------------------


def test_the_server_answers_429_past_the_limit_and_serves_again_in_a_new_window() -> None:
    clock = FakeClock()
    with ReferenceServer(records=50, throttle=(3, 60), throttle_clock=clock) as server:
        client = Client(server)
        assert [client.allocations().status_code for _ in range(3)] == [200, 200, 200]
        clock.advance(20)
        refused = client.allocations()
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60 and refused.headers["Retry-After"] == "40"
        assert refused.json()["name"] == "TooManyRequests"
        assert server.throttled == 1
        clock.advance(40)
        assert client.allocations().status_code == 200
        assert server.throttled == 1


def test_the_server_counts_every_request_and_each_token_separately() -> None:
    with ReferenceServer(records=50, throttle=(2, 60), throttle_clock=FakeClock()) as server:
        client = Client(server)
        assert client.get(server.base_url + "/nowhere").status_code == 404
        assert client.adjustments(method="POST").status_code == 405
        assert client.allocations().status_code == 429
        # An unknown token is a client of its own: its first two requests reach the handlers (and get 401).
        assert [client.allocations(token="someone-else").status_code for _ in range(3)] == [401, 401, 429]
        assert [client.allocations(token=None).status_code for _ in range(3)] == [401, 401, 429]
        assert server.throttled == 3


def test_no_throttle_by_default() -> None:
    server = ReferenceServer()
    assert server.throttle is None and server.throttled == 0


@pytest.mark.parametrize(
    "throttle", [(0, 60), (-1, 60), (5, 0), (5, -1), (5, math.inf), (5, math.nan), (1.5, 60), (True, 60)]
)
def test_a_bad_throttle_is_refused(throttle: Any) -> None:
    with pytest.raises(ValueError, match="throttle must be"):
        ReferenceServer(throttle=throttle)


# --- the command line ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [("360/60", (360, 60.0)), (" 5/0.5 ", (5, 0.5)), ("1/1e3", (1, 1000.0))],
)
def test_throttle_values_are_read_as_requests_per_seconds(text: str, expected: tuple[int, float]) -> None:
    assert parse_throttle(text) == expected


@pytest.mark.parametrize(
    "value", ["0/60", "abc", "-5/60", "5/-60", "5/0", "5/inf", "5/nan", "5", "5/", "/60", "5.5/60", "5/60/1", "5/60s"]
)
def test_a_bad_throttle_is_a_one_line_usage_error(capsys: pytest.CaptureFixture[str], value: str) -> None:
    assert main(["serve", f"--throttle={value}"]) == 2  # "=": argparse reads "-5/60" as an option
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("apiconform serve: error: --throttle must be REQUESTS/SECONDS")
    assert f"got {value!r}" in error


def test_serve_throttles_and_prints_the_429s_it_answered_when_it_stops() -> None:
    for process, lines in _serve("--token", "t0ken", "--throttle", "2/60"):
        assert "latency 0 ms, throttle 2 requests per 60 s," in lines[0]
        allocations = _url(lines, "allocations")
        authorised = {"Authorization": "Bearer t0ken"}
        statuses = [requests.get(allocations, headers=authorised, timeout=10).status_code for _ in range(4)]
        assert statuses == [200, 200, 429, 429]
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        assert process.stdout is not None
        assert process.stdout.read().splitlines() == [
            "throttle answered 2 requests with 429 Too Many Requests",
            "apiconform reference server stopped",
        ]


def test_serve_says_when_there_is_no_throttle() -> None:
    for process, lines in _serve():
        assert "throttle none," in lines[0]
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        assert process.stdout is not None
        assert "throttle answered" not in process.stdout.read()
