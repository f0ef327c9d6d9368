"""The pytest plugin that makes pytest the conformance engine.

    pytest -p apiconform.engine.plugin --api all [--base-url URL] [--token T] ... src/apiconform/engine/suite.py

With `--api` given, the plugin builds a `ConformanceSession` before collection (starting the embedded
reference server when no base URL is given), the suite module collects one property test per API
and one test per requirement, and at the end the plugin writes the reports. Without `--api` the
plugin does nothing, so it is harmless in other test runs.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import pytest

from apiconform import contract
from apiconform.engine.session import ConfigurationError, ConformanceSession, RunConfig

_ACTIVE: ConformanceSession | None = None


def active_session() -> ConformanceSession:
    """The session of the current pytest run (the suite module reads it at import)."""
    if _ACTIVE is None:
        raise RuntimeError("apiconform.engine.suite runs only under the apiconform plugin with --api")
    return _ACTIVE


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("apiconform", "apiconform conformance run")
    group.addoption("--api", choices=[*contract.API_NAMES, "all"], help="API(s) to test")
    group.addoption(
        "--base-url",
        action="append",
        default=[],
        metavar="[API=]URL",
        help="target base URL; omit to test the embedded reference server",
    )
    group.addoption("--token", help="bearer token (or set APICONFORM_TOKEN)")
    group.addoption("--enterprise-id", help="BitGo enterprise id for the path")
    group.addoption("--seed", type=int, default=0, help="seed for all generated data")
    group.addoption("--max-examples", type=int, help="fuzzing examples per operation")
    group.addoption("--rate-limit", type=float, help="requests per second (default: unlimited on loopback, 10 else)")
    group.addoption("--max-requests", type=int, help="request budget per API")
    group.addoption("--max-time", type=float, help="time budget of the run in seconds")
    group.addoption("--request-timeout", type=float, default=30.0, help="seconds per request")
    group.addoption("--allow-unsafe-methods", action="store_true", help="probe undeclared methods (405 checks)")
    group.addoption("--report-dir", help="where reports are written")
    group.addoption("--ca-bundle", help="verify TLS against this CA bundle (PEM)")
    group.addoption("--insecure", action="store_true", help="do not verify TLS (said in every report)")
    group.addoption("--max-response-size", type=float, default=8.0, help="response body cap in MiB")


def resolve_base_urls(apis: list[str], values: list[str]) -> dict[str, str]:
    """`--base-url URL` (one API: its base; `all`: the root both documented paths hang off) or `API=URL`."""
    urls: dict[str, str] = {}
    plain = [value for value in values if "=" not in value.split("://")[0]]
    for value in values:
        head = value.split("://")[0]
        if "=" in head:
            api, url = value.split("=", 1)
            if api not in contract.API_NAMES:
                raise ConfigurationError(f"--base-url {value}: unknown API {api!r}")
            urls[api] = url
    if len(plain) > 1:
        raise ConfigurationError("--base-url given more than once without API=; use API=URL for each API")
    if plain:
        url = plain[0].rstrip("/")
        if len(apis) == 1:
            urls.setdefault(apis[0], url)
        else:
            for api in apis:
                documented = _server_path(api)
                urls.setdefault(api, url if url.endswith(documented) else url + documented)
    for api, url in urls.items():
        scheme = url.split("://")[0].lower() if "://" in url else ""
        if scheme not in ("http", "https") or not url.split("://", 1)[1].strip("/"):
            raise ConfigurationError(f"--base-url for {api}: {url!r} is not an http(s) URL")
    missing = [api for api in apis if api not in urls]
    if urls and missing:
        raise ConfigurationError(f"no --base-url for {', '.join(missing)}")
    return urls


def _server_path(api: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(contract.load(api).server_url).path.rstrip("/")


def config_from_options(config: pytest.Config) -> RunConfig:
    """The run configuration: the one `apiconform run` prepared, or one built from the pytest options."""
    if PRESET is not None:
        return PRESET
    choice = config.getoption("--api")
    apis = list(contract.API_NAMES) if choice == "all" else [choice]
    token = config.getoption("--token") or os.environ.get("APICONFORM_TOKEN") or None
    run_config = RunConfig(
        apis=apis,
        base_urls=resolve_base_urls(apis, config.getoption("--base-url")),
        token=token,
        enterprise_id=config.getoption("--enterprise-id"),
        seed=config.getoption("--seed"),
        rate_limit=config.getoption("--rate-limit"),
        max_time=config.getoption("--max-time"),
        timeout=config.getoption("--request-timeout"),
        allow_unsafe_methods=config.getoption("--allow-unsafe-methods"),
        report_dir=config.getoption("--report-dir"),
        ca_bundle=ca_bundle_path(config.getoption("--ca-bundle"), config.getoption("--insecure")),
        insecure=config.getoption("--insecure"),
        max_response_bytes=int(config.getoption("--max-response-size") * 1024 * 1024),
    )
    if config.getoption("--max-examples") is not None:
        run_config.max_examples = config.getoption("--max-examples")
    if config.getoption("--max-requests") is not None:
        run_config.max_requests = config.getoption("--max-requests")
    validate(run_config)
    return run_config


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
    if run_config.base_urls and "bitgo-oes" in run_config.apis and not run_config.enterprise_id:
        raise ConfigurationError("testing bitgo-oes at a --base-url needs --enterprise-id")
    for name in ("max_examples", "max_requests"):
        value = getattr(run_config, name)
        if value is not None and value < 1:
            raise ConfigurationError(f"--{name.replace('_', '-')} must be at least 1")
    for option, value in (
        ("--rate-limit", run_config.rate_limit),
        ("--max-time", run_config.max_time),
        ("--request-timeout", run_config.timeout),
    ):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise ConfigurationError(f"{option} must be a positive number, got {value}")
    if run_config.max_response_bytes < 1024:
        raise ConfigurationError("--max-response-size must be at least 0.001 MiB (1 KiB)")


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


# Set by `apiconform run` before it starts pytest; the report path is read back after.
PRESET: RunConfig | None = None
LAST_REPORT: Path | None = None
SESSION_KEY = pytest.StashKey[ConformanceSession]()


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    global _ACTIVE
    if not config.getoption("--api", default=None):
        return
    session = ConformanceSession(config_from_options(config))
    session.preflight()
    config.stash[SESSION_KEY] = session
    _ACTIVE = session
    # The suite module reads the session when it is imported; a second run in the same process
    # (tests, benchmarks) must import it afresh.
    sys.modules.pop("apiconform.engine.suite", None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    """A property test that raised anything but a finding is the suite's failure, never a pass: its
    API's per-response requirements turn inconclusive with the error and the run's verdict is `error`.
    (Hypothesis' own errors, FlakyStrategyDefinition among them, count the same way.)"""
    outcome = yield
    conformance = item.config.stash.get(SESSION_KEY, None)
    if conformance is None or call.when != "call" or call.excinfo is None or "test_properties__" not in item.name:
        return outcome
    if _is_finding(call.excinfo.value):
        return outcome
    api = item.name.split("test_properties__", 1)[1].split("[", 1)[0].replace("_", "-")
    run = next((run for run in conformance.runs if run.contract.api == api), None)
    if run is not None:
        cited = [rid for check in run.response_checks for rid in run.citing(check.__name__)]
        cited += run.citing("negative_data_rejection") + run.citing("unsupported_method")
        run.crashed(f"the property tests ({item.name})", call.excinfo.value, cited)
    return outcome


def _is_finding(exc: BaseException) -> bool:
    """A failing example (an AssertionError, or a group of them), or pytest's own skip/fail/xfail."""
    if isinstance(exc, BaseExceptionGroup):
        return all(_is_finding(inner) for inner in exc.exceptions)
    outcomes = (pytest.skip.Exception, pytest.fail.Exception, pytest.xfail.Exception, KeyboardInterrupt)
    return isinstance(exc, (AssertionError, *outcomes))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    global LAST_REPORT
    conformance = session.config.stash.get(SESSION_KEY, None)
    if conformance is None:
        return
    from apiconform.engine import report

    conformance.finalize()
    LAST_REPORT = report.write(conformance)


def pytest_unconfigure(config: pytest.Config) -> None:
    global _ACTIVE
    session = config.stash.get(SESSION_KEY, None)
    if session is not None:
        session.stop_server()
    _ACTIVE = None
