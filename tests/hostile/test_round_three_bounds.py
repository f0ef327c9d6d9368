"""A hostile spec and a hostile vendor, round three (issue 22): bounds on what a spec may set, every
composed URL checked, strict validation, and long integers that cost no CPU.

Most cases are in-process and cheap: the configuration functions, `apiconform run` refused before
anything is sent, the guarded session against a loopback server, the JSON parse hook.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from apiconform import contract
from apiconform.cli import main
from apiconform.engine import config as engine_config
from apiconform.engine.checks.filtering import spelled_like
from apiconform.engine.model.apirun import readable
from apiconform.engine.model.jsonbody import LargeInt, parse_body, parse_count
from apiconform.engine.model.records import parse_decimal
from apiconform.engine.options import DEFAULT_REMOTE_RATE
from apiconform.engine.session import ConformanceSession
from apiconform.engine.transport.http import GuardedSession, Politeness, RateLimited, RefusedRequest
from apiconform.reporting.waivers import WaiverError, load_waivers
from tests.engine.scripted import Scripted

BRM = "brm-adjust-balance"
OES = "bitgo-oes"
BRM_FOLDER = "brm-tmf654"


def _spec_copy(tmp_path: Path, change: Any) -> Path:
    """The BRM spec, catalog and sources copied to `tmp_path/spec/`; `change(spec)` edits the spec."""
    target = tmp_path / "spec"
    shutil.copytree(contract.specs_dir() / BRM_FOLDER, target)
    (spec_path,) = target.glob("*.openapi.yaml")
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    change(spec)
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return spec_path


def _one_line_error(captured: Any, says: str) -> None:
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("apiconform: error: ") and says in lines[0], captured.err
    assert "Traceback" not in captured.err + captured.out


# --- item 17: `$` before a final newline -------------------------------------------------------------------


def test_an_api_name_ending_in_a_newline_is_one_line_and_exit_2(tmp_path, capsys):
    """`api: "brmx\\n"` passed the schema's `^[a-z0-9-]+$` (Python's `$` matches before a final newline)
    and ran, or ended in INTERNALERROR making a report folder whose name holds the newline."""
    spec_path = _spec_copy(tmp_path, lambda spec: spec["x-apiconform"].update(api="brmx\n"))
    catalog_path = spec_path.parent / "requirements.yaml"
    catalog = yaml.safe_load(catalog_path.read_text(encoding="utf-8"))
    catalog_path.write_text(yaml.safe_dump({**catalog, "api": "brmx\n"}, sort_keys=False), encoding="utf-8")
    code = main(["run", "--spec", str(spec_path), "--report-dir", str(tmp_path / "r"), "--max-requests", "1"])
    captured = capsys.readouterr()
    assert code == 2, captured
    _one_line_error(captured, "api: must match the pattern")
    assert not (tmp_path / "r").exists()


def test_a_token_or_secret_header_ending_in_a_newline_is_refused():
    with pytest.raises(engine_config.ConfigurationError, match="characters a bearer token cannot"):
        engine_config.checked_token("SeCrEtToKeN-abc123/XYZ+q==\n", "$APICONFORM_TOKEN")
    with pytest.raises(engine_config.ConfigurationError, match="not an HTTP header name"):
        engine_config.secret_headers(["X-Api-Key\n"])


def test_values_read_from_a_vendor_or_a_spec_are_matched_whole():
    assert parse_decimal("12.50") is not None and parse_decimal("12.50\n") is None
    instant = datetime(2024, 3, 5, 10, tzinfo=UTC)
    assert spelled_like("2020-01-01T12:00:27.000Z", instant) == "2024-03-05T10:00:00.000Z"
    assert spelled_like("2020-01-01T12:00:27.000Z\n", instant) is None
    assert spelled_like("２０２０-01-01T12:00:27Z", instant) is None  # full-width digits are no date-time


def test_a_waiver_id_ending_in_a_newline_is_refused(tmp_path):
    path = tmp_path / "waivers.yaml"
    path.write_text(
        '- requirement: "BRM-PAGE-OFFSET\\n"\n  reason: vendor fix due\n  ticket: T-1\n  expires: 2099-01-01\n',
        encoding="utf-8",
    )
    with pytest.raises(WaiverError):
        load_waivers(str(path))


def _patterns(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
        return own + [pattern for value in node.values() for pattern in _patterns(value)]
    if isinstance(node, list):
        return [pattern for value in node for pattern in _patterns(value)]
    return []


SCHEMAS = [
    contract.specs_dir() / "schemas" / "catalog.schema.yaml",
    contract.specs_dir() / "schemas" / "x-apiconform.schema.yaml",
    Path(engine_config.__file__).parents[1] / "reporting" / "report.schema.json",
    Path(engine_config.__file__).parents[1] / "reporting" / "waivers.schema.json",
]
# A value each pattern of the schemas admits (the first one it matches is used).
SAMPLES = ("brm", "BRM-PAGE-1", "scope_filter", "enterprise-id", "0" * 64, "/id", "sources/a.txt", "curl x")


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda path: path.name)
def test_schema_patterns_read_a_final_newline_as_ecma_262_does(schema):
    """jsonschema matches `pattern` with Python's `re.search`, whose `$` also matches before a final
    newline; ECMA-262's (the JSON Schema meaning) does not. Every pattern must give the same answer
    for a value followed by a newline in both readings (Python's `\\Z` is ECMA's `$`)."""
    loaded = (
        json.loads(schema.read_text(encoding="utf-8"))
        if schema.suffix == ".json"
        else yaml.safe_load(schema.read_text(encoding="utf-8"))
    )
    patterns = _patterns(loaded)
    assert patterns
    for pattern in patterns:
        sample = next((value for value in SAMPLES if re.search(pattern, value)), None)
        assert sample is not None, f"add a value {pattern!r} admits to SAMPLES"
        ecma = re.sub(r"(?<!\\)\$", r"\\Z", pattern)
        python_says = re.search(pattern, sample + "\n") is not None
        assert python_says == (re.search(ecma, sample + "\n") is not None), (pattern, sample)


# --- item 8: every composed URL is checked ----------------------------------------------------------------


def _ok(path: str) -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": "application/json"}, b"[]"


def test_a_spec_server_path_that_makes_another_host_is_refused_before_anything_is_sent(tmp_path):
    """`--api all --base-url http://127.0.0.1:18000` with a spec whose server URL is `@127.0.0.2:9/brm` made
    `http://127.0.0.1:18000@127.0.0.2:9/brm`: 127.0.0.2 got the preflight, with the target's host:port
    as Basic credentials."""

    def elsewhere(spec: dict[str, Any]) -> None:
        spec["servers"] = [{"url": "@127.0.0.2:9/brm"}]

    hostile = contract.load_spec(_spec_copy(tmp_path, elsewhere))
    contracts = {hostile.api: hostile, OES: contract.load(OES)}
    with pytest.raises(engine_config.ConfigurationError) as raised:
        engine_config.resolve_base_urls(contracts, ["http://127.0.0.1:18000"])
    message = str(raised.value)
    assert "\n" not in message and "user info" in message and f"the spec of {BRM}" in message, message

    def off_origin(spec: dict[str, Any]) -> None:
        spec["servers"] = [{"url": "/"}]
        spec["paths"] = {"@127.0.0.2:9" + path: item for path, item in spec["paths"].items()}

    hostile = contract.load_spec(_spec_copy(tmp_path / "paths", off_origin))
    with pytest.raises(engine_config.ConfigurationError, match="made from it holds user info"):
        engine_config.resolve_base_urls({hostile.api: hostile}, ["http://127.0.0.1:18000"])


def test_the_guarded_session_refuses_user_info_even_on_the_target_host():
    """requests turns `http://user:pass@host/` into Basic credentials: no URL with user info is sent."""
    server = Scripted(_ok)
    try:
        target = f"127.0.0.1:{server.served.port}"
        session = GuardedSession(f"http://{target}/brm", Politeness())
        with pytest.raises(RefusedRequest, match="user info"):
            session.get(f"http://{target}@{target}/brm/adjustBalance")
        with pytest.raises(ValueError, match="user info"):
            GuardedSession(f"http://127.0.0.1:1@{target}/brm", Politeness())
        assert server.seen == [] and session.traffic.sent == 0
    finally:
        server.close()


# --- item 16 (command line): odd characters in --base-url ---------------------------------------------------


@pytest.mark.parametrize(
    ("base_url", "says"),
    [
        ("http://127.0.0.1:\t9/brm", "control character or a non-ASCII character in its host or port"),
        ("http://127.0.0.1\t:9/brm", "control character or a non-ASCII character in its host or port"),
        ("http://127.0.0.1:\uff19/brm", "non-ASCII character in its host or port"),
        ("http://\uff11\uff12\uff17.0.0.1:9/brm", "non-ASCII character in its host or port"),
        ("http://127.0.0.1:9/br\x01m", "spaces, control or non-ASCII characters"),
        ("http://127.0.0.1:9/br\tm", "spaces, control or non-ASCII characters"),
        ("http://127.0.0.1:9/b\u00e4r", "spaces, control or non-ASCII characters"),
    ],
    ids=["tab-in-port", "tab-after-host", "full-width-port", "full-width-host", "control", "tab-in-path", "umlaut"],
)
def test_a_base_url_with_odd_characters_is_one_line_and_exit_2(base_url, says, tmp_path, capsys):
    code = main(["run", "--api", BRM, "--base-url", base_url, "--report-dir", str(tmp_path / "r")])
    captured = capsys.readouterr()
    assert code == 2, captured
    _one_line_error(captured, says)
    assert not (tmp_path / "r").exists()


# --- item 13: what a spec's rate-limit may do, and how long a 429 is waited out ------------------------------

BRM_AT_A_VENDOR = "https://vendor.example/brm/prepayBalanceManagement/v4"


def _documenting(tmp_path: Path, requests: int, per_seconds: float) -> contract.Contract:
    def rate(spec: dict[str, Any]) -> None:
        spec["x-apiconform"]["rate-limit"] = {"requests": requests, "per-seconds": per_seconds, "source": "a spec"}

    return contract.load_spec(_spec_copy(tmp_path, rate))


def _config(loaded: contract.Contract, **options: Any) -> engine_config.RunConfig:
    return engine_config.RunConfig.checked(
        apis=[loaded.api], base_urls={loaded.api: BRM_AT_A_VENDOR}, contracts={loaded.api: loaded}, **options
    )


def _politeness(loaded: contract.Contract, **options: Any) -> Politeness:
    return ConformanceSession(_config(loaded, **options)).runs[0].http.politeness


def test_a_spec_may_slow_the_default_pace_but_not_raise_it(tmp_path):
    """10,440 requests per 60 s documented paced a run at 87 per second; a daily quota was waited out."""
    fast = _documenting(tmp_path / "fast", 10440, 60)
    assert _politeness(fast).rate_limit == DEFAULT_REMOTE_RATE
    assert _politeness(fast, rate_limit=50.0).rate_limit == 50.0  # the user may raise it
    daily = _documenting(tmp_path / "daily", 1_000_000, 86400)
    assert _politeness(daily).max_retry_after == 60.0  # one day's window is no wait


def test_a_spec_rate_that_would_stall_the_run_needs_the_users_rate_limit(tmp_path, capsys):
    """One request per 40,000 s documented: half of it stalled a run for 20,000 s per request."""
    slow = _documenting(tmp_path, 1, 40000)
    argv = ["run", "--spec", str(slow.spec_path), "--base-url", "http://127.0.0.1:9/brm/prepayBalanceManagement/v4"]
    code = main([*argv, "--report-dir", str(tmp_path / "r")])
    captured = capsys.readouterr()
    assert code == 2, captured
    _one_line_error(captured, "give the pace to use with --rate-limit")
    engine_config.check_pace(_config(slow, rate_limit=0.5))  # the user's own pace is taken
    with pytest.raises(engine_config.ConfigurationError, match="at most 1000 requests per second"):
        engine_config.check_pace(_config(slow, rate_limit=5000.0))


def _throttled(retry_after: str) -> Any:
    return lambda path: (429, {"Retry-After": retry_after, "Content-Type": "application/json"}, b"{}")


def test_a_retry_after_past_the_ceiling_or_the_time_limit_is_not_waited_and_is_the_targets_doing():
    """A longer Retry-After ends the API's testing at once as the target's doing (incomplete, never partial)."""
    for retry_after, politeness in (
        ("20", Politeness(deadline=time.monotonic() + 10.0)),  # --max-time: 10 s left
        ("61", Politeness(max_retry_after=86400.0)),  # the ceiling, whatever the spec's window
    ):
        server = Scripted(_throttled(retry_after))
        try:
            session = GuardedSession(server.url("/brm"), politeness)
            with pytest.raises(RateLimited, match="longer than the"):
                session.get(server.url("/brm/adjustBalance"))
            assert len(server.seen) == 1 and session.traffic.retries_on_429 == 0
            assert session.control.cut_by_target, "the target's 429s, not the user's budget"
        finally:
            server.close()


# --- item 15: long integers cost no CPU ----------------------------------------------------------------------

LONG = "9" * 20_000


def test_a_20000_digit_integer_is_kept_as_its_text_never_converted():
    """Python's int() of a 20,000-digit text costs about 12 ms of CPU; a body of them cost seconds per
    response and ended a `--max-time 30` run at 33.6 s. The digits are kept; the int is a stand-in."""
    value = parse_body(f'{{"n": {LONG}, "m": -{LONG}}}'.encode())
    assert isinstance(value["n"], LargeInt) and value["n"].text == LONG and value["m"].text == "-" + LONG
    assert int.__repr__(value["n"]) == "9" * 4300, "the 20,000 digits were converted"
    assert value["n"] > 2**64 and value["m"] < -(2**64)


def test_long_integers_compare_exactly_by_their_text():
    """Equal, ordered and unique as the numbers are, at any length (30,000 digits read as one stand-in
    number before, so two different ones were equal)."""
    longer = "9" * 30_000
    one, same, less, negative = LargeInt(longer), LargeInt(longer), LargeInt("8" + longer[1:]), LargeInt("-" + longer)
    more_negative = LargeInt("-1" + "0" * 30_000)
    assert one == same and hash(one) == hash(same) and one != less and one != 10**100
    assert sorted([one, negative, less, more_negative]) == [more_negative, negative, less, one]
    import jsonschema

    unique = jsonschema.Draft202012Validator({"uniqueItems": True})
    assert not unique.is_valid([one, less, same]) and unique.is_valid([one, less])
    bounded = jsonschema.Draft202012Validator({"type": "integer", "maximum": 10**300, "enum": [1, 2]})
    assert len(list(bounded.iter_errors(one))) == 2 and not list(bounded.iter_errors(1))


def test_a_body_of_long_integers_is_read_and_validated_in_milliseconds():
    """A 2 MB body of a hundred 20,000-digit integers, read by the engine and by schemathesis' checks and
    validated against a schema: 2.4 s of CPU before, a few milliseconds now (the bound is generous)."""
    import jsonschema
    import requests

    body = ("[" + ",".join(f'{{"id": "{index}", "n": {LONG}}}' for index in range(100)) + "]").encode()
    response = requests.Response()
    response.status_code, response._content = 200, body
    response.headers["Content-Type"] = "application/json"
    response.request = requests.Request("GET", "http://127.0.0.1:9/brm").prepare()
    validator = jsonschema.Draft202012Validator({"items": {"properties": {"n": {"type": "integer", "maximum": 5}}}})
    started = time.process_time()
    records = parse_body(body)
    errors = list(validator.iter_errors(records))
    checked = readable(response)
    spent = time.process_time() - started
    assert len(records) == 100 and len(errors) == 100 and checked.json()[0]["n"] > 10**300
    assert spent < 0.5, f"{spent:.2f} s of CPU"


def test_a_target_sending_long_integers_costs_the_run_milliseconds():
    """The same body from a loopback target, through the engine's request, reading and response checks:
    4.7 s of CPU before, a few hundredths now."""
    body = ("[" + ",".join(f'{{"id": "{index}", "n": {LONG}}}' for index in range(100)) + "]").encode()
    headers = {"Content-Type": "application/json", "X-Result-Count": "100", "X-Total-Count": "100"}
    server = Scripted(lambda path: (200, headers, body))
    try:
        base_url = server.url(contract.load(BRM).server_path)
        session = ConformanceSession(
            engine_config.RunConfig.checked(apis=[BRM], base_urls={BRM: base_url}, rate_limit=1000.0)
        )
        run = session.runs[0]
        started = time.process_time()
        reply = run.get(run.semantics.paging.page(0, 100))
        spent = time.process_time() - started
    finally:
        server.close()
    assert len(reply.records(run.semantics.records_pointer) or []) == 100 and not run.ledger.errors
    assert spent < 1.0, f"{spent:.2f} s of CPU"


def test_a_count_header_is_ascii_digits_python_can_read():
    assert parse_count("42") == 42
    assert parse_count("\u0664\u0662") is None  # Arabic-Indic digits: isdigit() says yes, HTTP does not
    assert parse_count("9" * 5000) is None  # int() would raise (past Python's digit limit): no count
