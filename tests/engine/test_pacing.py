"""A run is paced as the vendor documents: half the documented rate by default on every target but the
embedded reference server, loopback included (x-apiconform `rate-limit`), 10 requests per second where
none is documented, and a 429 is waited out up to one documented window. Nothing is sent: the sessions
are built, not run."""

from __future__ import annotations

import pytest

from apiconform.engine.config import RunConfig
from apiconform.engine.session import ConformanceSession

OES = "bitgo-oes"
BRM = "brm-adjust-balance"
REMOTE = {OES: "https://vendor.example/api/network/v1", BRM: "https://vendor.example/brm/prepayBalanceManagement/v4"}


def _politeness(api: str, base_url: str, **options):
    config = RunConfig.checked(apis=[api], base_urls={api: base_url}, path_params={"enterpriseId": "e-1"}, **options)
    session = ConformanceSession(config)
    try:
        return session.runs[0].http.politeness
    finally:
        session.stop_server()


@pytest.mark.parametrize(
    ("api", "base_url", "options", "rate", "longest_wait"),
    [
        (OES, REMOTE[OES], {}, 3.0, 60.0),  # 360 per 60 s documented: half of 6 per second
        (BRM, REMOTE[BRM], {}, 10.0, 30.0),  # nothing documented
        (OES, REMOTE[OES], {"rate_limit": 5.0}, 5.0, 60.0),  # --rate-limit decides
        (OES, "http://127.0.0.1:9/api/network/v1", {}, 3.0, 60.0),  # this machine too: a tunnel may lead on
    ],
    ids=["documented", "undocumented", "given", "loopback"],
)
def test_the_default_pace_follows_the_vendors_documented_rate(api, base_url, options, rate, longest_wait):
    politeness = _politeness(api, base_url, **options)
    assert politeness.rate_limit == rate
    assert politeness.max_retry_after == longest_wait


def test_only_the_embedded_reference_server_is_unpaced():
    session = ConformanceSession(RunConfig.checked(apis=[OES]))
    try:
        assert session.embedded and session.runs[0].http.politeness.rate_limit is None
    finally:
        session.stop_server()
