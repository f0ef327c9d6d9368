"""A run's configuration, shared by both doors: `apiconform run` and `pytest -p apiconform.engine.plugin`.

The options and their defaults are one table (engine/options.py, `add_options`); `run_config` turns
the values parsed from it into a checked, frozen `RunConfig`. Both doors go through both, so the same
command line gives the same run; code that builds a RunConfig from its fields calls `RunConfig.checked`,
which applies the same checks.

Everything is checked here, before the first request: limits, the token, the base URLs, the TLS
bundle, the waivers (and that each names a requirement of a catalog), the reference faults and
variants (and that each belongs to an API being run), and that the report folder can be written.
A problem raises `ConfigurationError` with one line (exit code 2).
"""

from __future__ import annotations

import base64
import contextlib
import math
import os
import re
import shlex
import ssl
import stat
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from apiconform import contract, datafiles
from apiconform.engine.checknames import refuse_unknown_checks
from apiconform.engine.options import (
    DEFAULT_MAX_EXAMPLES,
    DEFAULT_MAX_REQUESTS,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_RESPONSE_MIB,
    DEFAULT_REMOTE_RATE,
    DEFAULT_REQUEST_TIMEOUT,
    DEFAULT_SEED,
    DOCUMENTED_RATE_SHARE,
    MAX_RATE_LIMIT,
    MIB,
    PLANNED_REQUESTS,
    RUN_OPTIONS,
    SECRET_OPTIONS,
    dest,
    takes_pairs,
)
from apiconform.engine.transport.auth import (
    API_KEY_PLACEHOLDER,
    BASIC_PASSWORD_PLACEHOLDER,
    TargetAuth,
    proxy_origin,
)
from apiconform.engine.transport.http import composed_url_problem, url_problem
from apiconform.engine.transport.redaction import HEADER_MASK, Redactor

if TYPE_CHECKING:
    from apiconform.reporting.waivers import Waiver

# A spec is data from anyone: its `rate-limit` may only slow the default pace, never raise it above
# DEFAULT_REMOTE_RATE, and not below MIN_DOCUMENTED_PACE (one request per 10 s: the plan of 360 requests
# takes an hour), which would stall the run; a slower vendor needs the user's own --rate-limit (D-GEN-35).
MIN_DOCUMENTED_PACE = 0.1
# Where a token is looked for, in this order (said when a target answers 401/403 to a request without one).
TOKEN_SOURCES = "--token, --token-file or $APICONFORM_TOKEN"


class ConfigurationError(Exception):
    """The run cannot start as configured (exit code 2)."""


class ConfigurationWarning(UserWarning):
    """The run starts, but not quite as asked: said on standard error before it starts."""


@dataclass(frozen=True)
class RunConfig:
    """One run's configuration: built once, checked, never changed. `run_config` builds it from the
    options of either door; code that builds one from its fields (tests, benchmarks) calls `checked`,
    which applies the same checks (`validate`)."""

    apis: list[str]
    base_urls: dict[str, str] = field(default_factory=dict)  # empty: the embedded reference server
    token: str | None = None
    # Values of the APIs' path parameters, by parameter name (--path-param NAME=VALUE and its shorthands).
    path_params: dict[str, str] = field(default_factory=dict)
    # The contract of each API, when it is not the one in the specs folder under its name (--spec FILE).
    contracts: dict[str, contract.Contract] = field(default_factory=dict)
    # The vendor release to judge, by API (--release), for an API whose spec declares releases; an API
    # not named here is judged as its spec's default release.
    releases: dict[str, str] = field(default_factory=dict)
    seed: int = DEFAULT_SEED
    max_examples: int = DEFAULT_MAX_EXAMPLES
    rate_limit: float | None = None
    max_requests: int | None = DEFAULT_MAX_REQUESTS
    # The requests planned per API (--max-requests sets both): see PLANNED_REQUESTS.
    planned_requests: int = PLANNED_REQUESTS
    max_time: float | None = None
    # Stop testing an API once one of its MUST requirements has failed (the gate's answer is known).
    fail_fast: bool = False
    # A budget the user set (--max-requests, --max-time) may leave MUST requirements unjudged: the verdict
    # is then `partial` (exit 0) instead of `incomplete` (exit 3).
    allow_partial: bool = False
    timeout: float = DEFAULT_REQUEST_TIMEOUT
    allow_unsafe_methods: bool = False
    # TLS: verified against the system's CAs, or this CA bundle (PEM); `insecure` verifies nothing.
    ca_bundle: str | None = None
    insecure: bool = False
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    report_dir: str | None = None
    embedded_faults: tuple[str, ...] = ()
    embedded_variants: tuple[str, ...] = ()  # legitimate behaviours of the embedded server (server/variants.py)
    embedded_records: int | None = None
    embedded_churn: float = 0.0  # records per second the embedded server inserts while it serves
    embedded_latency_ms: float = 0.0  # how late the embedded server answers (a distant vendor; benchmarks)
    # Read by apiconform.engine.reportjson: waived failures do not fail the gate; secret headers are masked.
    waivers: tuple[Waiver, ...] = ()
    secret_headers: tuple[str, ...] = ()
    # The other credentials and the route of every request: --header, Basic, an API key, a client
    # certificate, --proxy (transport/auth.py).
    target_auth: TargetAuth = field(default_factory=TargetAuth)
    # Where the token came from ("--token", "--token-file FILE", "$APICONFORM_TOKEN"), for messages only.
    token_source: str | None = None
    # The config file's target this run is (`apiconform run --target NAME`), named in report.json.
    target_name: str | None = None
    # time.monotonic() when the process started the run: --max-time counts from here, not from when
    # pytest, schemathesis and the embedded server are ready.
    started_at: float | None = None

    @classmethod
    def checked(cls, **fields: Any) -> RunConfig:
        """A RunConfig from its fields, checked as `run_config` checks one; raises ConfigurationError."""
        config = cls(**fields)
        validate(config)
        return config


def run_config(values: Mapping[str, Any], *, started_at: float | None = None) -> RunConfig:
    """A checked RunConfig from parsed option values (keyed by argparse `dest`); raises ConfigurationError."""
    from apiconform.reporting.waivers import WaiverError, load_waivers

    get = values.get
    contracts = chosen_contracts(get("api"), get("spec"))
    if get("api") in (None, "all") and not get("spec") and not get("base_url"):
        contracts = embedded_contracts(contracts)
    releases = chosen_releases(list(get("release") or []), contracts)
    contracts = released_contracts(contracts, releases)
    try:
        for loaded in contracts.values():
            refuse_unknown_checks(loaded)
    except contract.ContractError as exc:
        raise ConfigurationError(str(exc)) from None
    apis = list(contracts)
    check_limits({option: get(dest(option)) for option in LIMIT_UNITS})
    waivers_file: str | None = get("waivers")
    token, token_source = read_token(get("token"), get("token_file"))
    auth = target_auth(values, token)
    try:
        waivers = load_waivers(waivers_file) if waivers_file else ()
    except WaiverError as exc:
        raise ConfigurationError(str(exc)) from exc
    max_examples: int | None = get("max_examples")
    max_requests: int | None = get("max_requests")
    return RunConfig.checked(
        apis=apis,
        base_urls=resolve_base_urls(contracts, list(get("base_url") or [])),
        token=token,
        token_source=token_source,
        path_params=path_params(values, contracts),
        contracts=contracts,
        releases=releases,
        seed=get("seed", DEFAULT_SEED),
        rate_limit=get("rate_limit"),
        max_time=get("max_time"),
        fail_fast=bool(get("fail_fast")),
        allow_partial=bool(get("allow_partial")),
        timeout=get("request_timeout", DEFAULT_REQUEST_TIMEOUT),
        allow_unsafe_methods=bool(get("allow_unsafe_methods")),
        ca_bundle=ca_bundle_path(get("ca_bundle"), bool(get("insecure"))),
        insecure=bool(get("insecure")),
        max_examples=DEFAULT_MAX_EXAMPLES if max_examples is None else max_examples,
        # --max-requests is the plan and the budget at once.
        max_requests=DEFAULT_MAX_REQUESTS if max_requests is None else max_requests,
        planned_requests=PLANNED_REQUESTS if max_requests is None else max_requests,
        max_response_bytes=int(get("max_response_size", DEFAULT_MAX_RESPONSE_MIB) * MIB),
        report_dir=get("report_dir"),
        waivers=waivers,
        secret_headers=secret_headers([*(get("secret_header") or ()), *sent_header_names(auth)]),
        target_auth=auth,
        embedded_faults=tuple(get("reference_fault") or ()),
        embedded_variants=reference_variants(list(get("reference_variant") or []), get("base_url"), apis, values),
        embedded_churn=get("reference_churn") or 0.0,
        target_name=get("target_name"),
        started_at=started_at,
    )


def default_pace(documented: contract.RateLimit | None) -> float:
    """Requests per second at a target the user gave no --rate-limit for: a share of the vendor's documented
    rate, never faster than DEFAULT_REMOTE_RATE (a spec may slow the pace, not raise it)."""
    if documented is None:
        return DEFAULT_REMOTE_RATE
    return min(documented.per_second * DOCUMENTED_RATE_SHARE, DEFAULT_REMOTE_RATE)


def contract_of(run_config: RunConfig, api: str) -> contract.Contract:
    """The contract a run tests for `api`: the --spec file's, or the one in the specs folder (as the release
    the run judges documents it)."""
    return run_config.contracts.get(api) or contract.load(api, run_config.releases.get(api))


def chosen_releases(values: list[str], contracts: Mapping[str, contract.Contract]) -> dict[str, str]:
    """The release each API is judged as, from `--release [API=]RELEASE`: a bare RELEASE names the release of
    every API whose spec declares releases; whether the spec has such a release is for loading to say."""
    chosen: dict[str, str] = {}
    with_releases = [api for api, loaded in contracts.items() if loaded.releases]
    for value in values:
        api, equals, name = value.rpartition("=")
        if not name:
            raise ConfigurationError(f"--release {value!r}: expected RELEASE or API=RELEASE")
        if equals and api not in contracts:
            raise ConfigurationError(f"--release {value}: {api!r} is not an API this run tests")
        apis = [api] if equals else with_releases
        if not apis or (equals and api not in with_releases):
            which = f"the spec of {api}" if equals else "no spec of this run"
            raise ConfigurationError(f"--release {value}: {which} declares releases")
        for each in apis:
            if chosen.setdefault(each, name) != name:
                raise ConfigurationError(f"--release gives {each} two releases ({chosen[each]} and {name})")
    return chosen


def released_contracts(
    contracts: dict[str, contract.Contract], releases: Mapping[str, str]
) -> dict[str, contract.Contract]:
    """Each contract as the release chosen for its API documents it (the others as they are)."""
    try:
        return {
            api: contract.load_spec(loaded.spec_path, releases[api]) if api in releases else loaded
            for api, loaded in contracts.items()
        }
    except contract.ContractError as exc:
        raise ConfigurationError(str(exc)) from None


def chosen_contracts(api: str | None, spec: str | None) -> dict[str, contract.Contract]:
    """The contract of each API the run tests, by name: `--spec FILE`'s, or `--api`'s (default all)."""
    try:
        if spec:
            loaded = contract.load_spec(Path(spec).resolve())
            if api not in (None, "all", loaded.api):
                raise ConfigurationError(f"--api {api} and --spec {spec} (which describes {loaded.api}) disagree")
            return {loaded.api: loaded}
        names = list(contract.api_names()) if api in (None, "all") else [api]
        if not names:
            raise ConfigurationError(f"no API in the specs folder {contract.specs_dir()}")
        return {name: contract.load(name) for name in names}
    except contract.ContractError as exc:
        raise ConfigurationError(str(exc)) from None


def embedded_contracts(contracts: dict[str, contract.Contract]) -> dict[str, contract.Contract]:
    """`--api all` at the embedded reference server: the APIs of the specs folder it implements. An API it
    does not (one of the user's own, under specs/) is left out with a warning naming it, as it can only be
    tested at its own server; a run of it alone (`--api NAME`, `--spec`) is refused instead (session.py)."""
    from apiconform.server import ReferenceServer

    served = {
        api: loaded
        for api, loaded in contracts.items()
        if ReferenceServer.serves(loaded.server_path + loaded.list_path)
    }
    left_out = [api for api in contracts if api not in served]
    if not served:
        raise ConfigurationError(
            f"the embedded reference server implements none of the APIs in the specs folder ({', '.join(left_out)}); "
            "test them at their own server with --base-url"
        )
    if left_out:
        those = "it" if len(left_out) == 1 else "them"
        warnings.warn(
            f"--api all at the embedded reference server tests {', '.join(served)}; it leaves out "
            f"{', '.join(left_out)}, which the server does not implement (test {those} with --base-url)",
            ConfigurationWarning,
            stacklevel=2,
        )
    return served


def path_params(values: Mapping[str, Any], contracts: Mapping[str, contract.Contract]) -> dict[str, str]:
    """Path parameter values by name, from --path-param NAME=VALUE and the specs' shorthand options."""
    result: dict[str, str] = {}
    for item in values.get("path_param") or ():
        name, equals, value = str(item).partition("=")
        if not equals or not name or not value:
            raise ConfigurationError(f"--path-param {item!r}: expected NAME=VALUE")
        result[name] = value
    for loaded in contracts.values():
        for name, option in loaded.semantics.path_parameters.items():
            given = values.get(dest(option))
            if given and result.setdefault(name, str(given)) != str(given):
                raise ConfigurationError(f"--{option} and --path-param {name} give two values")
    return result


# --- limits ------------------------------------------------------------------------------------------

# The numeric limits, each in the unit its option takes.
LIMIT_UNITS = {
    "--rate-limit": "requests per second",
    "--max-time": "seconds",
    "--request-timeout": "seconds",
    "--max-response-size": "MiB",
}


def check_limits(limits: Mapping[str, float | None]) -> None:
    """Every numeric limit given (by option, in its unit) must be a finite positive number (argparse takes
    "nan" and "inf" as floats), and a response may be no smaller than 1 KiB. `run_config` checks the values
    as parsed (before --max-response-size is turned into bytes), `validate` a RunConfig's."""
    for option, value in limits.items():
        if value is not None and not (math.isfinite(value) and value > 0):
            raise ConfigurationError(f"{option} must be a positive number of {LIMIT_UNITS[option]}, got {value}")
    size = limits.get("--max-response-size")
    if size is not None and size * MIB < 1024:
        raise ConfigurationError("--max-response-size must be at least 0.001 MiB (1 KiB)")


# --- the token -----------------------------------------------------------------------------------------

# A bearer token as RFC 6750 writes it (b64token), so it can travel in a header as it is and never
# needs quoting or escaping in an error message (an escaped secret would slip past the redaction).
# Matched whole (`fullmatch`): `$` also matches before a final newline, so a token ending in one passed.
_BEARER_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")

# Every occurrence of the token is replaced in what the run writes; a shorter one would also match the
# reports' own words ("test" in "untestable") and could not be told apart from them.
MIN_TOKEN_LENGTH = 8


def read_token(token: str | None, token_file: str | None) -> tuple[str | None, str | None]:
    """The token from --token, --token-file or $APICONFORM_TOKEN (in that order), and where it came from."""
    if token:
        return checked_token(str(token), "--token"), "--token"
    if token_file:
        return checked_token(token_file_text(token_file), "--token-file"), f"--token-file {token_file}"
    value = checked_token(os.environ.get("APICONFORM_TOKEN") or None, "$APICONFORM_TOKEN")
    return value, "$APICONFORM_TOKEN" if value else None


def named_tokens(values: Mapping[str, Any]) -> list[str]:
    """Every token the options `values` (by dest, as in run_config) and the environment name, as far as
    each can be read, to mask it in an error message about them: the spec loads before the token is
    checked, and a message may quote the spec. Whether one is a usable token is for `read_token` to say."""
    tokens = [os.environ.get(variable) or "" for variable in SECRET_VARIABLES]
    files: list[str] = []
    # Each secret option, its -env form (the value in an environment variable) and its -file form.
    for flag in sorted(SECRET_OPTIONS):
        key = dest(flag)
        tokens += given_values(values, key)
        tokens += [os.environ.get(variable) or "" for variable in given_values(values, key + "_env")]
        files += given_values(values, key + "_file")
    for secret_file in files:
        if secret_file:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", TokenFileWarning)  # said once, when the run reads it
                with contextlib.suppress(ConfigurationError):
                    tokens.append(token_file_text(str(secret_file)))
    return [token.strip() for token in map(str, tokens) if token.strip()]


def given_values(values: Mapping[str, Any], key: str) -> list[str]:
    """What the option `key` (by dest) was given: its value, or its values; of a NAME=VALUE option, each VALUE."""
    given = values.get(key)
    if not given:
        return []
    items = [str(item) for item in (given if isinstance(given, list | tuple) else [given])]
    keywords = next((keywords for flag, keywords in RUN_OPTIONS if dest(flag) == key), {})
    return [item.partition("=")[2] for item in items] if takes_pairs(keywords) else items


# The environment variables that hold a secret of the run.
SECRET_VARIABLES = ("APICONFORM_TOKEN", "APICONFORM_BASIC_PASSWORD", "APICONFORM_API_KEY")


def masked(text: str, values: Mapping[str, Any]) -> str:
    """`text` (an error about the options or the spec) with every token `values` and the environment name
    masked, in every spelling the run's redaction knows (see named_tokens)."""
    return Redactor(named_tokens(values)).redact(text)


# A token file holds one token: more than this is not a token file (`/dev/zero` would never end).
MAX_TOKEN_FILE_BYTES = 64 * 1024


def token_file_text(token_file: str, option: str = "--token-file") -> str:
    """The secret in `token_file` (given with `option`: --token-file, --header-file, --basic-password-file,
    --api-key-file): a regular file of at most 64 KiB of UTF-8 text, read as every data file is
    (apiconform.datafiles), spaces and line ends around it left out. A file others may read is taken with
    a warning on standard error (the secret is then no secret on this machine)."""
    try:
        text = datafiles.read_text(Path(token_file), limit=MAX_TOKEN_FILE_BYTES).strip()
        mode = os.stat(token_file).st_mode
    except datafiles.DataFileError as exc:
        raise ConfigurationError(f"{option}: {exc}") from None
    except OSError as exc:
        raise ConfigurationError(f"{option}: cannot read {token_file}: {exc.strerror or exc}") from None
    if not text:
        raise ConfigurationError(f"{option}: {token_file} is empty")
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        warnings.warn(
            f"{option} {token_file} can be read by other users (mode {stat.S_IMODE(mode):o}); chmod 600 {token_file}",
            TokenFileWarning,
            stacklevel=2,
        )
    return text


class TokenFileWarning(ConfigurationWarning):
    """A file holding a secret (the token, a header, a password, an API key) can be read by users other
    than its owner."""


def checked_token(token: str | None, source: str) -> str | None:
    # Never show the value: it is a secret, however malformed.
    if token is not None and not _BEARER_TOKEN.fullmatch(token):
        raise ConfigurationError(
            f"{source}: the token holds characters a bearer token cannot (spaces, control or non-ASCII)"
        )
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        raise ConfigurationError(
            f"{source}: a token shorter than {MIN_TOKEN_LENGTH} characters cannot be kept out of the reports "
            "(it would match their own text); a server that accepts any token can be tested without one"
        )
    return token


# An HTTP header name (an RFC 9110 token), matched whole like the token.
_HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+")


def secret_headers(names: Sequence[str]) -> tuple[str, ...]:
    for name in names:
        if not _HEADER_NAME.fullmatch(name):
            raise ConfigurationError(f"--secret-header {name!r}: not an HTTP header name")
    return tuple(dict.fromkeys(names))


# --- the other credentials and the route (transport/auth.py) --------------------------------------------

# Headers a run may not set: the transport's own (the target's host, the body's framing, the connection's
# hop-by-hop headers), which a wrong value would make another request of, or send to another host.
_TRANSPORT_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# A header value the run sends: visible ASCII, with spaces and tabs inside (RFC 9110 field-value, without the
# obsolete non-ASCII bytes); never a line end, which would start another header.
_HEADER_VALUE = re.compile(r"[!-~](?:[ \t!-~]*[!-~])?")
# An API key or a Basic password: visible ASCII (a space or a control character is no part of one).
_SECRET_TEXT = re.compile(r"[!-~]+")
# A Basic user name: visible ASCII and spaces, but no colon (RFC 7617: the colon ends the user-id).
_BASIC_USER = re.compile(r"[!-9;-~](?:[ !-9;-~]*[!-9;-~])?")


class UnmaskedHeaderWarning(ConfigurationWarning):
    """A --header value too short to be masked: it is sent, and shown where the run shows headers."""


def target_auth(values: Mapping[str, Any], token: str | None) -> TargetAuth:
    """The credentials and route of every request besides the bearer token `token`, from the options
    `values` (by dest): --header (and its -file and -env forms), Basic, an API key, a client certificate,
    --proxy. Raises ConfigurationError (one line, no value shown) on a malformed or contradictory one."""
    headers: list[tuple[str, str]] = []
    secrets: list[tuple[str, str]] = []
    curl: list[str] = []
    forms: list[str] = []
    for name, value, placeholder in given_headers(values):
        headers.append((name, value))
        if len(value) >= MIN_TOKEN_LENGTH:
            secrets.append((value, placeholder))
        else:
            warnings.warn(
                f"--header {name}: a value shorter than {MIN_TOKEN_LENGTH} characters is sent but not masked "
                "(it would match the reports' own text); a secret that short is none",
                UnmaskedHeaderWarning,
                stacklevel=2,
            )
            placeholder = value
        curl.append(f'-H "{name}: {placeholder}"')
        forms.append(f"header {name}")
    basic = basic_credentials(values)
    if basic is not None:
        if token is not None:
            raise ConfigurationError(f"--basic-user and a bearer token ({TOKEN_SOURCES}): give one")
        user, password = basic
        credentials = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        headers.append(("Authorization", f"Basic {credentials}"))
        secrets += [(password, BASIC_PASSWORD_PLACEHOLDER), (credentials, HEADER_MASK)]
        curl.append(f'-u "{user}:{BASIC_PASSWORD_PLACEHOLDER}"')
        forms.append("basic")
    query: tuple[str, str] | None = None
    api_key = api_key_given(values)
    if api_key is not None:
        where, name, key = api_key
        secrets.append((key, API_KEY_PLACEHOLDER))
        if where == "header":
            headers.append((name, key))
            curl.append(f'-H "{name}: {API_KEY_PLACEHOLDER}"')
        else:
            query = (name, key)
            curl.append(f'--url-query "{name}={API_KEY_PLACEHOLDER}"')
        forms.append(f"api key in {where} {name}")
    refuse_clashing_headers(headers, token)
    client_cert, client_key = client_certificate(values.get("client_cert"), values.get("client_key"))
    if client_cert is not None:
        curl.append(f"--cert {shlex.quote(client_cert)}" + (f" --key {shlex.quote(client_key)}" if client_key else ""))
        forms.append("client certificate")
    proxy = proxy_url(values.get("proxy"))
    if proxy is not None:
        parts = urlsplit(proxy)
        if parts.password:
            secrets += [(unquote(parts.password), HEADER_MASK), (parts.password, HEADER_MASK)]
        shown = proxy_origin(proxy)
        curl.append(f"--proxy {shown}" + (" --proxy-user USER:PASSWORD" if parts.username else ""))
        forms.append(f"proxy {shown}")
    return TargetAuth(
        headers=tuple(headers),
        query=query,
        client_cert=client_cert,
        client_key=client_key,
        proxy=proxy,
        secrets=tuple(secrets),
        curl_options=" ".join(curl),
        forms=tuple(forms),
    )


def sent_header_names(auth: TargetAuth) -> list[str]:
    """The names of the headers `auth` sends whose value is masked by name as well (not Basic's
    Authorization: that one always is)."""
    basic = ("authorization", True)
    return [name for name, value in auth.headers if (name.lower(), value.startswith("Basic ")) != basic]


def given_headers(values: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(name, value, placeholder) of each --header NAME=VALUE, --header-file NAME=FILE, --header-env NAME=VAR."""
    given: list[tuple[str, str, str]] = []
    for option, key in (("--header", "header"), ("--header-file", "header_file"), ("--header-env", "header_env")):
        for item in values.get(key) or ():
            name, equals, rest = str(item).partition("=")
            what = {"header": "VALUE", "header_file": "FILE", "header_env": "VAR"}[key]
            if not equals or not name or not rest:
                # The item may be a value without its name: never shown.
                raise ConfigurationError(f"{option}: expected NAME={what}")
            if not _HEADER_NAME.fullmatch(name):
                raise ConfigurationError(f"{option}: the part before = is not an HTTP header name")
            placeholder = HEADER_MASK
            if key == "header_file":
                rest = token_file_text(rest, option)
            elif key == "header_env":
                if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", rest):
                    raise ConfigurationError(f"{option} {name}=...: the part after = is not a variable name")
                variable, rest = rest, os.environ.get(rest, "")
                if not rest:
                    raise ConfigurationError(f"{option} {name}={variable}: ${variable} is not set or empty")
                placeholder = f"${variable}"
            if not _HEADER_VALUE.fullmatch(rest):
                raise ConfigurationError(
                    f"{option} {name}: the value holds a line end, a control or a non-ASCII character, or spaces "
                    "around it"
                )
            given.append((name, rest, placeholder))
    return given


def refuse_clashing_headers(headers: Sequence[tuple[str, str]], token: str | None) -> None:
    """A header the transport owns, one given twice, or an Authorization beside the bearer token, is refused."""
    seen: set[str] = set()
    for name, _ in headers:
        lowered = name.lower()
        if lowered in _TRANSPORT_HEADERS:
            raise ConfigurationError(f"--header {name}: the run's transport sets this header; it cannot be given")
        if lowered == "authorization" and token is not None:
            raise ConfigurationError(
                f"Authorization is given twice: by a bearer token ({TOKEN_SOURCES}) and by --header, --basic-user "
                "or --api-key-header; give one"
            )
        if lowered in seen:
            raise ConfigurationError(f"the header {name} is given twice (--header*, --basic-user, --api-key-header)")
        seen.add(lowered)


def secret_value(values: Mapping[str, Any], option: str, variable: str, what: str) -> tuple[str | None, str | None]:
    """A secret from `--OPTION`, `--OPTION-file` or $VARIABLE (in that order), checked as visible ASCII of
    at least MIN_TOKEN_LENGTH characters, and where it came from; never shown."""
    key = dest(option)
    if values.get(key):
        value, source = str(values[key]), option
    elif values.get(key + "_file"):
        value, source = token_file_text(str(values[key + "_file"]), option + "-file"), option + "-file"
    elif os.environ.get(variable):
        value, source = os.environ[variable], f"${variable}"
    else:
        return None, None
    if not _SECRET_TEXT.fullmatch(value):
        raise ConfigurationError(f"{source}: the {what} holds spaces, control or non-ASCII characters")
    if len(value) < MIN_TOKEN_LENGTH:
        raise ConfigurationError(
            f"{source}: a {what} shorter than {MIN_TOKEN_LENGTH} characters cannot be kept out of the reports "
            "(it would match their own text)"
        )
    return value, source


def basic_credentials(values: Mapping[str, Any]) -> tuple[str, str] | None:
    """(user, password) for Basic authentication, or None when --basic-user is not given."""
    user = values.get("basic_user")
    if user is None:
        if values.get("basic_password") or values.get("basic_password_file"):
            raise ConfigurationError("--basic-password and --basic-password-file need --basic-user")
        return None
    if not _BASIC_USER.fullmatch(str(user)):
        raise ConfigurationError(
            "--basic-user: a Basic user name is visible ASCII without a colon, spaces only inside it"
        )
    password, _ = secret_value(values, "--basic-password", "APICONFORM_BASIC_PASSWORD", "password")
    if password is None:
        raise ConfigurationError(
            "--basic-user needs a password: --basic-password-file FILE, $APICONFORM_BASIC_PASSWORD or --basic-password"
        )
    return str(user), password


def api_key_given(values: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """("header" or "query", the name, the key) from --api-key-header/--api-key-query and the key's
    options, or None when neither is given."""
    header, query = values.get("api_key_header"), values.get("api_key_query")
    if header and query:
        raise ConfigurationError("--api-key-header and --api-key-query: give one (where the API key goes)")
    if not (header or query):
        if values.get("api_key") or values.get("api_key_file"):
            raise ConfigurationError("--api-key needs --api-key-header NAME or --api-key-query NAME")
        return None
    if header and not _HEADER_NAME.fullmatch(str(header)):
        raise ConfigurationError("--api-key-header: not an HTTP header name")
    if query and not re.fullmatch(r"[A-Za-z0-9._~-]+", str(query)):
        raise ConfigurationError("--api-key-query: a query parameter name of letters, digits and . _ ~ - only")
    key, _ = secret_value(values, "--api-key", "APICONFORM_API_KEY", "API key")
    if key is None:
        raise ConfigurationError(
            f"{'--api-key-header' if header else '--api-key-query'} needs the key: --api-key-file FILE, "
            "$APICONFORM_API_KEY or --api-key"
        )
    return ("header", str(header), key) if header else ("query", str(query), key)


def client_certificate(cert: str | None, key: str | None) -> tuple[str | None, str | None]:
    """The --client-cert and --client-key files, checked to load as a certificate and its key before
    anything is sent; an encrypted key is refused (nothing could ask for its passphrase mid-run)."""
    if cert is None:
        if key is not None:
            raise ConfigurationError("--client-key needs --client-cert")
        return None, None
    for option, path in (("--client-cert", cert), ("--client-key", key)):
        if path is not None and not Path(path).is_file():
            raise ConfigurationError(f"{option}: {path} is not a readable file")

    def no_passphrase() -> bytes:
        raise ConfigurationError(f"--client-key: the key of {cert} is encrypted; give it unencrypted (chmod 600)")

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_cert_chain(cert, key, password=no_passphrase)
    except ssl.SSLError as exc:
        which = f"{cert} and {key} do" if key else f"{cert} does"
        reason = f" ({exc.reason})" if exc.reason else ""
        raise ConfigurationError(
            f"--client-cert: {which} not hold a PEM certificate and its matching private key{reason}"
        ) from None
    except OSError as exc:
        raise ConfigurationError(f"--client-cert: cannot read {cert}: {exc.strerror or exc}") from None
    return str(Path(cert).resolve()), str(Path(key).resolve()) if key else None


def proxy_url(proxy: str | None) -> str | None:
    """The --proxy URL: http(s)://[user:password@]host[:port], nothing more; never shown whole (it may hold
    a password)."""
    if proxy is None:
        return None
    proxy = str(proxy)
    scheme = proxy.partition("://")[0].lower()
    if scheme not in ("http", "https") or "://" not in proxy:
        raise ConfigurationError("--proxy: not an http:// or https:// URL (a SOCKS proxy is not supported)")
    if not all("!" <= char <= "~" for char in proxy):
        raise ConfigurationError("--proxy: the URL holds spaces, control or non-ASCII characters")
    try:
        parts = urlsplit(proxy)
        parts.port  # noqa: B018 - raises ValueError on a port that is no number
    except ValueError:
        raise ConfigurationError("--proxy: not a valid URL (its host or port)") from None
    if not parts.hostname or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigurationError("--proxy: give only scheme, host and port (and user:password@)")
    return proxy


# --- base URLs -----------------------------------------------------------------------------------------


def resolve_base_urls(contracts: Mapping[str, contract.Contract], values: list[str]) -> dict[str, str]:
    """`--base-url URL` (one API: its base; `all`: the root every documented path hangs off) or `API=URL`.

    Every URL made from a given one and a spec's paths is checked as the given one is (see composed_urls)."""
    apis = list(contracts)
    urls: dict[str, str] = {}
    named: dict[str, str] = {}  # the URL the user gave for each API, before a spec's path is added
    plain = [value for value in values if "=" not in value.split("://")[0]]
    for value in values:
        head = value.split("://")[0]
        if "=" in head:
            api, url = value.split("=", 1)
            if api not in contracts:
                raise ConfigurationError(f"--base-url {value}: {api!r} is not an API this run tests")
            urls[api] = named[api] = check_base_url(url, api)
    if len(plain) > 1:
        raise ConfigurationError("--base-url given more than once without API=; use API=URL for each API")
    if plain:
        url = check_base_url(plain[0], None).rstrip("/")
        if len(apis) == 1:
            urls.setdefault(apis[0], url)
        else:
            for api in apis:
                documented = contracts[api].server_path
                urls.setdefault(api, url if url.endswith(documented) else url + documented)
        for api in apis:
            named.setdefault(api, url)
    missing = [api for api in apis if api not in urls]
    if urls and missing:
        raise ConfigurationError(f"no --base-url for {', '.join(missing)}")
    for api, base_url in urls.items():
        check_composed_urls(contracts[api], base_url, named[api], "--base-url")
    return urls


def check_composed_urls(loaded: contract.Contract, base_url: str, named: str, given_by: str) -> None:
    """The API's base URL and the URL of each of its operations, made from the URL the user `named` and
    the paths of a spec, must be URLs the run may send to, on the origin the user named: a spec that
    writes its server as `@host:port/...` would otherwise make `http://target@host:port/...`, another
    host, which gets the token (and, from requests, the target's host:port as Basic credentials)."""
    made = [("its base URL", base_url)]
    paths = [str(path) for path in loaded.openapi.get("paths") or {}]
    made += [(f"the path {path[:80]!r}", base_url.rstrip("/") + path) for path in paths]
    for what, url in made:
        problem = composed_url_problem(url, named)
        if problem is not None:
            raise ConfigurationError(
                f"{given_by} with the spec of {loaded.api}: {what} made from it {problem}; a spec's server "
                "URL and paths must only add a path to the URL you give"
            )


def check_base_url(url: str, api: str | None) -> str:
    """A base URL is a scheme, a host, maybe a port and a path: nothing else (no query, fragment, user info)."""
    where = f"--base-url for {api}" if api else "--base-url"
    if url != url.strip():
        raise ConfigurationError(f"{where}: {url!r} has spaces around it")
    # Scheme, user info, the characters of the host and port, and that urllib's parser (the origin pin,
    # the loopback test) and urllib3's (the connection) read the same origin: a URL they read differently
    # (`http://127.0.0.1:1\\@evil.example/`) could send the token to a host the checks never saw.
    problem = url_problem(url)
    if problem is not None:
        # Never echo a URL with user info: it may hold a password.
        shown = "the URL" if "@" in url else repr(url)
        advice = "; give a token instead" if "user info" in problem else ""
        raise ConfigurationError(f"{where}: {shown} {problem}{advice}")
    if "\\" in url:
        raise ConfigurationError(f"{where}: {url!r} is read differently by different URL parsers; write it plainly")
    parts = urlsplit(url)
    problems = [
        ("a query (?...)", bool(parts.query) or url.endswith("?")),
        ("a fragment (#...)", bool(parts.fragment) or "#" in url),
        ("spaces, control or non-ASCII characters (percent-encode them)", not all("!" <= char <= "~" for char in url)),
    ]
    found = [what for what, present in problems if present]
    if found:
        raise ConfigurationError(f"{where}: {url!r} has {' and '.join(found)}; give only scheme, host, port and path")
    return url


def ca_bundle_path(path: str | None, insecure: bool) -> str | None:
    """The --ca-bundle file, checked to hold a PEM certificate before anything is sent."""
    if path is None:
        return None
    if insecure:
        raise ConfigurationError("--ca-bundle and --insecure contradict each other: give one")
    try:
        text = Path(path).read_text(encoding="ascii", errors="replace")
    except OSError as exc:
        raise ConfigurationError(f"--ca-bundle: cannot read {path}: {exc.strerror or exc}") from exc
    if "-----BEGIN CERTIFICATE-----" not in text:
        raise ConfigurationError(f"--ca-bundle: {path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
    return str(Path(path).resolve())


# --- the embedded server -------------------------------------------------------------------------------


def reference_variants(
    names: list[str], base_urls: Sequence[str] | None, apis: list[str], values: Mapping[str, Any]
) -> tuple[str, ...]:
    """The --reference-variant names, checked against the server's variants and the faults asked for."""
    from apiconform.server.variants import VARIANTS, IncompatibleVariantError, conflicts

    if not names:
        return ()
    if base_urls:
        raise ConfigurationError("--reference-variant applies to the embedded server, not a --base-url")
    unknown = sorted(set(names) - set(VARIANTS))
    if unknown:
        raise ConfigurationError(
            f"unknown reference variant(s) {', '.join(unknown)}; see apiconform serve --list-variants"
        )
    clashes = conflicts(names, values.get("reference_fault") or ())
    if clashes:
        raise ConfigurationError(str(IncompatibleVariantError(clashes)))
    blocked = [(name, api) for name in names for api in VARIANTS[name].untestable if api in apis]
    if blocked:
        name, api = blocked[0]
        raise ConfigurationError(
            f"--reference-variant {name} leaves nothing of {api} to test (it forbids its route); run it without {api}"
        )
    elsewhere = [name for name in names if not set(VARIANTS[name].apis) & set(apis)]
    if elsewhere:
        raise ConfigurationError(
            f"--reference-variant {', '.join(elsewhere)} changes "
            f"{', '.join(sorted({api for name in elsewhere for api in VARIANTS[name].apis}))}, "
            f"which this run does not test (--api {apis[0] if len(apis) == 1 else 'all'})"
        )
    return tuple(names)


# --- the whole configuration ---------------------------------------------------------------------------


def validate(run_config: RunConfig) -> None:
    """Reject configurations that cannot work, before anything is sent."""
    if run_config.base_urls and (run_config.embedded_faults or run_config.embedded_churn):
        raise ConfigurationError(
            "--reference-fault and --reference-churn apply to the embedded server, not a --base-url"
        )
    if run_config.embedded_churn < 0:
        raise ConfigurationError("--reference-churn must not be negative")
    if run_config.embedded_faults:
        from apiconform.server import FAULTS

        unknown = sorted(set(run_config.embedded_faults) - set(FAULTS))
        if unknown:
            names = ", ".join(unknown)
            raise ConfigurationError(f"unknown reference fault(s) {names}; see apiconform serve --list-faults")
        elsewhere = [name for name in run_config.embedded_faults if FAULTS[name].api not in run_config.apis]
        if elsewhere:
            owners = ", ".join(f"{name} ({FAULTS[name].api})" for name in elsewhere)
            raise ConfigurationError(
                f"--reference-fault {owners} belongs to an API this run does not test "
                f"(--api {', '.join(run_config.apis) if len(run_config.apis) == 1 else 'all'})"
            )
    if run_config.base_urls:
        for api in run_config.apis:
            declared = contract_of(run_config, api).semantics.path_parameters
            missing = [name for name in declared if name not in run_config.path_params]
            if missing:
                flags = " and ".join(f"--{declared[name]} (or --path-param {name}=VALUE)" for name in missing)
                raise ConfigurationError(f"testing {api} at a --base-url needs {flags}")
    for name in ("max_examples", "max_requests"):
        value = getattr(run_config, name)
        if value is not None and value < 1:
            raise ConfigurationError(f"--{name.replace('_', '-')} must be at least 1")
    check_limits(
        {
            "--rate-limit": run_config.rate_limit,
            "--max-time": run_config.max_time,
            "--request-timeout": run_config.timeout,
            "--max-response-size": run_config.max_response_bytes / MIB,
        }
    )
    check_target_auth(run_config)
    check_pace(run_config)
    check_waiver_ids(run_config)
    check_report_dir(run_config.report_dir)


def check_target_auth(run_config: RunConfig) -> None:
    """The credentials and route beyond the token are for a target given with --base-url (the embedded
    reference server takes its own token and nothing else), and a client certificate for https only."""
    auth = run_config.target_auth
    if auth.forms and not run_config.base_urls:
        raise ConfigurationError(
            f"{auth.forms[0]} is for a target given with --base-url; the embedded reference server takes only "
            "its own bearer token"
        )
    plain = [api for api, url in run_config.base_urls.items() if not url.lower().startswith("https://")]
    if auth.client_cert is not None and plain:
        raise ConfigurationError(
            f"--client-cert is presented to https targets only; the --base-url of {plain[0]} is http"
        )


def check_pace(run_config: RunConfig) -> None:
    """--rate-limit is at most MAX_RATE_LIMIT; without it, a spec's documented rate must not pace a run at a
    target below MIN_DOCUMENTED_PACE (a rate of one request an hour would hold it for days)."""
    if run_config.rate_limit is not None:
        if run_config.rate_limit > MAX_RATE_LIMIT:
            raise ConfigurationError(
                f"--rate-limit must be at most {MAX_RATE_LIMIT:g} requests per second, got {run_config.rate_limit:g}"
            )
        return
    if not run_config.base_urls:
        return  # the embedded reference server is not paced
    for api in run_config.apis:
        documented = contract_of(run_config, api).semantics.rate_limit
        if documented is not None and default_pace(documented) < MIN_DOCUMENTED_PACE:
            raise ConfigurationError(
                f"the spec of {api} documents a rate limit of {documented.requests} requests per "
                f"{documented.per_seconds:g} s: half of it is slower than {MIN_DOCUMENTED_PACE:g} requests per "
                "second, too slow for a run; give the pace to use with --rate-limit"
            )


def check_waiver_ids(run_config: RunConfig) -> None:
    """Every waiver names a requirement of some catalog (a typo would otherwise show only after the run)."""
    if not run_config.waivers:
        return
    every = [contract.load(api) for api in contract.api_names()] + list(run_config.contracts.values())
    known = {requirement.id for loaded in every for requirement in loaded.requirements}
    unknown = sorted({waiver.requirement for waiver in run_config.waivers} - known)
    if unknown:
        raise ConfigurationError(
            f"--waivers: {', '.join(unknown)} is not a requirement of any catalog (see apiconform catalog)"
        )


def check_report_dir(report_dir: str | None) -> None:
    """The report folder (or reports/ for the default one) is a folder, or can be made one, and can be written."""
    wanted = Path(report_dir) if report_dir else Path("reports")
    option = f"--report-dir {report_dir}" if report_dir else "the default report folder reports/"
    existing = wanted
    while not existing.exists() and not existing.is_symlink():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        what = "a file" if existing.exists() else "not a folder"
        where = "" if existing == wanted else f" ({existing} is {what})"
        raise ConfigurationError(f"{option}: cannot write reports there{where or f': it is {what}'}")
    try:
        # A real write, not os.access: /proc, a read-only mount or a full disk are found this way too.
        descriptor, probe = tempfile.mkstemp(prefix=".apiconform-probe-", dir=existing)
        os.close(descriptor)
        os.unlink(probe)
    except OSError as exc:
        raise ConfigurationError(f"{option}: cannot write reports there ({existing}: {exc.strerror or exc})") from None
