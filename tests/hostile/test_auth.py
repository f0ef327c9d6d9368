"""Every way a run authenticates besides the bearer token (--header and its -file and -env forms, Basic, an
API key in a header or the query, a client certificate) and its --proxy: each against a loopback target
that answers 401 without it, and its secret in no report, recording or output, though the target echoes it.
Bad values end with one line and exit code 2, the value never shown."""

from __future__ import annotations

import argparse
import base64
import http.client
import os
import ssl
import subprocess
import sys
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from apiconform.cli import main
from apiconform.engine.config import ConfigurationError, UnmaskedHeaderWarning, read_token, target_auth
from apiconform.engine.options import RUN_OPTIONS
from apiconform.engine.transport.auth import TargetAuth
from apiconform.engine.transport.http import GuardedSession, Politeness, TargetError
from tests.loopback import InThread

from .conftest import BRM, TIGHT, Certificate, HostileFactory, Outcome, no_traceback, run_argv
from .server import Seen

# Each canary is a secret of the run's: the target requires it, and echoes it in every answer.
HEADER_SECRET = "canary-header-8c1d0f"
PASSWORD = "canary-password-5e7a"
API_KEY = "canary-api-key+/=42"
PROXY_PASSWORD = "canary-proxy-pass-31"
SMALL = (*TIGHT, "--max-requests", "40", "--allow-partial", "--har", "--cassette")


def no_secret_written(outcome: Outcome, *secrets: str) -> None:
    """None of `secrets` (nor their base64) is on the terminal or in any file of the report folder."""
    written = sorted(outcome.directory.iterdir())
    assert {"report.json", "property-tests.har", "property-tests-cassette.yaml"} <= {path.name for path in written}
    forms = [*secrets, *(base64.b64encode(secret.encode()).decode() for secret in secrets)]
    for secret in forms:
        assert secret not in outcome.terminal
        for path in written:
            assert secret not in path.read_text(encoding="utf-8"), (secret, path.name)


def accepted(outcome: Outcome, seen: list[Seen], require: Callable[[Seen], bool]) -> None:
    """The run got past the preflight: every request the target saw carried the credentials it requires."""
    no_traceback(outcome)
    assert outcome.code in (0, 1), outcome.terminal
    assert "could not be tested" not in outcome.terminal
    assert len(seen) > 10
    assert all(require(request) for request in seen)


def has_header(name: str, value: str) -> Callable[[Seen], bool]:
    return lambda seen: seen.headers.get(name) == value


@pytest.mark.parametrize(
    ("given", "environment", "placeholder"),
    [
        (["--header", f"X-Tenant-Secret={HEADER_SECRET}"], {}, "X-Tenant-Secret: [Filtered]"),
        (["--header-env", "X-Tenant-Secret=TENANT_SECRET"], {"TENANT_SECRET": HEADER_SECRET}, "$TENANT_SECRET"),
        (["--header-file", "X-Tenant-Secret={file}"], {}, "X-Tenant-Secret: [Filtered]"),
    ],
    ids=["header", "header-env", "header-file"],
)
def test_a_header_is_sent_on_every_request_and_never_written(
    given: list[str],
    environment: dict[str, str],
    placeholder: str,
    hostile: HostileFactory,
    upstream,
    run_cli: Callable[..., Outcome],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    require = has_header("X-Tenant-Secret", HEADER_SECRET)
    server = hostile("auth", options={"require": require})
    secret_file = tmp_path / "header.txt"
    secret_file.write_text(HEADER_SECRET + "\n")
    secret_file.chmod(0o600)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("APICONFORM_TOKEN", raising=False)
    argv = [*run_argv(server, upstream, BRM, tmp_path / "r", *SMALL), *(arg.format(file=secret_file) for arg in given)]
    outcome = run_cli(argv)
    accepted(outcome, server.requests(), require)
    no_secret_written(outcome, HEADER_SECRET)
    report = outcome.report()
    assert report["settings"]["auth"] == ["header X-Tenant-Secret"]
    assert "X-Tenant-Secret" in report["redaction"]["secret_headers"]
    assert placeholder in outcome.text("report.json")  # the curl lines say what to send


def test_basic_auth_is_sent_and_neither_password_nor_credentials_written(
    hostile: HostileFactory, upstream, run_cli: Callable[..., Outcome], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    credentials = base64.b64encode(f"gate-user:{PASSWORD}".encode()).decode()
    require = has_header("Authorization", f"Basic {credentials}")
    server = hostile("auth", options={"require": require})
    monkeypatch.delenv("APICONFORM_TOKEN", raising=False)
    monkeypatch.setenv("APICONFORM_BASIC_PASSWORD", PASSWORD)
    outcome = run_cli([*run_argv(server, upstream, BRM, tmp_path / "r", *SMALL), "--basic-user", "gate-user"])
    accepted(outcome, server.requests(), require)
    no_secret_written(outcome, PASSWORD, credentials)
    assert outcome.report()["settings"]["auth"] == ["basic"]
    assert '-u \\"gate-user:$APICONFORM_BASIC_PASSWORD\\"' in outcome.text("report.json")


def test_an_api_key_in_a_header_is_sent_and_never_written(
    hostile: HostileFactory, upstream, run_cli: Callable[..., Outcome], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require = has_header("X-Api-Key", API_KEY)
    server = hostile("auth", options={"require": require})
    monkeypatch.delenv("APICONFORM_TOKEN", raising=False)
    key_file = tmp_path / "key.txt"
    key_file.write_text(API_KEY)
    key_file.chmod(0o600)
    argv = [*run_argv(server, upstream, BRM, tmp_path / "r", *SMALL), "--api-key-header", "X-Api-Key"]
    outcome = run_cli([*argv, "--api-key-file", str(key_file)])
    accepted(outcome, server.requests(), require)
    no_secret_written(outcome, API_KEY)
    assert '-H \\"X-Api-Key: $APICONFORM_API_KEY\\"' in outcome.text("report.json")


def test_an_api_key_in_the_query_is_sent_and_never_shown_nor_judged_as_a_parameter(
    hostile: HostileFactory, upstream, run_cli: Callable[..., Outcome], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from urllib.parse import parse_qs, urlsplit

    def require(seen: Seen) -> bool:
        return parse_qs(urlsplit(seen.target).query).get("access_key") == [API_KEY]

    server = hostile("auth", options={"require": require, "strip": "access_key"})
    monkeypatch.delenv("APICONFORM_TOKEN", raising=False)
    monkeypatch.setenv("APICONFORM_API_KEY", API_KEY)
    outcome = run_cli([*run_argv(server, upstream, BRM, tmp_path / "r", *SMALL), "--api-key-query", "access_key"])
    accepted(outcome, server.requests(), require)
    no_secret_written(outcome, API_KEY)
    report = outcome.text("report.json")
    assert '--url-query \\"access_key=$APICONFORM_API_KEY\\"' in report
    # The checks never saw the key: no URL the run shows has it, and no requirement failed over it.
    assert "access_key=" not in report.replace("access_key=$APICONFORM_API_KEY", "")
    assert "access_key" not in outcome.text("property-tests.har").replace("access_key=$APICONFORM_API_KEY", "")
    assert outcome.code == 0, outcome.terminal


def test_without_the_credentials_the_target_is_untestable(
    hostile: HostileFactory, upstream, run_cli: Callable[..., Outcome], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The quiet side of the tests above: the loopback target does refuse a run without its credentials.
    server = hostile("auth", options={"require": has_header("X-Api-Key", API_KEY)})
    monkeypatch.delenv("APICONFORM_TOKEN", raising=False)
    monkeypatch.setenv("APICONFORM_API_KEY", "another-key-entirely")
    outcome = run_cli([*run_argv(server, upstream, BRM, tmp_path / "r", *SMALL), "--api-key-header", "X-Api-Key"])
    assert outcome.code == 3
    assert "answered 401 to a plain request with api key in header X-Api-Key" in outcome.terminal


BASE = ["run", "--api", BRM, "--base-url", "https://brm.example.test/brm/prepayBalanceManagement/v4"]
SHOWN_NEVER = "s3cr3t-value-77"


@pytest.mark.parametrize(
    ("argv", "environment", "says"),
    [
        (["--header", "X-Key"], {}, "--header: expected NAME=VALUE"),
        (["--header", f"X Key={SHOWN_NEVER}"], {}, "--header: the part before = is not an HTTP header name"),
        (["--header", f"X-Key={SHOWN_NEVER}\r\nX-Injected: 1"], {}, "the value holds a line end"),
        (["--header", f"Host={SHOWN_NEVER}"], {}, "--header Host: the run's transport sets this header"),
        (["--header", f"Transfer-Encoding={SHOWN_NEVER}"], {}, "the run's transport sets this header"),
        (["--header", f"Authorization=Token {SHOWN_NEVER}"], {"APICONFORM_TOKEN": "a-bearer-token-1"}, "twice"),
        (["--header", f"X-A={SHOWN_NEVER}", "--header", f"x-a={SHOWN_NEVER}"], {}, "the header x-a is given twice"),
        (["--header-env", "X-Key=NOT_SET_ANYWHERE"], {}, "$NOT_SET_ANYWHERE is not set or empty"),
        (["--header-file", "X-Key=/nonexistent/file"], {}, "--header-file: /nonexistent/file: no such file"),
        (["--basic-user", "gate"], {}, "--basic-user needs a password"),
        (["--basic-user", "gate:x", "--basic-password", SHOWN_NEVER], {}, "without a colon"),
        (["--basic-password", SHOWN_NEVER], {}, "--basic-password and --basic-password-file need --basic-user"),
        (["--basic-user", "gate", "--basic-password", "short"], {}, "shorter than 8 characters"),
        (
            ["--basic-user", "gate"],
            {"APICONFORM_BASIC_PASSWORD": SHOWN_NEVER, "APICONFORM_TOKEN": "a-bearer-1"},
            "give one",
        ),
        (["--api-key", SHOWN_NEVER], {}, "--api-key needs --api-key-header NAME or --api-key-query NAME"),
        (["--api-key-header", "X-Key"], {}, "--api-key-header needs the key"),
        (["--api-key-query", "k", "--api-key-header", "X-Key"], {}, "give one (where the API key goes)"),
        (["--api-key-query", "k", "--api-key", f"{SHOWN_NEVER} x"], {}, "--api-key: the API key holds spaces"),
        (["--client-key", __file__], {}, "--client-key needs --client-cert"),
        (["--client-cert", "/nonexistent/cert.pem"], {}, "--client-cert: /nonexistent/cert.pem is not a readable"),
        (["--client-cert", __file__], {}, "does not hold a PEM certificate and its matching private key"),
        (["--proxy", f"socks5://u:{SHOWN_NEVER}@127.0.0.1:1080"], {}, "--proxy: not an http:// or https:// URL"),
        (["--proxy", f"http://u:{SHOWN_NEVER}@127.0.0.1:3128/path"], {}, "give only scheme, host and port"),
        (["--proxy", f"http://u:{SHOWN_NEVER}@127.0.0.1:port"], {}, "--proxy: not a valid URL"),
    ],
)
def test_a_bad_credential_option_is_one_line_and_shows_no_value(
    argv: list[str], environment: dict[str, str], says: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("APICONFORM_TOKEN", "APICONFORM_BASIC_PASSWORD", "APICONFORM_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    # The options as either door parses them (engine/options.py), checked as run_config checks them.
    parser = argparse.ArgumentParser()
    for flag, keywords in RUN_OPTIONS:
        parser.add_argument(flag, **keywords)
    values = vars(parser.parse_args(argv))
    with pytest.raises(ConfigurationError) as raised:
        target_auth(values, read_token(values["token"], values["token_file"])[0])
    message = str(raised.value)
    assert says in message
    assert "\n" not in message and SHOWN_NEVER not in message


def test_a_bad_header_ends_the_command_with_one_line_and_exit_2(capfd: pytest.CaptureFixture[str]) -> None:
    code = main([*BASE, "--header", f"X-Key={SHOWN_NEVER}\r\nX-Injected: 1"])
    out, err = capfd.readouterr()
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith("apiconform: error: --header X-Key: the value holds a line end"), err
    assert SHOWN_NEVER not in err and "Traceback" not in err


def test_credentials_beyond_the_token_are_refused_for_the_embedded_server(capfd: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "--api", BRM, "--header", f"X-Key={SHOWN_NEVER}"])
    err = capfd.readouterr().err
    assert code == 2 and "header X-Key is for a target given with --base-url" in err, err
    assert SHOWN_NEVER not in err


def test_a_client_certificate_is_for_https_targets_only(
    client_certificate: Certificate, capfd: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["run", "--api", BRM, "--base-url", "http://127.0.0.1:9/brm/prepayBalanceManagement/v4"]
        + ["--client-cert", str(client_certificate.cert), "--client-key", str(client_certificate.key)]
    )
    err = capfd.readouterr().err
    assert code == 2 and "--client-cert is presented to https targets only" in err, err


# --- mutual TLS --------------------------------------------------------------------------------------


def test_a_client_certificate_is_presented_to_a_target_that_requires_one(
    hostile: HostileFactory,
    upstream,
    run_cli: Callable[..., Outcome],
    tmp_path: Path,
    certificate: Certificate,
    client_certificate: Certificate,
) -> None:
    server = hostile("auth", options={"require": lambda seen: True}, tls=requiring(certificate, client_certificate))
    argv = [*run_argv(server, upstream, BRM, tmp_path / "r", *SMALL), "--ca-bundle", str(certificate.cert)]
    argv += ["--client-cert", str(client_certificate.cert), "--client-key", str(client_certificate.key)]
    outcome = run_cli(argv)
    accepted(outcome, server.requests(), lambda seen: True)
    assert outcome.report()["settings"]["auth"] == ["client certificate"]
    assert f"--cert {client_certificate.cert}" in outcome.text("report.json")


def test_without_a_client_certificate_the_handshake_fails(
    hostile: HostileFactory, certificate: Certificate, client_certificate: Certificate
) -> None:
    # The quiet side: the target does refuse a client that presents no certificate.
    server = hostile("auth", options={"require": lambda seen: True}, tls=requiring(certificate, client_certificate))
    url = server.api_base_url(BRM)
    with pytest.raises(TargetError):
        GuardedSession(url, Politeness(verify=str(certificate.cert))).get(url)
    with_cert = TargetAuth(client_cert=str(client_certificate.cert), client_key=str(client_certificate.key))
    GuardedSession(url, Politeness(verify=str(certificate.cert)), auth=with_cert).get(url)
    assert len(server.requests()) == 1  # the one with the certificate: the other ended at the handshake


def requiring(certificate: Certificate, client: Certificate) -> ssl.SSLContext:
    """A server's TLS context that requires the client to present `client`."""
    context = certificate.server_context()
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(client.cert)
    return context


# --- the proxy -----------------------------------------------------------------------------------------


class ForwardingProxy:
    """A loopback forwarding proxy for http targets: records each request line and headers it was asked,
    and passes the request on to the host the absolute URL names."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str, dict[str, str]]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                owner.asked.append((self.command, self.path, dict(self.headers.items())))
                parts = urlsplit(self.path)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("proxy-authorization", "host")}
                connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
                try:
                    target = parts.path + (f"?{parts.query}" if parts.query else "")
                    connection.request(self.command, target, headers=headers)
                    answer = connection.getresponse()
                    body = answer.read()
                    self.send_response(answer.status)
                    for name, value in answer.getheaders():
                        if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                finally:
                    connection.close()

            do_HEAD = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

        self.served = InThread(ThreadingHTTPServer(("127.0.0.1", 0), Handler))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.served.port}"


@pytest.fixture
def proxy() -> Iterator[ForwardingProxy]:
    forwarding = ForwardingProxy()
    yield forwarding
    forwarding.served.stop()


def test_every_request_goes_through_the_proxy_and_its_password_is_never_written(
    hostile: HostileFactory,
    upstream,
    run_cli: Callable[..., Outcome],
    tmp_path: Path,
    proxy: ForwardingProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    require = has_header("X-Api-Key", API_KEY)
    server = hostile("auth", options={"require": require})
    monkeypatch.delenv("APICONFORM_TOKEN", raising=False)
    monkeypatch.setenv("APICONFORM_API_KEY", API_KEY)
    # An environment proxy that leads nowhere: were it used, no request would arrive.
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    proxied = proxy.url.replace("http://", f"http://gate:{PROXY_PASSWORD}@")
    argv = [*run_argv(server, upstream, BRM, tmp_path / "r", *SMALL), "--api-key-header", "X-Api-Key"]
    outcome = run_cli([*argv, "--proxy", proxied])
    accepted(outcome, server.requests(), require)
    assert len(proxy.asked) == len(server.requests())
    assert all(path.startswith(server.origin + "/") for _, path, _ in proxy.asked)
    proxy_credentials = base64.b64encode(f"gate:{PROXY_PASSWORD}".encode()).decode()
    assert {headers.get("Proxy-Authorization") for _, _, headers in proxy.asked} == {f"Basic {proxy_credentials}"}
    no_secret_written(outcome, PROXY_PASSWORD, API_KEY)
    assert outcome.report()["settings"]["auth"] == ["api key in header X-Api-Key", f"proxy {proxy.url}"]


@pytest.mark.e2e
def test_the_pytest_door_sends_and_masks_a_header_as_apiconform_run_does(
    hostile: HostileFactory, upstream, tmp_path: Path
) -> None:
    require = has_header("X-Tenant-Secret", HEADER_SECRET)
    server = hostile("auth", options={"require": require})
    report_dir = tmp_path / "pytest"
    argv = run_argv(server, upstream, BRM, report_dir, *SMALL)[1:]  # without the command name `run`
    argv = [arg for arg in argv if arg not in ("--har", "--cassette")]  # options of `apiconform run` only
    command = [sys.executable, "-m", "pytest", "-p", "apiconform.engine.plugin", "-p", "no:cacheprovider", *argv]
    command += ["--header-env", "X-Tenant-Secret=TENANT_SECRET", "--pyargs", "apiconform.engine.suite"]
    environment = {key: value for key, value in os.environ.items() if key != "APICONFORM_TOKEN"}
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={**environment, "TENANT_SECRET": HEADER_SECRET},
    )
    outcome = Outcome(done.returncode, done.stdout, done.stderr, 0.0, report_dir)
    accepted(outcome, server.requests(), require)
    assert outcome.report()["settings"]["auth"] == ["header X-Tenant-Secret"]
    assert HEADER_SECRET not in outcome.terminal
    for path in report_dir.iterdir():
        assert HEADER_SECRET not in path.read_text(encoding="utf-8"), path.name


def test_a_short_header_value_is_sent_with_a_warning_that_it_is_not_masked() -> None:
    with pytest.warns(UnmaskedHeaderWarning, match="--header X-Api-Version: a value shorter than 8"):
        auth = target_auth({"header": ["X-Api-Version=2", f"X-Tenant={SHOWN_NEVER}"]}, None)
    assert auth.headers == (("X-Api-Version", "2"), ("X-Tenant", SHOWN_NEVER))
    assert auth.secrets == ((SHOWN_NEVER, "[Filtered]"),)


def test_an_api_key_in_the_query_goes_out_first_and_comes_off_exactly() -> None:
    auth = TargetAuth(query=("key", "k+y/=1"))
    sent = auth.keyed("https://h/p?limit=5")
    assert sent == "https://h/p?key=k%2By%2F%3D1&limit=5"
    assert auth.unkeyed(sent + "&offset=2") == "https://h/p?limit=5&offset=2"
    assert auth.unkeyed(auth.keyed("https://h/p")) == "https://h/p"
    assert auth.unkeyed("https://h/p?key=other") == "https://h/p?key=other"  # the target's own parameter stays


@pytest.mark.parametrize(
    ("key", "given"),
    [
        ("token", "{canary}"),
        ("basic_password", "{canary}"),
        ("api_key", "{canary}"),
        ("header", ["X-Tenant={canary}"]),
        ("token_file", "{file}"),
        ("basic_password_file", "{file}"),
        ("api_key_file", "{file}"),
        ("header_file", ["X-Tenant={file}"]),
        ("header_env", ["X-Tenant=AUTH_TEST_SECRET"]),
    ],
)
def test_a_message_about_the_options_masks_every_secret_they_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str, given: str | list[str]
) -> None:
    """An error may quote a spec before the run checks the secrets: every form of every secret option is
    masked in it (config.masked), its -file and -env forms included."""
    from apiconform.engine.config import masked

    canary = "auth-message-canary-7d1e"
    secret_file = tmp_path / "secret"
    secret_file.write_text(canary + "\n", encoding="utf-8")
    secret_file.chmod(0o600)
    monkeypatch.setenv("AUTH_TEST_SECRET", canary)
    fill = {"canary": canary, "file": str(secret_file)}
    value = [item.format(**fill) for item in given] if isinstance(given, list) else given.format(**fill)
    assert canary not in masked(f"the spec says {canary!r}", {key: value})
