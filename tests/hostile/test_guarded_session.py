"""The guarded session on its own: what it refuses to send, how it bounds an exchange, and what it tells."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests

from apiconform.engine.transport.http import (
    BudgetExhausted,
    ConnectionFailed,
    GuardedSession,
    Pacer,
    Politeness,
    RefusedRequest,
    ResponseTooLarge,
    TimedOut,
    TlsFailure,
    _retry_after,
)
from apiconform.server import ReferenceServer

from .conftest import BRM, Certificate, HostileFactory


def _url(server_url: str) -> str:
    return f"{server_url}/adjustBalance?limit=1"


def _session(base_url: str, **politeness: object) -> GuardedSession:
    return GuardedSession(base_url, Politeness(**politeness))  # type: ignore[arg-type]


def test_only_the_target_origin_and_allowed_methods_are_sent(
    hostile: HostileFactory, upstream: ReferenceServer
) -> None:
    server = hostile("proxy")
    base = server.api_base_url(BRM)
    # POST is refused even when a run allows it: it creates an adjustment at Oracle.
    session = _session(base, allowed_methods={"GET", "DELETE", "POST"})
    for method, url in (
        ("GET", _url(base).replace("127.0.0.1", "127.0.0.2")),
        ("GET", _url(base).replace("http://", "https://")),
        ("GET", _url(base).replace(f":{server.port}", f":{server.port + 1}")),
        ("POST", _url(base)),
        ("PUT", _url(base)),
    ):
        with pytest.raises(RefusedRequest):
            session.request(method, url)
    assert server.requests() == []
    assert session.traffic.sent == 0 and len(session.traffic.refused) == 5


def test_a_redirect_is_returned_not_followed(hostile: HostileFactory) -> None:
    elsewhere = hostile("proxy", host="127.0.0.2")
    server = hostile("redirect", redirect_to=elsewhere.origin)
    session = _session(server.api_base_url(BRM))
    response = session.get(_url(server.api_base_url(BRM)), headers={"Authorization": "Bearer secret-token"})
    assert response.status_code == 302
    assert elsewhere.requests() == []
    assert session.traffic.redirects == 1
    assert session.traffic.offsite_redirects == [f"302 -> {elsewhere.origin}{server.requests()[0].target}"]


def test_a_malformed_redirect_is_noted_not_a_crash(hostile: HostileFactory) -> None:
    server = hostile("redirect", redirect_to="http://[::1")
    session = _session(server.api_base_url(BRM))
    assert session.get(_url(server.api_base_url(BRM))).status_code == 302
    assert session.traffic.offsite_redirects[0].startswith("302 -> http://[::1/")


def test_a_request_is_cut_at_its_time_limit_however_the_body_arrives(hostile: HostileFactory) -> None:
    for behaviour in ("slow", "trickle"):
        server = hostile(behaviour, delay=30, interval=0.05)
        session = _session(server.api_base_url(BRM), timeout=0.5)
        started = time.monotonic()
        with pytest.raises(TimedOut, match=r"no complete answer within 0\.5 s"):
            session.get(_url(server.api_base_url(BRM)))
        assert time.monotonic() - started < 1.5, behaviour


def test_the_run_deadline_cuts_a_request_in_flight_and_stops_the_session(hostile: HostileFactory) -> None:
    server = hostile("slow", delay=30)
    session = _session(server.api_base_url(BRM), timeout=30, deadline=time.monotonic() + 0.5)
    started = time.monotonic()
    with pytest.raises(BudgetExhausted, match="time limit"):
        session.get(_url(server.api_base_url(BRM)))
    assert time.monotonic() - started < 1.5
    with pytest.raises(BudgetExhausted, match="time limit"):
        session.get(_url(server.api_base_url(BRM)))
    assert len(server.requests()) == 1


def test_bodies_are_capped_after_decompression(hostile: HostileFactory) -> None:
    for behaviour in ("huge", "endless", "gzip-bomb"):
        server = hostile(behaviour)
        session = _session(server.api_base_url(BRM), max_body=1024 * 1024)
        with pytest.raises(ResponseTooLarge, match="exceeded the 1 MiB cap"):
            session.get(_url(server.api_base_url(BRM)))


def test_transport_failures_say_what_happened_in_a_line(hostile: HostileFactory, certificate: Certificate) -> None:
    reset = hostile("reset")
    with pytest.raises(ConnectionFailed, match="^the target reset the connection$") as caught:
        _session(reset.api_base_url(BRM)).get(_url(reset.api_base_url(BRM)))
    # Still a ConnectionError, so schemathesis resends a request whose kept-alive connection dropped.
    assert isinstance(caught.value, requests.ConnectionError)
    tls = hostile("proxy", tls=certificate.server_context())
    with pytest.raises(TlsFailure, match=r"verification failed \(self-signed certificate\).*--ca-bundle"):
        _session(tls.api_base_url(BRM)).get(_url(tls.api_base_url(BRM)))
    closed = _session("http://127.0.0.1:9")
    with pytest.raises(ConnectionFailed, match="^the connection was refused$"):
        closed.get("http://127.0.0.1:9/adjustBalance")


def test_retry_after_is_read_as_seconds_or_a_date() -> None:
    assert _retry_after("2") == 2.0
    assert _retry_after("-3") == 0.0
    assert _retry_after("soon") is None and _retry_after("nan") is None and _retry_after(None) is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    assert _retry_after(later) == pytest.approx(120, abs=2)


def test_a_pacer_spaces_requests_and_refuses_a_turn_after_the_deadline() -> None:
    pacer = Pacer(4.0)
    waits = [pacer.reserve(None) for _ in range(3)]
    assert waits[0] == pytest.approx(0, abs=0.01)
    assert waits[2] == pytest.approx(0.5, abs=0.02)
    assert pacer.reserve(time.monotonic() + 0.1) is None
