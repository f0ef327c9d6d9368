"""`apiconform serve`: the fault list, usage errors, and a real run in a subprocess."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import requests

from apiconform.cli import main
from apiconform.server import FAULTS, VARIANTS


def test_list_faults_prints_every_fault_with_its_requirement(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--list-faults"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "API", "REQUIREMENT", "DESCRIPTION"]
    rows = {line.split()[0]: line.split()[1:3] for line in lines[2:]}
    assert rows == {name: [fault.api, fault.requirement] for name, fault in FAULTS.items()}


def test_list_variants_prints_every_variant_with_its_apis_and_basis(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--list-variants"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "API", "DESCRIPTION"]
    table, notes = lines[: lines.index("")], lines[lines.index("") + 1 :]
    rows = {line.split()[0]: line.split()[1] for line in table[2:] if not line.startswith(" ")}
    assert rows == {name: ",".join(variant.apis) for name, variant in VARIANTS.items()}
    bases = [line.strip() for line in lines if line.strip().startswith("basis: ")]
    assert bases == [f"basis: {variant.basis}" for variant in VARIANTS.values()]
    assert any("total-count-zero-when-empty" in line for line in notes)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--fault", "oes-nonsense"], "unknown fault 'oes-nonsense'; valid faults: oes-page-repeats-on-tie, "),
        (["--variant", "brm-nonsense"], "unknown variant 'brm-nonsense'; valid variants: brm-lowercase-data, "),
        (
            ["--variant", "small-pages", "--variant", "brm-unknown-type-empty", "--fault", "brm-unknown-type-accepted"],
            "cannot combine variant 'brm-unknown-type-empty' with fault 'brm-unknown-type-accepted'",
        ),
        (["--records", "-5"], "--records must be between 0 and 1000000"),
        (["--port", "99999"], "--port must be between 0 and 65535"),
        (["--churn", "nan"], "--churn must be a finite number"),
        (["--latency-ms", "-1"], "--latency-ms must be a finite number of milliseconds, zero or more, got -1"),
        (["--latency-ms", "inf"], "--latency-ms must be a finite number"),
        (["--latency-ms", "nan"], "--latency-ms must be a finite number"),
        (["--token", "two words"], "--token must be a non-empty printable string"),
    ],
)
def test_bad_options_are_one_line_usage_errors(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["serve", *argv]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("apiconform serve: error: ") and message in error


def test_every_valid_fault_is_listed_in_the_unknown_fault_error(capsys: pytest.CaptureFixture[str]) -> None:
    main(["serve", "--fault", "brm-nonsense"])
    error = capsys.readouterr().err
    assert all(name in error for name in FAULTS)


def test_a_port_in_use_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        assert main(["serve", "--port", str(taken.getsockname()[1]), "--records", "10"]) == 2
    assert "cannot listen on 127.0.0.1:" in capsys.readouterr().err


def test_a_malformed_number_is_refused_by_the_parser() -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--port", "eighty"])
    assert exit_info.value.code == 2


def _serve(*argv: str) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "apiconform", "serve", "--port", "0", "--records", "100", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("Press Ctrl+C"):
                break
        yield process, lines
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def _url(lines: list[str], label: str) -> str:
    return next(line.split()[-1] for line in lines if line.strip().startswith(label))


def test_serve_prints_its_urls_and_stops_cleanly_on_sigterm() -> None:
    for process, lines in _serve("--token", "s3cret-token", "--fault", "brm-auth-ignored"):
        assert not any("s3cret-token" in line for line in lines)
        assert any("from --token (not shown)" in line for line in lines)
        allocations = _url(lines, "allocations")
        assert allocations.startswith("http://127.0.0.1:")
        authorised = {"Authorization": "Bearer s3cret-token"}
        assert requests.get(allocations, headers=authorised, timeout=10).status_code == 200
        assert requests.get(allocations, timeout=10).status_code == 401
        connections = _url(lines, "connections")
        assert connections == allocations.removesuffix("allocations") + "connections"
        assert requests.get(connections, headers=authorised, timeout=10).json()["connections"]
        assert requests.get(_url(lines, "adjustBalance"), timeout=10).status_code == 200  # the fault is on
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


def test_serve_switches_variants_on() -> None:
    for process, lines in _serve("--no-brm-auth", "--variant", "brm-unknown-type-empty", "--variant", "small-pages"):
        assert "variants: brm-unknown-type-empty, small-pages" in lines[0]
        response = requests.get(_url(lines, "adjustBalance"), params={"@type": "Other"}, timeout=10)
        assert response.status_code == 200 and response.json() == []
        assert len(requests.get(_url(lines, "adjustBalance"), params={"limit": "99"}, timeout=10).json()) == 50
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--reference-variant", "oes-nonsense"], "unknown reference variant(s) oes-nonsense"),
        (
            ["--reference-variant", "oes-400-array-body", "--reference-fault", "oes-400-without-error"],
            "cannot combine variant 'oes-400-array-body' with fault 'oes-400-without-error'",
        ),
        (
            ["--reference-variant", "small-pages", "--base-url", "http://127.0.0.1:9/brm/prepayBalanceManagement/v4"],
            "--reference-variant applies to the embedded server, not a --base-url",
        ),
    ],
)
def test_run_refuses_bad_reference_variants_in_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["run", "--api", "brm-adjust-balance", *argv]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and message in error


def test_serve_answers_late_with_latency_ms() -> None:
    for process, lines in _serve("--no-brm-auth", "--latency-ms", "250"):
        assert "latency 250 ms" in lines[0]
        started = time.monotonic()
        assert requests.get(_url(lines, "adjustBalance"), timeout=10).status_code == 200
        assert time.monotonic() - started >= 0.25
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0


def test_serve_prints_a_generated_token_once() -> None:
    for process, lines in _serve("--no-brm-auth"):
        token = _url(lines, "bearer token")
        assert sum(token in line for line in lines) == 1
        headers = {"Authorization": f"Bearer {token}"}
        assert requests.get(_url(lines, "allocations"), headers=headers, timeout=10).status_code == 200
        assert requests.get(_url(lines, "adjustBalance"), timeout=10).status_code == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
