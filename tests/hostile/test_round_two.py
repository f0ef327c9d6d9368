"""A hostile vendor, round two (issue 13): the token never leaks in part or in disguise, vendor text
never drives a terminal or a CI runner, odd bytes never cost a report.

Each case is a loopback proxy in front of a reference server that spoils the answers one way (it
rewrites the body, adds headers, sends an interim answer first), an in-process `apiconform run`
through it, and what must hold of every artefact and of the terminal.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

import pytest

from apiconform.cli import main
from apiconform.server import ReferenceServer
from tests.engine.scripted import TEST_SERVER_RATE
from tests.loopback import InThread

from .conftest import BRM, TIGHT, Outcome, no_traceback

TOKEN = "SeCrEtToKeN-abc123/XYZ+q=="
# How the token could be spelt in what a vendor echoes: as it is, JSON-escaped the PHP way, percent- and
# form-encoded (either case of hex digit).
SPELLINGS = {
    TOKEN,
    TOKEN.replace("/", "\\/"),
    quote(TOKEN, safe=""),
    re.sub("%[0-9A-F]{2}", lambda match: match.group().lower(), quote(TOKEN, safe="")),
    quote_plus(TOKEN, safe=""),
}
EXCERPT = 600  # the suite cuts a body to this many characters in its evidence


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


Spoil = Callable[[str, Answer], Answer]


class SpoilingProxy:
    """A loopback server passing GETs on to `upstream` and answering what `spoil(path, answer)` makes of the
    upstream's answer; `interim` raw bytes (a 1xx answer) go out before each final answer."""

    def __init__(self, upstream: ReferenceServer, spoil: Spoil, interim: bytes = b"") -> None:
        owner = self
        self.upstream = upstream

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes; with Nagle on, each answer waits for a delayed ACK (40 ms).
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                origin = urlsplit(owner.upstream.base_url)
                connection = http.client.HTTPConnection(origin.hostname or "", origin.port, timeout=30)
                forwarded = {name: value for name, value in self.headers.items() if name.lower() != "host"}
                connection.request("GET", self.path, headers=forwarded)
                reply = connection.getresponse()
                keep = ("content-type", "x-total-count", "x-result-count")
                headers = [(name, value) for name, value in reply.getheaders() if name.lower() in keep]
                answer = spoil(self.path, Answer(reply.status, headers, reply.read()))
                connection.close()
                if interim:
                    self.wfile.write(interim)
                self.send_response(answer.status)
                for name, value in answer.headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

        self.served = InThread(ThreadingHTTPServer(("127.0.0.1", 0), Handler))

    def base_url(self, api: str) -> str:
        return f"http://127.0.0.1:{self.served.port}" + urlsplit(self.upstream.api_base_url(api)).path

    def close(self) -> None:
        self.served.stop()


@pytest.fixture(scope="module")
def known_token_upstream(make_reference_server: Callable[..., ReferenceServer]) -> ReferenceServer:
    """A small reference server that accepts the known token (so the artefacts can be searched for it)."""
    return make_reference_server(records=200, token=TOKEN)


@pytest.fixture
def proxy(known_token_upstream: ReferenceServer) -> Iterator[Callable[..., SpoilingProxy]]:
    made: list[SpoilingProxy] = []

    def make(spoil: Spoil, interim: bytes = b"") -> SpoilingProxy:
        made.append(SpoilingProxy(known_token_upstream, spoil, interim))
        return made[-1]

    yield make
    for server in made:
        server.close()


@pytest.fixture
def run_through(capfd: pytest.CaptureFixture[str], tmp_path: Path) -> Callable[..., Outcome]:
    """`apiconform run --api brm-adjust-balance` at `server` with the known token from the environment."""

    def run(server: SpoilingProxy, *extra: str) -> Outcome:
        report_dir = tmp_path / "report"
        argv = ["run", "--api", BRM, "--base-url", server.base_url(BRM), "--report-dir", str(report_dir)]
        argv += ["--rate-limit", str(TEST_SERVER_RATE)]  # the proxy is the test's own
        argv += [*TIGHT, "--max-requests", "80", "--allow-partial", *extra]
        saved = os.environ.get("APICONFORM_TOKEN")
        os.environ["APICONFORM_TOKEN"] = TOKEN
        capfd.readouterr()
        try:
            code = main(argv)
        finally:
            if saved is None:
                os.environ.pop("APICONFORM_TOKEN", None)
            else:
                os.environ["APICONFORM_TOKEN"] = saved
        out, err = capfd.readouterr()
        outcome = Outcome(code, out, err, 0.0, report_dir)
        # Whatever the case, no artefact and no line of the terminal holds the token in any spelling.
        if report_dir.is_dir():
            leaks = {name: _leaks(text) for name, text in _artefacts(outcome).items() if _leaks(text)}
            assert not leaks, leaks
        return outcome

    return run


def _artefacts(outcome: Outcome) -> dict[str, str]:
    """Every file the run wrote, and the terminal, as text."""
    texts = {path.name: path.read_text(encoding="utf-8") for path in outcome.directory.iterdir() if path.is_file()}
    texts["terminal"] = outcome.terminal
    return texts


def _leaks(text: str) -> list[str]:
    """The spellings of the token in `text`, and any 6-character start of one."""
    return sorted({spelled[:6] for spelled in SPELLINGS if spelled[:6] in text} | {s for s in SPELLINGS if s in text})


def _records(body: bytes) -> list[Any]:
    value = json.loads(body)
    return value if isinstance(value, list) else []


def _json_answer(answer: Answer, body: str) -> Answer:
    return Answer(answer.status, answer.headers, body.encode("utf-8", "surrogatepass"))


# --- 1 and 2: the token in part or in disguise ---------------------------------------------------------


def _echo_token_everywhere(path: str, answer: Answer) -> Answer:
    """Breaks the records' schema (so bodies become evidence) and echoes the token: cut at the excerpt's
    edge, JSON-escaped with `\\/`, and percent- and form-encoded in headers."""
    if answer.status != 200:
        return answer
    opening = '[{"id": 1, "pad": "'
    padding = "p" * (EXCERPT - len(opening) - 10)  # the excerpt ends 10 characters into the token
    php_escaped = TOKEN.replace("/", "\\/")
    body = f'{opening}{padding}{TOKEN}", "escaped": "{php_escaped}"}}]'
    headers = [
        ("Content-Type", "application/json"),
        ("X-Echo-Percent", quote(TOKEN, safe="")),
        ("X-Echo-Form", re.sub("%[0-9A-F]{2}", lambda match: match.group().lower(), quote_plus(TOKEN, safe=""))),
    ]
    return _json_answer(Answer(200, headers, b""), body)


def test_the_token_never_leaks_in_part_or_in_disguise(proxy, run_through):
    outcome = run_through(proxy(_echo_token_everywhere), "--har", "--cassette", "--verbose")
    no_traceback(outcome)
    assert outcome.code == 1, outcome.terminal[-3000:]
    texts = _artefacts(outcome)
    assert {"report.json", "junit.xml", "report.md", "report.html", "property-tests.har"} <= set(texts)
    assert "$APICONFORM_TOKEN" in texts["report.json"], "the echoes were there to be masked"
    found = {name: _leaks(text) for name, text in texts.items() if _leaks(text)}
    assert not found, found


# --- 3 and 4: credentials in --base-url, two parsers, loopback by prefix ----------------------------------


@pytest.mark.parametrize(
    ("base_url", "says"),
    [
        ("http://alice:Pa55w0rd@127.0.0.1:9/brm", "user info"),
        ("http://127.0.0.1:9\\@evil.example/x", "--base-url"),
        ("http://127.0.0.1:9%2F@evil.example/x", "--base-url"),
        ("http://127.0.0.1\\.evil.example/x", "read differently by different URL parsers"),
    ],
    ids=["userinfo", "backslash-at", "encoded-at", "backslash-host"],
)
def test_a_base_url_with_credentials_or_two_readings_is_refused(base_url, says, capsys, tmp_path):
    code = main(["run", "--api", BRM, "--base-url", base_url, "--report-dir", str(tmp_path / "r")])
    captured = capsys.readouterr()
    assert code == 2, captured
    assert len(captured.err.strip().splitlines()) == 1 and says in captured.err
    assert "Pa55w0rd" not in captured.err + captured.out and "evil.example" not in captured.err.split(":", 2)[-1][:0]
    assert not (tmp_path / "r").exists()


# --- 5 and 6: vendor text drives neither the terminal nor a CI runner -------------------------------------

SPOOF = "\x1b]0;pwned\x07\x1b[2J\x00\u202eevil\n::error title=Spoofed::Vendor says all good\n::stop-commands::x"


def _control_characters(path: str, answer: Answer) -> Answer:
    if answer.status != 200:
        return answer
    records = _records(answer.body)
    for record in records:
        record["status"] = SPOOF  # not a documented value: the filter checks quote it
        record["id"] = 7  # and a schema failure quotes the body
    headers = [*answer.headers, ("X-Vendor", "\x1b[31mred\x07")]
    return Answer(answer.status, headers, json.dumps(records).encode())


def test_vendor_text_reaches_the_terminal_only_as_printable_escapes(proxy, run_through):
    outcome = run_through(proxy(_control_characters), "--verbose")
    no_traceback(outcome)
    assert outcome.code == 1
    for name, text in (("stdout", outcome.out), ("stderr", outcome.err)):
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]", text), (name, text[-2000:])
        starts = [line for line in text.splitlines() if line.lstrip().startswith("::")]
        assert not starts, (name, starts)
    assert "\\x1b" in outcome.terminal, "the escape is shown, not dropped"


# --- 7: a lone surrogate costs nothing -------------------------------------------------------------------


def _lone_surrogate(path: str, answer: Answer) -> Answer:
    if answer.status != 200 or not answer.body.startswith(b"["):
        return answer
    # A JSON text may spell a lone surrogate; no UTF-8 file can hold one.
    return Answer(answer.status, answer.headers, answer.body.replace(b'"id"', b'"\\ud800evil": 1, "id"', 1))


def test_a_lone_surrogate_in_a_vendor_key_costs_no_report(proxy, run_through):
    outcome = run_through(proxy(_lone_surrogate))
    no_traceback(outcome)
    assert outcome.code in (0, 1), outcome.terminal[-3000:]
    texts = _artefacts(outcome)
    assert {"report.json", "junit.xml", "report.md", "report.html"} <= set(texts)
    ET.fromstring(texts["junit.xml"])  # well-formed XML
    # A report.json may spell a lone surrogate too (JSON allows it): re-rendering it costs nothing either.
    stored = outcome.directory / "report.json"
    stored.write_text(stored.read_text(encoding="utf-8").replace('"title": "', '"title": "\\ud800', 1))
    for format_name in ("md", "html", "junit"):
        assert (
            main(["report", str(outcome.directory), "--format", format_name, "-o", str(outcome.directory / "x")]) == 0
        )


# --- 8: odd but legal HTTP and JSON ----------------------------------------------------------------------


def test_an_interim_103_answer_is_skipped(proxy, run_through):
    hints = b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
    outcome = run_through(proxy(lambda path, answer: answer, interim=hints))
    no_traceback(outcome)
    assert outcome.code == 0, outcome.terminal[-3000:]
    # A smoke run of 80 requests (--allow-partial): nothing failed, and what was left unjudged is said.
    assert outcome.report()["verdict"] == "partial"


def _huge_numbers(path: str, answer: Answer) -> Answer:
    """Valid JSON numbers past what Python reads as they are: 5,000 digits, and an exponent past a float."""
    if answer.status != 200 or not answer.body.startswith(b"["):
        return answer
    body = answer.body
    numbers = list(re.finditer(rb'"amount":\{"amount":(-?[0-9.eE+-]+)', body))[:2]
    # From the last to the first, so that the earlier positions still hold.
    for match, huge in reversed(list(zip(numbers, (b"9" * 5000, b"1e999999"), strict=False))):
        body = body[: match.start(1)] + huge + body[match.end(1) :]
    return Answer(answer.status, answer.headers, body)


def test_big_integers_and_huge_exponents_are_judged_as_json_numbers(proxy, run_through):
    spoiled = proxy(_huge_numbers)
    sample = _huge_numbers("", Answer(200, [], b'[{"amount":{"amount":5.0}},{"amount":{"amount":-2}}]'))
    assert sample.body == b'[{"amount":{"amount":' + b"9" * 5000 + b'}},{"amount":{"amount":1e999999}}]'
    outcome = run_through(spoiled)
    no_traceback(outcome)
    assert outcome.code == 0, [item for item in outcome.report()["requirements"] if item["verdict"] == "fail"]


# --- 9: token files ---------------------------------------------------------------------------------------


def test_a_token_file_that_is_no_regular_file_or_too_large_is_refused(tmp_path, capsys):
    big = tmp_path / "big"
    big.write_bytes(b"a" * (64 * 1024 + 1))
    for path, says in (("/dev/zero", "not a regular file"), (str(tmp_path), "not a regular file"), (big, "64 KiB")):
        code = main(["run", "--api", BRM, "--token-file", str(path), "--report-dir", str(tmp_path / "r")])
        captured = capsys.readouterr()
        assert code == 2 and says in captured.err and len(captured.err.strip().splitlines()) == 1, captured


def test_a_token_file_others_can_read_is_taken_with_a_warning(tmp_path, capsys, monkeypatch):
    from apiconform.engine import driver

    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    token_file.chmod(0o644)
    seen = []
    monkeypatch.setattr(driver, "run", lambda config, **kwargs: seen.append(config.token) or 0)
    argv = ["run", "--api", BRM, "--base-url", "http://127.0.0.1:9/brm", "--token-file", str(token_file)]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert seen == [TOKEN]
    assert err.startswith("apiconform: warning: --token-file") and "chmod 600" in err and TOKEN not in err
    token_file.chmod(0o600)
    assert main(argv) == 0
    assert capsys.readouterr().err == ""


# --- 10: report.md for a GitHub job summary ----------------------------------------------------------------


def _mentions(path: str, answer: Answer) -> Answer:
    if answer.status != 200:
        return answer
    records = _records(answer.body)
    for record in records:
        record["status"] = "ping @octocat, see https://evil.example/login or www.evil.example"
    return Answer(answer.status, answer.headers, json.dumps(records).encode())


def test_report_md_keeps_mentions_and_links_inert(proxy, run_through):
    outcome = run_through(proxy(_mentions))
    assert outcome.code == 1
    markdown = (outcome.directory / "report.md").read_text(encoding="utf-8")
    assert "@octocat" in markdown, "the vendor's words are reported"
    outside = re.sub(r"(`+).*?\1", "", markdown)  # what is left outside code spans
    assert "@octocat" not in outside and "https://evil" not in outside and "www.evil" not in outside, outside
