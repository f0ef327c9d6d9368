"""The run options of both doors (`apiconform run` and `pytest -p apiconform.engine.plugin`): one table.

Every option's flag, default and help, and every default a run has, live here; `add_options` puts the
table on an argparse parser or a pytest option group. Turning the parsed values into a checked
`RunConfig` is config.py's job, which imports this module (never the reverse). This module imports no
engine module, so the transport (transport/http.py) takes its defaults from here too.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from apiconform import contract

DEFAULT_MAX_EXAMPLES = 30
# When the target is not on this machine, requests are paced unless the user says otherwise: at this
# share of the rate the vendor documents (x-apiconform `rate-limit`), or DEFAULT_REMOTE_RATE per second.
DOCUMENTED_RATE_SHARE = 0.5
DEFAULT_REMOTE_RATE = 10.0
# The fastest pace a user may ask for with --rate-limit.
MAX_RATE_LIMIT = 1000.0
DEFAULT_MAX_REQUESTS = 4000
# A default run plans this many requests per API: one window of the rate limit BitGo documents (360 per
# 60 s, specs/bitgo-oes/sources/bitgo-api-overview-rate-limits.txt), so a full verdict fits in it. The
# rest of DEFAULT_MAX_REQUESTS is room for confirming failures (each is repeated before it counts).
PLANNED_REQUESTS = 360
DEFAULT_REQUEST_TIMEOUT = 30.0
DEFAULT_MAX_RESPONSE_MIB = 8.0
MIB = 1024 * 1024
# The same default in the unit the transport counts in (engine/transport/http.py's cap).
DEFAULT_MAX_RESPONSE_BYTES = int(DEFAULT_MAX_RESPONSE_MIB * MIB)
DEFAULT_SEED = 0

# (flag, argparse/pytest keyword arguments), with the defaults above.
RUN_OPTIONS: tuple[tuple[str, dict[str, Any]], ...] = (
    (
        "--base-url",
        {
            "action": "append",
            "default": [],
            "metavar": "[API=]URL",
            "help": "the API's base URL (with --api all: the root both APIs hang off, or API=URL per API); "
            "omit to test the embedded reference server",
        },
    ),
    ("--token", {"help": "bearer token (prefer $APICONFORM_TOKEN or --token-file: argv is visible to others)"}),
    ("--token-file", {"metavar": "FILE", "help": "read the bearer token from FILE"}),
    (
        "--header",
        {
            "action": "append",
            "default": [],
            "metavar": "NAME=VALUE",
            "help": "send this header on every request to the target (repeatable); its value is masked like the "
            "token everywhere (prefer --header-file or --header-env: argv is visible to others)",
        },
    ),
    (
        "--header-file",
        {
            "action": "append",
            "default": [],
            "metavar": "NAME=FILE",
            "help": "send the header NAME with the value read from FILE (repeatable)",
        },
    ),
    (
        "--header-env",
        {
            "action": "append",
            "default": [],
            "metavar": "NAME=VAR",
            "help": "send the header NAME with the value of the environment variable VAR (repeatable)",
        },
    ),
    (
        "--basic-user",
        {
            "metavar": "USER",
            "help": "HTTP Basic authentication as USER, the password from --basic-password-file or "
            "$APICONFORM_BASIC_PASSWORD (instead of a bearer token)",
        },
    ),
    (
        "--basic-password",
        {
            "metavar": "PASSWORD",
            "help": "the Basic authentication password (prefer $APICONFORM_BASIC_PASSWORD or --basic-password-file: "
            "argv is visible to others)",
        },
    ),
    ("--basic-password-file", {"metavar": "FILE", "help": "read the Basic authentication password from FILE"}),
    (
        "--api-key-header",
        {"metavar": "NAME", "help": "send the API key in the header NAME (X-Api-Key, say) on every request"},
    ),
    (
        "--api-key-query",
        {
            "metavar": "NAME",
            "help": "send the API key as the query parameter NAME on every request (masked in every URL shown)",
        },
    ),
    (
        "--api-key",
        {
            "metavar": "KEY",
            "help": "the API key for --api-key-header or --api-key-query (prefer $APICONFORM_API_KEY or "
            "--api-key-file: argv is visible to others)",
        },
    ),
    ("--api-key-file", {"metavar": "FILE", "help": "read the API key from FILE"}),
    (
        "--client-cert",
        {
            "metavar": "FILE",
            "help": "present this client certificate (PEM; it may hold the key too) to an https target (mutual TLS)",
        },
    ),
    ("--client-key", {"metavar": "FILE", "help": "the private key of --client-cert (PEM, not encrypted)"}),
    (
        "--proxy",
        {
            "metavar": "URL",
            "help": "send every request through this http(s) proxy (http://[user:password@]host:port); the "
            "environment's proxy variables are never used",
        },
    ),
    (
        "--spec",
        {
            "metavar": "FILE",
            "help": "test the API this OpenAPI file describes (with its x-apiconform block and the catalog it "
            "names) instead of one in the specs folder; --api is then not needed",
        },
    ),
    (
        "--release",
        {
            "action": "append",
            "default": [],
            "metavar": "[API=]RELEASE",
            "help": "judge the vendor release RELEASE as its own documents describe it: a release of the spec, "
            "one of the vendor versions it covers, or their major number (--release 15); without API=, every "
            "API of the run whose spec declares releases (default: each spec's default release; apiconform "
            "catalog lists them)",
        },
    ),
    (
        "--path-param",
        {
            "action": "append",
            "default": [],
            "metavar": "NAME=VALUE",
            "help": "the value of the API path's parameter NAME (repeatable); the embedded server supplies its own",
        },
    ),
    (
        "--report-dir",
        {"metavar": "DIR", "help": "write the reports here (default reports/<api>-<timestamp>-<suffix>/)"},
    ),
    (
        "--seed",
        {"type": int, "default": DEFAULT_SEED, "help": f"seed for every generated value (default {DEFAULT_SEED})"},
    ),
    ("--max-examples", {"type": int, "metavar": "N", "help": "fuzzing examples per operation"}),
    (
        "--rate-limit",
        {
            "type": float,
            "metavar": "RPS",
            "help": f"requests per second, at most {MAX_RATE_LIMIT:g} (default: half the rate the spec documents, "
            f"at most {DEFAULT_REMOTE_RATE:g}, or {DEFAULT_REMOTE_RATE:g}; on every target but the embedded "
            "reference server)",
        },
    ),
    (
        "--max-requests",
        {
            "type": int,
            "metavar": "N",
            "help": f"requests per API: the plan and the budget (default: a plan of {PLANNED_REQUESTS}, with up to "
            f"{DEFAULT_MAX_REQUESTS} to confirm failures); below {PLANNED_REQUESTS} every check gets a "
            "proportional share and the report says what was given up",
        },
    ),
    (
        "--max-time",
        {
            "type": float,
            "metavar": "SECONDS",
            "help": "time budget of the run, counted from start-up: no request is sent or waited for after it, "
            "and the run ends, reports written, soon after it",
        },
    ),
    (
        "--fail-fast",
        {
            "action": "store_true",
            "help": "stop testing an API at its first failed MUST requirement: the exit code is the same, fewer "
            "requests are sent, and the requirements not yet judged are reported as not exercised",
        },
    ),
    (
        "--allow-partial",
        {
            "action": "store_true",
            "help": "a smoke run: when --max-requests or --max-time leaves MUST requirements unjudged, the "
            "verdict is partial (exit 0) instead of incomplete (exit 3); every output says partial",
        },
    ),
    (
        "--request-timeout",
        {
            "type": float,
            "default": DEFAULT_REQUEST_TIMEOUT,
            "metavar": "SECONDS",
            "help": "the longest one request may take, connection, headers and body together "
            f"(default {DEFAULT_REQUEST_TIMEOUT:g})",
        },
    ),
    (
        "--max-response-size",
        {
            "type": float,
            "default": DEFAULT_MAX_RESPONSE_MIB,
            "metavar": "MiB",
            "help": "read at most this much of a response body, after decompression "
            f"(default {DEFAULT_MAX_RESPONSE_MIB:g}); a larger body is a transport error",
        },
    ),
    (
        "--ca-bundle",
        {
            "metavar": "FILE",
            "help": "verify the target's TLS certificate against the CA certificates in FILE (PEM) "
            "instead of the system's",
        },
    ),
    (
        "--insecure",
        {"action": "store_true", "help": "do not verify the target's TLS certificate (every report says so)"},
    ),
    (
        "--allow-unsafe-methods",
        {"action": "store_true", "help": "also send PUT, PATCH and DELETE to check for 405 (never POST)"},
    ),
    (
        "--reference-fault",
        {
            "action": "append",
            "default": [],
            "metavar": "NAME",
            "help": "embedded reference server only: switch on a fault "
            "(list them with: apiconform serve --list-faults)",
        },
    ),
    (
        "--reference-variant",
        {
            "action": "append",
            "default": [],
            "metavar": "NAME",
            "help": "embedded reference server only: switch on a legitimate behaviour the documents allow "
            "(list them with: apiconform serve --list-variants)",
        },
    ),
    (
        "--reference-churn",
        {
            "type": float,
            "default": 0.0,
            "metavar": "RATE",
            "help": "embedded reference server only: insert RATE new records per second while the run goes on",
        },
    ),
    (
        "--waivers",
        {
            "metavar": "FILE",
            "help": "YAML list of accepted deviations (requirement, reason, ticket, expires): a waived failure "
            "does not fail the run until its waiver expires",
        },
    ),
    (
        "--secret-header",
        {
            "action": "append",
            "default": [],
            "metavar": "NAME",
            "help": "mask this header's value in every report, recording and output "
            "(repeatable; Authorization always is)",
        },
    ),
)

# The options whose value is itself a secret (a NAME=VALUE option's VALUE): masked, with their -file and -env
# forms, in a message about the options (config.named_tokens); a config file may give them only by reference
# ("${VAR}", configfile.py) or through those forms, never as a literal value. Spelt as in RUN_OPTIONS.
SECRET_OPTIONS: frozenset[str] = frozenset({"--token", "--header", "--basic-password", "--api-key"})


# How `apiconform run --help` groups the table's options, in this order (a test keeps every option in one);
# a spec's path-parameter shorthands join the first.
HELP_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("what to test", ("--api", "--spec", "--release", "--base-url", "--path-param")),
    (
        "credentials and connection",
        (
            "--token",
            "--token-file",
            "--header",
            "--header-file",
            "--header-env",
            "--basic-user",
            "--basic-password",
            "--basic-password-file",
            "--api-key-header",
            "--api-key-query",
            "--api-key",
            "--api-key-file",
            "--client-cert",
            "--client-key",
            "--proxy",
            "--secret-header",
            "--ca-bundle",
            "--insecure",
        ),
    ),
    (
        "pace, budgets and generation",
        (
            "--rate-limit",
            "--max-requests",
            "--max-time",
            "--fail-fast",
            "--allow-partial",
            "--request-timeout",
            "--max-response-size",
            "--seed",
            "--max-examples",
            "--allow-unsafe-methods",
        ),
    ),
    ("reports", ("--report-dir", "--waivers")),
    ("the embedded reference server", ("--reference-fault", "--reference-variant", "--reference-churn")),
)


def run_options(spec: str | None = None) -> tuple[tuple[str, dict[str, Any]], ...]:
    """Every run option: `--api` (its choices are the APIs in the specs folder), the table above, and the
    shorthand each spec declares for a path parameter (`path-parameters: {enterpriseId: enterprise-id}`
    gives `--enterprise-id`, the same as `--path-param enterpriseId=VALUE`): the specs folder's, and with
    `spec` (the file `--spec` names) that spec's too. Raises ContractError when `spec` cannot be read."""
    return (api_option(), *RUN_OPTIONS, *shorthand_options(spec))


def api_option() -> tuple[str, dict[str, Any]]:
    """`--api`: its choices are the APIs in the specs folder."""
    return (
        "--api",
        {
            "choices": [*contract.api_names(), "all"],
            "help": "the API to test, or all of them (default all; with --spec, the spec's own)",
        },
    )


def shorthand_options(spec: str | None = None) -> tuple[tuple[str, dict[str, Any]], ...]:
    """The path parameters' shorthand options the specs folder declares, and the spec file `spec` too."""
    declared = contract.path_parameter_options(None if spec is None else Path(spec).resolve())
    return tuple(
        (f"--{option}", {"metavar": "VALUE", "help": f"the same as --path-param {'/'.join(sorted(names))}=VALUE"})
        for option, names in sorted(declared.items())
    )


def add_options(add: Callable[..., Any], spec: str | None = None) -> None:
    """Add every run option with `add` (argparse's `add_argument` or pytest's `group.addoption`), with the
    shorthands of the spec file `spec` (`--spec FILE`, read before the command line is parsed)."""
    shorthands = {flag for flag, _ in shorthand_options(spec)}
    for flag, keywords in run_options(spec):
        if flag in shorthands:
            add_shorthand(add, flag, keywords)
        else:
            add(flag, **keywords)


def add_shorthand(add: Callable[..., Any], flag: str, keywords: dict[str, Any]) -> None:
    """Add one shorthand option; a spec's shorthand that is already an option of the command (`seed`,
    `help`, one of pytest's own) is a ContractError naming it, not argparse's traceback."""
    try:
        add(flag, **keywords)
    except (argparse.ArgumentError, ValueError):
        raise contract.ContractError(
            f"x-apiconform path-parameters: the shorthand {flag} ({keywords['help']}) is already an option of "
            "this command; declare another name for it"
        ) from None


def takes_pairs(keywords: Mapping[str, Any]) -> bool:
    """Whether an option's values are NAME=VALUE pairs, as its metavar writes them (`NAME=VALUE`, `[API=]URL`)."""
    return "=" in str(keywords.get("metavar", ""))


def dest(flag: str) -> str:
    """The name an option's value has among the parsed values (argparse's `dest`): `--max-time` -> max_time."""
    return flag.lstrip("-").replace("-", "_")
