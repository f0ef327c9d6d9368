"""A conformance session: the configuration of one run and the `ApiRun` of each API it tests.

Built from a checked `RunConfig` before pytest starts (by `apiconform run`, or by the plugin under plain
pytest). Without a base URL it starts the embedded reference server and tests that. Its listeners get
the run's events as they happen (engine/model/events.py): the progress lines are one.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import requests

from apiconform import contract
from apiconform.engine import checks, properties
from apiconform.engine.checks.validation import UNSUPPORTED_METHOD
from apiconform.engine.config import (
    TOKEN_SOURCES,
    ConfigurationError,
    RunConfig,
    check_composed_urls,
    contract_of,
    default_pace,
)
from apiconform.engine.model.apirun import ApiRun
from apiconform.engine.model.control import StopKind
from apiconform.engine.model.discovery import Discovery
from apiconform.engine.model.events import ApiStopped, Event, Listener, RequestSent, RequirementObserved
from apiconform.engine.model.exchange import Exchange
from apiconform.engine.model.plan import RequestPlan
from apiconform.engine.model.records import MISSING
from apiconform.engine.model.verdicts import Cause, Observation, Outcome
from apiconform.engine.options import PLANNED_REQUESTS
from apiconform.engine.transport.http import (
    MAX_RETRY_AFTER,
    RETRY_AFTER_CEILING,
    BudgetExhausted,
    GuardedSession,
    Pacer,
    Politeness,
    origin,
)
from apiconform.engine.transport.redaction import HEADER_MASK, Redactor
from apiconform.reporting.document import plural
from apiconform.reporting.waivers import in_force


class ConformanceSession:
    """Everything one run needs: the runs per API, the embedded server if any, timings."""

    def __init__(self, config: RunConfig) -> None:
        properties.seed_case_ids(config.seed)
        self.config = config
        self.started = datetime.now(UTC)
        # `started` on the monotonic clock: where the request timeline's seconds count from.
        self.started_clock = time.monotonic()
        self.finished: datetime | None = None
        self.server: Any = None
        # Every secret of the run, masked in everything it writes (reports, recordings, the terminal).
        self.secrets = Redactor([config.token] if config.token else [])
        for secret, placeholder in config.target_auth.secrets:
            self.secrets.add(secret, mask=placeholder)
        start = config.started_at if config.started_at is not None else time.monotonic()
        self.deadline = start + config.max_time if config.max_time else None
        # Set when a signal or a closed stdout stops the run: (what stopped it, the exit code it gives).
        self.interrupted: tuple[str, int] | None = None
        # Called with every event of the run, in the order added (see add_listener).
        self.listeners: list[Listener] = []
        self.contracts = {api: contract_of(config, api) for api in config.apis}
        token = config.token
        path_values = dict(config.path_params)
        base_urls = dict(config.base_urls)
        # The embedded server is ours: probing it with undeclared methods harms nobody.
        self.allow_unsafe_methods = config.allow_unsafe_methods or not base_urls
        if not base_urls:
            self.server = self._start_embedded()
            token = self.server.token
            path_values = {**path_values, **self.server.path_parameters}  # the server knows its own data
            base_urls = {api: self._embedded_base_url(loaded) for api, loaded in self.contracts.items()}
            self.secrets.add(token)
        self.embedded = self.server is not None
        # One pacer per origin: two APIs on one host share its rate limit.
        self.pacers: dict[tuple[str, str, int], Pacer] = {}
        self.runs = [self._api_run(self.contracts[api], base_urls[api], token, path_values) for api in config.apis]

    def _embedded_base_url(self, loaded: contract.Contract) -> str:
        """The API's base URL on the embedded server; an API it does not implement is a configuration error."""
        path = loaded.server_path + loaded.operation_path(loaded.semantics.operation_id)
        base_url = str(self.server.base_url) + loaded.server_path
        try:
            check_composed_urls(loaded, base_url, str(self.server.base_url), "the embedded reference server")
        except ConfigurationError:
            self.stop_server()
            raise
        if not self.server.serves(path):
            self.stop_server()
            raise ConfigurationError(
                f"the embedded reference server does not implement {loaded.api} (GET {path}); "
                "test it at its own server with --base-url"
            )
        return base_url

    def _start_embedded(self) -> Any:
        from apiconform.server import ReferenceServer

        options: dict[str, Any] = {
            "seed": self.config.seed,
            "faults": self.config.embedded_faults,
            "variants": self.config.embedded_variants,
        }
        if self.config.token:
            # The embedded server accepts the configured token, so a run can use a known one (redaction tests).
            options["token"] = self.config.token
        if self.config.embedded_records is not None:
            options["records"] = self.config.embedded_records
        if self.config.embedded_churn:
            options["churn"] = self.config.embedded_churn
        if self.config.embedded_latency_ms:
            options["latency_ms"] = self.config.embedded_latency_ms
        server = ReferenceServer(**options)
        server.start()
        return server

    def _api_run(
        self, loaded: contract.Contract, base_url: str, token: str | None, path_values: dict[str, str]
    ) -> ApiRun:
        unsafe = loaded.semantics.unsafe_methods
        methods = {"GET"}
        if self.allow_unsafe_methods and unsafe:
            methods |= set(unsafe.methods)
        documented = loaded.semantics.rate_limit
        rate = self.config.rate_limit
        if rate is None and not self.embedded:
            # Half the vendor's documented budget: a production integration sharing the token keeps the
            # rest. Loopback too: a proxy or tunnel there may lead to the vendor (D-GEN-20). A spec may
            # only slow the default pace (D-GEN-35).
            rate = default_pace(documented)
        politeness = Politeness(
            rate_limit=rate,
            max_requests=self.config.max_requests,
            deadline=self.deadline,
            timeout=self.config.timeout,
            max_body=self.config.max_response_bytes,
            allowed_methods=methods,
            verify=self.tls_verify(),
            # A 429 is waited out up to one documented window (the vendor's own reset time), within a ceiling:
            # a spec documenting a daily quota would otherwise have the run wait hours.
            max_retry_after=min(max(documented.per_seconds, MAX_RETRY_AFTER), RETRY_AFTER_CEILING)
            if documented
            else MAX_RETRY_AFTER,
        )
        pacer = self.pacers.setdefault(origin(base_url), Pacer(rate))
        if rate is not None and (pacer.rate is None or rate < pacer.rate):
            pacer.rate = rate  # APIs of one host with different documented rates: the lowest holds for all
        session = GuardedSession(
            base_url,
            politeness,
            on_send=functools.partial(self._sent, loaded.api),
            pacer=pacer,
            auth=self.config.target_auth,
        )
        if self.config.secret_headers:
            # From the first answer that carries one, a secret header's value is masked in everything the run
            # writes: its reports, the recordings, the terminal (the report masks them too, by name).
            session.hooks["response"].append(self._note_secret_headers)
        discovery = Discovery()
        run = ApiRun(
            loaded,
            base_url=base_url,
            token=token,
            path_values=path_values,
            http=session,
            seed=self.config.seed,
            secrets=self.secrets,
            schemathesis_config=properties.schemathesis_config(
                self.config,
                loaded,
                base_url=base_url,
                token=token,
                path_values=path_values,
                methods=methods,
                tls_verify=self.tls_verify(),
            ),
            plan=RequestPlan(
                self.config.planned_requests, scale=min(1.0, self.config.planned_requests / PLANNED_REQUESTS)
            ),
            discovery=discovery,
            judge=checks.ReplyJudge(loaded, discovery),
            allow_unsafe_methods=len(methods) > 1,
            stops_at=self._gate_requirements(loaded) if self.config.fail_fast else frozenset(),
            on_observed=functools.partial(self._observed, loaded.api),
        )
        return run

    def _note_secret_headers(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """A requests response hook: add the values of the run's secret headers to its redaction."""
        for name in self.config.secret_headers:
            value = response.headers.get(name)
            if value:
                self.secrets.add(value, mask=HEADER_MASK)

    def tls_verify(self) -> bool | str:
        """requests' `verify` for this run: False with --insecure, the --ca-bundle file, else True."""
        if self.config.insecure:
            return False
        return self.config.ca_bundle or True

    def add_listener(self, listener: Listener) -> None:
        """Call `listener` with every event of the run from now on (engine/model/events.py)."""
        self.listeners.append(listener)

    def emit(self, event: Event) -> None:
        for listener in self.listeners:
            listener(event)

    def _sent(self, api: str, method: str, url: str) -> None:
        """The guarded session's hook, as each request goes out."""
        self.emit(RequestSent(api))

    def _observed(self, api: str, requirement: str) -> None:
        """The ledger's hook, the first time something is recorded about a requirement."""
        self.emit(RequirementObserved(api, requirement))

    def interrupt(self, cause: tuple[str, int]) -> None:
        """A signal or a closed stdout stops the run: note why, and every API stops sending at once."""
        self.interrupted = self.interrupted or cause
        for run in self.runs:
            run.stop(StopKind.INTERRUPTED, f"the run was interrupted ({cause[0]})")

    def api_run(self, api: str) -> ApiRun:
        return next(run for run in self.runs if run.contract.api == api)

    def requests_sent(self) -> int:
        return sum(run.http.traffic.sent for run in self.runs)

    def preflight(self) -> None:
        """Fail fast on a target that cannot be tested: unreachable, or rejecting every request."""
        for run in self.runs:
            try:
                with run.spending("preflight"):
                    reply = run.get(run.semantics.paging.page(0, 1))
            except requests.RequestException as exc:  # the target's doing; a bug of ours propagates
                run.stop(StopKind.UNTESTABLE, run.secrets.redact(str(exc) or type(exc).__name__))
                continue
            reason = untestable_reason(
                reply,
                credentials=self._credentials_said(),
                server_path=run.contract.server_path,
                redact=run.secrets.redact,
            )
            if reason is not None:
                run.stop(StopKind.UNTESTABLE, reason)
                mark_untestable(run)

    def _credentials_said(self) -> str:
        """How the preflight request was authorised, in words: the token's source, or where none was found."""
        if self.embedded:
            return "with the embedded server's token"
        forms = ", ".join(self.config.target_auth.forms)
        if self.config.token:
            also = f" (and {forms})" if forms else ""
            return (
                f"with the token from {self.config.token_source or 'the configuration'}{also}: "
                "is it valid for this API?"
            )
        if forms:
            return f"with {forms} and no bearer token: are they valid for this API?"
        return f"without a token (none was given: looked for {TOKEN_SOURCES})"

    def _gate_requirements(self, loaded: contract.Contract) -> frozenset[str]:
        """The requirements whose failure fails the gate: MUST, and no waiver that is current today covers them."""
        waived = in_force(self.config.waivers, self.started.date())
        return frozenset(req.id for req in loaded.requirements if req.level == "MUST" and req.id not in waived)

    def relations_for(self, run: ApiRun) -> list[str]:
        """The relations the API's catalog cites and its semantics support, in registry order."""
        cited = {check for requirement in run.contract.requirements for check in requirement.checks}
        return [name for name, check in checks.relations().items() if name in cited and check.applies(run.semantics)]

    def ensure_relation(self, run: ApiRun, name: str) -> None:
        """Run a relation once per API (several requirements cite the same one)."""
        registered = checks.relations()
        if name in run.relations_done or name not in registered:
            return
        run.relations_done.add(name)
        relation = registered[name]
        if not run.control.may_start or not relation.applies(run.semantics):
            return
        try:
            with run.spending(name):
                relation.run(run)
        except BudgetExhausted:
            pass  # sending stopped (`run.control` knows why): the checks after this one do not start
        except Exception as exc:  # a bug of the suite (Hypothesis' own errors included), never a pass
            run.crashed(f"relation {name}", exc, run.citing(name))

    def finalize(self) -> None:
        """Give every requirement left unjudged a reason and its cause, and stop the embedded server.

        A run that stopped early (interrupted, --fail-fast, a budget, the time limit, the target's 429s, a
        plan the user made smaller) gives that as the reason of everything it left unjudged, whatever else
        was said about it: more examples might have judged it (DECISIONS.md D-GEN-23). Each API that stopped
        early, or could not be tested, is told to the listeners (`ApiStopped`)."""
        self.finished = datetime.now(UTC)
        for run in self.runs:
            run.ledger.settle()
            if run.untestable is not None:
                mark_untestable(run)
                self.emit(ApiStopped(run.contract.api, f"the target could not be tested: {run.untestable}"))
                continue
            stopped = self.stopped(run)
            if stopped is not None:
                self.emit(ApiStopped(run.contract.api, stopped))
            for record in run.ledger:
                if record.judged:
                    continue
                if stopped is not None:
                    reason, cause = stopped, Cause.RUN
                elif record.not_exercised or record.inconclusive or record.corroborating_checks:
                    continue  # it says why already (its passes only corroborated: no cause, so unexplained)
                else:
                    reason, cause = _why_not_exercised(run, record.requirement)
                run.ledger.record(Observation(record.requirement.id, Outcome.NOT_EXERCISED, "", reason, cause=cause))
        self.stop_server()

    def stopped(self, run: ApiRun) -> str | None:
        """Why testing `run` stopped before it was done (None when it ran to its end): what its control says
        (an interruption, --fail-fast, a limit), else the checks a plan made smaller gave up on."""
        said = run.control.why_unjudged
        if said is not None:
            return said
        if run.plan.gave_up:
            smaller = " (--max-requests)" if run.plan.scale < 1 else ""
            return f"not judged within the plan of {run.plan.total} requests{smaller}: {run.plan.gave_up[0]}"
        return None

    def stop_server(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def iter_requirements(self) -> Iterator[tuple[ApiRun, contract.Requirement]]:
        for run in self.runs:
            for requirement in run.contract.requirements:
                yield run, requirement


def untestable_reason(
    reply: Exchange, *, credentials: str, server_path: str, redact: Callable[[str], str]
) -> str | None:
    """Why the preflight's reply (a plain request for the first page) shows a target that cannot be tested,
    or None when it can: no usable answer, 401 or 403 (`credentials`: how the request was authorised), a 404
    or a 2xx that is not JSON and does not claim to be (not the API: `server_path` is where it should be),
    or any other status but 2xx (a redirect's Location, `redact`ed, is named and not followed)."""
    if reply.error:
        return reply.error
    if reply.status in (401, 403):
        return f"the list operation answered {reply.status} to a plain request {credentials}"
    if reply.status == 404 or (
        # Not JSON and not claiming to be: another server (a broken JSON body is the API's own fault).
        reply.status is not None
        and 200 <= reply.status < 300
        and reply.body is MISSING
        and "json" not in reply.headers.get("Content-Type", "").lower()
    ):
        answer = (
            "404"
            if reply.status == 404
            else f"{reply.status} with a body that is not JSON "
            f"({reply.headers.get('Content-Type') or 'no Content-Type'})"
        )
        return (
            f"the list operation answered {answer} to a plain request (GET {reply.evidence.url}): "
            f"is --base-url right? it should end with {server_path or '/'}"
        )
    if reply.status is None or not 200 <= reply.status < 300:
        reason = f"the list operation answered {reply.status} to a plain request"
        location = reply.headers.get("Location")
        if reply.status is not None and 300 <= reply.status < 400 and location:
            # Not followed: the token must not travel to wherever the target points.
            reason += f" (a redirect to {redact(location)}, not followed)"
        return reason
    return None


def mark_untestable(run: ApiRun) -> None:
    """Every requirement of an API that cannot be tested is inconclusive, with the reason: what the
    preflight's own reply showed (a 401 that is a valid error, say) is no evidence of conformance."""
    reason = run.control.why_unjudged  # untestable speaks first (engine/model/control.py)
    if reason is None:
        return
    if all(reason in record.reasons() and not record.passes for record in run.ledger):
        return
    run.ledger.clear()
    for requirement in run.contract.requirements:
        run.ledger.record(Observation(requirement.id, Outcome.INCONCLUSIVE, "preflight", reason, cause=Cause.RUN))


def _why_not_exercised(run: ApiRun, requirement: contract.Requirement) -> tuple[str, Cause]:
    """Why a requirement nothing said anything about was not judged, and the cause."""
    if UNSUPPORTED_METHOD in requirement.checks and not run.allow_unsafe_methods:
        return "undeclared methods are sent only with --allow-unsafe-methods", Cause.CONFIGURATION
    if run.transport_errors:
        unusable = len(run.transport_errors)
        sent = run.http.traffic.sent
        return f"not judged: {unusable} of {plural(sent, 'request')} got no usable answer", Cause.RUN
    return "no observation in this run could have shown a defect of it", Cause.UNEXPLAINED
